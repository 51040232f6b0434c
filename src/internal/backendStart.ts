/**
 * A TF.js backend for the functions that make tensors from nothing of TF.js's own (an image file, a colormap's name).
 * TF.js alone fails there with a bare "No backend found in registry." when the program registered no backend and
 * skipped `initBackend()`. The entry files register the starter (`backend/initBackend.ts`'s `ensureBackend`), since
 * `io/` and `image/` may not import `backend/`.
 */
import * as tf from '@tensorflow/tfjs-core';

let starter: (() => Promise<void>) | undefined;

/** Registers what starts a backend when none is registered. Called by the entry files at load. @internal */
export function setBackendStarter(start: () => Promise<void>): void {
  starter = start;
}

/** Whether the program has no TF.js backend at all: none running and none registered to start. */
export function noBackend(): boolean {
  const engine = tf.engine();
  return engine.backendName == null && Object.keys(engine.registryFactory).length === 0;
}

/** Starts a backend as `initBackend()` would when the program has none; else does nothing. */
export async function backendReady(fn: string): Promise<void> {
  if (!noBackend()) return;
  if (starter) await starter();
  else assertBackend(fn);
}

/** For a synchronous function: an Error that says what to do when the program has no backend at all. */
export function assertBackend(fn: string): void {
  if (noBackend()) {
    throw new Error(
      `${fn}: no TF.js backend is registered; start one first with \`await initBackend()\` (or import one, such as ` +
        "'@tensorflow/tfjs-backend-cpu')",
    );
  }
}
