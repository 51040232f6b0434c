import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/image/imresize.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { activations } from '../../src/net/activations.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { type Act, conv2d, loadTinyNetwork, PARAMS, pool2d, randomImage } from '../helpers/tinyNetwork.js';

// gradCAM against two oracles: SqueezeNet's closed form at relu_conv10 (pool10 is a mean over 196 cells, prob a
// softmax: alpha_k = y_c (delta_ck - y_k) / 196), and central differences in float64 through a tiny network's layers.

let net: Network;
let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
let face: tf.Tensor3D;
beforeAll(async () => {
  net = await squeezenet();
  tiny = await loadTinyNetwork();
  face = readSharedPng('face.png');
});
afterAll(() => {
  net?.dispose();
  tiny?.dispose();
  face?.dispose();
});

const maxAbs = async (a: tf.Tensor, b: tf.Tensor) => {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
};

describe('gradCAM on SqueezeNet', () => {
  it("uses MATLAB's default layers and matches the closed form alpha_k = y_c (delta_ck - y_k) / 196", async () => {
    const result = await expectNoLeak(() => gradCAM(net, face, 'wig', { outputUpsampling: 'none' }), 1);
    expect(result.featureLayer).toBe('relu_conv10');
    expect(result.reductionLayer).toBe('prob');
    expect(result.map.shape).toEqual([14, 14]);
    const c = net.classNames.indexOf('wig');
    const [A, P] = activations(net, face, ['relu_conv10', 'prob']);
    const y = await P.data();
    const want = tf.tidy(() => {
      const alpha = tf.tensor1d(Array.from(y, (yk, k) => (y[c] * ((k === c ? 1 : 0) - yk)) / 196));
      return tf.relu(tf.sum(tf.mul(A, alpha), 2));
    });
    const scale = (await tf.max(want).data())[0];
    expect(scale).toBeGreaterThan(0);
    expect((await maxAbs(result.map, want)) / scale).toBeLessThan(1e-4);
    tf.dispose([A, P, want, result.map]);
  });

  it("upsamples with MATLAB's bicubic imresize to the image's size by default, or nearest", async () => {
    const none = await gradCAM(net, face, 903, { outputUpsampling: 'none' });
    const bicubic = await gradCAM(net, face, 903);
    expect(bicubic.map.shape).toEqual([227, 227]);
    const resized = imresize(none.map, [227, 227]);
    expect(await maxAbs(bicubic.map, resized)).toBeLessThan(1e-6);
    tf.dispose([none.map, bicubic.map, resized]);
  });
});

