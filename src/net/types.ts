/**
 * Types of the network API: the loaded `Network` (whatever it was made from), its layer table, its input
 * normalization and the options every network loader takes. Nothing here names a particular network.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { WaitOptions } from '../internal/abortable.js';

/**
 * MATLAB's display names of the layer types this library can describe (the "Type" column of `analyzeNetwork`), in
 * one list from which {@link LayerType} is derived. A new type is added here and to {@link LayerInfo}; code that
 * switches over layer types then fails to compile until it handles it.
 */
export const LAYER_TYPES = [
  'Image Input',
  'Convolution',
  'ReLU',
  'Max Pooling',
  'Average Pooling',
  'Depth concatenation',
  'Dropout',
  'Global Average Pooling',
  'Softmax',
  'Grouped Convolution',
  'Fully Connected',
  'Batch Normalization',
  'Clipped ReLU',
  'Leaky ReLU',
  'ELU',
  'Sigmoid',
  'Tanh',
  'Addition',
  'Multiplication',
  'Global Max Pooling',
  'Flatten',
  'Padding',
  'Transposed Convolution',
  'Resize',
  'Crop 2D',
  'Layer Normalization',
  'Group Normalization',
  'Network',
  'Function',
  'Other',
] as const;

/** MATLAB's display name of a layer type, e.g. `'Convolution'` (see {@link LAYER_TYPES}). */
export type LayerType = (typeof LAYER_TYPES)[number];

/** What every layer of a {@link Network} has, whatever its type. */
export interface LayerInfoBase<T extends LayerType = LayerType> {
  /** 0-based position in `net.layers` (what `activations` takes as a layer index). */
  readonly index: number;
  /** MATLAB's 1-based position in `net.Layers` (`index + 1`). */
  readonly matlabIndex: number;
  /** The layer's name, e.g. `'fire6-squeeze1x1'`. */
  readonly name: string;
  /** MATLAB's display type, e.g. `'Convolution'`. */
  readonly type: T;
  /** MATLAB's one-line description, e.g. `'48 1×1×256 convolutions with stride [1 1] and padding [0 0 0 0]'`. */
  readonly description: string;
  /** Names of the layers feeding this one (empty for the input layer). */
  readonly inputs: readonly string[];
  /**
   * What runs this layer in the model: the graph node's full name (a GraphModel, the built-in networks) or the Keras
   * layer's path (a LayersModel). Equal to `name` when the model's own name is already readable.
   */
  readonly nodeName: string;
  /**
   * The layer's type in its own framework: the TensorFlow op (`'_FusedConv2D'`), the Keras class (`'Conv2D'`), or
   * MATLAB's layer class for the built-in networks (`'Convolution2DLayer'`). Tells apart what `type` groups, and
   * names what `'Other'` is.
   */
  readonly originalType: string;
  /**
   * The layer's output size at the network's input size (`net.inputSize`), without the batch: `[h, w, c]` for a spatial
   * output (`[113, 113, 64]` for 64 filters of stride 2 on 227×227), `[c]` for a vector (a fully connected layer).
   */
  readonly outputSize: readonly number[];
  /**
   * MATLAB's `NumOutputs`: 1, or how many outputs a graph operation of several outputs gives (a `Split`'s or
   * `SplitV`'s parts, as ShuffleNet splits its channels; an `Unpack`'s slices, a top-k's values and indices).
   * `activations` takes output k of layer `'name'` as `'name:k'`, 0-based as TensorFlow names tensors (MATLAB's
   * `'name/out2'` is `'name:1'`); `'name'` is output 0.
   */
  readonly numOutputs: number;
  /** The size of each output, as `outputSize` gives the first (`outputSizes[0]` is `outputSize`). */
  readonly outputSizes: readonly (readonly number[])[];
  /** Number of learnable values of the layer (weights, biases, scales, offsets; not batch-norm statistics). */
  readonly numLearnables: number;
}

/**
 * MATLAB's `PaddingMode`: `'manual'` pads by `padding` whatever the input size; `'same'` pads so that the output is
 * `ceil(input / stride)` (TensorFlow's `'SAME'`), and `padding` is what that comes to at the network's input size.
 */
export type PaddingMode = 'manual' | 'same';

/**
 * A convolution (`'Grouped Convolution'`: in groups of input channels, each with its own filters; depthwise is one
 * group per input channel): kernel, stride, padding, channels.
 */
