import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { imresize } from '../../src/image/imresize.js';
import { imtile } from '../../src/image/imtile.js';
import { getLimits, setLimits } from '../../src/internal/limits.js';
import { elementLimitEnd } from '../helpers/backend.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

// Sizes that once exhausted memory, trapped the wasm backend (and corrupted every later result), hung the cpu backend
// or returned wrong numbers: each is refused before anything is allocated, with a message naming the argument, the
// size asked for and the limit; and the backend still computes the same numbers afterwards.

afterEach(() => {
  setLimits('defaults');
});

/** A fixed computation whose result must not change after a refused call (wasm memory corruption showed here). */
async function canary(): Promise<number[]> {
  const x = tf.tensor4d(
    Array.from({ length: 2 * 9 * 9 * 3 }, (_, i) => (i % 17) / 3),
    [2, 9, 9, 3],
  );
  const k = tf.tensor4d(
    Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => ((i % 5) - 2) / 7),
    [3, 3, 3, 4],
  );
  const y = tf.conv2d(x, k, 2, 'valid');
  const v = Array.from(await y.data());
  tf.dispose([x, k, y]);
  return v;
}

describe('limits on what arguments ask for', () => {
  it('imtile: a huge grid, thumbnail or border is refused before allocation; later results are unchanged', async () => {
    const before = await canary();
    const x = tf.ones([4, 4, 1]);
    await expectThrowsNoLeak(
      () => imtile(x, { gridSize: [4096, 16385] }),
      RangeError,
      `imtile: 'options.gridSize' asks for an output of 1,073,807,360 elements [16384, 65540] (4096 MiB as float32); ${elementLimitEnd()}`,
    );
    await expectThrowsNoLeak(
      () => imtile(x, { thumbnailSize: [1e5, 1e5] }),
      RangeError,
      `imtile: 'options.thumbnailSize' asks for an output of 10,000,000,000 elements [100000, 100000] (38147 MiB as float32); ${elementLimitEnd()}`,
    );
    await expectThrowsNoLeak(
      () => imtile(x, { borderSize: 1e5 }),
      RangeError,
      `imtile: 'options.borderSize' asks for an output of 40,001,600,016 elements [200004, 200004] (152594 MiB as float32); ${elementLimitEnd()}`,
    );
    await expectThrowsNoLeak(() => imtile(x, { gridSize: [100000, 100000] }), RangeError, /'options.gridSize' asks/);
    x.dispose();
    expect(await canary()).toEqual(before);
  });

  it('imresize: a huge output, a tiny scale or too many taps is refused; later results are unchanged', async () => {
    const before = await canary();
    const x = tf.ones([4, 4]);
    await expectThrowsNoLeak(
      () => imresize(x, [65536, 16385]),
      RangeError,
      `imresize: 'scaleOrSize' asks for an output of 1,073,807,360 elements [65536, 16385] (4096 MiB as float32); ${elementLimitEnd()}`,
    );
    await expectThrowsNoLeak(() => imresize(x, [100000, 100000]), RangeError, /asks for an output of 10,000,000,000/);
    const big = tf.ones([227, 227, 3]);
    await expectThrowsNoLeak(
      () => imresize(big, 1e-4),
      RangeError,
      "imresize: 'scaleOrSize' asks for a scale of 0.0001 (rows 0.0001, columns 0.0001); the smallest scale is 0.001 (limits.minScale; raise it with setLimits)",
    );
    const two = tf.ones([2, 2]);
    await expectThrowsNoLeak(() => imresize(two, 1e-5), RangeError, /asks for a scale of 0\.00001 /);
    setLimits({ minScale: 1e-6 });
    await expectThrowsNoLeak(
      () => imresize(two, 1e-5),
      RangeError,
      "imresize: 'scaleOrSize' needs kernels of 400002 taps (rows 0.00001, columns 0.00001); the limit is 4096 taps (limits.maxTaps; raise it with setLimits)",
    );
    await expectThrowsNoLeak(() => imresize(two, null, { scale: [1, 1e-5] }), RangeError, /^imresize: 'options.scale'/);
    tf.dispose([x, big, two]);
    expect(await canary()).toEqual(before);
  });

  it('imresize: ordinary work stays within the limits (a photo to the network size), leaving only its output', async () => {
    const photo = tf.randomUniform([1200, 900, 3], 0, 255, 'float32', 7);
    const bytesBefore = tf.memory().numBytes;
    const out = imresize(photo, [227, 227]);
    expect(out.shape).toEqual([227, 227, 3]);
    expect(tf.memory().numBytes - bytesBefore).toBe(227 * 227 * 3 * 4);
    tf.dispose([photo, out]);
  });

  it('setLimits checks its argument, returns the previous limits, and restores the defaults', () => {
    expect(() => setLimits({ maxElements: 0 })).toThrow(
      "setLimits: expected 'changes.maxElements' to be a positive integer, got 0 (number)",
    );
    expect(() => setLimits({ minScale: 2 })).toThrow(
      "setLimits: expected 'changes.minScale' to be a number in (0, 1], got 2 (number)",
    );
    expect(() => setLimits({ maxPixel: 5 } as never)).toThrow(
      "setLimits: unknown option 'maxPixel'; known options are 'maxElements', 'maxPixels', 'minScale', 'maxTaps', 'httpTimeoutMs'",
    );
    const before = setLimits({ maxTaps: 10 });
    expect(before.maxTaps).toBe(4096);
    expect(getLimits().maxTaps).toBe(10);
    expect(Object.isFrozen(getLimits())).toBe(true);
    setLimits(before);
    expect(getLimits()).toEqual(before);
  });
});

