/**
 * Files that people take for a TF.js model.json: JSON of another kind (a weights manifest alone, as face-api.js ships its
 * models; Keras's own description of a model, `model.to_json()`) and model files of other formats (a Keras .h5 or
 * .keras file, a SavedModel, TensorFlow Lite, ONNX, PyTorch), each made here with its format's first bytes.
 * importNetwork says what each is, from a path and from a URL (where TF.js's own message says only that the file is
 * not JSON, or that the JSON has neither a topology nor a weights manifest).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { BUILD_HINT } from '../../src/models/squeezenet/defaults.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { type SourceContext, weightsFetch } from '../../src/net/modelSource.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

const FILES: Record<string, unknown> = {
  // As face-api.js's age_gender_model-weights_manifest.json begins.
  'manifest.json': [
    { weights: [{ name: 'entry_flow/conv_in/filters', shape: [3, 3, 3, 32], dtype: 'float32' }], paths: ['m.bin'] },
  ],
  // As Keras 2's model.to_json() writes a Sequential model.
  'keras.json': {
    class_name: 'Sequential',
    config: { name: 'sequential', layers: [{ class_name: 'Dense', config: { units: 2 } }] },
    keras_version: '2.15.0',
    backend: 'tensorflow',
  },
  // Neither: an array of something else, an object of something else.
  'numbers.json': [1, 2, 3],
  'other.json': { name: 'x' },
};

const MANIFEST =
  'is a weights manifest alone (a list of weight files and the weights they hold, as face-api.js ships its models), ' +
  'not a TF.js model.json: it has no network that uses the weights';
const KERAS =
  "is Keras's own description of a model (model.to_json(), or the config.json of a .keras file), not a TF.js " +
  'model.json: it holds no weights; convert the model with tensorflowjs_converter and import the model.json it writes';

/** Files of other formats, by name: their first bytes as their formats write them. */
const BINARY: Record<string, Uint8Array> = {
  'model.h5': Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
  // A zip archive whose first entry is config.json, as Keras 3 writes a .keras file (named otherwise here).
  'model.zip': zipHead('config.json'),
  'weights.pt': zipHead('archive/data.pkl'),
  'other.zip': zipHead('readme.txt'),
  'model.tflite': Uint8Array.from([0x1c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33, 0, 0]),
  'model.onnx': Uint8Array.from([0x08, 0x07, 0x12, 0x07]),
  'frozen.pb': Uint8Array.from([0x0a, 0x0c, 0x0a, 0x01]),
  'shard.bin': Uint8Array.from([0x00, 0x00, 0x80, 0x3f, 0x7b]),
};

/** The first bytes of a zip archive whose first entry is `entry`: its local header, then the name. */
function zipHead(entry: string): Uint8Array {
  const head = new Uint8Array(30 + entry.length);
  head.set([0x50, 0x4b, 0x03, 0x04]);
  head[26] = entry.length;
  head.set(Buffer.from(entry), 30);
  return head;
}

const NOT = 'not a TF.js model.json';
const CONVERTED = 'this library imports models converted for TF.js from TensorFlow or Keras';
const SAVED_MODEL =
  `is a TensorFlow graph (a SavedModel's saved_model.pb, or a frozen graph), ${NOT}: convert the SavedModel's folder ` +
  'with tensorflowjs_converter --input_format=tf_saved_model dir out/ and import out/model.json';
/** What importNetwork says each is, for its name. */
const SAYS: Record<string, (name: string) => string> = {
  'model.h5': (name) =>
    `is a Keras HDF5 file (.h5), ${NOT}: convert it once with tensorflowjs_converter --input_format keras ${name} ` +
    'out/ and import out/model.json',
  'model.zip': () =>
    `is a Keras 3 model file (.keras), ${NOT}: load it in Keras, export it with model.export(dir), convert that ` +
    'SavedModel with tensorflowjs_converter --input_format=tf_saved_model dir out/ and import out/model.json',
  'weights.pt': () => `is a PyTorch file, ${NOT}: ${CONVERTED}`,
  'other.zip': () => `is a zip archive, ${NOT}: unpack it and give the model.json inside`,
  'model.tflite': () =>
    `is a TensorFlow Lite model, ${NOT}: TF.js's converter does not read .tflite files; convert the model it was ` +
    'made from (a SavedModel or a Keras file) with tensorflowjs_converter',
  'model.onnx': () => `is an ONNX model, ${NOT}: ${CONVERTED}`,
  'frozen.pb': () => SAVED_MODEL,
  'shard.bin': () => `holds binary data, ${NOT} (which is JSON text)`,
};

