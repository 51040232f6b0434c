/**
 * Kernels for the wasm backend, written in JavaScript over the backend's heap, where TF.js's wasm kernels (or public
 * operations) were the slow part of a SqueezeNet pass or of a deep-dream step:
 * - a concatenation (a fire module's join), in place of TF.js's, which allocates a view for every run it copies;
 * - a tensor less a vector along its last axis (an image's mean subtraction), in place of TF.js's broadcasting `Sub`;
 * - max pooling's input gradient with TF's routing of tied maxima (TF.js's wasm kernel routes them otherwise, and
 *   built from operations it took nine slices, comparisons and pads: half of the step);
 * - a strided convolution's col2im (its input gradient is one matrix product and this);
 * - a concatenation's gradient, copying runs where TF.js's SplitV copies element by element;
 * - a strided gradient spread out by the stride and padded in one pass, where pads took three;
 * - a fix of TF.js's gather with batch dimensions, which reads the later batches' indices from the wrong place;
 * - fixes of TF.js's int32 clipping, casts to bool, bool reversals and choices of bool values, which give other
 *   values than TensorFlow's (the last two also write past the end of their result).
 * Each only moves, adds or subtracts values, in a fixed order, so the results do not depend on the thread count.
 * The gradient kernels are registered by `ensureGradients`, the concatenation and subtraction by
 * `ensureWasmKernels`; not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { guardBackends } from '../backend/backendGuards.js';
import { asKernelResult } from '../backend/kernelResult.js';

/**
 * Max pooling's input gradient with TF's routing (each window's first maximum, row-major). Inputs `dy`, `x` and the
 * pooling's output `y`; attributes those of MaxPool.
 */
export const WASM_MAXPOOL_GRAD = 'CnnActivationsMaxPoolGrad';
/** A strided convolution's input gradient from its columns (see `col2im` below). Input `cols`. */
export const WASM_COL2IM = 'CnnActivationsCol2Im';

/** A concatenation's gradient: `x` split along `axis` into `sizes` (float32). Input `x`. */
export const WASM_SPLIT = 'CnnActivationsSplit';

/** A strided gradient spread out by the stride, padded or cropped to size (see `spread` below). Input `x`. */
export const WASM_SPREAD = 'CnnActivationsSpread';

/** The parts of TF.js's wasm backend used here: both are public methods of its `BackendWasm` class. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's values on the heap: Float32Array for float32 (the only dtype most kernels here take). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

type Args = Parameters<tf.KernelConfig['kernelFunc']>[0];

const heapOf = (args: Args) => args.backend as unknown as WasmHeap;

/**
 * A max pooling's input gradient, NHWC, float32, for any padding: cells outside the image are never a window's
 * maximum, as in TF. Each window is scanned channel by channel up to the first cell equal to its maximum `y`: on
 * post-ReLU activations (many windows whose first cell is a tied 0) half the time of comparing every cell. The views
 * of the heap are taken after the output is allocated, since an allocation may grow (and so move) the heap.
 */
function maxPoolGrad(args: Args): tf.TensorInfo {
  const { dy, x, y } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; y: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as Record<string, never>;
  const [n, H, W, c] = x.shape;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const [, oh, ow] = dy.shape;
  const heap = heapOf(args);
  const out = heap.makeOutput([...x.shape], 'float32');
  const xs = heap.typedArrayFromHeap(x);
  const dys = heap.typedArrayFromHeap(dy);
  const ys = heap.typedArrayFromHeap(y);
  const grad = heap.typedArrayFromHeap(out);
  grad.fill(0);
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const r0 = Math.max(0, r * sh - top);
      const r1 = Math.min(H, r * sh - top + kh);
      for (let q = 0; q < ow; q++, d += c) {
        const q0 = Math.max(0, q * sw - left);
        const q1 = Math.min(W, q * sw - left + kw);
        if (r0 >= r1 || q0 >= q1) continue;
        const rowStep = W * c;
        const first = ((b * H + r0) * W + q0) * c;
        for (let k = 0; k < c; k++) {
          // The first cell holding the window's maximum (known from the forward pass): the scan stops there.
          const max = ys[d + k];
          let where = -1;
          scan: for (let i = r0, rowAt = first + k; i < r1; i++, rowAt += rowStep) {
            for (let j = q0, at = rowAt; j < q1; j++, at += c) {
              if (xs[at] === max) {
                where = at;
                break scan;
              }
            }
          }
          if (where >= 0) grad[where] += dys[d + k];
        }
      }
    }
  }
  return out;
}

