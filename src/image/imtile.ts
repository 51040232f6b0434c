/**
 * MATLAB's `imtile`: many images laid out as tiles of one image.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertElements, listArg } from '../internal/limits.js';
import { assertInteger, assertOptions, assertTensor, isTensor, rangeError, typeError } from '../internal/validate.js';
import { type ColorSpec, colorSpec } from './colorSpec.js';
import { imresize } from './imresize.js';
import { castToUint8 } from './uint8.js';

const FN = 'imtile';

/** What {@link imtile} tiles: one tensor of frames, or an array of images (`null` = blank tile). */
export type ImtileInput = tf.Tensor | readonly (tf.Tensor | null)[];

/** Options of {@link imtile} (MATLAB's name-value arguments, camelCase). */
export interface ImtileOptions {
  /**
   * `[rows, cols]` of the grid. `null` (or NaN/Infinity, as MATLAB allows) for one side computes it as
   * `ceil(nFrames / other)`; both `null` uses MATLAB's default grid, about square in pixels:
   * `cols = ceil(sqrt(tileRows * nFrames / tileCols))`, `rows = ceil(nFrames / cols)` on the tile size with borders
   * (one frame: `[1, 1]`). When `rows * cols` is smaller than the number of frames, only the first `rows * cols`
   * frames are tiled; unused cells are blank.
   * @default [null, null]
   */
  gridSize?: readonly [number | null, number | null];
  /**
   * Blank pixels added on each side of every tile: one non-negative integer for both axes, or `[rows, cols]`.
   * @default 0
   */
  borderSize?: number | readonly [number, number];
  /**
   * Colour of borders and blank tiles: `[r, g, b]` in [0, 1], a colour name or short name (`'white'`, `'w'`), or a
   * hex code (`'#ff8800'`), as MATLAB's ColorSpec. As in MATLAB, giving it converts every tile to
   * 8-bit RGB (`im2uint8`), so the result is an int32 RGB image `[H, W, 3]` with values 0..255. The colour itself is
   * rounded to `round(255 * v)`.
   * @default none: borders and blank tiles are 0 and the output keeps the input's class
   */
  backgroundColor?: ColorSpec;
  /**
   * `[rows, cols]` of every tile before borders. Images of another size are resized with `imresize` (bicubic, to fit
   * inside while keeping their aspect ratio) and centred. `null` for one side computes it from the first image's
   * aspect ratio (`ceil`); `null` altogether means the first image's own size.
   * @default null
   */
  thumbnailSize?: readonly [number | null, number | null] | null;
  /**
   * 0-based indices of the frames to tile, in order (repeats allowed): into the frames of a tensor input, or into the
   * array. MATLAB's `Frames` with indices one smaller.
   * @default every frame
   */
  frames?: readonly number[];
}

const OPTION_KEYS = ['gridSize', 'borderSize', 'backgroundColor', 'thumbnailSize', 'frames'] as const;
const IMAGE_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3], or null';

