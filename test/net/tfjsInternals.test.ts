import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { describe, expect, it, vi } from 'vitest';
import { ensureGradients } from '../../src/net/gradients.js';
import {
  constantInputOf,
  feedConstants,
  graphDefNodes,
  graphNodeNames,
  openInputs,
  ownGraphDef,
  releaseFailedTape,
  shortOfInputs,
  TFJS_CONVERTER_CHECKED,
  TFJS_CORE_CHECKED,
} from '../../src/net/tfjsInternals.js';

// The library reads a few TF.js internals (src/net/tfjsInternals.ts). These tests fail when @tensorflow/tfjs-converter
// or @tensorflow/tfjs-core changes version or a field moves, so that an upgrade re-checks the readers instead of
// silently losing "did you mean" suggestions for plain GraphModels or leaking after a failed gradient.

const require = createRequire(import.meta.url);

describe('TF.js internals the library reads', () => {
  it(`were checked against the installed @tensorflow/tfjs-converter (${TFJS_CONVERTER_CHECKED})`, () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-converter/package.json'), 'utf8'));
    expect(pkg.version).toBe(TFJS_CONVERTER_CHECKED);
  });

  it(`were checked against the installed @tensorflow/tfjs-core (${TFJS_CORE_CHECKED})`, () => {
    const pkg = JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs-core/package.json'), 'utf8'));
    expect(pkg.version).toBe(TFJS_CORE_CHECKED);
  });

  it('releaseFailedTape frees what a backward pass that threw left on the tape, and nothing after a good one', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    // A kernel with no gradient on the way back (neither tfjs-core alone nor the library registers Asinh's), after
    // ones that save tensors for theirs (Mul, Sum: the library's).
    ensureGradients();
    expect(tf.getGradient('Asinh')).toBeUndefined();
    expect(() => tf.grad((v: tf.Tensor) => tf.sum(tf.asinh(tf.mul(v, v))))(x)).toThrow(/gradient function not found/);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    expect(releaseFailedTape()).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, v)))(x);
    expect(releaseFailedTape()).toBe(0);
    tf.dispose([g, x]);
  });

  it('graphNodeNames reads every node of a loaded GraphModel, constants and helpers included', async () => {
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }] } } }),
            node('two', 'Const', [], {
              dtype: { type: 'DT_FLOAT' },
              value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } },
            }),
            node('y', 'Mul', ['x', 'two'], { T: { type: 'DT_FLOAT' } }),
          ],
          versions: { producer: 1 },
        },
        weightSpecs: [{ name: 'two', shape: [], dtype: 'float32' }],
        weightData: new Float32Array([2]).buffer,
      }),
    );
    expect(graphNodeNames(model)).toEqual(new Set(['x', 'two', 'y']));
    model.dispose();
  });

  it('ownGraphDef gives the model a GraphDef of its own, which TF.js saves and graphDefNodes reads', async () => {
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const artifacts = {
      modelTopology: {
        node: [
          node('x', 'Placeholder', [], { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }] } } }),
          node('y', 'Relu', ['x'], { T: { type: 'DT_FLOAT' } }),
        ],
        versions: { producer: 1 },
      },
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
      userDefinedMetadata: { note: 'kept' },
    };
    const model = await loadGraphModel(tf.io.fromMemory(artifacts));
    // TF.js keeps the artifacts it was handed: their nodes are the model's GraphDef.
    expect(graphDefNodes(model)).toBe(artifacts.modelTopology.node);
    const own = ownGraphDef(model)!;
    own.nodes[1].input![0] = 'changed';
    expect(graphDefNodes(model)).toBe(own.nodes);
    expect(artifacts.modelTopology.node[1].input).toEqual(['x']);
    expect(model.metadata).toEqual({ note: 'kept' });
    let savedNodes: { input: string[] }[] = [];
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        savedNodes = (a.modelTopology as { node: { input: string[] }[] }).node;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    expect(savedNodes[1].input).toEqual(['changed']);
    own.restore();
    expect(graphDefNodes(model)).toBe(artifacts.modelTopology.node);
    model.dispose();
  });

  it("feedConstants makes a value an input's for TF.js's runs, which keep it as a weight, and takes it back", async () => {
    const node = (name: string, op: string, input: string[] = [], attr: object = {}) => ({ name, op, input, attr });
    const T = { type: 'DT_FLOAT' };
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            node('x', 'Placeholder', [], { dtype: T, shape: { shape: { dim: [{ size: '-1' }] } } }),
            node('k', 'Placeholder', [], { dtype: T, shape: { shape: {} } }),
            node('y', 'Mul', ['x', 'k'], { T }),
          ],
          versions: { producer: 1 },
        },
        weightSpecs: [],
        weightData: new ArrayBuffer(0),
      }),
    );
    const x = tf.tensor1d([1, 2]);
    expect(() => model.execute({ x }, 'y')).toThrow(/Missing the following inputs: \[k\]/);
    const k = tf.scalar(3);
    const undo = feedConstants(model, new Map([['k', k]]));
    expect(constantInputOf(model, 'k')).toBe(k);
    expect(openInputs(model).map((i) => i.name)).toEqual(['x']);
    for (let i = 0; i < 2; i++) {
      const y = model.execute({ x }, 'y') as tf.Tensor;
      expect(Array.from(await y.data())).toEqual([3, 6]);
      y.dispose();
      expect(k.isDisposed).toBe(false);
      // TF.js's asynchronous run, which warns that this graph needs none.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const z = (await model.executeAsync({ x }, 'y')) as tf.Tensor;
      warn.mockRestore();
      expect(Array.from(await z.data())).toEqual([3, 6]);
      z.dispose();
      expect(k.isDisposed).toBe(false);
    }
    undo();
    expect(k.isDisposed).toBe(true);
    expect(constantInputOf(model, 'k')).toBeUndefined();
    expect(() => model.execute({ x }, 'y')).toThrow(/Missing the following inputs: \[k\]/);
    x.dispose();
    model.dispose();
  });

  it("shortOfInputs reads TF.js's graph: each node's inputs against what its operation reads", async () => {
    const node = (name: string, op: string, input: string[] = []) => ({ name, op, input, attr: {} });
    const graph = (nodes: object[]) =>
      loadGraphModel(
        tf.io.fromMemory({
          modelTopology: { node: nodes, versions: {} },
          weightSpecs: [],
          weightData: new ArrayBuffer(0),
        }),
      );
    const x = node('x', 'Placeholder');
    const good = await graph([x, node('y', 'AddV2', ['x', 'x']), node('c', 'ConcatV2', ['x', 'y', 'x'])]);
    expect(shortOfInputs(good)).toBeNull();
    const short = await graph([x, node('y', 'AddV2', ['x']), node('z', 'Relu', ['y'])]);
    expect(shortOfInputs(short)).toEqual({ node: 'y', op: 'AddV2', has: 1, reads: 2 });
    // An axis read from the end: a ConcatV2 of nothing at all.
    const none = await graph([x, node('c', 'ConcatV2')]);
    expect(shortOfInputs(none)).toEqual({ node: 'c', op: 'ConcatV2', has: 0, reads: 1 });
    for (const m of [good, short, none]) m.dispose();
  });
});
