/**
 * A converted graph with inputs beside the image (TensorFlow 1's `keep_prob` and `is_training`), made a Network with
 * toNetwork's `constantInputs`. Oracle: the same graph without those inputs (`loadUserGraph()`), which the values
 * `keep_prob: 0.5, is_training: false` make it equal to, and `drop = gap × keep_prob` where `is_training` is true.
 */
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { compilePlan } from '../../src/net/graphPlan.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { predict } from '../../src/net/predict.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { describeValue } from '../../src/internal/validate.js';
import { BACKEND } from '../helpers/backend.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadUserGraph, writeUserGraph } from '../helpers/userGraph.js';

// Exactly equal on cpu, where both graphs run the same kernels in the same order; a GPU may reorder a sum.
const TOL = BACKEND === 'cpu' ? 0 : 1e-6;
const NONE = { normalization: 'none' } as const;
const OFF = { keep_prob: 0.5, is_training: false };

const image = (seed: number) =>
  tf.tidy(() => tf.round(tf.randomUniform([32, 32, 3], 0, 255, 'float32', seed))) as tf.Tensor3D;

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

async function same(a: tf.Tensor, b: tf.Tensor): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  expect(await maxAbsDiff(a, b)).toBeLessThanOrEqual(TOL);
  tf.dispose([a, b]);
}

/**
 * `y = x × k + 1` on images [-1, 4, 4, 3], `k` a float input of shape `kShape`: every operation one the library's plans
 * run (the graph of `loadUserGraph` has one they leave to TF.js's executor).
 */
async function tinyGraph(kShape: number[] = []): Promise<GraphModel> {
  const T = { type: 'DT_FLOAT' };
  const dims = (d: number[]) => ({ shape: { dim: d.map((size) => ({ size: String(size) })) } });
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: {
        node: [
          { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: dims([-1, 4, 4, 3]) } },
          { name: 'k', op: 'Placeholder', attr: { dtype: T, shape: dims(kShape) } },
          { name: 'one', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } }, dtype: T } },
          { name: 'scaled', op: 'Mul', input: ['x', 'k'], attr: { T } },
          { name: 'y', op: 'AddV2', input: ['scaled', 'one'], attr: { T } },
        ],
        versions: { producer: 1395 },
        library: {},
      },
      weightSpecs: [{ name: 'one', shape: [], dtype: 'float32' }],
      weightData: new Float32Array([1]).buffer,
      format: 'graph-model',
    }),
  );
}

