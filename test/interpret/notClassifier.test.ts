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
import { expectThrowsNoLeak } from '../helpers/leaks.js';

describe('a network that is not a classifier', () => {
  it('is refused by every function that reads a class score from the output, before any work', async () => {
    // A fully convolutional Keras model: its softmax gives 12×12 positions of 3 scores, not one score per class.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, name: 'c1', activation: 'relu' }),
        tfl.layers.conv2d({ filters: 3, kernelSize: 3, name: 'c2' }),
        tfl.layers.softmax({ name: 'sm', axis: -1 }),
      ],
    });
    const seg = await toNetwork(model, { normalization: 'none', classNames: ['a', 'b', 'c'], name: 'segnet' });
    const img = tf.zeros([16, 16, 3], 'int32');
    const refused = (fn: string) =>
      `${fn}: expected 'net' to end in one score per class ([1, 1, c] or [c]), got segnet, whose output 'sm' is [12, 12, 3]`;
    await expectThrowsNoLeak(() => classify(seg, img, 3), RangeError, refused('classify'));
    await expectThrowsNoLeak(() => occlusionSensitivity(seg, img, 'a'), RangeError, refused('occlusionSensitivity'));
    await expectThrowsNoLeak(() => imageLIME(seg, img, 'a'), RangeError, refused('imageLIME'));
    await expectThrowsNoLeak(
      () => gradCAM(seg, img, 'a'),
      RangeError,
      "gradCAM: expected 'options.reductionLayer' to give one score per class (3 values), got 'sm' ([12, 12, 3]); reduce its output to one score per image with 'options.reductionFcn'",
    );
    // Its activations can still be read.
    const act = activations(seg, img, 'sm');
    expect(act.shape).toEqual([12, 12, 3]);
    act.dispose();
    img.dispose();
    seg.dispose();
  });
});
