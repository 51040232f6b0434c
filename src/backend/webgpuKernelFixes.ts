/**
 * Fixes for TF.js 4.22's WebGPU kernels, mostly on int32 and bool tensors, installed when a backend starts and before
 * every pass (`guardBackends`). Most only matter for tensors that live on the GPU (TF.js runs small tensors whose data
 * is still on the CPU with its CPU kernels, which are right but for the shapes of two reductions, below).
 *
 * What goes wrong without them (found by running the unit suites on WebGPU with CPU forwarding off, and by a sweep of
 * random shapes against cpu):
 * - `tf.cast(int32 or bool → float32)` is zero-copy: the new float32 tensor shares the int32 buffer. Kernels that
 *   read a buffer as it is (transpose, and the reductions and other kernels that transpose first) then take int32
 *   bits for float32 ones (37 reads as 5.2e-44), and `data()` of the "float32" tensor returns an Int32Array.
 * - Transpose of an int32 or bool tensor of rank 3 or more builds a shader that does not compile (it passes an i32
 *   where its output function takes an f32): the output is whatever the buffer held before. (A matrix transpose has
 *   another shader, which works; it is rerouted too, which costs nothing in exactness: see below.)
 * - So every reduction that must transpose first (max/min/sum/prod/mean over axes other than the innermost ones,
 *   argMax/argMin over an axis other than the last) is wrong for int32 input.
 * - `tf.argMax`/`tf.argMin` (any dtype) return another of several tied positions than the first, which TensorFlow
 *   and TF.js's other backends return; fixed by finding the first position equal to the extreme.
 * - (`tf.matMul` of batches that both broadcast, which failed here, is fixed on every backend in `kernelFixes.ts`.)
 * - `tf.maxPoolWithArgmax` points at another of several tied maxima than the first, which TensorFlow points at; fixed
 *   by pooling the image flipped (see `maxPoolFirstOfTies`). (`tf.atan2(±0, ±0)`, which gave ±3π/4, is fixed with
 *   WebGL's in `kernelFixes.ts`.)
 * - `tf.batchToSpaceND` and `tf.unsortedSegmentSum` of int32 gave other numbers (a transpose's shader, float bits).
 *   Routed through float32 too.
 * - A product by a transposed matrix over 2,000 terms or more with few outputs (`MatMulSplitK`) read that operand as
 *   if it were not transposed; `b` is transposed first for such products (`untransposedLongSum`).
 * - `cropAndResize` with fewer boxes than images wrote zeros for a box of an image at or past the box count (it
 *   compared the image index with the number of boxes); the boxes are padded up to the number of images.
 * - Reductions TF.js computes on the CPU (small tensors whose values are there): a product dropped `keepDims`, an
 *   `argMax` of a vector gave the shape [1]. The result's shape is set to TensorFlow's.
 * - `tf.addN` of more than 7 tensors (any dtype) builds a shader that reads more storage buffers than a device allows
 *   by default (8, output included): the pipeline is invalid and the result is whatever the buffer held. The fix sums
 *   in chunks of at most 7, still strictly left to right, so the result is the same as one shader's.
 *
 * The fixes route those cases through float32, where the same kernels are right: `cast` to float32 becomes a
 * multiplication by 1 (which converts in the shader), and int32 transposes and reductions run on a float32 copy
 * whose result is cast back. Exact for integers up to 2^24 in magnitude, which is as exact as int32 gets on
 * TF.js's WebGPU backend anyway: its shaders compute int32 arithmetic, reductions, where and concat in f32.
 * Running sums and products along inner axes are fixed in `kernelFixes.ts` (with their negative axes on every
 * backend). `all` and `any` over outer axes of a bool tensor, which transpose it with that shader, run as the
 * minimum and maximum of a float32 copy. A reduction over an axis named twice is refused, as TensorFlow refuses it
 * (the shaders returned a scalar 0), by the check `argumentChecks.ts` puts around these fixes, as on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asKernelResult, replaceKernel, tfjsKernels } from './kernelReplacement.js';
import { maxPoolWithArgmaxArgs } from './poolArgs.js';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];
/** The parts of TF.js's WebGPUBackend used here (its class is not exported in a way this module can import). */
type Backend = tf.KernelBackend & {
  shouldExecuteOnCPU?: (inputs: tf.TensorInfo[]) => boolean;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
  device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
};

/** Kernels whose int32 result is cast back after running on float32 (mean, argMax, argMin have no int32 result). */
const INT_RESULT = new Set<string>([tf.Max, tf.Min, tf.Sum, tf.Prod]);
const REDUCTIONS = [tf.Max, tf.Min, tf.Sum, tf.Prod, tf.Mean, tf.ArgMax, tf.ArgMin];

