import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, SHARED } from '../helpers/images.js';

// scripts/build-model.ts: what it wrote (model/squeezenet_v1.1, made by `npm run build:model` before the tests) and
// how it refuses missing or corrupt weights. The failure cases exit before writing anything.
const SCRIPT = path.join(ROOT, 'scripts', 'build-model.ts');
const WEIGHTS = path.join(SHARED, 'models', 'squeezenet_v1.1');
const OUT = path.join(ROOT, 'model', 'squeezenet_v1.1');
const HOW =
  'Pass the directory holding squeezenet_v1.1.json and squeezenet_v1.1.bin as the first argument ' +
  '(npm run build:model -- /path/to/squeezenet_v1.1) or set CNN_ACTIVATIONS_WEIGHTS=/path/to/squeezenet_v1.1; ' +
  'or the original Caffe model (npm run build:model -- /path/to/squeezenet_v1.1.caffemodel; see README).';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'cnn-build-model-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { status: r.status, stderr: r.stderr.trim() };
}

/** A copy of the weights directory whose .bin is altered. */
function weightsCopy(name: string, alter: (b: Buffer) => Buffer): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of ['squeezenet_v1.1.json', 'labels.txt', 'LICENSE'])
    copyFileSync(path.join(WEIGHTS, f), path.join(dir, f));
  writeFileSync(path.join(dir, 'squeezenet_v1.1.bin'), alter(readFileSync(path.join(WEIGHTS, 'squeezenet_v1.1.bin'))));
  return dir;
}

describe('scripts/build-model.ts', () => {
  it('wrote a graph model with one node per MATLAB layer, the weight shard, labels, licence and provenance', () => {
    const json = JSON.parse(readFileSync(path.join(OUT, 'model.json'), 'utf8'));
    expect(json.format).toBe('graph-model');
    const nodes = new Map<string, { op: string; input?: string[] }>(
      json.modelTopology.node.map((n: { name: string }) => [n.name, n]),
    );
    const layers: string[] = json.userDefinedMetadata.cnnActivations.layers.map((l: { name: string }) => l.name);
    expect(layers).toHaveLength(67);
    for (const name of layers) expect(nodes.has(name), name).toBe(true);
    expect(nodes.get('input')!.op).toBe('Placeholder');
    expect(nodes.get('data')).toMatchObject({ op: 'Sub', input: ['input', 'data/mean'] });
    expect(nodes.get('conv1')).toMatchObject({ op: '_FusedConv2D', input: ['data', 'conv1/weights', 'conv1/bias'] });
    expect(nodes.get('pool1')).toMatchObject({ op: 'MaxPool', input: ['relu_conv1'] });
    expect(nodes.get('pool3/pad')).toMatchObject({ op: 'Pad', input: ['fire3-concat', 'pool3/paddings'] });
    expect(nodes.get('pool3')).toMatchObject({ op: 'MaxPool', input: ['pool3/pad'] });
    expect(nodes.get('fire2-concat')).toMatchObject({
      op: 'ConcatV2',
      input: ['fire2-relu_expand1x1', 'fire2-relu_expand3x3', 'fire2-concat/axis'],
    });
    expect(nodes.get('drop9')!.op).toBe('Identity');
    expect(nodes.get('pool10')!.op).toBe('Mean');
    expect(nodes.get('prob')!.op).toBe('Softmax');
    const shard = path.join(OUT, json.weightsManifest[0].paths[0]);
    expect(statSync(shard).size).toBe(4942100); // 1,235,496 float32 values + 29 int32/float32 constants
    expect(readFileSync(path.join(OUT, 'LICENSE'), 'utf8')).toBe(readFileSync(path.join(WEIGHTS, 'LICENSE'), 'utf8'));
    expect(readFileSync(path.join(OUT, 'labels.txt'), 'utf8')).toBe(
      readFileSync(path.join(WEIGHTS, 'labels.txt'), 'utf8'),
    );
    expect(readFileSync(path.join(OUT, 'PROVENANCE.md'), 'utf8')).toContain(
      '515d5bd27c148193f162f1bc944ad0cfe139b2ed45f16ebca5dd02c83ada7144',
    );
  });

  it('says where it looked and how to point it at the weights when they are missing', () => {
    const nowhere = path.join(tmp, 'nowhere');
    expect(run([nowhere])).toEqual({
      status: 1,
      stderr: `build-model: squeezenet_v1.1.json not found in ${nowhere} (from the command-line argument). ${HOW}`,
    });
    expect(run([], { CNN_ACTIVATIONS_WEIGHTS: nowhere })).toEqual({
      status: 1,
      stderr: `build-model: squeezenet_v1.1.json not found in ${nowhere} (from CNN_ACTIVATIONS_WEIGHTS). ${HOW}`,
    });
    const noCaffe = path.join(tmp, 'squeezenet_v1.1.caffemodel');
    expect(run([noCaffe])).toEqual({
      status: 1,
      stderr: `build-model: ${noCaffe} not found (from the command-line argument). ${HOW}`,
    });
  });

  it('refuses truncated or corrupt weights', () => {
    const short = weightsCopy('short', (b) => b.subarray(0, 1000));
    expect(run([short])).toEqual({
      status: 1,
      stderr: `build-model: squeezenet_v1.1.bin is 1000 bytes, the index says 4941984: the file is truncated or corrupt. ${HOW}`,
    });
    const flipped = weightsCopy('flipped', (b) => {
      const c = Buffer.from(b);
      c[12345] ^= 0x10;
      return c;
    });
    const r = run([flipped]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^build-model: squeezenet_v1\.1\.bin has sha256 [0-9a-f]{64}, the index says 515d5bd27c148193f162f1bc944ad0cfe139b2ed45f16ebca5dd02c83ada7144: the file is corrupt\. Pass /,
    );
    expect(existsSync(path.join(OUT, 'model.json'))).toBe(true); // the built model was left alone
  });
});
