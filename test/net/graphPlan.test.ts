/**
 * A graph model's forward pass by a plan made once (`net/graphPlan.ts`) against TF.js's own graph executor, on every
 * backend: the same numbers bit for bit for every SqueezeNet layer, every node of a converted MobileNetV2, of seven
 * face and hand graphs and of MoveNet from npm, and small graphs of the other operations a plan covers (int32 shape
 * chains and a SavedModel's control inputs among them); intermediate tensors freed as the pass goes; no plan (TF.js's
 * executor instead) for a graph with anything a plan does not cover.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { activations } from '../../src/net/activations.js';
import { compilePlan, plannedRun } from '../../src/net/graphPlan.js';
import { graphDefNodes } from '../../src/net/tfjsInternals.js';
import type { Network } from '../../src/net/types.js';
import { BACKEND } from '../helpers/backend.js';
import { readSharedPng } from '../helpers/images.js';
import { expectNoLeak } from '../helpers/leaks.js';
import { loadUserGraph, weightData } from '../helpers/userGraph.js';
import { thirdPartyHandler } from '../../examples/your-model/nsfwjsModels.js';

/** Whether two float32 arrays hold the same numbers: bit for bit, except that any NaN matches any NaN. */
function sameFloats(p: ArrayLike<number>, q: ArrayLike<number>): boolean {
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++)
    if (!Object.is(p[i], q[i]) && !(Number.isNaN(p[i]) && Number.isNaN(q[i]))) return false;
  return true;
}

/** Asserts that each of `a` equals the same entry of `b` in shape and bit for bit. */
async function expectSame(a: tf.Tensor[], b: tf.Tensor[], names: readonly string[]) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(a[i].shape, names[i]).toEqual(b[i].shape);
    expect(sameFloats(await a[i].data(), await b[i].data()), names[i]).toBe(true);
  }
}

/**
 * On WebGPU: each of `a` equals the same entry of `b` to 1e-5 of the largest value. TF.js's WebGPU backend splits a
 * long sum with a small output between workgroups and adds the parts atomically in the order they finish, so its own
 * executor gives other last bits from one run to the next for such a convolution; elsewhere, bit for bit.
 */
async function expectSameOrClose(a: tf.Tensor[], b: tf.Tensor[], names: readonly string[]) {
  if (BACKEND !== 'webgpu') return expectSame(a, b, names);
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    expect(a[i].shape, names[i]).toEqual(b[i].shape);
    const [p, q] = [await a[i].data(), await b[i].data()];
    let scale = 1;
    for (const v of q) if (Math.abs(v) > scale) scale = Math.abs(v);
    let worst = 0;
    for (let j = 0; j < p.length; j++) worst = Math.max(worst, Math.abs(p[j] - q[j]));
    expect(worst, names[i]).toBeLessThanOrEqual(1e-5 * scale);
  }
}

const executed = (model: GraphModel, input: string, x: tf.Tensor, names: readonly string[]) => {
  const raw = model.execute({ [input]: x }, [...names]);
  return Array.isArray(raw) ? raw : [raw];
};

/** The plan of `model` from `input` to `names`, which must exist (a plan, not TF.js's executor). */
function planFor(model: GraphModel, input: string, names: readonly string[]) {
  const plan = compilePlan(model, input, names);
  expect(plan).not.toBeNull();
  return plan as NonNullable<typeof plan>;
}

