/**
 * Kernels for the wasm backend, written in JavaScript over the backend's heap, where TF.js's wasm kernels (or public
 * operations) were the slow part of a pass of the built-in network, of a user's model or of a deep-dream step:
 * - a concatenation (a fire module's join), in place of TF.js's, which allocates a view for every run it copies;
 * - a tensor less a vector along its last axis (an image's mean subtraction), in place of TF.js's broadcasting `Sub`;
 * - max pooling's input gradient with TF's routing of tied maxima (TF.js's wasm kernel routes them otherwise, and
 *   built from operations it took nine slices, comparisons and pads: half of the step);
 * - a strided convolution's col2im (its input gradient is one matrix product and this);
 * - a split (a concatenation's gradient, ShuffleNet's channels), copying runs where TF.js's SplitV slices each part
 *   one run of the last axis at a time;
 * - a strided gradient spread out by the stride and padded in one pass, where pads took three;
 * - an identity that shares its input's data, where TF.js's copies it (every tensor saved for a gradient);
 * - a tile that copies runs and blocks, where TF.js's works out each element's source;
 * - batch normalization as a subtraction and one multiply-add per element, where TF.js's divides each in float64;
 * - comparisons (a gradient's masks) without the index arithmetic of TF.js's;
 * - a slice that copies whole rows where TF.js's copies one run of the last axis at a time;
 * - a gather that copies each picked row where TF.js's works out every element's source;
 * - a maximum and a minimum without TF.js's index arithmetic (a clipping where one operand is a single number);
 * - a reversal that copies runs where TF.js's works out every element's source (a kernel turned in a gradient).
 * Each only moves, adds, subtracts, multiplies or compares values, each element's in a fixed order, so the results do
 * not depend on the thread count.
 * The gradient kernels are registered by `ensureGradients`, the others by `ensureWasmKernels`; not exported from
 * the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { guardBackends } from '../backend/backendGuards.js';
import { asKernelResult, replaceKernel, takenInTurn } from '../backend/kernelReplacement.js';

/**
 * Max pooling's input gradient with TF's routing (each window's first maximum, row-major). Inputs `dy`, `x` and the
 * pooling's output `y`; attributes those of MaxPool.
 */
export const WASM_MAXPOOL_GRAD = 'CnnActivationsMaxPoolGrad';
/** A strided convolution's input gradient from its columns (see `col2im` below). Input `cols`. */
export const WASM_COL2IM = 'CnnActivationsCol2Im';

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
  { kernelName: WASM_SPREAD, backendName: 'wasm', kernelFunc: spread },
];

/** Bytes per value of the dtypes the wasm backend keeps on its heap (strings live in JavaScript). */
const HEAP_BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * A concatenation along any axis, for TF.js's wasm `Concat`: the same runs copied in the same order, each with
 * `copyWithin` on the heap's bytes, where TF.js's kernel makes a subarray for each. A fire module's join of two
 * 1×56×56×64 tensors took 0.3 ms against 1.2 ms, a batch of 32 of two 28×28×128 ones 2.5 ms against 4.1 ms, and TF.js's
 * share of a full pass of the built-in network on two threads was a tenth. Strings, mixed dtypes and joins of fewer
 * than two non-empty tensors go to TF.js's kernel `original`.
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
 * A float32 tensor less a vector of two or three values along its last axis, for TF.js's wasm `Sub`: an image's mean
 * subtraction. TF.js's kernel takes its broadcasting path, which works out both operands' indices for every element
 * when the vector is that short; this walks the tensor once. Each difference is the float32 subtraction of the same
 * two values, so the results are TF.js's, bit for bit (a NaN stays a NaN). A batch of 32 227×227×3 images took 19 ms
 * against 51 ms, one image 0.4 against 1.4 ms (inside a pass on 2 threads: 18.5 against 40.3 ms, 0.64 against
 * 1.14 ms). A longer vector (a channel mean of a feature map) is TF.js's, which XNNPACK broadcasts on every thread:
 * 8×227×227×4 values took 5.4 ms there against 8.1 ms here, 16×112×112×96 5.2 against 53 ms. Anything else (other
 * dtypes, equal shapes, other broadcasts) goes to TF.js's kernel `original`.
 */
