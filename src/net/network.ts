/**
 * The {@link Network} object and its guard: `createNetwork` wraps a loaded graph model and its metadata, and
 * `assertNetwork` is the one answer to "is this a live Network?" that every function taking a network asks.
 * Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { typeError } from '../internal/validate.js';
import { plannedRun } from './graphPlan.js';
import { isGraphModel, wrappedModelNote } from './modelKinds.js';
import { layerShapes } from './layerShapes.js';
import type { LayerSpec, ModelMetadata } from './modelFormat.js';
import type { InputNormalization, LayerInfo, Network, NetworkKind } from './types.js';

/**
 * How a network runs: what differs between a built-in network (a graph with its normalization inside), a user's
 * GraphModel and a user's Keras model. Kept beside each Network (never on it), so that the public object stays plain.
 */
export interface NetworkEngine {
  /**
   * Runs the model on raw pixels `[n, h, w, c]` (float32 or the input's dtype) to the given layers' outputs (names
   * from `net.layers`), applying the input normalization first. The caller runs it inside `tf.tidy`.
   */
  run(input: tf.Tensor, layers: readonly string[]): tf.Tensor[];
  /**
   * The output shapes `run` would give for the layers, from a pass that frees each tensor once nothing reads it (a
   * few layers' outputs at a time, not all of them). Absent, or null for a model it cannot run so; call inside
   * `tf.tidy`.
   */
  measure?(input: tf.Tensor, layers: readonly string[]): number[][] | null;
  /** The model's own tensors (weights): never handed to a caller as a result. */
  ownTensors(): tf.Tensor[];
  /** The learnable tensors of one layer, by MATLAB's names (`Weights`, `Bias`, `Scale`, `Offset`, …). */
  learnables(layer: LayerInfo): Record<string, tf.Tensor>;
  /** Whether the model's weights were freed. */
  isDisposed(): boolean;
  /** Frees the model's weights. */
  dispose(): void;
  /**
   * For the gradient-based methods: runs from fed layer outputs (`feeds`, by layer name, each one's activations) to
   * `to`, recording every operation on TF.js's gradient tape. Absent where the model cannot be run this way.
   */
  runFrom?(feeds: ReadonlyMap<string, tf.Tensor>, to: string): tf.Tensor;
  /**
   * The activation a layer applies inside itself (a Keras layer's `activation`: `'softmax'`, `'sigmoid'`,
   * `'linear'`…), which the layer table does not show as a layer of its own. Absent, or null, where there is none.
   */
  activationOf?(layer: string): string | null;
  /**
   * The layers whose output has no batch axis (a graph of batch 1 that squeezed or unstacked it away, as MoveNet's
   * keypoint decoding does): one image's result, not a map per image that a gradient method could weigh.
   */
  batchless?: ReadonlySet<string>;
}

/**
 * A layer as a network's maker describes it: without its indices, and with `outputSizes` only for a layer of several
 * outputs ({@link indexLayers} completes it).
 */
export type PartialLayer = OmitEach<LayerInfo, 'index' | 'matlabIndex' | 'numOutputs' | 'outputSizes'> & {
  outputSizes?: readonly (readonly number[])[];
};

/** `Omit` for each member of a union (TypeScript's `Omit` keeps only the keys that every member has). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** The layer table of a network: each layer's 0-based and MATLAB's index, and its outputs (one unless it says). */
export function indexLayers(layers: readonly PartialLayer[]): LayerInfo[] {
  return layers.map((l, index) => {
    const outputSizes = l.outputSizes ?? [l.outputSize];
    return { ...l, index, matlabIndex: index + 1, numOutputs: outputSizes.length, outputSizes } as LayerInfo;
  });
}

/** What {@link createNetwork} needs to know of a network, whatever made it. */
export interface NetworkParts {
  name: string;
  kind: NetworkKind;
  model: GraphModel | LayersModel;
  /** The layers in order, without their indices. */
  layers: PartialLayer[];
  inputSize: [number, number, number];
  classNames: string[];
  inputName: string;
  normalization: InputNormalization;
  engine: NetworkEngine;
}

const engines = new WeakMap<object, NetworkEngine>();

/** How `net` runs (a Network made by {@link createNetwork}). */
export function engineOf(net: Network): NetworkEngine {
  const e = engines.get(net);
  if (!e) throw new TypeError('internal: a Network without an engine');
  return e;
}

/**
 * Marks the objects made by {@link createNetwork}. A registered symbol, so that a network made by one copy of the
 * library (its ESM build, say) is recognised by another (its CJS build) in the same process.
 */
const NETWORK_BRAND = Symbol.for('cnn-activations.Network');

/** The model's weight tensors (`GraphModel.weights`, public TF.js API). */
export function modelWeights(model: GraphModel): tf.Tensor[] {
  const map = model.weights ?? {};
  let list = weightLists.get(map);
  if (!list) {
    list = Object.values(map).flat();
    weightLists.set(map, list);
  }
  return [...list];
}

/** Each weight map's tensors, listed once: listing a map of 52 took 50 µs of every pass. */
const weightLists = new WeakMap<object, tf.Tensor[]>();

/** Whether a graph model's weights were disposed (`GraphModel` has no flag of its own). */
export function isModelDisposed(model: GraphModel): boolean {
  const weights = model.weights ?? {};
  // The first weight tells (a model frees all of them at once); no list of all of them is made.
  for (const name in weights) if (weights[name].length > 0) return weights[name][0].isDisposed;
  return false;
}