describe('toNetwork: constantInputs for a graph with inputs beside the image', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('feeds the values on every pass: the network equals the graph without those inputs', async () => {
    const net = await toNetwork(await loadUserGraph(undefined, 'side-inputs'), { ...NONE, constantInputs: OFF });
    const plain = await toNetwork(await loadUserGraph(), NONE);
    expect(net.inputName).toBe('x');
    expect(net.layerNames).toEqual(['x', 'conv', 'dw', 'bn', 'relu', 'gap', 'drop', 'pick', 'fc/MatMul', 'fc', 'prob']);
    expect(analyzeNetwork(net).layers.find((l) => l.name === 'pick')?.activations).toEqual([6]);
    const img = image(1);
    for (const layer of ['relu', 'gap', 'fc', 'prob']) {
      await same(activations(net, img, layer) as tf.Tensor, activations(plain, img, layer) as tf.Tensor);
    }
    const batch = tf.stack([img, image(2)]);
    await same(predict(net, batch), predict(plain, batch));
    const [a, b] = await Promise.all([gradCAM(net, img, 1), gradCAM(plain, img, 1)]);
    await same(a.map, b.map);
    const opts = { maskSize: 8, stride: 8 };
    await same(await occlusionSensitivity(net, img, 1, opts), await occlusionSensitivity(plain, img, 1, opts));
    tf.dispose([img, batch]);
    net.dispose();
    plain.dispose();
  });

  it('gives each input its own value: drop is the global mean times keep_prob', async () => {
    const model = await loadUserGraph(undefined, 'side-inputs');
    const net = await toNetwork(model, { ...NONE, constantInputs: { keep_prob: 0.25, is_training: true } });
    const img = image(3);
    await expectNoLeak(async () => {
      const [gap, drop, pick] = activations(net, img, ['gap', 'drop', 'pick']) as tf.Tensor[];
      const quarter = tf.mul(gap, 0.25);
      expect(await maxAbsDiff(drop, quarter)).toBeLessThanOrEqual(TOL);
      expect(await maxAbsDiff(pick, drop)).toBe(0);
      expect(await maxAbsDiff(gap, drop)).toBeGreaterThan(0.01);
      tf.dispose([gap, drop, pick, quarter]);
    });
    img.dispose();
    net.dispose();
  });

  it("runs the library's own plan, which reads a value as a constant", async () => {
    const model = await tinyGraph();
    expect(compilePlan(model, 'x', ['y'])).toBeNull();
    const net = await toNetwork(model, { ...NONE, constantInputs: { k: 3 } });
    expect(compilePlan(model, 'x', ['y'])).not.toBeNull();
    const img = tf.tidy(() => tf.round(tf.randomUniform([4, 4, 3], 0, 255, 'float32', 8))) as tf.Tensor3D;
    await same(
      activations(net, img, 'y') as tf.Tensor,
      tf.tidy(() => tf.add(tf.mul(img, 3), 1)),
    );
    img.dispose();
    net.dispose();
  });

  it("takes an array of the input's values, row by row (one image's where it has a batch axis)", async () => {
    const img = tf.tidy(() => tf.round(tf.randomUniform([4, 4, 3], 0, 255, 'float32', 8))) as tf.Tensor3D;
    const want = tf.tidy(() => tf.add(tf.mul(img, tf.tensor1d([1, 2, 3])), 1));
    for (const shape of [
      [1, 1, 3],
      [-1, 1, 1, 3],
    ]) {
      const values = [1, 2, 3];
      const net = await toNetwork(await tinyGraph(shape), { ...NONE, constantInputs: { k: values } });
      values[0] = 7; // copied when given
      await same(activations(net, img, 'y') as tf.Tensor, tf.clone(want));
      net.dispose();
    }
    const model = await tinyGraph([1, 1, 3]);
    const refuse = (k: unknown, type: typeof TypeError | typeof RangeError, message: string) =>
      expectThrowsNoLeak(() => toNetwork(model, { ...NONE, constantInputs: { k } } as never), type, message);
    await refuse(
      [1, 2],
      RangeError,
      "toNetwork: expected 'options.constantInputs.k' to be an array of 3 values (the input's shape [1, 1, 3], row by " +
        'row), got [1, 2] (array of length 2)',
    );
    await refuse(
      [1, Number.NaN, 3],
      RangeError,
      "toNetwork: expected 'options.constantInputs.k[1]' to be a finite number, got NaN (number)",
    );
    await refuse(
      [true, false, true],
      TypeError,
      "toNetwork: expected 'options.constantInputs.k' to be numbers (the input is float32), got [true, false, true] " +
        '(array of length 3)',
    );
    // An array with a hole, as `[1, , 3]` writes one.
    const holed: number[] = [];
    holed[0] = 1;
    holed[2] = 3;
    for (const k of [[], [1, true, 3], holed]) {
      await refuse(
        k,
        TypeError,
        "toNetwork: expected 'options.constantInputs.k' to be a number, a boolean, an array of numbers or of " +
          `booleans (not empty, one kind), or a tf.Tensor, got ${describeValue(k)}`,
      );
    }
    model.dispose();
    const open = await tinyGraph([-1, -1, 1, 3]);
    await expectThrowsNoLeak(
      () => toNetwork(open, { ...NONE, constantInputs: { k: [1, 2, 3] } }),
      RangeError,
      "toNetwork: expected 'options.constantInputs.k' to be a tf.Tensor of shape [1, -1, 1, 3]: an array cannot say " +
        'its shape, got [1, 2, 3] (array of length 3)',
    );
    open.dispose();
    tf.dispose([img, want]);
  });

  it('names the values given where the model then fails to run', async () => {
    // k [1, 1, 5] cannot multiply an image of 3 channels: the value's shape is the graph's own, and fails there.
    const broken = await tinyGraph([1, 1, 5]);
    await expectThrowsNoLeak(
      () => toNetwork(broken, { ...NONE, constantInputs: { k: 2 } }),
      RangeError,
      /^toNetwork: the model does not run on an image of its input size 4×4×3 with the values given to 'k': /,
    );
    broken.dispose();
  });

  it('copies a tensor value, which the caller may then dispose', async () => {
    const keep = tf.scalar(0.5);
    const training = tf.scalar(false, 'bool');
    const net = await toNetwork(await loadUserGraph(undefined, 'side-inputs'), {
      ...NONE,
      constantInputs: { keep_prob: keep, is_training: training },
    });
    tf.dispose([keep, training]);
    const plain = await toNetwork(await loadUserGraph(), NONE);
    const img = image(4);
    await same(activations(net, img, 'prob') as tf.Tensor, activations(plain, img, 'prob') as tf.Tensor);
    img.dispose();
    net.dispose();
    plain.dispose();
  });

  it('disposes the values with the network', async () => {
    const before = tf.memory().numTensors;
    const net = await toNetwork(await loadUserGraph(undefined, 'side-inputs'), { ...NONE, constantInputs: OFF });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("keeps the model's values for a second network, and refuses others", async () => {
    const model = await loadUserGraph(undefined, 'side-inputs');
    const first = await toNetwork(model, { ...NONE, constantInputs: OFF });
    const again = await toNetwork(model, { ...NONE, constantInputs: { keep_prob: 0.5 } });
    const bare = await toNetwork(model, NONE);
    expect(bare.layerNames).toEqual(first.layerNames);
    await expectThrowsNoLeak(
      () => toNetwork(model, { ...NONE, constantInputs: { keep_prob: 0.7 } }),
      RangeError,
      "toNetwork: 'options.constantInputs.keep_prob' is 0.7 (number), but another network made from this model gave " +
        'the input another value, and the model holds one for all of them; load the model again for this one',
    );
    // The model itself now runs with the image alone, as activations takes a GraphModel.
    const img = image(5);
    await same(activations(model, img, 'prob') as tf.Tensor, activations(first, img, 'prob') as tf.Tensor);
    img.dispose();
    for (const n of [first, again, bare]) n.dispose();
  });

  it('takes the values back out of the model when the network cannot be made', async () => {
    const model = await loadUserGraph(undefined, 'side-inputs');
    await expectThrowsNoLeak(
      () => toNetwork(model, { ...NONE, constantInputs: { keep_prob: 0.9, is_training: true }, classNames: ['a'] }),
      RangeError,
      "toNetwork: expected 4 class names (the size of the model's output, layer 'prob'), got 1",
    );
    await expectThrowsNoLeak(() => toNetwork(model, NONE), TypeError, /got 3 inputs/);
    const net = await toNetwork(model, { ...NONE, constantInputs: { keep_prob: 0.1, is_training: true } });
    const img = image(6);
    const [gap, drop] = activations(net, img, ['gap', 'drop']) as tf.Tensor[];
    const tenth = tf.mul(gap, 0.1);
    expect(await maxAbsDiff(drop, tenth)).toBeLessThanOrEqual(TOL);
    tf.dispose([gap, drop, tenth, img]);
    net.dispose();
  });

  it('reads the option from importNetwork too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'constant-inputs-'));
    dirs.push(dir);
    const file = await writeUserGraph(dir, 'side-inputs');
    const net = await importNetwork(file, { ...NONE, constantInputs: OFF });
    expect(net.layerNames).toContain('pick');
    net.dispose();
  });

  it('reads the values a model file declares, as it declares its normalization (the option wins)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'constant-inputs-declared-'));
    dirs.push(dir);
    const file = await writeUserGraph(dir, 'side-inputs');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const declare = (constantInputs: unknown) =>
      writeFileSync(file, JSON.stringify({ ...json, userDefinedMetadata: { cnnActivations: { constantInputs } } }));
    declare({ keep_prob: 0.25, is_training: true });
    const img = image(9);
    // And a GraphModel loaded with that metadata, as toNetwork takes it.
    const loaded = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: new Uint8Array(readFileSync(path.join(dir, 'weights.bin'))).buffer,
        userDefinedMetadata: { cnnActivations: { constantInputs: { keep_prob: 0.25, is_training: true } } },
        format: 'graph-model',
      }),
    );
    for (const net of [await importNetwork(file, NONE), await toNetwork(loaded, NONE)]) {
      const [gap, drop] = activations(net, img, ['gap', 'drop']) as tf.Tensor[];
      const quarter = tf.mul(gap, 0.25);
      expect(await maxAbsDiff(drop, quarter)).toBeLessThanOrEqual(TOL);
      tf.dispose([gap, drop, quarter]);
      net.dispose();
    }
    const given = await importNetwork(file, { ...NONE, constantInputs: OFF });
    const plain = await toNetwork(await loadUserGraph(), NONE);
    await same(activations(given, img, 'prob') as tf.Tensor, activations(plain, img, 'prob') as tf.Tensor);
    given.dispose();
    plain.dispose();
    declare({ keep_prob: 1, is_training: 'no' });
    await expectThrowsNoLeak(
      () => importNetwork(file, NONE),
      TypeError,
      "importNetwork: expected 'userDefinedMetadata.cnnActivations.constantInputs.is_training' to be a number, a " +
        'boolean, an array of numbers or of booleans, or a tf.Tensor, got "no" (string)',
    );
    declare({ keep_prob: 1, is_training: 0 });
    await expectThrowsNoLeak(
      () => importNetwork(file, NONE),
      TypeError,
      "importNetwork: expected 'userDefinedMetadata.cnnActivations.constantInputs.is_training' to be true or false " +
        '(the input is bool), got 0 (number)',
    );
    img.dispose();
  });

  it('refuses a model with inputs left without a value, and bad values, before feeding anything', async () => {
    const model = await loadUserGraph(undefined, 'side-inputs');
    const refuse = (constantInputs: unknown, type: typeof TypeError | typeof RangeError, message: string | RegExp) =>
      expectThrowsNoLeak(() => toNetwork(model, { ...NONE, constantInputs } as never), type, message);
    await expectThrowsNoLeak(
      () => toNetwork(model, NONE),
      TypeError,
      'toNetwork: expected a model with one image input, got 3 inputs (x float32 [-1, 32, 32, 3], keep_prob float32 [], ' +
        'is_training bool []); give the others a value that every pass uses as options.constantInputs, such as ' +
        '{ keep_prob: 1 }',
    );
    await refuse(
      { keep_prob: 1 },
      TypeError,
      /^toNetwork: expected a model with one image input, got 2 inputs \(x float32 \[-1, 32, 32, 3\], is_training bool/,
    );
    await refuse(
      { keep_prb: 1, is_training: false },
      RangeError,
      "toNetwork: 'options.constantInputs' names 'keep_prb', which is not an input of the model (its inputs: 'x', " +
        "'keep_prob' or 'is_training'); did you mean 'keep_prob'?",
    );
    await refuse(
      { keep_prob: 1, is_training: 0 },
      TypeError,
      "toNetwork: expected 'options.constantInputs.is_training' to be true or false (the input is bool), got 0 (number)",
    );
    await refuse(
      { keep_prob: true, is_training: false },
      TypeError,
      "toNetwork: expected 'options.constantInputs.keep_prob' to be a number (the input is float32), got true (boolean)",
    );
    await refuse(
      { keep_prob: 'one', is_training: false },
      TypeError,
      /^toNetwork: expected 'options.constantInputs.keep_prob' to be a number, a boolean, an array of numbers or of booleans, or a tf.Tensor, got "one"/,
    );
    await refuse(
      { keep_prob: Number.NaN, is_training: false },
      RangeError,
      "toNetwork: expected 'options.constantInputs.keep_prob' to be a finite number, got NaN (number)",
    );
    const vector = tf.ones([2]);
    const ints = tf.scalar(1, 'int32');
    const nan = tf.scalar(Number.NaN);
    const gone = tf.scalar(1);
    gone.dispose();
    await refuse(
      { keep_prob: vector, is_training: false },
      RangeError,
      "toNetwork: expected 'options.constantInputs.keep_prob' to be a tf.Tensor of shape [] (the input's), got rank 1 [2] float32",
    );
    await refuse(
      { keep_prob: ints, is_training: false },
      TypeError,
      /^toNetwork: expected 'options.constantInputs.keep_prob' to be a tf.Tensor of dtype float32 \(the input's; cast it with tf.cast\), got /,
    );
    await refuse(
      { keep_prob: nan, is_training: false },
      RangeError,
      /^toNetwork: expected 'options.constantInputs.keep_prob' to be a tf.Tensor of finite values, got /,
    );
    await refuse(
      { keep_prob: gone, is_training: false },
      TypeError,
      "toNetwork: 'options.constantInputs.keep_prob' is a disposed tensor; it can no longer be used",
    );
    await refuse(
      { keep_prob: 1, is_training: false, x: 1 },
      TypeError,
      "toNetwork: 'options.constantInputs' gives every input of the model a value (x, keep_prob, is_training); leave " +
        'out the one that takes the image',
    );
    // A name read from JSON may be '__proto__', an own property there: refused by name, not taken as a prototype.
    const proto = JSON.parse('{ "keep_prob": 1, "is_training": false, "__proto__": 1 }');
    await refuse(
      proto,
      RangeError,
      /^toNetwork: 'options.constantInputs' names '__proto__', which is not an input of the model/,
    );
    await refuse(
      [1, false],
      TypeError,
      "toNetwork: expected 'options.constantInputs' to be an object of input names and their values, such as " +
        '{ keep_prob: 1 }, got [1, false] (array of length 2)',
    );
    await refuse(
      new Map([['keep_prob', 1]]),
      TypeError,
      /^toNetwork: expected 'options.constantInputs' to be an object of input names and their values/,
    );
    tf.dispose([vector, ints, nan]);
    // Nothing was fed: the model still asks for all three.
    await expectThrowsNoLeak(() => toNetwork(model, NONE), TypeError, /got 3 inputs/);
    model.dispose();
    // An input of data that comes with each image, [-1, 1, 1, 3], takes one image's value, [1, 1, 1, 3].
    const batched = await tinyGraph([-1, 1, 1, 3]);
    const two = tf.ones([2, 1, 1, 3]);
    await expectThrowsNoLeak(
      () => toNetwork(batched, { ...NONE, constantInputs: { k: two } }),
      RangeError,
      "toNetwork: expected 'options.constantInputs.k' to be a tf.Tensor of shape [1, 1, 1, 3], one image's: the " +
        "input's first axis is the batch's, got rank 4 [2, 1, 1, 3] float32",
    );
    two.dispose();
    batched.dispose();
  });

  it("takes one image's value for an input with a batch axis, and runs a batch image by image with it", async () => {
    // y = concat(x, k) along the channels, k [-1, 4, 4, 1]: a pass of several images could not take k of one.
    const T = { type: 'DT_FLOAT' };
    const dims = (d: number[]) => ({ shape: { dim: d.map((size) => ({ size: String(size) })) } });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: dims([-1, 4, 4, 3]) } },
            { name: 'k', op: 'Placeholder', attr: { dtype: T, shape: dims([-1, 4, 4, 1]) } },
            {
              name: 'axis',
              op: 'Const',
              attr: { value: { tensor: { dtype: 'DT_INT32', tensorShape: {} } }, dtype: { type: 'DT_INT32' } },
            },
            { name: 'y', op: 'ConcatV2', input: ['x', 'k', 'axis'], attr: { T, N: { i: '2' } } },
          ],
          versions: { producer: 1395 },
          library: {},
        },
        weightSpecs: [{ name: 'axis', shape: [], dtype: 'int32' }],
        weightData: new Int32Array([3]).buffer,
        format: 'graph-model',
      }),
    );
    const net = await toNetwork(model, { ...NONE, constantInputs: { k: 7 } });
    const batch = tf.tidy(() => tf.round(tf.randomUniform([3, 4, 4, 3], 0, 255, 'float32', 10)));
    await expectNoLeak(async () => {
      await same(
        predict(net, batch),
        tf.tidy(() => tf.concat([batch, tf.fill([3, 4, 4, 1], 7)], 3)),
      );
    });
    // Each image's result is the one it has alone.
    const one = tf.slice(batch, 1, 1);
    const [alone, inBatch] = [predict(net, one), tf.tidy(() => tf.slice(predict(net, batch), 1, 1))];
    await same(alone, inBatch);
    // And so for the GraphModel itself, as activations takes it.
    await expectNoLeak(async () => {
      await same(
        activations(model, batch, 'y') as tf.Tensor,
        tf.tidy(() => tf.concat([batch, tf.fill([3, 4, 4, 1], 7)], 3)),
      );
    });
    tf.dispose([batch, one]);
    net.dispose();
  });

  it('says where a value has no input to go to, and what a bare GraphModel needs', async () => {
    const keras = tfl.sequential({
      layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'c' })],
    });
    await expectThrowsNoLeak(
      () => toNetwork(keras, { ...NONE, constantInputs: { keep_prob: 1 } }),
      RangeError,
      "toNetwork: 'options.constantInputs' names 'keep_prob', which is not an input of the model (its one input, " +
        "'c_input', takes the image)",
    );
    keras.dispose();
    const model = await loadUserGraph(undefined, 'side-inputs');
    const img = image(7);
    await expectThrowsNoLeak(
      () => activations(model, img, 'prob'),
      TypeError,
      "activations: expected 'net' to have a single input, got a model with 3 inputs (x, keep_prob, is_training); " +
        'make it a Network with toNetwork(model, { constantInputs: … }), which gives the others a value',
    );
    img.dispose();
    model.dispose();
  });
});

