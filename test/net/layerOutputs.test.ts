import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { activations } from '../../src/net/activations.js';
import { learnables } from '../../src/net/learnables.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { weightData } from '../helpers/userGraph.js';
import { type Act, conv2d, loadTinyNetwork, random } from '../helpers/tinyNetwork.js';

// Layers of several outputs (MATLAB's NumOutputs > 1; "layer/out2" in MATLAB, 'layer:1' here, as TensorFlow names
// tensors). Two graphs written by hand as TF.js's converter writes them: a ShuffleNet-style channel split (`SplitV`
// into 3 and 5 channels, the second half through a convolution and joined again), which TF.js's executor runs, and an
// `Unpack` of a convolution's two channels, which the library's planned pass runs. The oracle is a float64
// convolution written in the test helpers, independent of TF.js.

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
const T = { type: 'DT_FLOAT' };
const SAME = { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') } };

interface Weight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

/** A 3×3 convolution's filters `[out, cin, 3, 3]` and biases, for the oracle, and the same as graph weights (HWIO). */
function convolution(name: string, out: number, cin: number, seed: number) {
  const r = random(seed);
  const oihw = Float32Array.from({ length: out * cin * 9 }, r);
  const bias = Float32Array.from({ length: out }, () => r() * 0.5);
  const hwio: number[] = [];
  for (let y = 0; y < 3; y++)
    for (let x = 0; x < 3; x++)
      for (let c = 0; c < cin; c++) for (let f = 0; f < out; f++) hwio.push(oihw[((f * cin + c) * 3 + y) * 3 + x]);
  const weights: Weight[] = [
    { name: `${name}/filter`, shape: [3, 3, cin, out], dtype: 'float32', data: hwio },
    { name: `${name}/bias`, shape: [out], dtype: 'float32', data: [...bias] },
  ];
  const node = {
    name,
    op: '_FusedConv2D',
    attr: {
      T,
      ...SAME,
      dilations: ints([1, 1, 1, 1]),
      fused_ops: { list: { s: [b64('BiasAdd')] } },
      num_args: { i: '1' },
      epsilon: { f: 0 },
    },
  };
  const shape4: [number, number, number, number] = [out, cin, 3, 3];
  return { params: { weight: { shape: shape4, data: oihw }, bias }, weights, node };
}

async function graphOf(nodes: object[], weights: Weight[]): Promise<GraphModel> {
  const konst = (w: Weight) => ({
    name: w.name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: shape(w.shape) } },
      dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
    },
  });
  const placeholder = { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: shape([-1, 16, 16, 3]) } } };
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: {
        node: [placeholder, ...weights.map(konst), ...nodes],
        versions: { producer: 1395 },
        library: {},
      },
      weightSpecs: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
      weightData: weightData(weights),
      format: 'graph-model',
    }),
  );
}

const first = convolution('conv', 8, 3, 11);
const second = convolution('b', 5, 5, 12);

/** x → conv (8) → SplitV [3, 5] → 'split' and 'split:1'; 'split:1' → b (5); concat → mean → 'gap'. */
function channelSplit(): Promise<GraphModel> {
  const nodes = [
    { ...first.node, input: ['x', 'conv/filter', 'conv/bias'] },
    { name: 'split', op: 'SplitV', input: ['conv', 'split/sizes', 'split/axis'], attr: { T, num_split: { i: '2' } } },
    { ...second.node, input: ['split:1', 'b/filter', 'b/bias'] },
    { name: 'cat', op: 'ConcatV2', input: ['split', 'b', 'cat/axis'], attr: { T, N: { i: '2' } } },
    { name: 'gap', op: 'Mean', input: ['cat', 'gap/axes'], attr: { T, keep_dims: { b: false } } },
  ];
  return graphOf(nodes, [
    ...first.weights,
    { name: 'split/sizes', shape: [2], dtype: 'int32', data: [3, 5] },
    { name: 'split/axis', shape: [], dtype: 'int32', data: [3] },
    ...second.weights,
    { name: 'cat/axis', shape: [], dtype: 'int32', data: [3] },
    { name: 'gap/axes', shape: [2], dtype: 'int32', data: [1, 2] },
  ]);
}

const pair = convolution('conv', 2, 3, 13);