/**
 * Sums a strided convolution's columns back into its input (col2im): `cols` `[n, oh, ow, kh·kw·c]` holds, for each
 * output cell, what each filter tap sends to the input cell under it (`dy · filterᵀ`, one matrix product); every
 * value is added to its cell, taps outside the image are dropped. Attributes: `inputShape` `[n, h, w, c]`,
 * `filterSize` `[kh, kw]`, `strides` `[sh, sw]`, `pads` `[top, left]`.
 */
function col2im(args: Args): tf.TensorInfo {
  const { cols } = args.inputs as { cols: tf.TensorInfo };
  const attrs = args.attrs as Record<string, [number, number] & number[]>;
  const [n, H, W, c] = attrs.inputShape;
  const [kh, kw] = attrs.filterSize;
  const [sh, sw] = attrs.strides;
  const [top, left] = attrs.pads;
  const [, oh, ow] = cols.shape;
  const heap = heapOf(args);
  const out = heap.makeOutput([n, H, W, c], 'float32');
  const src = heap.typedArrayFromHeap(cols);
  const dx = heap.typedArrayFromHeap(out);
  dx.fill(0);
  let at = 0;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      for (let q = 0; q < ow; q++) {
        for (let i = 0; i < kh; i++) {
          const row = r * sh - top + i;
          for (let j = 0; j < kw; j++, at += c) {
            const col = q * sw - left + j;
            if (row < 0 || row >= H || col < 0 || col >= W) continue;
            const to = ((b * H + row) * W + col) * c;
            for (let k = 0; k < c; k++) dx[to + k] += src[at + k];
          }
        }
      }
    }
  }
  return out;
}

/**
 * Splits `x` along `axis` into parts of `sizes` (a concatenation's gradient). TF.js's wasm SplitV copies element by
 * element through a rank-4 slice in JavaScript; this copies each part's runs with `copyWithin` on the heap.
 */
function splitRuns(args: Args): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { sizes, axis } = args.attrs as { sizes: number[]; axis: number };
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const heap = heapOf(args);
  const outs = sizes.map((size) =>
    heap.makeOutput(
      x.shape.map((d, i) => (i === axis ? size : d)),
      'float32',
    ),
  );
  const src = heap.typedArrayFromHeap(x);
  const values = new Float32Array(src.buffer);
  const row = x.shape[axis] * inner;
  let offset = src.byteOffset / 4;
  outs.forEach((out, p) => {
    let to = heap.typedArrayFromHeap(out).byteOffset / 4;
    const run = sizes[p] * inner;
    for (let o = 0, from = offset; o < outer; o++, from += row, to += run) values.copyWithin(to, from, from + run);
    offset += run;
  });
  return outs;
}

/**
 * Spreads `x` `[n, h, w, c]` by the stride into a zero tensor `[n, rows, cols, c]`: cell `(r, q)` goes to row
 * `top + r·sh`, column `left + q·sw` (dropped when outside; `top`, `left` may be negative). The input of a strided
 * convolution's gradient computed as a full correlation. Built from pads it took three: 25–35 ms for a 16×114×114×3
 * gradient in a deep-dream step; this writes each value once. Attributes: `size` `[rows, cols]`, `strides`,
 * `offset` `[top, left]`.
 */