describe('fuzzed size arguments: every call returns the size it promises, or a RangeError before any allocation', () => {
  it('imresize', () => {
    setLimits({ maxElements: 20_000 });
    const x = tf.ones([3, 5, 2]);
    const before = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: 1e-7, max: 1e4, noNaN: true }),
          fc.tuple(
            fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: null }),
            fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: null }),
          ),
        ),
        fc.constantFrom('bicubic', 'bilinear', 'nearest', 'lanczos3') as fc.Arbitrary<'bicubic'>,
        (scaleOrSize, method) => {
          let out: tf.Tensor | undefined;
          try {
            out = imresize(x, scaleOrSize, { method });
          } catch (err) {
            expect(err).toBeInstanceOf(RangeError);
            expect((err as Error).message).toMatch(/^imresize: /);
            return;
          }
          expect(out.size).toBeLessThanOrEqual(20_000);
          if (Array.isArray(scaleOrSize)) {
            if (scaleOrSize[0] !== null) expect(out.shape[0]).toBe(scaleOrSize[0]);
            if (scaleOrSize[1] !== null) expect(out.shape[1]).toBe(scaleOrSize[1]);
          }
          out.dispose();
        },
      ),
      { numRuns: 300, seed: 1202 },
    );
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('imtile', () => {
    setLimits({ maxElements: 50_000 });
    const x = tf.ones([6, 4, 4, 3]);
    const before = tf.memory().numTensors;
    const side = fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: null });
    fc.assert(
      fc.property(
        fc.option(fc.tuple(side, side), { nil: undefined }),
        fc.option(fc.tuple(fc.integer({ min: 1, max: 1e5 }), fc.integer({ min: 1, max: 1e5 })), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 1e5 }), { nil: undefined }),
        (gridSize, thumbnailSize, borderSize) => {
          if (gridSize && gridSize[0] === null && gridSize[1] === null) return;
          let out: tf.Tensor | undefined;
          try {
            out = imtile(x, { gridSize, thumbnailSize, borderSize });
          } catch (err) {
            expect(err).toBeInstanceOf(RangeError);
            expect((err as Error).message).toMatch(/^imtile: /);
            return;
          }
          expect(out.size).toBeLessThanOrEqual(50_000);
          out.dispose();
        },
      ),
      { numRuns: 300, seed: 1203 },
    );
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
