/**
 * `occlusionSensitivity(net, img, classOrLabel)`: MATLAB's occlusion sensitivity map.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageInput } from '../io/imageInput.js';
import { imresize } from '../image/imresize.js';
import { checkLongRunOptions, guardCallback, stepDone, throwIfAborted } from '../internal/abortable.js';
import { assertElements, listArg } from '../internal/limits.js';
import {
  assertInteger,
  optionOneOf,
  assertOptions,
  finiteAsFloat32,
  rangeError,
  typeError,
} from '../internal/validate.js';
import { resolveClasses } from '../net/classes.js';
import {
  assertInputSize,
  assertLargeEnough,
  assertNormalizedFinite,
  classScores,
  floatBatch,
  imageArg,
  imageRun,
  miniBatchFor,
  resolveTarget,
} from '../net/graph.js';
import {
  assertFiniteAsync,
  assertFiniteLearnablesAsync,
  countNonFinite,
  nonFiniteOutputError,
} from '../net/nonFinite.js';
import { normalizationOverflow } from '../net/normalization.js';
import type { Network } from '../net/types.js';

/** Options of {@link occlusionSensitivity}, MATLAB's name-value arguments in camelCase. */
export interface OcclusionSensitivityOptions {
  /**
   * The mask's `[height, width]` (one number for a square), or `'auto'`: 20% of the image's size per dimension,
   * rounded (45×45 at 227×227).
   * @default 'auto'
   */
  maskSize?: number | readonly [number, number] | 'auto';
  /**
   * The step between mask positions, `[vertical, horizontal]` (one number for both), or `'auto'`: 10% of the image's
   * size per dimension, rounded (23 at 227).
   * @default 'auto'
   */
  stride?: number | readonly [number, number] | 'auto';
  /**
   * What the masked pixels become, in the image's own units (0..255 for an int32 image): one number, one per channel,
   * or `'auto'`: the image's mean per channel.
   * @default 'auto'
   */
  maskValue?: number | readonly number[] | 'auto';
  /**
   * `'on'`: masks are centred at rows and columns 0, stride, 2·stride, … (0-based, up to the last pixel) and clipped at
   * the image's edges, so the edges are occluded as often as the middle. `'off'`: masks lie wholly inside the image,
   * their top-left corners at 0, stride, … while they fit.
   * @default 'on'
   */
  maskClipping?: 'on' | 'off';
  /**
   * `'bicubic'` or `'nearest'`: the map resized to the image's size with `imresize`; `'none'`: one value per mask
   * position.
   * @default 'bicubic'
   */
  outputUpsampling?: 'bicubic' | 'nearest' | 'none';
  /**
   * How many masked images run through the network at once. Unset, MATLAB's 128, or fewer where 128 would make a tensor
   * larger than `limits.maxElements` (a large network or image); the result is the same for any size.
   * @default 128
   */
  miniBatchSize?: number;
  /** Stops the computation between mini-batches; the promise rejects with an error whose cause is the reason. */
  signal?: AbortSignal;
  /** Called after each mini-batch with the fraction done (0..1]; if it throws, the computation stops with its error. */
  onProgress?: (fraction: number) => void;
}

const FN = 'occlusionSensitivity';
const IMG_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32';
const OPTION_KEYS = [
  'maskSize',
  'stride',
  'maskValue',
  'maskClipping',
  'outputUpsampling',
  'miniBatchSize',
  'signal',
  'onProgress',
] as const;

/** `[a, a]` for one positive integer, `[a, b]` for two; `auto` from the image size. */
function pair(arg: string, value: unknown, auto: [number, number]): [number, number] {
  if (value === undefined || value === 'auto') return auto;
  const expected = "a positive integer, [rows, cols] of positive integers, or 'auto'";
  const v = typeof value === 'number' ? [value, value] : listArg(FN, `options.${arg}`, value);
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number')) {
    throw typeError(FN, `options.${arg}`, expected, value);
  }
  if (v.some((x) => !Number.isInteger(x) || x < 1)) throw rangeError(FN, `options.${arg}`, expected, value);
  return [v[0], v[1]];
}

