/**
 * Checks TensorFlow makes on a kernel's arguments and TF.js 4.22's kernels skip, on the backends where skipping them
 * reads outside a tensor or answers wrong without an error: indices past a tensor's edge (`gatherND`, `scatterND`,
 * `sparseToDense`, `tensorScatterUpdate`, the box indices of `cropAndResize`), a slice past the end, a resize to a size
 * below 1, a transpose by something that is not a permutation, negative values to count (`bincount`), negative paddings
 * of `spaceToBatchND`, 3-D pooling windows of size 0, a convolution or pooling window larger than its padded input, a
 * transposed convolution's output shape that disagrees with its input, a reduction over an axis named twice, a negative
 * radius for local response normalization. A model file that asks for them is corrupt or hostile; on wasm, TF.js read
 * whatever the heap held there, and its scatters wrote past their tensors. Each check throws TensorFlow's reason as a
 * `RangeError` before the kernel runs, and hands every valid call to the kernel beneath unchanged (TF.js's, or a fix of
 * the library's around it: the checks wrap outermost); `guardBackends` puts them in when a backend starts and before
 * every pass. Index values are read where they are in CPU memory (`readsValues`: on cpu and wasm, and on WebGPU and
 * WebGL while TF.js holds them there); WebGPU's shaders stay inside their buffers. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES } from './backendNames.js';
import { replaceKernel } from './kernelReplacement.js';

type Args = Parameters<tf.KernelFunc>[0];

/** Where a GPU backend keeps each tensor's data: its values while they are in CPU memory. */
interface DataStore {
  get(dataId: tf.DataId): { values?: unknown } | undefined;
}

/**
 * Whether the values of `tensors` (indices, divisors) can be read on `backend` without a GPU read-back: always on cpu
 * and wasm, whose data is in CPU memory; on WebGPU and WebGL while TF.js still holds the values in CPU memory, as it
 * does for a tensor made from JavaScript values (a model's constants, the arithmetic of a shape, which those backends
 * compute on the CPU while it is small) until a shader first reads it. A tensor a shader wrote is left unread.
 */
export function readsValues(backend: string, kernel: unknown, ...tensors: tf.TensorInfo[]): boolean {
  if (backend === 'cpu' || backend === 'wasm') return true;
  const stores = kernel as unknown as { tensorMap?: DataStore; texData?: DataStore };
  const store = backend === 'webgpu' ? stores.tensorMap : backend === 'webgl' ? stores.texData : undefined;
  return store !== undefined && tensors.every((t) => store.get(t.dataId)?.values != null);
}

const list = (v: ArrayLike<number>) => `[${Array.from(v).join(', ')}]`;

/**
 * Refuses sizes, counts and positions that are not whole numbers of at least `min` (`-1` also taken where `orRest`:
 * "the rest of the axis"). TensorFlow types them int32; TF.js reads them from a model's float32 tensor as they are
 * and made tensors of fractional shape (a top-k of 1.5 gave a `[16, 1.5]` tensor, whose read failed deep inside TF.js,
 * its wasm buffer 4.3 values long), or answered as if rounded (`tile` by 1.5, a slice from row 0.5). `what` names the
 * argument in the message.
 */
export function assertWholeNumbers(
  name: string,
  what: string,
  values: number | readonly number[],
  min: number,
  orRest = false,
): void {
  const all = typeof values === 'number' ? [values] : values;
  if (all.every((v) => Number.isInteger(v) && (v >= min || (orRest && v === -1)))) return;
  const least = `of at least ${min}${orRest ? ' (or -1)' : ''}`;
  throw new RangeError(
    typeof values === 'number'
      ? `${name}: ${what} must be a whole number ${least}, got ${values}`
      : `${name}: ${what} must be whole numbers ${least}, got ${list(values)}`,
  );
}

/** `gatherND(params, indices)`: each row of `indices` must name an element (or slice) inside `params`. */
function gatherNd(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { params, indices } = args.inputs as unknown as { params: tf.Tensor; indices: tf.Tensor };
  if (readsValues(backend, args.backend, indices)) rowsInside('gatherND', indices, params.shape);
  return original(args);
}

/** `scatterND(indices, updates, shape)`: each row of `indices` must name a place inside `shape`. */
function scatterNd(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { indices } = args.inputs as unknown as { indices: tf.Tensor };
  const { shape } = args.attrs as unknown as { shape: number[] };
  if (readsValues(backend, args.backend, indices)) rowsInside('scatterND', indices, shape);
  return original(args);
}