function subLastAxis(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const rank = a.shape.length;
  const c = a.shape[rank - 1];
  // `b` holds `c` values along its last axis and broadcasts to `a`'s shape; `a` holds more than one such row.
  const vector =
    (c === 2 || c === 3) &&
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
 * A tile (`tf.tile`, and `tf.broadcastTo`, which tiles), for TF.js's wasm `Tile`: each of the input's innermost runs
 * copied into place once with `copyWithin` on the heap's bytes, then each tiled block copied after itself as many times
 * as its axis repeats, where TF.js's kernel works out every element's source index. An axis that does not repeat
 * joins the axis before it, so repeating a batch of images copies whole images: a noise image tiled to 16 images of
 * 227×227×3 (how a deep dream starts) took 6 ms against 170 ms. The same bytes land in the same places, so the results
 * are TF.js's, bit for bit. Strings, scalars and empty results go to TF.js's kernel `original`.
 */
function tileRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { reps } = args.attrs as unknown as { reps: number[] };
  const bytesPer = HEAP_BYTES[x.dtype];
  const outShape = x.shape.map((d, i) => d * reps[i]);
  if (bytesPer === undefined || x.shape.length === 0 || reps.length !== x.shape.length) return original(args);
  if (tf.util.sizeFromShape(outShape) === 0) return original(args);
  // The axes, each untiled one joined to the one before it: [1, 227, 227, 3] by [16, 1, 1, 1] is [1, 154587] by
  // [16, 1], one run copied and then copied 15 times.
  const dims: number[] = [];
  const times: number[] = [];
  x.shape.forEach((d, i) => {
    if (i > 0 && reps[i] === 1) dims[dims.length - 1] *= d;
    else {
      dims.push(d);
      times.push(reps[i]);
    }
  });
  const n = dims.length;
  const inStride: number[] = new Array(n);
  const outStride: number[] = new Array(n);
  for (let d = n - 1, inner = bytesPer, outer = bytesPer; d >= 0; d--) {
    inStride[d] = inner;
    outStride[d] = outer;
    inner *= dims[d];
    outer *= dims[d] * times[d];
  }
  const heap = heapOf(args);
  const out = heap.makeOutput(outShape, x.dtype);
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const outView = heap.typedArrayFromHeap(out);
  const bytes = new Uint8Array(outView.buffer);
  /** Axis `d` on: the input's block at byte `from` into the output at byte `to`, then repeated after itself. */
  const fill = (d: number, from: number, to: number) => {
    if (d === n - 1) bytes.copyWithin(to, from, from + dims[d] * bytesPer);
    else for (let i = 0; i < dims[d]; i++) fill(d + 1, from + i * inStride[d], to + i * outStride[d]);
    const block = dims[d] * outStride[d];
    for (let k = 1; k < times[d]; k++) bytes.copyWithin(to + k * block, to, to + block);
  };
  fill(0, heap.typedArrayFromHeap(x).byteOffset, outView.byteOffset);
  return out;
}

/**
 * A slice (`tf.slice`: a crop, a padding's gradient), for TF.js's wasm `Slice`, which copies one run of the last axis
 * at a time (a subarray for each): a crop of 4×225×225×3 pixels to 224×224, a zero padding's gradient in a Keras
 * MobileNetV2, took 10.4 ms for its 200,000 runs of three values. Here the last axes the slice takes whole join the
 * run, so that crop copies 896 rows of 224 pixels, each with one `copyWithin` on the heap's bytes (0.56 ms; 16 images
 * of 227×227 cropped by a pixel all round, 0.55 against 40 ms). The same bytes land in the same places, so the results
 * are TF.js's, bit for bit. Strings and empty slices go to TF.js's kernel `original`; TF.js's own checks of `begin` and
 * `size` run first.
 */
function sliceRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const bytesPer = HEAP_BYTES[x.dtype];
  if (bytesPer === undefined || x.rank === 0) return original(args);
  const [from, sizes] = tf.slice_util.parseSliceParams(x, begin, size);
  tf.slice_util.assertParamsValid(x, from, sizes);
  if (tf.util.sizeFromShape(sizes) === 0) return original(args);
  // The run: the innermost axes the slice takes whole, and the first axis it does not, each counted in bytes.
  let axis = x.rank - 1;
  let run = bytesPer;
  while (axis > 0 && sizes[axis] === x.shape[axis]) run *= x.shape[axis--];
  run *= sizes[axis];
  const strides = tf.util.computeStrides(x.shape).map((st) => st * bytesPer);
  strides.push(bytesPer);
  const heap = heapOf(args);
  const out = heap.makeOutput(sizes, x.dtype);
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const outView = heap.typedArrayFromHeap(out);
  const bytes = new Uint8Array(outView.buffer);
  const start = heap.typedArrayFromHeap(x).byteOffset + from.reduce((sum, b, d) => sum + b * strides[d], 0);
  let to = outView.byteOffset;
  /** The runs of the outer axes `d` and on, from byte `at` of the input. */
  const copy = (d: number, at: number) => {
    if (d === axis) {
      bytes.copyWithin(to, at, at + run);
      to += run;
      return;
    }
    for (let i = 0; i < sizes[d]; i++) copy(d + 1, at + i * strides[d]);
  };
  copy(0, start);
  return out;
}

/**
 * An identity (`tf.clone`, and TF.js's copy of every tensor it saves for a gradient) as a second reference to the same
 * data, as TF.js's cpu, WebGL and WebGPU kernels make it; TF.js's wasm kernel copies the values. Tensors are immutable
 * and the wasm backend counts references to data (its `Reshape` shares data the same way), so nothing can tell the two
 * apart but the time and the memory: the copies were 5% of the kernel time of a deep dream step through the built-in
 * network, a step through a Keras MobileNetV2 grew the heap to 905 MiB where it now needs 741, and a dense layer's
 * kernel of 100 million weights was copied on every gradient through it. Strings go to TF.js's kernel `original`.
 */
