/**
 * MATLAB's `imresize`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertElements, getLimits, listArg } from '../internal/limits.js';
import { axisPlan, type AxisPlan, type KernelName, tapCount } from './imresizeWeights.js';
import {
  assertNotPositional,
  optionOneOf,
  assertOptions,
  assertTensor,
  optionCased,
  rangeError,
  typeError,
} from '../internal/validate.js';

/** Interpolation methods of {@link imresize}, with MATLAB's names. */
export type ImresizeMethod =
  | 'bicubic'
  | 'cubic'
  | 'bilinear'
  | 'triangle'
  | 'nearest'
  | 'box'
  | 'lanczos2'
  | 'lanczos3';

/** Options of {@link imresize}. */
export interface ImresizeOptions {
  /**
   * Interpolation kernel: `'bicubic'`/`'cubic'` (Keys, a = −0.5, 4 taps), `'bilinear'`/`'triangle'` (2 taps),
   * `'nearest'` (nearest neighbour), `'box'`, `'lanczos2'`, `'lanczos3'`.
   * @default 'bicubic'
   */
  method?: ImresizeMethod;
  /**
   * Widen the kernel when shrinking (scale < 1) so that it averages over the pixels it skips, as MATLAB does.
   * No effect when enlarging.
   * @default true, except for 'nearest' (false)
   */
  antialiasing?: boolean;
  /**
   * Per-axis scale `[rowScale, colScale]` (MATLAB's `'Scale', [sr sc]`): the output has
   * `ceil(rowScale * h)` rows and `ceil(colScale * w)` columns. Pass `null` as `scaleOrSize` with it.
   */
  scale?: readonly [number, number];
  /**
   * The output size `[rows, cols]` (MATLAB's `'OutputSize', [numrows numcols]`), one side `null` to keep the aspect
   * ratio: the same as passing it as `scaleOrSize`, which is then `null`.
   */
  outputSize?: readonly (number | null)[];
}

const FN = 'imresize';
const METHODS: readonly ImresizeMethod[] = [
  'bicubic',
  'cubic',
  'bilinear',
  'triangle',
  'nearest',
  'box',
  'lanczos2',
  'lanczos3',
];
const KERNEL_OF: Record<ImresizeMethod, KernelName> = {
  bicubic: 'cubic',
  cubic: 'cubic',
  bilinear: 'triangle',
  triangle: 'triangle',
  nearest: 'box',
  box: 'box',
  lanczos2: 'lanczos2',
  lanczos3: 'lanczos3',
};
/** Largest output side we accept (int32 indices). */
const MAX_SIDE = 2 ** 31 - 1;

interface Geometry {
  outRows: number;
  outCols: number;
  scaleRows: number;
  scaleCols: number;
}

const isAuto = (v: unknown) => v === null || (typeof v === 'number' && Number.isNaN(v));

/**
 * Output size and per-axis scales (spec §5.1), all in IEEE double like MATLAB. Validates `scaleOrSize`, which
 * messages call `arg` (`'options.outputSize'` when it came as that option, where only a size is expected).
 */
