/**
 * `activations(net, img, layer)`: MATLAB's `act = activations(net, X, layer)` on a TF.js graph model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { imresize } from '../image/imresize.js';
import {
  assertOneOf,
  assertOptions,
  assertTensor,
  describeValue,
  rangeError,
  typeError,
} from '../internal/validate.js';
import { closestNames, listQuoted } from './closestNames.js';
import { graphNodeNames, isModelDisposed, modelWeights } from './createNetwork.js';
import { layerShapes, minimumInputSize } from './layerShapes.js';
import type { Network } from './types.js';

/** A layer: its MATLAB name (`'conv1'`) or its 0-based index in `net.layers` (`1` for `'conv1'`). */
export type LayerRef = string | number;

/** Options of {@link activations}. */
export interface ActivationsOptions {
  /**
   * Resize the image to the network's input size (227×227) with {@link imresize} (bicubic with antialiasing,
   * MATLAB's default; int32 results rounded as MATLAB's uint8) before running it. Without it, any image at least as
   * large as the requested layer needs runs as is, fully convolutionally, as MATLAB's `activations` does.
   * @default false
   */
  resize?: boolean;
  /**
   * What happens when a float32 image holds NaN or ±Infinity (int32 images always hold finite values):
   * - `'error'`: throw a RangeError naming the first such pixel. Costs one reduction over the image and a read-back
   *   of one number per image, which stalls a GPU pipeline (not the CPU backends).
   * - `'nan'`: no read-back; every activation of an image with a non-finite pixel comes back NaN (all of its
   *   values), so a result is never silently wrong (some backends' ReLU and max pooling would otherwise turn NaN into
   *   finite numbers).
   * - `'auto'`: `'error'` on the `cpu` and `wasm` backends, whose data already lives in CPU memory, `'nan'` on GPU
   *   backends (`webgl`, `webgpu`).
   *
   * `'error'` is refused on `webgpu` (a RangeError before any work): that backend cannot read data back
   * synchronously. There, use `'nan'`, or check the image yourself with `await` before calling (as `classify` does).
   * @default 'auto'
   */
  nonFinite?: 'auto' | 'error' | 'nan';
}

const FN = 'activations';
const IMG_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3], or a batch [n, h, w, 1|3], of dtype int32 or float32';
const CPU_BACKENDS = ['cpu', 'wasm'];
/** Backends that cannot read data back synchronously: WebGPU (`dataSync` throws in Node and stalls a browser). */
const NO_SYNC_READ_BACKENDS = ['webgpu'];

interface Target {
  model: GraphModel;
  /** The network, when `net` was one (MATLAB layer names, shapes and sizes known). */
  net?: Network;
  inputName: string;
  inputChannels: number | null;
  inputDtype: 'float32' | 'int32';
  resizeTo: [number, number] | null;
  label: string;
}

function isNetwork(v: unknown): v is Network {
  return typeof v === 'object' && v !== null && 'model' in v && 'layerNames' in v && 'inputName' in v;
}

function isGraphModel(v: unknown): v is GraphModel {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as GraphModel).execute === 'function' &&
    Array.isArray((v as GraphModel).inputs)
  );
}

function checkTarget(net: unknown): Target {
  if (isNetwork(net)) {
    if (net.isDisposed) throw new TypeError(`${FN}: 'net' has been disposed; load it again with squeezenet()`);
    const [h, w, c] = net.inputSize;
    return {
      model: net.model,
      net,
      inputName: net.inputName,
      inputChannels: c,
      inputDtype: 'float32',
      resizeTo: [h, w],
      label: net.name,
    };
  }
  if (isGraphModel(net)) {
    if (isModelDisposed(net)) throw new TypeError(`${FN}: the model 'net' has been disposed`);
    const inputs = net.inputs;
    if (inputs.length !== 1) {
      throw new TypeError(
        `${FN}: expected 'net' to have a single input, got a model with ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')})`,
      );
    }
    const shape = inputs[0].shape;
    if (shape && shape.length !== 4) {
      throw new TypeError(
        `${FN}: expected the model's input '${inputs[0].name}' to be rank 4 [n, h, w, c], it is rank ${shape.length}`,
      );
    }
    const dtype = inputs[0].dtype === 'int32' ? 'int32' : 'float32';
    const known = (d: number | undefined) => (d !== undefined && d > 0 ? d : null);
    const [rh, rw] = [known(shape?.[1]), known(shape?.[2])];
    return {
      model: net,
      inputName: inputs[0].name,
      inputChannels: known(shape?.[3]),
      inputDtype: dtype,
      resizeTo: rh !== null && rw !== null ? [rh, rw] : null,
      label: 'the model',
    };
  }
  throw typeError(FN, 'net', 'a Network from squeezenet() or a tf.GraphModel', net);
}

