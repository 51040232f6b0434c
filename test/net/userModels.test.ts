/**
 * Any model a user brings: real pretrained third-party models from npm (nsfwjs's Keras MobileNetV2 and its converted
 * TensorFlow graph) made Networks by toNetwork/importNetwork, checked against TF.js's own routes (the tfjs-layers
 * sub-model for a Keras layer, the raw `execute` for a graph node) on the same normalized pixels.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel, model as kerasModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { layerShapes } from '../../src/net/layerShapes.js';
import { learnables } from '../../src/net/learnables.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { BACKEND } from '../helpers/backend.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { NSFW_CLASSES, thirdPartyHandler, writeThirdPartyModel } from '../../examples/your-model/nsfwjsModels.js';

const requireFrom = createRequire(import.meta.url);
/**
 * How far one deep-dream step from `start` moves the image (its largest pixel change): finite and above zero when a
 * gradient came back through the whole network.
 */
async function dreamStep(net: Network, layer: string, channel: number, start: tf.Tensor3D): Promise<number> {
  const options = { initialImage: start, numIterations: 1, pyramidLevels: 1, outputScaling: 'none' } as const;
  const dreamt = await deepDreamImage(net, layer, channel, options);
  const change = tf.tidy(() => tf.max(tf.abs(tf.sub(dreamt, tf.expandDims(start, 0)))));
  const moved = (await change.data())[0];
  tf.dispose([dreamt, change]);
  return moved;
}

/** A model file of @vladmandic/human (MIT): its package exports name its builds only; the models sit beside dist/. */
const humanModel = (name: string) =>
  path.resolve(path.dirname(requireFrom.resolve('@vladmandic/human')), '..', 'models', name);

const TOL = BACKEND === 'cpu' ? 1e-4 : 1e-3;

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

/** The scale of a tensor, for relative tolerances. */
async function maxAbs(a: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(a)));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

let face: tf.Tensor3D;
let face224: tf.Tensor3D;
beforeAll(() => {
  face = readSharedPng('face.png');
  face224 = tf.tidy(() => tf.cast(tf.image.resizeBilinear(face, [224, 224]), 'int32'));
});
afterAll(() => {
  tf.dispose([face, face224]);
});

describe('toNetwork: a Keras LayersModel from npm (nsfwjs MobileNetV2)', () => {
  let model: LayersModel;
  let net: Network;
  beforeAll(async () => {
    model = await loadLayersModel(await thirdPartyHandler('mobilenet_v2'));
    net = await toNetwork(model, { normalization: 'rescale-zero-one', classNames: NSFW_CLASSES });
  });
  afterAll(() => net?.dispose());

  it('lists every Keras layer by its Keras name, in Keras order, with sizes, types and learnables', () => {
    expect(net.kind).toBe('layers-model');
    expect(net.name).toBe(model.name);
    expect(net.layerNames).toEqual(model.layers.map((l) => l.name));
    expect(net.inputSize).toEqual([224, 224, 3]);
    expect(net.layers[3]).toMatchObject({
      index: 3,
      matlabIndex: 4,
      name: 'bn_Conv1',
      type: 'Batch Normalization',
      originalType: 'BatchNormalization',
      inputs: ['Conv1'],
      outputSize: [112, 112, 32],
      numLearnables: 64,
    });
    expect(net.layers[2]).toMatchObject({
      name: 'Conv1',
      type: 'Convolution',
      kernel: [3, 3],
      stride: [2, 2],
      padding: [0, 0, 0, 0],
      paddingMode: 'manual',
      numChannels: 3,
      numFilters: 32,
    });
    expect(net.layers.find((l) => l.name === 'Conv1_relu')?.type).toBe('Clipped ReLU');
    // Keras counts BN statistics as weights; MATLAB does not count them as learnables.
    const keras = model.countParams();
    const stats = model.weights
      .filter((w) => /moving_/.test(w.originalName))
      .reduce((s, w) => s + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
    expect(net.totalLearnables).toBe(keras - stats);
    const a = analyzeNetwork(net);
    expect(a.layers.map((l) => l.activations)).toEqual(model.layers.map((l) => (l.outputShape as number[]).slice(1)));
    expect(a.layers.find((l) => l.name === 'dense_3')?.learnables).toEqual({ Weights: [128, 5], Bias: [5] });
  });

  it('computes the same activations as the tfjs-layers route on the normalized pixels, names or indices, one pass', async () => {
    const names = ['Conv1_relu', 'block_3_expand', 'block_16_project', 'dense_3'];
    const sub = kerasModel({ inputs: model.inputs, outputs: names.map((n) => model.getLayer(n).output as never) });
    const want = tf.tidy(() => sub.predict(tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255)) as tf.Tensor[]);
    const got = await expectNoLeak(
      () => activations(net, face224, [names[0], net.layerNames.indexOf(names[1]), names[2], names[3]]),
      4,
    );
    for (let i = 0; i < names.length; i++) {
      expect(got[i].shape).toEqual(want[i].shape.slice(1));
      const scale = Math.max(1, await maxAbs(want[i]));
      expect((await maxAbsDiff(got[i], tf.squeeze(want[i], [0]))) / scale).toBeLessThanOrEqual(TOL);
    }
    tf.dispose([...got, ...want]);
  });

  it('classifies with the declared scaling; other sizes run the convolutional layers, not the dense ones', async () => {
    const top = await classify(net, face224, 5);
    const probs = tf.tidy(() => model.predict(tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255)) as tf.Tensor);
    const p = await probs.data();
    probs.dispose();
    expect(top[0].label).toBe(NSFW_CLASSES[top[0].index]);
    for (const c of top) expect(Math.abs(c.score - p[c.index])).toBeLessThanOrEqual(1e-4);
    const other = tf.zeros([150, 190, 3], 'int32');
    const conv = activations(net, other, 'out_relu');
    // The size predicted before running (from the layers' geometry) is the size it comes out.
    expect(conv.shape).toEqual([4, 5, 1280]);
    expect(layerShapes(net.layers, [150, 190, 3]).get('out_relu')).toEqual([4, 5, 1280]);
    conv.dispose();
    await expectThrowsNoLeak(
      () => activations(net, other, 'dense_3'),
      RangeError,
      "activations: expected 'img' to be 224×224 pixels (the size the network was trained at) to compute layer 'dense_3' (pass { resize: true }), got rank 3 [150, 190, 3] int32",
    );
    const resized = activations(net, other, 'dense_3', { resize: true });
    expect(resized.shape).toEqual([5]);
    resized.dispose();
    other.dispose();
  });

  it('refuses an image too small for a layer before any kernel runs', async () => {
    const tiny = tf.zeros([1, 9, 3]);
    await expectThrowsNoLeak(
      () => activations(net, tiny, 'Conv1'),
      RangeError,
      "activations: expected 'img' to be at least 2×2 pixels to compute layer 'Conv1' (or pass { resize: true }), got rank 3 [1, 9, 3] float32",
    );
    tiny.dispose();
  });

  it('gives the learnables as tensors by MATLAB names', async () => {
    const w = await expectNoLeak(() => learnables(net, 'Conv1'), 1);
    expect(Object.keys(w)).toEqual(['Weights']);
    expect(w.Weights.shape).toEqual([3, 3, 3, 32]);
    expect(await maxAbsDiff(w.Weights, model.getLayer('Conv1').getWeights()[0])).toBe(0);
    tf.dispose(Object.values(w));
    const bn = learnables(net, 'bn_Conv1');
    expect(Object.keys(bn)).toEqual(['Scale', 'Offset', 'TrainedMean', 'TrainedVariance']);
    tf.dispose(Object.values(bn));
  });

  it('keeps the layer names of a second load of the same model (TF.js renames its tensors)', async () => {
    const again = await loadLayersModel(await thirdPartyHandler('mobilenet_v2'));
    const net2 = await toNetwork(again, { normalization: 'rescale-zero-one' });
    expect(net2.layerNames).toEqual(net.layerNames);
    const [a, b] = [activations(net, face224, 'Conv1_relu'), activations(net2, face224, 'Conv1_relu')];
    expect(await maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    net2.dispose();
    expect(net2.isDisposed).toBe(true);
    await expectThrowsNoLeak(
      () => activations(net2, face224, 'Conv1'),
      TypeError,
      "activations: 'net' has been disposed; load the network again",
    );
  });
});

