/**
 * Keras layers that tfjs-layers does not have, or has otherwise than Keras, made right before it reads a Keras model
 * file. Registered where tfjs-layers has none: Keras's `Normalization` preprocessing layer (EfficientNet of
 * `keras.applications` starts with one), `GroupNormalization`, `UnitNormalization`, `Subtract`, ConvNeXt's
 * `LayerScale`, and the layers that act in training only (data augmentation, spatial dropout, stochastic depth; they
 * pass images through at inference). Registered over tfjs-layers's own, extending it: global pooling that keeps its
 * pooled axes (`keepdims`) and `Conv2D` in `groups`. Changed in place: `CenterCrop` crops as Keras's does and leaves
 * its input's declared shape alone, `Resizing` resizes as Keras's does and declares its output's shape right, and
 * `RandomWidth` resizes in training only. Each computes what Keras's layer computes. Keras's names of regularizers and
 * initializers tfjs-layers lacks are registered too. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dilateKernel } from './dilation.js';

type Layers = typeof import('@tensorflow/tfjs-layers');

/** Keras's `backend.epsilon()`, the floor of `Normalization`'s standard deviation. */
const KERAS_EPSILON = 1e-7;

/** tfjs-layers's `Layer` as the layers below (and kerasOps.ts's) extend it. */
export type BaseLayer = new (
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

/** A layer's shape as tfjs-layers gives it (null where not known), and the first of several. */
export type Shape = (number | null)[];
export const firstShape = (s: Shape | Shape[]) => (Array.isArray(s[0]) ? s[0] : s) as Shape;

let registered = false;

/**
 * Registers the layers above with tfjs-layers (`layers` is the loaded package), once: a new class never over one of
 * that name the program registered itself; an extended one over whatever class is registered under its name.
 */
export function registerKerasLayers(layers: Layers): void {
  if (registered) return;
  registered = true;
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  if (!('Normalization' in known)) tf.serialization.registerClass(normalizationLayer(layers));
  for (const name of Object.keys(PASS_THROUGH)) {
    if (!(name in known)) tf.serialization.registerClass(passThroughLayer(layers, name));
  }
  if (!(KERAS_IDENTITY in known)) tf.serialization.registerClass(passThroughLayer(layers, KERAS_IDENTITY, 'Identity'));
  if (!('GroupNormalization' in known)) tf.serialization.registerClass(groupNormalizationLayer(layers));
  if (!('UnitNormalization' in known)) tf.serialization.registerClass(unitNormalizationLayer(layers));
  if (!('LayerScale' in known)) tf.serialization.registerClass(layerScaleLayer(layers));
  const add = known.Add?.[0] as unknown as (new (config: Record<string, unknown>) => object) | undefined;
  if (add && !('Subtract' in known)) tf.serialization.registerClass(subtractLayer(add));
  for (const name of ['GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D']) {
    const pooling = known[name]?.[0] as unknown as PoolingClass | undefined;
    if (pooling) tf.serialization.registerClass(keepDimsPooling(pooling, name));
  }
  const conv2d = known.Conv2D?.[0] as unknown as ConvClass | undefined;
  if (conv2d) tf.serialization.registerClass(groupedConvolution(conv2d));
  const randomWidth = known.RandomWidth?.[0] as { prototype: RandomSizeLayer } | undefined;
  if (randomWidth) fixRandomWidth(randomWidth.prototype);
  const centerCrop = known.CenterCrop?.[0] as { prototype: CenterCropLayer } | undefined;
  if (centerCrop) fixCenterCrop(centerCrop.prototype);
  const resizing = known.Resizing?.[0] as { prototype: ResizingLayer } | undefined;
  if (resizing) fixResizing(resizing.prototype);
  registerKerasNames(layers, known);
}

/** A tfjs-layers class of serializable settings (a regularizer, an initializer) as the classes below extend it. */
type SettingClass = new (
  config: Record<string, unknown>,
) => tf.serialization.Serializable & { getConfig(): tf.serialization.ConfigDict };

/**
 * Keras's regularizers `L1` and `L2` (what `regularizers.l1(0.01)` and `l2` make since Keras 2.3; tfjs-layers knows
 * only `L1L2`, and failed with "Unknown regularizer: L2"), its initializers `LecunNormal` and `LecunUniform`
 * (tfjs-layers spells them `LeCun…`) and Keras 3's `IdentityInitializer` (tfjs-layers's `Identity`): each registered
 * as the tfjs-layers class that computes the same, under Keras's name and with Keras's defaults, where no class has
 * that name. A model trained with weight decay loads; at inference these do nothing (the weights are the file's).
 */
function registerKerasNames(layers: Layers, known: Record<string, unknown>): void {
  const classOf = (instance: object) => instance.constructor as SettingClass;
  const l1l2 = classOf(layers.regularizers.l1l2({ l1: 0, l2: 0 }));
  const named: [string, SettingClass, (c: Record<string, unknown>) => Record<string, unknown>][] = [
    ['L1', l1l2, (c) => ({ l1: c.l1 ?? 0.01, l2: 0 })],
    ['L2', l1l2, (c) => ({ l1: 0, l2: c.l2 ?? 0.01 })],
    ['LecunNormal', classOf(layers.initializers.leCunNormal({})), (c) => c],
    ['LecunUniform', classOf(layers.initializers.leCunUniform({})), (c) => c],
    ['IdentityInitializer', classOf(layers.initializers.identity({})), (c) => c],
  ];
  for (const [name, base, args] of named) {
    if (name in known) continue;
    const settings = class extends base {
      static className = name;
      constructor(config: Record<string, unknown> = {}) {
        super(args(config));
      }
    };
    tf.serialization.registerClass(
      settings as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
    );
  }
}

/** The centred `boxH`×`boxW` box of an image `[h, w, c]` or `[n, h, w, c]` (its start: half the margin, rounded down). */
function centred(x: tf.Tensor, boxH: number, boxW: number): tf.Tensor {
  const [h, w] = x.shape.slice(-3, -1) as [number, number];
  const start = x.shape.map(() => 0);
  const size = x.shape.map(() => -1);
  start[x.rank - 3] = Math.floor((h - boxH) / 2);
  start[x.rank - 2] = Math.floor((w - boxW) / 2);
  size[x.rank - 3] = boxH;
  size[x.rank - 2] = boxW;
  return tf.slice(x, start, size);
}

/**
 * TensorFlow 2's `tf.image.resize` of `x` (`[h, w, c]` or `[n, h, w, c]`) to `height`×`width`: half-pixel centres,
 * corners not aligned, no antialiasing; with `crop`, first the largest centred box of the target's aspect ratio
 * (Keras's `smart_resize`).
 */
function kerasResize(x: tf.Tensor, height: number, width: number, method: 'bilinear' | 'nearest', crop: boolean) {
  const [h, w] = x.shape.slice(-3, -1) as [number, number];
  const box = crop
    ? centred(x, Math.min(h, Math.trunc((w * height) / width)), Math.min(w, Math.trunc((h * width) / height)))
    : x;
  const f = tf.cast(box, 'float32') as tf.Tensor3D | tf.Tensor4D;
  return method === 'nearest'
    ? tf.image.resizeNearestNeighbor(f, [height, width], false, true)
    : tf.image.resizeBilinear(f, [height, width], false, true);
}

/** tfjs-layers's `Resizing`, as far as this module reads and changes it. */
interface ResizingLayer {
  height: number;
  width: number;
  interpolation: string;
  cropToAspectRatio: boolean;
  computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

/**
 * tfjs-layers's `Resizing` declares its output `[height, width, input width]` for a batch `[n, h, w, c]` (so the
 * layer after it failed to build: "expected ndim=4, found ndim=3"), aligns the corners where Keras's (TensorFlow 2's
 * `tf.image.resize`) takes half-pixel centres, and does not crop for `crop_to_aspect_ratio`. Here it declares
 * `[n, height, width, c]` and resizes as Keras does (`kerasResize`). Changes tfjs-layers's class, for every model
 * built from then on.
 */
function fixResizing(proto: ResizingLayer): void {
  proto.computeOutputShape = function (inputShape) {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    return [...s.slice(0, -3), this.height, this.width, s[s.length - 1]];
  };
  proto.call = function (inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const method = this.interpolation === 'nearest' ? 'nearest' : 'bilinear';
      return kerasResize(x, this.height, this.width, method, this.cropToAspectRatio);
    });
  };
}

