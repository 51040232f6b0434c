/**
 * `gradCAM(net, img, classOrLabel)`: MATLAB's Grad-CAM map.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  checkLongRunOptions,
  type GuardedCallback,
  guardCallback,
  stepDone,
  throwIfAborted,
} from '../internal/abortable.js';
import { assertElements } from '../internal/limits.js';
import { readAndDispose } from '../internal/readBack.js';
import type { ImageInput } from '../io/imageInput.js';
import { imresize } from '../image/imresize.js';
import { optionOneOf, assertOptions, rangeError } from '../internal/validate.js';
import { inputGradient, layersMoving, segment } from '../net/differentiable.js';
import {
  assertLargeEnough,
  assertNormalizedFinite,
  type GraphTarget,
  imageArg,
  imageRun,
  imageSize,
  type LayerRef,
  resolveLayer,
  resolveTarget,
  runGraph,
} from '../net/graph.js';
import { layerShapes } from '../net/layerShapes.js';
import { assertFiniteAsync, assertFiniteLearnablesAsync, nonFiniteOutputError } from '../net/nonFinite.js';
import type { LayerInfo, Network } from '../net/types.js';
import { assertClassScores, assertReductionFcn, type Reduction, resolveReduction, summedScore } from './reduction.js';

/** Options of {@link gradCAM}, MATLAB's name-value arguments in camelCase. */
export interface GradCAMOptions {
  /**
   * The layer whose activations are weighted (a name or 0-based index): one with spatial axes, `[h, w, c]`.
   * @default the last layer before the reduction layer whose output is larger than 1×1 (SqueezeNet: `relu_conv10`)
   *   and that the score moves with: not one that reaches it only through an `ArgMax`, a comparison or a rounding; a
   *   map (taller and wider than 1) before a row or a column. Where the score's gradient at that layer is 0 for
   *   every image, up to 3 layers before it are tried in turn, and the first with a gradient is taken (else the
   *   first, with its map of zeros); `featureLayer` in the result names it.
   */
  featureLayer?: LayerRef;
  /**
   * The layer whose output gives the class score: one value per class (`[1, 1, c]` or `[c]`), unless `reductionFcn`
   * reduces it. @default the last softmax layer (SqueezeNet: `prob`)
   */
  reductionLayer?: LayerRef;
  /**
   * Turns the reduction layer's output `[n, ...]` into one score per image `[n]`, for outputs that are not class
   * scores (MATLAB's `reductionFcn`); `classOrLabel` is then ignored (pass `null`).
   * @default the output's value at the class
   */
  reductionFcn?: (output: tf.Tensor) => tf.Tensor;
  /** `'bicubic'` or `'nearest'`: the map resized to the image's size with `imresize`; `'none'`: the feature layer's size. @default 'bicubic' */
  outputUpsampling?: 'bicubic' | 'nearest' | 'none';
  /**
   * Stops between classes (an array of many takes a gradient each); the promise rejects with an error whose cause is
   * the reason.
   */
  signal?: AbortSignal;
  /** Called after each class's gradient with the fraction done; if it throws, the computation stops with its error. */
  onProgress?: (fraction: number) => void;
}

/** What {@link gradCAM} returns. */
export interface GradCAMResult {
  /**
   * The map, float32 `[h, w]` (or `[n, h, w]` for a batch); for an array of k classes `[h, w, k]` (or `[n, h, w, k]`),
   * map i for class i. Owned by the caller.
   */
  map: tf.Tensor;
  /** The feature layer used. */
  featureLayer: string;
  /** The reduction layer used. */
  reductionLayer: string;
}

const FN = 'gradCAM';

/**
 * How many layers the default feature layer is chosen from, at most: the first that the score moves with for the
 * image (see `gradCAM`), each one more pass to the reduction layer and back where the ones before moved it not at all.
 */
const FEATURE_TRIES = 4;

