import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/image/imresize.js';
import { maskSpans, occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { setLimits } from '../../src/internal/limits.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { activations } from '../../src/net/activations.js';
import type { Network } from '../../src/net/types.js';
import { BACKEND } from '../helpers/backend.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadTinyNetwork, randomImage } from '../helpers/tinyNetwork.js';

// occlusionSensitivity against its definition: each value is score(img) - score(img with the mask there), the masked
// images scored one by one with activations(); mask positions for both clipping modes; MATLAB's defaults; errors,
// progress and cancellation with nothing left allocated.

let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
let img: tf.Tensor3D;
beforeAll(async () => {
  tiny = await loadTinyNetwork();
  img = randomImage(5);
});
afterAll(() => {
  tiny?.dispose();
  img?.dispose();
});

/** The map by its definition, one masked image at a time. */
async function oracle(
  net: Network,
  image: tf.Tensor3D,
  cls: number,
  rows: [number, number][],
  cols: [number, number][],
  fill: number[],
): Promise<number[][]> {
  const score = async (x: tf.Tensor) => {
    const p = activations(net, x, net.layerNames[net.layerNames.length - 1]);
    const v = (await p.data())[cls];
    p.dispose();
    return v;
  };
  const pixels = (await image.array()) as number[][][];
  const base = await score(image);
  const out: number[][] = [];
  for (const [r0, r1] of rows) {
    const line: number[] = [];
    for (const [c0, c1] of cols) {
      const masked = pixels.map((row, i) => row.map((px, j) => (i >= r0 && i < r1 && j >= c0 && j < c1 ? fill : px)));
      const t = tf.tensor3d(masked, undefined, 'float32');
      line.push(base - (await score(t)));
      t.dispose();
    }
    out.push(line);
  }
  return out;
}

const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));