/** tfjs-layers's `CenterCrop`, as far as this module reads and changes it. */
interface CenterCropLayer {
  height: number;
  width: number;
  computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
}

/**
 * tfjs-layers's `CenterCrop` writes the crop's size into the shape it is given, which is the previous layer's: a
 * model starting with one declared the crop's size as its input's, and refused images of its real size. It also
 * started a crop one column late where the widths differ by one, and resized a smaller image whole. Here the shape is
 * copied first, and the layer computes Keras 2's: a crop starting at half the difference, rounded down, or, for an
 * image smaller than the crop, Keras's smart resize (the centre of the crop's aspect ratio, resized bilinearly with
 * half-pixel centres). Changes tfjs-layers's class, for every model built from then on.
 */
function fixCenterCrop(proto: CenterCropLayer): void {
  const shapeOf = proto.computeOutputShape;
  proto.computeOutputShape = function (inputShape) {
    const copy = (s: (number | null)[]) => [...s];
    const given = Array.isArray(inputShape[0])
      ? (inputShape as (number | null)[][]).map(copy)
      : copy(inputShape as (number | null)[]);
    return shapeOf.call(this, given);
  };
  proto.call = function (inputs) {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const [h, w] = x.shape.slice(-3, -1) as [number, number];
      if (h >= this.height && w >= this.width) return centred(x, this.height, this.width);
      // Keras's smart_resize: the largest centred box of the crop's aspect ratio, then a bilinear resize.
      return tf.cast(kerasResize(x, this.height, this.width, 'bilinear', true), x.dtype);
    });
  };
}

