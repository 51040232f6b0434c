/**
 * TensorFlow 1's `tf.cond` on a constant: a graph written as TensorFlow 1 writes `relu(cond(is_training, x × 2,
 * x + 1))` (Switch and Merge nodes, the branches' constants waiting on `switch_t` and `switch_f`), which TF.js runs only
 * asynchronously, made a Network once the condition is known. Oracle: the formula of the branch the value chooses.
 */
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { predict } from '../../src/net/predict.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';

const TOL = BACKEND === 'cpu' ? 0 : 1e-6;
const NONE = { normalization: 'none' } as const;

/**
 * The graph; `condition: 'const'` makes the condition a bool constant `true` instead of the input `is_training`,
 * `'default'` a `PlaceholderWithDefault` whose default is `false` (TensorFlow 1's `tf.placeholder_with_default`),
 * `'negated'` the input's `logical_not` (a condition computed from it);
 * `readIndex` adds `which = Merge:1 + 0`, a node that reads which branch ran, and ends the graph there too.
 */
function condArtifacts(
  condition: 'input' | 'const' | 'default' | 'negated' = 'input',
  readIndex = false,
): tf.io.ModelArtifacts {
  const T = { type: 'DT_FLOAT' };
  const B = { type: 'DT_BOOL' };
  const dims = (d: number[]) => ({ shape: { dim: d.map((size) => ({ size: String(size) })) } });
  const scalar = (name: string, dtype: 'DT_FLOAT' | 'DT_BOOL' | 'DT_INT32', input: string[] = []) => ({
    name,
    op: 'Const',
    input,
    attr: { value: { tensor: { dtype, tensorShape: {} } }, dtype: { type: dtype } },
  });
  const weights: { name: string; dtype: 'float32' | 'bool' | 'int32'; value: number }[] = [
    { name: 'cond/two', dtype: 'float32', value: 2 },
    { name: 'cond/one', dtype: 'float32', value: 1 },
    ...(condition === 'const' ? [{ name: 'is_training', dtype: 'bool' as const, value: 1 }] : []),
    ...(condition === 'default' ? [{ name: 'is_training/default', dtype: 'bool' as const, value: 0 }] : []),
    ...(readIndex ? [{ name: 'zero', dtype: 'int32' as const, value: 0 }] : []),
  ];
  const pred = condition === 'negated' ? 'cond/not' : 'is_training';
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: dims([-1, 4, 4, 3]) } },
    ...(condition === 'input' || condition === 'negated'
      ? [{ name: 'is_training', op: 'Placeholder', attr: { dtype: B, shape: dims([]) } }]
      : condition === 'const'
        ? [scalar('is_training', 'DT_BOOL')]
        : [
            scalar('is_training/default', 'DT_BOOL'),
            {
              name: 'is_training',
              op: 'PlaceholderWithDefault',
              input: ['is_training/default'],
              attr: { dtype: B, shape: dims([]) },
            },
          ]),
    ...(condition === 'negated' ? [{ name: 'cond/not', op: 'LogicalNot', input: ['is_training'], attr: {} }] : []),
    { name: 'cond/Switch', op: 'Switch', input: [pred, pred], attr: { T: B } },
    { name: 'cond/switch_t', op: 'Identity', input: ['cond/Switch:1'], attr: { T: B } },
    { name: 'cond/switch_f', op: 'Identity', input: ['cond/Switch'], attr: { T: B } },
    { name: 'cond/pred_id', op: 'Identity', input: [pred], attr: { T: B } },
    { name: 'cond/Switch_1', op: 'Switch', input: ['x', 'cond/pred_id'], attr: { T } },
    scalar('cond/two', 'DT_FLOAT', ['^cond/switch_t']),
    scalar('cond/one', 'DT_FLOAT', ['^cond/switch_f']),
    { name: 'cond/mul', op: 'Mul', input: ['cond/Switch_1:1', 'cond/two'], attr: { T } },
    { name: 'cond/add', op: 'AddV2', input: ['cond/Switch_1', 'cond/one'], attr: { T } },
    { name: 'cond/Merge', op: 'Merge', input: ['cond/add', 'cond/mul'], attr: { T, N: { i: '2' } } },
    { name: 'y', op: 'Relu', input: ['cond/Merge'], attr: { T } },
    ...(readIndex
      ? [
          scalar('zero', 'DT_INT32'),
          { name: 'which', op: 'AddV2', input: ['cond/Merge:1', 'zero'], attr: { T: { type: 'DT_INT32' } } },
        ]
      : []),
  ];
  return artifactsOf(node, weights);
}