/**
 * MATLAB's `imtile(I)`, `imtile(images)`: lays frames out on a grid, row by row, in one image.
 *
 * **Input**, as MATLAB reads it:
 * - `[h, w]`: one frame.
 * - `[h, w, k]`: **k gray frames**, one per channel (MATLAB's M×N×K rule: an RGB `[h, w, 3]` tensor is 3 gray
 *   frames, as in MATLAB). This is the shape of `activations(net, im, 'conv1')`, so
 *   `imtile(mat2gray(act1), { gridSize: [8, 8] })` shows all 64 channels.
 * - `[n, h, w, 1]` or `[n, h, w, 3]`: n gray or RGB frames (MATLAB's M×N×1×K / M×N×3×K).
 * - An array of images, each `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, or `null` for a blank tile (MATLAB's cell array).
 *   Sizes may differ: the first image's size is the tile size and the others are fitted to it. If any image is RGB,
 *   gray ones are repeated into 3 channels. If the dtypes differ, every tile becomes float32 through `im2double`
 *   (int32 / 255; float32 kept as is, not clipped). Each image is fitted in its own dtype, then converted.
 *
 * **Thumbnails:** an image whose size differs from the tile size is resized with {@link imresize} (bicubic,
 * antialiased, MATLAB's default `ThumbnailInterpolation`) along the side that makes it fit (MATLAB's R2023 rule:
 * `[tileRows, NaN]` when `ceil(tileRows * w / h) - tileCols <= ceil(tileCols * h / w) - tileRows`, else
 * `[NaN, tileCols]`), then centred (`floor(pad / 2)` before, the rest after). Same-size images are not resampled.
 *
 * **Layout:** tile k (0-based) sits at grid row `floor(k / cols)`, column `k % cols`; each tile is the thumbnail
 * plus `borderSize` on each side; blank cells and borders are 0 (or `backgroundColor`).
 *
 * **Output:** `[H, W]` when the frames are gray, `[H, W, 3]` when RGB, with `H = rows * (tileRows + 2 * borderRows)`
 * and `W = cols * (tileCols + 2 * borderCols)`. dtype: the input's (int32 stays int32, float32 stays float32), float32
 * for an array of mixed dtypes, int32 RGB when `backgroundColor` is given. Values are not rescaled.
 *
 * Synchronous, built from tensor ops (gather, pad, reshape, transpose) with no read-back. Returns a new tensor the
 * caller owns; inputs are neither disposed nor modified.
 *
 * @param input - a float32/int32 tensor `[h, w]`, `[h, w, k]`, `[n, h, w, 1|3]`, or an array of images and nulls.
 * @param options - see {@link ImtileOptions}.
 * @returns the tiled image `[H, W]` or `[H, W, 3]`.
 * @throws TypeError if `input` is not a tensor or an array, an image is not a live float32/int32 tensor, or an option
 *   has the wrong type.
 * @throws RangeError if a shape is not one of the above, an array holds no image, an option value is out of range,
 *   or an option is unknown.
 *
 * @example
 * const act1 = activations(net, im, 'conv1');                  // [113, 113, 64]
 * const grid = imtile(mat2gray(act1), { gridSize: [8, 8] });   // [904, 904] float32
 * const pair = imtile([im, maxChannel(act1)]);                  // int32 RGB + float32 gray: [227, 454, 3] float32
 */
