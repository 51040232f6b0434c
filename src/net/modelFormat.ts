/**
 * The model-file contract: what a cnn-activations network's `model.json` carries besides the TF.js graph, in one
 * typed home shared by the writer (`scripts/build-model.ts` and its graph writer) and the loader (`loadNetwork.ts`).
 *
 * A network's model.json is a TF.js graph model (`format: 'graph-model'`) whose `userDefinedMetadata.cnnActivations`
 * is a {@link ModelMetadata}: the layer table in MATLAB's order, the input node, size and normalization, the class
 * names, and the sha256 of each weight shard. The graph has one node per layer, named as the layer; helper nodes
 * (constants, explicit padding) are named `<layer>/<suffix>`.
 *
 * Not exported from the package.
 */
import { NORMALIZATION_TYPES, type InputNormalization, type LayerType } from './types.js';

/** The key under `userDefinedMetadata` that holds {@link ModelMetadata}. */
export const METADATA_KEY = 'cnnActivations';

/** The version of the contract this library writes and reads. */
export const FORMAT_VERSION = 1;

/**
 * The layer types a model file can describe: the built-in networks' types, one graph node each. (A `Network` made
 * from another model has more; they are derived from that model, never written to a file.)
 */
export const FILE_LAYER_TYPES = [
  'Image Input',
  'Convolution',
  'ReLU',
  'Max Pooling',
  'Average Pooling',
  'Depth concatenation',
  'Dropout',
  'Global Average Pooling',
  'Softmax',
] as const satisfies readonly LayerType[];

/** A layer type a model file can describe. */
export type FileLayerType = (typeof FILE_LAYER_TYPES)[number];

interface FileLayerBase<T extends FileLayerType> {
  /** The layer's name, which is also its graph node's name. */
  name: string;
  /** MATLAB's display type. */
  type: T;
  /** MATLAB's one-line description. */
  description: string;
  /** The layers feeding this one. */
  inputs: string[];
}

/** A convolution as the file describes it (explicit padding, no dilation). */
export interface FileConvolutionSpec extends FileLayerBase<'Convolution'> {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
  numChannels: number;
  numFilters: number;
}

/** A pooling layer as the file describes it (explicit padding). */
export interface FilePoolingSpec extends FileLayerBase<'Max Pooling' | 'Average Pooling'> {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number, number, number];
}

/** A layer described by its type alone. */
export type FileSimpleSpec = FileLayerBase<Exclude<FileLayerType, 'Convolution' | 'Max Pooling' | 'Average Pooling'>>;

/** A layer as the model file describes it; the loader derives the rest of its `LayerInfo` (sizes, learnables). */
export type LayerSpec = FileConvolutionSpec | FilePoolingSpec | FileSimpleSpec;

/** `userDefinedMetadata.cnnActivations` of a network's model.json. */
export interface ModelMetadata {
  /** {@link FORMAT_VERSION}. */
  formatVersion: typeof FORMAT_VERSION;
  /** The network's name (`Network.name`). */
  name: string;
  /** A sentence for people reading the file. */
  description?: string;
  /** The graph's input node: raw RGB pixels 0..255, NHWC, float32. */
  inputName: string;
  /** The size the network was trained at, `[h, w, c]`. */
  inputSize: [number, number, number];
  /** What the input layer does to the pixels (the graph does it: this is its description). */
  normalization: InputNormalization;
  /** The number of learnable values. */
  totalLearnables: number;
  /** How ReLU layers after convolutions were written: fused into a second convolution node, or separate. */
  reluMode?: 'fused' | 'separate';
  /** sha256 (hex) of each weight shard, by its path in the weights manifest. */
  weightsSha256?: Record<string, string>;
  /**
   * sha256 (hex) of {@link contentDigestInput}: the graph, the weight list and this metadata without this field, so
   * that an edit of model.json (two weights swapped, class names cut) is found at load.
   */
  contentSha256?: string;
  /** The layers in MATLAB's order; the first is the `'Image Input'` layer. */
  layers: LayerSpec[];
  /** The class names, in the order of the network's output. */
  classNames: string[];
}

const isIntArray = (v: unknown, n: number, min = 0) =>
  Array.isArray(v) && v.length === n && v.every((x) => Number.isInteger(x) && x >= min);

const isFiniteArray = (v: unknown, n: number) =>
  Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Why a normalization is unusable for `channels` input channels, or null. */
