/**
 * Backend choice: the only module of the library that imports TF.js backends (and, in Node.js, the `webgpu` package).
 * The rules live in `rankBackends.ts` (pure); this module probes the facts, loads the backend packages and checks
 * that TF.js really started the one it picked.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertOneOf, assertOptions, rangeError, typeError } from '../internal/validate.js';
import {
  BACKEND_NAMES,
  formatAdapter,
  describeAdapter,
  rankBackends,
  runtimeOf,
  type BackendFacts,
  type BackendName,
  type Runtime,
  type SkippedBackend,
  type WebGPUAdapterDescription,
  type WebGPUProbe,
} from './rankBackends.js';
import { installWebGPUKernelFixes } from './webgpuKernelFixes.js';

export { BACKEND_NAMES };
export type { BackendName, SkippedBackend, WebGPUAdapterDescription };

/** How long a backend may take to start before initBackend passes it over. */
const START_TIMEOUT_MS = 30_000;

/** The `.wasm` files of `@tensorflow/tfjs-backend-wasm`, the keys of a `wasmPaths` map. */
const WASM_FILES = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
] as const;

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /**
   * Use exactly this backend, or fail, instead of trying them in order. Naming `'webgpu'` accepts a software adapter
   * (SwiftShader, llvmpipe), which the automatic choice passes over.
   */
  backend?: BackendName;
  /**
   * The backends to try, in order (distinct names; cannot be combined with `backend`).
   * @default ['webgpu', 'webgl', 'wasm', 'cpu']
   */
  prefer?: readonly BackendName[];
  /**
   * Let the automatic choice use a software WebGPU adapter (a fallback adapter, SwiftShader, llvmpipe/lavapipe).
   * On a machine without a GPU such an adapter is several times slower than wasm, so by default it is passed over.
   * @default false
   */
  allowSoftwareWebGPU?: boolean;
  /**
   * Where the wasm backend finds its `.wasm` files, for a bundled or moved build (passed to the wasm backend's
   * `setWasmPaths`): a directory URL or path ending in `/`, or a map from each of `tfjs-backend-wasm.wasm`,
   * `tfjs-backend-wasm-simd.wasm`, `tfjs-backend-wasm-threaded-simd.wasm` to its URL. Not needed when the backend is
   * loaded from `node_modules`. Has no effect once the wasm backend has started.
   */
  wasmPaths?: string | Readonly<Record<(typeof WASM_FILES)[number], string>>;
}

/** The backend {@link initBackend} started, and why. */
export interface BackendChoice {
  /** The backend now active in `tf`. */
  backend: BackendName;
  /** Why this one: a sentence for logs and UIs. */
  reason: string;
  /** Each backend tried or considered before it, and why it was passed over. */
  skipped: SkippedBackend[];
  /** The WebGPU adapter in use when `backend` is `'webgpu'`; otherwise null. */
  adapter: WebGPUAdapterDescription | null;
}

let lastChoice: BackendChoice | null = null;

/**
 * The choice {@link initBackend} made last, or null before its first success. For `describeBackend`.
 * @internal
 */
export function lastBackendChoice(): BackendChoice | null {
  return lastChoice;
}

/**
 * Picks a TF.js backend and activates it: the first of `prefer` that this machine supports and that starts.
 *
 * Default order: `webgpu` when a hardware WebGPU adapter exists (a software one only when asked for), `webgl` in
 * browsers, then `wasm`, then `cpu`. In Node.js, WebGPU comes from the optional npm package `webgpu` (Dawn), which
 * needs a Vulkan, Metal or D3D12 driver. The result says which backend started, why, what was passed over and why,
 * and which WebGPU adapter is in use. Backend packages are loaded on demand; only the ones tried are loaded.
 *
 * What `tf.setBackend` returns is checked (TF.js leaves `tf.getBackend()` naming a backend that failed to start).
 * If nothing starts, the backend active before the call is restored and an error lists every reason.
 *
 * Starting webgpu also mends TF.js 4.22's WebGPU kernels where they are wrong (int32 casts, transposes and
 * reductions; `addN` of more than 7 tensors) by wrapping them in TF.js's kernel registry, for every caller of
 * TF.js in the process; other backends are untouched.
 *
 * @param options - see {@link InitBackendOptions}; all optional.
 * @returns the choice; the backend is active in `tf` when the promise resolves.
 * @throws TypeError / RangeError for bad options (before anything is loaded); Error when no backend could start.
 * @example
 * const choice = await initBackend();
 * console.log(`${choice.backend}: ${choice.reason}`);
 * // wasm: wasm is the first available of webgpu, webgl, wasm, cpu
 * await initBackend({ backend: 'webgpu' }); // exactly WebGPU (software adapters accepted), or throw
 */
