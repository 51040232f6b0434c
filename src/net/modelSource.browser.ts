/**
 * Where a network's model files come from, in browsers: a loader's `modelUrl` (fetched over HTTP(S); relative URLs
 * resolve against the page; `indexeddb://` and `localstorage://` read the browser's storage), its `ioHandler`, or the
 * loader's default URL. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { httpHandler, type ModelSource, modelJsonUrl } from './modelSource.js';
import type { LoadNetworkOptions } from './types.js';

/**
 * TF.js's names for a model a page saved in the browser's own storage (`model.save('indexeddb://name')`, or
 * `localstorage://`), read through TF.js's own handlers; `downloads://` only saves.
 */
const STORAGE = /^(indexeddb|localstorage|downloads):\/\//;

/** The handler that reads `url`, a model in the browser's storage ({@link STORAGE}); its load says what is wrong. */
function storageHandler(url: string, scheme: string): tf.io.IOHandler {
  let why: string;
  if (scheme === 'downloads') {
    why =
      'downloads:// saves a model as files that the browser downloads, and loads none; give those files (the ' +
      "model.json and its weight files, as a page's file input gives them) or their URL";
  } else {
    try {
      // TF.js's handler refuses an empty name as it is made.
      const [handler] = tf.io.getLoadHandlers(url);
      if (handler?.load) return handler;
      why = `this page has no ${scheme} storage that TF.js can read`;
    } catch (err) {
      why = err instanceof Error ? err.message : String(err);
    }
  }
  return {
    load: async () => {
      throw new Error(why);
    },
  };
}

/**
 * The source of a model for checked loader options (see `checkLoadOptions`).
 *
 * @param defaultUrl The model.json URL used when neither `modelUrl` nor `ioHandler` is given.
 * @param defaultWeights The URLs of the default model's weight files by the names its model.json gives them, for
 *   a bundler that renamed and moved them (a file not listed resolves against the model.json URL, as usual).
 */
export function modelSource(
  opts: LoadNetworkOptions,
  defaultUrl: string,
  defaultWeights: Readonly<Record<string, string>> = {},
): ModelSource {
  const { ioHandler } = opts;
  if (ioHandler) return { what: 'the given ioHandler', open: () => ioHandler };
  const isDefault = opts.modelUrl === undefined;
  const url = isDefault ? defaultUrl : opts.modelUrl instanceof URL ? opts.modelUrl.href : (opts.modelUrl as string);
  const weights = isDefault ? defaultWeights : {};
  const storage = STORAGE.exec(url);
  if (storage) return { what: url, open: () => storageHandler(url, storage[1]) };
  const json = modelJsonUrl(url);
  return {
    what: json,
    open: (ctx) => httpHandler(json, ctx, weights),
  };
}
