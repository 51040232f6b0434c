import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxChannel } from '../../src/image/maxChannel.js';
import { mat2gray } from '../../src/image/mat2gray.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

/** [h, w, c] tensor whose channel k holds `fill(k, i)` at pixel i (row-major). */
function hwc(
  h: number,
  w: number,
  c: number,
  fill: (k: number, i: number) => number,
  dtype: 'float32' | 'int32' = 'float32',
) {
  const data: number[] = [];
  for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) data.push(fill(k, i));
  return tf.tensor3d(data, [h, w, c], dtype);
}

describe('maxChannel', () => {
  it('returns the channel holding the global maximum, as [h, w]', async () => {
    // 2×2×3: channel 1 holds the maximum 9 at pixel 3.
    const act = hwc(2, 2, 3, (k, i) => (k === 1 && i === 3 ? 9 : k * 10 + i - 20));
    const ch = maxChannel(act);
    expect(ch.shape).toEqual([2, 2]);
    expect(ch.dtype).toBe('float32');
    expect(Array.from(await ch.data())).toEqual([-10, -9, -8, 9]);
    tf.dispose([act, ch]);
  });

  it('MATLAB max(max(max(A))) with A 3×4×1×5 and the maximum planted in frame 4 -> channel index 3 (spec 9.5)', async () => {
    const act = hwc(3, 4, 5, (k, i) => Math.sin(k * 12 + i));
    const planted = tf.tidy(() => {
      const mask = hwc(3, 4, 5, (k, i) => (k === 3 && i === 7 ? 1 : 0));
      return tf.add(act, tf.mul(mask, 5));
    });
    const ch = maxChannel(planted);
    const expected = tf.tidy(() => tf.reshape(tf.slice(planted, [0, 0, 3], [3, 4, 1]), [3, 4]));
    expect(Array.from(await ch.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([act, planted, ch, expected]);
  });

  it('breaks ties towards the first channel', async () => {
    const act = hwc(1, 2, 4, (k, i) => (k === 1 || k === 3 ? (i === 0 ? 7 : k) : 0));
    const ch = maxChannel(act);
    expect(Array.from(await ch.data())).toEqual([7, 1]);
    tf.dispose([act, ch]);
  });

  it('ignores NaN; a tensor of only NaN gives channel 0', async () => {
    const act = hwc(1, 2, 3, (k, i) => (k === 0 ? NaN : k === 2 && i === 1 ? 4 : 1));
    const ch = maxChannel(act);
    expect(Array.from(await ch.data())).toEqual([1, 4]);
    const nan = tf.fill([2, 1, 3], NaN);
    const chNan = maxChannel(nan);
    expect(chNan.shape).toEqual([2, 1]);
    expect(Array.from(await chNan.data())).toEqual([NaN, NaN]);
    tf.dispose([act, ch, nan, chNan]);
  });

  it('handles -Inf/+Inf and all-negative activations', async () => {
    const act = hwc(
      1,
      2,
      3,
      (k, i) =>
        [
          [-5, -Infinity],
          [-3, -4],
          [-Infinity, -Infinity],
        ][k][i],
    );
    const ch = maxChannel(act);
    expect(Array.from(await ch.data())).toEqual([-3, -4]);
    const inf = hwc(1, 1, 2, (k) => (k === 1 ? Infinity : 3));
    const chInf = maxChannel(inf);
    expect(Array.from(await chInf.data())).toEqual([Infinity]);
    tf.dispose([act, ch, inf, chInf]);
  });

  it('keeps int32 activations int32', async () => {
    const act = hwc(2, 1, 2, (k, i) => (k === 1 ? 200 + i : 100), 'int32');
    const ch = maxChannel(act);
    expect(ch.dtype).toBe('int32');
    expect(Array.from(await ch.data())).toEqual([200, 201]);
    tf.dispose([act, ch]);
  });

  it('edge shapes: 1×1×1, one channel, 1×1 with many channels', async () => {
    const one = tf.tensor3d([5], [1, 1, 1]);
    const c1 = maxChannel(one);
    expect(c1.shape).toEqual([1, 1]);
    expect(Array.from(await c1.data())).toEqual([5]);
    const single = hwc(2, 3, 1, (_k, i) => i);
    const c2 = maxChannel(single);
    expect(c2.shape).toEqual([2, 3]);
    expect(Array.from(await c2.data())).toEqual([0, 1, 2, 3, 4, 5]);
    const pixel = hwc(1, 1, 6, (k) => [3, 1, 8, 2, 8, 0][k]);
    const c3 = maxChannel(pixel);
    expect(Array.from(await c3.data())).toEqual([8]);
    tf.dispose([one, c1, single, c2, pixel, c3]);
  });

  it("a batch [n, h, w, c] picks each image's own strongest channel -> [n, h, w]", async () => {
    // image 0: channel 2 strongest; image 1: channel 0 strongest; image 2: all NaN -> channel 0.
    const a0 = hwc(2, 2, 3, (k, i) => (k === 2 ? 10 + i : i));
    const a1 = hwc(2, 2, 3, (k, i) => (k === 0 ? 50 - i : i));
    const a2 = tf.fill([2, 2, 3], NaN);
    const batch = tf.stack([a0, a1, a2]);
    const ch = maxChannel(batch);
    expect(ch.shape).toEqual([3, 2, 2]);
    expect(Array.from(await ch.data())).toEqual([10, 11, 12, 13, 50, 49, 48, 47, NaN, NaN, NaN, NaN]);
    // Same as the single-image call on each image.
    for (const [i, a] of [a0, a1].entries()) {
      const single = maxChannel(a);
      const part = tf.tidy(() => tf.reshape(tf.slice(ch, [i, 0, 0], [1, 2, 2]), [2, 2]));
      expect(Array.from(await part.data())).toEqual(Array.from(await single.data()));
      tf.dispose([single, part]);
    }
    tf.dispose([a0, a1, a2, batch, ch]);
  });

  it('composes synchronously: mat2gray(maxChannel(act)) in one tidy', async () => {
    const act = hwc(2, 2, 2, (k, i) => (k === 1 ? i * 2 : -1));
    const out = tf.tidy(() => mat2gray(maxChannel(act)));
    expect(Array.from(await out.data())).toEqual([0, 1 / 3, 2 / 3, 1].map(Math.fround));
    tf.dispose([act, out]);
  });

  it('returns one new tensor, leaves the input unchanged, leaks nothing', async () => {
    const act = hwc(2, 2, 3, (k, i) => k * i);
    const before = Array.from(await act.data());
    const ch = await expectNoLeak(() => maxChannel(act), 1);
    const batch = tf.stack([act, act]);
    const chb = await expectNoLeak(() => maxChannel(batch), 1);
    expect(Array.from(await act.data())).toEqual(before);
    expect(act.isDisposed).toBe(false);
    tf.dispose([act, ch, batch, chb]);
  });

  it('rejects bad input with exact messages', async () => {
    await expectThrowsNoLeak(
      () => maxChannel(undefined as never),
      TypeError,
      "maxChannel: expected 'act' to be a tensor [h, w, c] or [n, h, w, c], got undefined",
    );
    const flat = tf.zeros([4, 4]);
    await expectThrowsNoLeak(
      () => maxChannel(flat),
      RangeError,
      "maxChannel: expected 'act' to be a tensor [h, w, c] or [n, h, w, c], got rank 2 [4, 4] float32",
    );
    const empty = tf.zeros([2, 0, 3]);
    await expectThrowsNoLeak(
      () => maxChannel(empty),
      RangeError,
      "maxChannel: expected 'act' to be a non-empty tensor [h, w, c] or [n, h, w, c], got rank 3 [2, 0, 3] float32",
    );
    const b = tf.zeros([1, 1, 2], 'bool');
    await expectThrowsNoLeak(
      () => maxChannel(b),
      TypeError,
      "maxChannel: expected 'act' to be a tensor [h, w, c] or [n, h, w, c] (dtype float32 or int32), got rank 3 [1, 1, 2] bool",
    );
    const d = tf.zeros([1, 1, 2]);
    d.dispose();
    await expectThrowsNoLeak(
      () => maxChannel(d),
      TypeError,
      "maxChannel: 'act' is a disposed tensor; it can no longer be used",
    );
    tf.dispose([flat, empty, b]);
  });
});
