/**
 * Tensors of rank 5 and 6 (3-D convolutional networks, video, pixel shuffles) through the kernels TF.js 4.22's WebGPU
 * and WebGL shaders mishandled at those ranks: on WebGPU padding gave zeros, reversal, `where`, running sums and
 * batch-to-space refused, a strided slice of rank 6 gave zeros (WebGL refused most of them: checked in
 * test/e2e/browserImages.test.ts). Checked on every backend here against values worked out in the test.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../helpers/leaks.js';

const size = (shape: readonly number[]) => shape.reduce((p, q) => p * q, 1);

/** The coordinates of flat position `i` in `shape` (row-major). */
function coords(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    c[a] = i % shape[a];
    i = Math.floor(i / shape[a]);
  }
  return c;
}

const flat = (c: readonly number[], shape: readonly number[]) => c.reduce((p, v, a) => p * shape[a] + v, 0);

/** A tensor of `shape` holding 1, 2, 3, ... and those values. */
function counting(shape: number[], dtype: 'float32' | 'int32' = 'float32') {
  const values = Array.from({ length: size(shape) }, (_, i) => i + 1);
  return { x: tf.tensor(values, shape, dtype), values };
}

/** The values of a tensor of `shape`, each from `at(its coordinates)`. */
const build = (shape: readonly number[], at: (c: number[]) => number) =>
  Array.from({ length: size(shape) }, (_, i) => at(coords(i, shape)));

async function check(make: () => tf.Tensor, shape: number[], want: number[]) {
  const out = await expectNoLeak(make, 1);
  expect(out.shape).toEqual(shape);
  expect(Array.from(await out.data())).toEqual(want);
  out.dispose();
}

