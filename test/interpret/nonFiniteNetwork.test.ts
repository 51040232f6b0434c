/**
 * A network that computes NaN or Infinity from finite pixels (a weight file holding NaN or ±Infinity, weights so large
 * that a sum overflows float32): every function that ranks or explains its scores refuses it, naming the layer where
 * there is one, rather than ranking NaN scores in index order or drawing a map of nothing; NaN put into a Keras model's
 * weights after it was made a network is seen too.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { gradientAttribution } from '../../src/interpret/gradientAttribution.js';
import { imageLIME } from '../../src/interpret/imageLIME.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { setLimits } from '../../src/internal/limits.js';
import { classify } from '../../src/net/classify.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { activations } from '../../src/net/activations.js';
import { learnables } from '../../src/net/learnables.js';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

/** conv 3×3 (ReLU) → global average pooling → dense softmax over 3 classes, on 16×16 RGB. */
const threeClasses = () =>
  tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, name: 'c1', activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 3, name: 'fc', activation: 'softmax' }),
    ],
  });

/**
 * {@link threeClasses} made a network, `c1`'s kernel all `w`, but for the values `at` gives (at the flat index of the
 * kernel `[3, 3, 3, 4]`).
 */
async function classifier(w: number, at: Record<number, number> = {}): Promise<Network> {
  const model = threeClasses();
  // setWeights copies the values; getWeights gives the layer's own tensors, which stay.
  const c1 = model.getLayer('c1');
  const values = new Float32Array(108).fill(w);
  for (const [k, v] of Object.entries(at)) values[Number(k)] = v;
  const kernel = tf.tensor4d(values, [3, 3, 3, 4]);
  c1.setWeights([kernel, c1.getWeights()[1]]);
  const fc = model.getLayer('fc');
  const dense = tf.tensor2d([1, -1, 0.5, -0.5, 2, 0, 0, 1, -2, 1, 1, 1], [4, 3]);
  fc.setWeights([dense, fc.getWeights()[1]]);
  tf.dispose([kernel, dense]);
  return toNetwork(model, { normalization: 'none', classNames: ['a', 'b', 'c'], name: `w${w}` });
}

