/**
 * Probing: what this machine offers (Node.js or a browser, a canvas, a WebGPU adapter and what it is). The first step
 * of `initBackend`; the rules that rank the backends from these facts are in `rankBackends.ts` (pure), and starting
 * one is `startBackend.ts`. In Node.js, WebGPU comes from the optional `webgpu` package (Dawn), loaded here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backendNames.js';
import { describeAdapter, runtimeOf, type BackendFacts, type Runtime, type WebGPUProbe } from './rankBackends.js';
import { nodeProcess } from './wasmThreads.js';

let cachedRuntime: Runtime | undefined;

/** Node.js or browser, decided once, on first use (see `runtimeOf`). */
export function detectRuntime(): Runtime {
  cachedRuntime ??= runtimeOf(globalThis as Record<string, unknown>);
  return cachedRuntime;
}

/** The first line of whatever was thrown (TF.js and Emscripten sometimes reject with plain objects). */
export function firstLine(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return String(typeof message === 'string' ? message : err).split('\n')[0];
}

/**
 * The facts about this machine that decide which backends can be tried: the runtime, whether a canvas can be made,
 * and (only when `webgpu` is among `order`) the WebGPU adapter.
 */
export async function probeBackends(
  order: readonly BackendName[],
  { refusesSoftwareWebGPU = false }: { refusesSoftwareWebGPU?: boolean } = {},
): Promise<BackendFacts> {
  const g = globalThis as Record<string, unknown>;
  const facts: BackendFacts = {
    runtime: detectRuntime(),
    canvas:
      typeof (g.document as Document | undefined)?.createElement === 'function' ||
      typeof g.OffscreenCanvas === 'function',
  };
  if (order.includes('webgpu')) {
    // A software adapter the choice would refuse is found from a child process, and Dawn never starts here.
    const elsewhere = refusesSoftwareWebGPU && facts.runtime === 'node' ? await probeSoftwareAdapterInChild() : null;
    facts.webgpu = elsewhere ?? (await probeWebGPU());
  }
  if (order.includes('webgl') && facts.runtime === 'browser' && facts.canvas) {
    const renderer = webglRenderer();
    if (renderer) facts.webglRenderer = renderer;
  }
  return facts;
}

/** The WebGL renderer's unmasked name, from a throwaway context; null when the browser does not say. */
function webglRenderer(): string | null {
  try {
    const g = globalThis as Record<string, unknown>;
    const canvas =
      typeof g.OffscreenCanvas === 'function'
        ? new (g.OffscreenCanvas as typeof OffscreenCanvas)(1, 1)
        : (g.document as Document).createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return typeof name === 'string' && name !== '' ? name : null;
  } catch {
    return null;
  }
}

/** The parts of `GPU` and `GPUAdapter` this module uses (typed here so that no WebGPU type package is needed). */
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info?: Record<string, unknown>;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?: () => Promise<Record<string, unknown>>;
}

// Kept in a variable, and marked for bundlers, so that browser bundles never try to resolve this Node-only package.
const NODE_WEBGPU_PACKAGE = 'webgpu';

let webgpuProbe: Promise<WebGPUProbe> | undefined;

/** Finds a WebGPU adapter (once per process; the answer does not change) and loads the TF.js webgpu backend. */
function probeWebGPU(): Promise<WebGPUProbe> {
  webgpuProbe ??= probeWebGPUOnce();
  return webgpuProbe;
}

/**
 * The adapter Dawn gives in Node.js, asked in a child process, when it is a software one or there is none; null
 * otherwise, and whenever the child cannot say (then the probe runs in this process). Dawn prints warnings on stderr
 * when it sets up a software Vulkan device (lavapipe: "maxDynamicUniformBuffersPerPipelineLayout artificially
 * reduced ..."); asked here, they would reach every script and command on a machine without a GPU, although the
 * automatic choice then refuses WebGPU. The child takes about 0.15 s, once per process.
 */
function probeSoftwareAdapterInChild(): Promise<WebGPUProbe | null> {
  childProbe ??= childProbeOnce();
  return childProbe;
}

let childProbe: Promise<WebGPUProbe | null> | undefined;

/** The child's program: argv[1] the `webgpu` package's file URL, argv[2] the power preference. */
const CHILD_PROBE = `
const dawn = await import(process.argv[1]);
for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) globalThis[k] = v;
const a = await dawn.create([]).requestAdapter({ powerPreference: process.argv[2] });
const i = a ? (a.info ?? (await a.requestAdapterInfo?.()) ?? {}) : null;
const f = i ? (i.isFallbackAdapter ?? a.isFallbackAdapter) : undefined;
process.stdout.write(JSON.stringify(i && { vendor: i.vendor, architecture: i.architecture, device: i.device,
  description: i.description, isFallbackAdapter: f }));
process.exit(0);
`;

