/**
 * Subtraction on every backend, and on wasm through the library's own `Sub` kernel for a tensor less a vector along
 * its last axis (an image's mean subtraction), which replaces TF.js's there. The oracle subtracts element by element
 * with float32 rounding; on wasm the results are also compared bit for bit with TF.js's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `Sub` on wasm, as its backend registered it (bound to the running wasm module). */
let theirs: tf.KernelConfig | undefined;

// After test/setup.ts started the backend, as the library does before every pass.
beforeAll(() => {
  theirs = takeTfjsKernels(tf.Sub).get(tf.Sub);
});

/** Deterministic float32 values of both signs and many magnitudes. */
const fill = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.fround((((i * 7919 + seed * 104729) % 2003) - 1001) * 0.37 ** (i % 9)));

/** `a - b` with `b` repeating along `a`'s last axis, each difference rounded to float32. */
const oracle = (a: number[], b: number[]) => a.map((v, i) => Math.fround(v - b[i % b.length]));

/** Whether two float32 arrays hold the same numbers: bit for bit, except that any NaN matches any NaN. */
function sameFloats(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
  return true;
}

const CASES: { a: number[]; b: number[] }[] = [
  // An image's mean subtraction: three channels, then a batch of them.
  { a: [1, 5, 4, 3], b: [3] },
  { a: [2, 6, 5, 3], b: [1, 1, 1, 3] },
  // Other channel counts, ranks and a vector of one.
  { a: [3, 4, 5, 7], b: [7] },
  { a: [6, 10], b: [10] },
  { a: [2, 3, 2, 2, 4], b: [1, 4] },
  { a: [9, 1], b: [1] },
];

describe('subtraction', () => {
  for (const { a, b } of CASES) {
    it(`subtracts a [${b.join(', ')}] vector from a [${a.join(', ')}] tensor`, async () => {
      const av = fill(
        a.reduce((s, d) => s * d, 1),
        1,
      );
      const bv = fill(
        b.reduce((s, d) => s * d, 1),
        2,
      );
      const x = tf.tensor(av, a);
      const m = tf.tensor(bv, b);
      const y = await expectNoLeak(() => tf.sub(x, m), 1);
      expect(y.shape).toEqual(a);
      expect(sameFloats(await y.data(), oracle(av, bv))).toBe(true);
      tf.dispose([x, m, y]);
    });
  }

  it('keeps NaN, ±Infinity, -0 and subnormal values', async () => {
    const tiny = 2 ** -149;
    const x = tf.tensor2d([Number.NaN, 1, Number.POSITIVE_INFINITY, -0, 0, 3 * tiny], [2, 3]);
    const m = tf.tensor1d([0, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    const d = tf.sub(x, m);
    const y = Array.from(await d.data());
    expect(y[0]).toBeNaN();
    expect(y[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(y[2]).toBeNaN();
    expect(Object.is(y[3], -0)).toBe(true);
    expect(y[4]).toBe(Number.NEGATIVE_INFINITY);
    expect(y[5]).toBe(Number.NEGATIVE_INFINITY);
    const p = tf.tensor2d([-0, 3 * tiny], [1, 2]);
    const q = tf.tensor1d([0, tiny]);
    const e = tf.sub(p, q);
    const z = Array.from(await e.data());
    expect(Object.is(z[0], -0)).toBe(true);
    expect(z[1]).toBe(2 * tiny);
    tf.dispose([x, m, d, p, q, e]);
  });

  it('leaves other subtractions to TF.js, with the same results', async () => {
    const int = tf.sub(tf.tensor2d([5, 7, 9, 11], [2, 2], 'int32'), tf.tensor1d([1, 2], 'int32'));
    expect(int.dtype).toBe('int32');
    expect(await int.array()).toEqual([
      [4, 5],
      [8, 9],
    ]);
    // Equal shapes, a column less a row (both broadcast), a vector less a tensor, a scalar.
    expect(await tf.sub(tf.tensor1d([3, 4]), tf.tensor1d([1, 1])).array()).toEqual([2, 3]);
    expect(await tf.sub(tf.tensor2d([10, 20], [2, 1]), tf.tensor1d([1, 2, 3])).array()).toEqual([
      [9, 8, 7],
      [19, 18, 17],
    ]);
    expect(await tf.sub(tf.tensor1d([10, 20]), tf.tensor2d([1, 2, 3, 4], [2, 2])).array()).toEqual([
      [9, 18],
      [7, 16],
    ]);
    expect(await tf.sub(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.scalar(1)).array()).toEqual([
      [0, 1],
      [2, 3],
    ]);
    // A vector along another axis than the last.
    expect(await tf.sub(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), tf.tensor2d([1, 2], [2, 1])).array()).toEqual([
      [0, 1, 2],
      [2, 3, 4],
    ]);
  });

  it.skipIf(!onWasm)("gives TF.js's own kernel's bits, on a batch of images", async () => {
    const shape = [2, 31, 29, 3];
    const x = tf.tensor4d(fill(2 * 31 * 29 * 3, 3), shape as [number, number, number, number]);
    const m = tf.tensor1d([123.68, 116.779, 103.939]);
    const y = tf.sub(x, m);
    const z = await withTfjsKernel(theirs, async () => tf.sub(x, m));
    expect(sameFloats(await y.data(), await z.data())).toBe(true);
    tf.dispose([x, m, y, z]);
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, in place of TF.js's, and puts it back", async () => {
    const kernel = tf.getKernel(tf.Sub, 'wasm');
    expect(theirs?.setupFunc).toBeTypeOf('function');
    expect(kernel.kernelFunc).not.toBe(theirs?.kernelFunc);
    // TF.js's setup stays with it, and a second call keeps the same kernel.
    expect(kernel.setupFunc).toBe(theirs?.setupFunc);
    ensureWasmKernels();
    expect(tf.getKernel(tf.Sub, 'wasm').kernelFunc).toBe(kernel.kernelFunc);
    const back = await withTfjsKernel(theirs, async () => tf.getKernel(tf.Sub, 'wasm').kernelFunc);
    expect(back).toBe(theirs?.kernelFunc);
    expect(tf.getKernel(tf.Sub, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
  });
});
