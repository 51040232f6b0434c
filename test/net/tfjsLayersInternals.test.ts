import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  batchNormWeights,
  convolutionWeights,
  denseWeights,
  disposeLayersModel,
  loadKerasModel,
  TFJS_LAYERS_CHECKED,
} from '../../src/net/tfjsInternals.js';

// The Keras layer fields the library reads (src/net/tfjsInternals.ts): these tests fail when @tensorflow/tfjs-layers
// changes version or a field moves, so that an upgrade re-checks them instead of losing gradients through batch norms
// without a scale and the dilation of depthwise convolutions, or leaking the weights of shared layers.

const require = createRequire(import.meta.url);

describe('tfjs-layers internals the library reads', () => {
  it(`were checked against the installed @tensorflow/tfjs-layers (${TFJS_LAYERS_CHECKED})`, () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-layers/package.json'), 'utf8'));
    expect(pkg.version).toBe(TFJS_LAYERS_CHECKED);
  });

  it("disposeLayersModel reads tfjs-layers's count of a layer's calls and a model's own calls", () => {
    const before = tf.memory().numTensors;
    const x = tfl.input({ shape: [4] });
    const dense = tfl.layers.dense({ units: 4, name: 'twice' });
    const model = tfl.model({ inputs: x, outputs: dense.apply(dense.apply(x)) as tfl.SymbolicTensor });
    const fields = dense as unknown as { _refCount: number };
    expect(fields._refCount).toBe(2);
    const nodes = (model as unknown as { containerNodes: Set<string> }).containerNodes;
    expect([...nodes].filter((k) => k.startsWith('twice_ib-')).sort()).toEqual(['twice_ib-0', 'twice_ib-1']);
    disposeLayersModel(model);
    expect(fields._refCount).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('disposeLayersModel frees the models a Sequential nests, but one another live model calls', () => {
    const before = tf.memory().numTensors;
    const counted = (l: tfl.LayersModel) => (l as unknown as { _refCount: number })._refCount;
    // Teachable Machine's export: a Sequential of a base (itself a Sequential around a model) and a classifier.
    const nest = () => {
      const x = tfl.input({ shape: [4] });
      const inner = tfl.model({ inputs: x, outputs: tfl.layers.dense({ units: 3 }).apply(x) as tfl.SymbolicTensor });
      const base = tfl.sequential({ layers: [inner, tfl.layers.dense({ units: 3 })] });
      const head = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
      const whole = tfl.sequential({ layers: [base, head] });
      return { inner, base, head, whole };
    };
    // Unbuilt, and built by a prediction (a built Sequential mirrors its graph's calls, not its nested models).
    for (const built of [false, true]) {
      const a = nest();
      if (built) tf.dispose(tf.tidy(() => a.whole.predict(tf.zeros([1, 4])) as tf.Tensor));
      // A model first in a Sequential is not called (its graph is reused); the classifier is called once.
      expect([counted(a.inner), counted(a.base), counted(a.head)]).toEqual([1, 1, 2]);
      disposeLayersModel(a.whole);
      expect([counted(a.inner), counted(a.base), counted(a.head)]).toEqual([0, 0, 0]);
      expect(tf.memory().numTensors).toBe(before);
    }

    // A classifier another live model calls keeps its weights until that model goes, in either order.
    for (const otherFirst of [false, true]) {
      const b = nest();
      const x = tfl.input({ shape: [3] });
      const other = tfl.model({ inputs: x, outputs: b.head.apply(x) as tfl.SymbolicTensor });
      const weights = b.head.getWeights();
      const first = otherFirst ? other : b.whole;
      const second = otherFirst ? b.whole : other;
      disposeLayersModel(first);
      expect(weights.every((w) => !w.isDisposed)).toBe(true);
      disposeLayersModel(second);
      expect(weights.every((w) => w.isDisposed)).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it("batchNormWeights reads a batch norm's statistics, its scale and offset only where it has them", () => {
    const full = tfl.layers.batchNormalization({});
    const bare = tfl.layers.batchNormalization({ scale: false, center: false });
    for (const l of [full, bare]) l.apply(tfl.input({ shape: [4, 4, 3] }));
    const a = batchNormWeights(full)!;
    const b = batchNormWeights(bare)!;
    expect([a.gamma?.shape, a.beta?.shape, a.movingMean.shape, a.movingVariance.shape]).toEqual([[3], [3], [3], [3]]);
    expect([b.gamma, b.beta, b.movingVariance.shape]).toEqual([null, null, [3]]);
    expect(batchNormWeights(tfl.layers.dense({ units: 2 }))).toBeNull();
    tf.dispose([full, bare].flatMap((l) => l.getWeights()));
  });

  it("convolutionWeights reads each convolution's kernels, bias and activation", async () => {
    const input = tfl.input({ shape: [6, 6, 3] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' });
    const depthwise = tfl.layers.depthwiseConv2d({ kernelSize: 3, useBias: false });
    const separable = tfl.layers.separableConv2d({ filters: 5, kernelSize: 3 });
    for (const l of [conv, depthwise, separable]) l.apply(input);
    const [c, d, s] = [conv, depthwise, separable].map((l) => convolutionWeights(l)!);
    expect([c.kernel.shape, c.bias?.shape, c.pointwiseKernel]).toEqual([[3, 3, 3, 4], [4], null]);
    expect([d.kernel.shape, d.bias]).toEqual([[3, 3, 3, 1], null]);
    expect([s.kernel.shape, s.pointwiseKernel?.shape, s.bias?.shape]).toEqual([[3, 3, 3, 1], [1, 1, 3, 5], [5]]);
    const x = tf.tensor1d([-1, 2]);
    const y = c.activation!.apply(x);
    expect(Array.from(await y.data())).toEqual([0, 2]);
    expect(convolutionWeights(tfl.layers.dense({ units: 2 }))).toBeNull();
    tf.dispose([x, y]);
  });

  it("denseWeights reads a dense layer's kernel, bias and activation", async () => {
    const dense = tfl.layers.dense({ units: 3, activation: 'relu' });
    const bare = tfl.layers.dense({ units: 2, useBias: false });
    for (const l of [dense, bare]) l.apply(tfl.input({ shape: [4] }));
    const [d, b] = [dense, bare].map((l) => denseWeights(l)!);
    expect([d.kernel.shape, d.bias?.shape, b.kernel.shape, b.bias]).toEqual([[4, 3], [3], [4, 2], null]);
    const x = tf.tensor1d([-1, 2]);
    const y = d.activation!.apply(x);
    expect(Array.from(await y.data())).toEqual([0, 2]);
    expect(denseWeights(tfl.layers.conv2d({ filters: 2, kernelSize: 1 }))).toBeNull();
    tf.dispose([x, y, ...[dense, bare].flatMap((l) => l.getWeights())]);
  });

  it('loadLayersModel reads weightData first to choose zeros over initializers, then to load (loadKerasModel)', async () => {
    const made = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    let saved: tf.io.ModelArtifacts | undefined;
    await made.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    made.dispose();
    const artifacts = saved!;
    let reads = 0;
    const counted = { ...artifacts };
    Object.defineProperty(counted, 'weightData', {
      get: () => {
        reads++;
        return artifacts.weightData;
      },
    });
    (await tfl.loadLayersModel({ load: async () => counted })).dispose();
    // To choose zeros over the initializers, to decide to load weights, to decode them.
    expect(reads).toBe(3);
    // loadKerasModel: the same, its weights loaded by the library.
    const before = tf.memory().numTensors;
    const model = await loadKerasModel(tfl, artifacts, () => new Error('no mismatch here'));
    const values = new Float32Array(artifacts.weightData as ArrayBuffer);
    const got = await Promise.all(model.getWeights().map((w) => w.data()));
    expect(got.flatMap((d) => Array.from(d))).toEqual(Array.from(values));
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("loadKerasModel frees the variables of a model tfjs-layers fails to make, and no one else's", async () => {
    // A dense layer makes its kernel and bias, then a convolution of its 1-D output cannot be built and throws:
    // tfjs-layers kept both.
    const other = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'kept' })] });
    const topology = {
      class_name: 'Sequential',
      config: {
        name: 'broken',
        layers: [
          { class_name: 'Dense', config: { name: 'dense', units: 2, batch_input_shape: [null, 3] } },
          { class_name: 'Conv2D', config: { name: 'conv', filters: 1, kernel_size: [1, 1] } },
        ],
      },
      keras_version: '2.15.0',
    };
    const artifacts: tf.io.ModelArtifacts = {
      modelTopology: topology,
      weightSpecs: [
        { name: 'dense/kernel', shape: [3, 2], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
      weightData: new Float32Array(8).buffer,
    };
    const before = tf.memory().numTensors;
    await expect(
      loadKerasModel(tfl, artifacts, () => new Error('no mismatch here'), new Set(['dense', 'conv'])),
    ).rejects.toThrow();
    expect(tf.memory().numTensors).toBe(before);
    // The model made before keeps its weights.
    const y = other.predict(tf.ones([1, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 2]);
    tf.dispose(y);
    other.dispose();
  });
});
