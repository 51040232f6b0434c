/**
 * Strided slices read as TensorFlow reads them, on every backend. TF.js's own reading (shared by its backends) gave
 * other numbers, read past the tensor on wasm, or failed for the slices marked below; the expected values are
 * NumPy's (`x[...]` of `np.arange(60).reshape(3, 4, 5)`), which TensorFlow's slicing follows.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixStridedSlice, stridedSliceSpec } from '../../src/backend/stridedSlice.js';
import { activations } from '../../src/net/activations.js';
import { ensureGradients } from '../../src/net/gradients.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak } from '../helpers/leaks.js';

/** [NumPy's spelling, begin, end, strides, [begin, end, ellipsis, new axis, shrink] masks, shape, values]. */
type Case = [string, number[], number[], number[], number[], number[], number[]];
const CASES: Case[] = [
  // TF.js: x[:, 0, 2:3:2] (a shrunk axis before a strided one).
  ['x[:, 2, 3:4:2]', [0, 2, 3], [0, 3, 4], [1, 1, 2], [1, 1, 0, 0, 2], [3, 1], [13, 33, 53]],
  // TF.js: x[0, 0:4, 0] (an ellipsis after a strided axis, a negative index).
  ['x[:-1:3, ..., -1]', [0, 0, -1], [-1, 0, 0], [3, 1, 1], [1, 0, 2, 0, 4], [1, 4], [4, 9, 14, 19]],
  // TF.js: [0, 1] (negative indices shrunk).
  ['x[-3, -1, 0:-2:2]', [-3, -1, 0], [-2, 0, -2], [1, 1, 2], [0, 0, 0, 0, 3], [2], [15, 17]],
  // TF.js: an error on cpu; on wasm, values read from outside the tensor.
  [
    'x[1, ::-1]',
    [1, 0],
    [2, 0],
    [1, -1],
    [2, 2, 0, 0, 1],
    [4, 5],
    [35, 36, 37, 38, 39, 30, 31, 32, 33, 34, 25, 26, 27, 28, 29, 20, 21, 22, 23, 24],
  ],
  ['x[1:, ::-2, 3]', [1, 0, 3], [0, 0, 4], [1, -2, 1], [2, 3, 0, 0, 4], [2, 2], [38, 28, 58, 48]],
  [
    'x[None, -1, ::-2, 1:]',
    [0, -1, 0, 1],
    [0, 0, 0, 0],
    [1, 1, -2, 1],
    [4, 12, 0, 1, 2],
    [1, 2, 4],
    [56, 57, 58, 59, 46, 47, 48, 49],
  ],
  // TF.js: "Size(40) must match the product of shape 0,4,5".
  ['x[2:1]', [2], [1], [1], [0, 0, 0, 0, 0], [0, 4, 5], []],
  // Read right by TF.js too: the common ones.
  [
    'x[..., None, 1]',
    [0, 0, 1],
    [0, 0, 2],
    [1, 1, 1],
    [0, 0, 1, 2, 4],
    [3, 4, 1],
    [1, 6, 11, 16, 21, 26, 31, 36, 41, 46, 51, 56],
  ],
  ['x[..., -1]', [0, -1], [0, 0], [1, 1], [0, 0, 1, 0, 2], [3, 4], [4, 9, 14, 19, 24, 29, 34, 39, 44, 49, 54, 59]],
  ['x[0:3:2, 1:3, 0:5:4]', [0, 1, 0], [3, 3, 5], [2, 1, 4], [0, 0, 0, 0, 0], [2, 2, 2], [5, 9, 10, 14, 45, 49, 50, 54]],
];

const slice = (x: tf.Tensor, [, b, e, s, m]: Case) => tf.stridedSlice(x, b, e, s, m[0], m[1], m[2], m[3], m[4]);