describe('a plan of SqueezeNet', () => {
  let net: Network;
  let model: GraphModel;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    net = await squeezenet();
    model = net.model as GraphModel;
    const face = readSharedPng('face.png');
    // The image at the trained size; a 64×64 corner of it for the tests that need no more than a small pass.
    x = tf.tidy(() => tf.cast(tf.expandDims(face, 0), 'float32') as tf.Tensor4D);
    face.dispose();
  });
  afterAll(() => {
    net.dispose();
    x.dispose();
  });

  it('gives every layer as TF.js runs the graph, bit for bit', async () => {
    const names = net.layers.map((l) => l.nodeName);
    const plan = planFor(model, net.inputName, names);
    const ours = plan(x);
    const theirs = executed(model, net.inputName, x, names);
    await expectSame(ours, theirs, names);
    tf.dispose([...ours, ...theirs]);
  });

  it('frees every intermediate tensor as it goes, keeping only what was asked for', async () => {
    const one = tf.slice(x, [0, 0, 0, 0], [1, 64, 64, 3]);
    for (const names of [['prob'], ['conv1', 'pool10'], ['fire5-concat', 'fire9-concat', 'drop9']]) {
      const plan = planFor(model, net.inputName, names);
      // An Identity layer (drop9) is its input's tensor: one new tensor for the two.
      const distinct = names.includes('drop9') ? names.length - 1 : names.length;
      const outs = await expectNoLeak(() => plan(one), distinct);
      tf.dispose(outs);
    }
    one.dispose();
  });

  it('computes only what the requested layers need', async () => {
    const plan = planFor(model, net.inputName, ['conv1']);
    // Half the image's width: a layer past conv1 would fail on it, conv1 alone does not.
    const small = tf.slice(x, [0, 0, 0, 0], [1, 3, 3, 3]);
    const [out] = await expectNoLeak(() => plan(small), 1);
    expect(out.shape).toEqual([1, 1, 1, 64]);
    tf.dispose([out, small]);
  });

  it('hands activations distinct tensors for a layer and its Identity twin', async () => {
    const img = tf.tidy(() => tf.cast(tf.slice(x, [0, 0, 0, 0], [1, 64, 64, 3]), 'int32'));
    const [a, b] = activations(net, img, ['fire9-concat', 'drop9']);
    expect(a).not.toBe(b);
    const before = await b.data();
    a.dispose();
    expect(sameFloats(await b.data(), before)).toBe(true);
    tf.dispose([b, img]);
  });
});

describe("a plan of a converted graph from npm (nsfwjs's MobileNetV2 mid)", () => {
  let model: GraphModel;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    model = await loadGraphModel(await thirdPartyHandler('mobilenet_v2_mid'));
    const face = readSharedPng('face.png');
    x = tf.tidy(() =>
      tf.div(tf.cast(tf.image.resizeBilinear(tf.expandDims(face, 0) as tf.Tensor4D, [224, 224]), 'float32'), 255),
    );
    face.dispose();
  });
  afterAll(() => {
    model.dispose();
    x.dispose();
  });

  it('gives every operation node (ReLU6 and depthwise convolutions, dense layer, residual sums) bit for bit', async () => {
    const input = model.inputs[0].name;
    const names = (graphDefNodes(model) ?? [])
      .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder')
      .map((n) => n.name);
    expect(names.length).toBeGreaterThan(60);
    const plan = planFor(model, input, names);
    const ours = plan(x);
    const theirs = executed(model, input, x, names);
    await expectSame(ours, theirs, names);
    tf.dispose([...ours, ...theirs]);
  });
});

/** A converted graph of @vladmandic/human (MIT), from the files beside its dist/ folder. */
async function humanGraph(name: string): Promise<GraphModel> {
  const file = path.resolve(
    path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')),
    '..',
    'models',
    `${name}.json`,
  );
  const json = JSON.parse(readFileSync(file, 'utf8')) as tf.io.ModelJSON;
  const shards = json.weightsManifest
    .flatMap((g) => g.paths)
    .map((p) => readFileSync(path.join(path.dirname(file), p)));
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: new Uint8Array(Buffer.concat(shards)).buffer,
    }),
  );
}

/** One of `@vladmandic/human`'s graphs, the names of its operation nodes, and a plan to all of them (it must exist). */
async function planOfEveryNode(name: string) {
  const model = await humanGraph(name);
  const input = model.inputs[0];
  const names = (graphDefNodes(model) ?? [])
    .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder')
    .map((n) => n.name);
  const plan = planFor(model, input.name, names);
  return { model, input, names, plan };
}

describe("plans of @vladmandic/human's face and hand graphs", () => {
  // Unfused and depthwise convolutions, sigmoids, clipping by Maximum and Minimum, AddN and reshapes; PReLU alone and
  // fused into convolutions (iris, facemesh). Bit for bit but on WebGPU, where TF.js's own passes differ in the last
  // bits from run to run (see expectSameOrClose).
  for (const name of ['emotion', 'faceres', 'blazeface', 'antispoof', 'handlandmark-lite', 'iris', 'facemesh']) {
    it(`gives every operation node of ${name} bit for bit`, async () => {
      const { model, input, names, plan } = await planOfEveryNode(name);
      const shape = (input.shape as number[]).map((d) => (d === -1 ? 1 : d));
      const x = tf.tidy(() =>
        tf.div(
          tf.tensor(
            wave(
              shape.reduce((a, b) => a * b, 1),
              7,
            ),
            shape,
          ),
          6,
        ),
      );
      const ours = plan(x);
      const theirs = executed(model, input.name, x, names);
      await expectSameOrClose(ours, theirs, names);
      tf.dispose([...ours, ...theirs, x]);
      model.dispose();
    });
  }
});

