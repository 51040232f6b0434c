import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel } from '@tensorflow/tfjs-converter';
import { setLimits } from '../../src/internal/limits.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { SQUEEZENET_LAYER_NAMES } from '../../src/models/squeezenet/layerNames.js';
import { defaultModelDir, squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import type { Network } from '../../src/net/types.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { escapeRegExp } from '../helpers/text.js';
import { loadTinyNetwork } from '../helpers/tinyNetwork.js';
import { ROOT, readReference } from '../helpers/images.js';

const MODEL_DIR = path.join(ROOT, 'model', 'squeezenet_v1.1');
const HINT =
  'in a checkout of cnn-activations, build the model with `npm run build:model` (README: where the weights come ' +
  'from); or pass { modelUrl } pointing at a model.json made by it';

let net: Network;
let tmp: string;
beforeAll(async () => {
  net = await squeezenet();
  tmp = mkdtempSync(path.join(tmpdir(), 'cnn-squeezenet-'));
});
afterAll(() => {
  net.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the model files in a fresh directory, optionally altered. */
function copyModel(
  name: string,
  alter?: { json?: (j: Record<string, unknown>) => void; shard?: (b: Buffer) => Buffer },
): string {
  const dir = path.join(tmp, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const json = JSON.parse(readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8')) as Record<string, unknown>;
  alter?.json?.(json);
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  const shard = readFileSync(path.join(MODEL_DIR, 'group1-shard1of1.bin'));
  writeFileSync(path.join(dir, 'group1-shard1of1.bin'), alter?.shard ? alter.shard(Buffer.from(shard)) : shard);
  return dir;
}

/** The model's artifacts, read by hand, for tf.io.fromMemory. */
function artifacts(): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const shard = readFileSync(path.join(MODEL_DIR, 'group1-shard1of1.bin'));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights,
    weightData: shard.buffer.slice(shard.byteOffset, shard.byteOffset + shard.byteLength) as ArrayBuffer,
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

describe('squeezenet', () => {
  it("has MATLAB's 67 layers, names, types and indices", () => {
    expect(net.name).toBe('squeezenet');
    expect(net.model).toBeInstanceOf(GraphModel);
    expect(net.layerNames).toEqual(readReference('face').layers.map((l) => l.name));
    expect(net.layers).toHaveLength(67);
    expect(net.layers[0]).toMatchObject({ index: 0, matlabIndex: 1, name: 'data', type: 'Image Input', inputs: [] });
    expect(net.layers[1]).toMatchObject({
      index: 1,
      matlabIndex: 2,
      name: 'conv1',
      type: 'Convolution',
      kernel: [3, 3],
      stride: [2, 2],
      padding: [0, 0, 0, 0],
      numChannels: 3,
      numFilters: 64,
      inputs: ['data'],
    });
    expect(net.layers[34]).toMatchObject({
      index: 34,
      matlabIndex: 35,
      name: 'fire6-squeeze1x1',
      numFilters: 48,
      numChannels: 256,
    });
    expect(net.layers[18]).toMatchObject({ name: 'pool3', type: 'Max Pooling', padding: [0, 1, 0, 1] });
    expect(net.layers[10]).toMatchObject({
      name: 'fire2-concat',
      type: 'Depth concatenation',
      inputs: ['fire2-relu_expand1x1', 'fire2-relu_expand3x3'],
    });
    expect(net.layers[8]).toMatchObject({
      name: 'fire2-expand3x3',
      padding: [1, 1, 1, 1],
      inputs: ['fire2-relu_squeeze1x1'],
    });
    const types = new Map<string, number>();
    for (const l of net.layers) types.set(l.type, (types.get(l.type) ?? 0) + 1);
    expect(Object.fromEntries(types)).toEqual({
      'Image Input': 1,
      Convolution: 26,
      ReLU: 26,
      'Max Pooling': 3,
      'Depth concatenation': 8,
      Dropout: 1,
      'Global Average Pooling': 1,
      Softmax: 1,
    });
  });

  it('lists the same layer names in its type (SQUEEZENET_LAYER_NAMES) as the model has', () => {
    expect(net.layerNames).toEqual([...SQUEEZENET_LAYER_NAMES]);
  });

  it("refuses another network made by the build, whose layers are not SqueezeNet's", async () => {
    const tiny = await loadTinyNetwork();
    try {
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: tiny.dir }),
        Error,
        /^squeezenet: the model is not SqueezeNet v1\.1: it has \d+ layers, SqueezeNet has 67; in a checkout/,
      );
    } finally {
      tiny.dispose();
    }
  });

  it('knows its input, normalization, classes and learnables', () => {
    expect(net.inputSize).toEqual([227, 227, 3]);
    expect(net.inputName).toBe('input');
    expect(net.normalization).toEqual({ type: 'zerocenter', mean: [123, 117, 104] });
    expect(net.classNames).toHaveLength(1000);
    expect([net.classNames[0], net.classNames[903], net.classNames[999]]).toEqual(['tench', 'wig', 'toilet tissue']);
    expect(net.classNames).toEqual(readFileSync(path.join(MODEL_DIR, 'labels.txt'), 'utf8').trimEnd().split('\n'));
    expect(net.totalLearnables).toBe(1235496);
    expect(net.model.inputs).toEqual([{ name: 'input', shape: [-1, -1, -1, 3], dtype: 'float32' }]);
    expect(Object.isFrozen(net) && Object.isFrozen(net.layers) && Object.isFrozen(net.layers[0])).toBe(true);
  });

  it("finds the package's model directory from src/ (and from dist/ alike)", () => {
    expect(defaultModelDir()).toBe(MODEL_DIR);
  });

  it('holds 52 weight tensors plus 12 small constants, frees them all on dispose, and loading twice does not leak', async () => {
    const before = tf.memory().numTensors;
    const a = await squeezenet();
    expect(tf.memory().numTensors - before).toBe(64);
    const b = await squeezenet();
    expect(tf.memory().numTensors - before).toBe(128);
    expect(a.isDisposed).toBe(false);
    a.dispose();
    a.dispose(); // a second dispose does nothing
    expect(a.isDisposed).toBe(true);
    expect(tf.memory().numTensors - before).toBe(64);
    b.model.dispose(); // disposing the model directly also counts
    expect(b.isDisposed).toBe(true);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads from a directory, a model.json path, a file: URL and an IO handler, reporting progress', async () => {
    const progress: number[] = [];
    const sources = [
      { modelUrl: MODEL_DIR, onProgress: (f: number) => progress.push(f) },
      { modelUrl: path.join(MODEL_DIR, 'model.json') },
      { modelUrl: pathToFileURL(path.join(MODEL_DIR, 'model.json')) },
      { modelUrl: pathToFileURL(MODEL_DIR).href },
      { ioHandler: tf.io.fromMemory(artifacts()) },
    ];
    const before = tf.memory().numTensors;
    for (const options of sources) {
      const n = await squeezenet(options);
      expect(n.layerNames).toEqual(net.layerNames);
      n.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]).toBe(1);
    expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]))).toBe(true);
  });

  it('loads over HTTP as a browser does (tf.io.http), and says which URL failed', async () => {
    const asked: string[] = [];
    let base = '';
    const server = createServer((req, res) => {
      try {
        if (req.url?.startsWith('/no-shard/') && req.url.endsWith('.bin')) throw new Error('not served');
        if (req.url === '/twice/model.json') {
          // The one shard listed 40 times: TF.js alone fetched it 40 times, holding all of them, before any check.
          const json = JSON.parse(readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8'));
          json.weightsManifest[0].paths = Array(40).fill(json.weightsManifest[0].paths[0]);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
          return;
        }
        asked.push(req.url ?? '');
        const body = readFileSync(path.join(MODEL_DIR, path.basename(new URL(req.url ?? '', base).pathname)));
        // One byte of the weights changed: the file keeps its length, and every weight stays finite.
        if (req.url?.startsWith('/flipped/') && req.url.endsWith('.bin')) body[1000] ^= 1;
        res.writeHead(200, {
          'content-type': req.url?.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        });
        res.end(body);
      } catch {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const progress: number[] = [];
      const before = tf.memory().numTensors;
      const n = await squeezenet({ modelUrl: `${base}/model.json`, onProgress: (f) => progress.push(f) });
      expect(n.layerNames).toEqual(net.layerNames);
      n.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(progress[progress.length - 1]).toBe(1);
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: `${base}/missing.json` }),
        Error,
        new RegExp(
          `^squeezenet: could not load the model from ${escapeRegExp(base)}/missing\\.json: .*404.*; ${escapeRegExp(HINT)}$`,
        ),
      );
      // A weight file over limits.maxFileBytes stops there (this server sends no Content-Length).
      const shard = readFileSync(path.join(MODEL_DIR, 'group1-shard1of1.bin')).length;
      setLimits({ maxFileBytes: shard - 1 });
      try {
        await expectThrowsNoLeak(
          () => squeezenet({ modelUrl: `${base}/model.json` }),
          RangeError,
          `squeezenet: "${base}/group1-shard1of1.bin" sent more than the limit of ` +
            `${(shard - 1).toLocaleString('en-US')} bytes (limits.maxFileBytes; raise it with setLimits)`,
        );
      } finally {
        setLimits('defaults');
      }
      // A weight file's 404 names that file (TF.js alone read the empty error page as weights).
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: `${base}/no-shard/model.json` }),
        Error,
        `squeezenet: could not load the model from ${base}/no-shard/model.json: HTTP 404 Not Found for the weight ` +
          `file ${base}/no-shard/group1-shard1of1.bin; ${HINT}`,
      );
      // A weight file with a byte changed is refused by the sha256 its model.json declares, as from a path.
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: `${base}/flipped/model.json` }),
        Error,
        new RegExp(
          `^squeezenet: could not load the model from ${escapeRegExp(base)}/flipped/model\\.json: the weight file ` +
            `${escapeRegExp(base)}/flipped/group1-shard1of1\\.bin is corrupt \\(sha256 [0-9a-f]{64}, model\\.json ` +
            `expects [0-9a-f]{64}\\); ${escapeRegExp(HINT)}$`,
        ),
      );
      // The weight files are asked for with model.json's query, as TF.js asks for them (a signed URL's token).
      asked.length = 0;
      (await squeezenet({ modelUrl: `${base}/signed/model.json?token=a%20b` })).dispose();
      expect(asked).toEqual(['/signed/model.json?token=a%20b', '/signed/group1-shard1of1.bin?token=a%20b']);
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: `${base}/twice/model.json` }),
        Error,
        `squeezenet: could not load the model from ${base}/twice/model.json: its weightsManifest lists the weight ` +
          `file ${base}/twice/group1-shard1of1.bin twice; ${HINT}`,
      );
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });

  it('says which file is missing and what to do', async () => {
    const nowhere = path.join(tmp, 'nowhere');
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: nowhere }),
      Error,
      `squeezenet: cannot read the model file ${nowhere} (it does not exist); ${HINT}`,
    );
    const noShard = copyModel('no-shard');
    rmSync(path.join(noShard, 'group1-shard1of1.bin'));
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: noShard }),
      Error,
      `squeezenet: cannot read the model file ${path.join(noShard, 'group1-shard1of1.bin')} (it does not exist); ${HINT}`,
    );
    // A weight file over limits.maxFileBytes, refused before it is read.
    const shard = path.join(defaultModelDir(), 'group1-shard1of1.bin');
    const size = readFileSync(shard).length;
    setLimits({ maxFileBytes: size - 1 });
    try {
      await expectThrowsNoLeak(
        () => squeezenet(),
        RangeError,
        `squeezenet: the weight file ${shard} is ${size.toLocaleString('en-US')} bytes; the limit is ` +
          `${(size - 1).toLocaleString('en-US')} bytes (limits.maxFileBytes; raise it with setLimits); ${HINT}`,
      );
    } finally {
      setLimits('defaults');
    }
  });

  it('refuses a corrupt or foreign model, leaving no tensor behind', async () => {
    const flipped = copyModel('flipped', {
      shard: (b) => {
        b[1000] ^= 1;
        return b;
      },
    });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: flipped }),
      Error,
      new RegExp(
        `^squeezenet: the weight file ${escapeRegExp(path.join(flipped, 'group1-shard1of1.bin'))} is corrupt \\(sha256 [0-9a-f]{64}, model.json expects [0-9a-f]{64}\\); `,
      ),
    );
    const truncated = copyModel('truncated', {
      json: (j) =>
        delete (j.userDefinedMetadata as { cnnActivations: { weightsSha256?: unknown } }).cnnActivations.weightsSha256,
      shard: (b) => b.subarray(0, b.length - 4),
    });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: truncated }),
      Error,
      `squeezenet: the model from ${truncated} is not a usable cnn-activations network: its weight data has 4942096 bytes where the manifest needs 4942100 (truncated or corrupt shard); ${HINT}`,
    );
    const foreign = copyModel('foreign', { json: (j) => delete j.userDefinedMetadata });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: foreign }),
      Error,
      `squeezenet: the model from ${foreign} is not a usable cnn-activations network: its model.json has no cnnActivations metadata; ${HINT}`,
    );
    const renamed = copyModel('renamed', {
      json: (j) => {
        const nodes = (j.modelTopology as { node: { name: string }[] }).node;
        nodes.find((n) => n.name === 'fire6-squeeze1x1')!.name = 'fire6/squeeze1x1';
      },
    });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: renamed }),
      Error,
      `squeezenet: the model from ${renamed} is not a usable cnn-activations network: its graph has no node 'fire6-squeeze1x1'; ${HINT}`,
    );
    const garbled = path.join(copyModel('garbled'), 'model.json');
    writeFileSync(garbled, '{"format": "graph-model", ');
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: garbled }),
      Error,
      new RegExp(
        `^squeezenet: the model file ${escapeRegExp(garbled)} is not valid JSON \\(.+\\); ${escapeRegExp(HINT)}$`,
      ),
    );
    const a = artifacts();
    const short = { ...a, weightData: (a.weightData as ArrayBuffer).slice(0, 1000) };
    await expectThrowsNoLeak(
      () => squeezenet({ ioHandler: tf.io.fromMemory(short) }),
      Error,
      `squeezenet: the model from the given ioHandler is not a usable cnn-activations network: its weight data has 1000 bytes where the manifest needs 4942100 (truncated or corrupt shard); ${HINT}`,
    );
    const failing = { load: () => Promise.reject(new Error('disk on fire')) };
    await expectThrowsNoLeak(
      () => squeezenet({ ioHandler: failing }),
      Error,
      `squeezenet: could not load the model from the given ioHandler: disk on fire; ${HINT}`,
    );
  });

  it("checks each weight file's sha256 from files a page gives, and where there is no WebCrypto", async () => {
    const flipped = copyModel('flipped-files', {
      shard: (b) => {
        b[1000] ^= 1;
        return b;
      },
    });
    const filesOf = (dir: string) =>
      ['group1-shard1of1.bin', 'model.json'].map((f) => new File([readFileSync(path.join(dir, f))], f));
    const corrupt = (file: string, hint: string) =>
      new RegExp(
        `^${escapeRegExp(file)} is corrupt \\(sha256 [0-9a-f]{64}, model\\.json expects [0-9a-f]{64}\\); ${escapeRegExp(hint)}$`,
      );
    const FILES_HINT = 'choose the model.json and the weight files it lists';
    await expectThrowsNoLeak(
      () => importNetwork(filesOf(flipped)),
      Error,
      corrupt('importNetwork: the weight file group1-shard1of1.bin', FILES_HINT),
    );
    const good = await importNetwork(filesOf(MODEL_DIR));
    expect(good.layerNames).toEqual(net.layerNames);
    good.dispose();
    // A page served over plain HTTP from another host has no crypto.subtle: the library's own SHA-256 checks the same.
    vi.stubGlobal('crypto', undefined);
    try {
      expect(globalThis.crypto).toBeUndefined();
      await expectThrowsNoLeak(
        () => importNetwork(filesOf(flipped)),
        Error,
        corrupt('importNetwork: the weight file group1-shard1of1.bin', FILES_HINT),
      );
      await expectThrowsNoLeak(
        () => squeezenet({ modelUrl: flipped }),
        Error,
        corrupt(`squeezenet: the weight file ${path.join(flipped, 'group1-shard1of1.bin')}`, HINT),
      );
      // model.json's own checksum too: two weights of one shape swapped in its manifest.
      const swapped = copyModel('swapped-no-webcrypto', {
        json: (j) => {
          const w = (j as { weightsManifest: { weights: { name: string }[] }[] }).weightsManifest[0].weights;
          const a = w.find((x) => x.name === 'fire6-expand1x1/weights')!;
          const b = w.find((x) => x.name === 'fire7-expand1x1/weights')!;
          [a.name, b.name] = [b.name, a.name];
        },
      });
      await expect(squeezenet({ modelUrl: swapped })).rejects.toThrow(/its model\.json was changed after it was built/);
      const again = await squeezenet();
      expect(again.layerNames).toEqual(net.layerNames);
      again.dispose();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses model files edited after the build: swapped weights, cut classes, no input size, NaN weights', async () => {
    type Json = {
      weightsManifest: { weights: { name: string }[] }[];
      userDefinedMetadata: { cnnActivations: Record<string, unknown> };
    };
    const meta = (j: Record<string, unknown>) => (j as unknown as Json).userDefinedMetadata.cnnActivations;
    const usable = (dir: string) => `squeezenet: the model from ${dir} is not a usable cnn-activations network: `;
    // Two weights of the same shape swapped in the manifest: every size check passes; the content checksum does not.
    const swapped = copyModel('swapped', {
      json: (j) => {
        const w = (j as unknown as Json).weightsManifest[0].weights;
        const a = w.find((x) => x.name === 'fire6-expand1x1/weights')!;
        const b = w.find((x) => x.name === 'fire7-expand1x1/weights')!;
        [a.name, b.name] = [b.name, a.name];
      },
    });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: swapped }),
      Error,
      new RegExp(
        `^${escapeRegExp(usable(swapped))}its model\\.json was changed after it was built \\(sha256 of its graph, weights list and metadata [0-9a-f]{64}, its contentSha256 says [0-9a-f]{64}\\); `,
      ),
    );
    const cut = copyModel('cut', { json: (j) => (meta(j).classNames = ['a', 'b', 'c']) });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: cut }),
      Error,
      `${usable(cut)}it has 3 class names for an output of 1000 channels; ${HINT}`,
    );
    const zero = copyModel('zero', { json: (j) => (meta(j).inputSize = [0, 0, 3]) });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: zero }),
      Error,
      `${usable(zero)}its metadata has no valid inputSize; ${HINT}`,
    );
    const small = copyModel('small', { json: (j) => (meta(j).inputSize = [8, 8, 3]) });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: small }),
      Error,
      `${usable(small)}its inputSize [8, 8, 3] is too small for its layer 'pool3'; ${HINT}`,
    );
    // NaN weights with the shard checksum removed (a hand-made model without one): refused all the same.
    const nan = copyModel('nan', {
      json: (j) => delete meta(j).weightsSha256,
      shard: (b) => {
        b.writeFloatLE(Number.NaN, 4 * 10);
        return b;
      },
    });
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: nan }),
      Error,
      `${usable(nan)}its weight 'conv1/weights' holds NaN at element 7; ${HINT}`,
    );
  });

  it('checks its options', async () => {
    await expectThrowsNoLeak(
      () => squeezenet({ url: 'x' } as never),
      RangeError,
      "squeezenet: unknown option 'url'; known options are 'modelUrl', 'ioHandler', 'onProgress', 'signal', 'timeoutMs'",
    );
    await expectThrowsNoLeak(
      () => squeezenet('model.json' as never),
      TypeError,
      'squeezenet: expected \'options\' to be an options object, got "model.json" (string)',
    );
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: 42 } as never),
      TypeError,
      "squeezenet: expected 'options.modelUrl' to be a string or URL, got 42 (number)",
    );
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: '' }),
      TypeError,
      'squeezenet: expected \'options.modelUrl\' to be a non-empty string or URL, got "" (string)',
    );
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: 'data:application/json,{}' }),
      RangeError,
      'squeezenet: expected \'options.modelUrl\' to be a file path or a file:, http: or https: URL, got "data:application/json,{}" (string)',
    );
    await expectThrowsNoLeak(
      () => squeezenet({ ioHandler: {} as never }),
      TypeError,
      "squeezenet: expected 'options.ioHandler' to be a tf.io.IOHandler with a load() method, got an object",
    );
    await expectThrowsNoLeak(
      () => squeezenet({ ioHandler: tf.io.fromMemory(artifacts()), modelUrl: MODEL_DIR }),
      TypeError,
      "squeezenet: pass either 'options.modelUrl' or 'options.ioHandler', not both",
    );
    await expectThrowsNoLeak(
      () => squeezenet({ onProgress: 0.5 } as never),
      TypeError,
      "squeezenet: expected 'options.onProgress' to be a function (fraction: number) => void, got 0.5 (number)",
    );
  });
});
