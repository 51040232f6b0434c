import { describe, it, expect, afterEach, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import pngjs from 'pngjs';
import { encodePng } from '../../src/io/encodePng.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

/** Decodes with pngjs (an independent decoder): header fields and the samples without the RGBA padding. */
function decode(bytes: Uint8Array) {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes), { checkCRC: true } as never);
  const channels = png.colorType === 0 ? 1 : 3;
  const samples = Array.from(png.data).filter((_, i) => i % 4 < channels);
  return { width: png.width, height: png.height, colorType: png.colorType, depth: png.depth, samples };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('encodePng', () => {
  it('float32: clamp to [0, 1], ×255, round half up; NaN → 0 (MATLAB imshow / im2uint8 rule)', async () => {
    // 0.5 → 127.5 → 128; 0.50196 → 128.0 → 128; 1/255 → 1; 0.0019 → 0.48 → 0; 0.002 → 0.51 → 1.
    const values = [0, 0.5, 0.50196, 1 / 255, 0.0019, 0.002, -0.1, 1.2, NaN, Infinity, -Infinity, 1];
    const img = tf.tensor2d(values, [3, 4]);
    const bytes = await expectNoLeak(() => encodePng(img));
    expect(decode(bytes)).toEqual({
      width: 4,
      height: 3,
      colorType: 0,
      depth: 8,
      samples: [0, 128, 128, 1, 0, 1, 0, 255, 0, 255, 0, 255],
    });
    img.dispose();
  });

  it('int32: as is, saturated to 0..255', async () => {
    const img = tf.tensor3d([0, 1, 254, 255, 256, -1, 1000, -1000, 128], [1, 3, 3], 'int32');
    const bytes = await expectNoLeak(() => encodePng(img));
    expect(decode(bytes)).toEqual({
      width: 3,
      height: 1,
      colorType: 2,
      depth: 8,
      samples: [0, 1, 254, 255, 255, 0, 255, 0, 128],
    });
    img.dispose();
  });

  it('[h, w, 1] is gray, [h, w, 3] RGB; a 1×1 image works', async () => {
    const g = tf.tensor3d([10, 20], [2, 1, 1], 'int32');
    expect(decode(await encodePng(g))).toMatchObject({ width: 1, height: 2, colorType: 0, samples: [10, 20] });
    const one = tf.tensor3d([0.2, 0.4, 0.6], [1, 1, 3]);
    expect(decode(await encodePng(one))).toMatchObject({ width: 1, height: 1, colorType: 2, samples: [51, 102, 153] });
    tf.dispose([g, one]);
  });

  it('compresses a photo-like image and keeps every value (all five row filters exercised)', async () => {
    const h = 64;
    const w = 80;
    const data = new Int32Array(h * w * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = (x * 3 + y * 2 + c * 40 + ((x * y) % 7)) & 255;
    const img = tf.tensor3d(data, [h, w, 3], 'int32');
    const bytes = await encodePng(img);
    expect(decode(bytes).samples).toEqual(Array.from(data));
    expect(bytes.length).toBeLessThan(h * w * 3); // smaller than the raw samples
    img.dispose();
  });

  it('without CompressionStream, writes a valid uncompressed PNG (stored deflate blocks over 64 KiB)', async () => {
    vi.stubGlobal('CompressionStream', undefined);
    const h = 200;
    const w = 150; // 200 rows × (150×3 + 1) bytes = 90,200 bytes: two stored blocks
    const data = new Int32Array(h * w * 3).map((_, i) => (i * 7) & 255);
    const img = tf.tensor3d(data, [h, w, 3], 'int32');
    const bytes = await encodePng(img);
    expect(decode(bytes).samples).toEqual(Array.from(data));
    expect(bytes.length).toBeGreaterThan(h * (w * 3 + 1));
    img.dispose();
  });

  it('does not change or dispose its input', async () => {
    const img = tf.tensor2d([
      [-1, 0.5],
      [2, NaN],
    ]);
    await encodePng(img);
    expect(img.isDisposed).toBe(false);
    expect(Array.from(await img.data())).toEqual([-1, 0.5, 2, NaN]);
    img.dispose();
  });

  it('bad input: TypeError for a non-tensor or wrong dtype, RangeError for a wrong shape', async () => {
    const WHAT = 'an image tensor [h, w], [h, w, 1] or [h, w, 3] of dtype float32 or int32';
    await expectThrowsNoLeak(
      () => encodePng([1, 2] as never),
      TypeError,
      `encodePng: expected 'img' to be ${WHAT}, got [1, 2] (array of length 2)`,
    );
    const b = tf.tensor2d([[1]], [1, 1], 'bool');
    await expectThrowsNoLeak(
      () => encodePng(b),
      TypeError,
      `encodePng: expected 'img' to be ${WHAT}, got rank 2 [1, 1] bool`,
    );
    const rgba = tf.zeros([2, 2, 4]);
    await expectThrowsNoLeak(
      () => encodePng(rgba),
      RangeError,
      `encodePng: expected 'img' to be ${WHAT}, got rank 3 [2, 2, 4] float32`,
    );
    const stack = tf.zeros([1, 2, 2, 3]);
    await expectThrowsNoLeak(
      () => encodePng(stack),
      RangeError,
      `encodePng: expected 'img' to be ${WHAT}, got rank 4 [1, 2, 2, 3] float32`,
    );
    const empty = tf.zeros([0, 3]);
    await expectThrowsNoLeak(
      () => encodePng(empty),
      RangeError,
      `encodePng: expected 'img' to be ${WHAT} with h, w >= 1, got rank 2 [0, 3] float32`,
    );
    const gone = tf.zeros([2, 2]);
    gone.dispose();
    await expectThrowsNoLeak(
      () => encodePng(gone),
      TypeError,
      `encodePng: 'img' is a disposed tensor; it can no longer be used`,
    );
    tf.dispose([b, rgba, stack, empty]);
  });
});
