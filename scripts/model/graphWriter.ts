/**
 * The graph writer of the model build: turns a layer table (the model-file contract's `LayerSpec`s, in MATLAB's order)
 * and the convolutions' parameters into a TF.js graph model that `loadGraphModel` reads: `model.json` (a GraphDef in
 * JSON, with the contract's metadata under `userDefinedMetadata.cnnActivations`) and one weight shard.
 *
 * Knows no particular network. One node per layer, named as the layer; helper nodes (constants, explicit padding) are
 * named `<layer>/<suffix>`. The input is a Placeholder (`input`, RGB 0..255, NHWC, any height and width) that the
 * `'Image Input'` layer normalizes. MATLAB's paddings are reproduced exactly: a convolution's as TF's VALID, SAME or
 * EXPLICIT padding; a pooling layer's by a Pad node before a VALID pooling (max pooling pads with -Inf, or with 0
 * where its input cannot be negative; average pooling pads with 0 and counts the padding in the mean, MATLAB's
 * default `PaddingValue` 0).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  contentDigestInput,
  FORMAT_VERSION,
  METADATA_KEY,
  metadataProblem,
  type LayerSpec,
  type ModelMetadata,
} from '../../src/net/modelFormat.js';
import type { InputNormalization } from '../../src/net/types.js';
import { type ConvParams, sha256 } from './weights.js';

/** The name of the weight shard. */
export const SHARD = 'group1-shard1of1.bin';
/** The name of the graph's input node. */
export const INPUT_NAME = 'input';

/** What the writer needs to know about a network. */
export interface GraphSpec {
  /** `Network.name`. */
  name: string;
  /** A sentence for people reading model.json. */
  description: string;
  /** The size the network was trained at, `[h, w, c]`. */
  inputSize: [number, number, number];
  /** What the input layer does to raw pixels. */
  normalization: InputNormalization;
  /** The layers in MATLAB's order, the first an `'Image Input'` layer. */
  layers: LayerSpec[];
  /** The class names, in the order of the output. */
  classNames: string[];
  /** Each convolution's weights (OIHW) and bias, by layer name. */
  params: ReadonlyMap<string, ConvParams>;
  /**
   * How a ReLU layer that follows a convolution is computed. `'separate'`: a Relu node on the convolution's output
   * (MATLAB's structure). `'fused'`: a second fused convolution (bias + ReLU) sharing the convolution's weights, so
   * that a pass needing only the post-ReLU tensor never materialises the pre-ReLU one; the pre-ReLU node stays
   * reachable by name and is computed only when asked for.
   * @default 'fused'
   */
  reluMode?: 'fused' | 'separate';
}

/** Files written beside the model (name → content), or a function of what the model came to (for provenance). */
export type ExtraFiles =
  | Record<string, string | Uint8Array>
  | ((model: Omit<WrittenModel, 'dir'>) => Record<string, string | Uint8Array>);

/** What {@link writeGraphModel} wrote. */
export interface WrittenModel {
  /** The folder written. */
  dir: string;
  /** The number of graph nodes. */
  numNodes: number;
  /** The shard's size in bytes and its sha256. */
  shardBytes: number;
  shardSha256: string;
  /** The number of learnable values. */
  totalLearnables: number;
}

type Attr = Record<string, unknown>;
interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr: Record<string, Attr>;
}

const b64 = (s: string) => Buffer.from(s, 'ascii').toString('base64');
const attr = {
  type: (t: string) => ({ type: t }),
  ints: (a: number[]) => ({ list: { i: a.map(String) } }),
  int: (v: number) => ({ i: String(v) }),
  str: (s: string) => ({ s: b64(s) }),
  strs: (a: string[]) => ({ list: { s: a.map(b64) } }),
  bool: (b: boolean) => ({ b }),
  float: (f: number) => ({ f }),
  shape: (dims: number[]) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};
const FLOAT = { T: attr.type('DT_FLOAT') };

