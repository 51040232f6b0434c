/**
 * Reading SqueezeNet v1.1's public release, the original Caffe model (`squeezenet_v1.1.caffemodel` of
 * forresti/SqueezeNet), for the model build, so that the package can be built without the weights folder. The file is
 * a Caffe `NetParameter` in protobuf; each convolution's blobs are its weights (OIHW) and bias. Caffe's conv1 reads
 * B, G, R: its input channels are reversed to MATLAB's R, G, B. The result is checked against MATLAB's weights by
 * digests committed in `squeezenet_v1.1/caffe.json`: for each tensor, the sha256 of its values rounded to float16
 * (MATLAB's weights and the Caffe original agree at that precision), so that no other weights pass as MATLAB's.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConvParams, sha256, type WeightsFolder, WeightsError, type WeightsSource } from './weights.js';

const HERE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'squeezenet_v1.1');

/** The facts `caffe.json` records: the public file, and MATLAB's weights' float16 digests. */
export interface CaffeFacts {
  /** The public file: where, its size, sha256, and git's blob id for it (as the repository's tree lists it). */
  release: { url: string; bytes: number; sha256: string; gitBlob: string };
  /** By `<MATLAB layer>/weight` and `<MATLAB layer>/bias`. */
  float16_sha256: Record<string, string>;
}

export function caffeFacts(): CaffeFacts {
  return JSON.parse(readFileSync(path.join(HERE, 'caffe.json'), 'utf8')) as CaffeFacts;
}

/** The largest .caffemodel the reader accepts (SqueezeNet's is 4.95 MB). */
const MAX_BYTES = 64 * 2 ** 20;

// --- protobuf, as much as a NetParameter needs -------------------------------------------------------------------

interface Field {
  no: number;
  wire: number;
  /** Varint value (wire type 0). */
  int?: number;
  /** Bytes (wire type 2). */
  bytes?: Uint8Array;
}

/** The fields of one protobuf message, in order. */
function fields(buf: Uint8Array, what: string): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new WeightsError(`${what}: truncated protobuf (a number runs past the end)`);
      const b = buf[p++];
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 128;
    }
    throw new WeightsError(`${what}: corrupt protobuf (a number longer than 10 bytes)`);
  };
  while (p < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ no, wire, int: varint() });
    else if (wire === 2) {
      const len = varint();
      if (p + len > buf.length) throw new WeightsError(`${what}: truncated protobuf (a field runs past the end)`);
      out.push({ no, wire, bytes: buf.subarray(p, p + len) });
      p += len;
    } else if (wire === 5) p += 4;
    else if (wire === 1) p += 8;
    else throw new WeightsError(`${what}: not a protobuf message (wire type ${wire})`);
  }
  return out;
}

const text = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

/** A BlobProto's shape and float data. */
function blob(buf: Uint8Array, what: string): { shape: number[]; data: Float32Array } {
  const f = fields(buf, what);
  let shape: number[] = [];
  const legacy = [1, 1, 1, 1];
  const parts: Float32Array[] = [];
  for (const x of f) {
    if (x.no === 7 && x.bytes) {
      // BlobShape: repeated int64 dim = 1 (packed or not).
      for (const d of fields(x.bytes, what)) {
        if (d.no !== 1) continue;
        if (d.wire === 0) shape.push(d.int!);
        else if (d.bytes) {
          const packed = d.bytes;
          let q = 0;
          while (q < packed.length) {
            let v = 0;
            let scale = 1;
            for (;;) {
              const b = packed[q++];
              v += (b & 0x7f) * scale;
              if (b < 0x80) break;
              scale *= 128;
            }
            shape.push(v);
          }
        }
      }
    } else if (x.no >= 1 && x.no <= 4 && x.wire === 0) legacy[x.no - 1] = x.int!;
    else if (x.no === 5 && x.bytes) {
      if (x.bytes.length % 4 !== 0) throw new WeightsError(`${what}: corrupt blob (data not a whole number of floats)`);
      parts.push(new Float32Array(new Uint8Array(x.bytes).buffer));
    }
  }
  if (shape.length === 0) shape = legacy;
  const data = new Float32Array(parts.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of parts) {
    data.set(a, o);
    o += a.length;
  }
  return { shape, data };
}

/** Every layer of a NetParameter that has blobs: its name and blobs (new `layer` = 100, or V1 `layers` = 2). */
function layersWithBlobs(buf: Uint8Array, what: string): Map<string, { shape: number[]; data: Float32Array }[]> {
  const out = new Map<string, { shape: number[]; data: Float32Array }[]>();
  for (const x of fields(buf, what)) {
    if ((x.no !== 100 && x.no !== 2) || !x.bytes) continue;
    const [nameNo, blobNo] = x.no === 100 ? [1, 7] : [4, 6];
    const lf = fields(x.bytes, what);
    const name = text(lf.find((f) => f.no === nameNo)?.bytes);
    const blobs = lf.filter((f) => f.no === blobNo && f.bytes).map((f) => blob(f.bytes!, `${what}, layer ${name}`));
    if (blobs.length > 0) out.set(name, blobs);
  }
  return out;
}