export async function initBackend(options?: InitBackendOptions): Promise<BackendChoice> {
  const opts = validateOptions(options);
  const explicit = opts.backend !== undefined;
  const order = explicit ? [opts.backend as BackendName] : (opts.prefer ?? BACKEND_NAMES);
  const runtime = detectRuntime();
  const g = globalThis as Record<string, unknown>;
  const facts: BackendFacts = {
    runtime,
    canvas:
      typeof (g.document as Document | undefined)?.createElement === 'function' ||
      typeof g.OffscreenCanvas === 'function',
  };
  if (order.includes('webgpu')) facts.webgpu = await probeWebGPU();
  const { candidates, skipped } = rankBackends(
    { order, explicit, allowSoftwareWebGPU: opts.allowSoftwareWebGPU ?? false },
    facts,
  );

  const previous = tf.getBackend();
  for (const backend of candidates) {
    const problem = (await loadBackend(backend, opts)) ?? (await trySetBackend(backend));
    if (problem) {
      skipped.push({ backend, reason: problem });
      continue;
    }
    const adapter = backend === 'webgpu' && facts.webgpu && 'adapter' in facts.webgpu ? facts.webgpu.adapter : null;
    let reason = explicit ? `${backend} was asked for` : `${backend} is the first available of ${order.join(', ')}`;
    if (adapter) {
      reason += `; adapter ${formatAdapter(adapter)}`;
      if (adapter.software && !explicit) reason += ', allowed by allowSoftwareWebGPU';
    }
    lastChoice = { backend, reason, skipped, adapter };
    return lastChoice;
  }

  if (previous && tf.getBackend() !== previous && tf.engine().registry[previous]) await tf.setBackend(previous);
  const detail = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new Error(`initBackend: no backend could be started (${detail})`);
}

function validateOptions(options: unknown): InitBackendOptions {
  const fn = 'initBackend';
  const opts = assertOptions<InitBackendOptions>(fn, options, [
    'backend',
    'prefer',
    'allowSoftwareWebGPU',
    'wasmPaths',
  ]);
  if (opts.backend !== undefined) assertOneOf(fn, 'backend', opts.backend, BACKEND_NAMES);
  if (opts.prefer !== undefined) {
    if (opts.backend !== undefined) {
      throw new RangeError(
        `${fn}: options 'backend' and 'prefer' cannot be combined; 'backend' names exactly one backend`,
      );
    }
    if (!Array.isArray(opts.prefer)) throw typeError(fn, 'prefer', 'an array of backend names', opts.prefer);
    if (opts.prefer.length === 0) throw rangeError(fn, 'prefer', 'a non-empty array of backend names', opts.prefer);
    opts.prefer.forEach((b, i) => {
      assertOneOf(fn, `prefer[${i}]`, b, BACKEND_NAMES);
    });
    if (new Set(opts.prefer).size !== opts.prefer.length) {
      throw rangeError(fn, 'prefer', 'an array of distinct backend names', opts.prefer);
    }
  }
  if (opts.allowSoftwareWebGPU !== undefined && typeof opts.allowSoftwareWebGPU !== 'boolean') {
    throw typeError(fn, 'allowSoftwareWebGPU', 'a boolean', opts.allowSoftwareWebGPU);
  }
  const paths: unknown = opts.wasmPaths;
  if (paths !== undefined) {
    const expected = `a directory URL string or a map from ${WASM_FILES.map((f) => `'${f}'`).join(', ')} to URL strings`;
    if (typeof paths === 'string') {
      if (paths === '') throw rangeError(fn, 'wasmPaths', `${expected} (not empty)`, paths);
    } else if (paths === null || typeof paths !== 'object' || Array.isArray(paths)) {
      throw typeError(fn, 'wasmPaths', expected, paths);
    } else {
      const map = paths as Record<string, unknown>;
      const keys = Object.keys(map);
      const wrong = keys.find((k) => !(WASM_FILES as readonly string[]).includes(k));
      if (wrong !== undefined) {
        throw new RangeError(
          `${fn}: unknown key '${wrong}' in 'wasmPaths'; the keys are ${WASM_FILES.map((f) => `'${f}'`).join(', ')}`,
        );
      }
      const missing = WASM_FILES.find((f) => typeof map[f] !== 'string' || map[f] === '');
      if (missing !== undefined) throw typeError(fn, `wasmPaths['${missing}']`, 'a non-empty URL string', map[missing]);
    }
  }
  return opts;
}