describe('a network that computes NaN or Infinity from finite pixels', () => {
  let poisoned: Network;
  let overflowing: Network;
  let img: tf.Tensor3D;
  beforeAll(async () => {
    poisoned = await classifier(Number.NaN);
    overflowing = await classifier(3e38);
    img = tf.randomUniform([16, 16, 3], 1, 255, 'int32', 7) as tf.Tensor3D;
  });
  afterAll(() => {
    poisoned.dispose();
    overflowing.dispose();
    img.dispose();
  });

  const overflow =
    ": the network's learnables are finite, so a layer computed it from finite values: a value passed float32's " +
    'range (about 3.4e38), or something undefined (0 / 0, the logarithm or square root of a negative number)';
  // Where the function has an image that gives the non-finite value, it runs it to find the layer.
  const startsAt = (layer: string, index: number, type: string) =>
    ": the network's learnables are finite, and the first layer whose output for this image holds NaN or Infinity is " +
    `'${layer}' (index ${index}, ${type}), from finite inputs: a value passed float32's range (about 3.4e38) there, ` +
    'or it computed something undefined (0 / 0, the logarithm or square root of a negative number); ' +
    `activations(net, img, '${layer}') shows it`;

  it('classify refuses to rank NaN scores, naming the layer or the overflow', async () => {
    const what =
      "classify: the network's output for this image is not finite (NaN or Infinity in 3 of its 3 values), " +
      'so its classes cannot be ranked';
    await expectThrowsNoLeak(() => classify(overflowing, img, 3), Error, what + startsAt('c1', 1, 'Convolution'));
    // Not where every layer's output together passes maxElements (1,562 values here): the message without the layer.
    const before = setLimits({ maxElements: 1000 });
    try {
      await expectThrowsNoLeak(() => classify(overflowing, img, 3), Error, what + overflow);
    } finally {
      setLimits(before);
    }
  });

  it('occlusionSensitivity and imageLIME refuse non-finite scores instead of a map of NaN or of zeros', async () => {
    const occlusion = "occlusionSensitivity: the network's score of class 1 is not finite for the image";
    await expectThrowsNoLeak(
      () => occlusionSensitivity(overflowing, img, 'b', { maskSize: 8, stride: 4 }),
      Error,
      occlusion + startsAt('c1', 1, 'Convolution'),
    );
    const lime = "imageLIME: the network's score of class 2 is not finite for 32 of the 32 samples";
    const options = { numSamples: 32, segmentation: 'grid', numFeatures: 4 } as const;
    await expectThrowsNoLeak(() => imageLIME(overflowing, img, 'c', options), Error, lime + overflow);
  });

  it('gradCAM, gradientAttribution and deepDreamImage refuse non-finite gradients', async () => {
    const cam =
      "gradCAM: the gradients of the reduction layer 'fc' or the activations of the feature layer 'c1' are " +
      'not finite for this image';
    await expectThrowsNoLeak(() => gradCAM(overflowing, img, 0), Error, cam + startsAt('c1', 1, 'Convolution'));
    const pixels =
      "gradientAttribution: the scores of the reduction layer 'fc' or their gradient with respect to the image are not finite";
    for (const method of ['autodiff', 'guided-backprop'] as const) {
      await expectThrowsNoLeak(
        () => gradientAttribution(overflowing, img, 0, { method }),
        Error,
        pixels + startsAt('c1', 1, 'Convolution'),
      );
    }
    const dream =
      "deepDreamImage: the gradients of layer 'fc' with respect to the image are not finite, so the " +
      'images hold NaN';
    const options = { numIterations: 1, pyramidLevels: 1 };
    await expectThrowsNoLeak(() => deepDreamImage(overflowing, 'fc', 0, options), Error, dream + overflow);
  });

  const held = "the layer 'c1' (index 1) holds NaN in its Weights (108 of 108 values)";
  const refusal = (fn: string) =>
    `${fn}: ${held}: such a network computes NaN, of which no score or map can be made, and the wasm, WebGL and ` +
    'WebGPU backends turn NaN into finite numbers in places (a fused ReLU gives 0), so its scores would look ' +
    'sound; fix or retrain the model, and see where the NaN goes with activations on the cpu backend';

  it('refuses a network whose learnables hold NaN before any work, on every backend, naming the tensor', async () => {
    // Found when the network was made. On wasm a converted graph's convolution with a fused ReLU turns NaN into 0,
    // and such a network gave confident scores there.
    await expectThrowsNoLeak(() => classify(poisoned, img, 3), Error, refusal('classify'));
    const small = { maskSize: 8, stride: 4 };
    await expectThrowsNoLeak(
      () => occlusionSensitivity(poisoned, img, 1, small),
      Error,
      refusal('occlusionSensitivity'),
    );
    const lime = { numSamples: 32, segmentation: 'grid', numFeatures: 4 } as const;
    await expectThrowsNoLeak(() => imageLIME(poisoned, img, 2, lime), Error, refusal('imageLIME'));
    await expectThrowsNoLeak(() => gradCAM(poisoned, img, 0), Error, refusal('gradCAM'));
    await expectThrowsNoLeak(() => gradientAttribution(poisoned, img, 0), Error, refusal('gradientAttribution'));
    const dream = { numIterations: 1, pyramidLevels: 1 };
    await expectThrowsNoLeak(() => deepDreamImage(poisoned, 'gap', 0, dream), Error, refusal('deepDreamImage'));
    // Activations show what the backend computes: NaN on cpu; elsewhere, where NaN can turn finite, refused for a
    // layer computed from that one, and given for one that is not.
    if (BACKEND === 'cpu') {
      const a = await expectNoLeak(() => activations(poisoned, img, 'gap'), 1);
      expect(Array.from(await a.data()).every(Number.isNaN)).toBe(true);
      a.dispose();
    } else {
      await expectThrowsNoLeak(
        () => activations(poisoned, img, 'gap'),
        Error,
        `activations: ${held}, and the ${BACKEND} backend turns NaN into finite numbers in places (a fused ReLU ` +
          "gives 0), so these activations would not be what the network computes; the cpu backend keeps NaN: initBackend({ backend: 'cpu' })",
      );
    }
    const input = activations(poisoned, img, 0);
    expect(input.shape).toEqual([16, 16, 3]);
    input.dispose();
  });

  it('sees NaN put into a Keras model after it was made a network (setWeights, or training that diverged)', async () => {
    const model = threeClasses();
    const net = await toNetwork(model, { normalization: 'none', classNames: ['a', 'b', 'c'] });
    const c1 = model.getLayer('c1');
    const setKernel = (v: number) => {
      const kernel = tf.fill(c1.getWeights()[0].shape, v);
      c1.setWeights([kernel, c1.getWeights()[1]]);
      kernel.dispose();
    };
    expect(await classify(net, img, 3)).toHaveLength(3);
    setKernel(Number.NaN);
    // activations reads the replaced weights at once where the backend reads synchronously (not WebGPU in Node.js).
    if (BACKEND === 'cpu') {
      const a = activations(net, img, 'gap');
      expect(Array.from(await a.data()).every(Number.isNaN)).toBe(true);
      a.dispose();
    } else if (BACKEND !== 'webgpu') {
      expect(() => activations(net, img, 'gap')).toThrow(`activations: ${held}, and the ${BACKEND} backend`);
    }
    await expectThrowsNoLeak(() => classify(net, img, 3), Error, refusal('classify'));
    await expectThrowsNoLeak(() => gradCAM(net, img, 0), Error, refusal('gradCAM'));
    if (BACKEND !== 'cpu') {
      expect(() => activations(net, img, 'gap')).toThrow(`activations: ${held}, and the ${BACKEND} backend`);
    }
    // Finite again: scanned again, and answered.
    setKernel(0.01);
    expect(await classify(net, img, 3)).toHaveLength(3);
    net.dispose();
  });

  it('refuses activations by the NaN weights they are computed from, not by the first in the table', async () => {
    // Two branches, each a convolution whose kernel is NaN: the second branch's pooling is computed from the second
    // convolution only, and the first convolution's NaN does not reach it.
    const x = tfl.input({ shape: [16, 16, 3] });
    const branch = (name: string) => {
      const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: `c${name}` }).apply(x) as tfl.SymbolicTensor;
      return tfl.layers.globalAveragePooling2d({ name: `p${name}` }).apply(conv) as tfl.SymbolicTensor;
    };
    const joined = tfl.layers.concatenate({ name: 'both' }).apply([branch('a'), branch('b')]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: joined });
    for (const name of ['ca', 'cb']) {
      const layer = model.getLayer(name);
      const kernel = tf.fill(layer.getWeights()[0].shape, Number.NaN);
      layer.setWeights([kernel, layer.getWeights()[1]]);
      kernel.dispose();
    }
    const net = await toNetwork(model, { normalization: 'none' });
    if (BACKEND === 'cpu') {
      const pb = activations(net, img, 'pb');
      expect(Array.from(await pb.data()).every(Number.isNaN)).toBe(true);
      pb.dispose();
    } else {
      expect(() => activations(net, img, 'pb')).toThrow(
        `activations: the layer 'cb' (index ${net.layerNames.indexOf('cb')}) holds NaN in its Weights (54 of 54 values)`,
      );
    }
    net.dispose();
  });

  it('names the first layer that computes NaN from finite inputs: a custom layer taking a logarithm', async () => {
    class Log extends tfl.layers.Layer {
      static readonly className = 'TestLogOfInput';
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.log(Array.isArray(x) ? x[0] : x);
      }
    }
    const x = tfl.input({ shape: [16, 16, 3], name: 'pixels' });
    const centred = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'centre', biasInitializer: 'ones' }).apply(x);
    const logs = new Log({ name: 'log' }).apply(centred);
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(logs);
    const y = tfl.layers.dense({ units: 3, name: 'fc', activation: 'softmax' }).apply(pooled);
    const model = tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor });
    // Every pixel's value minus 128 (plus the bias of 1): negative for a dark pixel, whose logarithm is NaN.
    const c = model.getLayer('centre');
    const kernel = tf.tensor4d([1, 0, 0, 0, 0, 0], [1, 1, 3, 2]);
    const bias = tf.tensor1d([-128, 1]);
    c.setWeights([kernel, bias]);
    tf.dispose([kernel, bias]);
    const net = await toNetwork(model, { normalization: 'none', classNames: ['a', 'b', 'c'] });
    const what =
      "classify: the network's output for this image is not finite (NaN or Infinity in 3 of its 3 values), " +
      'so its classes cannot be ranked';
    await expectThrowsNoLeak(() => classify(net, img, 3), Error, what + startsAt('log', 2, 'Other'));
    net.dispose();
  });

  it('refuses ±Infinity in learnables as it refuses NaN: it makes NaN, which wasm turned into confident scores', async () => {
    // Filter 0 weighs one pixel by +Infinity and another by -Infinity: Infinity minus Infinity is NaN at every
    // position (the pixels are positive). The fused ReLU of wasm's convolution turned that NaN into 0, and classify
    // ranked three finite scores there, where cpu computes NaN.
    const net = await classifier(0.01, { 0: Number.POSITIVE_INFINITY, 52: Number.NEGATIVE_INFINITY });
    const holds = "the layer 'c1' (index 1) holds ±Infinity in its Weights (2 of 108 values)";
    const makes = 'NaN (Infinity times 0, Infinity minus Infinity)';
    const answer = (fn: string, held = holds) =>
      `${fn}: ${held}: such a network computes ${makes}, of which no score or map can be made, and the wasm, WebGL ` +
      'and WebGPU backends turn NaN into finite numbers in places (a fused ReLU gives 0), so its scores would look ' +
      'sound; fix or retrain the model, and see where the NaN goes with activations on the cpu backend';
    await expectThrowsNoLeak(() => classify(net, img, 3), Error, answer('classify'));
    await expectThrowsNoLeak(() => gradCAM(net, img, 0), Error, answer('gradCAM'));
    const small = { maskSize: 8, stride: 4 };
    await expectThrowsNoLeak(() => occlusionSensitivity(net, img, 1, small), Error, answer('occlusionSensitivity'));
    const lime = { numSamples: 32, segmentation: 'grid', numFeatures: 4 } as const;
    await expectThrowsNoLeak(() => imageLIME(net, img, 2, lime), Error, answer('imageLIME'));
    const dream = { numIterations: 1, pyramidLevels: 1 };
    await expectThrowsNoLeak(() => deepDreamImage(net, 'gap', 0, dream), Error, answer('deepDreamImage'));
    if (BACKEND === 'cpu') {
      const a = await expectNoLeak(() => activations(net, img, 'c1'), 1);
      const values = Array.from(await a.data());
      expect(values.filter((_, k) => k % 4 === 0).every(Number.isNaN)).toBe(true);
      a.dispose();
    } else if (BACKEND !== 'webgpu') {
      expect(() => activations(net, img, 'c1')).toThrow(
        `activations: ${holds}, from which it computes ${makes}, and the ${BACKEND} backend turns NaN into finite ` +
          'numbers in places (a fused ReLU gives 0), so these activations would not be what the network computes',
      );
    }
    net.dispose();
    // Both kinds in one tensor: each counted.
    const both = await classifier(0.01, { 0: Number.NaN, 1: Number.NaN, 52: Number.NEGATIVE_INFINITY });
    await expectThrowsNoLeak(
      () => classify(both, img, 3),
      Error,
      answer('classify', "the layer 'c1' (index 1) holds NaN and ±Infinity in its Weights (2 and 1 of 108 values)"),
    );
    both.dispose();
  });

  it('leaves ±Infinity in a layer that does not multiply: a bound held on purpose', async () => {
    // A custom layer whose weight is a per-channel lower bound of -Infinity (no bound): max(x, -Infinity) is x.
    class Floor extends tfl.layers.Layer {
      static readonly className = 'TestFloorOfChannels';
      private bound!: tfl.LayerVariable;
      override build(shape: (number | null)[] | (number | null)[][]): void {
        const c = (shape as number[])[3];
        this.bound = this.addWeight(
          'bound',
          [c],
          'float32',
          tfl.initializers.constant({ value: Number.NEGATIVE_INFINITY }),
        );
        this.built = true;
      }
      override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.maximum(Array.isArray(x) ? x[0] : x, this.bound.read());
      }
    }
    const x = tfl.input({ shape: [16, 16, 3] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, name: 'c1' }).apply(x);
    const floored = new Floor({ name: 'floor' }).apply(conv);
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(floored);
    const y = tfl.layers.dense({ units: 3, name: 'fc', activation: 'softmax' }).apply(pooled);
    const net = await toNetwork(tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor }), { normalization: 'none' });
    expect(Object.keys(learnables(net, 'floor'))).toHaveLength(1);
    const top = await classify(net, img, 3);
    expect(top.every((c) => Number.isFinite(c.score))).toBe(true);
    const a = activations(net, img, 'gap');
    expect(Array.from(await a.data()).every(Number.isFinite)).toBe(true);
    a.dispose();
    net.dispose();
  });

  it('the same network with finite weights of a usual size runs', async () => {
    const net = await classifier(0.01);
    const top = await classify(net, img, 3);
    expect(top.every((c) => Number.isFinite(c.score))).toBe(true);
    const { map } = await gradCAM(net, img, top[0].index);
    expect(map.shape).toEqual([16, 16]);
    map.dispose();
    net.dispose();
  });
});

