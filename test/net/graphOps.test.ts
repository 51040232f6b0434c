/**
 * Graph operations that TF.js's converter runs by another rule than TensorFlow's, or refuses, as the library runs them
 * in a network: TensorFlow 1's `Select`, whose vector condition picks rows; `Div` of integers and `Mod`, which
 * truncate; a dilated transposed convolution; `OneHot` along its axis; a batch norm in training mode; `MaxPool` with
 * explicit padding; `RFFT` and `IRFFT` at their own lengths. Channels-first graphs are refused.
 */
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { inputGradient, segment } from '../../src/net/differentiable.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

const T = { type: 'DT_FLOAT' };
const dims = (d: number[]) => ({ dim: d.map((size) => ({ size: String(size) })) });
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const konst = (name: string, dtype: string, shape: number[]) => ({
  name,
  op: 'Const',
  attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: dims(shape) } } },
});

/**
 * A 4×4 gray image made a 4×4 matrix, `op(rows, matrix, zeros)` with the condition [true, false, true, false], and the
 * result made an image again.
 */
async function selectGraph(op: 'Select' | 'SelectV2') {
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 4, 4, 1]) } } },
      konst('square', 'DT_INT32', [2]),
      konst('back', 'DT_INT32', [4]),
      konst('rows', 'DT_BOOL', [4]),
      { name: 'matrix', op: 'Reshape', input: ['x', 'square'], attr: { T, Tshape: { type: 'DT_INT32' } } },
      { name: 'zeros', op: 'ZerosLike', input: ['matrix'], attr: { T } },
      { name: 'sel', op, input: ['rows', 'matrix', 'zeros'], attr: { T } },
      { name: 'out', op: 'Reshape', input: ['sel', 'back'], attr: { T, Tshape: { type: 'DT_INT32' } } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'square', shape: [2], dtype: 'int32' },
    { name: 'back', shape: [4], dtype: 'int32' },
    { name: 'rows', shape: [4], dtype: 'bool' },
  ];
  const data = new Uint8Array(6 * 4 + 4);
  new Int32Array(data.buffer, 0, 6).set([4, 4, 1, 4, 4, 1]);
  data.set([1, 0, 1, 0], 24);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data.buffer }));
}

/**
 * A 2×4 gray image divided by [3, -3, 3, -3] along its rows with `op`: as floats (`Mod` only), and cast to int32
 * first (`Div`, `Mod`, `FloorDiv`, `FloorMod`), the result cast back to float.
 */
async function divisionGraph(op: 'Div' | 'Mod' | 'FloorDiv' | 'FloorMod') {
  const I = { type: 'DT_INT32' };
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 2, 4, 1]) } } },
      konst('by', 'DT_FLOAT', [4, 1]),
      konst('byInt', 'DT_INT32', [4, 1]),
      { name: 'xInt', op: 'Cast', input: ['x'], attr: { SrcT: T, DstT: I } },
      { name: 'float', op, input: ['x', 'by'], attr: { T } },
      { name: 'int', op, input: ['xInt', 'byInt'], attr: { T: I } },
      { name: 'out', op: 'Cast', input: ['int'], attr: { SrcT: I, DstT: T } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'by', shape: [4, 1], dtype: 'float32' },
    { name: 'byInt', shape: [4, 1], dtype: 'int32' },
  ];
  const data = new ArrayBuffer(32);
  new Float32Array(data, 0, 4).set([3, -3, 3, -3]);
  new Int32Array(data, 16, 4).set([3, -3, 3, -3]);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data }));
}

/**
 * A transposed convolution (`Conv2DBackpropInput`) of an `h`×`w` gray image by a 2×2 kernel [1, 2, 3, 4] dilated by 2,
 * stride 1, to an output of `out`×`out`.
 */