/**
 * MATLAB's `gradCAM`: where in the image the evidence for a class lies, from the gradient of the class score with
 * respect to a feature layer's activations `A` (h×w×K): each channel is weighted by the mean of its gradient,
 * `alpha_k = mean_ij dy_c / dA_ijk`, and the map is `ReLU(sum_k alpha_k A_k)`, upsampled to the image.
 *
 * The gradient is computed through the network's layer table with plain operations (see `net/differentiable.ts`), on
 * every backend, wasm included. For SqueezeNet at its defaults (`relu_conv10`, `prob`) it equals the closed form
 * `alpha_k = y_c (delta_ck - y_k) / 196`.
 *
 * @param net A loaded network (e.g. `squeezenet()`).
 * @param img An image `[h, w, 3]`, `[h, w]`, `[h, w, 1]` or a batch `[n, h, w, c]`, int32 0..255 or float32 on that
 *   scale, of any size the feature layer can be computed from; or any other {@link ImageInput}.
 * @param classOrLabel The class: a 0-based index into `net.classNames` or its name (`null` with `reductionFcn`).
 *   A name that two classes share (ImageNet lists have `'crane'` twice) is refused: pass the index. An array of
 *   classes gives one map each, from one pass to the feature layer and a gradient per class (MATLAB's vector
 *   `label`); between the gradients the event loop runs, `onProgress` is told and `signal` can stop it.
 * @param options {@link GradCAMOptions}.
 * @returns A promise of the map and the layers used; `img` is neither changed nor disposed.
 * @throws {TypeError|RangeError} before any work for a bad network, image, class, layer (a feature layer that is not
 *   before the reduction layer), or option; a non-finite pixel.
 * @throws {Error} when the gradients or the feature layer's activations are not finite, which would draw as a map
 *   of nothing (the message names a layer with NaN or Infinity in its learnables, if there is one); when `signal`
 *   aborts or `onProgress` throws (the cause is the reason). Nothing is left allocated.
 * @example
 * const { map } = await gradCAM(net, im, 'wig');              // float32 [227, 227]
 * await imwrite(heatmapOverlay(im, map, { alpha: 0.5 }), 'gradcam.png');
 * const both = await gradCAM(net, im, ['wig', 'mask']);       // both.map: float32 [227, 227, 2]
 */