function spread(args: Args): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const attrs = args.attrs as Record<string, [number, number]>;
  const [rows, cols] = attrs.size;
  const [sh, sw] = attrs.strides;
  const [top, left] = attrs.offset;
  const [n, h, w, c] = x.shape;
  const heap = heapOf(args);
  const out = heap.makeOutput([n, rows, cols, c], 'float32');
  const src = heap.typedArrayFromHeap(x);
  const dst = heap.typedArrayFromHeap(out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < h; r++) {
      const row = top + r * sh;
      if (row < 0 || row >= rows) continue;
      for (let q = 0; q < w; q++) {
        const col = left + q * sw;
        if (col < 0 || col >= cols) continue;
        const from = ((b * h + r) * w + q) * c;
        const to = ((b * rows + row) * cols + col) * c;
        for (let k = 0; k < c; k++) dst[to + k] = src[from + k];
      }
    }
  }
  return out;
}

/** The gradient kernels above, registered for `wasm` by `ensureGradients`. */
export const WASM_GRAD_KERNELS: tf.KernelConfig[] = [
  { kernelName: WASM_MAXPOOL_GRAD, backendName: 'wasm', kernelFunc: maxPoolGrad },
  { kernelName: WASM_COL2IM, backendName: 'wasm', kernelFunc: col2im },
  { kernelName: WASM_SPLIT, backendName: 'wasm', kernelFunc: splitRuns },
  { kernelName: WASM_SPREAD, backendName: 'wasm', kernelFunc: spread },
];

/** Bytes per value of the dtypes the wasm backend keeps on its heap (strings live in JavaScript). */
const HEAP_BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * A concatenation along any axis, for TF.js's wasm `Concat`: the same runs copied in the same order, each with
 * `copyWithin` on the heap's bytes, where TF.js's kernel makes a subarray for each. A fire module's join of two
 * 1×56×56×64 tensors took 0.3 ms against 1.2 ms, a batch of 32 of two 28×28×128 ones 2.5 ms against 4.1 ms, and
 * TF.js's share of a SqueezeNet pass on two threads was a tenth. Strings, mixed dtypes and joins of fewer than two
 * non-empty tensors go to TF.js's kernel `original`.
 */
function concatRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  const dtype = inputs[0]?.dtype;
  const bytesPer = HEAP_BYTES[dtype];
  if (bytesPer === undefined || inputs.some((t) => t.dtype !== dtype)) return original(args);
  const shapes = inputs.map((t) => t.shape);
  const axis = tf.util.parseAxisParam(args.attrs?.axis as number, shapes[0])[0];
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const parts = inputs.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (parts.length < 2) return original(args);
  const heap = heapOf(args);
  const out = heap.makeOutput(tf.backend_util.computeOutShape(shapes, axis), dtype);
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const outView = heap.typedArrayFromHeap(out);
  const bytes = new Uint8Array(outView.buffer);
  const rows = tf.util.sizeFromShape(parts[0].shape.slice(0, axis));
  const runs = parts.map((t) => tf.util.sizeFromShape(t.shape.slice(axis)) * bytesPer);
  const starts = parts.map((t) => heap.typedArrayFromHeap(t).byteOffset);
  // Row by row, so that the output is written front to back: part by part, each pass over it would skip.
  let to = outView.byteOffset;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < parts.length; i++) {
      const from = starts[i] + r * runs[i];
      bytes.copyWithin(to, from, from + runs[i]);
      to += runs[i];
    }
  }
  return out;
}

/**
 * A float32 tensor less a vector along its last axis, for TF.js's wasm `Sub`: an image's mean subtraction. TF.js's
 * kernel takes its broadcasting path, which works out both operands' indices for every element; this walks the
 * tensor once. Each difference is the float32 subtraction of the same two values, so the results are TF.js's, bit
 * for bit (a NaN stays a NaN). A batch of 32 227×227×3 images took 19 ms against 51 ms, one image 0.4 against
 * 1.4 ms (inside a pass on 2 threads: 18.5 against 40.3 ms, 0.64 against 1.14 ms). Anything else (other dtypes,
 * equal shapes, other broadcasts) goes to TF.js's kernel `original`.
 */