function sharedIdentity(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return original(args);
  (args.backend as { incRef(dataId: tf.DataId): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

/**
 * Batch normalization at inference (`tf.batchNorm`: Keras's BatchNormalization, a graph's FusedBatchNorm), for TF.js's
 * wasm `FusedBatchNorm`, which divides every element by its channel's root in float64 on one thread. Here each
 * channel's factor `scale / sqrt(variance + ε)` is computed once; the input less its mean (a broadcast subtraction),
 * then one 1×1 depthwise convolution by the factors with the offset as its bias, which XNNPACK runs as a multiply and
 * an add per element on every thread: 16×112×112×96 values took 12 ms against 69 ms, and batch normalization was a
 * third of a Keras MobileNetV2's pass. The numbers are TF.js's formula's to the last bits (a product by the factor
 * where TF.js multiplies by the scale and divides by the root; 2e-6 at most on values of standard deviation 1 and
 * offsets of 1); each element's is computed alone, so they do not depend on the thread count. Parameters other than one
 * value or one per channel (the input's last axis), non-finite ones or factors, and other dtypes, go to TF.js's kernel
 * `original`.
 */
function batchNormFactors(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, mean, variance, offset, scale } = args.inputs as unknown as Record<string, tf.Tensor | undefined> & {
    x: tf.Tensor;
    mean: tf.Tensor;
    variance: tf.Tensor;
  };
  const epsilon = (args.attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  const params = [mean, variance, offset, scale].filter((p): p is tf.Tensor => p !== undefined);
  const k = Math.max(...params.map((p) => p.size));
  // One value per channel (or one for all): parameters broadcast to the whole input (a channels-first layer, see
  // `kernelFixes.ts`) would make a factor and a channel of the convolution per element.
  const fits = (p: tf.Tensor) =>
    p.dtype === 'float32' &&
    (p.size === 1 || (p.size === k && k === x.shape[x.rank - 1] && takenInTurn(p.shape, x.shape)));
  if (x.dtype !== 'float32' || x.size === 0 || x.size % k !== 0 || !params.every(fits)) return original(args);
  const heap = heapOf(args);
  const read = (p: tf.Tensor | undefined, absent: number) => {
    const v = p ? heap.typedArrayFromHeap(p) : new Float32Array([absent]);
    return (i: number) => v[v.length === 1 ? 0 : i];
  };
  const [m, v, o, s] = [read(mean, 0), read(variance, 1), read(offset, 0), read(scale, 1)];
  const [means, factors, offsets] = [new Float32Array(k), new Float32Array(k), new Float32Array(k)];
  for (let i = 0; i < k; i++) {
    means[i] = m(i);
    factors[i] = s(i) / Math.sqrt(Math.fround(v(i) + epsilon));
    offsets[i] = o(i);
    // A non-finite parameter or factor (a zero variance without ε): TF.js's kernel gives its NaN and Infinity.
    if (!Number.isFinite(means[i]) || !Number.isFinite(factors[i]) || !Number.isFinite(offsets[i])) {
      return original(args);
    }
  }
  const out = tf.tidy(() => {
    const centred = tf.sub(tf.reshape(x, [1, 1, x.size / k, k]), tf.tensor1d(means)) as tf.Tensor4D;
    const filter = tf.tensor4d(factors, [1, 1, k, 1]);
    const y = tf.fused.depthwiseConv2d({ x: centred, filter, strides: 1, pad: 'valid', bias: tf.tensor1d(offsets) });
    return tf.reshape(y, x.shape);
  });
  return asKernelResult(args.backend, out);
}

/**
 * The operands of a binary kernel when both are float32, with the shape and size they broadcast to; undefined for other
 * dtypes and for an empty output, which the kernels here leave to TF.js's.
 */
function floatOperands(args: Args): { a: tf.Tensor; b: tf.Tensor; shape: number[]; size: number } | undefined {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  return size === 0 ? undefined : { a, b, shape, size };
}

/** Each comparison as a test of the operands in turn, times a sign: `a > b` is `-a < -b`. */
const COMPARISONS: Record<string, [test: 'lt' | 'le' | 'eq' | 'ne', sign: number, op: typeof tf.less]> = {
  [tf.Less]: ['lt', 1, tf.less],
  [tf.LessEqual]: ['le', 1, tf.lessEqual],
  [tf.Greater]: ['lt', -1, tf.greater],
  [tf.GreaterEqual]: ['le', -1, tf.greaterEqual],
  [tf.Equal]: ['eq', 1, tf.equal],
  [tf.NotEqual]: ['ne', 1, tf.notEqual],
};

/**
 * An elementwise comparison of two float32 tensors (`tf.less`, `lessEqual`, `greater`, `greaterEqual`, `equal`,
 * `notEqual`: the masks of the gradients of ReLU6, clipping, maximum and minimum, `x == clip(x)` or `a >= b`), for
 * TF.js's wasm kernels, which work out both operands' positions with a division each for every element (about 5 ns an
 * element) and allocate a vector of positions per element where an operand broadcasts otherwise than along the last
 * axes: 4×112×112×96 values took 8.4 ms against 24 ms for equality, and the masks of a converted Keras `ReLU(6)`'s
 * maximum and minimum were a quarter of a deep dream step through @vladmandic/human's face model. Here the operand of
 * the output's size is read along it and the other in turn (one of its size, a single value, or the output's last
 * axes: `takenInTurn`), swapped where it is the second (`a < b` is `-b < -a`); operands that broadcast otherwise are
 * tiled first. The same IEEE comparison (NaN compares false but for `!=`, -0 equals 0), so the results are TF.js's, bit
 * for bit. Other dtypes go to TF.js's kernel `original`.
 */
function compareInTurn(name: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const operands = floatOperands(args);
  if (operands === undefined) return original(args);
  const { a, b, shape, size } = operands;
  const [test, sign, op] = COMPARISONS[name];
  const [p, q, s] =
    a.size === size || b.size !== size ? [a, b, sign] : [b, a, test === 'lt' || test === 'le' ? -sign : sign];
  if (p.size !== size || !(q.size === size || takenInTurn(q.shape, shape))) {
    return asKernelResult(
      args.backend,
      tf.tidy(() => op(tf.broadcastTo(a, shape), tf.broadcastTo(b, shape))),
    );
  }
  const heap = heapOf(args);
  const out = heap.makeOutput(shape, 'bool');
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const y = heap.typedArrayFromHeap(out) as unknown as Uint8Array;
  compareLoop(heap.typedArrayFromHeap(p), heap.typedArrayFromHeap(q), y, test, s);
  return out;
}

/**
 * `y = (s · p) test (s · q)` as 1 or 0, element by element, `q` read in turn (its length divides `p`'s): a single
 * value held, a longer `q` in a loop nested in another. The outcome made a number, without a branch: with one, masks
 * of mixed values mispredicted. One loop per test, so that none is chosen per element.
 */
function compareLoop(p: Float32Array, q: Float32Array, y: Uint8Array, test: string, s: number): void {
  const [n, m] = [p.length, q.length];
  if (test === 'eq' && m === n) {
    // Four at a time (the clip and ReLU6 gradients' masks, `x == clip(x)`): 8.4 ms for 4×112×112×96 values, 13 ms in
    // the loop below.
    const whole = n - (n % 4);
    for (let i = 0; i < whole; i += 4) {
      y[i] = +(p[i] === q[i]);
      y[i + 1] = +(p[i + 1] === q[i + 1]);
      y[i + 2] = +(p[i + 2] === q[i + 2]);
      y[i + 3] = +(p[i + 3] === q[i + 3]);
    }
    for (let i = whole; i < n; i++) y[i] = +(p[i] === q[i]);
    return;
  }
  if (m === 1) {
    const v = s * q[0];
    if (test === 'lt') for (let i = 0; i < n; i++) y[i] = +(s * p[i] < v);
    else if (test === 'le') for (let i = 0; i < n; i++) y[i] = +(s * p[i] <= v);
    else if (test === 'eq') for (let i = 0; i < n; i++) y[i] = +(p[i] === v);
    else for (let i = 0; i < n; i++) y[i] = +(p[i] !== v);
    return;
  }
  for (let base = 0; base < n; base += m) {
    if (test === 'lt') for (let j = 0; j < m; j++) y[base + j] = +(s * p[base + j] < s * q[j]);
    else if (test === 'le') for (let j = 0; j < m; j++) y[base + j] = +(s * p[base + j] <= s * q[j]);
    else if (test === 'eq') for (let j = 0; j < m; j++) y[base + j] = +(p[base + j] === q[j]);
    else for (let j = 0; j < m; j++) y[base + j] = +(p[base + j] !== q[j]);
  }
}

/**
 * A split along one axis (`tf.split`: a concatenation's gradient, in every gradient step through a network that joins
 * branches; a graph's `SplitV`, as ShuffleNet splits its channels), for TF.js's wasm `SplitV`, which slices each part
 * out with its own slice, one run of the last axis at a time with a subarray for each: the gradient of a 16×56×56×128
 * concatenation of two halves took 36 ms. Here each part's rows (the axes from the split one on) are copied with
 * `copyWithin` on the heap's bytes where they are long, else value by value as integers of the value's size. The same
 * bytes land in the same places, so the parts are TF.js's, bit for bit. Strings and other dtypes go to TF.js's kernel
 * `original`.
 */
function splitRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const bytesPer = HEAP_BYTES[x.dtype];
  if (bytesPer === undefined || x.size === 0) return original(args);
  const at = tf.util.parseAxisParam(axis, x.shape)[0];
  // TF.js's own reading of the sizes (a count of equal parts, or sizes with at most one -1), and its errors.
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, at);
  const outer = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(at + 1).reduce((a, b) => a * b, 1) * bytesPer;
  const heap = heapOf(args);
  const outs = sizes.map((size) =>
    heap.makeOutput(
      x.shape.map((d, i) => (i === at ? size : d)),
      x.dtype,
    ),
  );
  // Views taken after the allocations, which may have grown (and so moved) the heap.
  const from = heap.typedArrayFromHeap(x);
  const bytes = new Uint8Array(from.buffer);
  const values = (t: ArrayBufferView) => (bytesPer === 4 ? new Int32Array(t.buffer) : new Uint8Array(t.buffer));
  const words = values(from);
  const row = x.shape[at] * inner;
  let offset = from.byteOffset;
  outs.forEach((out, part) => {
    const run = sizes[part] * inner;
    let to = heap.typedArrayFromHeap(out).byteOffset;
    if (run >= 64) {
      for (let o = 0, start = offset; o < outer; o++, start += row, to += run) bytes.copyWithin(to, start, start + run);
    } else {
      const [n, stride] = [run / bytesPer, row / bytesPer];
      let [p, q] = [offset / bytesPer, to / bytesPer];
      for (let o = 0; o < outer; o++, p += stride) for (let e = 0; e < n; e++) words[q++] = words[p + e];
    }
    offset += run;
  });
  return outs;
}

/**
 * A reversal along some axes (`tf.reverse`: the kernel turned 180° in every convolution's input gradient on wasm, a
 * Keras model's `x[..., ::-1]` from RGB to BGR), for TF.js's wasm `Reverse`, which works out each element's source
 * position from its own: about 36 ns an element, so turning a 3×3×256×256 kernel took 21 ms and a 1×1×512×512 one,
 * which turns into itself, 9 ms. Here neighbouring axes that are reversed, or not, are joined (reversing two axes
 * together reverses the axis they make), axes of length 1 dropped, and the axes after the last reversed one make one
 * run, copied whole with `copyWithin` on the heap's bytes where it is long, else value by value as integers of the
 * value's size. The same bytes land in the same places, so the results are TF.js's, bit for bit (a NaN's payload
 * included). Strings and other dtypes go to TF.js's kernel `original`.
 */
function reverseRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const bytesPer = HEAP_BYTES[x.dtype];
  const size = tf.util.sizeFromShape(x.shape);
  if (bytesPer === undefined || size === 0) return original(args);
  const { dims } = args.attrs as unknown as { dims: number | number[] };
  const reversed = new Set(tf.util.parseAxisParam(dims, x.shape));
  // The axes joined: [3, 3, 256, 256] reversed along 0 and 1 is [9, 65536] reversed along 0.
  const axes: { dim: number; back: boolean }[] = [];
  x.shape.forEach((dim, i) => {
    if (dim === 1) return;
    const back = reversed.has(i);
    const last = axes[axes.length - 1];
    if (last?.back === back) last.dim *= dim;
    else axes.push({ dim, back });
  });
  // The run: the values after the last reversed axis, in their order.
  let run = bytesPer;
  const tail = axes[axes.length - 1];
  if (tail !== undefined && !tail.back) {
    run *= tail.dim;
    axes.pop();
  }
  const heap = heapOf(args);
  const out = heap.makeOutput([...x.shape], x.dtype);
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const [from, to] = [heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(out)];
  const bytes = new Uint8Array(to.buffer);
  if (axes.length === 0) {
    bytes.copyWithin(to.byteOffset, from.byteOffset, from.byteOffset + size * bytesPer);
    return out;
  }
  const strides = axes.map((_, d) => axes.slice(d + 1).reduce((b, a) => b * a.dim, run));
  const last = axes.length - 1;
  // Short runs (the last axis reversed: one value) as integers of the value's size; offsets below are in bytes.
  const values = (t: ArrayBufferView) => (bytesPer === 4 ? new Int32Array(t.buffer) : new Uint8Array(t.buffer));
  const [src, dst] = [values(from), values(to)];
  const [step, count] = [run / bytesPer, axes[last].dim];
  /** Axis `d` on, from the input's byte `at` into the output's byte `into`. */
  const copy = (d: number, at: number, into: number): void => {
    const { dim, back } = axes[d];
    const stride = strides[d];
    if (d < last) {
      for (let i = 0; i < dim; i++) copy(d + 1, at + (back ? dim - 1 - i : i) * stride, into + i * stride);
    } else if (run >= 64) {
      for (let i = 0; i < dim; i++) {
        const start = at + (back ? dim - 1 - i : i) * stride;
        bytes.copyWithin(into + i * stride, start, start + run);
      }
    } else {
      // The last joined axis is reversed (a trailing one that is not became the run).
      const [a, b] = [at / bytesPer, into / bytesPer];
      for (let i = 0; i < count; i++) {
        const [p, q] = [a + (count - 1 - i) * step, b + i * step];
        for (let e = 0; e < step; e++) dst[q + e] = src[p + e];
      }
    }
  };
  copy(0, from.byteOffset, to.byteOffset);
  return out;
}

