import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getLimits, setLimits } from '../../src/internal/limits.js';
import { deepDreamImage, expand } from '../../src/interpret/deepDreamImage.js';
import { ensureGradients } from '../../src/net/gradients.js';
import { activations } from '../../src/net/activations.js';
import { segment } from '../../src/net/differentiable.js';
import { layerShapes } from '../../src/net/layerShapes.js';
import { toNetwork } from '../../src/net/toNetwork.js';
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

/** conv → global average pooling → dense (`dense`'s config): a dense layer's channels are its units. */
function denseHead(dense: { units: number; name: string; activation?: 'sigmoid' }): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [9, 11, 3], filters: 4, kernelSize: 3, name: 'c1', kernelInitializer: init(1) }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ ...dense, kernelInitializer: init(2) }),
    ],
  });
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

  it('repeats its images for a seed, 0 (the default) too, and dreams a channel alike alone or with others', async () => {
    const dream = (channels: number[], seed?: number) =>
      deepDreamImage(tiny.net, 'conv_b', channels, {
        numIterations: 2,
        pyramidLevels: 1,
        outputScaling: 'none',
        ...(seed === undefined ? {} : { seed }),
      });
    const read = async (t: tf.Tensor) => {
      const v = Array.from(await t.data());
      t.dispose();
      return v;
    };
    // TF.js's generators take a seed of 0 as none (a fresh random one): the default dream changed from run to run.
    const first = await read(await dream([0, 3]));
    expect(await read(await dream([0, 3]))).toEqual(first);
    expect(await read(await dream([0, 3], 0))).toEqual(first);
    const other = await read(await dream([0, 3], 1));
    expect(other.some((v, i) => Math.abs(v - first[i]) > 1)).toBe(true);
    // Every channel starts from the same noise: channel 3's image is the one it gets when dreamt alone.
    const alone = await read(await dream([3]));
    const second = first.slice(alone.length);
    expect(Math.max(...alone.map((v, i) => Math.abs(v - second[i])))).toBeLessThan(1e-3);
  });

  it('dreams many channels in mini-batches that the layers on the way fit, with the same images', async () => {
    const channels = [0, 1, 2, 3, 0];
    const options = { numIterations: 2, pyramidLevels: 2, pyramidScale: 1.2, outputScaling: 'none' } as const;
    const whole = await deepDreamImage(tiny.net, 'conv_b', channels, options);
    // The outputs of every layer up to conv_b for one image: a limit of twice that takes two images at a time.
    const shapes = layerShapes(tiny.net.layers, [9, 11, 3]);
    const perImage = segment(tiny.net, null, 'conv_b').layers.reduce(
      (sum, l) => sum + (shapes.get(l.name) ?? []).reduce((a, b) => a * b, 1),
      0,
    );
    const before = setLimits({ maxElements: Math.max(2 * perImage, 5 * 9 * 11 * 3) });
    const fractions: number[] = [];
    try {
      expect(Math.floor(getLimits().maxElements / perImage)).toBe(2);
      const batched = await deepDreamImage(tiny.net, 'conv_b', channels, {
        ...options,
        onProgress: (f) => fractions.push(f),
      });
      expect(batched.shape).toEqual([5, 9, 11, 3]);
      const [a, b] = [await whole.data(), await batched.data()];
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-3);
      batched.dispose();
    } finally {
      setLimits(before);
      whole.dispose();
    }
    // Three batches (2, 2, 1) of two levels of two iterations: 12 steps, rising to 1.
    expect(fractions).toHaveLength(12);
    expect(fractions.every((f, i) => i === 0 || f > fractions[i - 1])).toBe(true);
    expect(fractions.at(-1)).toBe(1);
  });

  it("dreams a Keras model's dense layer, whose channels are its outputs (MATLAB's fully connected layer)", async () => {
    // conv → global average pooling → dense: 'fc' is [3] per image, with no spatial axes.
    const keras = await toNetwork(denseHead({ units: 3, name: 'fc' }), { normalization: 'rescale-zero-one' });
    const channels = [0, 2];
    const scores = async (images: tf.Tensor4D) => {
      const out = activations(keras, images, 'fc') as tf.Tensor2D;
      const v = await out.array();
      out.dispose();
      return channels.map((c, i) => v[i][c]);
    };
    const startBatch = tf.stack([start, start]) as tf.Tensor4D;
    const base = await scores(startBatch);
    const dream = await deepDreamImage(keras, 'fc', channels, {
      initialImage: start,
      numIterations: 5,
      pyramidLevels: 1,
      outputScaling: 'none',
    });
    expect(dream.shape).toEqual([2, 9, 11, 3]);
    const after = await scores(dream);
    for (const i of [0, 1]) expect(after[i]).toBeGreaterThan(base[i]);
    await expectThrowsNoLeak(
      () => deepDreamImage(keras, 'fc', 3),
      RangeError,
      "deepDreamImage: expected 'channels' to be an integer in [0, 2], got 3 (number)",
    );
    tf.dispose([startBatch, dream]);
    keras.dispose(); // and the model it was made from
  });

  it("dreams a layer of a single unit (a binary classifier's sigmoid output), leaving nothing behind", async () => {
    const model = denseHead({ units: 1, activation: 'sigmoid', name: 'out' });
    const binary = await toNetwork(model, { normalization: 'rescale-zero-one' });
    const score = async (image: tf.Tensor) => {
      const out = activations(binary, image, 'out');
      const v = (await out.data())[0];
      out.dispose();
      return v;
    };
    const before = tf.memory().numTensors;
    const dream = await deepDreamImage(binary, 'out', 0, {
      initialImage: start,
      numIterations: 5,
      pyramidLevels: 1,
      outputScaling: 'none',
    });
    expect(tf.memory().numTensors - before).toBe(1);
    expect(dream.shape).toEqual([1, 9, 11, 3]);
    expect(await score(dream)).toBeGreaterThan(await score(start));
    dream.dispose();
    binary.dispose();
  });

  it('names itself and the network when TF.js fails inside the gradient', async () => {
    // tfjs-layers' softmax layer defaults to axis 1, which TF.js cannot compute on [n, h, w, c]: a model TF.js itself
    // cannot run (its predict fails too). The error still says which call and which network.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [9, 11, 3], filters: 4, kernelSize: 3, name: 'c1' }),
        tfl.layers.softmax({ name: 'sm' }),
      ],
    });
    const broken = await toNetwork(model, { normalization: 'none', name: 'broken' });
    await expectThrowsNoLeak(
      () => deepDreamImage(broken, 'sm', 0, { numIterations: 1, pyramidLevels: 1 }),
      Error,
      'deepDreamImage: broken could not compute the gradient through its layers: Softmax along a non-last dimension ' +
        'is not yet supported. Logits was rank 4 and dim was 1',
    );
    broken.dispose();
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
    // An empty list is a bad value, as for layers and classes: a RangeError.
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', []),
      RangeError,
      "deepDreamImage: expected 'channels' to be a 0-based channel index or a non-empty array of them, got [] (array of length 0)",
    );
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', [0, 7]),
      RangeError,
      "deepDreamImage: expected 'channels[1]' to be an integer in [0, 4], got 7 (number)",
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
    // A billion levels: the sizes of every level were listed first, and the process ran out of memory.
    for (const pyramidLevels of [1e9, Number.MAX_SAFE_INTEGER]) {
      await expectThrowsNoLeak(
        () => deepDreamImage(tiny.net, 'conv_b', [0], { pyramidLevels }),
        RangeError,
        "deepDreamImage: the smallest pyramid level (1×1) is too small for layer 'conv_b'; use fewer 'options.pyramidLevels' or a smaller 'options.pyramidScale'",
      );
    }
    // One image per channel: more than limits.maxElements holds is refused before any work, saying so.
    const before = setLimits({ maxElements: 1000 });
    try {
      await expectThrowsNoLeak(
        () => deepDreamImage(tiny.net, 'conv_b', [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4]),
        RangeError,
        "deepDreamImage: 'channels' asks for 20 images (one per channel) of 5,940 elements [20, 9, 11, 3] (0.0 MiB " +
          'as float32); the limit is 1,000 elements (limits.maxElements; raise it with setLimits)',
      );
    } finally {
      setLimits(before);
    }
    // A step that is finite but overflows float32 made the dream Infinity and NaN without a word.
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', [0], { stepSize: 1e39 }),
      RangeError,
      "deepDreamImage: expected 'options.stepSize' to be a positive number, finite as float32, got 1e+39 (number)",
    );
    // A non-finite starting pixel made the whole dream NaN without a word.
    const bad = tf.tensor3d(
      Float32Array.from({ length: 9 * 11 * 3 }, (_, i) => (i === 40 ? NaN : 100)),
      [9, 11, 3],
    );
    await expectThrowsNoLeak(
      () => deepDreamImage(tiny.net, 'conv_b', [0], { initialImage: bad, numIterations: 1, pyramidLevels: 1 }),
      RangeError,
      "deepDreamImage: expected 'options.initialImage' to hold finite pixel values, got NaN at [1, 2, 1]",
    );
    bad.dispose();
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

