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
