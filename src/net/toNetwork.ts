/**
 * `toNetwork(model, options)`: any image model a user brings, a TF.js `GraphModel` or a Keras `LayersModel`, as a
 * {@link Network} that every function of this library takes. The options say what MATLAB's image input layer says.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertInteger, assertOptions, describeValue, rangeError, typeError } from '../internal/validate.js';
import { BACKEND_NAMES } from '../backend/backendNames.js';
import { assertElements, listArg } from '../internal/limits.js';
import { closestNames, listQuoted, someNames } from './closestNames.js';
import { isGraphModel, isLayersModel, wrappedModelNote } from './modelKinds.js';
import { dynamicOpAt, gathersOfInputs, graphNetworkParts, graphProblem, layerNode } from './graphNetwork.js';
import { outputCount, outputRef } from './graphPlan.js';
import { fixGraphOps } from './graphOps.js';
import { embeddingsOfInputs, kerasNetworkParts, kerasProblem, kerasScalingLayer } from './kerasNetwork.js';
import { METADATA_KEY } from './modelFormat.js';
import { createNetwork, isModelDisposed, type NetworkEngine, type PartialLayer } from './network.js';
import { checkNormalization, type NormalizationOption } from './normalization.js';
import {
  checkConstantInputsOption,
  DECLARED_CONSTANT_INPUTS,
  feedGraphInputs,
  graphInputs,
  kerasConstants,
  kerasInputs,
} from './constantInputs.js';
import { foldConstantBranches } from './staticBranches.js';
import {
  constantInputOf,
  declaredInputShape,
  type GraphDefNode,
  graphDefNodes,
  inputNodeName,
  relaxInputShape,
  shortOfInputs,
} from './tfjsInternals.js';
import type { Network } from './types.js';
import { scanLearnables } from './nonFinite.js';

/** Options of {@link toNetwork} (and of `importNetwork`): what MATLAB's `imageInputLayer` says of the model's input. */
export interface ToNetworkOptions {
  /**
   * How the model expects its pixels, given raw RGB 0..255 (MATLAB's `Normalization`): `'none'`, `'zerocenter'`
   * (with `mean`), `'zscore'` (with `mean` and `standardDeviation`), `'rescale-symmetric'` (to [-1, 1]),
   * `'rescale-zero-one'` (to [0, 1]), an object `{ type, mean, … }`, or a function of the pixels `[n, h, w, c]`.
   * Required unless the model's own metadata declares it: there is no default, because a wrong one gives plausible
   * but wrong numbers. Usual values: Keras MobileNet/Inception `'rescale-symmetric'`; Caffe-style ResNet50/VGG
   * `'zerocenter'` with their means; models trained on x / 255 `'rescale-zero-one'`.
   */
  normalization?: NormalizationOption;
  /** Per-channel (or one for all) mean for `'zerocenter'` and `'zscore'`, in the input's channel order. */
  mean?: number | readonly number[];
  /** Per-channel (or one for all) standard deviation for `'zscore'`. */
  standardDeviation?: number | readonly number[];
  /** The raw value that maps to 0 (`'rescale-zero-one'`) or -1 (`'rescale-symmetric'`). @default 0 */
  min?: number | readonly number[];
  /** The raw value that maps to 1. @default 255 */
  max?: number | readonly number[];
  /**
   * The input size the model was trained at, `[h, w]` or `[h, w, c]` (MATLAB's `InputSize`): sizes of the layer
   * table, `{ resize: true }` and `classify` use it. Required when the model's input does not fix it.
   * @default the model's input shape
   */
  inputSize?: readonly number[];
  /** The class names, in the order of the model's output. @default none (labels are the class indices) */
  classNames?: readonly string[];
  /** The network's name, in messages and tables. @default the Keras model's name, or `'network'` */
  name?: string;
  /**
   * The output the network ends at, for a model with several (a detector's boxes and scores, a face model's age and
   * gender heads): its name as `model.outputs` gives it (`'age_pred/Softmax'`; a Keras model's output layer name).
   * For a converted graph, also any node of it that computes something (its name in the graph, as
   * `model.json`'s `node` list gives it): the network then ends there, before a detector's non-max suppression, say,
   * which runs in a loop this library cannot run layer by layer. The layer table then holds only what that output
   * needs, and it is the network's last layer, the one `classify` reads. Required when the model has several outputs.
   * A network ends at a whole node: one output of several (`'split:1'`) is refused, saying so (`activations` takes it).
   * @default the model's only output
   */
  output?: string;
  /**
   * For a converted graph: the node the image goes in at, instead of the model's input, by its name in the graph.
   * TensorFlow's object detection models resize the image in a loop (a `map` over the batch) that TF.js runs only
   * asynchronously, before their first convolution; feeding the image where that convolution reads it skips the loop
   * (the refusal names that node). The image is then scaled by `normalization` as the loop would leave it, at
   * `inputSize`: given, or read from the graph where the loop resizes every image to one constant size on the way
   * to that node (nothing of the loop runs). The network starts there; `output` ends it.
   * @default the model's input
   */
  input?: string;
  /**
   * For a model with inputs beside the image (a converted graph's TensorFlow 1 `keep_prob` or `is_training`; the data
   * beside the image of a Keras model with several inputs): a value for each of them, by input name (a Keras model's
   * input layer name), that every pass feeds: `{ keep_prob: 1, is_training: false }`. A number or boolean fills the
   * input's declared shape; an array holds its values row by row (`{ meta: [63, 1, 0, 0.5] }`); a `tf.Tensor` (copied)
   * is the value, of the input's dtype and shape. The input left without a value takes the image. An input with a batch
   * axis (`[-1, …]`, every Keras input) takes one image's value (`[1, …]`): a Keras network repeats it for each image
   * of a batch, a converted graph runs a batch image by image. A converted graph holds the values itself: another
   * network made from the same model uses them too, and refuses others; where a value chooses a TensorFlow 1 branch
   * (`tf.cond`), the network runs the branch it chooses, and the model refuses other values. A Keras network holds its
   * own, and frees them with `net.dispose()`.
   * @default what the model's metadata declares (`userDefinedMetadata.cnnActivations.constantInputs`), else none
   */
  constantInputs?: Readonly<Record<string, number | boolean | readonly number[] | readonly boolean[] | tf.Tensor>>;
}

