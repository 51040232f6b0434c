/**
 * toNetwork on small models built in the test: a Sequential model, a functional model with a shared layer, a nested
 * base (the transfer-learning shape), and a graph model of free input size. Oracles: the tfjs-layers route
 * (`tf.model({ inputs, outputs })`) for Keras layers, the raw `execute` for graph nodes. And every bad input.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { classify } from '../../src/net/classify.js';
import { graphProblem, nodesFor } from '../../src/net/graphNetwork.js';
import { kerasNetworkParts } from '../../src/net/kerasNetwork.js';
import { layerShapes } from '../../src/net/layerShapes.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { setLimits } from '../../src/internal/limits.js';
import type { Network } from '../../src/net/types.js';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { BACKEND, elementLimitEnd } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadUserGraph, weightData } from '../helpers/userGraph.js';

const TOL = BACKEND === 'cpu' ? 1e-5 : 1e-4;

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

/** Pixels 0..255 and what 'rescale-symmetric' makes of them. */
function image(h: number, w: number, seed: number): { raw: tf.Tensor3D; scaled: tf.Tensor4D } {
  const raw = tf.tidy(() => tf.round(tf.randomUniform([h, w, 3], 0, 255, 'float32', seed))) as tf.Tensor3D;
  const scaled = tf.tidy(() => tf.expandDims(tf.sub(tf.div(raw, 127.5), 1), 0)) as tf.Tensor4D;
  return { raw, scaled };
}

function sequential(): tfl.Sequential {
  const m = tfl.sequential({ name: 'tiny_seq' });
  m.add(tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }));
  m.add(tfl.layers.reLU({ name: 'r1' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }));
  m.add(tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, name: 'c2' }));
  m.add(tfl.layers.flatten({ name: 'f' }));
  m.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  return m;
}

function shared(): tfl.LayersModel {
  const x = tfl.input({ shape: [12, 12, 3], name: 'img' });
  const a = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'a' }).apply(x) as tfl.SymbolicTensor;
  const s = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 's' });
  const s0 = s.apply(a) as tfl.SymbolicTensor;
  const s1 = s.apply(s0) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'sum' }).apply([s0, s1]) as tfl.SymbolicTensor;
  const g = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'logits' }).apply(g) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: out, name: 'siamese' });
}

function nested(): { outer: tfl.LayersModel; base: tfl.LayersModel } {
  const bi = tfl.input({ shape: [null, null, 3], name: 'base_in' });
  const c = tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, name: 'block_1_expand' }).apply(bi);
  const r = tfl.layers.reLU({ maxValue: 6, name: 'block_1_expand_relu' }).apply(c) as tfl.SymbolicTensor;
  const base = tfl.model({ inputs: bi, outputs: r, name: 'base' });
  const x = tfl.input({ shape: [20, 20, 3], name: 'image' });
  const y = base.apply(x) as tfl.SymbolicTensor;
  const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 4, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
  return { outer: tfl.model({ inputs: x, outputs: out, name: 'transfer' }), base };
}

describe('toNetwork: Keras models built in code', () => {
  it('a Sequential model: Keras names, sizes, the same numbers as tfjs-layers', async () => {
    const m = sequential();
    const net = await toNetwork(m, { normalization: 'rescale-symmetric', classNames: ['a', 'b', 'c'] });
    expect(net.layerNames).toEqual(['c1_input', 'c1', 'r1', 'p1', 'c2', 'f', 'out']);
    expect(net.layers.map((l) => l.type)).toEqual([
      'Image Input',
      'Convolution',
      'ReLU',
      'Max Pooling',
      'Convolution',
      'Flatten',
      'Fully Connected',
    ]);
    expect(net.layers.map((l) => l.outputSize)).toEqual([
      [16, 16, 3],
      [16, 16, 4],
      [16, 16, 4],
      [8, 8, 4],
      [3, 3, 6],
      [54],
      [3],
    ]);
    // A layer's own activation runs inside it, so its activations are after it: the description says so, as a
    // converted graph's '+ Relu' does. A layer without one says nothing more.
    expect(net.layers[6].description).toBe('3 fully connected layer + softmax');
    expect(net.layers[1].description).toMatch(/^4 3×3×3 convolutions with stride \[1 1\] and padding [^+]*$/);
    const { raw, scaled } = image(16, 16, 1);
    const sub = tfl.model({
      inputs: m.inputs,
      outputs: ['c1', 'p1', 'c2', 'out'].map((n) => m.getLayer(n).output as tfl.SymbolicTensor),
    });
    const want = sub.predict(scaled) as tf.Tensor[];
    const got = await expectNoLeak(() => activations(net, raw, ['c1', 'p1', 'c2', 'out']), 4);
    for (let i = 0; i < 4; i++) expect(await maxAbsDiff(got[i], tf.squeeze(want[i], [0]))).toBeLessThanOrEqual(TOL);
    const top = await classify(net, raw, 3);
    const p = await want[3].data();
    expect(top.map((t) => t.score)).toEqual([...p].sort((a, b) => b - a).map((v) => expect.closeTo(v, 5)));
    tf.dispose([raw, scaled, ...want, ...got]);
    net.dispose();
  });

  it('a shared layer: each call addressable (s, s@1), learnables counted once, logits through a softmax', async () => {
    const m = shared();
    const net = await toNetwork(m, { normalization: 'rescale-symmetric' });
    expect(net.layerNames).toEqual(['img', 'a', 's', 's@1', 'sum', 'gap', 'logits']);
    expect(net.layers.find((l) => l.name === 's@1')?.inputs).toEqual(['s']);
    expect(net.layers.find((l) => l.name === 'sum')?.inputs).toEqual(['s', 's@1']);
    expect(net.layers.find((l) => l.name === 's')?.numLearnables).toBe(3 * 3 * 4 * 4 + 4);
    expect(net.layers.find((l) => l.name === 's@1')?.numLearnables).toBe(0);
    expect(net.totalLearnables).toBe(m.countParams());
    const { raw, scaled } = image(12, 12, 2);
    const sl = m.getLayer('s');
    const sub = tfl.model({
      inputs: m.inputs,
      outputs: [sl.getOutputAt(0), sl.getOutputAt(1), m.outputs[0]] as tfl.SymbolicTensor[],
    });
    const want = sub.predict(scaled) as tf.Tensor[];
    const got = activations(net, raw, ['s', 's@1', 'logits']);
    for (let i = 0; i < 3; i++) expect(await maxAbsDiff(got[i], tf.squeeze(want[i], [0]))).toBeLessThanOrEqual(TOL);
    // The output is logits: classify's scores are their softmax ('auto').
    const soft = tf.softmax(want[2]);
    const p = await soft.data();
    const top = await classify(net, raw, 2);
    expect(top.map((t) => t.index)).toEqual([...p.keys()].sort((a, b) => p[b] - p[a]));
    expect(top[0].score).toBeCloseTo(Math.max(...p), 5);
    expect(top[0].label).toBe(String(top[0].index));
    const asIs = await classify(net, raw, 2, { softmax: false });
    expect(asIs[0].score).toBeCloseTo(Math.max(...(await want[2].data())), 5);
    tf.dispose([raw, scaled, ...want, ...got, soft]);
    net.dispose();
  });

  it('dispose frees the weights of layers its model calls twice, and leaves those another model uses', async () => {
    // tfjs-layers's model.dispose() takes one use away from each layer: one its model called twice kept its weights.
    const before = tf.memory().numTensors;
    (await toNetwork(shared(), { normalization: 'none' })).dispose();
    expect(tf.memory().numTensors).toBe(before);
    // A model inside another, called twice there, with a layer it calls twice itself.
    const bin = tfl.input({ shape: [6, 6, 3], name: 'bin' });
    const twice = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'twice' });
    const inner = tfl.model({ inputs: bin, outputs: twice.apply(twice.apply(bin)) as tfl.SymbolicTensor });
    const x = tfl.input({ shape: [6, 6, 3], name: 'x' });
    const outer = tfl.model({ inputs: x, outputs: inner.apply(inner.apply(x)) as tfl.SymbolicTensor });
    (await toNetwork(outer, { normalization: 'none' })).dispose();
    expect(tf.memory().numTensors).toBe(before);
    // A layer the network's model calls twice and another model once: that model keeps it until it is disposed.
    const img = tfl.input({ shape: [4, 4, 3], name: 'img' });
    const c = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c' });
    const mine = tfl.model({ inputs: img, outputs: c.apply(c.apply(img)) as tfl.SymbolicTensor });
    const other = tfl.model({ inputs: img, outputs: c.apply(img) as tfl.SymbolicTensor });
    (await toNetwork(mine, { normalization: 'none' })).dispose();
    const out = tf.tidy(() => other.predict(tf.ones([1, 4, 4, 3])) as tf.Tensor);
    expect(out.shape).toEqual([1, 4, 4, 3]);
    out.dispose();
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a nested base: its layers by path, the base as one Network layer, any size through the base', async () => {
    const { outer, base } = nested();
    const net = await toNetwork(outer, { normalization: 'rescale-symmetric' });
    expect(net.layerNames).toEqual([
      'image',
      'base/block_1_expand',
      'base/block_1_expand_relu',
      'base',
      'pool',
      'head',
    ]);
    expect(net.layers[3]).toMatchObject({
      type: 'Network',
      outputLayer: 'base/block_1_expand_relu',
      inputs: ['image'],
    });
    expect(net.layers[1]).toMatchObject({ inputs: ['image'], outputSize: [9, 9, 5], originalType: 'Conv2D' });
    expect(analyzeNetwork(net).layers.map((l) => l.activations)).toEqual([
      [20, 20, 3],
      [9, 9, 5],
      [9, 9, 5],
      [9, 9, 5],
      [5],
      [4],
    ]);
    const { raw, scaled } = image(20, 20, 3);
    const inner = tfl.model({
      inputs: base.inputs,
      outputs: base.getLayer('block_1_expand_relu').output as tfl.SymbolicTensor,
    });
    const want = inner.predict(scaled) as tf.Tensor;
    const got = activations(net, raw, 'base/block_1_expand_relu');
    expect(await maxAbsDiff(got, tf.squeeze(want, [0]))).toBeLessThanOrEqual(TOL);
    const whole = outer.predict(scaled) as tf.Tensor;
    const head = activations(net, raw, 'head');
    expect(await maxAbsDiff(head, tf.squeeze(whole, [0]))).toBeLessThanOrEqual(TOL);
    // Any size through the convolutional base; the pooled head too (global pooling frees the size).
    const big = image(31, 45, 4);
    const b = activations(net, big.raw, ['base', 'head']);
    expect(b.map((t) => t.shape)).toEqual([[15, 22, 5], [4]]);
    tf.dispose([raw, scaled, want, got, whole, head, big.raw, big.scaled, ...b]);
    net.dispose();
  });

  it('a model of free input size: described at the size given (the input, the paddings of its own)', async () => {
    const x = tfl.input({ shape: [null, null, 3], name: 'pixels' });
    const y = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'down' }).apply(x);
    const m = tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor, name: 'free' });
    const net = await toNetwork(m, { normalization: 'rescale-symmetric', inputSize: [32, 32] });
    expect(net.layers.map((l) => [l.name, l.type, l.description])).toEqual([
      ['pixels', 'Image Input', '32×32×3 images'],
      ['down', 'Convolution', "4 3×3×3 convolutions with stride [2 2] and padding 'same'"],
    ]);
    // 'same' padding at the size given, as MATLAB lists it: TensorFlow's extra row and column at the end.
    expect(net.layers[1]).toMatchObject({ padding: [0, 1, 0, 1], paddingMode: 'same', outputSize: [16, 16, 4] });
    net.dispose();
  });

  it('a decoder (transposed convolutions, upsampling, cropping): MATLAB types, sizes for any image', async () => {
    const m = decoder();
    const net = await toNetwork(m, { normalization: 'rescale-symmetric', inputSize: [32, 32] });
    expect(net.layers.map((l) => [l.name, l.type, l.description])).toEqual([
      ['pixels', 'Image Input', '32×32×3 images'],
      ['down', 'Convolution', "4 3×3×3 convolutions with stride [2 2] and padding 'same'"],
      ['up', 'Transposed Convolution', "5 3×3×4 transposed convolutions with stride [2 2] and cropping 'same'"],
      ['wide', 'Resize', 'nearest neighbor resize with scale [2 3]'],
      ['crop', 'Crop 2D', 'crop [1 2 3 4]'],
      ['up2', 'Transposed Convolution', '2 4×4×5 transposed convolutions with stride [3 3] and cropping [0 0 0 0]'],
      ['up3', 'Transposed Convolution', '2 2×2×2 transposed convolutions with stride [3 3] and cropping [0 0 0 0]'],
      ['smooth', 'Resize', 'bilinear resize with scale [2 2]'],
    ]);
    // 'same' paddings and croppings at the size given, as MATLAB lists them: TensorFlow's extra row at the end.
    expect(net.layers[1]).toMatchObject({ padding: [0, 1, 0, 1], paddingMode: 'same' });
    expect(net.layers[2]).toMatchObject({ kernel: [3, 3], stride: [2, 2], croppingMode: 'same', numFilters: 5 });
    expect(net.layers[2]).toMatchObject({ cropping: [0, 1, 0, 1], numChannels: 4 });
    expect(net.layers[4]).toMatchObject({ cropping: [1, 2, 3, 4] });
    // Built in tfjs-layers: its own rule, output position / scale (MATLAB's 'asymmetric').
    expect(net.layers[7]).toMatchObject({ scale: [2, 2], method: 'bilinear', geometricTransformMode: 'asymmetric' });
    // Sizes from the geometry at any input size, equal to what the layers give (tfjs-layers as the oracle).
    const names = net.layerNames.slice(1);
    const sub = tfl.model({ inputs: m.inputs, outputs: names.map((n) => m.getLayer(n).output as tfl.SymbolicTensor) });
    for (const [h, w] of [
      [32, 32],
      [45, 37],
    ]) {
      const { raw, scaled } = image(h, w, h);
      const want = sub.predict(scaled) as tf.Tensor[];
      const table = analyzeNetwork(net, { inputSize: [h, w] });
      expect(table.layers.slice(1).map((l) => l.activations)).toEqual(want.map((t) => t.shape.slice(1)));
      // Keras's own shape rules (what toNetwork checks against the limits before it runs a free-size model) agree.
      const predicted = kerasNetworkParts(m as never).predictShapes([h, w, 3]);
      expect(names.map((n) => predicted.get(n))).toEqual(want.map((t) => t.shape.slice(1)));
      const got = activations(net, raw, names);
      for (let i = 0; i < names.length; i++) {
        expect(got[i].shape).toEqual(want[i].shape.slice(1));
        expect(await maxAbsDiff(got[i], tf.squeeze(want[i], [0]))).toBeLessThanOrEqual(TOL);
      }
      tf.dispose([raw, scaled, ...want, ...got]);
    }
    // Cropping 3 + 4 columns of a map 6 × ceil(w / 2) wide needs w >= 3: 'at least', not 'the size it was trained at'.
    expect(() => analyzeNetwork(net, { inputSize: [40, 2] })).toThrow(
      "analyzeNetwork: expected 'options.inputSize' to be at least 1×3 for decoder",
    );
    net.dispose();
  });

  it("a model of free input size: sizes from Keras's rules, nothing of it run to measure them", async () => {
    // A measuring pass holds every layer's output at once: an image-to-image model of 124 layers (UpscalerJS's
    // ESRGAN) took 8 s and 3.4 GB to import at 256×256 on wasm.
    const m = decoder();
    let net: Network | undefined;
    const run = await tf.profile(async () => {
      net = await toNetwork(m, { normalization: 'rescale-symmetric', inputSize: [45, 37] });
      return [];
    });
    // Only the check of its learnables for NaN: for each weight, a count of the values not equal to themselves.
    const scan = new Set(['NotEqual', 'Cast', 'Sum', 'Pack']);
    expect(run.kernels.map((k) => k.name).filter((k) => !scan.has(k))).toEqual([]);
    expect(net?.layers.map((l) => l.outputSize)).toEqual([
      [45, 37, 3],
      [23, 19, 4],
      [46, 38, 5],
      [92, 114, 5],
      [89, 107, 5],
      [268, 322, 2],
      [804, 966, 2],
      [1608, 1932, 2],
    ]);
    net?.dispose();
  });

  it("measures a custom layer's size by running the model: its own rule may be wrong", async () => {
    // As UpscalerJS's ESRGAN's: the channel count right, the height and width left as the input's.
    class PixelShuffle extends tfl.layers.Layer {
      static readonly className = 'TestPixelShuffle';
      override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
        const [n, h, w] = s as tfl.Shape;
        return [n, h, w, 3];
      }
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.depthToSpace((Array.isArray(x) ? x[0] : x) as tf.Tensor4D, 4);
      }
    }
    // Of free input size, and of a fixed one (where tfjs-layers's symbolic shapes follow the same rule).
    for (const shape of [
      [null, null, 3],
      [6, 5, 3],
    ]) {
      const x = tfl.input({ shape, name: 'pixels' });
      const pre = tfl.layers.conv2d({ filters: 48, kernelSize: 3, padding: 'same', name: 'pre' }).apply(x);
      const shuffled = new PixelShuffle({ name: 'shuffle' }).apply(pre);
      const y = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'sr' }).apply(shuffled);
      const m = tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor, name: 'upscaler' });
      const net = await toNetwork(m, { normalization: 'rescale-zero-one', inputSize: [6, 5] });
      expect(net.layers.map((l) => [l.name, l.type, l.outputSize])).toEqual([
        ['pixels', 'Image Input', [6, 5, 3]],
        ['pre', 'Convolution', [6, 5, 48]],
        ['shuffle', 'Other', [24, 20, 3]],
        ['sr', 'Convolution', [24, 20, 3]],
      ]);
      const img = tf.zeros([6, 5, 3]);
      const out = activations(net, img, 'sr');
      expect(out.shape).toEqual([24, 20, 3]);
      tf.dispose([img, out]);
      net.dispose();
    }
  });
});