/**
 * Keras layers that change their input only while a model trains, and pass it through unchanged when it predicts:
 * data augmentation (Keras 2's and Keras 3's `Random…` layers, `AugMix`, `RandAugment`, `CutMix`, `MixUp`), spatial
 * dropout and activity regularization (a training loss). Each with what it does in training, for the layer table.
 * `RandomHeight` (and tfjs-layers's `RandomWidth`) declare the axis they resize free (null), as Keras does. Not here:
 * `RandomCrop`, which crops or resizes at inference in some Keras versions and not in others.
 */
const PASS_THROUGH: Record<string, string> = Object.fromEntries([
  ...[
    'RandomFlip',
    'RandomRotation',
    'RandomZoom',
    'RandomTranslation',
    'RandomContrast',
    'RandomBrightness',
    'RandomHeight',
    // tfjs-layers has its own (not registered over; see fixRandomWidth): listed for the layer table.
    'RandomWidth',
    'RandomGrayscale',
    'RandomHue',
    'RandomSaturation',
    'RandomSharpness',
    'RandomColorDegeneration',
    'RandomColorJitter',
    'RandomPosterization',
    'RandomInvert',
    'RandomErasing',
    'RandomGaussianBlur',
    'RandomPerspective',
    'RandomShear',
    'RandomElasticTransform',
    'AugMix',
    'RandAugment',
    'CutMix',
    'MixUp',
  ].map((name) => [name, 'augments images in training only']),
  // ConvNeXt's (keras.applications): drops whole residual branches, only while training.
  ['StochasticDepth', 'drops residual branches in training only'],
  ['SpatialDropout2D', 'drops channels in training only'],
  ['SpatialDropout3D', 'drops channels in training only'],
  ['ActivityRegularization', 'adds a loss in training only'],
]);

/**
 * The name Keras's `Identity` layer is registered and read under (kerasConfigs.ts renames it in a file's topology):
 * tfjs-layers has an initializer named `Identity`, and one name stands for one class. The loaded layer's class name is
 * Keras's.
 */
export const KERAS_IDENTITY = 'KerasIdentityLayer';

/** What a pass-through layer (see {@link PASS_THROUGH}) of a loaded model does in training, or undefined. */
export function passThroughRole(className: string): string | undefined {
  return PASS_THROUGH[className];
}

/** The axis of an image `[n, h, w, c]` that a random resize leaves free (null) in its declared shape. */
const RESIZED_AXIS: Record<string, number> = { RandomHeight: 1, RandomWidth: 2 };

/** A shape with the axis `className` resizes (if any) made free, as Keras declares it. */
function passedShape(className: string, inputShape: (number | null)[]): (number | null)[] {
  const shape = [...inputShape];
  const axis = RESIZED_AXIS[className];
  if (axis !== undefined && shape.length === 4) shape[axis] = null;
  return shape;
}

/**
 * A layer registered as `className` that passes its input through (see {@link PASS_THROUGH}), whose class name is
 * `shownAs` once loaded (Keras's name, where tfjs-layers has another class of that name).
 */
