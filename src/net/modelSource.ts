/**
 * What a network loader's model source is, on every platform: `modelSource.node.ts` and `modelSource.browser.ts`
 * make one from the loader's options. Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What a download may use: the wait's `fetch` and signal, and the guarded progress callback. */
export interface SourceContext {
  fetch: typeof fetch;
  signal: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** Where the model comes from: how to name it in messages, and how to open an IO handler for it. */
export interface ModelSource {
  what: string;
  open(ctx: SourceContext): tf.io.IOHandler;
}