/** A fully convolutional decoder of free input size: the layers that make a map larger, or crop it. */
function decoder(): tfl.LayersModel {
  const x = tfl.input({ shape: [null, null, 3], name: 'pixels' });
  const L = tfl.layers;
  let y = L.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'down' }).apply(x);
  y = L.conv2dTranspose({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', name: 'up' }).apply(y);
  y = L.upSampling2d({ size: [2, 3], name: 'wide' }).apply(y);
  y = L.cropping2D({
    cropping: [
      [1, 2],
      [3, 4],
    ],
    name: 'crop',
  }).apply(y);
  y = L.conv2dTranspose({ filters: 2, kernelSize: 4, strides: 3, padding: 'valid', name: 'up2' }).apply(y);
  // A stride larger than the kernel: Keras's 'valid' output is input × stride, the rows between taps left as bias.
  y = L.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid', name: 'up3' }).apply(y);
  y = L.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'smooth' }).apply(y);
  return tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor, name: 'decoder' });
}

/** A graph model written by hand: Placeholder [-1, -1, -1, 3] → Conv2D (VALID) + BiasAdd → Relu → MaxPool (SAME) → Mean. */
async function freeSizeGraph(): Promise<tf.io.IOHandler> {
  const b64 = (s: string) => btoa(s);
  const ints = (a: number[]) => ({ list: { i: a.map(String) } });
  const w = Float32Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => Math.sin(i) / 4);
  const bias = Float32Array.from([0.1, -0.2]);
  const axes = Int32Array.from([1, 2]);
  const data = new Uint8Array(w.byteLength + bias.byteLength + axes.byteLength);
  data.set(new Uint8Array(w.buffer), 0);
  data.set(new Uint8Array(bias.buffer), w.byteLength);
  data.set(new Uint8Array(axes.buffer), w.byteLength + bias.byteLength);
  const dim = (n: number) => ({ size: String(n) });
  return tf.io.fromMemory({
    format: 'graph-model',
    modelTopology: {
      node: [
        {
          name: 'pixels',
          op: 'Placeholder',
          attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [dim(-1), dim(-1), dim(-1), dim(3)] } } },
        },
        { name: 'model/conv/kernel', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } },
        { name: 'model/conv/bias', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' } } },
        { name: 'model/gap/axes', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
        {
          name: 'model/conv/Conv2D',
          op: 'Conv2D',
          input: ['pixels', 'model/conv/kernel'],
          attr: {
            strides: ints([1, 1, 1, 1]),
            padding: { s: b64('VALID') },
            dilations: ints([1, 1, 1, 1]),
            data_format: { s: b64('NHWC') },
            T: { type: 'DT_FLOAT' },
          },
        },
        {
          name: 'model/conv/BiasAdd',
          op: 'BiasAdd',
          input: ['model/conv/Conv2D', 'model/conv/bias'],
          attr: { T: { type: 'DT_FLOAT' } },
        },
        { name: 'model/relu', op: 'Relu', input: ['model/conv/BiasAdd'], attr: { T: { type: 'DT_FLOAT' } } },
        {
          name: 'model/pool',
          op: 'MaxPool',
          input: ['model/relu'],
          attr: {
            ksize: ints([1, 2, 2, 1]),
            strides: ints([1, 2, 2, 1]),
            padding: { s: b64('SAME') },
            T: { type: 'DT_FLOAT' },
          },
        },
        {
          name: 'model/gap',
          op: 'Mean',
          input: ['model/pool', 'model/gap/axes'],
          attr: { keep_dims: { b: false }, T: { type: 'DT_FLOAT' } },
        },
      ],
      versions: { producer: 1 },
    },
    weightSpecs: [
      { name: 'model/conv/kernel', shape: [3, 3, 3, 2], dtype: 'float32' },
      { name: 'model/conv/bias', shape: [2], dtype: 'float32' },
      { name: 'model/gap/axes', shape: [2], dtype: 'int32' },
    ],
    weightData: data.buffer,
  });
}

