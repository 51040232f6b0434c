/**
 * An image scaled to [0, 1] runs without error but gives wrong numbers (networks take 0..255, as MATLAB's do): the
 * functions that read the image back say so once per process.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify } from '../../src/net/classify.js';
import { resetUnitScaleWarning } from '../../src/net/nonFinite.js';
import { toNetwork } from '../../src/net/toNetwork.js';

afterEach(() => {
  vi.restoreAllMocks();
  resetUnitScaleWarning();
});

async function tinyNet() {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, activation: 'softmax' }));
  return toNetwork(m, { normalization: 'rescale-zero-one' });
}

describe('an image in [0, 1]', () => {
  it('warns once per process, naming the function and the fix; not for 0..255, int32 or all-zero images', async () => {
    const net = await tinyNet();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unit = tf.randomUniform([8, 8, 3], 0, 1, 'float32', 3);
    const pixels = tf.mul(unit, 255);
    const ints = tf.cast(pixels, 'int32');
    const zeros = tf.zeros([8, 8, 3]);
    for (const img of [pixels, ints, zeros]) await classify(net, img, 1);
    expect(warn).not.toHaveBeenCalled();
    await classify(net, unit, 1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toBe(
      "classify: every value of the float32 image lies in [0, 1], but networks take pixels 0..255 (as MATLAB's do); " +
        'if the image was scaled to [0, 1], pass tf.mul(img, 255), or read it with imread (int32 0..255). ' +
        'This warning is shown once.',
    );
    await classify(net, unit, 1);
    expect(warn).toHaveBeenCalledTimes(1);
    tf.dispose([unit, pixels, ints, zeros]);
    net.dispose();
  });
});
