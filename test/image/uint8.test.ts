import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { uint8 } from '../../src/image/uint8.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

describe('uint8', () => {
  it('rounds half away from zero and saturates (spec 9.5: [2.5 3.5 -0.5 254.5] -> [3 4 0 255])', async () => {
    const x = tf.tensor1d([2.5, 3.5, -0.5, 254.5]);
    const y = uint8(x);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([3, 4, 0, 255]);
    tf.dispose([x, y]);
  });

  it('matches MATLAB cat(2, uint8(1), 2.5, -3, 300, NaN, 0.5, 1.5) -> [1 3 0 255 0 1 2] (spec 6)', async () => {
    const x = tf.tensor1d([1, 2.5, -3, 300, NaN, 0.5, 1.5]);
    const y = uint8(x);
    expect(Array.from(await y.data())).toEqual([1, 3, 0, 255, 0, 1, 2]);
    tf.dispose([x, y]);
  });

  it('rounds values just below a half down, including the float32 trap 0.49999997', async () => {
    const below = Math.fround(0.5 - 2 ** -25); // largest float32 below 0.5
    const x = tf.tensor1d([below, 0.49, 1.4999999, 127.49, 127.5, 254.4999, 255.4, 255.6, -0.4, -1000]);
    const y = uint8(x);
    expect(Array.from(await y.data())).toEqual([0, 0, 1, 127, 128, 254, 255, 255, 0, 0]);
    tf.dispose([x, y]);
  });

  it('maps +Inf to 255, -Inf and NaN to 0', async () => {
    const x = tf.tensor1d([Infinity, -Infinity, NaN]);
    const y = uint8(x);
    expect(Array.from(await y.data())).toEqual([255, 0, 0]);
    tf.dispose([x, y]);
  });

  it('saturates int32 input to 0..255 and keeps the shape of any rank', async () => {
    const x = tf.tensor3d([-5, 0, 17, 255, 256, 1000, 3, 4], [2, 2, 2], 'int32');
    const y = uint8(x);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([0, 0, 17, 255, 255, 255, 3, 4]);
    const s = tf.scalar(7.5);
    const ys = uint8(s);
    expect(ys.shape).toEqual([]);
    expect(Array.from(await ys.data())).toEqual([8]);
    tf.dispose([x, y, s, ys]);
  });

  it('returns a new tensor, leaves the input unchanged, and leaks nothing', async () => {
    const x = tf.tensor2d([
      [0.4, 1.6],
      [2.5, -2.5],
    ]);
    const before = Array.from(await x.data());
    const y = await expectNoLeak(() => uint8(x), 1);
    expect(y).not.toBe(x);
    expect(x.isDisposed).toBe(false);
    expect(Array.from(await x.data())).toEqual(before);
    const i = tf.tensor1d([1, 2], 'int32');
    const yi = await expectNoLeak(() => uint8(i), 1);
    expect(yi).not.toBe(i);
    tf.dispose([x, y, i, yi]);
  });

  it('rejects what is not a live float32/int32 tensor', async () => {
    await expectThrowsNoLeak(
      () => uint8([1, 2] as never),
      TypeError,
      "uint8: expected 'x' to be a tensor, got [1, 2] (array of length 2)",
    );
    const b = tf.tensor1d([1, 0], 'bool');
    await expectThrowsNoLeak(
      () => uint8(b),
      TypeError,
      "uint8: expected 'x' to be a tensor (dtype float32 or int32), got rank 1 [2] bool",
    );
    b.dispose();
    const d = tf.tensor1d([1]);
    d.dispose();
    await expectThrowsNoLeak(() => uint8(d), TypeError, "uint8: 'x' is a disposed tensor; it can no longer be used");
  });
});