const OPTION_KEYS = [
  'normalization',
  'mean',
  'standardDeviation',
  'min',
  'max',
  'inputSize',
  'classNames',
  'name',
  'output',
  'input',
  'constantInputs',
] as const;

/** What a model file or loaded model may declare of itself under `userDefinedMetadata.cnnActivations`. */
interface DeclaredMetadata {
  normalization?: unknown;
  classNames?: unknown;
  name?: unknown;
  constantInputs?: unknown;
}

/** Checks the options of toNetwork/importNetwork; returns them typed. */
export function checkToNetworkOptions(fn: string, options: unknown, extra: readonly string[] = []): ToNetworkOptions {
  const opts = assertOptions<ToNetworkOptions>(fn, options, [...OPTION_KEYS, ...extra]);
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name === '')) {
    throw typeError(fn, 'options.name', 'a non-empty string', opts.name);
  }
  if (opts.output !== undefined && (typeof opts.output !== 'string' || opts.output === '')) {
    throw typeError(fn, 'options.output', "the name of one of the model's outputs", opts.output);
  }
  if (opts.input !== undefined && (typeof opts.input !== 'string' || opts.input === '')) {
    throw typeError(fn, 'options.input', 'the name of a node of the graph', opts.input);
  }
  if (opts.classNames !== undefined) {
    const names = listArg(fn, 'options.classNames', opts.classNames);
    if (!Array.isArray(names) || !names.every((c) => typeof c === 'string')) {
      throw typeError(fn, 'options.classNames', 'an array of strings', opts.classNames);
    }
    opts.classNames = names;
  }
  if (opts.constantInputs !== undefined) opts.constantInputs = checkConstantInputsOption(fn, opts.constantInputs);
  if (opts.inputSize !== undefined) {
    const s = listArg(fn, 'options.inputSize', opts.inputSize);
    if (!Array.isArray(s)) throw typeError(fn, 'options.inputSize', 'an array [h, w] or [h, w, c]', s);
    if (s.length !== 2 && s.length !== 3) throw rangeError(fn, 'options.inputSize', 'an array [h, w] or [h, w, c]', s);
    s.forEach((v, i) => {
      assertInteger(fn, `options.inputSize[${i}]`, v, 1, 1 << 14);
    });
    opts.inputSize = s;
  }
  return opts;
}

