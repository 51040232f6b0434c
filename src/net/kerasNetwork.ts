/**
 * A Keras `tf.LayersModel` as a network: its layer table by Keras names (nested models by path, shared layers per
 * call) and an engine that runs it layer by layer. The engine calls each layer as Keras does, on real tensors, so that
 * any layer can be read or fed, gradients flow, and the input size is free where the layers allow it.
 *
 * Models are read through the public fields every tfjs-layers copy has (`layers`, `inputs`, `outputs`,
 * `inboundNodes`, `sourceLayer`, …), described here structurally, so that a model made by another copy of
 * tfjs-layers than this package's works too. Not exported from the package.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { dilateKernel } from './dilation.js';
import { kerasActivationName } from './kerasActivations.js';
import { kerasReluSettings, upsamplesWithHalfPixels } from './kerasConfigs.js';
import { passThroughRole } from './kerasLayers.js';
import { describeOpLayer, opLayerType } from './kerasOps.js';
import { describeConvolution, describePooling, describeTransposedConvolution, samePadding2d } from './layerGeometry.js';
import type { NetworkEngine, PartialLayer } from './network.js';
import { applyNormalization } from './normalization.js';
import { batchNormWeights, convolutionWeights, denseWeights, disposeLayersModel } from './tfjsInternals.js';
import type { InputNormalization, LayerType } from './types.js';

/** A Keras symbolic tensor (the output of a layer call, in a model's graph). */
interface KSym {
  readonly id: number;
  readonly shape: readonly (number | null)[];
  readonly sourceLayer: KLayer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
}

/** A call of a layer in a graph. */
interface KNode {
  readonly inputTensors: readonly KSym[];
  readonly outputTensors: readonly KSym[];
  readonly callArgs?: Record<string, unknown>;
}

/** A Keras weight. */
interface KWeight {
  readonly name: string;
  readonly originalName?: string;
  readonly shape: readonly number[];
  read(): tf.Tensor;
}

/** A Keras layer (a model is one too, with `layers`, `inputs` and `outputs`). */
interface KLayer {
  readonly name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  readonly inboundNodes: readonly KNode[];
  readonly weights: readonly KWeight[];
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
  computeOutputShape?(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] | (number | null)[][];
  readonly layers?: readonly KLayer[];
  readonly inputs?: readonly KSym[];
  readonly outputs?: readonly KSym[];
}

/** Whether a layer is itself a model (a nested network). */
const isContainer = (l: KLayer): boolean =>
  Array.isArray(l.layers) && Array.isArray(l.inputs) && Array.isArray(l.outputs);

/** Where a layer's output lives: the model (nesting path) it is computed in, and its symbolic tensor there. */
interface Context {
  readonly key: string;
  readonly container: KLayer;
  readonly parent: Context | null;
  /** The call of `container` in `parent` (null for the top model). */
  readonly callNode: KNode | null;
}

interface Entry {
  ctx: Context;
  sym: KSym;
}

/** MATLAB's name for a Keras weight (`kernel` → `Weights`, `gamma` → `Scale`, …). */
const WEIGHT_NAMES: Record<string, string> = {
  kernel: 'Weights',
  depthwise_kernel: 'Weights',
  pointwise_kernel: 'PointwiseWeights',
  bias: 'Bias',
  gamma: 'Scale',
  beta: 'Offset',
  moving_mean: 'TrainedMean',
  moving_variance: 'TrainedVariance',
  alpha: 'Alpha',
};

const isState = (w: KWeight) => /moving_(mean|variance)$/.test(w.originalName ?? w.name);
const weightKey = (w: KWeight) => {
  const short = (w.originalName ?? w.name).split('/').pop() ?? w.name;
  return WEIGHT_NAMES[short.replace(/_\d+$/, '')] ?? short;
};
const pair = (v: unknown, fallback: number): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : typeof v === 'number' ? [v, v] : [fallback, fallback];

const ACTIVATION_TYPES: Record<string, LayerType> = {
  relu: 'ReLU',
  relu6: 'Clipped ReLU',
  softmax: 'Softmax',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'ELU',
};

/**
 * The table entry of one layer call. A layer's own activation (`conv2d({ activation: 'relu' })`) runs inside it, so
 * its activations are after it: the description says so (`+ relu`), as a converted graph's fused `+ Relu` does.
 */
function describeKerasLayer(
  layer: KLayer,
  node: KNode,
  base: Parameters<typeof kerasLayerRow>[2],
  inputSize?: readonly number[],
): PartialLayer {
  const row = kerasLayerRow(layer, node, base, inputSize);
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  const own = layer.getClassName() !== 'Activation' && typeof activation === 'string' && activation !== 'linear';
  return own ? { ...row, description: `${row.description} + ${kerasActivationName(activation)}` } : row;
}