function passThroughLayer(layers: Layers, className: string, shownAs = className) {
  const Layer = class extends (layers.layers.Layer as unknown as BaseLayer) {
    static className = className;
    private readonly settings: Record<string, unknown>;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.settings = config;
    }

    getClassName(): string {
      return shownAs;
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return Array.isArray(inputs) ? inputs[0] : inputs;
    }

    computeOutputShape(inputShape: (number | null)[]): (number | null)[] {
      return passedShape(className, inputShape);
    }

    override getConfig(): Record<string, unknown> {
      return { ...this.settings, ...super.getConfig() };
    }
  };
  return Layer as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/** tfjs-layers's global pooling classes, as far as this module reads and extends them. */
type PoolingClass = new (
  config: Record<string, unknown>,
) => {
  readonly dataFormat?: string;
  computeOutputShape(inputShape: Shape): Shape;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
  getConfig(): Record<string, unknown>;
};

/**
 * tfjs-layers's global pooling `name` that keeps the pooled axes when the file says `keepdims` (Keras 2.6 and later;
 * MobileNetV3's squeeze-and-excitation blocks): `[n, 1, 1, c]` (`[n, c, 1, 1]` channels first; `[n, 1, c]` in 1-D)
 * where tfjs-layers ignored the setting and made `[n, c]`, which the layers after it could not build from. Registered
 * over tfjs-layers's class under its name; without `keepdims` it runs as tfjs-layers's.
 */
function keepDimsPooling(Pooling: PoolingClass, name: string) {
  const kept = (shape: Shape, first: boolean): Shape => {
    const ones = new Array<number>(name.endsWith('2D') ? 2 : 1).fill(1);
    return first ? [shape[0], shape[1], ...ones] : [shape[0], ...ones, shape[shape.length - 1]];
  };
  class KeepDims extends Pooling {
    static className = name;
    private readonly keepDims: boolean;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.keepDims = config.keepdims === true;
    }

    override computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const shape = firstShape(inputShape);
      return this.keepDims ? kept(shape, this.dataFormat === 'channelsFirst') : super.computeOutputShape(shape);
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor {
      if (!this.keepDims) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const pooled = super.call(inputs, kwargs);
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const first = this.dataFormat === 'channelsFirst';
        return tf.reshape(pooled, kept(x.shape, first) as number[]);
      });
    }

    override getConfig(): Record<string, unknown> {
      return { ...super.getConfig(), keepdims: this.keepDims };
    }
  }
  return KeepDims as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/** tfjs-layers's `Conv2D`, as far as this module reads and extends it. */
type ConvClass = new (
  config: Record<string, unknown>,
) => {
  readonly name: string;
  readonly filters: number;
  readonly strides: number[];
  readonly padding: string;
  readonly dataFormat: string;
  readonly dilationRate: number[];
  readonly kernel: { read(): tf.Tensor } | null;
  readonly bias: { read(): tf.Tensor } | null;
  readonly activation: { apply(x: tf.Tensor): tf.Tensor } | null;
  inputSpec: unknown;
  build(inputShape: Shape | Shape[]): void;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor;
  getConfig(): Record<string, unknown>;
};

/**
 * tfjs-layers's `Conv2D` that convolves in `groups` groups, as Keras's does (Keras 2.3 and later; RegNet, ConvNeXt and
 * ResNeXt use it): the input channels split into `groups` equal parts, each convolved with its own `filters / groups`
 * filters (kernel `[kh, kw, channels / groups, filters]`), the outputs side by side in group order. tfjs-layers
 * ignored `groups`, made a kernel over all input channels and refused the file's weights. A dilated kernel is spread
 * out explicitly (TF.js has no gradient for a dilated convolution); one group per input channel runs as a depthwise
 * convolution. Channels last only. Registered over tfjs-layers's class under its name; with one group it runs as
 * tfjs-layers's.
 */
