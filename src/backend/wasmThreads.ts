/**
 * Threads for the wasm backend, on every platform.
 *
 * In browsers, TF.js runs its threaded SIMD build by itself on a cross-origin isolated page; this module passes the
 * thread count on and notes why a page runs single-threaded.
 *
 * In Node.js, TF.js never uses threads: its loader hands Emscripten's pthread workers `blob:` URLs, which
 * `node:worker_threads` refuses. The threaded build itself runs fine under `worker_threads` when its worker and main
 * scripts are given as a module and a file, so this module starts it: it registers a factory for the `wasm` backend
 * in place of TF.js's that loads the package's own threaded files (nothing on disk is changed), starts TF.js's
 * `BackendWasm` on it, and falls back to TF.js's single-threaded factory, with the reason kept for `describeBackend`,
 * when anything fails. Its workers never keep a process alive.
 *
 * Node's modules are reached through `process.getBuiltinModule` (Node.js 20.16 and later), never imported, because
 * this file is also part of the browser bundle.
 */
import * as tf from '@tensorflow/tfjs-core';

import { MAX_WASM_THREADS } from './backendNames.js';

/** How long the threaded build may take to start in Node.js before the single-threaded one is used instead. */
const THREADED_START_TIMEOUT_MS = 15_000;

const PKG = '@tensorflow/tfjs-backend-wasm';

/** The parts of `@tensorflow/tfjs-backend-wasm` this module uses. */
export interface WasmPackage {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
  BackendWasm: new (module: never) => tf.KernelBackend;
}

/** What the wasm backend was asked for and, once it runs, why it has fewer threads than asked for (or null). */
interface ThreadState {
  pkg: WasmPackage;
  requested: number;
  note: string | null;
}

let state: ThreadState | null = null;
/** TF.js's own factory for `wasm`, kept when ours replaces it (Node.js only). */
let tfjsFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;
/** Our factory, while it is the registered one. */
let ourFactory: (() => Promise<tf.KernelBackend>) | null = null;

interface NodeProcess {
  versions?: { node?: string };
  getBuiltinModule?: (name: string) => unknown;
}

interface NodeRequire {
  (id: string): unknown;
  resolve(id: string): string;
}

/** Node.js's `process`, or null in a browser. */
export function nodeProcess(): NodeProcess | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return typeof proc?.versions?.node === 'string' ? proc : null;
}

/** Its name is the test for a minified bundle (minifiers rename functions). */
function wasmThreadsProbe(): void {}

/** The machine's logical cores as the platform reports them, at most {@link MAX_WASM_THREADS}; at least 1. */
export function defaultWasmThreads(): number {
  let cores = 1;
  const os = nodeProcess()?.getBuiltinModule?.('node:os') as
    | { availableParallelism?: () => number; cpus(): unknown[] }
    | undefined;
  if (os) cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  else if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0) cores = navigator.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_WASM_THREADS, cores));
}

/**
 * Sets up `threads` threads for the wasm backend, between loading its package and starting it. Does nothing once the
 * backend has started: its threads are fixed for the life of the process.
 *
 * @param usesCustomPaths - whether the user passed `wasmPaths` (in Node.js the threaded build is then left alone:
 *   its files would have to come from those paths too).
 */
