import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { COLORMAP_NAMES, colormap, heatmapOverlay, imagesc } from '../../src/image/colormap.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

const rows = async (t: tf.Tensor) => {
  const v = (await t.array()) as number[][];
  t.dispose();
  return v;
};
const close = (a: number[], b: number[], tol: number) => a.every((x, i) => Math.abs(x - b[i]) <= tol);

describe('colormap', () => {
  it("jet follows MATLAB's jet.m: jet(64) rows 1, 8, 24, 40, 64 and jet(1)", async () => {
    const j = await rows(colormap('jet', 64));
    expect(j).toHaveLength(64);
    expect(j[0]).toEqual([0, 0, 0.5625]);
    expect(j[7]).toEqual([0, 0, 1]);
    expect(j[23]).toEqual([0, 1, 1]);
    expect(j[39]).toEqual([1, 1, 0]);
    expect(j[63]).toEqual([0.5, 0, 0]);
    expect(await rows(colormap('jet', 1))).toEqual([[0, 1, 1]]);
  });

  it("gray and hot follow MATLAB's formulas (hot(8): red, then green, then blue ramps)", async () => {
    expect(await rows(colormap('gray', 3))).toEqual([
      [0, 0, 0],
      [0.5, 0.5, 0.5],
      [1, 1, 1],
    ]);
    const hot = await rows(colormap('hot', 8));
    // n = fix(3/8 * 8) = 3: r = 1/3, 2/3, 1, 1...; g rises over rows 4-6; b over rows 7-8.
    expect(hot.map((r) => r.map((v) => Math.round(v * 1e4) / 1e4))).toEqual([
      [0.3333, 0, 0],
      [0.6667, 0, 0],
      [1, 0, 0],
      [1, 0.3333, 0],
      [1, 0.6667, 0],
      [1, 1, 0],
      [1, 1, 0.5],
      [1, 1, 1],
    ]);
  });

  it("viridis starts, passes and ends at its table's colours (within 0.02)", async () => {
    const v = await rows(colormap('viridis', 256));
    expect(close(v[0], [0.267, 0.005, 0.329], 0.02)).toBe(true);
    expect(close(v[128], [0.128, 0.567, 0.551], 0.02)).toBe(true);
    expect(close(v[255], [0.993, 0.906, 0.144], 0.02)).toBe(true);
    for (const name of COLORMAP_NAMES) {
      const c = await rows(colormap(name, 17));
      expect(c.flat().every((x) => x >= 0 && x <= 1)).toBe(true);
    }
  });

  it('checks its arguments', async () => {
    await expectThrowsNoLeak(
      () => colormap('parula' as never),
      RangeError,
      "colormap: expected 'name' to be one of 'jet', 'viridis', 'gray', 'hot', got \"parula\" (string)",
    );
    await expectThrowsNoLeak(
      () => colormap('jet', 0),
      RangeError,
      "colormap: expected 'm' to be an integer in [1, 65536], got 0 (number)",
    );
  });
});