/** The 0-based pixel ranges `[start, end)` the mask covers at each position along one dimension. */
export function maskSpans(size: number, mask: number, stride: number, clipping: 'on' | 'off'): [number, number][] {
  const spans: [number, number][] = [];
  if (clipping === 'off') {
    for (let start = 0; start + mask <= size; start += stride) spans.push([start, start + mask]);
  } else {
    const before = Math.floor(mask / 2);
    for (let centre = 0; centre < size; centre += stride) {
      spans.push([Math.max(0, centre - before), Math.min(size, centre - before + mask)]);
    }
  }
  return spans;
}

/**
 * MATLAB's `occlusionSensitivity`: how much the score of a class drops when a patch of the image is hidden. A mask
 * (`maskSize`, filled with `maskValue`) is moved over the image by `stride`; for each position p the map holds
 * `score(img) - score(img with the mask at p)`, so it is positive where hiding a region lowers the class's score (the
 * regions the network relies on) and negative where hiding it helps. The score is the network's output (SqueezeNet's
 * `prob`, the softmax probability) at the class; for a network whose output has positions (a segmentation or
 * image-to-image network, `[h', w', c]`), MATLAB's total activation of that channel, its sum over the positions.
 *
 * The masked images run through the network `miniBatchSize` at a time; between mini-batches the event loop runs (a
 * page stays responsive), `onProgress` is told how far it got, and `signal` can stop it. Exactly one pass more than
 * the positions: the unmasked image is scored once.
 *
 * @param net A loaded network (e.g. `squeezenet()`).
 * @param img One image of the network's input size (227×227 for SqueezeNet): int32 0..255 or float32 on the same scale,
 *   RGB `[h, w, 3]` or gray `[h, w]` / `[h, w, 1]` (resize others with `imresize`); or any other {@link ImageInput}.
 * @param classOrLabel The class: a 0-based index into `net.classNames` (MATLAB's class k is k - 1) or its name; for a
 *   network that is not a classifier, the 0-based channel of its output (MATLAB's `channelIdx`).
 *   A name that two classes share (ImageNet lists have `'crane'` twice) is refused: pass the index.
 *   An array of classes gives one map each, from the same masked images (MATLAB's vector `label`).
 * @param options {@link OcclusionSensitivityOptions}: MATLAB's defaults.
 * @returns A promise of a new float32 map that the caller owns: `[h, w]` (the image's size) with upsampling, or
 *   `[rows, cols]` of mask positions with `outputUpsampling: 'none'`; for an array of k classes `[h, w, k]` (or
 *   `[rows, cols, k]`), map i for class i, as MATLAB's `scoreMap(:,:,i)`. `img` is neither changed nor disposed.
 * @throws {TypeError|RangeError} before any work for a bad network, image, class or option: an unknown class, a mask
 *   larger than the image, a stride of 0, a non-finite pixel, an already aborted signal.
 * @throws {Error} when `signal` aborts or `onProgress` throws (the cause is the reason), or when a score of the class
 *   is not finite (the message names a layer with NaN or Infinity in its learnables, if there is one); nothing is
 *   left allocated.
 * @example
 * const map = await occlusionSensitivity(net, im, 'wig');             // float32 [227, 227]
 * await imwrite(heatmapOverlay(im, map, { alpha: 0.5 }), 'occlusion.png');
 */
export function occlusionSensitivity(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string,
  options?: OcclusionSensitivityOptions,
): Promise<tf.Tensor2D>;
/**
 * MATLAB's `occlusionSensitivity` with a vector `label`: one map per class of `classOrLabels`, `[h, w, k]` (or
 * `[rows, cols, k]` with `outputUpsampling: 'none'`), all from the same masked images, so k classes cost the passes
 * of one (see the single-class form above for the method, options and errors).
 * @example
 * const maps = await occlusionSensitivity(net, im, ['wig', 'mask']); // float32 [227, 227, 2]
 */