describe("a plan of @vladmandic/human's MoveNet Lightning, keypoint decoding included", () => {
  // After its heat maps the graph finds each keypoint's peak (ArgMax, an integer floor division, Pack), reads the
  // offsets there (GatherNd), unstacks them (a node of two outputs, the second read as 'unstack_1:1') and casts
  // between int32 and float32; its input is int32 pixels.
  it('gives every operation node bit for bit, on a face', async () => {
    const { model, input, names, plan } = await planOfEveryNode('movenet-lightning');
    const face = readSharedPng('face.png');
    const x = tf.tidy(() =>
      tf.cast(tf.round(tf.image.resizeBilinear(tf.expandDims(face, 0) as tf.Tensor4D, [192, 192])), 'int32'),
    );
    const ours = plan(x);
    const theirs = executed(model, input.name, x, names);
    expect(ours[names.length - 1].shape).toEqual([1, 1, 17, 3]);
    await expectSameOrClose(ours, theirs, names);
    tf.dispose([...ours, ...theirs, x, face]);
    model.dispose();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A small graph of the other operations a plan covers, written as TF.js's converter writes one.

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });

/** An unfused convolution's attributes, NHWC, as the converter writes them. */
const convAttr = (
  strides: number[],
  padding: string,
  dilations = [1, 1, 1, 1],
  more: Record<string, unknown> = {},
) => ({
  T,
  strides: ints(strides),
  padding: { s: b64(padding) },
  data_format: { s: b64('NHWC') },
  dilations: ints(dilations),
  ...more,
});
const T = { type: 'DT_FLOAT' };

interface W {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: number[];
}

/** Loads a graph from its nodes (besides the input `x`, [-1, 9, 9, 2]) and its constants. */
async function graph(nodes: object[], weights: W[]): Promise<GraphModel> {
  const konst = (w: W) => ({
    name: w.name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: {} } },
      dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
    },
  });
  const x = {
    name: 'x',
    op: 'Placeholder',
    attr: { dtype: T, shape: { shape: { dim: [-1, 9, 9, 2].map((d) => ({ size: `${d}` })) } } },
  };
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: { node: [x, ...weights.map(konst), ...nodes], versions: { producer: 1395 }, library: {} },
      weightSpecs: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
      weightData: weightData(weights),
      format: 'graph-model',
    }),
  );
}

const wave = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * (1 + (i % 5)));

const WEIGHTS: W[] = [
  { name: 'k', shape: [3, 3, 2, 4], dtype: 'float32', data: wave(72, 1) },
  { name: 'kb', shape: [4], dtype: 'float32', data: wave(4, 2) },
  { name: 'k1', shape: [1, 1, 4, 3], dtype: 'float32', data: wave(12, 3) },
  { name: 'k1b', shape: [3], dtype: 'float32', data: wave(3, 4) },
  { name: 'shift', shape: [4], dtype: 'float32', data: wave(4, 5) },
  { name: 'pads', shape: [4, 2], dtype: 'int32', data: [0, 0, 1, 0, 0, 2, 0, 0] },
  { name: 'axis', shape: [], dtype: 'int32', data: [3] },
  { name: 'axes', shape: [2], dtype: 'int32', data: [1, 2] },
];

/** A `_FusedConv2D` node; `over` replaces attributes. */
const conv = (name: string, input: string, filter: string, bias: string, over: Record<string, unknown> = {}) => ({
  name,
  op: '_FusedConv2D',
  input: [input, filter, bias],
  attr: {
    T,
    num_args: { i: '1' },
    strides: ints([1, 2, 2, 1]),
    padding: { s: b64('EXPLICIT') },
    explicit_paddings: ints([0, 0, 1, 2, 0, 1, 0, 0]),
    data_format: { s: b64('NHWC') },
    dilations: ints([1, 1, 1, 1]),
    fused_ops: { list: { s: [b64('BiasAdd')] } },
    epsilon: { f: 0 },
    ...over,
  },
});

const NODES = [
  { name: 'padded', op: 'Pad', input: ['x', 'pads'], attr: { T } },
  conv('c', 'padded', 'k', 'kb'),
  { name: 'shifted', op: 'AddV2', input: ['c', 'shift'], attr: { T } },
  { name: 'r', op: 'Relu', input: ['shifted'], attr: { T } },
  {
    name: 'avg',
    op: 'AvgPool',
    input: ['r'],
    attr: {
      T,
      ksize: ints([1, 2, 2, 1]),
      strides: ints([1, 1, 1, 1]),
      padding: { s: b64('SAME') },
      data_format: { s: b64('NHWC') },
    },
  },
  conv('c1', 'avg', 'k1', 'k1b', {
    strides: ints([1, 1, 1, 1]),
    padding: { s: b64('VALID') },
    fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } },
  }),
  { name: 'same', op: 'Identity', input: ['c1'], attr: { T } },
  { name: 'joined', op: 'ConcatV2', input: ['avg', 'same', 'r', 'axis'], attr: { T, N: { i: '3' } } },
  { name: 'gap', op: 'Mean', input: ['joined', 'axes'], attr: { T, keep_dims: { b: true } } },
  { name: 'prob', op: 'Softmax', input: ['gap'], attr: { T } },
];

