/**
 * Reversal along axes on every backend, and on wasm through the library's own `Reverse` (runs copied whole, the last
 * axis value by value), which replaces TF.js's there. The oracle moves each value to its mirrored position; on wasm
 * the results are also compared bit for bit with TF.js's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `Reverse` on wasm, as its backend registered it (with the library's fixes, if already in). */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.Reverse).get(tf.Reverse);
});

/** The values of `shape` reversed along `axes` (0-based, at least 0), by each value's position. */
function oracle(values: number[], shape: number[], axes: number[]): number[] {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  return values.map((_, i) => {
    const source = shape.reduce((at, dim, d) => {
      const position = Math.floor(i / strides[d]) % dim;
      return at + (axes.includes(d) ? dim - 1 - position : position) * strides[d];
    }, 0);
    return values[source];
  });
}

const ramp = (n: number) => Array.from({ length: n }, (_, i) => i * 0.25 - 3);

// Runs copied whole (a kernel turned 180°), joined axes, axes of length 1, the last axis alone (value by value), a
// short run after a reversed axis (three channels), every axis, none, negative axes.
const CASES: [number[], number[]][] = [
  [
    [3, 3, 4, 5],
    [0, 1],
  ],
  [
    [1, 1, 16, 8],
    [0, 1],
  ],
  [
    [2, 3, 4, 5],
    [1, 3],
  ],
  [[2, 3, 4, 5], [3]],
  [[2, 5, 4, 3], [1]],
  [
    [2, 3, 4],
    [0, 1, 2],
  ],
  [[2, 3, 4], []],
  [
    [2, 3, 4],
    [-1, -3],
  ],
  [[7], [0]],
  [[4, 1, 3], [1]],
  [[2, 40, 3], [0]],
];

describe('reverse', () => {
  for (const [shape, axes] of CASES) {
    it(`reverses [${shape.join(', ')}] along [${axes.join(', ')}], float32 and int32`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const positive = axes.map((a) => (a < 0 ? a + shape.length : a));
      for (const dtype of ['float32', 'int32'] as const) {
        const values = dtype === 'int32' ? ramp(n).map((v) => Math.round(v * 4)) : ramp(n);
        const x = tf.tensor(values, shape, dtype);
        const y = await expectNoLeak(() => tf.reverse(x, axes), 1);
        expect(y.shape).toEqual(shape);
        expect(y.dtype).toBe(dtype);
        expect(Array.from(await y.data())).toEqual(oracle(values, shape, positive));
        tf.dispose([x, y]);
      }
    });
  }

  it('refuses an axis named twice, as TensorFlow does (TF.js flipped it once for each)', async () => {
    const x = tf.tensor2d([0, 1, 2, 3, 4, 5], [2, 3]);
    for (const dims of [
      [0, 0],
      [1, -1],
      [0, 1, 0],
    ]) {
      await expectThrowsNoLeak(
        () => tf.reverse(x, dims),
        RangeError,
        `reverse: the axes [${dims.join(', ')}] name the axis ${dims.at(-1) === -1 ? 1 : dims.at(-1)} twice`,
      );
    }
    x.dispose();
  });

  it('reverses a bool tensor', async () => {
    const x = tf.tensor2d([true, false, false, true, true, false], [2, 3], 'bool');
    const y = tf.reverse(x, 1);
    expect(Array.from(await y.data())).toEqual([0, 0, 1, 0, 1, 1]);
    tf.dispose([x, y]);
  });

  it.skipIf(!onWasm)(
    "runs the library's kernel on wasm, with TF.js's own kernel's bits (NaN payloads too)",
    async () => {
      expect(tf.getKernel(tf.Reverse, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
      for (const [shape, axes] of CASES) {
        const n = shape.reduce((a, b) => a * b, 1);
        // Every bit pattern is kept: quiet NaNs with payloads, -0, subnormals.
        const bits = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
        const x = tf.tensor(new Float32Array(bits.buffer), shape, 'float32');
        const ours = tf.reverse(x, axes);
        const tfjs = await withTfjsKernel(theirs, () => tf.reverse(x, axes));
        const raw = async (t: tf.Tensor) => Array.from(new Int32Array((await t.data<'float32'>()).buffer));
        expect(await raw(ours)).toEqual(await raw(tfjs));
        tf.dispose([x, ours, tfjs]);
      }
    },
  );
});
