/**
 * `learnables(net, layer)`: a layer's weights as tensors, MATLAB's `net.Layers(k).Weights` and `.Bias`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveLayer, resolveTarget } from './graph.js';
import { engineOf } from './network.js';
import type { LayerRef } from './graph.js';
import type { Network } from './types.js';

const FN = 'learnables';

/**
 * The learnable tensors of one layer, by MATLAB's property names: `Weights` and `Bias` for convolutions and fully
 * connected layers, `Scale`, `Offset`, `TrainedMean`, `TrainedVariance` for batch normalization, in TensorFlow's
 * layout (a convolution's `Weights` is `[h, w, Cin, F]`, as MATLAB's h×w×Cin×F). A layer without learnables gives
 * `{}`. `learnables(net, 'conv1').Weights` is MATLAB's `net.Layers(2).Weights` when `'conv1'` is layer index 1.
 *
 * @param net A loaded network.
 * @param layer A layer name or 0-based index (`net.layers`).
 * @returns Copies the caller owns (dispose them, e.g. `tf.dispose(Object.values(w))`); the network keeps its own.
 * @throws {TypeError} for a non-network or a disposed one, or a layer that is neither a string nor an integer.
 * @throws {RangeError} for an unknown layer name (with the closest names) or an index out of range.
 * @example
 * const { Weights, Bias } = learnables(net, 'conv1'); // [3, 3, 3, 64] and [64]
 */
export function learnables(net: Network, layer: LayerRef): Record<string, tf.Tensor> {
  const t = resolveTarget(FN, net, false);
  const name = resolveLayer(FN, t, layer, 'layer');
  const info = t.net!.layers.find((l) => l.name === name)!;
  const own = engineOf(t.net!).learnables(info);
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(own)) out[k] = tf.clone(v);
  return out;
}
