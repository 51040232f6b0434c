/**
 * What a backend's device holds in one tensor bounds the library's checks and mini-batches (a WebGPU device binds at
 * most maxStorageBufferBindingSize bytes of a buffer, and TF.js computes zeros past it), and on WebGPU an operation
 * past it throws instead of answering zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { elementLimit, setDeviceElementCap } from '../../src/internal/limits.js';
import { activations } from '../../src/net/activations.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { BACKEND } from '../helpers/backend.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

describe.runIf(BACKEND !== 'webgpu')("a device's cap on one tensor (simulated on this backend)", () => {
  it('lowers the limit of every check and the mini-batches chosen, naming the device', async () => {
    const x = tfl.input({ shape: [8, 8, 3], name: 'px' });
    const c = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c' }).apply(x);
    const g = tfl.layers.globalAveragePooling2d({ name: 'g' }).apply(c);
    const net = await toNetwork(tfl.model({ inputs: x, outputs: g as tfl.SymbolicTensor }), { normalization: 'none' });
    const batch = tf.randomUniform([6, 8, 8, 3], 0, 255, 'float32', 3);
    const whole = activations(net, batch, 'g');
    // c is 8×8×4 = 256 elements an image: a device holding 600 in one tensor runs 2 images at a time.
    setDeviceElementCap(BACKEND, 600);
    try {
      expect(elementLimit()).toEqual({ max: 600, device: BACKEND });
      const progress: number[] = [];
      const chunked = activations(net, batch, 'g', { onProgress: (f) => progress.push(f) });
      expect(progress).toEqual([1 / 3, 2 / 3, 1]);
      expect(Array.from(await chunked.data())).toEqual(Array.from(await whole.data()));
      chunked.dispose();
      await expectThrowsNoLeak(
        () => activations(net, batch, 'g', { miniBatchSize: 3 }),
        RangeError,
        `activations: expected 'options.miniBatchSize' to be at most 2 for a 8×8 image (a larger mini-batch of images exceeds what the ${BACKEND} device holds in one tensor), got 3 (number)`,
      );
      // The results of all 6 images in one tensor do not fit: refused, naming the device.
      await expectThrowsNoLeak(
        () => activations(net, batch, 'c'),
        RangeError,
        `activations: 'img' asks for layer 'c' for all 6 images of 1,536 elements [6, 8, 8, 4] (0.0 MiB as float32); the limit is 600 elements (what the ${BACKEND} device holds in one tensor, its maxStorageBufferBindingSize; ask for less at a time, or use the wasm backend)`,
      );
    } finally {
      setDeviceElementCap(BACKEND, null);
    }
    expect(elementLimit()).toEqual({ max: 2 ** 27, device: null });
    tf.dispose([batch, whole]);
    net.dispose();
  });
});

describe.runIf(BACKEND === 'webgpu')('the webgpu binding guard', () => {
  it('refuses an operation on a tensor past what the device binds, and records that cap', async () => {
    const limits = (tf.backend() as unknown as { device: GPUDevice }).device.limits;
    const bytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    expect(elementLimit()).toEqual({ max: Math.min(2 ** 27, Math.floor(bytes / 4)), device: expect.anything() });
    const n = Math.floor(bytes / 4) + 1;
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(() => tf.add(tf.ones([n]), 1))).toThrow(
      /^the webgpu backend cannot run an operation on an output \[\d+\] of [\d,]+ bytes: its device binds at most [\d,]+ bytes of one tensor \(maxStorageBufferBindingSize\), and TF\.js would compute zeros without an error/,
    );
    expect(tf.memory().numTensors).toBe(before);
    const ok = tf.add(tf.ones([1000]), 1);
    expect((await tf.sum(ok).data())[0]).toBe(2000);
    ok.dispose();
  });
});
