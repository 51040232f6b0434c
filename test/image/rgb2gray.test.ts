import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { rgb2gray } from '../../src/image/rgb2gray.js';
import { TOL } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

// MATLAB's weights, the first row of the inverse of the NTSC (YIQ) matrix; its documentation rounds them to 0.2989,
// 0.5870 and 0.1140.
const W = [0.298936021293775, 0.587043074451121, 0.114020904255103];

describe('rgb2gray', () => {
  it('weighs R, G and B as MATLAB does, rounding int32 (MATLAB uint8) pixels to the nearest whole number', async () => {
    const pixels = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
      [10, 20, 30],
      [200, 100, 50],
    ];
    const rgb = tf.tensor3d(pixels.flat(), [2, 3, 3], 'int32');
    const gray = await expectNoLeak(() => rgb2gray(rgb), 1);
    expect(gray.shape).toEqual([2, 3]);
    expect(gray.dtype).toBe('int32');
    // MATLAB: rgb2gray(uint8(...)) gives 76, 150, 29, 255, 18, 124.
    expect(Array.from(await gray.data())).toEqual(
      pixels.map((p) => Math.round(p[0] * W[0] + p[1] * W[1] + p[2] * W[2])),
    );
    expect(Array.from(await gray.data())).toEqual([76, 150, 29, 255, 18, 124]);
    tf.dispose([rgb, gray]);
  });

  it('keeps float32 pixels unrounded, and makes a batch [n, h, w, 3] a batch of gray images [n, h, w, 1]', async () => {
    const rgb = tf.tensor4d([0.5, 0.25, 1, 0, 1, 0.2], [2, 1, 1, 3]);
    const gray = rgb2gray(rgb);
    expect(gray.shape).toEqual([2, 1, 1, 1]);
    expect(gray.dtype).toBe('float32');
    const got = await gray.data();
    const want = [0.5 * W[0] + 0.25 * W[1] + W[2], W[1] + 0.2 * W[2]];
    for (let i = 0; i < 2; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(TOL);
    tf.dispose([rgb, gray]);
  });

  it('refuses what is not an RGB image, saying what it expected', async () => {
    const gray = tf.zeros([4, 4], 'int32');
    const rgba = tf.zeros([4, 4, 4], 'int32') as tf.Tensor3D;
    await expectThrowsNoLeak(
      () => rgb2gray(gray as unknown as tf.Tensor3D),
      RangeError,
      "rgb2gray: expected 'rgb' to be an RGB image [h, w, 3] or a batch of them [n, h, w, 3], got rank 2 [4, 4] int32",
    );
    await expectThrowsNoLeak(
      () => rgb2gray(rgba),
      RangeError,
      "rgb2gray: expected 'rgb' to be an RGB image [h, w, 3] or a batch of them [n, h, w, 3], got rank 3 [4, 4, 4] int32",
    );
    await expectThrowsNoLeak(
      () => rgb2gray([1, 2, 3] as unknown as tf.Tensor3D),
      TypeError,
      /^rgb2gray: expected 'rgb'/,
    );
    tf.dispose([gray, rgba]);
  });
});