export function imtile(input: ImtileInput, options?: ImtileOptions): tf.Tensor {
  // ---- validation: everything is checked before any tensor is made ----
  let frameCount: number;
  if (Array.isArray(input)) {
    input = listArg(FN, 'input', input) as (tf.Tensor | null)[];
    if (input.length === 0) throw rangeError(FN, 'input', 'a non-empty array of images', input);
    input.forEach((image, i) => {
      if (image === null) return;
      const arg = `input[${i}]`;
      const t = assertTensor(FN, arg, image, { ranks: [2, 3], what: IMAGE_WHAT });
      if ((t.rank === 3 && t.shape[2] !== 1 && t.shape[2] !== 3) || t.size === 0) {
        throw rangeError(FN, arg, IMAGE_WHAT, t);
      }
    });
    if (input.every((image) => image === null)) {
      throw rangeError(FN, 'input', 'an array holding at least one image (not only null)', input);
    }
    frameCount = input.length;
  } else if (isTensor(input)) {
    const t = assertTensor(FN, 'input', input, {
      ranks: [2, 3, 4],
      what: 'a tensor [h, w], [h, w, k] or [n, h, w, c], or an array of images',
    });
    if (t.rank === 4 && t.shape[3] !== 1 && t.shape[3] !== 3) {
      throw rangeError(FN, 'input', 'a rank-4 tensor [n, h, w, c] with c in {1, 3}', t);
    }
    if (t.size === 0) throw rangeError(FN, 'input', 'a tensor with no zero-length dimension', t);
    frameCount = t.rank === 4 ? (t.shape[0] as number) : t.rank === 3 ? (t.shape[2] as number) : 1;
  } else {
    throw typeError(FN, 'input', 'a tensor [h, w], [h, w, k] or [n, h, w, c], or an array of images', input);
  }
  const opts = assertOptions<ImtileOptions>(FN, options, OPTION_KEYS);
  const gridSpec = checkPair(opts.gridSize, 'options.gridSize', false);
  const thumbSpec =
    opts.thumbnailSize === null ? undefined : checkPair(opts.thumbnailSize, 'options.thumbnailSize', true);
  const border = checkBorder(opts.borderSize);
  const background = checkBackground(opts.backgroundColor);
  const selected = checkFrames(opts.frames, frameCount);

  // ---- the plan: sizes and grid, from shapes alone ----
  let ref: tf.Tensor; // the first image: it sets the tile size (and, for arrays, the working dtype)
  let images: (tf.Tensor | null)[] | null = null;
  if (Array.isArray(input)) {
    images = selected.map((i) => input[i]);
    const first = images.find((image) => image !== null);
    if (!first)
      throw rangeError(FN, 'options.frames', 'indices that select at least one image (not only null)', opts.frames);
    ref = first;
  } else {
    ref = input as tf.Tensor;
  }
  const [h0, w0] = (ref.rank === 4 ? ref.shape.slice(1, 3) : ref.shape.slice(0, 2)) as [number, number];
  const thumb = resolveThumbnail(thumbSpec, h0, w0);
  const tileRows = thumb[0] + 2 * border[0];
  const tileCols = thumb[1] + 2 * border[1];
  const [rows, cols] = resolveGrid(gridSpec, selected.length, tileRows, tileCols);
  const shown = Math.min(selected.length, rows * cols);
  const layout: Layout = { thumb, border, rows, cols };
  // The output (the largest tensor made here), checked before anything is allocated.
  const channelsOf = (x: tf.Tensor) =>
    x.rank === 4 ? (x.shape[3] as number) : x.rank === 3 && images ? (x.shape[2] as number) : 1;
  const channels = background ? 3 : Math.max(...(images ?? [ref]).map((x) => (x ? channelsOf(x) : 1)));
  // Blame the option that made it large: a border wider than the tile, a thumbnail larger than the image, the grid.
  const blame =
    opts.borderSize !== undefined && Math.max(...border) > Math.max(...thumb)
      ? 'options.borderSize'
      : thumbSpec && thumb[0] * thumb[1] > h0 * w0
        ? 'options.thumbnailSize'
        : opts.gridSize !== undefined
          ? 'options.gridSize'
          : 'input';
  const outShape = [rows * tileRows, cols * tileCols, ...(channels === 1 ? [] : [channels])];
  assertElements(FN, blame, outShape, 'an output');

  return tf.tidy(FN, () => {
    if (images) return tileArray(images.slice(0, shown), ref, layout, background);
    const t = input as tf.Tensor;
    const indices = opts.frames === undefined && shown === frameCount ? null : selected.slice(0, shown);
    if (t.rank !== 4 && !background) return tileGrayStack(t.rank === 2 ? tf.expandDims(t, 2) : t, indices, layout);
    // Frames first: [m, h, w, c].
    let stack = t.rank === 4 ? t : tf.expandDims(tf.transpose(t.rank === 2 ? tf.expandDims(t, 2) : t, [2, 0, 1]), 3);
    if (indices) stack = selectFrames(stack, indices, 0);
    const fitted = fitToThumbnail(stack, thumb, 1);
    let tiles = fitted.image;
    if (background) tiles = toBackgroundSpace(tiles, background);
    tiles = padIfNeeded(tiles, [
      [0, 0],
      addBorder(fitted.rowPad, border[0]),
      addBorder(fitted.colPad, border[1]),
      [0, 0],
    ]);
    return assemble(tiles, layout, background);
  });
}

interface Layout {
  thumb: [number, number];
  border: [number, number];
  rows: number;
  cols: number;
}

/** `[h, w, k]` gray frames, frames last: one pad (centring, borders and blank cells), one transpose. */
function tileGrayStack(stack: tf.Tensor, indices: number[] | null, layout: Layout): tf.Tensor {
  const { thumb, border, rows, cols } = layout;
  let frames = stack;
  if (indices) frames = selectFrames(frames, indices, 2);
  const fitted = fitToThumbnail(frames, thumb, 0);
  const m = fitted.image.shape[2] as number;
  const padded = padIfNeeded(fitted.image, [
    addBorder(fitted.rowPad, border[0]),
    addBorder(fitted.colPad, border[1]),
    [0, rows * cols - m],
  ]);
  const [th, tw] = padded.shape as [number, number, number];
  // [th, tw, rows, cols] -> [rows, th, cols, tw] -> [rows * th, cols * tw]
  return tf.reshape(tf.transpose(tf.reshape(padded, [th, tw, rows, cols]), [2, 0, 3, 1]), [rows * th, cols * tw]);
}

