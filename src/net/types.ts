/**
 * Types of the network API: the loaded `Network` (whatever it was made from), its layer table, its input
 * normalization and the options every network loader takes. Nothing here names a particular network.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
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
}

/** A convolution: kernel, stride, padding and its channel counts. */
export interface ConvolutionLayerInfo extends LayerInfoBase<'Convolution'> {
  /** Kernel `[height, width]`. */
  readonly kernel: readonly [number, number];
  /** Stride `[vertical, horizontal]`. */
  readonly stride: readonly [number, number];
  /** Padding `[top, bottom, left, right]` as MATLAB writes it. */
  readonly padding: readonly [number, number, number, number];
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
  /** Padding `[top, bottom, left, right]` as MATLAB writes it. */
  readonly padding: readonly [number, number, number, number];
}

/** A layer described by its type alone (its output size follows from its inputs). */
export interface SimpleLayerInfo
  extends LayerInfoBase<
    'Image Input' | 'ReLU' | 'Depth concatenation' | 'Dropout' | 'Global Average Pooling' | 'Softmax'
  > {}

/**
 * One layer of a {@link Network}, as MATLAB's `net.Layers(k)` describes it: a union discriminated by `type`, so that
 * `if (l.type === 'Convolution') l.numFilters` needs no cast.
 */
export type LayerInfo = ConvolutionLayerInfo | PoolingLayerInfo | SimpleLayerInfo;

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
  /** The value subtracted from each channel (RGB order), e.g. `[123, 117, 104]` for SqueezeNet. */
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
export type InputNormalization = NoNormalization | ZerocenterNormalization | ZscoreNormalization | RescaleNormalization;

/**
 * A loaded network: the TF.js graph model plus MATLAB's description of its layers and classes. Made by a network
 * loader such as `squeezenet()`; holds the weights until `dispose()` is called. Every field is read-only and frozen.
 */
export interface Network {
  /** The network's name, e.g. `'squeezenet'`. */
  readonly name: string;
  /** The TF.js graph model: one node per layer, named as the layer is. */
  readonly model: GraphModel;
  /** The layers in MATLAB's order (`net.Layers` without a final classification-output layer). */
  readonly layers: readonly LayerInfo[];
  /** `layers.map((l) => l.name)`. */
  readonly layerNames: readonly string[];
  /** The input size the network was trained at, `[h, w, c]` (MATLAB's `InputSize`), e.g. `[227, 227, 3]`. */
  readonly inputSize: readonly [number, number, number];
  /** The class names in the order of the network's output (class index k = `classNames[k]`). */
  readonly classNames: readonly string[];
  /** The name of the graph's input node (raw RGB pixels 0..255, NHWC). */
  readonly inputName: string;
  /** The normalization the input layer applies to raw pixels (it is part of the graph: feed pixels as they are). */
  readonly normalization: InputNormalization;
  /** Total number of learnable values (MATLAB's "Total learnables"). */
  readonly totalLearnables: number;
  /** Frees the weights. Calling it again does nothing. The network cannot be used afterwards. */
  dispose(): void;
  /** Whether `dispose()` was called (or the underlying model was disposed). */
  readonly isDisposed: boolean;
}

/**
 * Options that every network loader takes (`squeezenet()` among them). `signal` and `timeoutMs` bound the whole load
 * (files or downloads); a `onProgress` that throws fails the load with its error.
 */
export interface LoadNetworkOptions extends WaitOptions {
  /**
   * Where the model's `model.json` is (its weight shards are read from beside it).
   * In Node: a file path, a `file:` URL, or an `http(s):` URL; a directory holding `model.json` also works.
   * In browsers: a URL (relative URLs resolve against the page).
   * @default the loader's own model files
   */
  modelUrl?: string | URL;
  /** A TF.js IO handler that loads the model artifacts instead (e.g. `tf.io.fromMemory(...)`); excludes `modelUrl`. */
  ioHandler?: tf.io.IOHandler;
  /** Called with the fraction loaded so far (0..1) while the files are read. */
  onProgress?: (fraction: number) => void;
}