/**
 * Makes a loaded TF.js model a {@link Network}: a Keras `tf.LayersModel` (from `tf.loadLayersModel`, or built in
 * code) or a `tf.GraphModel` (from `tf.loadGraphModel`). Then `activations`, `analyzeNetwork`, `classify` and the
 * interpretability methods take it as they take a built-in network.
 *
 * - **Layers**: a Keras model's layers keep their Keras names (stable across loads); layers of a nested model are
 *   `'<model>/<layer>'`; the second call of a shared layer is `'<layer>@1'`. A graph model's layers are its op nodes
 *   (constants are weights, not layers; a fused convolution + bias + activation is one layer), named by their node
 *   names without TensorFlow's wrapper scopes and the prefix they all share; `nodeName` keeps the full name, which
 *   is accepted too.
 * - **Sizes**: a Keras model's layer sizes come from Keras's own shape rules; a graph model (or a Keras model with a
 *   layer whose rule cannot tell, or of type `'Other'`, such as a custom layer, whose rule may be wrong) runs once on
 *   a blank image of its input size to measure every layer's output size. Any other image size works where the
 *   layers allow it (a graph model's fixed input placeholder is relaxed for that); a layer that needs the trained size
 *   (fully connected, flatten) says so.
 * - **Pixels**: every function takes raw pixels (0..255) and applies `normalization` first, as MATLAB's input layer
 *   does.
 *
 * The Network uses the model, without copying it: `net.dispose()` disposes the model.
 *
 * @param model A loaded `tf.GraphModel` or `tf.LayersModel` with one image input `[n, h, w, 1|3]` (its other inputs,
 *   if any, given values by `options.constantInputs`) and one output (or `options.output` naming one).
 * @param options The input normalization (required unless the model declares it), input size, class names, name.
 * @returns A promise of the Network.
 * @throws {TypeError} for something else than a model, a disposed model, a model with several inputs left without a
 *   value, several outputs and no `options.output`, or a missing normalization (the message lists the choices and
 *   their usual values).
 * @throws {RangeError} for an input that is not an image, an unknown normalization, a `mean` of the wrong length,
 *   an `options.output` that is not an output (or is computed from `constantInputs` alone), class names that do not
 *   match the output, a value that does not fit its input, or a model that fails at its input size.
 * @throws {Error} for a model that uses an operation the active backend has no kernel for (TF.js's wasm backend has
 *   no complex numbers, for one), naming it and the other backends, or that reads a value it computed on the GPU
 *   synchronously, which TF.js's WebGPU backend cannot do in Node.js.
 * @example
 * const model = await tf.loadLayersModel('file://mobilenet/model.json');
 * const net = await toNetwork(model, { normalization: 'rescale-symmetric', classNames: labels });
 * analyzeNetwork(net).layers[3]; // { name: 'Conv1_relu', type: 'Clipped ReLU', activations: [112, 112, 32], … }
 */
export async function toNetwork(model: GraphModel | LayersModel, options?: ToNetworkOptions): Promise<Network> {
  return makeNetwork('toNetwork', model, checkToNetworkOptions('toNetwork', options), null);
}

/**
 * The body of toNetwork and importNetwork. `declared` is the metadata of a loaded model file, when there is one.
 * @internal
 */
