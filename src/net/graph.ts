/**
 * Running a network's graph: the plumbing every method that looks inside a network shares (`activations`,
 * `classify`, and the methods above `net/`). It resolves what the caller passed as a network and as layers, checks
 * the image against them, prepares the input (resize, gray to RGB, dtype, batch axis), runs the graph to the
 * requested nodes only, and hands back tensors the caller owns: never one of the model's weights or the fed input,
 * never one tensor twice. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { imresize } from '../image/imresize.js';
import { assertElements, elementLimit, oneOrList } from '../internal/limits.js';
import { assertTensor, describeValue, isTensor, rangeError, typeError, wrapError } from '../internal/validate.js';
import { IMAGE_FORMS, readImageInput } from '../io/imageInput.js';
import { closestNames, listQuoted, someNames } from './closestNames.js';
import { layerShapes, sameSize, sizeProblem } from './layerShapes.js';
import {
  assertNetwork,
  disposedNetworkMessage,
  engineOf,
  indexLayers,
  isModelDisposed,
  isNetwork,
  layersFromSpecs,
  modelWeights,
} from './network.js';
import { graphProblem, joinByImage } from './graphNetwork.js';
import { isGraphModel, isLayersModel } from './modelKinds.js';
import { outputCount, outputRef, plannedRun } from './graphPlan.js';
import { type ImageRun, normalizedNonFiniteMessage, poisonPerImage } from './nonFinite.js';
import { applyNormalization } from './normalization.js';
import { ensureWasmKernels } from './wasmKernels.js';
import {
  batchedConstantInputs,
  declaredInputShape,
  graphDefNodes,
  graphNodeNames,
  openInputs,
} from './tfjsInternals.js';
import { METADATA_KEY, metadataProblem, type ModelMetadata } from './modelFormat.js';
import type { LayerInfo, Network } from './types.js';

/**
 * A layer: its name or its 0-based index in `net.layers` (`'conv1'`, or `1` for MATLAB's layer 2); for `activations`
 * also output k of a layer of several outputs, `'name:k'`.
 */
export type LayerRef = string | number;

/** What a graph is run on: a Network, or a plain TF.js GraphModel with one image input. */
export interface GraphTarget {
  /** Runs raw pixels `[n, h, w, c]` (of `inputDtype`) to the given nodes (layer names of `net`, or node names). */
  run: (input: tf.Tensor, names: readonly string[]) => tf.Tensor[];
  /** The model's own tensors, never handed out. */
  ownTensors: () => tf.Tensor[];
  /** The network, when the caller passed one (layer names, shapes and sizes known). */
  net?: Network;
  /**
   * The layer table the sizes are checked against: the network's, or that of a plain GraphModel written to the
   * model-file contract (its metadata describes its layers).
   */
  layers?: readonly LayerInfo[];
  inputName: string;
  /** The input's channel count, when known. */
  inputChannels: number | null;
  inputDtype: 'float32' | 'int32';
  /** The size to resize to with `{ resize: true }`, when known. */
  resizeTo: [number, number] | null;
  /** The input shape, for messages. */
  inputShape: readonly number[] | null;
  /** A plain GraphModel's node names (null for a Network, or when they cannot be read). */
  nodeNames: Set<string> | null;
  /** A plain GraphModel's weight names. */
  weightNames: Set<string>;
  /** How many outputs a plain GraphModel's node gives that may be asked for as `node:k` (see `outputCount`). */
  outputsOf: (node: string) => number;
  /** A network's layers whose output has no batch axis (`NetworkEngine.batchless`). */
  batchless: ReadonlySet<string>;
  /** How messages name the target. */
  label: string;
  /** Whether the network or model was disposed since (a long method's caller may dispose it between passes). */
  isDisposed: () => boolean;
}

/**
 * `run` for a batch, one image at a time, each output's parts joined along the batch ({@link joinByImage}): for a
 * graph given one image's value for an input with a batch axis (toNetwork's constantInputs), which a pass of several
 * images cannot take.
 */
function imageByImage(
  run: (input: tf.Tensor, names: readonly string[]) => tf.Tensor[],
): (input: tf.Tensor, names: readonly string[]) => tf.Tensor[] {
  return (input, names) => {
    const n = input.shape[0] ?? 1;
    if (n <= 1) return run(input, names);
    return joinByImage(n, (i) => tf.tidy(() => run(tf.slice(input, i, 1), names)), true);
  };
}

/** Each plain GraphModel's {@link graphProblem}, worked out once: `activations` may be called for every frame. */
const rawProblems = new WeakMap<GraphModel, string | null>();

function rawGraphProblem(model: GraphModel): string | null {
  let problem = rawProblems.get(model);
  if (problem === undefined) {
    const nodes = graphDefNodes(model);
    problem = nodes ? graphProblem(nodes) : null;
    rawProblems.set(model, problem);
  }
  return problem;
}