describe('interpretability on a Keras network', () => {
  it('gradCAM through a nested base: the tfjs-layers gradient, by default layers', async () => {
    const { outer, base } = nested();
    const net = await toNetwork(outer, { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(20, 20, 6);
    const r = await gradCAM(net, raw, 2, { outputUpsampling: 'none' });
    // MATLAB's defaults: the reduction layer is the last (the softmax is inside 'head'), the feature layer the last
    // one before it with a spatial size larger than 1×1: the base's output.
    expect([r.featureLayer, r.reductionLayer]).toEqual(['base', 'head']);
    const inner = tfl.model({ inputs: base.inputs, outputs: base.outputs });
    const want = tf.tidy(() => {
      const A = inner.predict(scaled) as tf.Tensor4D;
      const pool = outer.getLayer('pool');
      const head = outer.getLayer('head');
      const score = (a: tf.Tensor) => tf.sum(tf.slice(head.apply(pool.apply(a)) as tf.Tensor, [0, 2], [1, 1]));
      const dA = tf.grad(score)(A);
      return tf.squeeze(tf.relu(tf.sum(tf.mul(tf.mean(dA, [1, 2], true), A), 3)), [0]);
    });
    expect(r.map.shape).toEqual([9, 9]);
    expect(await maxAbsDiff(r.map, want)).toBeLessThanOrEqual(TOL);
    const occ = await occlusionSensitivity(net, raw, 2, { maskSize: 8, stride: 4 });
    expect(occ.shape).toEqual([20, 20]);
    tf.dispose([raw, scaled, r.map, want, occ]);
    net.dispose();
  });

  it('takes gradients through batch normalization without a scale (Keras InceptionV3 has 94) or offset', async () => {
    // BatchNormalization({ scale: false }) hands TF.js's batch norm no scale, and TF.js cannot keep an absent input
    // for its gradient: every gradient through such a layer failed inside TF.js.
    const x = tfl.input({ shape: [12, 12, 3], name: 'image' });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, useBias: false, name: 'c1' }).apply(x);
    const bn = tfl.layers.batchNormalization({ scale: false, name: 'bn' });
    const r = tfl.layers.reLU({ name: 'r' }).apply(bn.apply(c1)) as tfl.SymbolicTensor;
    const bare = tfl.layers.batchNormalization({ scale: false, center: false, name: 'bare' });
    const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(bare.apply(r)) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: out });
    // Statistics far from 0 and 1, so that a gradient ignoring them would show: beta, moving mean, moving variance.
    bn.setWeights([tf.tensor1d([0.5, -1, 2, 0]), tf.tensor1d([1, -2, 0.5, 3]), tf.tensor1d([4, 0.25, 9, 0.01])]);
    bare.setWeights([tf.tensor1d([0.1, 0.2, -0.3, 0.4]), tf.tensor1d([2, 0.5, 0.3, 1.5])]);
    const net = await toNetwork(model, { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(12, 12, 7);
    const cam = await gradCAM(net, raw, 1, { featureLayer: 'c1', outputUpsampling: 'none' });
    const want = tf.tidy(() => {
      const [beta, mean, variance] = bn.getWeights();
      const [mean2, variance2] = bare.getWeights();
      const A = model.getLayer('c1').apply(scaled) as tf.Tensor4D;
      const score = (a: tf.Tensor) => {
        const normed = tf.add(tf.mul(tf.sub(a, mean), tf.rsqrt(tf.add(variance, 0.001))), beta);
        const again = tf.mul(tf.sub(tf.relu(normed), mean2), tf.rsqrt(tf.add(variance2, 0.001)));
        const p = model.getLayer('head').apply(tf.mean(again, [1, 2])) as tf.Tensor;
        return tf.sum(tf.slice(p, [0, 1], [1, 1]));
      };
      const dA = tf.grad(score)(A);
      return tf.squeeze(tf.relu(tf.sum(tf.mul(tf.mean(dA, [1, 2], true), A), 3)), [0]);
    });
    expect(await maxAbsDiff(cam.map, want)).toBeLessThanOrEqual(TOL);
    const dreamt = await deepDreamImage(net, 'bn', 2, { pyramidLevels: 1, numIterations: 2, initialImage: raw });
    const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(dreamt, 'float32'), raw))));
    expect((await moved.data())[0]).toBeGreaterThan(0);
    tf.dispose([raw, scaled, cam.map, want, dreamt, moved]);
    net.dispose();
  });

  it('takes gradients through comparisons (ThresholdedReLU, Masking): zero, as TensorFlow defines them', async () => {
    // ThresholdedReLU is x · (x > θ) and Masking multiplies by any(x ≠ 0): TF.js registers no gradient for Greater,
    // NotEqual or Any, though their inputs' gradients are zero wherever they are defined.
    const x = tfl.input({ shape: [10, 10, 3], name: 'image' });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' }).apply(x);
    const t = tfl.layers.thresholdedReLU({ theta: 0.05, name: 't' }).apply(c1);
    const m = tfl.layers.masking({ maskValue: 0, name: 'm' }).apply(t) as tfl.SymbolicTensor;
    const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(m) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: out });
    const net = await toNetwork(model, { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(10, 10, 8);
    const cam = await gradCAM(net, raw, 2, { featureLayer: 'c1', outputUpsampling: 'none' });
    const want = tf.tidy(() => {
      const A = model.getLayer('c1').apply(scaled) as tf.Tensor4D;
      const score = (a: tf.Tensor) => {
        // Step's gradient is registered (zero); step(a − θ) is (a > θ); the mask is 1 wherever a pixel is nonzero.
        const kept = tf.mul(a, tf.step(tf.sub(a, 0.05)));
        const p = model.getLayer('head').apply(tf.mean(kept, [1, 2])) as tf.Tensor;
        return tf.sum(tf.slice(p, [0, 2], [1, 1]));
      };
      const dA = tf.grad(score)(A);
      return tf.squeeze(tf.relu(tf.sum(tf.mul(tf.mean(dA, [1, 2], true), A), 3)), [0]);
    });
    expect(await maxAbsDiff(cam.map, want)).toBeLessThanOrEqual(TOL);
    expect(await maxAbsDiff(cam.map, tf.zerosLike(cam.map))).toBeGreaterThan(0);
    tf.dispose([raw, scaled, cam.map, want]);
    net.dispose();
  });

  it("takes only the image's gradient through Keras convolutions and dense layers, not their kernels'", async () => {
    // tfjs-layers runs Conv2D and Dense as TF.js's fused operations, whose gradient computes the kernel's share with
    // the input's; under a gradient the library runs them unfused. The oracle: Grad-CAM written out over tfjs-layers's
    // own layers and TF.js's own gradients.
    const x = tfl.input({ shape: [12, 12, 3], name: 'image' });
    const init = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
    const c1 = tfl.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', name: 'c1', ...init(1) });
    const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'c2', ...init(2) });
    const flat = tfl.layers.flatten({ name: 'flat' });
    const fc = tfl.layers.dense({ units: 7, activation: 'relu', name: 'fc', ...init(3) });
    const head = tfl.layers.dense({ units: 3, name: 'head', ...init(4) });
    const out = head.apply(fc.apply(flat.apply(c2.apply(c1.apply(x))))) as tfl.SymbolicTensor;
    const net = await toNetwork(tfl.model({ inputs: x, outputs: out }), { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(12, 12, 11);
    const options = { featureLayer: 'c1', reductionLayer: 'head', outputUpsampling: 'none' } as const;
    const profile = await tf.profile(async () => (await gradCAM(net, raw, 1, options)).map);
    const cam = profile.result as tf.Tensor;
    // No filter gradient, and nothing computed of a dense kernel's size ([5·5·4, 7] or [7, 3], or with a batch axis;
    // the kernels themselves go through Identity and Reshape, which the gradient saves and reads).
    expect(profile.kernelNames).not.toContain('Conv2DBackpropFilter');
    const kernelSized = profile.kernels.filter(
      (k) =>
        !['Identity', 'Reshape'].includes(k.name) &&
        k.outputShapes.some((s) => ['100,7', '1,100,7', '7,3', '1,7,3'].includes(String(s))),
    );
    expect(kernelSized.map((k) => k.name)).toEqual([]);
    const want = tf.tidy(() => {
      const a = c1.apply(scaled) as tf.Tensor4D;
      const tail = (v: tf.Tensor) => head.apply(fc.apply(flat.apply(c2.apply(v)))) as tf.Tensor2D;
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(tail(v), [0, 1], [1, 1])))(a);
      return tf.squeeze(tf.relu(tf.sum(tf.mul(a, tf.mean(g, [1, 2], true)), -1)), [0]);
    });
    expect(await maxAbsDiff(cam, want)).toBeLessThanOrEqual(TOL);
    expect(await maxAbsDiff(want, tf.zerosLike(want))).toBeGreaterThan(0);
    tf.dispose([raw, scaled, cam, want]);
    net.dispose();
  });

  it('takes gradients through dilated (atrous) convolutions, as through their zero-filled equivalent', async () => {
    // TF.js has no gradient for a dilation above 1. A 3×3 kernel dilated by 2 is the 5×5 kernel with zeros between
    // its taps: a twin model made of such kernels (no dilation) gives the gradient to expect.
    const build = (dilated: boolean) => {
      const d = dilated ? 2 : 1;
      const k = dilated ? 3 : 5;
      const x = tfl.input({ shape: [14, 14, 3], name: 'image' });
      const c0 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c0' }).apply(x);
      const c1 = tfl.layers
        .conv2d({ filters: 5, kernelSize: k, dilationRate: d, padding: 'same', activation: 'relu', name: 'c1' })
        .apply(c0);
      const c2 = tfl.layers
        .depthwiseConv2d({ kernelSize: k, dilationRate: d, padding: 'valid', useBias: false, name: 'c2' })
        .apply(c1);
      const c3 = tfl.layers
        .separableConv2d({ filters: 3, kernelSize: k, dilationRate: d, padding: 'same', name: 'c3' })
        .apply(c2);
      const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(c3) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: out });
    };
    const atrous = build(true);
    const twin = build(false);
    /** A [3, 3, a, b] kernel as [5, 5, a, b] with zeros between its taps. */
    const spread = (w: tf.Tensor) => {
      const [, , a, b] = w.shape;
      const src = w.bufferSync();
      const dst = tf.buffer([5, 5, a, b]);
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) dst.set(src.get(i, j, p, q), 2 * i, 2 * j, p, q);
      return dst.toTensor();
    };
    for (const layer of atrous.layers) {
      const ws = layer.getWeights();
      const kernelSized = (w: tf.Tensor) => w.rank === 4 && w.shape[0] === 3 && layer.name !== 'c0';
      twin.getLayer(layer.name).setWeights(ws.map((w) => (kernelSized(w) ? spread(w) : w)));
    }
    const { raw } = image(14, 14, 10);
    const nets = await Promise.all([atrous, twin].map((m) => toNetwork(m, { normalization: 'rescale-symmetric' })));
    const [cam, want] = await Promise.all(
      nets.map((net) => gradCAM(net, raw, 1, { featureLayer: 'c0', outputUpsampling: 'none' })),
    );
    expect(await maxAbsDiff(cam.map, want.map)).toBeLessThanOrEqual(TOL);
    expect(await maxAbsDiff(want.map, tf.zerosLike(want.map))).toBeGreaterThan(0);
    // Forward too: tfjs-layers runs a DepthwiseConv2D without its dilation (12×12 out of 'valid', not 10×10).
    const [ours, theirs] = nets.map((net) => activations(net, raw, 'c3'));
    expect(ours.shape).toEqual([10, 10, 3]);
    expect(await maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(TOL);
    tf.dispose([ours, theirs]);
    const dreamt = await deepDreamImage(nets[0], 'c3', 0, { pyramidLevels: 1, numIterations: 1, initialImage: raw });
    tf.dispose([raw, cam.map, want.map, dreamt]);
    for (const net of nets) net.dispose();
  });

  it('names an operation TF.js has no gradient for, without asking for a package already loaded', async () => {
    // A layer of the program's own with a cumulative product, for which no gradient exists in TF.js at all.
    class CumulativeProduct extends tfl.layers.Layer {
      static className = 'CumulativeProduct';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.cumprod(Array.isArray(inputs) ? inputs[0] : inputs, 3);
      }
    }
    const x = tfl.input({ shape: [12, 12, 3], name: 'image' });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(x);
    const product = new CumulativeProduct({ name: 'product' }).apply(c1) as tfl.SymbolicTensor;
    const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(product) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
    const net = await toNetwork(tfl.model({ inputs: x, outputs: out }), { normalization: 'rescale-symmetric' });
    const { raw, scaled: unused } = image(12, 12, 9);
    await expectThrowsNoLeak(
      () => gradCAM(net, raw, 0, { featureLayer: 'c1' }),
      TypeError,
      /^gradCAM: .* uses the TF\.js operation 'Cumprod', which has no gradient in TF\.js; gradCAM, gradientAttribution and deepDreamImage cannot look through it \(occlusionSensitivity and imageLIME need no gradient\)$/,
    );
    tf.dispose([raw, unused]);
    net.dispose();
  });

  it('follows a gradient through tf.einsum in a layer, which TF.js had none for (nor a wasm kernel)', async () => {
    // The same network twice: its channels scaled by [1, 2, 3, 4] with tf.einsum, and with tf.mul.
    const scale = (name: string, f: (t: tf.Tensor, s: tf.Tensor) => tf.Tensor) => {
      class Scale extends tfl.layers.Layer {
        static className = name;
        override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
          return tf.tidy(() => f(Array.isArray(inputs) ? inputs[0] : inputs, tf.tensor1d([1, 2, 3, 4])));
        }
      }
      const x = tfl.input({ shape: [12, 12, 3], name: 'image' });
      const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(x);
      const scaled = new Scale({ name: 'scale' }).apply(c1) as tfl.SymbolicTensor;
      const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(scaled) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
      return tfl.model({ inputs: x, outputs: out });
    };
    const viaEinsum = scale('EinsumScale', (t, s) => tf.einsum('bhwc,c->bhwc', t, s));
    const viaMul = scale('MulScale', (t, s) => tf.mul(t, s));
    viaMul.setWeights(viaEinsum.getWeights());
    const nets = await Promise.all(
      [viaEinsum, viaMul].map((m) => toNetwork(m, { normalization: 'rescale-symmetric' })),
    );
    const { raw, scaled: unused } = image(12, 12, 9);
    const [cam, want] = await Promise.all(
      nets.map((net) => gradCAM(net, raw, 0, { featureLayer: 'c1', outputUpsampling: 'none' })),
    );
    expect(await maxAbsDiff(cam.map, want.map)).toBeLessThanOrEqual(TOL);
    expect(await maxAbsDiff(want.map, tf.zerosLike(want.map))).toBeGreaterThan(0);
    tf.dispose([raw, unused, cam.map, want.map]);
    for (const net of nets) net.dispose();
  });

  it('follows a gradient through CenterCrop, whose crop TF.js had no gradient for', async () => {
    const x = tfl.input({ shape: [12, 12, 3], name: 'image' });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(x);
    const crop = tfl.layers.centerCrop({ height: 8, width: 8, name: 'crop' }).apply(c1) as tfl.SymbolicTensor;
    const g = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(crop) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(g) as tfl.SymbolicTensor;
    const net = await toNetwork(tfl.model({ inputs: x, outputs: out }), { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(12, 12, 9);
    const cam = await gradCAM(net, raw, 0, { featureLayer: 'c1', outputUpsampling: 'none' });
    expect(cam.map.shape).toEqual([12, 12]);
    expect(await maxAbsDiff(cam.map, tf.zerosLike(cam.map))).toBeGreaterThan(0);
    tf.dispose([raw, scaled, cam.map]);
    net.dispose();
  });
});

describe('toNetwork: a graph model of free input size', () => {
  it('needs the input size; then layers from its ops, any size, the numbers of its own execute', async () => {
    const model = await loadGraphModel(await freeSizeGraph());
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      TypeError,
      "toNetwork: the model's input size is not fixed ([-1,-1,-1,3]); give the size it was trained at as options.inputSize [h, w]",
    );
    const net = await toNetwork(model, { normalization: 'zerocenter', mean: [120, 110, 100], inputSize: [10, 10] });
    expect(net.layerNames).toEqual(['pixels', 'conv/Conv2D', 'conv/BiasAdd', 'relu', 'pool', 'gap']);
    expect(net.layers.map((l) => l.type)).toEqual([
      'Image Input',
      'Convolution',
      'Addition',
      'ReLU',
      'Max Pooling',
      'Global Average Pooling',
    ]);
    expect(net.layers.map((l) => l.outputSize)).toEqual([[10, 10, 3], [8, 8, 2], [8, 8, 2], [8, 8, 2], [4, 4, 2], [2]]);
    expect(net.totalLearnables).toBe(3 * 3 * 3 * 2 + 2);
    const raw = tf.tidy(() => tf.round(tf.randomUniform([13, 9, 3], 0, 255, 'float32', 5)));
    const x = tf.tidy(() => tf.expandDims(tf.sub(raw, tf.tensor1d([120, 110, 100])), 0));
    const want = model.execute({ pixels: x }, ['model/pool', 'model/gap']) as tf.Tensor[];
    const got = activations(net, raw, ['pool', 'gap']);
    expect(got[0].shape).toEqual([6, 4, 2]);
    for (let i = 0; i < 2; i++) expect(await maxAbsDiff(got[i], tf.squeeze(want[i], [0]))).toBeLessThanOrEqual(TOL);
    const tiny = tf.zeros([2, 5, 3]);
    await expectThrowsNoLeak(
      () => activations(net, tiny, 'gap'),
      RangeError,
      "activations: expected 'img' to be at least 3×3 pixels to compute layer 'gap' (or pass { resize: true }), got rank 3 [2, 5, 3] float32",
    );
    tf.dispose([raw, x, ...want, ...got, tiny]);
    net.dispose();
    expect(net.isDisposed).toBe(true);
  });
});

