/**
 * The pure half of backend choice: given facts probed about this machine (runtime, WebGPU adapter), which backends
 * to try, in which order, and why the others are passed over. No TF.js, no I/O, no globals read here, so every rule
 * is tested without a GPU (test/backend.test.ts). `initBackend` probes the facts and acts on the ranking.
 *
 * Not exported from the package, except the types that `BackendChoice` mentions.
 */

import type { BackendName } from './backendNames.js';

export type { BackendName };

/** Where the library runs: a browser page or worker, Node.js, or something else (treated like a browser). */
export type Runtime = 'browser' | 'node' | 'other';

/** A backend that was not used, and why. */
export interface SkippedBackend {
  /** The backend passed over. */
  backend: BackendName;
  /** Why, as a sentence fragment for logs: `no WebGPU adapter: ...`. */
  reason: string;
}

/**
 * What a WebGPU adapter says about itself (its `GPUAdapterInfo`), and whether it is a software implementation.
 * Empty strings where the adapter does not say.
 */
export interface WebGPUAdapterDescription {
  /** `GPUAdapterInfo.vendor`, e.g. `nvidia`, `mesa`, `google`. */
  vendor: string;
  /** `GPUAdapterInfo.architecture`, e.g. `ampere`, `software`, `swiftshader`. */
  architecture: string;
  /** `GPUAdapterInfo.device`, e.g. `llvmpipe-llvm-15-0-6-256-bits-`. */
  device: string;
  /** `GPUAdapterInfo.description`, e.g. `llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)`. */
  description: string;
  /** What the adapter reports as `isFallbackAdapter` (on `GPUAdapterInfo`, or on the adapter in older browsers). */
  isFallbackAdapter: boolean;
  /**
   * True for a fallback adapter or a known CPU implementation of WebGPU/Vulkan/D3D (SwiftShader, llvmpipe/lavapipe,
   * softpipe, WARP): on a CPU these are several times slower than the wasm backend.
   */
  software: boolean;
}

/** The outcome of probing WebGPU: an adapter, or why there is none. */
export type WebGPUProbe = { adapter: WebGPUAdapterDescription } | { unavailable: string };

/** The facts that decide which backends can be tried. */
export interface BackendFacts {
  /** Where the library runs. */
  runtime: Runtime;
  /** Whether a canvas can be made at all (a DOM `document` or `OffscreenCanvas`): WebGL needs one. */
  canvas: boolean;
  /** The WebGPU probe; left out when `webgpu` is not among the backends asked for (then it is never probed). */
  webgpu?: WebGPUProbe;
  /**
   * The WebGL renderer's name (`UNMASKED_RENDERER_WEBGL`, e.g. `'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device
   * (Subzero) ...))'`), when a browser tells it; left out when WebGL was not probed or does not say.
   */
  webglRenderer?: string;
}

/** What the caller asked for, already validated. */
export interface RankRequest {
  /** The backends to try, in order. */
  order: readonly BackendName[];
  /** True when the caller named exactly one backend (`{ backend }`): then a software WebGPU adapter is accepted. */
  explicit: boolean;
  /** Whether a software WebGPU adapter may be used in the automatic choice. */
  allowSoftwareWebGPU: boolean;
}

/** The backends worth trying, in order, and those passed over before anything was started. */
export interface Ranking {
  /** Backends to try, in order; the first that starts wins. */
  candidates: BackendName[];
  /** Backends passed over on the facts alone, with the reason. */
  skipped: SkippedBackend[];
}

// Names under which CPU implementations of the GPU APIs show up in adapter info: SwiftShader (Chrome's fallback),
// Mesa's llvmpipe/lavapipe and softpipe, Microsoft's WARP ("Microsoft Basic Render Driver").
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|basic render driver|\bwarp\b|\bsoftware\b/i;

/**
 * Describes an adapter from its `GPUAdapterInfo`-like object, deciding whether it is a software implementation.
 *
 * @param info - `adapter.info` (or the result of the older `adapter.requestAdapterInfo()`); missing fields read as ''.
 * @param legacyFallbackFlag - the older `adapter.isFallbackAdapter`, for browsers that do not put it on `info`.
 */
