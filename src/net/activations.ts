/**
 * `activations(net, img, layer)`: MATLAB's `act = activations(net, X, layer)` on a TF.js graph model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageInput } from '../io/imageInput.js';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { assertInteger, optionOneOf, assertOptions, typeError } from '../internal/validate.js';
import {
  assertInputSize,
  assertLargeEnough,
  assertNormalizedFiniteSync,
  imageArg,
  imageSize,
  type LayerRef,
  miniBatchFor,
  neededLayers,
  resolveLayers,
  resolveTarget,
  runGraph,
} from './graph.js';
import { assertFiniteSync, assertFiniteLearnables, type NonFinitePolicy, nonFiniteMode } from './nonFinite.js';
import type { Network } from './types.js';

export type { LayerRef };

/**
 * The layers `activations` takes for a network of type `N`: its layer names where its type lists them (a built-in
 * network's type does, so that names autocomplete and a misspelt one does not compile), or any name; and 0-based
 * indices.
 */
export type LayerOf<N> = N extends {
  /** The network's layer names, as its type lists them. */
  readonly layerNames: readonly (infer L extends string)[];
}
  ? string extends L
    ? LayerRef
    : L | number
  : LayerRef;

/**
 * The type of what `activations` gives for one layer as maps (`outputAs: 'channels'`, the default). For a network whose
 * type says that every layer gives maps (a built-in network's may): `Tensor3D` `[h, w, c]` for one image (a 2-D or 3-D
 * tensor, or any other image form), `Tensor4D` `[n, h, w, c]` for a batch, either for a tensor of unknown rank.
 * Otherwise `tf.Tensor`: the rank depends on the layer (a dense layer gives `[c]` per image). With `outputAs: 'rows'`
 * or `'columns'` it is a `Tensor2D`.
 */
export type ActivationsOf<N, I> = N extends {
  /** The network's layers, as its type describes them. */
  readonly layers: readonly {
    /** A layer's output size for one image: `[h, w, c]` for every layer. */
    readonly outputSize: readonly [number, number, number];
  }[];
}
  ? I extends tf.Tensor4D
    ? tf.Tensor4D
    : I extends tf.Tensor
      ? tf.Tensor4D extends I
        ? tf.Tensor3D | tf.Tensor4D
        : tf.Tensor3D
      : tf.Tensor3D
  : tf.Tensor;

/** Options of {@link activations}. */
export interface ActivationsOptions {
  /**
   * Resize the image to the network's input size (`net.inputSize`) with `imresize` (bicubic with antialiasing,
   * MATLAB's default; int32 results rounded as MATLAB's uint8) before running it. Without it, any image at least as
   * large as the requested layer needs runs as is, fully convolutionally, as MATLAB's `activations` does.
   * @default false
   */
  resize?: boolean;
  /**
   * What happens when a float32 image holds NaN or ±Infinity, or a pixel that the network's normalization takes
   * past float32's range (int32 images always hold finite values, which every declared normalization keeps finite),
   * or when a normalization given as a function turns an image's pixels into NaN or ±Infinity (int32 images
   * included: a function that divides by an image's own standard deviation does it for an image of one colour):
   * - `'error'`: throw a RangeError naming the first such pixel. Costs one reduction over the image and a read-back
   *   of one number per image, which stalls a GPU pipeline (not the CPU backends); a normalization function is
   *   evaluated once more for the check.
   * - `'nan'`: no read-back; every activation of an image with such a pixel comes back NaN (all of its values), so a
   *   result is never silently wrong (some backends' ReLU and max pooling would otherwise turn NaN into finite
   *   numbers).
   * - `'auto'`: `'error'` on the `cpu` and `wasm` backends, whose data already lives in CPU memory, `'nan'` on GPU
   *   backends (`webgl`, `webgpu`).
   *
   * `'error'` is refused on `webgpu` (a RangeError before any work): that backend cannot read data back
   * synchronously. There, use `'nan'`, or check the image yourself with `await` before calling (as `classify` does).
   * @default 'auto'
   */
  nonFinite?: NonFinitePolicy;
  /**
   * The layout of each result, MATLAB's `OutputAs`:
   * - `'channels'`: `[h', w', c]` for one image, `[n, h', w', c]` for a batch (a vector layer: `[c]`, `[n, c]`);
   * - `'rows'`: `[n, m]`, one row per image (`n` is 1 for one image), its `m = h'·w'·c` values in MATLAB's order
   *   (height fastest, then width, then channel), so that element `k` is MATLAB's element `k + 1`;
   * - `'columns'`: `[m, n]`, the same as columns.
   * @default 'channels'
   */
  outputAs?: 'channels' | 'rows' | 'columns';
  /**
   * How many images of a batch run through the network at once (MATLAB's `MiniBatchSize`). A large batch runs in
   * chunks of this size, so that the intermediate activations held at any time are those of one chunk; the results
   * are joined. Smaller saves memory, larger may run faster. The tensors alive at the peak are the results plus
   * the activations of one chunk that are still to be read (intermediate activations are freed as soon as no layer
   * needs them): for every layer of MobileNetV2 up to `out_relu` on 32 images of 96×96, 528 MiB with chunks of 8
   * against 635 MiB in one pass, of which the results are 491 MiB.
   * @default 128
   */
  miniBatchSize?: number;
  /** Called with the fraction of the batch done (0..1) after each chunk. A callback that throws stops the call. */
  onProgress?: (fraction: number) => void;
}