/**
 * Resolves `net` (a Network, or a plain GraphModel when `acceptGraphModel`) into what the graph runner needs.
 * @throws {TypeError} for anything else, a disposed network or model, or a model with other than one rank-4 input.
 * @throws {RangeError} for a GraphModel whose graph cannot run ({@link graphProblem}, worked out once per model).
 */
export function resolveTarget(fn: string, net: unknown, acceptGraphModel: boolean): GraphTarget {
  if (!isNetwork(net) && isLayersModel(net)) {
    throw new TypeError(
      `${fn}: expected 'net' to be a loaded Network${acceptGraphModel ? ' or a tf.GraphModel' : ''}, got a tf.LayersModel; ` +
        'make it a Network first with toNetwork(model, { normalization: ... }), which gives its layers their Keras names',
    );
  }
  if (!isNetwork(net) && acceptGraphModel && isGraphModel(net)) {
    if (isModelDisposed(net)) throw new TypeError(`${fn}: the model 'net' has been disposed`);
    const problem = rawGraphProblem(net);
    if (problem) throw new RangeError(`${fn}: the model's graph cannot run: ${problem}`);
    // An input given a value by toNetwork's constantInputs is the model's own from then on.
    const inputs = openInputs(net);
    if (inputs.length !== 1) {
      throw new TypeError(
        `${fn}: expected 'net' to have a single input, got a model with ${inputs.length} inputs ` +
          `(${someNames(
            inputs.map((i) => i.name),
            false,
          )}); make it a Network with toNetwork(model, { constantInputs: … }), which gives the others a value`,
      );
    }
    const shape = declaredInputShape(net, inputs[0].name);
    if (shape && shape.length !== 4) {
      throw new TypeError(
        `${fn}: expected the model's input '${inputs[0].name}' to be rank 4 [n, h, w, c], it is rank ${shape.length}`,
      );
    }
    const known = (d: number | undefined) => (d !== undefined && d > 0 ? d : null);
    const [rh, rw] = [known(shape?.[1]), known(shape?.[2])];
    const meta = (net.metadata as Record<string, unknown> | undefined)?.[METADATA_KEY];
    const layers =
      metadataProblem(meta) === null
        ? indexLayers(layersFromSpecs((meta as ModelMetadata).layers, (meta as ModelMetadata).inputSize))
        : undefined;
    const inputName = inputs[0].name;
    return {
      run: batchedConstantInputs(net) ? imageByImage(plannedRun(net, inputName)) : plannedRun(net, inputName),
      ownTensors: () => modelWeights(net),
      layers,
      inputName,
      inputChannels: known(shape?.[3]),
      inputDtype: inputs[0].dtype === 'int32' ? 'int32' : 'float32',
      resizeTo: rh !== null && rw !== null ? [rh, rw] : null,
      inputShape: shape ?? null,
      nodeNames: graphNodeNames(net),
      weightNames: new Set(Object.keys(net.weights ?? {})),
      outputsOf: (name) => {
        const node = graphDefNodes(net)?.find((n) => n.name === name);
        return node ? outputCount(node) : 1;
      },
      batchless: new Set(),
      label: 'the model',
      isDisposed: () => isModelDisposed(net),
    };
  }
  const checked = assertNetwork(fn, net, acceptGraphModel ? 'a tf.GraphModel' : undefined);
  const [h, w, c] = checked.inputSize;
  const engine = engineOf(checked);
  return {
    run: engine.run,
    ownTensors: engine.ownTensors,
    net: checked,
    layers: checked.layers,
    inputName: checked.inputName,
    inputChannels: c,
    inputDtype: 'float32',
    resizeTo: [h, w],
    inputShape: [-1, h, w, c],
    nodeNames: null,
    weightNames: new Set(),
    outputsOf: (name) => findLayer(checked, name)?.numOutputs ?? 1,
    batchless: engine.batchless ?? new Set(),
    label: checked.name,
    isDisposed: () => checked.isDisposed,
  };
}

/** The layer a reference names: by index, by name, or by its node's full name. */
export function findLayer(net: Network, ref: string | number): LayerInfo | undefined {
  if (typeof ref === 'number') return net.layers[ref];
  return net.layers.find((l) => l.name === ref) ?? net.layers.find((l) => l.nodeName === ref);
}

/**
 * Output k of a layer (or a plain GraphModel's node) of several outputs, as `name:k` (`name` for output 0), where
 * `ref` names one that way; undefined where it does not. Output k > 0 only where `outputs` allows it (`activations`):
 * a method that works on whole layers says so.
 */