export function prepareWasmThreads(pkg: WasmPackage, threads: number, usesCustomPaths: boolean): void {
  if (tf.engine().registry.wasm) {
    // Started before: by an earlier call (its state stays), or outside initBackend (by tf.setBackend).
    state ??= {
      pkg,
      requested: threads,
      note: 'the wasm backend was started outside initBackend, as TF.js sets it up',
    };
    return;
  }
  state = { pkg, requested: threads, note: null };
  pkg.setThreadsCount(threads);
  const proc = nodeProcess();
  if (!proc) {
    if (threads === 1) return;
    if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== true) {
      state.note =
        'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and ' +
        'Cross-Origin-Embedder-Policy: require-corp), so TF.js runs its single-threaded build';
    } else if (wasmThreadsProbe.name !== 'wasmThreadsProbe') {
      // TF.js's threaded build hands its workers its own factory's source (Function.prototype.toString); in a
      // minified bundle that source refers to renamed names the workers lack, every worker dies and the backend never
      // starts. This library's code being minified too is the sign: run the single-threaded build at once instead.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      state.note =
        "this app's code is minified, which breaks TF.js's threaded wasm build (it sends its own source to its " +
        'workers), so the single-threaded build runs; to use threads, leave @tensorflow/tfjs-backend-wasm ' +
        'unminified (for example a separate chunk that the minifier skips) or build without minification';
    }
    return;
  }
  let reason: string | null = null;
  if (threads === 1) reason = '';
  else if (usesCustomPaths) reason = 'wasmPaths was given, and the threaded build runs only from the package files';
  else if (typeof proc.getBuiltinModule !== 'function') {
    reason = 'starting the threaded build needs Node.js 20.16 or later (process.getBuiltinModule)';
  }
  const registered = tf.findBackendFactory('wasm');
  if (registered && registered !== ourFactory) tfjsFactory = registered;
  if (reason !== null) {
    state.note = reason || null;
    if (ourFactory && registered === ourFactory && tfjsFactory) reRegister(tfjsFactory);
    ourFactory = null;
    return;
  }
  const current = state;
  const original = tfjsFactory;
  ourFactory = async () => {
    try {
      return await startThreaded(current.pkg, threads);
    } catch (err) {
      current.note = `the threaded build did not start (${firstLine(err)}), so the single-threaded one runs`;
      if (!original) throw err;
      current.pkg.setThreadsCount(1);
      return original();
    }
  };
  reRegister(ourFactory);
}

function reRegister(factory: () => tf.KernelBackend | Promise<tf.KernelBackend>): void {
  tf.removeBackend('wasm');
  // TF.js registers wasm with priority 2; keep it.
  tf.registerBackend('wasm', factory, 2);
}

/**
 * The threads the wasm backend runs, once it has started, and why fewer than asked for; null while it has not.
 * @internal
 */
export function wasmThreads(): { threads: number; requested: number; note: string | null } | null {
  if (!state || !tf.engine().registry.wasm) return null;
  let threads: number;
  try {
    threads = state.pkg.getThreadsCount();
  } catch {
    return null;
  }
  let note = state.note;
  if (note === null && threads < state.requested && !nodeProcess()) {
    note =
      `TF.js's threaded build takes at most half of navigator.hardwareConcurrency ` +
      `(${typeof navigator === 'undefined' ? '?' : navigator.hardwareConcurrency}), one thread per core`;
  }
  return { threads, requested: state.requested, note };
}

/** The first line of an error's message. */
function firstLine(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return String(typeof message === 'string' ? message : err).split('\n')[0];
}

/** The Emscripten module of the threaded build, as far as this file uses it. */
interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): unknown;
  PThread?: {
    unusedWorkers: { terminate(): void }[];
    runningWorkers: { unref(): void }[];
    terminateAllThreads(): void;
  };
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<EmscriptenModule>;

interface WasmImports {
  env: Record<string, unknown>;
  [name: string]: unknown;
}

