/**
 * A network's layers as plain, differentiable TF.js operations, for the methods that need gradients (Grad-CAM, deep
 * dream). The graph model's own nodes fuse convolution, bias and ReLU, whose gradient computes the filter's gradient
 * too, which the wasm backend cannot; here each layer of the layer table is rebuilt from the model's weights with
 * operations whose input gradients `gradients.ts` provides on every backend. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { ensureGradients, FLAT_OPERATIONS } from './gradients.js';
import { layersFeeding } from './graph.js';
import { disposedNetworkMessage, engineOf } from './network.js';
import { applyNormalization } from './normalization.js';
import { wrapError } from '../internal/validate.js';
import { releaseFailedTape } from './tfjsInternals.js';
import type { LayerInfo, Network } from './types.js';

/** A part of a network between two layers, as a function of the first one's activations. */
export interface Segment {
  /** The layers computed, in order (those after `from` that `to` depends on and that depend on `from`). */
  layers: readonly LayerInfo[];
  /** Layers outside the segment whose outputs it reads (they do not depend on `from`): give their activations. */
  sideInputs: readonly string[];
  /**
   * The output of `to` for activations of `from` (and of `sideInputs`, by name). Differentiable with respect to
   * `fromValue`. Call it inside `tf.grad`, `tf.tidy` or similar: it makes intermediate tensors.
   */
  run(fromValue: tf.Tensor, sideValues?: ReadonlyMap<string, tf.Tensor>): tf.Tensor;
}

/**
 * The layers whose values the output of layer `to` moves with (`to` included): those with a way to it that passes no
 * operation flat in its inputs (`FLAT_OPERATIONS`: an `ArgMax`, a comparison, a rounding, a `Shape`). A layer that
 * reaches `to` only through such operations has no gradient there, so Grad-CAM at it would give an empty map.
 */
export function layersMoving(net: Network, to: string): ReadonlySet<string> {
  const moving = layersFeeding(net.layers, [to], (l) => !FLAT_OPERATIONS.has(l.originalType));
  return new Set(moving.map((l) => l.name));
}

/**
 * The gradient of the scalar `f(x)` with respect to `x`, through `net`. Where the network uses an operation whose
 * gradient no package registered (the library registers those of the operations converted networks commonly use;
 * `@tensorflow/tfjs-layers` and `@tensorflow/tfjs` register TF.js's for every operation), the error names the
 * operation and the fix instead of TF.js's bare "gradient function not found"; where `f` does not depend on the values
 * of `x` at all (a layer computed from the input's size: a graph's `Shape`), a RangeError says so in the words of
 * `names` (what `f` and `x` are, for the reader) instead of TF.js's "Cannot compute gradient of y=f(x)". Any other
 * error TF.js throws on the way names the function and the network, as `runGraph`'s do.
 */
export function inputGradient(
  fn: string,
  net: Network,
  f: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  names: { of: string; wrt: string },
): tf.Tensor {
  return differentiate(fn, net, names, () => tf.grad(f)(x));
}

/**
 * {@link inputGradient}, and the value `f(x)` from the same pass: where a score must be finite for its gradient to
 * mean anything (a backend may turn NaN into finite numbers on the way back).
 */
export function inputValueAndGradient(
  fn: string,
  net: Network,
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  names: { of: string; wrt: string },
): { value: tf.Scalar; grad: tf.Tensor } {
  return differentiate(fn, net, names, () => tf.valueAndGrad(f)(x));
}

/** Runs TF.js's differentiation `compute`, turning its errors into the messages {@link inputGradient} describes. */
function differentiate<T>(fn: string, net: Network, names: { of: string; wrt: string }, compute: () => T): T {
  if (net.isDisposed) throw new TypeError(disposedNetworkMessage(fn, true));
  try {
    return compute();
  } catch (err) {
    releaseFailedTape();
    const text = err instanceof Error ? err.message : '';
    if (text.startsWith('Cannot compute gradient of y=f(x) with respect to x')) {
      throw new RangeError(
        `${fn}: ${names.of} does not depend on the values of ${names.wrt}, only on its size or on constants (a ` +
          'Shape operation on the way), so it has no gradient to follow; choose a layer computed from them',
        { cause: err },
      );
    }
    const missing = /gradient function not found for (\w+)/.exec(text);
    if (!missing) throw wrapError(fn, `${net.name} could not compute the gradient through its layers`, err);
    // TF.js's own gradients are loaded (Asinh's is one of them, and the library registers none for it): the operation
    // has no gradient anywhere, and asking for a package already loaded would send the reader in a circle.
    if (tf.getGradient(tf.Asinh)) {
      throw new TypeError(
        `${fn}: ${net.name} uses the TF.js operation '${missing[1]}', which has no gradient in TF.js; gradCAM, ` +
          'gradientAttribution and deepDreamImage cannot look through it (occlusionSensitivity and imageLIME need no ' +
          'gradient)',
        { cause: err },
      );
    }
    throw new TypeError(
      `${fn}: ${net.name} uses the TF.js operation '${missing[1]}', whose gradient is not registered; ` +
        "import '@tensorflow/tfjs-layers' (or '@tensorflow/tfjs') once in your program, which registers TF.js's " +
        'gradients for every operation',
      { cause: err },
    );
  }
}

