/**
 * Starting a backend: loads its package (which registers it with tfjs-core) and activates it, checking what TF.js
 * reports and giving up on a start that never settles. The third step of `initBackend`, after probing
 * (`probeBackends.ts`) and ranking (`rankBackends.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backendNames.js';
import { firstLine } from './probeBackends.js';
import { guardBackends } from './backendGuards.js';
import { packagedWasmPaths } from './wasmFiles.js';
import { nodeProcess, prepareWasmThreads, type WasmPackage } from './wasmThreads.js';
import { installWebGPUKernelFixes } from './webgpuKernelFixes.js';

/** How long a backend may take to start before initBackend passes it over. */
export const START_TIMEOUT_MS = 30_000;

/** Where the wasm backend finds its `.wasm` files: a directory URL, or a URL for each file. */
export type WasmPaths =
  | string
  | Readonly<
      Record<'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm', string>
    >;

/** The `.wasm` files of `@tensorflow/tfjs-backend-wasm`, the keys of a `wasmPaths` map. */
export const WASM_FILES: readonly (keyof Exclude<WasmPaths, string>)[] = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

/**
 * Keeps the cpu backend's "install our node backend" banner off the console. The cpu backend prints it in Node the
 * first time it stores data, pointing at @tensorflow/tfjs-node, which this library does not use (its backends are
 * cpu, wasm and WebGPU): misleading noise for users of the library, the walkthrough and the CLI. Clears the
 * backend's private `firstUse` flag, which only gates that message; an instance that is not there yet, or that lacks
 * the flag, is left alone.
 */
export function quietCpuBanner(): void {
  // Other backends use the cpu backend for small tensors (webgpu) when its package is loaded: start it now, so that
  // its flag can be cleared before it first speaks.
  if (!tf.engine().registry.cpu && tf.findBackendFactory('cpu')) tf.engine().findBackend('cpu');
  const cpu = tf.engine().registry.cpu as { firstUse?: unknown } | undefined;
  if (cpu && cpu.firstUse === true) cpu.firstUse = false;
}

/** Where the wasm backend was told to find its binaries, for the message when it cannot start. */
let wasmSource = '';

/**
 * Loads the package of `backend` (registering it with tfjs-core) and, for wasm, sets up its threads; returns why it
 * could not, or null.
 */
export async function loadBackend(backend: BackendName, wasmPaths?: WasmPaths, threads = 1): Promise<string | null> {
  try {
    switch (backend) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        // Only before the backend starts: afterwards the paths are moot (and after a failed start, TF.js throws).
        // In a browser, by default, the package's own copies of the binaries (which a bundler emits with the app).
        const paths = wasmPaths ?? (nodeProcess() ? null : packagedWasmPaths(wasm.version_wasm));
        if (paths && !tf.engine().registry.wasm) wasm.setWasmPaths(paths as string | Record<string, string>);
        wasmSource = paths
          ? typeof paths === 'string'
            ? paths
            : paths['tfjs-backend-wasm-simd.wasm']
          : "next to the wasm backend's own script";
        prepareWasmThreads(wasm as unknown as WasmPackage, threads, wasmPaths !== undefined);
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
  const listeners = processListeners();
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
    listeners.restore();
  }
  if (ok === TIMED_OUT) {
    return `tf.setBackend('${backend}') did not settle within ${timeoutMs / 1000} s (for wasm in a bundle: check wasmPaths, and that the backend's code is not minified when threads are on)`;
  }
  if (ok === true) {
    guardBackends();
    return null;
  }
  const where =
    backend === 'wasm' && !nodeProcess()
      ? `; its .wasm files were looked for at ${wasmSource}: serve them there, or pass initBackend({ wasmPaths })`
      : '';
  return `tf.setBackend('${backend}') returned ${String(ok)}: its initialisation failed (TF.js logs the cause as a warning)${where}`;
}

interface ProcessEvents {
  listeners(event: string): ((...args: unknown[]) => void)[];
  removeListener(event: string, listener: (...args: unknown[]) => void): void;
}

/**
 * Snapshots the process's `uncaughtException` and `unhandledRejection` listeners; `restore()` removes any added since
 * (in a browser, both do nothing). The wasm backend's Emscripten runtime adds listeners that rethrow, which would turn
 * any later unhandled rejection or exception of the user's program into a crash with exit code 7 and a dump of the
 * backend's minified code, instead of Node's own report.
 */
export function processListeners(): { restore(): void } {
  const proc = nodeProcess() as (ProcessEvents & object) | null;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(proc?.listeners(e) ?? [])]));
  return {
    restore() {
      if (!proc) return;
      for (const e of events) {
        for (const l of proc.listeners(e)) if (!before.get(e)?.has(l)) proc.removeListener(e, l);
      }
    },
  };
}