/** Starts TF.js's threaded SIMD build under node:worker_threads and a `BackendWasm` on it. */
async function startThreaded(pkg: WasmPackage, threads: number): Promise<tf.KernelBackend> {
  const proc = nodeProcess() as NodeProcess & { getBuiltinModule(name: string): unknown };
  const { createRequire } = proc.getBuiltinModule('node:module') as {
    createRequire(from: string): NodeRequire;
  };
  const { readFileSync } = proc.getBuiltinModule('node:fs') as { readFileSync(path: string): Uint8Array };
  const require = createRequire(import.meta.url);
  const mainScript = require.resolve(`${PKG}/wasm-out/tfjs-backend-wasm-threaded-simd.js`);
  const workerModule = require.resolve(`${PKG}/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js`);
  const binary = readFileSync(require.resolve(`${PKG}/dist/tfjs-backend-wasm-threaded-simd.wasm`));
  const factory = require(mainScript) as Factory;

  // Each pthread runs this module: it evaluates the worker script that the package ships as a string (as TF.js's
  // browser loader does from a blob), with a `require` of its own and the main script's path for importScripts.
  const worker = [
    `import { createRequire } from 'node:module';`,
    `const require = createRequire(${JSON.stringify(mainScript)});`,
    `const { wasmWorkerContents } = require(${JSON.stringify(workerModule)});`,
    // The string's "\n" escapes became newlines inside its string literals; put them back, as TF.js does.
    `new Function('require', '__filename', wasmWorkerContents.replace(/\\n/g, '\\\\n'))(require, ${JSON.stringify(mainScript)});`,
  ].join('\n');
  const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(worker)}`);
  // Emscripten's pool always starts 8 workers, each of which loads the whole module (about 0.1 s apiece), but the
  // thread pool takes only threads - 1 of them (the calling thread is the other one), from the end of the pool. The
  // others are stand-ins that only answer the pool's "load" and are freed once the backend runs; one that were ever
  // asked to run a thread fails loudly instead of leaving the pool waiting.
  const standIn = new URL(
    `data:text/javascript,${encodeURIComponent(
      [
        `import { parentPort } from 'node:worker_threads';`,
        `parentPort.on('message', (m) => {`,
        `  if (m && m.cmd === 'load') parentPort.postMessage({ cmd: 'loaded' });`,
        `  else throw new Error('cnn-activations: a stand-in wasm worker was asked to ' + (m && m.cmd));`,
        `});`,
      ].join('\n'),
    )}`,
  );
  let allocated = 0;

  const startupErrors: string[] = [];
  let started = false;
  let fail: (err: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  const config: Record<string, unknown> = {
    mainScriptUrlOrBlob: mainScript,
    locateFile: (file: string) => {
      if (!file.endsWith('.worker.js')) return file;
      allocated++;
      return allocated <= MAX_WASM_THREADS - (threads - 1) ? standIn : workerUrl;
    },
    printErr: (text: string) => {
      if (started) console.warn(text);
      else startupErrors.push(text);
    },
    instantiateWasm(
      imports: WasmImports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ) {
      // TF.js sizes its thread pool as min(asked, logical cores / 2), assuming two hardware threads per core; report
      // twice the count asked for so that the pool gets exactly that many.
      const env = { ...imports.env, emscripten_num_logical_cores: () => 2 * threads };
      const wasmImports = { ...imports, env, wasi_snapshot_preview1: env } as WebAssembly.Imports;
      WebAssembly.compile(binary as BufferSource)
        .then(async (module) => receive(await WebAssembly.instantiate(module, wasmImports), module))
        .catch(fail);
      return {};
    },
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${THREADED_START_TIMEOUT_MS / 1000} s`)),
      THREADED_START_TIMEOUT_MS,
    );
  });
  let module: EmscriptenModule;
  try {
    module = await Promise.race([factory(config), failed, timedOut]);
  } catch (err) {
    (config as Partial<EmscriptenModule>).PThread?.terminateAllThreads();
    const detail = startupErrors.length ? `; ${startupErrors.join('; ')}` : '';
    throw new Error(`${firstLine(err)}${detail}`);
  } finally {
    clearTimeout(timer);
  }
  started = true;
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  pkg.setThreadsCount(threads);
  const backend = new pkg.BackendWasm(module as never);
  const pool = module.PThread;
  if (pool) {
    // The thread pool's workers wait for work between kernels: they must not keep the process alive. The spare
    // workers of Emscripten's pool of 8 are never used (the thread pool is made once): free them.
    for (const w of pool.runningWorkers) w.unref();
    for (const w of pool.unusedWorkers.splice(0)) w.terminate();
  }
  return backend;
}
