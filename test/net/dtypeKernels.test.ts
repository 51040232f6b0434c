/**
 * Integer and boolean tensors through the kernels TF.js got wrong for them, on every backend (through the library's
 * fixes where TF.js's were wrong): clipping an int32 tensor, casting to bool, choosing between and reversing bool
 * tensors (wasm), a float one-hot encoding (wasm), a float floor division (cpu), a nearest-neighbour resize of an
 * int32 image (all). The expected
 * values are TensorFlow's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKEND } from '../helpers/backend.js';
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

  it('one-hot encodes to float32 with any on and off values (wasm wrote int32 bits: 1 as 1.4e-45, 0.5 as 0)', async () => {
    const i = tf.tensor2d([0, 2, 3, -1], [2, 2], 'int32');
    const [f, h, n] = await expectNoLeak(
      () => [tf.oneHot(i, 3, 0.5, -0.25, 'float32'), tf.oneHot(i, 3, 5, -1, 'int32'), tf.oneHot(i, 3)],
      3,
    );
    // Index 3 is past the depth and -1 before it: all off, as in TensorFlow.
    const off = [-0.25, -0.25, -0.25];
    expect(await values(f)).toEqual(['float32', [0.5, -0.25, -0.25, -0.25, -0.25, 0.5, ...off, ...off]]);
    expect(await values(h)).toEqual(['int32', [5, -1, -1, -1, -1, 5, -1, -1, -1, -1, -1, -1]]);
    expect(await values(n)).toEqual(['int32', [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]]);
    expect(f.shape).toEqual([2, 2, 3]);
    tf.dispose([i, f, h, n]);
  });

  it('divides float32 tensors with floorDiv to float32, as TensorFlow (cpu, WebGPU gave int32: 1/0 was 0)', async () => {
    const a = tf.tensor1d([7.5, -7.5, 1, -1, 0, 3e9, 5]);
    const b = tf.tensor1d([2, 2, 0, 0, 0, 1, 0.5]);
    const y = await expectNoLeak(() => tf.floorDiv(a, b), 1);
    expect(await values(y)).toEqual([
      'float32',
      [3, -4, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 3e9, 10],
    ]);
    // int32 stays integer division, rounded down.
    const i = tf.floorDiv(tf.tensor1d([7, -7], 'int32'), tf.tensor1d([2, 2], 'int32'));
    expect(await values(i)).toEqual(['int32', [3, -4]]);
    tf.dispose([a, b, y, i]);
  });

  it.runIf(BACKEND !== 'webgpu')(
    'divides int32 tensors past 2^24 exactly with floorDiv (wasm divided in float32: 16777217 / 1 gave 16777216)',
    async () => {
      // WebGPU computes int32 in f32 throughout, exact to 2^24 only (docs/backends.md).
      const a = tf.tensor2d([16777217, 100000001, 2147483647, -16777217, 33554435, -2147483648], [2, 3], 'int32');
      const b = tf.tensor1d([1, 3, 7], 'int32');
      const y = await expectNoLeak(() => tf.floorDiv(a, b), 1);
      expect(await values(y)).toEqual(['int32', [16777217, 33333333, 306783378, -16777217, 11184811, -306783379]]);
      tf.dispose([a, b, y]);
    },
  );

  it.runIf(BACKEND !== 'webgpu')(
    'takes abs, neg and square of int32 past 2^24 exactly (cpu and wasm computed some in float32)',
    async () => {
      const x = tf.tensor1d([16777217, -16777219, 2147483647, -2147483647, -2147483648, 33554435, -5, 0], 'int32');
      const s = tf.tensor1d([4097, -4099, 46340], 'int32');
      const [abs, neg, square] = await expectNoLeak(() => [tf.abs(x), tf.neg(x), tf.square(s)], 3);
      // As TensorFlow: -(-2^31) wraps to -2^31.
      expect(await values(abs)).toEqual([
        'int32',
        [16777217, 16777219, 2147483647, 2147483647, -2147483648, 33554435, 5, 0],
      ]);
      expect(await values(neg)).toEqual([
        'int32',
        [-16777217, 16777219, -2147483647, 2147483647, -2147483648, -33554435, 5, 0],
      ]);
      expect(await values(square)).toEqual(['int32', [16785409, 16801801, 2147395600]]);
      tf.dispose([x, s, abs, neg, square]);
    },
  );

  it.runIf(BACKEND !== 'webgpu')(
    "keeps int32 one-hot values and a pad's constant past 2^24 (cpu and wasm wrote them through float32)",
    async () => {
      const idx = tf.tensor1d([0, 2], 'int32');
      const x = tf.tensor1d([1, 2], 'int32');
      const [hot, padded] = await expectNoLeak(
        () => [tf.oneHot(idx, 3, 16777217, -16777219, 'int32'), tf.pad(x, [[1, 1]], 16777217)],
        2,
      );
      expect(await values(hot)).toEqual(['int32', [16777217, -16777219, -16777219, -16777219, -16777219, 16777217]]);
      expect(await values(padded)).toEqual(['int32', [16777217, 1, 2, 16777217]]);
      tf.dispose([idx, x, hot, padded]);
    },
  );

  it('resizes an int32 image by nearest neighbour to int32, every digit kept (wasm gave float32)', async () => {
    // Values past 2^24, which float32 cannot hold: 16777217 would come back 16777216.
    const x = tf.tensor4d([16777217, -5, 2147483647, 7, 0, -2147483648], [1, 2, 3, 1], 'int32');
    const y = await expectNoLeak(() => tf.image.resizeNearestNeighbor(x, [4, 6]), 1);
    const row0 = [16777217, 16777217, -5, -5, 2147483647, 2147483647];
    const row1 = [7, 7, 0, 0, -2147483648, -2147483648];
    // WebGPU keeps int32 in float32 in its kernels (exact to 2^24, docs/backends.md): there, the dtype.
    if (BACKEND === 'webgpu') expect(y.dtype).toBe('int32');
    else expect(await values(y)).toEqual(['int32', [...row0, ...row0, ...row1, ...row1]]);
    // The same positions as a float32 image's, with each option.
    const f = tf.cast(tf.reshape(tf.range(0, 30), [1, 5, 6, 1]), 'float32') as tf.Tensor4D;
    const xi = tf.cast(f, 'int32') as tf.Tensor4D;
    for (const [alignCorners, halfPixelCenters] of [
      [false, false],
      [true, false],
      [false, true],
    ]) {
      const want = tf.image.resizeNearestNeighbor(f, [3, 8], alignCorners, halfPixelCenters);
      const got = tf.image.resizeNearestNeighbor(xi, [3, 8], alignCorners, halfPixelCenters);
      expect(await values(got)).toEqual(['int32', Array.from(await want.data())]);
      tf.dispose([want, got]);
    }
    tf.dispose([x, y, f, xi]);
  });
});
