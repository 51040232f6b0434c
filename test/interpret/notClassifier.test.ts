/**
 * Every function that reads a class's score from a network's output (classify, occlusionSensitivity, imageLIME,
 * gradCAM at its default reduction layer) refuses a network whose output is not one score per class.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { imageLIME } from '../../src/interpret/imageLIME.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { activations } from '../../src/net/activations.js';
import { classify } from '../../src/net/classify.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadUserGraph } from '../helpers/userGraph.js';

describe('a network that is not a classifier', () => {
  /**
   * A fully convolutional Keras model: its softmax gives 12×12 positions of 3 scores, not one score per class. Seeded
   * weights, so that every run explains the same network.
   */
  const segmenter = () => {
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    return tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [16, 16, 3],
          filters: 4,
          kernelSize: 3,
          name: 'c1',
          activation: 'relu',
          kernelInitializer: init(1),
        }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2', kernelInitializer: init(2) }),
        tfl.layers.softmax({ name: 'sm', axis: -1 }),
      ],
    });
  };

  it('is refused where a class is ranked or read from the output, before any work', async () => {
    const seg = await toNetwork(segmenter(), { normalization: 'none', classNames: ['a', 'b', 'c'], name: 'segnet' });
    const img = tf.zeros([16, 16, 3], 'int32');
    await expectThrowsNoLeak(
      () => classify(seg, img, 3),
      RangeError,
      "classify: expected 'net' to end in one score per class ([1, 1, c] or [c]), got segnet, whose output 'sm' is [12, 12, 3]",
    );
    await expectThrowsNoLeak(
      () => gradCAM(seg, img, 'a'),
      RangeError,
      "gradCAM: expected 'options.reductionLayer' to give one score per class (3 values), got 'sm' ([12, 12, 3]); reduce its output to one score per image with 'options.reductionFcn'",
    );
    // Its activations can still be read.
    const act = activations(seg, img, 'sm');
    expect(act.shape).toEqual([12, 12, 3]);
    tf.dispose([act, img]);
    seg.dispose();
  });

  it("explains a channel's total activation, as MATLAB's occlusionSensitivity and imageLIME do with channelIdx", async () => {
    const before = tf.memory().numTensors;
    const model = segmenter();
    // Pixels scaled to [0, 1]: 0..255 would saturate the softmax, and a saturated score does not move when masked.
    const normalization = 'rescale-zero-one';
    const seg = await toNetwork(model, { normalization, classNames: ['a', 'b', 'c'], name: 'segnet' });
    // The same layers ending in the mean of each channel over the 12×12 positions: the total activation / 144.
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'mean' }).apply(model.outputs[0]) as tfl.SymbolicTensor;
    const meanNet = await toNetwork(tfl.model({ inputs: model.inputs, outputs: pooled }), { normalization });
    const img = tf.randomUniform([16, 16, 3], 0, 255, 'int32', 3);
    const options = { maskSize: 6, stride: 5, outputUpsampling: 'none' } as const;
    const map = await occlusionSensitivity(seg, img, 'b', options);
    const mean = await occlusionSensitivity(meanNet, img, 1, options);
    expect(map.shape).toEqual([4, 4]);
    expect(await maxAbsDiff(map, tf.mul(mean, 144))).toBeLessThanOrEqual(1e-4);
    const lime = { numSamples: 64, numFeatures: 4, segmentation: 'grid', model: 'linear', seed: 5 } as const;
    const explained = await imageLIME(seg, img, 2, lime);
    const meanLime = await imageLIME(meanNet, img, 2, lime);
    const importance = Array.from(explained.featureImportance);
    const scaled = Array.from(meanLime.featureImportance, (v) => v * 144);
    for (let i = 0; i < importance.length; i++) expect(importance[i]).toBeCloseTo(scaled[i], 3);
    expect(importance.some((v) => v !== 0)).toBe(true);
    tf.dispose([map, mean, img, explained.scoreMap, explained.featureMap, meanLime.scoreMap, meanLime.featureMap]);
    seg.dispose();
    meanNet.dispose(); // the last model to hold the shared layers frees their weights
    expect(tf.memory().numTensors).toBe(before);
  });

  it('takes one number per image (an output of size []) as one value, class 0, as it takes an output of [1]', async () => {
    // A converted graph ending in a sum over its last axis, as a regression's graph squeezes its one output.
    const net = await toNetwork(await loadUserGraph(undefined, 'gated'), {
      normalization: 'rescale-zero-one',
      output: 'total',
    });
    expect(net.layers[net.layers.length - 1].outputSize).toEqual([]);
    const img = tf.randomUniform([32, 32, 3], 0, 255, 'int32', 4);
    const value = activations(net, img, 'total');
    const [top] = await expectNoLeak(() => classify(net, img, undefined, { softmax: false }));
    expect(top.index).toBe(0);
    expect(top.score).toBe((await value.data())[0]);
    const options = { maskSize: 8, stride: 8, outputUpsampling: 'none' } as const;
    const map = await expectNoLeak(() => occlusionSensitivity(net, img, 0, options), 1);
    expect(map.shape).toEqual([4, 4]);
    const lime = await imageLIME(net, img, 0, { numSamples: 32, numFeatures: 4, segmentation: 'grid', seed: 1 });
    expect(lime.featureImportance.some((v) => v !== 0)).toBe(true);
    const cam = await gradCAM(net, img, 0);
    expect(cam.map.shape).toEqual([32, 32]);
    // The one value is class 0: index 1 is out of range, and the message says so.
    await expectThrowsNoLeak(
      () => occlusionSensitivity(net, img, 1),
      RangeError,
      "occlusionSensitivity: expected 'classOrLabel' to be a 0-based class index in [0, 0] (the network has no class " +
        'names), got 1 (number)',
    );
    tf.dispose([img, value, map, lime.scoreMap, lime.featureMap, cam.map]);
    net.dispose();
  });
});

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  tf.dispose([d, b]);
  return v;
}
