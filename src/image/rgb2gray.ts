/**
 * MATLAB's `rgb2gray`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor, rangeError } from '../internal/validate.js';

/**
 * MATLAB's weights of R, G and B: the first row of the inverse of the NTSC (YIQ) matrix, which MATLAB's documentation
 * rounds to 0.2989, 0.5870 and 0.1140.
 */
const WEIGHTS = [0.298936021293775, 0.587043074451121, 0.114020904255103];

const WHAT = 'an RGB image [h, w, 3] or a batch of them [n, h, w, 3]';

/**
 * MATLAB's `rgb2gray(RGB)`: the luminance of an RGB image, `0.2989 R + 0.5870 G + 0.1140 B`, for a network that
 * takes gray images (a model whose input has one channel refuses an RGB one, as MATLAB's does).
 *
 * - int32 input (this library's stand-in for MATLAB's uint8, values 0..255): rounded to the nearest whole number
 *   (halves away from zero), int32, as MATLAB rounds a uint8 result.
 * - float32 input (MATLAB's double/single): float32, unrounded.
 *
 * Returns a new tensor owned by the caller; the input is neither disposed nor modified.
 *
 * @param rgb - an RGB image `[h, w, 3]`, or a batch of them `[n, h, w, 3]`, int32 (0..255) or float32.
 * @returns the gray image `[h, w]` (MATLAB's m×n), or the batch `[n, h, w, 1]` (a batch of gray images as networks
 *   take them), of `rgb`'s dtype.
 * @throws {TypeError} for anything but a live int32 or float32 tensor; {RangeError} for another rank or channel count.
 *
 * @example
 * const face = await imread('face.png');                     // [h, w, 3] int32
 * const scores = await classify(emotionNet, rgb2gray(face)); // MATLAB: classify(net, rgb2gray(I))
 */
export function rgb2gray(rgb: tf.Tensor3D): tf.Tensor2D;
export function rgb2gray(rgb: tf.Tensor4D): tf.Tensor4D;
/** An image of a rank known only when it runs (`imread`'s `Tensor3D | Tensor2D`): checked then. */
export function rgb2gray(rgb: tf.Tensor): tf.Tensor;
export function rgb2gray(rgb: tf.Tensor): tf.Tensor {
  const x = assertTensor('rgb2gray', 'rgb', rgb, { ranks: [3, 4], what: WHAT });
  if (x.shape[x.rank - 1] !== 3) throw rangeError('rgb2gray', 'rgb', WHAT, x);
  return tf.tidy('rgb2gray', () => {
    const luma = tf.sum(tf.mul(tf.cast(x, 'float32'), tf.tensor1d(WEIGHTS)), -1, x.rank === 4);
    if (x.dtype === 'float32') return luma;
    // Halves away from zero, as MATLAB rounds (tf.round rounds them to even).
    return tf.cast(tf.mul(tf.sign(luma), tf.floor(tf.add(tf.abs(luma), 0.5))), 'int32');
  });
}