describe('gradCAM on a tiny network', () => {
  let img: tf.Tensor3D;
  beforeAll(() => {
    img = randomImage(11);
  });
  afterAll(() => img?.dispose());

  /** The tail of the tiny network from relu_a (avg_a, conv_b, max_b, gap, prob) in float64. */
  function tail(a: Act): Float64Array {
    const avg = pool2d(a, 2, 1, [0, 1, 0, 1], 'avg');
    const conv = conv2d(avg, PARAMS.get('conv_b')!, 1, [0, 0, 0, 0]);
    const mx = pool2d(conv, 3, 2, [1, 1, 1, 1], 'max');
    const gap = new Float64Array(mx.c);
    for (let i = 0; i < mx.v.length; i++) gap[i % mx.c] += mx.v[i] / (mx.h * mx.w);
    const e = gap.map((x) => Math.exp(x - Math.max(...gap)));
    const sum = e.reduce((s, v) => s + v, 0);
    return e.map((v) => v / sum);
  }

  it('matches central differences through the layers (feature layer relu_a, a deeper tail with pooling)', async () => {
    const cls = 2;
    const result = await gradCAM(tiny.net, img, cls, { featureLayer: 'relu_a', outputUpsampling: 'none' });
    expect(result.featureLayer).toBe('relu_a');
    const actT = activations(tiny.net, img, 'relu_a');
    const a: Act = { h: actT.shape[0]!, w: actT.shape[1]!, c: actT.shape[2]!, v: Float64Array.from(await actT.data()) };
    actT.dispose();
    // alpha_k = mean over (i, j) of dy/dA_ijk: the derivative along "all of channel k", divided by h·w.
    const eps = 1e-4;
    const alpha = Array.from({ length: a.c }, (_, k) => {
      const shifted = (d: number) => ({ ...a, v: a.v.map((x, i) => (i % a.c === k ? x + d : x)) });
      return (tail(shifted(eps))[cls] - tail(shifted(-eps))[cls]) / (2 * eps) / (a.h * a.w);
    });
    const want: number[][] = [];
    for (let i = 0; i < a.h; i++) {
      want.push([]);
      for (let j = 0; j < a.w; j++) {
        let s = 0;
        for (let k = 0; k < a.c; k++) s += alpha[k] * a.v[(i * a.w + j) * a.c + k];
        want[i].push(Math.max(0, s));
      }
    }
    const got = (await result.map.array()) as number[][];
    const scale = Math.max(...want.flat().map(Math.abs), 1e-12);
    const err = Math.max(...got.flat().map((v, i) => Math.abs(v - want.flat()[i])));
    expect(err / scale).toBeLessThan(1e-3);
    result.map.dispose();
  });

  it('picks max_b by default (the last layer larger than 1×1 before prob); batches give each image its own map', async () => {
    const one = await gradCAM(tiny.net, img, 'gamma', { outputUpsampling: 'none' });
    expect(one.featureLayer).toBe('max_b');
    expect(one.map.shape).toEqual([2, 3]);
    const other = tf.tidy(() => tf.reverse(img, 1));
    const batch = tf.stack([img, other]);
    const both = await gradCAM(tiny.net, batch, 'gamma', { outputUpsampling: 'none' });
    expect(both.map.shape).toEqual([2, 2, 3]);
    const first = tf.tidy(() => tf.squeeze(tf.slice(both.map, [0, 0, 0], [1, -1, -1]), [0]));
    expect(await maxAbs(first, one.map)).toBeLessThan(1e-6);
    tf.dispose([one.map, other, batch, both.map, first]);
  });

  it("gives one map per class for an array of classes (MATLAB's vector label), for an image and a batch", async () => {
    const maps = await expectNoLeak(() => gradCAM(tiny.net, img, ['gamma', 0], { outputUpsampling: 'none' }), 1);
    expect(maps.map.shape).toEqual([2, 3, 2]);
    expect(maps.featureLayer).toBe('max_b');
    const gamma = await gradCAM(tiny.net, img, 'gamma', { outputUpsampling: 'none' });
    const zero = await gradCAM(tiny.net, img, 0, { outputUpsampling: 'none' });
    const at = (m: tf.Tensor, c: number) => tf.gather(m, c, m.rank - 1);
    const [m0, m1] = [at(maps.map, 0), at(maps.map, 1)];
    expect(await maxAbs(m0, gamma.map)).toBeLessThan(1e-6);
    expect(await maxAbs(m1, zero.map)).toBeLessThan(1e-6);
    const other = tf.tidy(() => tf.reverse(img, 1));
    const batch = tf.stack([img, other]);
    const both = await gradCAM(tiny.net, batch, [2, 0]);
    expect(both.map.shape).toEqual([2, 9, 11, 2]);
    const alone = await gradCAM(tiny.net, other, 0);
    const second = tf.tidy(() => tf.squeeze(tf.slice(both.map, [1, 0, 0, 1], [1, -1, -1, 1]), [0, 3]));
    expect(await maxAbs(second, alone.map)).toBeLessThan(1e-6);
    tf.dispose([maps.map, gamma.map, zero.map, m0, m1, other, batch, both.map, alone.map, second]);
    // A gradient per class, with progress after each, and a stop between them that leaves nothing allocated.
    const progress: number[] = [];
    const five = await gradCAM(tiny.net, img, [0, 1, 2, 3, 4], { onProgress: (f) => progress.push(f) });
    expect(progress).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    five.map.dispose();
    const ac = new AbortController();
    const err = await expectThrowsNoLeak(
      () =>
        gradCAM(tiny.net, img, [0, 1, 2, 3, 4], {
          signal: ac.signal,
          onProgress: (f) => f >= 0.4 && ac.abort('enough'),
        }),
      Error,
      'gradCAM: the computation was aborted',
    );
    expect(err.cause).toBe('enough');
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, [1, 5]),
      RangeError,
      "gradCAM: expected 'classOrLabel[1]' to be a 0-based class index in [0, 4] or a class name, got 5 (number)",
    );
  });

  it('takes a reductionFcn for outputs that are not class scores', async () => {
    const byClass = await gradCAM(tiny.net, img, 1, { outputUpsampling: 'none' });
    const byFcn = await gradCAM(tiny.net, img, null, {
      outputUpsampling: 'none',
      reductionFcn: (out) => tf.reshape(tf.slice(tf.reshape(out, [out.shape[0]!, -1]), [0, 1], [-1, 1]), [-1]),
    });
    expect(await maxAbs(byClass.map, byFcn.map)).toBeLessThan(1e-7);
    tf.dispose([byClass.map, byFcn.map]);
  });

  it('checks its arguments before any work', async () => {
    // null (which the types allow, for reductionFcn) without reductionFcn says what null is for.
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, null),
      TypeError,
      "gradCAM: expected 'classOrLabel' to be a 0-based class index (integer) or a class name (string), got null; " +
        'null is for a network whose output options.reductionFcn reduces to one score per image',
    );
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 'zeta'),
      RangeError,
      "gradCAM: expected 'classOrLabel' to be a class name of tinynet, got \"zeta\" (string); did you mean 'beta', 'delta' or 'alpha'?",
    );
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 0, { featureLayer: 'prob' }),
      RangeError,
      "gradCAM: expected 'options.featureLayer' to be a layer after the input and before the reduction layer 'prob' (index 7), got 'prob' (index 7)",
    );
    // The option's own name in the message; and a list, where one layer is meant, is refused, not cut to its first.
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 0, { featureLayer: 'relu_x' }),
      RangeError,
      /^gradCAM: expected 'options\.featureLayer' to be a layer name of tinynet, got "relu_x" \(string\); did you mean /,
    );
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 0, { reductionLayer: ['prob', 'conv_b'] as never }),
      TypeError,
      "gradCAM: expected 'options.reductionLayer' to be a layer name (string) or a 0-based layer index (integer), got [prob, conv_b] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 0, { outputUpsampling: 'cubic' as never }),
      RangeError,
      "gradCAM: expected 'options.outputUpsampling' to be one of 'bicubic', 'nearest', 'none', got \"cubic\" (string)",
    );
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, null, { reductionFcn: (out) => out }),
      TypeError,
      "gradCAM: 'options.reductionFcn' must return one score per image, a tensor of 1 values",
    );
    // A reduction layer with more values than classes: the class would pick the value at the first position.
    await expectThrowsNoLeak(
      () => gradCAM(tiny.net, img, 0, { featureLayer: 'relu_a', reductionLayer: 'conv_b' }),
      RangeError,
      "gradCAM: expected 'options.reductionLayer' to give one score per class (5 values), got 'conv_b' ([4, 5, 5]); reduce its output to one score per image with 'options.reductionFcn'",
    );
    const viaFcn = await gradCAM(tiny.net, img, null, {
      featureLayer: 'relu_a',
      reductionLayer: 'conv_b',
      reductionFcn: (out) => tf.sum(out, [1, 2, 3]),
    });
    expect(viaFcn.map.shape).toEqual([9, 11]);
    viaFcn.map.dispose();
  });

  it("refuses a Keras model's feature layer without spatial axes, which it cannot weigh", async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [9, 11, 3], filters: 4, kernelSize: 3, name: 'c1', activation: 'relu' }),
        tfl.layers.flatten({ name: 'flat' }),
        tfl.layers.dense({ units: 3, name: 'fc', activation: 'softmax' }),
      ],
    });
    const keras = await toNetwork(model, { normalization: 'none' });
    await expectThrowsNoLeak(
      () => gradCAM(keras, img, 0, { featureLayer: 'flat' }),
      RangeError,
      "gradCAM: expected 'options.featureLayer' to be a layer with a spatial output [h, w, c], got 'flat' ([252])",
    );
    const result = await gradCAM(keras, img, 0);
    expect(result.featureLayer).toBe('c1');
    result.map.dispose();
    keras.dispose();
  });
});