/** The table entry of one layer call: type, description and geometry from its Keras config. */
function kerasLayerRow(
  layer: KLayer,
  node: KNode,
  base: {
    name: string;
    inputs: string[];
    nodeName: string;
    outputSize: number[];
    numLearnables: number;
  },
  /** The input's size once measured (a model of free input size); Keras's symbolic shape otherwise. */
  inputSize?: readonly number[],
): PartialLayer {
  const cls = layer.getClassName();
  // tfjs-layers gives its configs in camelCase (`kernelSize`), Keras files in snake_case: read both as snake_case.
  const cfg = Object.fromEntries(
    Object.entries(layer.getConfig()).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]),
  );
  const inShape = (inputSize ?? (node.inputTensors[0]?.shape ?? []).slice(1)) as (number | null)[];
  const common = { ...base, originalType: cls };
  const simple = (type: LayerType, description: string) =>
    ({ ...common, type, description }) as unknown as PartialLayer;
  const padMode = cfg.padding === 'same' ? 'same' : 'manual';
  const known = (a: (number | null)[]) => a.every((v): v is number => typeof v === 'number' && v > 0);
  // The geometry below reads sizes as [h, w, c]: a channels-first layer's would be wrong, so it is not read.
  // tfjs-layers spells the value in camelCase, Keras files in snake_case.
  if (cfg.data_format === 'channels_first' || cfg.data_format === 'channelsFirst')
    return simple('Other', `${cls} (Keras, channels first)`);
  switch (cls) {
    case 'InputLayer':
      // An input of free size (`[null, null, 3]`) is described at the size the network was given.
      return simple(
        'Image Input',
        `${(known(inShape) && inShape.length ? inShape : base.outputSize).join('×')} images`,
      );
    case 'Conv2D':
    case 'DepthwiseConv2D':
    case 'SeparableConv2D': {
      const kernel = pair(cfg.kernel_size, 1);
      const stride = pair(cfg.strides, 1);
      const dilation = pair(cfg.dilation_rate, 1);
      const channels = Number(inShape[2] ?? 0);
      const depthwise = cls === 'DepthwiseConv2D';
      const filters = depthwise ? channels * Number(cfg.depth_multiplier ?? 1) : Number(cfg.filters);
      // Depthwise: one group a channel; a Conv2D may convolve in groups (kerasLayers.ts).
      const groups = depthwise ? channels : cls === 'Conv2D' ? Math.max(Number(cfg.groups ?? 1), 1) : 1;
      const hw = inShape.slice(0, 2);
      const padding =
        padMode === 'same'
          ? known(hw)
            ? samePadding2d(hw, kernel, stride, dilation)
            : ([0, 0, 0, 0] as [number, number, number, number])
          : ([0, 0, 0, 0] as [number, number, number, number]);
      return {
        ...common,
        type: groups > 1 ? 'Grouped Convolution' : 'Convolution',
        description: describeConvolution(
          filters,
          kernel,
          channels,
          stride,
          padMode === 'same' ? 'same' : padding,
          groups,
        ),
        kernel,
        stride,
        dilation,
        padding,
        paddingMode: padMode,
        numChannels: channels,
        numFilters: filters,
      } as PartialLayer;
    }
    case 'Conv2DTranspose': {
      // tfjs-layers runs it as Keras 2 did: 'same' gives input × stride, 'valid' (input − 1) × stride + max(k, s).
      const kernel = pair(cfg.kernel_size, 1);
      const stride = pair(cfg.strides, 1);
      const channels = Number(inShape[2] ?? 0);
      const filters = Number(cfg.filters);
      const out = base.outputSize.slice(0, 2);
      const same = padMode === 'same';
      const cropping: [number, number, number, number] =
        same && out.length === 2 ? samePadding2d(out, kernel, stride) : [0, 0, 0, 0];
      const outputPadding: [number, number] = same
        ? [0, 0]
        : [Math.max(stride[0] - kernel[0], 0), Math.max(stride[1] - kernel[1], 0)];
      return {
        ...common,
        type: 'Transposed Convolution',
        description: describeTransposedConvolution(filters, kernel, channels, stride, same ? 'same' : cropping),
        kernel,
        stride,
        cropping,
        croppingMode: padMode,
        outputPadding,
        numChannels: channels,
        numFilters: filters,
      } as PartialLayer;
    }
    case 'UpSampling2D': {
      const scale = pair(cfg.size, 2);
      const method = cfg.interpolation === 'bilinear' ? 'bilinear' : 'nearest';
      const how = method === 'bilinear' ? 'bilinear' : 'nearest neighbor';
      return {
        ...common,
        type: 'Resize',
        description: `${how} resize with scale [${scale.join(' ')}]`,
        scale,
        method,
        geometricTransformMode: upsamplesWithHalfPixels(layer) ? 'half-pixel' : 'asymmetric',
      } as PartialLayer;
    }
    case 'Cropping2D': {
      const c = cfg.cropping;
      const rows = Array.isArray(c) ? pair(c[0], 0) : pair(c, 0);
      const cols = Array.isArray(c) ? pair(c[1] ?? c[0], 0) : pair(c, 0);
      const cropping = [rows[0], rows[1], cols[0], cols[1]] as [number, number, number, number];
      return { ...common, type: 'Crop 2D', description: `crop [${cropping.join(' ')}]`, cropping } as PartialLayer;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const kernel = pair(cfg.pool_size, 2);
      const stride = cfg.strides == null ? kernel : pair(cfg.strides, 1);
      const hw = inShape.slice(0, 2);
      const padding =
        padMode === 'same' && known(hw)
          ? samePadding2d(hw, kernel, stride)
          : ([0, 0, 0, 0] as [number, number, number, number]);
      const max = cls === 'MaxPooling2D';
      return {
        ...common,
        type: max ? 'Max Pooling' : 'Average Pooling',
        description: describePooling(max, kernel, stride, padMode === 'same' ? 'same' : padding),
        kernel,
        stride,
        padding,
        paddingMode: padMode,
      } as PartialLayer;
    }
    case 'ZeroPadding2D': {
      const p = cfg.padding;
      const rows = Array.isArray(p) ? pair(p[0], 0) : pair(p, 0);
      const cols = Array.isArray(p) ? pair(p[1], 0) : pair(p, 0);
      const padding = [rows[0], rows[1], cols[0], cols[1]] as [number, number, number, number];
      return {
        ...common,
        type: 'Padding',
        description: `zero padding [${padding.join(' ')}]`,
        padding,
      } as PartialLayer;
    }
    case 'Dense':
      return simple('Fully Connected', `${cfg.units} fully connected layer`);
    case 'Flatten':
    case 'Reshape':
      return simple(
        'Flatten',
        cls === 'Flatten' ? 'Flatten' : `Reshape to [${(cfg.target_shape as number[]).join(' ')}]`,
      );
    case 'BatchNormalization':
      return simple('Batch Normalization', `Batch normalization with ${inShape[inShape.length - 1]} channels`);
    case 'ReLU': {
      // tfjs-layers's config has no slope or threshold; a model file's, put back by fixKerasLayers, are read here.
      const keras = kerasReluSettings(layer);
      const max = keras ? keras.maxValue : (cfg.max_value as number | null | undefined);
      const slope = keras?.negativeSlope ?? Number(cfg.negative_slope ?? 0);
      const threshold = keras?.threshold ? `threshold ${keras.threshold}` : '';
      const rest = (first: string) =>
        [first, slope !== 0 ? `scale ${slope}` : '', threshold].filter(Boolean).join(', ');
      if (max != null) return simple('Clipped ReLU', `Clipped ReLU with ${rest(`ceiling ${max}`)}`);
      if (slope !== 0) return simple('Leaky ReLU', `Leaky ReLU with ${rest('')}`);
      return simple('ReLU', threshold ? `ReLU with ${threshold}` : 'ReLU');
    }
    case 'LeakyReLU':
      return simple('Leaky ReLU', `Leaky ReLU with scale ${cfg.alpha}`);
    case 'ELU':
      return simple('ELU', 'ELU');
    case 'Softmax':
      return simple('Softmax', 'softmax');
    case 'Activation': {
      const fn = String(cfg.activation);
      const type = ACTIVATION_TYPES[fn];
      if (fn === 'leakyRelu') return simple('Leaky ReLU', 'Leaky ReLU with scale 0.2'); // Keras 3's leaky_relu
      if (type) return simple(type, type === 'Softmax' ? 'softmax' : type);
      return simple('Function', `activation '${kerasActivationName(fn)}'`);
    }
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'SpatialDropout3D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
      return simple('Dropout', cfg.rate != null ? `${Number(cfg.rate) * 100}% dropout` : cls);
    case 'Add':
      return simple('Addition', `Element-wise addition of ${node.inputTensors.length} inputs`);
    case 'TFOpLambda': {
      const names = node.inputTensors.map((t) => t.sourceLayer.name);
      return simple(opLayerType(layer) ?? 'Other', describeOpLayer(layer, names) ?? 'TensorFlow operation (Keras)');
    }
    case 'LayerNormalization': {
      const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
      const along =
        axis.length === 1 && (axis[0] === -1 || axis[0] === inShape.length) ? '' : ` over axes [${axis.join(' ')}]`;
      return simple('Layer Normalization', `Layer normalization with ${inShape[inShape.length - 1]} channels${along}`);
    }
    case 'GroupNormalization': {
      const c = Number(inShape[inShape.length - 1]);
      const groups = Number(cfg.groups) === -1 ? c : Number(cfg.groups);
      return simple('Group Normalization', `Group normalization with ${c} channels in ${groups} groups`);
    }
    case 'UnitNormalization':
    case 'LayerScale':
      // Each pixel's channels scaled: the input's size, at any input size.
      return simple('Function', cls === 'LayerScale' ? 'LayerScale (Keras): channels times gamma' : 'Unit vectors');
    case 'Subtract':
      return simple('Other', `Element-wise subtraction of ${node.inputTensors.length} inputs`);
    case 'Multiply':
      return simple('Multiplication', `Element-wise multiplication of ${node.inputTensors.length} inputs`);
    case 'Concatenate':
      return cfg.axis === -1 || cfg.axis === 3
        ? simple('Depth concatenation', `Depth concatenation of ${node.inputTensors.length} inputs`)
        : simple('Other', `Concatenation along axis ${cfg.axis}`);
    case 'GlobalAveragePooling2D':
      return simple('Global Average Pooling', 'Global average pooling');
    case 'GlobalMaxPooling2D':
      return simple('Global Max Pooling', 'Global max pooling');
    case 'Rescaling':
      return simple('Function', rescalingText(cfg));
    case 'Identity':
      return simple('Function', 'Identity (Keras): passes its input through');
    default: {
      // A layer that acts in training only passes its input through at inference: its size at any input size.
      const role = passThroughRole(cls);
      if (role) return simple('Function', `${cls} (Keras): ${role}; at inference it passes its input through`);
      return simple('Other', `${cls} (Keras)`);
    }
  }
}