/**
 * `maximum(a, b)` and `minimum(a, b)` of float32 tensors, for TF.js's wasm `Maximum` and `Minimum`, which work out both
 * operands' positions with a division each for every element and call the comparison through a pointer (9 to 12 ns an
 * element here, where XNNPACK's addition takes 0.2), and allocate a vector of positions per element where an operand
 * broadcasts other than along the last axes (over 100 ns). A converted Keras `ReLU(6)` is a `Minimum` and a `Maximum`
 * with a number (TensorFlow's `clip_by_value`): in @vladmandic/human's face model they took over half of a pass. Here
 * the maximum with a single finite number is a clipping with no upper bound (XNNPACK's, on every thread; the library's
 * clipping keeps NaN, see `wasmKernelFixes.ts`); otherwise each element is chosen without a branch (`extremeBits`),
 * an operand that broadcasts otherwise than along the output's last axes tiled to its shape first. Other dtypes go to
 * TF.js's kernel `original`. A `b` that holds NaN never comes here: the library's fix of TF.js's kernel, which dropped
 * it, takes that case first (`wasmKernelFixes.ts`). So the results are TF.js's kernel's, bit for bit, NaN of `a`
 * included, but for the sign of a zero that a clipping gives, which is XNNPACK's, as in TF.js's own `clipByValue`
 * (`minimum(1, 0)` may come out -0, which equals 0 in every comparison).
 */