export interface ConvolutionLayerInfo extends LayerInfoBase<'Convolution' | 'Grouped Convolution'> {
  /** Kernel `[height, width]`. */
  readonly kernel: readonly [number, number];
  /** Stride `[vertical, horizontal]`. */
  readonly stride: readonly [number, number];
  /** MATLAB's `DilationFactor` `[vertical, horizontal]`. */
  readonly dilation: readonly [number, number];
  /** Padding `[top, bottom, left, right]` as MATLAB writes it (at `net.inputSize` when `paddingMode` is `'same'`). */
  readonly padding: readonly [number, number, number, number];
  /** How the padding follows the input size. */
  readonly paddingMode: PaddingMode;
  /** Input channels. */
  readonly numChannels: number;
  /** Filters (output channels). */
  readonly numFilters: number;
}

/** A max or average pooling layer: window, stride and padding. */
export interface PoolingLayerInfo extends LayerInfoBase<'Max Pooling' | 'Average Pooling'> {
  /** Pooling window `[height, width]`. */
  readonly kernel: readonly [number, number];
  /** Stride `[vertical, horizontal]`. */
  readonly stride: readonly [number, number];
  /** Padding `[top, bottom, left, right]` as MATLAB writes it (at `net.inputSize` when `paddingMode` is `'same'`). */
  readonly padding: readonly [number, number, number, number];
  /** How the padding follows the input size. */
  readonly paddingMode: PaddingMode;
}

/** A layer that pads its input (Keras `ZeroPadding2D`, TensorFlow `Pad`). */
export interface PaddingLayerInfo extends LayerInfoBase<'Padding'> {
  /** Padding `[top, bottom, left, right]`. */
  readonly padding: readonly [number, number, number, number];
}

/**
 * A transposed convolution (MATLAB's `transposedConv2dLayer`, Keras `Conv2DTranspose`), the layer that makes a map
 * larger in decoders: each output row is `(input − 1) × stride + kernel − cropping`, or `input × stride` with
 * `'same'` cropping.
 */
export interface TransposedConvolutionLayerInfo extends LayerInfoBase<'Transposed Convolution'> {
  /** Kernel `[height, width]`. */
  readonly kernel: readonly [number, number];
  /** Stride `[vertical, horizontal]` (the upsampling factor). */
  readonly stride: readonly [number, number];
  /**
   * MATLAB's `Cropping` `[top, bottom, left, right]`: what is cut from the full transposed convolution (at
   * `net.inputSize` when `croppingMode` is `'same'`).
   */
  readonly cropping: readonly [number, number, number, number];
  /** `'same'`: the output is `input × stride`, whatever the input size; `'manual'`: `cropping` as given. */
  readonly croppingMode: PaddingMode;
  /**
   * Rows and columns added after the last output `[rows, cols]`: Keras's `'valid'` output is `input × stride` even
   * when the stride is larger than the kernel, the extra positions holding only the bias. `[0, 0]` otherwise.
   */
  readonly outputPadding: readonly [number, number];
  /** Input channels. */
  readonly numChannels: number;
  /** Filters (output channels). */
  readonly numFilters: number;
}

/** A layer that resizes its input by a whole factor (MATLAB's `resize2dLayer`, Keras `UpSampling2D`). */
export interface ResizeLayerInfo extends LayerInfoBase<'Resize'> {
  /** MATLAB's `Scale` `[vertical, horizontal]`: the output is `input × scale`. */
  readonly scale: readonly [number, number];
  /** MATLAB's `Method`: `'nearest'` (each value repeated) or `'bilinear'`. */
  readonly method: 'nearest' | 'bilinear';
  /**
   * MATLAB's `GeometricTransformMode`, where an output pixel samples the input: `'half-pixel'` (pixel centres,
   * `(out + 0.5) / scale − 0.5`; Keras from 2.4 on, and TensorFlow 2's `tf.image.resize`) or `'asymmetric'`
   * (`out / scale`; Keras 2.2 and tfjs-layers). The same values either way for `'nearest'` by whole factors.
   */
  readonly geometricTransformMode: 'half-pixel' | 'asymmetric';
}