function layerOutput(fn: string, t: GraphTarget, ref: string, arg: string, outputs: boolean): string | undefined {
  const m = outputRef(ref);
  if (!m) return undefined;
  const base = t.net ? findLayer(t.net, m.name)?.name : t.nodeNames?.has(m.name) ? m.name : undefined;
  if (base === undefined) return undefined;
  const { k } = m;
  const count = t.outputsOf(base);
  const what = t.net ? 'layer' : 'node';
  if (k >= count) {
    throw new RangeError(
      `${fn}: expected '${arg}' to be a ${what} of ${t.label}, got ${describeValue(ref)}; ` +
        (count === 1
          ? `${what} '${base}' has one output, named '${base}'`
          : `${what} '${base}' has ${count} outputs, '${base}:0' to '${base}:${count - 1}' (0-based)`),
    );
  }
  if (k === 0) return base;
  if (!outputs) {
    throw new RangeError(
      `${fn}: expected '${arg}' to be a whole ${what}, got ${describeValue(ref)}, output ${k} of the ${count} of ` +
        `${what} '${base}'; only activations takes one output of several`,
    );
  }
  return `${base}:${k}`;
}

/**
 * For a name written MATLAB's way for one output of a layer (`'split/out2'`, counted from 1), where no layer or node
 * has that name: how to write it here (`'split:1'`, counted from 0), for a "not a layer" message; '' where `ref` is
 * not such a name.
 */
function matlabOutputHint(t: GraphTarget, ref: string): string {
  const m = /^(.+)\/out(\d*)$/.exec(ref);
  const base = !m ? undefined : t.net ? findLayer(t.net, m[1])?.name : t.nodeNames?.has(m[1]) ? m[1] : undefined;
  const k = m?.[2] ? Number(m[2]) - 1 : 0;
  if (base === undefined || k < 0) return '';
  const count = t.outputsOf(base);
  const here = k === 0 ? base : `${base}:${k}`;
  if (k < count) return `MATLAB's '${ref}' is '${here}' here (outputs counted from 0)`;
  return (
    `MATLAB's '${ref}' would be '${here}' here (outputs counted from 0), but ${t.net ? 'layer' : 'node'} '${base}' ` +
    (count === 1 ? `has one output, named '${base}'` : `has ${count} outputs, '${base}:0' to '${base}:${count - 1}'`)
  );
}

/**
 * Resolves one layer reference to a node name (`arg` names it in messages). An array is refused: where one layer is
 * meant, a list would otherwise be cut to its first entry. `outputs`: whether output k of a layer of several outputs
 * may be named (`'name:k'`, given back as is), as `activations` allows.
 */
export function resolveLayer(fn: string, t: GraphTarget, ref: unknown, arg: string, outputs = false): string {
  if (t.net) {
    const names = t.net.layerNames;
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= names.length) {
        throw rangeError(fn, arg, `a layer name or a 0-based layer index in [0, ${names.length - 1}]`, ref);
      }
      return names[ref];
    }
    if (typeof ref !== 'string') {
      const row = ref as { name?: unknown; index?: unknown } | null;
      if (typeof row === 'object' && row !== null && t.net.layers.some((l) => l === row)) {
        // A row of net.layers (net.layers.find(...)): say how to name it rather than "got an object".
        throw new TypeError(
          `${fn}: expected '${arg}' to be a layer name or a 0-based layer index, got the row of net.layers for ` +
            `'${row.name}'; pass its name ('${row.name}') or index (${row.index})`,
        );
      }
      throw typeError(fn, arg, 'a layer name (string) or a 0-based layer index (integer)', ref);
    }
    const found = findLayer(t.net, ref);
    const output = found ? undefined : layerOutput(fn, t, ref, arg, outputs);
    if (output !== undefined) return output;
    if (!found && t.net.kind === 'graph-model' && (t.net.model as GraphModel).weights?.[ref] !== undefined) {
      throw new RangeError(
        `${fn}: expected '${arg}' to be a layer of ${t.label}, got ${describeValue(ref)}, which is a weight, not a layer`,
      );
    }
    if (!found) {
      throw new RangeError(
        `${fn}: expected '${arg}' to be a layer name of ${t.label}, got ${describeValue(ref)}; ` +
          (matlabOutputHint(t, ref) ||
            `did you mean ${listQuoted(closestNames(ref, names))}? (net.layerNames lists all ${names.length})`),
      );
    }
    return found.name;
  }
  if (typeof ref !== 'string') throw typeError(fn, arg, 'a node name of the model (string)', ref);
  if (t.weightNames.has(ref)) {
    throw new RangeError(
      `${fn}: expected '${arg}' to be a layer of the model, got ${describeValue(ref)}, which is a weight, not a layer`,
    );
  }
  const nodeNames = t.nodeNames;
  const output = nodeNames?.has(ref) ? undefined : layerOutput(fn, t, ref, arg, outputs);
  if (output !== undefined) return output;
  if (nodeNames && nodeNames.size > 0 && !nodeNames.has(ref)) {
    const candidates = [...nodeNames].filter((n) => !t.weightNames.has(n));
    throw new RangeError(
      `${fn}: expected '${arg}' to be a node name of the model, got ${describeValue(ref)}; ` +
        (matlabOutputHint(t, ref) || `did you mean ${listQuoted(closestNames(ref, candidates))}?`),
    );
  }
  return ref;
}

