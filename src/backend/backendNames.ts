/**
 * The names of the TF.js backends this library can start: the one list that the API, the option checks, the CLI and
 * the examples read (a new backend is added here first).
 */

/** Every backend name, in the default order of preference (fastest first where each is real hardware). */
export const BACKEND_NAMES = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** The TF.js backends this library knows how to start. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Whether `value` is one of {@link BACKEND_NAMES}. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_NAMES as readonly string[]).includes(value);
}

/**
 * The most threads the wasm backend can run: the size of the worker pool that TF.js's threaded build creates, which
 * is also the most its thread pool takes. `initBackend`'s `threads` option and the CLI's `--threads` check it.
 */
export const MAX_WASM_THREADS = 8;
