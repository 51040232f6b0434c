/**
 * Colormaps and MATLAB's `imagesc` display rule, for showing a map (a heat map, a channel) in colour.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertBackend } from '../internal/backendStart.js';
import { assertElements, listArg } from '../internal/limits.js';
import {
  assertInteger,
  assertOneOf,
  optionOneOf,
  assertOptions,
  assertTensor,
  finiteAsFloat32,
  rangeError,
  typeError,
} from '../internal/validate.js';

/** The colormaps {@link colormap} knows, in one list. */
export const COLORMAP_NAMES = ['jet', 'viridis', 'gray', 'hot'] as const;

/** A colormap's name: MATLAB's `jet`, `gray` and `hot`, and the perceptually uniform `viridis`. */
export type ColormapName = (typeof COLORMAP_NAMES)[number];

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** MATLAB's `jet(m)`: blue → cyan → yellow → red, piecewise linear, as MATLAB's jet.m builds it. */
function jetRows(m: number): number[][] {
  // MATLAB: n = ceil(m/4); u = [(1:n)/n ones(1,n-1) (n:-1:1)/n]'; g = ceil(n/2) - (mod(m,4)==1) + (1:length(u))';
  // r = g + n; b = g - n; each channel takes u at the rows where its index lies in 1..m.
  const n = Math.ceil(m / 4);
  const u: number[] = [];
  for (let i = 1; i <= n; i++) u.push(i / n);
  for (let i = 1; i < n; i++) u.push(1);
  for (let i = n; i >= 1; i--) u.push(i / n);
  const rows = Array.from({ length: m }, () => [0, 0, 0]);
  const g0 = Math.ceil(n / 2) - (m % 4 === 1 ? 1 : 0);
  for (let k = 0; k < u.length; k++) {
    const g = g0 + k + 1;
    for (const [channel, index] of [
      [0, g + n],
      [1, g],
      [2, g - n],
    ]) {
      if (index >= 1 && index <= m) rows[index - 1][channel] = u[k];
    }
  }
  return rows;
}

/** A polynomial in t (coefficients from t^0 up), per channel. */
const poly = (t: number, c: readonly number[]) => c.reduceRight((acc, k) => acc * t + k, 0);

// viridis (matplotlib's perceptually uniform map) as a published degree-6 polynomial fit of its table, per channel, in t
// from 0 to 1: within about 0.015 of the table.
const VIRIDIS = [
  [
    0.2777273272234177, 0.1050930431085774, -0.3308618287255563, -4.634230498983486, 6.228269936347081,
    4.776384997670288, -5.435455855934631,
  ],
  [
    0.005407344544966578, 1.404613529898575, 0.214847559468213, -5.799100973351585, 14.17993336680509,
    -13.74514537774601, 4.645852612178535,
  ],
  [
    0.3340998053353061, 1.384590162594685, 0.09509516302823659, -19.33244095627987, 56.69055260068105,
    -65.35303263337234, 26.3124352495832,
  ],
] as const;

function rowsOf(name: ColormapName, m: number): number[][] {
  const t = (i: number) => (m === 1 ? 0 : i / (m - 1));
  switch (name) {
    case 'jet':
      return jetRows(m);
    case 'gray':
      return Array.from({ length: m }, (_, i) => [t(i), t(i), t(i)]);
    case 'hot': {
      // MATLAB's hot(m): red rises over the first 3/8, green over the next 3/8, blue over the rest.
      const n = Math.floor((3 / 8) * m);
      return Array.from({ length: m }, (_, i) => {
        const k = i + 1;
        const r = k <= n ? k / n : 1;
        const g = k <= n ? 0 : k <= 2 * n ? (k - n) / n : 1;
        const b = k <= 2 * n ? 0 : (k - 2 * n) / (m - 2 * n);
        return [r, g, b];
      });
    }
    case 'viridis':
      return Array.from({ length: m }, (_, i) => VIRIDIS.map((c) => clamp01(poly(t(i), c))));
    default: {
      const unhandled: never = name;
      throw new Error(`colormap: unhandled colormap ${String(unhandled)}`);
    }
  }
}

/**
 * A colormap as an `[m, 3]` float32 tensor of RGB rows in [0, 1], first row for the lowest value, like MATLAB's
 * `jet(m)`, `gray(m)`, `hot(m)`. `jet`, `gray` and `hot` follow MATLAB's formulas; `viridis` is perceptually uniform
 * (a polynomial fit of its table, within about 0.015).
 *
 * @param name One of {@link COLORMAP_NAMES}. @default 'jet'
 * @param m The number of colours, 1..65536. @default 256
 * @returns A new `[m, 3]` float32 tensor that the caller owns.
 * @throws {TypeError|RangeError} for an unknown name or a bad `m`.
 * @example
 * const cmap = colormap('jet', 64); // MATLAB: jet(64)
 */
export function colormap(name: ColormapName = 'jet', m = 256): tf.Tensor2D {
  assertOneOf('colormap', 'name', name, COLORMAP_NAMES);
  assertInteger('colormap', 'm', m, 1, 65536);
  assertBackend('colormap');
  return tf.tensor2d(rowsOf(name, m), [m, 3], 'float32');
}