describe('toNetwork: the pretrained MobileNetV2 as the nested base of a transfer-learning model', () => {
  it("reaches the base's layers by path, with the numbers of the tfjs-layers route", async () => {
    const pretrained = await loadLayersModel(await thirdPartyHandler('mobilenet_v2'));
    // The usual shape: the pretrained network up to its last convolution, used as one layer of a new model.
    const base = kerasModel({
      inputs: pretrained.inputs,
      outputs: pretrained.getLayer('out_relu').output as never,
      name: 'mobilenetv2_base',
    });
    const { input, layers } = await import('@tensorflow/tfjs-layers');
    const x = input({ shape: [224, 224, 3], name: 'image' });
    const features = base.apply(x) as never;
    const pooled = layers.globalAveragePooling2d({ name: 'pool' }).apply(features) as never;
    const head = layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(pooled) as never;
    const transfer = kerasModel({ inputs: x, outputs: head, name: 'transfer' });
    const net = await toNetwork(transfer, { normalization: 'rescale-zero-one', classNames: ['a', 'b', 'c'] });
    expect(net.layerNames.slice(0, 3)).toEqual(['image', 'mobilenetv2_base/Conv1_pad', 'mobilenetv2_base/Conv1']);
    expect(net.layerNames.slice(-3)).toEqual(['mobilenetv2_base', 'pool', 'head']);
    expect(net.layers.find((l) => l.name === 'mobilenetv2_base')).toMatchObject({
      type: 'Network',
      outputLayer: 'mobilenetv2_base/out_relu',
      inputs: ['image'],
      outputSize: [7, 7, 1280],
    });
    const scaled = tf.tidy(() => tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255));
    const inner = kerasModel({
      inputs: pretrained.inputs,
      outputs: pretrained.getLayer('block_6_expand_relu').output as never,
    });
    const want = inner.predict(scaled) as tf.Tensor;
    const got = await expectNoLeak(() => activations(net, face224, 'mobilenetv2_base/block_6_expand_relu'), 1);
    expect((await maxAbsDiff(got, tf.squeeze(want, [0]))) / Math.max(1, await maxAbs(want))).toBeLessThanOrEqual(TOL);
    const whole = transfer.predict(scaled) as tf.Tensor;
    const top = await classify(net, face224, 3);
    const p = await whole.data();
    for (const c of top) expect(Math.abs(c.score - p[c.index])).toBeLessThanOrEqual(1e-4);
    tf.dispose([scaled, want, got, whole]);
    net.dispose();
  });
});

