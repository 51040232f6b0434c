/**
 * MATLAB's `mat2gray`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { listArg } from '../internal/limits.js';
import { assertTensor, describeValue } from '../internal/validate.js';

/**
 * MATLAB's `mat2gray(A)` / `mat2gray(A, [amin amax])`: rescales values linearly so that `amin` maps to 0 and `amax`
 * to 1, clipping everything outside to [0, 1].
 *
 * Follows MATLAB's `mat2gray.m` exactly:
 * - Limits: when `limits` is not given, `amin`/`amax` are the minimum and maximum over the **whole** tensor (all
 *   channels and frames together, NaN ignored), computed on the device.
 * - Formula: MATLAB's `delta * a + (-amin * delta)` with `delta = 1 / (amax - amin)`, computed as
 *   `(a - amin) * delta`, which in float32 stays within float32's rounding of MATLAB's double result even for data far
 *   from zero relative to its range; then clipped to exactly [0, 1]. int32 data subtracts its minimum in int32, so
 *   values above 2^24 keep their order (`[16777216, 16777217]` → `[0, 1]`, as MATLAB) on the cpu and wasm
 *   backends; GPU shaders (WebGPU, WebGL) compute int32 in float32, so there such values keep float32's precision.
 * - Constant input (`amax == amin`, or equal limits): the values themselves, clipped to [0, 1] (5 → 1, 0.3 → 0.3,
 *   −2 → 0).
 * - `limits` with `amin > amax` inverts the mapping (`[4, 1]`: 4 → 0, 1 → 1).
 * - NaN elements map to 1 (MATLAB's `min(NaN, 1)` is 1).
 * - ±Inf: with an infinite limit `delta` is 0, so finite values map to 0 and +Inf to 1; an `amin` of −Inf maps
 *   everything to 1. A tensor of only +Inf (or only −Inf) is constant: 1 (or 0).
 *
 * Everything runs on the device with no read-back, so the call is synchronous and composes with other ops
 * (`imresize(mat2gray(maxChannel(act)), ...)`). Arithmetic is float32 (MATLAB uses double): results agree with MATLAB
 * to float32 rounding (about 1e-7 relative). Only ranges `amax - amin` that float32 cannot invert (below about 3e-39)
 * or hold (above about 3.4e38) behave differently from MATLAB: the output then degenerates to 0s and 1s.
 *
 * Any rank, int32 (MATLAB uint8/integer classes) or float32 input. An empty tensor gives an empty float32 tensor.
 * Returns a new float32 tensor of the same shape, owned by the caller; the input is neither disposed nor modified.
 *
 * @param x - float32 or int32 tensor of any rank.
 * @param limits - `[amin, amax]`: the values that map to 0 and 1. Any numbers but NaN; equal values select the
 *   constant-input rule. @default the NaN-ignoring global minimum and maximum of `x`
 * @returns float32 tensor of `x`'s shape, values in [0, 1].
 * @throws TypeError if `x` is not a live float32/int32 tensor, or `limits` is not an array of two numbers.
 * @throws RangeError if a limit is NaN.
 *
 * @example
 * mat2gray(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));          // [[0, 0.2, 0.4], [0.6, 0.8, 1]]
 * mat2gray(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), [2, 5]);  // [[0, 0, 1/3], [2/3, 1, 1]]
 * const gray = mat2gray(act);                             // act [113, 113, 64]: one global scale for all 64 channels
 */