function geometry(
  h: number,
  w: number,
  scaleOrSize: unknown,
  optScale: readonly [number, number] | undefined,
  arg = 'scaleOrSize',
): Geometry {
  const expected =
    arg === 'scaleOrSize' ? 'a positive finite scale or an output size [rows, cols]' : 'an output size [rows, cols]';
  let g: Geometry;
  if (optScale !== undefined) {
    if (scaleOrSize !== null && scaleOrSize !== undefined) {
      throw rangeError(FN, 'scaleOrSize', 'null when options.scale is given', scaleOrSize);
    }
    const [sr, sc] = optScale;
    g = { outRows: Math.ceil(sr * h), outCols: Math.ceil(sc * w), scaleRows: sr, scaleCols: sc };
  } else if (typeof scaleOrSize === 'number' && arg === 'scaleOrSize') {
    if (!Number.isFinite(scaleOrSize) || scaleOrSize <= 0) throw rangeError(FN, 'scaleOrSize', expected, scaleOrSize);
    // The given scale (not out/in) is what the kernel math uses.
    const s = scaleOrSize;
    g = { outRows: Math.ceil(s * h), outCols: Math.ceil(s * w), scaleRows: s, scaleCols: s };
  } else if (Array.isArray(scaleOrSize)) {
    if (scaleOrSize.length !== 2) throw rangeError(FN, arg, expected, scaleOrSize);
    const size = listArg(FN, arg, scaleOrSize) as unknown[];
    size.forEach((v: unknown, i) => {
      if (isAuto(v)) return;
      const at = `${arg}[${i}]`;
      if (typeof v !== 'number') throw typeError(FN, at, 'a positive integer or null', v);
      if (!Number.isInteger(v) || v <= 0) throw rangeError(FN, at, 'a positive integer or null', v);
    });
    const [r, c] = size as [number | null, number | null];
    if (isAuto(r) && isAuto(c)) {
      throw rangeError(FN, arg, 'an output size [rows, cols] with at most one of them null', scaleOrSize);
    }
    if (isAuto(r)) {
      // One side given: the other keeps the aspect ratio, and both scales are the given side's scale.
      const outRows = Math.ceil(((c as number) * h) / w);
      const s = (c as number) / w;
      g = { outRows, outCols: c as number, scaleRows: s, scaleCols: s };
    } else if (isAuto(c)) {
      const outCols = Math.ceil(((r as number) * w) / h);
      const s = (r as number) / h;
      g = { outRows: r as number, outCols, scaleRows: s, scaleCols: s };
    } else {
      g = { outRows: r as number, outCols: c as number, scaleRows: (r as number) / h, scaleCols: (c as number) / w };
    }
  } else {
    throw typeError(FN, arg, expected, scaleOrSize);
  }
  if (!(g.outRows <= MAX_SIDE && g.outCols <= MAX_SIDE)) {
    throw rangeError(
      FN,
      optScale ? 'options.scale' : arg,
      `a resize to at most ${MAX_SIDE} rows and columns`,
      optScale ?? scaleOrSize,
    );
  }
  return g;
}

/**
 * The limits (`getLimits()`), checked before the kernel weights or any tensor are made: the smallest scale, the kernel
 * taps per output pixel, the elements of the output and of the intermediate image between the two passes.
 */
function checkLimits(
  g: Geometry,
  kernel: KernelName,
  antialiasing: boolean,
  [n, h, w, c]: number[],
  rank: number,
  arg: string,
): void {
  const limits = getLimits();
  const scale = Math.min(g.scaleRows, g.scaleCols);
  const axes = `rows ${fmt(g.scaleRows)}, columns ${fmt(g.scaleCols)}`;
  if (scale < limits.minScale) {
    throw new RangeError(
      `${FN}: '${arg}' asks for a scale of ${fmt(scale)} (${axes}); the smallest scale is ${limits.minScale} ` +
        `(limits.minScale; raise it with setLimits)`,
    );
  }
  const rowTaps = tapCount(kernel, g.scaleRows, antialiasing);
  const colTaps = tapCount(kernel, g.scaleCols, antialiasing);
  if (Math.max(rowTaps, colTaps) > limits.maxTaps) {
    throw new RangeError(
      `${FN}: '${arg}' needs kernels of ${Math.max(rowTaps, colTaps)} taps (${axes}); the limit is ` +
        `${limits.maxTaps} taps (limits.maxTaps; raise it with setLimits)`,
    );
  }
  const out =
    rank === 2 ? [g.outRows, g.outCols] : rank === 3 ? [g.outRows, g.outCols, c] : [n, g.outRows, g.outCols, c];
  assertElements(FN, arg, out, 'an output');
  // Strong shrinking multiplies by a dense [out, in] weight matrix per axis (see combineDense).
  if (rowTaps > DENSE_TAPS) assertElements(FN, arg, [g.outRows, h], 'a weight matrix');
  if (colTaps > DENSE_TAPS) assertElements(FN, arg, [g.outCols, w], 'a weight matrix');
  // The first pass resizes the axis with the smaller scale; its result is the intermediate image.
  const first = g.scaleRows <= g.scaleCols ? [n, g.outRows, w, c] : [n, h, g.outCols, c];
  assertElements(FN, arg, first, 'an intermediate image');
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4).replace(/\.?0+$/, ''));