export function normalizationProblem(n: unknown, channels: number): string | null {
  if (n == null || typeof n !== 'object') return 'it is not an object';
  const norm = n as Record<string, unknown>;
  const type = norm.type;
  if (typeof type !== 'string' || !(NORMALIZATION_TYPES as readonly string[]).includes(type)) {
    return `its type ${JSON.stringify(type)} is not one of ${NORMALIZATION_TYPES.map((t) => `'${t}'`).join(', ')}`;
  }
  const fields: Record<string, string[]> = {
    none: [],
    zerocenter: ['mean'],
    zscore: ['mean', 'standardDeviation'],
    'rescale-symmetric': ['min', 'max'],
    'rescale-zero-one': ['min', 'max'],
  };
  for (const f of fields[type]) {
    if (!isFiniteArray(norm[f], channels)) return `its '${f}' is not ${channels} finite numbers`;
  }
  if (type === 'zscore' && (norm.standardDeviation as number[]).some((s) => s <= 0)) {
    return "its 'standardDeviation' has a value <= 0";
  }
  if (type.startsWith('rescale') && (norm.min as number[]).some((m, i) => m >= (norm.max as number[])[i])) {
    return "its 'min' is not below its 'max' in every channel";
  }
  return null;
}

/** Why one layer entry is unusable (`seen`: the names of the layers before it), or null. */
function layerProblem(l: Partial<Record<string, unknown>> | null, seen: Set<string>): string | null {
  if (!l || typeof l.name !== 'string' || l.name === '' || !Array.isArray(l.inputs)) {
    return `its layer table has an invalid entry (${JSON.stringify(l)?.slice(0, 80)})`;
  }
  const type = l.type as FileLayerType;
  if (!FILE_LAYER_TYPES.includes(type)) return `layer '${l.name}' has an unknown type ${JSON.stringify(l.type)}`;
  if (typeof l.description !== 'string') return `layer '${l.name}' has no description`;
  if (seen.has(l.name)) return `layer '${l.name}' appears twice`;
  if (l.inputs.some((i) => typeof i !== 'string' || !seen.has(i))) {
    return `layer '${l.name}' has an input that does not precede it`;
  }
  const arity = type === 'Image Input' ? 0 : type === 'Depth concatenation' ? -1 : 1;
  if (arity >= 0 && l.inputs.length !== arity) return `layer '${l.name}' must have ${arity} input(s)`;
  if (arity < 0 && l.inputs.length < 1) return `layer '${l.name}' must have at least one input`;
  const hasGeometry = () => isIntArray(l.kernel, 2, 1) && isIntArray(l.stride, 2, 1) && isIntArray(l.padding, 4);
  switch (type) {
    case 'Convolution':
      if (!(Number.isInteger(l.numChannels) && Number.isInteger(l.numFilters))) {
        return `layer '${l.name}' lacks numChannels/numFilters`;
      }
      return hasGeometry() ? null : `layer '${l.name}' lacks kernel/stride/padding`;
    case 'Max Pooling':
    case 'Average Pooling':
      return hasGeometry() ? null : `layer '${l.name}' lacks kernel/stride/padding`;
    case 'Image Input':
    case 'ReLU':
    case 'Depth concatenation':
    case 'Dropout':
    case 'Global Average Pooling':
    case 'Softmax':
      return null;
    default: {
      const unhandled: never = type;
      return `layer '${l.name}' has an unhandled type ${String(unhandled)}`;
    }
  }
}

/** Checks {@link ModelMetadata} read from a model file; returns why it is unusable, or null. */
export function metadataProblem(meta: unknown): string | null {
  if (meta == null || typeof meta !== 'object') return `its model.json has no ${METADATA_KEY} metadata`;
  const m = meta as Partial<Record<keyof ModelMetadata, unknown>>;
  if (m.formatVersion !== FORMAT_VERSION) {
    return `its metadata has format version ${String(m.formatVersion)}, this library reads ${FORMAT_VERSION}`;
  }
  if (typeof m.name !== 'string' || typeof m.inputName !== 'string') return 'its metadata lacks name/inputName';
  if (!isIntArray(m.inputSize, 3, 1)) return 'its metadata has no valid inputSize';
  const channels = (m.inputSize as number[])[2];
  const normProblem = normalizationProblem(m.normalization, channels);
  if (normProblem) return `its metadata has no valid normalization (${normProblem})`;
  if (!Array.isArray(m.classNames) || !m.classNames.every((c) => typeof c === 'string')) {
    return 'its metadata lacks classNames';
  }
  if (typeof m.totalLearnables !== 'number' || !Number.isInteger(m.totalLearnables) || m.totalLearnables < 0) {
    return 'its metadata lacks totalLearnables';
  }
  if (!Array.isArray(m.layers) || m.layers.length === 0) return 'its metadata lacks the layer table';
  if ((m.layers[0] as { type?: unknown })?.type !== 'Image Input') return 'its first layer is not an Image Input layer';
  const seen = new Set<string>();
  for (const l of m.layers) {
    const problem = layerProblem(l as Partial<Record<string, unknown>> | null, seen);
    if (problem) return problem;
    seen.add((l as { name: string }).name);
  }
  return null;
}

/**
 * The text whose sha256 is `contentSha256`: the graph, the flat weight list (the manifest's entries in order) and the
 * metadata without `contentSha256`, as JSON in the order model.json holds them.
 */
export function contentDigestInput(topology: unknown, weightSpecs: unknown[], meta: ModelMetadata): string {
  return JSON.stringify([topology, weightSpecs, { ...meta, contentSha256: undefined }]);
}