export function describeAdapter(
  info: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', unknown>> & {
    isFallbackAdapter?: unknown;
  },
  legacyFallbackFlag?: unknown,
): WebGPUAdapterDescription {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const vendor = text(info.vendor);
  const architecture = text(info.architecture);
  const device = text(info.device);
  const description = text(info.description);
  const isFallbackAdapter = info.isFallbackAdapter === true || legacyFallbackFlag === true;
  const software = isFallbackAdapter || SOFTWARE_NAMES.test(`${vendor} ${architecture} ${device} ${description}`);
  return { vendor, architecture, device, description, isFallbackAdapter, software };
}

/**
 * One line for logs and UIs:
 * `"llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)" (vendor mesa, architecture software, device llvmpipe-..., fallback adapter, software)`.
 */
export function formatAdapter(a: WebGPUAdapterDescription): string {
  const name = a.description || a.device || 'an adapter without a description';
  const facts = [
    `vendor ${a.vendor || '(not given)'}`,
    `architecture ${a.architecture || '(not given)'}`,
    `device ${a.device || '(not given)'}`,
    a.isFallbackAdapter ? 'fallback adapter' : 'not a fallback adapter',
    a.software ? 'software' : 'hardware',
  ];
  return `${JSON.stringify(name)} (${facts.join(', ')})`;
}

/**
 * Tells a browser from Node.js by the globals it has. A DOM `document` or a worker scope means a browser (also in
 * Electron's renderer, where `process` exists too); otherwise `process.versions.node` means Node.js.
 *
 * @param g - the global object to inspect (`globalThis`).
 */
export function runtimeOf(g: Record<string, unknown>): Runtime {
  if (typeof g.document !== 'undefined' || typeof g.importScripts === 'function') return 'browser';
  const versions = (g.process as { versions?: { node?: unknown } } | undefined)?.versions;
  return typeof versions?.node === 'string' ? 'node' : 'other';
}

/**
 * Ranks the backends asked for against the facts: which to try, in order, and why the others are passed over.
 * Rules: WebGPU needs an adapter, and a software adapter only counts when asked for (`explicit` or
 * `allowSoftwareWebGPU`); WebGL needs a browser with a canvas; wasm and cpu are always worth a try (loading them may
 * still fail, which `initBackend` reports).
 */
export function rankBackends(request: RankRequest, facts: BackendFacts): Ranking {
  const candidates: BackendName[] = [];
  const skipped: SkippedBackend[] = [];
  for (const backend of request.order) {
    const problem = problemWith(backend, request, facts);
    if (problem) skipped.push({ backend, reason: problem });
    else candidates.push(backend);
  }
  return { candidates, skipped };
}

function problemWith(backend: BackendName, request: RankRequest, facts: BackendFacts): string | null {
  switch (backend) {
    case 'webgpu': {
      const probe = facts.webgpu;
      if (!probe) return 'WebGPU was not probed';
      if ('unavailable' in probe) return probe.unavailable;
      if (probe.adapter.software && !request.explicit && !request.allowSoftwareWebGPU) {
        return (
          `the only WebGPU adapter is a software one, ${formatAdapter(probe.adapter)}, which is slower than wasm ` +
          `on a CPU; it is used only when asked for ({ backend: 'webgpu' } or { allowSoftwareWebGPU: true })`
        );
      }
      return null;
    }
    case 'webgl':
      if (facts.runtime === 'node') return 'WebGL needs a browser; this is Node.js';
      if (!facts.canvas) return 'WebGL needs a canvas, and there is neither a document nor OffscreenCanvas here';
      if (facts.webglRenderer && SOFTWARE_NAMES.test(facts.webglRenderer) && !request.explicit) {
        return (
          `WebGL renders in software here (${facts.webglRenderer}), which is slower than wasm on a CPU; ` +
          "it is used only when asked for ({ backend: 'webgl' })"
        );
      }
      return null;
    default:
      return null;
  }
}