let cachedRuntime: Runtime | undefined;

/** Node.js or browser, decided once, on first use (see `runtimeOf`). */
function detectRuntime(): Runtime {
  cachedRuntime ??= runtimeOf(globalThis as Record<string, unknown>);
  return cachedRuntime;
}

/** The first line of whatever was thrown (TF.js and Emscripten sometimes reject with plain objects). */
function firstLine(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return String(typeof message === 'string' ? message : err).split('\n')[0];
}

/** Loads the package of `backend` (registering it with tfjs-core); returns why it could not, or null. */
async function loadBackend(backend: BackendName, opts: InitBackendOptions): Promise<string | null> {
  try {
    switch (backend) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        // Only before the backend starts: afterwards the paths are moot (and after a failed start, TF.js throws).
        if (opts.wasmPaths !== undefined && !tf.engine().registry.wasm) {
          wasm.setWasmPaths(opts.wasmPaths as string | Record<string, string>);
        }
        break;
      }
      case 'webgl':
        await import('@tensorflow/tfjs-backend-webgl');
        break;
      case 'webgpu':
        // Loaded by probeWebGPU, which must first set up navigator.gpu. Its int32 kernels need fixes.
        installWebGPUKernelFixes();
        break;
    }
  } catch (err) {
    return `could not load the ${backend} backend (${firstLine(err)})`;
  }
  return tf.findBackendFactory(backend) ? null : `loading its package did not register '${backend}' with TF.js`;
}

/**
 * Activates `backend` and checks the result: `tf.setBackend` resolves to false when the backend's initialisation
 * fails (TF.js logs why) and throws for a name that was never registered. Returns why it failed, or null.
 *
 * @param setBackend - the function that activates a backend; `tf.setBackend` except in tests.
 * @internal
 */
export async function trySetBackend(
  backend: string,
  setBackend: (name: string) => Promise<boolean> = tf.setBackend,
  timeoutMs = START_TIMEOUT_MS,
): Promise<string | null> {
  // A backend whose start never settles (e.g. wasm threads in a minified bundle: every worker dies and TF.js neither
  // resolves nor rejects) must not hang the caller: give up after timeoutMs and try the next backend.
  const TIMED_OUT = Symbol('timeout');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ok: unknown;
  try {
    ok = await Promise.race([
      setBackend(backend),
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
      }),
    ]);
  } catch (err) {
    return `tf.setBackend('${backend}') threw: ${firstLine(err)}`;
  } finally {
    clearTimeout(timer);
  }
  if (ok === TIMED_OUT) {
    return `tf.setBackend('${backend}') did not settle within ${timeoutMs / 1000} s (for wasm in a bundle: check wasmPaths, and that the backend's code is not minified when threads are on)`;
  }
  return ok === true
    ? null
    : `tf.setBackend('${backend}') returned ${String(ok)}: its initialisation failed (TF.js logs the cause as a warning)`;
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
    const hint =
      detectRuntime() === 'node'
        ? ' (in Node.js, Dawn needs a Vulkan, Metal or D3D12 driver; a Linux machine without a GPU needs a software ' +
          'Vulkan driver: Mesa lavapipe 24 or later, or SwiftShader)'
        : '';
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