describe('toNetwork: a converted TensorFlow GraphModel from npm (nsfwjs MobileNetV2 mid)', () => {
  let model: GraphModel;
  let net: Network;
  beforeAll(async () => {
    model = await loadGraphModel(await thirdPartyHandler('mobilenet_v2_mid'));
    net = await toNetwork(model, { normalization: 'rescale-zero-one', classNames: NSFW_CLASSES });
  });
  afterAll(() => net?.dispose());

  it('derives layers from op nodes: no constants, fused convolutions as one layer, readable names', () => {
    expect(net.kind).toBe('graph-model');
    expect(net.layers.length).toBe(70);
    expect(net.layers.some((l) => l.originalType === 'Const')).toBe(false);
    expect(net.layers[0]).toMatchObject({ name: 'input', type: 'Image Input', outputSize: [224, 224, 3] });
    const conv = net.layers[3];
    expect(conv).toMatchObject({
      name: 'keras_layer/MobilenetV2/Conv/Relu6',
      type: 'Convolution',
      originalType: '_FusedConv2D',
      kernel: [3, 3],
      stride: [2, 2],
      paddingMode: 'same',
      padding: [0, 1, 0, 1],
      numChannels: 3,
      numFilters: 48,
      outputSize: [112, 112, 48],
      numLearnables: 3 * 3 * 3 * 48 + 48,
      inputs: ['keras_layer/hub_input/Sub'],
    });
    expect(conv.description).toBe("48 3×3×3 convolutions with stride [2 2] and padding 'same' + BiasAdd + Relu6");
    expect(conv.nodeName).toBe(
      'StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/MobilenetV2/Conv/Relu6',
    );
    expect(net.layers.every((l) => l.name.length < 80)).toBe(true);
    expect(net.layers.filter((l) => l.type === 'Grouped Convolution').length).toBe(17);
    expect(net.layers.at(-3)).toMatchObject({ type: 'Fully Connected', outputSize: [5] });
  });

  it("computes what the graph's own execute gives for the node, by readable name, full name or index", async () => {
    const x = tf.tidy(() => tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255));
    const l = net.layers[20];
    const want = model.execute({ input: x }, l.nodeName) as tf.Tensor;
    const got = activations(net, face224, [l.name, l.nodeName, 20]);
    for (const g of got) {
      expect(g.shape).toEqual(want.shape.slice(1));
      expect((await maxAbsDiff(g, tf.squeeze(want, [0]))) / Math.max(1, await maxAbs(want))).toBeLessThanOrEqual(TOL);
    }
    tf.dispose([x, want, ...got]);
  });

  it('runs other sizes through its convolutional layers although its placeholder says 224×224', async () => {
    const img = tf.zeros([300, 260, 3], 'int32');
    const a = activations(net, img, 'keras_layer/MobilenetV2/Conv_1/Relu6');
    expect(a.shape).toEqual([10, 9, 1792]);
    a.dispose();
    await expectThrowsNoLeak(
      () => activations(net, img, 'prediction/Softmax'),
      RangeError,
      /^activations: expected 'img' to be 224×224 pixels \(the size the network was trained at\) to compute layer 'prediction\/Softmax'/,
    );
    img.dispose();
  });

  it('classifies as the graph does on the declared scaling', async () => {
    const top = await classify(net, face224, 1);
    const x = tf.tidy(() => tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255));
    const probs = model.execute({ input: x }) as tf.Tensor;
    const p = await probs.data();
    tf.dispose([x, probs]);
    expect(Math.abs(top[0].score - Math.max(...p))).toBeLessThanOrEqual(1e-4);
    expect(top[0].label).toBe(NSFW_CLASSES[p.indexOf(Math.max(...p))]);
  });

  it('says a weight is a weight', async () => {
    const weight = Object.keys(model.weights)[0];
    await expectThrowsNoLeak(
      () => activations(net, face224, weight),
      RangeError,
      /^activations: expected 'layer' to be a layer of network, got "StatefulPartitionedCall\/.*" \(string\), which is a weight, not a layer$/,
    );
  });
});

// On wasm only: the fix is in how the layers are run, not in any kernel, and a software WebGPU takes 25 s for it.
describe.skipIf(BACKEND !== 'wasm')('toNetwork: a Keras InceptionV3 from npm (nsfwjs)', () => {
  it('takes gradients through its batch norms, which have no scale, to an early layer', async () => {
    // Every one of its 94 BatchNormalization layers has scale: false; a gradient through any of them failed inside
    // TF.js. Its top class agrees with tfjs-layers' own predict, and Grad-CAM at mixed2 (11 modules from the end)
    // gives a finite map that is not all zero.
    const model = await loadLayersModel(await thirdPartyHandler('inception_v3'));
    const net = await toNetwork(model, { normalization: 'rescale-zero-one', classNames: NSFW_CLASSES });
    const face299 = tf.tidy(() => tf.cast(tf.image.resizeBilinear(face, [299, 299]), 'int32'));
    const [top] = await classify(net, face299, 1);
    const want = tf.tidy(() =>
      tf.argMax(tf.squeeze(model.predict(tf.div(tf.expandDims(tf.cast(face299, 'float32'), 0), 255)) as tf.Tensor)),
    );
    expect(top.index).toBe((await want.data())[0]);
    const cam = await gradCAM(net, face299, top.index, { featureLayer: 'mixed2', outputUpsampling: 'none' });
    expect(cam.map.shape).toEqual([35, 35]);
    const range = tf.tidy(() => tf.stack([tf.min(cam.map), tf.max(cam.map)]));
    const [lo, hi] = await range.data();
    expect(Number.isFinite(lo) && Number.isFinite(hi)).toBe(true);
    expect(hi).toBeGreaterThan(0);
    tf.dispose([face299, want, cam.map, range]);
    net.dispose();
  }, 60_000);
});