describe('imagesc', () => {
  it("scales the map's own range onto the colormap as MATLAB does (floor((v - lo) / (hi - lo) * m), top in the last row)", async () => {
    const map = tf.tensor2d([
      [0, 1],
      [2, 4],
    ]);
    const rgb = await expectNoLeak(() => imagesc(map, { colormap: 'gray', colors: 5 }), 1);
    expect(rgb.shape).toEqual([2, 2, 3]);
    // rows of gray(5): 0, .25, .5, .75, 1; indices floor(v / 4 * 5) = 0, 1, 2, 5 -> 4
    expect(((await rgb.array()) as number[][][]).map((r) => r.map((p) => p[0]))).toEqual([
      [0, 0.25],
      [0.5, 1],
    ]);
    tf.dispose([map, rgb]);
  });

  it('uses given limits (clipping outside), the first colour for NaN, the middle colour for a constant map', async () => {
    const map = tf.tensor2d([[-5, 0.5, Number.NaN, 9]]);
    const rgb = imagesc(map, { colormap: 'gray', colors: 3, limits: [0, 1] });
    expect(((await rgb.array()) as number[][][])[0].map((p) => p[0])).toEqual([0, 0.5, 0, 1]);
    const flat = tf.fill([2, 2], 7);
    const mid = imagesc(flat, { colormap: 'gray', colors: 3 });
    expect(((await mid.array()) as number[][][]).flat().map((p) => p[0])).toEqual([0.5, 0.5, 0.5, 0.5]);
    const batch = imagesc(tf.tensor4d([0, 1, 10, 30], [2, 1, 2, 1]), {
      colormap: 'gray',
      colors: 2,
    });
    expect(batch.shape).toEqual([2, 1, 2, 3]);
    tf.dispose([map, rgb, flat, mid, batch]);
  });

  it('takes its automatic limits from finite values: +Inf takes the last colour, -Inf the first (as clim says)', async () => {
    const inf = Number.POSITIVE_INFINITY;
    const map = tf.tensor2d([[-inf, 0, 1, 2, inf, Number.NaN]]);
    const rgb = await expectNoLeak(() => imagesc(map, { colormap: 'gray', colors: 3 }), 1);
    // finite range 0..2: indices floor(v / 2 * 3) = 0, 1, 3 -> 2; -Inf first, +Inf last, NaN first
    expect(((await rgb.array()) as number[][][])[0].map((p) => p[0])).toEqual([0, 0, 0.5, 1, 1, 0]);
    // No finite value at all: each infinity still takes its end of the colormap.
    const only = tf.tensor2d([[inf, -inf, Number.NaN]]);
    const ends = imagesc(only, { colormap: 'gray', colors: 3 });
    expect(((await ends.array()) as number[][][])[0].map((p) => p[0])).toEqual([1, 0, 0]);
    tf.dispose([map, rgb, only, ends]);
  });

  it('scales values near the float32 extremes without overflowing the range', async () => {
    const map = tf.tensor2d([[-3e38, 0, 3e38]]);
    const rgb = imagesc(map, { colormap: 'gray', colors: 3 });
    expect(((await rgb.array()) as number[][][])[0].map((p) => p[0])).toEqual([0, 0.5, 1]);
    const small = tf.tensor2d([[-1, 0, 1]]);
    const wide = imagesc(small, { colormap: 'gray', colors: 3, limits: [-3e38, 3e38] });
    expect(((await wide.array()) as number[][][])[0].map((p) => p[0])).toEqual([0.5, 0.5, 0.5]);
    tf.dispose([map, rgb, small, wide]);
  });

  it('refuses limits that float32 cannot tell apart or hold', async () => {
    const map = tf.zeros([2, 2]);
    await expectThrowsNoLeak(
      () => imagesc(map, { limits: [1, 1 + 1e-12] }),
      RangeError,
      "imagesc: expected 'options.limits' to be finite numbers [low, high] with low < high, also as float32, got [1, 1.000000000001] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => imagesc(map, { limits: [0, 1e39] }),
      RangeError,
      "imagesc: expected 'options.limits' to be finite numbers [low, high] with low < high, also as float32, got [0, 1e+39] (array of length 2)",
    );
    tf.dispose(map);
  });

  it('checks its arguments', async () => {
    const rgb = tf.zeros([2, 2, 3]);
    await expectThrowsNoLeak(
      () => imagesc(rgb),
      RangeError,
      "imagesc: expected 'map' to be a map [h, w] or [h, w, 1], or a batch [n, h, w, 1], got rank 3 [2, 2, 3] float32",
    );
    const map = tf.zeros([2, 2]);
    await expectThrowsNoLeak(
      () => imagesc(map, { limits: [1, 1] }),
      RangeError,
      "imagesc: expected 'options.limits' to be finite numbers [low, high] with low < high, also as float32, got [1, 1] (array of length 2)",
    );
    tf.dispose([rgb, map]);
  });
});

