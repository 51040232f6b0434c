/**
 * Reading a weights folder for the model build: `<name>.json` (an index of float32 tensors with their Caffe and
 * MATLAB layer names, OIHW shapes, byte offsets and sha256) beside `<name>.bin`, `labels.txt` and `LICENSE`. Every
 * byte count and checksum the index lists is verified before anything is used.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** One convolution's parameters as the weight file stores them. */
export interface ConvParams {
  /** Weights, `[out, in, kh, kw]` (OIHW), row-major. */
  weight: { shape: [number, number, number, number]; data: Float32Array };
  /** Bias, `[out]`. */
  bias: Float32Array;
}

/** What a weights folder holds, verified. */
export interface WeightsFolder {
  /** The folder read. */
  dir: string;
  /** The index file's content (for provenance). */
  index: WeightsIndex;
  /** The parameters of each convolution, by MATLAB layer name. */
  params: Map<string, ConvParams>;
  /** The number of learnable values (checked against the index's `num_params`). */
  numParams: number;
  /** The class names, one per line of labels.txt. */
  classNames: string[];
  /** The weights' licence text. */
  licenseText: string;
}

/** The fields of the index file that the build reads. */
export interface WeightsIndex {
  model?: string;
  file: string;
  file_bytes: number;
  file_sha256: string;
  num_params: number;
  input: { size_hw?: [number, number]; mean_rgb: number[] };
  source?: { generator?: string; repo?: string; commit?: string; upstream_weights?: string };
  tensors: {
    name: string;
    matlab_layer: string;
    param: 'weight' | 'bias';
    shape: number[];
    layout?: string;
    dtype: string;
    byte_order: string;
    offset: number;
    length: number;
    sha256: string;
  }[];
}

/** A problem with the weights folder: the build prints the message and stops. */
export class WeightsError extends Error {}

export const sha256 = (buf: Uint8Array) => createHash('sha256').update(buf).digest('hex');

/** Where the folder came from and what to tell the user, for messages. */
export interface WeightsSource {
  /** How the folder was chosen, e.g. `'the command-line argument'`. */
  source: string;
  /** Appended to the messages: how to point the build at the right folder. */
  hint: string;
}

/**
 * Reads and verifies `dir/<name>.json`, its `.bin`, `labels.txt` (`numClasses` non-empty lines) and `LICENSE`.
 * @throws {WeightsError} naming the file and what is wrong with it.
 */
export function readWeightsFolder(
  dir: string,
  name: string,
  numClasses: number,
  { source, hint }: WeightsSource,
): WeightsFolder {
  const read = (file: string) => {
    const p = path.join(dir, file);
    if (!existsSync(p)) throw new WeightsError(`${file} not found in ${dir} (from ${source}). ${hint}`);
    return readFileSync(p);
  };
  let index: WeightsIndex;
  try {
    index = JSON.parse(read(`${name}.json`).toString('utf8')) as WeightsIndex;
  } catch (err) {
    if (err instanceof WeightsError) throw err;
    throw new WeightsError(`${name}.json in ${dir} is not valid JSON (${(err as Error).message}). ${hint}`);
  }
  if (!Array.isArray(index.tensors) || !index.input || !Array.isArray(index.input.mean_rgb)) {
    throw new WeightsError(`${name}.json in ${dir} lacks 'tensors' or 'input.mean_rgb'; is it the right file? ${hint}`);
  }
  const binName = index.file ?? `${name}.bin`;
  const bin = read(binName);
  if (bin.length !== index.file_bytes) {
    throw new WeightsError(
      `${binName} is ${bin.length} bytes, the index says ${index.file_bytes}: the file is truncated or corrupt. ${hint}`,
    );
  }
  if (sha256(bin) !== index.file_sha256) {
    throw new WeightsError(
      `${binName} has sha256 ${sha256(bin)}, the index says ${index.file_sha256}: the file is corrupt. ${hint}`,
    );
  }
  const classNames = read('labels.txt').toString('utf8').replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  if (classNames.length !== numClasses || classNames.some((l) => l.trim() === '')) {
    throw new WeightsError(`labels.txt in ${dir} must have ${numClasses} non-empty lines, it has ${classNames.length}`);
  }
  const licenseText = read('LICENSE').toString('utf8');

  const partial = new Map<string, Partial<ConvParams>>();
  let numParams = 0;
  for (const t of index.tensors) {
    if (t.dtype !== 'float32' || t.byte_order !== 'little') {
      throw new WeightsError(`tensor ${t.name}: unsupported ${t.dtype}/${t.byte_order}`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.length !== count * 4 || t.offset + t.length > bin.length)
      throw new WeightsError(`tensor ${t.name}: bad offset/length`);
    const bytes = bin.subarray(t.offset, t.offset + t.length);
    if (sha256(bytes) !== t.sha256) {
      throw new WeightsError(`tensor ${t.name}: sha256 mismatch, the weights file is corrupt. ${hint}`);
    }
    // Copy to an aligned buffer before viewing as float32 (little-endian on every platform TF.js runs on).
    const data = new Float32Array(new Uint8Array(bytes).buffer);
    const entry = partial.get(t.matlab_layer) ?? {};
    if (t.param === 'weight') {
      if (t.layout !== 'OIHW' || t.shape.length !== 4)
        throw new WeightsError(`tensor ${t.name}: expected OIHW weights`);
      entry.weight = { shape: t.shape as [number, number, number, number], data };
    } else {
      entry.bias = data;
    }
    partial.set(t.matlab_layer, entry);
    numParams += count;
  }
  if (numParams !== index.num_params) {
    throw new WeightsError(`the index lists ${numParams} values, its num_params says ${index.num_params}`);
  }
  const params = new Map<string, ConvParams>();
  for (const [layer, p] of partial) {
    if (!p.weight || !p.bias) throw new WeightsError(`no weight/bias for layer ${layer} in ${name}.json`);
    if (p.bias.length !== p.weight.shape[0]) throw new WeightsError(`layer ${layer}: bias and weights disagree`);
    params.set(layer, { weight: p.weight, bias: p.bias });
  }
  return { dir, index, params, numParams, classNames, licenseText };
}