/** What {@link kerasNetworkParts} finds in a model. */
export interface KerasParts {
  /** The layer table; an `outputSize` holds -1 where Keras does not know a size (an input of free size). */
  layers: PartialLayer[];
  inputName: string;
  /** The model input's shape without the batch (nulls where free). */
  inputShape: (number | null)[];
  /** Whether the output is computed from the image (not from the other inputs' values alone). */
  outputFromImage: boolean;
  /** Makes the engine once the normalization is known. */
  engine(normalization: InputNormalization, fn: string): NetworkEngine;
  /**
   * The table again with every size measured at the network's input size (a model of free input size): output
   * sizes, and what follows from them ('same' paddings, the input's description).
   */
  complete(shapes: ReadonlyMap<string, readonly number[] | null>): PartialLayer[];
  /**
   * Every layer's output size (without the batch) for an input `[h, w, c]`, from Keras's own shape rules: nothing
   * runs. Null where a layer cannot tell, where its type is `'Other'` (its rule is not trusted), and after either.
   */
  predictShapes(input: readonly [number, number, number]): Map<string, number[] | null>;
}

/**
 * What in a Keras model tfjs-layers would run otherwise than Keras without an error, or null: a `Conv2DTranspose`
 * with a dilation rate above 1 (tfjs-layers keeps the rate on the layer but never passes it to TF.js, and leaves it
 * out of the layer's config, so the transposed convolution runs undilated, at another size). Nested models included.
 */
export function kerasProblem(model: KLayer): string | null {
  const stack = [model];
  for (let layer = stack.pop(); layer !== undefined; layer = stack.pop()) {
    if (isContainer(layer)) stack.push(...[...(layer.layers ?? [])].reverse());
    if (layer.getClassName() !== 'Conv2DTranspose') continue;
    const rate = (layer as { dilationRate?: unknown }).dilationRate;
    const rates = Array.isArray(rate) ? rate : [rate ?? 1];
    if (rates.some((r) => r !== 1)) {
      const shown = JSON.stringify(rate).replace(/,/g, ', ');
      return (
        `its layer '${layer.name}' (Conv2DTranspose) has the dilation rate ${shown}, which tfjs-layers drops (it ` +
        "computes the transposed convolution undilated, other numbers and sizes than Keras's, without an error)"
      );
    }
  }
  return null;
}

/**
 * A `Rescaling` layer's description from its config: its scale and offset, a number or one per channel (EfficientNet
 * divides by the ImageNet standard deviations so).
 */
function rescalingText(cfg: Record<string, unknown>): string {
  const shown = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  return `Rescaling by ${shown(cfg.scale)} plus ${shown(cfg.offset)}`;
}

/** How deep {@link kerasScalingLayer} and {@link embeddingsOfInputs} look into models nested in models. */
const MAX_NESTED_DEPTH = 8;

/** Keras layers whose output holds the values of their one input, rearranged at most (what an embedding looks up). */
const VALUE_KEEPING = new Set(['Flatten', 'Reshape', 'Permute', 'RepeatVector', 'Dropout', 'Identity']);

/**
 * The `Embedding` layers of a Keras model (nested models too) that look up one of its inputs `names` (a class label
 * beside the image), directly or through layers that keep its values (a `Reshape`, a `Flatten`): each with its number
 * of rows and the input's name. Such a lookup past the rows fails on the CPU backends and reads what is there on a GPU,
 * so a constant's values are checked against it when the network is made.
 */