describe('interpretability on a graph network', () => {
  it("takes only the image's gradient through fused convolutions and products with a bias alone", async () => {
    // TF.js's executor runs `_FusedConv2D`, `FusedDepthwiseConv2dNative` and `_FusedMatMul` as fused operations,
    // which stay fused under a gradient when their only fused operation is the bias, and whose gradient then computes
    // the kernel's share with the input's; under a gradient the library runs them as the plain operation and the bias.
    // The oracle: Grad-CAM written out in TF.js's plain operations over the same weights.
    const b64 = (v: string) => btoa(v);
    const ints = (a: number[]) => ({ list: { i: a.map(String) } });
    const T = { type: 'DT_FLOAT' };
    const dim = (n: number) => ({ size: String(n) });
    const values = (n: number, seed: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) / 3);
    const shapes: Record<string, number[]> = {
      'c1/w': [3, 3, 3, 5],
      'c1/b': [5],
      'c2/w': [3, 3, 5, 4],
      'c2/b': [4],
      'dw/w': [3, 3, 4, 1],
      'dw/b': [4],
      // Transposed, as a converted Dense may hold it (transpose_b).
      'head/w': [3, 4],
      'head/b': [3],
    };
    // The head's weights negated: with these values, every class's map would be all zeros otherwise.
    const weights = Object.entries(shapes).map(([name, shape], k) => ({
      name,
      shape,
      data: values(
        shape.reduce((a, b) => a * b, 1),
        k,
      ).map((v) => (name === 'head/w' ? -v : v)),
    }));
    const axes = Int32Array.from([1, 2]);
    const bytes = [...weights.map((w) => new Uint8Array(w.data.buffer)), new Uint8Array(axes.buffer)];
    const data = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of bytes) {
      data.set(b, at);
      at += b.length;
    }
    const fused = (ops: string[]) => ({
      fused_ops: { list: { s: ops.map(b64) } },
      num_args: { i: '1' },
      epsilon: { f: 0 },
    });
    const conv = (strides: number, padding: string) => ({
      T,
      strides: ints([1, strides, strides, 1]),
      padding: { s: b64(padding) },
      dilations: ints([1, 1, 1, 1]),
      data_format: { s: b64('NHWC') },
    });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        format: 'graph-model',
        modelTopology: {
          node: [
            { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: { dim: [-1, 12, 12, 3].map(dim) } } } },
            ...weights.map((w) => ({ name: w.name, op: 'Const', attr: { dtype: T } })),
            { name: 'gap/axes', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } },
            {
              name: 'c1',
              op: '_FusedConv2D',
              input: ['x', 'c1/w', 'c1/b'],
              attr: { ...conv(1, 'VALID'), ...fused(['BiasAdd', 'Relu']) },
            },
            {
              name: 'c2',
              op: '_FusedConv2D',
              input: ['c1', 'c2/w', 'c2/b'],
              attr: { ...conv(2, 'SAME'), ...fused(['BiasAdd']) },
            },
            {
              name: 'dw',
              op: 'FusedDepthwiseConv2dNative',
              input: ['c2', 'dw/w', 'dw/b'],
              attr: { ...conv(1, 'SAME'), ...fused(['BiasAdd']) },
            },
            { name: 'gap', op: 'Mean', input: ['dw', 'gap/axes'], attr: { T, keep_dims: { b: false } } },
            {
              name: 'head',
              op: '_FusedMatMul',
              input: ['gap', 'head/w', 'head/b'],
              attr: { T, transpose_a: { b: false }, transpose_b: { b: true }, ...fused(['BiasAdd']) },
            },
          ],
          versions: { producer: 1395 },
        },
        weightSpecs: [
          ...weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const })),
          { name: 'gap/axes', shape: [2], dtype: 'int32' },
        ],
        weightData: data.buffer,
      }),
    );
    const net = await toNetwork(model, { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(12, 12, 21);
    const options = { featureLayer: 'c1', reductionLayer: 'head', outputUpsampling: 'none' } as const;
    const profile = await tf.profile(async () => (await gradCAM(net, raw, 1, options)).map);
    const cam = profile.result as tf.Tensor;
    // No filter gradient, and nothing computed of the head's kernel's size ([3, 4], or with a batch axis).
    expect(profile.kernelNames).not.toContain('Conv2DBackpropFilter');
    expect(profile.kernelNames).not.toContain('DepthwiseConv2dNativeBackpropFilter');
    const kernelSized = profile.kernels.filter(
      (k) =>
        !['Identity', 'Reshape'].includes(k.name) && k.outputShapes.some((s) => ['3,4', '1,3,4'].includes(String(s))),
    );
    expect(kernelSized.map((k) => k.name)).toEqual([]);
    const want = tf.tidy(() => {
      const w = (name: string) => tf.tensor(weights.find((v) => v.name === name)!.data, shapes[name]);
      const a = tf.relu(tf.add(tf.conv2d(scaled, w('c1/w') as tf.Tensor4D, 1, 'valid'), w('c1/b')));
      const tail = (v: tf.Tensor) => {
        const c2 = tf.add(tf.conv2d(v as tf.Tensor4D, w('c2/w') as tf.Tensor4D, 2, 'same'), w('c2/b'));
        const dw = tf.add(tf.depthwiseConv2d(c2 as tf.Tensor4D, w('dw/w') as tf.Tensor4D, 1, 'same'), w('dw/b'));
        return tf.add(tf.matMul(tf.mean(dw, [1, 2]), w('head/w') as tf.Tensor2D, false, true), w('head/b'));
      };
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.slice(tail(v), [0, 1], [1, 1])))(a);
      return tf.squeeze(tf.relu(tf.sum(tf.mul(a, tf.mean(g, [1, 2], true)), -1)), [0]);
    });
    expect(cam.shape).toEqual([10, 10]);
    expect(await maxAbsDiff(cam, want)).toBeLessThanOrEqual(TOL);
    expect(await maxAbsDiff(want, tf.zerosLike(want))).toBeGreaterThan(0);
    // Forward passes are TF.js's fused operations still: the logits equal the graph's own execute bit for bit.
    const logits = activations(net, raw, 'head');
    const own = model.execute(scaled, 'head') as tf.Tensor;
    expect(Array.from(await logits.data())).toEqual(Array.from(await own.data()));
    tf.dispose([raw, scaled, cam, want, logits, own]);
    net.dispose();
  });
});

describe('toNetwork: measuring a graph model', () => {
  it("holds a few layers' outputs at a time, not every layer's, while it measures their sizes", async () => {
    const T = { type: 'DT_FLOAT' };
    const free = { shape: { dim: [-1, -1, -1, 3].map((d) => ({ size: String(d) })) } };
    const chain = Array.from({ length: 20 }, (_, i) => ({
      name: `r${i}`,
      op: 'Relu',
      input: [i === 0 ? 'x' : `r${i - 1}`],
      attr: { T },
    }));
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [{ name: 'x', op: 'Placeholder', attr: { dtype: T, shape: free } }, ...chain],
          versions: { producer: 1395 },
          library: {},
        },
        weightSpecs: [],
        weightData: new ArrayBuffer(0),
        format: 'graph-model',
      }),
    );
    const before = tf.memory().numBytes;
    let net: Network | undefined;
    const run = await tf.profile(async () => {
      net = await toNetwork(model, { normalization: 'none', inputSize: [64, 64] });
      return [];
    });
    expect(net?.layers.map((l) => l.outputSize)).toEqual(Array(21).fill([64, 64, 3]));
    // One layer's output is 48 KiB; all 21 of them 1 MiB. The input, the layer being made and the one it reads.
    const layerBytes = 64 * 64 * 3 * 4;
    expect(run.peakBytes - before).toBeLessThanOrEqual(3 * layerBytes);
    net?.dispose();
  });
});