export async function makeNetwork(
  fn: string,
  model: unknown,
  opts: ToNetworkOptions,
  declaredFromFile: DeclaredMetadata | null,
): Promise<Network> {
  const graph = isGraphModel(model);
  if (!graph && !isLayersModel(model)) {
    const err = typeError(fn, 'model', 'a loaded tf.GraphModel or tf.LayersModel', model);
    throw new TypeError(err.message + wrappedModelNote(model, 'model'));
  }
  const inputs = graph ? model.inputs : (model as LayersModel).inputs;
  const outputs = graph ? model.outputs : (model as LayersModel).outputs;
  if (graph ? isModelDisposed(model) : layersModelDisposed(model as LayersModel)) {
    throw new TypeError(`${fn}: the model has been disposed; load it again`);
  }
  const own = ((graph ? model.metadata : undefined) as Record<string, unknown> | undefined)?.[METADATA_KEY] as
    | DeclaredMetadata
    | undefined;
  const declared: DeclaredMetadata = { ...(own ?? {}), ...(declaredFromFile ?? {}) };
  // The values of the model's other inputs: the option's, or those the model file declares.
  const constantsFrom = opts.constantInputs !== undefined ? undefined : declared.constantInputs;
  const [givenConstants, constantsBase] =
    constantsFrom === undefined
      ? [opts.constantInputs, undefined]
      : [checkConstantInputsOption(fn, constantsFrom, DECLARED_CONSTANT_INPUTS), DECLARED_CONSTANT_INPUTS];
  const graphIn = graph ? graphInputs(fn, model, givenConstants, constantsBase) : undefined;
  const kerasIn = graph
    ? undefined
    : kerasInputs(fn, model as unknown as Parameters<typeof kerasInputs>[1], givenConstants, constantsBase);
  // A graph's outputs are tensor names (`'Identity_2:0'`, the `:0` often left out); a Keras model's are layers.
  const outputNames = graph
    ? outputs.map((o) => o.name.replace(/:0$/, ''))
    : (outputs as LayersModel['outputs']).map((o) => o.sourceLayer.name);
  const nodes = graph ? graphDefNodes(model) : null;
  if (graph) {
    if (!nodes) throw new TypeError(`${fn}: cannot read the graph of this GraphModel (its GraphDef is missing)`);
    const short = shortOfInputs(model);
    const problem =
      graphProblem(nodes) ??
      (short
        ? `its node '${short.node}' (${short.op}) has ${short.has} input${short.has === 1 ? '' : 's'} where the ` +
          `operation reads ${short.reads}`
        : null);
    if (problem) throw new RangeError(`${fn}: the model's graph cannot run: ${problem}`);
  }
  // A converted graph may also end at one of its nodes (before a detector's post-processing): index -1.
  const inner =
    graph && opts.output !== undefined && !outputNames.includes(opts.output.replace(/:0$/, ''))
      ? layerNode(nodes!, opts.output.replace(/:0$/, ''))
      : undefined;
  if (graph && !inner && opts.output !== undefined && !outputNames.includes(opts.output)) {
    assertWholeNodeOutput(fn, nodes!, opts.output);
  }
  const output = inner ? -1 : chooseOutput(fn, outputNames, opts.output, graph);
  const outputName = inner ? inner.name : outputNames[output];
  // The node the image goes in at: the model's input, or one the user names (after a preprocessing loop).
  let feedAt: string | undefined;
  let sizeWanted = opts.inputSize;
  if (opts.input !== undefined) {
    if (!graph) throw new TypeError(`${fn}: options.input names a node of a converted graph; a Keras model has none`);
    const node = nodes!.find((n) => n.name === opts.input!.replace(/:0$/, '') && n.op !== 'Const');
    if (!node) {
      throw new RangeError(
        `${rangeError(fn, 'options.input', 'a node of the graph that computes something', opts.input).message}; ` +
          `did you mean ${listQuoted(
            closestNames(
              opts.input,
              nodes!.filter((n) => n.op !== 'Const').map((n) => n.name),
              1,
            ),
          )}?`,
      );
    }
    if (!sizeWanted) {
      const prepared = await preparedSize(model as GraphModel, nodes!, node.name);
      if (typeof prepared === 'string') {
        throw new TypeError(
          `${fn}: options.input feeds the image at node '${node.name}', whose size the model does not say ` +
            `(${prepared}); give it as options.inputSize [h, w]`,
        );
      }
      sizeWanted = prepared;
    }
    feedAt = node.name;
  }
  const shape = (graphIn ? declaredInputShape(model as GraphModel, graphIn.image) : inputs[kerasIn!.image].shape) as
    | readonly (number | null | undefined)[]
    | undefined;
  if (shape?.length !== 4) {
    throw new RangeError(
      `${fn}: expected the model's input to be an image batch [n, h, w, c], got shape ${JSON.stringify(shape ?? null)}`,
    );
  }
  const known = (d: number | null | undefined) => (typeof d === 'number' && d > 0 ? d : null);
  const channels = known(shape[3]) ?? (sizeWanted?.length === 3 ? sizeWanted[2] : null);
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(
      `${fn}: expected the model's input to have 1 or 3 channels (gray or RGB), got ${channels ?? 'an unknown number'}` +
        (channels === null ? ' (give options.inputSize [h, w, c])' : '') +
        (shape[1] === 1 || shape[1] === 3
          ? `; its input [${shape.slice(1).join(', ')}] looks channels-first: this library feeds images [h, w, c] (channels last)`
          : ''),
    );
  }
  const [mh, mw] = [known(shape[1]), known(shape[2])];
  let inputSize: [number, number, number];
  if (sizeWanted) {
    const [h, w] = sizeWanted;
    if (sizeWanted.length === 3 && sizeWanted[2] !== channels) {
      throw rangeError(fn, 'options.inputSize[2]', `${channels} (the model's input channels)`, sizeWanted[2]);
    }
    if (!graph && ((mh !== null && mh !== h) || (mw !== null && mw !== w))) {
      throw rangeError(fn, 'options.inputSize', `[${mh}, ${mw}] (the Keras model's fixed input size)`, sizeWanted);
    }
    inputSize = [h, w, channels];
  } else if (mh !== null && mw !== null) {
    inputSize = [mh, mw, channels];
  } else {
    throw new TypeError(
      `${fn}: the model's input size is not fixed (${JSON.stringify(shape.map((d) => d ?? null))}); ` +
        'give the size it was trained at as options.inputSize [h, w]',
    );
  }

  const given = opts.normalization ?? declared.normalization;
  const normalization = checkNormalization(
    fn,
    given,
    { mean: opts.mean, standardDeviation: opts.standardDeviation, min: opts.min, max: opts.max },
    channels,
    given === undefined && !graph
      ? kerasScalingLayer(model as unknown as Parameters<typeof kerasScalingLayer>[0], kerasIn!.image)
      : null,
  );
  const name =
    opts.name ??
    (typeof declared.name === 'string' ? declared.name : undefined) ??
    (graph ? 'network' : (model as LayersModel).name || 'network');

  let layers: PartialLayer[];
  let engine: NetworkEngine;
  let inputName: string;
  const classNames =
    opts.classNames ?? (Array.isArray(declared.classNames) ? (declared.classNames as string[]) : undefined) ?? [];
  // Values fed to the graph's other inputs, taken back out of the model if the network cannot be made.
  let unfeed = () => {};
  try {
    if (graph && nodes && graphIn) {
      inputName = feedAt ?? graphIn.image;
      relaxInputShape(model, inputName);
      fixGraphOps(model);
      const unfeedInputs = await feedGraphInputs(fn, model, graphIn);
      unfeed = unfeedInputs;
      // A branch whose condition is now a constant (an is_training given a value) runs synchronously once folded;
      // `folded.undo` puts the branches back; `folded.nodes` is the GraphDef the network reads from then on.
      const folded = await foldConstantBranches(model, nodes, new Set([inputName, outputName, ...outputNames]));
      if (folded) {
        unfeed = () => {
          folded.undo();
          unfeedInputs();
        };
      }
      const graphNodes = folded?.nodes ?? nodes;
      const fed = new Set(graphIn.planned.map((p) => p.input.name));
      await checkLookups(
        fn,
        await graphLookups(model, graphNodes, fed),
        (i) => constantInputOf(model, i),
        graphIn.planned,
      );
      // With several outputs (or a node chosen, the image fed at a node, or branches folded), the table keeps what the
      // chosen one needs from the input on; with one, the whole graph.
      const cut = outputs.length > 1 || inner !== undefined || feedAt !== undefined || folded !== null;
      const parts = graphNetworkParts(model, graphNodes, inputName, cut ? outputName : undefined);
      engine = parts.engine(normalization, fn);
      let shapes: Map<string, number[]>;
      try {
        const sized = measure(
          fn,
          engine,
          parts.outputNames,
          inputSize,
          graphIn.planned.map((p) => p.input.name),
        );
        shapes = sized.shapes;
        engine = { ...engine, batchless: sized.batchless };
      } catch (err) {
        const dynamic = dynamicOpAt(graphNodes, inputName, outputName, err instanceof RangeError ? err.cause : err);
        if (!dynamic) throw err;
        const before = dynamic.convolutions;
        throw new RangeError(
          `${fn}: the model's graph runs a loop, a branch or an operation of data-dependent size on the way to ` +
            `'${outputName}' (node '${dynamic.node}', TF.js's dynamic operation '${dynamic.op}', as a detector's ` +
            'non-max suppression does), which TF.js runs only asynchronously; this library runs a graph layer by ' +
            (before.length > 0
              ? 'layer, so pass options.output naming a node before it, such as its last ' +
                `convolution${before.length > 1 ? 's' : ''} ${listQuoted(before)}`
              : dynamic.firstConvolutionReads !== null && dynamic.firstConvolutionReads !== inputName
                ? "layer, and no convolution comes before that node; if it prepares the image (TensorFlow's object " +
                  `detection models resize it in a loop), pass options.input '${dynamic.firstConvolutionReads}', where ` +
                  'the first convolution reads it'
                : 'layer, and no convolution comes before that node, so it cannot run this model'),
          { cause: err },
        );
      }
      layers = await parts.complete(shapes);
    } else {
      const keras = model as unknown as Parameters<typeof kerasNetworkParts>[0];
      const problem = kerasProblem(keras);
      if (problem) throw new RangeError(`${fn}: the model cannot run as Keras runs it: ${problem}`);
      // The values of the other inputs, which the network holds (and frees if it cannot be made).
      const constants = await kerasConstants(fn, kerasIn!.planned);
      unfeed = () => tf.dispose([...constants.values()]);
      await checkLookups(fn, kerasLookups(keras, new Set(constants.keys())), (i) => constants.get(i), kerasIn!.planned);
      const parts = kerasNetworkParts(keras, output, kerasIn!.image, constants);
      if (!parts.outputFromImage) {
        throw new RangeError(
          `${fn}: the model's output '${outputNames[output]}' is computed from the values of its other inputs alone, ` +
            `not from its image input '${parts.inputName}'`,
        );
      }
      inputName = parts.inputName;
      engine = parts.engine(normalization, fn);
      layers = parts.layers;
      // Keras's sizes are its layers' own rules, which tfjs-layers follows at any input size; a layer the table does not
      // know ('Other', such as a custom one) may have a rule that is wrong where running it is right. With constant
      // inputs, a layer's rule would be given the shapes of the layers it reads alone, not the constants': measured.
      const untrusted = layers.some((l) => l.type === 'Other') || constants.size > 0;
      if (untrusted || layers.some((l) => l.outputSize.some((d) => d < 0)) || mh === null || mw === null) {
        // Sizes from Keras's rules: a layer too large at this size is refused before anything is allocated (on wasm,
        // an allocation past 4 GiB wraps around and the kernel writes out of bounds). The model runs to measure them
        // only where a rule cannot tell or is not trusted: a pass holds every layer's output at once, seconds and
        // gigabytes for an image-to-image model at a large size.
        const predicted = parts.predictShapes(inputSize);
        for (const [name, shape] of predicted) {
          if (shape) assertElements(fn, 'options.inputSize', shape, `layer '${name}'`);
        }
        const told = constants.size === 0 && [...predicted.values()].every((shape) => shape !== null);
        layers = parts.complete(
          told
            ? predicted
            : measure(
                fn,
                engine,
                layers.map((l) => l.name),
                inputSize,
                [...constants.keys()],
              ).shapes,
        );
      }
    }

    checkClassCount(fn, classNames, layers[layers.length - 1]);
  } catch (err) {
    unfeed();
    throw err;
  }
  return scanLearnables(
    createNetwork({
      name,
      kind: graph ? 'graph-model' : 'layers-model',
      model: model as GraphModel | LayersModel,
      layers,
      inputSize,
      classNames: [...classNames],
      inputName,
      normalization,
      engine,
    }),
  );
}