export async function gradCAM(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string | readonly (number | string)[] | null,
  options?: GradCAMOptions,
): Promise<GradCAMResult> {
  const t = resolveTarget(FN, net, false);
  const network = t.net!;
  const image = imageArg(FN, t, img);
  try {
    const x = image.x;
    const opts = assertOptions<GradCAMOptions>(FN, options, [
      'featureLayer',
      'reductionLayer',
      'reductionFcn',
      'outputUpsampling',
      'signal',
      'onProgress',
    ]);
    const red = resolveReduction(FN, t, classOrLabel, opts);
    const { target, layer: reduction } = red;
    const upsampling = optionOneOf(
      FN,
      'options.outputUpsampling',
      opts.outputUpsampling,
      ['bicubic', 'nearest', 'none'],
      'bicubic',
    );
    const layers = network.layers;
    const rIndex = network.layerNames.indexOf(reduction);
    const [h, w] = imageSize(x);
    const shapes = layerShapes(layers, [h, w, network.inputSize[2]]);
    let feature: string;
    let fallbacks: string[] = [];
    if (opts.featureLayer === undefined) {
      // The last layer before the reduction layer whose output is larger than 1×1 and moves the score (one that
      // reaches it only through an ArgMax, say, would give an empty map); one that is a map (taller and wider than
      // 1) before a row or a column, which in a converted graph is more often a list (a pose model's 1×17
      // keypoints) than a picture.
      const moving = layersMoving(network, reduction);
      const candidates = layers.slice(1, rIndex).filter((l) => {
        const s = shapes.get(l.name);
        return moving.has(l.name) && !t.batchless.has(l.name) && s != null && s.length === 3 && (s[0] > 1 || s[1] > 1);
      });
      if (candidates.length === 0) {
        throw rangeError(FN, 'img', `an image from which a layer before '${reduction}' is larger than 1×1`, x);
      }
      const isMap = (l: LayerInfo) => {
        const s = shapes.get(l.name) as number[];
        return s[0] > 1 && s[1] > 1;
      };
      // Last first: the maps, then the rows and columns. The first is the layer; the next ones are tried only where
      // its gradient is 0 for every image (a channel read off it through an ArgMax: MoveNet's coordinates).
      fallbacks = [...candidates.filter(isMap).reverse(), ...candidates.filter((l) => !isMap(l)).reverse()]
        .slice(0, FEATURE_TRIES)
        .map((l) => l.name);
      feature = fallbacks[0];
    } else {
      feature = resolveLayer(FN, t, opts.featureLayer, 'options.featureLayer');
    }
    const fIndex = network.layerNames.indexOf(feature);
    if (fIndex < 1 || fIndex >= rIndex) {
      throw new RangeError(
        `${FN}: expected 'options.featureLayer' to be a layer after the input and before the reduction layer '${reduction}' (index ${rIndex}), got '${feature}' (index ${fIndex})`,
      );
    }
    // Grad-CAM weighs the feature layer's channels over its spatial positions, so it needs them, for each image.
    if (t.batchless.has(feature)) {
      throw new RangeError(
        `${FN}: expected 'options.featureLayer' to be a layer with a spatial output [h, w, c] for each image, got ` +
          `'${feature}', which has no batch axis (the graph squeezed or unstacked its batch of 1 away)`,
      );
    }
    const fShape = shapes.get(feature);
    if (fShape != null && fShape.length !== 3) {
      throw new RangeError(
        `${FN}: expected 'options.featureLayer' to be a layer with a spatial output [h, w, c], got '${feature}' ([${fShape.join(', ')}])`,
      );
    }
    assertLargeEnough(FN, t, [reduction], x);
    if (target?.several) {
      const n = x.rank === 4 ? (x.shape[0] as number) : 1;
      const [mh, mw] = upsampling === 'none' ? (fShape ?? [1, 1]) : [h, w];
      assertElements(FN, 'classOrLabel', [n, mh, mw, target.classes.length], 'maps');
    }
    assertClassScores(FN, network, red, shapes.get(reduction));
    const signal = checkLongRunOptions(FN, opts);
    throwIfAborted(FN, signal);
    await assertFiniteLearnablesAsync(FN, network);
    await assertFiniteAsync(FN, x, 'img', network.normalization);
    await assertNormalizedFinite(FN, t, x);

    const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
    const run = { reduction: red, upsampling, size: [h, w] as const };
    const cam = (layer: string, steps?: typeof progress) => camAt(FN, t, x, layer, run, steps, signal);
    const { map, flags } = await cam(feature, progress);
    // [0 or NaN, the largest gradient's size]: one read for both.
    const [nan, steepest] = await readAndDispose(flags);
    if (Number.isNaN(nan)) {
      map.dispose();
      throw await nonFiniteOutputError(
        FN,
        network,
        `the gradients of the reduction layer '${reduction}' or the activations of the feature layer '${feature}' ` +
          'are not finite for this image',
        imageRun(FN, t, x),
      );
    }
    if (steepest > 0 || fallbacks.length < 2) return { map, featureLayer: feature, reductionLayer: reduction };
    // The score moves with none of the default layer's values for these images (it reads them through an ArgMax, a
    // comparison): the next candidates, before the map of zeros the rule's layer gives. A candidate that fails is
    // passed over.
    for (const layer of fallbacks.slice(1)) {
      let next: { map: tf.Tensor; flags: tf.Tensor };
      try {
        next = await cam(layer);
      } catch (err) {
        // An abort is no failure of the candidate: it stops the call.
        if (signal?.aborted) throw err;
        continue;
      }
      const [bad, slope] = await readAndDispose(next.flags);
      if (!Number.isNaN(bad) && slope > 0) {
        map.dispose();
        return { map: next.map, featureLayer: layer, reductionLayer: reduction };
      }
      next.map.dispose();
    }
    return { map, featureLayer: feature, reductionLayer: reduction };
  } finally {
    image.release();
  }
}