/** A layer that cuts fixed margins off its input (Keras `Cropping2D`; MATLAB's `crop2dLayer` crops to a reference). */
export interface CropLayerInfo extends LayerInfoBase<'Crop 2D'> {
  /** Rows and columns cut off `[top, bottom, left, right]`. */
  readonly cropping: readonly [number, number, number, number];
}

/**
 * A network used as a layer (a Keras model nested in another, the usual transfer-learning shape). Its own layers are
 * listed just before it as `'<name>/<inner layer>'`; its output is that of `outputLayer`.
 */
export interface NetworkLayerInfo extends LayerInfoBase<'Network'> {
  /** The inner layer whose output is this layer's output, e.g. `'base/out_relu'`. */
  readonly outputLayer: string;
}

/**
 * A layer described by its type alone. Most keep the size of their input (`'Function'`: any other elementwise
 * function, such as swish; `'Layer Normalization'` and `'Group Normalization'`, MATLAB's `layerNormalizationLayer` and
 * `groupNormalizationLayer`, normalize along the channels); `'Global Average Pooling'` and `'Global Max Pooling'`
 * reduce it to 1×1 (or a vector); `'Fully Connected'`, `'Flatten'` and `'Other'` need the spatial size the network was
 * trained at.
 */
export interface SimpleLayerInfo
  extends LayerInfoBase<
    | 'Image Input'
    | 'ReLU'
    | 'Depth concatenation'
    | 'Dropout'
    | 'Global Average Pooling'
    | 'Softmax'
    | 'Fully Connected'
    | 'Batch Normalization'
    | 'Layer Normalization'
    | 'Group Normalization'
    | 'Clipped ReLU'
    | 'Leaky ReLU'
    | 'ELU'
    | 'Sigmoid'
    | 'Tanh'
    | 'Addition'
    | 'Multiplication'
    | 'Global Max Pooling'
    | 'Flatten'
    | 'Function'
    | 'Other'
  > {}

/**
 * One layer of a {@link Network}, as MATLAB's `net.Layers(k)` describes it: a union discriminated by `type`, so that
 * `if (l.type === 'Convolution') l.numFilters` needs no cast.
 */
export type LayerInfo =
  | ConvolutionLayerInfo
  | PoolingLayerInfo
  | PaddingLayerInfo
  | TransposedConvolutionLayerInfo
  | ResizeLayerInfo
  | CropLayerInfo
  | NetworkLayerInfo
  | SimpleLayerInfo;

// Every entry of LAYER_TYPES has a LayerInfo member, and no member has a type outside it (a compile error otherwise).
type Missing = Exclude<LayerType, LayerInfo['type']>;
const everyTypeDescribed: [Missing] extends [never] ? true : Missing = true;
void everyTypeDescribed;

/**
 * MATLAB's names of the input normalizations of `imageInputLayer` (its `Normalization` property), in one list from
 * which {@link NormalizationType} is derived.
 */
export const NORMALIZATION_TYPES = ['none', 'zerocenter', 'zscore', 'rescale-symmetric', 'rescale-zero-one'] as const;

/** MATLAB's name of an input normalization (see {@link NORMALIZATION_TYPES}). */
export type NormalizationType = (typeof NORMALIZATION_TYPES)[number];

/** No normalization: the pixels reach the first layer as they are. */
export interface NoNormalization {
  /** `'none'`. */
  readonly type: 'none';
}

/** MATLAB's `'zerocenter'`: `x - mean`. */
export interface ZerocenterNormalization {
  /** `'zerocenter'`. */
  readonly type: 'zerocenter';
  /** The value subtracted from each channel (RGB order), e.g. `[123, 117, 104]` (ImageNet's means, rounded). */
  readonly mean: readonly number[];
}

/** MATLAB's `'zscore'`: `(x - mean) / standardDeviation`. */
export interface ZscoreNormalization {
  /** `'zscore'`. */
  readonly type: 'zscore';
  /** The value subtracted from each channel. */
  readonly mean: readonly number[];
  /** The value each channel is then divided by (positive). */
  readonly standardDeviation: readonly number[];
}

/**
 * MATLAB's `'rescale-symmetric'` (`2 (x - min) / (max - min) - 1`, into [-1, 1]) and `'rescale-zero-one'`
 * (`(x - min) / (max - min)`, into [0, 1]).
 */