/**
 * `sparseToDense(indices, values, shape, default)`: each index (a row of a 2-D `indices`, or one number of a scalar or
 * 1-D one, for a 1-D result) must name a place inside `shape`.
 */
function sparseToDense(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { sparseIndices } = args.inputs as unknown as { sparseIndices: tf.Tensor };
  const { outputShape } = args.attrs as unknown as { outputShape: number[] };
  if (readsValues(backend, args.backend, sparseIndices)) {
    rowsInside('sparseToDense', sparseIndices, outputShape, sparseIndices.rank < 2 ? 1 : undefined);
  }
  return original(args);
}

/** `tensorScatterUpdate(tensor, indices, updates)`: each row of `indices` must name a place inside `tensor`. */
function tensorScatterUpdate(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { tensor, indices } = args.inputs as unknown as { tensor: tf.Tensor; indices: tf.Tensor };
  if (readsValues(backend, args.backend, indices)) rowsInside('tensorScatterUpdate', indices, tensor.shape);
  return original(args);
}

/**
 * Throws unless every row of `indices` (its last axis the index depth, or `depth` numbers each) lies inside the first
 * axes of `shape`.
 */
function rowsInside(name: string, indices: tf.Tensor, shape: readonly number[], depth?: number): void {
  depth ??= indices.shape[indices.rank - 1] ?? 0;
  const values = indices.dataSync();
  for (let r = 0; r * depth < values.length; r++) {
    for (let j = 0; j < depth; j++) {
      const v = values[r * depth + j];
      if (!(v >= 0 && v < shape[j])) {
        const row = values.slice(r * depth, (r + 1) * depth);
        throw new RangeError(
          `${name}: index ${list(row)} (row ${r} of the indices) is outside the shape ${list(shape)}`,
        );
      }
    }
  }
}

/** `cropAndResize(image, boxes, boxInd, ...)`: each box's image index must be one of the batch's images. */
function cropAndResize(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { image, boxInd } = args.inputs as unknown as { image: tf.Tensor; boxInd: tf.Tensor };
  const { cropSize } = args.attrs as unknown as { cropSize: [number, number] };
  if (!(cropSize[0] >= 1 && cropSize[1] >= 1)) {
    throw new RangeError(`cropAndResize: the crop size must be at least 1×1, got ${cropSize[0]}×${cropSize[1]}`);
  }
  assertWholeNumbers('cropAndResize', 'the crop size', cropSize, 1);
  if (readsValues(backend, args.backend, boxInd)) {
    const ind = boxInd.dataSync();
    const bad = ind.findIndex((i) => !(i >= 0 && i < image.shape[0]));
    if (bad >= 0) {
      throw new RangeError(
        `cropAndResize: box ${bad} names image ${ind[bad]}, outside the batch of ${image.shape[0]} images`,
      );
    }
  }
  return original(args);
}

/** `slice(x, begin, size)`: the slice must lie inside `x` (TF.js's cpu kernel checks; its wasm kernel read past it). */
function slice(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x, begin, size);
  assertWholeNumbers('slice', 'begin and size', [...b, ...s], 0);
  if (b.some((v, i) => !(v >= 0 && s[i] >= 0 && v + s[i] <= x.shape[i]))) {
    throw new RangeError(`slice: begin ${list(b)} and size ${list(s)} reach outside the shape ${list(x.shape)}`);
  }
  return original(args);
}

/** `resizeBilinear(images, size)`: the size must be at least 1×1 (TF.js's wasm kernel made a tensor of shape -2). */
function resizeBilinear(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { size } = args.attrs as unknown as { size: [number, number] };
  if (!(size[0] >= 1 && size[1] >= 1)) {
    throw new RangeError(`resizeBilinear: the size must be at least 1×1, got ${size[0]}×${size[1]}`);
  }
  assertWholeNumbers('resizeBilinear', 'the size', size, 1);
  return original(args);
}

/**
 * The sizes and counts of `topk` (k), `reshape` (the shape), `splitV` (the sizes) and `oneHot` (the depth), which a
 * model's graph may compute or hold as float32: whole numbers, see {@link assertWholeNumbers}.
 */
function wholeAttrs(kernel: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const a = args.attrs as Record<string, unknown>;
  const nums = (v: unknown) => v as number | number[];
  if (kernel === tf.TopK) assertWholeNumbers('topk', 'k', nums(a.k), 0);
  else if (kernel === tf.Reshape) assertWholeNumbers('reshape', 'the shape', nums(a.shape), 0, true);
  else if (kernel === tf.SplitV) assertWholeNumbers('split', 'the sizes', nums(a.numOrSizeSplits), 0, true);
  else if (kernel === tf.OneHot) assertWholeNumbers('oneHot', 'the depth', nums(a.depth), 0);
  return original(args);
}

