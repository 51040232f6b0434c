/**
 * Integer and boolean tensors through the kernels TF.js's wasm backend got wrong for them, on every backend (on wasm
 * through the library's fixes): clipping an int32 tensor, casting to bool, choosing between and reversing bool
 * tensors. The expected values are TensorFlow's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leaks.js';

// No library pass runs here: test/setup.ts's initBackend alone put the fixes in, as it does for a user's own code.

const values = async (t: tf.Tensor) => [t.dtype, Array.from(await t.data())];

describe('integer and boolean kernels', () => {
  it('clips an int32 tensor to whole bounds, and keeps it int32 (wasm wrote float bits: -3 as -1069547520)', async () => {
    const x = tf.tensor2d(
      [
        [-5, -1, 0],
        [3, 9, 2147483647],
      ],
      [2, 3],
      'int32',
    );
    const y = await expectNoLeak(() => tf.clipByValue(x, -3, 4), 1);
    expect(await values(y)).toEqual(['int32', [-3, -1, 0, 3, 4, 4]]);
    tf.dispose([x, y]);
  });

  it('casts to bool as TensorFlow does: true wherever the value is not 0 (wasm kept 0.2 as false, -1 as 255)', async () => {
    const f = tf.tensor1d([0, 0.2, -1, Number.NaN, 3, -0, Number.POSITIVE_INFINITY, 1e-30]);
    const i = tf.tensor1d([0, 2, -1, 0, 2147483647], 'int32');
    const [bf, bi] = await expectNoLeak(() => [tf.cast(f, 'bool'), tf.cast(i, 'bool')], 2);
    expect(await values(bf)).toEqual(['bool', [0, 1, 1, 1, 1, 0, 1, 1]]);
    expect(await values(bi)).toEqual(['bool', [0, 1, 1, 0, 1]]);
    // What reads them back sees 0 and 1 only.
    const back = tf.cast(bf, 'float32');
    const chosen = tf.where(bi, tf.onesLike(i), tf.zerosLike(i));
    expect(await values(back)).toEqual(['float32', [0, 1, 1, 1, 1, 0, 1, 1]]);
    expect(await values(chosen)).toEqual(['int32', [0, 1, 1, 0, 1]]);
    tf.dispose([f, i, bf, bi, back, chosen]);
  });

  it('chooses between bool tensors with where (wasm wrote 4-byte values, past the end of its result)', async () => {
    const c = tf.tensor2d(
      [
        [1, 0, 1],
        [0, 0, 1],
      ],
      [2, 3],
      'bool',
    );
    const a = tf.tensor2d([[0, 1, 1]], [1, 3], 'bool');
    const b = tf.tensor2d([[1], [0]], [2, 1], 'bool');
    const y = await expectNoLeak(() => tf.where(c, a, b), 1);
    expect(await values(y)).toEqual(['bool', [0, 1, 1, 0, 0, 1]]);
    // Many in a row, each allocating after the last: on wasm the writes past the end broke the heap.
    for (let k = 0; k < 50; k++) {
      const big = tf.tidy(() => {
        const mask = (seed: number) => tf.greater(tf.randomUniform([64, 64], -1, 1, 'float32', seed), 0);
        return tf.where(mask(3 * k), mask(3 * k + 1), mask(3 * k + 2));
      });
      expect(big.shape).toEqual([64, 64]);
      big.dispose();
    }
    tf.dispose([c, a, b, y]);
  });

  it('reverses a bool tensor (wasm read it as 4-byte values: [1, 0, 0] reversed gave [16, 0, 0])', async () => {
    const x = tf.tensor2d(
      [
        [1, 0, 0],
        [1, 1, 0],
      ],
      [2, 3],
      'bool',
    );
    const y = await expectNoLeak(() => tf.reverse(x, 1), 1);
    expect(await values(y)).toEqual(['bool', [0, 0, 1, 0, 1, 1]]);
    const z = tf.reverse(x, [0, 1]);
    expect(await values(z)).toEqual(['bool', [0, 1, 1, 0, 0, 1]]);
    tf.dispose([x, y, z]);
  });
});
