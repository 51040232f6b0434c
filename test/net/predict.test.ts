import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { activations } from '../../src/net/activations.js';
import { predict } from '../../src/net/predict.js';
import { scores2label } from '../../src/net/scores2label.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { readReference, readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadUserGraph } from '../helpers/userGraph.js';

// MATLAB's R2024a way to classify: scores = predict(net, X) (or minibatchpredict), then
// [labels, topScores] = scores2label(scores, classNames). The oracle for SqueezeNet's scores is the float64 NumPy
// forward pass's top classes in the shared reference.

let net: Network;
let face: tf.Tensor3D;
let closed: tf.Tensor3D;
beforeAll(async () => {
  net = await squeezenet();
  face = readSharedPng('face.png');
  closed = readSharedPng('face-eye-closed.png');
});
afterAll(() => {
  net.dispose();
  face.dispose();
  closed.dispose();
});

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  return Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}

describe('predict', () => {
  it("gives a classifier's scores as one row per image, [n, k], labelled as the float64 reference", async () => {
    const ref = [readReference('face').top5[0], readReference('face-eye-closed').top5[0]];
    const one = predict(net, face);
    expect(one.shape).toEqual([1, 1000]);
    const batch = tf.stack([face, closed]);
    // Three images in chunks of two: row i is image i's, whatever the chunk.
    const three = tf.concat([batch, tf.expandDims(face, 0)]);
    const rows = predict(net, three, { miniBatchSize: 2 });
    expect(rows.shape).toEqual([3, 1000]);
    const { labels, scores, indices, shape } = await scores2label(rows, net.classNames);
    expect(shape).toEqual([3]);
    expect(labels).toEqual([ref[0].label, ref[1].label, ref[0].label]);
    expect(indices).toEqual([ref[0].index, ref[1].index, ref[0].index]);
    for (const [i, r] of [ref[0], ref[1], ref[0]].entries()) expect(scores[i]).toBeCloseTo(r.score, 4);
    // One image alone gives the numbers it gives in a batch.
    const first = tf.slice(rows, [0, 0], [1, 1000]);
    expect(await maxDiff(one, first)).toBeLessThan(1e-6);
    tf.dispose([one, batch, three, rows, first]);
  });

  it('gives the layers of options.outputs with a batch axis, one image included, in one pass', async () => {
    await expectNoLeak(async () => {
      // By name or 0-based index (1 is conv1, MATLAB's layer 2); the last layer, the network's output, as rows.
      const last = net.layerNames.length - 1;
      const [maps, again, pooled, scores] = predict(net, face, { outputs: ['conv1', 1, 'pool10', last] });
      expect([maps, again, pooled, scores].map((t) => t.shape)).toEqual([
        [1, 113, 113, 64],
        [1, 113, 113, 64],
        [1, 1, 1, 1000],
        [1, 1000],
      ]);
      const conv1 = activations(net, face, 'conv1');
      const expanded = tf.expandDims(conv1, 0);
      expect(await maxDiff(maps, expanded)).toBe(0);
      tf.dispose([maps, again, pooled, scores, conv1, expanded]);
    });
  });

  it("gives a user's network's output as rows too, and an output that is not class scores as it is", async () => {
    const keras = (softmax: boolean) => {
      const input = tfl.input({ shape: [8, 8, 3] });
      const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(input) as tfl.SymbolicTensor;
      const out = softmax ? tfl.layers.dense({ units: 4, activation: 'softmax', name: 'fc' }).apply(pooled) : pooled;
      return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor });
    };
    const small = await toNetwork(keras(true), { normalization: 'none', classNames: ['a', 'b', 'c', 'd'] });
    const maps = await toNetwork(keras(false), { normalization: 'none' });
    const x = tf.randomUniform([5, 8, 8, 3], 0, 255, 'float32', 3);
    await expectNoLeak(async () => {
      const s = predict(small, x);
      expect(s.shape).toEqual([5, 4]);
      const labelled = await scores2label(s, small.classNames);
      expect(labelled.labels).toHaveLength(5);
      const g = predict(maps, x, { outputs: 'gap' });
      expect(g.shape).toEqual([5, 3]);
      tf.dispose([s, g]);
    });
    const graph = await loadUserGraph();
    const user = await toNetwork(graph, { normalization: 'none' });
    const y = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 4);
    const rows = predict(user, y);
    expect(rows.shape).toEqual([1, 4]);
    tf.dispose([x, y, rows]);
    for (const n of [small, maps, user]) n.dispose();
  });

  it('refuses a model that is not a network, options it does not take and layers the network lacks', async () => {
    const graph = await loadUserGraph();
    await expectThrowsNoLeak(
      () => predict(graph as unknown as Network, face),
      TypeError,
      /^predict: expected 'net' to be a loaded Network/,
    );
    graph.dispose();
    await expectThrowsNoLeak(
      () => predict(net, face, { outputAs: 'rows' } as never),
      RangeError,
      "predict: unknown option 'outputAs'; known options are 'outputs', 'resize', 'nonFinite', 'miniBatchSize', " +
        "'onProgress'",
    );
    await expectThrowsNoLeak(
      () => predict(net, face, { outputs: ['conv1', 'conv11'] }),
      RangeError,
      /^predict: expected 'options\.outputs\[1\]' to be a layer name of squeezenet, got "conv11" \(string\)/,
    );
    await expectThrowsNoLeak(
      () => predict(net, face, { outputs: [] }),
      RangeError,
      "predict: expected 'options.outputs' to be a layer name, a layer index or a non-empty array of them, got [] " +
        '(array of length 0)',
    );
    // Another size than the input size, as MATLAB's predict refuses it, unless resized.
    const other = tf.zeros([229, 241, 3]);
    await expectThrowsNoLeak(
      () => predict(net, other),
      RangeError,
      "predict: expected 'img' to be 227×227 pixels, the network's input size (resize it with imresize or pass " +
        '{ resize: true }), got rank 3 [229, 241, 3] float32',
    );
    await expectThrowsNoLeak(
      () => predict(net, other, { outputs: 'conv1' }),
      RangeError,
      /^predict: expected 'img' to be 227×227 pixels/,
    );
    const resized = predict(net, other, { resize: true, outputs: 'conv1' });
    expect(resized.shape).toEqual([1, 113, 113, 64]);
    tf.dispose([other, resized]);
  });
});

