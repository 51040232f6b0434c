/**
 * `imageLIME(net, img, classOrLabel)`: MATLAB's LIME explanation of a class for an image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '../image/imresize.js';
import type { ImageInput } from '../io/imageInput.js';
import { checkLongRunOptions, guardCallback, pacer, stepDone, throwIfAborted } from '../internal/abortable.js';
import { assertElements } from '../internal/limits.js';
import { assertFinite, assertInteger, optionOneOf, assertOptions, rangeError } from '../internal/validate.js';
import { resolveClasses } from '../net/classes.js';
import {
  assertInputSize,
  assertLargeEnough,
  assertNormalizedFinite,
  classScores,
  floatBatch,
  imageArg,
  miniBatchFor,
  resolveTarget,
} from '../net/graph.js';
import {
  assertFiniteAsync,
  assertFiniteLearnablesAsync,
  countNonFinite,
  nonFiniteOutputError,
} from '../net/nonFinite.js';
import type { Network } from '../net/types.js';
import {
  fitOperations,
  gridSegmentation,
  linearImportance,
  slicSegmentation,
  treeImportance,
  type Segmentation,
} from './limeModels.js';
import { seededRandom } from './random.js';

/** Options of {@link imageLIME}, MATLAB's name-value arguments in camelCase. */
export interface ImageLIMEOptions {
  /** About how many features the image is divided into. @default 49 */
  numFeatures?: number;
  /**
   * How many images with features switched off are scored: at least `numFeatures`, and with `numFeatures + 2` values
   * kept for each (its pattern, score and weight) within `limits.maxElements`. @default 2048
   */
  numSamples?: number;
  /** `'superpixels'` (SLIC on colour and position) or `'grid'` (rectangles). @default 'superpixels' */
  segmentation?: 'superpixels' | 'grid';
  /** The surrogate: `'tree'` (a weighted regression tree) or `'linear'` (a weighted linear model). @default 'tree' */
  model?: 'tree' | 'linear';
  /** The width of the kernel that weighs samples by their closeness to the image (MATLAB's `KernelWidth`). @default 0.25 */
  kernelWidth?: number;
  /**
   * How many sample images run through the network at once. Unset, MATLAB's 128, or fewer where 128 would make a tensor
   * larger than `limits.maxElements` (a large network or image); the result is the same for any size.
   * @default 128
   */
  miniBatchSize?: number;
  /**
   * How the map reaches the image's size (MATLAB's `OutputUpsampling`): `'nearest'`, each pixel carries its feature's
   * importance; with `segmentation: 'grid'` also `'bicubic'`, the map of grid cells resized with `imresize` (smooth),
   * or `'none'`, one value per cell (`[rows, cols]`). Superpixels have no cells to resize: `'nearest'` only.
   * @default 'nearest'
   */
  outputUpsampling?: 'nearest' | 'bicubic' | 'none';
  /** The seed of the random samples: the same seed gives the same result. @default 0 */
  seed?: number;
  /** Stops between mini-batches; the promise rejects with an error whose cause is the reason. */
  signal?: AbortSignal;
  /**
   * Called after each mini-batch, and as a long fit goes, with the fraction done; if it throws, the computation stops
   * with its error.
   */
  onProgress?: (fraction: number) => void;
}

/** What {@link imageLIME} returns (MATLAB's `[scoreMap, featureMap, featureImportance]`). */
export interface ImageLIMEResult {
  /**
   * float32 `[h, w]`: each pixel carries its feature's importance (`[rows, cols]` of grid cells with
   * `outputUpsampling: 'none'`).
   */
  scoreMap: tf.Tensor2D;
  /** int32 `[h, w]`: each pixel's 0-based feature. */
  featureMap: tf.Tensor2D;
  /** One importance per feature (index = feature). */
  featureImportance: Float32Array;
}

/**
 * What {@link imageLIME} returns for an array of k classes: the same samples explain each class (MATLAB's vector
 * `channelIdx`).
 */
export interface ImageLIMEClassesResult {
  /**
   * float32 `[h, w, k]` (`[rows, cols, k]` with `outputUpsampling: 'none'`): map i for class i (MATLAB's
   * `scoreMap(:,:,i)`).
   */
  scoreMap: tf.Tensor3D;
  /** int32 `[h, w]`: each pixel's 0-based feature, shared by the classes. */
  featureMap: tf.Tensor2D;
  /** One array per class, one importance per feature in each (MATLAB's `featureImportance(:,i)`). */
  featureImportance: Float32Array[];
}

