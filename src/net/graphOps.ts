/**
 * Graph operations that TF.js's converter runs by another rule than TensorFlow's, run by TensorFlow's in the graph
 * models the library makes networks of. Not exported from the package.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { registerOp } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { rerouteGraphOp } from './tfjsInternals.js';

/** The name the library's TensorFlow 1 `Select` is registered under (a name no TensorFlow operation has). */
const SELECT_V1 = 'cnn-activations/Select';

let registered = false;

/**
 * TensorFlow 1's `Select(condition, t, e)`: a condition of `t`'s shape picks elements, a scalar picks all, and a vector
 * picks rows (its length is `t`'s first dimension). TF.js's converter runs it as `SelectV2`, which broadcasts the
 * condition from the last axis: a vector condition picks columns of a square `t`, silently, and fails on others. The
 * vector is made a column here, which broadcasts over the rows' other axes.
 */
function selectV1(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [condition, t, e] = node.inputs;
  return [
    tf.tidy(() => {
      if (condition.rank !== 1 || t.rank < 2) return tf.where(condition, t, e);
      const column = tf.reshape(condition, [condition.shape[0], ...new Array<number>(t.rank - 1).fill(1)]);
      return tf.where(column, t, e);
    }),
  ];
}

/**
 * Makes `model` run its operations by TensorFlow's rules where TF.js's converter does not: its `Select` nodes (the
 * TensorFlow 1 operation, not `SelectV2`). Changes the model itself, so it runs so when run bare too.
 */
export function fixGraphOps(model: GraphModel): void {
  if (!registered) {
    registerOp(SELECT_V1, selectV1);
    registered = true;
  }
  rerouteGraphOp(model, 'Select', SELECT_V1);
}
