import type { GraphModel } from '@tensorflow/tfjs-converter';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { readReference } from '../helpers/images.js';
import { loadUserGraph } from '../helpers/userGraph.js';
import { toNetwork } from '../../src/net/toNetwork.js';

let net: Network;
beforeAll(async () => {
  net = await squeezenet();
});
afterAll(() => net.dispose());

describe('analyzeNetwork', () => {
  it("lists MATLAB's layer table for 227×227×3: sizes as in the reference, learnables, total 1,235,496", async () => {
    const a = await expectNoLeak(() => analyzeNetwork(net));
    expect(a.name).toBe('squeezenet');
    expect(a.inputSize).toEqual([227, 227, 3]);
    expect(a.layers.map((l) => [l.name, l.activations])).toEqual(
      readReference('face').layers.map((l) => [l.name, l.shape]),
    );
    expect(a.layers.map((l) => l.index)).toEqual([...Array(67).keys()]);
    expect(a.layers.map((l) => l.matlabIndex)).toEqual([...Array(67).keys()].map((i) => i + 1));
    expect(a.layers[1]).toEqual({
      index: 1,
      matlabIndex: 2,
      name: 'conv1',
      type: 'Convolution',
      description: '64 3×3×3 convolutions with stride [2 2] and padding [0 0 0 0]',
      inputs: ['data'],
      activations: [113, 113, 64],
      learnables: { Weights: [3, 3, 3, 64], Bias: [1, 1, 64] },
      numLearnables: 1792,
    });
    expect(a.layers[2]).toMatchObject({
      name: 'relu_conv1',
      type: 'ReLU',
      description: 'ReLU',
      learnables: {},
      numLearnables: 0,
    });
    expect(a.layers[34]).toMatchObject({
      name: 'fire6-squeeze1x1',
      activations: [14, 14, 48],
      learnables: { Weights: [1, 1, 256, 48], Bias: [1, 1, 48] },
      numLearnables: 12336,
    });
    expect(a.layers[63]).toMatchObject({
      name: 'conv10',
      learnables: { Weights: [1, 1, 512, 1000], Bias: [1, 1, 1000] },
      numLearnables: 513000,
    });
    const byName = Object.fromEntries(a.layers.map((l) => [l.name, l]));
    expect(byName['data'].description).toBe("227×227×3 images with 'zerocenter' normalization");
    expect(byName['pool1'].description).toBe('3×3 max pooling with stride [2 2] and padding [0 0 0 0]');
    expect(byName['pool3'].description).toBe('3×3 max pooling with stride [2 2] and padding [0 1 0 1]');
    expect(byName['fire2-expand3x3'].description).toBe(
      '64 3×3×16 convolutions with stride [1 1] and padding [1 1 1 1]',
    );
    expect(byName['fire2-expand3x3'].numLearnables).toBe(9280);
    expect(byName['fire9-concat']).toMatchObject({
      type: 'Depth concatenation',
      description: 'Depth concatenation of 2 inputs',
    });
    expect(byName['drop9']).toMatchObject({ type: 'Dropout', description: '50% dropout' });
    expect(byName['pool10']).toMatchObject({
      type: 'Global Average Pooling',
      description: 'Global average pooling',
      activations: [1, 1, 1000],
    });
    expect(byName['prob']).toMatchObject({ type: 'Softmax', description: 'softmax', activations: [1, 1, 1000] });
    expect(a.totalLearnables).toBe(1235496);
    expect(a.layers.reduce((s, l) => s + l.numLearnables, 0)).toBe(1235496);
    // The learnable sizes agree with the weights the model holds (HWIO = MATLAB's h×w×Cin×F).
    for (const l of a.layers.filter((x) => x.type === 'Convolution')) {
      expect((net.model as GraphModel).weights[`${l.name}/weights`][0].shape).toEqual(l.learnables.Weights);
    }
  });

  it('computes the sizes for another input size, as activations() gives them', async () => {
    const a = analyzeNetwork(net, { inputSize: [229, 241] });
    const sizes = Object.fromEntries(a.layers.map((l) => [l.name, l.activations]));
    expect(a.inputSize).toEqual([229, 241, 3]);
    expect([sizes['conv1'], sizes['pool1'], sizes['pool3'], sizes['pool5'], sizes['prob']]).toEqual([
      [114, 120, 64],
      [56, 59, 64],
      [28, 29, 128],
      [14, 14, 256],
      [1, 1, 1000],
    ]);
    expect(analyzeNetwork(net, { inputSize: [19, 19, 3] }).layers[62].activations).toEqual([1, 1, 512]);
  });

  it('renders a readable table', () => {
    const lines = String(analyzeNetwork(net)).split('\n');
    expect(lines).toHaveLength(69);
    expect(lines[0]).toBe('squeezenet: 67 layers, input 227×227×3, total learnables 1,235,496 (1.2M)');
    expect(lines[1].trim().split(/\s{2,}/)).toEqual(['#', 'Name', 'Type', 'Activations', 'Learnables', 'Description']);
    expect(lines[3].trim().split(/\s{2,}/)).toEqual([
      '2',
      'conv1',
      'Convolution',
      '113×113×64',
      'Weights 3×3×3×64, Bias 1×1×64',
      '64 3×3×3 convolutions with stride [2 2] and padding [0 0 0 0]',
    ]);
    expect(lines[68].trim().split(/\s{2,}/)).toEqual(['67', 'prob', 'Softmax', '1×1×1000', '-', 'softmax']);
  });

  it('shows a layer of one number per image (size []) as 1, not as an empty cell', async () => {
    const scalar = await toNetwork(await loadUserGraph(undefined, 'gated'), { normalization: 'none', output: 'total' });
    const lines = String(analyzeNetwork(scalar)).split('\n');
    expect(
      lines
        .at(-1)
        ?.trim()
        .split(/\s{2,}/),
    ).toEqual(['7', 'total', 'Other', '1', '-', 'Sum (TensorFlow op)']);
    scalar.dispose();
  });

  it('checks its arguments', async () => {
    await expectThrowsNoLeak(
      () => analyzeNetwork({} as Network),
      TypeError,
      "analyzeNetwork: expected 'net' to be a loaded Network, got an object",
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { inputSize: '227' as never }),
      TypeError,
      'analyzeNetwork: expected \'options.inputSize\' to be an array [h, w] or [h, w, 3], got "227" (string)',
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { inputSize: [227] }),
      RangeError,
      "analyzeNetwork: expected 'options.inputSize' to be an array [h, w] or [h, w, 3], got [227] (array of length 1)",
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { inputSize: [227, 22.5] }),
      RangeError,
      "analyzeNetwork: expected 'options.inputSize[1]' to be an integer >= 1, got 22.5 (number)",
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { inputSize: [227, 227, 1] }),
      RangeError,
      "analyzeNetwork: expected 'options.inputSize[2]' to be 3 (the network's channels), got 1 (number)",
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { inputSize: [18, 300] }),
      RangeError,
      "analyzeNetwork: expected 'options.inputSize' to be at least 19×19 for squeezenet, got [18, 300] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => analyzeNetwork(net, { size: [1, 2] } as never),
      RangeError,
      "analyzeNetwork: unknown option 'size'; known options are 'inputSize'",
    );
    const gone = await squeezenet();
    gone.dispose();
    await expectThrowsNoLeak(
      () => analyzeNetwork(gone),
      TypeError,
      "analyzeNetwork: 'net' has been disposed; load the network again",
    );
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