/**
 * The index of the output a network ends at: the one `given` names, or the model's only output.
 * @throws {TypeError} for several outputs and none chosen (the message lists them).
 * @throws {RangeError} for a name that is not an output (the message lists them and the closest).
 */
function chooseOutput(fn: string, names: readonly string[], given: string | undefined, graph: boolean): number {
  const shown = someNames(names, true);
  if (given === undefined) {
    if (names.length === 1) return 0;
    throw new TypeError(
      `${fn}: expected a model with one output, got ${names.length}; ` +
        `pass options.output, one of ${shown}, to choose the one the network ends at`,
    );
  }
  const at = names.indexOf(graph ? given.replace(/:0$/, '') : given);
  if (at >= 0) return at;
  throw new RangeError(
    `${rangeError(fn, 'options.output', `one of the model's outputs (${shown})${graph ? ' or a node of its graph' : ''}`, given).message}; ` +
      `did you mean ${listQuoted(closestNames(given, names, 1))}?`,
  );
}

/**
 * How a detector's preparation of the image may pass it on without changing its height and width, and which inputs
 * carry the image (the others are sizes, indices, axes and loop conditions): its loop (`Enter`, `Merge`, `Switch`,
 * `NextIteration`, `Exit`, the tensor list of a `map`), a cast, and elementwise scaling.
 */