describe('rank 5 and 6', () => {
  it('pads with a constant, float32 and int32 (WebGPU: zeros)', async () => {
    const shape = [2, 1, 3, 1, 2];
    const paddings: [number, number][] = [
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 0],
      [0, 2],
    ];
    const outShape = shape.map((d, a) => d + paddings[a][0] + paddings[a][1]);
    for (const dtype of ['float32', 'int32'] as const) {
      const { x, values } = counting(shape, dtype);
      const want = build(outShape, (c) => {
        const inner = c.map((v, a) => v - paddings[a][0]);
        return inner.every((v, a) => v >= 0 && v < shape[a]) ? values[flat(inner, shape)] : 7;
      });
      await check(() => tf.pad(x, paddings, 7), outShape, want);
      x.dispose();
    }
  });

  it('pads by mirroring, both modes, rank 6 (WebGPU: zeros)', async () => {
    const shape = [2, 1, 3, 1, 2, 2];
    const { x, values } = counting(shape);
    const paddings: [number, number][] = [
      [1, 1],
      [0, 0],
      [2, 1],
      [0, 0],
      [0, 1],
      [1, 0],
    ];
    const outShape = shape.map((d, a) => d + paddings[a][0] + paddings[a][1]);
    for (const mode of ['reflect', 'symmetric'] as const) {
      const mirror = (v: number, d: number) => {
        if (v < 0) return mode === 'reflect' ? -v : -v - 1;
        if (v >= d) return mode === 'reflect' ? 2 * (d - 1) - v : 2 * d - 1 - v;
        return v;
      };
      const want = build(
        outShape,
        (c) =>
          values[
            flat(
              c.map((v, a) => mirror(v - paddings[a][0], shape[a])),
              shape,
            )
          ],
      );
      await check(() => tf.mirrorPad(x, paddings, mode), outShape, want);
    }
    x.dispose();
  });

  it('reverses, tiles and sums along an axis (WebGPU: refused, or a tile read synchronously)', async () => {
    const shape = [2, 1, 3, 1, 2];
    const { x, values } = counting(shape);
    const reversed = build(
      shape,
      (c) =>
        values[
          flat(
            c.map((v, a) => ([0, 2, 4].includes(a) ? shape[a] - 1 - v : v)),
            shape,
          )
        ],
    );
    await check(() => tf.reverse(x, [0, 2, 4]), shape, reversed);
    const reps = [1, 2, 1, 3, 1];
    const tiledShape = shape.map((d, a) => d * reps[a]);
    const tiled = build(
      tiledShape,
      (c) =>
        values[
          flat(
            c.map((v, a) => v % shape[a]),
            shape,
          )
        ],
    );
    // A kernel's output, as inside a network: held on the GPU on WebGPU.
    await check(() => tf.tidy(() => tf.tile(tf.add(x, 0), reps)), tiledShape, tiled);
    const running = build(shape, (c) => {
      let sum = 0;
      for (let v = c[2] + 1; v < shape[2]; v++) sum += values[flat([c[0], c[1], v, c[3], c[4]], shape)];
      return sum;
    });
    await check(() => tf.cumsum(x, 2, true, true), shape, running);
    x.dispose();
  });

  it('chooses with where, and finds the maximum along an axis, rank 6 (WebGPU: refused)', async () => {
    const shape = [2, 1, 2, 3, 1, 2];
    const { x, values } = counting(shape);
    const pattern = values.map((v) => (v * 7) % 5);
    const y = tf.tensor(pattern, shape);
    await check(
      () => tf.tidy(() => tf.where(tf.greater(y, 2), x, y)),
      shape,
      values.map((v, i) => (pattern[i] > 2 ? v : pattern[i])),
    );
    const argShape = shape.filter((_, a) => a !== 3);
    const want = build(argShape, (c) => {
      const at = (k: number) => pattern[flat([...c.slice(0, 3), k, ...c.slice(3)], shape)];
      return [0, 1, 2].reduce((best, k) => (at(k) > at(best) ? k : best), 0);
    });
    await check(() => tf.argMax(y, 3), argShape, want);
    tf.dispose([x, y]);
  });

  it('slices rank 6 with strides, backward too (WebGPU: zeros, or refused)', async () => {
    const shape = [3, 2, 3, 1, 4, 2];
    const { x, values } = counting(shape);
    const outShape = [2, 2, 2, 1, 2, 1];
    // Forward by 2 on axes 0, 2 and 4; backward from the end by 1 on axis 1; the last entry of axis 5.
    const want = build(outShape, (c) => values[flat([2 * c[0], 1 - c[1], 2 * c[2], 0, 2 * c[4], 1], shape)]);
    await check(
      () => tf.stridedSlice(x, [0, -1, 0, 0, 0, 1], [3, -3, 3, 1, 4, 2], [2, -1, 2, 1, 2, 1]),
      outShape,
      want,
    );
    x.dispose();
  });

  it('moves space into batches with trailing axes (WebGPU: not implemented)', async () => {
    const shape = [1, 2, 4, 1, 3];
    const { x, values } = counting(shape);
    // Blocks of 1×2, the width padded by one column on each side: out[j, h, w, ...] = x[0, h, 2w + j - 1, ...], 0 in
    // the padding.
    const outShape = [2, 2, 3, 1, 3];
    const want = build(outShape, ([b, h, w, ...rest]) => {
      const col = 2 * w + b - 1;
      return col < 0 || col >= 4 ? 0 : values[flat([0, h, col, ...rest], shape)];
    });
    await check(
      () =>
        tf.spaceToBatchND(
          x,
          [1, 2],
          [
            [0, 0],
            [1, 1],
          ],
        ),
      outShape,
      want,
    );
    x.dispose();
  });

  it('moves batches back to space with trailing axes (WebGPU: not implemented)', async () => {
    const shape = [4, 1, 2, 2, 3];
    const { x, values } = counting(shape);
    const outShape = [1, 2, 4, 2, 3];
    // out[n, 2h + i, 2w + j, ...] = x[(2i + j) · 1 + n, h, w, ...]
    const want = build(outShape, ([n, h, w, ...rest]) => {
      const [i, j] = [h % 2, w % 2];
      return values[flat([i * 2 + j + n, Math.floor(h / 2), Math.floor(w / 2), ...rest], shape)];
    });
    await check(
      () =>
        tf.batchToSpaceND(
          x,
          [2, 2],
          [
            [0, 0],
            [0, 0],
          ],
        ),
      outShape,
      want,
    );
    x.dispose();
  });
});
