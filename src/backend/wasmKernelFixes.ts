/**
 * Fixes of TF.js 4.22's wasm kernels that answer otherwise than TensorFlow without an error, found by comparing them
 * with the cpu backend: a gather with batch dimensions, int32 clipping, casts to bool, bool reversals and choices
 * (`where`), the last two of which wrote past the end of their result and broke the heap, float one-hot encodings,
 * convolutions with `'same'` padding and a stride longer than the kernel, NaN through `maximum`, `minimum` and
 * clipping, fused matrix products' biases when transposed or batched, products whose weights had another shape before,
 * PReLU weights that broadcast other than along the last axes, and max pooling with the maxima's positions, 3-D max
 * pooling and dilations and their gradients (wrong for windows of values at most 0; replaced whole, the last ones in
 * `wasmWindowMax.ts`). Each wraps TF.js's kernel and hands it every case it gets right (other dtypes, no batch
 * dimensions, other strides); `guardBackends` puts them in when a backend starts and before every pass. Not exported
 * from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asKernelResult, replaceKernel, takenInTurn } from './kernelReplacement.js';
import { maxPoolWithArgmaxArgs } from './poolArgs.js';
import { WINDOW_MAX_KERNELS } from './wasmWindowMax.js';

type Args = Parameters<tf.KernelFunc>[0];

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
 * kernels get right. A float tensor holding a NaN is clipped here too, the NaN kept; other float tensors are TF.js's.
 */
function clipInt32(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { clipValueMin, clipValueMax } = args.attrs as unknown as { clipValueMin: number; clipValueMax: number };
  if (hasNaN(args, x)) {
    // NaN stays NaN, as in TensorFlow (TF.js's wasm kernel clipped it to the lower bound).
    const clipped = tf.tidy(() => {
      const inside = tf.where(tf.less(x, clipValueMin), tf.fill(x.shape, clipValueMin), x);
      return tf.where(tf.greater(inside, clipValueMax), tf.fill(x.shape, clipValueMax), inside);
    });
    return asKernelResult(args.backend, clipped);
  }
  if (x.dtype !== 'int32') return original(args);
  const out = tf.tidy(() =>
    tf.minimum(
      tf.maximum(x, tf.scalar(Math.ceil(clipValueMin), 'int32')),
      tf.scalar(Math.floor(clipValueMax), 'int32'),
    ),
  );
  return asKernelResult(args.backend, out);
}

/**
 * Whether a float32 tensor holds a NaN (its values are on the wasm heap, in CPU memory). The values are summed first,
 * in four sums side by side, which the engine runs faster than a comparison per value (10.5 against 22 ms for 19
 * million values): the sum is NaN only where a value is NaN, or where +Infinity and -Infinity both appear (a sum of
 * finite float32 values cannot overflow a double here), and only then are the values looked at one by one.
 */
