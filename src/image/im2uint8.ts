/**
 * MATLAB's `im2uint8`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from '../internal/validate.js';
import { castToUint8 } from './uint8.js';

/**
 * MATLAB's `im2uint8(I)`: converts an image to 8-bit values 0..255.
 *
 * - float32 input (MATLAB's double, [0, 1] convention): `uint8(255 * x)`, i.e. scaled by 255, rounded half away
 *   from zero, saturated to [0, 255], NaN → 0. Example: [0.5, 0.50196, −0.1, 1.2, NaN] → [128, 128, 0, 255, 0].
 * - int32 input (already this library's uint8 stand-in): returned unchanged, as a new tensor (a copy).
 *
 * The product `255 * x` is formed in float32 (MATLAB forms it in double); the two can round differently only for
 * values within one float32 ulp of a half-integer boundary.
 *
 * Any rank. Returns a new int32 tensor of the same shape, owned by the caller; the input is neither disposed nor
 * modified.
 *
 * @param x - a float32 or int32 tensor of any rank.
 * @returns int32 tensor of `x`'s shape with values in 0..255 (for float32 input).
 * @throws TypeError if `x` is not a live float32 or int32 tensor.
 *
 * @example
 * im2uint8(tf.tensor([0.5, 0.50196, -0.1, 1.2, NaN])); // int32 [128, 128, 0, 255, 0]
 */
export function im2uint8<T extends tf.Tensor>(x: T): T {
  assertTensor('im2uint8', 'x', x, { what: 'a tensor' });
  return tf.tidy('im2uint8', () => (x.dtype === 'int32' ? tf.clone(x) : castToUint8(tf.mul(x, 255)))) as T;
}