function extremeInTurn(name: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const operands = floatOperands(args);
  if (operands === undefined) return original(args);
  const { a, b, shape, size } = operands;
  const max = name === tf.Maximum;
  const heap = heapOf(args);
  const [single, tensor] = a.size === 1 ? [a, b] : [b, a];
  if (single.size === 1 && tensor.size === size) {
    const v = heap.typedArrayFromHeap(single)[0];
    if (Number.isFinite(v)) {
      const [low, high] = max ? [v, Number.POSITIVE_INFINITY] : [Number.NEGATIVE_INFINITY, v];
      return asKernelResult(
        args.backend,
        tf.tidy(() => tf.clipByValue(tf.reshape(tensor, shape), low, high)),
      );
    }
  }
  if (a.size !== size || !(b.size === size || takenInTurn(b.shape, shape))) {
    // `a` of the output's size, `b` of it or read in turn along it: tiled first where they are not (the library's
    // `Tile`, which copies runs).
    const extreme = max ? tf.maximum : tf.minimum;
    return asKernelResult(
      args.backend,
      tf.tidy(() => extreme(tf.broadcastTo(a, shape), b.size === size ? b : tf.broadcastTo(b, shape))),
    );
  }
  const out = heap.makeOutput(shape, 'float32');
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  extremeBits(heap.typedArrayFromHeap(a), heap.typedArrayFromHeap(b), heap.typedArrayFromHeap(out), max ? 1 : -1);
  return out;
}