/** OIHW (Caffe/MATLAB export order) → HWIO (TF order). */
function oihwToHwio(shape: readonly [number, number, number, number], data: Float32Array): Float32Array {
  const [o, i, h, w] = shape;
  const out = new Float32Array(o * i * h * w);
  for (let oo = 0; oo < o; oo++)
    for (let ii = 0; ii < i; ii++)
      for (let hh = 0; hh < h; hh++)
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = data[((oo * i + ii) * h + hh) * w + ww];
  return out;
}

/** Builds the nodes and the weight shard. */
class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly weightSpecs: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] = [];
  private readonly chunks: Buffer[] = [];

  constant(name: string, dtype: 'float32' | 'int32', shape: number[], data: ArrayLike<number>): string {
    const dt = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        dtype: attr.type(dt),
        value: { tensor: { dtype: dt, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
      },
    });
    this.weightSpecs.push({ name, shape, dtype });
    const typed = dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
    this.chunks.push(Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength));
    return name;
  }

  node(name: string, op: string, input: string[], nodeAttr: Record<string, Attr> = FLOAT): string {
    this.nodes.push({ name, op, input, attr: nodeAttr });
    return name;
  }

  shard(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** The nodes of the `'Image Input'` layer: the normalization, ending in a node named `name`. */
function writeInput(g: GraphBuilder, name: string, n: InputNormalization): void {
  const vec = (suffix: string, values: readonly number[]) =>
    g.constant(`${name}/${suffix}`, 'float32', [values.length], values);
  switch (n.type) {
    case 'none':
      g.node(name, 'Identity', [INPUT_NAME]);
      return;
    case 'zerocenter':
      g.node(name, 'Sub', [INPUT_NAME, vec('mean', n.mean)]);
      return;
    case 'zscore': {
      const centered = g.node(`${name}/centered`, 'Sub', [INPUT_NAME, vec('mean', n.mean)]);
      g.node(name, 'RealDiv', [centered, vec('std', n.standardDeviation)]);
      return;
    }
    case 'rescale-zero-one':
    case 'rescale-symmetric': {
      const symmetric = n.type === 'rescale-symmetric';
      const shifted = g.node(`${name}/shifted`, 'Sub', [INPUT_NAME, vec('min', n.min)]);
      const range = n.max.map((m, i) => (symmetric ? (m - n.min[i]) / 2 : m - n.min[i]));
      if (!symmetric) {
        g.node(name, 'RealDiv', [shifted, vec('range', range)]);
        return;
      }
      const scaled = g.node(`${name}/scaled`, 'RealDiv', [shifted, vec('half_range', range)]);
      g.node(name, 'Sub', [scaled, g.constant(`${name}/one`, 'float32', [], [1])]);
      return;
    }
    case 'function':
      throw new Error('a normalization function cannot be written into a model file');
    default: {
      const unhandled: never = n;
      throw new Error(`unhandled normalization ${JSON.stringify(unhandled)}`);
    }
  }
}

type Padding = readonly [number, number, number, number];

/** The attributes of a (fused) convolution node with MATLAB's padding. */
function convAttrs(
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: Padding,
  fused: string[],
) {
  const [pt, pb, pl, pr] = padding;
  const [kh, kw] = kernel;
  let mode = 'EXPLICIT';
  if (pt + pb + pl + pr === 0) mode = 'VALID';
  else if (stride[0] === 1 && stride[1] === 1 && pt === (kh - 1) / 2 && pb === pt && pl === (kw - 1) / 2 && pr === pl) {
    mode = 'SAME';
  }
  return {
    T: attr.type('DT_FLOAT'),
    num_args: attr.int(1),
    strides: attr.ints([1, stride[0], stride[1], 1]),
    padding: attr.str(mode),
    explicit_paddings: mode === 'EXPLICIT' ? attr.ints([0, 0, pt, pb, pl, pr, 0, 0]) : { list: {} },
    data_format: attr.str('NHWC'),
    dilations: attr.ints([1, 1, 1, 1]),
    use_cudnn_on_gpu: attr.bool(true),
    fused_ops: attr.strs(fused),
    epsilon: attr.float(0),
  };
}

/**
 * Writes the graph model of `spec` into `outDir` (replacing it whole: written beside it, then swapped in, so that a
 * reader never sees a half-written model), plus `extraFiles` beside it.
 * @throws {Error} when the layer table breaks the model-file contract or a convolution's parameters do not fit it.
 */
export function writeGraphModel(spec: GraphSpec, outDir: string, extraFiles: ExtraFiles = {}): WrittenModel {
  const reluMode = spec.reluMode ?? 'fused';
  const byName = new Map(spec.layers.map((l) => [l.name, l]));
  const g = new GraphBuilder();
  g.nodes.push({
    name: INPUT_NAME,
    op: 'Placeholder',
    attr: { dtype: attr.type('DT_FLOAT'), shape: attr.shape([-1, -1, -1, spec.inputSize[2]]) },
  });

  // Whether a layer's output is >= 0 everywhere (then max pooling may pad with 0 instead of -Inf).
  const nonNegative = (name: string): boolean => {
    const l = byName.get(name);
    if (!l) return false;
    switch (l.type) {
      case 'ReLU':
      case 'Softmax':
        return true;
      case 'Depth concatenation':
      case 'Max Pooling':
      case 'Average Pooling':
      case 'Dropout':
      case 'Global Average Pooling':
        return l.inputs.every(nonNegative);
      default:
        return false;
    }
  };
  const pad = (layer: string, src: string, padding: Padding, value: number): string => {
    const [pt, pb, pl, pr] = padding;
    if (pt + pb + pl + pr === 0) return src;
    const paddings = g.constant(`${layer}/paddings`, 'int32', [4, 2], [0, 0, pt, pb, pl, pr, 0, 0]);
    const padAttrs = { T: attr.type('DT_FLOAT'), Tpaddings: attr.type('DT_INT32') };
    if (value === 0) return g.node(`${layer}/pad`, 'Pad', [src, paddings], padAttrs);
    const fill = g.constant(`${layer}/pad_value`, 'float32', [], [value]);
    return g.node(`${layer}/pad`, 'PadV2', [src, paddings, fill], padAttrs);
  };

  let totalLearnables = 0;
  for (const layer of spec.layers) {
    const { name, inputs } = layer;
    switch (layer.type) {
      case 'Image Input':
        writeInput(g, name, spec.normalization);
        break;
      case 'Convolution': {
        const p = spec.params.get(name);
        if (!p) throw new Error(`no parameters for convolution ${name}`);
        const [out, cin, kh, kw] = p.weight.shape;
        if (out !== layer.numFilters || cin !== layer.numChannels || kh !== layer.kernel[0] || kw !== layer.kernel[1]) {
          throw new Error(`convolution ${name}: weights ${p.weight.shape.join('×')} do not fit its layer description`);
        }
        const w = g.constant(
          `${name}/weights`,
          'float32',
          [kh, kw, cin, out],
          oihwToHwio(p.weight.shape, p.weight.data),
        );
        const b = g.constant(`${name}/bias`, 'float32', [out], p.bias);
        g.node(
          name,
          '_FusedConv2D',
          [inputs[0], w, b],
          convAttrs(layer.kernel, layer.stride, layer.padding, ['BiasAdd']),
        );
        totalLearnables += p.weight.data.length + p.bias.length;
        break;
      }
      case 'ReLU': {
        const src = byName.get(inputs[0]);
        if (reluMode === 'fused' && src?.type === 'Convolution') {
          g.node(
            name,
            '_FusedConv2D',
            [src.inputs[0], `${src.name}/weights`, `${src.name}/bias`],
            convAttrs(src.kernel, src.stride, src.padding, ['BiasAdd', 'Relu']),
          );
        } else {
          g.node(name, 'Relu', [inputs[0]]);
        }
        break;
      }
      case 'Max Pooling':
      case 'Average Pooling': {
        const max = layer.type === 'Max Pooling';
        const fill = max && !nonNegative(inputs[0]) ? Number.NEGATIVE_INFINITY : 0;
        g.node(name, max ? 'MaxPool' : 'AvgPool', [pad(name, inputs[0], layer.padding, fill)], {
          T: attr.type('DT_FLOAT'),
          ksize: attr.ints([1, layer.kernel[0], layer.kernel[1], 1]),
          strides: attr.ints([1, layer.stride[0], layer.stride[1], 1]),
          padding: attr.str('VALID'),
          data_format: attr.str('NHWC'),
        });
        break;
      }
      case 'Depth concatenation':
        g.node(name, 'ConcatV2', [...inputs, g.constant(`${name}/axis`, 'int32', [], [3])], {
          T: attr.type('DT_FLOAT'),
          N: attr.int(inputs.length),
          Tidx: attr.type('DT_INT32'),
        });
        break;
      case 'Dropout':
        g.node(name, 'Identity', [inputs[0]]);
        break;
      case 'Global Average Pooling':
        g.node(name, 'Mean', [inputs[0], g.constant(`${name}/axes`, 'int32', [2], [1, 2])], {
          T: attr.type('DT_FLOAT'),
          Tidx: attr.type('DT_INT32'),
          keep_dims: attr.bool(true),
        });
        break;
      case 'Softmax':
        g.node(name, 'Softmax', [inputs[0]]);
        break;
      default: {
        const unhandled: never = layer;
        throw new Error(`unhandled layer type ${(unhandled as LayerSpec).type}`);
      }
    }
  }
  const unused = [...spec.params.keys()].filter((k) => byName.get(k)?.type !== 'Convolution');
  if (unused.length > 0) throw new Error(`parameters for layers that are not convolutions: ${unused.join(', ')}`);

  const shard = g.shard();
  const shardSha256 = sha256(shard);
  const metadata: ModelMetadata = {
    formatVersion: FORMAT_VERSION,
    name: spec.name,
    description: spec.description,
    inputName: INPUT_NAME,
    inputSize: spec.inputSize,
    normalization: spec.normalization,
    reluMode,
    totalLearnables,
    weightsSha256: { [SHARD]: shardSha256 },
    layers: spec.layers,
    classNames: spec.classNames,
  };
  const problem = metadataProblem(JSON.parse(JSON.stringify(metadata)));
  if (problem) throw new Error(`the layer table breaks the model-file contract: ${problem}`);
  const topology = { node: g.nodes, library: {}, versions: { producer: 1 } };
  metadata.contentSha256 = sha256(Buffer.from(contentDigestInput(topology, g.weightSpecs, metadata), 'utf8'));
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'cnn-activations scripts/build-model.ts',
    convertedBy: `cnn-activations build-model format ${FORMAT_VERSION}`,
    modelTopology: topology,
    weightsManifest: [{ paths: [SHARD], weights: g.weightSpecs }],
    userDefinedMetadata: { [METADATA_KEY]: metadata },
  };

  const facts = { numNodes: g.nodes.length, shardBytes: shard.length, shardSha256, totalLearnables };
  const extra = typeof extraFiles === 'function' ? extraFiles(facts) : extraFiles;
  const tmpDir = `${outDir}.tmp-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  writeFileSync(path.join(tmpDir, 'model.json'), JSON.stringify(modelJson));
  writeFileSync(path.join(tmpDir, SHARD), shard);
  for (const [file, content] of Object.entries(extra)) writeFileSync(path.join(tmpDir, file), content);
  const oldDir = `${outDir}.old-${process.pid}`;
  if (existsSync(outDir)) renameSync(outDir, oldDir);
  renameSync(tmpDir, outDir);
  rmSync(oldDir, { recursive: true, force: true });
  return { dir: outDir, ...facts };
}