/**
 * Resolves `layer` (one reference, or a non-empty array of them) to node names, in order; `arg` names the argument
 * in messages.
 * @returns the names, and whether `layer` was an array.
 */
export function resolveLayers(
  fn: string,
  t: GraphTarget,
  layer: unknown,
  arg = 'layer',
): { names: string[]; list: boolean } {
  const what = 'a layer name, a layer index or a non-empty array of them';
  const { items, list } = oneOrList(fn, arg, layer, what, (r, name) => resolveLayer(fn, t, r, name, true));
  return { names: items, list };
}

const IMG_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3], or a batch [n, h, w, 1|3], of dtype int32 or float32';

/**
 * Checks an image or batch for a target: a live int32/float32 tensor of rank 2–4 (`ranks` narrows that), 1 or 3
 * channels matching the model's input, not empty. Returns it typed.
 */
export function checkImage(
  fn: string,
  t: GraphTarget,
  img: unknown,
  ranks: readonly number[] = [2, 3, 4],
  what = IMG_WHAT,
): tf.Tensor {
  const x = assertTensor(fn, 'img', img, { ranks, what });
  const channels = x.rank === 2 ? 1 : x.shape[x.rank - 1];
  if (channels !== 1 && channels !== 3) {
    const err = rangeError(fn, 'img', what, x);
    if (channels === 4) {
      // RGBA, as tf.browser.fromPixels(canvas, 4) and canvas pixel data hold it.
      err.message +=
        x.rank === 4
          ? '; to drop the alpha channel of RGBA pixels: tf.slice(batch, [0, 0, 0, 0], [-1, -1, -1, 3])'
          : '; to drop the alpha channel of RGBA pixels: tf.slice(img, [0, 0, 0], [-1, -1, 3])';
    }
    throw err;
  }
  if (x.shape.some((d) => d === 0)) throw rangeError(fn, 'img', `a non-empty ${what.slice(3)}`, x);
  if (t.inputChannels !== null && channels !== t.inputChannels && !(channels === 1 && t.inputChannels === 3)) {
    const err = rangeError(
      fn,
      'img',
      `an image with ${t.inputChannels} channel${t.inputChannels === 1 ? '' : 's'} (the model's input)`,
      x,
    );
    // A gray model given a color image: MATLAB's way is rgb2gray.
    if (t.inputChannels === 1) err.message += '; make an RGB image gray with rgb2gray(img), as in MATLAB';
    throw err;
  }
  return x;
}

/** An image argument as a checked tensor, and how to free what was made to hold it. */
export interface ImageArg {
  /** The image as a tensor: the caller's own, or one read from another form. */
  x: tf.Tensor;
  /** Frees the tensor read from another form (nothing for the caller's own tensor). Call it when done. */
  release(): void;
}

/**
 * Checks an image given in any form (`ImageInput`: a tensor, a browser's drawable, bytes or a path in Node.js) and
 * returns it as a tensor, as {@link checkImage} does for tensors. Several images where one goes (a batch for a
 * function of one image, an array) are refused with what to do instead; `alsoForBatch` adds to that advice, given
 * how the batch is named (`'batch'`, `'tf.stack(images)'`).
 * @throws {TypeError} naming every accepted form, for anything else.
 */
export function imageArg(
  fn: string,
  t: GraphTarget,
  img: unknown,
  ranks: readonly number[] = [2, 3, 4],
  what = IMG_WHAT,
  alsoForBatch?: (batch: string) => string,
): ImageArg {
  const oneAtATime = (each: string, batch: string) =>
    `; it takes one image at a time: ${fn} each of ${each}${alsoForBatch ? `, or ${alsoForBatch(batch)}` : ''}`;
  if (isTensor(img) && img.rank === 4 && !ranks.includes(4)) {
    const err = rangeError(fn, 'img', what, img);
    err.message += oneAtATime('tf.unstack(batch)', 'batch');
    throw err;
  }
  // Tensors, and what is no image in any form (undefined, a number): checkImage's checks and messages.
  const other = typeof img === 'string' || (img !== null && typeof img === 'object');
  if (isTensor(img) || !other) return { x: checkImage(fn, t, img, ranks, what), release: () => {} };
  const read = readImageInput(fn, 'img', img);
  if (!read) {
    const err = typeError(fn, 'img', `${what}, or ${IMAGE_FORMS}`, img);
    // Only the first entry is looked at: a hint must not read a huge (or sparse) array through.
    if (Array.isArray(img) && isTensor(img[0])) {
      err.message += ranks.includes(4)
        ? '; for several images, stack them into a batch: tf.stack(images)'
        : oneAtATime('them', 'tf.stack(images)');
    }
    throw err;
  }
  try {
    return { x: checkImage(fn, t, read, ranks, what), release: () => read.dispose() };
  } catch (err) {
    read.dispose();
    throw err;
  }
}