/** x → conv (2) → Unpack along the channels → 'u' and 'u:1' → 'diff' = u:1 - u. */
function unpack(): Promise<GraphModel> {
  const nodes = [
    { ...pair.node, input: ['x', 'conv/filter', 'conv/bias'] },
    { name: 'u', op: 'Unpack', input: ['conv'], attr: { T, num: { i: '2' }, axis: { i: '3' } } },
    { name: 'diff', op: 'Sub', input: ['u:1', 'u'], attr: { T } },
  ];
  return graphOf(nodes, pair.weights);
}

/** An image of 16×16×3 float pixels 0..255, as the oracle's input (`tensorOf` makes it a tensor). */
function image(seed: number): Act {
  const r = random(seed);
  return { h: 16, w: 16, c: 3, v: Float64Array.from({ length: 16 * 16 * 3 }, () => Math.round((r() + 1) * 127.5)) };
}
const tensorOf = (a: Act) => tf.tensor3d(Float32Array.from(a.v), [a.h, a.w, a.c]);

/** Channels `[from, to)` of an oracle activation, `[h, w, c]` (or `[h, w]` for `squeeze`) as a flat array. */
function channels(a: Act, from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < a.h * a.w; p++) for (let c = from; c < to; c++) out.push(a.v[p * a.c + c]);
  return out;
}

async function expectClose(t: tf.Tensor, expected: readonly number[]) {
  const got = await t.data();
  expect(got.length).toBe(expected.length);
  let worst = 0;
  got.forEach((g, i) => {
    worst = Math.max(worst, Math.abs(g - expected[i]));
  });
  expect(worst).toBeLessThan(1e-3);
}