describe('toNetwork: graph models that are odd or hostile', () => {
  const T = { type: 'DT_FLOAT' };
  const placeholder = {
    name: 'x',
    op: 'Placeholder',
    attr: { dtype: T, shape: { shape: { dim: [-1, 8, 8, 3].map((d) => ({ size: String(d) })) } } },
  };
  const graphOf = (node: object[]) =>
    loadGraphModel(
      tf.io.fromMemory({
        modelTopology: { node, versions: { producer: 1395 }, library: {} },
        weightSpecs: [],
        weightData: new ArrayBuffer(0),
        format: 'graph-model',
      }),
    );
  const relu = (name: string, ...input: string[]) => ({ name, op: 'Relu', input, attr: { T } });

  it('makes a network of the same graph model twice, each of its fixed input size', async () => {
    const model = await graphOf([placeholder, relu('a', 'x')]);
    const first = await toNetwork(model, { normalization: 'none' });
    const second = await toNetwork(model, { normalization: 'rescale-zero-one' });
    expect(first.inputSize).toEqual([8, 8, 3]);
    expect(second.inputSize).toEqual([8, 8, 3]);
    model.dispose();
  });

  it.runIf(BACKEND === 'wasm')('names an operation the backend has no kernel for, and where to look', async () => {
    // TF.js's wasm backend has no complex numbers (a Fourier transform's); the cpu, webgl and webgpu backends have
    // them. It is no matter of the image's size, which the message said before.
    const C = { type: 'DT_COMPLEX64' };
    const model = await graphOf([
      placeholder,
      { name: 'c', op: 'Complex', input: ['x', 'x'], attr: { T, Tout: C } },
      { name: 'abs', op: 'ComplexAbs', input: ['c'], attr: { T: C, Tout: T } },
    ]);
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      Error,
      "toNetwork: the model uses the TF.js operation 'Complex', for which TF.js's wasm backend has no kernel; " +
        "another backend may have one: initBackend({ backend: 'webgpu' }), 'webgl' or 'cpu'",
    );
    model.dispose();
  });

  it.runIf(BACKEND === 'webgpu')(
    'says where to run a graph that reads a GPU value synchronously (Node.js)',
    async () => {
      // Fill's shape comes from the image's largest value, computed on the GPU: TF.js's converter reads it with
      // dataSync, which TF.js's WebGPU backend does through OffscreenCanvas, absent from Node.js.
      const I = { type: 'DT_INT32' };
      const konst = (name: string, size: number) => ({
        name,
        op: 'Const',
        attr: { dtype: I, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: String(size) }] } } } },
      });
      const model = await loadGraphModel(
        tf.io.fromMemory({
          modelTopology: {
            node: [
              placeholder,
              konst('axes', 4),
              konst('one', 1),
              { name: 'big', op: 'Max', input: ['x', 'axes'], attr: { T, Tidx: I, keep_dims: { b: false } } },
              { name: 'n', op: 'Cast', input: ['big'], attr: { SrcT: T, DstT: I } },
              { name: 'dims', op: 'Reshape', input: ['n', 'one'], attr: { T: I, Tshape: I } },
              { name: 'filled', op: 'Fill', input: ['dims', 'big'], attr: { T, index_type: I } },
            ],
            versions: { producer: 1395 },
          },
          weightSpecs: [
            { name: 'axes', shape: [4], dtype: 'int32' },
            { name: 'one', shape: [1], dtype: 'int32' },
          ],
          weightData: new Int32Array([0, 1, 2, 3, 1]).buffer,
        }),
      );
      const inNode = typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'function';
      if (inNode) {
        await expectThrowsNoLeak(
          () => toNetwork(model, { normalization: 'none', output: 'filled' }),
          Error,
          /^toNetwork: the model reads a value it computed on the GPU while it runs .*initBackend\(\{ backend: 'wasm' \}\)/,
        );
      }
      model.dispose();
    },
  );

  it("refuses a graph's integer division by a constant 0 on every backend (WebGPU gave -2147483648 or 0)", async () => {
    // x · float(q) where q = [7, 7, 7] floordiv [1, 0, 2] (int32 constants): TensorFlow refuses the division. On
    // WebGPU a shader gave -2147483648 for 7 / 0 and the CPU path of small tensors 0, silently; the constant's values
    // are still in CPU memory when the division reads them, so every backend refuses it now.
    const I = { type: 'DT_INT32' };
    const konst = (name: string) => ({
      name,
      op: 'Const',
      attr: { dtype: I, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '3' }] } } } },
    });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            placeholder,
            konst('seven'),
            konst('divisor'),
            { name: 'q', op: 'FloorDiv', input: ['seven', 'divisor'], attr: { T: I } },
            { name: 'f', op: 'Cast', input: ['q'], attr: { SrcT: I, DstT: T } },
            { name: 'y', op: 'Mul', input: ['x', 'f'], attr: { T } },
          ],
          versions: { producer: 1395 },
        },
        weightSpecs: [
          { name: 'seven', shape: [3], dtype: 'int32' },
          { name: 'divisor', shape: [3], dtype: 'int32' },
        ],
        weightData: new Int32Array([7, 7, 7, 1, 0, 2]).buffer,
      }),
    );
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      RangeError,
      /floorDiv: integer division by zero \(element 1 of the divisor\), which TensorFlow refuses/,
    );
    model.dispose();
  });

  it('ends at a node of the graph before a dynamic operation, and says where to end when none is chosen', async () => {
    // Where (of data-dependent size) stands for a detector's non-max suppression loop, which TF.js runs only
    // asynchronously: the graph runs up to the node before it.
    const model = await graphOf([
      placeholder,
      relu('a', 'x'),
      { name: 'w', op: 'Where', input: ['a'], attr: { T } },
      { name: 'out', op: 'Cast', input: ['w'], attr: { SrcT: { type: 'DT_INT64' }, DstT: T } },
    ]);
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph runs a loop, a branch or an operation of data-dependent size on the way to 'out' " +
        "(node 'w', TF.js's dynamic operation 'Where', as a detector's non-max suppression does), which TF.js runs " +
        'only asynchronously; this library runs a graph layer by layer, and no convolution comes before that node, ' +
        'so it cannot run this model',
    );
    const net = await expectNoLeak(() => toNetwork(model, { normalization: 'none', output: 'a' }), 0);
    expect(net.layers.map((l) => [l.name, l.outputSize])).toEqual([
      ['x', [8, 8, 3]],
      ['a', [8, 8, 3]],
    ]);
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none', output: 'nope' }),
      RangeError,
      `toNetwork: expected 'options.output' to be one of the model's outputs ('out') or a node of its graph, got "nope" (string); did you mean 'out'?`,
    );
    model.dispose();
    // With convolutions before it, the message names the last of them, the latest first.
    const user = await loadUserGraph('Where');
    await expectThrowsNoLeak(
      () => toNetwork(user, { normalization: 'none' }),
      RangeError,
      /on the way to 'prob' \(node 'extra', TF\.js's dynamic operation 'Where', .*, such as its last convolutions 'dw' or 'conv'$/,
    );
    const cut = await toNetwork(user, { normalization: 'none', output: 'dw' });
    expect(cut.layers.at(-1)?.name).toBe('dw');
    const img = tf.zeros([32, 32, 3]);
    const a = activations(cut, img, 'dw');
    expect(a.shape).toEqual([16, 16, 6]);
    tf.dispose([img, a]);
    user.dispose();
  });

  it('refuses before running the asynchronous operations TF.js does not check for, leaving nothing running', async () => {
    // TF.js's check before a synchronous run misses these: it started them, then failed because one returned a
    // promise, which ran on and, failing on these malformed nodes, ended the program with an unhandled rejection.
    const cases: [string, string[]][] = [
      ['If', ['a', 'a']],
      ['ListDiff', ['a', 'a']],
      ['NonMaxSuppressionV4', ['a', 'a', 'a', 'a', 'a']],
      ['TensorArraySizeV3', ['a', 'a']],
    ];
    for (const [op, input] of cases) {
      const model = await graphOf([
        placeholder,
        relu('a', 'x'),
        { name: 'c', op, input, attr: { T } },
        relu('out', 'c'),
      ]);
      await expectThrowsNoLeak(
        () => toNetwork(model, { normalization: 'none' }),
        RangeError,
        "toNetwork: the model's graph runs a loop, a branch or an operation of data-dependent size on the way to " +
          `'out' (node 'c', TF.js's dynamic operation '${op}', as a detector's non-max suppression does), which TF.js ` +
          'runs only asynchronously; this library runs a graph layer by layer, and no convolution comes before that ' +
          'node, so it cannot run this model',
      );
      // Anything TF.js had started would settle (and, rejected, fail this test file) by now.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const net = await toNetwork(model, { normalization: 'none', output: 'a' });
      expect(net.layers.map((l) => l.name)).toEqual(['x', 'a']);
      // Fed with the image, the node itself does not run (a loop that prepares the image may end there).
      const fed = await toNetwork(model, { normalization: 'none', input: 'c', inputSize: [8, 8] });
      expect(fed.layers.map((l) => l.name)).toEqual(['c', 'out']);
      model.dispose();
    }
  });

  it("finds the size of the image a graph's preparation gives the node options.input names", async () => {
    // x (any size) → 'r', a ReLU → 'pre', a bilinear resize to 24×20 (as a detector's loop resizes every image) →
    // 'out'. The graph runs up to 'pre' on two blank images of other sizes: both give 24×20, the network's input
    // size. Fed at 'r', whose size follows the image, the size must be given.
    const free = {
      name: 'x',
      op: 'Placeholder',
      attr: { dtype: T, shape: { shape: { dim: [-1, -1, -1, 3].map((d) => ({ size: String(d) })) } } },
    };
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            free,
            {
              name: 'size',
              op: 'Const',
              attr: {
                dtype: { type: 'DT_INT32' },
                value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: '2' }] } } },
              },
            },
            relu('r', 'x'),
            {
              name: 'pre',
              op: 'ResizeBilinear',
              input: ['r', 'size'],
              attr: { T, align_corners: { b: false }, half_pixel_centers: { b: true } },
            },
            relu('out', 'pre'),
          ],
          versions: { producer: 1395 },
        },
        weightSpecs: [{ name: 'size', shape: [2], dtype: 'int32' }],
        weightData: weightData([{ dtype: 'int32', data: [24, 20] }]),
      }),
    );
    const before = tf.memory().numTensors;
    const net = await toNetwork(model, { normalization: 'none', input: 'pre' });
    expect(net.inputSize).toEqual([24, 20, 3]);
    expect(net.layers.map((l) => [l.name, l.outputSize])).toEqual([
      ['pre', [24, 20, 3]],
      ['out', [24, 20, 3]],
    ]);
    // Nothing of the two runs is left behind.
    expect(tf.memory().numTensors).toBe(before);
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none', input: 'r' }),
      TypeError,
      "toNetwork: options.input feeds the image at node 'r', whose size the model does not say (no resize to a " +
        'fixed size comes before it: its size follows the image); give it as options.inputSize [h, w]',
    );
    model.dispose();
  });

  it('feeds the image at a node after a loop that prepares it, as the refusal suggests', async () => {
    const prepared = await loadUserGraph(undefined, 'softmax', 'where');
    await expectThrowsNoLeak(
      () => toNetwork(prepared, { normalization: 'none' }),
      RangeError,
      /no convolution comes before that node; if it prepares the image \(TensorFlow's object detection models resize it in a loop\), pass options\.input 'pre', where the first convolution reads it$/,
    );
    await expectThrowsNoLeak(
      () => toNetwork(prepared, { normalization: 'none', input: 'pre' }),
      TypeError,
      "toNetwork: options.input feeds the image at node 'pre', whose size the model does not say (node 'w' (Where) " +
        'comes before it, which may change the size); give it as options.inputSize [h, w]',
    );
    await expectThrowsNoLeak(
      () => toNetwork(prepared, { normalization: 'none', input: 'prep', inputSize: [32, 32] }),
      RangeError,
      `toNetwork: expected 'options.input' to be a node of the graph that computes something, got "prep" (string); did you mean 'pre'?`,
    );
    const fed = await toNetwork(prepared, { normalization: 'none', input: 'pre', inputSize: [32, 32] });
    expect(fed.layers[0]).toMatchObject({ name: 'pre', type: 'Image Input', outputSize: [32, 32, 3] });
    expect(fed.layers.some((l) => l.name === 'w' || l.name === 'x')).toBe(false);
    // The same weights as the graph without the loop: the same activations from the same image.
    const plainModel = await loadUserGraph();
    const plain = await toNetwork(plainModel, { normalization: 'none' });
    const img = tf.randomUniform([32, 32, 3], 0, 255, 'float32', 7);
    const [a, b] = [activations(fed, img, 'dw'), activations(plain, img, 'dw')];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
    expect((await diff.data())[0]).toBe(0);
    tf.dispose([img, a, b, diff]);
    prepared.dispose();
    plainModel.dispose();
    const keras = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 })] });
    await expectThrowsNoLeak(
      () => toNetwork(keras, { normalization: 'none', input: 'conv2d' }),
      TypeError,
      'toNetwork: options.input names a node of a converted graph; a Keras model has none',
    );
    keras.dispose();
  });

  it('refuses a graph whose nodes form a cycle, share a name or have one every object has, naming them', async () => {
    const cycle = await graphOf([
      placeholder,
      { name: 'a', op: 'AddV2', input: ['x', 'b'], attr: { T } },
      relu('b', 'a'),
      relu('out', 'b'),
    ]);
    await expectThrowsNoLeak(
      () => toNetwork(cycle, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph cannot run: its nodes form a cycle: 'a' → 'b' → 'a' (each takes the next as an input)",
    );
    // Named as TensorFlow allows, but as a property of every JavaScript object: TF.js's executor skipped the node and
    // failed on what reads it ("Cannot read properties of undefined (reading 'shape')").
    for (const name of ['toString', 'constructor', 'valueOf']) {
      const inherited = await graphOf([placeholder, relu(name, 'x'), relu('b', name)]);
      await expectThrowsNoLeak(
        () => toNetwork(inherited, { normalization: 'none' }),
        RangeError,
        `toNetwork: the model's graph cannot run: its node '${name}' has the name of a property every JavaScript ` +
          "object has, which TF.js's graph executor cannot run (it looks up values by name in an object); rename " +
          'the node, and the inputs that name it, in model.json',
      );
      // As activations takes the GraphModel itself.
      const img = tf.zeros([8, 8, 3]);
      await expectThrowsNoLeak(
        () => activations(inherited, img, 'b'),
        RangeError,
        new RegExp(`^activations: the model's graph cannot run: its node '${name}' has the name of a property`),
      );
      img.dispose();
      inherited.dispose();
    }
    const twice = await graphOf([placeholder, relu('a', 'x'), relu('a', 'a')]);
    await expectThrowsNoLeak(
      () => toNetwork(twice, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph cannot run: two of its nodes are named 'a'",
    );
  });

  it("refuses a convolution or pooling whose window attributes are not numbers, naming the node's", async () => {
    // TF.js reads them as it finds them: a missing ksize failed deep inside it ("Cannot read properties of undefined
    // (reading '1')"), strides that are no list reached the kernel as a window of NaN.
    const b64 = (v: string) => ({ s: btoa(v) });
    const list = (...v: (string | number)[]) => ({ list: { i: v } });
    const four = list('1', '2', '2', '1');
    const pool = (attr: object) => [placeholder, { name: 'p', op: 'MaxPool', input: ['x'], attr: { T, ...attr } }];
    const conv = (attr: object) => [
      placeholder,
      { name: 'w', op: 'Const', attr: { dtype: T } },
      { name: 'c', op: 'Conv2D', input: ['x', 'w'], attr: { T, ...attr } },
    ];
    const cases: [object[], string][] = [
      [pool({ strides: four, padding: b64('VALID') }), "its node 'p' (MaxPool) has no ksize"],
      [pool({ strides: four, ksize: list('1', '3', 'x', '1'), padding: b64('SAME') }), `the ksize ["1","3","x","1"]`],
      [pool({ strides: { i: 1e9 }, ksize: four, padding: b64('SAME') }), `the strides {"i":1000000000}`],
      [pool({ strides: four, ksize: list(1, 0, 3, 1), padding: b64('SAME') }), 'the ksize [1,0,3,1]'],
      [pool({ strides: four, ksize: four }), "its node 'p' (MaxPool) has no padding, where it needs SAME, VALID or"],
      [pool({ strides: four, ksize: four, padding: b64('FULL') }), `has the padding "FULL", where it needs SAME`],
      [conv({ padding: b64('SAME') }), "its node 'c' (Conv2D) has no strides, where it needs 4 whole numbers of at"],
      [conv({ strides: four, dilations: list(1, 2), padding: b64('SAME') }), 'the dilations [1,2], where it needs 4'],
      [
        conv({ strides: four, padding: b64('EXPLICIT'), explicit_paddings: list(0, 0, 1, 1) }),
        'has the explicit_paddings [0,0,1,1], where it needs 8 whole numbers of at least 0',
      ],
      [
        conv({ strides: four, padding: b64('SAME'), explicit_paddings: { list: { i: '-5' } } }),
        `has the explicit_paddings {"list":{"i":"-5"}}, where it needs a list`,
      ],
    ];
    for (const [nodes, why] of cases) expect(graphProblem(nodes as never)).toContain(why);
    // What TF.js's converter writes passes: dilations may be left out.
    expect(
      graphProblem(conv({ strides: four, padding: b64('SAME'), explicit_paddings: { list: {} } }) as never),
    ).toBeNull();
    expect(
      graphProblem(pool({ strides: four, ksize: list('1', '3', '3', '1'), padding: b64('VALID') }) as never),
    ).toBeNull();
    const model = await graphOf(pool({ strides: four, padding: b64('VALID') }));
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph cannot run: its node 'p' (MaxPool) has no ksize, where it needs 4 whole numbers " +
        'of at least 1',
    );
    model.dispose();
  });

  it('refuses a node with fewer inputs than its operation reads, naming it', async () => {
    // TF.js read the missing input as the name undefined: "Cannot read properties of undefined (reading 'split')".
    const model = await graphOf([
      placeholder,
      { name: 'sum', op: 'AddV2', input: ['x'], attr: { T } },
      relu('out', 'sum'),
    ]);
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph cannot run: its node 'sum' (AddV2) has 1 input where the operation reads 2",
    );
    model.dispose();
  });

  it("does not call a TensorFlow 1 loop a cycle: its Merge takes the body's NextIteration", () => {
    const loop = [
      placeholder,
      { name: 'enter', op: 'Enter', input: ['x'], attr: { T } },
      { name: 'merge', op: 'Merge', input: ['enter', 'next'], attr: { T } },
      { name: 'body', op: 'Relu', input: ['merge'], attr: { T } },
      { name: 'next', op: 'NextIteration', input: ['body'], attr: { T } },
      { name: 'exit', op: 'Exit', input: ['merge'], attr: { T } },
    ];
    expect(graphProblem(loop)).toBeNull();
    // The same edge into any other operation is a cycle.
    const cycle = loop.map((n) => (n.name === 'merge' ? { ...n, op: 'AddV2' } : n));
    expect(graphProblem(cycle)).toBe(
      "its nodes form a cycle: 'merge' → 'next' → 'body' → 'merge' (each takes the next as an input)",
    );
  });

  it('ends at the chosen output of several, each layer after its inputs whatever the order of the GraphDef', async () => {
    // Listed out of order: TensorFlow does not promise a GraphDef in the order the operations run.
    const two = await graphOf([
      relu('out1', 'b'),
      relu('b', 'a'),
      placeholder,
      relu('out2', 'a'),
      { name: 'a', op: 'AddV2', input: ['x', 'x'], attr: { T } },
    ]);
    const net = await toNetwork(two, { normalization: 'none', output: 'out1' });
    expect(net.layerNames).toEqual(['x', 'a', 'b', 'out1']);
    const img = tf.fill([8, 8, 3], 3);
    const out = await expectNoLeak(() => activations(net, img, 'out1'), 1);
    expect(Array.from(await tf.max(out).data())).toEqual([6]);
    tf.dispose([img, out]);
    expect((await toNetwork(two, { normalization: 'none', output: 'out2' })).layerNames).toEqual(['x', 'a', 'out2']);
    // A walk without recursion: a chain 100,000 operations deep, listed backwards.
    const chain: { name: string; op: string; input?: string[] }[] = [{ name: 'x', op: 'Placeholder' }];
    for (let i = 0; i < 100000; i++) chain.push({ name: `r${i}`, op: 'Relu', input: [i === 0 ? 'x' : `r${i - 1}`] });
    const order = nodesFor(chain.reverse(), 'x', 'r99999').map((n) => n.name);
    expect(order.length).toBe(100001);
    expect(order.slice(0, 2)).toEqual(['x', 'r0']);
    expect(order.at(-1)).toBe('r99999');
  });

  it('keeps the image input first when the chosen output does not depend on it', async () => {
    // A model whose second output is a constant (a prior, an anchor table): ending there still starts at the image.
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            placeholder,
            { name: 'k', op: 'Const', attr: { dtype: T, value: { tensor: { dtype: 'DT_FLOAT' } } } },
            { name: 'prior', op: 'Identity', input: ['k'], attr: { T } },
            relu('a', 'x'),
          ],
          versions: { producer: 1395 },
          library: {},
        },
        weightSpecs: [{ name: 'k', shape: [2], dtype: 'float32' }],
        weightData: new Float32Array([0.25, 0.75]).buffer,
        format: 'graph-model',
      }),
    );
    const net = await toNetwork(model, { normalization: 'none', output: 'prior' });
    expect(net.layerNames).toEqual(['x', 'prior']);
    expect(net.layers[0].type).toBe('Image Input');
    const img = tf.zeros([8, 8, 3]);
    const out = await expectNoLeak(() => activations(net, img, 'prior'), 1);
    expect(Array.from(await out.data())).toEqual([0.25, 0.75]);
    tf.dispose([img, out]);
    net.dispose();
  });

  it('feeds a graph that takes int32 pixels whole values, and lets a gradient reach them', async () => {
    const pixels = { ...placeholder, attr: { ...placeholder.attr, dtype: { type: 'DT_INT32' } } };
    const model = await graphOf([
      pixels,
      { name: 'f', op: 'Cast', input: ['x'], attr: { SrcT: { type: 'DT_INT32' }, DstT: T } },
      { name: 'sq', op: 'Square', input: ['f'], attr: { T } },
    ]);
    const net = await toNetwork(model, { normalization: 'none' });
    const img = tf.fill([8, 8, 3], 2.6);
    const out = await expectNoLeak(() => activations(net, img, 'sq'), 1);
    expect(Array.from(await tf.max(out).data())).toEqual([9]);
    // Rounding has no gradient of its own: the pixels' gradient passes through it, as a float input's would.
    const start = tf.randomUniform([8, 8, 3], 0, 255, 'float32', 7);
    const dreamt = await deepDreamImage(net, 'sq', 0, {
      initialImage: start,
      numIterations: 1,
      pyramidLevels: 1,
      outputScaling: 'none',
    });
    const change = tf.tidy(() => tf.max(tf.abs(tf.sub(dreamt, start))));
    expect((await change.data())[0]).toBeGreaterThan(0.1);
    tf.dispose([img, out, start, dreamt, change]);
  });

  it('runs a batch through a graph of batch 1 image by image, gradients included', async () => {
    const one = {
      ...placeholder,
      attr: { ...placeholder.attr, shape: { shape: { dim: [1, 8, 8, 3].map((d) => ({ size: String(d) })) } } },
    };
    const model = await graphOf([one, { name: 'sq', op: 'Square', input: ['x'], attr: { T } }]);
    const net = await toNetwork(model, { normalization: 'none' });
    const batch = tf.stack([tf.fill([8, 8, 3], 2), tf.fill([8, 8, 3], 3)]);
    const out = await expectNoLeak(() => activations(net, batch, 'sq'), 1);
    expect(out.shape).toEqual([2, 8, 8, 3]);
    expect(Array.from(await tf.max(out, [1, 2, 3]).data())).toEqual([4, 9]);
    // Two channels dream as a batch of two images.
    const start = tf.randomUniform([8, 8, 3], 0, 255, 'float32', 7);
    const dreamt = await deepDreamImage(net, 'sq', [0, 2], {
      initialImage: start,
      numIterations: 1,
      pyramidLevels: 1,
      outputScaling: 'none',
    });
    expect(dreamt.shape).toEqual([2, 8, 8, 3]);
    const change = tf.tidy(() => tf.max(tf.abs(tf.sub(dreamt, tf.expandDims(start, 0))), [1, 2, 3]));
    expect(Array.from(await change.data()).every((c) => c > 0.1)).toBe(true);
    tf.dispose([batch, out, start, dreamt, change]);
  });

  it("sizes a layer that leaves the batch axis behind as activations gives it (MoveNet's keypoint decoding)", async () => {
    // A graph of batch 1 may squeeze or unstack the batch away: [1, 8, 8, 3] → [8, 8, 3] → [8, 3] (row 0).
    const one = {
      ...placeholder,
      attr: { ...placeholder.attr, shape: { shape: { dim: [1, 8, 8, 3].map((d) => ({ size: String(d) })) } } },
    };
    const model = await graphOf([
      one,
      { name: 'sq', op: 'Squeeze', input: ['x'], attr: { T, squeeze_dims: { list: { i: ['0'] } } } },
      { name: 'rows', op: 'Unpack', input: ['sq'], attr: { T, num: { i: '8' }, axis: { i: '0' } } },
      relu('r', 'rows'),
    ]);
    const net = await toNetwork(model, { normalization: 'none' });
    expect(net.layers.map((l) => [l.name, l.outputSize])).toEqual([
      ['x', [8, 8, 3]],
      ['sq', [8, 8, 3]],
      ['rows', [8, 3]],
      ['r', [8, 3]],
    ]);
    const img = tf.fill([8, 8, 3], 2);
    const outs = await expectNoLeak(() => activations(net, img, ['sq', 'rows', 'r']), 3);
    expect(outs.map((o) => o.shape)).toEqual(net.layers.slice(1).map((l) => l.outputSize));
    expect(analyzeNetwork(net).layers.map((l) => l.activations)).toEqual(net.layers.map((l) => l.outputSize));
    // A batch runs image by image: image i's result is result i, a batch axis put first where the layer has none.
    const other = tf.fill([8, 8, 3], -3);
    const batch = tf.stack([img, other]);
    const both = await expectNoLeak(() => activations(net, batch, ['sq', 'rows', 'r']), 3);
    expect(both.map((o) => o.shape)).toEqual(net.layers.slice(1).map((l) => [2, ...l.outputSize]));
    const second = activations(net, other, ['sq', 'rows', 'r']);
    for (let i = 0; i < 3; i++) {
      expect(await both[i].array()).toEqual([await outs[i].array(), await second[i].array()]);
    }
    // Grad-CAM weighs a map per image: a layer without a batch axis is none.
    await expectThrowsNoLeak(
      () => gradCAM(net, img, null, { featureLayer: 'sq', reductionLayer: 'r', reductionFcn: (o) => tf.sum(o, 1) }),
      RangeError,
      "gradCAM: expected 'options.featureLayer' to be a layer with a spatial output [h, w, c] for each image, got " +
        "'sq', which has no batch axis (the graph squeezed or unstacked its batch of 1 away)",
    );
    tf.dispose([img, other, batch, ...outs, ...both, ...second]);
    net.dispose();
  });

  it('takes the measured sizes at the trained size, where an operation broadcasts against a constant', () => {
    // MoveNet's `x − c`: the rules see only `x` (size 3) while the graph gives c's 17. At the trained size the
    // measured table holds; at another, a layer after it still needs the trained size.
    const row = (name: string, type: string, inputs: string[], outputSize: number[]) =>
      ({ name, type, inputs, outputSize, nodeName: name, originalType: type }) as never;
    const layers = [
      row('x', 'Image Input', [], [8, 8, 3]),
      row('d', 'Function', ['x'], [8, 8, 17]),
      row('o', 'Other', ['d'], [17]),
    ];
    expect(layerShapes(layers, [8, 8, 3]).get('o')).toEqual([17]);
    expect(layerShapes(layers, [16, 16, 3]).get('o')).toBeNull();
  });

  it("lets an input name a node of the model's initializer (its lookup tables), and names any other missing one", () => {
    const look = [placeholder, { name: 'look', op: 'LookupTableFindV2', input: ['table', 'x'], attr: { T } }];
    expect(graphProblem(look, new Set(['table']))).toBeNull();
    expect(graphProblem(look)).toBe("its node 'look' takes 'table' as an input, which no node of the graph makes");
  });

  it('runs a graph 20,000 operations deep (a recursive walk would overflow the stack)', async () => {
    const nodes: object[] = [placeholder];
    for (let i = 0; i < 20000; i++) nodes.push(relu(`r${i}`, i === 0 ? 'x' : `r${i - 1}`));
    const model = await graphOf(nodes);
    const net = await toNetwork(model, { normalization: 'none' });
    const img = tf.fill([8, 8, 3], -1);
    const out = await expectNoLeak(() => activations(net, img, net.layers.length - 1), 1);
    expect(out.shape).toEqual([8, 8, 3]);
    expect(Array.from(await tf.max(out).data())).toEqual([0]);
    tf.dispose([img, out]);
    net.dispose();
  }, 60_000);
});