/** MATLAB's uint8 conversion of an intermediate: round half away from zero, saturate to 0..255 (float32 values). */
function quantize(t: tf.Tensor): tf.Tensor {
  // Values below 0 saturate to 0 anyway, so floor(v + 0.5) rounds half away from zero wherever it matters.
  return tf.clipByValue(tf.floor(tf.add(t, tf.scalar(0.5))), 0, 255);
}

/**
 * Whether to assemble output rows from slices instead of `gatherND`. The cpu backend walks every element of a
 * gatherND or a broadcasting multiply through index arithmetic (about 0.4 µs each: seconds for the walkthrough's
 * 64 channels), while its contiguous slices, scalar multiplies and concat are plain array copies. Elsewhere
 * (wasm, webgl, webgpu) gatherND is the fast path and a slice costs a read of its whole input. Both paths do the same
 * float32 arithmetic in the same order, so they give identical results.
 */
const bySlices = () => imresizePath.bySlices ?? tf.getBackend() === 'cpu';

/** For tests: force the slice path (true) or the gatherND path (false); unset = by backend. Not in the package API. */
export const imresizePath: { bySlices?: boolean } = {};

/**
 * Resamples the rows of `m` [repeat * inLen, S] (`repeat` stacked blocks of `inLen` rows) with `plan`:
 * -> [repeat * outLen, S], each output row the tap-ordered sum of weight × input row.
 */
function combineRows(m: tf.Tensor, plan: AxisPlan, repeat: number): tf.Tensor {
  const { inLen, outLen } = plan;
  const S = m.shape[1] as number;
  const taps = plan.indices.length;
  if (taps > DENSE_TAPS && plan.kind === 'weighted') return combineDense(m, plan, repeat);
  if (bySlices()) {
    const rows: tf.Tensor[] = [];
    for (let a = 0; a < repeat; a++) {
      for (let o = 0; o < outLen; o++) {
        const terms: tf.Tensor[] = [];
        for (let k = 0; k < taps; k++) {
          const row = tf.slice(m, [a * inLen + plan.indices[k][o], 0], [1, S]);
          terms.push(plan.kind === 'gather' ? row : tf.mul(row, tf.scalar(plan.weights[k][o])));
        }
        rows.push(terms.length === 1 ? terms[0] : tf.addN(terms));
      }
    }
    return rows.length === 1 ? rows[0] : tf.concat(rows, 0);
  }
  // The weighted taps are summed as they come, in tap order (the same float32 sums as addN of all of them), and each
  // is freed once added: the working set stays about three outputs, whatever the number of taps.
  let sum: tf.Tensor | null = null;
  for (let k = 0; k < taps; k++) {
    let rows = plan.indices[k];
    if (repeat > 1) {
      // Frames stacked along the rows: frame a's row i is row a * inLen + i.
      const all = new Int32Array(repeat * outLen);
      for (let a = 0; a < repeat; a++) for (let o = 0; o < outLen; o++) all[a * outLen + o] = a * inLen + rows[o];
      rows = all;
    }
    const index = tf.tensor2d(rows, [rows.length, 1], 'int32');
    const g = tf.gatherND(m, index);
    index.dispose();
    if (plan.kind === 'gather') return g;
    const w = tf.tensor3d(plan.weights[k], [1, outLen, 1]);
    const term = tf.mul(tf.reshape(g, [repeat, outLen, S]), w);
    tf.dispose([g, w]);
    if (sum === null) sum = term;
    else {
      const next: tf.Tensor = tf.add(sum, term);
      tf.dispose([sum, term]);
      sum = next;
    }
  }
  return tf.reshape(sum as tf.Tensor, [repeat * outLen, S]);
}

