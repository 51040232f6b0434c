/**
 * Gradients through the convolutions Keras layers use (a fused convolution's filter gradient, a depthwise
 * convolution's input gradient), on every backend: the wasm backend has no kernel for either, and the library
 * supplies them from operations. The oracle is the gradient written out in plain arithmetic.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
// What tfjs-layers does when it loads: every core gradient registered (Keras models run under it).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { fusedBatchNormGradConfig } from '@tensorflow/tfjs-core/dist/gradients/FusedBatchNorm_grad';
import { ensureGradients } from '../../src/net/gradients.js';
import { expectNoLeak } from '../helpers/leaks.js';

// After test/setup.ts started the backend: the wasm kernels go in once TF.js's wasm backend has registered its own.
beforeAll(() => ensureGradients());

/** A deterministic pseudo-random array. */
const values = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

interface Case {
  h: number;
  w: number;
  c: number;
  k: number;
  s: number;
  pad: 'same' | 'valid';
  /** Output channels of the convolution input-gradient tests (default 3; from 16 on, wasm's strided ones run a
   * col2im), and the depthwise tests' channel multiplier (default 2). */
  f?: number;
}

/** `[top, left]` padding and the output size, TensorFlow's rules. */
function geometry({ h, w, k, s, pad }: Case) {
  if (pad === 'valid') return { t: 0, l: 0, oh: Math.floor((h - k) / s) + 1, ow: Math.floor((w - k) / s) + 1 };
  const oh = Math.ceil(h / s);
  const ow = Math.ceil(w / s);
  const th = Math.max((oh - 1) * s + k - h, 0);
  const tw = Math.max((ow - 1) * s + k - w, 0);
  return { t: Math.floor(th / 2), l: Math.floor(tw / 2), oh, ow };
}

const CASES: Case[] = [
  { h: 7, w: 6, c: 3, k: 3, s: 2, pad: 'same' },
  { h: 8, w: 9, c: 2, k: 3, s: 1, pad: 'same' },
  { h: 9, w: 7, c: 2, k: 2, s: 2, pad: 'valid' },
  // The stride's spread reaches past the input's last row and column: cropped, not padded.
  { h: 7, w: 8, c: 2, k: 1, s: 3, pad: 'valid' },
  { h: 10, w: 7, c: 2, k: 2, s: 3, pad: 'same' },
  { h: 9, w: 8, c: 3, k: 3, s: 2, pad: 'same', f: 16 },
  { h: 11, w: 10, c: 2, k: 3, s: 2, pad: 'valid', f: 20 },
  // One output channel, a depthwise multiplier of 1 (MobileNet's: nothing to sum over the multiplier).
  { h: 8, w: 7, c: 3, k: 3, s: 2, pad: 'same', f: 1 },
];

