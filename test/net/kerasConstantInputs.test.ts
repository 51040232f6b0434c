/**
 * A Keras model with data beside the image (`[meta, img]`, or a class label through an embedding), made a Network
 * with toNetwork's `constantInputs`. Oracles: tfjs-layers' own `model.predict` fed the value for every image, and the
 * same network with the data's contribution folded into the last layer's bias (a model of one input, which the
 * library ran before), for the methods that explain it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { activations } from '../../src/net/activations.js';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { predict } from '../../src/net/predict.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { BACKEND } from '../helpers/backend.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

// The library calls the same layers as tfjs-layers' predict: the same numbers on cpu.
const EXACT = BACKEND === 'cpu' ? 0 : 1e-6;
const NONE = { normalization: 'none' } as const;
const S = (t: unknown) => t as tfl.SymbolicTensor;
const META = [[1, -2, 0.5, 3]];

const images = (n: number, seed = 3) =>
  tf.tidy(() => tf.round(tf.randomUniform([n, 8, 8, 3], 0, 255, 'float32', seed))) as tf.Tensor4D;

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

/**
 * `fc(concat(gap(conv(img)), meta_fc(meta)))`, softmax over 3 classes, its inputs listed `[meta, img]` (the image
 * second); with `twoOutputs`, `meta_fc` is an output too.
 */
function metaModel(twoOutputs = false): tfl.LayersModel {
  const meta = tfl.input({ shape: [4], name: 'meta' });
  const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
  const conv = S(tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(img));
  const gap = S(tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv));
  const metaFc = S(tfl.layers.dense({ units: 3, name: 'meta_fc' }).apply(meta));
  const cat = S(tfl.layers.concatenate({ name: 'cat' }).apply([gap, metaFc]));
  const fc = S(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }).apply(cat));
  return tfl.model({ inputs: [meta, img], outputs: twoOutputs ? [fc, metaFc] : fc });
}

/**
 * The network of {@link metaModel} for one value of `meta`, as a model of the image alone: the same convolution, and
 * `fc` reading `gap` with `fc`'s bias plus what `meta_fc(meta)` adds through `fc`'s other weights.
 */
function foldedModel(model: tfl.LayersModel, meta: tf.Tensor2D): tfl.LayersModel {
  const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
  const convLayer = tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', name: 'conv' });
  const conv = S(convLayer.apply(img));
  const gap = S(tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv));
  const fcLayer = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'fc' });
  const folded = tfl.model({ inputs: img, outputs: S(fcLayer.apply(gap)) });
  convLayer.setWeights(model.getLayer('conv').getWeights());
  const [kernel, bias] = model.getLayer('fc').getWeights();
  tf.tidy(() => {
    const m = model.getLayer('meta_fc').apply(meta) as tf.Tensor2D;
    const [fromGap, fromMeta] = tf.split(kernel, [5, 3], 0);
    fcLayer.setWeights([fromGap, tf.add(bias, tf.squeeze(tf.matMul(m, fromMeta)))]);
  });
  return folded;
}

