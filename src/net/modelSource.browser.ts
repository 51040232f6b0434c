/**
 * Where a network's model files come from, in browsers: a loader's `modelUrl` (fetched over HTTP(S); relative URLs
 * resolve against the page), its `ioHandler`, or the loader's default URL. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LoadNetworkOptions } from './types.js';

/** An IO handler for the model, and how to name its source in messages. */
export interface ModelSource {
  handler: tf.io.IOHandler;
  what: string;
}

/**
 * The IO handler for checked loader options (see `checkLoadOptions`).
 *
 * @param defaultUrl The model.json URL used when neither `modelUrl` nor `ioHandler` is given.
 */
export function modelSource(opts: LoadNetworkOptions, defaultUrl: string): ModelSource {
  if (opts.ioHandler) return { handler: opts.ioHandler, what: 'the given ioHandler' };
  const url =
    opts.modelUrl === undefined ? defaultUrl : opts.modelUrl instanceof URL ? opts.modelUrl.href : opts.modelUrl;
  return { handler: tf.io.http(url, opts.onProgress ? { onProgress: opts.onProgress } : {}), what: url };
}
