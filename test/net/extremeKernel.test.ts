/**
 * `maximum` and `minimum` on every backend, and on wasm through the library's own `Maximum` and `Minimum` for float32
 * tensors (a clipping for a single finite number, a choice between the two values' bits otherwise), which replace
 * TF.js's there. The oracle is TensorFlow's: NaN where either operand is NaN, otherwise the greater (less) value; on
 * wasm the results are also compared bit for bit with TF.js's own kernel (which kept `a` on a tie of -0 and 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { broadcastIndex, sizeOf } from '../helpers/broadcast.js';
import { expectNoLeak } from '../helpers/leaks.js';
import { takeTfjsKernels, withTfjsKernel } from '../helpers/wasmKernels.js';

const onWasm = process.env.CNN_BACKEND === 'wasm';

type Extreme = string;

/** TF.js's own kernels on wasm, as its backend registered them (with the library's fixes, if already in). */
let theirs: Map<string, tf.KernelConfig | undefined>;

beforeAll(() => {
  theirs = takeTfjsKernels(tf.Maximum, tf.Minimum);
});

const op = (name: Extreme) => (name === tf.Maximum ? tf.maximum : tf.minimum);

/** Float32 values of either sign with ties, zeros of both signs, infinities and (where asked) NaN. */
function values(n: number, seed: number, nan = true): number[] {
  const pool = [0, -0, 1, -1, 0.5, -2.25, 3, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-40, -7];
  if (nan) pool.push(Number.NaN);
  return Array.from({ length: n }, (_, i) => Math.fround(pool[(i * 7 + seed * 5 + ((i * seed) % 3)) % pool.length]));
}

/** TensorFlow's maximum (minimum) with NumPy's broadcasting; the sign of a zero tie is left open (`===` below). */
function oracle(name: Extreme, a: number[], aShape: number[], b: number[], bShape: number[], shape: number[]) {
  return Array.from({ length: sizeOf(shape) }, (_, i) => {
    const [u, v] = [a[broadcastIndex(i, shape, aShape)], b[broadcastIndex(i, shape, bShape)]];
    if (Number.isNaN(u) || Number.isNaN(v)) return Number.NaN;
    return name === tf.Maximum ? Math.max(u, v) : Math.min(u, v);
  });
}

/** Equal as numbers (-0 equals 0), NaN equal to NaN. */
function expectSameNumbers(got: ArrayLike<number>, want: number[]) {
  expect(got.length).toBe(want.length);
  const wrong = want.flatMap((w, i) =>
    (Number.isNaN(w) ? Number.isNaN(got[i]) : got[i] === w) ? [] : [[i, got[i], w]],
  );
  expect(wrong).toEqual([]);
}

// The route each pair of shapes takes on wasm: a single finite number (a clipping), one shape or `b` along the last
// axes (the bit choice), other broadcasts (tiled first).
const PAIRS: [string, number[], number[]][] = [
  ['one shape', [2, 5, 3, 7], [2, 5, 3, 7]],
  ['a single number b', [2, 5, 3, 7], []],
  ['a single number a', [1, 1, 1], [2, 5, 3, 7]],
  ['b along the last axis', [2, 5, 3, 7], [7]],
  ['b along the last two axes', [2, 5, 3, 7], [1, 3, 7]],
  ['a along the last axis', [7], [2, 5, 3, 7]],
  ['b across the channels ([n, h, w, 1])', [2, 5, 3, 7], [2, 5, 3, 1]],
  ['both broadcast', [3, 1], [1, 4]],
];