const KEEPS_SIZE: ReadonlyMap<string, readonly number[] | 'all'> = new Map<string, readonly number[] | 'all'>([
  ...['Identity', 'Cast', 'Enter', 'Exit', 'Switch', 'NextIteration', 'Squeeze', 'ExpandDims'].map(
    (op) => [op, [0]] as const,
  ),
  ...['Relu', 'Relu6', 'Neg', 'Abs', 'Floor', 'Round', 'Sqrt', 'Rsqrt', 'Exp', 'Log', 'Sigmoid', 'Tanh'].map(
    (op) => [op, [0]] as const,
  ),
  ...['Merge', 'Mul', 'Sub', 'AddV2', 'Add', 'RealDiv', 'Div', 'Maximum', 'Minimum'].map((op) => [op, 'all'] as const),
  ['ClipByValue', [0]],
  ['TensorListFromTensor', [0]],
  ['TensorListGetItem', [0]],
  ['TensorListStack', [0]],
  ['TensorListSetItem', [0, 2]],
  ['TensorListReserve', []],
]);

/**
 * Whether a `StridedSlice` takes one element of the first axis and nothing else (`x[0]` of a stack of one image, as a
 * `map` loop writes each image): constant begin, end and strides of one value each, that axis shrunk, no other mask.
 */
function takesOneOfFirstAxis(model: GraphModel, node: GraphDefNode, inputs: readonly string[]): boolean {
  const mask = (name: string) => Number(node.attr?.[name]?.i ?? 0);
  const oneValue = (name: string | undefined) => model.weights[name ?? '']?.[0]?.size === 1;
  return (
    mask('shrink_axis_mask') === 1 &&
    ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask'].every((m) => mask(m) === 0) &&
    inputs.slice(1, 4).every(oneValue) &&
    inputs.length === 4
  );
}

/**
 * The size of the images a graph's preparation gives node `feedAt`, read from the graph without running it (a loop in a
 * model file could run forever): walking back from that node through operations that keep an image's height and width
 * (`KEEPS_SIZE`, and `x[0]` of a stack), every path must reach a resize to one constant size (`ResizeBilinear`,
 * `ResizeNearestNeighbor`), as TensorFlow's object detection models resize each image in their preprocessing loop.
 * `[h, w]`, or why not, for a message.
 */
