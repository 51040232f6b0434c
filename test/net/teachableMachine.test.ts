/**
 * A Teachable Machine export (model.json, weights.bin, metadata.json): a Keras Sequential of two nested Sequentials
 * (a truncated MobileNet-like functional model with a pooling layer; a dense ReLU layer and a softmax), as
 * `@teachablemachine/image` builds and saves it. The class names come from metadata.json's `labels`; with the
 * scaling that library applies (x / 127 - 1, declared as zscore with mean and standard deviation 127) the scores
 * are tfjs-layers's `predict` on those pixels (the oracle).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { writeModelFiles } from '../helpers/userGraph.js';

const LABELS = ['mug', 'spoon', 'kettle'];
/** metadata.json as Teachable Machine writes it beside the model. */
const METADATA = {
  tfjsVersion: '1.3.1',
  tmVersion: '2.4.10',
  packageVersion: '0.8.4',
  packageName: '@teachablemachine/image',
  timeStamp: '2026-01-01T00:00:00.000Z',
  userMetadata: {},
  modelName: 'tm-my-image-model',
  labels: LABELS,
  imageSize: 224,
};
/** Teachable Machine's scaling: its library divides the pixels by 127 and subtracts 1. */
const TM_SCALING = { normalization: 'zscore', mean: 127, standardDeviation: 127 } as const;

let dir: string;
let keras: tfl.Sequential;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'teachable-machine-'));
  const init = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
  const image = tfl.input({ shape: [224, 224, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'Conv1', ...init(1) });
  let y = x.apply(image) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(y) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 16, kernelSize: 1, name: 'Conv_1', ...init(2) });
  y = tfl.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x.apply(y)) as tfl.SymbolicTensor;
  const truncated = tfl.model({ inputs: image, outputs: y, name: 'model1' });
  const base = tfl.sequential({ name: 'sequential_1' });
  base.add(truncated);
  base.add(tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d_GlobalAveragePooling2D1' }));
  const head = tfl.sequential({
    name: 'sequential_3',
    layers: [
      tfl.layers.dense({ inputShape: [16], units: 100, activation: 'relu', name: 'dense_Dense1', ...init(3) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', useBias: false, name: 'dense_Dense2', ...init(4) }),
    ],
  });
  keras = tfl.sequential({ name: 'sequential_4' });
  keras.add(base);
  keras.add(head);
  await writeModelFiles(dir, keras);
  writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(METADATA));
});
afterAll(() => {
  keras.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('importNetwork: a Teachable Machine export', () => {
  it("names the classes from metadata.json's labels, given as a path or as a File among the files", async () => {
    const before = tf.memory().numTensors;
    const net = await importNetwork(path.join(dir, 'model.json'), {
      ...TM_SCALING,
      classNames: path.join(dir, 'metadata.json'),
    });
    expect(net.classNames).toEqual(LABELS);
    expect(net.layerNames).toEqual(expect.arrayContaining(['Conv1_relu', 'out_relu', 'sequential_3/dense_Dense1']));
    net.dispose();
    const file = (name: string) => new File([readFileSync(path.join(dir, name))], name);
    const metadata = file('metadata.json');
    const chosen = await importNetwork([file('model.json'), metadata, file('weights.bin')], {
      ...TM_SCALING,
      classNames: metadata,
    });
    expect(chosen.classNames).toEqual(LABELS);
    chosen.dispose();
    // Its nested classifier's weights go with the network too.
    expect(tf.memory().numTensors).toBe(before);
  });

  it("scores an image as Teachable Machine's own scaling and predict do", async () => {
    const net = await importNetwork(dir, { ...TM_SCALING, classNames: path.join(dir, 'metadata.json') });
    const img = tf.tidy(() => tf.floor(tf.randomUniform([224, 224, 3], 0, 256, 'float32', 7)));
    const want = tf.tidy(() => keras.predict(tf.sub(tf.div(tf.expandDims(img, 0), 127), 1)) as tf.Tensor);
    const wanted = Array.from(await want.data());
    const got = await classify(net, img, 3);
    for (const c of got) {
      expect(c.label).toBe(LABELS[c.index]);
      expect(c.score).toBeCloseTo(wanted[c.index], 6);
    }
    // Dividing by 127.5 ('rescale-symmetric') is another model input, and these scores show it.
    const symmetric = await importNetwork(dir, { normalization: 'rescale-symmetric' });
    const other = await classify(symmetric, img, 3);
    const change = Math.max(...other.map((c) => Math.abs(c.score - wanted[c.index])));
    expect(change).toBeGreaterThan(1e-4);
    tf.dispose([img, want]);
    net.dispose();
    symmetric.dispose();
  });

  it('says what is wrong with a JSON object that holds no labels', async () => {
    const bad = async (json: string, message: string) => {
      await expectThrowsNoLeak(
        () => importNetwork(dir, { ...TM_SCALING, classNames: new File([json], 'metadata.json') }),
        Error,
        `importNetwork: the labels file metadata.json holds a JSON object ${message}; a labels file holds a JSON ` +
          'array of names, one name per line, or an object whose "labels" is that array (the metadata.json of a ' +
          'Teachable Machine model)',
      );
    };
    await bad(JSON.stringify({ ...METADATA, labels: undefined }), 'without "labels"');
    await bad(JSON.stringify({ ...METADATA, labels: [1, 2, 3] }), 'whose "labels" is not an array of strings');
    await bad(JSON.stringify({ labels: 'mug' }), 'whose "labels" is not an array of strings');
    // A labels list of the wrong length is the model's count against it, as for any labels file.
    await expectThrowsNoLeak(
      () =>
        importNetwork(dir, {
          ...TM_SCALING,
          classNames: new File([JSON.stringify({ ...METADATA, labels: ['a', 'b'] })], 'metadata.json'),
        }),
      RangeError,
      /^importNetwork: expected 3 class names \(the size of the model's output, layer '[^']+'\), got 2$/,
    );
  });
});