const ALL = ['padded', 'c', 'shifted', 'r', 'avg', 'c1', 'same', 'joined', 'gap', 'prob'];

/** The operations face and pose graphs add, unfused: convolutions, PReLU, clipping, AddN, a reshape. */
const FACE_WEIGHTS: W[] = [
  { name: 'k', shape: [3, 3, 2, 4], dtype: 'float32', data: wave(72, 1) },
  { name: 'kd', shape: [3, 3, 4, 1], dtype: 'float32', data: wave(36, 6) },
  { name: 'alpha', shape: [4], dtype: 'float32', data: [0.1, -0.2, 0.3, 0.25] },
  { name: 'lo', shape: [], dtype: 'float32', data: [-1.5] },
  { name: 'hi', shape: [], dtype: 'float32', data: [2.5] },
  { name: 'flat', shape: [2], dtype: 'int32', data: [-1, 80] },
];

const FACE_NODES = [
  {
    name: 'cv',
    op: 'Conv2D',
    input: ['x', 'k'],
    attr: convAttr([1, 1, 1, 1], 'EXPLICIT', [1, 1, 2, 1], { explicit_paddings: ints([0, 0, 1, 1, 2, 0, 0, 0]) }),
  },
  {
    name: 'dw',
    op: 'DepthwiseConv2dNative',
    input: ['cv', 'kd'],
    attr: convAttr([1, 2, 2, 1], 'SAME'),
  },
  { name: 'pr', op: 'Prelu', input: ['dw', 'alpha'], attr: { T } },
  { name: 'mx', op: 'Maximum', input: ['pr', 'lo'], attr: { T } },
  { name: 'mn', op: 'Minimum', input: ['mx', 'hi'], attr: { T } },
  { name: 'sg', op: 'Sigmoid', input: ['mn'], attr: { T } },
  { name: 'an', op: 'AddN', input: ['sg', 'mn', 'pr'], attr: { T, N: { i: '3' } } },
  { name: 'rs', op: 'Reshape', input: ['an', 'flat'], attr: { T, Tshape: { type: 'DT_INT32' } } },
];

describe('a plan of the operations face and pose graphs add', () => {
  it('gives every node as TF.js runs the graph, bit for bit', async () => {
    const names = FACE_NODES.map((n) => n.name);
    const model = await graph(FACE_NODES, FACE_WEIGHTS);
    const plan = planFor(model, 'x', names);
    const x = tf.tensor4d(wave(3 * 81 * 2, 4), [3, 9, 9, 2]);
    const ours = plan(x);
    const theirs = executed(model, 'x', x, names);
    expect(ours[names.indexOf('rs')].shape).toEqual([3, 80]);
    await expectSame(ours, theirs, names);
    tf.dispose([...ours, ...theirs, x]);
    model.dispose();
  });
});

/**
 * The operations segmentation, pose and face-recognition graphs add: a transposed convolution and its bias, bilinear
 * resizes (half-pixel and corner-aligned), unary functions, a division, reductions, matrix products, strided slices
 * (masks, a dropped axis, a reversal) and a new axis.
 */
const I32 = { type: 'DT_INT32' };

const HEAD_WEIGHTS: W[] = [
  { name: 'outSize', shape: [4], dtype: 'int32', data: [3, 18, 18, 3] },
  { name: 'kt', shape: [3, 3, 3, 2], dtype: 'float32', data: wave(54, 2) },
  { name: 'bt', shape: [3], dtype: 'float32', data: [0.5, -0.25, 0.125] },
  { name: 'small', shape: [2], dtype: 'int32', data: [7, 5] },
  { name: 'large', shape: [2], dtype: 'int32', data: [11, 13] },
  { name: 'hw', shape: [2], dtype: 'int32', data: [1, 2] },
  { name: 'wm', shape: [3, 4], dtype: 'float32', data: wave(12, 3) },
  { name: 'wt', shape: [4, 3], dtype: 'float32', data: wave(12, 8) },
  { name: 'begin', shape: [4], dtype: 'int32', data: [0, 1, 0, 2] },
  { name: 'end', shape: [4], dtype: 'int32', data: [0, 9, 13, 3] },
  { name: 'steps', shape: [4], dtype: 'int32', data: [1, 2, 3, 1] },
  { name: 'fromLast', shape: [4], dtype: 'int32', data: [0, -1, 0, 0] },
  { name: 'zeros4', shape: [4], dtype: 'int32', data: [0, 0, 0, 0] },
  { name: 'backwards', shape: [4], dtype: 'int32', data: [1, -1, 1, 1] },
  { name: 'last', shape: [], dtype: 'int32', data: [-1] },
];