const FN = 'imageLIME';

/** Column `c` of a row-major table of `k` columns. */
function scoreColumn(table: Float64Array, k: number, c: number): Float64Array {
  if (k === 1) return table;
  return Float64Array.from({ length: table.length / k }, (_, row) => table[row * k + c]);
}
const IMG_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32';

/**
 * The samples' table (per sample: one on/off value per feature, its score and its weight) within `maxElements`, so
 * that a huge `numSamples` is refused before anything is allocated rather than exhausting memory.
 */
function assertSamples(numSamples: number, features: number, classes: number): void {
  assertElements(
    FN,
    'options.numSamples',
    [numSamples, features + classes + 1],
    classes === 1 ? 'samples (per feature, score and weight)' : 'samples (per feature, scores and weight)',
    'host',
  );
}

/**
 * MATLAB's `imageLIME`: which parts of the image a class depends on, by a simple model fitted to the network's scores
 * of many copies of the image with parts switched off. The image is divided into about `numFeatures` features
 * (superpixels or a grid); `numSamples` random on/off patterns (the first: all on) replace the pixels of "off" features
 * with the image's mean colour; each copy is scored (the network's output at the class; for a network whose output has
 * positions, MATLAB's total activation of that channel, its sum over them); a weighted model (tree or linear) is fitted
 * from the patterns to the scores, each sample weighted by `exp(-d² / kernelWidth²)` with
 * `d = 1 - sqrt(shown features / all features)` (the cosine distance of its pattern to all-on); a feature's importance
 * is its weight in that model.
 *
 * The samples run through the network a mini-batch at a time; between mini-batches the event loop runs, `onProgress`
 * is told, and `signal` can stop it. The surrogate's fit, on the host, gives the event loop turns, checks `signal` and
 * tells `onProgress` too (with thousands of features it takes seconds): the last mini-batch and the fit share the last
 * step of the fractions, which the fit's share of its work done moves on; `onProgress(1)` comes when it is done. The
 * same `seed` gives the same result, and the same fractions.
 *
 * @param net A loaded network (e.g. `squeezenet()`).
 * @param img One image of the network's input size, int32 0..255 or float32 on that scale, RGB or gray; or any other
 *   {@link ImageInput}.
 * @param classOrLabel The class: a 0-based index into `net.classNames` or its name; for a network that is not a
 *   classifier, the 0-based channel of its output (MATLAB's `channelIdx`).
 *   A name that two classes share (ImageNet lists have `'crane'` twice) is refused: pass the index. An array of
 *   classes explains each from the same samples: a map and an importance array per class
 *   ({@link ImageLIMEClassesResult}), as MATLAB's vector `channelIdx` does.
 * @param options {@link ImageLIMEOptions}: MATLAB's defaults.
 * @returns A promise of the score map, the feature map and the importances; the tensors are the caller's.
 * @throws {TypeError|RangeError} before any work for a bad image, class or option (`numSamples` below
 *   `numFeatures`, or more samples than `limits.maxElements` allows, say), or a non-finite pixel.
 * @throws {Error} when `signal` aborts or `onProgress` throws, or when a score of the class is not finite (the message
 *   names a layer with NaN or Infinity in its learnables, if there is one); nothing is left allocated.
 * @example
 * const { scoreMap } = await imageLIME(net, im, 'wig', { seed: 1 });
 * await imwrite(heatmapOverlay(im, scoreMap), 'lime.png');
 */
export function imageLIME(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string,
  options?: ImageLIMEOptions,
): Promise<ImageLIMEResult>;
/**
 * MATLAB's `imageLIME` with a vector `channelIdx`: each class of `classOrLabels` explained from the same samples, a
 * map and an importance array per class (see the single-class form above for the method, options and errors).
 * @example
 * const { scoreMap, featureImportance } = await imageLIME(net, im, ['wig', 'mask']); // scoreMap [227, 227, 2]
 */
