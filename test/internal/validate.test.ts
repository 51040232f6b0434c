import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { imresize } from '../../src/image/imresize.js';
import { imtile } from '../../src/image/imtile.js';
import { mat2gray } from '../../src/image/mat2gray.js';
import { assertOptions, assertTensor, describeValue, isTensor } from '../../src/internal/validate.js';

// The argument checks every function shares: options are read as own properties only (a polluted Object.prototype
// never becomes an option), and only real tensors pass as tensors (TF.js's `instanceof Tensor` is duck-typed).

const polluted = Object.prototype as Record<string, unknown>;
afterEach(() => {
  for (const key of ['gridSize', 'method', 'backgroundColor', 'backend']) delete polluted[key];
});

describe('options are own properties only', () => {
  it('a polluted Object.prototype changes no result (imtile gridSize/backgroundColor, imresize method)', async () => {
    const x = tf.tensor4d(
      Array.from({ length: 4 * 2 * 2 }, (_, i) => i / 16),
      [4, 2, 2, 1],
    );
    const clean = imtile(x);
    const cleanResized = imresize(x, [3, 3]);
    polluted.gridSize = [1, 1];
    polluted.backgroundColor = [255, 0, 0];
    polluted.method = 'nearest';
    const dirty = imtile(x);
    const dirtyResized = imresize(x, [3, 3]);
    expect(dirty.shape).toEqual(clean.shape);
    expect(await dirty.array()).toEqual(await clean.array());
    expect(await dirtyResized.array()).toEqual(await cleanResized.array());
    tf.dispose([x, clean, dirty, cleanResized, dirtyResized]);
  });

  it('assertOptions copies own known keys onto a null prototype', () => {
    polluted.method = 'nearest';
    const opts = assertOptions<{ method: string; scale: number }>('f', { scale: 2 }, ['method', 'scale']);
    expect(Object.getPrototypeOf(opts)).toBe(null);
    expect(opts.method).toBeUndefined();
    expect(opts.scale).toBe(2);
    expect(assertOptions<{ method: string }>('f', undefined, ['method']).method).toBeUndefined();
  });
});

describe('tensors are real tensors', () => {
  it('refuses a look-alike with data, dataSync and throwIfDisposed, with the function and argument named', () => {
    const noop = () => undefined;
    const fake = { data: noop, dataSync: noop, throwIfDisposed: noop, shape: [2, 2], dtype: 'float32', rank: 2 };
    expect(fake instanceof tf.Tensor).toBe(true); // TF.js's own check is duck-typed
    expect(isTensor(fake)).toBe(false);
    expect(() => mat2gray(fake as unknown as tf.Tensor)).toThrow(
      "mat2gray: expected 'x' to be a tensor, got an object",
    );
    expect(() => imtile(fake as unknown as tf.Tensor)).toThrow(TypeError);
    const real = tf.zeros([2, 2]);
    expect(isTensor(real)).toBe(true);
    real.dispose();
  });
});

describe('a tensor of the wrong dtype', () => {
  it('is named with the dtypes allowed, once', () => {
    const flags = tf.ones([4, 4], 'bool');
    expect(() => assertTensor('f', 'img', flags, { what: 'an image of dtype int32 or float32' })).toThrow(
      "f: expected 'img' to be an image of dtype int32 or float32, got rank 2 [4, 4] bool",
    );
    expect(() => assertTensor('f', 'img', flags, { what: 'an image' })).toThrow(
      "f: expected 'img' to be an image (dtype float32 or int32), got rank 2 [4, 4] bool",
    );
    flags.dispose();
  });
});

describe('describeValue', () => {
  it('names binary data by its kind and size, a DataView by its bytes', () => {
    expect(describeValue(new Uint8ClampedArray(5))).toBe('Uint8ClampedArray of length 5');
    expect(describeValue(new Float32Array(3))).toBe('Float32Array of length 3');
    expect(describeValue(new DataView(new ArrayBuffer(12), 4))).toBe('a DataView of 8 bytes');
  });
});