// The next two suites check the library's own logic (which output, what dtype, how a batch is split) against the
// graph's own execute on the same backend; TF.js's pure-JavaScript cpu kernels add half a minute and no coverage.
describe.skipIf(BACKEND === 'cpu')(
  'toNetwork: a GraphModel with several outputs from npm (@vladmandic/human faceres)',
  () => {
    // One backbone, three heads: gender (sigmoid), a pooled embedding, age (softmax over 100 bins).
    const file = humanModel('faceres.json');
    let model: GraphModel;
    beforeAll(async () => {
      const json = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelJSON;
      const shards = json.weightsManifest
        .flatMap((g) => g.paths)
        .map((p) => readFileSync(path.join(path.dirname(file), p)));
      model = await loadGraphModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
          weightData: new Uint8Array(Buffer.concat(shards)).buffer,
          signature: json.signature,
        }),
      );
    });
    afterAll(() => model?.dispose());

    it('asks which output the network ends at, listing them', async () => {
      await expectThrowsNoLeak(
        () => toNetwork(model, { normalization: 'rescale-zero-one' }),
        TypeError,
        "toNetwork: expected a model with one output, got 3; pass options.output, one of 'gender_pred/Sigmoid', 'global_pooling/Mean' or 'age_pred/Softmax', to choose the one the network ends at",
      );
      await expectThrowsNoLeak(
        () => toNetwork(model, { normalization: 'rescale-zero-one', output: 'age_pred/softmax' }),
        RangeError,
        "toNetwork: expected 'options.output' to be one of the model's outputs ('gender_pred/Sigmoid', 'global_pooling/Mean' or 'age_pred/Softmax') or a node of its graph, got \"age_pred/softmax\" (string); did you mean 'age_pred/Softmax'?",
      );
      await expectThrowsNoLeak(
        () => toNetwork(model, { normalization: 'rescale-zero-one', output: 3 as never }),
        TypeError,
        "toNetwork: expected 'options.output' to be the name of one of the model's outputs, got 3 (number)",
      );
    });

    it('ends at the chosen output: only the layers it needs, what the graph computes there', async () => {
      const net = await toNetwork(model, { normalization: 'rescale-zero-one', output: 'age_pred/Softmax:0' });
      const last = net.layers[net.layers.length - 1];
      expect(last).toMatchObject({ name: 'age_pred/Softmax', type: 'Softmax', outputSize: [100] });
      expect(net.layers.some((l) => l.name.startsWith('gender_pred'))).toBe(false);
      expect(net.layers.some((l) => l.name === 'global_pooling/Mean')).toBe(true);
      // Every layer comes after the layers it reads.
      const at = new Map(net.layers.map((l) => [l.name, l.index]));
      expect(net.layers.every((l) => l.inputs.every((i) => (at.get(i) ?? Infinity) < l.index))).toBe(true);
      const x = tf.tidy(() => tf.div(tf.expandDims(tf.cast(face224, 'float32'), 0), 255));
      const want = model.execute({ input_1: x }, 'age_pred/Softmax') as tf.Tensor;
      const p = await want.data();
      tf.dispose([x, want]);
      const top = await classify(net, face224, 1);
      expect(top[0].label).toBe(String(p.indexOf(Math.max(...p))));
      expect(Math.abs(top[0].score - Math.max(...p))).toBeLessThanOrEqual(1e-4);
      // Another output of the same model: another network.
      const other = await toNetwork(model, { normalization: 'rescale-zero-one', output: 'gender_pred/Sigmoid' });
      expect(other.layers.at(-1)).toMatchObject({ name: 'gender_pred/Sigmoid', outputSize: [1] });
      expect(other.layers.some((l) => l.name.startsWith('age_pred'))).toBe(false);
    });
  },
);

describe.skipIf(BACKEND === 'cpu')(
  'importNetwork: a graph model that takes int32 pixels (MoveNet Lightning, from @vladmandic/human)',
  () => {
    const file = humanModel('movenet-lightning.json');
    let net: Network;
    beforeAll(async () => {
      net = await importNetwork(file, { normalization: 'none' });
    });
    afterAll(() => net?.dispose());

    it('feeds it whole pixel values, as its placeholder says, and gets what the graph gives', async () => {
      expect(net.inputSize).toEqual([192, 192, 3]);
      expect(net.layers.at(-1)?.outputSize).toEqual([1, 17, 3]);
      const img = tf.tidy(() => tf.add(tf.image.resizeBilinear(face, [192, 192]), 0.4));
      const got = await expectNoLeak(() => activations(net, img, net.layers.length - 1), 1);
      const pixels = tf.tidy(() => tf.cast(tf.round(tf.expandDims(img, 0)), 'int32'));
      const want = (net.model as GraphModel).execute({ input: pixels }) as tf.Tensor;
      expect(await maxAbsDiff(got, tf.squeeze(want, [0]))).toBeLessThanOrEqual(TOL);
      // 17 keypoints (y, x, score): the scores are probabilities.
      const v = await got.data();
      expect(v.filter((_, i) => i % 3 === 2).every((x) => x >= 0 && x <= 1)).toBe(true);
      tf.dispose([img, got, pixels, want]);
    });

    it('dreams through its preprocessing (the batch unstacked and expanded back), two channels as two images', async () => {
      const conv = net.layers.filter((l) => l.type === 'Convolution')[5];
      const start = tf.randomUniform([192, 192, 3], 0, 255, 'float32', 3);
      const dreamt = await deepDreamImage(net, conv.name, [0, 1], {
        initialImage: start,
        numIterations: 1,
        pyramidLevels: 1,
        outputScaling: 'none',
      });
      const change = tf.tidy(() => tf.max(tf.abs(tf.sub(dreamt, tf.expandDims(start, 0))), [1, 2, 3]));
      expect(Array.from(await change.data()).every((c) => c > 1)).toBe(true);
      tf.dispose([start, dreamt, change]);
    });

    it('dreams on its keypoints themselves, back through how it picks them', async () => {
      // Its output is read off the heatmaps at their argmax (ArgMax, GatherNd, a squared difference against a
      // [1, 17] grid, a floor division): each needed a gradient TF.js lacks or gets wrong.
      const start = tf.tidy(() => tf.image.resizeBilinear(face, [192, 192]));
      const moved = await dreamStep(net, net.layers.at(-1)!.name, 0, start);
      expect(Number.isFinite(moved) && moved > 0).toBe(true);
      start.dispose();
    });

    it("explains its keypoints' confidence with Grad-CAM at the heat maps it reads them from", async () => {
      // Channel 2 of its output, summed over the 17 keypoints (a reduction function, as MATLAB's gradCAM takes for a
      // network that does not classify). Before the output come the keypoint list (1×17×3, a row, not a picture) and
      // the heat maps weighted for the ArgMax that finds the keypoints (48×48×17, which moves the score not at all):
      // the default feature layer is the heat maps the scores are read from.
      const img = tf.tidy(() => tf.image.resizeBilinear(face, [192, 192]));
      const confidence = (out: tf.Tensor) => tf.sum(tf.gather(out, 2, out.rank - 1), [1, 2]);
      const r = await expectNoLeak(() => gradCAM(net, img, null, { reductionFcn: confidence }), 1);
      expect([r.featureLayer, r.reductionLayer]).toEqual(['Sigmoid', 'Identity']);
      expect(net.layers.find((l) => l.name === 'Sigmoid')?.outputSize).toEqual([48, 48, 17]);
      const range = tf.tidy(() => tf.sub(tf.max(r.map), tf.min(r.map)));
      expect((await range.data())[0]).toBeGreaterThan(0);
      tf.dispose([img, r.map, range]);
    });

    it("explains its keypoints' y coordinates at the layer they move with: the heat maps give them no gradient", async () => {
      // Channel 0 (y) is read off the heat maps through an ArgMax, plus an offset from another head: the heat maps'
      // gradient is 0 everywhere, and the default feature layer is the next candidate that moves the score.
      const img = tf.tidy(() => tf.image.resizeBilinear(face, [192, 192]));
      const y = (out: tf.Tensor) => tf.sum(tf.gather(out, 0, out.rank - 1), [1, 2]);
      const r = await expectNoLeak(() => gradCAM(net, img, null, { reductionFcn: y }), 1);
      expect(r.featureLayer).toBe('kpt_offset_0/conv2d_7/BiasAdd');
      // Asked for by name, the heat maps give the map of zeros they stand for (MATLAB's answer), with no other try.
      const asked = await expectNoLeak(() => gradCAM(net, img, null, { reductionFcn: y, featureLayer: 'Sigmoid' }), 1);
      expect(asked.featureLayer).toBe('Sigmoid');
      const ranges = tf.tidy(() => tf.stack([r.map, asked.map].map((m) => tf.sub(tf.max(m), tf.min(m)))));
      const [moved, flat] = await ranges.data();
      expect(moved).toBeGreaterThan(0);
      expect(flat).toBe(0);
      tf.dispose([img, r.map, asked.map, ranges]);
    });

    it('runs a batch through its graph of batch 1 one image at a time, with the numbers of each alone', async () => {
      const batch = tf.tidy(() => tf.stack([tf.image.resizeBilinear(face, [192, 192]), tf.fill([192, 192, 3], 90)]));
      const last = net.layers.length - 1;
      const both = await expectNoLeak(() => activations(net, batch, last), 1);
      expect(both.shape).toEqual([2, 1, 17, 3]);
      for (let i = 0; i < 2; i++) {
        const one = tf.tidy(() => tf.squeeze(tf.slice(batch, i, 1), [0]));
        const alone = activations(net, one, last);
        const row = tf.tidy(() => tf.squeeze(tf.slice(both, i, 1), [0]));
        expect(await maxAbsDiff(row, alone)).toBeLessThanOrEqual(1e-6);
        tf.dispose([one, alone, row]);
      }
      tf.dispose([batch, both]);
    });
  },
);

