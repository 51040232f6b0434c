import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { mat2gray } from '../../src/image/mat2gray.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { BACKEND, TOL } from '../helpers/backend.js';

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = TOL) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Math.abs(actual[i] - e) > tol) expect.fail(`element ${i}: got ${actual[i]}, expected ${e} ± ${tol}`);
  });
}

/** Runs mat2gray, checks dtype and shape, returns the values; disposes everything. */
async function run(data: number[], shape: number[], dtype: 'float32' | 'int32' = 'float32', limits?: [number, number]) {
  const x = tf.tensor(data, shape, dtype);
  const y = mat2gray(x, limits);
  expect(y.dtype).toBe('float32');
  expect(y.shape).toEqual(shape);
  const out = await values(y);
  tf.dispose([x, y]);
  return out;
}

describe('mat2gray: MATLAB vectors (spec 9.1)', () => {
  it('[1 2 3; 4 5 6] -> [0 .2 .4; .6 .8 1]', async () => {
    expectClose(await run([1, 2, 3, 4, 5, 6], [2, 3]), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('([1 2 3; 4 5 6], [2 5]) -> [0 0 1/3; 2/3 1 1]', async () => {
    expectClose(await run([1, 2, 3, 4, 5, 6], [2, 3], 'float32', [2, 5]), [0, 0, 1 / 3, 2 / 3, 1, 1]);
  });

  it('constant input: 5*ones(2) -> ones, 0.3*ones(2) -> 0.3, -2*ones(2) -> zeros', async () => {
    expect(await run([5, 5, 5, 5], [2, 2])).toEqual([1, 1, 1, 1]);
    expect(await run([0.3, 0.3, 0.3, 0.3], [2, 2])).toEqual(Array(4).fill(Math.fround(0.3)));
    expect(await run([-2, -2, -2, -2], [2, 2])).toEqual([0, 0, 0, 0]);
  });

  it('uint8(5*ones(2)) (int32 here) -> float32 ones', async () => {
    expect(await run([5, 5, 5, 5], [2, 2], 'int32')).toEqual([1, 1, 1, 1]);
  });

  it('uint8([0 128 255]) -> [0 0.50196078431372548 1]', async () => {
    expectClose(await run([0, 128, 255], [1, 3], 'int32'), [0, 0.50196078431372548, 1]);
  });

  it('single([1 2 3]) -> [0 .5 1]', async () => {
    expect(await run([1, 2, 3], [1, 3])).toEqual([0, 0.5, 1]);
  });

  it('([1 2 3 4], [4 1]) -> [1 2/3 1/3 0] (inverted limits)', async () => {
    expectClose(await run([1, 2, 3, 4], [1, 4], 'float32', [4, 1]), [1, 2 / 3, 1 / 3, 0]);
  });

  it('[NaN 1 2 3] -> [1 0 .5 1] (NaN ignored by the limits, then mapped to 1)', async () => {
    expect(await run([NaN, 1, 2, 3], [1, 4])).toEqual([1, 0, 0.5, 1]);
  });

  it('reshape(10*sin(1:75),5,5,1,3): one global scale over all frames', async () => {
    // MATLAB element (r, c, 1, p), 1-based, is 10*sin(r + 5(c-1) + 25(p-1)) (column-major); ours is [p][r][c][0].
    const data: number[] = [];
    for (let p = 1; p <= 3; p++)
      for (let r = 1; r <= 5; r++)
        for (let c = 1; c <= 5; c++) data.push(10 * Math.sin(r + 5 * (c - 1) + 25 * (p - 1)));
    const lo = Math.min(...data.map(Math.fround));
    const hi = Math.max(...data.map(Math.fround));
    expect(lo).toBeCloseTo(-9.999902065507035, 5);
    expect(hi).toBeCloseTo(9.999118601072672, 5);
    const out = await run(data, [3, 5, 5, 1]);
    expectClose(out.slice(0, 5), [0.920775682999, 0.360304997112, 0, 0.356060880059, 0.918367891962]);
    // Every element follows the global formula (not a per-frame one).
    expectClose(
      out,
      data.map((v) => (v - -9.999902065507035) / (9.999118601072672 - -9.999902065507035)),
      1e-5,
    );
  });
});

describe('mat2gray: hand cases and edges', () => {
  it('normalises globally across channels, not per channel', async () => {
    // [1, 2, 2]: channel 0 holds 0 and 10, channel 1 holds 5 and 5.
    expect(await run([0, 5, 10, 5], [1, 2, 2])).toEqual([0, 0.5, 1, 0.5]);
  });

  it('clips values outside the limits to exactly 0 and 1', async () => {
    expectClose(await run([-10, 2, 3.5, 5, 99], [5], 'float32', [2, 5]), [0, 0, 0.5, 1, 1]);
    const out = await run([-10, 99], [2], 'float32', [2, 5]);
    expect(out).toEqual([0, 1]);
  });

  it('clips a float32 overshoot of the formula to exactly 1 (no 1.0000001)', async () => {
    const lo = 0.2971920967102051;
    const hi = 1.8713963031768799;
    const f = Math.fround;
    const delta = f(1 / f(hi - lo));
    expect(f(f(delta * hi) + f(-lo * delta))).toBeGreaterThan(1); // the case really overshoots in float32
    const out = await run([lo, 1, hi], [3]);
    expect(out[0]).toBe(0);
    expect(out[2]).toBe(1);
  });

  it('equal limits select the constant rule: the values clipped to [0, 1]', async () => {
    expect(await run([0.25, 2, -1], [3], 'float32', [1, 1])).toEqual([0.25, 1, 0]);
  });

  it('NaN maps to 1, also in a constant image', async () => {
    expect(await run([NaN, 5, 5], [3])).toEqual([1, 1, 1]);
    expect(await run([NaN, 0.25, 0.25], [3])).toEqual([1, 0.25, 0.25]);
    expect(await run([NaN, NaN], [2])).toEqual([1, 1]);
    expect(await run([NaN, 1, 3], [3], 'float32', [1, 3])).toEqual([1, 0, 1]);
  });

  it('±Inf follow the formula: delta = 0, finite -> 0, +Inf -> 1, amin = -Inf -> all 1', async () => {
    expect(await run([1, 2, Infinity], [3])).toEqual([0, 0, 1]);
    expect(await run([-Infinity, 1, 2], [3])).toEqual([1, 1, 1]);
    expect(await run([-Infinity, 1, Infinity], [3])).toEqual([1, 1, 1]);
    expect(await run([Infinity, Infinity], [2])).toEqual([1, 1]);
    expect(await run([-Infinity, -Infinity], [2])).toEqual([0, 0]);
    expect(await run([1, 2], [2], 'float32', [0, Infinity])).toEqual([0, 0]);
  });

  it('handles a 1×1 image, a scalar, rank 5, and an empty tensor', async () => {
    expect(await run([7], [1, 1])).toEqual([1]);
    expect(await run([0.5], [])).toEqual([0.5]);
    expectClose(
      await run([0, 1, 2, 3, 4, 5, 6, 8], [1, 2, 1, 2, 2]),
      [0, 1, 2, 3, 4, 5, 6, 8].map((v) => v / 8),
    );
    expect(await run([], [0, 3])).toEqual([]);
  });

  it('composes: the result feeds the next op synchronously (no read-back inside)', async () => {
    const x = tf.tensor1d([2, 4, 6]);
    const y = tf.tidy(() => tf.mul(mat2gray(x), 2));
    expect(await values(y)).toEqual([0, 1, 2]);
    tf.dispose([x, y]);
  });
});

describe('mat2gray: memory and inputs', () => {
  it('returns one new tensor and leaks nothing, on every path', async () => {
    const f = tf.tensor1d([1, NaN, 3]);
    const i = tf.tensor1d([1, 2, 3], 'int32');
    const e = tf.tensor1d([]);
    for (const [x, limits] of [
      [f, undefined],
      [f, [0, 2]],
      [f, [1, 1]],
      [i, undefined],
      [i, [0, 9]],
      [e, undefined],
    ] as const) {
      const y = await expectNoLeak(() => mat2gray(x, limits as [number, number] | undefined), 1);
      expect(y).not.toBe(x);
      y.dispose();
    }
    tf.dispose([f, i, e]);
  });

  it('leaves the input unchanged (float32 and int32)', async () => {
    const f = tf.tensor2d([
      [1, 2],
      [NaN, 4],
    ]);
    const i = tf.tensor2d(
      [
        [0, 128],
        [255, 7],
      ],
      undefined,
      'int32',
    );
    tf.dispose([mat2gray(f), mat2gray(i), mat2gray(f, [2, 3])]);
    expect(await values(f)).toEqual([1, 2, NaN, 4]);
    expect(f.dtype).toBe('float32');
    expect(await values(i)).toEqual([0, 128, 255, 7]);
    expect(i.dtype).toBe('int32');
    tf.dispose([f, i]);
  });
});

describe('mat2gray: errors', () => {
  it('rejects a non-tensor, a wrong dtype and a disposed tensor', async () => {
    await expectThrowsNoLeak(
      () => mat2gray('img' as never),
      TypeError,
      'mat2gray: expected \'x\' to be a tensor, got "img" (string)',
    );
    const b = tf.tensor1d([true], 'bool');
    await expectThrowsNoLeak(
      () => mat2gray(b),
      TypeError,
      "mat2gray: expected 'x' to be a tensor (dtype float32 or int32), got rank 1 [1] bool",
    );
    b.dispose();
    const d = tf.tensor1d([1]);
    d.dispose();
    await expectThrowsNoLeak(
      () => mat2gray(d),
      TypeError,
      "mat2gray: 'x' is a disposed tensor; it can no longer be used",
    );
  });

  it('rejects bad limits', async () => {
    const x = tf.tensor1d([1, 2]);
    await expectThrowsNoLeak(
      () => mat2gray(x, 5 as never),
      TypeError,
      "mat2gray: expected 'limits' to be an array [amin, amax] of two numbers, got 5 (number)",
    );
    await expectThrowsNoLeak(
      () => mat2gray(x, [1, 2, 3] as never),
      TypeError,
      "mat2gray: expected 'limits' to be an array [amin, amax] of two numbers, got [1, 2, 3] (array of length 3)",
    );
    await expectThrowsNoLeak(
      () => mat2gray(x, [1, '2'] as never),
      TypeError,
      "mat2gray: expected 'limits' to be an array [amin, amax] of two numbers, got [1, 2] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => mat2gray(x, [NaN, 2]),
      RangeError,
      "mat2gray: expected 'limits' to be an array [amin, amax] of two numbers that are not NaN, got [NaN, 2] (array of length 2)",
    );
    x.dispose();
  });
});

describe('mat2gray: properties', () => {
  const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
  const dataFor = (shape: number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(fc.float(), { minLength: n, maxLength: n });
  };

  it('every output lies in [0, 1], whatever the values (NaN, ±Inf, huge, tiny) and the shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb.chain((shape) => fc.tuple(fc.constant(shape), dataFor(shape))),
        fc.option(fc.tuple(fc.float({ noNaN: true }), fc.float({ noNaN: true })), { nil: undefined }),
        async ([shape, data], limits) => {
          const x = tf.tensor(data, shape, 'float32');
          const y = mat2gray(x, limits);
          const out = await values(y);
          tf.dispose([x, y]);
          expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a constant image stays constant: its value clipped to [0, 1], NaN -> 1', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.float(), async (shape, v) => {
        const x = tf.fill(shape, v);
        const y = mat2gray(x);
        const out = await values(y);
        tf.dispose([x, y]);
        const c = Math.fround(v);
        const expected = Number.isNaN(c) ? 1 : Math.min(Math.max(c, 0), 1);
        expect(out.every((o) => o === expected)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('min maps to exactly 0 and max to 1 (±1 ulp) for finite non-constant data', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), {
          minLength: 2,
          maxLength: 20,
        }),
        async (data) => {
          // float32 limit, documented: 1 / (amax - amin) overflows for ranges below about 3e-39.
          const f32 = data.map(Math.fround);
          fc.pre(Math.max(...f32) - Math.min(...f32) > 1e-30);
          const x = tf.tensor1d(data);
          const y = mat2gray(x);
          const out = await values(y);
          tf.dispose([x, y]);
          expect(out[f32.indexOf(Math.min(...f32))]).toBe(0);
          expect(out[f32.indexOf(Math.max(...f32))]).toBeGreaterThan(1 - 2e-7);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('mat2gray: integers above 2^24 and data far from zero (precision as MATLAB computes in double)', () => {
  // WebGPU's shaders compute int32 in float32 (documented in mat2gray): there, values above 2^24 keep float32's order.
  it.skipIf(BACKEND === 'webgpu')(
    'keeps the order of int32 values above 2^24: [16777216, 16777217] -> [0, 1], as MATLAB',
    async () => {
      const x = tf.tensor1d([16777216, 16777217, 16777218], 'int32');
      const y = mat2gray(x);
      expect(await values(y)).toEqual([0, 0.5, 1]);
      const wide = tf.tensor1d([-2147483648, 0, 2147483647], 'int32'); // a range past int32: float32 path
      const w = mat2gray(wide);
      const out = await values(w);
      expect(out[0]).toBe(0);
      expect(out[2]).toBe(1);
      expect(Math.abs(out[1] - 0.5)).toBeLessThan(1e-7);
      tf.dispose([x, y, wide, w]);
    },
  );

  it('is within float32 rounding of the double result for data far from zero relative to its range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: -1e5, max: 1e5, noNaN: true }),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 16 }),
        async (offset, range, unit) => {
          const f32 = [0, 1, ...unit].map((u) => Math.fround(offset + u * range));
          const lo = Math.min(...f32);
          const hi = Math.max(...f32);
          fc.pre(hi > lo);
          const x = tf.tensor1d(f32);
          const y = mat2gray(x);
          const out = await values(y);
          tf.dispose([x, y]);
          // MATLAB, in double, on the same float32 inputs:
          const want = f32.map((v) => (v - lo) / (hi - lo));
          const err = Math.max(...out.map((o, i) => Math.abs(o - want[i])));
          expect(err).toBeLessThan(4e-7);
        },
      ),
      { numRuns: 200, seed: 903 },
    );
  });
});