export function occlusionSensitivity(
  net: Network,
  img: ImageInput,
  classOrLabels: readonly (number | string)[],
  options?: OcclusionSensitivityOptions,
): Promise<tf.Tensor3D>;
/** Either form, for a caller that passes one class or several as it gets them: one map, or one per class. */
export function occlusionSensitivity(
  net: Network,
  img: ImageInput,
  classOrLabels: number | string | readonly (number | string)[],
  options?: OcclusionSensitivityOptions,
): Promise<tf.Tensor2D | tf.Tensor3D>;
export async function occlusionSensitivity(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string | readonly (number | string)[],
  options?: OcclusionSensitivityOptions,
): Promise<tf.Tensor2D | tf.Tensor3D> {
  // Arguments, all checked before any tensor is made.
  const t = resolveTarget(FN, net, false);
  const network = t.net!;
  const input = imageArg(FN, t, img, [2, 3], IMG_WHAT);
  try {
    const x = input.x;
    const { classes, several } = resolveClasses(FN, network, classOrLabel);
    const k = classes.length;
    const opts = assertOptions<OcclusionSensitivityOptions>(FN, options, OPTION_KEYS);
    assertInputSize(FN, network, x, false);
    const [H, W] = network.inputSize;
    const channels = x.rank === 2 ? 1 : (x.shape[2] as number);
    const mask = pair('maskSize', opts.maskSize, [Math.max(1, Math.round(0.2 * H)), Math.max(1, Math.round(0.2 * W))]);
    const stride = pair('stride', opts.stride, [Math.max(1, Math.round(0.1 * H)), Math.max(1, Math.round(0.1 * W))]);
    if (mask[0] > H || mask[1] > W) {
      throw rangeError(FN, 'options.maskSize', `at most the image's size ${H}×${W}`, opts.maskSize);
    }
    const clipping = optionOneOf(FN, 'options.maskClipping', opts.maskClipping, ['on', 'off'], 'on');
    const upsampling = optionOneOf(
      FN,
      'options.outputUpsampling',
      opts.outputUpsampling,
      ['bicubic', 'nearest', 'none'],
      'bicubic',
    );
    const miniBatch =
      opts.miniBatchSize === undefined ? undefined : assertInteger(FN, 'options.miniBatchSize', opts.miniBatchSize, 1);
    let maskValue: number[] | 'auto' = 'auto';
    if (opts.maskValue !== undefined && opts.maskValue !== 'auto') {
      const v =
        typeof opts.maskValue === 'number' ? [opts.maskValue] : listArg(FN, 'options.maskValue', opts.maskValue);
      const expected =
        channels === 1
          ? "a finite number or 'auto'"
          : `a finite number, ${channels} finite numbers (one per channel), or 'auto'`;
      if (!Array.isArray(v) || v.some((e) => typeof e !== 'number'))
        throw typeError(FN, 'options.maskValue', expected, opts.maskValue);
      // The images are float32: a value past its range would make every masked image Infinity and the map NaN.
      if ((v.length !== 1 && v.length !== channels) || v.some((e) => !finiteAsFloat32(e))) {
        throw rangeError(FN, 'options.maskValue', `${expected} (finite as float32)`, opts.maskValue);
      }
      maskValue = v.length === 1 ? Array(channels).fill(v[0]) : [...v];
      // The mask is normalized with the pixels: a value the normalization takes past float32's range gives NaN.
      const over = normalizationOverflow(network.normalization, maskValue);
      if (over) {
        throw rangeError(
          FN,
          'options.maskValue',
          `values that the network's normalization keeps within float32's range (${over.pixel} becomes ` +
            `${over.value.toPrecision(3)} in channel ${over.channel})`,
          opts.maskValue,
        );
      }
    }
    const signal = checkLongRunOptions(FN, opts);
    const output = network.layerNames[network.layerNames.length - 1];
    const rows = maskSpans(H, mask[0], stride[0], clipping);
    const cols = maskSpans(W, mask[1], stride[1], clipping);
    const positions = rows.length * cols.length;
    // The maps, and the scores behind them, before any image is masked.
    assertElements(FN, 'classOrLabel', upsampling === 'none' ? [rows.length, cols.length, k] : [H, W, k], 'maps');
    assertElements(FN, 'classOrLabel', [positions, k], 'scores', 'host');
    const batch = miniBatchFor(FN, t, [output], [H, W], positions, miniBatch);
    assertElements(FN, 'options.miniBatchSize', [batch, H, W, 3], 'a mini-batch');
    assertLargeEnough(FN, t, [output], x, batch);
    throwIfAborted(FN, signal);
    await assertFiniteLearnablesAsync(FN, network);
    await assertFiniteAsync(FN, x, 'img', network.normalization);
    await assertNormalizedFinite(FN, t, x);

    // The image as float32 [1, H, W, C], and the fill value per channel.
    const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
    const image = tf.tidy(() => floatBatch(x));
    const fill = tf.tidy(() =>
      maskValue === 'auto' ? tf.mean(image, [0, 1, 2], true) : tf.tensor4d(maskValue, [1, 1, 1, channels]),
    );
    // Row p holds the k classes' scores with the mask at position p.
    const scores = new Float32Array(positions * k);
    let base: Float32Array;
    try {
      const score = (batchImages: tf.Tensor) => classScores(FN, t, batchImages, output, classes);
      const baseScore = tf.tidy(() => score(image));
      base = (await baseScore.data()) as Float32Array;
      baseScore.dispose();
      for (let start = 0; start < positions; start += batch) {
        throwIfAborted(FN, signal);
        const n = Math.min(batch, positions - start);
        const s = tf.tidy(() => {
          // Per position: a [H] row indicator and a [W] column indicator; the mask is their outer product.
          const rowInd = new Float32Array(n * H);
          const colInd = new Float32Array(n * W);
          for (let k = 0; k < n; k++) {
            const p = start + k;
            const [r0, r1] = rows[Math.floor(p / cols.length)];
            const [c0, c1] = cols[p % cols.length];
            rowInd.fill(1, k * H + r0, k * H + r1);
            colInd.fill(1, k * W + c0, k * W + c1);
          }
          const m = tf.mul(tf.tensor4d(rowInd, [n, H, 1, 1]), tf.tensor4d(colInd, [n, 1, W, 1]));
          const masked = tf.add(tf.mul(image, tf.sub(1, m)), tf.mul(fill, m));
          return score(masked);
        });
        scores.set(await s.data(), start * k);
        s.dispose();
        await stepDone(FN, progress, (start + n) / positions, signal);
      }
    } finally {
      tf.dispose([image, fill]);
    }
    // A non-finite score would make the map NaN (or ±Infinity) where it is, shown as the least important colour.
    const baseBad = base.findIndex((v) => !Number.isFinite(v));
    const badAt = baseBad >= 0 ? baseBad : scores.findIndex((v) => !Number.isFinite(v));
    if (badAt >= 0) {
      const cls = classes[badAt % k];
      let where = 'the image';
      if (baseBad < 0) where = `${countNonFinite(scores, k, badAt % k)} of the ${positions} masked images`;
      const what = `the network's score of class ${cls} is not finite for ${where}`;
      throw await nonFiniteOutputError(FN, network, what, baseBad >= 0 ? imageRun(FN, t, x) : undefined);
    }
    return tf.tidy(() => {
      const change = scores.map((v, i) => base[i % k] - v);
      const map = several
        ? tf.tensor3d(change, [rows.length, cols.length, k])
        : tf.tensor2d(change, [rows.length, cols.length]);
      if (upsampling === 'none') return map;
      return imresize(map, [H, W], { method: upsampling });
    });
  } finally {
    input.release();
  }
}