const FN = 'activations';
const OPTION_NAMES = ['resize', 'nonFinite', 'outputAs', 'miniBatchSize', 'onProgress'] as const;

/** One result as MATLAB's `'rows'` (`[n, m]`) or `'columns'` (`[m, n]`), in MATLAB's element order. Frees `r`. */
function reshapeOutput(r: tf.Tensor, batched: boolean, outputAs: 'rows' | 'columns'): tf.Tensor {
  const out = tf.tidy(() => {
    const b = batched ? r : tf.expandDims(r, 0);
    // MATLAB flattens h×w×c column-major: height fastest, then width, then channel.
    const order = [0, ...Array.from({ length: b.rank - 1 }, (_, i) => b.rank - 1 - i)];
    const rows = tf.reshape(tf.transpose(b, order), [b.shape[0] as number, -1]);
    return outputAs === 'rows' ? rows : tf.transpose(rows);
  });
  r.dispose();
  return out;
}

/** `finish` applied to each result in turn; if one throws, every result not yet handed over is freed. */
function finishEach(
  results: tf.Tensor[],
  names: readonly string[],
  batched: boolean,
  finish: NonNullable<LayerActivationsHow['finish']>,
): tf.Tensor[] {
  const done: tf.Tensor[] = [];
  try {
    for (let i = 0; i < results.length; i++) done.push(finish(results[i], names[i], batched));
    return done;
  } catch (err) {
    tf.dispose([...done, ...results.slice(done.length)]);
    throw err;
  }
}