describe.skipIf(BACKEND !== 'wasm')(
  'importNetwork: a detector that picks its detections (CenterNet, from @vladmandic/human)',
  () => {
    it('dreams on its detections, back through top-k, gathers, strided slices and a modulo', async () => {
      // Its detections head keeps the 100 strongest heatmap peaks (TopKV2), finds their cells (Mod, FloorDiv) and reads
      // their boxes there (GatherV2, StridedSlice): TF.js has no gradient for TopK or StridedSlice, and its gather's
      // needs a kernel wasm lacks.
      const net = await importNetwork(humanModel('centernet.json'), {
        normalization: 'rescale-zero-one',
        output: 'tower_0/detections',
      });
      const ops = new Set(net.layers.map((l) => l.originalType));
      expect(['TopKV2', 'GatherV2', 'StridedSlice', 'FloorMod'].filter((op) => ops.has(op))).toEqual([
        'TopKV2',
        'GatherV2',
        'StridedSlice',
        'FloorMod',
      ]);
      const start = tf.tidy(() => tf.image.resizeBilinear(face, [512, 512]));
      const moved = await expectNoLeak(() => dreamStep(net, 'tower_0/detections', 4, start));
      expect(Number.isFinite(moved) && moved > 0).toBe(true);
      start.dispose();
      net.dispose();
    });
  },
);

describe.skipIf(BACKEND !== 'wasm')(
  'importNetwork: an object detector that resizes its image in a loop (handtrack, from @vladmandic/human)',
  () => {
    it('takes the image where its first convolution reads it, and ends before its non-max suppression', async () => {
      // TensorFlow's object detection SSD: a `map` loop resizes the image, then the backbone and the box predictors,
      // then non-max suppression; TF.js runs the loops only asynchronously.
      const file = humanModel('handtrack.json');
      const classes =
        'StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead/ClassPredictor/BiasAdd';
      const asked = { normalization: 'rescale-symmetric', inputSize: [320, 320], output: classes } as const;
      const refusal = await expectThrowsNoLeak(
        () => importNetwork(file, asked),
        RangeError,
        /pass options\.input '([^']+)'/,
      );
      const input = /pass options\.input '([^']+)'/.exec(refusal.message)![1];
      expect(input).toBe('StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack');
      const net = await importNetwork(file, { ...asked, input });
      expect(net.layers[0]).toMatchObject({ type: 'Image Input', outputSize: [320, 320, 3] });
      // Without inputSize: the loop runs up to that node on two blank images, which it resizes to 320×320.
      const found = await importNetwork(file, { normalization: 'rescale-symmetric', output: classes, input });
      expect(found.inputSize).toEqual([320, 320, 3]);
      found.dispose();
      const img = tf.tidy(() => tf.image.resizeBilinear(face, [320, 320]));
      const scores = await expectNoLeak(() => activations(net, img, classes), 1);
      expect(scores.shape).toEqual([40, 40, 48]);
      const dreamt = await deepDreamImage(net, classes, 0, { initialImage: img, numIterations: 1, pyramidLevels: 1 });
      expect(dreamt.shape).toEqual([1, 320, 320, 3]);
      tf.dispose([img, scores, dreamt]);
      net.dispose();
    });
  },
);

