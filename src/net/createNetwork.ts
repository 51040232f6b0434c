/**
 * Internal: turns a loaded graph model whose model.json carries `userDefinedMetadata.cnnActivations` (written by
 * scripts/build-model.mjs) into a {@link Network}, and the loading steps shared by the Node and browser entries.
 * Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { assertOptions, typeError } from '../internal/validate.js';
import type { LayerInfo, LayerType, Network, SqueezenetOptions } from './types.js';

const LAYER_TYPES: readonly LayerType[] = [
  'Image Input',
  'Convolution',
  'ReLU',
  'Max Pooling',
  'Depth concatenation',
  'Dropout',
  'Global Average Pooling',
  'Softmax',
];

/** The hint every "the model files are missing or broken" message ends with. */
export const BUILD_HINT =
  'build the model with `npm run build:model` (it reads the weights from ../shared/models/squeezenet_v1.1 or ' +
  'CNN_ACTIVATIONS_WEIGHTS), or pass { modelUrl } pointing at a model.json made by it';

interface Metadata {
  formatVersion: number;
  name: string;
  inputName: string;
  inputSize: [number, number, number];
  normalization: { type: 'zerocenter'; mean: number[] };
  totalLearnables: number;
  layers: Omit<LayerInfo, 'index' | 'matlabIndex'>[];
  classNames: string[];
}

const isIntArray = (v: unknown, n: number) =>
  Array.isArray(v) && v.length === n && v.every((x) => Number.isInteger(x) && x >= 0);

/** Checks the metadata written by build-model.mjs; returns a reason when it is unusable. */
function checkMetadata(meta: unknown): string | null {
  if (meta == null || typeof meta !== 'object') return 'its model.json has no cnnActivations metadata';
  const m = meta as Partial<Metadata>;
  if (m.formatVersion !== 1) return `its metadata has format version ${String(m.formatVersion)}, this library reads 1`;
  if (typeof m.name !== 'string' || typeof m.inputName !== 'string') return 'its metadata lacks name/inputName';
  if (!isIntArray(m.inputSize, 3)) return 'its metadata has no valid inputSize';
  if (!m.normalization || !Array.isArray(m.normalization.mean) || m.normalization.mean.length !== 3) {
    return 'its metadata has no valid normalization';
  }
  if (!Array.isArray(m.classNames) || !m.classNames.every((c) => typeof c === 'string'))
    return 'its metadata lacks classNames';
  if (!Array.isArray(m.layers) || m.layers.length === 0) return 'its metadata lacks the layer table';
  const seen = new Set<string>();
  for (const l of m.layers) {
    if (!l || typeof l.name !== 'string' || !LAYER_TYPES.includes(l.type) || !Array.isArray(l.inputs)) {
      return `its layer table has an invalid entry (${JSON.stringify(l)?.slice(0, 80)})`;
    }
    if (l.inputs.some((i) => !seen.has(i))) return `layer '${l.name}' has an input that does not precede it`;
    if (
      (l.type === 'Convolution' || l.type === 'Max Pooling') &&
      !(isIntArray(l.kernel, 2) && isIntArray(l.stride, 2) && isIntArray(l.padding, 4))
    ) {
      return `layer '${l.name}' lacks kernel/stride/padding`;
    }
    if (l.type === 'Convolution' && !(Number.isInteger(l.numChannels) && Number.isInteger(l.numFilters))) {
      return `layer '${l.name}' lacks numChannels/numFilters`;
    }
    seen.add(l.name);
  }
  return null;
}

/** The model's weight tensors (used to tell whether the model was disposed). */
export function modelWeights(model: GraphModel): tf.Tensor[] {
  const map = (model as unknown as { weights?: Record<string, tf.Tensor[]> }).weights ?? {};
  return Object.values(map).flat();
}

/** Whether a graph model's weights were disposed (`GraphModel` has no flag of its own). */
export function isModelDisposed(model: GraphModel): boolean {
  const w = modelWeights(model);
  return w.length > 0 && w[0].isDisposed;
}

/**
 * Wraps a loaded graph model as a Network. The model must carry the metadata (checked by {@link checkArtifacts}
 * before any tensor was made).
 */