/**
 * `y = gap(x) × 0 + table[label] + levels[trunc(level)]`, as a converted conditional model looks a class label up: an
 * int32 `label` [-1] gathered from `table` [3, 3] (`GatherV2`, axis 0, after a `Reshape`), and a float `level` [] cast
 * to int32 (as a converted Keras `Embedding` casts its input), expanded to [1] and gathered from `levels` [2, 3] read
 * through an `Identity` (a frozen variable's read) on axis -2. Row r of `table` is r + 1 throughout, of `levels` 10 × (r
 * + 1).
 */
async function lookupGraph(): Promise<GraphModel> {
  const T = { type: 'DT_FLOAT' };
  const I = { type: 'DT_INT32' };
  const dims = (d: number[]) => ({ shape: { dim: d.map((size) => ({ size: String(size) })) } });
  const weights = [
    { name: 'table', shape: [3, 3], dtype: 'float32', data: [1, 1, 1, 2, 2, 2, 3, 3, 3] },
    { name: 'levels', shape: [2, 3], dtype: 'float32', data: [10, 10, 10, 20, 20, 20] },
    { name: 'zero', shape: [], dtype: 'int32', data: [0] },
    { name: 'minus2', shape: [], dtype: 'int32', data: [-2] },
    { name: 'flat', shape: [1], dtype: 'int32', data: [-1] },
    { name: 'axes', shape: [2], dtype: 'int32', data: [1, 2] },
    { name: 'none', shape: [], dtype: 'float32', data: [0] },
  ] as const;
  const konst = (w: (typeof weights)[number]) => {
    const dtype = w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
    return {
      name: w.name,
      op: 'Const',
      attr: { value: { tensor: { dtype, tensorShape: dims([...w.shape]).shape } }, dtype: { type: dtype } },
    };
  };
  const gather = (name: string, input: string[]) => ({
    name,
    op: 'GatherV2',
    input,
    attr: { Tparams: T, Tindices: I, Taxis: I, batch_dims: { i: '0' } },
  });
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: dims([-1, 4, 4, 3]) } },
    { name: 'label', op: 'Placeholder', attr: { dtype: I, shape: dims([-1]) } },
    { name: 'level', op: 'Placeholder', attr: { dtype: T, shape: dims([]) } },
    ...weights.map(konst),
    { name: 'gap', op: 'Mean', input: ['x', 'axes'], attr: { T, keep_dims: { b: false } } },
    { name: 'silent', op: 'Mul', input: ['gap', 'none'], attr: { T } },
    { name: 'label/flat', op: 'Reshape', input: ['label', 'flat'], attr: { T: I, Tshape: I } },
    gather('embed', ['table', 'label/flat', 'zero']),
    { name: 'levels/read', op: 'Identity', input: ['levels'], attr: { T } },
    { name: 'level/int', op: 'Cast', input: ['level'], attr: { SrcT: T, DstT: I } },
    { name: 'level/one', op: 'ExpandDims', input: ['level/int', 'zero'], attr: { T: I, Tdim: I } },
    gather('level/embed', ['levels/read', 'level/one', 'minus2']),
    { name: 'sum', op: 'AddV2', input: ['silent', 'embed'], attr: { T } },
    { name: 'y', op: 'AddV2', input: ['sum', 'level/embed'], attr: { T } },
  ];
  const data = new Uint8Array(weights.length * 12 * 4);
  let at = 0;
  for (const w of weights) {
    const bytes = w.dtype === 'int32' ? Int32Array.from(w.data) : Float32Array.from(w.data);
    data.set(new Uint8Array(bytes.buffer), at);
    at += bytes.byteLength;
  }
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: { node, versions: { producer: 1395 }, library: {} },
      weightSpecs: weights.map(({ name, shape, dtype }) => ({ name, shape: [...shape], dtype })),
      weightData: data.buffer.slice(0, at),
      format: 'graph-model',
    }),
  );
}