function hasNaN(args: Args, t: tf.Tensor): boolean {
  if (t.dtype !== 'float32') return false;
  // A view of the wasm heap (a public method of TF.js's wasm backend), scanned without a copy or a callback.
  const values = (args.backend as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(
    t,
  );
  // The length read once: a view of the heap's growable (and, with threads, shared) memory re-reads it on each access,
  // which made this loop take twice as long.
  const n = values.length;
  const whole = n - (n % 4);
  let [s0, s1, s2, s3] = [0, 0, 0, 0];
  for (let i = 0; i < whole; i += 4) {
    s0 += values[i];
    s1 += values[i + 1];
    s2 += values[i + 2];
    s3 += values[i + 3];
  }
  for (let i = whole; i < n; i++) s0 += values[i];
  if (!Number.isNaN(s0 + s1 + s2 + s3)) return false;
  for (let i = 0; i < n; i++) if (Number.isNaN(values[i])) return true;
  return false;
}

/**
 * `maximum(a, b)` and `minimum(a, b)` with a NaN in either operand: NaN, as TensorFlow (from 2.4) and TF.js's other
 * backends give. TF.js's wasm kernels propagated a NaN of `a` only (`maximum(1, NaN)` gave 1). Operands without NaN
 * in `b` go to the kernel beneath: TF.js's, or the library's faster one (`net/wasmKernels.ts`), which counts on this.
 */
function extremeWithNaN(name: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  // TF.js's kernels keep a NaN of `a`: only `b` need be read (often a scalar bound).
  if (!hasNaN(args, b)) return original(args);
  const out = tf.tidy(() => {
    const shape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const [x, y] = [tf.broadcastTo(a, shape), tf.broadcastTo(b, shape)];
    const pick = tf.where(name === tf.Maximum ? tf.greaterEqual(x, y) : tf.lessEqual(x, y), x, y);
    return tf.where(tf.logicalOr(tf.isNaN(x), tf.isNaN(y)), tf.fill(shape, Number.NaN), pick);
  });
  return asKernelResult(args.backend, out);
}

interface Conv3DGradAttrs {
  strides: number | [number, number, number];
  pad: 'same' | 'valid';
  inputShape?: number[];
  filterShape?: number[];
}

type Shape5D = [number, number, number, number, number];

/** The geometry of the 3-D convolution whose gradient is asked for, from TF.js's own reading of its attributes. */
const conv3dInfo = (xShape: number[], filterShape: number[], attrs: Conv3DGradAttrs) =>
  tf.backend_util.computeConv3DInfo(xShape as Shape5D, filterShape as Shape5D, attrs.strides, 1, attrs.pad);

/** `x` with `s - 1` zeros between its entries along `axis` (a strided convolution's output spread back out). */
function spread(x: tf.Tensor, axis: number, s: number): tf.Tensor {
  if (s === 1 || x.shape[axis] <= 1) return x;
  const n = x.shape[axis];
  const column = tf.expandDims(x, axis + 1);
  const gaps = tf.pad(
    column,
    column.shape.map((_, a) => (a === axis + 1 ? [0, s - 1] : [0, 0]) as [number, number]),
  );
  const merged = tf.reshape(
    gaps,
    x.shape.map((d, a) => (a === axis ? n * s : d)),
  );
  return tf.slice(
    merged,
    0,
    x.shape.map((d, a) => (a === axis ? (n - 1) * s + 1 : d)),
  );
}

/**
 * The input gradient of a 3-D convolution (`Conv3DBackpropInputV2`, which `tf.conv3dTranspose` runs too): TF.js's
 * wasm kernel wrote the first depth slice only and left the rest 0. Computed here as the forward convolution of the
 * output gradient, spread out by the strides and padded, with the filter flipped and its channels swapped.
 */
function conv3dInputGradient(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs as unknown as { dy: tf.Tensor5D; filter: tf.Tensor5D };
  const attrs = args.attrs as unknown as Conv3DGradAttrs;
  const xShape = attrs.inputShape as number[];
  const info = conv3dInfo(xShape, filter.shape, attrs);
  const strides = [info.strideDepth, info.strideHeight, info.strideWidth];
  const before = [info.padInfo.front, info.padInfo.top, info.padInfo.left];
  const out = tf.tidy(() => {
    let g: tf.Tensor = dy;
    for (let a = 0; a < 3; a++) g = spread(g, a + 1, strides[a]);
    // Each input position is the sum over the taps that read it: the spread gradient padded by the kernel's size less
    // one and the convolution's own front padding, then cut to the input's size.
    const pads = [0, 1, 2].map((a) => {
      const lead = filter.shape[a] - 1 - before[a];
      return [lead, Math.max(xShape[a + 1] + filter.shape[a] - 1 - lead - g.shape[a + 1], 0)] as [number, number];
    });
    g = tf.pad(g, [[0, 0], ...pads, [0, 0]]);
    const w = tf.transpose(tf.reverse(filter, [0, 1, 2]), [0, 1, 2, 4, 3]) as tf.Tensor5D;
    const full = tf.conv3d(g as tf.Tensor5D, w, 1, 'valid');
    return tf.slice(full, 0, xShape);
  });
  return asKernelResult(args.backend, out);
}

/**
 * The filter gradient of a 3-D convolution (`Conv3DBackpropFilterV2`): TF.js's wasm kernel summed other products
 * when the stride was above 1 and the kernel longer than 1. Computed here tap by tap: the padded input read at that
 * tap's offset with the stride, times the output gradient.
 */
function conv3dFilterGradient(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs as unknown as { x: tf.Tensor5D; dy: tf.Tensor5D };
  const attrs = args.attrs as unknown as Conv3DGradAttrs;
  const filterShape = attrs.filterShape as number[];
  const info = conv3dInfo(x.shape, filterShape, attrs);
  const { front, back, top, bottom, left, right } = info.padInfo;
  const [fd, fh, fw, inC, outC] = filterShape;
  const [n, od, oh, ow] = dy.shape;
  const out = tf.tidy(() => {
    const padded = tf.pad(x, [
      [0, 0],
      [front, back],
      [top, bottom],
      [left, right],
      [0, 0],
    ]);
    const grads = tf.reshape(dy, [-1, outC]);
    const taps: tf.Tensor[] = [];
    for (let kd = 0; kd < fd; kd++) {
      for (let kh = 0; kh < fh; kh++) {
        for (let kw = 0; kw < fw; kw++) {
          const end = [
            n,
            kd + (od - 1) * info.strideDepth + 1,
            kh + (oh - 1) * info.strideHeight + 1,
            kw + (ow - 1) * info.strideWidth + 1,
            inC,
          ];
          const read = tf.stridedSlice(padded, [0, kd, kh, kw, 0], end, [
            1,
            info.strideDepth,
            info.strideHeight,
            info.strideWidth,
            1,
          ]);
          taps.push(tf.matMul(tf.reshape(read, [-1, inC]), grads, true, false));
        }
      }
    }
    return tf.reshape(tf.stack(taps), filterShape);
  });
  return asKernelResult(args.backend, out);
}

/**
 * TF.js's wasm `Sign` of a float answered 0 for every value within 1.2e-7 (float32's epsilon) of zero: `sign(1e-10)`
 * gave 0, TensorFlow gives 1. Here by comparisons (NaN gives 0, as TF.js's other backends); int32 is TF.js's.
 */
function signExact(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (x.dtype !== 'float32') return original(args);
  const out = tf.tidy(() => tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32')));
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

/**
 * TF.js's wasm `OneHot` writes int32 values whatever the dtype it is asked for: a float32 encoding came back as int32
 * bits (1 read as 1.4e-45, -1 as NaN) and fractional on and off values were truncated (0.5 as 0). Converted graphs ask
 * for float32 (their `T`). A float32 encoding is made here by comparing each index with the depth's positions, and
 * choosing the on or off value; int32 ones, which the kernel gets right, are TF.js's.
 */
function oneHotFloat(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { indices } = args.inputs as unknown as { indices: tf.Tensor };
  const { dtype, depth, onValue, offValue } = args.attrs as unknown as {
    dtype: tf.DataType;
    depth: number;
    onValue: number;
    offValue: number;
  };
  if (dtype === 'int32') return original(args);
  const out = tf.tidy(() => {
    const hot = tf.equal(tf.expandDims(indices, -1), tf.range(0, depth, 1, 'int32'));
    const shape = [...indices.shape, depth];
    return tf.where(hot, tf.fill(shape, onValue, dtype), tf.fill(shape, offValue, dtype));
  });
  return asKernelResult(args.backend, out);
}

/**
 * TF.js's wasm convolutions with `'same'` padding give other numbers than TensorFlow's when the stride is longer than
 * the (dilated) kernel along an axis (a 2×2 kernel with stride 3 on a 3×2 image gave 0; 88 of 720 small cases, no
 * error). TensorFlow's `'same'` is written out here: the input padded with zeros by what TF.js's `computeConv2DInfo`
 * reads (`max((ceil(in / s) − 1)·s + k − in, 0)` along each axis, the smaller half before, as TensorFlow and the cpu
 * backend pad), then TF.js's kernel with `'valid'`, which is right. Every other convolution is TF.js's.
 */
function sameStrideBeyondKernel(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const attrs = args.attrs as unknown as {
    pad: unknown;
    strides: number | [number, number];
    dilations?: number | [number, number] | null;
    dataFormat?: string;
  };
  const { x, filter } = args.inputs as unknown as { x: tf.Tensor4D; filter: tf.Tensor4D };
  if (attrs.pad !== 'same' || (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC')) return original(args);
  const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, attrs.strides, attrs.dilations ?? 1, 'same');
  const { strideHeight, strideWidth, effectiveFilterHeight, effectiveFilterWidth } = info;
  if (strideHeight <= effectiveFilterHeight && strideWidth <= effectiveFilterWidth) return original(args);
  const { top, bottom, left, right } = info.padInfo;
  const padded = tf.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  try {
    return original({ ...args, inputs: { ...args.inputs, x: padded }, attrs: { ...args.attrs, pad: 'valid' } });
  } finally {
    padded.dispose();
  }
}

/**
 * Max pooling with the positions of the maxima (`tf.maxPoolWithArgmax`, TensorFlow's `MaxPoolWithArgmax`): TF.js
 * 4.22's wasm kernel starts each window's maximum at the smallest positive float (1.2e-38), not below every value, so a
 * window whose values are all 0 or negative (common after a ReLU) gave 1.2e-38 and position 0, without an error, where
 * TensorFlow gives the window's maximum and its first position. Computed here over the values (in CPU memory on wasm):
 * each window's first maximum in row-major order, padding never chosen, positions flattened as TensorFlow's
 * (`(y * width + x) * channels + c`, with the batch index in front when `includeBatchInIndex`).
 */
function maxPoolWithArgmax(args: Args): tf.TensorInfo[] {
  const { x, includeBatchInIndex, info } = maxPoolWithArgmaxArgs(args);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = info;
  const values = x.dataSync();
  const pooled = x.dtype === 'int32' ? new Int32Array(n * oh * ow * C) : new Float32Array(n * oh * ow * C);
  const positions = new Int32Array(n * oh * ow * C);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const y0 = Math.max(0, i * info.strideHeight - info.padInfo.top);
      const y1 = Math.min(H, i * info.strideHeight - info.padInfo.top + info.filterHeight);
      for (let j = 0; j < ow; j++) {
        const x0 = Math.max(0, j * info.strideWidth - info.padInfo.left);
        const x1 = Math.min(W, j * info.strideWidth - info.padInfo.left + info.filterWidth);
        for (let c = 0; c < C; c++) {
          let best = Number.NaN;
          let at = -1;
          for (let y = y0; y < y1; y++) {
            for (let xx = x0; xx < x1; xx++) {
              const p = (y * W + xx) * C + c;
              const v = values[b * H * W * C + p];
              if (at < 0 || v > best) {
                best = v;
                at = includeBatchInIndex ? b * H * W * C + p : p;
              }
            }
          }
          const o = ((b * oh + i) * ow + j) * C + c;
          pooled[o] = best;
          positions[o] = at;
        }
      }
    }
  }
  const shape = [n, oh, ow, C];
  return [
    asKernelResult(args.backend, tf.tensor(pooled, shape, x.dtype)),
    asKernelResult(args.backend, tf.tensor(positions, shape, 'int32')),
  ];
}

/**
 * A fused matrix product (a dense layer; `_FusedMatMul` in converted graphs) that TF.js 4.22's wasm kernel computes
 * by its own loop rather than XNNPACK's, with `transposeA`, `transposeB` or a batch of products. That loop added a
 * bias wrong (later rows got other entries of it: the second row of [5, 3] × [3, 4] the last entry in every column),
 * and clamped for `relu` and `relu6` after every 48 terms of a sum instead of once (48 terms of -1, then 48 of 1 and
 * 4 of 0.5, summed to 50, not 2), without an error; a converted graph's `MatMul` with `transpose_b` fused with its
 * ReLU ran so. Those calls run here as the product, the bias and the activation in TF.js operations; every other call
 * is TF.js's.
 */
function fusedMatMul(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b, bias, preluActivationWeights } = args.inputs as unknown as Record<string, tf.Tensor | undefined>;
  const attrs = args.attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
    activation: string;
    leakyreluAlpha?: number;
  };
  const [x, y] = [a as tf.Tensor, b as tf.Tensor];
  const batch = tf.backend_util
    .assertAndGetBroadcastShape(x.shape.slice(0, -2), y.shape.slice(0, -2))
    .reduce((p, q) => p * q, 1);
  const ownLoop = attrs.transposeA || attrs.transposeB || batch > 1;
  const clamps = attrs.activation === 'relu' || attrs.activation === 'relu6';
  if (!ownLoop || !(bias || clamps)) return original(args);
  const out = tf.tidy(() => {
    const product = tf.matMul(x, y, attrs.transposeA, attrs.transposeB);
    const sum = bias ? tf.add(product, bias) : product;
    switch (attrs.activation) {
      case 'relu':
        return tf.relu(sum);
      case 'relu6':
        return tf.relu6(sum);
      case 'elu':
        return tf.elu(sum);
      case 'sigmoid':
        return tf.sigmoid(sum);
      case 'leakyrelu':
        return tf.leakyRelu(sum, attrs.leakyreluAlpha ?? 0.2);
      case 'prelu':
        return tf.prelu(sum, preluActivationWeights as tf.Tensor);
      default:
        return sum;
    }
  });
  return asKernelResult(args.backend, out);
}