/** `transpose(x, perm)`: `perm` must name each axis once (TF.js's cpu and wasm kernels gave different numbers). */
function transpose(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { perm } = args.attrs as unknown as { perm: number[] };
  const seen = new Set(perm);
  if (perm.length !== x.rank || seen.size !== x.rank || perm.some((p) => !(p >= 0 && p < x.rank))) {
    throw new RangeError(
      `transpose: perm ${list(perm)} is not a permutation of the axes of a tensor of rank ${x.rank}`,
    );
  }
  return original(args);
}

/**
 * `bincount(x, ...)`, `denseBincount(x, ...)`: the values counted must be at least 0 (TF.js's wasm kernel skipped
 * negative ones where its cpu kernel refuses them).
 */
function bincount(name: string, backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (readsValues(backend, args.backend, x)) {
    const values = x.dataSync();
    const bad = values.findIndex((v) => !(v >= 0));
    if (bad >= 0) throw new RangeError(`${name}: the values counted must be at least 0, got ${values[bad]}`);
  }
  return original(args);
}

/** `spaceToBatchND(x, blockShape, paddings)`: blocks of at least 1, paddings of at least 0 (TF.js cropped). */
function spaceToBatch(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { blockShape, paddings } = args.attrs as unknown as { blockShape: number[]; paddings: number[][] };
  if (blockShape.some((b) => !(b >= 1)) || paddings.some((p) => p.some((v) => !(v >= 0)))) {
    throw new RangeError(
      `spaceToBatchND: the block shape must be at least 1 and the paddings at least 0, got block shape ` +
        `${list(blockShape)} and paddings [${paddings.map((p) => list(p)).join(', ')}]`,
    );
  }
  return original(args);
}

/** `maxPool3d`, `avgPool3d`: a window of at least 1×1×1 (TF.js pooled over nothing: zeros). */
function pool3d(name: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { filterSize } = args.attrs as unknown as { filterSize: number | [number, number, number] };
  const size = typeof filterSize === 'number' ? [filterSize, filterSize, filterSize] : filterSize;
  if (size.some((k) => !(k >= 1))) {
    throw new RangeError(`${name}: the pooling window must be at least 1×1×1, got ${size.join('×')}`);
  }
  return original(args);
}

/**
 * `conv2dTranspose(x, filter, outputShape, ...)` (the kernel `Conv2DBackpropInput`): the output shape must be whole
 * numbers of at least 1, and the convolution it undoes must take it back to the input's size, as TensorFlow checks.
 * TF.js computed something for a shape that disagrees, and its wasm kernel read outside the heap for a negative one.
 */
function convTranspose(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { dy, filter } = args.inputs as unknown as { dy: tf.Tensor4D; filter: tf.Tensor4D };
  const attrs = args.attrs as unknown as {
    inputShape: [number, number, number, number];
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const shape = attrs.inputShape;
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 1)) {
    throw new RangeError(`conv2dTranspose: the output shape ${list(shape)} must be whole numbers of at least 1`);
  }
  const last = attrs.dataFormat !== 'NCHW';
  const info = tf.backend_util.computeConv2DInfo(
    shape,
    filter.shape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    last ? 'channelsLast' : 'channelsFirst',
  );
  const [h, w] = last ? [dy.shape[1], dy.shape[2]] : [dy.shape[2], dy.shape[3]];
  if (info.outHeight !== h || info.outWidth !== w) {
    const strides = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : attrs.strides;
    const pad = typeof attrs.pad === 'string' ? `'${attrs.pad}'` : JSON.stringify(attrs.pad);
    throw new RangeError(
      `conv2dTranspose: the output shape ${list(shape)} gives ${info.outHeight}×${info.outWidth} through the ` +
        `convolution it undoes (strides ${list(strides)}, padding ${pad}), where its input is ${h}×${w}`,
    );
  }
  return original(args);
}

/** What a windowed kernel (a convolution or pooling) is, for {@link windowFits}. */
type Window = 'conv' | 'depthwise' | 'pool' | 'conv3d' | 'pool3d';

/**
 * A convolution or pooling whose (dilated) window is larger than its padded input: TensorFlow refuses it ("Computed
 * output size would be negative"); TF.js made a tensor of negative shape (`[1, -1, -1, c]`), which later kernels read
 * outside their tensors (on wasm a mean of one read outside the heap, others looped without end). An output of size 0
 * (a window one larger than the input) is allowed, as in TensorFlow: its shape is returned, for the caller to make the
 * empty output itself (wasm's convolution wrote past an empty output, and the heap broke when it was freed); null
 * when the output has elements.
 */
