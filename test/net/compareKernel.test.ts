/**
 * Comparisons on every backend, and on wasm through the library's own kernels for float32 tensors (`Equal`,
 * `NotEqual`, `Less`, `LessEqual`, `Greater`, `GreaterEqual`: the masks of gradients), which replace TF.js's there.
 * The oracle is JavaScript's comparison of the float32 values with NumPy's broadcasting; on wasm the results are also
 * compared with TF.js's own kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { broadcastIndex, sizeOf } from '../helpers/broadcast.js';
import { expectNoLeak } from '../helpers/leaks.js';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** The comparisons, by kernel name: the operation, and JavaScript's comparison of two numbers. */
const COMPARISONS: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, (u: number, v: number) => boolean][] = [
  [tf.Equal, tf.equal, (u, v) => u === v],
  [tf.NotEqual, tf.notEqual, (u, v) => u !== v],
  [tf.Less, tf.less, (u, v) => u < v],
  [tf.LessEqual, tf.lessEqual, (u, v) => u <= v],
  [tf.Greater, tf.greater, (u, v) => u > v],
  [tf.GreaterEqual, tf.greaterEqual, (u, v) => u >= v],
];

/** TF.js's own kernels on wasm, as its backend registered them. */
let theirs: Map<string, tf.KernelConfig | undefined>;

beforeAll(() => {
  theirs = takeTfjsKernels(...COMPARISONS.map(([name]) => name));
});

/** Float32 values, some repeated so that about a third of the pairs below are equal. */
const fill = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(((i * 7 + seed * (i % 3 === 0 ? 0 : 13)) % 11) / 4 - 1));

describe('equality', () => {
  // Sizes of 1 to 9 values (the kernel goes four at a time, then the rest), and a batch of feature maps.
  for (const shape of [[1], [3], [4], [5], [2, 4], [9], [2, 5, 3, 7]]) {
    it(`compares two float32 tensors of shape [${shape.join(', ')}]`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const [p, q] = [fill(n, 1), fill(n, 2)];
      const [a, b] = [tf.tensor(p, shape), tf.tensor(q, shape)];
      const y = await expectNoLeak(() => tf.equal(a, b), 1);
      expect(y.dtype).toBe('bool');
      expect(y.shape).toEqual(shape);
      const want = p.map((v, i) => (v === q[i] ? 1 : 0));
      expect(Array.from(await y.data())).toEqual(want);
      expect(want.some((v) => v === 1) && want.some((v) => v === 0)).toBe(n > 2);
      tf.dispose([a, b, y]);
    });
  }

  it('takes NaN as equal to nothing, -0 as equal to 0, and infinities and subnormals as themselves', async () => {
    const tiny = 2 ** -149;
    const a = tf.tensor1d([Number.NaN, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, tiny, tiny, 1, 0]);
    const b = tf.tensor1d([Number.NaN, 0, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, tiny, 0, Number.NaN, -0]);
    const y = tf.equal(a, b);
    expect(Array.from(await y.data())).toEqual([0, 1, 1, 0, 1, 0, 0, 1]);
    tf.dispose([a, b, y]);
  });

  it("compares int32 and bool tensors (TF.js's kernels), and broadcast float32 operands", async () => {
    const ints = tf.equal(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 0, 3], 'int32'));
    const bools = tf.equal(tf.tensor1d([true, false], 'bool'), tf.tensor1d([true, true], 'bool'));
    const broadcast = tf.equal(tf.tensor2d([1, 2, 3, 1], [2, 2]), tf.tensor1d([1, 2]));
    expect(await ints.data()).toEqual(new Uint8Array([1, 0, 1]));
    expect(await bools.data()).toEqual(new Uint8Array([1, 0]));
    expect(await broadcast.data()).toEqual(new Uint8Array([1, 1, 0, 0]));
    tf.dispose([ints, bools, broadcast]);
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, with TF.js's own kernel's results", async () => {
    expect(tf.getKernel(tf.Equal, 'wasm').kernelFunc).not.toBe(theirs.get(tf.Equal)?.kernelFunc);
    const x = tf.tensor4d(fill(2 * 9 * 7 * 5, 3), [2, 9, 7, 5]);
    const c = tf.clipByValue(x, -0.5, 0.5);
    const ours = tf.equal(x, c);
    const tfjs = await withTfjsKernel(theirs.get(tf.Equal), () => tf.equal(x, c));
    expect(await ours.data()).toEqual(await tfjs.data());
    tf.dispose([x, c, ours, tfjs]);
  });

  // The route each pair takes on wasm: one shape (equality four at a time), a single value either side, `b` along the
  // last axes, `a` along them (swapped: `a < b` is `-b < -a`), and broadcasts tiled first.
  const PAIRS: [string, number[], number[]][] = [
    ['one shape', [2, 5, 3, 7], [2, 5, 3, 7]],
    ['a single value b', [2, 5, 3, 7], []],
    ['a single value a', [1, 1], [2, 5, 3, 7]],
    ['b along the last axis', [2, 5, 3, 7], [7]],
    ['a along the last two axes', [3, 7], [2, 5, 3, 7]],
    ['b across the channels', [2, 5, 3, 7], [2, 5, 3, 1]],
    ['both broadcast', [3, 1], [1, 4]],
  ];
  /** Values with ties, zeros of both signs, infinities and NaN. */
  const special = (n: number, seed: number) => {
    const pool = [0, -0, 1, -1, 0.5, 3, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, -2.5];
    return Array.from({ length: n }, (_, i) => pool[(i * 3 + seed * 7 + ((i * seed) % 4)) % pool.length]);
  };

  for (const [name, op, compare] of COMPARISONS) {
    it(`${name}: every broadcast of float32 operands, with NaN, infinities and zeros of both signs`, async () => {
      for (const [, aShape, bShape] of PAIRS) {
        const single = sizeOf(aShape) === 1 || sizeOf(bShape) === 1;
        for (const seed of single ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] : [1, 2]) {
          const [p, q] = [special(sizeOf(aShape), seed), special(sizeOf(bShape), seed + 5)];
          const [a, b] = [tf.tensor(p, aShape), tf.tensor(q, bShape)];
          const y = await expectNoLeak(() => op(a, b), 1);
          const shape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe('bool');
          const want = Array.from({ length: sizeOf(shape) }, (_, i) =>
            compare(p[broadcastIndex(i, shape, aShape)], q[broadcastIndex(i, shape, bShape)]) ? 1 : 0,
          );
          expect(Array.from(await y.data())).toEqual(want);
          tf.dispose([a, b, y]);
        }
      }
    });

    it.skipIf(!onWasm)(`${name}: the library's kernel on wasm, with TF.js's own kernel's results`, async () => {
      expect(tf.getKernel(name, 'wasm').kernelFunc).not.toBe(theirs.get(name)?.kernelFunc);
      for (const [, aShape, bShape] of PAIRS) {
        const [a, b] = [tf.tensor(special(sizeOf(aShape), 3), aShape), tf.tensor(special(sizeOf(bShape), 4), bShape)];
        const ours = op(a, b);
        const tfjs = await withTfjsKernel(theirs.get(name), () => op(a, b));
        expect(await ours.data()).toEqual(await tfjs.data());
        tf.dispose([a, b, ours, tfjs]);
      }
    });
  }
});