function subLastAxis(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const rank = a.shape.length;
  const c = a.shape[rank - 1];
  // `b` holds `c` values along its last axis and broadcasts to `a`'s shape; `a` holds more than one such row.
  const vector =
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    b.shape.length <= rank &&
    b.shape[b.shape.length - 1] === c &&
    tf.util.sizeFromShape(b.shape) === c;
  const size = tf.util.sizeFromShape(a.shape);
  if (!vector || size <= c) return original(args);
  const heap = heapOf(args);
  const out = heap.makeOutput([...a.shape], 'float32');
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const x = heap.typedArrayFromHeap(a);
  const m = heap.typedArrayFromHeap(b);
  const y = heap.typedArrayFromHeap(out);
  if (c === 3) {
    const [m0, m1, m2] = [m[0], m[1], m[2]];
    for (let i = 0; i < size; i += 3) {
      y[i] = x[i] - m0;
      y[i + 1] = x[i + 1] - m1;
      y[i + 2] = x[i + 2] - m2;
    }
  } else {
    for (let i = 0; i < size; i += c) for (let k = 0; k < c; k++) y[i + k] = x[i + k] - m[k];
  }
  return out;
}

/**
 * A gather with batch dimensions (`batchDims > 0`): TF.js 4.22's wasm kernel reads the indices of every batch after
 * the first from the wrong place (other numbers than the cpu and WebGPU backends, and no error:
 * `tf.gather(x [2, 4], [[3, 0, 3], [1, 2, 2]], 1, 1)` gives batch 1 the indices 1, 2 and 3... shifted). It runs as a
 * gather without batch dimensions, which the kernel gets right: the gathered axis moved next to the batch dimensions,
 * each batch's rows and indices laid end to end (an index offset by its batch's rows), and the result's axes moved
 * back. Every other gather is TF.js's.
 */
function gatherBatched(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, indices } = args.inputs as unknown as { x: tf.Tensor; indices: tf.Tensor };
  const attrs = args.attrs as unknown as { axis: number; batchDims?: number };
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const given = attrs.batchDims ?? 0;
  const batchDims = given < 0 ? given + indices.rank : given;
  if (batchDims === 0) return original(args);
  const out = tf.tidy(() => {
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    const batch = x.shape.slice(0, batchDims);
    const picks = indices.shape.slice(batchDims);
    const [b, k, d] = [size(batch), size(picks), x.shape[axis]];
    // [batch…, between…, gathered, rest…] → [batch…, gathered, between…, rest…] → rows [b·d, between…, rest…].
    const moved = tf.transpose(x, [
      ...range(0, batchDims),
      axis,
      ...range(batchDims, axis),
      ...range(axis + 1, x.rank),
    ]);
    const rows = tf.reshape(moved, [b * d, ...moved.shape.slice(batchDims + 1)]);
    const offsets = tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(d, 'int32'));
    const at = tf.add(tf.reshape(tf.cast(indices, 'int32'), [b, k]), tf.reshape(offsets, [b, 1]));
    const picked = tf.gather(rows, tf.reshape(at, [b * k]), 0); // [b·k, between…, rest…]
    const shaped = tf.reshape(picked, [...batch, ...picks, ...moved.shape.slice(batchDims + 1)]);
    const between = axis - batchDims;
    if (between === 0) return shaped;
    const p = picks.length;
    return tf.transpose(shaped, [
      ...range(0, batchDims),
      ...range(batchDims + p, batchDims + p + between),
      ...range(batchDims, batchDims + p),
      ...range(batchDims + p + between, shaped.rank),
    ]);
  });
  return asKernelResult(args.backend, out);
}

/**
 * TF.js's wasm `ClipByValue` on an int32 tensor writes the bounds' float bits where it clips (-3 as -1069547520) and
 * leaves values above the upper bound: an int32 tensor is clipped here by a maximum and a minimum with whole bounds
 * (the smallest whole number at or above the lower bound, the largest at or below the upper one), which TF.js's wasm
 * kernels get right. Other dtypes are TF.js's.
 */
function clipInt32(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (x.dtype !== 'int32') return original(args);
  const { clipValueMin, clipValueMax } = args.attrs as unknown as { clipValueMin: number; clipValueMax: number };
  const out = tf.tidy(() =>
    tf.minimum(
      tf.maximum(x, tf.scalar(Math.ceil(clipValueMin), 'int32')),
      tf.scalar(Math.floor(clipValueMax), 'int32'),
    ),
  );
  return asKernelResult(args.backend, out);
}