/** MATLAB's cell-array rules: per image fit, class and colour conversion, then one stack. */
function tileArray(
  images: (tf.Tensor | null)[],
  ref: tf.Tensor,
  layout: Layout,
  background: [number, number, number] | null,
): tf.Tensor {
  const { thumb, border } = layout;
  const present = images.filter((image): image is tf.Tensor => image !== null);
  const mixed = present.some((image) => image.dtype !== ref.dtype);
  const rgb = background !== null || present.some((image) => image.rank === 3 && image.shape[2] === 3);
  const channels = rgb ? 3 : 1;
  const dtype: tf.DataType = background ? 'int32' : mixed ? 'float32' : ref.dtype;
  const tileShape = [thumb[0] + 2 * border[0], thumb[1] + 2 * border[1], channels];
  const tiles = images.map((image) => {
    if (image === null) return tf.zeros(tileShape, dtype); // blank: 0, or the background after the shift back
    const fitted = fitToThumbnail(image.rank === 2 ? tf.expandDims(image, 2) : image, thumb, 0);
    let tile = fitted.image;
    if (!background && mixed && tile.dtype === 'int32') tile = tf.div(tf.cast(tile, 'float32'), 255); // im2double
    if (rgb && tile.shape[2] === 1) tile = tf.tile(tile, [1, 1, 3]);
    if (background) tile = toBackgroundSpace(tile, background);
    return padIfNeeded(tile, [addBorder(fitted.rowPad, border[0]), addBorder(fitted.colPad, border[1]), [0, 0]]);
  });
  return assemble(tf.stack(tiles), layout, background);
}

/**
 * `[m, th, tw, c]` tiles (borders included) → `[rows * th, cols * tw]` or `[..., 3]`, blank cells appended, then the
 * background added back.
 */
function assemble(tiles: tf.Tensor, layout: Layout, background: [number, number, number] | null): tf.Tensor {
  const { rows, cols } = layout;
  const [m, th, tw, c] = tiles.shape as [number, number, number, number];
  const cells = padIfNeeded(tiles, [
    [0, rows * cols - m],
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
  // [rows, cols, th, tw, c] -> [rows, th, cols, tw, c] -> [rows * th, cols * tw, c]
  let out = tf.reshape(tf.transpose(tf.reshape(cells, [rows, cols, th, tw, c]), [0, 2, 1, 3, 4]), [
    rows * th,
    cols * tw,
    c,
  ]);
  if (background) out = tf.add(out, tf.tensor1d(background, 'int32'));
  return c === 1 ? tf.reshape(out, [rows * th, cols * tw]) : out;
}

/**
 * 8-bit RGB tiles minus the background colour: zero padding then becomes the background once it is added back,
 * so borders, centring margins and blank cells all take the colour with plain `tf.pad`.
 */
function toBackgroundSpace(tiles: tf.Tensor, background: [number, number, number]): tf.Tensor {
  let t = tiles.dtype === 'int32' ? tiles : castToUint8(tf.mul(tiles, 255)); // im2uint8
  if (t.shape[t.rank - 1] === 1) t = tf.tile(t, [...Array(t.rank - 1).fill(1), 3]);
  return tf.sub(t, tf.tensor1d(background, 'int32'));
}

/** The frames `indices` along `axis`: a slice when they are 0, 1, ..., m - 1 (the first frames), else a gather. */
function selectFrames(x: tf.Tensor, indices: number[], axis: number): tf.Tensor {
  if (indices.every((v, i) => v === i)) {
    const size = x.shape.slice();
    size[axis] = indices.length;
    return tf.slice(
      x,
      x.shape.map(() => 0),
      size,
    );
  }
  return tf.gather(x, tf.tensor1d(indices, 'int32'), axis);
}

/** `tf.pad` with zeros, skipped when there is nothing to add (a pad is a full copy; on the cpu backend a slow one). */
function padIfNeeded(x: tf.Tensor, pads: [number, number][]): tf.Tensor {
  return pads.every(([a, b]) => a === 0 && b === 0) ? x : tf.pad(x, pads);
}

function addBorder(pad: [number, number], border: number): [number, number] {
  return [pad[0] + border, pad[1] + border];
}

/**
 * MATLAB's thumbnail fit: resize (keeping the aspect ratio) so that the image fits `thumb`, then report the padding
 * that centres it. `hAxis` is the axis of the rows (0 for `[h, w, c]`, 1 for `[n, h, w, c]`). Same-size images pass
 * through untouched.
 */
function fitToThumbnail(
  x: tf.Tensor,
  thumb: [number, number],
  hAxis: number,
): { image: tf.Tensor; rowPad: [number, number]; colPad: [number, number] } {
  let image = x;
  let h = x.shape[hAxis] as number;
  let w = x.shape[hAxis + 1] as number;
  if (h !== thumb[0] || w !== thumb[1]) {
    const ar = w / h;
    const padA = Math.ceil(thumb[0] * ar) - thumb[1]; // overflow in columns if the rows are fixed
    const padB = Math.ceil(thumb[1] / ar) - thumb[0]; // overflow in rows if the columns are fixed
    image = imresize(x, padA <= padB ? [thumb[0], null] : [null, thumb[1]]);
    h = image.shape[hAxis] as number;
    w = image.shape[hAxis + 1] as number;
    if (h > thumb[0] || w > thumb[1]) {
      // Only if imresize's own size rounding overshoots by a pixel: keep the centre.
      const begin = image.shape.map(() => 0);
      const size = image.shape.slice();
      begin[hAxis] = Math.max(Math.floor((h - thumb[0]) / 2), 0);
      begin[hAxis + 1] = Math.max(Math.floor((w - thumb[1]) / 2), 0);
      size[hAxis] = Math.min(h, thumb[0]);
      size[hAxis + 1] = Math.min(w, thumb[1]);
      image = tf.slice(image, begin, size);
      h = size[hAxis];
      w = size[hAxis + 1];
    }
  }
  return { image, rowPad: centre(thumb[0] - h), colPad: centre(thumb[1] - w) };
}

function centre(pad: number): [number, number] {
  const pre = Math.max(Math.floor(pad / 2), 0);
  return [pre, Math.max(pad - pre, 0)];
}

/** MATLAB's default grid on the padded tile size, or the given sides (`null` = computed). */
function resolveGrid(
  spec: [number | null, number | null],
  nFrames: number,
  tileRows: number,
  tileCols: number,
): [number, number] {
  const [r, c] = spec;
  if (r !== null && c !== null) return [r, c];
  if (r !== null) return [r, Math.ceil(nFrames / r)];
  if (c !== null) return [Math.ceil(nFrames / c), c];
  if (nFrames === 1) return [1, 1];
  const cols = Math.ceil(Math.sqrt((tileRows * nFrames) / tileCols));
  return [Math.ceil(nFrames / cols), cols];
}

function resolveThumbnail(spec: [number | null, number | null] | undefined, h0: number, w0: number): [number, number] {
  const [tr, tc] = spec ?? [null, null];
  const ar = w0 / h0;
  if (tr !== null && tc !== null) return [tr, tc];
  if (tr !== null) return [tr, Math.ceil(tr * ar)];
  if (tc !== null) return [Math.ceil(tc / ar), tc];
  return [h0, w0];
}

/**
 * `[a, b]` with each a positive integer or "computed" (null, NaN; for gridSize also +Infinity, as MATLAB allows).
 * Returns nulls for the computed sides.
 */
function checkPair(given: unknown, arg: string, thumbnail: boolean): [number | null, number | null] {
  if (given === undefined) return [null, null];
  const value = listArg(FN, arg, given);
  const expected = `[rows, cols] with each a positive integer or null${thumbnail ? ', or null' : ''}`;
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => v !== null && typeof v !== 'number')) {
    throw typeError(FN, arg, expected, value);
  }
  return value.map((v: number | null) => {
    if (v === null || Number.isNaN(v) || (!thumbnail && v === Infinity)) return null;
    if (!Number.isInteger(v) || v < 1) throw rangeError(FN, arg, expected, value);
    return v;
  }) as [number | null, number | null];
}