/** Freezes `value` and everything reachable from it (plain objects and arrays only). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** A deep copy of plain data (numbers, strings, arrays, plain objects), so that freezing it never touches the input. */
function copyData<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** MATLAB's layer class for each type a model file describes. */
const MATLAB_CLASS: Record<LayerSpec['type'], string> = {
  'Image Input': 'ImageInputLayer',
  Convolution: 'Convolution2DLayer',
  ReLU: 'ReLULayer',
  'Max Pooling': 'MaxPooling2DLayer',
  'Average Pooling': 'AveragePooling2DLayer',
  'Depth concatenation': 'DepthConcatenationLayer',
  Dropout: 'DropoutLayer',
  'Global Average Pooling': 'GlobalAveragePooling2DLayer',
  Softmax: 'SoftmaxLayer',
};

/**
 * The full layer table of a network described by a model file: the file's layers plus what follows from them
 * (output sizes at the input size, learnable counts, the graph node, MATLAB's class).
 */
export function layersFromSpecs(
  specs: readonly LayerSpec[],
  inputSize: readonly [number, number, number],
): PartialLayer[] {
  const partial = specs.map((l) => {
    const base = { ...copyData(l), nodeName: l.name, originalType: MATLAB_CLASS[l.type], outputSize: [] };
    if (l.type === 'Convolution') {
      const [kh, kw] = l.kernel;
      const numLearnables = kh * kw * l.numChannels * l.numFilters + l.numFilters;
      return { ...base, dilation: [1, 1], paddingMode: 'manual', numLearnables };
    }
    if (l.type === 'Max Pooling' || l.type === 'Average Pooling') {
      return { ...base, paddingMode: 'manual', numLearnables: 0 };
    }
    return { ...base, numLearnables: 0 };
  }) as unknown as LayerInfo[];
  const shapes = layerShapes(partial, inputSize, false);
  return partial.map((l) => ({ ...l, outputSize: shapes.get(l.name) ?? [] }));
}

/** Wraps a model as a Network, with the engine that runs it. The Network and everything in it are deeply frozen. */
export function createNetwork(parts: NetworkParts): Network {
  const layers = indexLayers(parts.layers);
  const { engine } = parts;
  let disposed = false;
  const net: Network = {
    name: parts.name,
    kind: parts.kind,
    model: parts.model,
    layers,
    layerNames: layers.map((l) => l.name),
    inputSize: [...parts.inputSize] as [number, number, number],
    classNames: [...parts.classNames],
    inputName: parts.inputName,
    normalization: parts.normalization,
    totalLearnables: layers.reduce((s, l) => s + l.numLearnables, 0),
    dispose() {
      if (disposed) return;
      disposed = true;
      if (!engine.isDisposed()) engine.dispose();
    },
    get isDisposed() {
      return disposed || engine.isDisposed();
    },
  };
  Object.defineProperty(net, NETWORK_BRAND, { value: true });
  for (const key of ['layers', 'layerNames', 'inputSize', 'classNames', 'normalization'] as const) deepFreeze(net[key]);
  engines.set(net, engine);
  return Object.freeze(net);
}

/** The engine of a built-in network: its graph carries the normalization and has one node per layer. */
export function graphEngine(model: GraphModel, inputName: string): NetworkEngine {
  return {
    run: plannedRun(model, inputName),
    ownTensors: () => modelWeights(model),
    learnables: (l) => {
      const out: Record<string, tf.Tensor> = {};
      const w = model.weights[`${l.name}/weights`]?.[0];
      const b = model.weights[`${l.name}/bias`]?.[0];
      if (w) out.Weights = w;
      if (b) out.Bias = b;
      return out;
    },
    isDisposed: () => isModelDisposed(model),
    dispose: () => model.dispose(),
  };
}

/** Wraps a loaded built-in network's graph model and its checked metadata as a Network. */
export function createBuiltinNetwork(model: GraphModel, meta: ModelMetadata): Network {
  return createNetwork({
    name: meta.name,
    kind: 'built-in',
    model,
    layers: layersFromSpecs(meta.layers, meta.inputSize),
    inputSize: meta.inputSize,
    classNames: meta.classNames,
    inputName: meta.inputName,
    normalization: copyData(meta.normalization) as InputNormalization,
    engine: graphEngine(model, meta.inputName),
  });
}

/** Whether `value` is a Network made by a network loader of this library (live or disposed). */
export function isNetwork(value: unknown): value is Network {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NETWORK_BRAND] === true;
}

/**
 * The message for a disposed network, the same from every function; `during`: it was disposed while the call ran
 * (between the passes of a long method, at one of its awaits).
 */
export function disposedNetworkMessage(fn: string, during = false): string {
  return `${fn}: 'net' ${during ? 'was disposed while the call ran' : 'has been disposed'}; load the network again`;
}

/**
 * Checks that `net` is a live Network; returns it typed. `also` names what else the function accepts, for the
 * message (e.g. `'a tf.GraphModel'`), when the caller handles that case before asking.
 * @throws {TypeError} for anything else, or a disposed network.
 */
export function assertNetwork(fn: string, net: unknown, also?: string): Network {
  if (!isNetwork(net)) {
    const err = typeError(fn, 'net', also ? `a loaded Network or ${also}` : 'a loaded Network', net);
    const takes = also?.includes('GraphModel') ? 'network-or-graph' : 'network';
    const loaded = takes === 'network' && isGraphModel(net) ? ': make a Network of it with toNetwork' : '';
    throw new TypeError(err.message + (loaded || wrappedModelNote(net, takes)));
  }
  if (net.isDisposed) throw new TypeError(disposedNetworkMessage(fn));
  return net;
}
