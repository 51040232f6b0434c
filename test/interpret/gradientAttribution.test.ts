import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientAttribution } from '../../src/interpret/gradientAttribution.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { setLimits } from '../../src/internal/limits.js';
import { withGuidedReLU } from '../../src/net/gradients.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import {
  type Act,
  conv2d,
  loadTinyNetwork,
  NORMALIZATION,
  PARAMS,
  pool2d,
  random,
  randomImage,
} from '../helpers/tinyNetwork.js';
import { loadUserGraph } from '../helpers/userGraph.js';

// gradientAttribution against float64 oracles independent of TF.js: the whole tiny network by central differences
// (the gradient), and guided backpropagation worked out by hand through its one ReLU and through a Keras model's.

let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
let img: tf.Tensor3D;
beforeAll(async () => {
  tiny = await loadTinyNetwork();
  img = randomImage(11);
});
afterAll(() => {
  tiny?.dispose();
  img?.dispose();
});

const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
};

/** The largest difference between `got` and `want`, relative to `want`'s largest magnitude. */
async function relativeError(got: tf.Tensor, want: ArrayLike<number>): Promise<number> {
  const g = await got.data();
  expect(g.length).toBe(want.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < g.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]));
    err = Math.max(err, Math.abs(g[i] - want[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return err / scale;
}

/** Sums |g| over the last axis of size `c`: the map of a gradient `g` in HWC order. */
const absOverChannels = (g: ArrayLike<number>, c: number) =>
  Float64Array.from({ length: g.length / c }, (_, p) => {
    let s = 0;
    for (let k = 0; k < c; k++) s += Math.abs(g[p * c + k]);
    return s;
  });

describe('gradientAttribution on a tiny network (float64 oracles)', () => {
  const [H, W, C] = [9, 11, 3];
  const cls = 2;
  const convA = PARAMS.get('conv_a')!;
  const normalize = (v: ArrayLike<number>) =>
    Float64Array.from(v, (p, i) => (p - NORMALIZATION.mean[i % C]) / NORMALIZATION.standardDeviation[i % C]);
  const relu = (a: Act): Act => ({ ...a, v: a.v.map((x) => Math.max(0, x)) });
  /** The tiny network's layers after relu_a (avg_a, conv_b, max_b, gap, prob), as the score of class `cls`. */
  function tail(a: Act): number {
    const avg = pool2d(a, 2, 1, [0, 1, 0, 1], 'avg');
    const conv = conv2d(avg, PARAMS.get('conv_b')!, 1, [0, 0, 0, 0]);
    const mx = pool2d(conv, 3, 2, [1, 1, 1, 1], 'max');
    const gap = new Float64Array(mx.c);
    for (let i = 0; i < mx.v.length; i++) gap[i % mx.c] += mx.v[i] / (mx.h * mx.w);
    const e = gap.map((x) => Math.exp(x - Math.max(...gap)));
    return e[cls] / e.reduce((s, v) => s + v, 0);
  }
  const convOut = (pixels: ArrayLike<number>) =>
    conv2d({ h: H, w: W, c: C, v: normalize(pixels) }, convA, 2, [1, 0, 1, 0]);
  const score = (pixels: ArrayLike<number>) => tail(relu(convOut(pixels)));
  const central = (f: (v: Float64Array) => number, v: Float64Array, eps: number) =>
    Float64Array.from(v, (_, i) => {
      const up = Float64Array.from(v);
      const down = Float64Array.from(v);
      up[i] += eps;
      down[i] -= eps;
      return (f(up) - f(down)) / (2 * eps);
    });

  /**
   * The gradient with respect to the pixels by hand: the tail's gradient at relu_a by central differences, through
   * the ReLU (guided: only its positive part), back through conv_a (stride 2, padding [1 0 1 0]) and the z-score.
   */
  function byHand(pixels: Float64Array, guided: boolean): Float64Array {
    const h = convOut(pixels);
    const gr = central((v) => tail({ ...h, v }), relu(h).v, 1e-5);
    const gh = gr.map((g, i) => (h.v[i] > 0 && (!guided || g > 0) ? g : 0));
    const [F, , K] = convA.weight.shape;
    const gx = new Float64Array(H * W * C);
    for (let y = 0; y < h.h; y++)
      for (let x = 0; x < h.w; x++)
        for (let f = 0; f < F; f++)
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < K; ky++)
              for (let kx = 0; kx < K; kx++) {
                const [iy, ix] = [y * 2 + ky - 1, x * 2 + kx - 1];
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                gx[(iy * W + ix) * C + c] +=
                  gh[(y * h.w + x) * F + f] * convA.weight.data[((f * C + c) * K + ky) * K + kx];
              }
    return gx.map((g, i) => g / NORMALIZATION.standardDeviation[i % C]);
  }

  it('autodiff: the summed |gradient| of the class score, as central differences through every layer give it', async () => {
    const pixels = Float64Array.from(await img.data());
    const want = absOverChannels(central(score, pixels, 1e-3), C);
    // The hand-worked gradient (the oracle of guided backpropagation below) agrees with the central differences.
    expect(Math.max(...absOverChannels(byHand(pixels, false), C).map((v, i) => Math.abs(v - want[i])))).toBeLessThan(
      1e-6 * Math.max(...want),
    );
    const result = await expectNoLeak(() => gradientAttribution(tiny.net, img, cls, { outputScaling: 'none' }), 1);
    expect(result.reductionLayer).toBe('prob');
    expect(result.map.shape).toEqual([H, W]);
    expect(await relativeError(result.map, want)).toBeLessThan(1e-3);
    // The default scaling: the same map rescaled to [0, 1].
    const scaled = await gradientAttribution(tiny.net, img, 'gamma');
    const lo = Math.min(...want);
    const hi = Math.max(...want);
    expect(
      await relativeError(
        scaled.map,
        want.map((v) => (v - lo) / (hi - lo)),
      ),
    ).toBeLessThan(1e-3);
    tf.dispose([result.map, scaled.map]);
  });

  it('guided-backprop: only the positive part of the gradient passes back through the ReLU', async () => {
    const pixels = Float64Array.from(await img.data());
    const want = absOverChannels(byHand(pixels, true), C);
    const plain = absOverChannels(byHand(pixels, false), C);
    // The image is one where guiding changes the map.
    expect(Math.max(...want.map((v, i) => Math.abs(v - plain[i])))).toBeGreaterThan(0.1 * Math.max(...plain));
    const result = await expectNoLeak(
      () => gradientAttribution(tiny.net, img, cls, { method: 'guided-backprop', outputScaling: 'none' }),
      1,
    );
    expect(await relativeError(result.map, want)).toBeLessThan(1e-3);
    result.map.dispose();
  });

  it('gives each image of a batch its own map, and one map per class for an array of classes', async () => {
    const other = tf.tidy(() => tf.reverse(img, 1));
    const batch = tf.stack([img, other]);
    const both = await expectNoLeak(() => gradientAttribution(tiny.net, batch, [2, 0]), 1);
    expect(both.map.shape).toEqual([2, H, W, 2]);
    const alone = await gradientAttribution(tiny.net, other, 0);
    const second = tf.tidy(() => tf.squeeze(tf.slice(both.map, [1, 0, 0, 1], [1, -1, -1, 1]), [0, 3]));
    expect(await maxAbs(second, alone.map)).toBeLessThan(1e-5);
    // Under an element limit that holds the layers of one image on the way (677 values) but not of two, the batch
    // runs an image at a time (a gradient per class and image: four steps), to the same maps.
    const before = setLimits({ maxElements: 1000 });
    const steps: number[] = [];
    const oneByOne = await gradientAttribution(tiny.net, batch, [2, 0], { onProgress: (f) => steps.push(f) }).finally(
      () => setLimits(before),
    );
    expect(steps).toEqual([0.25, 0.5, 0.75, 1]);
    expect(await maxAbs(oneByOne.map, both.map)).toBeLessThan(1e-6);
    oneByOne.map.dispose();
    // Progress after each gradient, and a stop between them that leaves nothing allocated.
    const progress: number[] = [];
    const five = await gradientAttribution(tiny.net, img, [0, 1, 2, 3, 4], { onProgress: (f) => progress.push(f) });
    expect(five.map.shape).toEqual([H, W, 5]);
    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    const ac = new AbortController();
    const err = await expectThrowsNoLeak(
      () =>
        gradientAttribution(tiny.net, img, [0, 1, 2, 3, 4], {
          signal: ac.signal,
          onProgress: (f) => f >= 0.4 && ac.abort('enough'),
        }),
      Error,
      'gradientAttribution: the computation was aborted',
    );
    expect(err.cause).toBe('enough');
    tf.dispose([other, batch, both.map, alone.map, second, five.map]);
  });

  it('takes a reductionFcn for outputs that are not class scores, and a gray image for an RGB network', async () => {
    const byClass = await gradientAttribution(tiny.net, img, 1, { outputScaling: 'none' });
    const byFcn = await gradientAttribution(tiny.net, img, null, {
      outputScaling: 'none',
      reductionFcn: (out) => tf.reshape(tf.slice(tf.reshape(out, [out.shape[0]!, -1]), [0, 1], [-1, 1]), [-1]),
    });
    expect(await maxAbs(byClass.map, byFcn.map)).toBeLessThan(1e-7);
    // A gray image goes in as three equal channels: its gradient is theirs summed.
    const gray = tf.tidy(() => tf.gather(img, 0, 2));
    const rgb = tf.tidy(() => tf.tile(tf.expandDims(gray, 2), [1, 1, 3]));
    const ofGray = await expectNoLeak(() => gradientAttribution(tiny.net, gray, cls, { outputScaling: 'none' }), 1);
    expect(ofGray.map.shape).toEqual([H, W]);
    const g = byHand(Float64Array.from(await rgb.data()), false);
    const want = Float64Array.from({ length: H * W }, (_, p) => Math.abs(g[p * C] + g[p * C + 1] + g[p * C + 2]));
    expect(await relativeError(ofGray.map, want)).toBeLessThan(1e-3);
    tf.dispose([byClass.map, byFcn.map, gray, rgb, ofGray.map]);
  });

  it('checks its arguments before any work', async () => {
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, 0, { method: 'guided' as 'autodiff' }),
      RangeError,
      `gradientAttribution: expected 'options.method' to be one of 'autodiff', 'guided-backprop', got "guided" (string)`,
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, 0, { outputScaling: 'rescale' as 'linear' }),
      RangeError,
      `gradientAttribution: expected 'options.outputScaling' to be one of 'linear', 'none', got "rescale" (string)`,
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, 5),
      RangeError,
      "gradientAttribution: expected 'classOrLabel' to be a 0-based class index in [0, 4] or a class name, got 5 (number)",
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, null),
      TypeError,
      /^gradientAttribution: expected 'classOrLabel' to be .*null is for a network whose output options\.reductionFcn/,
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, null, { reductionFcn: (out) => tf.reshape(out, [-1]) }),
      TypeError,
      "gradientAttribution: 'options.reductionFcn' must return one score per image, a tensor of 1 values",
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, 0, { reductionLayer: 'conv_b' }),
      RangeError,
      /^gradientAttribution: expected 'options\.reductionLayer' to give one score per class \(5 values\), got 'conv_b'/,
    );
    await expectThrowsNoLeak(
      () => gradientAttribution(tiny.net, img, 0, { MiniBatchSize: 8 } as object),
      RangeError,
      /^gradientAttribution: unknown option 'MiniBatchSize'/,
    );
  });
});