/** Resolves one layer reference to a node name. */
function resolveLayer(t: Target, ref: unknown, arg: string, nodeNames: Set<string> | null): string {
  if (t.net) {
    const names = t.net.layerNames;
    if (typeof ref === 'number') {
      if (!Number.isInteger(ref) || ref < 0 || ref >= names.length) {
        throw rangeError(FN, arg, `a layer name or a 0-based layer index in [0, ${names.length - 1}]`, ref);
      }
      return names[ref];
    }
    if (typeof ref !== 'string')
      throw typeError(FN, arg, 'a layer name (string) or a 0-based layer index (integer)', ref);
    if (!names.includes(ref)) {
      throw new RangeError(
        `${FN}: expected '${arg}' to be a layer name of ${t.label}, got ${describeValue(ref)}; ` +
          `did you mean ${listQuoted(closestNames(ref, names))}? (net.layerNames lists all ${names.length})`,
      );
    }
    return ref;
  }
  if (typeof ref !== 'string') throw typeError(FN, arg, 'a node name of the model (string)', ref);
  if (nodeNames && nodeNames.size > 0 && !nodeNames.has(ref)) {
    throw new RangeError(
      `${FN}: expected '${arg}' to be a node name of the model, got ${describeValue(ref)}; ` +
        `did you mean ${listQuoted(closestNames(ref, [...nodeNames]))}?`,
    );
  }
  return ref;
}

/**
 * The error message for an image holding a non-finite value: names the first one and its index `[i, j, ...]`.
 * Shared with `classify`, which reads the pixels back asynchronously.
 */
export function nonFiniteMessage(fn: string, values: ArrayLike<number>, shape: readonly number[]): string {
  let k = 0;
  while (k < values.length && Number.isFinite(values[k])) k++;
  const idx: number[] = [];
  let rest = k;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  const v = values[k];
  const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return `${fn}: expected 'img' to hold finite pixel values, got ${what} at [${idx.join(', ')}]`;
}

/**
 * The activations of one or more layers for an image or a batch of images, like MATLAB's
 * `act = activations(net, X, layer)` (with its default `'OutputAs','channels'`).
 *
 * - `net`: a {@link Network} from `squeezenet()`, or any TF.js `GraphModel` with a single image input (then `layer`
 *   is a node name and the image is fed as is, with no normalization of ours).
 * - `img`: int32 (0..255, MATLAB's `uint8`) or float32 (MATLAB's `single`/`double`, same 0..255 scale) pixels:
 *   `[h, w, 3]` RGB, `[h, w]` or `[h, w, 1]` gray (replicated to R, G and B), or a batch `[n, h, w, 3|1]`.
 *   Any size from the layer's minimum up runs fully convolutionally (229×241 gives conv1 114×120, pool1 56×59); a
 *   227×227 image gives MATLAB's sizes (conv1 113×113×64). The network's `data` layer subtracts the mean itself.
 * - `layer`: a MATLAB layer name (`'conv1'`) or 0-based index into `net.layers` (`1` = `'conv1'`, MATLAB's 2;
 *   `34` = `'fire6-squeeze1x1'`, MATLAB's 35), or an array of them: all are computed in one pass.
 *
 * Only the part of the graph that the requested layers need is computed (conv1 costs about a tenth of a full pass).
 * Each `relu_*` layer is computed as its convolution fused with the ReLU, so a pass to `prob` never materialises the
 * pre-ReLU tensors; asking for a convolution and its ReLU together costs that convolution twice. Runs synchronously
 * (with `nonFinite: 'error'`, including one read-back of a number per image; see {@link ActivationsOptions}).
 * MATLAB's layer indices are 1-based: `net.layers[i].matlabIndex` is `i + 1`.
 *
 * @returns float32 activations `[h', w', c]` for one image, `[n, h', w', c]` for a batch (one tensor per requested
 *   layer, in order, for an array). New tensors that the caller owns; `img` is neither modified nor disposed.
 * @throws {TypeError} if `net` is not a network or graph model, or was disposed; if `img` is not a live int32/float32
 *   tensor; if `layer` is neither a string nor a number.
 * @throws {RangeError} for a wrong rank or channel count; an image smaller than the layer needs (the message gives
 *   the minimum); an unknown layer name (the message lists the closest names) or an index out of range; non-finite
 *   pixels under `nonFinite: 'error'`; bad options.
 * @throws {Error} if a plain `GraphModel` cannot compute the node (the message carries TF.js's reason).
 * @example
 * const net = await squeezenet();
 * const im = await imread('face.png');            // int32 [227, 227, 3]
 * const act1 = activations(net, im, 'conv1');     // float32 [113, 113, 64]
 * const [a, b] = activations(net, im, ['fire6-squeeze1x1', 'fire6-relu_squeeze1x1']); // [14, 14, 48] each
 */