export function embeddingsOfInputs(
  model: KLayer,
  names: ReadonlySet<string>,
): { layer: string; rows: number; input: string }[] {
  const found: { layer: string; rows: number; input: string }[] = [];
  // `held`: the symbolic tensors of `m` that hold an input's values, by id (the model's own inputs among them).
  const scan = (m: KLayer, held: ReadonlyMap<number, string>, depth: number) => {
    // The input whose values `sym` holds, following value-keeping layers back (a few, not a network).
    const holds = (sym: KSym | undefined): string | undefined => {
      for (let hops = 0; sym && hops < 64; hops++) {
        const known = held.get(sym.id);
        if (known !== undefined) return known;
        const cls = sym.sourceLayer.getClassName();
        if (!VALUE_KEEPING.has(cls) && passThroughRole(cls) === undefined) return undefined;
        const from = sym.sourceLayer.inboundNodes[sym.nodeIndex]?.inputTensors;
        sym = from?.length === 1 ? from[0] : undefined;
      }
      return undefined;
    };
    for (const layer of m.layers ?? []) {
      const rows = (layer.getConfig() as { inputDim?: unknown }).inputDim;
      for (const node of layer.inboundNodes) {
        if (layer.getClassName() === 'Embedding' && typeof rows === 'number') {
          const input = holds(node.inputTensors[0]);
          if (input !== undefined) found.push({ layer: layer.name, rows, input });
        } else if (isContainer(layer) && depth < MAX_NESTED_DEPTH) {
          const inner = new Map<number, string>();
          layer.inputs!.forEach((t, i) => {
            const input = holds(node.inputTensors[i]);
            if (input !== undefined) inner.set(t.id, input);
          });
          if (inner.size > 0) scan(layer, inner, depth + 1);
        }
      }
    }
  };
  scan(
    model,
    new Map((model.inputs ?? []).filter((i) => names.has(i.sourceLayer.name)).map((i) => [i.id, i.sourceLayer.name])),
    0,
  );
  return found;
}

/** The Keras layers that scale pixels: one that reads a model's image means the model scales them itself. */
const SCALING_LAYERS = new Set(['Rescaling', 'Normalization', 'TFOpLambda']);

/**
 * The layer of a Keras model that prepares its pixels itself, if one reads the model's image: a `Rescaling`, a
 * `Normalization` or a TensorFlow operation (keras.applications's `preprocess_input` inside the model), also after
 * layers that pass the image through at inference (TensorFlow's transfer-learning tutorial augments it first, in a
 * nested `Sequential`) or as the first layer of a nested model (EfficientNet scales inside itself). Its name as the
 * layer table gives it (`'base/rescaling'`) and what it does (an operation's call, `img[..., ::-1]`; a `Rescaling`'s
 * numbers; another layer's class), or null. `image`: the image's index among the model's inputs.
 */
export function kerasScalingLayer(model: KLayer, image = 0): { name: string; what: string } | null {
  return scalingIn(model, '', 0, image).found;
}

/**
 * {@link kerasScalingLayer} in model `m` (its layers named `path` + their names), and whether its output is still
 * its image, passed through. Nested models `depth` deep; deeper than {@link MAX_NESTED_DEPTH} is not looked into.
 */
function scalingIn(
  m: KLayer,
  path: string,
  depth: number,
  imageInput = 0,
): { found: { name: string; what: string } | null; image: boolean } {
  const input = m.inputs?.[imageInput]?.sourceLayer;
  if (!input || depth > MAX_NESTED_DEPTH) return { found: null, image: false };
  // The layers whose output is the image itself.
  const image = new Set<KLayer>([input]);
  for (const layer of m.layers ?? []) {
    const node = layer.inboundNodes.find(
      (n) => n.inputTensors.length === 1 && image.has(n.inputTensors[0].sourceLayer),
    );
    if (layer === input || node === undefined) continue;
    const cls = layer.getClassName();
    if (isContainer(layer)) {
      const inner = scalingIn(layer, `${path}${layer.name}/`, depth + 1);
      if (inner.found) return inner;
      if (inner.image) image.add(layer);
    } else if (passThroughRole(cls)) {
      image.add(layer);
    } else if (SCALING_LAYERS.has(cls)) {
      // An operation as its call (`img[..., ::-1]`), a Rescaling with its numbers (which say what it expects).
      const call = describeOpLayer(
        layer,
        node.inputTensors.map((t) => t.sourceLayer.name),
      );
      const what = call ?? (cls === 'Rescaling' ? rescalingText(layer.getConfig()) : cls);
      return { found: { name: `${path}${layer.name}`, what }, image: false };
    }
  }
  const last = m.outputs?.[0]?.sourceLayer;
  return { found: null, image: last !== undefined && image.has(last) };
}

/**
 * Reads a Keras model's layer table and makes its engine. The image goes in at input number `image`; each other input
 * takes its value in `constants` (by input layer name, one image's, `[1, …]`), repeated for every image of a batch.
 * The table ends at the model's output number `output` (of several, only what that one needs), and holds the layers
 * computed from the image: those computed from constants alone are not layers of the network, as a converted graph's
 * constants are not, and a layer's inputs name only layers.
 */
