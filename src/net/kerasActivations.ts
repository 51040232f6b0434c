/**
 * Keras activation functions that tfjs-layers does not have, registered with it before it reads a Keras model file:
 * without them a layer such as `Conv2D(..., activation='leaky_relu')` (a Keras 3 idiom) or Keras 2's
 * `activation='exponential'` stopped the file from loading ("Unknown activation"). Each computes what Keras's
 * TensorFlow backend computes, with Keras's default settings (an activation given by name takes no others). Not
 * exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

type Fn = (x: tf.Tensor) => tf.Tensor;

/**
 * The name a Keras 3 file's `hard_sigmoid` is renamed to before tfjs-layers reads it: Keras 3's is `relu6(x + 3) / 6`,
 * where tfjs-layers's `hard_sigmoid` (Keras 2's) is `clip(0.2 x + 0.5, 0, 1)`.
 */
export const KERAS3_HARD_SIGMOID = 'hard_sigmoid_keras3';

/** Keras 3's `hard_sigmoid`: `relu6(x + 3) / 6`. */
const hardSigmoid3: Fn = (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);

/** `x` where `keep` holds, 0 elsewhere (NaN included, as Keras's `where` gives). */
const zeroUnless = (keep: tf.Tensor, x: tf.Tensor) => tf.where(keep, x, tf.zerosLike(x));

/**
 * The functions, under the names tfjs-layers looks them up by (the file's snake_case name in camelCase, as
 * tfjs-layers converts every string of a config).
 */
const FUNCTIONS: Record<string, Fn> = {
  exponential: (x) => tf.exp(x),
  leakyRelu: (x) => tf.leakyRelu(x, 0.2),
  hardSilu: (x) => tf.mul(x, hardSigmoid3(x)),
  hardSwish: (x) => tf.mul(x, hardSigmoid3(x)),
  hardSigmoidKeras3: hardSigmoid3,
  celu: (x) => tf.add(tf.maximum(x, 0), tf.expm1(tf.minimum(x, 0))),
  logSigmoid: (x) => tf.logSigmoid(x),
  hardTanh: (x) => tf.clipByValue(x, -1, 1),
  softShrink: (x) => tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), zeroUnless(tf.less(x, -0.5), tf.add(x, 0.5))),
  hardShrink: (x) => zeroUnless(tf.greater(tf.abs(x), 0.5), x),
  tanhShrink: (x) => tf.sub(x, tf.tanh(x)),
  sparsePlus: (x) => zeroUnless(tf.greater(x, -1), tf.where(tf.less(x, 1), tf.mul(tf.square(tf.add(x, 1)), 0.25), x)),
  squareplus: (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2),
  sparseSigmoid: (x) => tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1),
};

/**
 * Keras activations whose output has another shape than their input (`glu` halves the last axis) or that need
 * settings a name cannot give (`threshold`), which no registered function computes: a file using one is refused.
 */
export const UNSUPPORTED_KERAS_ACTIVATIONS: ReadonlySet<string> = new Set(['glu', 'sparsemax', 'threshold']);

/**
 * An activation's name as the Keras file writes it, from the name tfjs-layers gives it (`hardSilu` → `hard_silu`); a
 * Keras 3 `hard_sigmoid` says whose it is.
 */
export function kerasActivationName(name: string): string {
  if (name === 'hardSigmoidKeras3') return "hard_sigmoid (Keras 3's)";
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** One activation class of tfjs-layers's kind: a serializable object whose `apply` computes `fn`. */
function activationClass(className: string, fn: Fn) {
  return class KerasActivation extends tf.serialization.Serializable {
    static className = className;
    getConfig(): tf.serialization.ConfigDict {
      return {};
    }
    apply(x: tf.Tensor): tf.Tensor {
      return tf.tidy(() => fn(x));
    }
  };
}

let registered = false;

/** Registers the functions above with tfjs-layers, once, and never over a class of that name already registered. */
export function registerKerasActivations(): void {
  if (registered) return;
  registered = true;
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    if (!(name in known)) tf.serialization.registerClass(activationClass(name, fn));
  }
}