/**
 * The `[K, N]` shape that each tensor's data had as the weights of a product on XNNPACK's path, by its data.
 * @see productWeights
 */
const weightShapes = new WeakMap<tf.DataId, string>();

/**
 * A matrix product (`BatchMatMul`, `_FusedMatMul`) on XNNPACK's path (one product, neither operand transposed), whose
 * operator TF.js 4.22's wasm kernel builds from the weights `b` once and keeps for the data of `b`, its bias and its
 * activation, whatever their shape. The same data as weights of another shape (a reshape shares data: `w` as [1, 4],
 * then as [4, 1] or [2, 2]) reused the first operator: it read and wrote past its tensors, which broke the heap (an
 * abort, or a hang of the threads) or answered wrong. Weights seen before in another shape go to the kernel as a copy,
 * whose operator is freed with it; every other call is TF.js's.
 */
function productWeights(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const one = (shape: readonly number[]) => shape.slice(0, -2).every((d) => d === 1);
  if (transposeA || transposeB || !one(a.shape) || !one(b.shape) || b.dtype !== 'float32') return original(args);
  const shape = b.shape.slice(-2).join('×');
  const seen = weightShapes.get(b.dataId);
  if (seen === undefined) weightShapes.set(b.dataId, shape);
  if (seen === undefined || seen === shape) return original(args);
  const backend = args.backend as unknown as {
    makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
    typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
    disposeData(dataId: tf.DataId): boolean;
  };
  const copy = backend.makeOutput([...b.shape], b.dtype);
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(b));
  try {
    return original({ ...args, inputs: { ...args.inputs, b: copy } });
  } finally {
    backend.disposeData(copy.dataId);
  }
}

