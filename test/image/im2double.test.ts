import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { im2double } from '../../src/image/im2double.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { TOL } from '../helpers/backend.js';

function expectClose(actual: ArrayLike<number>, expected: number[], tol = TOL) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expect(Math.abs(actual[i] - e)).toBeLessThanOrEqual(tol);
  });
}

describe('im2double', () => {
  it('divides int32 (MATLAB uint8) by 255 into float32', async () => {
    const x = tf.tensor1d([0, 51, 102, 128, 255], 'int32');
    const y = im2double(x);
    expect(y.dtype).toBe('float32');
    expectClose(await y.data(), [0, 0.2, 0.4, 128 / 255, 1]);
    tf.dispose([x, y]);
  });

  it('keeps float32 values exactly, out-of-range ones and NaN included (no clipping)', async () => {
    const x = tf.tensor1d([-0.5, 0.25, 1.5, NaN, Infinity]);
    const y = im2double(x);
    expect(y.dtype).toBe('float32');
    expect(Array.from(await y.data())).toEqual([-0.5, 0.25, 1.5, NaN, Infinity]);
    tf.dispose([x, y]);
  });

  it('keeps any shape: scalar, [h, w, 3], [n, h, w, c]', async () => {
    for (const shape of [[], [2, 3, 3], [2, 1, 1, 3]]) {
      const x = tf.zeros(shape, 'int32');
      const y = im2double(x);
      expect(y.shape).toEqual(shape);
      tf.dispose([x, y]);
    }
  });

  it('returns a new tensor (also for float32), leaves the input unchanged, leaks nothing', async () => {
    const f = tf.tensor1d([0.1, 0.2]);
    const yf = await expectNoLeak(() => im2double(f), 1);
    expect(yf).not.toBe(f);
    yf.dispose();
    expect(f.isDisposed).toBe(false);
    expect(Array.from(await f.data())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    const i = tf.tensor1d([7, 255], 'int32');
    const yi = await expectNoLeak(() => im2double(i), 1);
    expect(Array.from(await i.data())).toEqual([7, 255]);
    tf.dispose([f, i, yi]);
  });

  it('rejects what is not a live float32/int32 tensor', async () => {
    await expectThrowsNoLeak(
      () => im2double(null as never),
      TypeError,
      "im2double: expected 'x' to be a tensor, got null",
    );
    const b = tf.tensor1d([true], 'bool');
    await expectThrowsNoLeak(
      () => im2double(b),
      TypeError,
      "im2double: expected 'x' to be a tensor (dtype float32 or int32), got rank 1 [1] bool",
    );
    b.dispose();
  });
});
