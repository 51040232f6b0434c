/**
 * An identity (`tf.clone`, and TF.js's copy of each tensor it saves for a gradient) shares its input's data on every
 * backend: on wasm through the library's `Identity` kernel, which replaces TF.js's copying one there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureGradients } from '../../src/net/gradients.js';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';

// After test/setup.ts started the backend, as the library does before every pass.
beforeAll(() => ensureWasmKernels());

describe('identity', () => {
  it('shares its input’s data, which outlives the input, for every dtype but strings', async () => {
    for (const x of [
      tf.tensor2d([1.5, -2, 3, 4], [2, 2]),
      tf.tensor1d([7, -8], 'int32'),
      tf.tensor1d([1, 0], 'bool'),
    ]) {
      const buffers = tf.memory().numDataBuffers;
      const y = tf.clone(x);
      expect(y.dataId).toBe(x.dataId);
      expect(tf.memory().numDataBuffers).toBe(buffers);
      expect([y.shape, y.dtype]).toEqual([x.shape, x.dtype]);
      const want = Array.from(await x.data());
      x.dispose();
      expect(Array.from(await y.data())).toEqual(want);
      y.dispose();
      expect(tf.memory().numDataBuffers).toBe(buffers - 1);
    }
    const s = tf.tensor1d(['a', 'bc']);
    const t = tf.clone(s);
    expect(await t.data()).toEqual(['a', 'bc']);
    tf.dispose([s, t]);
  });

  it('makes no copy of the tensors a gradient saves', async () => {
    ensureGradients();
    const x = tf.tensor1d([-2, 0.5, 3]);
    const buffers = tf.memory().numDataBuffers;
    let held = 0;
    // The clip saves its input and output for the gradient, the product its two inputs: the forward pass holds the
    // clip's output and the product's, and no copy of either input (TF.js's wasm kernel made four).
    const g = tf.grad((v: tf.Tensor) => {
      const y = tf.mul(tf.clipByValue(v, -1, 1), v);
      held = tf.memory().numDataBuffers - buffers;
      return tf.sum(y);
    })(x);
    expect(held).toBe(2);
    expect(Array.from(await g.data())).toEqual([-1, 1, 1]);
    tf.dispose([x, g]);
  });
});