/**
 * PReLU (`tf.prelu`, Keras's PReLU layer) whose weights broadcast otherwise than along the last axes: TF.js 4.22's wasm
 * kernel takes the weights in turn along the flat tensor, so a weight for each pixel shared across channels (Keras's
 * `shared_axes=[3]`: weights [h, w, 1]) gave the pixels' weights to the channels, and weights larger than the input
 * left the rest of the output unwritten, without an error. Those calls run on both operands broadcast to the output's
 * shape, as the cpu backend computes it; every other call is TF.js's.
 */
function preluBroadcast(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, alpha } = args.inputs as unknown as { x: tf.Tensor; alpha: tf.Tensor };
  if (takenInTurn(alpha.shape, x.shape) && alpha.rank <= x.rank) return original(args);
  const shape = tf.backend_util.assertAndGetBroadcastShape(x.shape, alpha.shape);
  return asKernelResult(
    args.backend,
    tf.tidy(() => tf.prelu(tf.broadcastTo(x, shape), tf.broadcastTo(alpha, shape))),
  );
}

/**
 * A fused convolution or product with a PReLU (`preluActivationWeights`) whose weights are more than one value per
 * output channel: TF.js's wasm kernel applies them as its PReLU does (see {@link preluBroadcast}). Those calls run the
 * kernel without the activation, then the PReLU; every other call is TF.js's. `channels` is the output's last axis.
 * And PReLU weights given with another activation (unused) left the output unwritten (its memory's old contents, no
 * error): they are left out.
 */
