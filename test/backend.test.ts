import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/initBackend.js';
import { BACKEND } from './helpers/backend.js';

describe('initBackend', () => {
  it('activates the backend this run asked for', async () => {
    const choice = await initBackend({ backend: BACKEND as 'cpu' });
    expect(choice.backend).toBe(BACKEND);
    expect(tf.getBackend()).toBe(BACKEND);
    expect(choice.reason).toContain(BACKEND);
  });

  it('rejects an unknown backend name with a RangeError naming the choices', async () => {
    await expect(initBackend({ backend: 'tpu' as 'cpu' })).rejects.toThrow(
      new RangeError(`initBackend: expected 'backend' to be one of 'webgpu', 'webgl', 'wasm', 'cpu', got "tpu" (string)`),
    );
    expect(tf.getBackend()).toBe(BACKEND);
  });

  it('rejects unknown options', async () => {
    await expect(initBackend({ backnd: 'cpu' } as never)).rejects.toThrow(/unknown option 'backnd'/);
  });
});