/**
 * Above this many taps (strong shrinking: a scale below about 0.06 for bicubic), a pass is one matrix product with
 * the dense `[outLen, inLen]` weight matrix instead of one gather, multiply and add per tap. The sums then run in
 * the matrix product's order rather than tap order (float32 rounding, not MATLAB's order), but the work is a handful
 * of kernels instead of thousands: on WebGPU, thousands of small dispatches queued without a read-back exhausted the
 * driver.
 */
const DENSE_TAPS = 64;

/** `combineRows` for many taps: `[repeat, inLen, S]` rows times the dense weights, one batched matrix product. */
function combineDense(m: tf.Tensor, plan: AxisPlan, repeat: number): tf.Tensor {
  const { inLen, outLen } = plan;
  const S = m.shape[1] as number;
  const dense = new Float32Array(outLen * inLen);
  for (let k = 0; k < plan.indices.length; k++) {
    const idx = plan.indices[k];
    const w = plan.weights[k];
    for (let o = 0; o < outLen; o++) dense[o * inLen + idx[o]] += w[o];
  }
  const weights = tf.tensor3d(dense, [1, outLen, inLen]);
  const rows = tf.reshape(m, [repeat, inLen, S]);
  const out = tf.matMul(repeat === 1 ? weights : tf.tile(weights, [repeat, 1, 1]), rows);
  return tf.reshape(out, [repeat * outLen, S]);
}

/** Resamples axis 1 (rows) of `t` [n, h, w, c] with `plan` -> [n, plan.outLen, w, c]. */
function resizeRows(t: tf.Tensor, plan: AxisPlan): tf.Tensor {
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const H = plan.outLen;
  const S = w * c;
  if (n > 1 && bySlices()) {
    // One slice per output row for all frames at once: frames go inside the rows, and back afterwards.
    const m = tf.reshape(tf.transpose(tf.reshape(t, [n, h, S]), [1, 0, 2]), [h, n * S]);
    const out = combineRows(m, plan, 1); // [H, n * S]
    return tf.reshape(tf.transpose(tf.reshape(out, [H, n, S]), [1, 0, 2]), [n, H, w, c]);
  }
  const out = combineRows(tf.reshape(t, [n * h, S]), plan, n);
  return tf.reshape(out, [n, H, w, c]);
}

/** Resamples axis 2 (columns) of `t` [n, h, w, c] with `plan` -> [n, h, plan.outLen, c]. */
function resizeCols(t: tf.Tensor, plan: AxisPlan): tf.Tensor {
  const [n, h, w, c] = t.shape as [number, number, number, number];
  const R = n * h;
  const W = plan.outLen;
  // Bring the columns to the front (whole rows are what gathers and slices copy fast), resample, put them back.
  let m: tf.Tensor;
  if (R === 1) m = tf.reshape(t, [w, c]);
  else if (c === 1) m = tf.transpose(tf.reshape(t, [R, w]));
  else m = tf.reshape(tf.transpose(tf.reshape(t, [R, w, c]), [1, 0, 2]), [w, R * c]);
  const out = combineRows(m, plan, 1); // [W, R * c]
  let back: tf.Tensor;
  if (R === 1) back = out;
  else if (c === 1) back = tf.transpose(out);
  else back = tf.transpose(tf.reshape(out, [W, R, c]), [1, 0, 2]);
  return tf.reshape(back, [n, h, W, c]);
}