function fusedPrelu(args: Args, original: tf.KernelFunc, channels: number): tf.TensorInfo | tf.TensorInfo[] {
  const { preluActivationWeights: w, ...inputs } = args.inputs as unknown as Record<string, tf.Tensor | undefined>;
  const { activation } = args.attrs as unknown as { activation?: string };
  if (!w) return original(args);
  // Weights given with another activation are not used, but TF.js's kernel then wrote nothing into the output.
  if (activation !== 'prelu') return original({ ...args, inputs });
  if (takenInTurn(w.shape, [channels]) && w.rank <= 4) return original(args);
  const linear = original({ ...args, inputs, attrs: { ...args.attrs, activation: 'linear' } }) as tf.TensorInfo;
  const y = tf.engine().makeTensorFromTensorInfo(linear);
  try {
    return asKernelResult(
      args.backend,
      tf.tidy(() => tf.prelu(y, w)),
    );
  } finally {
    y.dispose();
  }
}

/** The output channels of a fused convolution (`filter` [h, w, in, out], or [h, w, in, multiplier] when depthwise). */
const convChannels = (args: Args, depthwise: boolean) => {
  const { filter } = args.inputs as unknown as { filter: tf.Tensor };
  const [, , inputs = 1, outputs = 1] = filter.shape;
  return depthwise ? inputs * outputs : outputs;
};