/** `[h, w]` of an image `[h, w(, c)]` or a batch `[n, h, w, c]`. */
export function imageSize(x: tf.Tensor): [number, number] {
  const batched = x.rank === 4;
  return [x.shape[batched ? 1 : 0] as number, x.shape[batched ? 2 : 1] as number];
}

/**
 * Checks that an image (each image of a batch) has the network's input size, as MATLAB's `classify` and `predict` and
 * the methods that explain a class need it. `resizeOption`: the caller takes `{ resize: true }`, which the message
 * then offers beside `imresize`.
 * @throws {RangeError} naming the input size.
 */
export function assertInputSize(fn: string, network: Network, x: tf.Tensor, resizeOption: boolean): void {
  const [H, W] = network.inputSize;
  const [h, w] = imageSize(x);
  if (h !== H || w !== W) {
    const how = resizeOption ? 'resize it with imresize or pass { resize: true }' : 'resize it with imresize';
    throw rangeError(fn, 'img', `${H}×${W} pixels, the network's input size (${how})`, x);
  }
}

/** The last size's shape table of each layer table: a program mostly runs one size again and again. */
const shapeCache = new WeakMap<readonly LayerInfo[], { key: string; shapes: ReadonlyMap<string, number[] | null> }>();

/**
 * {@link layerShapes}, remembered for the last input size of each layer table (about 75 µs a call for 67 layers),
 * with output k of each layer of several outputs as `name:k`: its measured size where the layer's first output has
 * its measured size (such layers are graph operations that run at the trained size only), else the first's.
 */
function lastShapes(layers: readonly LayerInfo[], size: [number, number, number]) {
  const key = size.join('×');
  const hit = shapeCache.get(layers);
  if (hit?.key === key) return hit.shapes;
  const shapes = layerShapes(layers, size);
  for (const l of layers) {
    const first = shapes.get(l.name);
    const measured = first != null && sameSize(first, l.outputSize);
    for (let k = 1; k < l.numOutputs; k++)
      shapes.set(`${l.name}:${k}`, measured ? [...l.outputSizes[k]] : (first ?? null));
  }
  shapeCache.set(layers, { key, shapes });
  return shapes;
}

/**
 * For requested names and a layer table's shapes ({@link lastShapes}): the layer each is computed in (itself; for
 * output k of a layer of several, `name:k`, that layer; for a plain GraphModel's helper node, `pool3/pad`, the layer
 * it belongs to), the size of what a name gives, and what computing names makes: every layer on the way and each
 * requested output other than a layer's first.
 */
function requested(layers: readonly LayerInfo[], shapes: ReadonlyMap<string, number[] | null>) {
  const layerOf = (name: string) => {
    const m = outputRef(name);
    if (m && shapes.has(m.name)) return m.name;
    return shapes.has(name) ? name : name.split('/')[0];
  };
  const shapeOf = (name: string) => (shapes.has(name) ? shapes.get(name) : shapes.get(layerOf(name)));
  const made = (names: readonly string[]) =>
    new Set([...neededLayers(layers, names.map(layerOf)).map((l) => l.name), ...names.filter((m) => m !== layerOf(m))]);
  return { layerOf, shapeOf, made };
}

/**
 * Checks, before any kernel runs, that a network's requested layers can be computed from the image (large enough for
 * each) and that no layer on the way to them is larger than the element limit (`limits.maxElements`, or what the
 * device holds in one tensor where that is less: a huge image would otherwise exhaust or corrupt the backend's
 * memory, or read as zeros on WebGPU).
 * `batch` counts the images run at once when it is not `x`'s own (a method that runs many variants of one image, a
 * batch run in chunks); `resultsBatch`, when more, the images whose results the requested layers hold.
 * @throws {RangeError} naming the first layer that cannot be computed and the smallest image it needs, or the layer
 *   that would be too large.
 */
export function assertLargeEnough(
  fn: string,
  t: GraphTarget,
  names: readonly string[],
  x: tf.Tensor,
  batch?: number,
  resultsBatch?: number,
): void {
  const layers = t.layers;
  if (!layers) return;
  const [h, w] = imageSize(x);
  const n = batch ?? (x.rank === 4 ? (x.shape[0] as number) : 1);
  const size: [number, number, number] = [h, w, t.inputChannels ?? 3];
  const shapes = lastShapes(layers, size);
  const { layerOf, shapeOf, made } = requested(layers, shapes);
  const tooSmall = names.map(layerOf).find((name) => shapes.has(name) && shapes.get(name) == null);
  if (tooSmall !== undefined) {
    const trained = (t.resizeTo ?? [h, w]) as [number, number];
    throw rangeError(fn, 'img', sizeProblem(layers, tooSmall, size, trained) ?? 'a larger image', x);
  }
  for (const name of made(names)) {
    const shape = shapeOf(name);
    if (shape) assertElements(fn, 'img', [n, ...shape], `layer '${name}'`);
  }
  // The requested layers' results hold every image, however many run at once.
  if (resultsBatch !== undefined && resultsBatch > n) {
    for (const name of new Set(names)) {
      const shape = shapeOf(name);
      if (shape) assertElements(fn, 'img', [resultsBatch, ...shape], `layer '${name}' for all ${resultsBatch} images`);
    }
  }
}

