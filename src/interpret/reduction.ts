/**
 * The class score that the gradient methods differentiate (`gradCAM`, `gradientAttribution`): a reduction layer's
 * value at a class, or what a `reductionFcn` makes of its output (MATLAB's `ReductionLayer` and `reductionFcn`).
 * Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isTensor, typeError } from '../internal/validate.js';
import { classCount, givesClassScores, resolveClasses } from '../net/classes.js';
import { type GraphTarget, type LayerRef, resolveLayer } from '../net/graph.js';
import type { Network } from '../net/types.js';

/** The options every gradient method takes for its score. */
export interface ReductionOptions {
  reductionLayer?: LayerRef;
  reductionFcn?: (output: tf.Tensor) => tf.Tensor;
}

/** The score to differentiate: the classes of `classOrLabel`, or `null` where `reductionFcn` gives the score. */
export interface Reduction {
  /** The reduction layer's name. */
  layer: string;
  target: { classes: number[]; several: boolean } | null;
  reductionFcn: ((output: tf.Tensor) => tf.Tensor) | undefined;
}

/**
 * The reduction layer (by default the last softmax layer, else the last layer) and the classes, checked.
 * @throws {TypeError} for a `reductionFcn` that is not a function, or `classOrLabel` null without one;
 *   {RangeError} for an unknown layer or class.
 */
export function resolveReduction(fn: string, t: GraphTarget, classOrLabel: unknown, opts: ReductionOptions): Reduction {
  const network = t.net as Network;
  const reductionFcn = opts.reductionFcn;
  if (reductionFcn !== undefined && typeof reductionFcn !== 'function') {
    throw typeError(fn, 'options.reductionFcn', 'a function (output: tf.Tensor) => tf.Tensor', reductionFcn);
  }
  if (classOrLabel === null && !reductionFcn) {
    throw new TypeError(
      `${fn}: expected 'classOrLabel' to be a 0-based class index (integer) or a class name (string), got null; ` +
        'null is for a network whose output options.reductionFcn reduces to one score per image',
    );
  }
  const target = reductionFcn ? null : resolveClasses(fn, network, classOrLabel);
  const layers = network.layers;
  const softmaxes = layers.filter((l) => l.type === 'Softmax');
  const layer =
    opts.reductionLayer === undefined
      ? (softmaxes[softmaxes.length - 1] ?? layers[layers.length - 1]).name
      : resolveLayer(fn, t, opts.reductionLayer, 'options.reductionLayer');
  return { layer, target, reductionFcn };
}

/**
 * Checks that the reduction layer gives one score per class where a class picks one of its values (no
 * `reductionFcn`). `shape` is its output size per image for the image at hand, where known.
 * @throws {RangeError} naming the layer, its size and `options.reductionFcn`.
 */
export function assertClassScores(
  fn: string,
  network: Network,
  reduction: Reduction,
  shape: readonly number[] | null | undefined,
): void {
  if (!reduction.reductionFcn && shape != null && !givesClassScores(network, shape)) {
    throw new RangeError(
      `${fn}: expected 'options.reductionLayer' to give one score per class (${classCount(network)} values), got '${reduction.layer}' ([${shape.join(', ')}]); reduce its output to one score per image with 'options.reductionFcn'`,
    );
  }
}

/**
 * The sum over the `n` images of their score: the reduction layer's `output` at class `cls`, or the sum of what
 * `reductionFcn` gives (`cls` null). Its gradient is each image's score's, as the images do not mix.
 */
export function summedScore(reduction: Reduction, output: tf.Tensor, n: number, cls: number | null): tf.Tensor {
  if (reduction.reductionFcn || cls === null) {
    return tf.sum((reduction.reductionFcn as (o: tf.Tensor) => tf.Tensor)(output));
  }
  return tf.sum(tf.slice(tf.reshape(output, [n, -1]), [0, cls], [n, 1]));
}

/**
 * Checks on a forward pass that `reductionFcn` gives one score for each of the `n` images: nothing may throw inside
 * `tf.grad`, which would leave its tape behind. `forward` computes the reduction layer's output.
 * @throws {TypeError} naming the option and the count expected.
 */
export function assertReductionFcn(fn: string, reduction: Reduction, forward: () => tf.Tensor, n: number): void {
  const reduce = reduction.reductionFcn;
  if (!reduce) return;
  const count = tf.tidy(() => {
    const s = reduce(forward());
    return isTensor(s) ? s.size : -1;
  });
  if (count !== n) {
    throw new TypeError(`${fn}: 'options.reductionFcn' must return one score per image, a tensor of ${n} values`);
  }
}