/**
 * TF.js's wasm `Cast` to bool keeps each value's low byte (0.2 becomes false, -1 the byte 255, which later reads as
 * 255): a cast to bool is `x ≠ 0` here, as TensorFlow's (NaN is true). A cast between other dtypes is TF.js's.
 */
function castToBool(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
  if (dtype !== 'bool' || x.dtype === 'bool' || x.dtype === 'string' || x.dtype === 'complex64') return original(args);
  return asKernelResult(
    args.backend,
    tf.tidy(() => tf.notEqual(x, tf.scalar(0, x.dtype))),
  );
}

/**
 * TF.js's wasm `Reverse` treats a bool tensor as 4-byte values (`[1, 0, 0]` reversed gives `[16, 0, 0]`), reading
 * and writing past its end (a later allocation then fails with "memory access out of bounds"): a bool tensor is
 * reversed as int32 here and compared with 0 after. Other dtypes are TF.js's.
 */
function reverseBool(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (x.dtype !== 'bool') return original(args);
  const { dims } = args.attrs as unknown as { dims: number | number[] };
  const out = tf.tidy(() => tf.notEqual(tf.reverse(tf.cast(x, 'int32'), dims), tf.scalar(0, 'int32')));
  return asKernelResult(args.backend, out);
}

/**
 * TF.js's wasm `Select` (`tf.where(condition, a, b)`) writes bool values as 4-byte ones: past the end of its result,
 * over whatever the heap holds there (a later allocation then fails with "memory access out of bounds"). Bool values
 * are chosen as int32 here and compared with 0 after. Other dtypes are TF.js's.
 */
function selectBool(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { condition, t, e } = args.inputs as unknown as { condition: tf.Tensor; t: tf.Tensor; e: tf.Tensor };
  if (t.dtype !== 'bool') return original(args);
  const out = tf.tidy(() =>
    tf.notEqual(tf.where(condition, tf.cast(t, 'int32'), tf.cast(e, 'int32')), tf.scalar(0, 'int32')),
  );
  return asKernelResult(args.backend, out);
}

/** The kernels `ensureWasmKernels` puts in place of TF.js's: each is given TF.js's, to hand back what it leaves. */
const REPLACEMENTS: [string, (args: Args, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]][] = [
  [tf.Concat, concatRuns],
  [tf.Sub, subLastAxis],
  [tf.GatherV2, gatherBatched],
  [tf.ClipByValue, clipInt32],
  [tf.Cast, castToBool],
  [tf.Reverse, reverseBool],
  [tf.Select, selectBool],
];

/** The kernels `ensureWasmKernels` registered last, by name. */
const ours = new Map<string, tf.KernelFunc>();

/**
 * Puts the library's `Concat` and `Sub` in place of TF.js's on the wasm backend (TF.js's go on serving what these
 * hand back), and its fixes of TF.js's `GatherV2`, `ClipByValue`, `Cast`, `Reverse` and `Select`. They are registered
 * in TF.js's kernel registry, so every concatenation, subtraction, gather, clipping, cast, reversal and `where` on
 * wasm in the process uses them: they give the same values, bit for bit (the fixes: the values the other backends
 * give, where TF.js's kernel is wrong). Called before every pass the library runs; does nothing until TF.js's wasm
 * backend has registered its kernels (it loads on demand), and nothing once these are in.
 */
export function ensureWasmKernels(): void {
  // A program may have started its backend itself (tf.setBackend): the backend guards go on here too.
  guardBackends();
  for (const [name, kernel] of REPLACEMENTS) {
    const current = tf.getKernel(name, 'wasm');
    if (current === undefined || current.kernelFunc === ours.get(name)) continue;
    const original = current.kernelFunc;
    const func: tf.KernelFunc = (args) => kernel(args, original);
    ours.set(name, func);
    tf.unregisterKernel(name, 'wasm');
    // TF.js's setup goes with it: it binds the kernel to the wasm module when a backend starts.
    tf.registerKernel({ ...current, kernelFunc: func });
  }
}