describe('heatmapOverlay', () => {
  it("blends (1 - alpha) image + alpha colours, as MATLAB's imshow + imagesc with AlphaData", async () => {
    const img = tf.tensor3d(
      [
        [
          [255, 0, 0],
          [0, 0, 0],
        ],
      ],
      [1, 2, 3],
      'int32',
    );
    const map = tf.tensor2d([[0, 1]]);
    const out = await expectNoLeak(() => heatmapOverlay(img, map, { alpha: 0.25, colormap: 'gray', colors: 2 }), 1);
    const v = (await out.array()) as number[][][];
    expect(v[0][0].map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0.75, 0, 0]); // red image, black colour
    expect(v[0][1]).toEqual([0.25, 0.25, 0.25]); // black image, white colour
    const gray = tf.tensor2d([[0.5, 0.5]]);
    const g = heatmapOverlay(gray, map, { alpha: 0, colormap: 'jet' });
    expect(g.shape).toEqual([1, 2, 3]);
    expect(Array.from(await g.data())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    tf.dispose([img, map, out, gray, g]);
  });

  it('shows the image as MATLAB would: int32 saturates at 0 and 255, NaN shows as 0, float clips to [0, 1]', async () => {
    const img = tf.tensor2d([[1000, -5, 51]], [1, 3], 'int32');
    const map = tf.tensor2d([[0, 0, 0]]);
    const out = await expectNoLeak(() => heatmapOverlay(img, map, { alpha: 0 }), 1);
    expect(Array.from(await out.data()).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([
      1, 1, 1, 0, 0, 0, 0.2, 0.2, 0.2,
    ]);
    const float = tf.tensor2d([[Number.NaN, 2, -1]]);
    const shown = heatmapOverlay(float, map, { alpha: 0 });
    expect(Array.from(await shown.data())).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0]);
    tf.dispose([img, map, out, float, shown]);
  });

  it('checks that the map has the image size, alpha lies in [0, 1] and the colour options, in its own name', async () => {
    const img = tf.zeros([4, 4, 3]);
    const small = tf.zeros([2, 2]);
    await expectThrowsNoLeak(
      () => heatmapOverlay(img, small),
      RangeError,
      "heatmapOverlay: expected 'map' to be a map [4, 4] (the image's size), got rank 2 [2, 2] float32",
    );
    // The maps of several classes (gradCAM, occlusionSensitivity or imageLIME given an array) say how to pick one.
    const maps = tf.zeros([4, 4, 2]);
    await expectThrowsNoLeak(
      () => heatmapOverlay(img, maps),
      RangeError,
      "heatmapOverlay: expected 'map' to be a map [4, 4] (the image's size); for one of 2 maps, tf.gather(map, i, 2), got rank 3 [4, 4, 2] float32",
    );
    maps.dispose();
    const map = tf.zeros([4, 4]);
    await expectThrowsNoLeak(
      () => heatmapOverlay(img, map, { alpha: 2 }),
      RangeError,
      "heatmapOverlay: expected 'options.alpha' to be a number in [0, 1], got 2 (number)",
    );
    // The colour options are checked in its name too, and a map [h, w, 1] leaves nothing behind.
    const deep = tf.zeros([4, 4, 1]);
    await expectThrowsNoLeak(
      () => heatmapOverlay(img, deep, { colormap: 'parula' as never }),
      RangeError,
      "heatmapOverlay: expected 'options.colormap' to be one of 'jet', 'viridis', 'gray', 'hot', got \"parula\" (string)",
    );
    const out = await expectNoLeak(() => heatmapOverlay(img, deep), 1);
    expect(out.shape).toEqual([4, 4, 3]);
    tf.dispose([img, small, map, deep, out]);
  });
});