describe('maximum and minimum', () => {
  for (const name of [tf.Maximum, tf.Minimum]) {
    for (const [what, aShape, bShape] of PAIRS) {
      it(`${name}: ${what}, with NaN, infinities and zeros of both signs in either operand`, async () => {
        // A single number is tried as each of the values (NaN and the infinities leave the clipping).
        const seeds = sizeOf(aShape) === 1 || sizeOf(bShape) === 1 ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] : [1, 2];
        for (const seed of seeds) {
          const [p, q] = [values(sizeOf(aShape), seed), values(sizeOf(bShape), seed + 3)];
          const [a, b] = [tf.tensor(p, aShape), tf.tensor(q, bShape)];
          const y = await expectNoLeak(() => op(name)(a, b), 1);
          const shape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
          expect(y.shape).toEqual(shape);
          expect(y.dtype).toBe('float32');
          expectSameNumbers(await y.data(), oracle(name, p, aShape, q, bShape, shape));
          tf.dispose([a, b, y]);
        }
      });
    }
  }

  it('leaves int32 operands to TF.js, and gives their greater and lesser values', async () => {
    const [a, b] = [tf.tensor1d([3, -4, 7, 0], 'int32'), tf.tensor1d([5, -9, 7, -1], 'int32')];
    const [hi, lo] = [tf.maximum(a, b), tf.minimum(a, b)];
    expect(hi.dtype).toBe('int32');
    expect(Array.from(await hi.data())).toEqual([5, -4, 7, 0]);
    expect(Array.from(await lo.data())).toEqual([3, -9, 7, -1]);
    tf.dispose([a, b, hi, lo]);
  });

  it('gives NaN for a NaN in b, which TF.js 4.22 dropped on wasm', async () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    for (const b of [tf.scalar(Number.NaN), tf.tensor1d([0, Number.NaN, 9]), tf.fill([2, 3], Number.NaN)]) {
      for (const name of [tf.Maximum, tf.Minimum]) {
        const y = op(name)(a, b);
        const nan = oracle(name, [1, 2, 3, 4, 5, 6], [2, 3], Array.from(await b.data()), b.shape, [2, 3]);
        expectSameNumbers(await y.data(), nan);
        expect(nan.some(Number.isNaN)).toBe(true);
        y.dispose();
      }
      b.dispose();
    }
    a.dispose();
  });

  describe.skipIf(!onWasm)("on wasm, the library's kernels", () => {
    for (const name of [tf.Maximum, tf.Minimum]) {
      it(`${name}: in place of TF.js's, with its results bit for bit where b holds no NaN`, async () => {
        expect(tf.getKernel(name, 'wasm').kernelFunc).not.toBe(theirs.get(name)?.kernelFunc);
        for (const [, aShape, bShape] of PAIRS) {
          for (const seed of sizeOf(aShape) === 1 ? [0, 2, 4, 6] : [1, 2, 3]) {
            const [a, b] = [
              tf.tensor(values(sizeOf(aShape), seed), aShape),
              tf.tensor(values(sizeOf(bShape), seed, false), bShape),
            ];
            const ours = op(name)(a, b);
            const tfjs = await withTfjsKernel(theirs.get(name), () => op(name)(a, b));
            const bits = async (t: tf.Tensor) => Array.from(new Uint32Array((await t.data<'float32'>()).buffer));
            if (sizeOf(aShape) === 1 || sizeOf(bShape) === 1) {
              // A single number is a clipping, the sign of whose zeros is XNNPACK's (as TF.js's clipByValue's).
              expectSameNumbers(await ours.data(), Array.from(await tfjs.data()));
            } else {
              expect(await bits(ours)).toEqual(await bits(tfjs));
            }
            tf.dispose([a, b, ours, tfjs]);
          }
        }
      });
    }

    it("keeps a's zero on a tie of -0 and 0, as TF.js's kernel does, where no single number clips", async () => {
      const x = tf.tensor1d([-0, 0, -0, 0]);
      const signs = async (t: tf.Tensor) => Array.from(await t.data()).map((v) => (Object.is(v, -0) ? '-0' : '0'));
      for (const [y, want] of [
        [tf.maximum(x, tf.tensor1d([0, -0, 0, -0])), ['-0', '0', '-0', '0']],
        [tf.minimum(x, tf.tensor1d([0, -0, 0, -0])), ['-0', '0', '-0', '0']],
      ] as [tf.Tensor, string[]][]) {
        expect(await signs(y)).toEqual(want);
        y.dispose();
      }
      x.dispose();
    });
  });
});
