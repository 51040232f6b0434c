/**
 * A network of one input channel (a gray model, MNIST's shape): every function reads gray images, and what a message
 * asks for speaks of one channel, never of "[h, w, 3]" or "1 values".
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { rgb2gray } from '../../src/image/rgb2gray.js';
import { activations } from '../../src/net/activations.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

function grayModel(): tfl.Sequential {
  const init = tfl.initializers.glorotUniform({ seed: 7 });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 3, kernelSize: 3, name: 'c1', kernelInitializer: init }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 4, activation: 'softmax', name: 'out', kernelInitializer: init }),
    ],
  });
}

let net: Network;
let gray: tf.Tensor2D;
let rgb: tf.Tensor3D;
beforeAll(async () => {
  net = await toNetwork(grayModel(), { normalization: 'rescale-zero-one' });
  gray = tf.tidy(() => tf.round(tf.randomUniform([12, 12], 0, 255, 'float32', 3))) as tf.Tensor2D;
  rgb = tf.tidy(() => tf.stack([gray, gray, gray], 2)) as tf.Tensor3D;
});
afterAll(() => {
  tf.dispose([gray, rgb]);
  net?.dispose();
});

describe('a network of one input channel', () => {
  it('reads gray images in activations, gradCAM, occlusionSensitivity and deepDreamImage', async () => {
    const act = await expectNoLeak(() => activations(net, gray, 'c1'), 1);
    expect(act.shape).toEqual([10, 10, 3]);
    const cam = await gradCAM(net, gray, 1);
    expect(cam.map.shape).toEqual([12, 12]);
    const occ = await occlusionSensitivity(net, gray, 1, { maskSize: 4, stride: 4, maskValue: 0 });
    expect(occ.shape).toEqual([12, 12]);
    const dream = await deepDreamImage(net, 'c1', 0, { numIterations: 1, pyramidLevels: 1, initialImage: gray });
    expect(dream.shape).toEqual([1, 12, 12, 1]);
    tf.dispose([act, cam.map, occ, dream]);
  });

  it('refuses an RGB image, pointing to rgb2gray, whose result it reads', async () => {
    await expectThrowsNoLeak(
      () => activations(net, rgb, 'c1'),
      RangeError,
      "activations: expected 'img' to be an image with 1 channel (the model's input), got rank 3 [12, 12, 3] float32; " +
        'make an RGB image gray with rgb2gray(img), as in MATLAB',
    );
    // Three equal channels: their luminance is the gray image itself (the weights sum to 1).
    const made = rgb2gray(rgb);
    const [a, b] = [activations(net, made, 'c1'), activations(net, gray, 'c1')];
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
    expect((await diff.data())[0]).toBeLessThan(1e-4);
    tf.dispose([made, a, b, diff]);
  });

  it('says what it expects in terms of one channel', async () => {
    await expectThrowsNoLeak(
      () => deepDreamImage(net, 'c1', 0, { initialImage: rgb }),
      RangeError,
      "deepDreamImage: expected 'options.initialImage' to be an image [12, 12, 1] or [12, 12] (the network's input size), got rank 3 [12, 12, 3] float32",
    );
    await expectThrowsNoLeak(
      () => occlusionSensitivity(net, gray, 1, { maskValue: [5, 5, 5] }),
      RangeError,
      "occlusionSensitivity: expected 'options.maskValue' to be a finite number or 'auto' (finite as float32), got [5, 5, 5] (array of length 3)",
    );
    const model = grayModel(); // the user's: a refused toNetwork leaves it to them
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'zerocenter', mean: [1, 2, 3] }),
      RangeError,
      "toNetwork: expected 'options.mean' to be 1 value (the input has one channel), got [1, 2, 3] (array of length 3)",
    );
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'zerocenter', mean: 'dark' as never }),
      TypeError,
      `toNetwork: expected 'options.mean' to be a number or an array of 1 number (the input has one channel), got "dark" (string)`,
    );
    model.dispose();
  });
});
