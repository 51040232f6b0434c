import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { guardBackends } from '../../src/backend/backendGuards.js';
import { replacedKernel } from '../../src/backend/kernelReplacement.js';
import { installWebGPUKernelFixes } from '../../src/backend/webgpuKernelFixes.js';
import { BACKEND } from '../helpers/backend.js';

// The cases TF.js 4.22's WebGPU kernels get wrong on int32/bool tensors held on the GPU (see
// src/backend/webgpuKernelFixes.ts); test/setup.ts turns CPU forwarding off, so these run the shaders.
// Expected values are written out by hand (and hold on every backend; the cases only bite on webgpu).
const onGpu = <T extends tf.Tensor>(t: T): T => tf.add(t, tf.zerosLike(t)) as T; // a kernel output, not CPU data

/** x[n][i][j][k] = 100n + 10i + j + k/10 for n < 2, i < 3, j < 2, k < 2 (k/10 only for float32) */
function grid(dtype: 'int32' | 'float32') {
  const v: number[] = [];
  for (let n = 0; n < 2; n++)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++)
        for (let k = 0; k < 2; k++) {
          v.push(dtype === 'int32' ? 100 * n + 10 * i + j + 5 * k : 100 * n + 10 * i + j + k / 10);
        }
  return tf.tensor4d(v, [2, 3, 2, 2], dtype);
}