describe('importNetwork: model.json files of either format, detected', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cnn-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a Keras model and a graph model from their folders, class names from a labels file', async () => {
    const keras = await writeThirdPartyModel('mobilenet_v2', path.join(dir, 'keras'));
    const graph = await writeThirdPartyModel('mobilenet_v2_mid', path.join(dir, 'graph'));
    const labels = path.join(dir, 'labels.txt');
    writeFileSync(labels, `${NSFW_CLASSES.join('\n')}\n`);
    const a = await importNetwork(path.dirname(keras), { normalization: 'rescale-zero-one', classNames: labels });
    const b = await importNetwork(graph, { normalization: 'rescale-zero-one', classNames: NSFW_CLASSES });
    expect([a.kind, b.kind]).toEqual(['layers-model', 'graph-model']);
    expect(a.classNames).toEqual(NSFW_CLASSES);
    const [ta, tb] = [await classify(a, face224, 1), await classify(b, face224, 1)];
    expect(ta[0].label).toBe(tb[0].label);
    a.dispose();
    b.dispose();
  });

  it('says what is wrong with the files', async () => {
    await expect(importNetwork(path.join(dir, 'nothing'), { normalization: 'none' })).rejects.toThrow(
      /^importNetwork: cannot read the model file .*nothing \(it does not exist\)/,
    );
    // A path Node refuses says why, not only the error's code (ERR_INVALID_ARG_VALUE).
    await expect(importNetwork(path.join(dir, 'a\0b', 'model.json'), { normalization: 'none' })).rejects.toThrow(
      /^importNetwork: cannot read the model file .*model\.json \(The argument 'path' .* without null bytes\./,
    );
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ modelTopology: { foo: 1 }, weightsManifest: [] }));
    await expect(importNetwork(bad, { normalization: 'none' })).rejects.toThrow(
      `importNetwork: ${bad} is not a TF.js model (its model.json has neither a Keras model_config nor a GraphDef)`,
    );
    const keras = path.join(dir, 'keras', 'model.json');
    const badLabels = path.join(dir, 'bad-labels.json');
    writeFileSync(badLabels, '[1, 2]');
    await expect(importNetwork(keras, { normalization: 'none', classNames: badLabels })).rejects.toThrow(
      `importNetwork: the labels file ${badLabels} must hold a JSON array of strings`,
    );
    await expect(
      importNetwork(keras, { normalization: 'none', classNames: path.join(dir, 'no-labels.txt') }),
    ).rejects.toThrow(/^importNetwork: could not read the labels file .*no-labels\.txt: /);
    // A browser's storage, where a page saved a model: no such thing in Node.js, and the message says so.
    await expect(importNetwork('indexeddb://my-model', { normalization: 'none' })).rejects.toThrow(
      "importNetwork: expected 'source' to be a file path or a file:, http: or https: URL, got " +
        '"indexeddb://my-model" (string); indexeddb:// names a model saved in a browser\'s storage, which Node.js ' +
        "does not have: load it there, or save the model's files and give their path",
    );
    await expect(importNetwork('ftp://host/model.json', { normalization: 'none' })).rejects.toThrow(
      /^importNetwork: expected 'source' to be a file path or a file:, http: or https: URL, got "ftp:\/\/host\/model\.json" \(string\)$/,
    );
    await expect(importNetwork(42 as never, { normalization: 'none' })).rejects.toThrow(
      "importNetwork: expected 'source' to be a model.json path or URL, the model's files (File objects), or a tf.io.IOHandler with load(), got 42 (number)",
    );
    const outside = path.join(dir, 'escape.json');
    writeFileSync(
      outside,
      JSON.stringify({
        modelTopology: { node: [] },
        weightsManifest: [{ paths: ['../../../etc/passwd'], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] }],
      }),
    );
    await expect(importNetwork(outside, { normalization: 'none' })).rejects.toThrow(
      `importNetwork: the model file ${outside} names a weight file outside its folder ("../../../etc/passwd")`,
    );
    // Groups of another form: TF.js read the number 5 as the file name '5', and failed on null deep inside.
    const groups = path.join(dir, 'groups.json');
    for (const group of [null, { paths: [5], weights: [] }, { paths: ['w.bin'], weights: 5 }]) {
      writeFileSync(
        groups,
        JSON.stringify({ modelTopology: { node: [] }, weightsManifest: [{ paths: [], weights: [] }, group] }),
      );
      await expect(importNetwork(groups, { normalization: 'none' })).rejects.toThrow(
        `importNetwork: the model file ${groups} has a weightsManifest entry (1) that is not a group of weight files ` +
          "(an object with a list of file names, 'paths', and a list of weights, 'weights')",
      );
    }
    // A graph whose node takes an input that no node makes: TF.js failed on it with "reading 'outputs'".
    const dangling = path.join(dir, 'dangling.json');
    const T = { type: 'DT_FLOAT' };
    writeFileSync(
      dangling,
      JSON.stringify({
        format: 'graph-model',
        modelTopology: {
          node: [
            { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim: [{ size: '-1' }] } } } },
            { name: 'y', op: 'Relu', input: ['nope:0'], attr: { T } },
          ],
          versions: { producer: 1395 },
        },
        weightsManifest: [],
      }),
    );
    await expect(importNetwork(dangling, { normalization: 'none' })).rejects.toThrow(
      "importNetwork: the model's graph cannot run: its node 'y' takes 'nope:0' as an input, which no node of the graph makes",
    );
    // One shard listed many times would be read (and held) that many times before any check.
    const twice = path.join(dir, 'keras', 'twice.json');
    const json = JSON.parse(readFileSync(keras, 'utf8')) as { weightsManifest: { paths: string[] }[] };
    json.weightsManifest[0].paths = Array(40).fill(json.weightsManifest[0].paths[0]);
    writeFileSync(twice, JSON.stringify(json));
    await expect(importNetwork(twice, { normalization: 'none' })).rejects.toThrow(
      `importNetwork: the model file ${twice} lists the weight file ${JSON.stringify(json.weightsManifest[0].paths[0])} twice`,
    );
  });

  it('refuses weight files shorter or longer than the manifest before TF.js makes any tensor', async () => {
    for (const [name, kind] of [
      ['mobilenet_v2_mid', 'graph'],
      ['mobilenet_v2', 'keras'],
    ] as const) {
      const file = await writeThirdPartyModel(name, path.join(dir, `cut-${kind}`));
      const json = JSON.parse(readFileSync(file, 'utf8')) as { weightsManifest: { paths: string[] }[] };
      const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => path.join(path.dirname(file), p));
      const sizes = shards.map((p) => statSync(p).size);
      const need = sizes.reduce((a, b) => a + b, 0);
      // The last shard cut short by 1000 bytes (TF.js alone failed at the weight it ran out on, keeping the tensors it
      // had made), then one byte too many.
      const last = shards[shards.length - 1];
      const bytes = readFileSync(last);
      writeFileSync(last, bytes.subarray(0, bytes.length - 1000));
      await expectThrowsNoLeak(
        () => importNetwork(file, { normalization: 'none' }),
        Error,
        `importNetwork: the model from ${file} cannot be loaded: its weight data has ${need - 1000} bytes where the ` +
          `manifest needs ${need} (truncated or corrupt shard)`,
      );
      writeFileSync(last, Buffer.concat([bytes, Buffer.from([0])]));
      await expectThrowsNoLeak(
        () => importNetwork(file, { normalization: 'none' }),
        Error,
        new RegExp(`its weight data has ${need + 1} bytes where the manifest needs ${need} `),
      );
    }
  });

  it('refuses a weight manifest that TF.js would decode wrongly or fail on half-way, naming the weight', async () => {
    // A graph of one weight: the manifest is checked before anything reads the graph.
    const node = (name: string, op: string, input: string[] = []) => ({ name, op, input, attr: {} });
    const topology = {
      node: [node('x', 'Placeholder'), node('w', 'Const'), node('y', 'Mul', ['x', 'w'])],
      versions: {},
    };
    const w = { name: 'w', shape: [2], dtype: 'float32' };
    const cases: [string, unknown[], number, string][] = [
      ['a weight that is not an object', [null], 0, 'its weight manifest has null where a weight should be'],
      ['a name not a string', [{ ...w, name: 7 }], 8, 'its weight manifest has a weight whose name is 7, not a string'],
      ['no name', [{ ...w, name: undefined }], 8, 'its weight manifest has a weight without a name'],
      [
        'a shape not a list',
        [{ ...w, shape: '2' }],
        8,
        `its weight 'w' has the shape "2", not a list of whole numbers`,
      ],
      ['no shape', [{ ...w, shape: undefined }], 8, "its weight 'w' has no shape (a list of whole numbers)"],
      [
        'a negative size',
        [{ ...w, shape: [-2, -1] }],
        8,
        "its weight 'w' has the shape [-2,-1], not a list of whole numbers",
      ],
      [
        'a fractional size',
        [{ ...w, shape: [2.5, 0.8] }],
        8,
        "its weight 'w' has the shape [2.5,0.8], not a list of whole numbers",
      ],
      [
        'an unknown dtype',
        [{ ...w, dtype: 'float64' }],
        8,
        `its weight 'w' has the dtype "float64" (float32, int32, bool, complex64 or string)`,
      ],
      [
        'no dtype',
        [{ ...w, dtype: undefined }],
        8,
        "its weight 'w' has no dtype (float32, int32, bool, complex64 or string)",
      ],
      ['a name twice', [w, w], 16, "its weight manifest lists the weight 'w' twice"],
      [
        'quantized to an unknown type',
        [{ ...w, quantization: { dtype: 'int8', scale: 1, min: 0 } }],
        2,
        `its weight 'w' is quantized to "int8" (uint8, uint16 or float16)`,
      ],
      [
        'a null quantization',
        [{ ...w, quantization: null }],
        8,
        "its weight 'w' has the quantization null, not an object naming uint8, uint16 or float16",
      ],
      [
        'a quantization without a dtype',
        [{ ...w, quantization: { scale: 1, min: 0 } }],
        8,
        "its weight 'w' has a quantization that names no dtype (uint8, uint16 or float16)",
      ],
      [
        'no scale',
        [{ ...w, quantization: { dtype: 'uint8', min: 0 } }],
        2,
        "its weight 'w' is quantized to uint8 without a finite scale and min (scale undefined, min 0)",
      ],
      [
        'an infinite scale',
        [{ ...w, quantization: { dtype: 'uint16', scale: Number.POSITIVE_INFINITY, min: 0 } }],
        4,
        "its weight 'w' is quantized to uint16 without a finite scale and min (scale Infinity, min 0)",
      ],
      [
        'float16 of int32',
        [{ ...w, dtype: 'int32', quantization: { dtype: 'float16' } }],
        4,
        "its weight 'w' is int32 quantized to float16, which holds float32 weights only",
      ],
      [
        'bool quantized',
        [{ ...w, dtype: 'bool', quantization: { dtype: 'uint8', scale: 1, min: 0 } }],
        2,
        "its weight 'w' is bool quantized to uint8, which holds float32 and int32 weights only",
      ],
    ];
    for (const [, specs, bytes, why] of cases) {
      const handler = tf.io.fromMemory({
        modelTopology: topology,
        weightSpecs: specs as tf.io.WeightsManifestEntry[],
        weightData: new ArrayBuffer(bytes),
      });
      await expectThrowsNoLeak(
        () => importNetwork(handler, { normalization: 'none' }),
        Error,
        `importNetwork: the model from the given ioHandler cannot be loaded: ${why}`,
      );
    }
  });

  it("refuses a graph whose constants disagree with the weight file, where TF.js ran the file's", async () => {
    // x (1×4×4×1) → conv with the constant w (1×1×1×2) → relu. TF.js takes a constant's shape and dtype from the
    // weight file and ignores the graph's: a weight of shape [2, 1, 1, 1] ran as a 1-channel convolution.
    const T = { type: 'DT_FLOAT' };
    const ints = (v: string[]) => ({ list: { i: v } });
    const dims = (d: number[]) => ({ dim: d.map((size) => ({ size: String(size) })) });
    const topology = {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 4, 4, 1]) } } },
        {
          name: 'w',
          op: 'Const',
          attr: { dtype: T, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims([1, 1, 1, 2]) } } },
        },
        {
          name: 'conv',
          op: 'Conv2D',
          input: ['x', 'w'],
          attr: {
            T,
            strides: ints(['1', '1', '1', '1']),
            dilations: ints(['1', '1', '1', '1']),
            padding: { s: btoa('SAME') },
          },
        },
        { name: 'relu', op: 'Relu', input: ['conv'], attr: { T } },
      ],
      versions: { producer: 1 },
    };
    const load = (weightSpecs: tf.io.WeightsManifestEntry[], values: number[]) =>
      importNetwork(
        tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: new Float32Array(values).buffer }),
        { normalization: 'none' },
      );
    const good = await load([{ name: 'w', shape: [1, 1, 1, 2], dtype: 'float32' }], [1, 2]);
    expect(good.layers.map((l) => l.name)).toEqual(['x', 'conv', 'relu']);
    good.dispose();
    const cases: [tf.io.WeightsManifestEntry[], number[], string][] = [
      [
        [{ name: 'w', shape: [2, 1, 1, 1], dtype: 'float32' }],
        [1, 2],
        "its graph's constant 'w' is [1, 1, 1, 2] where its weight is [2, 1, 1, 1]",
      ],
      [
        [{ name: 'w', shape: [1, 1, 1, 2], dtype: 'int32' }],
        [1, 2],
        "its graph's constant 'w' is DT_FLOAT where its weight is int32",
      ],
      [[], [], "its graph's constant 'w' has no weight in the weight manifest"],
    ];
    for (const [specs, values, why] of cases) {
      await expectThrowsNoLeak(
        () => load(specs, values),
        Error,
        `importNetwork: the model from the given ioHandler cannot be loaded: ${why}`,
      );
    }
  });

  it('leaves nothing allocated when TF.js cannot read a graph whose weights it has decoded', async () => {
    // TF.js decodes the weights, then reads the graph's nodes; an attribute it cannot decode (a data format that is
    // not base64 text) failed there and kept the weights' tensors, with no model to free them.
    const T = { type: 'DT_FLOAT' };
    const ints = (v: string[]) => ({ list: { i: v } });
    const conv = {
      name: 'conv',
      op: 'Conv2D',
      input: ['x', 'w'],
      attr: { T, strides: ints(['1', '1', '1', '1']), padding: { s: btoa('SAME') }, data_format: { s: '%' } },
    };
    const topology = {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: T } },
        { name: 'w', op: 'Const', attr: { dtype: T } },
        { name: 'b', op: 'Const', attr: { dtype: T } },
        conv,
        { name: 'add', op: 'AddV2', input: ['conv', 'b'], attr: { T } },
      ],
      versions: { producer: 1 },
    };
    const weightSpecs: tf.io.WeightsManifestEntry[] = [
      { name: 'w', shape: [1, 1, 1, 2], dtype: 'float32' },
      { name: 'b', shape: [2], dtype: 'float32' },
    ];
    await expectThrowsNoLeak(
      () =>
        importNetwork(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: new ArrayBuffer(16) }), {
          normalization: 'none',
        }),
      Error,
      /^importNetwork: TF\.js could not make a model of the given ioHandler: /,
    );
  });

  it("leaves nothing allocated when a Keras model's layers disagree with its weights", async () => {
    // A model.json edited after its weights were written (or shards of another version): tfjs-layers makes every
    // layer's variables and decodes every weight, then fails on the first of another shape and keeps them all.
    const file = await writeThirdPartyModel('mobilenet_v2', path.join(dir, 'edited'));
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      modelTopology: { model_config: { config: { layers: { config: { filters?: number } }[] } } };
    };
    const layers = json.modelTopology.model_config.config.layers;
    const conv = [...layers].reverse().find((l) => typeof l.config.filters === 'number')!;
    conv.config.filters = (conv.config.filters ?? 0) + 8;
    writeFileSync(file, JSON.stringify(json));
    await expectThrowsNoLeak(
      () => importNetwork(file, { normalization: 'none' }),
      Error,
      /^importNetwork: .*model\.json does not fit its weights: its layers make '[\w/]+kernel' of shape \[1, 1, 320, 1288\] where the weight file has \[1, 1, 320, 1280\] \(a model\.json edited after its weights were written, or weight files of another version\)$/,
    );
  });

  it("leaves nothing allocated when a Keras model's manifest lacks a weight or names one no layer makes", async () => {
    // tfjs-layers decodes every weight of the manifest, then refuses a name no layer makes or a layer left without
    // its weight, and kept the decoded weights (and the model's variables) for good.
    type Spec = { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } };
    type Json = { weightsManifest: { paths: string[]; weights: Spec[] }[] };
    const file = await writeThirdPartyModel('mobilenet_v2', path.join(dir, 'renamed'));
    const json = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const group = json.weightsManifest[json.weightsManifest.length - 1];
    const last = group.weights[group.weights.length - 1];
    const name = last.name;
    last.name = `${name}_renamed`;
    writeFileSync(file, JSON.stringify(json));
    await expectThrowsNoLeak(
      () => importNetwork(file, { normalization: 'none' }),
      Error,
      `importNetwork: TF.js could not make a model of ${file}: Provided weight data has no target variable: ${name}_renamed`,
    );
    // The last weight gone from the manifest and its bytes from the last shard: a layer is left without it.
    group.weights.pop();
    writeFileSync(file, JSON.stringify(json));
    const shard = path.join(path.dirname(file), group.paths[group.paths.length - 1]);
    const bytes = readFileSync(shard);
    const size =
      last.shape.reduce((a, b) => a * b, 1) *
      ({ uint8: 1, uint16: 2, float16: 2 }[last.quantization?.dtype ?? ''] ?? 4);
    writeFileSync(shard, bytes.subarray(0, bytes.length - size));
    await expectThrowsNoLeak(
      () => importNetwork(file, { normalization: 'none' }),
      Error,
      new RegExp(`^importNetwork: TF.js could not make a model of .*: 1 of \\d+ weights are not set: ${name}$`),
    );
  });
});