describe('layers of several outputs (name:k)', () => {
  let splitModel: GraphModel;
  let split: Network;
  let unpacked: Network;
  const pixels = image(5);
  const oracle = conv2d(pixels, first.params, 1, [1, 1, 1, 1]);
  let x: tf.Tensor3D;

  beforeAll(async () => {
    x = tensorOf(pixels);
    splitModel = await channelSplit();
    split = await toNetwork(splitModel, { normalization: 'none' });
    unpacked = await toNetwork(await unpack(), { normalization: 'none' });
  });
  afterAll(() => {
    split.dispose();
    unpacked.dispose();
    x.dispose();
  });

  it("lists each output's size in the layer table, MATLAB's NumOutputs", () => {
    const layer = split.layers.find((l) => l.name === 'split')!;
    expect(layer.numOutputs).toBe(2);
    expect(layer.outputSizes).toEqual([
      [16, 16, 3],
      [16, 16, 5],
    ]);
    expect(layer.outputSize).toEqual([16, 16, 3]);
    expect(layer.description).toBe('SplitV (TensorFlow op), 2 outputs');
    for (const l of split.layers.filter((k) => k.name !== 'split')) {
      expect(l.numOutputs).toBe(1);
      expect(l.outputSizes).toEqual([l.outputSize]);
    }
    const u = unpacked.layers.find((l) => l.name === 'u')!;
    expect([u.numOutputs, u.outputSizes]).toEqual([
      2,
      [
        [16, 16],
        [16, 16],
      ],
    ]);
  });

  it('gives every layer of a network without such layers one output', async () => {
    const tiny = await loadTinyNetwork();
    try {
      expect(tiny.net.layers.map((l) => l.numOutputs)).toEqual(tiny.net.layers.map(() => 1));
      expect(tiny.net.layers.map((l) => l.outputSizes)).toEqual(tiny.net.layers.map((l) => [l.outputSize]));
    } finally {
      tiny.dispose();
    }
  });

  it("gives output k of a layer as 'name:k' ('name' is output 0), as the float64 oracle computes them", async () => {
    await expectNoLeak(async () => {
      const [whole, zero, one] = activations(split, x, ['split', 'split:0', 'split:1']);
      expect([whole.shape, one.shape]).toEqual([
        [16, 16, 3],
        [16, 16, 5],
      ]);
      await expectClose(whole, channels(oracle, 0, 3));
      await expectClose(zero, channels(oracle, 0, 3));
      await expectClose(one, channels(oracle, 3, 8));
      tf.dispose([whole, zero, one]);
    });
  });

  it('runs output k through the planned pass, a batch in mini-batches, and a plain GraphModel', async () => {
    const two = conv2d(pixels, pair.params, 1, [1, 1, 1, 1]);
    await expectNoLeak(async () => {
      const u1 = activations(unpacked, x, 'u:1');
      expect(u1.shape).toEqual([16, 16]);
      await expectClose(u1, channels(two, 1, 2));
      const batch = tf.stack([x, x]);
      const both = activations(split, batch, 'split:1', { miniBatchSize: 1 });
      expect(both.shape).toEqual([2, 16, 16, 5]);
      await expectClose(both, [...channels(oracle, 3, 8), ...channels(oracle, 3, 8)]);
      const plain = activations(splitModel, x, 'split:1');
      await expectClose(plain, channels(oracle, 3, 8));
      tf.dispose([u1, batch, both, plain]);
    });
  });

  it('refuses an output a layer does not have, and one output of several where a whole layer is meant', async () => {
    await expectThrowsNoLeak(
      () => activations(split, x, 'split:2'),
      RangeError,
      `activations: expected 'layer' to be a layer of network, got "split:2" (string); layer 'split' has 2 outputs, ` +
        "'split:0' to 'split:1' (0-based)",
    );
    await expectThrowsNoLeak(
      () => activations(split, x, ['conv', 'conv:1']),
      RangeError,
      `activations: expected 'layer[1]' to be a layer of network, got "conv:1" (string); layer 'conv' has one ` +
        "output, named 'conv'",
    );
    await expectThrowsNoLeak(
      () => activations(splitModel, x, 'split:2'),
      RangeError,
      `activations: expected 'layer' to be a node of the model, got "split:2" (string); node 'split' has 2 ` +
        "outputs, 'split:0' to 'split:1' (0-based)",
    );
    const whole = (fn: string, arg: string) =>
      `${fn}: expected '${arg}' to be a whole layer, got "split:1" (string), output 1 of the 2 of layer 'split'; ` +
      'only activations takes one output of several';
    await expectThrowsNoLeak(
      () => gradCAM(split, x, 0, { featureLayer: 'split:1', reductionLayer: 'gap' }),
      RangeError,
      whole('gradCAM', 'options.featureLayer'),
    );
    await expectThrowsNoLeak(() => deepDreamImage(split, 'split:1', [0]), RangeError, whole('deepDreamImage', 'layer'));
    await expectThrowsNoLeak(() => learnables(split, 'split:1'), RangeError, whole('learnables', 'layer'));
  });

  it('refuses to end a network at one output of several, saying where to end and how to take that output', async () => {
    await expectThrowsNoLeak(
      () => toNetwork(splitModel, { normalization: 'none', output: 'split:1' }),
      RangeError,
      "toNetwork: expected 'options.output' to be one of the model's outputs or a node of its graph, got " +
        `"split:1" (string), output 1 of node 'split' (SplitV); a network ends at a whole node: end at 'split' or at ` +
        "a node after it, and take this output with activations(net, img, 'split:1')",
    );
    // The model is still whole: the network made of it answers.
    const half = activations(split, x, 'split:1');
    expect(half.shape).toEqual([16, 16, 5]);
    half.dispose();
  });

  it("says how to write MATLAB's 'layer/out2' here, where no layer has that name", async () => {
    const notLayer = (ref: string) =>
      `activations: expected 'layer' to be a layer name of network, got "${ref}" (string); MATLAB's '${ref}' `;
    await expectThrowsNoLeak(
      () => activations(split, x, 'split/out2'),
      RangeError,
      `${notLayer('split/out2')}is 'split:1' here (outputs counted from 0)`,
    );
    await expectThrowsNoLeak(
      () => activations(split, x, 'split/out1'),
      RangeError,
      `${notLayer('split/out1')}is 'split' here (outputs counted from 0)`,
    );
    await expectThrowsNoLeak(
      () => activations(split, x, 'split/out3'),
      RangeError,
      `${notLayer('split/out3')}would be 'split:2' here (outputs counted from 0), but layer 'split' has 2 outputs, ` +
        "'split:0' to 'split:1'",
    );
    await expectThrowsNoLeak(
      () => activations(split, x, 'conv/out2'),
      RangeError,
      `${notLayer('conv/out2')}would be 'conv:1' here (outputs counted from 0), but layer 'conv' has one output, ` +
        "named 'conv'",
    );
    await expectThrowsNoLeak(
      () => activations(splitModel, x, 'split/out2'),
      RangeError,
      `activations: expected 'layer' to be a node name of the model, got "split/out2" (string); MATLAB's ` +
        "'split/out2' is 'split:1' here (outputs counted from 0)",
    );
    // Any other name ending in '/out2' gets the closest names, as every name that is not a layer's.
    await expectThrowsNoLeak(() => activations(split, x, 'nope/out2'), RangeError, /did you mean/);
  });
});