function windowFits(name: string, kind: Window, args: Args): number[] | null {
  const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter?: tf.TensorInfo };
  const a = args.attrs as unknown as {
    strides: number | number[];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dilations?: number | number[];
    filterSize?: number | number[];
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dataFormat?: string;
  };
  let info: { outShape: readonly number[]; effectiveFilterHeight: number; effectiveFilterWidth: number };
  let inner: number[];
  try {
    if (kind === 'conv3d' || kind === 'pool3d') {
      const shape = x.shape as [number, number, number, number, number];
      const first = a.dataFormat === 'NCDHW';
      info =
        kind === 'conv3d'
          ? tf.backend_util.computeConv3DInfo(
              shape,
              filter!.shape as [number, number, number, number, number],
              a.strides as [number, number, number],
              (a.dilations ?? 1) as [number, number, number],
              a.pad as 'same' | 'valid',
            )
          : tf.backend_util.computePool3DInfo(
              shape,
              a.filterSize as [number, number, number],
              a.strides as [number, number, number],
              1,
              a.pad as 'same' | 'valid',
              a.dimRoundingMode,
              first ? 'NCDHW' : 'NDHWC',
            );
      inner = first ? shape.slice(2, 5) : shape.slice(1, 4);
    } else {
      const shape = x.shape as [number, number, number, number];
      const format = a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
      info =
        kind === 'pool'
          ? tf.backend_util.computePool2DInfo(
              shape,
              a.filterSize as [number, number],
              a.strides as [number, number],
              1,
              a.pad,
              a.dimRoundingMode,
            )
          : tf.backend_util.computeConv2DInfo(
              shape,
              filter!.shape as [number, number, number, number],
              a.strides as [number, number],
              (a.dilations ?? 1) as [number, number],
              a.pad,
              a.dimRoundingMode,
              kind === 'depthwise',
              format,
            );
      inner = format === 'channelsFirst' ? shape.slice(2, 4) : shape.slice(1, 3);
    }
  } catch {
    return null; // arguments TF.js refuses itself: the kernel beneath says why
  }
  if (info.outShape.every((d) => d > 0)) return null;
  if (info.outShape.every((d) => d >= 0)) return [...info.outShape];
  const depth = (info as { effectiveFilterDepth?: number }).effectiveFilterDepth;
  const window = [depth, info.effectiveFilterHeight, info.effectiveFilterWidth].filter((d) => d !== undefined);
  throw new RangeError(
    `${name}: the window ${window.join('×')} does not fit the input ${inner.join('×')} with this padding (the output ` +
      `would be ${list(info.outShape)})`,
  );
}

/** An output of no elements, of `shape`, made by the backend without running the kernel. */
function emptyOutput(args: Args, shape: number[]): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  type Make = (s: number[], d: tf.DataType) => tf.TensorInfo;
  const backend = args.backend as unknown as { makeTensorInfo?: Make; makeOutput?: Make };
  // wasm's backend makes its outputs with makeOutput; the others with makeTensorInfo.
  const make = backend.makeTensorInfo ?? backend.makeOutput;
  return make!.call(backend, shape, x.dtype);
}

/**
 * A reduction (`sum`, `mean`, `max`, `min`, `prod`, `all`, `any`) over axes that name one axis twice: TensorFlow
 * refuses it ("Axes contains duplicate dimension"); TF.js's cpu kernels reduced over the wrong axes (the mean of a
 * 2×3 tensor of ones over `[1, 1]` was 0.667), its wasm kernels reduced once (1), and WebGPU's built a transpose
 * shader that does not compile and returned a scalar 0. A reversal along such axes too (TensorFlow: "specified more
 * than once"): TF.js's kernels flipped once for each, so `reverse(x, [0, 0])` gave `x`.
 */
function assertDistinctAxes(name: string, args: Args): void {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    axis?: number | number[];
    reductionIndices?: number | number[];
    dims?: number | number[];
  };
  const given = attrs.axis ?? attrs.reductionIndices ?? attrs.dims;
  if (!Array.isArray(given) || given.length < 2) return;
  const seen = new Set<number>();
  for (const a of given) {
    const at = a < 0 ? a + x.shape.length : a;
    if (seen.has(at)) throw new RangeError(`${name}: the axes ${list(given)} name the axis ${at} twice`);
    seen.add(at);
  }
}

