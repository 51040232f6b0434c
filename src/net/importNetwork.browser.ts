/**
 * `importNetwork(source, options)` in browsers: a model.json URL (relative URLs resolve against the page), the files a
 * user chose or dropped on the page, or an IO handler.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { httpStatus } from '../internal/abortable.js';
import { checkImportOptions, type ImportNetworkOptions, importNetwork as load, importSource } from './importNetwork.js';
import { modelSource } from './modelSource.browser.js';
import type { Network } from './types.js';

const FN = 'importNetwork';

/**
 * Loads a user's TF.js model (a converted TensorFlow graph, or a Keras model, which needs @tensorflow/tfjs-layers),
 * detected from its model.json, and makes it a {@link Network} as {@link toNetwork} does. A network file written by
 * this library's model build (a built-in network's `model.json` in the package's `model/` folder) declares its
 * layer table and input itself and loads as its built-in loader loads it: options for the input are refused; a name
 * and class names may be given.
 *
 * If the program has registered no TF.js backend at all, one is started first, as `initBackend()` would start it.
 *
 * @param source The model.json URL (one ending in `/` names the model.json in that folder), or `indexeddb://name` or `localstorage://name` for a model a page saved in this
 *   browser's storage with TF.js (`model.save('indexeddb://name')`); the model's files a user chose or dropped
 *   (`input.files`, or an array of `File`s: the model.json and the weight files it lists, in any order; other files
 *   among them are left alone); or a TF.js IO handler.
 * @param options {@link ToNetworkOptions} (the normalization is required unless the file declares it), with the class
 *   names as an array or a labels file URL, plus `signal`, `timeoutMs` and `onProgress`.
 * @returns A promise of the Network; `net.dispose()` frees the model.
 * @throws {TypeError} for a bad source or options, a missing normalization, a model with several inputs left without a
 *   value or several outputs and none chosen.
 * @throws {RangeError} for an unknown normalization or class names that do not match the output.
 * @throws {Error} naming the URL or file when it cannot be read or is not a TF.js model, or the model.json or a weight
 *   file it lists when it is not among the files chosen.
 * @example
 * // A model the user picks on the page: its model.json and weight files, chosen together.
 * const input = document.querySelector<HTMLInputElement>('input[type=file][multiple]')!;
 * input.addEventListener('change', async () => {
 *   const net = await importNetwork(input.files!, { normalization: 'rescale-symmetric' });
 *   console.log(net.layerNames);
 * });
 */
export async function importNetwork(
  source: string | URL | tf.io.IOHandler | readonly File[] | FileList,
  options?: ImportNetworkOptions,
): Promise<Network> {
  const opts = checkImportOptions(FN, options);
  const src = importSource(FN, source, 'a model.json URL', (o) => modelSource(o, ''));
  return load(FN, src, opts, async (where, wait) => {
    const res = await wait.fetch(where instanceof URL ? where.href : where);
    if (!res.ok) throw new Error(httpStatus(res));
    return res.text();
  });
}