async function preparedSize(model: GraphModel, nodes: readonly GraphDefNode[], feedAt: string) {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const sizes = new Set<string>();
  const seen = new Set<string>();
  const stack = [feedAt];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (!node || node.op === 'Const') continue;
    const inputs = (node.input ?? []).filter((r) => !r.startsWith('^')).map(inputNodeName);
    if (node.op === 'ResizeBilinear' || node.op === 'ResizeNearestNeighbor') {
      const size = model.weights[inputs[1] ?? '']?.[0];
      if (size?.size !== 2) return `its resize '${node.name}' takes a size computed in the graph`;
      sizes.add(Array.from(await size.data()).join('×'));
      continue;
    }
    if (node.op === 'Placeholder') return 'no resize to a fixed size comes before it: its size follows the image';
    if (node.op === 'StridedSlice' && takesOneOfFirstAxis(model, node, inputs)) {
      stack.push(inputs[0]);
      continue;
    }
    const carries = KEEPS_SIZE.get(node.op);
    if (carries === undefined) return `node '${node.name}' (${node.op}) comes before it, which may change the size`;
    for (const [i, ref] of inputs.entries()) if (carries === 'all' || carries.includes(i)) stack.push(ref);
  }
  const [only, ...others] = [...sizes];
  if (only === undefined) return 'no resize to a fixed size comes before it';
  if (others.length > 0) return `resizes to ${[...sizes].join(' and ')} come before it`;
  const [h, w] = only.split('×').map(Number);
  if (!(Number.isInteger(h) && Number.isInteger(w) && h >= 1 && w >= 1 && h <= 1 << 14 && w <= 1 << 14)) {
    return `its resize is to ${only}`;
  }
  return [h, w] as [number, number];
}

/**
 * Refuses `options.output` naming output k > 0 of a node of several outputs (`'split:1'`, as `activations` takes it):
 * a network ends at a whole node, whose first output is the network's output.
 * @throws {RangeError} saying where to end instead.
 */
function assertWholeNodeOutput(fn: string, nodes: readonly GraphDefNode[], given: string): void {
  const ref = outputRef(given);
  const node = ref && ref.k > 0 ? layerNode(nodes, ref.name) : undefined;
  if (!ref || !node || ref.k >= outputCount(node)) return;
  throw new RangeError(
    `${rangeError(fn, 'options.output', "one of the model's outputs or a node of its graph", given).message}, ` +
      `output ${ref.k} of node '${ref.name}' (${node.op}); a network ends at a whole node: end at '${ref.name}' or ` +
      `at a node after it, and take this output with activations(net, img, '${given}')`,
  );
}

/**
 * Checks that class names (none: an empty list) name each channel of the network's output, `last` being its last
 * layer.
 * @throws {RangeError} naming both counts.
 */
export function checkClassCount(
  fn: string,
  classNames: readonly string[],
  last: { name: string; outputSize: readonly number[] },
): void {
  const classes = last.outputSize[last.outputSize.length - 1];
  if (classNames.length > 0 && classNames.length !== classes) {
    throw new RangeError(
      `${fn}: expected ${classes} class names (the size of the model's output, layer '${last.name}'), ` +
        `got ${classNames.length}`,
    );
  }
}

/** Whether a Keras model's weights were disposed. */
function layersModelDisposed(model: LayersModel): boolean {
  try {
    for (const w of model.weights) w.read();
    return false;
  } catch {
    return true;
  }
}

/** A table that a value given to `input` indexes: `rows` rows, and what looks them up, in words. */
interface Lookup {
  readonly input: string;
  readonly rows: number;
  /** "the embedding 'e' that reads it has": the message goes on with the rows. */
  readonly reader: string;
}

/**
 * The lookups of a Keras model's constant inputs: its `Embedding` layers that read them (see
 * {@link embeddingsOfInputs}).
 */
function kerasLookups(keras: Parameters<typeof embeddingsOfInputs>[0], inputs: ReadonlySet<string>): Lookup[] {
  return embeddingsOfInputs(keras, inputs).map(({ layer, rows, input }) => ({
    input,
    rows,
    reader: `the embedding '${layer}' that reads it has ${rows} rows`,
  }));
}

/**
 * The lookups of a graph's constant inputs: its gathers of a constant table that read them (see
 * {@link gathersOfInputs}), each with the rows on its axis (a constant, read back).
 */