describe('scores2label', () => {
  it('labels the highest score along the class axis, ties to the lower index, any rank', async () => {
    const names = ['a', 'b', 'c'];
    const probs = tf.tensor2d([
      [0.2, 0.5, 0.3],
      [0.4, 0.2, 0.4],
    ]);
    expect(await scores2label(probs, names)).toEqual({
      labels: ['b', 'a'],
      scores: [Math.fround(0.5), Math.fround(0.4)],
      indices: [1, 0],
      shape: [2],
    });
    // One image's scores, and per-pixel scores [n, h, w, k] of a segmentation network (class axis last).
    const single = tf.tensor1d([0.1, 0.1, 0.8]);
    expect((await scores2label(single, names)).labels).toEqual(['c']);
    expect((await scores2label(single, names)).shape).toEqual([]);
    const pixels = tf.tensor4d([0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4, 0.0, 1.0, 0.0], [1, 2, 2, 3]);
    const perPixel = await scores2label(pixels, names);
    expect(perPixel.shape).toEqual([1, 2, 2]);
    expect(perPixel.labels).toEqual(['a', 'c', 'c', 'b']);
    // Classes along the first axis ([k, n], MATLAB's K×N), found by 'auto' or given.
    const columns = tf.transpose(probs);
    expect((await scores2label(columns, names)).labels).toEqual(['b', 'a']);
    expect((await scores2label(columns, names, 0)).indices).toEqual([1, 0]);
    // Logits (not probabilities) with their axis given, -1 counting from the end.
    const logits = tf.tensor2d([
      [1, 5, -2],
      [-1, -3, -2],
    ]);
    expect(await scores2label(logits, names, -1)).toMatchObject({ labels: ['b', 'a'], scores: [5, -1] });
    tf.dispose([probs, single, pixels, columns, logits]);
  });

  it("refuses scores whose class axis it cannot tell, and NaN, as MATLAB's 'auto' does", async () => {
    const names = ['a', 'b', 'c'];
    const logits = tf.tensor2d([
      [1, 5, -2],
      [-1, -3, -2],
    ]);
    await expectThrowsNoLeak(
      () => scores2label(logits, names),
      RangeError,
      "scores2label: cannot tell the class axis of 'scores' [2, 3]: its scores do not sum to 1 along axis 1 (of 3 " +
        'elements, one per class name), as probabilities do; pass the axis (scores2label(scores, classNames, 1)) to ' +
        'label logits',
    );
    const square = tf.tensor2d([
      [0.5, 0.5, 0],
      [0.5, 0.5, 0],
      [0, 0, 1],
    ]);
    await expectThrowsNoLeak(
      () => scores2label(square, names),
      RangeError,
      "scores2label: cannot tell the class axis of 'scores' [3, 3]: they sum to 1 along axes 0 and 1, each of 3 " +
        'elements; pass the axis',
    );
    const nan = tf.tensor2d([
      [0.2, 0.5, 0.3],
      [Number.NaN, 0.2, 0.4],
    ]);
    await expectThrowsNoLeak(
      () => scores2label(nan, names, 1),
      RangeError,
      "scores2label: expected 'scores' to hold numbers, got NaN at position 1 (class 0, 'a'); no class can be said " +
        'to score highest there',
    );
    await expectThrowsNoLeak(
      () => scores2label(logits, ['a', 'b', 'c', 'd']),
      RangeError,
      "scores2label: expected 'scores' [2, 3] to have an axis of 4 elements, one per class name",
    );
    await expectThrowsNoLeak(
      () => scores2label(logits, names, 0),
      RangeError,
      "scores2label: expected axis 0 of 'scores' [2, 3] to hold the 3 classes of 'classNames', got 2",
    );
    await expectThrowsNoLeak(
      () => scores2label(logits, names, 2),
      RangeError,
      "scores2label: expected 'axis' to be an integer in [-2, 1], got 2 (number)",
    );
    await expectThrowsNoLeak(
      () => scores2label(logits, []),
      RangeError,
      "scores2label: expected 'classNames' to hold at least one class name, got an empty array",
    );
    await expectThrowsNoLeak(
      () => scores2label(logits, [1, 2, 3] as never),
      TypeError,
      "scores2label: expected 'classNames' to be an array of class names (strings), got [1, 2, 3] (array of length 3)",
    );
    const scalar = tf.scalar(1);
    await expectThrowsNoLeak(
      () => scores2label(scalar, names),
      RangeError,
      /^scores2label: expected 'scores' to be a tf.Tensor of scores of rank 1 or more, such as \[n, k\], got rank 0/,
    );
    tf.dispose([logits, square, nan, scalar]);
  });
});