describe('gradients through Keras-style convolutions', () => {
  for (const cs of CASES) {
    it(`fused conv2d filter gradient, ${cs.h}×${cs.w}×${cs.c}, ${cs.k}×${cs.k} stride ${cs.s} '${cs.pad}'`, async () => {
      const f = 4;
      const { t, l, oh, ow } = geometry(cs);
      const xv = values(cs.h * cs.w * cs.c, 1);
      const wv = values(cs.k * cs.k * cs.c * f, 2);
      const rv = values(oh * ow * f, 3); // the weights of the scalar loss sum(y · r)
      const x = tf.tensor4d(xv, [1, cs.h, cs.w, cs.c]);
      const W = tf.tensor4d(wv, [cs.k, cs.k, cs.c, f]);
      const bias = tf.zeros([f]);
      const r = tf.tensor4d(rv, [1, oh, ow, f]);
      const dW = await expectNoLeak(
        () =>
          tf.grad((w: tf.Tensor) =>
            tf.sum(tf.mul(tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: cs.s, pad: cs.pad, bias }), r)),
          )(W),
        1,
      );
      const got = await dW.data();
      // dW[i, j, c, o] = Σ x[oy·s + i - t, ox·s + j - l, c] r[oy, ox, o]
      let worst = 0;
      for (let i = 0; i < cs.k; i++)
        for (let j = 0; j < cs.k; j++)
          for (let c = 0; c < cs.c; c++)
            for (let o = 0; o < f; o++) {
              let sum = 0;
              for (let oy = 0; oy < oh; oy++)
                for (let ox = 0; ox < ow; ox++) {
                  const y = oy * cs.s + i - t;
                  const xx = ox * cs.s + j - l;
                  if (y < 0 || y >= cs.h || xx < 0 || xx >= cs.w) continue;
                  sum += xv[(y * cs.w + xx) * cs.c + c] * rv[(oy * ow + ox) * f + o];
                }
              worst = Math.max(worst, Math.abs(got[((i * cs.k + j) * cs.c + c) * f + o] - sum));
            }
      expect(worst).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, W, bias, r, dW]);
    });

    // tf.conv2d's gradient is ours; a fused convolution's calls the Conv2DBackpropInput kernel (ours on wasm).
    it.each(['conv2d', 'fused conv2d'])(
      `%s input gradient, ${cs.h}×${cs.w}×${cs.c}, ${cs.k}×${cs.k} stride ${cs.s} '${cs.pad}', ${cs.f ?? 3} filters`,
      async (op) => {
        const f = cs.f ?? 3;
        const { t, l, oh, ow } = geometry(cs);
        const xv = values(cs.h * cs.w * cs.c, 7);
        const wv = values(cs.k * cs.k * cs.c * f, 8);
        const rv = values(oh * ow * f, 9);
        const x = tf.tensor4d(xv, [1, cs.h, cs.w, cs.c]);
        const W = tf.tensor4d(wv, [cs.k, cs.k, cs.c, f]);
        const r = tf.tensor4d(rv, [1, oh, ow, f]);
        const dx = await expectNoLeak(
          () =>
            tf.grad((v: tf.Tensor) => {
              const y =
                op === 'conv2d'
                  ? tf.conv2d(v as tf.Tensor4D, W, cs.s, cs.pad)
                  : tf.fused.conv2d({
                      x: v as tf.Tensor4D,
                      filter: W,
                      strides: cs.s,
                      pad: cs.pad,
                      bias: tf.zeros([f]),
                    });
              return tf.sum(tf.mul(y, r));
            })(x),
          1,
        );
        const got = await dx.data();
        // dx[y, x, c] = Σ W[i, j, c, o] r[oy, ox, o] over oy·s + i - t = y, ox·s + j - l = x
        const want = new Float64Array(cs.h * cs.w * cs.c);
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let i = 0; i < cs.k; i++)
              for (let j = 0; j < cs.k; j++) {
                const y = oy * cs.s + i - t;
                const xx = ox * cs.s + j - l;
                if (y < 0 || y >= cs.h || xx < 0 || xx >= cs.w) continue;
                for (let c = 0; c < cs.c; c++)
                  for (let o = 0; o < f; o++) {
                    want[(y * cs.w + xx) * cs.c + c] +=
                      wv[((i * cs.k + j) * cs.c + c) * f + o] * rv[(oy * ow + ox) * f + o];
                  }
              }
        const worst = want.reduce((mx, v, i) => Math.max(mx, Math.abs(v - got[i])), 0);
        expect(worst).toBeLessThanOrEqual(1e-4);
        tf.dispose([x, W, r, dx]);
      },
    );

    it(`depthwise conv2d input gradient, ${cs.h}×${cs.w}×${cs.c}, ${cs.k}×${cs.k} stride ${cs.s} '${cs.pad}', multiplier ${cs.f ?? 2}`, async () => {
      const m = cs.f ?? 2; // the channel multiplier
      const { t, l, oh, ow } = geometry(cs);
      const xv = values(cs.h * cs.w * cs.c, 4);
      const wv = values(cs.k * cs.k * cs.c * m, 5);
      const rv = values(oh * ow * cs.c * m, 6);
      const x = tf.tensor4d(xv, [1, cs.h, cs.w, cs.c]);
      const W = tf.tensor4d(wv, [cs.k, cs.k, cs.c, m]);
      const r = tf.tensor4d(rv, [1, oh, ow, cs.c * m]);
      const dx = await expectNoLeak(
        () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(v as tf.Tensor4D, W, cs.s, cs.pad), r)))(x),
        1,
      );
      const got = await dx.data();
      // dx[y, x, c] = Σ W[i, j, c, q] r[oy, ox, c·m + q] over oy·s + i - t = y, ox·s + j - l = x
      const want = new Float64Array(cs.h * cs.w * cs.c);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++)
          for (let i = 0; i < cs.k; i++)
            for (let j = 0; j < cs.k; j++) {
              const y = oy * cs.s + i - t;
              const xx = ox * cs.s + j - l;
              if (y < 0 || y >= cs.h || xx < 0 || xx >= cs.w) continue;
              for (let c = 0; c < cs.c; c++)
                for (let q = 0; q < m; q++) {
                  want[(y * cs.w + xx) * cs.c + c] +=
                    wv[((i * cs.k + j) * cs.c + c) * m + q] * rv[(oy * ow + ox) * cs.c * m + c * m + q];
                }
            }
      const worst = want.reduce((mx, v, i) => Math.max(mx, Math.abs(v - got[i])), 0);
      expect(worst).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, W, r, dx]);
    });
  }
});

