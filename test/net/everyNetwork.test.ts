/**
 * One suite, three kinds of network: the built-in SqueezeNet, a converted TensorFlow graph (nsfwjs's MobileNetV2
 * "mid") and a Keras model (nsfwjs's MobileNetV2). The same questions to each: layers by name, index and full node
 * name, one pass for several layers, batches, gray images, other sizes and `resize`, sizes checked before anything
 * runs, analyzeNetwork agreeing with what activations returns, classify, gradCAM and gradientAttribution (gradients
 * through each kind, guided backpropagation through each kind's ReLUs),
 * learnables, the dispose guard, no leaks.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NSFW_CLASSES, thirdPartyHandler } from '../../examples/your-model/nsfwjsModels.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { gradientAttribution } from '../../src/interpret/gradientAttribution.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { classify } from '../../src/net/classify.js';
import { layerShapes, minimumInputSize } from '../../src/net/layerShapes.js';
import { learnables } from '../../src/net/learnables.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

interface Kind {
  name: string;
  load(): Promise<Network>;
  /** A spatial layer in the middle of the network. */
  middle: string;
}

const KINDS: Kind[] = [
  { name: 'built-in SqueezeNet', load: () => squeezenet(), middle: 'fire4-concat' },
  {
    name: 'GraphModel (nsfwjs MobileNetV2 mid)',
    load: async () =>
      toNetwork(await loadGraphModel(await thirdPartyHandler('mobilenet_v2_mid')), {
        normalization: 'rescale-zero-one',
        classNames: NSFW_CLASSES,
      }),
    middle: 'keras_layer/MobilenetV2/expanded_conv_3/expand/Relu6',
  },
  {
    name: 'LayersModel (nsfwjs MobileNetV2)',
    load: async () =>
      toNetwork(await loadLayersModel(await thirdPartyHandler('mobilenet_v2')), {
        normalization: 'rescale-zero-one',
        classNames: NSFW_CLASSES,
      }),
    middle: 'block_3_expand_relu',
  },
];

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

let face: tf.Tensor3D;
beforeAll(() => {
  face = readSharedPng('face.png');
});
afterAll(() => face.dispose());