/** The output columns of a fused product. */
const productColumns = (args: Args) => {
  const { b } = args.inputs as unknown as { b: tf.Tensor };
  const { transposeB } = args.attrs as unknown as { transposeB: boolean };
  return b.shape[b.rank - (transposeB ? 2 : 1)] ?? 1;
};

/** Each fix, by the kernel it wraps: given TF.js's kernel, to hand it the cases it gets right. */
const FIXES: [string, (args: Args, original: tf.KernelFunc) => tf.TensorInfo | tf.TensorInfo[]][] = [
  [tf.GatherV2, gatherBatched],
  [tf.ClipByValue, clipInt32],
  [tf.Maximum, (args, original) => extremeWithNaN(tf.Maximum, args, original)],
  [tf.Minimum, (args, original) => extremeWithNaN(tf.Minimum, args, original)],
  [tf.Cast, castToBool],
  [tf.Sign, signExact],
  [tf.Conv3DBackpropInputV2, conv3dInputGradient],
  [tf.Conv3DBackpropFilterV2, conv3dFilterGradient],
  [tf.Reverse, reverseBool],
  [tf.Select, selectBool],
  [tf.OneHot, oneHotFloat],
  [tf.Conv2D, sameStrideBeyondKernel],
  [tf.DepthwiseConv2dNative, sameStrideBeyondKernel],
  [
    tf.FusedConv2D,
    (args, original) =>
      sameStrideBeyondKernel(args, (inner) => fusedPrelu(inner, original, convChannels(inner, false))),
  ],
  [
    tf.FusedDepthwiseConv2D,
    (args, original) => sameStrideBeyondKernel(args, (inner) => fusedPrelu(inner, original, convChannels(inner, true))),
  ],
  [tf.MaxPoolWithArgmax, maxPoolWithArgmax],
  [tf.BatchMatMul, productWeights],
  [
    tf._FusedMatMul,
    (args, original) =>
      fusedMatMul(args, (inner) =>
        fusedPrelu(inner, (plain) => productWeights(plain, original), productColumns(inner)),
      ),
  ],
  [tf.Prelu, preluBroadcast],
  ...WINDOW_MAX_KERNELS,
];

/**
 * Puts the fixes in place of TF.js's wasm kernels (registered in TF.js's kernel registry, so every gather, clipping,
 * cast, reversal and `where` on wasm in the process gets TensorFlow's values). Does nothing until TF.js's wasm
 * backend has registered its kernels (it loads on demand), and nothing once these are in.
 */
export function fixWasmKernels(): void {
  for (const [name, fix] of FIXES)
    replaceKernel(name, 'wasm', 'wasmKernelFixes', (original) => (args) => fix(args, original));
}