describe('max pooling gradient with tied maxima next to padding', () => {
  it("routes each window's gradient to its first maximum, also after tfjs-layers registered TF.js's own", async () => {
    // TF.js's gradients are registered (as tfjs-layers does on load); ensureGradients must still put its own in.
    ensureGradients();
    const H = 5;
    const xv = Float32Array.from({ length: H * H }, (_, i) => [0, 0, 1, 0, 0, 1, 1, 0][i % 8]); // many ties
    const x = tf.tensor4d(xv, [1, H, H, 1]);
    const oh = 3; // pad 1 with -Infinity, 3×3 windows, stride 2
    const dyv = Float32Array.from({ length: oh * oh }, (_, i) => i + 1);
    const dy = tf.tensor4d(dyv, [1, oh, oh, 1]);
    const dx = tf.grad((v: tf.Tensor) => {
      const padded = tf.pad(
        v,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        Number.NEGATIVE_INFINITY,
      );
      return tf.sum(tf.mul(tf.maxPool(padded as tf.Tensor4D, 3, 2, 'valid'), dy));
    })(x);
    const got = await dx.data();
    const want = new Float64Array(H * H);
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < oh; ox++) {
        let best = -1;
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 3; j++) {
            const [y, xx] = [oy * 2 + i - 1, ox * 2 + j - 1];
            if (y < 0 || y >= H || xx < 0 || xx >= H) continue;
            if (best < 0 || xv[y * H + xx] > xv[best]) best = y * H + xx;
          }
        want[best] += dyv[oy * oh + ox];
      }
    expect(Array.from(got)).toEqual(Array.from(want));
    tf.dispose([x, dy, dx]);
  });
});

describe("resize gradients over TF.js's own", () => {
  it('follow halfPixelCenters and a non-square image, as the forward resize does', async () => {
    // TF.js's gradient kernels ignore halfPixelCenters (what TensorFlow 2 graphs use), and the cpu one swaps a
    // non-square image's height and width; the library's own are put in over them.
    ensureGradients();
    const x = tf.tensor4d(values(3 * 5 * 2, 3), [1, 3, 5, 2]);
    const w = tf.tensor4d(values(7 * 9 * 2, 4), [1, 7, 9, 2]);
    const dir = tf.tensor4d(values(3 * 5 * 2, 5), [1, 3, 5, 2]);
    for (const resize of [tf.image.resizeBilinear, tf.image.resizeNearestNeighbor]) {
      const f = (v: tf.Tensor) => tf.sum(tf.mul(resize(v as tf.Tensor4D, [7, 9], false, true), w));
      const eps = 1e-2;
      const [analytic, plus, minus] = tf.tidy(() => [
        tf.sum(tf.mul(tf.grad(f)(x), dir)),
        f(tf.add(x, tf.mul(dir, eps))),
        f(tf.sub(x, tf.mul(dir, eps))),
      ]);
      const [a, p, m] = await Promise.all([analytic.data(), plus.data(), minus.data()]);
      const numeric = (p[0] - m[0]) / (2 * eps);
      expect(Math.abs(a[0] - numeric) / Math.abs(numeric), resize.name).toBeLessThan(1e-2);
      tf.dispose([analytic, plus, minus]);
    }
    tf.dispose([x, w, dir]);
  });
});

