import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxChannelIndex } from '../../src/image/maxChannelIndex.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { BACKEND } from '../helpers/backend.js';

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

describe('maxChannelIndex', () => {
  it('MATLAB [m,i] = max(max(max(A))), A 3×4×1×5, maximum planted in frame 4 -> i = 4 (index 3) (spec 9.5)', async () => {
    const act = hwc(3, 4, 5, (k, i) => (k === 3 && i === 5 ? 2.5 : Math.sin(k * 12 + i)));
    const r = await maxChannelIndex(act);
    expect(r).toEqual({ index: 3, matlabIndex: 4, value: 2.5 });
    act.dispose();
  });

  it('ties go to the first channel; NaN is ignored', async () => {
    const ties = hwc(1, 2, 4, (k) => (k === 1 || k === 2 ? 6 : 1));
    expect(await maxChannelIndex(ties)).toEqual({ index: 1, matlabIndex: 2, value: 6 });
    const nan = hwc(2, 1, 3, (k, i) => (k === 0 ? NaN : k === 2 && i === 1 ? 0.75 : 0.5));
    expect(await maxChannelIndex(nan)).toEqual({ index: 2, matlabIndex: 3, value: 0.75 });
    tf.dispose([ties, nan]);
  });

  it('an all-NaN map gives index 0 and value NaN (as MATLAB); all -Inf gives -Inf', async () => {
    const nan = tf.fill([2, 2, 3], NaN);
    expect(await maxChannelIndex(nan)).toEqual({ index: 0, matlabIndex: 1, value: NaN });
    const ninf = tf.fill([1, 1, 2], -Infinity);
    expect(await maxChannelIndex(ninf)).toEqual({ index: 0, matlabIndex: 1, value: -Infinity });
    tf.dispose([nan, ninf]);
  });

  // Not on webgpu: TF.js's WebGPU shaders compute int32 in f32 (max, where, concat), exact only below 2^24.
  it.skipIf(BACKEND === 'webgpu')('keeps int32 values exact (no float32 rounding of large values)', async () => {
    const act = hwc(1, 2, 2, (k, i) => (k === 1 && i === 1 ? 16_777_217 : 3), 'int32');
    expect(await maxChannelIndex(act)).toEqual({ index: 1, matlabIndex: 2, value: 16_777_217 });
    act.dispose();
  });

  it('a batch [n, h, w, c] gives one result per image, in order', async () => {
    const a0 = hwc(2, 2, 3, (k, i) => (k === 2 ? 10 + i : i));
    const a1 = hwc(2, 2, 3, (k, i) => (k === 0 ? 50 - i : i));
    const batch = tf.stack([a0, a1]) as tf.Tensor4D;
    const r = await maxChannelIndex(batch);
    expect(r).toEqual([
      { index: 2, matlabIndex: 3, value: 13 },
      { index: 0, matlabIndex: 1, value: 50 },
    ]);
    const one = tf.expandDims(a0, 0) as tf.Tensor4D;
    expect(await maxChannelIndex(one)).toEqual([{ index: 2, matlabIndex: 3, value: 13 }]);
    tf.dispose([a0, a1, batch, one]);
  });

  it('1×1×1 input', async () => {
    const x = tf.tensor3d([-4], [1, 1, 1]);
    expect(await maxChannelIndex(x)).toEqual({ index: 0, matlabIndex: 1, value: -4 });
    x.dispose();
  });

  it('leaves no tensor behind and the input unchanged', async () => {
    const act = hwc(2, 2, 3, (k, i) => k - i);
    const before = Array.from(await act.data());
    await expectNoLeak(() => maxChannelIndex(act));
    const batch = tf.stack([act, act]);
    await expectNoLeak(() => maxChannelIndex(batch));
    expect(Array.from(await act.data())).toEqual(before);
    tf.dispose([act, batch]);
  });

  it('throws synchronously, with exact messages and no leak', async () => {
    expect(() => maxChannelIndex(5 as never)).toThrow(TypeError);
    await expectThrowsNoLeak(
      () => maxChannelIndex(5 as never),
      TypeError,
      "maxChannelIndex: expected 'act' to be a tensor [h, w, c] or [n, h, w, c], got 5 (number)",
    );
    const v = tf.zeros([3]);
    await expectThrowsNoLeak(
      () => maxChannelIndex(v),
      RangeError,
      "maxChannelIndex: expected 'act' to be a tensor [h, w, c] or [n, h, w, c], got rank 1 [3] float32",
    );
    const e = tf.zeros([0, 2, 2, 1]);
    await expectThrowsNoLeak(
      () => maxChannelIndex(e),
      RangeError,
      "maxChannelIndex: expected 'act' to be a non-empty tensor [h, w, c] or [n, h, w, c], got rank 4 [0, 2, 2, 1] float32",
    );
    tf.dispose([v, e]);
  });
});
