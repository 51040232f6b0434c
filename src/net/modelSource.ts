/**
 * What a network loader's model source is, on every platform: `modelSource.node.ts` and `modelSource.browser.ts`
 * make one from the loader's options. Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { httpStatus } from '../internal/abortable.js';

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

/**
 * `fetch` for TF.js's HTTP handler (`tf.io.http`) that fails on an error status for any file but `modelUrl`, naming
 * the status and the file, and on a weight file asked for twice. TF.js checks model.json's status itself, but reads
 * a weight file's error page (a 404's body) as weights, and the load then fails, if at all, on a byte count that
 * hides which file was missing.
 */
export function weightsFetch(fetchFn: typeof fetch, modelUrl: string): typeof fetch {
  const fetched = new Set<string>();
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    // A weight file listed many times would be downloaded, and held, that many times before the byte count is checked.
    if (url !== modelUrl && fetched.has(url)) throw new Error(`its weightsManifest lists the weight file ${url} twice`);
    fetched.add(url);
    const res = await fetchFn(input, init);
    if (!res.ok && url !== modelUrl) {
      throw new Error(`${httpStatus(res)} for the weight file ${url}`);
    }
    return res;
  };
}