async function childProbeOnce(): Promise<WebGPUProbe | null> {
  const proc = nodeProcess() as (ReturnType<typeof nodeProcess> & { execPath?: string }) | null;
  const load = (name: string) => proc?.getBuiltinModule?.(name) as Record<string, unknown> | undefined;
  const cp = load('node:child_process') as
    | { execFile: (file: string, args: string[], o: object, cb: (e: unknown, out: string) => void) => void }
    | undefined;
  const mod = load('node:module') as { createRequire(from: string): { resolve(id: string): string } } | undefined;
  const url = load('node:url') as { pathToFileURL(p: string): URL } | undefined;
  if (!cp || !mod || !url || !proc?.execPath) return null;
  let entry: string;
  try {
    entry = url.pathToFileURL(mod.createRequire(import.meta.url).resolve(NODE_WEBGPU_PACKAGE)).href;
  } catch {
    return null; // not installed: the probe here says so
  }
  const args = ['--input-type=module', '-e', CHILD_PROBE, entry, 'high-performance'];
  const out = await new Promise<string | null>((resolve) =>
    cp.execFile(proc.execPath!, args, { timeout: 30_000, windowsHide: true }, (err, stdout) =>
      resolve(err ? null : String(stdout)),
    ),
  );
  if (out === null) return null;
  let info: Parameters<typeof describeAdapter>[0] | null;
  try {
    info = JSON.parse(out);
  } catch {
    return null;
  }
  if (info === null)
    return { unavailable: `no WebGPU adapter: navigator.gpu.requestAdapter() returned null${NO_ADAPTER_HINT}` };
  const adapter = describeAdapter(info);
  return adapter.software ? { adapter } : null;
}

/** Why Dawn may find no adapter in Node.js. */
const NO_ADAPTER_HINT =
  ' (in Node.js, Dawn needs a Vulkan, Metal or D3D12 driver; a Linux machine without a GPU needs a software ' +
  'Vulkan driver: Mesa lavapipe 24 or later, or SwiftShader)';

async function probeWebGPUOnce(): Promise<WebGPUProbe> {
  const g = globalThis as Record<string, unknown>;
  let gpu = (g.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) {
    if (detectRuntime() !== 'node') return { unavailable: 'this browser has no WebGPU (navigator.gpu is undefined)' };
    // dawn.node: its classes and constants (GPUBufferUsage, ...) must be globals before the first op, and
    // navigator.gpu must exist before @tensorflow/tfjs-backend-webgpu loads, because it registers only if it does.
    let dawn: { create(flags: string[]): GpuLike; globals: Record<string, unknown> };
    try {
      dawn = await import(/* @vite-ignore */ /* webpackIgnore: true */ NODE_WEBGPU_PACKAGE);
    } catch (err) {
      return { unavailable: `no WebGPU in Node.js without the optional package 'webgpu' (${firstLine(err)})` };
    }
    try {
      for (const [name, value] of Object.entries(dawn.globals)) if (!(name in g)) g[name] = value;
      gpu = dawn.create([]);
      installNavigatorGpu(g, gpu);
    } catch (err) {
      return { unavailable: `the 'webgpu' package failed to start Dawn (${firstLine(err)})` };
    }
  }
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    return { unavailable: `could not load the webgpu backend (${firstLine(err)})` };
  }
  if (!tf.findBackendFactory('webgpu')) {
    return {
      unavailable:
        '@tensorflow/tfjs-backend-webgpu was loaded before navigator.gpu existed, so it did not register; ' +
        'let initBackend load it (do not import it yourself in Node.js)',
    };
  }
  // The same request TF.js's webgpu backend makes when it starts, so that it gets the adapter described here.
  const lowPower = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: lowPower ? 'low-power' : 'high-performance' });
  } catch (err) {
    return { unavailable: `navigator.gpu.requestAdapter() failed (${firstLine(err)})` };
  }
  if (!adapter) {
    const hint = detectRuntime() === 'node' ? NO_ADAPTER_HINT : '';
    return { unavailable: `no WebGPU adapter: navigator.gpu.requestAdapter() returned null${hint}` };
  }
  const info =
    adapter.info ?? (typeof adapter.requestAdapterInfo === 'function' ? await adapter.requestAdapterInfo() : {});
  return { adapter: describeAdapter(info, adapter.isFallbackAdapter) };
}

/**
 * Makes `gpu` readable as `navigator.gpu`. Node.js 20 has no `navigator`: one is created. Node.js 21+ has one:
 * the property is defined on it, or, if that object cannot take new properties, `navigator` is replaced by an object
 * that inherits from it.
 *
 * @param g - the global object.
 * @internal
 */
export function installNavigatorGpu(g: Record<string, unknown>, gpu: unknown): void {
  const nav = g.navigator;
  const gpuProperty = { value: gpu, configurable: true, enumerable: true, writable: false };
  if (nav !== null && typeof nav === 'object') {
    try {
      Object.defineProperty(nav, 'gpu', gpuProperty);
      if ((nav as { gpu?: unknown }).gpu === gpu) return;
    } catch {
      // not extensible, or `gpu` is a non-configurable property: fall through to a new navigator object
    }
    Object.defineProperty(g, 'navigator', {
      value: Object.create(nav, { gpu: gpuProperty }),
      configurable: true,
      writable: true,
    });
    return;
  }
  Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
}