describe('occlusionSensitivity', () => {
  it('mask positions: clipped masks centred at 0, stride, ... (on); whole masks from corner 0 (off)', () => {
    expect(maskSpans(9, 3, 2, 'on')).toEqual([
      [0, 2],
      [1, 4],
      [3, 6],
      [5, 8],
      [7, 9],
    ]);
    expect(maskSpans(9, 3, 2, 'off')).toEqual([
      [0, 3],
      [2, 5],
      [4, 7],
      [6, 9],
    ]);
    expect(maskSpans(227, 45, 23, 'on')).toHaveLength(10);
    expect(maskSpans(227, 45, 23, 'off')).toHaveLength(8);
  });

  it.each(['on', 'off'] as const)(
    'is score(img) - score(masked img) at every position, clipping %s, per-channel mask value',
    async (maskClipping) => {
      const opts = { maskSize: [3, 4] as [number, number], stride: [2, 3] as [number, number], maskClipping };
      const map = await expectNoLeak(
        () => occlusionSensitivity(tiny.net, img, 2, { ...opts, outputUpsampling: 'none', maskValue: [10, 20, 30] }),
        1,
      );
      const rows = maskSpans(9, 3, 2, maskClipping);
      const cols = maskSpans(11, 4, 3, maskClipping);
      expect(map.shape).toEqual([rows.length, cols.length]);
      const want = await oracle(tiny.net, img, 2, rows, cols, [10, 20, 30]);
      expect(maxDiff((await map.array()) as number[][], want)).toBeLessThan(1e-5);
      map.dispose();
    },
  );

  it("takes MATLAB's defaults: 'auto' mask (20%), stride (10%), the image's mean, bicubic to the image's size", async () => {
    const progress: number[] = [];
    const map = await occlusionSensitivity(tiny.net, img, 'delta', {
      miniBatchSize: 7,
      onProgress: (f) => progress.push(f),
    });
    expect(map.shape).toEqual([9, 11]);
    // 20% of 9×11 = 2×2 masks, 10% = stride 1×1: 9 × 11 = 99 positions in 15 mini-batches of 7.
    expect(progress).toHaveLength(15);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.every((f, i) => i === 0 || f > progress[i - 1])).toBe(true);
    const none = await occlusionSensitivity(tiny.net, img, 3, { outputUpsampling: 'none' });
    expect(none.shape).toEqual([9, 11]);
    const mean = (await tf.tidy(() => tf.mean(tf.cast(img, 'float32'), [0, 1])).array()) as number[];
    const want = await oracle(tiny.net, img, 3, maskSpans(9, 2, 1, 'on'), maskSpans(11, 2, 1, 'on'), mean);
    expect(maxDiff((await none.array()) as number[][], want)).toBeLessThan(1e-5);
    const nearest = await occlusionSensitivity(tiny.net, img, 3, { outputUpsampling: 'nearest', stride: 3 });
    const small = await occlusionSensitivity(tiny.net, img, 3, { outputUpsampling: 'none', stride: 3 });
    const resized = imresize(small, [9, 11], { method: 'nearest' });
    expect(Array.from(await nearest.data())).toEqual(Array.from(await resized.data()));
    tf.dispose([map, none, nearest, small, resized]);
  });

  it('fills each channel of the mask with its own value, at every position and clipping', async () => {
    const fill = [10, 200, 90];
    for (const maskClipping of ['on', 'off'] as const) {
      const map = await occlusionSensitivity(tiny.net, img, 2, {
        outputUpsampling: 'none',
        maskSize: [3, 4],
        stride: 2,
        maskValue: fill,
        maskClipping,
        miniBatchSize: 4,
      });
      const want = await oracle(
        tiny.net,
        img,
        2,
        maskSpans(9, 3, 2, maskClipping),
        maskSpans(11, 4, 2, maskClipping),
        fill,
      );
      expect(map.shape).toEqual([want.length, want[0].length]);
      expect(maxDiff((await map.array()) as number[][], want)).toBeLessThan(1e-5);
      map.dispose();
    }
  });

  it('gives the same map for any mini-batch size', async () => {
    const a = await occlusionSensitivity(tiny.net, img, 1, { outputUpsampling: 'none', miniBatchSize: 1 });
    const b = await occlusionSensitivity(tiny.net, img, 1, { outputUpsampling: 'none', miniBatchSize: 500 });
    expect(maxDiff((await a.array()) as number[][], (await b.array()) as number[][])).toBeLessThan(1e-6);
    tf.dispose([a, b]);
  });

  it("gives one map per class for an array of classes (MATLAB's vector label), from the same passes", async () => {
    const opts = { outputUpsampling: 'none' as const, stride: 2 };
    const progress: number[] = [];
    const maps = await occlusionSensitivity(tiny.net, img, [3, 'alpha', 3], {
      ...opts,
      onProgress: (f) => progress.push(f),
    });
    expect(maps.shape).toEqual([5, 6, 3]);
    const single = await occlusionSensitivity(tiny.net, img, 3, { ...opts, onProgress: () => {} });
    expect(progress).toHaveLength(1); // 30 positions in one mini-batch, as for one class
    const alpha = await occlusionSensitivity(tiny.net, img, 0, opts);
    const columns = (await maps.array()) as number[][][];
    const column = (c: number) => columns.map((row) => row.map((v) => v[c]));
    // The same numbers as one class at a time (to float32's last bits: a GPU may sum in another order).
    expect(maxDiff(column(0), (await single.array()) as number[][])).toBeLessThan(1e-6);
    expect(maxDiff(column(1), (await alpha.array()) as number[][])).toBeLessThan(1e-6);
    expect(maxDiff(column(2), (await single.array()) as number[][])).toBeLessThan(1e-6);
    // Upsampled, each map is the one class's map resized.
    const big = await occlusionSensitivity(tiny.net, img, [3, 0], { stride: 2 });
    const one = await occlusionSensitivity(tiny.net, img, 0, { stride: 2 });
    expect(big.shape).toEqual([9, 11, 2]);
    const second = tf.gather(big, [1], 2);
    expect(maxDiff([Array.from(await second.data())], [Array.from(await one.data())])).toBeLessThan(1e-6);
    tf.dispose([maps, single, alpha, big, one, second]);
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, []),
      RangeError,
      "occlusionSensitivity: expected 'classOrLabel' to be a class (index or name) or a non-empty array of classes, got [] (array of length 0)",
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, [0, 'zeta']),
      RangeError,
      "occlusionSensitivity: expected 'classOrLabel[1]' to be a class name of tinynet, got \"zeta\" (string); did you mean 'beta', 'delta' or 'alpha'?",
    );
    const before = setLimits({ maxElements: 9 * 11 * 4 });
    try {
      await expectThrowsNoLeak(
        () => occlusionSensitivity(tiny.net, img, [0, 1, 2, 3, 4], { miniBatchSize: 1 }),
        RangeError,
        "occlusionSensitivity: 'classOrLabel' asks for maps of 495 elements [9, 11, 5] (0.0 MiB as float32); the limit is 396 elements (limits.maxElements; raise it with setLimits)",
      );
    } finally {
      setLimits(before);
    }
  });

  it('sizes its mini-batches to limits.maxElements unless told, and says what fits when told more', async () => {
    // A masked 9×11×3 image is 297 elements, the largest tensor of a pass through tinynet: 10 fit in 2,970.
    const before = setLimits({ maxElements: 297 * 10 });
    try {
      const progress: number[] = [];
      const a = await occlusionSensitivity(tiny.net, img, 1, {
        outputUpsampling: 'none',
        onProgress: (f) => progress.push(f),
      });
      expect(progress[0]).toBeCloseTo(10 / a.size, 6);
      const b = await occlusionSensitivity(tiny.net, img, 1, { outputUpsampling: 'none', miniBatchSize: 1 });
      expect(maxDiff((await a.array()) as number[][], (await b.array()) as number[][])).toBeLessThan(1e-6);
      tf.dispose([a, b]);
      await expectThrowsNoLeak(
        () => occlusionSensitivity(tiny.net, img, 1, { miniBatchSize: 11 }),
        RangeError,
        "occlusionSensitivity: expected 'options.miniBatchSize' to be at most 10 for a 9×11 image (a larger mini-batch of images exceeds limits.maxElements; raise it with setLimits), got 11 (number)",
      );
    } finally {
      setLimits(before);
    }
  });

  it('checks its arguments before any work', async () => {
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 'zeta'),
      RangeError,
      "occlusionSensitivity: expected 'classOrLabel' to be a class name of tinynet, got \"zeta\" (string); did you mean 'beta', 'delta' or 'alpha'?",
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 5),
      RangeError,
      "occlusionSensitivity: expected 'classOrLabel' to be a 0-based class index in [0, 4] or a class name, got 5 (number)",
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 0, { maskSize: [10, 3] }),
      RangeError,
      "occlusionSensitivity: expected 'options.maskSize' to be at most the image's size 9×11, got [10, 3] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 0, { stride: 0 }),
      RangeError,
      "occlusionSensitivity: expected 'options.stride' to be a positive integer, [rows, cols] of positive integers, or 'auto', got 0 (number)",
    );
    // A value past float32's range made every masked image Infinity and the map NaN.
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 0, { maskValue: [0, 1e39, 0] }),
      RangeError,
      "occlusionSensitivity: expected 'options.maskValue' to be a finite number, 3 finite numbers (one per channel), or 'auto' (finite as float32), got [0, 1e+39, 0] (array of length 3)",
    );
    const big = tf.zeros([10, 11, 3]);
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, big, 0),
      RangeError,
      "occlusionSensitivity: expected 'img' to be 9×11 pixels, the network's input size (resize it with imresize), got rank 3 [10, 11, 3] float32",
    );
    const bad = tf.tensor3d(
      Array.from({ length: 9 * 11 * 3 }, (_, i) => (i === 40 ? Number.NaN : 1)),
      [9, 11, 3],
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, bad, 0),
      RangeError,
      "occlusionSensitivity: expected 'img' to hold finite pixel values, got NaN at [1, 2, 1]",
    );
    const aborted = new AbortController();
    aborted.abort(new Error('no'));
    await expectThrowsNoLeak(
      () => occlusionSensitivity(tiny.net, img, 0, { signal: aborted.signal }),
      Error,
      'occlusionSensitivity: the computation was aborted',
    );
    tf.dispose([big, bad]);
  });

  it('stops between mini-batches when aborted or when onProgress throws, leaving nothing allocated', async () => {
    const ac = new AbortController();
    const err = await expectThrowsNoLeak(
      () =>
        occlusionSensitivity(tiny.net, img, 0, {
          miniBatchSize: 5,
          signal: ac.signal,
          onProgress: (f) => f > 0.1 && ac.abort(new Error('user left')),
        }),
      Error,
      'occlusionSensitivity: the computation was aborted',
    );
    expect((err.cause as Error).message).toBe('user left');
    let calls = 0;
    await expectThrowsNoLeak(
      () =>
        occlusionSensitivity(tiny.net, img, 0, {
          miniBatchSize: 5,
          onProgress: () => {
            calls++;
            throw new Error('progress bar gone');
          },
        }),
      Error,
      "occlusionSensitivity: 'options.onProgress' threw: progress bar gone",
    );
    expect(calls).toBe(1);
  });
});

describe('occlusionSensitivity on SqueezeNet', () => {
  // Ten full passes: a second on wasm, over ten on the cpu backend, which the tiny network's tests cover.
  it.skipIf(BACKEND === 'cpu')(
    'hiding a quarter of the face changes the score of its top class as scoring the masked images does',
    async () => {
      const net = await squeezenet();
      const face = readSharedPng('face.png');
      try {
        const opts = { maskSize: 114, stride: 113, maskClipping: 'off' as const, outputUpsampling: 'none' as const };
        const map = await occlusionSensitivity(net, face, 'wig', opts);
        expect(map.shape).toEqual([2, 2]);
        const spans = maskSpans(227, 114, 113, 'off');
        const mean = (await tf.tidy(() => tf.mean(tf.cast(face, 'float32'), [0, 1])).array()) as number[];
        const want = await oracle(net, face, net.classNames.indexOf('wig'), spans, spans, mean);
        expect(maxDiff((await map.array()) as number[][], want)).toBeLessThan(1e-4);
        map.dispose();
      } finally {
        face.dispose();
        net.dispose();
      }
    },
  );
});