describe.runIf(BACKEND === 'webgpu')('WebGPU int32/bool kernel fixes', () => {
  it('wraps cast, transpose, addN, pooling with positions, int32 moves and sums, crops, products, reductions', () => {
    const names = installWebGPUKernelFixes();
    expect(names).toEqual([
      'Cast',
      'Transpose',
      'AddN',
      'MaxPoolWithArgmax',
      'BatchToSpaceND',
      'UnsortedSegmentSum',
      'CropAndResize',
      'BatchMatMul',
      '_FusedMatMul',
      'Max',
      'Min',
      'Sum',
      'Prod',
      'Mean',
      'ArgMax',
      'ArgMin',
      'All',
      'Any',
    ]);
    expect(installWebGPUKernelFixes()).toEqual(names);
  });

  it('puts the fixes back before a pass when the backend registers its kernels anew (a program starting it)', () => {
    const original = replacedKernel(tf.AddN, 'webgpu');
    expect(original).toBeDefined();
    const config = tf.getKernel(tf.AddN, 'webgpu') as tf.KernelConfig;
    tf.unregisterKernel(tf.AddN, 'webgpu');
    tf.registerKernel({ ...config, kernelFunc: original as tf.KernelFunc });
    expect(replacedKernel(tf.AddN, 'webgpu')).toBeUndefined();
    guardBackends();
    expect(replacedKernel(tf.AddN, 'webgpu')).toBe(original);
  });

  it('cast int32 → float32 converts the data (float reads, transposes and means are right)', async () => {
    const x = onGpu(grid('int32'));
    const f = tf.cast(x, 'float32');
    const data = await f.data();
    expect(data).toBeInstanceOf(Float32Array);
    expect(Array.from(data.slice(0, 4))).toEqual([0, 5, 1, 6]);
    // [2, 3, 2, 2] -> [2, 2, 3, 2]: channel k first, then i, then j
    expect(Array.from((await tf.transpose(f, [0, 3, 1, 2]).data()).slice(0, 6))).toEqual([0, 1, 10, 11, 20, 21]);
    // mean over i, j of image 0, channel 0: (0 + 1 + 10 + 11 + 20 + 21) / 6 = 10.5
    expect(Array.from(await tf.mean(f, [1, 2]).data())).toEqual([10.5, 15.5, 110.5, 115.5]);
  });

  it('transposes int32 and bool tensors', async () => {
    const x = onGpu(grid('int32'));
    const t = tf.transpose(x, [0, 3, 1, 2]);
    expect(t.dtype).toBe('int32');
    expect(Array.from((await t.data()).slice(0, 12))).toEqual([0, 1, 10, 11, 20, 21, 5, 6, 15, 16, 25, 26]);
    const b = tf.transpose(tf.greater(x, tf.scalar(10, 'int32')), [0, 3, 1, 2]);
    expect(b.dtype).toBe('bool');
    expect(Array.from((await b.data()).slice(0, 6))).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('reduces int32 over outer axes: max, min, sum, prod, argMax, argMin (dtype kept)', async () => {
    const x = onGpu(grid('int32'));
    const max = tf.max(x, [1, 2]);
    expect(max.dtype).toBe('int32');
    expect(Array.from(await max.data())).toEqual([21, 26, 121, 126]);
    expect(Array.from(await tf.min(x, [1, 2]).data())).toEqual([0, 5, 100, 105]);
    expect(Array.from(await tf.sum(x, [1, 2]).data())).toEqual([63, 93, 663, 693]);
    expect(Array.from(await tf.max(x, [1, 2], true).data())).toEqual([21, 26, 121, 126]);
    expect(tf.max(x, [1, 2], true).shape).toEqual([2, 1, 1, 2]);
    expect(Array.from(await tf.prod(tf.slice(x, [0, 1, 0, 0], [1, 2, 2, 1]), [1, 2]).data())).toEqual([
      10 * 11 * 20 * 21,
    ]);
    expect(Array.from(await tf.argMax(x, 1).data())).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
    expect(Array.from(await tf.argMin(x, 0).data()).every((v) => v === 0)).toBe(true);
  });

  it('reduces bool tensors with all and any over every axis (the shaders were wrong over outer ones)', async () => {
    // b[i][j][k] = (i + 2j + 3k) % 4 !== 0, i < 2, j < 3, k < 4
    const flat: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) flat.push((i + 2 * j + 3 * k) % 4 ? 1 : 0);
    const b = tf.cast(onGpu(tf.tensor3d(flat, [2, 3, 4], 'int32')), 'bool');
    const at = (i: number, j: number, k: number) => flat[i * 12 + j * 4 + k];
    const reduce = (axis: number, every: boolean) => {
      const sizes = [2, 3, 4];
      const out: number[] = [];
      const kept = [0, 1, 2].filter((d) => d !== axis);
      for (let p = 0; p < sizes[kept[0]]; p++)
        for (let q = 0; q < sizes[kept[1]]; q++) {
          const picks = Array.from({ length: sizes[axis] }, (_, r) => {
            const idx = [0, 0, 0];
            [idx[kept[0]], idx[kept[1]], idx[axis]] = [p, q, r];
            return at(idx[0], idx[1], idx[2]);
          });
          out.push(every ? Number(picks.every(Boolean)) : Number(picks.some(Boolean)));
        }
      return out;
    };
    for (const axis of [0, 1, 2]) {
      const [all, any] = [tf.all(b, axis), tf.any(b, axis)];
      expect([axis, all.dtype, Array.from(await all.data())]).toEqual([axis, 'bool', reduce(axis, true)]);
      expect([axis, any.dtype, Array.from(await any.data())]).toEqual([axis, 'bool', reduce(axis, false)]);
      tf.dispose([all, any]);
    }
    b.dispose();
  });

  it('argMax and argMin give the first of tied positions, as TensorFlow (the shaders gave 64 for 10)', async () => {
    const ties = onGpu(tf.concat([tf.zeros([2, 10]), tf.ones([2, 3000])], 1));
    const low = onGpu(tf.concat([tf.ones([3000, 2]), tf.zeros([7, 2]), tf.zeros([5, 2])], 0));
    const results = [tf.argMax(ties, 1), tf.argMin(low, 0), tf.argMax(tf.cast(ties, 'int32'), 1), tf.argMax(ties, 0)];
    const got = await Promise.all(results.map(async (t) => [t.dtype, Array.from(await t.data())]));
    expect(got).toEqual([
      ['int32', [10, 10]],
      ['int32', [3000, 3000]],
      ['int32', [10, 10]],
      ['int32', new Array(3010).fill(0)],
    ]);
    // NaN is passed over, as on the other backends.
    const withNaN = onGpu(tf.tensor2d([[1, Number.NaN, 3, 3, -1]]));
    const [hi, lo] = [tf.argMax(withNaN, 1), tf.argMin(withNaN, 1)];
    expect([Array.from(await hi.data()), Array.from(await lo.data())]).toEqual([[2], [4]]);
    tf.dispose([ties, low, ...results, withNaN, hi, lo]);
  });

  it('multiplies batches that both broadcast ([2, 1] by [1, 3]; TF.js sized the result from one of them)', async () => {
    const a = onGpu(tf.reshape(tf.range(0, 24), [2, 1, 3, 4]));
    const b = onGpu(tf.reshape(tf.range(0, 24), [1, 3, 4, 2]));
    const y = tf.matMul(a, b);
    const want = tf.matMul(tf.broadcastTo(a, [2, 3, 3, 4]), tf.broadcastTo(b, [2, 3, 4, 2]));
    expect(y.shape).toEqual([2, 3, 3, 2]);
    expect(Array.from(await y.data())).toEqual(Array.from(await want.data()));
    const t = tf.matMul(b, a, true, true); // bᵀ·aᵀ, batches broadcast the same way
    expect(t.shape).toEqual([2, 3, 2, 3]);
    tf.dispose([a, b, y, want, t]);
  });

  it('transposes int32 matrices too', async () => {
    const x = onGpu(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'));
    expect(Array.from(await tf.transpose(x).data())).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('adds more tensors than a shader may read (imresize sums 8 taps and more), left to right', async () => {
    for (const n of [2, 7, 8, 13, 20]) {
      // Term k is 2^k at element 0 and k at element 1: the sum is 2^n - 1 and n(n-1)/2, exact in float32.
      const terms = Array.from({ length: n }, (_, k) => onGpu(tf.tensor1d([2 ** k, k])));
      expect(Array.from(await tf.addN(terms).data())).toEqual([2 ** n - 1, (n * (n - 1)) / 2]);
      tf.dispose(terms);
    }
    // Order kept: 1e8 + 1 + ... + 1 - 1e8 in float32 loses each 1 when summed left to right (as on cpu).
    const big = [1e8, ...Array<number>(10).fill(1), -1e8].map((v) => onGpu(tf.scalar(v)));
    expect(await tf.addN(big).data()).toEqual(new Float32Array([0]));
    tf.dispose(big);
  });

  it('leaves float32 alone and frees every intermediate buffer', async () => {
    const xf = onGpu(grid('float32'));
    expect(Array.from(await tf.max(xf, [1, 2]).data())).toEqual([21, 21.1, 121, 121.1].map(Math.fround));
    const x = onGpu(grid('int32'));
    const backend = tf.backend();
    const tensors = tf.memory().numTensors;
    const buffers = backend.numDataIds();
    const out = tf.tidy(() => [
      tf.transpose(x, [0, 3, 1, 2]),
      tf.max(x, [1, 2]),
      tf.cast(x, 'float32'),
      tf.argMax(x, 1),
      tf.addN(Array<tf.Tensor>(9).fill(xf)),
    ]);
    expect(tf.memory().numTensors).toBe(tensors + 5);
    expect(backend.numDataIds()).toBe(buffers + 5);
    tf.dispose([...out, x, xf]);
  });
});

describe('running sums and products along any axis, on every backend', () => {
  /** TensorFlow's cumsum/cumprod of `x` (flat, row-major, of `shape`) along `axis`, element by element. */
  function running(x: number[], shape: number[], axis: number, exclusive: boolean, reverse: boolean, product: boolean) {
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const n = shape[axis];
    return x.map((_, i) => {
      const at = Math.floor(i / stride) % n;
      const first = i - at * stride;
      let acc = product ? 1 : 0;
      for (let k = 0; k < n; k++) {
        const taken = reverse ? (exclusive ? k > at : k >= at) : exclusive ? k < at : k <= at;
        if (taken) acc = product ? acc * x[first + k * stride] : acc + x[first + k * stride];
      }
      return acc;
    });
  }

  it("gives TensorFlow's values for every axis, negative ones too, reversed and exclusive, float32 and int32", async () => {
    // TF.js 4.22's WebGPU kernels failed on a negative axis (a buffer of negative size), reversed wrongly along any
    // axis but the last, and returned float bits for int32 along inner axes.
    const shape = [2, 3, 4];
    const x = Array.from({ length: 24 }, (_, i) => (i % 3) + 1);
    for (const dtype of ['float32', 'int32'] as const) {
      const t = onGpu(tf.tensor3d(x, [2, 3, 4], dtype));
      for (const product of [false, true]) {
        for (const axis of [-1, 0, 1, 2]) {
          for (const [exclusive, reverse] of [
            [false, false],
            [true, false],
            [false, true],
            [true, true],
          ]) {
            const y = product ? tf.cumprod(t, axis, exclusive, reverse) : tf.cumsum(t, axis, exclusive, reverse);
            const want = running(x, shape, (axis + 3) % 3, exclusive, reverse, product);
            expect([product, axis, exclusive, reverse, y.dtype, Array.from(await y.data())]).toEqual([
              product,
              axis,
              exclusive,
              reverse,
              dtype,
              want,
            ]);
            y.dispose();
          }
        }
      }
      t.dispose();
    }
  });

  it('refuses an axis out of range, as TensorFlow, before any kernel runs (TF.js read outside its tensors on wasm)', () => {
    const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => tf.cumsum(t, 2)).toThrow(
      new RangeError('cumsum: axis 2 is out of range for a tensor of rank 2 (from -2 to 1)'),
    );
    expect(() => tf.cumprod(t, -3)).toThrow(
      new RangeError('cumprod: axis -3 is out of range for a tensor of rank 2 (from -2 to 1)'),
    );
    t.dispose();
  });
});
