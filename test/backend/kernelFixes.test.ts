/**
 * What TF.js 4.22's kernels get wrong, checked on every backend: what TensorFlow refuses and TF.js computed anyway
 * (padding by a negative amount, pooling with a window of size 0), and what TF.js's wasm kernels computed otherwise
 * (convolutions with 'same' padding and a stride longer than the kernel, pooling windows far longer than the image).
 * The library's kernel fixes give TensorFlow's numbers, or its refusal.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak } from '../helpers/leaks.js';

describe('kernel arguments TensorFlow refuses', () => {
  it('refuses a negative padding (TF.js cropped the tensor instead)', () => {
    const x = tf.ones([1, 8, 8, 1]);
    expect(() =>
      tf.pad(
        x,
        [
          [0, 0],
          [-3, -3],
          [0, 0],
          [0, 0],
        ],
        0,
      ),
    ).toThrow(
      new RangeError(
        'pad: paddings must be a pair of whole numbers of at least 0 for each of the 4 axes, got ' +
          '[[0, 0], [-3, -3], [0, 0], [0, 0]]',
      ),
    );
    // Non-negative paddings pad as before.
    const y = tf.pad(x, [
      [0, 0],
      [1, 2],
      [0, 0],
      [0, 0],
    ]);
    expect(y.shape).toEqual([1, 11, 8, 1]);
    tf.dispose([x, y]);
  });

  it('refuses fractional paddings, and fewer pairs than axes (TF.js gave other sizes, NaN, a lower rank)', () => {
    const x = tf.ones([1, 3, 3, 1]);
    const half: [number, number][] = [
      [0, 0],
      [1.5, 1.5],
      [0, 0],
      [0, 0],
    ];
    const why = (name: string, rank: number, got: string) =>
      new RangeError(
        `${name}: paddings must be a pair of whole numbers of at least 0 for each of the ${rank} axes, got ${got}`,
      );
    // TF.js made a 1×6×3×1 tensor of both, starting with zeros on cpu and wasm alike, NaN (cpu) for the mirror.
    expect(() => tf.pad(x, half)).toThrow(why('pad', 4, '[[0, 0], [1.5, 1.5], [0, 0], [0, 0]]'));
    expect(() => tf.mirrorPad(x, half, 'reflect')).toThrow(why('mirrorPad', 4, '[[0, 0], [1.5, 1.5], [0, 0], [0, 0]]'));
    // Three pairs for four axes: TF.js padded into a 1×5×3 tensor.
    expect(() =>
      tf.pad(x, [
        [0, 0],
        [1, 1],
        [0, 0],
      ]),
    ).toThrow(why('pad', 4, '[[0, 0], [1, 1], [0, 0]]'));
    const nan = [
      [0, 0],
      [Number.NaN, 1],
      [0, 0],
      [0, 0],
    ] as [number, number][];
    expect(() => tf.pad(x, nan)).toThrow(why('pad', 4, '[[0, 0], [NaN, 1], [0, 0], [0, 0]]'));
    // Whole paddings pad, and mirror, as before.
    const y = tf.mirrorPad(
      x,
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [0, 0],
      ],
      'symmetric',
    );
    expect(y.shape).toEqual([1, 5, 7, 1]);
    tf.dispose([x, y]);
  });

  it('refuses a negative multiple for tile (TF.js on wasm never returned)', () => {
    const x = tf.ones([2, 3]);
    expect(() => tf.tile(x, [1, -2])).toThrow(new RangeError('tile: multiples must be at least 0, got [1, -2]'));
    const y = tf.tile(x, [2, 0]);
    expect(y.shape).toEqual([4, 0]);
    tf.dispose([x, y]);
  });

  it('refuses a pooling window of size 0 (TF.js gave -Infinity for max pooling)', () => {
    const x = tf.ones([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => tf.maxPool(x, [0, 0], 2, 'valid')).toThrow(
      new RangeError('maxPool: the pooling window must be at least 1×1, got 0×0'),
    );
    expect(() => tf.avgPool(x, [2, 0], 2, 'valid')).toThrow(
      new RangeError('avgPool: the pooling window must be at least 1×1, got 2×0'),
    );
    const y = tf.maxPool(x, 2, 2, 'valid');
    expect(y.shape).toEqual([1, 4, 4, 1]);
    tf.dispose([x, y]);
  });

  it.runIf(BACKEND === 'cpu' || BACKEND === 'wasm' || BACKEND === 'webgpu')(
    'refuses integer division by zero (TF.js gave 0 on cpu and WebGPU, -2147483648 or a wasm trap on wasm)',
    async () => {
      // The divisor's values are read where they are in CPU memory: always on cpu and wasm; on WebGPU where TF.js
      // still holds them there (values made in JavaScript, a model's constants), whether it then computes the
      // division on the CPU (small tensors by default: 0 for 5 / 0) or in a shader (-2147483648 for a mod by 0).
      const a = tf.tensor1d([5, -5, 7], 'int32');
      const b = tf.tensor1d([1, 0, 2], 'int32');
      const zero = new RangeError(
        'floorDiv: integer division by zero (element 1 of the divisor), which TensorFlow refuses',
      );
      for (const forward of BACKEND === 'webgpu' ? [true, false] : [false]) {
        if (forward) tf.env().set('WEBGPU_CPU_FORWARD', true);
        try {
          expect(() => tf.floorDiv(a, b)).toThrow(zero);
          expect(() => tf.div(a, b)).toThrow(zero);
          expect(() => tf.mod(a, tf.scalar(0, 'int32'))).toThrow(
            new RangeError('mod: integer division by zero (element 0 of the divisor), which TensorFlow refuses'),
          );
        } finally {
          if (forward) tf.env().set('WEBGPU_CPU_FORWARD', false);
        }
      }
      // Divisors without a 0, floats divided by 0 (Infinity, NaN) and an empty result are computed as before.
      const q = tf.floorDiv(a, tf.tensor1d([2, -2, 3], 'int32'));
      const r = tf.mod(a, tf.tensor1d([2, -2, 3], 'int32'));
      const f = tf.floorDiv(tf.tensor1d([1, 0]), tf.tensor1d([0, 0]));
      const e = tf.mod(tf.zeros([0, 3], 'int32'), b);
      expect([Array.from(await q.data()), Array.from(await r.data()), Array.from(await f.data()), e.shape]).toEqual([
        [2, 2, 2],
        [1, -1, 1],
        [Infinity, NaN],
        [0, 3],
      ]);
      tf.dispose([a, b, q, r, f, e]);
    },
  );

  it("convolves with 'same' padding and a stride longer than the kernel as TensorFlow pads (wasm: other numbers)", async () => {
    // TensorFlow's 'same', written out: out = ceil(in / s), padded by max((out - 1)·s + k − in, 0), the smaller half
    // before. TF.js's wasm kernels gave other numbers whenever the stride was longer than the kernel and some padding
    // was needed (88 of 720 small cases), silently.
    const pads = (size: number, k: number, s: number): [number, number] => {
      const total = Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    for (const [h, w, k, s] of [
      [3, 2, 2, 3],
      [5, 2, 3, 4],
      [2, 5, 2, 8],
      [7, 5, 3, 4],
    ]) {
      const x = tf.randomUniform([1, h, w, 2], -1, 1, 'float32', h * 10 + w) as tf.Tensor4D;
      const f = tf.randomUniform([k, k, 2, 3], -1, 1, 'float32', k) as tf.Tensor4D;
      const fd = tf.randomUniform([k, k, 2, 1], -1, 1, 'float32', k + 1) as tf.Tensor4D;
      const bias = tf.tensor1d([0.5, -0.5, 0]);
      const xp = tf.pad(x, [[0, 0], pads(h, k, s), pads(w, k, s), [0, 0]]) as tf.Tensor4D;
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [tf.conv2d(x, f, s, 'same'), tf.conv2d(xp, f, s, 'valid')],
        [tf.depthwiseConv2d(x, fd, s, 'same'), tf.depthwiseConv2d(xp, fd, s, 'valid')],
        [
          tf.fused.conv2d({ x, filter: f, strides: s, pad: 'same', bias, activation: 'relu' }),
          tf.relu(tf.add(tf.conv2d(xp, f, s, 'valid'), bias)),
        ],
      ];
      for (const [got, want] of pairs) {
        expect(got.shape).toEqual(want.shape);
        const diff = tf.max(tf.abs(tf.sub(got, want)));
        expect([h, w, k, s, (await diff.data())[0]]).toEqual([h, w, k, s, expect.closeTo(0, 5)]);
        tf.dispose([got, want, diff]);
      }
      tf.dispose([x, f, fd, bias, xp]);
    }
  });

  it('pools with a window far longer than the image as TensorFlow (wasm read outside its heap)', async () => {
    // An 8×8 image, 'same' windows of 20,000 rows: every window holds all 8 rows, and the columns its own 3 (stride 2).
    const x = tf.randomUniform([1, 8, 8, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const v = await x.data();
    const at = (i: number, j: number, c: number) => v[(i * 8 + j) * 2 + c];
    const max = tf.maxPool(x, [20000, 20000], 1, 'same');
    const avg = tf.avgPool(x, [20000, 3], [1, 2], 'same');
    expect([max.shape, avg.shape]).toEqual([
      [1, 8, 8, 2],
      [1, 8, 4, 2],
    ]);
    const all = [0, 1].map((c) => Math.max(...Array.from({ length: 64 }, (_, k) => at(Math.floor(k / 8), k % 8, c))));
    expect(Array.from(await max.data())).toEqual(Array.from({ length: 128 }, (_, k) => all[k % 2]));
    // Column window of output column o: columns 2o - 0 .. 2o + 2 (padding 1 in all: 0 before, 1 after), within 0..7.
    const want: number[] = [];
    for (let i = 0; i < 8; i++)
      for (let o = 0; o < 4; o++)
        for (let c = 0; c < 2; c++) {
          const cols = [2 * o, 2 * o + 1, 2 * o + 2].filter((j) => j < 8);
          let sum = 0;
          for (let r = 0; r < 8; r++) for (const j of cols) sum += at(r, j, c);
          want.push(sum / (8 * cols.length));
        }
    const got = Array.from(await avg.data());
    expect(got.map((g, k) => Math.abs(g - want[k]) < 1e-5)).toEqual(want.map(() => true));
    tf.dispose([x, max, avg]);
  });

  it('pools in 3-D and dilates windows of negative values, and routes their gradients (wasm: 1.2e-38)', async () => {
    const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    const values = async (t: tf.Tensor) => Array.from(await t.data());
    // Two depth slices of a 2×2 image, all negative: windows of 1×2×2 take -3 (cell 1) and -1 (cell 7).
    const x5 = tf.tensor5d([-5, -3, -4, -8, -2, -6, -7, -1], [1, 2, 2, 2, 1]);
    const pool = { filterSize: [1, 2, 2], strides: [1, 1, 1], pad: 'valid' };
    const pooled = await expectNoLeak(() => tf.maxPool3d(x5, [1, 2, 2], 1, 'valid'), 1);
    expect(await values(pooled)).toEqual([-3, -1]);
    const dy5 = tf.tensor5d([1, 2], [1, 2, 1, 1, 1]);
    const dx5 = run(tf.MaxPool3DGrad, { dy: dy5, input: x5 }, pool);
    expect(await values(dx5)).toEqual([0, 1, 0, 0, 0, 0, 0, 2]);
    // A 2×2 image dilated by a 2×2 structuring element: the maximum of x + f, -3 - 1 = -4, at cell and tap 1.
    const x4 = tf.tensor4d([-5, -3, -4, -8], [1, 2, 2, 1]);
    const f = tf.tensor3d([0, -1, -1, -2], [2, 2, 1]);
    const dilated = await expectNoLeak(() => tf.dilation2d(x4, f, 1, 'valid'), 1);
    expect(await values(dilated)).toEqual([-4]);
    const dy4 = tf.tensor4d([3], [1, 1, 1, 1]);
    const dilation = { strides: [1, 1], pad: 'valid', dilations: [1, 1] };
    const dx4 = run(tf.Dilation2DBackpropInput, { x: x4, filter: f, dy: dy4 }, dilation);
    const df = run(tf.Dilation2DBackpropFilter, { x: x4, filter: f, dy: dy4 }, dilation);
    expect([await values(dx4), await values(df)]).toEqual([
      [0, 3, 0, 0],
      [0, 3, 0, 0],
    ]);
    tf.dispose([x5, pooled, dy5, dx5, x4, f, dilated, dy4, dx4, df]);
  });

  it("keeps NaN through maximum, minimum and clipping (wasm dropped a second operand's NaN, clipped NaN)", async () => {
    const a = tf.tensor1d([1, Number.NaN, 3, -2]);
    const b = tf.tensor1d([Number.NaN, 2, 1, 5]);
    const outs = await expectNoLeak(() => [tf.maximum(a, b), tf.minimum(a, b), tf.clipByValue(a, -1, 1)], 3);
    const read = async (t: tf.Tensor) => Array.from(await t.data()).map((v) => (Number.isNaN(v) ? 'NaN' : v));
    expect(await Promise.all(outs.map(read))).toEqual([
      ['NaN', 'NaN', 3, 5],
      ['NaN', 'NaN', 1, -2],
      [1, 'NaN', 1, -1],
    ]);
    // Infinities of both signs, but no NaN (their sum is NaN): clipped, and the other operand's values taken.
    const infinite = tf.tensor1d([Number.POSITIVE_INFINITY, 0.5, Number.NEGATIVE_INFINITY, 7, -3]);
    const c = tf.tensor1d([2, 1, 0, 9, -1]);
    const bounded = [tf.clipByValue(infinite, -1, 1), tf.maximum(c, infinite), tf.minimum(c, infinite)];
    expect(await Promise.all(bounded.map(read))).toEqual([
      [1, 0.5, -1, 1, -1],
      [Number.POSITIVE_INFINITY, 1, 0, 9, -1],
      [2, 0.5, Number.NEGATIVE_INFINITY, 7, -3],
    ]);
    tf.dispose([a, b, ...outs, infinite, c, ...bounded]);
  });

  it('sums segments of int32 exactly and as int32, and of floats on wasm (which had no kernel)', async () => {
    const x = tf.tensor2d([1, 2, 16777216, 1, 5, -7, 3, 3], [4, 2], 'int32');
    const ids = tf.tensor1d([2, 0, 2, -1], 'int32');
    const f = tf.tensor2d([0.5, 1, 2, 4, 8, 16], [3, 2]);
    const fIds = tf.tensor1d([1, 1, 0], 'int32');
    const [ints, floats] = await expectNoLeak(
      () => [tf.unsortedSegmentSum(x, ids, 3), tf.unsortedSegmentSum(f, fIds, 2)],
      2,
    );
    // Row 3's segment is -1: left out, as TensorFlow. 16777216 + 5 is exact only in int32.
    expect(ints.dtype).toBe('int32');
    expect(Array.from(await ints.data())).toEqual([16777216, 1, 0, 0, 6, -5]);
    expect(Array.from(await floats.data())).toEqual([8, 16, 2.5, 5]);
    // An id past the segments is refused where the ids are in CPU memory.
    if (BACKEND !== 'webgpu') {
      expect(() => tf.unsortedSegmentSum(x, tf.tensor1d([0, 3, 1, 2], 'int32'), 3)).toThrow(
        /unsortedSegmentSum: segment id 3 \(element 1\) is not below numSegments 3/,
      );
    }
    // batchToSpaceND of int32: four 1×2 batches interleaved into one 2×4 image.
    const parts = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7], [4, 1, 2, 1], 'int32');
    const joined = tf.batchToSpaceND(
      parts,
      [2, 2],
      [
        [0, 0],
        [0, 0],
      ],
    );
    expect(Array.from(await joined.data())).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
    tf.dispose([x, ids, f, fIds, ints, floats, parts, joined]);
  });

  it('multiplies int32 matrices, transposed and batched (wasm refused int32)', async () => {
    // A spatial transformer's "repeat": a column of indices times a row of ones.
    const column = tf.tensor2d([3, 1, 4], [3, 1], 'int32');
    const ones = tf.ones([1, 2], 'int32');
    const a = tf.tensor3d([1, -2, 3, 4, 5, -6, 0, 7, 8, 9, -1, 2], [2, 2, 3], 'int32');
    const b = tf.tensor2d([2, 0, -1, 3, 1, 1], [3, 2], 'int32');
    const outs = await expectNoLeak(() => [tf.matMul(column, ones), tf.matMul(a, b), tf.matMul(b, a, true, true)], 3);
    expect(outs.map((t) => t.dtype)).toEqual(['int32', 'int32', 'int32']);
    expect(Array.from(await outs[0].data())).toEqual([3, 3, 1, 1, 4, 4]);
    // Row [1, -2, 3] times b: [1·2 + (-2)·(-1) + 3·1, 1·0 + (-2)·3 + 3·1] = [7, -3].
    expect(Array.from(await outs[1].data())).toEqual([7, -3, -3, 9, 1, 29, 21, -1]);
    expect(Array.from(await outs[2].data())).toEqual([7, -3, -3, 9, 1, 21, 29, -1]);
    tf.dispose([column, ones, a, b, ...outs]);
  });

  it('multiplies batches that both broadcast ([2, 1] by [1, 3]) pairing the right matrices (cpu, wasm: others)', async () => {
    const a = tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => (i % 7) - 3),
      [2, 1, 3, 4],
    );
    const b = tf.tensor4d(
      Array.from({ length: 24 }, (_, i) => ((i * 5) % 9) - 4),
      [1, 3, 4, 2],
    );
    const [y, t] = await expectNoLeak(() => [tf.matMul(a, b), tf.matMul(b, a, true, true)], 2);
    const [wa, wb] = [tf.broadcastTo(a, [2, 3, 3, 4]), tf.broadcastTo(b, [2, 3, 4, 2])];
    const [want, wantT] = [tf.matMul(wa, wb), tf.matMul(wb, wa, true, true)];
    expect([y.shape, t.shape]).toEqual([
      [2, 3, 3, 2],
      [2, 3, 2, 3],
    ]);
    expect(Array.from(await y.data())).toEqual(Array.from(await want.data()));
    expect(Array.from(await t.data())).toEqual(Array.from(await wantT.data()));
    tf.dispose([a, b, y, t, wa, wb, want, wantT]);
  });

  it("adds a fused matrix product's bias along its columns when transposed or batched (wasm: along rows)", async () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [5, 3]);
    const b = tf.tensor2d([1, 0, 2, -1, 0, 1, 1, 2, 3, -2, 0, 1], [3, 4]);
    const bias = tf.tensor1d([100, 200, 300, 400]);
    const alpha = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
    const plain = tf.add(tf.matMul(a, b), bias);
    const want = Array.from(await plain.data());
    const [at, bt] = [tf.transpose(a), tf.transpose(b)];
    const [a3, b3] = [tf.stack([a, a]), tf.stack([b, b])];
    const outs = await expectNoLeak(
      () => [
        tf.fused.matMul({ a: at, b, transposeA: true, bias }),
        tf.fused.matMul({ a, b: bt, transposeB: true, bias, activation: 'relu' }),
        tf.fused.matMul({ a: a3, b: b3, bias, activation: 'prelu', preluActivationWeights: alpha }),
      ],
      3,
    );
    // Every sum here is positive: relu and prelu leave it.
    expect(Array.from(await outs[0].data())).toEqual(want);
    expect(Array.from(await outs[1].data())).toEqual(want);
    expect(Array.from(await outs[2].data())).toEqual([...want, ...want]);
    tf.dispose([a, b, bias, alpha, plain, at, bt, a3, b3, ...outs]);
  });

  it('multiplies by the same weights in another shape, as a reshape gives them (wasm: its first operator reused)', async () => {
    // TF.js's wasm kernel kept the operator it built for the weights' data in their first shape: the same data as
    // [4, 1] or [2, 2] after [1, 4] aborted the heap or answered wrong.
    const w = tf.tensor1d([1, 2, 3, 4]);
    const bias = tf.tensor1d([10]);
    const outs = await expectNoLeak(
      () =>
        tf.tidy(() => {
          const wide = tf.matMul(tf.ones([2, 1]), tf.reshape(w, [1, 4]));
          const tall = tf.matMul(tf.ones([1, 2, 4]), tf.reshape(w, [1, 4, 1]));
          const square = tf.matMul(tf.tensor2d([1, 0, 0, 1, 1, 1], [3, 2]), tf.reshape(w, [2, 2]));
          const fused = tf.fused.matMul({ a: tf.ones([1, 4]), b: tf.reshape(w, [4, 1]), bias, activation: 'relu' });
          const again = tf.matMul(tf.ones([1, 1]), tf.reshape(w, [1, 4]));
          return [wide, tall, square, fused, again];
        }),
      5,
    );
    const got = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
    expect(got).toEqual([[1, 2, 3, 4, 1, 2, 3, 4], [10, 10], [1, 2, 3, 4, 4, 6], [20], [1, 2, 3, 4]]);
    tf.dispose([w, bias, ...outs]);
  });

  it('applies PReLU weights that broadcast along any axes, alone and fused (wasm: taken in turn, flat)', async () => {
    // TF.js types alpha as x's rank; TensorFlow broadcasts it.
    const prelu = (x: tf.Tensor, alpha: tf.Tensor) => tf.prelu(x, alpha);
    // x < 0 ? alpha·x : x, with alpha broadcast to x's shape.
    const want = (x: tf.Tensor, alpha: tf.Tensor) =>
      tf.where(
        tf.less(x, 0),
        tf.mul(x, alpha),
        tf.broadcastTo(x, tf.broadcast_util.assertAndGetBroadcastShape(x.shape, alpha.shape)),
      );
    const x = tf.tensor4d(
      Array.from({ length: 16 * 2 }, (_, i) => ((i * 7) % 11) - 5),
      [1, 4, 4, 2],
    );
    const pixels = tf.tensor3d(
      Array.from({ length: 16 }, (_, i) => i / 10),
      [4, 4, 1],
    );
    const cases: [string, () => tf.Tensor, () => tf.Tensor][] = [
      ['weights per pixel', () => prelu(x, pixels), () => want(x, pixels)],
      ['weights per channel', () => prelu(x, tf.tensor1d([0.5, 2])), () => want(x, tf.tensor1d([0.5, 2]))],
      [
        'weights larger than x',
        () => prelu(tf.tensor1d([-1, 2, -3]), tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])),
        () => want(tf.tensor1d([-1, 2, -3]), tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3])),
      ],
    ];
    const filter = tf.tensor4d(
      Array.from({ length: 9 * 2 * 2 }, (_, i) => ((i % 5) - 2) / 3),
      [3, 3, 2, 2],
    );
    const fusedConv = (activation: 'linear' | 'prelu') =>
      tf.fused.conv2d({ x, filter, strides: 1, pad: 'same', activation, preluActivationWeights: pixels });
    const fusedDepthwise = (activation: 'linear' | 'prelu') =>
      tf.fused.depthwiseConv2d({ x, filter, strides: 1, pad: 'same', activation, preluActivationWeights: pixels });
    const a = tf.tensor2d([1, -2, 3, -4, 5, -6], [3, 2]);
    const rows = tf.tensor2d([0.1, 0.2, 0.3], [3, 1]);
    const fusedProduct = (activation: 'linear' | 'prelu') =>
      tf.fused.matMul({
        a,
        b: tf.tensor2d([1, 0, 2, -1, 1, 0, -3, 2], [2, 4]),
        activation,
        preluActivationWeights: rows,
      });
    cases.push(
      ['a fused convolution', () => fusedConv('prelu'), () => want(fusedConv('linear'), pixels)],
      ['a fused depthwise convolution', () => fusedDepthwise('prelu'), () => want(fusedDepthwise('linear'), pixels)],
      ['a fused product', () => fusedProduct('prelu'), () => want(fusedProduct('linear'), rows)],
      // Weights given without the activation are not used (wasm: nothing was written into the output).
      ['weights without a PReLU', () => fusedConv('linear'), () => tf.conv2d(x, filter, 1, 'same')],
    );
    for (const [name, got, expected] of cases) {
      const [y, z] = tf.tidy(() => [got(), expected()]);
      expect(y.shape, name).toEqual(z.shape);
      // A weight of 0 on a negative value: -0 or +0 (adding 0 makes both +0).
      const plain = async (t: tf.Tensor) => Array.from(await t.data()).map((v) => v + 0);
      expect(await plain(y), name).toEqual(await plain(z));
      tf.dispose([y, z]);
    }
    tf.dispose([x, pixels, filter, a, rows]);
  });

  it('normalizes a batch by parameters along any axis (cpu, wasm: taken in turn, flat)', async () => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 3 * 4 * 2 }, (_, i) => ((i * 5) % 13) - 6),
      [2, 3, 4, 2],
    );
    // Channels first: one value per row of axis 1 (Keras's BatchNormalization with axis 1).
    const along = (v: number[]) => tf.tensor4d(v, [1, 3, 1, 1]);
    const [mean, variance, offset, scale] = [
      along([1, -2, 3]),
      along([4, 0.25, 1]),
      along([0, 10, -10]),
      along([2, 1, -1]),
    ];
    // The same normalization channels-last, where TF.js's kernels were right: the numbers must be those, bit for bit.
    const last = (t: tf.Tensor) => tf.reshape(t, [3]);
    const channelsLast = () =>
      tf.transpose(
        tf.batchNorm(tf.transpose(x, [0, 2, 3, 1]), last(mean), last(variance), last(offset), last(scale), 0.001),
        [0, 3, 1, 2],
      );
    const expected = tf.tidy(channelsLast);
    const got = tf.batchNorm(x, mean, variance, offset, scale, 0.001);
    expect(got.shape).toEqual(x.shape);
    expect(Array.from(await got.data())).toEqual(Array.from(await expected.data()));
    // A mean per column and scale per row, without an offset.
    const columns = tf.tensor4d([0.5, -0.5], [1, 1, 1, 2]);
    const rows = tf.tensor4d([1, 2, 3, 4], [1, 1, 4, 1]);
    const mixed = tf.batchNorm(x, columns, tf.onesLike(columns), undefined, rows, 0);
    const want = tf.tidy(() => tf.mul(tf.div(tf.sub(x, columns), tf.sqrt(tf.onesLike(columns))), rows));
    expect(Array.from(await mixed.data())).toEqual(Array.from(await want.data()));
    // The gradient through a channels-first normalization: scale / sqrt(variance + ε) along axis 1 (the library's
    // gradient, which broadcasts).
    (await import('../../src/net/gradients.js')).ensureGradients();
    const dx = tf.grad((t: tf.Tensor) => tf.batchNorm(t, mean, variance, offset, scale, 0.001))(x);
    const dxWant = tf.tidy(() => tf.mul(tf.onesLike(x), tf.mul(tf.rsqrt(tf.add(variance, 0.001)), scale)));
    expect(Array.from(await dx.data())).toEqual(Array.from(await dxWant.data()));
    // Parameters that cannot broadcast to the input's shape: refused (TF.js read them in turn).
    expect(() => tf.batchNorm(x, tf.zeros([1, 5, 1, 1]), tf.ones([1, 5, 1, 1]))).toThrow(
      "batchNorm: the mean of shape [1, 5, 1, 1] does not broadcast to the input's shape [2, 3, 4, 2]",
    );
    tf.dispose([x, mean, variance, offset, scale, expected, got, columns, rows, mixed, want, dx, dxWant]);
  });

  it('clamps a fused product with relu or relu6 once, after the whole sum (wasm: every 48 terms)', async () => {
    // 100 terms of alternating sign: every partial sum of 48 is positive and the whole is -2, so relu gives 0 and a
    // clamp after each block of terms gave a positive number.
    const k = 100;
    const row = Array.from({ length: k }, (_, i) => (i < 48 ? 1 : i < 96 ? -1 : -0.5));
    const a = tf.tensor2d([...row, ...row.map((v) => -v)], [2, k]);
    const b = tf.ones([k, 3]);
    const [at, bt] = [tf.transpose(a), tf.transpose(b)];
    const [a3, b3] = [tf.stack([a, a]), tf.stack([b, b])];
    const outs = await expectNoLeak(
      () => [
        tf.fused.matMul({ a: at, b, transposeA: true, activation: 'relu' }),
        tf.fused.matMul({ a, b: bt, transposeB: true, activation: 'relu6' }),
        tf.fused.matMul({ a: a3, b: b3, activation: 'relu' }),
        tf.fused.matMul({ a, b, activation: 'relu' }),
      ],
      4,
    );
    // Rows: -2 clamps to 0; 2 stays (under 6).
    const want = [0, 0, 0, 2, 2, 2];
    expect(Array.from(await outs[0].data())).toEqual(want);
    expect(Array.from(await outs[1].data())).toEqual(want);
    expect(Array.from(await outs[2].data())).toEqual([...want, ...want]);
    expect(Array.from(await outs[3].data())).toEqual(want);
    tf.dispose([a, b, at, bt, a3, b3, ...outs]);
  });

  it('multiplies by a transposed matrix over a long sum (WebGPU split it and misread the operand)', async () => {
    // Integers small enough that float32 sums them exactly: [8, 2048] × [32, 2048]ᵀ.
    const [m, k, n] = [8, 2048, 32];
    const av = Array.from({ length: m * k }, (_, i) => ((Math.floor(i / k) + (i % k)) % 3) - 1);
    const bv = Array.from({ length: n * k }, (_, i) => ((Math.floor(i / k) * (i % k)) % 5) - 2);
    const want = Array.from({ length: m * n }, (_, o) => {
      const [i, j] = [Math.floor(o / n), o % n];
      let sum = 0;
      for (let t = 0; t < k; t++) sum += av[i * k + t] * bv[j * k + t];
      return sum;
    });
    const a = tf.tensor2d(av, [m, k]);
    const b = tf.tensor2d(bv, [n, k]);
    const bias = tf.fill([n], 1000);
    const [plain, fused] = await expectNoLeak(
      () => [tf.matMul(a, b, false, true), tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' })],
      2,
    );
    expect(Array.from(await plain.data())).toEqual(want);
    expect(Array.from(await fused.data())).toEqual(want.map((v) => Math.max(v + 1000, 0)));
    tf.dispose([a, b, bias, plain, fused]);
  });

  it('gives the sign of a number however small (wasm: 0 within 1.2e-7 of zero)', async () => {
    const x = tf.tensor1d([1e-30, -1e-10, 1e-7, -3, 0, Number.POSITIVE_INFINITY]);
    const y = await expectNoLeak(() => tf.tidy(() => tf.sign(tf.add(x, 0))), 1);
    expect(Array.from(await y.data())).toEqual([1, -1, 1, -1, 0, 1]);
    tf.dispose([x, y]);
  });

  it('takes the logarithm of 0 as -Infinity, of a negative number or NaN as NaN (GPUs in Chromium: -88)', async () => {
    const x = tf.tensor1d([0, -0, -2, Number.NaN, 1]);
    const [y, z] = await expectNoLeak(() => [tf.log(x), tf.tidy(() => tf.log1p(tf.sub(x, 1)))], 2);
    expect(Array.from(await y.data())).toEqual([-Infinity, -Infinity, Number.NaN, Number.NaN, 0]);
    expect(Array.from(await z.data())).toEqual([-Infinity, -Infinity, Number.NaN, Number.NaN, 0]);
    tf.dispose([x, y, z]);
  });

  it('divides 0 by 0 and Infinity by Infinity to NaN, truncates an int32 encoding (WebGL: 1, rounded)', async () => {
    const a = tf.tensor1d([0, Number.POSITIVE_INFINITY, -0, 6]);
    const b = tf.tensor1d([0, Number.POSITIVE_INFINITY, 0, 6]);
    const i = tf.tensor1d([1, 0], 'int32');
    const [q, h] = await expectNoLeak(() => [tf.div(a, b), tf.oneHot(i, 2, 2.5, -1.5)], 2);
    expect(Array.from(await q.data())).toEqual([Number.NaN, Number.NaN, Number.NaN, 1]);
    expect(Array.from(await h.data())).toEqual([-1, 2, 2, -1]);
    tf.dispose([a, b, i, q, h]);
  });

  it('crops from every image of a batch, with fewer boxes than images (WebGPU: zeros past the box count)', async () => {
    // Three 2×2 gray images of 10s, 20s and 30s plus the pixel's position; whole-image crops at 2×2 give them back.
    const images = tf.tensor4d([10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33], [3, 2, 2, 1]);
    const whole = [0, 0, 1, 1];
    const one = tf.tensor2d([whole]);
    const two = tf.tensor2d([whole, whole]);
    const [last, both] = await expectNoLeak(
      () => [
        tf.image.cropAndResize(images, one, tf.tensor1d([2], 'int32'), [2, 2]),
        tf.image.cropAndResize(images, two, tf.tensor1d([1, 2], 'int32'), [2, 2], 'nearest'),
      ],
      // The two box-index vectors are made inside the call.
      4,
    );
    expect(Array.from(await last.data())).toEqual([30, 31, 32, 33]);
    expect(Array.from(await both.data())).toEqual([20, 21, 22, 23, 30, 31, 32, 33]);
    tf.dispose([images, one, two, last, both]);
  });

  it('transposes 3-D convolutions and takes their filter gradient (wasm: a slice, and other sums)', async () => {
    // x [1, 3, 4, 5, 2], filter [2, 2, 3, 2, 3], strides [2, 1, 2], 'same' padding; dy of the convolution's output
    // shape. Both gradients by brute force over TensorFlow's padding (the pad's smaller half in front).
    const xs: [number, number, number, number, number] = [1, 3, 4, 5, 2];
    const fs: [number, number, number, number, number] = [2, 2, 3, 2, 3];
    const strides: [number, number, number] = [2, 1, 2];
    const xv = Array.from({ length: 120 }, (_, i) => Math.sin(i));
    const fv = Array.from({ length: 72 }, (_, i) => Math.cos(i));
    const os: [number, number, number, number, number] = [1, 2, 4, 3, 3];
    const front = [0, 1, 2].map((a) => Math.floor(Math.max((os[a + 1] - 1) * strides[a] + fs[a] - xs[a + 1], 0) / 2));
    const dyv = Array.from({ length: 72 }, (_, i) => Math.cos(0.7 * i));
    const dx = new Array<number>(120).fill(0);
    const df = new Array<number>(72).fill(0);
    for (let o = 0; o < 24; o++) {
      const [od, oh, ow] = [Math.floor(o / 12), Math.floor(o / 3) % 4, o % 3];
      for (let k = 0; k < 12; k++) {
        const [kd, kh, kw] = [Math.floor(k / 6), Math.floor(k / 3) % 2, k % 3];
        const [d, h, w] = [od * 2 - front[0] + kd, oh - front[1] + kh, ow * 2 - front[2] + kw];
        if (d < 0 || h < 0 || w < 0 || d >= 3 || h >= 4 || w >= 5) continue;
        for (let ci = 0; ci < 2; ci++) {
          for (let co = 0; co < 3; co++) {
            const [g, fi, xi] = [dyv[o * 3 + co], (k * 2 + ci) * 3 + co, ((d * 4 + h) * 5 + w) * 2 + ci];
            dx[xi] += g * fv[fi];
            df[fi] += g * xv[xi];
          }
        }
      }
    }
    const x = tf.tensor5d(xv, xs);
    const f = tf.tensor5d(fv, fs);
    const dy = tf.tensor5d(dyv, os);
    // tf.conv3dTranspose runs the input gradient's kernel; the filter's has no public operation but conv3d's gradient
    // (which tfjs-core registers with tfjs-layers loaded).
    const t = await expectNoLeak(() => tf.conv3dTranspose(dy, f, xs, strides, 'same'), 1);
    const attrs = { strides, pad: 'same', filterShape: fs };
    const gf = await expectNoLeak(
      () => tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, attrs) as tf.Tensor,
      1,
    );
    expect(gf.shape).toEqual(fs);
    for (const [got, want] of [
      [t, dx],
      [gf, df],
    ] as const) {
      const values = await got.data();
      for (let i = 0; i < want.length; i++) expect(values[i]).toBeCloseTo(want[i], 4);
    }
    tf.dispose([x, f, dy, gf, t]);
  });

  it('keeps the reduced axes of a product with keepDims, and gives a scalar for the extreme of a vector', async () => {
    // WebGPU computes tensors this small on the CPU, as by default (the suite turns that off to run the shaders),
    // where TF.js dropped keepDims of a product and gave an argMax of a vector the shape [1].
    if (BACKEND === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', true);
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const v = tf.tensor1d([3, 9, 1]);
    const outs = await expectNoLeak(
      () => [tf.prod(x, 0, true), tf.prod(x, [0, 1], true), tf.prod(v, 0, true), tf.argMax(v), tf.argMin(v)],
      5,
    ).finally(() => {
      if (BACKEND === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    });
    expect(outs.map((t) => t.shape)).toEqual([[1, 3], [1, 1], [1], [], []]);
    expect(await Promise.all(outs.map(async (t) => Array.from(await t.data())))).toEqual([
      [4, 10, 18],
      [720],
      [27],
      [1],
      [2],
    ]);
    tf.dispose([x, v, ...outs]);
  });

  it('transforms every image of a batch as TensorFlow (cpu: the first only; wasm: reflection; WebGPU: sampling)', async () => {
    // Two 2×3 gray images, one transform for both: output (x, y) reads the input at (x + dx, y), fill 0.
    const images = tf.tensor4d([1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], [2, 2, 3, 1]);
    const run = async (dx: number, interpolation: 'nearest' | 'bilinear', fillMode: 'constant' | 'reflect') => {
      const shift = tf.tensor2d([[1, 0, dx, 0, 1, 0, 0, 0]]);
      const out = await expectNoLeak(() => tf.image.transform(images, shift, interpolation, fillMode, 0), 1);
      const values = Array.from(await out.data());
      tf.dispose([shift, out]);
      return values;
    };
    expect(await run(1, 'nearest', 'constant')).toEqual([2, 3, 0, 5, 6, 0, 20, 30, 0, 50, 60, 0]);
    // Columns -2, -1 and 0 reflect about the edge to 1, 0 and 0 (dcba|abcd).
    expect(await run(-2, 'nearest', 'reflect')).toEqual([2, 1, 1, 5, 4, 4, 20, 10, 10, 50, 40, 40]);
    // Half a pixel: 0.5, 1.5 and 2.5 round away from zero to 1, 2 and 3 (outside: the fill).
    expect(await run(0.5, 'nearest', 'constant')).toEqual([2, 3, 0, 5, 6, 0, 20, 30, 0, 50, 60, 0]);
    // A quarter: 3/4 of one column and 1/4 of the next (the fill past the edge).
    const quarter = await run(0.25, 'bilinear', 'constant');
    const want = [1.25, 2.25, 2.25, 4.25, 5.25, 4.5, 12.5, 22.5, 22.5, 42.5, 52.5, 45];
    expect(quarter.map((v, i) => Math.abs(v - want[i]) < 1e-5)).toEqual(want.map(() => true));
    images.dispose();
  });

  it('marks the values seen with denseBincount binaryOutput (cpu counted a vector, WebGPU gave zeros)', async () => {
    const vector = tf.tensor1d([0, 1, 1, 3, 2, 3, 7], 'int32');
    const rows = tf.tensor2d([0, 1, 1, 3, 2, 3], [2, 3], 'int32');
    const none = tf.tensor1d([]);
    const [a, b] = await expectNoLeak(
      () => [
        tf.denseBincount(vector, none, 5, true),
        tf.denseBincount(rows, none as tf.Tensor as tf.Tensor2D, 5, true),
      ],
      2,
    );
    // 7 is past the size: not counted.
    expect(Array.from(await a.data())).toEqual([1, 1, 1, 1, 0]);
    expect(Array.from(await b.data())).toEqual([1, 1, 0, 0, 0, 0, 0, 1, 1, 0]);
    tf.dispose([vector, rows, none, a, b]);
  });

  it('takes atan2 of signed zeros as TensorFlow (WebGPU gave ±3π/4)', async () => {
    const y = tf.tensor1d([0, -0, 0, -0, 0, 1, -1]);
    const x = tf.tensor1d([0, 0, -0, -0, -1, 0, -0]);
    const out = await expectNoLeak(() => tf.atan2(y, x), 1);
    // C's atan2: ±0 toward +0, ±π toward -0 and negative numbers, ±π/2 for a zero x.
    const want = [0, -0, Math.PI, -Math.PI, Math.PI, Math.PI / 2, -Math.PI / 2];
    const got = Array.from(await out.data());
    expect(got.map((v, i) => Math.abs(v - want[i]) < 1e-6 && Object.is(v, -0) === Object.is(want[i], -0))).toEqual(
      want.map(() => true),
    );
    tf.dispose([y, x, out]);
  });

  it("max-pools with TensorFlow's maxima positions (wasm: windows at most 0 gave 1.2e-38 at 0; WebGPU: the last tie)", async () => {
    const x = tf.tensor4d([-3, -1, -2, 0, 0, -5, -1, -4, -6, -2, -3, -7], [2, 2, 3, 1]);
    const run = async (pad: 'valid' | 'same', includeBatchInIndex: boolean) => {
      const { result, indexes } = await expectNoLeak(() => tf.maxPoolWithArgmax(x, 2, 1, pad, includeBatchInIndex), 2);
      const out = [Array.from(await result.data()), Array.from(await indexes.data())];
      tf.dispose([result, indexes]);
      return out;
    };
    // Each window's first maximum in row-major order, flattened as TensorFlow's (y * width + x) * channels + c.
    expect(await run('valid', false)).toEqual([
      [0, 0, -1, -3],
      [3, 4, 0, 4],
    ]);
    // The second image's positions start after the first's 6 values with the batch in the index.
    expect(await run('valid', true)).toEqual([
      [0, 0, -1, -3],
      [3, 4, 6, 10],
    ]);
    // Padding is never a window's maximum.
    expect(await run('same', false)).toEqual([
      [0, 0, -2, 0, 0, -5, -1, -3, -6, -2, -3, -7],
      [3, 4, 2, 3, 4, 5, 0, 4, 2, 3, 4, 5],
    ]);
    x.dispose();
  });
});

describe('kernel arguments outside a tensor, refused as TensorFlow refuses them', () => {
  // On wasm, TF.js read whatever the heap held there (gatherND with index -1 gave 2.2e-44, a slice past the end and a
  // box of another image gave bits of other tensors); elsewhere it answered other numbers or made a tensor of
  // negative shape. Index values are checked where they are in CPU memory: on cpu and wasm, and on WebGPU where TF.js
  // still holds them there, as it holds these, made in JavaScript.
  const onCpu = BACKEND === 'cpu' || BACKEND === 'wasm';
  const readable = onCpu || BACKEND === 'webgpu';
  const m = () => tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3]);

  it.runIf(readable)('refuses indices outside the tensor in gatherND and scatterND', () => {
    const x = m();
    const rows = (v: number[][]) => tf.tensor2d(v, [v.length, v[0].length], 'int32');
    expect(() =>
      tf.gatherND(
        x,
        rows([
          [1, 1],
          [0, 5],
        ]),
      ),
    ).toThrow(new RangeError('gatherND: index [0, 5] (row 1 of the indices) is outside the shape [3, 3]'));
    expect(() => tf.gatherND(x, rows([[-1, 0]]))).toThrow(
      new RangeError('gatherND: index [-1, 0] (row 0 of the indices) is outside the shape [3, 3]'),
    );
    expect(() => tf.scatterND(rows([[9], [1]]), tf.tensor1d([1, 2]), [4])).toThrow(
      new RangeError('scatterND: index [9] (row 0 of the indices) is outside the shape [4]'),
    );
    x.dispose();
  });

  it.runIf(readable)('refuses indices outside the tensor in sparseToDense and tensorScatterUpdate', () => {
    // On wasm both wrote past the tensor into the heap (index 10 of 4: no error and the output all zeros, then a crash
    // when a later tensor was freed; a negative index trapped with "memory access out of bounds").
    const ints = (v: number[], shape: number[]) => tf.tensor(v, shape, 'int32');
    for (const index of [10, 4, -1]) {
      expect(() => tf.sparseToDense(ints([1, index], [2]), tf.tensor1d([5, 6]), [4], 0)).toThrow(
        new RangeError(`sparseToDense: index [${index}] (row 1 of the indices) is outside the shape [4]`),
      );
    }
    expect(() => tf.sparseToDense(ints([0, 1, 2, 3], [2, 2]), tf.tensor1d([5, 6]), [3, 3], 0)).toThrow(
      new RangeError('sparseToDense: index [2, 3] (row 1 of the indices) is outside the shape [3, 3]'),
    );
    const x = m();
    expect(() => tf.tensorScatterUpdate(x, ints([7], [1, 1]), tf.tensor2d([[1, 2, 3]]))).toThrow(
      new RangeError('tensorScatterUpdate: index [7] (row 0 of the indices) is outside the shape [3, 3]'),
    );
    expect(() => tf.tensorScatterUpdate(x, ints([1, -1], [1, 2]), tf.tensor1d([1]))).toThrow(
      new RangeError('tensorScatterUpdate: index [1, -1] (row 0 of the indices) is outside the shape [3, 3]'),
    );
    x.dispose();
  });

  it.runIf(readable)('computes sparseToDense and tensorScatterUpdate with indices inside the tensor', async () => {
    const ints = (v: number[], shape: number[]) => tf.tensor(v, shape, 'int32');
    const dense = tf.sparseToDense(ints([3, 0], [2]), tf.tensor1d([5, 6]), [4], -1);
    expect(Array.from(await dense.data())).toEqual([6, -1, -1, 5]);
    const x = m();
    const updated = tf.tensorScatterUpdate(x, ints([2, 0], [1, 2]), tf.tensor1d([-7]));
    expect(Array.from(await updated.data())).toEqual([1, 2, 3, 4, 5, 6, -7, 8, 9]);
    tf.dispose([dense, x, updated]);
  });

  it.runIf(readable)('refuses a box of cropAndResize that names an image outside the batch', () => {
    const img = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    expect(() => tf.image.cropAndResize(img, tf.tensor2d([[0, 0, 1, 1]]), tf.tensor1d([5], 'int32'), [2, 2])).toThrow(
      new RangeError('cropAndResize: box 0 names image 5, outside the batch of 1 images'),
    );
    img.dispose();
  });

  it('refuses a slice past the end, a resize below 1×1, and a transpose by no permutation', async () => {
    const v = tf.tensor1d([1, 2, 3, 4]);
    expect(() => tf.slice(v, [3], [4])).toThrow(
      new RangeError('slice: begin [3] and size [4] reach outside the shape [4]'),
    );
    const img = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    expect(() => tf.image.resizeBilinear(img, [-2, 3])).toThrow(
      new RangeError('resizeBilinear: the size must be at least 1×1, got -2×3'),
    );
    expect(() => tf.image.resizeNearestNeighbor(img, [2, 0])).toThrow(
      new RangeError('resizeNearestNeighbor: the size must be at least 1×1, got 2×0'),
    );
    if (onCpu) {
      expect(() => tf.transpose(m(), [0, 0])).toThrow(
        new RangeError('transpose: perm [0, 0] is not a permutation of the axes of a tensor of rank 2'),
      );
    }
    // Valid calls answer as before.
    const sliced = tf.slice(v, [1], [-1]);
    expect(Array.from(await sliced.data())).toEqual([2, 3, 4]);
    const picked = tf.gatherND(m(), tf.tensor2d([[2, 0]], [1, 2], 'int32'));
    expect(Array.from(await picked.data())).toEqual([7]);
    tf.dispose([v, img, sliced, picked]);
  });

  it('refuses sizes, counts and positions that are not whole numbers (TF.js made fractional shapes)', async () => {
    // A model's graph may hold them as float32: TF.js gave a [16, 1.5] top-k, whose read failed deep inside it.
    const x = tf.ones([1, 4, 4, 4]) as tf.Tensor4D;
    const box = () => [tf.tensor2d([[0, 0, 1, 1]]), tf.tensor1d([0], 'int32')] as const;
    const cases: [() => unknown, string][] = [
      [() => tf.topk(tf.reshape(x, [16, 4]), 1.5), 'topk: k must be a whole number of at least 0, got 1.5'],
      [
        () => tf.reshape(x, [0.5, 128]),
        'reshape: the shape must be whole numbers of at least 0 (or -1), got [0.5, 128]',
      ],
      [
        () => tf.split(x, [1.5, 2.5], 3),
        'split: the sizes must be whole numbers of at least 0 (or -1), got [1.5, 2.5]',
      ],
      [
        () => tf.oneHot(tf.tensor1d([0, 1], 'int32'), 2.5),
        'oneHot: the depth must be a whole number of at least 0, got 2.5',
      ],
      [
        () => tf.image.resizeBilinear(x, [2.5, 3]),
        'resizeBilinear: the size must be whole numbers of at least 1, got [2.5, 3]',
      ],
      [
        () => tf.image.resizeNearestNeighbor(x, [2, 3.5]),
        'resizeNearestNeighbor: the size must be whole numbers of at least 1, got [2, 3.5]',
      ],
      [
        () => tf.image.cropAndResize(x, ...box(), [2.5, 2]),
        'cropAndResize: the crop size must be whole numbers of at least 1, got [2.5, 2]',
      ],
      [() => tf.tile(x, [1, 1.5, 1, 1]), 'tile: multiples must be whole numbers of at least 0, got [1, 1.5, 1, 1]'],
      [
        () => tf.slice(x, [0, 0.5, 0, 0], [1, 2, 2, 2]),
        'slice: begin and size must be whole numbers of at least 0, got [0, 0.5, 0, 0, 1, 2, 2, 2]',
      ],
    ];
    for (const [call, message] of cases) expect(() => tf.tidy(() => void call())).toThrow(new RangeError(message));
    // Whole numbers, and -1 for the rest of an axis, run as before.
    const shapes = tf.tidy(() => [
      tf.topk(tf.reshape(x, [16, 4]), 2).values.shape,
      tf.reshape(x, [2, -1]).shape,
      tf.split(x, [1, -1], 3)[1].shape,
      tf.tile(x, [1, 2, 1, 1]).shape,
    ]);
    expect(shapes).toEqual([
      [16, 2],
      [2, 32],
      [1, 4, 4, 3],
      [1, 8, 4, 4],
    ]);
    x.dispose();
  });

  it('refuses a convolution or pooling window larger than its padded input (TF.js made negative shapes)', async () => {
    // TF.js gave tensors of shape [1, -1, -1, c]; on wasm a mean of one then read outside the heap ("memory access out
    // of bounds") and other kernels looped. TensorFlow refuses: "Computed output size would be negative".
    const x = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    const negative = (name: string, window: string, out: string) =>
      new RangeError(
        `${name}: the window ${window} does not fit the input 3×3 with this padding (the output would be ${out})`,
      );
    const cases: [() => tf.Tensor, RangeError][] = [
      [
        () => tf.conv2d(x, tf.ones([5, 5, 2, 4]) as tf.Tensor4D, 1, 'valid'),
        negative('conv2d', '5×5', '[1, -1, -1, 4]'),
      ],
      [
        () => tf.conv2d(x, tf.ones([3, 3, 2, 4]) as tf.Tensor4D, 1, 'valid', 'NHWC', 2),
        negative('conv2d', '5×5', '[1, -1, -1, 4]'),
      ],
      [
        () =>
          tf.conv2d(x, tf.ones([5, 5, 2, 4]) as tf.Tensor4D, 1, [
            [0, 0],
            [1, 0],
            [0, 0],
            [0, 0],
          ]),
        negative('conv2d', '5×5', '[1, 0, -1, 4]'),
      ],
      [
        () => tf.depthwiseConv2d(x, tf.ones([5, 5, 2, 1]) as tf.Tensor4D, 1, 'valid'),
        negative('depthwiseConv2d', '5×5', '[1, -1, -1, 2]'),
      ],
      [
        () => tf.fused.conv2d({ x, filter: tf.ones([5, 5, 2, 4]) as tf.Tensor4D, strides: 1, pad: 'valid' }),
        negative('conv2d', '5×5', '[1, -1, -1, 4]'),
      ],
      [() => tf.maxPool(x, 5, 1, 'valid'), negative('maxPool', '5×5', '[1, -1, -1, 2]')],
      [() => tf.avgPool(x, [4, 5], 1, 'valid'), negative('avgPool', '4×5', '[1, 0, -1, 2]')],
    ];
    for (const [run, error] of cases) expect(run).toThrow(error);
    // Output 0 (a window one larger than the input): TensorFlow allows it, and so does the check. On wasm the
    // convolution wrote past the empty output, and freeing it broke the heap ("memory access out of bounds").
    const empties = [
      tf.conv2d(x, tf.ones([4, 4, 2, 4]) as tf.Tensor4D, 1, 'valid'),
      tf.depthwiseConv2d(x, tf.ones([4, 4, 2, 1]) as tf.Tensor4D, 1, 'valid'),
      tf.maxPool(x, [4, 3], 1, 'valid'),
    ];
    expect(empties.map((e) => e.shape)).toEqual([
      [1, 0, 0, 4],
      [1, 0, 0, 2],
      [1, 0, 1, 2],
    ]);
    tf.dispose(empties);
    const after = tf.ones([64, 64]);
    expect((await tf.sum(after).data())[0]).toBe(4096);
    after.dispose();
    // 'same' padding and windows that fit run as before.
    const fits = tf.maxPool(x, 3, 1, 'valid');
    expect(Array.from(await fits.data())).toEqual([1, 1]);
    tf.dispose([x, fits]);
  });

  it('refuses a negative depth radius for local response normalization (TF.js normalized by the bias alone)', async () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
    expect(() => tf.localResponseNormalization(x, -2)).toThrow(
      new RangeError('localResponseNormalization: the depth radius must be at least 0, got -2'),
    );
    // Radius 0 normalizes each channel by itself: x / (1 + x²)^0.5 with bias 1, alpha 1.
    const y = tf.localResponseNormalization(x, 0, 1, 1, 0.5);
    const expected = [1, 2, 3, 4].map((v) => v / Math.sqrt(1 + v * v));
    const got = Array.from(await y.data());
    expect(got.map((v, i) => Math.abs(v - expected[i]) < 1e-6)).toEqual([true, true, true, true]);
    tf.dispose([x, y]);
  });

  it('refuses negative values to count, negative space-to-batch paddings and 3-D pooling windows of size 0', () => {
    if (readable) {
      expect(() => tf.denseBincount(tf.tensor1d([0, 9, -1], 'int32'), tf.tensor1d([], 'float32'), 3)).toThrow(
        new RangeError('denseBincount: the values counted must be at least 0, got -1'),
      );
    }
    const x = tf.ones([1, 4, 4, 1]);
    expect(() =>
      tf.spaceToBatchND(
        x,
        [2, 2],
        [
          [-2, 0],
          [0, 0],
        ],
      ),
    ).toThrow(
      new RangeError(
        'spaceToBatchND: the block shape must be at least 1 and the paddings at least 0, got block shape [2, 2] ' +
          'and paddings [[-2, 0], [0, 0]]',
      ),
    );
    const v = tf.ones([1, 2, 2, 2, 1]) as tf.Tensor5D;
    expect(() => tf.avgPool3d(v, 0, 1, 'valid')).toThrow(
      new RangeError('avgPool3d: the pooling window must be at least 1×1×1, got 0×0×0'),
    );
    tf.dispose([x, v]);
  });

  it('refuses a transposed convolution whose output shape disagrees with its input (wasm trapped on a negative one)', async () => {
    // 4×4 in, stride 2, 'same': the output is 8×8. TF.js computed something for 4×4 and read outside the wasm heap
    // for -8×8.
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    const f = tf.ones([3, 3, 5, 2]) as tf.Tensor4D;
    expect(() => tf.conv2dTranspose(x, f, [1, 4, 4, 5], 2, 'same')).toThrow(
      new RangeError(
        'conv2dTranspose: the output shape [1, 4, 4, 5] gives 2×2 through the convolution it undoes (strides ' +
          "[2, 2], padding 'same'), where its input is 4×4",
      ),
    );
    expect(() => tf.conv2dTranspose(x, f, [1, -8, 8, 5], 2, 'same')).toThrow(
      new RangeError('conv2dTranspose: the output shape [1, -8, 8, 5] must be whole numbers of at least 1'),
    );
    const y = tf.conv2dTranspose(x, f, [1, 8, 8, 5], 2, 'same');
    expect(y.shape).toEqual([1, 8, 8, 5]);
    tf.dispose([x, f, y]);
  });

  it('keeps one kernel in place when the gradients install theirs (no replacement back and forth)', async () => {
    const { ensureGradients } = await import('../../src/net/gradients.js');
    const { guardBackends } = await import('../../src/backend/backendGuards.js');
    ensureGradients();
    guardBackends();
    const first = tf.getKernel('Conv2DBackpropInput', tf.getBackend())?.kernelFunc;
    ensureGradients();
    guardBackends();
    expect(tf.getKernel('Conv2DBackpropInput', tf.getBackend())?.kernelFunc).toBe(first);
  });

  it('refuses a reduction over an axis named twice (cpu and wasm answered differently, WebGPU a scalar 0)', () => {
    const x = tf.ones([2, 3]);
    for (const [name, reduce] of [
      ['sum', tf.sum],
      ['mean', tf.mean],
      ['max', tf.max],
      ['min', tf.min],
      ['prod', tf.prod],
    ] as const) {
      expect(() => reduce(x, [1, -1])).toThrow(new RangeError(`${name}: the axes [1, -1] name the axis 1 twice`));
    }
    expect(() => tf.any(tf.cast(x, 'bool'), [0, 0])).toThrow(
      new RangeError('any: the axes [0, 0] name the axis 0 twice'),
    );
    x.dispose();
  });
});