/** Options of {@link imagesc}. */
export interface ImagescOptions {
  /** The colormap. @default 'jet' */
  colormap?: ColormapName;
  /** The number of colours (MATLAB's figures use 256). @default 256 */
  colors?: number;
  /**
   * `[low, high]`: the values that map to the first and the last colour (MATLAB's `clim`/`caxis`); values outside
   * are clipped. @default the map's own minimum and maximum (NaN and infinities ignored)
   */
  limits?: readonly [number, number];
}

/**
 * MATLAB's `imagesc(C)` with a colormap, as an image: each value of a 2-D map scaled from `limits` (by default its own
 * min..max) onto the colormap's rows, as MATLAB's scaled colour mapping does (`floor((v - low) / (high - low) * m)`,
 * the top value in the last row). The automatic limits are the finite values' minimum and maximum; `-Inf` takes the
 * first colour and `+Inf` the last, as values beyond the limits do. NaN values take the first colour. A constant map
 * takes the middle colour (row `floor(m / 2)`), as MATLAB's automatic limits around a constant do.
 *
 * @param map `[h, w]` or `[h, w, 1]` float32 or int32 values, or a batch `[n, h, w, 1]` (each map scaled by its own
 *   range).
 * @returns A new float32 `[h, w, 3]` (or `[n, h, w, 3]`) RGB image in [0, 1] that the caller owns.
 * @throws {TypeError|RangeError} for a map of another rank or more than one channel, or bad options.
 * @example
 * const rgb = imagesc(scoreMap, { colormap: 'jet' }); // MATLAB: imagesc(scoreMap); colormap jet
 */
export function imagesc(map: tf.Tensor, options?: ImagescOptions): tf.Tensor {
  return scaledColors('imagesc', map, options);
}

/** {@link imagesc} for the function `fn`, which its errors name. */
function scaledColors(fn: string, map: tf.Tensor, options?: ImagescOptions): tf.Tensor {
  const what = 'a map [h, w] or [h, w, 1], or a batch [n, h, w, 1]';
  const x = assertTensor(fn, 'map', map, { ranks: [2, 3, 4], what });
  if (x.rank > 2 && x.shape[x.rank - 1] !== 1) throw rangeError(fn, 'map', what, x);
  if (x.size === 0) throw rangeError(fn, 'map', `a non-empty ${what.slice(2)}`, x);
  const opts = assertOptions<ImagescOptions>(fn, options, ['colormap', 'colors', 'limits']);
  const name = optionOneOf(fn, 'options.colormap', opts.colormap, COLORMAP_NAMES, 'jet');
  const m = opts.colors === undefined ? 256 : assertInteger(fn, 'options.colors', opts.colors, 1, 65536);
  const limits = listArg(fn, 'options.limits', opts.limits);
  if (limits !== undefined) {
    if (!Array.isArray(limits) || limits.length !== 2 || limits.some((v) => typeof v !== 'number')) {
      throw typeError(fn, 'options.limits', 'an array [low, high] of two numbers', limits);
    }
    // The map is float32, so the limits must stay finite and apart once rounded to float32 too.
    const [low, high] = limits as number[];
    if (!(finiteAsFloat32(low) && finiteAsFloat32(high) && Math.fround(low) < Math.fround(high))) {
      throw rangeError(fn, 'options.limits', 'finite numbers [low, high] with low < high, also as float32', limits);
    }
  }
  const batched = x.rank === 4;
  const [h, w] = batched ? x.shape.slice(1, 3) : x.shape.slice(0, 2);
  const n = batched ? (x.shape[0] as number) : 1;
  assertElements(fn, 'map', [n, h as number, w as number, 3], 'an output');
  return tf.tidy(fn, () => {
    const v = tf.reshape(tf.cast(x, 'float32'), [n, (h as number) * (w as number)]);
    const finite = tf.isFinite(v);
    let lo: tf.Tensor;
    let hi: tf.Tensor;
    if (limits) {
      lo = tf.fill([n, 1], (limits as number[])[0]);
      hi = tf.fill([n, 1], (limits as number[])[1]);
    } else {
      // MATLAB's automatic limits: the finite values' minimum and maximum (none: the constant rule below).
      lo = tf.min(tf.where(finite, v, tf.fill(v.shape, Infinity)), 1, true);
      hi = tf.max(tf.where(finite, v, tf.fill(v.shape, -Infinity)), 1, true);
    }
    // Halves, so that a range wider than float32 holds (-3e38..3e38) does not overflow to Infinity.
    const halfRange = tf.sub(tf.mul(hi, 0.5), tf.mul(lo, 0.5));
    const constant = tf.logicalNot(tf.greater(halfRange, 0));
    const scaled = tf.div(
      tf.sub(tf.mul(v, 0.5), tf.mul(lo, 0.5)),
      tf.where(constant, tf.onesLike(halfRange), halfRange),
    );
    let index = tf.floor(tf.mul(scaled, m));
    index = tf.where(constant, tf.fill(index.shape, Math.min(m - 1, Math.floor(m / 2))), index);
    // As clim says: at or below the low limit the first colour, at or above the high one the last; so -Inf and +Inf
    // take the ends even where there is no finite range. NaN takes the first colour.
    index = tf.where(tf.equal(v, Infinity), tf.fill(index.shape, m - 1), index);
    index = tf.where(tf.equal(v, -Infinity), tf.zerosLike(index), index);
    // NaN replaced before clipping: TF.js's packed WebGL clip leaves a texel holding a NaN unclipped, neighbours too.
    index = tf.clipByValue(tf.where(tf.isNaN(v), tf.zerosLike(index), index), 0, m - 1);
    const rgb = tf.gather(colormap(name, m), tf.cast(tf.reshape(index, [-1]), 'int32'));
    return tf.reshape(rgb, batched ? [n, h as number, w as number, 3] : [h as number, w as number, 3]);
  });
}