function groupedConvolution(Conv2D: ConvClass) {
  class GroupedConv2D extends Conv2D {
    static className = 'Conv2D';
    readonly groups: number;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.groups = Number(config.groups ?? 1);
    }

    override build(inputShape: Shape | Shape[]): void {
      if (this.groups === 1) {
        super.build(inputShape);
        return;
      }
      const shape = [...firstShape(inputShape)];
      const channels = shape[shape.length - 1];
      if (this.dataFormat !== 'channelsLast' || channels === null) {
        throw new Error(
          `Conv2D '${this.name}' convolves in groups, which runs channels last only, with known channels`,
        );
      }
      if (!Number.isInteger(this.groups) || channels % this.groups !== 0 || this.filters % this.groups !== 0) {
        throw new Error(
          `Conv2D '${this.name}': ${this.groups} groups do not divide its ${channels} channels and ` +
            `${this.filters} filters`,
        );
      }
      shape[shape.length - 1] = channels / this.groups;
      super.build(shape);
      this.inputSpec = [{ ndim: 4, axes: { [3]: channels } }];
    }

    override call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor {
      if (this.groups === 1) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
        const [dh, dw] = this.dilationRate;
        const taps = this.kernel!.read();
        const kernel = (dh > 1 || dw > 1 ? dilateKernel(taps, [dh, dw]) : taps) as tf.Tensor4D;
        const strides = this.strides as [number, number];
        const pad = this.padding as 'same' | 'valid';
        const [kh, kw, per, filters] = kernel.shape;
        let y: tf.Tensor;
        if (per === 1) {
          // One input channel a group: filter f reads channel f ÷ (filters / channels), as a depthwise kernel.
          const depthwise = tf.reshape(kernel, [kh, kw, this.groups, filters / this.groups]) as tf.Tensor4D;
          y = tf.depthwiseConv2d(x, depthwise, strides, pad);
        } else {
          const xs = tf.split(x, this.groups, 3);
          const ks = tf.split(kernel, this.groups, 3);
          y = tf.concat(
            xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ks[i] as tf.Tensor4D, strides, pad)),
            3,
          );
        }
        if (this.bias) y = tf.add(y, this.bias.read());
        return this.activation ? this.activation.apply(y) : y;
      });
    }

    override getConfig(): Record<string, unknown> {
      return { ...super.getConfig(), groups: this.groups };
    }
  }
  return GroupedConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/** tfjs-layers's `RandomWidth`, as far as this module reads and changes it. */
interface RandomSizeLayer {
  computeOutputShape(inputShape: (number | null)[]): (number | null)[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor;
}

/**
 * tfjs-layers's `RandomWidth` resized every image to a random width, at inference too (Keras's passes images through
 * outside training), and declared its output `[h, −1, c]` without the batch. Here it resizes in training only (as
 * tfjs-layers's `fit` calls it) and declares Keras's shape. Changes tfjs-layers's class, for every model built from
 * then on.
 */
function fixRandomWidth(proto: RandomSizeLayer): void {
  const resize = proto.call;
  proto.call = function (inputs, kwargs) {
    if (kwargs?.training === true) return resize.call(this, inputs, kwargs);
    return Array.isArray(inputs) ? inputs[0] : inputs;
  };
  proto.computeOutputShape = (inputShape) => passedShape('RandomWidth', inputShape);
}

/**
 * Keras's `GroupNormalization` (Keras 2.11 and later, Keras 3): the channels (the last axis) split into `groups`
 * groups (`-1`: one a channel), each normalized over its channels and the image,
 * `(x − mean) / √(variance + epsilon)` with the population variance, then scaled by `gamma` and shifted by `beta` per
 * channel (weights, when `scale` and `center`).
 */
function groupNormalizationLayer(layers: Layers) {
  class GroupNormalization extends (layers.layers.Layer as unknown as BaseLayer) {
    static className = 'GroupNormalization';
    private readonly settings: Record<string, unknown>;
    private groups = 1;
    private gamma: { read(): tf.Tensor } | null = null;
    private beta: { read(): tf.Tensor } | null = null;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.settings = config;
    }

    build(inputShape: Shape | Shape[]): void {
      const shape = firstShape(inputShape);
      const axis = Number(this.settings.axis ?? -1);
      const channels = shape[shape.length - 1];
      if (axis !== -1 && axis !== shape.length - 1) {
        throw new Error(`GroupNormalization '${this.name}' normalizes along axis ${axis}; only the last is supported`);
      }
      const given = Number(this.settings.groups ?? 32);
      this.groups = given === -1 ? (channels ?? 1) : given;
      if (channels === null || !(this.groups >= 1) || channels % this.groups !== 0) {
        throw new Error(`GroupNormalization '${this.name}': ${this.groups} groups do not divide ${channels} channels`);
      }
      const ones = layers.initializers.ones();
      const zeros = layers.initializers.zeros();
      if (this.settings.scale !== false) this.gamma = this.addWeight('gamma', [channels], 'float32', ones);
      if (this.settings.center !== false) this.beta = this.addWeight('beta', [channels], 'float32', zeros);
      (this as unknown as { built: boolean }).built = true;
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => {
        const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
        const c = x.shape[x.rank - 1];
        const grouped = tf.reshape(x, [...x.shape.slice(0, -1), this.groups, c / this.groups]);
        // Every axis but the batch and the group: the image and the group's channels.
        const axes = grouped.shape.map((_, i) => i).filter((i) => i !== 0 && i !== grouped.rank - 2);
        const { mean, variance } = tf.moments(grouped, axes, true);
        const epsilon = Number(this.settings.epsilon ?? 1e-3);
        const normalized = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, epsilon))), x.shape);
        const scaled = this.gamma ? tf.mul(normalized, this.gamma.read()) : normalized;
        return this.beta ? tf.add(scaled, this.beta.read()) : scaled;
      });
    }

    computeOutputShape(inputShape: Shape): Shape {
      return inputShape;
    }

    override getConfig(): Record<string, unknown> {
      const { groups = 32, axis = -1, epsilon = 1e-3, center = true, scale = true } = this.settings;
      return { ...super.getConfig(), groups, axis, epsilon, center, scale };
    }
  }
  return GroupNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/**
 * Keras's `UnitNormalization` (Keras 2.9 and later, Keras 3): each vector along `axis` (default the last) divided by
 * its length, `x · rsqrt(max(Σx², 1e-12))` as Keras 2's `tf.math.l2_normalize` computes it. (Recent Keras 3 floors
 * the sum at 1e-24; the two differ only for vectors shorter than 1e-6.)
 */