/**
 * MATLAB's `imresize(A, scale)` / `imresize(A, [rows cols])` with MATLAB's numerics: bicubic by default, antialiasing
 * when shrinking, symmetric-mirror borders, and the same weights MATLAB computes (in double, on the host).
 *
 * - `scaleOrSize` a number `s`: the output is `ceil(s * h)` × `ceil(s * w)`, computed in double as MATLAB does
 *   (`0.07 * 100` is 7.000000000000001, so 8 rows), and the kernels use `s` itself, not `out / in`.
 * - `scaleOrSize` `[rows, cols]`: that output size (positive integers; MATLAB would round a fraction up, here it is
 *   an error); one side `null` (or NaN) keeps the aspect ratio (`ceil(cols * h / w)`), and then both axes use the
 *   given side's scale.
 * - `options.scale` `[rowScale, colScale]` (with `scaleOrSize` `null`): per-axis scales.
 *
 * Only the rows and columns are resized: every channel of `[h, w, c]` and every frame of `[n, h, w, c]` (MATLAB's
 * h×w×c×n) gets the same weights. The axis with the smaller scale is resized first (rows first on ties), as MATLAB
 * does. Each output pixel is the weighted sum of its kernel's taps, summed in tap order. When both axes are pure
 * nearest-neighbour (scale 1, most `'nearest'` resizes) the result is an exact copy by index.
 *
 * Numbers, as in MATLAB:
 * - float32 (MATLAB's `double`): no clipping, so bicubic overshoot such as −0.08 or 1.04 stays. Arithmetic is
 *   float32 (MATLAB: double), so results agree with MATLAB to float32 rounding (about 1e-6 relative).
 * - int32 (MATLAB's `uint8`, values 0..255): every pass is rounded half away from zero and saturated to 0..255, as
 *   MATLAB stores each pass in uint8. Where the exact value is a .5 tie (weights in thirds or sixths, as at scale
 *   1.5), MATLAB's double rounding and our float32 rounding can fall on different sides, so a pixel may differ from
 *   MATLAB's by 1 (20 of the 876 pixels of MATLAB's reference resizes; the other 856 are equal). Values outside
 *   0..255 saturate once a pass interpolates.
 * - NaN (and ±Inf) spread exactly as in MATLAB: to the output pixels whose kernel covers them, including kept taps of
 *   weight 0 (0 · NaN is NaN), and no further.
 *
 * The weights are computed once per geometry on the host and cached (as typed arrays). The device work is a gather of
 * whole rows per tap, a multiply by the tap's weights and a sum (public TF.js ops only: gatherND, mul, addN,
 * transpose; on the cpu backend, where those walk element by element, slices and concat instead, with the same
 * arithmetic), so it runs on every backend and costs a few passes over the output rather than a dense matrix product.
 * Returns a new tensor the caller owns; the input is neither disposed nor modified.
 *
 * @param x - `[h, w]`, `[h, w, c]` or `[n, h, w, c]`; float32, or int32 holding 0..255. Must not be empty.
 * @param scaleOrSize - a positive scale, or the output size `[rows, cols]` with at most one side `null`/NaN;
 *   `null` when `options.scale` or `options.outputSize` is given.
 * @param options - {@link ImresizeOptions}: `method` (default `'bicubic'`), `antialiasing` (default `true` except
 *   for `'nearest'`), `scale`, `outputSize`.
 * @returns a tensor of `x`'s rank and dtype: `[rows, cols]`, `[rows, cols, c]` or `[n, rows, cols, c]`.
 * @throws TypeError if `x` is not a live float32/int32 tensor, or an argument or option has the wrong type.
 * @throws RangeError if `x` has the wrong rank or is empty, the scale is not positive and finite, a size is not a
 *   positive integer, both sides are null, the method or an option name is unknown, or the output would be too large.
 *
 * @example
 * const big = imresize(act, [227, 227]);                        // [113, 113, 64] -> [227, 227, 64], bicubic
 * const half = imresize(img, 0.5, { method: 'bilinear' });      // antialiased
 * const tall = imresize(img, [300, null]);                      // 300 rows, aspect ratio kept
 * const nn = imresize(labels, 2, { method: 'nearest' });        // exact copies, no antialiasing
 */
