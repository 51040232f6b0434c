/**
 * Splits along one axis on every backend (`tf.split`: a concatenation's gradient, a graph's `SplitV`), and on wasm
 * through the library's own `SplitV` (rows copied whole, short ones value by value), which replaces TF.js's there. The
 * oracle cuts each part out of the values by position; on wasm the parts are also compared bit for bit with TF.js's
 * own kernel's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `SplitV` on wasm, as its backend registered it. */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.SplitV).get(tf.SplitV);
});

/** The part of `values` (of `shape`) from `start` to `end` along `axis`, by position. */
function cut(values: number[], shape: number[], axis: number, start: number, end: number): number[] {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const dim = shape[axis];
  return values.filter((_, i) => {
    const position = Math.floor(i / inner) % dim;
    return position >= start && position < end;
  });
}

// Long rows (copied whole), short ones (the last axis: value by value), a count of equal parts, a size of -1.
const CASES: [number[], number, number | number[]][] = [
  [[2, 5, 4, 6], 0, [1, 1]],
  [[2, 5, 4, 6], 1, [2, 3]],
  [[2, 5, 4, 6], 2, [1, 2, 1]],
  [[2, 5, 4, 6], 3, [4, 2]],
  [[2, 5, 4, 6], -1, 3],
  [[3, 40, 8], 1, [16, -1]],
  [[4, 7], 1, [1, 5, 1]],
];

describe('split', () => {
  for (const [shape, axis, sizes] of CASES) {
    it(`splits [${shape.join(', ')}] along ${axis} into ${JSON.stringify(sizes)}, of any dtype`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const at = axis < 0 ? axis + shape.length : axis;
      const parts =
        typeof sizes === 'number'
          ? Array<number>(sizes).fill(shape[at] / sizes)
          : sizes.map((s) => (s === -1 ? shape[at] - sizes.reduce((a, b) => a + (b === -1 ? 0 : b), 0) : s));
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i * 3 - 50)).map(Number);
        const x = tf.tensor(values, shape, dtype);
        const got = await expectNoLeak(() => tf.split(x, sizes, axis), parts.length);
        let start = 0;
        for (const [k, part] of got.entries()) {
          expect(part.shape).toEqual(shape.map((d, i) => (i === at ? parts[k] : d)));
          expect(part.dtype).toBe(dtype);
          expect(Array.from(await part.data())).toEqual(cut(values, shape, at, start, start + parts[k]));
          start += parts[k];
        }
        tf.dispose([x, ...got]);
      }
    });
  }

  it("gives TF.js's error for sizes that do not add up", () => {
    const x = tf.zeros([2, 6]);
    expect(() => tf.split(x, [2, 3], 1)).toThrow(/sum of sizes must match/);
    x.dispose();
  });

  it.skipIf(!onWasm)(
    "runs the library's kernel on wasm, with TF.js's own kernel's bits (NaN payloads too)",
    async () => {
      expect(tf.getKernel(tf.SplitV, 'wasm').kernelFunc).not.toBe(theirs?.kernelFunc);
      for (const [shape, axis, sizes] of CASES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const bits = Int32Array.from({ length: n }, (_, i) => (i * 2654435761) | 0);
        const x = tf.tensor(new Float32Array(bits.buffer), shape, 'float32');
        const ours = tf.split(x, sizes, axis);
        const tfjs = await withTfjsKernel(theirs, () => tf.split(x, sizes, axis));
        const raw = async (t: tf.Tensor) => Array.from(new Int32Array((await t.data<'float32'>()).buffer));
        for (let k = 0; k < ours.length; k++) expect(await raw(ours[k])).toEqual(await raw(tfjs[k]));
        tf.dispose([x, ...ours, ...tfjs]);
      }
    },
  );
});