/** Options of {@link heatmapOverlay}. */
export interface HeatmapOverlayOptions extends ImagescOptions {
  /** The map's opacity (MATLAB's `'AlphaData', 0.5`): 0 shows only the image, 1 only the map. @default 0.5 */
  alpha?: number;
}

/**
 * MATLAB's way of showing a map over its image, `imshow(im); hold on; imagesc(map, 'AlphaData', 0.5); colormap jet`,
 * as one image: `(1 - alpha) · im + alpha · imagesc(map)`, RGB in [0, 1].
 *
 * @param img The image `[h, w]`, `[h, w, 1]` or `[h, w, 3]`: int32 0..255 (MATLAB's uint8) or float32 0..1 (MATLAB's
 *   double); gray is shown as gray. Values outside the range are clipped to it and NaN shows as 0, as MATLAB shows
 *   them.
 * @param map `[h, w]` or `[h, w, 1]`, the image's size (resize a smaller map with `imresize` first).
 * @returns A new float32 `[h, w, 3]` image in [0, 1] that the caller owns.
 * @throws {TypeError|RangeError} for shapes that do not match, or bad options.
 * @example
 * const shown = heatmapOverlay(im, imresize(map, [227, 227]), { alpha: 0.5, colormap: 'jet' });
 * await imwrite(shown, 'gradcam.png');
 */
export function heatmapOverlay(img: tf.Tensor, map: tf.Tensor, options?: HeatmapOverlayOptions): tf.Tensor {
  const fn = 'heatmapOverlay';
  const imgWhat = 'an image [h, w], [h, w, 1] or [h, w, 3]';
  const x = assertTensor(fn, 'img', img, { ranks: [2, 3], what: imgWhat });
  if (x.rank === 3 && x.shape[2] !== 1 && x.shape[2] !== 3) throw rangeError(fn, 'img', imgWhat, x);
  const y = assertTensor(fn, 'map', map, { ranks: [2, 3], what: 'a map [h, w] or [h, w, 1]' });
  if ((y.rank === 3 && y.shape[2] !== 1) || y.shape[0] !== x.shape[0] || y.shape[1] !== x.shape[1]) {
    // Maps of several classes ([h, w, k], from an array of classes): one at a time.
    const several = y.rank === 3 && y.shape[2] !== 1 ? `; for one of ${y.shape[2]} maps, tf.gather(map, i, 2)` : '';
    throw rangeError(fn, 'map', `a map [${x.shape[0]}, ${x.shape[1]}] (the image's size)${several}`, y);
  }
  const { alpha: alphaOption, ...rest } = assertOptions<HeatmapOverlayOptions>(fn, options, [
    'alpha',
    'colormap',
    'colors',
    'limits',
  ]);
  let alpha = 0.5;
  if (alphaOption !== undefined) {
    if (typeof alphaOption !== 'number') throw typeError(fn, 'options.alpha', 'a number in [0, 1]', alphaOption);
    if (!(alphaOption >= 0 && alphaOption <= 1))
      throw rangeError(fn, 'options.alpha', 'a number in [0, 1]', alphaOption);
    alpha = alphaOption;
  }
  const colored = tf.tidy(() => scaledColors(fn, y.rank === 3 ? tf.squeeze(y, [2]) : y, rest));
  return tf.tidy(fn, () => {
    // As MATLAB shows an image: uint8 saturates at 0 and 255, double clips to [0, 1], NaN shows as 0 (replaced before
    // clipping: TF.js's packed WebGL clip leaves a texel holding a NaN unclipped, its neighbours too).
    let base =
      x.dtype === 'int32'
        ? tf.div(tf.clipByValue(tf.cast(x, 'float32'), 0, 255), 255)
        : tf.clipByValue(tf.where(tf.isNaN(x), tf.zerosLike(x), x), 0, 1);
    if (base.rank === 2) base = tf.expandDims(base, 2);
    if (base.shape[2] === 1) base = tf.tile(base, [1, 1, 3]);
    const out = tf.add(tf.mul(base, 1 - alpha), tf.mul(colored, alpha));
    colored.dispose();
    return out;
  });
}
