/**
 * Gathers along one axis on every backend, and on wasm through the library's own `GatherV2`, which copies each picked
 * row (a run of bytes, or its values as integers) in place of TF.js's, which works out every element's source from
 * its position. The oracle reads each element from its place in the input; on wasm the results are also compared with
 * TF.js's own kernel, bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `GatherV2` on wasm, as its backend registered it (before the library's kernel fixes wrap it). */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.GatherV2).get(tf.GatherV2);
});

/** `gather(values of shape, picks, axis)` element by element: output `[before…, picks…, after…]`. */
function oracle(values: number[], shape: number[], picks: number[], axis: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of picks) for (let e = 0; e < inner; e++) out.push(values[(o * shape[axis] + p) * inner + e]);
  }
  return out;
}

const CASES: { shape: number[]; axis: number; indices: number[]; ishape: number[]; what: string }[] = [
  {
    shape: [6, 49],
    axis: 1,
    indices: [0, 48, 3, 3, 17, 48, 2, 0],
    ishape: [2, 4],
    what: "imageLIME's masks (single values)",
  },
  { shape: [5, 40], axis: 0, indices: [4, 0, 2, 2], ishape: [4], what: 'rows long enough to copy as bytes' },
  { shape: [5, 3], axis: 0, indices: [1, 4, 1], ishape: [3], what: 'short rows of three values' },
  { shape: [2, 4, 3, 5], axis: 2, indices: [2, 0], ishape: [2], what: 'an inner axis' },
  { shape: [2, 3, 4], axis: -1, indices: [3, 1, 1], ishape: [3], what: 'the last axis, counted from the end' },
  { shape: [7], axis: 0, indices: [6], ishape: [], what: 'one element by a scalar index' },
  { shape: [3, 4], axis: 1, indices: [], ishape: [0], what: 'no index' },
];

describe('gathers', () => {
  for (const { shape, axis, indices, ishape, what } of CASES) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      it(`gathers ${what}, ${dtype}: [${shape.join(', ')}] along ${axis}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) =>
          dtype === 'bool' ? ((i * 7) % 3 === 0 ? 1 : 0) : dtype === 'int32' ? i * 7 - 50 : i / 8 - 3,
        );
        const x = tf.tensor(values, shape, dtype);
        const idx = tf.tensor(indices, ishape, 'int32');
        const y = await expectNoLeak(() => tf.gather(x, idx, axis), 1);
        const a = axis < 0 ? axis + shape.length : axis;
        expect(y.shape).toEqual([...shape.slice(0, a), ...ishape, ...shape.slice(a + 1)]);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(await y.data())).toEqual(oracle(values, shape, indices, a));
        tf.dispose([x, idx, y]);
      });
    }
  }

  it("keeps NaN's bits, -0 and infinities as they are", async () => {
    // A NaN with a payload (its low bits set), which a copy through a float could make the usual NaN.
    const bits = new Int32Array([0x7fc00123, 0, -2147483648, 0x7f800000, 0xff800000 | 0, 0x3f800000]);
    const values = new Float32Array(bits.buffer);
    for (const [shape, axis, picks] of [
      [[6], 0, [0, 2, 3, 4, 0]],
      [[6, 1], 0, [0, 2, 3]],
      [[1, 6], 1, [4, 2, 0]],
    ] as [number[], number, number[]][]) {
      const x = tf.tensor(values, shape, 'float32');
      const y = tf.gather(x, tf.tensor1d(picks, 'int32'), axis);
      const got = new Int32Array(new Float32Array(await y.data()).buffer);
      expect(Array.from(got)).toEqual(picks.map((p) => bits[p]));
      tf.dispose([x, y]);
    }
  });

  it("gathers with batch dimensions (the fix of TF.js's batched gather, then a plain gather)", async () => {
    const x = tf.tensor3d(
      Array.from({ length: 24 }, (_, i) => i),
      [2, 3, 4],
    );
    const idx = tf.tensor2d([2, 0, 1, 1], [2, 2], 'int32');
    expect(await tf.gather(x, idx, 1, 1).array()).toEqual([
      [
        [8, 9, 10, 11],
        [0, 1, 2, 3],
      ],
      [
        [16, 17, 18, 19],
        [16, 17, 18, 19],
      ],
    ]);
    tf.dispose([x, idx]);
  });

  it.skipIf(!onWasm)('leaves an index outside the axis to TF.js, which refuses it', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    for (const bad of [3, -1]) {
      const idx = tf.tensor1d([0, bad], 'int32');
      expect(() => tf.gather(x, idx, 1)).toThrow(`GatherV2: the index value ${bad} is not in [0, 2]`);
      idx.dispose();
    }
    x.dispose();
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, with TF.js's own kernel's results", async () => {
    expect(tf.getKernel(tf.GatherV2, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
    const x = tf.tensor3d(
      Array.from({ length: 4 * 30 * 5 }, (_, i) => Math.sin(i)),
      [4, 30, 5],
    );
    const idx = tf.tensor2d([29, 0, 3, 3, 17, 8], [3, 2], 'int32');
    const wide = tf.tile(x, [1, 1, 8]); // rows of 40 values: copied as bytes
    const run = () =>
      tf.tidy(() => [tf.gather(x, idx, 1), tf.gather(tf.reshape(x, [4, 150]), idx, 1), tf.gather(wide, idx, 1)]);
    const ours = run();
    const tfjs = await withTfjsKernel(theirs, () => run());
    for (let i = 0; i < 3; i++) expect(await ours[i].data()).toEqual(await tfjs[i].data());
    tf.dispose([x, idx, wide, ...ours, ...tfjs]);
  });
});
