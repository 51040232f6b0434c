/**
 * Types of the network API: the loaded `Network`, its layer table and the loader's options.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';

/** MATLAB's display names of the layer types that SqueezeNet uses (the "Type" column of `analyzeNetwork`). */
export type LayerType =
  | 'Image Input'
  | 'Convolution'
  | 'ReLU'
  | 'Max Pooling'
  | 'Depth concatenation'
  | 'Dropout'
  | 'Global Average Pooling'
  | 'Softmax';

/** One layer of a {@link Network}, as MATLAB's `net.Layers(k)` describes it. */
export interface LayerInfo {
  /** 0-based position in `net.layers` (what `activations` takes as a layer index). */
  readonly index: number;
  /** MATLAB's 1-based position in `net.Layers` (`index + 1`). */
  readonly matlabIndex: number;
  /** MATLAB's layer name, e.g. `'fire6-squeeze1x1'`. */
  readonly name: string;
  /** MATLAB's display type, e.g. `'Convolution'`. */
  readonly type: LayerType;
  /** MATLAB's one-line description, e.g. `'48 1×1×256 convolutions with stride [1 1] and padding [0 0 0 0]'`. */
  readonly description: string;
  /** Names of the layers feeding this one (empty for the input layer). */
  readonly inputs: readonly string[];
  /** Kernel `[height, width]` (convolution and pooling layers). */
  readonly kernel?: readonly [number, number];
  /** Stride `[vertical, horizontal]` (convolution and pooling layers). */
  readonly stride?: readonly [number, number];
  /** Padding `[top, bottom, left, right]` as MATLAB writes it (convolution and pooling layers). */
  readonly padding?: readonly [number, number, number, number];
  /** Input channels of a convolution. */
  readonly numChannels?: number;
  /** Filters (output channels) of a convolution. */
  readonly numFilters?: number;
}

/**
 * A loaded network: the TF.js graph model plus MATLAB's description of its layers and classes.
 * Made by `squeezenet()`; holds the weights (about 5 MB of tensors) until `dispose()` is called.
 */
export interface Network {
  /** The network's name, `'squeezenet'`. */
  readonly name: string;
  /** The TF.js graph model: one node per MATLAB layer, named as MATLAB names it. */
  readonly model: GraphModel;
  /** The layers in MATLAB's order (`net.Layers` without the final classification-output layer). */
  readonly layers: readonly LayerInfo[];
  /** `layers.map((l) => l.name)`. */
  readonly layerNames: readonly string[];
  /** The input size the network was trained at, `[227, 227, 3]` (MATLAB's `InputSize`). */
  readonly inputSize: readonly [number, number, number];
  /** The class names in MATLAB's order (class index k = `classNames[k]`; 1000 ImageNet classes). */
  readonly classNames: readonly string[];
  /** The name of the graph's input node (raw RGB pixels 0..255, NHWC), `'input'`. */
  readonly inputName: string;
  /** The input normalization of the `data` layer: MATLAB's 'zerocenter', `x - mean` per RGB channel. */
  readonly normalization: {
    /** MATLAB's name of the normalization: `'zerocenter'` (subtract the mean, no scaling). */
    readonly type: 'zerocenter';
    /** The mean subtracted from each channel, RGB order: `[123, 117, 104]` for SqueezeNet. */
    readonly mean: readonly number[];
  };
  /** Total number of learnable values (MATLAB's "Total learnables"), 1,235,496 for SqueezeNet. */
  readonly totalLearnables: number;
  /** Frees the weights. Calling it again does nothing. The network cannot be used afterwards. */
  dispose(): void;
  /** Whether `dispose()` was called (or the underlying model was disposed). */
  readonly isDisposed: boolean;
}

/** Options of `squeezenet()`. */
export interface SqueezenetOptions {
  /**
   * Where the model's `model.json` is (its weight shard is read from beside it).
   * In Node: a file path, a `file:` URL, or an `http(s):` URL; a directory holding `model.json` also works.
   * In browsers: a URL (relative URLs resolve against the page).
   * @default the package's own `model/squeezenet_v1.1/model.json`
   */
  modelUrl?: string | URL;
  /** A TF.js IO handler that loads the model artifacts instead (e.g. `tf.io.fromMemory(...)`); excludes `modelUrl`. */
  ioHandler?: tf.io.IOHandler;
  /** Called with the fraction loaded so far (0..1) while the files are read. */
  onProgress?: (fraction: number) => void;
}
