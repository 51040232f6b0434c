/**
 * `importNetwork(source, options)` for Node.js: a model.json path, directory, `file:` or `http(s):` URL, or an IO
 * handler.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { httpStatus } from '../internal/abortable.js';
import { readRegularFile } from '../internal/files.node.js';
import { checkImportOptions, type ImportNetworkOptions, importNetwork as load, importSource } from './importNetwork.js';
import { modelSource } from './modelSource.node.js';
import type { Network } from './types.js';

const FN = 'importNetwork';
const HINT = 'check the path or URL of the model.json';

/**
 * Loads a user's TF.js model from its files, a converted TensorFlow graph (`format: 'graph-model'`) or a Keras model
 * (`'layers-model'`, which needs @tensorflow/tfjs-layers), detected from the file, and makes it a {@link Network}
 * as {@link toNetwork} does. A network file written by this library's model build (a built-in network's `model.json`
 * in the package's `model/` folder) declares its layer table and input itself and loads as its built-in loader loads
 * it: options for the input are refused; a name and class names may be given.
 *
 * If the program has registered no TF.js backend at all, one is started first, as `initBackend()` would start it.
 *
 * @param source Where `model.json` is (its weight files beside it): a path, a directory holding it, a `file:` or
 *   `http(s):` URL (one ending in `/` names the model.json in that folder); the model's files as `File` objects (the
 *   model.json and the weight files it lists, in any order); or a TF.js IO handler (e.g. `tf.io.fromMemory(...)`).
 * @param options {@link ToNetworkOptions} (the normalization is required unless the file declares it), with the class
 *   names as an array or a labels file (JSON array or one per line), plus `signal`, `timeoutMs` and `onProgress`.
 * @returns A promise of the Network; `net.dispose()` frees the model.
 * @throws {TypeError} for a bad source or options, a missing normalization, a model with several inputs left without a
 *   value or several outputs and none chosen, a Keras 3 model file this library cannot rewrite into Keras 2's format (a
 *   nested model, say), naming the layer.
 * @throws {RangeError} for an unknown normalization or class names that do not match the output.
 * @throws {Error} naming the file when it cannot be read or is not a TF.js model.
 * @example
 * const net = await importNetwork('models/mobilenet_v2/model.json', {
 *   normalization: 'rescale-symmetric',
 *   classNames: 'models/mobilenet_v2/labels.txt',
 * });
 */
export async function importNetwork(
  source: string | URL | tf.io.IOHandler | readonly File[] | FileList,
  options?: ImportNetworkOptions,
): Promise<Network> {
  const opts = checkImportOptions(FN, options);
  const src = importSource(FN, source, 'a model.json path or URL', (o) => modelSource(FN, o, '', HINT, 'source'));
  return load(FN, src, opts, async (where, wait) => {
    const text = where instanceof URL ? where.href : where;
    if (/^https?:\/\//i.test(text)) {
      const res = await wait.fetch(text);
      if (!res.ok) throw new Error(httpStatus(res));
      return res.text();
    }
    const file = text.startsWith('file:') ? fileURLToPath(text) : path.resolve(text);
    return (await readRegularFile(FN, file, `the labels file ${file}`, wait.signal)).toString('utf8');
  });
}