async function dilatedTransposeGraph(h: number, w: number, out: number, padding: 'SAME' | 'VALID') {
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, h, w, 1]) } } },
      konst('shape', 'DT_INT32', [4]),
      konst('kernel', 'DT_FLOAT', [2, 2, 1, 1]),
      {
        name: 'up',
        op: 'Conv2DBackpropInput',
        input: ['shape', 'kernel', 'x'],
        attr: { T, strides: ints([1, 1, 1, 1]), dilations: ints([1, 2, 2, 1]), padding: { s: btoa(padding) } },
      },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'shape', shape: [4], dtype: 'int32' },
    { name: 'kernel', shape: [2, 2, 1, 1], dtype: 'float32' },
  ];
  const data = new ArrayBuffer(32);
  new Int32Array(data, 0, 4).set([1, out, out, 1]);
  new Float32Array(data, 16, 4).set([1, 2, 3, 4]);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data }));
}

/**
 * TensorFlow's transposed convolution, written out: each input pixel adds its value times each tap of the 2×2 kernel
 * [1, 2, 3, 4] (dilated by 2) to the output pixel that tap reads it from in the forward convolution, padded `before`.
 */
function transposedOracle(x: number[][], out: number, before: number): number[] {
  const y = new Array<number>(out * out).fill(0);
  const k = [
    [1, 2],
    [3, 4],
  ];
  x.forEach((row, i) => {
    row.forEach((v, j) => {
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) {
          const [r, c] = [i + 2 * a - before, j + 2 * b - before];
          if (r >= 0 && r < out && c >= 0 && c < out) y[r * out + c] += v * k[a][b];
        }
      }
    });
  });
  return y;
}

/**
 * A 1×3 gray image made 3 integer indices, one-hot encoded to depth 4 along `axis` (of the [3, 4] or [4, 3] result),
 * and made a 4×3 image.
 */
async function oneHotGraph(axis: number) {
  const I = { type: 'DT_INT32' };
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 1, 3, 1]) } } },
      konst('flat', 'DT_INT32', [1]),
      konst('depth', 'DT_INT32', []),
      konst('on', 'DT_FLOAT', []),
      konst('off', 'DT_FLOAT', []),
      konst('back', 'DT_INT32', [4]),
      { name: 'xInt', op: 'Cast', input: ['x'], attr: { SrcT: T, DstT: I } },
      { name: 'indices', op: 'Reshape', input: ['xInt', 'flat'], attr: { T: I, Tshape: I } },
      {
        name: 'hot',
        op: 'OneHot',
        input: ['indices', 'depth', 'on', 'off'],
        attr: { T, TI: I, axis: { i: String(axis) } },
      },
      { name: 'out', op: 'Reshape', input: ['hot', 'back'], attr: { T, Tshape: I } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'flat', shape: [1], dtype: 'int32' },
    { name: 'depth', shape: [], dtype: 'int32' },
    { name: 'on', shape: [], dtype: 'float32' },
    { name: 'off', shape: [], dtype: 'float32' },
    { name: 'back', shape: [4], dtype: 'int32' },
  ];
  const data = new ArrayBuffer(36);
  new Int32Array(data, 0, 2).set([3, 4]);
  new Float32Array(data, 8, 2).set([1, 0]);
  new Int32Array(data, 16, 4).set([1, 4, 3, 1]);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data }));
}

/**
 * A 2×4 gray image through `op` (a fused batch normalization, scale 2, offset 1) with `attr` (is_training, epsilon:
 * absent where not given), its mean and variance 0 (empty where `empty`).
 */
async function batchNormGraph(op: string, attr: Record<string, unknown>, empty: boolean) {
  const n = empty ? 0 : 1;
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 2, 4, 1]) } } },
      konst('scale', 'DT_FLOAT', [1]),
      konst('offset', 'DT_FLOAT', [1]),
      konst('mean', 'DT_FLOAT', [n]),
      konst('variance', 'DT_FLOAT', [n]),
      {
        name: 'bn',
        op,
        input: ['x', 'scale', 'offset', 'mean', 'variance'],
        attr: { T, U: T, data_format: { s: btoa('NHWC') }, ...attr },
      },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'scale', shape: [1], dtype: 'float32' },
    { name: 'offset', shape: [1], dtype: 'float32' },
    { name: 'mean', shape: [n], dtype: 'float32' },
    { name: 'variance', shape: [n], dtype: 'float32' },
  ];
  const data = new Float32Array([2, 1, ...new Array<number>(2 * n).fill(0)]).buffer;
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data }));
}