export interface RescaleNormalization {
  /** `'rescale-symmetric'` or `'rescale-zero-one'`. */
  readonly type: 'rescale-symmetric' | 'rescale-zero-one';
  /** The value of each channel that maps to -1 (symmetric) or 0. */
  readonly min: readonly number[];
  /** The value of each channel that maps to 1 (above `min`). */
  readonly max: readonly number[];
}

/**
 * How the network's input layer scales raw pixels (RGB 0..255) before its first layer, as MATLAB's
 * `imageInputLayer` defines its `Normalization`, with one value per channel.
 */
export type InputNormalization =
  | NoNormalization
  | ZerocenterNormalization
  | ZscoreNormalization
  | RescaleNormalization
  | FunctionNormalization;

/**
 * A normalization written as a function (MATLAB's `Normalization` given as a function handle): it takes the raw
 * pixels as a float32 batch `[n, h, w, c]` (0..255) and returns what the model's first layer expects, of the same
 * shape. It runs inside the library's memory scope: its intermediate tensors are freed for it.
 */
export interface FunctionNormalization {
  /** `'function'`. */
  readonly type: 'function';
  /** The function. */
  readonly fn: (pixels: tf.Tensor4D) => tf.Tensor4D;
}

/**
 * Where a {@link Network} came from: a network file of this library's model build (a built-in network's loader, or
 * `importNetwork` of such a file), or a user's TF.js `GraphModel` or Keras `LayersModel` (`toNetwork`,
 * `importNetwork`).
 */
export type NetworkKind = 'built-in' | 'graph-model' | 'layers-model';

/**
 * A loaded network: the TF.js model plus MATLAB's description of its input, layers and classes. Made by a built-in
 * network's loader, or from any image model by `toNetwork` / `importNetwork`; holds the weights until `dispose()` is
 * called. Every field is read-only and frozen.
 */
export interface Network {
  /** The network's name: a built-in network's, or `options.name` (default: the Keras model's name, or `'network'`). */
  readonly name: string;
  /** Where the network came from. */
  readonly kind: NetworkKind;
  /** The TF.js model: a `GraphModel` (built-in networks, converted TensorFlow models) or a Keras `LayersModel`. */
  readonly model: GraphModel | LayersModel;
  /** The layers in MATLAB's order (`net.Layers` without a final classification-output layer). */
  readonly layers: readonly LayerInfo[];
  /** `layers.map((l) => l.name)`. */
  readonly layerNames: readonly string[];
  /** The input size the network was trained at, `[h, w, c]` (MATLAB's `InputSize`), e.g. `[227, 227, 3]`. */
  readonly inputSize: readonly [number, number, number];
  /** The class names in the order of the network's output (class index k = `classNames[k]`). */
  readonly classNames: readonly string[];
  /** The name of the model's input (a graph node, or a Keras input layer). */
  readonly inputName: string;
  /**
   * How raw pixels (RGB 0..255) are scaled before the first layer, as MATLAB's image input layer says. Every function
   * of this library takes raw pixels and applies it (the built-in networks carry it in their graph).
   */
  readonly normalization: InputNormalization;
  /** Total number of learnable values (MATLAB's "Total learnables"). */
  readonly totalLearnables: number;
  /** Frees the weights. Calling it again does nothing. The network cannot be used afterwards. */
  dispose(): void;
  /** Whether `dispose()` was called (or the underlying model was disposed). */
  readonly isDisposed: boolean;
}

/**
 * Options that every network loader takes (the built-in networks' too). `signal` and `timeoutMs` bound the whole load
 * (files or downloads); a `onProgress` that throws fails the load with its error.
 */
export interface LoadNetworkOptions extends WaitOptions {
  /**
   * Where the model's `model.json` is (its weight shards are read from beside it).
   * In Node: a file path, a `file:` URL, or an `http(s):` URL; a directory holding `model.json` also works, and so
   * does a URL ending in `/` (the `model.json` in that folder).
   * In browsers: a URL (relative URLs resolve against the page; one ending in `/` names the `model.json` in that
   * folder).
   * @default the loader's own model files
   */
  modelUrl?: string | URL;
  /** A TF.js IO handler that loads the model artifacts instead (e.g. `tf.io.fromMemory(...)`); excludes `modelUrl`. */
  ioHandler?: tf.io.IOHandler;
  /** Called with the fraction loaded so far (0..1) while the files are read. */
  onProgress?: (fraction: number) => void;
}
