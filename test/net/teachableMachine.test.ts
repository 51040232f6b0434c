/**
 * A Teachable Machine export (model.json, weights.bin, metadata.json; test/helpers/teachableMachine.ts). The class
 * names come from metadata.json's `labels`; with the scaling Teachable Machine's library applies (x / 127 - 1,
 * declared as zscore with mean and standard deviation 127) the scores are tfjs-layers's `predict` on those pixels
 * (the oracle).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/net/classify.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { TM_LABELS, TM_METADATA, writeTeachableMachineModel } from '../helpers/teachableMachine.js';

/** Teachable Machine's scaling: its library divides the pixels by 127 and subtracts 1. */
const TM_SCALING = { normalization: 'zscore', mean: 127, standardDeviation: 127 } as const;

let dir: string;
let keras: tfl.Sequential;
/** The export served over HTTP, as its share link serves it: `${base}/models/tm/` holds its three files. */
let server: Server;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'teachable-machine-'));
  keras = await writeTeachableMachineModel(dir);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const file = path.join(dir, path.basename(url.pathname));
    if (!url.pathname.startsWith('/models/tm/') || !existsSync(file)) res.writeHead(404).end();
    else res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  keras.dispose();
  rmSync(dir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

describe('importNetwork: a Teachable Machine export', () => {
  it("names the classes from metadata.json's labels, given as a path or as a File among the files", async () => {
    const before = tf.memory().numTensors;
    const net = await importNetwork(path.join(dir, 'model.json'), {
      ...TM_SCALING,
      classNames: path.join(dir, 'metadata.json'),
    });
    expect(net.classNames).toEqual(TM_LABELS);
    expect(net.layerNames).toEqual(expect.arrayContaining(['Conv1_relu', 'out_relu', 'sequential_3/dense_Dense1']));
    net.dispose();
    const file = (name: string) => new File([readFileSync(path.join(dir, name))], name);
    const metadata = file('metadata.json');
    const chosen = await importNetwork([file('model.json'), metadata, file('weights.bin')], {
      ...TM_SCALING,
      classNames: metadata,
    });
    expect(chosen.classNames).toEqual(TM_LABELS);
    chosen.dispose();
    // Its nested classifier's weights go with the network too.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('imports from its share link, the URL of a folder, as from the URL of its model.json', async () => {
    for (const link of [`${base}/models/tm/`, `${base}/models/tm/?v=2`, `${base}/models/tm/model.json`]) {
      const net = await importNetwork(link, { ...TM_SCALING, classNames: `${base}/models/tm/metadata.json` });
      expect(net.classNames).toEqual(TM_LABELS);
      expect(net.layerNames).toContain('sequential_3/dense_Dense1');
      net.dispose();
    }
    // A folder that holds no model.json is named by the file looked for.
    await expectThrowsNoLeak(
      () => importNetwork(`${base}/models/other/`, TM_SCALING),
      Error,
      new RegExp(`^importNetwork: could not load the model from ${base}/models/other/model\\.json: `),
    );
  });

  it("scores an image as Teachable Machine's own scaling and predict do", async () => {
    const net = await importNetwork(dir, { ...TM_SCALING, classNames: path.join(dir, 'metadata.json') });
    const img = tf.tidy(() => tf.floor(tf.randomUniform([224, 224, 3], 0, 256, 'float32', 7)));
    const want = tf.tidy(() => keras.predict(tf.sub(tf.div(tf.expandDims(img, 0), 127), 1)) as tf.Tensor);
    const wanted = Array.from(await want.data());
    const got = await classify(net, img, 3);
    for (const c of got) {
      expect(c.label).toBe(TM_LABELS[c.index]);
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

  it("reads the numbered lines of its Keras export's labels.txt as names, and other numbers as they stand", async () => {
    const named = async (text: string) => {
      const net = await importNetwork(dir, { ...TM_SCALING, classNames: new File([text], 'labels.txt') });
      const names = [...net.classNames];
      net.dispose();
      return names;
    };
    // Teachable Machine's labels.txt: each line its 0-based index, a space, the class's name.
    expect(await named(TM_LABELS.map((l, i) => `${i} ${l}`).join('\n'))).toEqual(TM_LABELS);
    expect(await named(TM_LABELS.map((l, i) => `${i}\t${l}\r`).join('\n'))).toEqual(TM_LABELS);
    // Numbers that are not each line's own index are part of the names.
    expect(await named('1 a\n2 b\n3 c')).toEqual(['1 a', '2 b', '3 c']);
    expect(await named('0 a\n2 b\n1 c')).toEqual(['0 a', '2 b', '1 c']);
    expect(await named('0 a\nb\n2 c')).toEqual(['0 a', 'b', '2 c']);
    expect(await named('0\n1\n2')).toEqual(['0', '1', '2']);
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
    await bad(JSON.stringify({ ...TM_METADATA, labels: undefined }), 'without "labels"');
    await bad(JSON.stringify({ ...TM_METADATA, labels: [1, 2, 3] }), 'whose "labels" is not an array of strings');
    await bad(JSON.stringify({ labels: 'mug' }), 'whose "labels" is not an array of strings');
    // A labels list of the wrong length is the model's count against it, as for any labels file.
    await expectThrowsNoLeak(
      () =>
        importNetwork(dir, {
          ...TM_SCALING,
          classNames: new File([JSON.stringify({ ...TM_METADATA, labels: ['a', 'b'] })], 'metadata.json'),
        }),
      RangeError,
      /^importNetwork: expected 3 class names \(the size of the model's output, layer '[^']+'\), got 2$/,
    );
  });
});