describe("squared difference and floor division gradients over TF.js's own", () => {
  it('sum over broadcast axes, and are zero for a floor division, as in TensorFlow', async () => {
    // MoveNet's last layers: (grid − keypoint)² against a [1, 17] keypoint row, and positions by floor division.
    ensureGradients();
    const a = tf.tensor3d(values(4 * 3 * 2, 6), [4, 3, 2]);
    const b = tf.tensor3d(values(2, 7), [1, 1, 2]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.squaredDifference(x, y)))([a, b]);
    const want = tf.tidy(() => {
      const d = tf.mul(tf.sub(a, b), 2);
      return [d, tf.neg(tf.sum(d, [0, 1], true))];
    });
    expect(gb.shape).toEqual([1, 1, 2]);
    const diff = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(ga, want[0]))), tf.max(tf.abs(tf.sub(gb, want[1])))]));
    for (const d of await diff.data()) expect(d).toBeLessThan(1e-5);
    const floor = tf.grad((x: tf.Tensor) => tf.sum(tf.floorDiv(tf.mul(x, 10), tf.scalar(3))))(a);
    expect(Array.from(await floor.data())).toEqual(new Array(24).fill(0));
    tf.dispose([a, b, ga, gb, ...want, diff, floor]);
  });
});

describe("maximum and minimum gradients over TF.js's own", () => {
  it('sum over the axes broadcasting stretched, each operand taking the gradient where it is chosen', async () => {
    // TF.js's gave the gradient the result's shape ("the gradient of input 'b' has shape 4,3,2, which does not match
    // the shape of the input 1,3,1"): a clip against a per-channel bound that is itself computed, for one.
    ensureGradients();
    const a = tf.tensor3d(values(4 * 3 * 2, 9), [4, 3, 2]);
    const b = tf.tensor3d(values(3, 10), [1, 3, 1]);
    const dy = tf.tensor3d(values(4 * 3 * 2, 11), [4, 3, 2]);
    for (const [op, pickA] of [
      [tf.maximum, tf.greaterEqual],
      [tf.minimum, tf.lessEqual],
    ] as const) {
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(op(x, y), dy)))([a, b]);
      const want = tf.tidy(() => {
        const chosen = tf.cast(pickA(a, b), 'float32');
        return [tf.mul(dy, chosen), tf.sum(tf.mul(dy, tf.sub(1, chosen)), [0, 2], true)];
      });
      expect([ga.shape, gb.shape]).toEqual([
        [4, 3, 2],
        [1, 3, 1],
      ]);
      const diff = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(ga, want[0]))), tf.max(tf.abs(tf.sub(gb, want[1])))]));
      for (const d of await diff.data()) expect(d).toBeLessThan(1e-6);
      tf.dispose([ga, gb, ...want, diff]);
    }
    tf.dispose([a, b, dy]);
  });
});

