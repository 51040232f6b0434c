/**
 * The walkthrough's `[v, i] = max(max(max(act)))` followed by `act(:, :, :, i)`, on the device.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor, rangeError } from '../internal/validate.js';

const ACT_WHAT = 'a tensor [h, w, c] or [n, h, w, c]';

/**
 * Checks an activation tensor for `maxChannel`/`maxChannelIndex`: a live float32/int32 tensor of rank 3 or 4 with
 * no zero-length dimension.
 * @internal
 */
export function assertActivations(fn: string, act: unknown): tf.Tensor {
  const t = assertTensor(fn, 'act', act, { ranks: [3, 4], what: ACT_WHAT });
  if (t.size === 0) throw rangeError(fn, 'act', `a non-empty ${ACT_WHAT.slice(2)}`, t);
  return t;
}

/**
 * Finds, per image, the channel holding the largest value: returns `{ index, value }` where `index` is int32
 * (`[]` for `[h, w, c]`, `[n]` for `[n, h, w, c]`) and `value` has `act`'s dtype and the same shape. NaN is
 * ignored; ties go to the first channel; an image of only NaN gives index 0 and value NaN (as MATLAB's `max`).
 * Call inside a `tf.tidy`.
 *
 * Ties are resolved explicitly (smallest index among the channels equal to the maximum) rather than trusting
 * `tf.argMax`, whose tie-breaking is not specified across backends.
 * @internal
 */
export function strongestChannel(act: tf.Tensor): { index: tf.Tensor; value: tf.Tensor } {
  const batch = act.rank === 4 ? act : tf.expandDims(act, 0); // [n, h, w, c]
  const c = act.shape[act.rank - 1] as number;
  let perChannel: tf.Tensor; // [n, c]: each channel's maximum
  let value: tf.Tensor; // [n]
  if (batch.dtype === 'float32') {
    const nan = tf.isNaN(batch);
    // A full-size fill value: a scalar would be broadcast by a slow path on wasm.
    perChannel = tf.max(tf.where(nan, tf.fill(batch.shape, -Infinity), batch), [1, 2]);
    const best = tf.max(perChannel, 1);
    // NaN where an image holds nothing but NaN.
    const anyNumber = tf.any(tf.logicalNot(nan), [1, 2, 3]);
    value = tf.where(anyNumber, best, tf.fill(best.shape, NaN));
  } else {
    perChannel = tf.max(batch, [1, 2]);
    value = tf.max(perChannel, 1);
  }
  const isBest = tf.equal(perChannel, tf.expandDims(tf.max(perChannel, 1), 1));
  const channelNumbers: tf.Tensor = tf.range(0, c, 1, 'int32'); // [c], broadcast over n
  const index = tf.min(tf.where(isBest, channelNumbers, tf.scalar(c, 'int32')), 1); // [n] int32
  return act.rank === 4 ? { index, value } : { index: tf.reshape(index, []), value: tf.reshape(value, []) };
}

/**
 * The strongest channel of an activation map: the walkthrough's
 * `[maxValue, maxValueIndex] = max(max(max(act1)))` then `act1(:, :, :, maxValueIndex)`.
 *
 * - `[h, w, c]` → `[h, w]`: the channel that holds the global maximum of `act`.
 * - `[n, h, w, c]` → `[n, h, w]`: for each image, its own strongest channel.
 *
 * NaN values are ignored (MATLAB's `max` skips NaN); ties go to the first channel (lowest index), as MATLAB's `max`;
 * an image of only NaN gives channel 0. The channel is picked on the device (per-channel maximum, first channel equal
 * to the best, then a selection): nothing is read back, so the call is synchronous and composes, e.g.
 * `imresize(mat2gray(maxChannel(act)), [227, 227])`. Use {@link maxChannelIndex} to read the channel number and the
 * value.
 *
 * Returns a new tensor of `act`'s dtype, owned by the caller; `act` is neither disposed nor modified.
 *
 * @param act - float32 or int32 activations `[h, w, c]` (one image, as returned by `activations`) or `[n, h, w, c]`.
 * @returns `[h, w]` or `[n, h, w]`, same dtype as `act`.
 * @throws TypeError if `act` is not a live float32/int32 tensor.
 * @throws RangeError if `act` is not rank 3 or 4, or has a zero-length dimension.
 *
 * @example
 * const act1 = activations(net, im, 'conv1');   // [113, 113, 64]
 * const strongest = maxChannel(act1);          // [113, 113]: MATLAB's act1(:,:,:,maxValueIndex)
 * const shown = imresize(mat2gray(strongest), [227, 227]);
 */
export function maxChannel(act: tf.Tensor3D): tf.Tensor2D;
export function maxChannel(act: tf.Tensor4D): tf.Tensor3D;
export function maxChannel(act: tf.Tensor): tf.Tensor;
export function maxChannel(act: tf.Tensor): tf.Tensor {
  assertActivations('maxChannel', act);
  return tf.tidy('maxChannel', () => {
    const { index } = strongestChannel(act);
    if (act.rank === 3) {
      const [h, w] = act.shape;
      return tf.reshape(tf.gather(act, tf.reshape(index, [1]), 2), [h, w]);
    }
    // One channel per image, as one gather from the flat tensor: element (i, p, index[i]) sits at
    // (i * h * w + p) * c + index[i]. Not tf.gather with batchDims: the wasm backend of TF.js 4.22 reads wrong elements.
    const [n, h, w, c] = act.shape;
    const pixel = tf.reshape(tf.mul(tf.range(0, n * h * w, 1, 'int32'), tf.scalar(c, 'int32')), [n, h * w]);
    const flat = tf.add(pixel, tf.reshape(index, [n, 1]));
    return tf.reshape(tf.gather(tf.reshape(act, [-1]), tf.reshape(flat, [-1])), [n, h, w]);
  });
}