describe('toNetwork: a Keras model with data beside the image (constantInputs)', () => {
  let model: tfl.LayersModel;
  let meta: tf.Tensor2D;
  let reference: Promise<Network>;
  let made: Promise<Network>;
  beforeAll(() => {
    model = metaModel();
    meta = tf.tensor2d(META);
    reference = toNetwork(foldedModel(model, meta), NONE);
    made = toNetwork(model, { ...NONE, constantInputs: { meta } });
  });
  afterAll(async () => {
    (await made).dispose();
    (await reference).dispose();
    meta.dispose();
  });

  it("lists the image's layers: not the data's input or what is computed from it alone", async () => {
    const net = await made;
    expect(net.layerNames).toEqual(['img', 'conv', 'gap', 'cat', 'fc']);
    expect(net.layers.map((l) => l.inputs)).toEqual([[], ['img'], ['conv'], ['gap'], ['cat']]);
    expect(net.inputSize).toEqual([8, 8, 3]);
    expect(net.layers[3].outputSize).toEqual([8]);
  });

  it('computes what Keras computes with the value fed for every image of a batch', async () => {
    const net = await made;
    const x = images(3);
    const want = model.predict([tf.tile(meta, [3, 1]), x]) as tf.Tensor;
    expect(await maxAbsDiff(predict(net, x), want)).toBeLessThanOrEqual(EXACT);
    // One image at a time, and a layer before the data joins.
    const one = tf.tidy(() => tf.squeeze(tf.slice(x, [1], [1]), [0])) as tf.Tensor3D;
    const scores = predict(net, one);
    expect(await maxAbsDiff(scores, tf.slice(want, [1], [1]))).toBeLessThanOrEqual(EXACT);
    const gap = activations(net, one, 'gap') as tf.Tensor;
    const ref = activations(await reference, one, 'gap') as tf.Tensor;
    expect(await maxAbsDiff(gap, ref)).toBeLessThanOrEqual(EXACT);
    // An array holds one image's values; a number fills them.
    const listed = await toNetwork(metaModel(), { ...NONE, constantInputs: { meta: META[0] } });
    (listed.model as tfl.LayersModel).setWeights(model.getWeights());
    expect(await maxAbsDiff(predict(listed, x), want)).toBeLessThanOrEqual(EXACT);
    listed.dispose();
    const filled = await toNetwork(metaModel(), { ...NONE, constantInputs: { meta: 2 } });
    const twos = tf.fill([3, 4], 2);
    const keras = filled.model as tfl.LayersModel;
    expect(await maxAbsDiff(predict(filled, x), keras.predict([twos, x]) as tf.Tensor)).toBeLessThanOrEqual(EXACT);
    filled.dispose();
    tf.dispose([x, want, one, scores, gap, ref, twos]);
  });

  it('classifies and explains as the same network of one input does', async () => {
    const [net, ref] = [await made, await reference];
    const x = tf.tidy(() => tf.squeeze(images(1, 11), [0])) as tf.Tensor3D;
    const [a, b] = [await classify(net, x, 3), await classify(ref, x, 3)];
    expect(a.map((c) => c.index)).toEqual(b.map((c) => c.index));
    a.forEach((c, i) => {
      expect(c.score).toBeCloseTo(b[i].score, 5);
    });
    const [g, h] = [await gradCAM(net, x, 0), await gradCAM(ref, x, 0)];
    expect(g.featureLayer).toBe('conv');
    expect(await maxAbsDiff(g.map, h.map)).toBeLessThanOrEqual(1e-4);
    const options = { maskSize: 3, stride: 2 } as const;
    const [o, p] = [await occlusionSensitivity(net, x, 0, options), await occlusionSensitivity(ref, x, 0, options)];
    expect(await maxAbsDiff(o, p)).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, g.map, h.map, o, p]);
  });

  it('says what each input needs, and refuses a bad value before the network is made', async () => {
    const other = metaModel();
    const refuse = (options: object, type: typeof TypeError | typeof RangeError, message: string) =>
      expectThrowsNoLeak(() => toNetwork(other, { ...NONE, ...options }), type, message);
    await refuse(
      {},
      TypeError,
      'toNetwork: expected a model with one image input, got 2 inputs (meta float32 [-1, 4], img float32 ' +
        '[-1, 8, 8, 3]); give the others a value that every pass uses as options.constantInputs, such as { meta: 1 }',
    );
    await refuse(
      { constantInputs: { meta: tf.tensor1d([1, 2, 3, 4]) } },
      RangeError,
      "toNetwork: expected 'options.constantInputs.meta' to be a tf.Tensor of shape [1, 4], one image's: the " +
        "input's first axis is the batch's, got rank 1 [4] float32",
    );
    await refuse(
      { constantInputs: { meta: [1, 2, 3] } },
      RangeError,
      "toNetwork: expected 'options.constantInputs.meta' to be an array of 4 values (the input's one image's shape " +
        '[1, 4], row by row), got [1, 2, 3] (array of length 3)',
    );
    await refuse(
      { constantInputs: { mta: 1 } },
      RangeError,
      "toNetwork: 'options.constantInputs' names 'mta', which is not an input of the model (its inputs: 'meta' or " +
        "'img'); did you mean 'meta'?",
    );
    await refuse(
      { constantInputs: { meta: tf.tensor2d([[1, Number.NaN, 3, 4]]) } },
      RangeError,
      "toNetwork: expected 'options.constantInputs.meta' to be a tf.Tensor of finite values, got rank 2 [1, 4] " +
        'float32',
    );
    // After the values are made: the network fails, and frees them.
    await refuse(
      { constantInputs: { meta: 1 }, classNames: ['a', 'b'] },
      RangeError,
      "toNetwork: expected 3 class names (the size of the model's output, layer 'fc'), got 2",
    );
    const both = metaModel(true);
    await expectThrowsNoLeak(
      () => toNetwork(both, { ...NONE, constantInputs: { meta: 1 }, output: 'meta_fc' }),
      RangeError,
      "toNetwork: the model's output 'meta_fc' is computed from the values of its other inputs alone, not from its " +
        "image input 'img'",
    );
    other.dispose();
    both.dispose();
  });

  it("leaves out a nested model of the data alone, and lists a nested model's side of the image", async () => {
    const metaNet = tfl.sequential({
      layers: [tfl.layers.dense({ units: 3, inputShape: [4], name: 'md' })],
      name: 'meta_net',
    });
    const features = tfl.input({ shape: [6, 6, 5], name: 'features' });
    const extra = tfl.input({ shape: [3], name: 'extra' });
    const pooled = S(tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(features));
    const joined = S(tfl.layers.concatenate({ name: 'cat' }).apply([pooled, extra]));
    const joint = tfl.model({ inputs: [features, extra], outputs: joined, name: 'joint' });
    const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
    const meta = tfl.input({ shape: [4], name: 'meta' });
    const conv = S(tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(img));
    const both = S(joint.apply([conv, S(metaNet.apply(meta))]));
    const fc = S(tfl.layers.dense({ units: 2, activation: 'softmax', name: 'fc' }).apply(both));
    const model = tfl.model({ inputs: [img, meta], outputs: fc });
    const value = tf.tensor2d([[1, 2, 3, 4]]);
    const net = await toNetwork(model, { ...NONE, constantInputs: { meta: value } });
    expect(net.layers.map((l) => [l.name, l.inputs])).toEqual([
      ['img', []],
      ['conv', ['img']],
      ['joint/gap', ['conv']],
      ['joint/cat', ['joint/gap']],
      ['joint', ['conv']],
      ['fc', ['joint']],
    ]);
    const x = images(2, 8);
    const values = tf.tile(value, [2, 1]);
    const want = model.predict([x, values]) as tf.Tensor;
    expect(await maxAbsDiff(predict(net, x), want)).toBeLessThanOrEqual(EXACT);
    tf.dispose([x, values, want, value]);
    net.dispose();
  });

  it('frees the values with the network', async () => {
    const before = tf.memory().numTensors;
    const net = await toNetwork(metaModel(), { ...NONE, constantInputs: { meta: 1 } });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('importNetwork: a Keras model file conditioned on a class label (int32, through an embedding)', () => {
  /** `fc(concat(gap(conv(img)), flatten(embedding(label))))`; with `reshaped`, the label reshaped on the way. */
  function labelModel(reshaped = false): tfl.LayersModel {
    const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
    const label = tfl.input({ shape: [1], name: 'label', dtype: 'int32' });
    const conv = S(tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(img));
    const gap = S(tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(conv));
    const looked = reshaped ? S(tfl.layers.reshape({ targetShape: [1], name: 'as_is' }).apply(label)) : label;
    const embedded = S(tfl.layers.embedding({ inputDim: 3, outputDim: 2, name: 'embed' }).apply(looked));
    const flat = S(tfl.layers.flatten({ name: 'flat' }).apply(embedded));
    const cat = S(tfl.layers.concatenate({ name: 'cat' }).apply([gap, flat]));
    const fc = S(tfl.layers.dense({ units: 2, name: 'fc' }).apply(cat));
    return tfl.model({ inputs: [img, label], outputs: fc });
  }

  /** The files of `model` as a loader hands them over, with `declared` as the values its metadata declares. */
  async function filesOf(model: tfl.LayersModel): Promise<(declared?: object) => tf.io.IOHandler> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    return (declared) =>
      tf.io.fromMemory(
        declared
          ? { ...artifacts, userDefinedMetadata: { cnnActivations: { constantInputs: declared } } }
          : { ...artifacts },
      );
  }

  it('reads the value the file declares, or takes one given; an int32 input takes integers', async () => {
    const model = labelModel();
    const file = await filesOf(model);
    const x = images(2, 5);
    for (const [net, label] of [
      [await importNetwork(file({ label: 2 }), NONE), 2],
      [await importNetwork(file({ label: 2 }), { ...NONE, constantInputs: { label: 1 } }), 1],
      [await importNetwork(file({ label: [0] }), NONE), 0],
    ] as const) {
      expect(net.layerNames).toEqual(['img', 'conv', 'gap', 'cat', 'fc']);
      const labels = tf.fill([2, 1], label, 'int32');
      const want = model.predict([x, labels]) as tf.Tensor;
      expect(await maxAbsDiff(predict(net, x), want)).toBeLessThanOrEqual(EXACT);
      tf.dispose([labels, want]);
      net.dispose();
    }
    await expectThrowsNoLeak(
      () => importNetwork(file({ label: 1.5 }), NONE),
      RangeError,
      "importNetwork: expected 'userDefinedMetadata.cnnActivations.constantInputs.label' to be an int32 integer (the " +
        'input is int32), got 1.5 (number)',
    );
    x.dispose();
    model.dispose();
  });

  it('refuses a label past the rows of the embedding that looks it up, which a GPU would read without a word', async () => {
    /** The refusal of `value` for `label`, whose embedding `layer` has `rows` rows; `arg` names where it was given. */
    const past = (value: number, layer: string, rows: number, fn = 'toNetwork', arg = 'options.constantInputs') =>
      `${fn}: '${arg}.label' holds ${value} (value 0), but the embedding '${layer}' that reads it has ${rows} rows: ` +
      `0 to ${rows - 1}`;
    const model = labelModel();
    const file = await filesOf(model);
    const declared = 'userDefinedMetadata.cnnActivations.constantInputs';
    await expectThrowsNoLeak(
      () => importNetwork(file({ label: 3 }), NONE),
      RangeError,
      past(3, 'embed', 3, 'importNetwork', declared),
    );
    await expectThrowsNoLeak(
      () => importNetwork(file(), { ...NONE, constantInputs: { label: -1 } }),
      RangeError,
      past(-1, 'embed', 3, 'importNetwork'),
    );
    model.dispose();
    // Through a reshape on the way.
    const reshaped = labelModel(true);
    await expectThrowsNoLeak(
      () => toNetwork(reshaped, { ...NONE, constantInputs: { label: [5] } }),
      RangeError,
      past(5, 'embed', 3),
    );
    reshaped.dispose();
    // Inside a nested model.
    const code = tfl.input({ shape: [1], name: 'code', dtype: 'int32' });
    const table = tfl.layers.embedding({ inputDim: 4, outputDim: 2, name: 'table' });
    const lookup = tfl.model({
      inputs: code,
      outputs: S(tfl.layers.flatten({ name: 'f' }).apply(S(table.apply(code)))),
    });
    const img = tfl.input({ shape: [8, 8, 3], name: 'img' });
    const label = tfl.input({ shape: [1], name: 'label', dtype: 'int32' });
    const gap = S(tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(img));
    const joined = S(tfl.layers.concatenate({ name: 'cat' }).apply([gap, S(lookup.apply(label))]));
    const nested = tfl.model({ inputs: [img, label], outputs: joined });
    await expectThrowsNoLeak(
      () => toNetwork(nested, { ...NONE, constantInputs: { label: 4 } }),
      RangeError,
      past(4, 'table', 4),
    );
    const fine = await toNetwork(nested, { ...NONE, constantInputs: { label: 3 } });
    expect(fine.layerNames).toEqual(['img', 'gap', 'cat']);
    fine.dispose();
  });
});