describe('strided slices, as TensorFlow reads them', () => {
  beforeAll(() => fixStridedSlice());

  for (const c of CASES) {
    it(`${c[0]}: shape ${JSON.stringify(c[5])}`, async () => {
      const x = tf.reshape(tf.range(0, 60), [3, 4, 5]);
      const y = await expectNoLeak(() => slice(x, c), 1);
      expect(y.shape).toEqual(c[5]);
      expect(Array.from(await y.data())).toEqual(c[6]);
      // The same through an int32 tensor (a graph slices shapes and indices so).
      const xi = tf.cast(x, 'int32');
      const yi = slice(xi, c);
      expect([yi.dtype, Array.from(await yi.data())]).toEqual(['int32', c[6]]);
      tf.dispose([x, y, xi, yi]);
    });
  }

  it('has the gradient that puts each value back where it was read (the library’s StridedSlice gradient)', async () => {
    ensureGradients();
    // x holds its own flat indices, so a case's values say where each was read: position v gets weight j + 1.
    const x = tf.reshape(tf.range(0, 60), [3, 4, 5]);
    // WebGPU makes no buffer for an empty tensor, so the empty slice's product cannot run there.
    for (const c of CASES.filter((k) => BACKEND !== 'webgpu' || k[6].length > 0)) {
      const w = tf.reshape(tf.range(1, c[6].length + 1), c[5]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(slice(v, c), w)))(x);
      const want = new Array<number>(60).fill(0);
      c[6].forEach((v, j) => {
        want[v] = j + 1;
      });
      expect([c[0], Array.from(await g.data())]).toEqual([c[0], want]);
      tf.dispose([w, g]);
    }
    x.dispose();
  });

  it("refuses what TensorFlow refuses, with TensorFlow's reasons", () => {
    const shape = [3, 4, 5];
    const spec = (b: number[], e: number[], s: number[], shrink = 0, ellipsis = 0) =>
      stridedSliceSpec(shape, { begin: b, end: e, strides: s, shrinkAxisMask: shrink, ellipsisMask: ellipsis });
    expect(() => spec([0], [2], [0])).toThrow(
      new RangeError("a strided slice's stride must be a non-zero integer, got 0"),
    );
    expect(() => spec([0, 4], [1, 5], [1, 1], 2)).toThrow(
      new RangeError("a strided slice's index 4 is outside axis 1 of size 4"),
    );
    expect(() => spec([-4], [-3], [1], 1)).toThrow(
      new RangeError("a strided slice's index -4 is outside axis 0 of size 3"),
    );
    expect(() => spec([1], [2], [-1], 1)).toThrow(
      new RangeError("a strided slice's index (axis 0) needs a positive stride, got -1"),
    );
    expect(() => spec([0, 0], [0, 0], [1, 1], 0, 3)).toThrow(
      new RangeError('a strided slice may have one ellipsis only'),
    );
    expect(() => spec([0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1])).toThrow(
      new RangeError('a strided slice names 4 axes of a tensor of rank 3'),
    );
  });

  it('gives a converted graph’s slice its TensorFlow values through activations', async () => {
    // x[:, :, 2, 1:2:2] of a [n, 4, 5, 3] image (a shrunk axis before a strided one, which TF.js read otherwise).
    const i32 = (name: string, v: number[]) => ({
      name,
      op: 'Const',
      attr: {
        value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: String(v.length) }] } } },
        dtype: { type: 'DT_INT32' },
      },
    });
    const T = { type: 'DT_FLOAT' };
    const dims = (v: number[]) => ({ dim: v.map((d) => ({ size: String(d) })) });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([-1, 4, 5, 3]) } } },
            i32('b', [0, 0, 2, 1]),
            i32('e', [0, 0, 3, 2]),
            i32('s', [1, 1, 1, 2]),
            {
              name: 'pick',
              op: 'StridedSlice',
              input: ['x', 'b', 'e', 's'],
              attr: {
                T,
                Index: { type: 'DT_INT32' },
                begin_mask: { i: '3' },
                end_mask: { i: '3' },
                ellipsis_mask: { i: '0' },
                new_axis_mask: { i: '0' },
                shrink_axis_mask: { i: '4' },
              },
            },
          ],
          versions: { producer: 1395 },
        },
        weightSpecs: ['b', 'e', 's'].map((name) => ({ name, shape: [4], dtype: 'int32' as const })),
        weightData: new Int32Array([0, 0, 2, 1, 0, 0, 3, 2, 1, 1, 1, 2]).buffer,
        format: 'graph-model',
      }),
    );
    const net = await toNetwork(model, { normalization: 'none' });
    const img = tf.reshape(tf.range(0, 60), [4, 5, 3]);
    const a = activations(net, img, 'pick');
    expect(a.shape).toEqual([4, 1]);
    // Row r, column 2, channel 1: 15·r + 2·3 + 1.
    expect(Array.from(await a.data())).toEqual([7, 22, 37, 52]);
    tf.dispose([img, a]);
    net.dispose();
  });
});
