import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLimits } from '../../src/internal/limits.js';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import {
  type Act,
  CLASSES,
  conv2d,
  LAYERS,
  loadTinyNetwork,
  NORMALIZATION,
  PARAMS,
  pool2d,
  random,
} from '../helpers/tinyNetwork.js';

// A second, tiny network, written by the model build's graph writer with weights made here and loaded through the
// same generic code as SqueezeNet: it proves that nothing in net/ depends on SqueezeNet. It has what SqueezeNet lacks:
// a stride-2 convolution with asymmetric explicit padding, average pooling with padding, max pooling with padding on
// an input that can be negative (padded with -Inf), and a z-score input normalization. The oracle is a float64 forward
// pass written below, independent of TF.js.

/** Every layer's output for one HWC image of pixels 0..255. */
function oracle(pixels: Float64Array, h: number, w: number): Map<string, Act> {
  const n = NORMALIZATION;
  const input: Act = { h, w, c: 3, v: pixels.map((p, i) => (p - n.mean[i % 3]) / n.standardDeviation[i % 3]) };
  const out = new Map<string, Act>([['in', input]]);
  const map = (a: Act, f: (x: number) => number): Act => ({ ...a, v: a.v.map(f) });
  out.set('conv_a', conv2d(input, PARAMS.get('conv_a')!, 2, [1, 0, 1, 0]));
  out.set(
    'relu_a',
    map(out.get('conv_a')!, (x) => Math.max(0, x)),
  );
  out.set('avg_a', pool2d(out.get('relu_a')!, 2, 1, [0, 1, 0, 1], 'avg'));
  out.set('conv_b', conv2d(out.get('avg_a')!, PARAMS.get('conv_b')!, 1, [0, 0, 0, 0]));
  const mx = pool2d(out.get('conv_b')!, 3, 2, [1, 1, 1, 1], 'max');
  out.set('max_b', mx);
  const gap = new Float64Array(mx.c);
  for (let i = 0; i < mx.v.length; i++) gap[i % mx.c] += mx.v[i] / (mx.h * mx.w);
  out.set('gap', { h: 1, w: 1, c: mx.c, v: gap });
  const e = gap.map((x) => Math.exp(x - Math.max(...gap)));
  out.set('prob', { h: 1, w: 1, c: mx.c, v: e.map((x) => x / e.reduce((a, b) => a + b, 0)) });
  return out;
}

function image(h: number, w: number, seed: number): Float64Array {
  const r = random(seed);
  return Float64Array.from({ length: h * w * 3 }, () => Math.round((r() + 1) * 127.5));
}

let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
let net: Network;
beforeAll(async () => {
  tiny = await loadTinyNetwork();
  net = tiny.net;
});
afterAll(() => tiny?.dispose());

describe('a second network through the same code (graph writer → loader → activations, layer table, classify)', () => {
  it('loads with its own layer table, normalization and classes, deeply frozen', () => {
    expect(net.name).toBe('tinynet');
    expect(net.layerNames).toEqual(LAYERS.map((l) => l.name));
    expect(net.inputSize).toEqual([9, 11, 3]);
    expect(net.normalization).toEqual(NORMALIZATION);
    expect(net.classNames).toEqual(CLASSES);
    expect(net.totalLearnables).toBe(4 * 3 * 9 + 4 + 5 * 4 + 5);
    const conv = net.layers[1];
    expect(conv).toMatchObject({ index: 1, matlabIndex: 2, type: 'Convolution', padding: [1, 0, 1, 0] });
    expect(Object.isFrozen(net.layers)).toBe(true);
    expect(Object.isFrozen(conv)).toBe(true);
    if (conv.type !== 'Convolution') throw new Error('unreachable');
    expect(Object.isFrozen(conv.kernel)).toBe(true);
    expect(() => {
      (conv.kernel as unknown as number[])[0] = 99;
    }).toThrow(TypeError);
    expect(Object.isFrozen(net.normalization)).toBe(true);
  });

  it.each([
    [9, 11],
    [12, 7],
  ])('computes every layer as the float64 oracle does, for a %i×%i image (fully convolutional)', async (h, w) => {
    const pixels = image(h, w, h * 100 + w);
    const want = oracle(pixels, h, w);
    const img = tf.tensor3d(Float32Array.from(pixels), [h, w, 3], 'float32');
    const names = LAYERS.slice(1).map((l) => l.name);
    const outs = await expectNoLeak(() => activations(net, img, names), names.length);
    const table = analyzeNetwork(net, { inputSize: [h, w] });
    for (const [i, name] of names.entries()) {
      const ref = want.get(name)!;
      expect(outs[i].shape, name).toEqual([ref.h, ref.w, ref.c]);
      expect(table.layers[i + 1].activations, name).toEqual([ref.h, ref.w, ref.c]);
      const got = await outs[i].data();
      const scale = Math.max(1, ...ref.v.map(Math.abs));
      const err = Math.max(...Array.from(got, (g, k) => Math.abs(g - ref.v[k])));
      expect(err / scale, name).toBeLessThan(1e-5);
    }
    tf.dispose([img, ...outs]);
  });

  it('gives the layer table and classifies through the same functions as SqueezeNet', async () => {
    const table = analyzeNetwork(net);
    expect(table.name).toBe('tinynet');
    expect(table.layers.map((l) => l.type)).toEqual(LAYERS.map((l) => l.type));
    expect(table.layers[1].learnables).toEqual({ Weights: [3, 3, 3, 4], Bias: [1, 1, 4] });
    expect(table.totalLearnables).toBe(net.totalLearnables);
    expect(String(table)).toContain('Average Pooling');
    const pixels = image(9, 11, 7);
    const probs = oracle(pixels, 9, 11).get('prob')!.v;
    const best = probs.indexOf(Math.max(...probs));
    const img = tf.tensor3d(Float32Array.from(pixels), [9, 11, 3], 'float32');
    const top = await classify(net, img, 2);
    expect(top[0]).toMatchObject({ index: best, label: CLASSES[best] });
    expect(top[0].score).toBeCloseTo(probs[best], 5);
    img.dispose();
  });

  it('checks sizes against its own layers: the smallest image for max_b, and a layer index', async () => {
    const one = tf.zeros([1, 1, 3]);
    await expectThrowsNoLeak(
      () => activations(net, one, 'max_b'),
      RangeError,
      "activations: expected 'img' to be at least 2×2 pixels to compute layer 'max_b' (or pass { resize: true }), got rank 3 [1, 1, 3] float32",
    );
    await expectThrowsNoLeak(
      () => activations(net, one, 2),
      RangeError,
      "activations: expected 'img' to be at least 2×2 pixels to compute layer 'relu_a' (or pass { resize: true }), got rank 3 [1, 1, 3] float32",
    );
    const two = tf.zeros([2, 2, 3]);
    const out = activations(net, two, 'max_b');
    expect(out.shape).toEqual([1, 1, 5]);
    tf.dispose([one, two, out]);
  });

  it('refuses a look-alike of a network (a copy of its fields is not a Network)', async () => {
    const img = tf.zeros([9, 11, 3]);
    await expectThrowsNoLeak(
      () => activations({ ...net }, img, 'conv_a'),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got an object, a copy of a Network's " +
        'fields: give the Network itself',
    );
    expect(() => analyzeNetwork({ ...net })).toThrow(
      "analyzeNetwork: expected 'net' to be a loaded Network, got an object, a copy of a Network's fields: give the " +
        'Network itself',
    );
    img.dispose();
  });

  it('fuzzed image sizes: the sizes of the layer table, or a RangeError before any kernel runs', () => {
    const before = setLimits({ maxElements: 600 });
    const tensorsBefore = tf.memory().numTensors;
    try {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 3 }),
          (h, w, n) => {
            const img = tf.zeros([n, h, w, 3]);
            try {
              const outs = activations(net, img, ['conv_a', 'max_b']);
              const table = analyzeNetwork(net, { inputSize: [h, w] });
              expect(outs[0].shape).toEqual([n, ...table.layers[1].activations]);
              expect(outs[1].shape).toEqual([n, ...table.layers[5].activations]);
              tf.dispose(outs);
            } catch (err) {
              expect(err).toBeInstanceOf(RangeError);
              expect((err as Error).message).toMatch(
                /^activations: expected 'img' to be at least|^activations: 'img' asks for layer/,
              );
            } finally {
              img.dispose();
            }
          },
        ),
        { numRuns: 150, seed: 77 },
      );
    } finally {
      setLimits(before);
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});