/**
 * The activations of one or more layers for an image or a batch of images, like MATLAB's
 * `act = activations(net, X, layer)`, with its `OutputAs` and `MiniBatchSize` options.
 *
 * - `net`: a loaded {@link Network} (a built-in network, or a user's Keras or graph model made a Network by
 *   `toNetwork` / `importNetwork`), or any TF.js `GraphModel` with a single image input (then `layer` is a node
 *   name and the image is fed as is, with no normalization of ours).
 * - `img`: int32 (0..255, MATLAB's `uint8`) or float32 (MATLAB's `single`/`double`, same 0..255 scale) pixels:
 *   `[h, w, 3]` RGB, `[h, w]` or `[h, w, 1]` gray (replicated to R, G and B), or a batch `[n, h, w, 3|1]`.
 *   Any size from the layer's minimum up runs fully convolutionally; the network's input layer applies its
 *   normalization itself (`net.normalization`). A 3×3 convolution of stride 2 without padding gives 114×120 for a
 *   229×241 image and 113×113 for 227×227, as MATLAB does. Or any other {@link ImageInput}: in browsers an `<img>`,
 *   `<canvas>`, `OffscreenCanvas`, `ImageData`, `ImageBitmap`, `<video>` (its current frame) or `VideoFrame`; in Node.js the path
 *   of a PNG or JPEG file or its bytes; anywhere raw pixels `{ data, width, height }` (`PixelData`) or sharp's `{ data, info }`
 *   (`PixelDataInfo`); read as `imread`
 *   reads them (int32 0..255).
 * - `layer`: a layer name or 0-based index into `net.layers`, or an array of them: all are computed in one pass
 *   (`1` is MATLAB's layer 2: `net.layers[1].matlabIndex` is 2). Output k of a layer of several outputs
 *   (`layer.numOutputs`, a graph's `Split`) is `'name:k'`, 0-based (MATLAB's `'name/out2'` is `'name:1'`).
 *
 * Only the part of the graph that the requested layers need is computed (an early layer costs a fraction of a full
 * pass). In the built-in networks' graphs, a ReLU layer after a convolution is computed as that convolution fused with
 * the ReLU, so a pass never materialises the pre-ReLU tensors; asking for a convolution and its ReLU together costs
 * that convolution twice. Runs synchronously (with `nonFinite: 'error'`, including one read-back of a number per image;
 * see {@link ActivationsOptions}). MATLAB's layer indices are 1-based: `net.layers[i].matlabIndex` is `i + 1`.
 *
 * @returns float32 activations `[h', w', c]` for one image, `[n, h', w', c]` for a batch (one tensor per requested
 *   layer, in order, for an array); `[n, m]` or `[m, n]` with `outputAs: 'rows'` or `'columns'`. New tensors that the caller owns; `img` is neither modified nor disposed.
 * @throws {TypeError} if `net` is not a network or graph model, or was disposed; if `img` is not a live int32/float32
 *   tensor; if `layer` is neither a string nor a number.
 * @throws {RangeError} for a wrong rank or channel count; an image smaller than the layer needs (the message gives
 *   the minimum); an unknown layer name (the message lists the closest names) or an index out of range; non-finite
 *   pixels under `nonFinite: 'error'`; bad options.
 * @throws {Error} if a plain `GraphModel` cannot compute the node (the message carries TF.js's reason).
 * @example
 * // net: a built-in network, or your model through toNetwork / importNetwork
 * const im = await imread('face.png');                           // int32 [h, w, 3]
 * const act1 = activations(net, im, 'conv1', { resize: true });  // float32 [h', w', c]
 * const [a, b] = activations(net, im, [1, 2], { resize: true }); // by 0-based index: MATLAB's layers 2 and 3
 */
export function activations<N extends Network | GraphModel, I extends ImageInput>(
  net: N,
  img: I,
  layer: LayerOf<N>,
  options?: ActivationsOptions & { outputAs?: 'channels' },
): ActivationsOf<N, I>;
export function activations<N extends Network | GraphModel, I extends ImageInput>(
  net: N,
  img: I,
  layer: readonly LayerOf<N>[],
  options?: ActivationsOptions & { outputAs?: 'channels' },
): ActivationsOf<N, I>[];
export function activations<N extends Network | GraphModel>(
  net: N,
  img: ImageInput,
  layer: LayerOf<N>,
  options: ActivationsOptions & { outputAs: 'rows' | 'columns' },
): tf.Tensor2D;
export function activations<N extends Network | GraphModel>(
  net: N,
  img: ImageInput,
  layer: readonly LayerOf<N>[],
  options: ActivationsOptions & { outputAs: 'rows' | 'columns' },
): tf.Tensor2D[];
export function activations<N extends Network | GraphModel>(
  net: N,
  img: ImageInput,
  layer: LayerOf<N>,
  options?: ActivationsOptions,
): tf.Tensor;
export function activations<N extends Network | GraphModel>(
  net: N,
  img: ImageInput,
  layer: readonly LayerOf<N>[],
  options?: ActivationsOptions,
): tf.Tensor[];
export function activations(
  net: Network | GraphModel,
  img: ImageInput,
  layer: LayerRef | readonly LayerRef[],
  options?: ActivationsOptions,
): tf.Tensor | tf.Tensor[] {
  return layerActivations(FN, net, img, layer, options);
}

/** How a caller of {@link layerActivations} differs from `activations`. */
export interface LayerActivationsHow {
  /** The name of the layer argument in messages. @default 'layer' */
  layerArg?: string;
  /** The options allowed (any other is refused). @default those of {@link ActivationsOptions} */
  optionNames?: readonly string[];
  /** Whether the image must have the network's input size (unless `resize`), as MATLAB's `predict` needs it. */
  inputSize?: boolean;
  /**
   * Makes each result what the caller gives (called in order, for `outputAs: 'channels'`): `r` is the result of the
   * node `name`, `batched` whether the image was a batch. Owns `r`: returns it, or frees it and returns another.
   */
  finish?: (r: tf.Tensor, name: string, batched: boolean) => tf.Tensor;
}

