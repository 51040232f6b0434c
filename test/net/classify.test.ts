import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { classify } from '../../src/net/classify.js';
import { activations } from '../../src/net/activations.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { readReference, readSharedPng } from '../helpers/images.js';
import { loadUserGraph } from '../helpers/userGraph.js';

let net: Network;
let face: tf.Tensor3D;
beforeAll(async () => {
  net = await squeezenet();
  face = readSharedPng('face.png');
});
afterAll(() => {
  net.dispose();
  face.dispose();
});

/**
 * A Keras model 8×8×3 → global average pooling → dense(`units`, 3 unless given) with `activation`, then an optional
 * Activation layer.
 */
function smallKeras(activation: string, after?: string, units = 3): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(input);
  let out = tfl.layers
    .dense({ units, activation: activation as 'linear', name: 'fc', kernelInitializer: 'ones' })
    .apply(pooled) as tfl.SymbolicTensor;
  if (after)
    out = tfl.layers.activation({ activation: after as 'linear', name: 'act' }).apply(out) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

describe('classify', () => {
  it("gives a sigmoid output's probabilities as they are, not through a softmax (softmax: 'auto')", async () => {
    // All three sigmoids near 1 (a multi-label model sure of every label): a softmax would make them 1/3 each.
    const img = tf.fill([8, 8, 3], 2, 'float32');
    for (const [activation, after] of [['sigmoid'], ['linear', 'sigmoid']] as const) {
      const model = smallKeras(activation, after);
      const small = await toNetwork(model, { normalization: 'none' });
      const pred = tf.tidy(() => model.predict(tf.expandDims(img, 0)) as tf.Tensor);
      const want = await pred.data();
      pred.dispose();
      const top = await classify(small, img);
      expect(top.map((t) => t.score)).toEqual(Array.from(want).sort((a, b) => b - a));
      expect(top[0].score).toBeGreaterThan(0.99);
      small.dispose();
    }
    // Converted graphs: the dense layer as one _FusedMatMul with BiasAdd + Sigmoid, and a Sigmoid behind an Identity
    // (a converted SavedModel's output node). Both are sigmoids.
    for (const head of ['fused-sigmoid', 'sigmoid-identity'] as const) {
      const graph = await loadUserGraph(undefined, head);
      const sigmoid = await toNetwork(graph, { normalization: 'none' });
      const x = tf.fill([32, 32, 3], 128, 'float32');
      const pred = tf.tidy(() => graph.predict(tf.expandDims(x, 0)) as tf.Tensor);
      const want = Array.from(await pred.data()).sort((a, b) => b - a);
      pred.dispose();
      expect(
        (await classify(sigmoid, x, 4)).map((t) => t.score),
        head,
      ).toEqual(want);
      expect(want.reduce((a, b) => a + b, 0)).not.toBeCloseTo(1, 2); // not a distribution: the rule alone would rescale it
      sigmoid.dispose();
      x.dispose();
    }
    // Logits still go through the softmax: three equal logits give 1/3 each.
    const logits = await toNetwork(smallKeras('linear'), { normalization: 'none' });
    const top = await classify(logits, img);
    for (const t of top) expect(t.score).toBeCloseTo(1 / 3, 6);
    logits.dispose();
    img.dispose();
  });

  it('refuses one output value that is not a probability (a regression, a binary logit): a softmax makes it 1', async () => {
    const img = tf.fill([8, 8, 3], 2, 'float32');
    const regression = await toNetwork(smallKeras('linear', undefined, 1), { normalization: 'none' });
    const message =
      "classify: expected 'net' to end in class scores, got a network whose output 'fc' is one value without a " +
      "sigmoid (a regression or a binary classifier's logit), which a softmax would make 1; read it with " +
      "activations(net, img, 'fc'), or pass { softmax: false } to take it as the score";
    await expectThrowsNoLeak(() => classify(regression, img), RangeError, message);
    await expectThrowsNoLeak(() => classify(regression, img, 1, { softmax: true }), RangeError, message);
    // As it is, on request: the dense layer's sum of three means of 2.
    const [raw] = await expectNoLeak(() => classify(regression, img, 1, { softmax: false }));
    expect(raw.score).toBeCloseTo(6, 5);
    regression.dispose();
    // A sigmoid unit (a binary classifier) is a probability: given as it is.
    const binary = await toNetwork(smallKeras('sigmoid', undefined, 1), { normalization: 'none' });
    const [p] = await classify(binary, img);
    expect(p.score).toBeCloseTo(1 / (1 + Math.exp(-6)), 6);
    binary.dispose();
    img.dispose();
  });

  it('gives every class of a network with fewer than five by default (a k of 5 would be out of range)', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(input);
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }).apply(pooled) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const small = await toNetwork(model, { normalization: 'none', classNames: ['a', 'b', 'c'] });
    const img = tf.fill([8, 8, 3], 100, 'int32');
    const top = await expectNoLeak(() => classify(small, img));
    expect(top.map((t) => t.label).sort()).toEqual(['a', 'b', 'c']);
    await expectThrowsNoLeak(
      () => classify(small, img, 5),
      RangeError,
      "classify: expected 'k' to be an integer in [1, 3], got 5 (number)",
    );
    img.dispose();
    small.dispose();
  });

  it('gives the reference top-5 of both face images, with 0- and 1-based indices', async () => {
    for (const name of ['face', 'face-eye-closed']) {
      const img = name === 'face' ? face : readSharedPng(`${name}.png`);
      const before = tf.memory().numTensors;
      const top = await classify(net, img);
      expect(tf.memory().numTensors).toBe(before);
      const ref = readReference(name).top5;
      expect(top.map((t) => [t.index, t.matlabIndex, t.label])).toEqual(
        ref.map((r) => [r.index, r.index + 1, r.label]),
      );
      top.forEach((t, i) => {
        expect(Math.abs(t.score - ref[i].score)).toBeLessThanOrEqual(1e-5);
      });
      if (img !== face) img.dispose();
    }
  });

  it('gives any k from 1 to 1000 (scores descending, summing to 1); takes float32, gray and, with resize, other sizes', async () => {
    const f = tf.cast(face, 'float32');
    const all = await classify(net, f, 1000);
    expect(all.slice(0, 3).map((t) => t.index)).toEqual([903, 678, 823]);
    expect(new Set(all.map((t) => t.index)).size).toBe(1000);
    expect(all.every((t, i) => i === 0 || t.score <= all[i - 1].score)).toBe(true);
    expect(Math.abs(all.reduce((s, t) => s + t.score, 0) - 1)).toBeLessThan(1e-4);
    const gray = tf.tidy(() => tf.squeeze(tf.slice(face, [0, 0, 1], [-1, -1, 1]), [2]));
    const [one] = await classify(net, gray, 1);
    expect(Object.keys(one)).toEqual(['index', 'matlabIndex', 'label', 'score']);
    expect(one.matlabIndex).toBe(one.index + 1);
    expect(one.label).toBe(net.classNames[one.index]);
    const big = tf.zeros([300, 250, 3], 'int32');
    const before = tf.memory().numTensors;
    expect(await classify(net, big, 2, { resize: true })).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
    expect(f.isDisposed || gray.isDisposed || big.isDisposed).toBe(false);
    tf.dispose([f, gray, big]);
  });

  it('checks its arguments', async () => {
    await expectThrowsNoLeak(
      () => classify(null as unknown as Network, face),
      TypeError,
      "classify: expected 'net' to be a loaded Network, got null",
    );
    await expectThrowsNoLeak(
      () => classify(net, face, 0),
      RangeError,
      "classify: expected 'k' to be an integer in [1, 1000], got 0 (number)",
    );
    await expectThrowsNoLeak(
      () => classify(net, face, 1001),
      RangeError,
      "classify: expected 'k' to be an integer in [1, 1000], got 1001 (number)",
    );
    await expectThrowsNoLeak(
      () => classify(net, face, '5' as never),
      TypeError,
      'classify: expected \'k\' to be an integer, got "5" (string)',
    );
    const batch = tf.expandDims(face, 0);
    await expectThrowsNoLeak(
      () => classify(net, batch),
      RangeError,
      "classify: expected 'img' to be an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32, got rank 4 [1, 227, 227, 3] int32; " +
        "it takes one image at a time: classify each of tf.unstack(batch), or take a batch's scores in one pass with " +
        'predict(net, batch) and label them with scores2label',
    );
    // An array of images, as a JavaScript user would hand several over.
    await expectThrowsNoLeak(
      () => classify(net, [face, face] as never),
      TypeError,
      /^classify: expected 'img' to be an image .*, got \[rank 3 .*\] \(array of length 2\); it takes one image at a time: classify each of them, or take a batch's scores in one pass with predict\(net, tf\.stack\(images\)\) and label them with scores2label$/,
    );
    await expectThrowsNoLeak(
      () => activations(net, [face, face] as never, 'conv1'),
      TypeError,
      /^activations: expected 'img' to be .*\(array of length 2\); for several images, stack them into a batch: tf\.stack\(images\)$/,
    );
    const two = tf.zeros([227, 227, 2]);
    await expectThrowsNoLeak(
      () => classify(net, two),
      RangeError,
      "classify: expected 'img' to be an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32, got rank 3 [227, 227, 2] float32",
    );
    // RGBA, as tf.browser.fromPixels(canvas, 4) gives it: MATLAB takes no alpha either; say how to drop it.
    const rgba = tf.zeros([227, 227, 4], 'int32');
    await expectThrowsNoLeak(
      () => classify(net, rgba),
      RangeError,
      "classify: expected 'img' to be an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32, got rank 3 [227, 227, 4] int32; " +
        'to drop the alpha channel of RGBA pixels: tf.slice(img, [0, 0, 0], [-1, -1, 3])',
    );
    const rgbaBatch = tf.zeros([2, 227, 227, 4]);
    await expectThrowsNoLeak(
      () => activations(net, rgbaBatch, 'conv1'),
      RangeError,
      /got rank 4 \[2, 227, 227, 4\] float32; to drop the alpha channel of RGBA pixels: tf\.slice\(batch, \[0, 0, 0, 0\], \[-1, -1, -1, 3\]\)$/,
    );
    tf.dispose([rgba, rgbaBatch]);
    const wrong = tf.zeros([229, 241, 3]);
    await expectThrowsNoLeak(
      () => classify(net, wrong),
      RangeError,
      "classify: expected 'img' to be 227×227 pixels, the network's input size (resize it with imresize or pass { resize: true }), got rank 3 [229, 241, 3] float32",
    );
    await expectThrowsNoLeak(
      () => classify(net, face, 5, { topK: 3 } as never),
      RangeError,
      "classify: unknown option 'topK'; known options are 'resize', 'softmax'",
    );
    await expectThrowsNoLeak(
      () => classify(net, face, 5, { softmax: 'yes' } as never),
      TypeError,
      "classify: expected 'options.softmax' to be true, false or 'auto', got \"yes\" (string)",
    );
    const nan = tf.tidy(() => tf.fill([227, 227, 3], NaN));
    await expectThrowsNoLeak(
      () => classify(net, nan),
      RangeError,
      "classify: expected 'img' to hold finite pixel values, got NaN at [0, 0, 0]",
    );
    const gone = await squeezenet();
    gone.dispose();
    await expectThrowsNoLeak(
      () => classify(gone, face),
      TypeError,
      "classify: 'net' has been disposed; load the network again",
    );
    tf.dispose([batch, two, wrong, nan]);
  });
});
