import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caffeFacts, float16Digests, gitBlobId, readCaffeModel, toFloat16Bits } from '../../scripts/model/caffe.js';
import { readWeightsFolder, type WeightsFolder, WeightsError } from '../../scripts/model/weights.js';
import { concatBytes } from '../../src/io/imageFormat.js';
import { ROOT, SHARED } from '../helpers/images.js';

// The model build from SqueezeNet v1.1's original Caffe model. The public file cannot be downloaded here, so the
// tests write Caffe models the way Caffe does (a NetParameter in protobuf, conv1 in B, G, R order) from MATLAB's
// weights in ../shared, in both of Caffe's layer formats, and check that the reader gives MATLAB's tensors back,
// that the build writes the same weights as from the folder, and that other weights are refused.

const HINT = { source: 'a test', hint: '(hint)' };
let shared: WeightsFolder;
let tmp: string;
beforeAll(() => {
  shared = readWeightsFolder(path.join(SHARED, 'models', 'squeezenet_v1.1'), 'squeezenet_v1.1', 1000, HINT);
  tmp = mkdtempSync(path.join(tmpdir(), 'cnn-caffe-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// --- a protobuf writer, as much as a NetParameter needs ---
type Bytes = Uint8Array;
const cat = (parts: (Bytes | number[])[]): Bytes => concatBytes(parts.map((p) => Uint8Array.from(p)));
const varint = (v: number): number[] => {
  const out: number[] = [];
  let x = v;
  while (x >= 0x80) {
    out.push((x % 128) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return out;
};
const field = (no: number, bytes: Bytes | number[]) => cat([varint(no * 8 + 2), varint(bytes.length), bytes]);
const intField = (no: number, v: number) => [...varint(no * 8), ...varint(v)];
const str = (s: string) => new TextEncoder().encode(s);
const floats = (a: Float32Array) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** A BlobProto: the new shape field, or the legacy num/channels/height/width. */
function blobProto(shape: number[], data: Float32Array, legacy: boolean): Bytes {
  const dims = legacy
    ? [...[1, 1, 1, 1].slice(0, 4 - shape.length), ...shape].flatMap((d, i) => intField(i + 1, d))
    : field(7, field(1, shape.flatMap(varint)));
  return cat([dims, field(5, floats(data))]);
}

interface Options {
  /** Caffe's V1 format (`layers`, field 2) instead of `layer` (field 100). */
  v1?: boolean;
  /** conv1 in R, G, B (not what Caffe stores). */
  rgb?: boolean;
  alter?: (layer: string, w: Float32Array) => void;
  skip?: string;
}

/** A .caffemodel of `shared`'s weights. */
function caffeModel(name: string, opts: Options = {}): string {
  const layers: Bytes[] = [];
  const layer = (lname: string, type: string, blobs: Bytes[]) => {
    const body = opts.v1
      ? cat([field(4, str(lname)), intField(5, 4), ...blobs.map((b) => field(6, b))])
      : cat([field(1, str(lname)), field(2, str(type)), ...blobs.map((b) => field(7, b))]);
    layers.push(field(opts.v1 ? 2 : 100, body));
  };
  layer('data', 'Input', []);
  for (const [mname, p] of shared.params) {
    if (mname === opts.skip) continue;
    const [o, c, kh, kw] = p.weight.shape;
    const w = new Float32Array(p.weight.data);
    if (mname === 'conv1' && !opts.rgb) {
      for (let i = 0; i < o; i++)
        for (let j = 0; j < c; j++)
          w.set(
            p.weight.data.subarray((i * c + j) * kh * kw, (i * c + j + 1) * kh * kw),
            (i * c + (c - 1 - j)) * kh * kw,
          );
    }
    opts.alter?.(mname, w);
    const cname = mname.replace(/-/g, '/');
    layer(cname, 'Convolution', [blobProto(p.weight.shape, w, !!opts.v1), blobProto([o], p.bias, !!opts.v1)]);
    layer(`${cname}/relu`, 'ReLU', []);
  }
  const file = path.join(tmp, `${name}.caffemodel`);
  writeFileSync(file, cat([field(1, str('squeezenet_v1.1')), ...layers]));
  return file;
}

describe('float16 digests', () => {
  it('round to nearest, ties to even, as numpy does (normal, subnormal, overflow)', () => {
    const cases: [number, number][] = [
      [0, 0x0],
      [-0, 0x8000],
      [1, 0x3c00],
      [65504, 0x7bff],
      [65519, 0x7bff],
      [65520, 0x7c00],
      [1e-8, 0x0],
      [6e-8, 0x1],
      [3e-8, 0x1],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [-2.5, 0xc100],
      [2049, 0x6800],
      [2051, 0x6802],
      [1e-5, 0xa8],
      [-6.1e-5, 0x83ff],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [v, bits] of cases) expect(toFloat16Bits(v), String(v)).toBe(bits);
  });

  it('caffe.json holds the digests of MATLAB\u2019s weights, one per tensor', () => {
    expect(caffeFacts().float16_sha256).toEqual(float16Digests(shared));
    expect(Object.keys(caffeFacts().float16_sha256)).toHaveLength(52);
  });
});

describe("the public file's identity", () => {
  it("computes git's blob id, which the repository's tree records for the public file", () => {
    // Git's own ids for these contents (`git hash-object`).
    expect(gitBlobId(new Uint8Array())).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobId(new TextEncoder().encode('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(caffeFacts().release.gitBlob).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('reading the original Caffe model', () => {
  it.each([
    ['layer (current format)', false],
    ['layers (V1 format)', true],
  ])('gives MATLAB\u2019s tensors back from %s, conv1 turned to R, G, B', (_name, v1) => {
    const w = readCaffeModel(caffeModel(v1 ? 'v1' : 'current', { v1 }), HINT);
    expect(w.isPublicFile).toBe(false);
    expect(w.numParams).toBe(1235496);
    expect(w.classNames).toEqual(shared.classNames);
    expect(w.licenseText).toBe(shared.licenseText);
    expect([...w.params.keys()]).toEqual([...shared.params.keys()]);
    for (const [name, p] of shared.params) {
      const got = w.params.get(name)!;
      expect(got.weight.shape, name).toEqual(p.weight.shape);
      expect(Buffer.from(got.weight.data.buffer).equals(Buffer.from(p.weight.data.buffer)), name).toBe(true);
      expect(Buffer.from(got.bias.buffer).equals(Buffer.from(p.bias.buffer)), name).toBe(true);
    }
  });

  it('refuses other weights, a conv1 in R, G, B, a missing layer, and what is not a Caffe model', () => {
    const changed = caffeModel('changed', {
      alter: (l, w) => {
        if (l === 'fire5-expand3x3') w[100] += 0.01;
      },
    });
    expect(() => readCaffeModel(changed, HINT)).toThrow(
      /^changed\.caffemodel: the weight of layer 'fire5\/expand3x3' is not MATLAB's \(its values rounded to float16 differ/,
    );
    expect(() => readCaffeModel(caffeModel('rgb', { rgb: true }), HINT)).toThrow(
      /the weight of layer 'conv1' is not MATLAB's/,
    );
    expect(() => readCaffeModel(caffeModel('short', { skip: 'conv10' }), HINT)).toThrow(
      /^short\.caffemodel has no weights and bias for layer 'conv10': is it SqueezeNet v1\.1's Caffe model\? \(hint\)$/,
    );
    const junk = path.join(tmp, 'junk.caffemodel');
    writeFileSync(junk, new TextEncoder().encode('PK\u0003\u0004 not a protobuf at all'));
    expect(() => readCaffeModel(junk, HINT)).toThrow(WeightsError);
    expect(() => readCaffeModel(path.join(tmp, 'missing.caffemodel'), HINT)).toThrow(
      /missing\.caffemodel not found \(from a test\)\. \(hint\)$/,
    );
  });

  it('builds the same weight shard as from the weights folder (npm run build:model -- file.caffemodel)', () => {
    const out = path.join(tmp, 'model');
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts', 'build-model.ts'), caffeModel('build')],
      { encoding: 'utf8', env: { ...process.env, CNN_ACTIVATIONS_MODEL_OUT: out } },
    );
    expect(r.status, r.stderr).toBe(0);
    const shard = 'group1-shard1of1.bin';
    expect(
      readFileSync(path.join(out, shard)).equals(readFileSync(path.join(ROOT, 'model', 'squeezenet_v1.1', shard))),
    ).toBe(true);
    expect(readFileSync(path.join(out, 'labels.txt'), 'utf8')).toBe(
      readFileSync(path.join(ROOT, 'model', 'squeezenet_v1.1', 'labels.txt'), 'utf8'),
    );
    expect(readFileSync(path.join(out, 'PROVENANCE.md'), 'utf8')).toMatch(
      /the original Caffe model \(conv1's input channels reversed from B, G, R to R, G, B\), every tensor checked/,
    );
  });
});
