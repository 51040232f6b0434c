/**
 * MATLAB's `im2double`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from '../internal/validate.js';

/**
 * MATLAB's `im2double(I)`: converts an image to floating point in the [0, 1] convention.
 *
 * - int32 input (this library's stand-in for MATLAB's uint8, values 0..255): returns `x / 255` as float32.
 *   Values outside 0..255 are divided as well, not clipped.
 * - float32 input (MATLAB's double/single): returned unchanged, as a new tensor (a copy). Values outside [0, 1]
 *   are kept, as in MATLAB.
 *
 * Any rank. Returns a new float32 tensor of the same shape, owned by the caller; the input is neither disposed nor
 * modified.
 *
 * @param x - an int32 (0..255) or float32 tensor of any rank.
 * @returns float32 tensor of `x`'s shape.
 * @throws TypeError if `x` is not a live float32 or int32 tensor.
 *
 * @example
 * im2double(tf.tensor([0, 51, 255], undefined, 'int32')); // float32 [0, 0.2, 1]
 */
export function im2double<T extends tf.Tensor>(x: T): T {
  assertTensor('im2double', 'x', x, { what: 'a tensor' });
  return tf.tidy('im2double', () => (x.dtype === 'int32' ? tf.div(tf.cast(x, 'float32'), 255) : tf.clone(x))) as T;
}