const HEAD_NODES = [
  {
    name: 'tc',
    op: 'Conv2DBackpropInput',
    input: ['outSize', 'kt', 'x'],
    attr: convAttr([1, 2, 2, 1], 'SAME'),
  },
  { name: 'ba', op: 'BiasAdd', input: ['tc', 'bt'], attr: { T, data_format: { s: b64('NHWC') } } },
  { name: 'rz', op: 'ResizeBilinear', input: ['ba', 'small'], attr: { T, half_pixel_centers: { b: true } } },
  { name: 'rc', op: 'ResizeBilinear', input: ['ba', 'large'], attr: { T, align_corners: { b: true } } },
  { name: 'th', op: 'Tanh', input: ['rz'], attr: { T } },
  { name: 'ab', op: 'Abs', input: ['th'], attr: { T } },
  { name: 'sq', op: 'Square', input: ['ab'], attr: { T } },
  { name: 'sr', op: 'Sqrt', input: ['sq'], attr: { T } },
  { name: 'ex', op: 'Exp', input: ['th'], attr: { T } },
  { name: 'rs', op: 'Rsqrt', input: ['ex'], attr: { T } },
  { name: 'dv', op: 'RealDiv', input: ['sr', 'rs'], attr: { T } },
  { name: 'mx', op: 'Max', input: ['rc', 'hw'], attr: { T, keep_dims: { b: true } } },
  { name: 'mn', op: 'Min', input: ['rc', 'hw'], attr: { T } },
  { name: 'sm', op: 'Sum', input: ['dv', 'hw'], attr: { T } },
  { name: 'mm', op: 'MatMul', input: ['sm', 'wm'], attr: { T } },
  { name: 'mt', op: 'MatMul', input: ['mn', 'wt'], attr: { T, transpose_b: { b: true } } },
  // Every second row from 1, every third column (to the end), channel 2 dropped; then the rows of another reversed.
  {
    name: 'ss',
    op: 'StridedSlice',
    input: ['rc', 'begin', 'end', 'steps'],
    attr: { T, Index: I32, begin_mask: { i: '1' }, end_mask: { i: '5' }, shrink_axis_mask: { i: '8' } },
  },
  { name: 'ed', op: 'ExpandDims', input: ['ss', 'last'], attr: { T, Tdim: I32 } },
  {
    name: 'rv',
    op: 'StridedSlice',
    input: ['rz', 'fromLast', 'zeros4', 'backwards'],
    attr: { T, Index: I32, begin_mask: { i: '13' }, end_mask: { i: '15' } },
  },
];

describe('a plan of the operations segmentation, pose and face-recognition graphs add', () => {
  it('gives every node as TF.js runs the graph, bit for bit', async () => {
    const names = HEAD_NODES.map((n) => n.name);
    const model = await graph(HEAD_NODES, HEAD_WEIGHTS);
    const plan = planFor(model, 'x', names);
    const x = tf.tensor4d(wave(3 * 81 * 2, 5), [3, 9, 9, 2]);
    const ours = plan(x);
    const theirs = executed(model, 'x', x, names);
    const shown = ['tc', 'rz', 'rc', 'mx', 'mm', 'mt', 'ss', 'ed', 'rv'];
    const shapes = Object.fromEntries(shown.map((n) => [n, ours[names.indexOf(n)].shape]));
    expect(shapes).toEqual({
      tc: [3, 18, 18, 3],
      rz: [3, 7, 5, 3],
      rc: [3, 11, 13, 3],
      mx: [3, 1, 1, 3],
      mm: [3, 4],
      mt: [3, 4],
      ss: [3, 4, 5],
      ed: [3, 4, 5, 1],
      rv: [3, 7, 5, 3],
    });
    await expectSameOrClose(ours, theirs, names);
    tf.dispose([...ours, ...theirs, x]);
    model.dispose();
  });

  it('leaves a dilated transposed convolution to the executor (the library reroutes it)', async () => {
    const dilated = HEAD_NODES.map((n) =>
      n.name === 'tc' ? { ...n, attr: { ...n.attr, dilations: ints([1, 2, 2, 1]) } } : n,
    );
    const model = await graph(dilated, HEAD_WEIGHTS);
    expect(compilePlan(model, 'x', ['ba'])).toBeNull();
    model.dispose();
  });
});

