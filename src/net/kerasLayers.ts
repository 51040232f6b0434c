/**
 * Keras layers that tfjs-layers does not have, registered with it so that a Keras model file using them loads:
 * Keras's `Normalization` preprocessing layer (EfficientNet of `keras.applications` starts with one). Each computes
 * what Keras 2's layer computes. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

type Layers = typeof import('@tensorflow/tfjs-layers');

/** Keras's `backend.epsilon()`, the floor of `Normalization`'s standard deviation. */
const KERAS_EPSILON = 1e-7;

let registered = false;

/**
 * Registers the layers above with tfjs-layers (`layers` is the loaded package), once, and never over a class of that
 * name the program registered itself.
 */
export function registerKerasLayers(layers: Layers): void {
  if (registered) return;
  registered = true;
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  if (!('Normalization' in known)) tf.serialization.registerClass(normalizationLayer(layers));
}

/** A statistic of `Normalization`: numbers from the config, or a weight of the layer. */
type Stat = number | number[] | { read(): tf.Tensor };

/** A Keras `Normalization` config, as the file writes it (snake_case). */
interface NormalizationConfig {
  axis?: number | number[] | null;
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  invert?: boolean;
  [key: string]: unknown;
}

/**
 * Keras's `Normalization`: `(x − mean) / max(√variance, 1e-7)` along the kept axes (`axis`, default the last),
 * or `mean + x · max(√variance, 1e-7)` with `invert`. The mean and variance come from the config when it gives
 * them, else from the layer's weights `mean`, `variance` (and `count`, unused here), as Keras saves an adapted layer.
 */
function normalizationLayer(layers: Layers) {
  const Base = layers.layers.Layer as unknown as new (
    config: Record<string, unknown>,
  ) => {
    name: string;
    addWeight(
      name: string,
      shape: number[],
      dtype: tf.DataType,
      initializer: unknown,
      regularizer?: unknown,
      trainable?: boolean,
    ): { read(): tf.Tensor };
    getConfig(): Record<string, unknown>;
  };
  class Normalization extends Base {
    static className = 'Normalization';
    private readonly settings: NormalizationConfig;
    /** The statistics: the config's numbers, or the layer's weights. */
    private stats: { mean: Stat; variance: Stat } | null = null;
    private keep: number[] = [];

    constructor(config: NormalizationConfig) {
      super(config);
      this.settings = config;
    }

    build(inputShape: (number | null)[] | (number | null)[][]): void {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
      const rank = shape.length;
      const axis = this.settings.axis ?? -1;
      this.keep = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
      const sizes = this.keep.map((a) => shape[a] ?? 1);
      const { mean, variance } = this.settings;
      if (mean != null && variance != null) {
        this.stats = { mean, variance };
      } else {
        const zeros = layers.initializers.zeros();
        const ones = layers.initializers.ones();
        this.stats = {
          mean: this.addWeight('mean', sizes, 'float32', zeros, undefined, false),
          variance: this.addWeight('variance', sizes, 'float32', ones, undefined, false),
        };
        this.addWeight('count', [], 'int32', zeros, undefined, false);
      }
      (this as unknown as { built: boolean }).built = true;
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => {
        const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
        const read = (t: Stat) => (typeof t === 'number' || Array.isArray(t) ? tf.tensor(t) : t.read());
        // The statistics broadcast along the kept axes: [1, 1, 1, c] for the last of four.
        const along = (t: tf.Tensor) =>
          t.size === 1
            ? tf.reshape(t, [])
            : tf.reshape(
                t,
                x.shape.map((d, i) => (this.keep.includes(i) ? d : 1)),
              );
        const mean = along(read(this.stats!.mean));
        const std = tf.maximum(tf.sqrt(along(read(this.stats!.variance))), KERAS_EPSILON);
        return this.settings.invert ? tf.add(mean, tf.mul(x, std)) : tf.div(tf.sub(x, mean), std);
      });
    }

    computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
      return inputShape;
    }

    override getConfig(): Record<string, unknown> {
      const { axis = -1, mean = null, variance = null, invert = false } = this.settings;
      return { ...super.getConfig(), axis, mean, variance, invert };
    }
  }
  return Normalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}
