/**
 * Where a network's model files come from, in browsers: a loader's `modelUrl` (fetched over HTTP(S); relative URLs
 * resolve against the page), its `ioHandler`, or the loader's default URL. Not exported from the package.
 */
import { httpHandler, type ModelSource } from './modelSource.js';
import type { LoadNetworkOptions } from './types.js';

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
  return {
    what: url,
    open: (ctx) => httpHandler(url, ctx, weights),
  };
}
