import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { activations } from '../../src/net/activations.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadTinyNetwork, random } from '../helpers/tinyNetwork.js';

// deepDreamImage on the tiny network: each channel's mean activation rises with the iterations and at every pyramid
// level; shapes, scaling, errors and cancellation.

let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
let start: tf.Tensor3D;
beforeAll(async () => {
  tiny = await loadTinyNetwork();
  const r = random(3);
  start = tf.tensor3d(
    Array.from({ length: 9 * 11 * 3 }, () => 100 + 30 * r()),
    [9, 11, 3],
  );
});
afterAll(() => {
  tiny?.dispose();
  start?.dispose();
});

/** Each image's mean activation of its channel of conv_b. */
async function objective(images: tf.Tensor4D, channels: number[]): Promise<number[]> {
  const act = activations(tiny.net, images, 'conv_b');
  const v = (await tf.tidy(() => tf.mean(act, [1, 2])).array()) as number[][];
  act.dispose();
  return channels.map((c, i) => v[i][c]);
}

describe('deepDreamImage', () => {
  it('raises each channel mean activation with every iteration, one image per channel', async () => {
    const channels = [0, 3];
    const startBatch = tf.stack([start, start]) as tf.Tensor4D;
    const base = await objective(startBatch, channels);
    const run = (numIterations: number) =>
      deepDreamImage(tiny.net, 'conv_b', channels, {
        initialImage: start,
        numIterations,
        pyramidLevels: 1,
        outputScaling: 'none',
      });
    const one = await run(1);
    const five = await run(5);
    expect(one.shape).toEqual([2, 9, 11, 3]);
    const o1 = await objective(one, channels);
    const o5 = await objective(five, channels);
    for (const i of [0, 1]) {
      expect(o1[i]).toBeGreaterThan(base[i]);
      expect(o5[i]).toBeGreaterThan(o1[i]);
    }
    tf.dispose([startBatch, one, five]);
  });

  it('rises at every pyramid level, ends at the input size, and scales each image to [0, 1] by default', async () => {
    const progress: number[] = [];
    const levels: number[] = [];
    for (const pyramidLevels of [1, 2, 3]) {
      const img = await deepDreamImage(tiny.net, 'conv_b', 1, {
        initialImage: start,
        numIterations: 2,
        pyramidLevels,
        pyramidScale: 1.15,
        outputScaling: 'none',
      });
      expect(img.shape).toEqual([1, 9, 11, 3]);
      levels.push((await objective(img, [1]))[0]);
      img.dispose();
    }
    const base = (await objective(tf.expandDims(start, 0) as tf.Tensor4D, [1]))[0];
    expect(Math.min(...levels)).toBeGreaterThan(base);
    const scaled = await deepDreamImage(tiny.net, 'conv_b', [1, 2], {
      numIterations: 2,
      pyramidLevels: 2,
      pyramidScale: 1.2,
      onProgress: (f) => progress.push(f),
    });
    const v = await scaled.data();
    expect(Math.min(...v)).toBe(0);
    expect(Math.max(...v)).toBeCloseTo(1, 6);
    expect(progress).toEqual([0.25, 0.5, 0.75, 1]);
    scaled.dispose();
  });

  it('checks its arguments, and stops when aborted, leaving nothing allocated', async () => {
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', 5),
      RangeError,
      "deepDreamImage: expected 'channels' to be an integer in [0, 4], got 5 (number)",
    );
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', [0], { pyramidScale: 1 }),
      RangeError,
      "deepDreamImage: expected 'options.pyramidScale' to be a number above 1, got 1 (number)",
    );
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', [0], { pyramidLevels: 6, pyramidScale: 2 }),
      RangeError,
      "deepDreamImage: the smallest pyramid level (1×1) is too small for layer 'conv_b'; use fewer 'options.pyramidLevels' or a smaller 'options.pyramidScale'",
    );
    const ac = new AbortController();
    await expectThrowsNoLeak(
      () =>
        deepDreamImage(tiny.net, 'conv_b', [0, 1], {
          numIterations: 50,
          signal: ac.signal,
          onProgress: (f) => f > 0.05 && ac.abort(new Error('enough')),
        }),
      Error,
      'deepDreamImage: the computation was aborted',
    );
  });
});