/**
 * The shape chains of Keras layers converted with a batch size left open (a `Shape` read, sliced, multiplied and
 * packed into the shape of a `Reshape` or the output size of a transposed convolution, in int32), `DepthToSpace`, and
 * the control inputs a SavedModel's outputs carry (an `Identity` waiting on a `NoOp` of constants).
 */
const SHAPE_WEIGHTS: W[] = [
  { name: 'i0', shape: [1], dtype: 'int32', data: [0] },
  { name: 'i1', shape: [1], dtype: 'int32', data: [1] },
  { name: 'i2', shape: [1], dtype: 'int32', data: [2] },
  { name: 'i3', shape: [1], dtype: 'int32', data: [3] },
  { name: 'two', shape: [], dtype: 'int32', data: [2] },
  { name: 'minus1', shape: [], dtype: 'int32', data: [-1] },
  { name: 'four', shape: [1], dtype: 'int32', data: [4] },
  { name: 'kt', shape: [2, 2, 4, 2], dtype: 'float32', data: wave(32, 6) },
  { name: 'kc', shape: [1, 1, 2, 8], dtype: 'float32', data: wave(16, 5) },
];

const slice = (name: string, from: string, begin: string, end: string) => ({
  name,
  op: 'StridedSlice',
  input: [from, begin, end, 'i1'],
  attr: { T: I32, Index: I32, shrink_axis_mask: { i: '1' } },
});

const SHAPE_NODES = [
  { name: 'noop', op: 'NoOp', input: ['^kt', '^kc'] },
  {
    name: 'c',
    op: 'Conv2D',
    input: ['x', 'kc'],
    attr: convAttr([1, 1, 1, 1], 'VALID'),
  },
  { name: 'sh', op: 'Shape', input: ['ds'], attr: { T, out_type: I32 } },
  slice('n', 'sh', 'i0', 'i1'),
  slice('h', 'sh', 'i1', 'i2'),
  slice('w', 'sh', 'i2', 'i3'),
  { name: 'h2', op: 'Mul', input: ['h', 'two'], attr: { T: I32 } },
  { name: 'w2', op: 'Mul', input: ['w', 'two'], attr: { T: I32 } },
  // The last entry is a [1] among scalars: the executor reshapes it to the first one's shape.
  { name: 'size', op: 'Pack', input: ['n', 'h2', 'w2', 'four'], attr: { T: I32, N: { i: '4' }, axis: { i: '0' } } },
  {
    name: 'up',
    op: 'Conv2DBackpropInput',
    input: ['size', 'kt', 'ds'],
    attr: convAttr([1, 2, 2, 1], 'SAME'),
  },
  {
    name: 'ds',
    op: 'DepthToSpace',
    input: ['c'],
    attr: { T, block_size: { i: '2' }, data_format: { s: b64('NHWC') } },
  },
  { name: 'rows', op: 'Pack', input: ['n', 'minus1', 'two'], attr: { T: I32, N: { i: '3' }, axis: { i: '0' } } },
  { name: 'flat', op: 'Reshape', input: ['ds', 'rows'], attr: { T, Tshape: I32 } },
  { name: 'out', op: 'Identity', input: ['flat', '^noop'], attr: { T } },
];