describe("batch normalization's gradient over TF.js's own", () => {
  it("gives every input's gradient as TF.js's does, without tiling the variance over the input", async () => {
    ensureGradients();
    const c = 5;
    const x = tf.tensor4d(values(2 * 6 * 7 * c, 11), [2, 6, 7, c]);
    const [mean, offset] = [tf.tensor1d(values(c, 12)), tf.tensor1d(values(c, 13))];
    const variance = tf.tensor1d(values(c, 14).map((v) => v + 1));
    const scale = tf.tensor1d(values(c, 15).map((v) => v + 1.5));
    const dy = tf.tensor4d(values(2 * 6 * 7 * c, 16), [2, 6, 7, c]);
    const attrs = { varianceEpsilon: 1e-3 };
    const inputs = ['x', 'mean', 'variance', 'scale', 'offset'];
    const run = (config: tf.GradConfig) =>
      tf.tidy(() => {
        const grads = config.gradFunc(dy, [x, mean, variance, scale], attrs) as Record<string, () => tf.Tensor>;
        return inputs.map((name) => grads[name]());
      });
    const ours = tf.getGradient(tf.FusedBatchNorm) as tf.GradConfig;
    expect(ours).not.toBe(fusedBatchNormGradConfig);
    const got = run(ours);
    const want = run(fusedBatchNormGradConfig);
    for (const [i, name] of inputs.entries()) {
      expect(got[i].shape, name).toEqual(want[i].shape);
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(got[i], want[i]))));
      expect((await d.data())[0], name).toBeLessThan(1e-4);
      d.dispose();
    }
    // The input's gradient, all a dream or Grad-CAM asks for, runs no Tile (TF.js's tiled rsqrt(variance) to the
    // input's shape: 60% of a dream's time on wasm through a Keras MobileNetV2).
    const profile = await tf.profile(() =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.batchNorm(v, mean, variance, offset, scale, attrs.varianceEpsilon)))(x),
    );
    expect(profile.kernelNames).not.toContain('Tile');
    expect(profile.kernelNames).toContain('FusedBatchNorm');
    tf.dispose([x, mean, offset, variance, scale, dy, ...got, ...want, profile.result as tf.Tensor]);
  });
});

describe("clipping's gradient over TF.js's own", () => {
  it('passes dy where the input lies within the bounds, bounds included, from one comparison', async () => {
    ensureGradients();
    const x = tf.tensor1d([-3, -1, -0.5, 0, 1.5, 2, Number.NaN, 1.25]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    const profile = await tf.profile(() =>
      tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, -1, 1.5), dy)))(x),
    );
    const g = profile.result as tf.Tensor;
    expect(Array.from(await g.data())).toEqual([0, 2, 3, 4, 5, 0, 0, 8]);
    // Not the two comparisons with the bounds and their logical and, which on wasm took 2.5 times as long.
    expect(profile.kernelNames).not.toContain('LogicalAnd');
    expect(profile.kernelNames).toContain('Equal');
    tf.dispose([x, dy, g]);
  });
});

describe("ReLU6's gradient over TF.js's own", () => {
  it('passes dy where 0 < x ≤ 6, from one clip and one comparison, and none for NaN', async () => {
    ensureGradients();
    const x = tf.tensor1d([-1, 0, 2 ** -126, 3, 6, 6.5, Number.NaN, 1e-3]);
    const dy = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    const profile = await tf.profile(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu6(v), dy)))(x));
    const g = profile.result as tf.Tensor;
    expect(Array.from(await g.data())).toEqual([0, 0, 3, 4, 5, 0, 0, 8]);
    // Not two comparisons with the bounds and their logical and, which on wasm took twice as long.
    expect(profile.kernelNames).not.toContain('LogicalAnd');
    tf.dispose([x, dy, g]);
  });
});

describe("product, gather and batched product gradients over TF.js's own", () => {
  it('run where TF.js’s fail (a product under Node.js, a gather on wasm), with the same numbers', async () => {
    ensureGradients();
    const x = tf.tensor3d(
      values(2 * 3 * 4, 8).map((v) => v + 1),
      [2, 3, 4],
    );
    const prod = tf.grad((v: tf.Tensor) => tf.sum(tf.prod(v, [0, 2])))(x);
    const gather = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.gather(v, [3, 0, 3], 2), tf.tensor1d([1, 2, 4]))))(x);
    const want = tf.tidy(() => {
      // d/dx_i of a product is the product of the others: the product over the axes divided by x_i (none is zero).
      const others = tf.div(tf.prod(x, [0, 2], true), x);
      return [others, tf.mul(tf.onesLike(x), tf.tensor1d([2, 0, 0, 5]))];
    });
    const diff = tf.tidy(() =>
      tf.stack([tf.max(tf.abs(tf.sub(prod, want[0]))), tf.max(tf.abs(tf.sub(gather, want[1])))]),
    );
    for (const d of await diff.data()) expect(d).toBeLessThan(1e-5);
    tf.dispose([x, prod, gather, ...want, diff]);
  });

  it('sums a batched product’s gradient over the batch axes broadcasting added (TF.js’s does not)', async () => {
    ensureGradients();
    const a = tf.tensor4d(values(2 * 3 * 4 * 5, 9), [2, 3, 4, 5]);
    const b = tf.tensor3d(values(3 * 5 * 2, 10), [3, 5, 2]);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
    const want = tf.tidy(() => {
      const ones = tf.ones([2, 3, 4, 2]);
      return [tf.matMul(ones, b, false, true), tf.sum(tf.matMul(a, ones, true, false), 0)];
    });
    expect([ga.shape, gb.shape]).toEqual([a.shape, b.shape]);
    const diff = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(ga, want[0]))), tf.max(tf.abs(tf.sub(gb, want[1])))]));
    for (const d of await diff.data()) expect(d).toBeLessThan(1e-5);
    tf.dispose([a, b, ga, gb, ...want, diff]);
  });
});