/**
 * `localResponseNormalization(x, depthRadius)`: TensorFlow refuses a negative radius (its `LRN` kernel bounds it to
 * 0 and up); TF.js summed over an empty window and divided by the bias alone.
 */
function lrn(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { depthRadius } = args.attrs as unknown as { depthRadius: number };
  if (!(depthRadius >= 0)) {
    throw new RangeError(`localResponseNormalization: the depth radius must be at least 0, got ${depthRadius}`);
  }
  return original(args);
}

/** Puts the checks in front of TF.js's kernels (and the library's fixes) on every backend that registered them. */
export function checkKernelArguments(): void {
  for (const backend of BACKEND_NAMES) {
    replaceKernel(tf.GatherNd, backend, 'argumentChecks', (original) => (args) => gatherNd(backend, args, original));
    replaceKernel(tf.ScatterNd, backend, 'argumentChecks', (original) => (args) => scatterNd(backend, args, original));
    replaceKernel(
      tf.SparseToDense,
      backend,
      'argumentChecks',
      (original) => (args) => sparseToDense(backend, args, original),
    );
    replaceKernel(
      tf.TensorScatterUpdate,
      backend,
      'argumentChecks',
      (original) => (args) => tensorScatterUpdate(backend, args, original),
    );
    replaceKernel(
      tf.CropAndResize,
      backend,
      'argumentChecks',
      (original) => (args) => cropAndResize(backend, args, original),
    );
    replaceKernel(tf.Slice, backend, 'argumentChecks', (original) => (args) => slice(args, original));
    replaceKernel(tf.ResizeBilinear, backend, 'argumentChecks', (original) => (args) => resizeBilinear(args, original));
    replaceKernel(tf.Transpose, backend, 'argumentChecks', (original) => (args) => transpose(args, original));
    for (const [kernel, name] of [
      [tf.Sum, 'sum'],
      [tf.Mean, 'mean'],
      [tf.Max, 'max'],
      [tf.Min, 'min'],
      [tf.Prod, 'prod'],
      [tf.All, 'all'],
      [tf.Any, 'any'],
      [tf.Reverse, 'reverse'],
    ] as const) {
      replaceKernel(kernel, backend, 'argumentChecks', (original) => (args) => {
        assertDistinctAxes(name, args);
        return original(args);
      });
    }
    for (const [kernel, name] of [
      [tf.Bincount, 'bincount'],
      [tf.DenseBincount, 'denseBincount'],
    ] as const) {
      replaceKernel(kernel, backend, 'argumentChecks', (original) => (args) => bincount(name, backend, args, original));
    }
    replaceKernel(tf.SpaceToBatchND, backend, 'argumentChecks', (original) => (args) => spaceToBatch(args, original));
    replaceKernel(
      tf.Conv2DBackpropInput,
      backend,
      'argumentChecks',
      (original) => (args) => convTranspose(args, original),
    );
    replaceKernel(tf.MaxPool3D, backend, 'argumentChecks', (original) => (args) => {
      const empty = windowFits('maxPool3d', 'pool3d', args);
      return empty ? emptyOutput(args, empty) : pool3d('maxPool3d', args, original);
    });
    replaceKernel(tf.AvgPool3D, backend, 'argumentChecks', (original) => (args) => {
      const empty = windowFits('avgPool3d', 'pool3d', args);
      return empty ? emptyOutput(args, empty) : pool3d('avgPool3d', args, original);
    });
    for (const [kernel, name, kind] of [
      [tf.Conv2D, 'conv2d', 'conv'],
      [tf.FusedConv2D, 'conv2d', 'conv'],
      [tf.DepthwiseConv2dNative, 'depthwiseConv2d', 'depthwise'],
      [tf.FusedDepthwiseConv2D, 'depthwiseConv2d', 'depthwise'],
      [tf.MaxPool, 'maxPool', 'pool'],
      [tf.AvgPool, 'avgPool', 'pool'],
      [tf.Conv3D, 'conv3d', 'conv3d'],
    ] as const) {
      replaceKernel(kernel, backend, 'argumentChecks', (original) => (args) => {
        const empty = windowFits(name, kind, args);
        return empty ? emptyOutput(args, empty) : original(args);
      });
    }
    replaceKernel(tf.LRN, backend, 'argumentChecks', (original) => (args) => lrn(args, original));
    for (const kernel of [tf.TopK, tf.Reshape, tf.SplitV, tf.OneHot]) {
      replaceKernel(kernel, backend, 'argumentChecks', (original) => (args) => wholeAttrs(kernel, args, original));
    }
  }
}