/**
 * Installs the fixes into TF.js's kernel registry for the `webgpu` backend with `replaceKernel` (each once; later calls
 * cost a lookup each), when `initBackend` starts the backend and before every pass (`guardBackends`). Changes what the
 * webgpu kernels compute only in the broken cases described above.
 *
 * @returns the names of the kernels now wrapped.
 * @internal
 */
export function installWebGPUKernelFixes(): string[] {
  const wrapped: string[] = [];
  const wrap = (name: string, make: (original: KernelFunc) => KernelFunc) => {
    replaceKernel(name, 'webgpu', 'webgpuKernelFixes', make);
    if (tf.getKernel(name, 'webgpu') !== undefined) wrapped.push(name);
  };

  wrap(tf.Cast, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
    if (dtype === 'float32' && (x.dtype === 'int32' || x.dtype === 'bool'))
      return toFloat32(x, args.backend as Backend);
    return original(args);
  });

  wrap(tf.Transpose, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!needsFloatRoute(x, args.backend as Backend)) return original(args);
    return viaFloat32(args, original, x.dtype);
  });

  // One shader reads every input: more than the device's storage-buffer limit (8 by default, one of them the
  // output) and the pipeline is invalid, so the result is garbage. Sum in chunks, still strictly left to right.
  wrap(tf.AddN, (original) => (args) => {
    const inputs = args.inputs as unknown as tf.TensorInfo[];
    const backend = args.backend as Backend;
    const most = (backend.device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1;
    if (inputs.length <= most) return original(args);
    let sum = original({ ...args, inputs: inputs.slice(0, most) as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    for (let i = most; i < inputs.length; i += most - 1) {
      const chunk = [sum, ...inputs.slice(i, i + most - 1)];
      const next = original({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      backend.disposeData(sum.dataId);
      sum = next;
    }
    return sum;
  });

  wrap(tf.MaxPoolWithArgmax, (original) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if ((args.backend as Backend).shouldExecuteOnCPU?.([x])) return original(args);
    return maxPoolFirstOfTies(args);
  });

  // Int32 through shaders that moved or added float bits (batchToSpaceND transposes with the shader that does not
  // compile; unsortedSegmentSum wrote float sums into an int32 tensor): run on a float32 copy, the result cast back.
  for (const name of [tf.BatchToSpaceND, tf.UnsortedSegmentSum]) {
    wrap(name, (original) => (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (!needsFloatRoute(x, args.backend as Backend)) return original(args);
      return viaFloat32(args, original, x.dtype);
    });
  }

  wrap(tf.CropAndResize, (original) => (args) => cropsPastBoxCount(args, original));

  for (const name of [tf.BatchMatMul, tf._FusedMatMul]) {
    wrap(name, (original) => (args) => untransposedLongSum(args, original));
  }

  for (const name of REDUCTIONS) {
    wrap(name, (original) => (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const attrs = args.attrs as {
        axis?: number | number[];
        reductionIndices?: number | number[];
        keepDims?: boolean;
      };
      const axis = attrs.axis ?? attrs.reductionIndices;
      const axes = axis == null ? x.shape.map((_, i) => i) : tf.util.parseAxisParam(axis, x.shape);
      // TF.js's kernels computing on the CPU (small tensors) dropped a product's keepDims and gave an argMax of a
      // vector the shape [1]: the result's shape is set here, its data unchanged.
      const keep = attrs.keepDims === true && name !== tf.ArgMax && name !== tf.ArgMin;
      const shape = x.shape.flatMap((d, i) => (!axes.includes(i) ? [d] : keep ? [1] : []));
      const shaped = (out: tf.TensorInfo | tf.TensorInfo[]) => ({ ...(out as tf.TensorInfo), shape });
      if ((name === tf.ArgMax || name === tf.ArgMin) && !(args.backend as Backend).shouldExecuteOnCPU?.([x])) {
        return firstOfTies(args, name);
      }
      if (!needsFloatRoute(x, args.backend as Backend)) return shaped(original(args));
      if (tf.backend_util.getAxesPermutation(axes, x.shape.length) === null) return shaped(original(args));
      return shaped(viaFloat32(args, original, INT_RESULT.has(name) ? x.dtype : null));
    });
  }
  // A bool reduction over outer axes transposes the bool tensor first, with the shader that does not compile: it
  // runs here as the minimum (all) or maximum (any) of a float32 copy.
  for (const name of [tf.All, tf.Any]) {
    wrap(name, (original) => (args) => {
      const { x } = args.inputs as unknown as { x: tf.Tensor };
      if (!needsFloatRoute(x, args.backend as Backend)) return original(args);
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const axes = tf.util.parseAxisParam(axis, x.shape);
      if (tf.backend_util.getAxesPermutation(axes, x.rank) === null) return original(args);
      const reduce = name === tf.All ? tf.min : tf.max;
      const out = tf.tidy(() => tf.cast(reduce(tf.cast(x, 'float32'), axes, keepDims), 'bool'));
      return asKernelResult(args.backend, out);
    });
  }
  return wrapped;
}

/**
 * `cropAndResize` with fewer boxes than images: TF.js's shader checked each box's image index against the number of
 * boxes instead of images, and wrote nothing (zeros) for an index at or past it (one box from the second of two
 * images). The boxes are padded here with boxes of image 0 up to the number of images, and the extra crops dropped.
 */
function cropsPastBoxCount(args: KernelArgs, original: KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { image, boxes, boxInd } = args.inputs as unknown as Record<'image' | 'boxes' | 'boxInd', tf.Tensor>;
  const extra = image.shape[0] - boxes.shape[0];
  if (extra <= 0) return original(args);
  const { cropSize, method, extrapolationValue } = args.attrs as unknown as {
    cropSize: [number, number];
    method: 'bilinear' | 'nearest';
    extrapolationValue: number;
  };
  const out = tf.tidy(() => {
    const padded = tf.concat([boxes, tf.zeros([extra, 4])]);
    const indices = tf.concat([boxInd, tf.zeros([extra], 'int32')]);
    const crops = tfjsKernels(() =>
      tf.image.cropAndResize(
        image as tf.Tensor4D,
        padded as tf.Tensor2D,
        indices as tf.Tensor1D,
        cropSize,
        method,
        extrapolationValue,
      ),
    );
    return tf.slice(crops, 0, boxes.shape[0]);
  });
  return asKernelResult(args.backend, out);
}

/**
 * Shortest inner axis at which TF.js's WebGPU matrix product may split the sum between workgroups (its `MatMulSplitK`
 * program, for a single product with few outputs); that program read a transposed second operand as if it were not
 * transposed when the output's columns came in fours: other numbers without an error ([8, 2048] × [32, 2048]ᵀ).
 */
const SPLIT_K_INNER = 2000;

/** A product by a transposed `b` whose sum may be split: `b` transposed first, the product taken untransposed. */
function untransposedLongSum(args: KernelArgs, original: KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const inner = a.shape[a.rank - (transposeA ? 2 : 1)];
  const batch = Math.max(
    a.size / (a.shape[a.rank - 1] * a.shape[a.rank - 2]),
    b.size / (b.shape[b.rank - 1] * b.shape[b.rank - 2]),
  );
  if (!transposeB || inner < SPLIT_K_INNER || batch !== 1) return original(args);
  const perm = b.shape.map((_, i) => (i < b.rank - 2 ? i : i === b.rank - 2 ? b.rank - 1 : b.rank - 2));
  const bt = tf.transpose(b, perm);
  try {
    return original({ ...args, inputs: { ...args.inputs, b: bt }, attrs: { ...args.attrs, transposeB: false } });
  } finally {
    bt.dispose();
  }
}

/**
 * ArgMax or ArgMin with TensorFlow's ties: the first position of the extreme along the axis. TF.js's shaders reduce in
 * parallel and return another of the tied positions (`argMax` of ten zeros then ones gives 64, not 10), which
 * ReLU's zeros and saturated scores make common. Here: the extreme, where each value equals it, and the smallest such
 * position, in float32 (positions are exact below 2^24). NaN is passed over, as TF.js's other backends do; a slice
 * of NaN only gives position 0.
 */
function firstOfTies(args: KernelArgs, name: string): tf.TensorInfo {
  const x = args.inputs.x as tf.Tensor;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, x.shape)[0];
  const out = tf.tidy(() => {
    const f = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    // NaN never wins (the other backends pass over it): the loser's end of the line instead.
    const v = tf.where(tf.isNaN(f), tf.fill(f.shape, name === tf.ArgMax ? -Infinity : Infinity), f);
    const extreme = name === tf.ArgMax ? tf.max(v, axis, true) : tf.min(v, axis, true);
    const n = x.shape[axis] as number;
    const along = x.shape.map((d, i) => (i === axis ? d : 1));
    const position = tf.reshape(tf.range(0, n, 1, 'float32'), along);
    const first = tf.min(tf.where(tf.equal(v, extreme), tf.broadcastTo(position, x.shape), tf.fill(x.shape, n)), axis);
    return tf.cast(tf.where(tf.equal(first, n), tf.zerosLike(first), first), 'int32');
  });
  return asKernelResult(args.backend, out);
}

/**
 * Max pooling with the maxima's positions (`tf.maxPoolWithArgmax`) with TensorFlow's ties: each window's first maximum
 * in row-major order. TF.js's shader keeps the last one (`>=`), so a window of a ReLU's zeros pointed at its last
 * cell. Here the image is padded as the pooling pads it (with NaN, which is never a maximum), cut to the rows and
 * columns the windows cover, flipped both ways and pooled by TF.js's kernel without padding: the last maximum of a
 * flipped window is the first of the window. The positions are mapped back (flattened as TensorFlow's), and both
 * results flipped again. Positions are exact below 2^24, as WebGPU's int32 arithmetic.
 */
function maxPoolFirstOfTies(args: KernelArgs): tf.TensorInfo[] {
  const { x, includeBatchInIndex, info } = maxPoolWithArgmaxArgs(args);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const rows = (oh - 1) * info.strideHeight + info.filterHeight;
  const cols = (ow - 1) * info.strideWidth + info.filterWidth;
  const [pooled, positions] = tf.tidy(() => {
    const padded = tf.pad(
      x,
      [
        [0, 0],
        [top, Math.max(0, rows - H - top)],
        [left, Math.max(0, cols - W - left)],
        [0, 0],
      ],
      Number.NaN,
    );
    const flipped = tf.reverse(tf.slice(padded, [0, 0, 0, 0], [n, rows, cols, C]), [1, 2]);
    const window: [number, number] = [info.filterHeight, info.filterWidth];
    const stride: [number, number] = [info.strideHeight, info.strideWidth];
    const result = tfjsKernels(() => tf.maxPoolWithArgmax(flipped, window, stride, 'valid', false)) as {
      result: tf.Tensor;
      indexes: tf.Tensor;
    };
    // A flipped position (y' * cols + x') * C + c is the padded image's row rows - 1 - y', column cols - 1 - x'.
    const q = result.indexes;
    const y = tf.floorDiv(q, tf.scalar(cols * C, 'int32'));
    const rest = tf.sub(q, tf.mul(y, tf.scalar(cols * C, 'int32')));
    const col = tf.floorDiv(rest, tf.scalar(C, 'int32'));
    const c = tf.sub(rest, tf.mul(col, tf.scalar(C, 'int32')));
    const row = tf.sub(tf.scalar(rows - 1 - top, 'int32'), y);
    const column = tf.sub(tf.scalar(cols - 1 - left, 'int32'), col);
    let at = tf.add(tf.mul(tf.add(tf.mul(row, tf.scalar(W, 'int32')), column), tf.scalar(C, 'int32')), c);
    if (includeBatchInIndex) {
      at = tf.add(at, tf.reshape(tf.range(0, n * H * W * C, H * W * C, 'int32'), [n, 1, 1, 1]));
    }
    return [tf.reverse(result.result, [1, 2]), tf.reverse(at, [1, 2])];
  });
  return [asKernelResult(args.backend, pooled), asKernelResult(args.backend, positions)];
}

/** An int32/bool tensor on the GPU (where the broken shaders run), rather than one TF.js handles on the CPU. */
function needsFloatRoute(x: tf.TensorInfo, backend: Backend): boolean {
  return (x.dtype === 'int32' || x.dtype === 'bool') && !(backend.shouldExecuteOnCPU?.([x]) ?? false);
}

/** A real float32 copy of `x` (the caller disposes it): x * 1, which the multiply shader converts element by element. */
function toFloat32(x: tf.TensorInfo, backend: Backend): tf.TensorInfo {
  const one = backend.makeTensorInfo([], 'float32', new Float32Array([1]));
  try {
    return tf
      .getKernel(tf.Multiply, 'webgpu')!
      .kernelFunc({ inputs: { a: x, b: one }, backend, attrs: {} }) as tf.TensorInfo;
  } finally {
    backend.disposeData(one.dataId);
  }
}

/** Runs `original` on a float32 copy of input `x`; casts the result back to `resultDtype` unless that is null. */
function viaFloat32(args: KernelArgs, original: KernelFunc, resultDtype: tf.DataType | null): tf.TensorInfo {
  const backend = args.backend as Backend;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const xf = toFloat32(x, backend);
  let out: tf.TensorInfo;
  try {
    out = original({ ...args, inputs: { ...args.inputs, x: xf } }) as tf.TensorInfo;
  } finally {
    backend.disposeData(xf.dataId);
  }
  if (resultDtype === null || out.dtype === resultDtype) return out;
  try {
    return tf.getKernel(tf.Cast, 'webgpu')!.kernelFunc({
      inputs: { x: out },
      backend,
      attrs: { dtype: resultDtype } as unknown as tf.NamedAttrMap,
    }) as tf.TensorInfo;
  } finally {
    backend.disposeData(out.dataId);
  }
}