describe("mirror padding gradient over TF.js's own", () => {
  for (const mode of ['reflect', 'symmetric'] as const) {
    it(`${mode}: each value gets the gradient of every place it was copied to`, async () => {
      ensureGradients();
      const [h, w] = [4, 5];
      const pads: [number, number][] = [
        [2, 1],
        [1, 3],
      ];
      const x = tf.tensor2d(values(h * w, 15), [h, w]);
      const [ph, pw] = [h + 3, w + 4];
      const weights = values(ph * pw, 16);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(v, pads, mode), tf.tensor2d(weights, [ph, pw]))))(
        x,
      );
      // Written out: where each padded cell was copied from.
      const from = (i: number, before: number, d: number) => {
        const k = i - before;
        if (k < 0) return mode === 'reflect' ? -k : -k - 1;
        if (k >= d) return mode === 'reflect' ? 2 * (d - 1) - k : 2 * d - 1 - k;
        return k;
      };
      const want = new Array<number>(h * w).fill(0);
      for (let i = 0; i < ph; i++)
        for (let j = 0; j < pw; j++) want[from(i, 2, h) * w + from(j, 1, w)] += weights[i * pw + j];
      const got = await g.data();
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
      tf.dispose([x, g]);
    });
  }
});

describe("average pooling gradient over TF.js's own", () => {
  it("leaves 'same' padding out of each window's count, as the forward average does", async () => {
    ensureGradients();
    const [h, w, k, s] = [5, 6, 3, 2];
    const x = tf.tensor4d(values(h * w, 14), [1, h, w, 1]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.avgPool(v as tf.Tensor4D, k, s, 'same')))(x);
    // Written out: output (i, j) averages the real cells of its window, so each of them gets 1 / (their count).
    const { t, l, oh, ow } = geometry({ h, w, c: 1, k, s, pad: 'same' });
    const want = new Array<number>(h * w).fill(0);
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++) {
        const cells: number[] = [];
        for (let a = i * s - t; a < i * s - t + k; a++)
          for (let b = j * s - l; b < j * s - l + k; b++) if (a >= 0 && a < h && b >= 0 && b < w) cells.push(a * w + b);
        for (const c of cells) want[c] += 1 / cells.length;
      }
    const got = await g.data();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    tf.dispose([x, g]);
  });
});