/** Graph-model artifacts of `node`, with a scalar weight for each of `weights` (Const nodes of those names). */
function artifactsOf(
  node: object[],
  weights: readonly { name: string; dtype: 'float32' | 'bool' | 'int32'; value: number }[],
): tf.io.ModelArtifacts {
  const bytes = weights.map((w) =>
    w.dtype === 'bool'
      ? new Uint8Array([w.value])
      : new Uint8Array((w.dtype === 'float32' ? new Float32Array([w.value]) : new Int32Array([w.value])).buffer),
  );
  const data = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  bytes.reduce((at, b) => {
    data.set(b, at);
    return at + b.length;
  }, 0);
  return {
    modelTopology: { node, versions: { producer: 1395 }, library: {} },
    weightSpecs: weights.map(({ name, dtype }) => ({ name, shape: [], dtype })),
    weightData: data.buffer,
    format: 'graph-model',
  };
}

/**
 * `y = x × cond(is_training, 0.5, 1)`: a branch between two constants, as TensorFlow 1 writes a keep probability chosen
 * by `is_training`. Neither branch reads the `Switch` of the data; each constant waits on its side of the condition.
 */
function scaleGraph(): Promise<GraphModel> {
  const T = { type: 'DT_FLOAT' };
  const B = { type: 'DT_BOOL' };
  const scalar = (name: string, input: string[]) => ({
    name,
    op: 'Const',
    input,
    attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } }, dtype: T },
  });
  const node = [
    {
      name: 'x',
      op: 'Placeholder',
      attr: { dtype: T, shape: { shape: { dim: [-1, 4, 4, 3].map((d) => ({ size: `${d}` })) } } },
    },
    { name: 'is_training', op: 'Placeholder', attr: { dtype: B, shape: { shape: { dim: [] } } } },
    { name: 'cond/Switch', op: 'Switch', input: ['is_training', 'is_training'], attr: { T: B } },
    { name: 'cond/switch_t', op: 'Identity', input: ['cond/Switch:1'], attr: { T: B } },
    { name: 'cond/switch_f', op: 'Identity', input: ['cond/Switch'], attr: { T: B } },
    scalar('cond/Const', ['^cond/switch_t']),
    scalar('cond/Const_1', ['^cond/switch_f']),
    { name: 'cond/Merge', op: 'Merge', input: ['cond/Const', 'cond/Const_1'], attr: { T, N: { i: '2' } } },
    { name: 'y', op: 'Mul', input: ['x', 'cond/Merge'], attr: { T } },
  ];
  const weights = [
    { name: 'cond/Const', dtype: 'float32', value: 0.5 },
    { name: 'cond/Const_1', dtype: 'float32', value: 1 },
  ] as const;
  return loadGraphModel(tf.io.fromMemory(artifactsOf(node, weights)));
}

/** The graph of {@link condArtifacts}, loaded. */
const condGraph = (...args: Parameters<typeof condArtifacts>): Promise<GraphModel> =>
  loadGraphModel(tf.io.fromMemory(condArtifacts(...args)));

const image = () => tf.tidy(() => tf.round(tf.randomUniform([4, 4, 3], -100, 100, 'float32', 7))) as tf.Tensor3D;