describe('guided backpropagation through the ReLUs of other models', () => {
  it("a Keras model's dense ReLU: against the same by hand in float64", async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [3, 4, 3], name: 'flat' }),
        tfl.layers.dense({ units: 16, name: 'hidden', activation: 'relu' }),
        tfl.layers.dense({ units: 3, name: 'out', activation: 'softmax' }),
      ],
    });
    const r = random(5);
    model.setWeights(model.getWeights().map((w) => tf.tensor(Array.from({ length: w.size }, r), w.shape)));
    const net = await toNetwork(model, { normalization: 'none' });
    const x = tf.tensor3d(
      Array.from({ length: 36 }, () => (r() + 1) / 2),
      [3, 4, 3],
    );
    const [W1, b1, W2, b2] = await Promise.all(model.getWeights().map((w) => w.data()));
    const xv = Array.from(await x.data());
    const hid = Array.from({ length: 16 }, (_, k) => b1[k] + xv.reduce((s, v, i) => s + v * W1[i * 16 + k], 0));
    const z = Array.from(
      { length: 3 },
      (_, j) => b2[j] + hid.reduce((s, v, k) => s + Math.max(0, v) * W2[k * 3 + j], 0),
    );
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const p = e.map((v) => v / e.reduce((s, u) => s + u, 0));
    const cls = 1;
    const dz = p.map((pj, j) => p[cls] * ((j === cls ? 1 : 0) - pj));
    const gr = hid.map((_, k) => dz.reduce((s, d, j) => s + d * W2[k * 3 + j], 0));
    const mapFor = (guided: boolean) => {
      const gh = gr.map((g, k) => (hid[k] > 0 && (!guided || g > 0) ? g : 0));
      const gx = Array.from(xv, (_, i) => gh.reduce((s, g, k) => s + g * W1[i * 16 + k], 0));
      return absOverChannels(gx, 3);
    };
    const guided = await gradientAttribution(net, x, cls, { method: 'guided-backprop', outputScaling: 'none' });
    expect(await relativeError(guided.map, mapFor(true))).toBeLessThan(1e-4);
    const plain = await gradientAttribution(net, x, cls, { outputScaling: 'none' });
    expect(await relativeError(plain.map, mapFor(false))).toBeLessThan(1e-4);
    // The weights make a case where guiding matters.
    expect(await maxAbs(guided.map, plain.map)).toBeGreaterThan(1e-3 * Math.max(...mapFor(false)));
    tf.dispose([guided.map, plain.map, x]);
    net.dispose();
  });

  it("a converted graph's fused convolution with ReLU6 and its ReLU6: guided differs, then TF.js's gradients are back", async () => {
    const relu = tf.getGradient(tf.Relu);
    const relu6 = tf.getGradient(tf.Relu6);
    const net = await toNetwork(await loadUserGraph(), { normalization: 'rescale-zero-one' });
    const x = tf.tidy(() => tf.cast(tf.mul(tf.randomUniform([32, 32, 3], 0, 1, 'float32', 3), 255), 'int32'));
    const plain = await gradientAttribution(net, x, 0, { outputScaling: 'none' });
    const guided = await expectNoLeak(
      () => gradientAttribution(net, x, 0, { method: 'guided-backprop', outputScaling: 'none' }),
      1,
    );
    expect(await maxAbs(plain.map, guided.map)).toBeGreaterThan(0);
    expect(tf.getGradient(tf.Relu)).toBe(relu);
    expect(tf.getGradient(tf.Relu6)).toBe(relu6);
    // Also after a computation that fails.
    expect(() =>
      withGuidedReLU(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(tf.getGradient(tf.Relu)).toBe(relu);
    expect(tf.getGradient(tf.Relu6)).toBe(relu6);
    tf.dispose([x, plain.map, guided.map]);
    net.dispose();
  });
});

describe('gradientAttribution on SqueezeNet', () => {
  let net: Network;
  let face: tf.Tensor3D;
  beforeAll(async () => {
    net = await squeezenet();
    face = readSharedPng('face.png');
  });
  afterAll(() => {
    net?.dispose();
    face?.dispose();
  });

  it("differentiates the softmax's score; maps in [0, 1] at the image's size, guided ones unlike plain ones", async () => {
    const plain = await expectNoLeak(() => gradientAttribution(net, face, 'wig'), 1);
    expect(plain.reductionLayer).toBe('prob');
    expect(plain.map.shape).toEqual([227, 227]);
    const guided = await gradientAttribution(net, face, 'wig', { method: 'guided-backprop' });
    const [lo, hi, differ] = await Promise.all(
      [tf.min(plain.map), tf.max(plain.map), tf.tidy(() => tf.mean(tf.abs(tf.sub(plain.map, guided.map))))].map(
        async (t) => {
          const v = (await t.data())[0];
          t.dispose();
          return v;
        },
      ),
    );
    expect([lo, hi]).toEqual([0, 1]);
    expect(differ).toBeGreaterThan(0.01);
    tf.dispose([plain.map, guided.map]);
  });
});
