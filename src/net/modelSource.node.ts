/**
 * Where a network's model files come from, in Node.js: a loader's `modelUrl` (a path, a `file:` or `http(s):` URL, a
 * directory holding model.json), its `ioHandler`, or the loader's default folder. Not exported from the package.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { rangeError } from '../internal/validate.js';
import { fileModelHandler } from './modelFiles.node.js';
import type { LoadNetworkOptions } from './types.js';

/** An IO handler for the model, and how to name its source in messages. */
export interface ModelSource {
  handler: tf.io.IOHandler;
  what: string;
}

/**
 * The IO handler for checked loader options (see `checkLoadOptions`).
 *
 * @param defaultPath The model.json (or its folder) used when neither `modelUrl` nor `ioHandler` is given.
 * @param hint What to do when the files are missing or broken; ends every such message.
 * @throws {RangeError} for a `modelUrl` with a scheme other than `file:`, `http:` or `https:`.
 */
export function modelSource(fn: string, opts: LoadNetworkOptions, defaultPath: string, hint: string): ModelSource {
  if (opts.ioHandler) return { handler: opts.ioHandler, what: 'the given ioHandler' };
  const url = opts.modelUrl;
  const text = url === undefined ? undefined : url instanceof URL ? url.href : url;
  if (text !== undefined && /^[a-z][a-z0-9+.-]+:/i.test(text) && !/^(https?|file):/i.test(text)) {
    throw rangeError(fn, 'options.modelUrl', 'a file path or a file:, http: or https: URL', url);
  }
  if (text !== undefined && /^https?:\/\//i.test(text)) {
    return { handler: tf.io.http(text, opts.onProgress ? { onProgress: opts.onProgress } : {}), what: text };
  }
  const file = text === undefined ? defaultPath : text.startsWith('file:') ? fileURLToPath(text) : path.resolve(text);
  return { handler: fileModelHandler(fn, file, hint, opts.onProgress), what: file };
}
