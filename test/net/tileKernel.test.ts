/**
 * Tiling on every backend, and on wasm through the library's own `Tile` kernel, which replaces TF.js's there. The
 * oracle picks each output element's source by its index; on wasm the results are also compared bit for bit with
 * TF.js's own kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';
import { expectNoLeak } from '../helpers/leaks.js';
import { random } from '../helpers/tinyNetwork.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

/** TF.js's own `Tile` on wasm, as its backend registered it (bound to the running wasm module). */
let theirs: tf.KernelConfig | undefined;

// After test/setup.ts started the backend, as the library does before every pass.
beforeAll(() => {
  theirs = takeTfjsKernels(tf.Tile).get(tf.Tile);
});

/** The tile of `values` (of `shape`) by `reps`, element by element: each output index taken modulo the input's. */
function oracle(values: ArrayLike<number>, shape: number[], reps: number[]): number[] {
  const outShape = shape.map((d, i) => d * reps[i]);
  const out: number[] = [];
  const size = outShape.reduce((a, b) => a * b, 1);
  for (let o = 0; o < size; o++) {
    let rest = o;
    let at = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const i = rest % outShape[d];
      rest = Math.floor(rest / outShape[d]);
      at += (i % shape[d]) * stride;
      stride *= shape[d];
    }
    out.push(values[at]);
  }
  return out;
}

describe('tile', () => {
  it('repeats every axis as asked, for random shapes, repeats and dtypes', async () => {
    // random() is in [-1, 1): scaled to [0, 1).
    const draw = random(5);
    const r = () => (draw() + 1) / 2;
    for (let trial = 0; trial < 60; trial++) {
      const rank = 1 + Math.floor(r() * 5);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
      const reps = Array.from({ length: rank }, () => (r() < 0.5 ? 1 : Math.floor(r() * 4)));
      const dtype = (['float32', 'int32', 'bool'] as const)[trial % 3];
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: n }, (_, i) =>
        dtype === 'bool' ? i % 2 : dtype === 'int32' ? i - 7 : i / 3 - 1,
      );
      const x = tf.tensor(values, shape, dtype);
      const y = await expectNoLeak(() => tf.tile(x, reps), 1);
      expect(y.shape, `${shape} by ${reps}`).toEqual(shape.map((d, i) => d * reps[i]));
      expect(y.dtype).toBe(dtype);
      const want = oracle(values, shape, reps);
      expect(Array.from(await y.data()), `${shape} by ${reps} (${dtype})`).toEqual(
        dtype === 'float32' ? want.map(Math.fround) : want,
      );
      tf.dispose([x, y]);
    }
  });

  it('copies NaN, -0 and subnormal values as they are, and tiles a batch of images as broadcastTo does', async () => {
    const x = tf.tensor2d([Number.NaN, -0, 2 ** -149, Number.NEGATIVE_INFINITY], [2, 2]);
    const y = tf.tile(x, [2, 3]);
    const got = Array.from(await y.data());
    expect(got.map((v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(
      oracle(await x.data(), [2, 2], [2, 3]).map((v) => (Object.is(v, -0) ? '-0' : String(v))),
    );
    const image = tf.tensor4d(
      Array.from({ length: 2 * 3 * 3 }, (_, i) => i),
      [1, 2, 3, 3],
    );
    const [tiled, broadcast] = [tf.tile(image, [4, 1, 1, 1]), tf.broadcastTo(image, [4, 2, 3, 3])];
    expect(Array.from(await tiled.data())).toEqual(Array.from(await broadcast.data()));
    expect(Array.from(await tiled.data())).toEqual(oracle(await image.data(), [1, 2, 3, 3], [4, 1, 1, 1]));
    tf.dispose([x, y, image, tiled, broadcast]);
  });

  it.runIf(onWasm)("gives TF.js's own kernel's bytes on wasm", async () => {
    const x = tf.randomNormal([3, 1, 5, 2], 0, 1, 'float32', 9);
    const cases = [
      [2, 3, 1, 2],
      [1, 4, 1, 1],
      [1, 1, 1, 3],
      [3, 1, 2, 1],
    ];
    const ours = cases.map((reps) => tf.tile(x, reps));
    const tfjs = await withTfjsKernel(theirs, () => cases.map((reps) => tf.tile(x, reps)));
    for (const [i, y] of ours.entries()) {
      expect(new Uint8Array((await y.data()).buffer)).toEqual(new Uint8Array((await tfjs[i].data()).buffer));
    }
    tf.dispose([x, ...ours, ...tfjs]);
  });
});
