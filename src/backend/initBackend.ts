/**
 * Backend choice: the only module of the library that imports TF.js backends (and, in Node.js, the `webgpu` package),
 * in three steps, one file each: probe the machine (`probeBackends.ts`), rank the backends from those facts
 * (`rankBackends.ts`, pure), start the first that works (`startBackend.ts`). This file checks the options, runs the
 * steps and remembers the choice for `describeBackend`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { noBackend } from '../internal/backendStart.js';
import { listArg } from '../internal/limits.js';
import {
  assertInteger,
  assertNotPositional,
  assertOneOf,
  assertOptions,
  rangeError,
  typeError,
} from '../internal/validate.js';
import { BACKEND_NAMES, type BackendName, MAX_WASM_THREADS } from './backendNames.js';
import { probeBackends } from './probeBackends.js';
import { formatAdapter, rankBackends, type SkippedBackend, type WebGPUAdapterDescription } from './rankBackends.js';
import { loadBackend, quietCpuBanner, trySetBackend, WASM_FILES, type WasmPaths } from './startBackend.js';
import { defaultWasmThreads, wasmThreads } from './wasmThreads.js';

export { BACKEND_NAMES };
export type { BackendName, SkippedBackend, WebGPUAdapterDescription, WasmPaths };
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
  wasmPaths?: WasmPaths;
  /**
   * How many threads the wasm backend runs (its matrix products and convolutions are split between them); `1` turns
   * threads off. In Node.js the library starts TF.js's threaded SIMD build under `worker_threads` (TF.js alone never
   * does); in a browser, TF.js does so itself on a cross-origin isolated page, and TF.js's build caps the count at half
   * of `navigator.hardwareConcurrency`. When threads cannot run, the single-threaded build does, and
   * {@link describeBackend} says why. Fixed once the wasm backend has started: later calls cannot change it.
   * At most 8, the worker pool of TF.js's threaded build.
   * @default the machine's logical cores, at most 8
   */
  threads?: number;
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
 * // wasm: wasm is the first available of webgpu, webgl, wasm, cpu; 2 threads
 * await initBackend({ backend: 'webgpu' }); // exactly WebGPU (software adapters accepted), or throw
 */
export async function initBackend(options?: InitBackendOptions): Promise<BackendChoice> {
  const opts = validateOptions(options);
  // One call at a time: concurrent calls would interleave their tf.setBackend calls, and describeBackend would report
  // a choice that is not the backend in use. Each call starts when the one before it has settled.
  const run = pending.then(() => chooseAndStart(opts));
  pending = run.catch(() => undefined);
  return run;
}

let pending: Promise<unknown> = Promise.resolve();

/**
 * Starts a backend as `initBackend()` would, when the program registered none at all (it imported only
 * `@tensorflow/tfjs-core` and skipped `initBackend()`), instead of letting TF.js fail with a bare "No backend found in
 * registry." A program that registered a backend itself keeps TF.js's own choice among its backends.
 * @internal
 */
export async function ensureBackend(): Promise<void> {
  if (noBackend()) await initBackend();
}

async function chooseAndStart(opts: InitBackendOptions): Promise<BackendChoice> {
  const explicit = opts.backend !== undefined;
  const order = explicit ? [opts.backend as BackendName] : (opts.prefer ?? BACKEND_NAMES);
  const facts = await probeBackends(order, { refusesSoftwareWebGPU: !explicit && !opts.allowSoftwareWebGPU });
  const { candidates, skipped } = rankBackends(
    { order, explicit, allowSoftwareWebGPU: opts.allowSoftwareWebGPU ?? false },
    facts,
  );

  const previous = tf.getBackend();
  const threads = opts.threads ?? defaultWasmThreads();
  for (const backend of candidates) {
    const problem = (await loadBackend(backend, opts.wasmPaths, threads)) ?? (await trySetBackend(backend));
    quietCpuBanner();
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
    const wasm = backend === 'wasm' ? wasmThreads() : null;
    if (wasm) reason += `; ${threadsSentence(wasm.threads, wasm.note)}`;
    lastChoice = { backend, reason, skipped, adapter };
    return lastChoice;
  }

  if (previous && tf.getBackend() !== previous && tf.engine().registry[previous]) await tf.setBackend(previous);
  const detail = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new Error(`initBackend: no backend could be started (${detail})`);
}

