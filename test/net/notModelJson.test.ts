/**
 * JSON files that people take for a TF.js model.json: a weights manifest alone (face-api.js ships its models so) and
 * Keras's own description of a model (`model.to_json()`). importNetwork says what each is, from a path and from a URL
 * (where TF.js's own message says only that the JSON has neither a topology nor a weights manifest).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { importNetwork } from '../../src/net/importNetwork.node.js';
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

let dir: string;
let server: Server;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'not-model-json-'));
  for (const [name, json] of Object.entries(FILES)) writeFileSync(path.join(dir, name), JSON.stringify(json));
  server = createServer((req, res) => {
    const json = FILES[path.basename(req.url ?? '')];
    if (json === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(json));
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
});
