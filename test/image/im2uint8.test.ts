import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { im2uint8 } from '../../src/image/im2uint8.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

describe('im2uint8', () => {
  it('matches MATLAB im2uint8([0.5 0.50196 -0.1 1.2 NaN]) -> [128 128 0 255 0] (spec 6)', async () => {
    const x = tf.tensor1d([0.5, 0.50196, -0.1, 1.2, NaN]);
    const y = im2uint8(x);
    expect(y.dtype).toBe('int32');
    expect(Array.from(await y.data())).toEqual([128, 128, 0, 255, 0]);
    tf.dispose([x, y]);
  });

  it('maps 0 and 1 to 0 and 255, k/255 back to k, and rounds halves away from zero', async () => {
    const ks = [0, 1, 2, 50, 127, 128, 200, 254, 255];
    const x = tf.tensor1d([...ks.map((k) => k / 255), 2.5 / 255, 0.5 / 255, Infinity, -Infinity]);
    const y = im2uint8(x);
    expect(Array.from(await y.data())).toEqual([...ks, 3, 1, 255, 0]);
    tf.dispose([x, y]);
  });

  it('copies int32 input unchanged, any shape', async () => {
    const x = tf.tensor3d([0, 9, 128, 255], [1, 2, 2], 'int32');
    const y = im2uint8(x);
    expect(y).not.toBe(x);
    expect(y.dtype).toBe('int32');
    expect(y.shape).toEqual([1, 2, 2]);
    expect(Array.from(await y.data())).toEqual([0, 9, 128, 255]);
    tf.dispose([x, y]);
  });

  it('keeps the shape of a [n, h, w, 3] batch', async () => {
    const x = tf.fill([2, 3, 4, 3], 0.25);
    const y = im2uint8(x);
    expect(y.shape).toEqual([2, 3, 4, 3]);
    expect(new Set(await y.data())).toEqual(new Set([64])); // 63.75 -> 64
    tf.dispose([x, y]);
  });

  it('leaves the input unchanged and leaks nothing', async () => {
    const x = tf.tensor1d([0.2, 0.7]);
    const y = await expectNoLeak(() => im2uint8(x), 1);
    expect(Array.from(await x.data())).toEqual([Math.fround(0.2), Math.fround(0.7)]);
    expect(Array.from(await y.data())).toEqual([51, 179]);
    tf.dispose([x, y]);
  });

  it('rejects what is not a live float32/int32 tensor', async () => {
    await expectThrowsNoLeak(
      () => im2uint8(0.5 as never),
      TypeError,
      "im2uint8: expected 'x' to be a tensor, got 0.5 (number)",
    );
    const s = tf.tensor1d(['a'], 'string');
    await expectThrowsNoLeak(
      () => im2uint8(s),
      TypeError,
      "im2uint8: expected 'x' to be a tensor (dtype float32 or int32), got rank 1 [1] string",
    );
    s.dispose();
  });
});