/**
 * The mini-batch for `count` images of size `[h, w]` run through the network to the layers `names` (a batch given
 * to `activations`, occlusion's masked images, LIME's samples): `miniBatchSize` as given, or MATLAB's default 128
 * lowered to what fits the element limit (`limits.maxElements`, or what the device holds in one tensor where that is
 * less; the largest tensor of a pass decides: the images themselves, or a layer on the way). Either way at most
 * `count`. The results do not depend on it.
 * @throws {RangeError} naming `options.miniBatchSize` and the most that fits, when one given is more.
 */
export function miniBatchFor(
  fn: string,
  t: GraphTarget,
  names: readonly string[],
  [h, w]: readonly [number, number],
  count: number,
  miniBatchSize: number | undefined,
): number {
  let largest = h * w * (t.inputChannels ?? 3);
  if (t.layers) {
    const { shapeOf, made } = requested(t.layers, lastShapes(t.layers, [h, w, t.inputChannels ?? 3]));
    for (const name of made(names)) {
      const shape = shapeOf(name);
      if (shape)
        largest = Math.max(
          largest,
          shape.reduce((a, b) => a * b, 1),
        );
    }
  }
  // One image too large for the limit is refused by the checks that follow, naming the layer.
  const limit = elementLimit();
  const fits = Math.max(1, Math.floor(limit.max / largest));
  if (miniBatchSize === undefined) return Math.min(128, count, fits);
  const batch = Math.min(miniBatchSize, count);
  if (batch > fits) {
    throw rangeError(
      fn,
      'options.miniBatchSize',
      `at most ${fits} for a ${h}×${w} image (a larger mini-batch of images exceeds ${limit.device ? `what the ${limit.device} device holds in one tensor` : 'limits.maxElements; raise it with setLimits'})`,
      miniBatchSize,
    );
  }
  return batch;
}

/** Each layer table's last few answers of {@link neededLayers}, by the requested names. */
const neededCache = new WeakMap<readonly LayerInfo[], Map<string, readonly LayerInfo[]>>();

/** Every layer that the layers `names` depend on (themselves included), in the table's order. Remembered. */
export function neededLayers(layers: readonly LayerInfo[], names: readonly string[]): readonly LayerInfo[] {
  let cache = neededCache.get(layers);
  if (!cache) {
    cache = new Map();
    neededCache.set(layers, cache);
  }
  const key = names.join('\n');
  const hit = cache.get(key);
  if (hit) return hit;
  const list = layersFeeding(layers, names);
  if (cache.size >= 32) cache.delete(cache.keys().next().value as string);
  cache.set(key, list);
  return list;
}

/**
 * Every layer that the layers `names` are computed from (themselves included; output k of a layer, `name:k`, is
 * computed by that layer), in the table's order; with `through`, only by way of the layers it accepts (one it refuses
 * is listed, and what it reads is not, unless another way leads there).
 */
export function layersFeeding(
  layers: readonly LayerInfo[],
  names: readonly string[],
  through: (layer: LayerInfo) => boolean = () => true,
): LayerInfo[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  const needed = new Set<string>();
  const layerOf = (name: string) => (byName.has(name) ? name : (outputRef(name)?.name ?? name));
  // An explicit stack, not recursion: a graph may be many thousands of layers deep.
  const stack = names.map(layerOf);
  for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
    if (needed.has(name)) continue;
    needed.add(name);
    const l = byName.get(name);
    if (!l || !through(l)) continue;
    for (const input of l.inputs) stack.push(input);
    if (l.type === 'Network') stack.push(l.outputLayer);
  }
  return layers.filter((l) => needed.has(l.name));
}

/** How {@link runGraph} feeds and returns. */
export interface RunOptions {
  /** Resize the images to this `[h, w]` first (imresize, MATLAB's bicubic). */
  resizeTo?: [number, number] | null;
  /** Make every activation of an image with a non-finite pixel NaN (the `'nan'` policy). */
  poisonNonFinite?: boolean;
}

/**
 * `x` (an image or a batch) run to any layers as {@link runGraph} runs it, for {@link nonFiniteOutputError} to find
 * where a non-finite value starts.
 */
export function imageRun(fn: string, t: GraphTarget, x: tf.Tensor, options: RunOptions = {}): ImageRun {
  const n = x.rank === 4 ? x.shape[0] : 1;
  const [h, w] = options.resizeTo ?? (x.rank === 4 ? x.shape.slice(1, 3) : x.shape.slice(0, 2));
  return { run: (names) => runGraph(fn, t, x, names, options), pixels: n * h * w };
}

