/**
 * `predict(net, X)`: MATLAB's `scores = predict(net, X)` and `minibatchpredict(net, X)`, the network's output (or any
 * layers' with `outputs`) for a batch of images, one row per image.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageInput } from '../io/imageInput.js';
import { type ActivationsOptions, type LayerOf, layerActivations } from './activations.js';
import { classCount, givesClassScores } from './classes.js';
import { resolveTarget } from './graph.js';
import type { Network } from './types.js';

/** Options of {@link predict}. */
export interface PredictOptions<N = Network> extends Omit<ActivationsOptions, 'outputAs'> {
  /**
   * The layers whose outputs to give (MATLAB's `Outputs`): a layer name or 0-based index, or an array of them, all
   * computed in one pass; `'name:k'` for output k of a layer of several outputs.
   * @default the network's output, its last layer
   */
  outputs?: LayerOf<N> | readonly LayerOf<N>[];
}

const FN = 'predict';

/**
 * The network's output for one image or a batch, MATLAB's `scores = predict(net, X)` and
 * `minibatchpredict(net, X, MiniBatchSize=…)`, which R2024a recommends over `classify` and `activations`: every
 * result has the batch axis first, also for one image, so that row i is image i.
 *
 * - The network's output, when it gives one score per class (`net.classNames`), comes as `[n, k]`, one row of k
 *   scores per image (MATLAB's N×K), also where its layer is `[1, 1, k]` per image; `scores2label` turns the rows into
 *   labels. Any other output, and every layer asked for by `outputs`, comes as `[n, ...layer.outputSize]`:
 *   `[n, h', w', c]` for maps, as `activations` gives a batch.
 * - Images of the network's input size (`net.inputSize`), as MATLAB's `predict` takes them, or of any size with
 *   `{ resize: true }`; `activations` runs other sizes through a network's convolutional layers as they are.
 * - The image forms, `resize`, `miniBatchSize` (MATLAB's `MiniBatchSize`, default 128), `nonFinite` and `onProgress`
 *   are those of {@link activations}, which this runs; `outputs` takes the layers it takes.
 *
 * @param net A loaded network (a built-in one, or a user's model from `toNetwork` / `importNetwork`).
 * @param img An image `[h, w, 3]`, `[h, w]` or `[h, w, 1]`, a batch `[n, h, w, 3|1]` (int32 0..255 or float32 on the
 *   same scale), or any other {@link ImageInput}.
 * @param options `outputs`, and the options of `activations` but `outputAs`.
 * @returns float32 tensors that the caller owns (one per layer of an `outputs` array, in order); `img` is neither
 *   modified nor disposed.
 * @throws {TypeError} for a `net` that is not a network (a plain `tf.GraphModel` or `LayersModel`: make it one with
 *   `toNetwork`), a disposed one, or an image that is not one.
 * @throws {RangeError} for an image of another size than the input size without `resize`, and as {@link activations}
 *   throws, naming `options.outputs` where it names a layer.
 * @example
 * const scores = predict(net, batch);                                       // float32 [n, k]
 * const { labels } = await scores2label(scores, net.classNames);            // labels[i] is image i's class
 * const [maps, out] = predict(net, batch, { outputs: [3, net.layers.length - 1] }); // [n, h', w', c], [n, k]
 */
export function predict<N extends Network>(
  net: N,
  img: ImageInput,
  options?: PredictOptions<N> & { outputs?: LayerOf<N> },
): tf.Tensor;
export function predict<N extends Network>(
  net: N,
  img: ImageInput,
  options: PredictOptions<N> & { outputs: readonly LayerOf<N>[] },
): tf.Tensor[];
export function predict(net: Network, img: ImageInput, options?: PredictOptions): tf.Tensor | tf.Tensor[] {
  const network = resolveTarget(FN, net, false).net!;
  const output = network.layerNames[network.layerNames.length - 1];
  const given = typeof options === 'object' && options !== null && Object.hasOwn(options, 'outputs');
  const outputs = given ? (options as PredictOptions).outputs : undefined;
  return layerActivations(FN, network, img, outputs === undefined ? output : outputs, options, {
    layerArg: 'options.outputs',
    inputSize: true,
    optionNames: ['outputs', 'resize', 'nonFinite', 'miniBatchSize', 'onProgress'],
    finish: (r, name, batched) => {
      const rows = batched ? r : tf.expandDims(r, 0);
      if (rows !== r) r.dispose();
      // The network's output as one row of class scores per image (MATLAB's N×K), also from `[1, 1, k]` maps.
      const perImage = rows.shape.slice(1);
      if (name !== output || perImage.length === 1 || !givesClassScores(network, perImage)) return rows;
      const scores = tf.reshape(rows, [rows.shape[0], classCount(network)]);
      rows.dispose();
      return scores;
    },
  });
}
