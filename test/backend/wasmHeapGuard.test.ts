/**
 * The wasm backend's heap allocations: TF.js hands the module's malloc a tensor's byte size, a 32-bit argument there.
 * A tensor of 4 GiB or more wrapped around to a small block that the kernel then wrote past ("memory access out of
 * bounds", or other tensors overwritten). On wasm, such a tensor is refused before anything is allocated, and the
 * backend goes on computing right.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { guardMalloc } from '../../src/backend/wasmHeapGuard.js';
import { BACKEND } from '../helpers/backend.js';

describe.runIf(BACKEND === 'wasm')('the wasm heap guard', () => {
  it('refuses a tensor of 4 GiB or more, leaking nothing, and the backend goes on', async () => {
    const a = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    // 1 × 40000 × 40000 × 3 float32: 19.2 GB, which the 32-bit size would have wrapped to 2.0 GB.
    expect(() =>
      tf.tidy(() => tf.image.resizeNearestNeighbor(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, [40000, 40000])),
    ).toThrow('the wasm backend cannot allocate 19,200,000,000 bytes: more than its 4 GiB memory can address');
    expect(() => tf.zeros([1_200_000_000])).toThrow(
      'the wasm backend cannot allocate 4,800,000,000 bytes: more than its 4 GiB memory can address',
    );
    expect(tf.memory().numTensors).toBe(before);
    const b = tf.mul(a, 2);
    expect(Array.from(await b.data())).toEqual([2, 4, 6]);
    tf.dispose([a, b]);
  });
});

describe('guardMalloc (on an Emscripten-like module)', () => {
  it("stays in place when Emscripten's stub replaces itself, and refuses a block that comes back as address 0", () => {
    const calls: number[] = [];
    const raw = (bytes: number) => {
      calls.push(bytes);
      return bytes > 1000 ? 0 : 64; // no room for more than 1000 bytes
    };
    const module: { _malloc?: (bytes: number) => number } = {};
    // Emscripten's lazy export: the first call puts the raw function in its place.
    module._malloc = (bytes: number) => {
      module._malloc = raw;
      return raw(bytes);
    };
    guardMalloc(module);
    expect(module._malloc(16)).toBe(64);
    expect(module._malloc(32)).toBe(64);
    expect(() => module._malloc?.(2000)).toThrow(
      'the wasm backend is out of memory: it could not allocate 2,000 bytes',
    );
    expect(() => module._malloc?.(2 ** 32)).toThrow(
      'the wasm backend cannot allocate 4,294,967,296 bytes: more than its 4 GiB memory can address',
    );
    // The raw function saw every request it was allowed to, and none of 4 GiB.
    expect(calls).toEqual([16, 32, 2000]);
    guardMalloc(module); // once per module
    expect(() => module._malloc?.(2000)).toThrow('out of memory');
    expect(calls).toEqual([16, 32, 2000, 2000]);
  });
});
