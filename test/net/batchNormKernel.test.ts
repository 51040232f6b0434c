/**
 * Batch normalization at inference on every backend, and on wasm through the library's own `FusedBatchNorm` (a factor
 * per channel, a subtraction and a 1×1 depthwise convolution), which replaces TF.js's there. The oracle is TF.js's
 * formula, `offset + (x - mean) · scale / sqrt(variance + ε)`, in float64; each result must be within a few float32
 * rounding steps of it, and non-finite values must come out as TF.js's own kernel gives them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `FusedBatchNorm` on wasm, as its backend registered it. */
let theirs: tf.KernelConfig | undefined;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.FusedBatchNorm).get(tf.FusedBatchNorm);
});

/** Deterministic float32 values of both signs and several magnitudes. */
const fill = (n: number, seed: number, scale = 1) =>
  Array.from({ length: n }, (_, i) => Math.fround(((((i * 7919 + seed * 104729) % 2003) - 1001) / 250) * scale));

interface Case {
  name: string;
  x: number[];
  /** Each parameter's shape; null leaves it out (scale 1, offset 0). */
  mean: number[];
  variance: number[];
  offset: number[] | null;
  scale: number[] | null;
  epsilon: number;
}

const CASES: Case[] = [
  {
    name: 'a MobileNet-like feature map',
    x: [2, 7, 5, 96],
    mean: [96],
    variance: [96],
    offset: [96],
    scale: [96],
    epsilon: 1e-3,
  },
  { name: 'an image', x: [1, 9, 8, 3], mean: [3], variance: [3], offset: [3], scale: [3], epsilon: 1e-5 },
  {
    name: 'without scale or offset',
    x: [3, 4, 4, 6],
    mean: [6],
    variance: [6],
    offset: null,
    scale: null,
    epsilon: 1e-3,
  },
  { name: 'a dense layer’s output', x: [5, 12], mean: [12], variance: [12], offset: [12], scale: [12], epsilon: 1e-3 },
  { name: 'one value for all', x: [2, 3, 3, 4], mean: [1], variance: [1], offset: [1], scale: [1], epsilon: 1e-3 },
  {
    name: 'a mix of one value and one per channel',
    x: [4, 5, 8],
    mean: [8],
    variance: [1],
    offset: [1],
    scale: [8],
    epsilon: 0,
  },
  {
    name: 'parameters along the last two axes',
    x: [2, 3, 4, 5],
    mean: [4, 5],
    variance: [4, 5],
    offset: [4, 5],
    scale: [4, 5],
    epsilon: 1e-3,
  },
  {
    name: 'parameters along another axis (broadcast first)',
    x: [2, 3, 4, 2],
    mean: [1, 3, 1, 1],
    variance: [1, 3, 1, 1],
    offset: [1, 3, 1, 1],
    scale: [1, 3, 1, 1],
    epsilon: 1e-3,
  },
];

/** The values of a parameter of `shape` broadcast to `x`'s shape, in x's flat order. */
function broadcastValues(values: number[], shape: number[], xShape: number[]): (i: number) => number {
  const full = [...Array(xShape.length - shape.length).fill(1), ...shape];
  return (i: number) => {
    let at = 0;
    let rest = i;
    let stride = 1;
    for (let d = xShape.length - 1; d >= 0; d--) {
      const coordinate = rest % xShape[d];
      rest = Math.floor(rest / xShape[d]);
      if (full[d] !== 1) at += coordinate * stride;
      stride *= full[d];
    }
    return values[at];
  };
}