/** What {@link camAt} computes, besides the feature layer. */
interface CamRun {
  reduction: Reduction;
  upsampling: 'bicubic' | 'nearest' | 'none';
  size: readonly [number, number];
}

/**
 * The Grad-CAM map of `x` at the feature layer `feature`, and `flags`: a tensor of two values, 0 (NaN where any
 * gradient or activation was not finite) and the largest gradient's size (0 where the score does not move with the
 * layer). One pass to the feature layer; then one gradient per class, each in its own scope (a thousand classes hold
 * one gradient at a time, not a thousand), with `progress` told and `signal` checked after each.
 */
async function camAt(
  fn: string,
  t: GraphTarget,
  x: tf.Tensor,
  feature: string,
  { reduction: red, upsampling, size: [h, w] }: CamRun,
  progress: GuardedCallback<[number]> | undefined,
  signal: AbortSignal | undefined,
): Promise<{ map: tf.Tensor; flags: tf.Tensor }> {
  const network = t.net!;
  const { layer: reduction, target } = red;
  const seg = segment(network, feature, reduction);
  if (!seg.layers.some((l) => l.name === reduction)) {
    throw new RangeError(`${fn}: the reduction layer '${reduction}' does not depend on the feature layer '${feature}'`);
  }
  const fetched = runGraph(fn, t, x, [feature, ...seg.sideInputs]);
  const batched = x.rank === 4;
  const kept: tf.Tensor[] = [...fetched];
  try {
    const asBatch = (v: tf.Tensor) => (batched ? v : tf.expandDims(v, 0));
    const [A, ...sideValues] = fetched.map((v) => {
      const b = asBatch(v);
      if (b !== v) kept.push(b);
      return b;
    });
    const sides = new Map(seg.sideInputs.map((name, i) => [name, sideValues[i]] as const));
    const n = A.shape[0] as number;
    const score = (cls: number | null) => (a: tf.Tensor) => summedScore(red, seg.run(a, sides), n, cls);
    assertReductionFcn(fn, red, () => seg.run(A, sides), n);
    // One gradient per class, at the same activations; the score of a reductionFcn is one "class".
    const classes = target?.classes ?? [null];
    for (const [i, cls] of classes.entries()) {
      const [weighted, steepest] = tf.tidy(() => {
        const dA = inputGradient(fn, network, score(cls), A, {
          of: `the reduction layer '${reduction}'`,
          wrt: `the feature layer '${feature}'`,
        });
        const alpha = tf.mean(dA, [1, 2], true);
        return [tf.sum(tf.mul(alpha, A), 3), tf.max(tf.abs(dA))]; // [n, h', w'], []
      });
      kept.push(weighted, steepest);
      if (progress) await stepDone(fn, progress, (i + 1) / classes.length, signal);
    }
    return tf.tidy(() => {
      const parts = kept.slice(kept.length - 2 * classes.length);
      // [n, h', w', 1 per class]
      const weighted = tf.stack(
        parts.filter((_, j) => j % 2 === 0),
        3,
      );
      // 0 when every value is finite, NaN otherwise: read before the ReLU, which turns NaN into 0 on some backends.
      const check = tf.sum(tf.sub(weighted, weighted));
      const flags = tf.stack([check, tf.max(tf.stack(parts.filter((_, j) => j % 2 === 1)))]);
      let cam = tf.relu(weighted);
      if (upsampling !== 'none') cam = imresize(cam, [h, w], { method: upsampling });
      if (!target?.several) cam = tf.squeeze(cam, [3]);
      return { map: batched ? cam : tf.squeeze(cam, [0]), flags };
    });
  } finally {
    tf.dispose(kept);
  }
}