describe('a normalization function that computes NaN from finite pixels', () => {
  // Per-image standardization, as some models are trained: 0 / 0 for an image of one colour.
  const standardize = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, [1, 2, 3], true);
      return tf.div(tf.sub(x, mean), tf.sqrt(variance)) as tf.Tensor4D;
    });
  let net: Network;
  let flat: tf.Tensor3D;
  let textured: tf.Tensor3D;
  beforeAll(async () => {
    // conv (ReLU) → max pooling → global average → softmax: the kernels wasm turns NaN into numbers with.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, name: 'c1', activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }),
        tfl.layers.globalAveragePooling2d({ name: 'gap' }),
        tfl.layers.dense({ units: 3, name: 'fc', activation: 'softmax' }),
      ],
    });
    net = await toNetwork(model, {
      normalization: { type: 'function', fn: standardize },
      classNames: ['a', 'b', 'c'],
    });
    flat = tf.fill([16, 16, 3], 120, 'int32') as tf.Tensor3D;
    textured = tf.randomUniform([16, 16, 3], 0, 255, 'int32', 3) as tf.Tensor3D;
  });
  afterAll(() => {
    net.dispose();
    tf.dispose([flat, textured]);
  });

  const refusal = (fn: string, at: string, arg = 'img') =>
    `${fn}: the network's normalization function turns the pixels of '${arg}' into NaN at [${at}], and the network ` +
    'would compute with it: some backends carry NaN through its layers, others turn it into finite numbers without a ' +
    "sign. A function that divides by the image's own standard deviation does this for an image of one colour; keep " +
    'its results finite (tf.maximum of the divisor and a small number)';

  it('classify and every method refuse it on every backend, rather than ranking or explaining numbers made of NaN', async () => {
    await expectThrowsNoLeak(() => classify(net, flat), RangeError, refusal('classify', '0, 0, 0'));
    await expectThrowsNoLeak(() => gradCAM(net, flat, 0), RangeError, refusal('gradCAM', '0, 0, 0'));
    await expectThrowsNoLeak(
      () => gradientAttribution(net, flat, 0),
      RangeError,
      refusal('gradientAttribution', '0, 0, 0'),
    );
    const occlusion = () => occlusionSensitivity(net, flat, 0, { maskSize: 8, stride: 8 });
    await expectThrowsNoLeak(occlusion, RangeError, refusal('occlusionSensitivity', '0, 0, 0'));
    const lime = () => imageLIME(net, flat, 0, { numSamples: 16, segmentation: 'grid', numFeatures: 4 });
    await expectThrowsNoLeak(lime, RangeError, refusal('imageLIME', '0, 0, 0'));
    const dream = () => deepDreamImage(net, 'fc', 0, { initialImage: flat, numIterations: 1, pyramidLevels: 1 });
    await expectThrowsNoLeak(dream, RangeError, refusal('deepDreamImage', '0, 0, 0', 'options.initialImage'));
    // The image of a batch that fails is named by its index; a float32 image is checked as an int32 one.
    const batch = tf.tidy(() => tf.cast(tf.stack([textured, flat]), 'float32'));
    const map = () => gradientAttribution(net, batch, 0);
    await expectThrowsNoLeak(map, RangeError, refusal('gradientAttribution', '1, 0, 0, 0'));
    batch.dispose();
  });

  it('activations refuse it where they check the image, and come out all NaN where they do not', async () => {
    if (BACKEND !== 'webgpu') {
      await expectThrowsNoLeak(() => activations(net, flat, 'gap'), RangeError, refusal('activations', '0, 0, 0'));
    }
    // 'nan' mode: the image's activations all NaN, also past the ReLU and the max pooling, which wasm's kernels
    // otherwise turn into 0 and -Infinity; the textured image of the batch keeps its numbers.
    const batch = tf.stack([flat, textured]);
    const [pooled, scores] = await expectNoLeak(() => activations(net, batch, ['pool', 'fc'], { nonFinite: 'nan' }), 2);
    const pool = (await pooled.data()) as Float32Array;
    const half = pool.length / 2;
    expect(pool.subarray(0, half).every(Number.isNaN)).toBe(true);
    expect(pool.subarray(half).every(Number.isFinite)).toBe(true);
    expect(Array.from(await scores.data()).map(Number.isNaN)).toEqual([true, true, true, false, false, false]);
    tf.dispose([batch, pooled, scores]);
  });

  it('runs where the function keeps the pixels finite', async () => {
    const top = await expectNoLeak(() => classify(net, textured, 3));
    expect(top.every((c) => Number.isFinite(c.score))).toBe(true);
    const a = activations(net, textured, 'gap');
    expect(Array.from(await a.data()).every(Number.isFinite)).toBe(true);
    a.dispose();
  });
});