export function mat2gray<T extends tf.Tensor>(x: T, limits?: readonly [number, number]): T {
  assertTensor('mat2gray', 'x', x, { what: 'a tensor' });
  if (limits !== undefined) {
    limits = listArg('mat2gray', 'limits', limits) as typeof limits;
    const expected = 'an array [amin, amax] of two numbers';
    if (!Array.isArray(limits) || limits.length !== 2 || limits.some((v) => typeof v !== 'number')) {
      throw new TypeError(`mat2gray: expected 'limits' to be ${expected}, got ${describeValue(limits)}`);
    }
    if (limits.some((v) => Number.isNaN(v))) {
      throw new RangeError(
        `mat2gray: expected 'limits' to be ${expected} that are not NaN, got ${describeValue(limits)}`,
      );
    }
  }
  return tf.tidy('mat2gray', (): tf.Tensor => {
    if (x.size === 0) return tf.zeros(x.shape, 'float32');
    // Elementwise and whole-tensor steps only, so they run on the flattened tensor (WebGPU's `where` takes rank <= 4).
    const flat = tf.reshape(x, [x.size]);
    const a = flat.dtype === 'float32' ? flat : tf.cast(flat, 'float32');
    // Both MATLAB branches as `(a - amin) * delta` with scalars chosen on the device: (amin, 1 / (amax - amin))
    // normally, (0, 1) for constant input, where (a - 0) * 1 is `a` exactly. MATLAB evaluates `delta * a - amin *
    // delta` in double; in float32 that form loses the digits of data far from zero relative to its range (a 1e4
    // offset with a range of 1 gave errors of 5e-3), while subtracting first keeps float32's own rounding.
    let image: tf.Tensor;
    if (limits !== undefined) {
      const [lo, hi] = limits;
      const shift = tf.scalar(hi === lo ? 0 : lo);
      const scale = tf.scalar(hi === lo ? 1 : 1 / (hi - lo)); // formed in double, rounded once to float32
      image = tf.mul(tf.sub(a, shift), scale);
    } else if (x.dtype === 'int32') {
      // Integers above 2^24 lose their order in float32 (16777216 and 16777217 are one float): subtract the minimum
      // in int32, exactly, and scale the difference. A range that overflows int32 (above 2^31 - 1) is done in float32.
      const flatInt = flat as tf.Tensor;
      const amin = tf.min(flatInt);
      const amax = tf.max(flatInt);
      const rangeF = tf.sub(tf.cast(amax, 'float32'), tf.cast(amin, 'float32'));
      const overflow = tf.greater(rangeF, tf.scalar(2147483647));
      const constant = tf.equal(amax, amin);
      const diff = tf.cast(tf.sub(flatInt, amin), 'float32');
      const delta = tf.div(tf.scalar(1), rangeF);
      const exact = tf.mul(diff, delta);
      const wide = tf.mul(tf.sub(a, tf.cast(amin, 'float32')), delta);
      image = tf.where(constant, a, tf.where(overflow, wide, exact));
    } else {
      // MATLAB's min/max skip NaN; a tensor of only NaN gives +Inf/-Inf here, which maps every element to 1,
      // as MATLAB's NaN limits do. Full-size fill values: a scalar would be broadcast by a slow path on wasm.
      const nan = tf.isNaN(a);
      const amin = tf.min(tf.where(nan, tf.fill(a.shape, Infinity), a));
      const amax = tf.max(tf.where(nan, tf.fill(a.shape, -Infinity), a));
      const constant = tf.equal(amax, amin);
      const shift = tf.where(constant, tf.scalar(0), amin);
      const scale = tf.where(constant, tf.scalar(1), tf.div(tf.scalar(1), tf.sub(amax, amin)));
      image = tf.mul(tf.sub(a, shift), scale);
    }
    // int32 input with its own limits gives no NaN (finite values, finite delta). Elsewhere NaN becomes 1 before
    // clipping: clipByValue's NaN handling differs between backends (cpu keeps NaN, wasm gives 0), and TF.js's packed
    // WebGL clip leaves every value of a texel that holds a NaN unclipped.
    if (x.dtype === 'int32' && limits === undefined) return tf.reshape(tf.clipByValue(image, 0, 1), x.shape);
    return tf.reshape(tf.clipByValue(tf.where(tf.isNaN(image), tf.onesLike(image), image), 0, 1), x.shape);
  }) as T;
}
