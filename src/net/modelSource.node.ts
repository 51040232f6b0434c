/**
 * Where a network's model files come from, in Node.js: a loader's `modelUrl` (a path, a `file:` or `http(s):` URL, a
 * directory holding model.json), its `ioHandler`, or the loader's default folder. Not exported from the package.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rangeError } from '../internal/validate.js';
import { fileModelHandler } from './modelFiles.node.js';
import { httpHandler, type ModelSource, modelJsonUrl } from './modelSource.js';
import type { LoadNetworkOptions } from './types.js';

/**
 * The source of a model for checked loader options (see `checkLoadOptions`).
 *
 * @param defaultPath The model.json (or its folder) used when neither `modelUrl` nor `ioHandler` is given.
 * @param hint What to do when the files are missing or broken; ends every such message.
 * @param arg What the caller calls `modelUrl`, for messages.
 * @throws {RangeError} for a `modelUrl` with a scheme other than `file:`, `http:` or `https:`.
 */
export function modelSource(
  fn: string,
  opts: LoadNetworkOptions,
  defaultPath: string,
  hint: string,
  arg = 'options.modelUrl',
): ModelSource {
  const { ioHandler } = opts;
  if (ioHandler) return { what: 'the given ioHandler', open: () => ioHandler };
  const url = opts.modelUrl;
  const text = url === undefined ? undefined : url instanceof URL ? url.href : url;
  if (text !== undefined && /^[a-z][a-z0-9+.-]+:/i.test(text) && !/^(https?|file):/i.test(text)) {
    const err = rangeError(fn, arg, 'a file path or a file:, http: or https: URL', url);
    const storage = /^(indexeddb|localstorage):\/\//i.exec(text);
    if (!storage) throw err;
    // TF.js's names for a browser's own storage, where a page saved a model (model.save('indexeddb://name')).
    throw new RangeError(
      `${err.message}; ${storage[1].toLowerCase()}:// names a model saved in a browser's storage, which Node.js ` +
        "does not have: load it there, or save the model's files and give their path",
    );
  }
  if (text !== undefined && /^https?:\/\//i.test(text)) {
    const json = modelJsonUrl(text);
    return {
      what: json,
      open: (ctx) => httpHandler(json, ctx),
    };
  }
  const file = text === undefined ? defaultPath : text.startsWith('file:') ? fileURLToPath(text) : path.resolve(text);
  return { what: file, open: (ctx) => fileModelHandler(fn, file, hint, ctx.onProgress, ctx.signal) };
}