describe("dilated convolution gradients over TF.js's own", () => {
  /** A `[3, 3, a, b]` kernel spread by `[dh, dw]`, zeros between the taps, written out. */
  const spread = async (w: tf.Tensor, dh: number, dw: number) => {
    const [, , a, b] = w.shape;
    const src = await w.buffer();
    const dst = tf.buffer([2 * dh + 1, 2 * dw + 1, a, b]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) dst.set(src.get(i, j, p, q), dh * i, dw * j, p, q);
    return dst.toTensor();
  };
  /** The taps of a spread kernel's gradient, written out: the inverse of `spread`. */
  const taps = async (g: tf.Tensor, dh: number, dw: number) => {
    const [, , a, b] = g.shape;
    const src = await g.buffer();
    const dst = tf.buffer([3, 3, a, b]);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let p = 0; p < a; p++) for (let q = 0; q < b; q++) dst.set(src.get(dh * i, dw * j, p, q), i, j, p, q);
    return dst.toTensor();
  };

  // TF.js's refuse a dilation above 1; its cpu backend's depthwise gradient kernels ignored it (wrong numbers).
  for (const [name, conv, filterShape] of [
    [
      'conv2d',
      (x: tf.Tensor4D, f: tf.Tensor4D, d: [number, number]) => tf.conv2d(x, f, 1, 'same', 'NHWC', d),
      [3, 3, 3, 4],
    ],
    [
      'depthwise conv2d',
      (x: tf.Tensor4D, f: tf.Tensor4D, d: [number, number]) => tf.depthwiseConv2d(x, f, 1, 'valid', 'NHWC', d),
      [3, 3, 3, 2],
    ],
  ] as const) {
    it(`${name}, dilations [2, 3]: the gradients of the same kernel spread out, the taps read back`, async () => {
      ensureGradients();
      const x = tf.tensor4d(values(2 * 9 * 10 * 3, 11), [2, 9, 10, 3]);
      const f = tf.tensor4d(
        values(
          filterShape.reduce((p, q) => p * q, 1),
          12,
        ),
        [...filterShape],
      );
      const big = (await spread(f, 2, 3)) as tf.Tensor4D;
      const loss = (y: tf.Tensor) => tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
      const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) => loss(conv(a as tf.Tensor4D, b as tf.Tensor4D, [2, 3])))(
        [x, f],
      );
      // The same function without a dilation, through TF.js's own gradients.
      const [wx, wBig] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        loss(conv(a as tf.Tensor4D, b as tf.Tensor4D, [1, 1])),
      )([x, big]);
      const wf = await taps(wBig, 2, 3);
      expect([gx.shape, gf.shape]).toEqual([x.shape, f.shape]);
      const diff = tf.tidy(() => tf.stack([tf.max(tf.abs(tf.sub(gx, wx))), tf.max(tf.abs(tf.sub(gf, wf)))]));
      const scale = tf.tidy(() => tf.stack([tf.max(tf.abs(wx)), tf.max(tf.abs(wf))]));
      const [d, s] = await Promise.all([diff.data(), scale.data()]);
      for (let i = 0; i < 2; i++) {
        expect(s[i]).toBeGreaterThan(0.1);
        expect(d[i]).toBeLessThan(1e-5 * s[i]);
      }
      tf.dispose([x, f, big, gx, gf, wx, wBig, wf, diff, scale]);
    });
  }

  it('hands an undilated convolution to the gradient registered before, as it is', async () => {
    // Another package's gradient, registered after the library's (as tfjs-layers registers TF.js's when it loads).
    const ours = tf.getGradient(tf.Conv2D);
    const other: tf.GradConfig = {
      kernelName: tf.Conv2D,
      inputsToSave: ['x', 'filter'],
      gradFunc: (_dy, [x, f]) => ({ x: () => tf.fill(x.shape, 7), filter: () => tf.fill(f.shape, 5) }),
    };
    tf.registerGradient(other);
    ensureGradients();
    expect(tf.getGradient(tf.Conv2D)).not.toBe(other);
    const x = tf.ones([1, 6, 5, 2]);
    const f = tf.ones([3, 3, 2, 3]);
    const [gx, gf] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')),
    )([x, f]);
    expect(new Set(await gx.data())).toEqual(new Set([7]));
    expect(new Set(await gf.data())).toEqual(new Set([5]));
    tf.registerGradient(ours as tf.GradConfig);
    tf.dispose([x, f, gx, gf]);
  });
});