export function kerasNetworkParts(
  model: KLayer,
  output = 0,
  image = 0,
  constants: ReadonlyMap<string, tf.Tensor> = new Map(),
): KerasParts {
  const layers: PartialLayer[] = [];
  // How each row was described, to describe it again at measured sizes.
  const sources = new Map<string, { layer: KLayer; node: KNode; base: Parameters<typeof kerasLayerRow>[2] }>();
  const row = (layer: KLayer, node: KNode, base: Parameters<typeof kerasLayerRow>[2]) => {
    sources.set(base.name, { layer, node, base });
    layers.push(describeKerasLayer(layer, node, base));
  };
  const entries = new Map<string, Entry>();
  const contexts = new Map<string, Context>();
  const top: Context = { key: '', container: model, parent: null, callNode: null };
  contexts.set('', top);

  // The layer table of one model (nested ones recursively), in Keras order as far as the graph allows. `feeders`:
  // the table's names of what feeds each input of the model; `fromImage`: whether that is computed from the image.
  const walk = (ctx: Context, prefix: string, feeders: readonly string[], fromImage: readonly boolean[]) => {
    const container = ctx.container;
    const inputs = container.inputs!;
    const isInput = (s: KSym) => inputs.some((i) => i.id === s.id);
    // The calls computed from the image (by key), which alone are rows of the table.
    const imageCalls = new Set<string>();
    const isFromImage = (s: KSym) => {
      const i = inputs.findIndex((t) => t.id === s.id);
      return i >= 0 ? fromImage[i] : imageCalls.has(keyOf(s));
    };
    // The calls that compute the outputs, each with the calls it needs.
    const calls = new Map<string, { layer: KLayer; nodeIndex: number; node: KNode; deps: Set<string> }>();
    const keyOf = (s: KSym) => `${s.sourceLayer.name}#${s.nodeIndex}`;
    // With a stack of its own, in the order a recursive walk would take (each input's calls before the next
    // input's): recursion overflowed the call stack on a chain of 16,000 layers, which tfjs-layers builds.
    const visit = (from: KSym) => {
      const todo = [from];
      for (let s = todo.pop(); s !== undefined; s = todo.pop()) {
        if (isInput(s)) continue;
        const key = keyOf(s);
        if (calls.has(key)) continue;
        const node = s.sourceLayer.inboundNodes[s.nodeIndex];
        const deps = new Set<string>();
        calls.set(key, { layer: s.sourceLayer, nodeIndex: s.nodeIndex, node, deps });
        for (const t of node.inputTensors) if (!isInput(t)) deps.add(keyOf(t));
        for (let i = node.inputTensors.length - 1; i >= 0; i--) todo.push(node.inputTensors[i]);
      }
    };
    for (const o of ctx === top ? [container.outputs![output]] : container.outputs!) visit(o);
    // Calls of one layer, numbered in this model from 0.
    const callNumber = new Map<string, number>();
    const perLayer = new Map<string, number[]>();
    for (const c of calls.values()) perLayer.set(c.layer.name, [...(perLayer.get(c.layer.name) ?? []), c.nodeIndex]);
    for (const [name, idx] of perLayer) {
      idx
        .sort((a, b) => a - b)
        .forEach((n, i) => {
          callNumber.set(`${name}#${n}`, i);
        });
    }
    const nameOfCall = (layer: KLayer, nodeIndex: number) => {
      const i = callNumber.get(`${layer.name}#${nodeIndex}`) ?? 0;
      return `${prefix}${layer.name}${i > 0 ? `@${i}` : ''}`;
    };
    const tableName = (s: KSym) => {
      const i = inputs.findIndex((t) => t.id === s.id);
      return i >= 0 ? feeders[i] : nameOfCall(s.sourceLayer, s.nodeIndex);
    };
    // Keras order (the model's `layers`, then call number), kept wherever the graph allows it.
    const rank = new Map((container.layers ?? []).map((l, i) => [l.name, i]));
    const pending = [...calls.entries()].sort(
      ([, a], [, b]) => (rank.get(a.layer.name) ?? 0) - (rank.get(b.layer.name) ?? 0) || a.nodeIndex - b.nodeIndex,
    );
    // Each step takes the first call in that order whose inputs are all done: Kahn's order with the ready calls in a
    // heap by position. Searching the list for it at each step, and splicing it out, was quadratic (10 s for a chain
    // of 40,000 layers), and worse for a model listing its layers backwards.
    const position = new Map(pending.map(([key], i) => [key, i] as const));
    const waiting = pending.map(([, c]) => [...c.deps].filter((d) => position.has(d)).length);
    const readersOf = new Map<string, number[]>();
    pending.forEach(([, c], i) => {
      for (const d of c.deps) {
        const list = readersOf.get(d);
        if (list) list.push(i);
        else readersOf.set(d, [i]);
      }
    });
    const ready = new MinHeap();
    waiting.forEach((w, i) => {
      if (w === 0) ready.push(i);
    });
    const taken = new Uint8Array(pending.length);
    for (let step = 0; step < pending.length; step++) {
      let at = ready.pop();
      // None ready (a graph that reads itself, which tfjs-layers does not build): the last pending call, as before.
      if (at === undefined) for (at = pending.length - 1; taken[at]; ) at--;
      taken[at] = 1;
      const [key, c] = pending[at];
      for (const r of readersOf.get(key) ?? []) if (--waiting[r] === 0 && !taken[r]) ready.push(r);
      const name = nameOfCall(c.layer, c.nodeIndex);
      const inputNames = c.node.inputTensors.map(tableName);
      const inputsFromImage = c.node.inputTensors.map(isFromImage);
      // What reads a constant lists the layers it reads, not the constant.
      const layerInputs = inputNames.filter((_, j) => inputsFromImage[j]);
      if (isContainer(c.layer)) {
        const inner: Context = { key: name, container: c.layer, parent: ctx, callNode: c.node };
        contexts.set(name, inner);
        const innerCalls = walk(inner, `${name}/`, inputNames, inputsFromImage);
        // A nested model is a row where its output is computed from the image (it may read the image and not use it).
        const out = c.layer.outputs![0];
        const at = c.layer.inputs!.findIndex((t) => t.id === out.id);
        if (!(at >= 0 ? inputsFromImage[at] : innerCalls.has(`${out.sourceLayer.name}#${out.nodeIndex}`))) continue;
        imageCalls.add(key);
        const outName = at >= 0 ? inputNames[at] : `${name}/${nameOfInner(c.layer, out)}`;
        entries.set(name, entries.get(outName)!);
        const o = layers.find((l) => l.name === outName);
        layers.push({
          name,
          type: 'Network',
          description: `${c.layer.getClassName()} '${c.layer.name}' with ${c.layer.layers!.length} layers`,
          inputs: layerInputs,
          nodeName: name,
          originalType: c.layer.getClassName(),
          outputSize: o ? [...o.outputSize] : [],
          numLearnables: 0,
          outputLayer: outName,
        } as PartialLayer);
        continue;
      }
      if (!inputsFromImage.some((f) => f)) continue;
      imageCalls.add(key);
      const sym = c.node.outputTensors[0];
      entries.set(name, { ctx, sym });
      const numLearnables = callNumber.get(key) === 0 ? countLearnables(c.layer) : 0;
      row(c.layer, c.node, {
        name,
        inputs: layerInputs,
        nodeName: name,
        outputSize: sym.shape.slice(1).map((d) => d ?? -1),
        numLearnables,
      });
    }
    return imageCalls;
  };
  // The name an inner model's output has in its own table (its call number there).
  const nameOfInner = (container: KLayer, out: KSym) => {
    const calls = out.sourceLayer.inboundNodes.map((_, i) => i).filter((i) => isInGraph(container, out.sourceLayer, i));
    const n = calls.indexOf(out.nodeIndex);
    return `${out.sourceLayer.name}${n > 0 ? `@${n}` : ''}`;
  };

  const input = model.inputs![image];
  const inputName = input.sourceLayer.name;
  const inputShape = input.shape.slice(1) as (number | null)[];
  row(
    input.sourceLayer,
    { inputTensors: [input], outputTensors: [input] },
    {
      name: inputName,
      inputs: [],
      nodeName: inputName,
      outputSize: inputShape.map((d) => d ?? -1),
      numLearnables: 0,
    },
  );
  entries.set(inputName, { ctx: top, sym: input });
  // The constant inputs are fed by name too.
  const inputNames = model.inputs!.map((i) => i.sourceLayer.name);
  for (const [i, sym] of model.inputs!.entries()) if (i !== image) entries.set(inputNames[i], { ctx: top, sym });
  const imageCalls = walk(
    top,
    '',
    inputNames,
    inputNames.map((_, i) => i === image),
  );
  const out = model.outputs![output];
  const outputFromImage = out.id === input.id || imageCalls.has(`${out.sourceLayer.name}#${out.nodeIndex}`);

  return {
    layers,
    inputName,
    inputShape,
    outputFromImage,
    engine: (normalization, fn) => kerasEngine(model, entries, contexts, inputName, normalization, fn, constants),
    predictShapes: (input) => {
      const shapes = new Map<string, number[] | null>();
      for (const l of layers) {
        const from = sources.get(l.name);
        let shape: number[] | null = null;
        if (l.inputs.length === 0) shape = [...input];
        else if (l.type === 'Network') shape = shapes.get((l as { outputLayer?: string }).outputLayer ?? '') ?? null;
        // A layer the table does not know ('Other': a custom class, or a rule this library has not read) may have a
        // rule that is wrong where running it is right (UpscalerJS's pixel shuffle keeps its input's height and
        // width): measured instead.
        else if (from?.layer.computeOutputShape && l.type !== 'Other') {
          const ins = l.inputs.map((n) => shapes.get(n));
          if (ins.every((v): v is number[] => v != null)) {
            try {
              const batched = ins.map((v) => [1, ...v]);
              const out = from.layer.computeOutputShape(batched.length === 1 ? batched[0] : batched);
              const first = (Array.isArray(out[0]) ? out[0] : out) as (number | null)[];
              if (first.every((d) => typeof d === 'number' && d >= 0)) shape = (first as number[]).slice(1);
            } catch {
              // A layer whose rule needs more than shapes: its size is measured by running it.
            }
          }
        }
        shapes.set(l.name, shape);
      }
      return shapes;
    },
    complete: (shapes) =>
      layers.map((l) => {
        const outputSize = [...(shapes.get(l.name) ?? l.outputSize)];
        const from = sources.get(l.name);
        if (!from) return { ...l, outputSize } as PartialLayer;
        const input = l.inputs.length > 0 ? shapes.get(l.inputs[0]) : outputSize;
        return describeKerasLayer(from.layer, from.node, { ...from.base, outputSize }, input ?? undefined);
      }),
  };
}