let dir: string;
let server: Server;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'not-model-json-'));
  for (const [name, json] of Object.entries(FILES)) writeFileSync(path.join(dir, name), JSON.stringify(json));
  for (const [name, bytes] of Object.entries(BINARY)) writeFileSync(path.join(dir, name), bytes);
  // A SavedModel's folder, which has no model.json.
  mkdirSync(path.join(dir, 'saved'));
  writeFileSync(path.join(dir, 'saved', 'saved_model.pb'), BINARY['frozen.pb']);
  server = createServer((req, res) => {
    const name = path.basename(req.url ?? '');
    const body = name in FILES ? JSON.stringify(FILES[name]) : BINARY[name];
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise((resolve) => server.close(resolve));
});

describe('importNetwork: a JSON file that is not a model.json', () => {
  const NONE = { normalization: 'none' } as const;
  const HINT = 'check the path or URL of the model.json';

  it('says a weights manifest alone is one, from a path and from a URL', async () => {
    const file = path.join(dir, 'manifest.json');
    await expectThrowsNoLeak(() => importNetwork(file, NONE), Error, `importNetwork: ${file} ${MANIFEST}; ${HINT}`);
    const url = `${base}/manifest.json`;
    await expectThrowsNoLeak(() => importNetwork(url, NONE), Error, `importNetwork: ${url} ${MANIFEST}`);
  });

  it("says Keras's own JSON of a model is one, from a path and from a URL", async () => {
    const file = path.join(dir, 'keras.json');
    await expectThrowsNoLeak(() => importNetwork(file, NONE), Error, `importNetwork: ${file} ${KERAS}; ${HINT}`);
    const url = `${base}/keras.json`;
    await expectThrowsNoLeak(() => importNetwork(url, NONE), Error, `importNetwork: ${url} ${KERAS}`);
  });

  it('keeps the plain refusal for JSON of any other kind', async () => {
    for (const name of ['numbers.json', 'other.json']) {
      const file = path.join(dir, name);
      await expectThrowsNoLeak(
        () => importNetwork(file, NONE),
        Error,
        `importNetwork: the model file ${file} has no weightsManifest; ${HINT}`,
      );
      const url = `${base}/${name}`;
      await expectThrowsNoLeak(
        () => importNetwork(url, NONE),
        Error,
        `importNetwork: could not load the model from ${url}: The JSON from HTTP path ${url} contains neither model ` +
          'topology or manifest for weights.',
      );
    }
  });

  it('says what a model file of another format is, from its first bytes or its name, from a path and from a URL', async () => {
    for (const [name, says] of Object.entries(SAYS)) {
      const file = path.join(dir, name);
      await expectThrowsNoLeak(() => importNetwork(file, NONE), Error, `importNetwork: ${file} ${says(file)}; ${HINT}`);
      const url = `${base}/${name}`;
      await expectThrowsNoLeak(() => importNetwork(url, NONE), Error, `importNetwork: ${url} ${says(name)}`);
    }
    // A SavedModel's folder, given where a model.json's folder belongs.
    const saved = path.join(dir, 'saved');
    await expectThrowsNoLeak(
      () => importNetwork(saved, NONE),
      Error,
      `importNetwork: ${path.join(saved, 'saved_model.pb')} ${SAVED_MODEL}; ${HINT}`,
    );
  });

  it("parses a model.json fetched by a page's relative URL, or one with odd escapes, as TF.js would", async () => {
    for (const url of ['models/net/model.json', '/a%zz/model.json?v=1']) {
      const ctx: SourceContext = { fetch, signal: new AbortController().signal };
      const body = JSON.stringify({ modelTopology: { node: [] }, weightsManifest: [] });
      const fetched = weightsFetch(async () => new Response(body), url, ctx);
      expect(await (await fetched(url)).json()).toEqual(JSON.parse(body));
      expect(ctx.notModel).toBeUndefined();
    }
  });

  it("says so for a built-in network's modelUrl too, from a path and from a URL", async () => {
    const file = path.join(dir, 'model.h5');
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: file }),
      Error,
      `squeezenet: ${file} ${SAYS['model.h5'](file)}; ${BUILD_HINT}`,
    );
    const url = `${base}/model.h5`;
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: url }),
      Error,
      `squeezenet: ${url} ${SAYS['model.h5']('model.h5')}; ${BUILD_HINT}`,
    );
  });
});
