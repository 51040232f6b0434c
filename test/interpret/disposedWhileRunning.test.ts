import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { gradientAttribution } from '../../src/interpret/gradientAttribution.js';
import { imageLIME } from '../../src/interpret/imageLIME.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import type { Network } from '../../src/net/types.js';
import { loadTinyNetwork, randomImage } from '../helpers/tinyNetwork.js';

// The long methods await between their passes (progress, cancellation), so a caller may dispose the network while
// one runs. The next pass must then say so, rather than fail inside TF.js on a weight that is gone ("Cannot read
// properties of undefined (reading 'backend')"), and leave nothing allocated. Here onProgress disposes it after the
// first batch: the same moment every time.

let img: tf.Tensor3D;
beforeAll(() => {
  img = randomImage(11);
});
afterAll(() => img?.dispose());

/**
 * Runs `call` on a fresh tiny network that `dispose` (its onProgress) disposes; expects the mid-run message, and as
 * many tensors afterwards as before the network was loaded.
 */
async function disposedWhileRunning(
  fn: string,
  call: (net: Network, dispose: () => void) => Promise<unknown>,
): Promise<void> {
  const before = tf.memory().numTensors;
  const tiny = await loadTinyNetwork();
  try {
    const err = await call(tiny.net, () => tiny.net.dispose()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toBe(`${fn}: 'net' was disposed while the call ran; load the network again`);
  } finally {
    tiny.dispose();
  }
  expect(tf.memory().numTensors).toBe(before);
}

describe('a network disposed while a long method runs', () => {
  it('stops occlusionSensitivity at its next batch', async () => {
    await disposedWhileRunning('occlusionSensitivity', (net, dispose) =>
      occlusionSensitivity(net, img, 0, { maskSize: 3, stride: 1, miniBatchSize: 4, onProgress: dispose }),
    );
  });

  it('stops imageLIME at its next batch', async () => {
    await disposedWhileRunning('imageLIME', (net, dispose) =>
      imageLIME(net, img, 0, {
        segmentation: 'grid',
        numFeatures: 4,
        numSamples: 16,
        miniBatchSize: 4,
        seed: 1,
        onProgress: dispose,
      }),
    );
  });

  it("stops gradCAM at its next class's gradient", async () => {
    await disposedWhileRunning('gradCAM', (net, dispose) => gradCAM(net, img, [0, 1, 2], { onProgress: dispose }));
  });

  it("stops gradientAttribution at its next class's gradient", async () => {
    await disposedWhileRunning('gradientAttribution', (net, dispose) =>
      gradientAttribution(net, img, [0, 1, 2], { method: 'guided-backprop', onProgress: dispose }),
    );
  });

  it('stops deepDreamImage at its next step', async () => {
    await disposedWhileRunning('deepDreamImage', (net, dispose) =>
      deepDreamImage(net, 'conv_b', 0, { numIterations: 3, pyramidLevels: 1, onProgress: dispose }),
    );
  });
});
