/**
 * The {@link Network} object and its guard: `createNetwork` wraps a loaded graph model and its metadata, and
 * `assertNetwork` is the one answer to "is this a live Network?" that every function taking a network asks.
 * Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { typeError } from '../internal/validate.js';
import type { ModelMetadata } from './modelFormat.js';
import type { InputNormalization, LayerInfo, Network } from './types.js';

/**
 * Marks the objects made by {@link createNetwork}. A registered symbol, so that a network made by one copy of the
 * library (its ESM build, say) is recognised by another (its CJS build) in the same process.
 */
const NETWORK_BRAND = Symbol.for('cnn-activations.Network');

/** The model's weight tensors (`GraphModel.weights`, public TF.js API). */
export function modelWeights(model: GraphModel): tf.Tensor[] {
  return Object.values(model.weights ?? {}).flat();
}

/** Whether a graph model's weights were disposed (`GraphModel` has no flag of its own). */
export function isModelDisposed(model: GraphModel): boolean {
  const w = modelWeights(model);
  return w.length > 0 && w[0].isDisposed;
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

/**
 * Wraps a loaded graph model as a Network. `meta` must have passed `metadataProblem` and name only nodes of the graph
 * (the loader checks both before any tensor is made). The Network and everything in it are deeply frozen.
 */
export function createNetwork(model: GraphModel, meta: ModelMetadata): Network {
  const layers = meta.layers.map((l, index) => ({ ...copyData(l), index, matlabIndex: index + 1 }) as LayerInfo);
  let disposed = false;
  const net: Network = {
    name: meta.name,
    model,
    layers,
    layerNames: layers.map((l) => l.name),
    inputSize: [...meta.inputSize] as [number, number, number],
    classNames: [...meta.classNames],
    inputName: meta.inputName,
    normalization: copyData(meta.normalization) as InputNormalization,
    totalLearnables: meta.totalLearnables,
    dispose() {
      if (disposed) return;
      disposed = true;
      if (!isModelDisposed(model)) model.dispose();
    },
    get isDisposed() {
      return disposed || isModelDisposed(model);
    },
  };
  Object.defineProperty(net, NETWORK_BRAND, { value: true });
  for (const key of ['layers', 'layerNames', 'inputSize', 'classNames', 'normalization'] as const) deepFreeze(net[key]);
  return Object.freeze(net);
}

/** Whether `value` is a Network made by a network loader of this library (live or disposed). */
export function isNetwork(value: unknown): value is Network {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NETWORK_BRAND] === true;
}

/** The message for a disposed network, the same from every function. */
export function disposedNetworkMessage(fn: string): string {
  return `${fn}: 'net' has been disposed; load the network again`;
}

/**
 * Checks that `net` is a live Network; returns it typed. `also` names what else the function accepts, for the
 * message (e.g. `'a tf.GraphModel'`), when the caller handles that case before asking.
 * @throws {TypeError} for anything else, or a disposed network.
 */
export function assertNetwork(fn: string, net: unknown, also?: string): Network {
  if (!isNetwork(net)) {
    throw typeError(fn, 'net', also ? `a loaded Network or ${also}` : 'a loaded Network', net);
  }
  if (net.isDisposed) throw new TypeError(disposedNetworkMessage(fn));
  return net;
}
