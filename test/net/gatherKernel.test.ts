/**
 * Gathers with batch dimensions on every backend, and on wasm through the library's fix of TF.js's `GatherV2`, which
 * reads the indices of every batch after the first from the wrong place. The oracle gathers element by element.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

// After test/setup.ts started the backend, as the library does before every pass.
beforeAll(() => ensureWasmKernels());

/** x[b][o][j][i] = 1000b + 100o + 10j + i, a tensor [B, O, D, I] whose values say where they sit. */
function where(B: number, O: number, D: number, I: number): { x: tf.Tensor4D; at: (...p: number[]) => number } {
  const at = (b: number, o: number, j: number, i: number) => 1000 * b + 100 * o + 10 * j + i;
  const v: number[] = [];
  for (let b = 0; b < B; b++)
    for (let o = 0; o < O; o++) for (let j = 0; j < D; j++) for (let i = 0; i < I; i++) v.push(at(b, o, j, i));
  return { x: tf.tensor4d(v, [B, O, D, I]), at: (b, o, j, i) => at(b, o, j, i) };
}

describe('GatherV2 with batch dimensions', () => {
  it('picks each batch’s own indices along an axis after another (TF.js’s wasm kernel gave batch 1 others)', async () => {
    const { x, at } = where(2, 3, 4, 2);
    const indices = [
      [3, 0, 3],
      [1, 2, 2],
    ];
    const idx = tf.tensor2d(indices, [2, 3], 'int32');
    const y = await expectNoLeak(() => tf.gather(x, idx, 2, 1), 1);
    expect(y.shape).toEqual([2, 3, 3, 2]);
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let o = 0; o < 3; o++) for (const j of indices[b]) for (let i = 0; i < 2; i++) want.push(at(b, o, j, i));
    expect(Array.from(await y.data())).toEqual(want);
    tf.dispose([x, idx, y]);
  });

  it('picks them right after the batch dimensions too, and gathers without batch dimensions as before', async () => {
    const { x, at } = where(2, 4, 3, 2);
    const indices = [
      [3, 0, 3],
      [1, 2, 2],
    ];
    const idx = tf.tensor2d(indices, [2, 3], 'int32');
    const y = tf.gather(x, idx, 1, 1); // [2, 3, 3, 2]
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (const o of indices[b]) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) want.push(at(b, o, j, i));
    expect(Array.from(await y.data())).toEqual(want);
    const z = tf.gather(x, [2, 1], 2); // no batch dimensions: [2, 4, 2, 2]
    const first = [at(0, 0, 2, 0), at(0, 0, 2, 1), at(0, 0, 1, 0), at(0, 0, 1, 1)];
    expect(Array.from(await z.data()).slice(0, 4)).toEqual(first);
    tf.dispose([x, idx, y, z]);
  });
});