/**
 * `y` = `a` unless `b` is greater (for `s` = 1; less for -1, comparing the negated values), element by element, `b`
 * read in turn (its length divides `a`'s): TF.js's choice (std::max's), so a NaN of `a` stays. The comparison's
 * outcome, made a number, selects between the two values' bits: the engine compiles a choice between two floats to a
 * branch, which mispredicted on values of either sign and took three times as long. `b` starts over in a loop nested in
 * another, not a division per element. A function of its own, which the engine optimizes alone.
 */
function extremeBits(a: Float32Array, b: Float32Array, y: Float32Array, s: number): void {
  const bits = (v: Float32Array) => new Int32Array(v.buffer, v.byteOffset, v.length);
  const [ai, bi, yi] = [bits(a), bits(b), bits(y)];
  const [n, m] = [a.length, b.length];
  for (let base = 0; base < n; base += m) {
    for (let j = 0; j < m; j++) {
      const u = s * a[base + j];
      const v = s * b[j];
      // -1 (every bit) where `b` is taken, 0 where `a` is.
      const take = -(u < v);
      const x = ai[base + j];
      yi[base + j] = x ^ ((x ^ bi[j]) & take);
    }
  }
}

/**
 * A gather along one axis (`tf.gather`: imageLIME's masks, a graph's `GatherV2`), for TF.js's wasm `GatherV2`, whose
 * kernel works out each element's source position from its own (a vector allocated per element): imageLIME's masks of
 * 128 samples, 6.6 million values gathered from 49 features, took 225–253 ms a batch. Here each output row
 * `[outer, index, slice]` is the input's row `[outer, indices[index], slice]`: a `copyWithin` of its bytes where the
 * slice is long, else its values one by one as integers (so NaN's bits travel as they are): 19–20 ms for those masks,
 * 5,000 rows of 256 values 0.8–0.9 against 50–53 ms. The same bytes land in the same places, so the results are
 * TF.js's, bit for bit. Indices outside the axis (TF.js's kernel throws its own error), a batch dimension (see
 * `backend/wasmKernelFixes.ts`), indices that are not int32, strings and empty tensors go to TF.js's kernel
 * `original`.
 */