describe("a plan of shape chains, DepthToSpace and a SavedModel's control inputs", () => {
  const names = SHAPE_NODES.filter((n) => n.op !== 'NoOp').map((n) => n.name);

  it('gives every node as TF.js runs the graph, bit for bit, int32 shapes included', async () => {
    const model = await graph(SHAPE_NODES, SHAPE_WEIGHTS);
    const plan = planFor(model, 'x', names);
    const x = tf.tensor4d(wave(3 * 81 * 2, 3), [3, 9, 9, 2]);
    // The executor reads a computed shape synchronously, which WebGPU in Node.js can do for tensors kept on the CPU:
    // as by default, small integer operations run there (the suite turns that off to run the shaders).
    if (BACKEND === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', true);
    let ours: tf.Tensor[];
    let theirs: tf.Tensor[];
    try {
      ours = plan(x);
      theirs = executed(model, 'x', x, names);
    } finally {
      if (BACKEND === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
    }
    const at = (n: string) => ours[names.indexOf(n)];
    expect([at('ds').shape, at('up').shape, at('out').shape]).toEqual([
      [3, 18, 18, 2],
      [3, 36, 36, 4],
      [3, 324, 2],
    ]);
    expect([at('size').dtype, Array.from(await at('size').data())]).toEqual(['int32', [3, 36, 36, 4]]);
    await expectSameOrClose(ours, theirs, names);
    tf.dispose([...ours, ...theirs, x]);
    model.dispose();
  });

  const withInput = (name: string, input: string[]) => SHAPE_NODES.map((n) => (n.name === name ? { ...n, input } : n));
  const REFUSED: [string, object[]][] = [
    ['a control input on an operation other than Identity', withInput('flat', ['ds', 'rows', '^noop'])],
    ['a control input from a computed node', withInput('out', ['flat', '^c'])],
    ['a NoOp that waits on a computed node', withInput('noop', ['^kt', '^c'])],
  ];
  for (const [what, nodes] of REFUSED) {
    it(`makes no plan for ${what}`, async () => {
      const model = await graph(nodes, SHAPE_WEIGHTS);
      expect(compilePlan(model, 'x', ['out'])).toBeNull();
      model.dispose();
    });
  }
});

/**
 * Keypoint decoding as MoveNet writes it: the peak of each image (ArgMax), its row and column (an integer floor
 * division and a product), packed with the image's index into the indices of a GatherNd, whose result is unstacked
 * into two outputs; casts both ways and a squared difference.
 */
const PEAK_WEIGHTS: W[] = [
  { name: 'flat', shape: [2], dtype: 'int32', data: [3, -1] },
  { name: 'axis1', shape: [], dtype: 'int32', data: [1] },
  { name: 'rowSize', shape: [], dtype: 'int32', data: [18] },
  { name: 'two', shape: [], dtype: 'int32', data: [2] },
  { name: 'images', shape: [3], dtype: 'int32', data: [0, 1, 2] },
];

const PEAK_NODES = [
  { name: 'f', op: 'Reshape', input: ['x', 'flat'], attr: { T, Tshape: I32 } },
  { name: 'am', op: 'ArgMax', input: ['f', 'axis1'], attr: { T, Tidx: I32, output_type: I32 } },
  { name: 'row', op: 'FloorDiv', input: ['am', 'rowSize'], attr: { T: I32 } },
  { name: 'start', op: 'Mul', input: ['row', 'rowSize'], attr: { T: I32 } },
  { name: 'rest', op: 'Sub', input: ['am', 'start'], attr: { T: I32 } },
  { name: 'col', op: 'FloorDiv', input: ['rest', 'two'], attr: { T: I32 } },
  { name: 'idx', op: 'Pack', input: ['images', 'row', 'col'], attr: { T: I32, N: { i: '3' }, axis: { i: '1' } } },
  { name: 'g', op: 'GatherNd', input: ['x', 'idx'], attr: { Tparams: T, Tindices: I32 } },
  { name: 'un', op: 'Unpack', input: ['g'], attr: { T, num: { i: '2' }, axis: { i: '1' } } },
  { name: 'cf', op: 'Cast', input: ['row'], attr: { SrcT: I32, DstT: T, Truncate: { b: false } } },
  { name: 'sd', op: 'SquaredDifference', input: ['un:1', 'cf'], attr: { T } },
  { name: 'ci', op: 'Cast', input: ['un'], attr: { SrcT: T, DstT: I32 } },
];

describe("a plan of keypoint decoding: ArgMax, GatherNd, a node's second output, casts", () => {
  const names = [...PEAK_NODES.map((n) => n.name), 'un:1'];

  it('gives every node and output as TF.js runs the graph, bit for bit', async () => {
    const model = await graph(PEAK_NODES, PEAK_WEIGHTS);
    const plan = planFor(model, 'x', names);
    const x = tf.tensor4d(wave(3 * 81 * 2, 11), [3, 9, 9, 2]);
    const ours = plan(x);
    const theirs = executed(model, 'x', x, names);
    const at = (n: string) => ours[names.indexOf(n)];
    expect([at('idx').shape, at('g').shape, at('un').shape, at('un:1').shape]).toEqual([[3, 3], [3, 2], [3], [3]]);
    expect([at('am').dtype, at('cf').dtype, at('ci').dtype]).toEqual(['int32', 'float32', 'int32']);
    await expectSame(ours, theirs, names);
    tf.dispose([...ours, ...theirs, x]);
    model.dispose();
  });

  it('makes no plan for an output past the ones a node declares, a count of outputs past 4096, or another cast', async () => {
    const model = await graph(PEAK_NODES, PEAK_WEIGHTS);
    expect(compilePlan(model, 'x', ['un:2'])).toBeNull();
    expect(compilePlan(model, 'x', ['am:1'])).toBeNull();
    model.dispose();
    // A count of outputs past what any graph has (a damaged file): no plan, and no slot made for each.
    for (const num of ['2147483647', '0', '-1']) {
      const huge = PEAK_NODES.map((n) => (n.name === 'un' ? { ...n, attr: { ...n.attr, num: { i: num } } } : n));
      const damaged = await graph(huge, PEAK_WEIGHTS);
      expect(compilePlan(damaged, 'x', ['sd'])).toBeNull();
      damaged.dispose();
    }
    const toBool = PEAK_NODES.map((n) =>
      n.name === 'ci' ? { ...n, attr: { SrcT: T, DstT: { type: 'DT_BOOL' } } } : n,
    );
    const other = await graph(toBool, PEAK_WEIGHTS);
    expect(compilePlan(other, 'x', ['ci'])).toBeNull();
    other.dispose();
  });
});

describe('a plan of other operations', () => {
  let x: tf.Tensor4D;
  beforeAll(() => {
    x = tf.tensor4d(wave(3 * 81 * 2, 9), [3, 9, 9, 2]);
  });
  afterAll(() => x.dispose());

  it('gives every node as TF.js runs the graph, bit for bit', async () => {
    const model = await graph(NODES, WEIGHTS);
    const plan = planFor(model, 'x', ALL);
    const ours = plan(x);
    const theirs = executed(model, 'x', x, ALL);
    await expectSame(ours, theirs, ALL);
    tf.dispose([...ours, ...theirs]);
    model.dispose();
  });

  const changed = (name: string, attr: Record<string, unknown>) =>
    NODES.map((n) => (n.name === name ? { ...n, attr: { ...(n as { attr: object }).attr, ...attr } } : n));

  const CASES: [string, object[], string[]][] = [
    ['an operation it does not cover', [...NODES, { name: 'el', op: 'Elu', input: ['prob'], attr: { T } }], ['el']],
    ['a channels-first layout', changed('avg', { data_format: { s: b64('NCHW') } }), ['prob']],
    ['another fused activation', changed('c1', { fused_ops: { list: { s: [b64('BiasAdd'), b64('Elu')] } } }), ['prob']],
    ['a float64 operation', changed('r', { T: { type: 'DT_DOUBLE' } }), ['prob']],
    ['a control input', [...NODES, { name: 'ctl', op: 'Relu', input: ['prob', '^x'], attr: { T } }], ['ctl']],
    ['an output index past 0', NODES, ['prob:1']],
    ['a node the graph lacks', NODES, ['nothing']],
  ];
  for (const [what, nodes, outs] of CASES) {
    it(`makes no plan for ${what}`, async () => {
      const model = await graph(nodes, WEIGHTS);
      expect(compilePlan(model, 'x', outs)).toBeNull();
      model.dispose();
    });
  }

  it('still plans the part of such a graph that the requested nodes need', async () => {
    const model = await graph([...NODES, { name: 'el', op: 'Elu', input: ['prob'], attr: { T } }], WEIGHTS);
    expect(compilePlan(model, 'x', ['gap'])).not.toBeNull();
    model.dispose();
  });

  it('leaves an input the executor would refuse to the executor, for its message', async () => {
    const model = await graph(NODES, WEIGHTS);
    const run = plannedRun(model, 'x');
    for (const bad of [tf.zeros([1, 8, 9, 2]), tf.zeros([9, 9, 2]), tf.zeros([1, 9, 9, 2], 'int32')]) {
      let theirs = '';
      try {
        model.execute({ x: bad }, ['prob']);
      } catch (err) {
        theirs = (err as Error).message;
      }
      expect(theirs).not.toBe('');
      expect(() => run(bad, ['prob'])).toThrow(theirs);
      bad.dispose();
    }
    model.dispose();
  });

  it("runs a graph it has no plan for with TF.js's executor", async () => {
    const model = await loadUserGraph();
    expect(compilePlan(model, 'x', ['prob'])).toBeNull();
    const run = plannedRun(model, 'x');
    const input = tf.tensor4d(wave(2 * 32 * 32 * 3, 4), [2, 32, 32, 3]);
    const ours = await expectNoLeak(() => run(input, ['gap', 'prob']), 2);
    const theirs = executed(model, 'x', input, ['gap', 'prob']);
    await expectSame(ours, theirs, ['gap', 'prob']);
    tf.dispose([...ours, ...theirs, input]);
    model.dispose();
  });
});