/**
 * `activations` for a function `fn`, whose name its messages give, as `how` says. Not exported from the package.
 */
export function layerActivations(
  fn: string,
  net: Network | GraphModel,
  img: ImageInput,
  layer: unknown,
  options: unknown,
  how: LayerActivationsHow = {},
): tf.Tensor | tf.Tensor[] {
  const { layerArg = 'layer', optionNames = OPTION_NAMES } = how;
  // 1. Arguments, checked before any tensor is made.
  const t = resolveTarget(fn, net, true);
  const image = imageArg(fn, t, img);
  try {
    const x = image.x;
    const opts = assertOptions<ActivationsOptions>(fn, options, optionNames);
    if (opts.resize !== undefined && typeof opts.resize !== 'boolean') {
      throw typeError(fn, 'options.resize', 'a boolean', opts.resize);
    }
    const outputAs = optionOneOf(fn, 'options.outputAs', opts.outputAs, ['channels', 'rows', 'columns'], 'channels');
    const miniBatch =
      opts.miniBatchSize === undefined ? undefined : assertInteger(fn, 'options.miniBatchSize', opts.miniBatchSize, 1);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
      throw typeError(fn, 'options.onProgress', 'a function (fraction: number) => void', opts.onProgress);
    }
    const mode = nonFiniteMode(fn, opts.nonFinite);
    const resizeTo = opts.resize ? t.resizeTo : null;
    if (opts.resize && resizeTo === null) {
      throw new RangeError(
        `${fn}: 'options.resize' needs a model with a known input size; its input is ${JSON.stringify(t.inputShape)}`,
      );
    }
    if (how.inputSize && t.net && !opts.resize) assertInputSize(fn, t.net, x, true);
    const { names, list } = resolveLayers(fn, t, layer, layerArg);
    // A network whose learnables hold NaN or ±Infinity, where this backend would turn NaN into finite numbers.
    const network = t.net;
    if (network) {
      const needs = (l: string) => neededLayers(network.layers, names).some((d) => d.name === l);
      assertFiniteLearnables(fn, network, 'activations', needs);
    }
    // MATLAB's 128 images at a time unless told, fewer where a chunk would exceed the element limit.
    const n = x.rank === 4 ? (x.shape[0] as number) : 1;
    const chunk = miniBatchFor(fn, t, names, resizeTo ?? imageSize(x), n, miniBatch);
    if (resizeTo === null) assertLargeEnough(fn, t, names, x, Math.min(chunk, n), n);

    // 2. Non-finite pixels, then one pass through the graph, computing only what the requested layers need.
    if (mode === 'error') {
      assertFiniteSync(fn, x, t.net?.normalization);
      assertNormalizedFiniteSync(fn, t, x, resizeTo);
    }
    const run = { resizeTo, poisonNonFinite: mode === 'nan' };
    let results: tf.Tensor[];
    if (n <= chunk) {
      results = runGraph(fn, t, x, names, run);
      opts.onProgress?.(1);
    } else {
      // Chunk by chunk: only one chunk's intermediate activations exist at a time.
      const parts: tf.Tensor[][] = [];
      try {
        for (let start = 0; start < n; start += chunk) {
          const size = Math.min(chunk, n - start);
          const piece = tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]);
          try {
            parts.push(runGraph(fn, t, piece, names, run));
          } finally {
            piece.dispose();
          }
          opts.onProgress?.((start + size) / n);
        }
        // Layer by layer, each layer's chunks freed as soon as they are joined: the peak stays near the results'
        // size rather than twice it.
        results = names.map((_, i) => {
          const joined = tf.concat(
            parts.map((p) => p[i]),
            0,
          );
          for (const p of parts) p[i].dispose();
          return joined;
        });
      } finally {
        for (const p of parts) tf.dispose(p.filter((t) => !t.isDisposed));
      }
    }
    if (outputAs !== 'channels') results = results.map((r) => reshapeOutput(r, x.rank === 4, outputAs));
    else if (how.finish) results = finishEach(results, names, x.rank === 4, how.finish);
    return list ? results : results[0];
  } finally {
    image.release();
  }
}