describe("the Laplacian pyramid's expand", () => {
  it.each([
    [9, 8],
    [10, 11],
    [57, 57],
  ])('equals the transposed convolution with the kernel on a diagonal filter (%i×%i)', async (h, w) => {
    ensureGradients(); // the library's wasm kernel for the depthwise input gradient
    const c = 3;
    const r = random(h * 100 + w);
    const lo = tf.tensor4d(
      Float32Array.from({ length: 2 * Math.ceil(h / 2) * Math.ceil(w / 2) * c }, () => r()),
      [2, Math.ceil(h / 2), Math.ceil(w / 2), c],
    );
    const k1 = [1, 4, 6, 4, 1];
    const k = k1.flatMap((a) => k1.map((b) => (a * b) / 256));
    const up = tf.tile(tf.reshape(tf.tensor1d(k.map((v) => v * 4)), [5, 5, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const diagonal = tf.mul(
      tf.reshape(tf.tensor1d(k.map((v) => v * 4)), [5, 5, 1, 1]),
      tf.reshape(tf.eye(c), [1, 1, c, c]),
    );
    const got = expand(lo, up, [2, h, w, c]);
    const want = tf.conv2dTranspose(lo, diagonal as tf.Tensor4D, [2, h, w, c], 2, 'same');
    expect(got.shape).toEqual([2, h, w, c]);
    const [g, v] = [(await got.data()) as Float32Array, (await want.data()) as Float32Array];
    const worst = g.reduce((m, x, i) => Math.max(m, Math.abs(x - v[i])), 0);
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...Array.from(v).map(Math.abs))).toBeGreaterThan(0.1);
    tf.dispose([lo, up, diagonal, got, want]);
  });
});
