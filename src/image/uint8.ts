/**
 * MATLAB's `uint8(x)` cast, on the device.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor } from '../internal/validate.js';

/**
 * The arithmetic of MATLAB's `uint8(double)` on a float32 tensor: NaN → 0, saturate to [0, 255], round half away
 * from zero; returns int32. Call inside a `tf.tidy`: intermediates are left to the caller's scope.
 *
 * Rounds as `floor(c) + (c - floor(c) >= 0.5)` on the clamped value `c` rather than `floor(c + 0.5)`: the latter
 * rounds 0.49999997 (the largest float32 below 0.5) up to 1, because `0.49999997 + 0.5` is not representable.
 * `c - floor(c)` is exact in float32, so the comparison sees the true fraction.
 *
 * @internal Not part of the package's API; shared with `im2uint8` and `imtile`.
 */
export function castToUint8(x: tf.Tensor): tf.Tensor {
  // int32 is clipped in float32 (exact: 0..255 are exact, everything else lands on 0 or 255). Not clipByValue on int32:
  // the wasm backend of TF.js 4.22 leaves int32 values above the maximum unclipped.
  if (x.dtype === 'int32') return tf.cast(tf.clipByValue(tf.cast(x, 'float32'), 0, 255), 'int32');
  // isNaN first: clipByValue's NaN handling differs between backends (cpu keeps NaN, wasm gives 0).
  const finite = tf.where(tf.isNaN(x), tf.zerosLike(x), x);
  const clamped = tf.clipByValue(finite, 0, 255);
  const whole = tf.floor(clamped);
  const up = tf.cast(tf.greaterEqual(tf.sub(clamped, whole), 0.5), 'float32');
  return tf.cast(tf.add(whole, up), 'int32');
}

/**
 * MATLAB's `uint8(x)`: converts numbers to 8-bit unsigned integers the way MATLAB casts a `double`. Values are
 * rounded to the nearest integer with ties away from zero (2.5 → 3, 3.5 → 4), saturated to [0, 255]
 * (−0.5 → 0, 300 → 255, ±Inf → 255/0) and NaN becomes 0. The result is an int32 tensor holding 0..255, this
 * library's stand-in for MATLAB's uint8 class.
 *
 * This is what MATLAB does to each double operand of `cat(4, im, D, ...)` when `im` is uint8, e.g. the
 * walkthrough's `cat(4, im, channelsOpen*255, ...)`.
 *
 * - float32 input of any shape: rounded and saturated as above.
 * - int32 input of any shape: saturated to [0, 255] (MATLAB's `uint8` of an integer class).
 *
 * Returns a new int32 tensor of the same shape, owned by the caller; the input is neither disposed nor modified.
 *
 * @param x - a float32 or int32 tensor of any rank.
 * @returns int32 tensor of `x`'s shape with values in 0..255.
 * @throws TypeError if `x` is not a live float32 or int32 tensor.
 *
 * @example
 * uint8(tf.tensor([2.5, 3.5, -0.5, 254.5, NaN, 300])); // int32 [3, 4, 0, 255, 0, 255]
 */
export function uint8(x: tf.Tensor): tf.Tensor {
  assertTensor('uint8', 'x', x, { what: 'a tensor' });
  return tf.tidy('uint8', () => castToUint8(x));
}