async function expectClose(a: tf.Tensor, b: tf.Tensor): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  expect((await d.data())[0]).toBeLessThanOrEqual(TOL);
  tf.dispose([a, b, d]);
}

/** The network runs the branch of `layer` and holds its layers: `relu(x + 1)` for `'cond/add'`, else `relu(2x)`. */
async function expectBranch(net: Network, layer: 'cond/add' | 'cond/mul'): Promise<void> {
  expect(net.layerNames).toEqual(['x', layer, 'y']);
  const img = image();
  const branch = (x: tf.Tensor) => tf.relu(layer === 'cond/add' ? tf.add(x, 1) : tf.mul(x, 2));
  await expectClose(
    activations(net, img, 'y') as tf.Tensor,
    tf.tidy(() => branch(img)),
  );
  img.dispose();
}

/** The folded model refuses `is_training` fed to it directly. */
function expectFixed(model: GraphModel): void {
  const x = tf.ones([1, 4, 4, 3]);
  const t = tf.scalar(true, 'bool');
  expect(() => model.execute({ x, is_training: t }, 'y')).toThrow(/^the model's input 'is_training' is fixed/);
  tf.dispose([x, t]);
}

describe('toNetwork: a branch (tf.cond) on a constant runs the branch it chooses', () => {
  it('folds the branch on a value given to an input: is_training false adds 1, true doubles', async () => {
    const img = image();
    for (const [training, branch] of [
      [false, (x: tf.Tensor) => tf.relu(tf.add(x, 1))],
      [true, (x: tf.Tensor) => tf.relu(tf.mul(x, 2))],
    ] as const) {
      const model = await condGraph();
      const net = await toNetwork(model, { ...NONE, constantInputs: { is_training: training } });
      expect(net.layerNames).toEqual(['x', training ? 'cond/mul' : 'cond/add', 'y']);
      await expectClose(
        activations(net, img, 'y') as tf.Tensor,
        tf.tidy(() => branch(img)),
      );
      const batch = tf.stack([img, tf.neg(img)]);
      await expectClose(
        predict(net, batch),
        tf.tidy(() => branch(batch)),
      );
      batch.dispose();
      net.dispose();
    }
    img.dispose();
  });

  it('differentiates through the branch taken (Grad-CAM of the folded graph)', async () => {
    const net = await toNetwork(await condGraph(), { ...NONE, constantInputs: { is_training: true } });
    const img = tf.tidy(() => tf.abs(image()));
    await expectNoLeak(async () => {
      const { map } = await gradCAM(net, img, null, { featureLayer: 'cond/mul', reductionFcn: (t) => tf.sum(t) });
      expect(map.shape).toEqual([4, 4]);
      expect(Math.max(...(await map.data()))).toBeGreaterThan(0);
      map.dispose();
    });
    img.dispose();
    net.dispose();
  });

  it('refuses the folded input fed to the model directly, which would still run the branch chosen', async () => {
    const model = await condGraph();
    const net = await toNetwork(model, { ...NONE, constantInputs: { is_training: false } });
    const x = tf.ones([1, 4, 4, 3]);
    const t = tf.scalar(true, 'bool');
    expect(() => model.execute({ x, is_training: t }, 'y')).toThrow(
      "the model's input 'is_training' is fixed: its value chooses branches (tf.cond), which toNetwork folded to run " +
        'the ones the value it had chose; load the model again to feed it another',
    );
    await expect(model.executeAsync({ 'is_training:0': t, x }, 'y')).rejects.toThrow(/'is_training' is fixed/);
    const y = model.execute({ x }, 'y') as tf.Tensor;
    expect(Array.from(await y.data()).every((v) => v === 2)).toBe(true);
    tf.dispose([x, t, y]);
    net.dispose();
  });

  it('leaves the artifacts it was loaded from as they were: another model of them folds by its value', async () => {
    const artifacts = condArtifacts();
    const before = JSON.stringify(artifacts.modelTopology);
    const load = () => loadGraphModel(tf.io.fromMemory(artifacts));
    const adds = await toNetwork(await load(), { ...NONE, constantInputs: { is_training: false } });
    expect(JSON.stringify(artifacts.modelTopology)).toBe(before);
    const doubles = await toNetwork(await load(), { ...NONE, constantInputs: { is_training: true } });
    await expectBranch(adds, 'cond/add');
    await expectBranch(doubles, 'cond/mul');
    adds.dispose();
    doubles.dispose();
  });

  it('puts the graph back when the network cannot be made', async () => {
    const model = await condGraph();
    await expectThrowsNoLeak(
      () => toNetwork(model, { ...NONE, constantInputs: { is_training: false }, classNames: ['a', 'b'] }),
      RangeError,
      /^toNetwork: expected 3 class names/,
    );
    // The model runs both branches as its input says again, as TF.js runs a branch (asynchronously).
    const x = tf.ones([1, 4, 4, 3]);
    const t = tf.scalar(true, 'bool');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const y = (await model.executeAsync({ x, is_training: t }, 'y')) as tf.Tensor;
    warn.mockRestore();
    expect(Array.from(await y.data()).every((v) => v === 2)).toBe(true);
    // And folds again on another value.
    const net = await toNetwork(model, { ...NONE, constantInputs: { is_training: true } });
    await expectBranch(net, 'cond/mul');
    tf.dispose([x, t, y]);
    net.dispose();
  });

  it('folds a branch on a constant of the graph itself, with no value given', async () => {
    const net = await toNetwork(await condGraph('const'), NONE);
    await expectBranch(net, 'cond/mul');
    net.dispose();
  });

  it('folds a branch between two constants by the constant of the side taken (a keep probability)', async () => {
    // TF.js's own asynchronous run of this graph does not wait on a constant's side, and gives 0.5 either way.
    const img = image();
    for (const [training, scale] of [
      [false, 1],
      [true, 0.5],
    ] as const) {
      const net = await toNetwork(await scaleGraph(), { ...NONE, constantInputs: { is_training: training } });
      expect(net.layerNames).toEqual(['x', 'y']);
      await expectClose(
        activations(net, img, 'y') as tf.Tensor,
        tf.tidy(() => tf.mul(img, scale)),
      );
      net.dispose();
    }
    img.dispose();
  });

  it('folds a branch on a condition computed from a value given (logical_not of is_training)', async () => {
    const before = tf.memory().numTensors;
    const model = await condGraph('negated');
    const net = await toNetwork(model, { ...NONE, constantInputs: { is_training: false } });
    await expectBranch(net, 'cond/mul');
    expectFixed(model);
    net.dispose();
    // Computing the condition left nothing behind.
    expect(tf.memory().numTensors).toBe(before);
  });

  it("folds a branch on a placeholder's default (or the value given it), which the model then refuses", async () => {
    const model = await condGraph('default');
    const net = await toNetwork(model, NONE);
    await expectBranch(net, 'cond/add');
    expectFixed(model);
    // Given a value, the placeholder takes it instead of its default.
    const given = await toNetwork(await condGraph('default'), { ...NONE, constantInputs: { is_training: true } });
    await expectBranch(given, 'cond/mul');
    net.dispose();
    given.dispose();
  });

  it('leaves a graph that reads which branch ran, and refuses it as before', async () => {
    const model = await condGraph('input', true);
    await expectThrowsNoLeak(
      () => toNetwork(model, { ...NONE, constantInputs: { is_training: false }, output: 'y' }),
      RangeError,
      /^toNetwork: the model's graph runs a loop, a branch or an operation of data-dependent size on the way to 'y' \(node 'cond\/Merge', TF.js's dynamic operation 'Merge'/,
    );
    model.dispose();
  });
});