function gatherRuns(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, indices } = args.inputs as unknown as { x: tf.Tensor; indices: tf.Tensor };
  const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims?: number };
  const bytesPer = HEAP_BYTES[x.dtype];
  if (bytesPer === undefined || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return original(args);
  if (x.size === 0 || indices.size === 0) return original(args);
  const at = tf.util.parseAxisParam(axis, x.shape)[0];
  const outer = x.shape.slice(0, at).reduce((a, b) => a * b, 1);
  const dim = x.shape[at];
  const slice = x.shape.slice(at + 1).reduce((a, b) => a * b, 1);
  const heap = heapOf(args);
  const picks = Int32Array.from(heap.typedArrayFromHeap(indices) as unknown as Int32Array);
  for (let j = 0; j < picks.length; j++) if (!(picks[j] >= 0 && picks[j] < dim)) return original(args);
  const out = heap.makeOutput([...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)], x.dtype);
  // Views taken after the allocation, which may have grown (and so moved) the heap.
  const from = heap.typedArrayFromHeap(x);
  const to = heap.typedArrayFromHeap(out);
  const m = picks.length;
  const run = slice * bytesPer;
  if (run >= 64) {
    const bytes = new Uint8Array(from.buffer);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < m; j++) {
        const src = from.byteOffset + (o * dim + picks[j]) * run;
        bytes.copyWithin(to.byteOffset + (o * m + j) * run, src, src + run);
      }
    }
    return out;
  }
  // Short slices (a slice of one value: a mask from a table of features) as integers of the element's size.
  const view = (t: ArrayBufferView) =>
    bytesPer === 4
      ? new Int32Array(t.buffer, t.byteOffset, t.byteLength / 4)
      : new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const [src, dst] = [view(from), view(to)];
  let k = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * dim;
    if (slice === 1) {
      for (let j = 0; j < m; j++) dst[k++] = src[base + picks[j]];
      continue;
    }
    for (let j = 0; j < m; j++) {
      const p = (base + picks[j]) * slice;
      for (let e = 0; e < slice; e++) dst[k++] = src[p + e];
    }
  }
  return out;
}

/** The kernels `ensureWasmKernels` puts in place of TF.js's: each is given TF.js's, to hand back what it leaves. */
type Replacement = [string, (args: Args, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]];
const REPLACEMENTS: Replacement[] = [
  [tf.Concat, concatRuns],
  [tf.Sub, subLastAxis],
  [tf.Identity, sharedIdentity],
  [tf.Tile, tileRuns],
  [tf.FusedBatchNorm, batchNormFactors],
  ...Object.keys(COMPARISONS).map(
    (name): Replacement => [name, (args, original) => compareInTurn(name, args, original)],
  ),
  [tf.Maximum, (args, original) => extremeInTurn(tf.Maximum, args, original)],
  [tf.Minimum, (args, original) => extremeInTurn(tf.Minimum, args, original)],
  [tf.Slice, sliceRuns],
  [tf.GatherV2, gatherRuns],
  [tf.Reverse, reverseRuns],
  [tf.SplitV, splitRuns],
];

/**
 * Puts the library's `Concat`, `Sub`, `Identity`, `Tile`, `FusedBatchNorm`, the comparisons, `Maximum`, `Minimum`,
 * `Slice`, `GatherV2` and `Reverse` in place of TF.js's on the wasm backend (TF.js's go on serving what these hand
 * back), and the backend guards and kernel fixes (`guardBackends`). They are registered in TF.js's kernel registry, so
 * every concatenation, subtraction, identity, tile, batch normalization, comparison, maximum, minimum, slice, gather
 * and reversal on wasm in the process uses them: the same values bit for bit, but for batch normalization's
 * last bits and the sign of a zero that a clipping gives. Called before every pass the library runs; does nothing
 * until TF.js's wasm backend has registered its kernels (it loads on demand), and nothing once these are in.
 */
export function ensureWasmKernels(): void {
  // A program may have started its backend itself (tf.setBackend): the backend guards go on here too.
  guardBackends();
  for (const [name, kernel] of REPLACEMENTS) {
    replaceKernel(name, 'wasm', 'wasmKernels', (original) => (args) => kernel(args, original));
  }
}