describe('toNetwork: a deep Keras model', () => {
  it('runs and differentiates a chain of 3,000 layers (as deep as tfjs-layers itself builds and runs)', async () => {
    // A recursive walk over the layers overflowed the stack at about this depth, where tfjs-layers' own predict runs.
    const x = tfl.input({ shape: [6, 6, 3], name: 'image' });
    let y = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(x) as tfl.SymbolicTensor;
    for (let i = 0; i < 3000; i++) {
      y = tfl.layers.activation({ activation: 'relu', name: `r${i}` }).apply(y) as tfl.SymbolicTensor;
    }
    const model = tfl.model({ inputs: x, outputs: y });
    const net = await toNetwork(model, { normalization: 'none' });
    const img = tf.fill([6, 6, 3], 2);
    const out = await expectNoLeak(() => activations(net, img, 'r2999'), 1);
    const want = tf.tidy(() => tf.squeeze(model.predict(tf.expandDims(img, 0)) as tf.Tensor, [0]));
    expect(await maxAbsDiff(out, want)).toBe(0);
    const dreamt = await deepDreamImage(net, 'r2999', 0, { pyramidLevels: 1, numIterations: 1, initialImage: img });
    expect(dreamt.shape).toEqual([1, 6, 6, 3]);
    tf.dispose([img, out, want, dreamt]);
    net.dispose();
  }, 60_000);
});