/** A heap of numbers, least first. */
class MinHeap {
  private readonly items: number[] = [];
  push(v: number): void {
    const a = this.items;
    a.push(v);
    for (let i = a.length - 1; i > 0; ) {
      const up = (i - 1) >> 1;
      if (a[up] <= a[i]) break;
      [a[up], a[i]] = [a[i], a[up]];
      i = up;
    }
  }
  pop(): number | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as number;
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Whether call `nodeIndex` of `layer` is part of `container`'s graph (reached from its outputs). */
function isInGraph(container: KLayer, layer: KLayer, nodeIndex: number): boolean {
  const seen = new Set<string>();
  const inputs = container.inputs ?? [];
  const stack = [...(container.outputs ?? [])];
  while (stack.length > 0) {
    const s = stack.pop()!;
    if (inputs.some((i) => i.id === s.id)) continue;
    const key = `${s.sourceLayer.name}#${s.nodeIndex}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (s.sourceLayer === layer && s.nodeIndex === nodeIndex) return true;
    stack.push(...s.sourceLayer.inboundNodes[s.nodeIndex].inputTensors);
  }
  return false;
}

/** Learnable values of a layer: its weights but batch-norm statistics (states in MATLAB's words). */
function countLearnables(layer: KLayer): number {
  return layer.weights.filter((w) => !isState(w)).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
}

function readAll(model: KLayer): tf.Tensor[] {
  return model.weights.map((w) => w.read());
}

/**
 * Keras's BatchNormalization without a scale or an offset (`scale: false`, as in every one of Keras's InceptionV3, or
 * `center: false`) at inference, computed with a scale of ones and an offset of zeros; null for any other layer.
 * tfjs-layers hands TF.js's batch norm no scale or offset there, and TF.js's gradient cannot do without either: every
 * gradient through such a layer failed inside TF.js. The numbers are the same (the kernels multiply by the scale, here
 * by 1, and add the offset, here 0). Only under a gradient tape: a forward pass runs the layer itself.
 */
function completeBatchNorm(layer: KLayer, ins: readonly tf.Tensor[]): tf.Tensor | null {
  if (layer.getClassName() !== 'BatchNormalization' || ins.length !== 1) return null;
  const bn = batchNormWeights(layer);
  const config = layer.getConfig() as { axis?: number; epsilon?: number };
  if (!bn || (bn.gamma && bn.beta) || typeof config.epsilon !== 'number') return null;
  const x = ins[0];
  const axis = ((config.axis ?? -1) + x.rank) % x.rank;
  const shape = x.shape.map((d, i) => (i === axis ? d : 1));
  const along = (w: tf.Tensor) => (axis === x.rank - 1 ? w : tf.reshape(w, shape));
  const mean = bn.movingMean.read();
  return tf.batchNorm(
    x,
    along(mean),
    along(bn.movingVariance.read()),
    along(bn.beta ? bn.beta.read() : tf.zerosLike(mean)),
    along(bn.gamma ? bn.gamma.read() : tf.onesLike(mean)),
    config.epsilon,
  );
}

/**
 * A Keras convolution computed with TF.js's plain operations, where tfjs-layers's own call would be wrong or slow; null
 * for any other layer, which runs itself:
 * - DepthwiseConv2D with a dilation rate above 1 (atrous: DeepLab's), always: tfjs-layers ignores its dilation rate
 *   (it passes none to TF.js), which would give other numbers than Keras's and sizes that disagree with the layer
 *   table. Its kernel is dilated explicitly (zeros between the taps) and the convolution runs without dilation.
 * - Conv2D and SeparableConv2D with a dilation rate above 1, under a gradient tape: TF.js has no gradient for a dilated
 *   convolution. The same explicit dilation.
 * - Conv2D of one group under a gradient tape: tfjs-layers runs it as TF.js's fused convolution, which stays fused
 *   under a gradient where it has no activation (every convolution followed by batch normalization: MobileNet's,
 *   ResNet's, EfficientNet's), and whose gradient then computes the kernel's share with the input's (the library's
 *   gradients compute only what is asked for, the image's): a sixth of a deep dream step through a Keras MobileNetV2
 *   went into kernel gradients nobody read.
 * The numbers are the convolution's, a bias added and the activation applied after it (a fused kernel may round the
 * last bit otherwise).
 */
function plainConvolution(layer: KLayer, ins: readonly tf.Tensor[], taped: boolean): tf.Tensor | null {
  const cls = layer.getClassName();
  if (ins.length !== 1 || ins[0].rank !== 4) return null;
  if (cls !== 'Conv2D' && cls !== 'SeparableConv2D' && cls !== 'DepthwiseConv2D') return null;
  if (!taped && cls !== 'DepthwiseConv2D') return null;
  // A grouped Conv2D spreads its dilated kernel out itself (kerasLayers.ts).
  if (((layer as { groups?: number }).groups ?? 1) > 1) return null;
  const cfg = layer.getConfig() as {
    dilationRate?: unknown;
    strides?: unknown;
    padding?: unknown;
    dataFormat?: unknown;
  };
  const dilation = pair(cfg.dilationRate, 1);
  const dilated = dilation[0] !== 1 || dilation[1] !== 1;
  if ((!dilated && cls !== 'Conv2D') || cfg.dataFormat === 'channelsFirst') return null;
  const conv = convolutionWeights(layer);
  if (!conv || (cls === 'SeparableConv2D' && !conv.pointwiseKernel)) return null;
  const pointwise = conv.pointwiseKernel;
  const strides = pair(cfg.strides, 1);
  const pad = cfg.padding === 'same' ? 'same' : 'valid';
  return tf.tidy(() => {
    const x = ins[0] as tf.Tensor4D;
    let y: tf.Tensor;
    const kernel = dilated ? dilateKernel(conv.kernel.read(), dilation) : (conv.kernel.read() as tf.Tensor4D);
    if (cls === 'Conv2D') y = tf.conv2d(x, kernel, strides, pad);
    else if (cls === 'DepthwiseConv2D') y = tf.depthwiseConv2d(x, kernel, strides, pad);
    else y = tf.separableConv2d(x, kernel, pointwise!.read() as tf.Tensor4D, strides, pad);
    if (conv.bias) y = tf.add(y, conv.bias.read());
    return conv.activation ? conv.activation.apply(y) : y;
  });
}

/**
 * A Keras Dense under a gradient tape, as a plain matrix product, a bias added and the activation; null for any other
 * layer. tfjs-layers runs it as TF.js's fused product, which stays fused under a gradient where it has no activation
 * (a classifier's logits) and whose gradient then computes the kernel's share (`[inputs, units]`) with the input's.
 */
function plainDense(layer: KLayer, ins: readonly tf.Tensor[]): tf.Tensor | null {
  if (ins.length !== 1 || ins[0].rank < 2) return null;
  const dense = denseWeights(layer);
  if (!dense) return null;
  const [inputs, units] = dense.kernel.shape;
  const x = ins[0];
  if (x.shape[x.rank - 1] !== inputs) return null;
  return tf.tidy(() => {
    let y: tf.Tensor = tf.matMul(x.rank === 2 ? x : tf.reshape(x, [-1, inputs]), dense.kernel.read() as tf.Tensor2D);
    if (dense.bias) y = tf.add(y, dense.bias.read());
    if (x.rank !== 2) y = tf.reshape(y, [...x.shape.slice(0, -1), units]);
    return dense.activation ? dense.activation.apply(y) : y;
  });
}

/** The engine of a Keras model: evaluates the needed layer calls on real tensors, in each nested model's context. */
function kerasEngine(
  model: KLayer,
  entries: Map<string, Entry>,
  contexts: Map<string, Context>,
  inputName: string,
  normalization: InputNormalization,
  fn: string,
  constants: ReadonlyMap<string, tf.Tensor>,
): NetworkEngine {
  /** The slot a value is really made in: through a nested model's inputs and outputs to the layer call (or feed). */
  type Slot = { ctx: Context; sym: KSym };
  const childOf = (ctx: Context, node: KNode) => {
    const child = [...contexts.values()].find((c) => c.parent === ctx && c.callNode === node);
    if (!child) throw new Error(`${fn}: a nested model is not in the layer table`);
    return child;
  };
  const canonical = (ctx: Context, sym: KSym): Slot => {
    for (;;) {
      const i = ctx.container.inputs!.findIndex((t) => t.id === sym.id);
      if (i >= 0 && ctx.parent) {
        sym = ctx.callNode!.inputTensors[i];
        ctx = ctx.parent;
        continue;
      }
      if (i < 0 && isContainer(sym.sourceLayer)) {
        const layer = sym.sourceLayer;
        ctx = childOf(ctx, layer.inboundNodes[sym.nodeIndex]);
        sym = layer.outputs![sym.tensorIndex];
        continue;
      }
      return { ctx, sym };
    }
  };
  const keyOf = (s: Slot) => `${s.ctx.key}|${s.sym.id}`;

  /**
   * Computes the targets from the feeds. With `free`, each intermediate tensor is disposed as soon as the last layer
   * that reads it has run (a forward pass holds only what is still needed); without it (under a gradient tape, which
   * needs them), they live until the caller's tidy ends.
   */
  const evaluate = (
    feeds: ReadonlyMap<string, tf.Tensor>,
    targets: readonly string[],
    norm: (x: tf.Tensor) => tf.Tensor,
    free: boolean,
  ) => {
    const memo = new Map<string, tf.Tensor>();
    const holders = new Map<number, number>();
    const fed = new Set<string>();
    for (const [name, value] of feeds) {
      const e = entries.get(name)!;
      const k = keyOf(canonical(e.ctx, e.sym));
      memo.set(k, name === inputName ? norm(value) : value);
      fed.add(k);
    }
    const targetSlots = targets.map((name) => {
      const e = entries.get(name);
      if (!e) throw new Error(`${fn}: no layer '${name}'`);
      return canonical(e.ctx, e.sym);
    });
    const keep = new Set([...fed, ...targetSlots.map(keyOf)]);
    const kept = new Set([...feeds.values()].map((t) => t.id));
    for (const k of fed) kept.add(memo.get(k)!.id);
    // How many layer calls still read each slot (counted over what the targets need).
    const readers = new Map<string, number>();
    const planned = new Set<string>();
    // Both walks below keep their own stack: a recursive one overflowed the call stack on a chain of a few thousand
    // layers, which tfjs-layers itself builds and runs.
    const plan = (start: Slot) => {
      const todo = [start];
      for (let slot = todo.pop(); slot; slot = todo.pop()) {
        const k = keyOf(slot);
        if (fed.has(k) || planned.has(k)) continue;
        planned.add(k);
        if (slot.ctx.container.inputs!.some((t) => t.id === slot!.sym.id)) continue;
        const node = slot.sym.sourceLayer.inboundNodes[slot.sym.nodeIndex];
        for (const t of node.inputTensors) {
          const input = canonical(slot.ctx, t);
          readers.set(keyOf(input), (readers.get(keyOf(input)) ?? 0) + 1);
          todo.push(input);
        }
      }
    };
    if (free) for (const t of targetSlots) plan(t);
    /** Computes one layer call whose inputs are all in `memo`, then frees the inputs nothing else will read. */
    const compute = ({ ctx, sym }: Slot, inputs: readonly Slot[]) => {
      const layer = sym.sourceLayer;
      const node = layer.inboundNodes[sym.nodeIndex];
      const ins = inputs.map((s) => memo.get(keyOf(s))!);
      const out =
        (!free && (completeBatchNorm(layer, ins) || plainDense(layer, ins))) ||
        plainConvolution(layer, ins, !free) ||
        layer.apply(ins.length === 1 ? ins[0] : ins, { ...(node.callArgs ?? {}), training: false });
      const outs = Array.isArray(out) ? out : [out];
      node.outputTensors.forEach((t, j) => {
        memo.set(keyOf({ ctx, sym: t }), outs[j]);
        holders.set(outs[j].id, (holders.get(outs[j].id) ?? 0) + 1);
      });
      if (!free) return;
      for (const input of inputs) {
        const ik = keyOf(input);
        const left = (readers.get(ik) ?? 1) - 1;
        readers.set(ik, left);
        const value = memo.get(ik);
        if (left <= 0 && !keep.has(ik) && value) {
          memo.delete(ik);
          // A layer may hand back its input itself (dropout at inference): free a tensor when no slot holds it.
          const held = (holders.get(value.id) ?? 1) - 1;
          holders.set(value.id, held);
          if (held <= 0 && !kept.has(value.id)) value.dispose();
        }
      }
    };
    /** The value of a slot: each layer call after its inputs, the first input's layers first. */
    const valueAt = (target: Slot): tf.Tensor => {
      const stack = [target];
      const expanded = new Set<string>();
      while (stack.length > 0) {
        const slot = stack[stack.length - 1];
        const k = keyOf(slot);
        if (memo.has(k)) {
          stack.pop();
          continue;
        }
        const { ctx, sym } = slot;
        if (ctx.container.inputs!.some((t) => t.id === sym.id)) throw new Error(`${fn}: the model's input was not fed`);
        const inputs = sym.sourceLayer.inboundNodes[sym.nodeIndex].inputTensors.map((t) => canonical(ctx, t));
        const missing = inputs.filter((s) => !memo.has(keyOf(s)));
        if (missing.length === 0) {
          stack.pop();
          compute(slot, inputs);
          continue;
        }
        // Its inputs were computed and are still missing: only a cycle does that, which Keras cannot build.
        if (expanded.has(k)) throw new Error(`${fn}: the model's layers form a cycle at '${sym.sourceLayer.name}'`);
        expanded.add(k);
        for (let i = missing.length - 1; i >= 0; i--) stack.push(missing[i]);
      }
      return memo.get(keyOf(target))!;
    };
    return targetSlots.map(valueAt);
  };
  const norm = (x: tf.Tensor) => applyNormalization(x, normalization);
  /** The feeds with each constant input's value, one image's repeated for the `n` of the batch. */
  const withConstants = (feeds: ReadonlyMap<string, tf.Tensor>, n: number) => {
    if (constants.size === 0) return feeds;
    const all = new Map(feeds);
    for (const [name, value] of constants) {
      all.set(name, n === 1 ? value : tf.tile(value, [n, ...value.shape.slice(1).map(() => 1)]));
    }
    return all;
  };
  const batchOf = (feeds: ReadonlyMap<string, tf.Tensor>) => [...feeds.values()][0]?.shape[0] ?? 1;
  return {
    run: (input, names) => evaluate(withConstants(new Map([[inputName, input]]), input.shape[0]), names, norm, true),
    runFrom: (feeds, to) => evaluate(withConstants(feeds, batchOf(feeds)), [to], norm, false)[0],
    ownTensors: () => [...readAll(model), ...constants.values()],
    learnables: (l) => {
      const e = entries.get(l.name);
      if (!e || l.type === 'Network') return {};
      const out: Record<string, tf.Tensor> = {};
      for (const w of e.sym.sourceLayer.weights) out[weightKey(w)] = w.read();
      return out;
    },
    isDisposed: () => {
      try {
        readAll(model);
        return false;
      } catch {
        return true;
      }
    },
    dispose: () => {
      tf.dispose([...constants.values()]);
      disposeLayersModel(model as unknown as LayersModel);
    },
    activationOf: (name) => {
      const e = entries.get(name);
      const activation = e && (e.sym.sourceLayer.getConfig() as { activation?: unknown }).activation;
      return typeof activation === 'string' ? activation : null;
    },
  };
}