async function graphLookups(model: GraphModel, nodes: readonly GraphDefNode[], inputs: ReadonlySet<string>) {
  const found: Lookup[] = [];
  for (const { node, op, table, axis, input } of gathersOfInputs(nodes, inputs)) {
    const shape = model.weights[table]?.[0]?.shape;
    const axisTensor = axis === null ? null : model.weights[axis]?.[0];
    if (!shape || (axisTensor !== null && axisTensor?.size !== 1)) continue;
    const axisValue = axisTensor ? (await axisTensor.data())[0] : 0;
    const on = axisValue < 0 ? axisValue + shape.length : axisValue;
    if (!(on >= 0 && on < shape.length)) continue;
    found.push({
      input,
      rows: shape[on],
      reader: `the ${op} '${node}' that reads it looks up '${table}', which has ${shape[on]} rows on axis ${on}`,
    });
  }
  return found;
}

/**
 * Refuses a value given to an input that indexes a table (a class label that an embedding looks up) where it is not
 * one of the table's rows: the lookup fails on the CPU backends, saying little, and on a GPU reads whatever lies there
 * (zeros with TF.js's WebGPU backend). A value is truncated first, as the cast to an integer before the lookup does.
 * @throws {RangeError} naming the value, where it is, and the table's rows.
 */
async function checkLookups(
  fn: string,
  lookups: readonly Lookup[],
  valuesOf: (input: string) => tf.Tensor | undefined,
  planned: readonly { input: { name: string }; arg: string }[],
): Promise<void> {
  for (const { input, rows, reader } of lookups) {
    const values = await valuesOf(input)?.data();
    const at = values ? values.findIndex((v) => !(Math.trunc(v) >= 0 && Math.trunc(v) < rows)) : -1;
    if (at < 0) continue;
    const arg = planned.find((p) => p.input.name === input)?.arg ?? input;
    throw new RangeError(
      `${fn}: '${arg}' holds ${values![at]} (value ${at}), but ${reader}${rows > 0 ? `: 0 to ${rows - 1}` : ''}`,
    );
  }
}

/**
 * Runs the model once on a blank image of its input size and reads the output size of every layer `names` gives
 * (without the batch), by name, and which of them have no batch axis.
 * @throws {RangeError} naming the model's own error when it cannot run at that size; an Error naming the operation
 *   when the backend has no kernel for it, or saying where to run a model that reads a GPU value synchronously (WebGPU
 *   in Node.js).
 */
function measure(
  fn: string,
  engine: NetworkEngine,
  names: readonly string[],
  [h, w, c]: readonly [number, number, number],
  constants: readonly string[] = [],
): { shapes: Map<string, number[]>; batchless: Set<string> } {
  let measured: number[][];
  try {
    // A graph's plan frees each tensor once nothing reads it; otherwise every layer's output is held at once. The
    // batch of 1 is left out, as activations leaves it out of one image's result; an output of a graph that no longer
    // has it (a `Squeeze` or `Unpack` of it, as MoveNet's keypoint decoding does) keeps its whole shape.
    measured = tf.tidy(() => {
      const x = tf.zeros([1, h, w, c]);
      return engine.measure?.(x, names) ?? engine.run(x, names).map((t) => t.shape);
    });
  } catch (err) {
    // A kernel the backend lacks is no matter of the size: say which operation, and where else to run it.
    const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec((err as Error)?.message ?? '');
    if (missing) {
      const [others0, ...others] = BACKEND_NAMES.filter((b) => b !== missing[2]);
      throw new Error(
        `${fn}: the model uses the TF.js operation '${missing[1]}', for which TF.js's ${missing[2]} backend has no ` +
          `kernel; another backend may have one: initBackend({ backend: '${others0}' }), ${listQuoted(others)}`,
        { cause: err },
      );
    }
    // TF.js's WebGPU backend reads a GPU value synchronously (the converter's reading of a shape or a count that
    // the graph computed) by drawing it into an OffscreenCanvas, which Node.js has not.
    if (/OffscreenCanvas is not defined/.test((err as Error)?.message ?? '')) {
      throw new Error(
        `${fn}: the model reads a value it computed on the GPU while it runs (a shape, a count or a range that TF.js's ` +
          `converter reads synchronously), which TF.js's WebGPU backend can do in a browser only; in Node.js run it ` +
          `on another backend: initBackend({ backend: 'wasm' }) or 'cpu'`,
        { cause: err },
      );
    }
    // A value given to another input may be what fails (one whose shape the graph cannot take, say).
    const given = constants.length > 0 ? ` with the values given to ${listQuoted(constants)}` : '';
    throw new RangeError(
      `${fn}: the model does not run on an image of its input size ${h}×${w}×${c}${given}: ` +
        `${(err as Error)?.message ?? describeValue(err)}`,
      { cause: err },
    );
  }
  return {
    shapes: new Map(names.map((n, i) => [n, measured[i][0] === 1 ? measured[i].slice(1) : measured[i]])),
    batchless: new Set(names.filter((_, i) => measured[i][0] !== 1)),
  };
}