describe('toNetwork: a free-size Keras model too large at its input size', () => {
  it("is refused from its layers' sizes before it runs (a wasm allocation past 4 GiB would wrap)", async () => {
    const x = tfl.input({ shape: [null, null, 3], name: 'pixels' });
    const up = tfl.layers.upSampling2d({ size: [3000, 3000], name: 'up' }).apply(x);
    const m = tfl.model({ inputs: x, outputs: up as tfl.SymbolicTensor, name: 'huge' });
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', inputSize: [32, 32] }),
      RangeError,
      `toNetwork: 'options.inputSize' asks for layer 'up' of 27,648,000,000 elements [96000, 96000, 3] (105469 MiB as float32); ${elementLimitEnd()}`,
    );
  });
});

describe('toNetwork: channels-first Keras layers', () => {
  it('refuses a channels-first input, saying so; a channels-first layer is Other (its geometry is not read)', async () => {
    const x = tfl.input({ shape: [3, 16, 16], name: 'nchw' });
    const y = tfl.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst', name: 'c' }).apply(x);
    await expectThrowsNoLeak(
      () => toNetwork(tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor }), { normalization: 'none' }),
      RangeError,
      "toNetwork: expected the model's input to have 1 or 3 channels (gray or RGB), got 16; its input [3, 16, 16] looks channels-first: this library feeds images [h, w, c] (channels last)",
    );
    // Channels last in, permuted inside: the layer runs, but its kernel, stride and size rules are not NHWC's.
    const x2 = tfl.input({ shape: [16, 16, 3], name: 'nhwc' });
    const p = tfl.layers.permute({ dims: [3, 1, 2], name: 'to_nchw' }).apply(x2);
    const c = tfl.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst', name: 'c' }).apply(p);
    const net = await toNetwork(tfl.model({ inputs: x2, outputs: c as tfl.SymbolicTensor }), { normalization: 'none' });
    expect(net.layers[2]).toMatchObject({
      type: 'Other',
      description: 'Conv2D (Keras, channels first)',
      outputSize: [4, 14, 14],
    });
    net.dispose();
  });

  it("normalizes by the channels' statistics along axis 1 (cpu, wasm: TF.js gave them to the columns)", async () => {
    const x = tfl.input({ shape: [4, 4, 3], name: 'nhwc' });
    const p = tfl.layers.permute({ dims: [3, 1, 2], name: 'to_nchw' }).apply(x);
    const bn = tfl.layers.batchNormalization({ axis: 1, epsilon: 0.001, name: 'bn' });
    const net = await toNetwork(tfl.model({ inputs: x, outputs: bn.apply(p) as tfl.SymbolicTensor }), {
      normalization: 'none',
    });
    const [gamma, beta, mean, variance] = [
      [1, 2, 0.5],
      [0, -1, 1],
      [10, 100, 200],
      [1, 4, 0.25],
    ].map((v) => tf.tensor1d(v));
    bn.setWeights([gamma, beta, mean, variance]);
    const { raw } = image(4, 4, 9);
    const got = activations(net, raw, 'bn');
    const want = tf.tidy(() => {
      const along = (t: tf.Tensor) => tf.reshape(t, [3, 1, 1]);
      const centred = tf.sub(tf.transpose(raw, [2, 0, 1]), along(mean));
      return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(along(variance), 0.001))), along(gamma)), along(beta));
    });
    expect(got.shape).toEqual([3, 4, 4]);
    expect(await maxAbsDiff(got, want)).toBeLessThan(1e-3);
    tf.dispose([got, want, raw, gamma, beta, mean, variance]);
    net.dispose();
  });
});

describe('toNetwork: Keras layers that tfjs-layers runs otherwise than Keras', () => {
  it('refuses a dilated Conv2DTranspose, whose dilation tfjs-layers drops (an undilated result, silently)', async () => {
    const model = (dilationRate: number) => {
      const x = tfl.input({ shape: [4, 4, 1], name: 'img' });
      const inner = tfl.sequential({
        name: 'decoder',
        layers: [
          tfl.layers.conv2dTranspose({ inputShape: [4, 4, 1], filters: 1, kernelSize: 2, dilationRate, name: 'up' }),
        ],
      });
      return tfl.model({ inputs: x, outputs: inner.apply(x) as tfl.SymbolicTensor });
    };
    const dilated = model(2);
    await expectThrowsNoLeak(
      () => toNetwork(dilated, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model cannot run as Keras runs it: its layer 'up' (Conv2DTranspose) has the dilation rate " +
        '[2, 2], which tfjs-layers drops (it computes the transposed convolution undilated, other numbers and sizes ' +
        "than Keras's, without an error)",
    );
    dilated.dispose();
    const net = await toNetwork(model(1), { normalization: 'none' });
    expect(net.layers.at(-1)?.outputSize).toEqual([5, 5, 1]);
    net.dispose();
  });
});

describe('toNetwork: bad input', () => {
  it('says what is expected for every wrong argument, and leaks nothing', async () => {
    const m = sequential();
    await expectThrowsNoLeak(
      () => toNetwork(m),
      TypeError,
      /^toNetwork: the model's input normalization is not declared, and it is not guessed .*'rescale-symmetric' \(to \[-1, 1\]: Keras MobileNet, MobileNetV2, InceptionV3, Xception\), 'zerocenter' with mean .*ResNet50\/VGG16/,
    );
    // A model that scales its pixels in a layer reading the image (the image classification tutorial's Rescaling,
    // EfficientNet's inside its base) is named: it most likely takes raw pixels. Still not guessed.
    const scaled = tfl.sequential({
      layers: [
        tfl.layers.rescaling({ inputShape: [8, 8, 3], scale: 1 / 255, name: 'rescaling' }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv' }),
      ],
    });
    const own = (layer: string, what: string) =>
      `the model's input normalization is not declared, and it is not guessed (a wrong guess gives ` +
      `plausible-looking but wrong numbers); its layer '${layer}' (${what}) reads the image and prepares the pixels ` +
      'itself; if the model was trained on raw pixels 0..255 with it (as such a model usually is), that is ' +
      "options.normalization 'none'; in any case, say how the model expects its pixels with " +
      "options.normalization: 'none' (raw 0..255), ";
    const ownError = async (model: tfl.LayersModel, layer: string, cls: string) => {
      const err = await toNetwork(model).catch((e: Error) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message.startsWith(`toNetwork: ${own(layer, cls)}`), (err as Error).message).toBe(true);
    };
    await ownError(scaled, 'rescaling', `Rescaling by ${1 / 255} plus 0`);
    const image = tfl.input({ shape: [8, 8, 3], name: 'image' });
    const transfer = tfl.model({ inputs: image, outputs: scaled.apply(image) as tfl.SymbolicTensor, name: 'transfer' });
    await ownError(transfer, `${scaled.name}/rescaling`, `Rescaling by ${1 / 255} plus 0`);
    scaled.dispose();
    // A model without one: the choices alone.
    await expectThrowsNoLeak(
      () => toNetwork(m),
      TypeError,
      /not guessed \(a wrong guess gives [a-z -]+ numbers\); say how/,
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'rescale' as never }),
      RangeError,
      /^toNetwork: expected 'options.normalization' to be one of 'none', 'zerocenter', 'zscore', 'rescale-symmetric', 'rescale-zero-one' or a function, got "rescale" \(string\); /,
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zerocenter', mean: [1, 2] }),
      RangeError,
      "toNetwork: expected 'options.mean' to be 3 values (one per input channel), got [1, 2] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zerocenter' }),
      RangeError,
      "toNetwork: normalization 'zerocenter' needs 'options.mean' (one value per channel, or one for all)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', mean: 3 }),
      TypeError,
      "toNetwork: 'options.mean' has no meaning with normalization 'none'",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zscore', mean: 0, standardDeviation: [1, 0, 1] }),
      RangeError,
      "toNetwork: expected 'options.standardDeviation' to be positive finite numbers, also as float32, got [1, 0, 1] (array of length 3)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', classNames: ['a', 'b'] }),
      RangeError,
      "toNetwork: expected 3 class names (the size of the model's output, layer 'out'), got 2",
    );
    await expectThrowsNoLeak(
      () => toNetwork({ predict() {} } as never, { normalization: 'none' }),
      TypeError,
      "toNetwork: expected 'model' to be a loaded tf.GraphModel or tf.LayersModel, got an object",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', inputSize: [32, 32] }),
      RangeError,
      "toNetwork: expected 'options.inputSize' to be [16, 16] (the Keras model's fixed input size), got [32, 32] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', colour: 1 } as never),
      RangeError,
      /^toNetwork: unknown option 'colour'/,
    );
    const a = tfl.input({ shape: [8, 8, 3], name: 'a' });
    const b = tfl.input({ shape: [8, 8, 3], name: 'b' });
    const two = tfl.model({ inputs: [a, b], outputs: tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor });
    await expectThrowsNoLeak(
      () => toNetwork(two, { normalization: 'none' }),
      TypeError,
      /^toNetwork: expected a model with one image input, got 2 inputs \(a float32 \[-1, 8, 8, 3\], b float32 \[-1, 8, 8, 3\]\); give the others a value that every pass uses as options\.constantInputs, such as \{ b: 1 \}$/,
    );
    const ins = Array.from({ length: 20 }, (_, i) => tfl.input({ shape: [8, 8, 3], name: `in${i}` }));
    const wide = tfl.model({ inputs: ins, outputs: tfl.layers.add().apply(ins) as tfl.SymbolicTensor });
    await expectThrowsNoLeak(
      () => toNetwork(wide, { normalization: 'none' }),
      TypeError,
      /^toNetwork: expected a model with one image input, got 20 inputs \(in0 .*, in11 float32 \[-1, 8, 8, 3\] and 8 more\); give the others a value that every pass uses as options\.constantInputs, such as \{ in1: 1 \}$/,
    );
    const shared = tfl.input({ shape: [8, 8, 3], name: 'in' });
    const twoOut = tfl.model({
      inputs: shared,
      outputs: [
        tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: 'o1' }).apply(shared) as tfl.SymbolicTensor,
        tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: 'o2' }).apply(shared) as tfl.SymbolicTensor,
      ],
    });
    await expectThrowsNoLeak(
      () => toNetwork(twoOut, { normalization: 'none' }),
      TypeError,
      "toNetwork: expected a model with one output, got 2; pass options.output, one of 'o1' or 'o2', to choose the one the network ends at",
    );
    // A model with many heads: the first dozen are named, and how many there are.
    const heads = Array.from({ length: 20 }, (_, i) =>
      tfl.layers.conv2d({ filters: 1, kernelSize: 1, name: `head${i}` }).apply(shared),
    ) as tfl.SymbolicTensor[];
    const many = tfl.model({ inputs: shared, outputs: heads });
    await expectThrowsNoLeak(
      () => toNetwork(many, { normalization: 'none' }),
      TypeError,
      `toNetwork: expected a model with one output, got 20; pass options.output, one of ${Array.from({ length: 12 }, (_, i) => `'head${i}'`).join(', ')} or 8 more, to choose the one the network ends at`,
    );
    await expectThrowsNoLeak(
      () => toNetwork(many, { normalization: 'none', output: 'head' }),
      RangeError,
      `toNetwork: expected 'options.output' to be one of the model's outputs (${Array.from({ length: 12 }, (_, i) => `'head${i}'`).join(', ')} or 8 more), got "head" (string); did you mean 'head0'?`,
    );
    // Chosen, the network ends at that output, with only the layers it needs.
    const second = await toNetwork(twoOut, { normalization: 'none', output: 'o2' });
    expect(second.layerNames).toEqual(['in', 'o2']);
    const x = tf.randomUniform([8, 8, 3], 0, 255);
    const at = activations(second, x, 'o2');
    const direct = tf.tidy(() => twoOut.predict(tf.expandDims(x, 0)) as tf.Tensor[]);
    expect(Array.from(await at.data())).toEqual(Array.from(await direct[1].data()));
    tf.dispose([x, at, ...direct]);
    await expectThrowsNoLeak(
      () => toNetwork(twoOut, { normalization: 'none', output: 'o3' }),
      RangeError,
      "toNetwork: expected 'options.output' to be one of the model's outputs ('o1' or 'o2'), got \"o3\" (string); did you mean 'o1'?",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', inputSize: [16, 16, 1] }),
      RangeError,
      "toNetwork: expected 'options.inputSize[2]' to be 3 (the model's input channels), got 1 (number)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'none', classNames: 'labels.txt' as never }),
      TypeError,
      'toNetwork: expected \'options.classNames\' to be an array of strings, got "labels.txt" (string)',
    );
    const v = tfl.input({ shape: [10], name: 'vec' });
    const flat = tfl.model({ inputs: v, outputs: tfl.layers.dense({ units: 2 }).apply(v) as tfl.SymbolicTensor });
    await expectThrowsNoLeak(
      () => toNetwork(flat, { normalization: 'none' }),
      RangeError,
      "toNetwork: expected the model's input to be an image batch [n, h, w, c], got shape [null,10]",
    );
    const gone = sequential();
    gone.dispose();
    await expectThrowsNoLeak(
      () => toNetwork(gone, { normalization: 'none' }),
      TypeError,
      'toNetwork: the model has been disposed; load it again',
    );
    const bad = await toNetwork(m, { normalization: (x) => tf.slice(x, [0, 0, 0, 0], [1, 2, 2, 3]) });
    const zeros = tf.zeros([16, 16, 3]);
    await expectThrowsNoLeak(
      () => activations(bad, zeros, 'c1'),
      TypeError,
      /^activations: \S+ could not compute 'c1': the normalization function must return a live tensor of the shape it was given \[1, 16, 16, 3\], got rank 4 \[1, 2, 2, 3\] float32$/,
    );
    zeros.dispose();
  });

  it('says which part failed when the normalization function throws or returns a disposed tensor', async () => {
    const m = sequential();
    const zeros = tf.zeros([16, 16, 3]);
    const throwing = await toNetwork(m, {
      normalization: () => {
        throw new RangeError('no such scale');
      },
    });
    await expectThrowsNoLeak(
      () => activations(throwing, zeros, 'c1'),
      RangeError,
      /^activations: \S+ could not compute 'c1': the normalization function threw: no such scale$/,
    );
    const disposing = await toNetwork(m, {
      normalization: (x) => {
        const y = tf.mul(x, 1) as tf.Tensor4D;
        y.dispose();
        return y;
      },
    });
    await expectThrowsNoLeak(
      () => activations(disposing, zeros, 'c1'),
      TypeError,
      /^activations: \S+ could not compute 'c1': the normalization function must return a live tensor of the shape it was given \[1, 16, 16, 3\], got a disposed tensor$/,
    );
    zeros.dispose();
  });

  it('refuses statistics that vanish or overflow in float32, where they would give NaN or Infinity', async () => {
    const m = sequential();
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zscore', mean: 0, standardDeviation: 1e-50 }),
      RangeError,
      "toNetwork: expected 'options.standardDeviation' to be positive finite numbers, also as float32, got 1e-50 (number)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zerocenter', mean: [0, 1e39, 0] }),
      RangeError,
      "toNetwork: expected 'options.mean' to be finite numbers, also as float32, got [0, 1e+39, 0] (array of length 3)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: { type: 'rescale-zero-one', min: [0, 0, 0], max: [1e-50, 1, 1] } }),
      RangeError,
      "toNetwork: expected 'options.normalization.max' to be values above min, also as float32 (0 for channel 0), got [1e-50, 1, 1] (array of length 3)",
    );
  });

  it("refuses statistics that take pixels past float32's range once normalized (wasm answered in silence)", async () => {
    // A standard deviation of 1e-40 takes a pixel of 255 to 2.6e42: the network computes Infinity and NaN, and on
    // wasm a convolution's fused ReLU turned them into zeros, so classify ranked three equal finite scores.
    const m = sequential();
    const past = (what: string, values: string, to: string, pixel = 255) =>
      `toNetwork: normalization '${what}' (${values} for channel 0) takes pixel value ${pixel} to ${to}, past ` +
      "float32's range (about 3.4e38), and the network would compute Infinity and NaN; every value an int32 image " +
      'holds (up to ±2^31) must stay finite once normalized';
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zscore', mean: 0, standardDeviation: 1e-40 }),
      RangeError,
      past('zscore', 'mean 0, standardDeviation 1e-40', '2.55e+42'),
    );
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'rescale-symmetric', min: 0, max: 1e-40 }),
      RangeError,
      past('rescale-symmetric', 'min 0, max 1e-40', '2.55e+42'),
    );
    // 255 stays finite, the largest int32 value does not.
    await expectThrowsNoLeak(
      () => toNetwork(m, { normalization: 'zscore', mean: 0, standardDeviation: 1e-35 }),
      RangeError,
      past('zscore', 'mean 0, standardDeviation 1e-35', '2.15e+44', 2 ** 31),
    );
    // A float32 image can hold more: its least and greatest pixels are checked with the image's other checks.
    const net = await toNetwork(m, { normalization: 'zscore', mean: -2e38, standardDeviation: 1 });
    const img = tf.tensor3d(
      Array.from({ length: 16 * 16 * 3 }, (_, i) => (i === 7 ? 2e38 : 100)),
      [16, 16, 3],
    );
    const huge =
      "the network's normalization 'zscore' (mean -2e+38, standardDeviation 1 for channel 0) takes the pixel " +
      "value 2e+38 of 'img' to Infinity, past float32's range (about 3.4e38), and the network " +
      'would compute Infinity and NaN';
    await expectThrowsNoLeak(() => classify(net, img), RangeError, `classify: ${huge}`);
    await expectThrowsNoLeak(() => gradCAM(net, img, 0), RangeError, `gradCAM: ${huge}`);
    if (BACKEND !== 'webgpu') {
      await expectThrowsNoLeak(() => activations(net, img, 'c1'), RangeError, `activations: ${huge}`);
    }
    // Where nothing is read back (nonFinite 'nan', WebGPU's default), the image's activations all come out NaN, as
    // for a NaN pixel, where the backends' ReLU and pooling would have made some of them finite.
    const poisoned = await expectNoLeak(() => activations(net, img, 'p1', { nonFinite: 'nan' }), 1);
    expect(Array.from(await poisoned.data()).every(Number.isNaN)).toBe(true);
    poisoned.dispose();
    // Under an everyday normalization the same poisoning leaves a finite image's activations as they are.
    const ones = tf.onesLike(img);
    const usual = await toNetwork(m, { normalization: 'zscore', mean: 100, standardDeviation: 50 });
    const fine = activations(usual, ones, 'p1', { nonFinite: 'nan' });
    expect(Array.from(await fine.data()).every(Number.isFinite)).toBe(true);
    fine.dispose();
    await expectThrowsNoLeak(
      () => occlusionSensitivity(net, ones, 0, { maskValue: 2e38 }),
      RangeError,
      "occlusionSensitivity: expected 'options.maskValue' to be values that the network's normalization keeps " +
        "within float32's range (2e+38 becomes Infinity in channel 0), got 2e+38 (number)",
    );
    tf.dispose([img, ones]);
    net.dispose();
    usual.dispose();
  });

  it("takes a name given to two classes (ImageNet lists have 'crane' twice), and refuses to guess which one", async () => {
    const net = await toNetwork(sequential(), { normalization: 'none', classNames: ['crane', 'heron', 'crane'] });
    const { raw, scaled } = image(16, 16, 4);
    expect((await classify(net, raw, 3)).map((c) => c.label).sort()).toEqual(['crane', 'crane', 'heron']);
    const twice =
      'expected \'classOrLabel\' to name one class, got "crane" (string), the name of classes 0 and 2; pass the index';
    await expectThrowsNoLeak(() => gradCAM(net, raw, 'crane'), RangeError, `gradCAM: ${twice}`);
    await expectThrowsNoLeak(
      () => occlusionSensitivity(net, raw, 'crane'),
      RangeError,
      `occlusionSensitivity: ${twice}`,
    );
    const cam = await gradCAM(net, raw, 2);
    expect(cam.map.shape).toEqual([16, 16]);
    tf.dispose([raw, scaled, cam.map]);
    net.dispose();
  });

  it('a LayersModel passed where a Network is expected says to make it one', async () => {
    const m = sequential();
    const zeros = tf.zeros([16, 16, 3]);
    await expectThrowsNoLeak(
      () => activations(m as unknown as Network, zeros, 'c1'),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got a tf.LayersModel; make it a Network first with toNetwork(model, { normalization: ... }), which gives its layers their Keras names",
    );
    zeros.dispose();
  });

  it('a normalization function is applied to the raw pixels', async () => {
    const m = sequential();
    const byFn = await toNetwork(m, { normalization: (x) => tf.sub(tf.div(x, 127.5), 1) });
    const byName = await toNetwork(m, { normalization: 'rescale-symmetric' });
    const { raw, scaled } = image(16, 16, 9);
    const [a, b] = [activations(byFn, raw, 'out'), activations(byName, raw, 'out')];
    expect(await maxAbsDiff(a, b)).toBeLessThanOrEqual(1e-6);
    expect(byFn.normalization.type).toBe('function');
    tf.dispose([a, b, raw, scaled]);
  });
});

