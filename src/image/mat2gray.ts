/**
 * MATLAB's `mat2gray`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertTensor, describeValue } from '../internal/validate.js';

/**
 * MATLAB's `mat2gray(A)` / `mat2gray(A, [amin amax])`: rescales values linearly so that `amin` maps to 0 and `amax`
 * to 1, clipping everything outside to [0, 1].
 *
 * Follows MATLAB's `mat2gray.m` exactly:
 * - Limits: when `limits` is not given, `amin`/`amax` are the minimum and maximum over the **whole** tensor (all
 *   channels and frames together, NaN ignored), computed on the device.
 * - Formula: `delta * a + (-amin * delta)` with `delta = 1 / (amax - amin)` (not `(a - amin) / (amax - amin)`;
 *   the two differ in the last bit), then clipped to exactly [0, 1].
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
export function mat2gray(x: tf.Tensor, limits?: readonly [number, number]): tf.Tensor {
  assertTensor('mat2gray', 'x', x, { what: 'a tensor' });
  if (limits !== undefined) {
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
  return tf.tidy('mat2gray', () => {
    if (x.size === 0) return tf.zeros(x.shape, 'float32');
    // Elementwise and whole-tensor steps only, so they run on the flattened tensor (WebGPU's `where` takes rank <= 4).
    const flat = tf.reshape(x, [x.size]);
    const a = flat.dtype === 'float32' ? flat : tf.cast(flat, 'float32');
    // Both MATLAB branches as one affine map `scale * a + offset` with scalar coefficients chosen on the device:
    // (delta, -amin * delta) normally, (1, 0) for constant input, where 1 * a + 0 is `a` exactly.
    let scale: tf.Tensor;
    let offset: tf.Tensor;
    if (limits !== undefined) {
      const [lo, hi] = limits;
      // delta and the offset are formed in double here, then rounded once to float32.
      const delta = 1 / (hi - lo);
      scale = tf.scalar(hi === lo ? 1 : delta);
      offset = tf.scalar(hi === lo ? 0 : -lo * delta);
    } else {
      let amin: tf.Tensor;
      let amax: tf.Tensor;
      if (x.dtype === 'int32') {
        amin = tf.min(a);
        amax = tf.max(a);
      } else {
        // MATLAB's min/max skip NaN; a tensor of only NaN gives +Inf/-Inf here, which maps every element to 1,
        // as MATLAB's NaN limits do. Full-size fill values: a scalar would be broadcast by a slow path on wasm.
        const nan = tf.isNaN(a);
        amin = tf.min(tf.where(nan, tf.fill(a.shape, Infinity), a));
        amax = tf.max(tf.where(nan, tf.fill(a.shape, -Infinity), a));
      }
      const delta = tf.div(tf.scalar(1), tf.sub(amax, amin));
      const constant = tf.equal(amax, amin);
      scale = tf.where(constant, tf.scalar(1), delta);
      offset = tf.where(constant, tf.scalar(0), tf.mul(tf.neg(amin), delta));
    }
    const image = tf.add(tf.mul(scale, a), offset);
    const clipped = tf.clipByValue(image, 0, 1);
    // int32 input with its own limits gives no NaN (finite values, finite delta). Elsewhere NaN is found before
    // clipping: clipByValue's NaN handling differs between backends (cpu keeps NaN, wasm gives 0).
    if (x.dtype === 'int32' && limits === undefined) return tf.reshape(clipped, x.shape);
    return tf.reshape(tf.where(tf.isNaN(image), tf.onesLike(image), clipped), x.shape);
  });
}