for (const kind of KINDS) {
  describe(`every network: ${kind.name}`, () => {
    let net: Network;
    let img: tf.Tensor3D;
    beforeAll(async () => {
      net = await kind.load();
      const [h, w] = net.inputSize;
      img = tf.tidy(() => tf.cast(tf.image.resizeBilinear(face, [h, w]), 'int32'));
    });
    afterAll(() => {
      img.dispose();
      net.dispose();
    });

    it('reads a layer by name, 0-based index and node name, several in one pass, the same numbers each way', async () => {
      const index = net.layerNames.indexOf(kind.middle);
      const layer = net.layers[index];
      expect(layer.index).toBe(index);
      expect(layer.matlabIndex).toBe(index + 1);
      const [byName, byIndex, byNode] = await expectNoLeak(
        () => activations(net, img, [kind.middle, index, layer.nodeName]),
        3,
      );
      expect(byName.shape).toEqual(layer.outputSize);
      expect(await maxAbsDiff(byName, byIndex)).toBe(0);
      expect(await maxAbsDiff(byName, byNode)).toBe(0);
      const alone = activations(net, img, kind.middle);
      expect(await maxAbsDiff(byName, alone)).toBeLessThanOrEqual(1e-5);
      tf.dispose([byName, byIndex, byNode, alone]);
    });

    it('runs a batch, and a gray image as its RGB copy', async () => {
      const gray = tf.tidy(() => tf.cast(tf.mean(tf.cast(img, 'float32'), 2, true), 'int32'));
      const rgb = tf.tidy(() => tf.tile(gray, [1, 1, 3]));
      const batch = tf.stack([img, rgb]);
      const [b, g] = [activations(net, batch, kind.middle), activations(net, gray, kind.middle)];
      const [one, two] = tf.unstack(b);
      const a = activations(net, img, kind.middle);
      expect(b.shape).toEqual([2, ...net.layers.find((l) => l.name === kind.middle)!.outputSize]);
      expect(await maxAbsDiff(one, a)).toBeLessThanOrEqual(1e-4);
      expect(await maxAbsDiff(two, g)).toBeLessThanOrEqual(1e-4);
      tf.dispose([gray, rgb, batch, b, g, one, two, a]);
    });

    it('predicts the size of every layer for another image size, as activations then gives it', async () => {
      const [h, w] = [net.inputSize[0] + 21, net.inputSize[1] + 34];
      const other = tf.zeros([h, w, 3], 'int32');
      const analysis = analyzeNetwork(net);
      expect(analysis.layers.map((l) => l.activations)).toEqual(net.layers.map((l) => [...l.outputSize]));
      const got = activations(net, other, kind.middle);
      expect(got.shape).toEqual(layerShapes(net.layers, [h, w, 3]).get(kind.middle));
      const resized = activations(net, other, kind.middle, { resize: true });
      expect(resized.shape).toEqual(net.layers.find((l) => l.name === kind.middle)!.outputSize);
      tf.dispose([other, got, resized]);
    });

    it('refuses an image too small for a layer before anything runs, and computes every size it allows', async () => {
      const [mh, mw] = minimumInputSize(net.layers, kind.middle)!;
      if (mh > 1 || mw > 1) {
        const tiny = tf.zeros([Math.max(mh - 1, 1), Math.max(mw - 1, 1), 3]);
        await expectThrowsNoLeak(
          () => activations(net, tiny, kind.middle),
          RangeError,
          `activations: expected 'img' to be at least ${mh}×${mw} pixels to compute layer '${kind.middle}' (or pass { resize: true }), got rank 3 [${tiny.shape.join(', ')}] float32`,
        );
        tiny.dispose();
      }
      // The smallest image it allows: computed, of the predicted size, never empty.
      const smallest = tf.zeros([mh, mw, 3]);
      const a = activations(net, smallest, kind.middle);
      expect(a.shape).toEqual(layerShapes(net.layers, [mh, mw, 3]).get(kind.middle));
      expect(a.size).toBeGreaterThan(0);
      tf.dispose([smallest, a]);
    });

    it('classifies: k classes, most probable first, probabilities', async () => {
      const k = Math.min(5, net.classNames.length);
      const top = await classify(net, img, k);
      expect(top).toHaveLength(k);
      for (let i = 1; i < k; i++) expect(top[i - 1].score).toBeGreaterThanOrEqual(top[i].score);
      for (const c of top) {
        expect(c.label).toBe(net.classNames[c.index]);
        expect(c.matlabIndex).toBe(c.index + 1);
        expect(c.score).toBeGreaterThanOrEqual(0);
        expect(c.score).toBeLessThanOrEqual(1);
      }
    });

    it("gives the first convolution's learnables, with the shapes analyzeNetwork lists", async () => {
      const conv = net.layers.find((l) => l.type === 'Convolution')!;
      const w = learnables(net, conv.name);
      expect(w.Weights.shape.slice(0, 2)).toEqual(conv.type === 'Convolution' ? [...conv.kernel] : []);
      const row = analyzeNetwork(net).layers[conv.index];
      expect(row.learnables.Weights).toEqual(w.Weights.shape);
      expect(Object.values(w).reduce((s, t) => s + t.size, 0)).toBe(row.numLearnables);
      tf.dispose(Object.values(w));
    });

    it('runs gradCAM with the default layers: a map of the image size, not all zero, nothing leaked', async () => {
      const [top] = await classify(net, img, 1);
      const result = await expectNoLeak(() => gradCAM(net, img, top.index), 1);
      const feature = net.layers.find((l) => l.name === result.featureLayer)!;
      expect(feature.outputSize.length).toBe(3);
      expect(Math.min(feature.outputSize[0], feature.outputSize[1])).toBeGreaterThan(1);
      const reduction = net.layers.find((l) => l.name === result.reductionLayer)!;
      expect(reduction.index).toBeGreaterThan(feature.index);
      expect(reduction.outputSize.at(-1)).toBe(net.classNames.length);
      expect(result.map.shape).toEqual(net.inputSize.slice(0, 2));
      const max = tf.max(result.map);
      expect((await max.data())[0]).toBeGreaterThan(0);
      tf.dispose([max, result.map]);
    });

    it('runs gradientAttribution, plain and guided: maps of the image size in [0, 1] that differ, nothing leaked', async () => {
      const [top] = await classify(net, img, 1);
      const plain = await expectNoLeak(() => gradientAttribution(net, img, top.index), 1);
      const guided = await expectNoLeak(
        () => gradientAttribution(net, img, top.index, { method: 'guided-backprop' }),
        1,
      );
      expect(plain.map.shape).toEqual(net.inputSize.slice(0, 2));
      const facts = tf.tidy(() =>
        tf.stack([
          tf.min(plain.map),
          tf.max(plain.map),
          tf.max(guided.map),
          tf.mean(tf.abs(tf.sub(plain.map, guided.map))),
        ]),
      );
      const [lo, hi, guidedHi, apart] = await facts.data();
      expect([lo, hi, guidedHi]).toEqual([0, 1, 1]);
      // Guiding changed the map: the ReLUs of this kind of network (layers, Keras activations, fused graph nodes)
      // took the guided rule.
      expect(apart).toBeGreaterThan(1e-3);
      tf.dispose([facts, plain.map, guided.map]);
    });

    it('says "did you mean" for a name close to several layers', async () => {
      const near = `${kind.middle}x`;
      await expectThrowsNoLeak(
        () => activations(net, img, near),
        RangeError,
        /^activations: expected 'layer' to be a layer name of .+, got ".+" \(string\); did you mean '.+'/,
      );
    });
  });
}