describe("activations: MATLAB's OutputAs and MiniBatchSize on any network", () => {
  it("'rows' and 'columns' flatten in MATLAB's order; chunks give the same numbers as one pass", async () => {
    const m = sequential();
    const net = await toNetwork(m, { normalization: 'rescale-symmetric' });
    const batch = tf.tidy(() => tf.round(tf.randomUniform([5, 16, 16, 3], 0, 255, 'float32', 11)));
    const whole = activations(net, batch, ['p1', 'out']);
    const fractions: number[] = [];
    const chunked = await expectNoLeak(
      () => activations(net, batch, ['p1', 'out'], { miniBatchSize: 2, onProgress: (f) => fractions.push(f) }),
      2,
    );
    expect(fractions).toEqual([0.4, 0.8, 1]);
    for (let i = 0; i < 2; i++) expect(await maxAbsDiff(whole[i], chunked[i])).toBeLessThanOrEqual(1e-6);
    const rows = activations(net, batch, 'p1', { outputAs: 'rows' });
    const cols = activations(net, batch, 'p1', { outputAs: 'columns' });
    expect(rows.shape).toEqual([5, 8 * 8 * 4]);
    expect(cols.shape).toEqual([8 * 8 * 4, 5]);
    // MATLAB's element k+1 of row j is act(y, x, c, j) with k = y + 8·x + 64·c.
    const [r, a] = [await rows.array(), (await whole[0].array()) as number[][][][]];
    for (const [y, x, c] of [
      [0, 0, 0],
      [3, 1, 0],
      [2, 5, 3],
      [7, 7, 1],
    ]) {
      expect((r as number[][])[4][y + 8 * x + 64 * c]).toBe(a[4][y][x][c]);
    }
    const one = activations(net, tf.zeros([16, 16, 3]), 'out', { outputAs: 'rows' });
    expect(one.shape).toEqual([1, 3]);
    await expectThrowsNoLeak(
      () => activations(net, batch, 'p1', { outputAs: 'matrix' as never }),
      RangeError,
      /^activations: expected 'options.outputAs' to be one of 'channels', 'rows', 'columns'/,
    );
    await expectThrowsNoLeak(
      () => activations(net, batch, 'p1', { onProgress: 1 as never }),
      TypeError,
      "activations: expected 'options.onProgress' to be a function (fraction: number) => void, got 1 (number)",
    );
    await expectThrowsNoLeak(
      () => activations(net, batch, 'p1', { miniBatchSize: 0 }),
      RangeError,
      "activations: expected 'options.miniBatchSize' to be an integer >= 1, got 0 (number)",
    );
    tf.dispose([batch, ...whole, ...chunked, rows, cols, one]);
    net.dispose();
  });

  it('chunks a batch to fit limits.maxElements unless told; the results must fit it whole', async () => {
    const m = sequential();
    const net = await toNetwork(m, { normalization: 'rescale-symmetric' });
    const batch = tf.tidy(() => tf.round(tf.randomUniform([5, 16, 16, 3], 0, 255, 'float32', 12)));
    const whole = activations(net, batch, 'out');
    // c1's 16×16×4 = 1,024 elements an image is the largest tensor of a pass: 2 images fit in 2,048.
    const before = setLimits({ maxElements: 2048 });
    try {
      const fractions: number[] = [];
      const chunked = await expectNoLeak(
        () => activations(net, batch, 'out', { onProgress: (f) => fractions.push(f) }),
        1,
      );
      expect(fractions).toEqual([0.4, 0.8, 1]);
      expect(await maxAbsDiff(whole, chunked)).toBeLessThanOrEqual(1e-6);
      chunked.dispose();
      await expectThrowsNoLeak(
        () => activations(net, batch, 'out', { miniBatchSize: 3 }),
        RangeError,
        "activations: expected 'options.miniBatchSize' to be at most 2 for a 16×16 image (a larger mini-batch of images exceeds limits.maxElements; raise it with setLimits), got 3 (number)",
      );
      await expectThrowsNoLeak(
        () => activations(net, batch, 'c1'),
        RangeError,
        "activations: 'img' asks for layer 'c1' for all 5 images of 5,120 elements [5, 16, 16, 4] (0.0 MiB as float32); the limit is 2,048 elements (limits.maxElements; raise it with setLimits)",
      );
    } finally {
      setLimits(before);
    }
    tf.dispose([batch, whole]);
    net.dispose();
  });
});