function checkBorder(value: unknown): [number, number] {
  if (value === undefined) return [0, 0];
  const expected = 'a non-negative integer or [rows, cols] of non-negative integers';
  const pair = typeof value === 'number' ? [value, value] : listArg(FN, 'options.borderSize', value);
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => typeof v !== 'number')) {
    throw typeError(FN, 'options.borderSize', expected, value);
  }
  if (pair.some((v: number) => !Number.isInteger(v) || v < 0))
    throw rangeError(FN, 'options.borderSize', expected, value);
  return pair as [number, number];
}

function checkBackground(given: unknown): [number, number, number] | null {
  if (given === undefined) return null;
  // MATLAB converts the colour to uint8: round(255 * v), halves up (v >= 0).
  return colorSpec(FN, 'options.backgroundColor', given).map((v) => Math.round(255 * v)) as [number, number, number];
}

function checkFrames(given: unknown, frameCount: number): number[] {
  if (given === undefined) return [...Array(frameCount).keys()];
  const value = listArg(FN, 'options.frames', given);
  const expected = 'a non-empty array of 0-based frame indices';
  if (!Array.isArray(value)) throw typeError(FN, 'options.frames', expected, value);
  if (value.length === 0) throw rangeError(FN, 'options.frames', expected, value);
  return value.map((v, i) => assertInteger(FN, `options.frames[${i}]`, v, 0, frameCount - 1));
}
