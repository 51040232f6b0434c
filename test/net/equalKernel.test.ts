/**
 * Comparison for equality on every backend, and on wasm through the library's own `Equal` for two float32 tensors of
 * one shape (the masks of the clip and ReLU6 gradients), which replaces TF.js's there. The oracle is JavaScript's `===`
 * on the float32 values; on wasm the results are also compared with TF.js's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `Equal` on wasm, as its backend registered it. */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = tf.getKernel(tf.Equal, 'wasm');
  ensureWasmKernels();
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

  it('leaves other comparisons to TF.js: int32, bool, broadcast operands', async () => {
    const ints = tf.equal(tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([1, 0, 3], 'int32'));
    const bools = tf.equal(tf.tensor1d([true, false], 'bool'), tf.tensor1d([true, true], 'bool'));
    const broadcast = tf.equal(tf.tensor2d([1, 2, 3, 1], [2, 2]), tf.tensor1d([1, 2]));
    expect(await ints.data()).toEqual(new Uint8Array([1, 0, 1]));
    expect(await bools.data()).toEqual(new Uint8Array([1, 0]));
    expect(await broadcast.data()).toEqual(new Uint8Array([1, 1, 0, 0]));
    tf.dispose([ints, bools, broadcast]);
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, with TF.js's own kernel's results", async () => {
    expect(tf.getKernel(tf.Equal, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
    const x = tf.tensor4d(fill(2 * 9 * 7 * 5, 3), [2, 9, 7, 5]);
    const c = tf.clipByValue(x, -0.5, 0.5);
    const ours = tf.equal(x, c);
    tf.unregisterKernel(tf.Equal, 'wasm');
    tf.registerKernel(theirs as tf.KernelConfig);
    let tfjs: tf.Tensor;
    try {
      tfjs = tf.equal(x, c);
    } finally {
      ensureWasmKernels();
    }
    expect(await ours.data()).toEqual(await tfjs.data());
    tf.dispose([x, c, ours, tfjs]);
  });
});