/** `2 threads`, or `1 thread (why)`. @internal */
export function threadsSentence(threads: number, note: string | null): string {
  return `${threads} thread${threads === 1 ? '' : 's'}${note ? ` (${note})` : ''}`;
}

function validateOptions(options: unknown): InitBackendOptions {
  const fn = 'initBackend';
  assertNotPositional(fn, options, 'backend', BACKEND_NAMES);
  const opts = assertOptions<InitBackendOptions>(fn, options, [
    'backend',
    'prefer',
    'allowSoftwareWebGPU',
    'wasmPaths',
    'threads',
  ]);
  if (opts.threads !== undefined) assertInteger(fn, 'options.threads', opts.threads, 1, MAX_WASM_THREADS);
  const asked: unknown = opts.backend;
  if (asked === 'gpu' || asked === 'auto') {
    // MATLAB's ExecutionEnvironment values.
    const err = rangeError(
      fn,
      'options.backend',
      `one of ${BACKEND_NAMES.map((b) => `'${b}'`).join(', ')}`,
      opts.backend,
    );
    err.message +=
      asked === 'gpu'
        ? "; MATLAB's 'gpu' is 'webgpu' or 'webgl' here"
        : "; leave 'backend' out to start the first that works of webgpu, webgl, wasm, cpu";
    throw err;
  }
  if (opts.backend !== undefined) assertOneOf(fn, 'options.backend', opts.backend, BACKEND_NAMES);
  if (opts.prefer !== undefined) {
    if (opts.backend !== undefined) {
      throw new RangeError(
        `${fn}: options 'backend' and 'prefer' cannot be combined; 'backend' names exactly one backend`,
      );
    }
    opts.prefer = listArg(fn, 'options.prefer', opts.prefer) as typeof opts.prefer;
    if (!Array.isArray(opts.prefer)) throw typeError(fn, 'options.prefer', 'an array of backend names', opts.prefer);
    if (opts.prefer.length === 0)
      throw rangeError(fn, 'options.prefer', 'a non-empty array of backend names', opts.prefer);
    opts.prefer.forEach((b, i) => {
      assertOneOf(fn, `options.prefer[${i}]`, b, BACKEND_NAMES);
    });
    if (new Set(opts.prefer).size !== opts.prefer.length) {
      throw rangeError(fn, 'options.prefer', 'an array of distinct backend names', opts.prefer);
    }
  }
  if (opts.allowSoftwareWebGPU !== undefined && typeof opts.allowSoftwareWebGPU !== 'boolean') {
    throw typeError(fn, 'options.allowSoftwareWebGPU', 'a boolean', opts.allowSoftwareWebGPU);
  }
  const paths: unknown = opts.wasmPaths;
  if (paths !== undefined) {
    const expected = `a directory URL string or a map from ${WASM_FILES.map((f) => `'${f}'`).join(', ')} to URL strings`;
    if (typeof paths === 'string') {
      if (paths === '') throw rangeError(fn, 'options.wasmPaths', `${expected} (not empty)`, paths);
    } else if (paths === null || typeof paths !== 'object' || Array.isArray(paths)) {
      throw typeError(fn, 'options.wasmPaths', expected, paths);
    } else {
      const map = paths as Record<string, unknown>;
      const keys = Object.keys(map);
      const wrong = keys.find((k) => !(WASM_FILES as readonly string[]).includes(k));
      if (wrong !== undefined) {
        throw new RangeError(
          `${fn}: unknown key '${wrong}' in 'options.wasmPaths'; the keys are ${WASM_FILES.map((f) => `'${f}'`).join(', ')}`,
        );
      }
      const missing = WASM_FILES.find((f) => typeof map[f] !== 'string' || map[f] === '');
      if (missing !== undefined)
        throw typeError(fn, `options.wasmPaths['${missing}']`, 'a non-empty URL string', map[missing]);
    }
  }
  return opts;
}