export function activations(
  net: Network | GraphModel,
  img: tf.Tensor,
  layer: LayerRef,
  options?: ActivationsOptions,
): tf.Tensor;
export function activations(
  net: Network | GraphModel,
  img: tf.Tensor,
  layer: readonly LayerRef[],
  options?: ActivationsOptions,
): tf.Tensor[];
export function activations(
  net: Network | GraphModel,
  img: tf.Tensor,
  layer: LayerRef | readonly LayerRef[],
  options?: ActivationsOptions,
): tf.Tensor | tf.Tensor[] {
  // 1. Arguments, checked before any tensor is made.
  const t = checkTarget(net);
  const x = assertTensor(FN, 'img', img, { ranks: [2, 3, 4], what: IMG_WHAT });
  const channels = x.rank === 2 ? 1 : x.shape[x.rank - 1];
  if (channels !== 1 && channels !== 3) throw rangeError(FN, 'img', IMG_WHAT, x);
  if (x.shape.some((d) => d === 0)) throw rangeError(FN, 'img', `a non-empty ${IMG_WHAT.slice(3)}`, x);
  if (t.inputChannels !== null && channels !== t.inputChannels && !(channels === 1 && t.inputChannels === 3)) {
    throw rangeError(
      FN,
      'img',
      `an image with ${t.inputChannels} channel${t.inputChannels === 1 ? '' : 's'} (the model's input)`,
      x,
    );
  }
  const opts = assertOptions<ActivationsOptions>(FN, options, ['resize', 'nonFinite']);
  if (opts.resize !== undefined && typeof opts.resize !== 'boolean')
    throw typeError(FN, 'options.resize', 'a boolean', opts.resize);
  const nonFinite =
    opts.nonFinite === undefined
      ? 'auto'
      : assertOneOf(FN, 'options.nonFinite', opts.nonFinite, ['auto', 'error', 'nan']);
  const resizeTo = opts.resize ? t.resizeTo : null;
  if (opts.resize && resizeTo === null) {
    throw new RangeError(
      `${FN}: 'options.resize' needs a model with a known input size; its input is ${JSON.stringify(t.model.inputs[0].shape)}`,
    );
  }

  const list = Array.isArray(layer);
  const refs: readonly unknown[] = list ? (layer as readonly unknown[]) : [layer];
  if (list && refs.length === 0)
    throw rangeError(FN, 'layer', 'a layer name, a layer index or a non-empty array of them', layer);
  const nodeNames = t.net ? null : graphNodeNames(t.model);
  const names = refs.map((r, i) => resolveLayer(t, r, list ? `layer[${i}]` : 'layer', nodeNames));

  const batched = x.rank === 4;
  const h = x.shape[batched ? 1 : 0] as number;
  const w = x.shape[batched ? 2 : 1] as number;
  if (t.net && resizeTo === null) {
    const shapes = layerShapes(t.net.layers, [h, w, 3]);
    const tooSmall = names.find((n) => shapes.get(n) == null);
    if (tooSmall !== undefined) {
      const [mh, mw] = minimumInputSize(t.net.layers, tooSmall);
      throw rangeError(
        FN,
        'img',
        `at least ${mh}×${mw} pixels to compute layer '${tooSmall}' (or pass { resize: true })`,
        x,
      );
    }
  }

  // 2. Non-finite pixels.
  const backend = tf.getBackend();
  const mode = nonFinite === 'auto' ? (CPU_BACKENDS.includes(backend) ? 'error' : 'nan') : nonFinite;
  if (mode === 'error' && NO_SYNC_READ_BACKENDS.includes(backend)) {
    throw new RangeError(
      `${FN}: 'options.nonFinite' 'error' needs a synchronous read-back, which the ${backend} backend cannot do; ` +
        `use 'nan' (its default there) or check the image with await before calling`,
    );
  }
  if (mode === 'error' && x.dtype === 'float32') {
    const poison = tf.tidy(() => tf.sum(tf.sub(x, x)));
    const values = poison.dataSync();
    poison.dispose();
    if (Number.isNaN(values[0])) throw new RangeError(nonFiniteMessage(FN, x.dataSync(), x.shape));
  }

  // 3. One pass through the graph, computing only what the requested layers need.
  const unique = [...new Set(names)];
  let results: tf.Tensor[];
  try {
    results = tf.tidy(() => {
      let input: tf.Tensor = x;
      if (resizeTo) input = imresize(input, resizeTo);
      if (input.rank === 2) input = tf.expandDims(input, 2);
      if (input.rank === 3) input = tf.expandDims(input, 0);
      if (input.dtype !== t.inputDtype) input = tf.cast(input, t.inputDtype);
      if (input.shape[3] === 1 && t.inputChannels === 3) input = tf.tile(input, [1, 1, 1, 3]);
      const n = input.shape[0];
      const raw = t.model.execute({ [t.inputName]: input }, unique);
      const outs = Array.isArray(raw) ? raw : [raw];
      // Never hand out the model's own tensors (a weight, the fed input) or one tensor twice.
      const protectedIds = new Set([x.id, input.id, ...modelWeights(t.model).map((wt) => wt.id)]);
      const poison = mode === 'nan' && x.dtype === 'float32' ? tf.sum(tf.sub(input, input), [1, 2, 3], true) : null;
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
    const msg = (err as Error)?.message ?? String(err);
    throw new Error(`${FN}: ${t.label} could not compute ${listQuoted(unique)}: ${msg}`);
  }
  return list ? results : results[0];
}