describe('toNetwork: a graph that looks a constant input up in a table (a class label)', () => {
  it('looks each value up, truncating a float one as the cast before its gather does', async () => {
    for (const [label, level, want] of [
      [0, 0, 11],
      [2, 1, 23],
      [1, 1.9, 22],
      [1, -0.5, 12],
    ]) {
      const net = await toNetwork(await lookupGraph(), { ...NONE, constantInputs: { label: [label], level } });
      const img = tf.fill([4, 4, 3], 100) as tf.Tensor3D;
      const y = activations(net, img, 'y') as tf.Tensor;
      expect(Array.from(await y.data())).toEqual([want, want, want]);
      tf.dispose([y, img]);
      net.dispose();
    }
  });

  it('refuses a value past the rows of the table it looks up, which a GPU would read as zeros', async () => {
    const refusal = (arg: string, value: number, gather: string, table: string, rows: number) =>
      `toNetwork: 'options.constantInputs.${arg}' holds ${value} (value 0), but the GatherV2 '${gather}' that reads ` +
      `it looks up '${table}', which has ${rows} rows on axis 0: 0 to ${rows - 1}`;
    for (const [given, message] of [
      [{ label: [3], level: 0 }, refusal('label', 3, 'embed', 'table', 3)],
      [{ label: [-1], level: 0 }, refusal('label', -1, 'embed', 'table', 3)],
      [{ label: [0], level: 2 }, refusal('level', 2, 'level/embed', 'levels', 2)],
      [{ label: [0], level: -1.5 }, refusal('level', -1.5, 'level/embed', 'levels', 2)],
      [{ label: [0], level: 1e10 }, refusal('level', 1e10, 'level/embed', 'levels', 2)],
    ] as const) {
      const model = await lookupGraph();
      await expectThrowsNoLeak(() => toNetwork(model, { ...NONE, constantInputs: given }), RangeError, message);
      model.dispose();
    }
  });
});