export function imresize<T extends tf.Tensor>(
  x: T,
  scaleOrSize: number | readonly (number | null)[] | null | undefined,
  options?: ImresizeOptions,
): T {
  assertTensor(FN, 'x', x, { ranks: [2, 3, 4], what: 'an image tensor [h, w], [h, w, c] or [n, h, w, c]' });
  if (x.size === 0) throw rangeError(FN, 'x', 'a non-empty image', x);
  assertNotPositional(FN, options, 'method', METHODS);
  const known = ['method', 'antialiasing', 'scale', 'outputSize'];
  // MATLAB's imresize(A, 'OutputSize', [r c]): the size, not a name, goes second here.
  const named = typeof scaleOrSize === 'string' ? optionCased(scaleOrSize, known) : undefined;
  if (named !== undefined) {
    const err = typeError(FN, 'scaleOrSize', 'a positive finite scale or an output size [rows, cols]', scaleOrSize);
    err.message += `; MATLAB's name-value pairs are one object here: imresize(x, null, { ${named}: … })`;
    throw err;
  }
  const opts = assertOptions<ImresizeOptions>(FN, options, known);
  const method = optionOneOf(FN, 'options.method', opts.method, METHODS, 'bicubic');
  let antialiasing = method !== 'nearest';
  if (opts.antialiasing !== undefined) {
    if (typeof opts.antialiasing !== 'boolean')
      throw typeError(FN, 'options.antialiasing', 'a boolean', opts.antialiasing);
    antialiasing = opts.antialiasing;
  }
  if (opts.scale !== undefined) {
    const expected = 'an array [rowScale, colScale] of positive finite numbers';
    const s: unknown = listArg(FN, 'options.scale', opts.scale);
    if (!Array.isArray(s) || s.length !== 2 || s.some((v) => typeof v !== 'number')) {
      throw typeError(FN, 'options.scale', expected, s);
    }
    if (s.some((v) => !Number.isFinite(v) || v <= 0)) throw rangeError(FN, 'options.scale', expected, s);
  }

  const rank = x.rank;
  const shape = x.shape as number[];
  const [n, h, w, c] = rank === 2 ? [1, shape[0], shape[1], 1] : rank === 3 ? [1, shape[0], shape[1], shape[2]] : shape;
  let sizeArg = 'scaleOrSize';
  if (opts.outputSize !== undefined) {
    if (opts.scale !== undefined) {
      throw new RangeError(`${FN}: options 'scale' and 'outputSize' cannot be combined; give one of them`);
    }
    if (scaleOrSize !== null && scaleOrSize !== undefined) {
      throw rangeError(FN, 'scaleOrSize', 'null when options.outputSize is given', scaleOrSize);
    }
    sizeArg = 'options.outputSize';
  }
  const g = geometry(h, w, opts.outputSize ?? scaleOrSize, opts.scale, sizeArg);
  const kernel = KERNEL_OF[method];
  checkLimits(g, kernel, antialiasing, [n, h, w, c], rank, opts.scale ? 'options.scale' : sizeArg);
  const rowPlan = axisPlan(h, g.outRows, g.scaleRows, kernel, antialiasing);
  const colPlan = axisPlan(w, g.outCols, g.scaleCols, kernel, antialiasing);
  const outShape: number[] =
    rank === 2 ? [g.outRows, g.outCols] : rank === 3 ? [g.outRows, g.outCols, c] : [n, g.outRows, g.outCols, c];

  // The same rank as `x` (outShape has it).
  return tf.tidy(FN, (): tf.Tensor => {
    // The axis with the smaller scale first; rows first on ties (MATLAB's stable sort of the scales).
    const passes: [AxisPlan, typeof resizeRows][] =
      g.scaleRows <= g.scaleCols
        ? [
            [rowPlan, resizeRows],
            [colPlan, resizeCols],
          ]
        : [
            [colPlan, resizeCols],
            [rowPlan, resizeRows],
          ];
    const isInt = x.dtype === 'int32';
    let t: tf.Tensor = tf.reshape(x, [n, h, w, c]);
    for (const [plan, resize] of passes) {
      if (plan.kind === 'identity') continue;
      if (plan.kind === 'gather') {
        t = resize(t, plan); // an exact copy by index, in any dtype
        continue;
      }
      if (t.dtype !== 'float32') t = tf.cast(t, 'float32');
      t = resize(t, plan);
      if (isInt) t = quantize(t);
    }
    if (t.dtype !== x.dtype) t = tf.cast(t, x.dtype);
    // A new tensor object even when nothing moved (scale 1), so that the caller owns what it gets.
    return tf.reshape(t, outShape);
  }) as T;
}