/** A gray image max-pooled 2×2, stride 2, with TensorFlow's explicit padding of 1 on each side. */
async function explicitPoolGraph() {
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 4, 4, 1]) } } },
      {
        name: 'pool',
        op: 'MaxPool',
        input: ['x'],
        attr: {
          T,
          ksize: ints([1, 2, 2, 1]),
          strides: ints([1, 2, 2, 1]),
          padding: { s: btoa('EXPLICIT') },
          explicit_paddings: ints([0, 0, 1, 1, 1, 1, 0, 0]),
        },
      },
    ],
    versions: { producer: 1 },
  };
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: [], weightData: new ArrayBuffer(0) }));
}

/**
 * An 8-pixel gray row [1, …, 8] made a signal, its real Fourier transform (`RFFT`) of length `length`, and then either
 * the transform's magnitudes (`inverse` absent) or its inverse (`IRFFT`) of length `inverse`, made an image row again.
 */
async function fftGraph(length: number, inverse?: number) {
  const I = { type: 'DT_INT32' };
  const C = { type: 'DT_COMPLEX64' };
  const last = inverse === undefined ? Math.floor(length / 2) + 1 : inverse;
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 1, 8, 1]) } } },
      konst('flat', 'DT_INT32', [2]),
      konst('length', 'DT_INT32', [1]),
      konst('back', 'DT_INT32', [4]),
      ...(inverse === undefined ? [] : [konst('inverseLength', 'DT_INT32', [1])]),
      { name: 'signal', op: 'Reshape', input: ['x', 'flat'], attr: { T, Tshape: I } },
      { name: 'spectrum', op: 'RFFT', input: ['signal', 'length'], attr: { Treal: T, Tcomplex: C } },
      inverse === undefined
        ? { name: 'y', op: 'ComplexAbs', input: ['spectrum'], attr: { T: C, Tout: T } }
        : { name: 'y', op: 'IRFFT', input: ['spectrum', 'inverseLength'], attr: { Treal: T, Tcomplex: C } },
      { name: 'out', op: 'Reshape', input: ['y', 'back'], attr: { T, Tshape: I } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [
    { name: 'flat', shape: [2], dtype: 'int32' },
    { name: 'length', shape: [1], dtype: 'int32' },
    { name: 'back', shape: [4], dtype: 'int32' },
    ...(inverse === undefined ? [] : [{ name: 'inverseLength', shape: [1], dtype: 'int32' as const }]),
  ];
  const data = new Int32Array([1, 8, length, 1, 1, last, 1, ...(inverse === undefined ? [] : [inverse])]).buffer;
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: data }));
}

/** A 2×2 RGB image through `Einsum` with `equation` and a 3×2 constant [1, 2; 3, 4; 5, 6]: a dense layer per pixel. */
async function einsumGraph(equation: string) {
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 2, 2, 3]) } } },
      konst('w', 'DT_FLOAT', [3, 2]),
      { name: 'dense', op: 'Einsum', input: ['x', 'w'], attr: { T, N: { i: '2' }, equation: { s: btoa(equation) } } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [{ name: 'w', shape: [3, 2], dtype: 'float32' }];
  const weightData = new Float32Array([1, 2, 3, 4, 5, 6]).buffer;
  return loadGraphModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData }));
}

/**
 * A 2×3 gray image cast to int32 and averaged along its rows (`Mean` of int32, keeping the axis), cast back to float.
 */
async function intMeanGraph() {
  const I = { type: 'DT_INT32' };
  const topology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 2, 3, 1]) } } },
      konst('axis', 'DT_INT32', [1]),
      { name: 'xInt', op: 'Cast', input: ['x'], attr: { SrcT: T, DstT: I } },
      { name: 'mean', op: 'Mean', input: ['xInt', 'axis'], attr: { T: I, Tidx: I, keep_dims: { b: true } } },
      { name: 'out', op: 'Cast', input: ['mean'], attr: { SrcT: I, DstT: T } },
    ],
    versions: { producer: 1 },
  };
  const weightSpecs: tf.io.WeightsManifestEntry[] = [{ name: 'axis', shape: [1], dtype: 'int32' }];
  return loadGraphModel(
    tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData: new Int32Array([2]).buffer }),
  );
}