describe('batch normalization', () => {
  for (const c of CASES) {
    it(`normalizes ${c.name} to TF.js's formula within float32 rounding`, async () => {
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const xv = fill(size(c.x), 1, 40);
      const mv = fill(size(c.mean), 2, 30);
      const vv = fill(size(c.variance), 3).map((v) => Math.fround(Math.abs(v) + 0.05));
      const ov = c.offset ? fill(size(c.offset), 4, 2) : null;
      const sv = c.scale ? fill(size(c.scale), 5) : null;
      const t = (v: number[] | null, s: number[] | null) => (v && s ? tf.tensor(v, s) : undefined);
      const [x, mean, variance, offset, scale] = [
        tf.tensor(xv, c.x),
        tf.tensor(mv, c.mean),
        tf.tensor(vv, c.variance),
        t(ov, c.offset),
        t(sv, c.scale),
      ];
      const y = await expectNoLeak(
        () =>
          tf.batchNorm(
            x,
            mean as tf.Tensor1D,
            variance as tf.Tensor1D,
            offset as tf.Tensor1D,
            scale as tf.Tensor1D,
            c.epsilon,
          ),
        1,
      );
      expect(y.shape).toEqual(c.x);
      const got = await y.data();
      const [m, v] = [broadcastValues(mv, c.mean, c.x), broadcastValues(vv, c.variance, c.x)];
      const o = ov && c.offset ? broadcastValues(ov, c.offset, c.x) : () => 0;
      const s = sv && c.scale ? broadcastValues(sv, c.scale, c.x) : () => 1;
      let worst = 0;
      for (let i = 0; i < xv.length; i++) {
        const root = Math.sqrt(Math.fround(v(i) + c.epsilon));
        const centred = xv[i] - m(i);
        const want = o(i) + (centred * s(i)) / root;
        // A few float32 rounding steps of the largest term.
        const scale = Math.max(Math.abs(o(i)), Math.abs((centred * s(i)) / root), Math.abs(xv[i] * s(i)) / root);
        worst = Math.max(worst, Math.abs(got[i] - want) / (scale * 2 ** -23));
      }
      expect(worst).toBeLessThanOrEqual(4);
      tf.dispose([x, mean, variance, offset, scale, y].filter((z): z is tf.Tensor => z !== undefined));
    });
  }

  // IEEE arithmetic on the CPU backends; WGSL leaves infinities and NaN to the GPU's implementation.
  it.skipIf(process.env.CNN_BACKEND === 'webgpu')(
    'gives NaN and Infinity where TF.js does: a NaN pixel, an infinite one, a zero variance without ε',
    async () => {
      const x = tf.tensor2d([Number.NaN, 1, Number.POSITIVE_INFINITY, 2, Number.NEGATIVE_INFINITY, 3], [3, 2]);
      const y = tf.batchNorm(x, tf.tensor1d([0, 1]), tf.tensor1d([1, 0]), tf.tensor1d([0, 0]), tf.tensor1d([2, 1]), 0);
      const values = Array.from(await y.data());
      expect(values[0]).toBeNaN();
      // (1 - 1) / sqrt(0): 0 / 0.
      expect(values[1]).toBeNaN();
      expect(values[2]).toBe(Number.POSITIVE_INFINITY);
      expect(values[3]).toBe(Number.POSITIVE_INFINITY);
      expect(values[4]).toBe(Number.NEGATIVE_INFINITY);
      expect(values[5]).toBe(Number.POSITIVE_INFINITY);
      tf.dispose([x, y]);
    },
  );

  it.skipIf(!onWasm)(
    "runs the library's kernel on wasm, in place of TF.js's, within a few roundings of it",
    async () => {
      const kernel = tf.getKernel(tf.FusedBatchNorm, 'wasm');
      expect(kernel.kernelFunc).not.toBe(theirs?.kernelFunc);
      const x = tf.tensor4d(fill(2 * 6 * 6 * 32, 6, 10), [2, 6, 6, 32]);
      const [m, v, o, s] = [fill(32, 7), fill(32, 8).map((e) => Math.abs(e) + 0.1), fill(32, 9), fill(32, 10)].map(
        (e) => tf.tensor1d(e),
      );
      const ours = tf.batchNorm(x, m, v, o, s, 1e-3);
      const tfjs = await withTfjsKernel(theirs, () => tf.batchNorm(x, m, v, o, s, 1e-3));
      const [p, q] = [await ours.data(), await tfjs.data()];
      let worst = 0;
      // Relative to the value, or absolute below 1.
      for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]) / Math.max(1, Math.abs(q[i])));
      expect(worst).toBeLessThan(1e-6);
      tf.dispose([x, m, v, o, s, ours, tfjs]);
    },
  );
});