/** An image `[h, w]` or `[h, w, c]` as a float32 batch of one, `[1, h, w, c]`. Call inside `tf.tidy`. */
export function floatBatch(x: tf.Tensor): tf.Tensor4D {
  return tf.expandDims(tf.cast(x.rank === 2 ? tf.expandDims(x, 2) : x, 'float32'), 0) as tf.Tensor4D;
}

/**
 * The scores of the classes (channels) `classes` for each image of the batch `images` `[n, h, w, c]`: each channel of
 * the node `output` summed over its positions, MATLAB's "total activation" of a channel. For a classifier's output
 * (`[1, 1, c]` or `[c]` per image) that is the class's score itself; for a network that scores every position
 * (segmentation, an image-to-image network) it is the channel's sum over the map. Returns `[n, k]`, one column per
 * entry of `classes`. Call inside `tf.tidy`: the output's tensors are left to the caller's scope.
 */
export function classScores(
  fn: string,
  t: GraphTarget,
  images: tf.Tensor,
  output: string,
  classes: readonly number[],
): tf.Tensor2D {
  const [out] = runGraph(fn, t, images, [output]);
  const n = out.shape[0] as number;
  const c = out.rank > 1 ? (out.shape[out.rank - 1] as number) : 1;
  const picked = tf.gather(tf.reshape(out, [n, -1, c]), tf.tensor1d(classes as number[], 'int32'), 2);
  return tf.reshape(picked.shape[1] === 1 ? picked : tf.sum(picked, 1), [n, classes.length]);
}

/**
 * The batch `[n, h, w, c]` that {@link runGraph} feeds the model for `x` (an image or a batch): resized to `resizeTo`
 * when given, of the model's input dtype, a gray image repeated over an RGB model's three channels. Call inside
 * `tf.tidy`.
 */
function fedBatch(t: GraphTarget, x: tf.Tensor, resizeTo?: [number, number] | null): tf.Tensor4D {
  let input: tf.Tensor = x;
  if (resizeTo) input = imresize(input, resizeTo);
  if (input.rank === 2) input = tf.expandDims(input, 2);
  if (input.rank === 3) input = tf.expandDims(input, 0);
  if (input.dtype !== t.inputDtype) input = tf.cast(input, t.inputDtype);
  if (input.shape[3] === 1 && t.inputChannels === 3) input = tf.tile(input, [1, 1, 1, 3]);
  return input as tf.Tensor4D;
}

/**
 * The images of `x` in the chunks {@link assertNormalizedFinite} checks, each chunk's normalized pixels within
 * `maxElements`: `[start, size]` pairs.
 */
function normalizationChunks(t: GraphTarget, x: tf.Tensor, resizeTo: [number, number] | null): [number, number][] {
  const n = x.rank === 4 ? (x.shape[0] as number) : 1;
  const [h, w] = resizeTo ?? imageSize(x);
  const perImage = h * w * Math.max(t.inputChannels ?? 1, x.rank === 2 ? 1 : (x.shape[x.rank - 1] as number));
  const size = Math.max(1, Math.floor(elementLimit().max / Math.max(perImage, 1)));
  const chunks: [number, number][] = [];
  for (let start = 0; start < n; start += size) chunks.push([start, Math.min(size, n - start)]);
  return chunks;
}

/** The normalized pixels `[1, h, w, c]` of image `i` of `x` (of `x` itself for one image). Call inside `tf.tidy`. */
function normalizedImage(t: GraphTarget, x: tf.Tensor, resizeTo: [number, number] | null, i: number): tf.Tensor {
  return applyNormalization(fedBatch(t, x.rank === 4 ? tf.slice(x, i, 1) : x, resizeTo), t.net!.normalization);
}

/**
 * `sum(y - y)` of each image's normalized pixels `y` for images `start..start+size` of `x`: NaN where one is not
 * finite. Null where the function throws or returns what the pass refuses: the pass reports that, naming its layers.
 */
function normalizedFlags(
  t: GraphTarget,
  x: tf.Tensor,
  resizeTo: [number, number] | null,
  [start, size]: [number, number],
): tf.Tensor | null {
  try {
    return tf.tidy(() => {
      const images = x.rank === 4 ? tf.slice(x, start, size) : x;
      const y = applyNormalization(fedBatch(t, images, resizeTo), t.net!.normalization);
      return tf.sum(tf.sub(y, y), [1, 2, 3]);
    });
  } catch {
    return null;
  }
}

/**
 * For a network whose normalization is a function: throws a RangeError when that function turns the pixels of `x`
 * (`arg`), as {@link runGraph} feeds them, into NaN or ±Infinity; some backends' kernels would carry the NaN through
 * the network and others turn it into finite numbers without a sign (wasm's fused ReLU and pooling). Evaluates the
 * function once more than the pass does, in chunks of images within `maxElements`, with one read-back. A declared
 * normalization needs no such check: `toNetwork` and the image checks keep its values finite.
 */