describe('graph operations as TensorFlow runs them', () => {
  const pixels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];

  it("runs TensorFlow 1's Select with a vector condition row by row (TF.js broadcast it over columns)", async () => {
    const model = await selectGraph('Select');
    const net = await toNetwork(model, { normalization: 'none' });
    const img = tf.tensor3d(pixels, [4, 4, 1]);
    const out = await expectNoLeak(() => activations(net, img, 'out'), 1);
    // Rows 0 and 2 of the image, rows 1 and 3 zero.
    expect(Array.from(await out.data())).toEqual([1, 2, 3, 4, 0, 0, 0, 0, 9, 10, 11, 12, 0, 0, 0, 0]);
    // The model itself, run bare after toNetwork, gives the same.
    const bare = model.execute(tf.reshape(img, [1, 4, 4, 1]), 'out') as tf.Tensor;
    expect(Array.from(await bare.data())).toEqual(Array.from(await out.data()));
    tf.dispose([img, out, bare]);
    net.dispose();
  });

  it('runs SelectV2, which broadcasts its condition as any operation does, unchanged', async () => {
    const net = await toNetwork(await selectGraph('SelectV2'), { normalization: 'none' });
    const img = tf.tensor3d(pixels, [4, 4, 1]);
    const out = await activations(net, img, 'out');
    // Columns 0 and 2.
    expect(Array.from(await out.data())).toEqual([1, 0, 3, 0, 5, 0, 7, 0, 9, 0, 11, 0, 13, 0, 15, 0]);
    tf.dispose([img, out]);
    net.dispose();
  });

  it('refuses a graph that computes channels first, which TF.js runs wrong without an error', async () => {
    // An image made channels-first, max-pooled 2×2 as NCHW (ksize [1, 1, 2, 2]) and made channels-last again. TF.js's
    // converter pools it as if channels-last, over channels and rows; its depthwise convolutions of NCHW gave NaN
    // on cpu and wrong numbers on wasm, and its BiasAdd and batch normalization ignore the layout.
    const b64 = (t: string) => btoa(t);
    const topology = {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: dims([1, 4, 4, 3]) } } },
        konst('toNCHW', 'DT_INT32', [4]),
        konst('toNHWC', 'DT_INT32', [4]),
        { name: 'nchw', op: 'Transpose', input: ['x', 'toNCHW'], attr: { T, Tperm: { type: 'DT_INT32' } } },
        {
          name: 'pool',
          op: 'MaxPool',
          input: ['nchw'],
          attr: {
            T,
            ksize: ints([1, 1, 2, 2]),
            strides: ints([1, 1, 2, 2]),
            padding: { s: b64('VALID') },
            data_format: { s: b64('NCHW') },
          },
        },
        { name: 'out', op: 'Transpose', input: ['pool', 'toNHWC'], attr: { T, Tperm: { type: 'DT_INT32' } } },
      ],
      versions: { producer: 1 },
    };
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: topology,
        weightSpecs: [
          { name: 'toNCHW', shape: [4], dtype: 'int32' },
          { name: 'toNHWC', shape: [4], dtype: 'int32' },
        ],
        weightData: new Int32Array([0, 3, 1, 2, 0, 2, 3, 1]).buffer,
      }),
    );
    await expectThrowsNoLeak(
      () => toNetwork(model, { normalization: 'none' }),
      RangeError,
      "toNetwork: the model's graph cannot run: its node 'pool' (MaxPool) computes channels first (data_format " +
        'NCHW), which TF.js runs wrong without an error for several operations; this library takes graphs that ' +
        'compute channels last (NHWC): convert the model so',
    );
    model.dispose();
  });
  describe('division of integers and Mod truncate toward zero, as in TensorFlow', () => {
    // Each column divided by 3, -3, 3, -3.
    const pixels = [-7, -7, 7, 7, -6, 5, 0, -1];
    const run = async (op: 'Div' | 'Mod' | 'FloorDiv' | 'FloorMod', layer: 'float' | 'out') => {
      const net = await toNetwork(await divisionGraph(op), { normalization: 'none', output: layer });
      const img = tf.tensor3d(pixels, [2, 4, 1]);
      const out = await expectNoLeak(() => activations(net, img, layer), 1);
      const values = Array.from(await out.data());
      tf.dispose([img, out]);
      net.dispose();
      return values;
    };

    it("divides integers by TensorFlow's Div rounding toward zero (TF.js floored them)", async () => {
      // -7 / 3 is -2 in TensorFlow (C's rule), -3 floored; 5 / -3 is -1, not -2.
      expect(await run('Div', 'out')).toEqual([-2, 2, 2, -2, -2, -1, 0, 0]);
    });

    it("takes TensorFlow's Mod with the dividend's sign, for integers and floats (TF.js took the divisor's)", async () => {
      const truncated = [-1, -1, 1, 1, 0, 2, 0, -1];
      expect(await run('Mod', 'out')).toEqual(truncated);
      expect(await run('Mod', 'float')).toEqual(truncated);
    });

    it('keeps FloorDiv and FloorMod floored, and Div of floats a true division', async () => {
      expect(await run('FloorDiv', 'out')).toEqual([-3, 2, 2, -3, -2, -2, 0, 0]);
      expect(await run('FloorMod', 'out')).toEqual([2, -1, 1, -2, 0, -1, 0, -1]);
      expect(await run('FloorMod', 'float')).toEqual([2, -1, 1, -2, 0, -1, 0, -1]);
      const quotients = await run('Div', 'float');
      expect(quotients.map((q) => Math.round(q * 1000) / 1000)).toEqual([
        -2.333, 2.333, 2.333, -2.333, -2, -1.667, 0, 0.333,
      ]);
    });
  });
  it('runs a dilated transposed convolution dilated (TF.js dropped the dilation: NaN, or other numbers)', async () => {
    // 'VALID' from 2×2 to 4×4 (TF.js gave NaN where its undilated result, 3×3, did not reach), and 'SAME' from 4×4 to
    // 4×4 (the same size either way: TF.js's numbers were those of the undilated kernel).
    for (const [h, out, padding, before] of [
      [2, 4, 'VALID', 0],
      [4, 4, 'SAME', 1],
    ] as const) {
      const net = await toNetwork(await dilatedTransposeGraph(h, h, out, padding), { normalization: 'none' });
      const x = Array.from({ length: h }, (_, i) => Array.from({ length: h }, (_, j) => i * h + j + 1));
      const img = tf.tensor3d(x.flat(), [h, h, 1]);
      const y = await expectNoLeak(() => activations(net, img, 'up'), 1);
      expect([padding, y.shape, Array.from(await y.data())]).toEqual([
        padding,
        [out, out, 1],
        transposedOracle(x, out, before),
      ]);
      tf.dispose([img, y]);
      net.dispose();
    }
  });
  it("encodes one-hot along a graph's own axis (TF.js's converter ignored it and encoded along the last)", async () => {
    const img = tf.tensor3d([0, 2, 3], [1, 3, 1]);
    const run = async (axis: number) => {
      const net = await toNetwork(await oneHotGraph(axis), { normalization: 'none' });
      const out = await expectNoLeak(() => activations(net, img, 'out'), 1);
      const values = Array.from(await out.data());
      out.dispose();
      net.dispose();
      return values;
    };
    // Axis 0: row d marks the indices equal to d; axis -1 (and 1): row i is index i's one-hot vector.
    expect(await run(0)).toEqual([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(await run(-1)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    expect(await run(1)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const outside = await oneHotGraph(3);
    await expectThrowsNoLeak(
      () => toNetwork(outside, { normalization: 'none' }),
      RangeError,
      /oneHot: the axis 3 is outside -1 to 1 for indices of rank 1/,
    );
    outside.dispose();
    img.dispose();
  });
  it("normalizes by the batch's own statistics in training mode, with TensorFlow's default epsilon", async () => {
    const pixels = [1, 2, 3, 4, 5, 6, 7, 8];
    const img = tf.tensor3d(pixels, [2, 4, 1]);
    const run = async (op: string, attr: Record<string, unknown>, empty: boolean) => {
      const net = await toNetwork(await batchNormGraph(op, attr, empty), { normalization: 'none' });
      const out = await expectNoLeak(() => activations(net, img, 'bn'), 1);
      const values = Array.from(await out.data(), (v) => Math.round(v * 1e4) / 1e4);
      out.dispose();
      net.dispose();
      return values;
    };
    // Training (is_training true, or absent: TensorFlow's default): the mean 4.5 and the variance 5.25 of the pixels,
    // epsilon 0.001 given. TF.js used the empty mean and variance inputs: NaN.
    const batch = pixels.map((v) => Math.round((((v - 4.5) / Math.sqrt(5.25 + 0.001)) * 2 + 1) * 1e4) / 1e4);
    for (const op of ['FusedBatchNorm', 'FusedBatchNormV3']) {
      expect(await run(op, { is_training: { b: true }, epsilon: { f: 0.001 } }, true)).toEqual(batch);
      expect(await run(op, { epsilon: { f: 0.001 } }, true)).toEqual(batch);
    }
    // A gradient follows the batch's statistics too (central differences along one direction agree).
    const net = await toNetwork(await batchNormGraph('FusedBatchNormV3', { epsilon: { f: 0.001 } }, true), {
      normalization: 'none',
    });
    const seg = segment(net, null, 'bn');
    const weights = tf.tensor4d([3, -1, 2, 0.5, -2, 1, 0.25, -3], [1, 2, 4, 1]);
    const dir = tf.tensor4d([1, -2, 0.5, 1, -1, 2, -0.5, 1], [1, 2, 4, 1]);
    const x = tf.reshape(img, [1, 2, 4, 1]);
    const score = (v: tf.Tensor) => tf.sum(tf.mul(seg.run(v), weights));
    const grad = inputGradient('test', net, score, x, { of: 'the score', wrt: 'the image' });
    const scalars = tf.tidy(() => [
      tf.sum(tf.mul(grad, dir)),
      score(tf.add(x, tf.mul(dir, 1e-2))),
      score(tf.sub(x, tf.mul(dir, 1e-2))),
    ]);
    const [analytic, plus, minus] = await Promise.all(scalars.map(async (t) => (await t.data())[0]));
    expect(Math.abs(analytic)).toBeGreaterThan(0.1);
    expect(Math.abs(analytic - (plus - minus) / 2e-2)).toBeLessThan(2e-2 * Math.abs(analytic));
    tf.dispose([weights, dir, x, grad, ...scalars]);
    net.dispose();
    // Inference without an epsilon: TensorFlow's default 0.0001 (TF.js's converter took 0.001), here over a variance
    // of 0, where it alone scales: x / 0.01 · 2 + 1.
    expect(await run('FusedBatchNormV3', { is_training: { b: false } }, false)).toEqual(pixels.map((v) => v * 200 + 1));
    img.dispose();
  });
  it('max-pools with explicit padding, which TF.js refused, and lists that padding in the layer table', async () => {
    const net = await toNetwork(await explicitPoolGraph(), { normalization: 'none' });
    expect(net.layers[1]).toMatchObject({ type: 'Max Pooling', padding: [1, 1, 1, 1], outputSize: [3, 3, 1] });
    const img = tf.tensor3d(
      Array.from({ length: 16 }, (_, i) => i - 8),
      [4, 4, 1],
    );
    const out = await expectNoLeak(() => activations(net, img, 'pool'), 1);
    // The padding is never the maximum, even of negative values: windows rows {-1, 0}, {1, 2}, {3, 4}, columns alike.
    expect(Array.from(await out.data())).toEqual([-8, -6, -5, 0, 2, 3, 4, 6, 7]);
    // Other sizes follow the layer table: 6×6 gives 4×4.
    const big = tf.zeros([6, 6, 1]);
    const bigOut = await activations(net, big, 'pool');
    expect(bigOut.shape).toEqual([4, 4, 1]);
    tf.dispose([img, out, big, bigOut]);
    net.dispose();
  });
  // TF.js's wasm backend has no kernels for complex numbers: such a graph is refused there, naming the operation.
  it.skipIf(BACKEND === 'wasm')("transforms to and from frequencies at the graph's own lengths", async () => {
    // TF.js's converter ignored fft_length.
    const img = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [1, 8, 1]);
    const run = async (length: number, inverse?: number) => {
      const net = await toNetwork(await fftGraph(length, inverse), { normalization: 'none' });
      const out = await expectNoLeak(() => activations(net, img, 'out'), 1);
      const values = Array.from(await out.data());
      out.dispose();
      net.dispose();
      return values;
    };
    // NumPy's rfft and irfft with the same lengths: the first 4 samples; 8 samples and 4 zeros; the spectrum of all 8
    // made 6 and 11 samples, and that of the first 4 made 5 (odd lengths, which TF.js's irfft cannot make).
    const cases: [number, number | undefined, number[]][] = [
      [4, undefined, [10, 2.8284271, 2]],
      [12, undefined, [36, 20.54064, 8.1853528, 5.6568542, 5.1961524, 4.4813063, 4]],
      [8, 8, [1, 2, 3, 4, 5, 6, 7, 8]],
      [8, 6, [2.6666667, 2.7242724, 5.0336735, 6.6666667, 8.2996598, 10.609061]],
      [4, 5, [0.4, 1.6391548, 1.9297718, 2.8702282, 3.1608452]],
      [
        8,
        11,
        [
          0.3636364, 1.0295674, 2.1862949, 1.9011006, 3.168549, 3.2037249, 3.861999, 4.7084183, 4.4191019, 6.3100739,
          4.8475337,
        ],
      ],
    ];
    for (const [length, inverse, expected] of cases) {
      const values = await run(length, inverse);
      expect(values).toHaveLength(expected.length);
      for (const [i, v] of values.entries()) expect(v).toBeCloseTo(expected[i], 4);
    }
    img.dispose();
  });
  it.runIf(BACKEND === 'wasm')(
    'refuses a Fourier transform on wasm, which has no kernels for complex numbers',
    async () => {
      const model = await fftGraph(4);
      await expectThrowsNoLeak(
        () => toNetwork(model, { normalization: 'none' }),
        Error,
        /the TF.js operation 'Complex', for which TF.js's wasm backend has no kernel/,
      );
      model.dispose();
    },
  );
  it('runs Einsum on every backend, differentiated, with the equation as written (ellipsis, both cases)', async () => {
    // TF.js: no wasm kernel, no gradient, no ellipsis, and 'abcd,dD->abcD' lowercased to a diagonal it refuses.
    const img = tf.tensor3d([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], [2, 2, 3]);
    for (const equation of ['abcd,dD->abcD', '...d,dD->...D']) {
      const net = await toNetwork(await einsumGraph(equation), { normalization: 'none' });
      const out = await expectNoLeak(() => activations(net, img, 'dense'), 1);
      // Each pixel's channels times the rows of the constant: [1 2], [3 4], [5 6], and their sum [9 12].
      expect(out.shape).toEqual([2, 2, 2]);
      expect(Array.from(await out.data())).toEqual([1, 2, 3, 4, 5, 6, 9, 12]);
      const seg = segment(net, null, 'dense');
      const x = tf.reshape(img, [1, 2, 2, 3]);
      const weights = tf.tensor4d([1, -1, 2, 0, 0, 3, -2, 1], [1, 2, 2, 2]);
      const grad = inputGradient('test', net, (v) => tf.sum(tf.mul(seg.run(v), weights)), x, {
        of: 'the score',
        wrt: 'the image',
      });
      // d/dx of sum(w_out * x W) = w_out Wᵀ: pixel 0 [1 -1] gives [-1 -1 -1], pixel 1 [2 0] gives [2 6 10].
      expect(Array.from(await grad.data())).toEqual([-1, -1, -1, 2, 6, 10, 6, 12, 18, 0, -2, -4]);
      tf.dispose([out, x, weights, grad]);
      net.dispose();
    }
    img.dispose();
  });
  it("averages integers as TensorFlow, rounding toward zero (TF.js's converter gave float32 means)", async () => {
    const net = await toNetwork(await intMeanGraph(), { normalization: 'none' });
    const img = tf.tensor3d([1, 2, 4, -1, -2, -4], [2, 3, 1]);
    const out = await expectNoLeak(() => activations(net, img, 'out'), 1);
    // 7 / 3 and -7 / 3 rounded toward zero: 2 and -2 (not 2.33 and -2.33).
    expect(Array.from(await out.data())).toEqual([2, -2]);
    tf.dispose([img, out]);
    net.dispose();
  });
});