/** The weight tensor `name` of the network's graph model. */
function weight(net: Network, name: string): tf.Tensor {
  const w = (net.model as GraphModel).weights[name]?.[0];
  if (!w) throw new Error(`${net.name}: its graph has no weight '${name}'`);
  return w;
}

const pads = (p: readonly number[]) =>
  [
    [0, 0],
    [p[0], p[1]],
    [p[2], p[3]],
    [0, 0],
  ] as [number, number][];

/** One layer's output from its inputs' outputs, with plain operations. */
function layerOp(net: Network, l: LayerInfo, inputs: tf.Tensor[]): tf.Tensor {
  const x = inputs[0];
  switch (l.type) {
    case 'Image Input':
      return applyNormalization(x, net.normalization);
    case 'Convolution': {
      const padded = l.padding.some((p) => p > 0) ? tf.pad(x, pads(l.padding)) : x;
      const y = tf.conv2d(
        padded as tf.Tensor4D,
        weight(net, `${l.name}/weights`) as tf.Tensor4D,
        l.stride as [number, number],
        'valid',
      );
      return tf.add(y, weight(net, `${l.name}/bias`));
    }
    case 'ReLU':
      return tf.relu(x);
    case 'Max Pooling':
    case 'Average Pooling': {
      const max = l.type === 'Max Pooling';
      const padded = l.padding.some((p) => p > 0) ? tf.pad(x, pads(l.padding), max ? Number.NEGATIVE_INFINITY : 0) : x;
      const args = [l.kernel as [number, number], l.stride as [number, number], 'valid'] as const;
      return max ? tf.maxPool(padded as tf.Tensor4D, ...args) : tf.avgPool(padded as tf.Tensor4D, ...args);
    }
    case 'Depth concatenation':
      return tf.concat(inputs, 3);
    case 'Dropout':
      return x;
    case 'Global Average Pooling':
      return tf.mean(x, [1, 2], true);
    case 'Softmax':
      return tf.softmax(x);
    case 'Grouped Convolution':
    case 'Fully Connected':
    case 'Batch Normalization':
    case 'Layer Normalization':
    case 'Group Normalization':
    case 'Clipped ReLU':
    case 'Leaky ReLU':
    case 'ELU':
    case 'Sigmoid':
    case 'Tanh':
    case 'Addition':
    case 'Multiplication':
    case 'Global Max Pooling':
    case 'Flatten':
    case 'Padding':
    case 'Transposed Convolution':
    case 'Resize':
    case 'Crop 2D':
    case 'Network':
    case 'Function':
    case 'Other':
      // Only networks described by a model file come here; they have none of these.
      throw new Error(`${net.name}: layer '${l.name}' (${l.type}) cannot be run as plain operations`);
    default: {
      const unhandled: never = l;
      throw new Error(`unhandled layer type ${(unhandled as LayerInfo).type}`);
    }
  }
}

/**
 * The segment of `net` from layer `from` (exclusive: its activations are the argument) to layer `to` (inclusive).
 * With `from` null, the segment starts at the raw input (the image, batched `[n, h, w, c]`).
 */
export function segment(net: Network, from: string | null, to: string): Segment {
  ensureGradients();
  const engine = engineOf(net);
  if (net.kind !== 'built-in' && !engine.runFrom) {
    throw new TypeError(`${net.name}: this network cannot be run from a layer's activations, which gradients need`);
  }
  const byName = new Map(net.layers.map((l) => [l.name, l]));
  const inputName = net.layers[0].name;
  // What `to` depends on, and which of those depend on `from`.
  const needed = new Set<string>();
  // An explicit stack, not recursion: a graph may be many thousands of layers deep.
  const stack = [to];
  for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
    if (needed.has(name) || name === from) continue;
    needed.add(name);
    const l = byName.get(name);
    for (const i of l?.inputs ?? []) stack.push(i);
    if (l?.type === 'Network') stack.push(l.outputLayer);
  }
  const dependsOnFrom = new Map<string, boolean>();
  for (const l of net.layers) {
    dependsOnFrom.set(
      l.name,
      l.name === from ||
        (from === null && l.name === inputName) ||
        l.inputs.some((i) => dependsOnFrom.get(i)) ||
        (l.type === 'Network' && dependsOnFrom.get(l.outputLayer) === true),
    );
  }
  const layers = net.layers.filter((l) => needed.has(l.name) && dependsOnFrom.get(l.name));
  const inSegment = new Set(layers.map((l) => l.name));
  const sideInputs = [...new Set(layers.flatMap((l) => l.inputs).filter((i) => i !== from && !inSegment.has(i)))];
  return {
    layers,
    sideInputs,
    run(fromValue, sideValues = new Map()) {
      if (engine.runFrom) {
        const feeds = new Map<string, tf.Tensor>(sideValues);
        feeds.set(from ?? inputName, fromValue);
        return engine.runFrom(feeds, to);
      }
      const values = new Map<string, tf.Tensor>(sideValues);
      if (from !== null) values.set(from, fromValue);
      for (const l of layers) {
        const inputs = l.type === 'Image Input' ? [fromValue] : l.inputs.map((i) => values.get(i)!);
        values.set(l.name, layerOp(net, l, inputs));
      }
      return values.get(to)!;
    },
  };
}