export function imageLIME(
  net: Network,
  img: ImageInput,
  classOrLabels: readonly (number | string)[],
  options?: ImageLIMEOptions,
): Promise<ImageLIMEClassesResult>;
/** Either form, for a caller that passes one class or several as it gets them. */
export function imageLIME(
  net: Network,
  img: ImageInput,
  classOrLabels: number | string | readonly (number | string)[],
  options?: ImageLIMEOptions,
): Promise<ImageLIMEResult | ImageLIMEClassesResult>;
export async function imageLIME(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string | readonly (number | string)[],
  options?: ImageLIMEOptions,
): Promise<ImageLIMEResult | ImageLIMEClassesResult> {
  const t = resolveTarget(FN, net, false);
  const network = t.net!;
  const input = imageArg(FN, t, img, [2, 3], IMG_WHAT);
  try {
    const x = input.x;
    const { classes, several } = resolveClasses(FN, network, classOrLabel);
    const k = classes.length;
    const opts = assertOptions<ImageLIMEOptions>(FN, options, [
      'numFeatures',
      'numSamples',
      'segmentation',
      'model',
      'kernelWidth',
      'miniBatchSize',
      'outputUpsampling',
      'seed',
      'signal',
      'onProgress',
    ]);
    assertInputSize(FN, network, x, false);
    const [H, W] = network.inputSize;
    const numFeatures =
      opts.numFeatures === undefined ? 49 : assertInteger(FN, 'options.numFeatures', opts.numFeatures, 1, H * W);
    const numSamples =
      opts.numSamples === undefined ? 2048 : assertInteger(FN, 'options.numSamples', opts.numSamples, 1);
    if (numSamples < numFeatures) {
      throw rangeError(FN, 'options.numSamples', `at least options.numFeatures (${numFeatures})`, numSamples);
    }
    const segmentation = optionOneOf(
      FN,
      'options.segmentation',
      opts.segmentation,
      ['superpixels', 'grid'],
      'superpixels',
    );
    const model = optionOneOf(FN, 'options.model', opts.model, ['tree', 'linear'], 'tree');
    const upsampling = optionOneOf(
      FN,
      'options.outputUpsampling',
      opts.outputUpsampling,
      ['nearest', 'bicubic', 'none'],
      'nearest',
    );
    if (upsampling !== 'nearest' && segmentation === 'superpixels') {
      throw rangeError(
        FN,
        'options.outputUpsampling',
        "'nearest' with superpixels (each already covers its own pixels; 'bicubic' and 'none' resize a grid's " +
          "cells: use segmentation: 'grid')",
        upsampling,
      );
    }
    const kernelWidth =
      opts.kernelWidth === undefined ? 0.25 : assertFinite(FN, 'options.kernelWidth', opts.kernelWidth);
    if (!(kernelWidth > 0)) throw rangeError(FN, 'options.kernelWidth', 'a positive number', kernelWidth);
    const miniBatch =
      opts.miniBatchSize === undefined ? undefined : assertInteger(FN, 'options.miniBatchSize', opts.miniBatchSize, 1);
    const seed = opts.seed === undefined ? 0 : assertInteger(FN, 'options.seed', opts.seed);
    const signal = checkLongRunOptions(FN, opts);
    const output = network.layerNames[network.layerNames.length - 1];
    const batch = miniBatchFor(FN, t, [output], [H, W], numSamples, miniBatch);
    assertElements(FN, 'options.miniBatchSize', [batch, H, W, 3], 'a mini-batch');
    assertSamples(numSamples, numFeatures, k);
    assertElements(FN, 'classOrLabel', [H, W, k], 'maps');
    assertLargeEnough(FN, t, [output], x, batch);
    throwIfAborted(FN, signal);
    await assertFiniteLearnablesAsync(FN, network);
    await assertFiniteAsync(FN, x, 'img', network.normalization);
    await assertNormalizedFinite(FN, t, x);

    // Features, on the host.
    const channels = x.rank === 2 ? 1 : (x.shape[2] as number);
    const asFloat = tf.cast(x, 'float32');
    const pixels = Float32Array.from(await asFloat.data());
    asFloat.dispose();
    const seg: Segmentation =
      segmentation === 'grid'
        ? gridSegmentation(H, W, numFeatures)
        : slicSegmentation(pixels, H, W, channels, numFeatures);
    const f = seg.count;
    assertSamples(numSamples, f, k); // superpixels can be a few more than asked for
    // Samples, row by row: the first shows every feature, the others each feature with probability 1/2.
    const random = seededRandom(seed);
    const z = new Uint8Array(numSamples * f);
    z.fill(1, 0, f);
    for (let i = f; i < z.length; i++) z[i] = random() < 0.5 ? 1 : 0;
    const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
    // Row s holds the k classes' scores of sample s.
    const scores = new Float64Array(numSamples * k);
    const image = tf.tidy(() => floatBatch(x));
    const mean = tf.tidy(() => tf.mean(image, [0, 1, 2], true));
    const labels = tf.tensor1d(seg.labels, 'int32');
    try {
      for (let start = 0; start < numSamples; start += batch) {
        throwIfAborted(FN, signal);
        const n = Math.min(batch, numSamples - start);
        const s = tf.tidy(() => {
          const on = tf.tensor2d(Float32Array.from(z.subarray(start * f, (start + n) * f)), [n, f]);
          const mask = tf.reshape(tf.gather(on, labels, 1), [n, H, W, 1]);
          const images = tf.add(tf.mul(image, mask), tf.mul(mean, tf.sub(1, mask)));
          return classScores(FN, t, images, output, classes);
        });
        scores.set(await s.data(), start * k);
        s.dispose();
        // The last step's "done" waits for the fit below, which can take a while itself.
        if (start + n < numSamples) await stepDone(FN, progress, (start + n) / numSamples, signal);
      }
    } finally {
      tf.dispose([image, mean, labels]);
    }
    // A fit to non-finite scores gives every feature an importance of 0 or NaN, as if none mattered.
    const badAt = scores.findIndex((v) => !Number.isFinite(v));
    if (badAt >= 0) {
      const bad = countNonFinite(scores, k, badAt % k);
      throw await nonFiniteOutputError(
        FN,
        network,
        `the network's score of class ${classes[badAt % k]} is not finite for ${bad} of the ${numSamples} samples`,
      );
    }
    // The surrogate, weighted by closeness to the image.
    const weights = Float64Array.from({ length: numSamples }, (_, s) => {
      const shown = z.subarray(s * f, (s + 1) * f).reduce((a, b) => a + b, 0);
      const d = 1 - Math.sqrt(shown / f);
      // (d / w)², not d² / w²: a tiny kernelWidth squared underflows to 0, and 0 / 0 gave the full image NaN weight.
      return Math.exp(-((d / kernelWidth) ** 2));
    });
    // The fit runs on the host; with thousands of features it takes seconds to minutes, so it paces itself: the event
    // loop gets turns, the signal is checked and progress reported as it goes, from where the last mini-batch's would
    // be towards 1 by the share of its operations done (of a bound, for a tree). One surrogate per class.
    const lastBatch = numSamples - (numSamples % batch || batch);
    const from = lastBatch / numSamples;
    const total = k * fitOperations(model, z, f, numSamples);
    const pace = pacer(FN, signal, undefined, (done) =>
      stepDone(FN, progress, from + (1 - from) * Math.min(done / total, 0.99), signal),
    );
    const importances: Float32Array[] = [];
    for (let c = 0; c < k; c++) {
      const y = scoreColumn(scores, k, c);
      importances.push(
        Float32Array.from(
          model === 'linear'
            ? await linearImportance(z, y, weights, f, pace)
            : await treeImportance(z, y, weights, f, pace),
        ),
      );
    }
    await stepDone(FN, progress, 1, signal);
    const featureMap = tf.tensor2d(seg.labels, [H, W], 'int32');
    if (upsampling !== 'nearest') {
      // The grid's cells, feature r * cols + c at (r, c): as they are, or resized to the image (bicubic).
      const [rows, cols] = seg.grid as [number, number];
      const cells = tf.tidy(() => {
        const table = tf.tensor2d(
          Float32Array.from({ length: rows * cols * k }, (_, i) => importances[i % k][Math.floor(i / k)]),
          [rows * cols, k],
        );
        const map = tf.reshape(table, several ? [rows, cols, k] : [rows, cols]);
        return upsampling === 'none' ? map : imresize(map, [H, W], { method: 'bicubic' });
      });
      return several
        ? { scoreMap: cells as tf.Tensor3D, featureMap, featureImportance: importances }
        : { scoreMap: cells as tf.Tensor2D, featureMap, featureImportance: importances[0] };
    }
    if (!several) {
      const importance = importances[0];
      const scoreMap = tf.tensor2d(
        Float32Array.from(seg.labels, (l) => importance[l]),
        [H, W],
      );
      return { scoreMap, featureMap, featureImportance: importance };
    }
    const values = new Float32Array(H * W * k);
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < k; c++) values[p * k + c] = importances[c][seg.labels[p]];
    }
    return { scoreMap: tf.tensor3d(values, [H, W, k]), featureMap, featureImportance: importances };
  } finally {
    input.release();
  }
}