// --- float16 digests -----------------------------------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE half-precision bits of `v`, rounded to nearest, ties to even. */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa moves into the exponent, as it should.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Git's id for a file's bytes: the sha1 of `blob <size>\0` and the bytes (what a repository's tree records). */
export function gitBlobId(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** sha256 of `data` rounded to float16, little-endian. */
export function float16Digest(data: Float32Array): string {
  const h = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) h[i] = toFloat16Bits(data[i]);
  return sha256(new Uint8Array(h.buffer));
}

/** MATLAB's weights' float16 digests, by `<layer>/weight` and `<layer>/bias`, from a weights folder (for caffe.json). */
export function float16Digests(folder: WeightsFolder): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [layer, p] of folder.params) {
    out[`${layer}/weight`] = float16Digest(p.weight.data);
    out[`${layer}/bias`] = float16Digest(p.bias);
  }
  return out;
}

// --- the reader ------------------------------------------------------------------------------------------------------

/** What the build needs from the Caffe file, shaped as a weights folder, and whether it is the public file itself. */
export interface CaffeWeights extends WeightsFolder {
  /** Whether the file's bytes are those of the public release (size, sha256 and git blob id as `caffe.json` records). */
  isPublicFile: boolean;
}

/**
 * Reads `file` (a `.caffemodel`), maps its layers to MATLAB's names (`fire2/squeeze1x1` → `fire2-squeeze1x1`),
 * reverses conv1's input channels (B, G, R → R, G, B) and checks every tensor against MATLAB's float16 digests.
 * @throws {WeightsError} for a file that is not a Caffe model, lacks a layer, or holds other weights.
 */
export function readCaffeModel(file: string, { source, hint }: WeightsSource): CaffeWeights {
  const facts = caffeFacts();
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new WeightsError(`${file} not found (from ${source}). ${hint}`);
  }
  if (size > MAX_BYTES)
    throw new WeightsError(`${file} is ${size} bytes; SqueezeNet's Caffe model is ${facts.release.bytes}`);
  const bytes = new Uint8Array(readFileSync(file));
  const fileSha = sha256(bytes);
  const what = path.basename(file);
  const layers = layersWithBlobs(bytes, what);
  const params = new Map<string, ConvParams>();
  let numParams = 0;
  for (const key of Object.keys(facts.float16_sha256)) {
    const [layer, param] = key.split('/');
    if (param !== 'weight') continue;
    const caffeName = layer.replace(/-/g, '/');
    const blobs = layers.get(caffeName);
    if (!blobs || blobs.length < 2) {
      throw new WeightsError(
        `${what} has no weights and bias for layer '${caffeName}': is it SqueezeNet v1.1's Caffe model? ${hint}`,
      );
    }
    const [w, b] = blobs;
    if (w.shape.length !== 4 || w.data.length !== w.shape.reduce((a, c) => a * c, 1) || b.data.length !== w.shape[0]) {
      throw new WeightsError(
        `${what}: layer '${caffeName}' has weights ${JSON.stringify(w.shape)} and ${b.data.length} biases, which do not fit`,
      );
    }
    let data = w.data;
    if (layer === 'conv1') {
      // [out, in, kh, kw] with in = B, G, R: reverse the input channels.
      const [o, c, kh, kw] = w.shape;
      data = new Float32Array(w.data.length);
      const plane = kh * kw;
      for (let i = 0; i < o; i++)
        for (let j = 0; j < c; j++)
          data.set(w.data.subarray((i * c + j) * plane, (i * c + j + 1) * plane), (i * c + (c - 1 - j)) * plane);
    }
    for (const [p, values] of [
      ['weight', data],
      ['bias', b.data],
    ] as const) {
      if (float16Digest(values) !== facts.float16_sha256[`${layer}/${p}`]) {
        throw new WeightsError(
          `${what}: the ${p} of layer '${caffeName}' is not MATLAB's (its values rounded to float16 differ from ` +
            `MATLAB's squeezenet); use SqueezeNet v1.1's original Caffe model (${facts.release.url}). ${hint}`,
        );
      }
    }
    params.set(layer, { weight: { shape: w.shape as [number, number, number, number], data }, bias: b.data });
    numParams += data.length + b.data.length;
  }
  const classNames = readFileSync(path.join(HERE, 'labels.txt'), 'utf8').replace(/\n$/, '').split('\n');
  const licenseText = readFileSync(path.join(HERE, 'LICENSE'), 'utf8');
  const isPublicFile =
    size === facts.release.bytes && fileSha === facts.release.sha256 && gitBlobId(bytes) === facts.release.gitBlob;
  return {
    dir: path.dirname(file),
    index: {
      model:
        'SqueezeNet v1.1 (forresti/SqueezeNet, Caffe, ImageNet ILSVRC-2012, 1000 classes), checked against MATLAB Deep Learning Toolbox `squeezenet`',
      file: what,
      file_bytes: size,
      file_sha256: fileSha,
      num_params: numParams,
      input: { size_hw: [227, 227], mean_rgb: [123, 117, 104] },
      source: {
        generator: 'the Caffe model read by scripts/model/caffe.ts (conv1 channels reversed to RGB)',
        repo: isPublicFile
          ? facts.release.url
          : `${what} (not byte-identical to the public release; every tensor checked)`,
        upstream_weights: facts.release.url,
      },
      tensors: [],
    },
    params,
    numParams,
    classNames,
    licenseText,
    isPublicFile,
  };
}