describe('max pooling gradient, batches, channels, uneven windows', () => {
  /** TF's routing, written out: each window's gradient goes to its first maximum (row-major). */
  function reference(
    xv: Float32Array,
    dyv: Float32Array,
    [n, H, W, c]: number[],
    [kh, kw]: number[],
    [sh, sw]: number[],
  ) {
    const [oh, ow] = [Math.floor((H - kh) / sh) + 1, Math.floor((W - kw) / sw) + 1];
    const want = new Float64Array(xv.length);
    for (let b = 0; b < n; b++)
      for (let r = 0; r < oh; r++)
        for (let q = 0; q < ow; q++)
          for (let k = 0; k < c; k++) {
            let best = -1;
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const at = ((b * H + r * sh + i) * W + q * sw + j) * c + k;
                if (best < 0 || xv[at] > xv[best]) best = at;
              }
            want[best] += dyv[((b * oh + r) * ow + q) * c + k];
          }
    return { want, oh, ow };
  }

  for (const cs of [
    { shape: [2, 7, 6, 3], kernel: [3, 2], strides: [2, 1] },
    { shape: [1, 9, 9, 5], kernel: [3, 3], strides: [2, 2] },
    { shape: [3, 5, 8, 2], kernel: [2, 3], strides: [3, 2] },
  ]) {
    it(`${cs.shape.join('×')}, ${cs.kernel.join('×')} windows, strides ${cs.strides.join('×')}, many ties`, async () => {
      ensureGradients();
      const size = cs.shape.reduce((a, b) => a * b, 1);
      const xv = Float32Array.from({ length: size }, (_, i) => (i * 7919) % 5); // values 0..4: many tied maxima
      const x = tf.tensor4d(xv, cs.shape as [number, number, number, number]);
      const { oh, ow } = reference(xv, new Float32Array(size), cs.shape, cs.kernel, cs.strides);
      const dyShape = [cs.shape[0], oh, ow, cs.shape[3]] as [number, number, number, number];
      const dyv = Float32Array.from({ length: dyShape.reduce((a, b) => a * b, 1) }, (_, i) => (i % 13) - 6);
      const dy = tf.tensor4d(dyv, dyShape);
      const dx = tf.grad((v: tf.Tensor) =>
        tf.sum(
          tf.mul(
            tf.maxPool(v as tf.Tensor4D, cs.kernel as [number, number], cs.strides as [number, number], 'valid'),
            dy,
          ),
        ),
      )(x);
      const got = await dx.data();
      expect(Array.from(got)).toEqual(Array.from(reference(xv, dyv, cs.shape, cs.kernel, cs.strides).want));
      tf.dispose([x, dy, dx]);
    });
  }
});

describe("max pooling gradient with 'same' padding", () => {
  it('never routes to a cell outside the image, and matches the cpu kernel', async () => {
    ensureGradients();
    const xv = Float32Array.from({ length: 2 * 6 * 7 * 3 }, (_, i) => -((i * 31) % 4)); // ≤ 0: padding must not win
    const x = tf.tensor4d(xv, [2, 6, 7, 3]);
    const f = (v: tf.Tensor) =>
      tf.sum(
        tf.mul(tf.maxPool(v as tf.Tensor4D, 3, 2, 'same'), tf.reshape(tf.range(1, 2 * 3 * 4 * 3 + 1), [2, 3, 4, 3])),
      );
    const dx = tf.grad(f)(x);
    const got = await dx.data();
    // TF's routing written out: first maximum among the window's cells inside the image (padding top/left 0, 'same').
    const want = new Float64Array(xv.length);
    const [H, W, C] = [6, 7, 3];
    const pads = {
      top: Math.floor(Math.max(0, (3 - 1) * 2 + 3 - H) / 2),
      left: Math.floor(Math.max(0, (4 - 1) * 2 + 3 - W) / 2),
    };
    for (let b = 0; b < 2; b++)
      for (let r = 0; r < 3; r++)
        for (let q = 0; q < 4; q++)
          for (let k = 0; k < C; k++) {
            let best = -1;
            for (let i = r * 2 - pads.top; i < r * 2 - pads.top + 3; i++)
              for (let j = q * 2 - pads.left; j < q * 2 - pads.left + 3; j++) {
                if (i < 0 || i >= H || j < 0 || j >= W) continue;
                const at = ((b * H + i) * W + j) * C + k;
                if (best < 0 || xv[at] > xv[best]) best = at;
              }
            want[best] += ((b * 3 + r) * 4 + q) * C + k + 1;
          }
    expect(Array.from(got)).toEqual(Array.from(want));
    tf.dispose([x, dx]);
  });
});
