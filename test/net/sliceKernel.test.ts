/**
 * Slices on every backend, and on wasm through the library's own `Slice`, which copies runs that join the last axes a
 * slice takes whole, in place of TF.js's, which copies one run of the last axis at a time. The oracle reads each
 * element of the slice from its place in the input; on wasm the results are also compared with TF.js's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `Slice` on wasm, as its backend registered it. */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.Slice).get(tf.Slice);
});

/** The elements of a slice of `values` (of `shape`) from `begin`, of `size`, in row-major order. */
function oracle(values: number[], shape: number[], begin: number[], size: number[]): number[] {
  const out: number[] = [];
  const at = new Array(shape.length).fill(0);
  const total = size.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    let flat = 0;
    for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + begin[d] + at[d];
    out.push(values[flat]);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++at[d] < size[d]) break;
      at[d] = 0;
    }
  }
  return out;
}

const CASES: { shape: number[]; begin: number[]; size: number[]; what: string }[] = [
  { shape: [4, 9, 9, 3], begin: [0, 0, 0, 0], size: [4, 8, 8, 3], what: "a padding's gradient (rows of whole pixels)" },
  { shape: [2, 9, 7, 5], begin: [0, 1, 1, 0], size: [2, 7, 5, 5], what: 'a crop from inside' },
  { shape: [2, 6, 5, 4], begin: [0, 0, 0, 1], size: [2, 6, 5, 2], what: 'some channels (runs of the last axis)' },
  { shape: [3, 4, 5], begin: [1, 0, 0], size: [2, 4, 5], what: 'whole images of a batch (one run)' },
  { shape: [3, 4, 5], begin: [0, 0, 0], size: [3, 4, 5], what: 'everything' },
  { shape: [7], begin: [2], size: [4], what: 'a vector' },
  { shape: [2, 3, 2, 4, 3], begin: [1, 1, 0, 1, 0], size: [1, 2, 2, 2, 3], what: 'five axes' },
  { shape: [5, 1], begin: [4, 0], size: [1, 1], what: 'one element' },
];

describe('slices', () => {
  for (const { shape, begin, size, what } of CASES) {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      it(`slices ${what}, ${dtype}: [${shape.join(', ')}] from [${begin.join(', ')}] of [${size.join(', ')}]`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) =>
          dtype === 'bool' ? ((i * 7) % 3 === 0 ? 1 : 0) : dtype === 'int32' ? i * 7 - 50 : i / 8 - 3,
        );
        const x = tf.tensor(values, shape, dtype);
        const y = await expectNoLeak(() => tf.slice(x, begin, size), 1);
        expect(y.shape).toEqual(size);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(await y.data())).toEqual(oracle(values, shape, begin, size));
        tf.dispose([x, y]);
      });
    }
  }

  it('keeps NaN, -0 and infinities as they are', async () => {
    const x = tf.tensor2d([1, Number.NaN, -0, 2, Number.NEGATIVE_INFINITY, 3], [3, 2]);
    const y = tf.slice(x, [1, 0], [2, 2]);
    const v = Array.from(await y.data());
    expect(Object.is(v[0], -0)).toBe(true);
    expect(v.slice(1)).toEqual([2, Number.NEGATIVE_INFINITY, 3]);
    const z = tf.slice(x, [0, 1], [1, 1]);
    expect((await z.data())[0]).toBeNaN();
    tf.dispose([x, y, z]);
  });

  it('slices strings and empty slices (TF.js)', async () => {
    const s = tf.tensor1d(['a', 'b', 'c']);
    expect(await tf.slice(s, [1], [2]).array()).toEqual(['b', 'c']);
    expect(tf.slice(tf.zeros([2, 3]), [0, 1], [2, 0]).shape).toEqual([2, 0]);
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, with TF.js's own kernel's results", async () => {
    expect(tf.getKernel(tf.Slice, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
    const x = tf.tensor4d(
      Array.from({ length: 2 * 11 * 10 * 3 }, (_, i) => Math.sin(i)),
      [2, 11, 10, 3],
    );
    const ours = tf.slice(x, [0, 1, 2, 0], [2, 9, 7, 3]);
    const tfjs = await withTfjsKernel(theirs, () => tf.slice(x, [0, 1, 2, 0], [2, 9, 7, 3]));
    expect(await ours.data()).toEqual(await tfjs.data());
    tf.dispose([x, ours, tfjs]);
  });
});