export async function assertNormalizedFinite(
  fn: string,
  t: GraphTarget,
  x: tf.Tensor,
  arg = 'img',
  resizeTo: [number, number] | null = null,
): Promise<void> {
  if (t.net?.normalization.type !== 'function') return;
  const parts = normalizationChunks(t, x, resizeTo).map((c) => normalizedFlags(t, x, resizeTo, c));
  const flags = parts.every((p) => p !== null) ? tf.concat(parts) : null;
  tf.dispose(parts.filter((p) => p !== null));
  if (!flags) return;
  let values: ArrayLike<number>;
  try {
    values = await flags.data();
  } finally {
    flags.dispose();
  }
  const bad = Array.prototype.findIndex.call(values, Number.isNaN);
  if (bad < 0) return;
  const y = tf.tidy(() => normalizedImage(t, x, resizeTo, bad));
  let normalized: ArrayLike<number>;
  try {
    normalized = await y.data();
  } finally {
    y.dispose();
  }
  throw new RangeError(normalizedNonFiniteMessage(fn, arg, normalized, [bad, ...y.shape.slice(1)], x.rank === 4));
}

/** {@link assertNormalizedFinite} with synchronous read-backs, for `activations` on the CPU backends. */
export function assertNormalizedFiniteSync(
  fn: string,
  t: GraphTarget,
  x: tf.Tensor,
  resizeTo: [number, number] | null = null,
): void {
  if (t.net?.normalization.type !== 'function') return;
  for (const chunk of normalizationChunks(t, x, resizeTo)) {
    const flags = normalizedFlags(t, x, resizeTo, chunk);
    if (!flags) return;
    const values = flags.dataSync();
    flags.dispose();
    const k = values.findIndex(Number.isNaN);
    if (k < 0) continue;
    const y = tf.tidy(() => normalizedImage(t, x, resizeTo, chunk[0] + k));
    const normalized = y.dataSync();
    y.dispose();
    const shape = [chunk[0] + k, ...y.shape.slice(1)];
    throw new RangeError(normalizedNonFiniteMessage(fn, 'img', normalized, shape, x.rank === 4));
  }
}

/**
 * Runs the graph on `x` (an image or a batch, checked) to the nodes `names`, computing only what they need, in one
 * pass. Returns one tensor per entry of `names` (repeats allowed), each owned by the caller: `[h', w', c]` for an
 * image, `[n, h', w', c]` for a batch.
 * @throws {Error} naming the nodes when TF.js cannot compute them (its reason included).
 */
export function runGraph(
  fn: string,
  t: GraphTarget,
  x: tf.Tensor,
  names: readonly string[],
  options: RunOptions = {},
): tf.Tensor[] {
  if (t.isDisposed()) {
    throw new TypeError(
      t.net ? disposedNetworkMessage(fn, true) : `${fn}: the model 'net' was disposed while the call ran`,
    );
  }
  const unique = [...new Set(names)];
  const batched = x.rank === 4;
  ensureWasmKernels();
  try {
    return tf.tidy(() => {
      const input = fedBatch(t, x, options.resizeTo);
      const n = input.shape[0];
      const outs = t.run(input, unique);
      // A node of a model whose sizes are not known here can come out empty for a small image (TF.js's cpu backend
      // returns [0, 0, c] rather than failing): never hand that out as an answer.
      const empty = outs.findIndex((o) => o.shape.some((d) => d === 0));
      if (empty >= 0) {
        throw new RangeError(
          `${fn}: expected 'img' to be large enough for node '${unique[empty]}' of ${t.label}, which comes out ` +
            `[${outs[empty].shape.join(', ')}] for an image of [${x.shape.join(', ')}] (pass a larger image or { resize: true })`,
        );
      }
      // Never hand out the model's own tensors (a weight, the fed input) or one tensor twice.
      const protectedIds = new Set([x.id, input.id, ...t.ownTensors().map((wt) => wt.id)]);
      const poison =
        options.poisonNonFinite && (x.dtype === 'float32' || t.net?.normalization.type === 'function')
          ? poisonPerImage(input as tf.Tensor4D, t.net?.normalization)
          : null;
      const byName = new Map(
        unique.map((name, i) => {
          let out = outs[i];
          if (poison && out.dtype === 'float32') {
            const p =
              out.rank >= 1 && out.shape[0] === n
                ? tf.reshape(poison, [n, ...out.shape.slice(1).map(() => 1)])
                : tf.sum(poison);
            out = tf.add(out, p);
          }
          if (!batched && out.rank >= 1 && out.shape[0] === 1) out = tf.reshape(out, out.shape.slice(1));
          return [name, out] as const;
        }),
      );
      const seen = new Set<number>();
      return names.map((name) => {
        const out = byName.get(name)!;
        if (protectedIds.has(out.id) || seen.has(out.id)) return tf.clone(out);
        seen.add(out.id);
        return out;
      });
    });
  } catch (err) {
    // TF.js's error keeps its class (a RangeError stays one) and is the cause of ours.
    throw wrapError(fn, `${t.label} could not compute ${listQuoted(unique)}`, err);
  }
}