export function createNetwork(model: GraphModel): Network {
  const m = (model.metadata as { cnnActivations: Metadata }).cnnActivations;
  const layers: LayerInfo[] = m.layers.map((l, index) => Object.freeze({ ...l, index, matlabIndex: index + 1 }));
  let disposed = false;
  const net: Network = {
    name: m.name,
    model,
    layers: Object.freeze(layers),
    layerNames: Object.freeze(layers.map((l) => l.name)),
    inputSize: Object.freeze([...m.inputSize]) as unknown as readonly [number, number, number],
    classNames: Object.freeze([...m.classNames]),
    inputName: m.inputName,
    normalization: Object.freeze({ type: 'zerocenter' as const, mean: Object.freeze([...m.normalization.mean]) }),
    totalLearnables: m.totalLearnables,
    dispose() {
      if (disposed) return;
      disposed = true;
      if (!isModelDisposed(model)) model.dispose();
    },
    get isDisposed() {
      return disposed || isModelDisposed(model);
    },
  };
  return Object.freeze(net);
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/**
 * Checks loaded model artifacts before TF.js turns them into tensors: the graph, the weight bytes (their total must
 * match the manifest, or decoding would fail half-way) and our metadata. Returns a reason when they are unusable.
 */
function artifactsProblem(a: tf.io.ModelArtifacts): string | null {
  const topology = a.modelTopology as { node?: { name?: unknown }[]; versions?: unknown } | undefined;
  if (!topology || !Array.isArray(topology.node) || typeof topology.versions !== 'object') {
    return 'its model.json has no GraphDef (modelTopology.node / versions)';
  }
  if (!Array.isArray(a.weightSpecs)) return 'its model.json has no weightsManifest';
  let expected = 0;
  for (const spec of a.weightSpecs) {
    const per = BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (per === undefined) return `weight '${spec.name}' has an unsupported dtype ${spec.dtype}`;
    expected += per * spec.shape.reduce((x, y) => x * y, 1);
  }
  const data = a.weightData;
  const got = data == null ? 0 : Array.isArray(data) ? data.reduce((s, b) => s + b.byteLength, 0) : data.byteLength;
  if (got !== expected)
    return `its weight data has ${got} bytes where the manifest needs ${expected} (truncated or corrupt shard)`;
  const meta = (a.userDefinedMetadata as { cnnActivations?: unknown } | undefined)?.cnnActivations;
  const problem = checkMetadata(meta);
  if (problem) return problem;
  const names = new Set(topology.node.map((n) => n.name));
  const m = meta as Metadata;
  const missing = [m.inputName, ...m.layers.map((l) => l.name)].find((n) => !names.has(n));
  if (missing !== undefined) return `its graph has no node '${missing}'`;
  return null;
}

/**
 * Wraps an IO handler so that what it loads is checked before any tensor is made: a bad model fails with a message
 * saying what is wrong and what to do, and leaves no tensor behind.
 */
export function checkedHandler(fn: string, inner: tf.io.IOHandler, what: string): tf.io.IOHandler {
  return {
    async load() {
      let artifacts: tf.io.ModelArtifacts;
      try {
        artifacts = await inner.load!();
      } catch (err) {
        const msg = (err as Error)?.message ?? String(err);
        if (msg.startsWith(`${fn}:`)) throw err;
        throw new Error(`${fn}: could not load the model from ${what}: ${msg}; ${BUILD_HINT}`);
      }
      const problem = artifacts == null ? 'the IO handler returned nothing' : artifactsProblem(artifacts);
      if (problem)
        throw new Error(
          `${fn}: the model from ${what} is not a usable cnn-activations network: ${problem}; ${BUILD_HINT}`,
        );
      return artifacts;
    },
  };
}

/** Names of every node in a graph model (layers, helper nodes, constants, inputs). */
export function graphNodeNames(model: GraphModel): Set<string> {
  const topology = (model as unknown as { artifacts?: { modelTopology?: { node?: { name: string }[] } } }).artifacts
    ?.modelTopology;
  return new Set((topology?.node ?? []).map((n) => n.name));
}

/** Checks squeezenet()'s options; returns them with `onProgress` checked. */
export function checkLoadOptions(fn: string, options: unknown): SqueezenetOptions {
  const opts = assertOptions<SqueezenetOptions>(fn, options, ['modelUrl', 'ioHandler', 'onProgress']);
  if (opts.modelUrl !== undefined && typeof opts.modelUrl !== 'string' && !(opts.modelUrl instanceof URL)) {
    throw typeError(fn, 'options.modelUrl', 'a string or URL', opts.modelUrl);
  }
  if (typeof opts.modelUrl === 'string' && opts.modelUrl.length === 0) {
    throw typeError(fn, 'options.modelUrl', 'a non-empty string or URL', opts.modelUrl);
  }
  if (
    opts.ioHandler !== undefined &&
    (opts.ioHandler === null || typeof (opts.ioHandler as tf.io.IOHandler).load !== 'function')
  ) {
    throw typeError(fn, 'options.ioHandler', 'a tf.io.IOHandler with a load() method', opts.ioHandler);
  }
  if (opts.ioHandler !== undefined && opts.modelUrl !== undefined) {
    throw new TypeError(`${fn}: pass either 'options.modelUrl' or 'options.ioHandler', not both`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw typeError(fn, 'options.onProgress', 'a function (fraction: number) => void', opts.onProgress);
  }
  return opts;
}

/** Loads a graph model through a (checked) IO handler and wraps it as a Network. */
export async function loadNetwork(fn: string, handler: tf.io.IOHandler, what: string): Promise<Network> {
  const model = await loadGraphModel(checkedHandler(fn, handler, what));
  return createNetwork(model);
}