function unitNormalizationLayer(layers: Layers) {
  class UnitNormalization extends (layers.layers.Layer as unknown as BaseLayer) {
    static className = 'UnitNormalization';
    private readonly settings: Record<string, unknown>;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.settings = config;
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => {
        const x = tf.cast(Array.isArray(inputs) ? inputs[0] : inputs, 'float32');
        const axis = (this.settings.axis ?? -1) as number | number[];
        return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12)));
      });
    }

    computeOutputShape(inputShape: Shape): Shape {
      return inputShape;
    }

    override getConfig(): Record<string, unknown> {
      return { ...super.getConfig(), axis: this.settings.axis ?? -1 };
    }
  }
  return UnitNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/**
 * ConvNeXt's `LayerScale` (keras.applications, Keras 2.10 and later): each channel scaled by its weight `gamma`
 * (`projection_dim` of them), `x · gamma`.
 */
function layerScaleLayer(layers: Layers) {
  class LayerScale extends (layers.layers.Layer as unknown as BaseLayer) {
    static className = 'LayerScale';
    private readonly settings: Record<string, unknown>;
    private gamma: { read(): tf.Tensor } | null = null;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.settings = config;
    }

    build(inputShape: Shape | Shape[]): void {
      const shape = firstShape(inputShape);
      const dim = Number(this.settings.projectionDim ?? shape[shape.length - 1]);
      const init = layers.initializers.constant({ value: Number(this.settings.initValues ?? 1) });
      this.gamma = this.addWeight('gamma', [dim], 'float32', init);
      (this as unknown as { built: boolean }).built = true;
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return tf.tidy(() => tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, this.gamma!.read()));
    }

    computeOutputShape(inputShape: Shape): Shape {
      return inputShape;
    }

    override getConfig(): Record<string, unknown> {
      const { initValues = 1, projectionDim = null } = this.settings;
      return { ...super.getConfig(), initValues, projectionDim };
    }
  }
  return LayerScale as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
}

/**
 * Keras's `Subtract`: its first input minus its second. Built on tfjs-layers's `Add` (its shape checks and
 * broadcasting), with the sum replaced.
 */
function subtractLayer(Add: new (config: Record<string, unknown>) => object) {
  class Subtract extends Add {
    static className = 'Subtract';
    mergeFunction(inputs: tf.Tensor[]): tf.Tensor {
      if (inputs.length !== 2) throw new Error(`Subtract takes exactly 2 inputs, got ${inputs.length}`);
      return tf.sub(inputs[0], inputs[1]);
    }
  }
  return Subtract as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
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
  class Normalization extends (layers.layers.Layer as unknown as BaseLayer) {
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
