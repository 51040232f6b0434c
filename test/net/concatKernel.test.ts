/**
 * Concatenation on every backend, and on wasm through the library's own `Concat` kernel, which replaces TF.js's
 * there (a fire module's join). The oracle maps each output element to its source by index arithmetic, not by the
 * runs the kernel copies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { concatConfig } from '@tensorflow/tfjs-backend-wasm/dist/kernels/Concat.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

// After test/setup.ts started the backend, as the library does before every pass.
beforeAll(() => ensureWasmKernels());

/** Row-major strides of `shape`. */
const strides = (shape: readonly number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** The concatenation of `parts` (flat values and shapes) along `axis`, element by element. */
function oracle<T>(parts: { values: T[]; shape: number[] }[], axis: number): T[] {
  const outShape = [...parts[0].shape];
  outShape[axis] = parts.reduce((s, p) => s + p.shape[axis], 0);
  const outStrides = strides(outShape);
  const size = outShape.reduce((a, b) => a * b, 1);
  const out: T[] = [];
  for (let flat = 0; flat < size; flat++) {
    const index = outStrides.map((st, d) => Math.floor(flat / st) % outShape[d]);
    let at = index[axis];
    let p = 0;
    while (at >= parts[p].shape[axis]) at -= parts[p++].shape[axis];
    const src = strides(parts[p].shape).reduce((s, st, d) => s + st * (d === axis ? at : index[d]), 0);
    out.push(parts[p].values[src]);
  }
  return out;
}

/** Deterministic values, distinct across parts. */
const fill = (n: number, seed: number) => Array.from({ length: n }, (_, i) => seed * 1000 + i + 0.5);

const CASES: { shapes: number[][]; axis: number }[] = [
  // A fire module's join: channels of NHWC tensors.
  {
    shapes: [
      [2, 3, 4, 5],
      [2, 3, 4, 2],
    ],
    axis: 3,
  },
  {
    shapes: [
      [2, 3, 4, 5],
      [1, 3, 4, 5],
    ],
    axis: 0,
  },
  {
    shapes: [
      [2, 3, 4, 5],
      [2, 1, 4, 5],
      [2, 2, 4, 5],
    ],
    axis: 1,
  },
  {
    shapes: [
      [2, 3, 1, 5],
      [2, 3, 4, 5],
    ],
    axis: 2,
  },
  {
    shapes: [
      [3, 2],
      [3, 7],
    ],
    axis: -1,
  },
  { shapes: [[4], [1], [6]], axis: 0 },
  {
    shapes: [
      [1, 2, 2, 3, 2],
      [1, 2, 2, 1, 2],
    ],
    axis: 3,
  },
  // An empty part is skipped.
  {
    shapes: [
      [2, 0, 3],
      [2, 4, 3],
      [2, 1, 3],
    ],
    axis: 1,
  },
];

describe('concatenation', () => {
  for (const { shapes, axis } of CASES) {
    it(`joins ${shapes.map((s) => `[${s.join(', ')}]`).join(' + ')} along axis ${axis}`, async () => {
      const parts = shapes.map((shape, i) => ({
        values: fill(
          shape.reduce((a, b) => a * b, 1),
          i + 1,
        ),
        shape,
      }));
      const xs = parts.map((p) => tf.tensor(p.values, p.shape, 'float32'));
      const y = await expectNoLeak(() => tf.concat(xs, axis), 1);
      const rank = shapes[0].length;
      const want = oracle(parts, (axis + rank) % rank);
      expect(Array.from(await y.data())).toEqual(want);
      tf.dispose([y, ...xs]);
    });
  }

  it('copies int32 and bool values, and keeps -0 and NaN', async () => {
    // The extremes of int32; on webgpu those of ±2^24, as TF.js's webgpu backend holds int32 values as float32 in
    // places (docs/backends.md).
    const [low, high] = process.env.CNN_BACKEND === 'webgpu' ? [-(2 ** 24), 2 ** 24 - 1] : [-(2 ** 31), 2 ** 31 - 1];
    const a = tf.tensor(
      [
        [1, low],
        [3, high],
      ],
      [2, 2],
      'int32',
    );
    const b = tf.tensor([[5], [6]], [2, 1], 'int32');
    const y = tf.concat([a, b], 1);
    expect(y.dtype).toBe('int32');
    expect(await y.array()).toEqual([
      [1, low, 5],
      [3, high, 6],
    ]);
    const p = tf.tensor([true, false], [2], 'bool');
    const q = tf.tensor([false, true, true], [3], 'bool');
    const z = tf.concat([p, q]);
    expect(z.dtype).toBe('bool');
    expect(Array.from(await z.data())).toEqual([1, 0, 0, 1, 1]);
    const f = tf.concat([tf.tensor1d([-0, Number.NaN]), tf.tensor1d([Number.POSITIVE_INFINITY])]);
    const fv = Array.from(await f.data());
    expect(Object.is(fv[0], -0)).toBe(true);
    expect(fv[1]).toBeNaN();
    expect(fv[2]).toBe(Number.POSITIVE_INFINITY);
    tf.dispose([a, b, y, p, q, z, f]);
  });

  it('leaves strings and a single part to TF.js, with the same results', async () => {
    const s = tf.concat([tf.tensor1d(['a', 'b'], 'string'), tf.tensor1d(['c'], 'string')]);
    expect(await s.array()).toEqual(['a', 'b', 'c']);
    const one = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const j = tf.concat([one, tf.zeros([2, 0])], 1);
    expect(await j.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    tf.dispose([s, one, j]);
  });

  it.skipIf(!onWasm)("runs the library's kernel on wasm, in place of TF.js's", () => {
    const kernel = tf.getKernel(tf.Concat, 'wasm');
    expect(kernel.kernelFunc).not.toBe(concatConfig.kernelFunc);
    // Idempotent: a second call keeps the same kernel.
    ensureWasmKernels();
    expect(tf.getKernel(tf.Concat, 'wasm').kernelFunc).toBe(kernel.kernelFunc);
  });

  it.skipIf(!onWasm)('puts its kernel back when TF.js registered its own again', async () => {
    tf.unregisterKernel(tf.Concat, 'wasm');
    tf.registerKernel(concatConfig);
    ensureWasmKernels();
    expect(tf.getKernel(tf.Concat, 'wasm').kernelFunc).not.toBe(concatConfig.kernelFunc);
    const y = tf.concat([tf.tensor2d([1, 2], [1, 2]), tf.tensor2d([3], [1, 1])], 1);
    expect(await y.array()).toEqual([[1, 2, 3]]);
    y.dispose();
  });
});