describe("importNetwork of a network file written by this library's model build", () => {
  it('loads it as its loader does: the layer table, the declared input and classes, the same numbers', async () => {
    const imported = await importNetwork(tiny.dir);
    expect(imported).toMatchObject({ name: 'tinynet', kind: 'built-in', inputSize: [9, 11, 3] });
    expect(imported.layers).toEqual(net.layers);
    expect(imported.normalization).toEqual(NORMALIZATION);
    expect(imported.classNames).toEqual(CLASSES);
    const img = tf.tensor3d(Float32Array.from(image(9, 11, 3)), [9, 11, 3], 'float32');
    const [a, b] = [await activations(net, img, 'prob'), await activations(imported, img, 'prob')];
    expect(await b.data()).toEqual(await a.data());
    tf.dispose([img, a, b]);
    imported.dispose();
  });

  it('takes a name and class names; refuses options for the input, which the file declares', async () => {
    const mine = await importNetwork(path.join(tiny.dir, 'model.json'), {
      name: 'mine',
      classNames: ['a', 'b', 'c', 'd', 'e'],
    });
    expect([mine.name, mine.classNames]).toEqual(['mine', ['a', 'b', 'c', 'd', 'e']]);
    mine.dispose();
    await expectThrowsNoLeak(
      () => importNetwork(tiny.dir, { classNames: ['a', 'b'] }),
      RangeError,
      "importNetwork: expected 5 class names (the size of the model's output, layer 'prob'), got 2",
    );
    const edited = JSON.parse(readFileSync(path.join(tiny.dir, 'model.json'), 'utf8'));
    edited.userDefinedMetadata.cnnActivations.inputSize = [1, 1, 3];
    const file = path.join(tiny.dir, 'edited.json');
    writeFileSync(file, JSON.stringify(edited));
    await expectThrowsNoLeak(
      () => importNetwork(file),
      Error,
      `importNetwork: ${file} is not a usable cnn-activations network: its inputSize [1, 1, 3] is too small for its layer 'conv_a'`,
    );
    for (const option of ['normalization', 'mean', 'inputSize'] as const) {
      await expectThrowsNoLeak(
        () =>
          importNetwork(tiny.dir, {
            [option]: option === 'normalization' ? 'none' : option === 'mean' ? 1 : [9, 11, 3],
          }),
        TypeError,
        `importNetwork: ${tiny.dir} is a network file of cnn-activations, which declares its input ` +
          `(9×11×3, 'zscore' normalization); drop 'options.${option}'`,
      );
    }
    await expectThrowsNoLeak(
      () => importNetwork(tiny.dir, { output: 'prob' }),
      TypeError,
      `importNetwork: ${tiny.dir} is a network file of cnn-activations, which has one output; drop 'options.output'`,
    );
  });
});
