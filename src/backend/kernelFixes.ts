/**
 * Fixes of TF.js 4.22 kernels that answer otherwise than TensorFlow without an error, on the backends where they do:
 * `FloorDiv` of float32 tensors on cpu and WebGPU, integer division by zero (`FloorDiv`, `Mod`) where the divisor is in
 * CPU memory, integer division past 2^24 on wasm, int32 `Abs`, `Neg` and `Square` past 2^24 on cpu or wasm,
 * nearest-neighbour resizes of int32 images on every backend, running sums and products along a negative axis on every
 * backend (and along inner axes on WebGPU), paddings, multiples and pooling windows that TensorFlow refuses and TF.js
 * computed with, int32 one-hot values (cpu) and pad constants (wasm) past 2^24, pooling windows far longer than the
 * image on wasm, einsums with a label summed in one operand alone (and none on wasm), projective image transforms
 * (`tf.image.transform`: later images, reflection, nearest sampling), batched matrix products whose batches both
 * broadcast (and of int32 on wasm), segment sums (int32 on cpu, none on wasm), batch normalization by parameters along
 * another axis than the last (cpu, wasm), and `atan2` of zeros (WebGPU, WebGL), `log1p` below -1 and clipping beside a
 * NaN (WebGL). Each wraps TF.js's kernel and hands it every case it gets right; `guardBackends` puts them in when a
 * backend starts and before every pass. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertWholeNumbers, readsValues } from './argumentChecks.js';
import { BACKEND_NAMES } from './backendNames.js';
import { einsum, tfjsEinsumRight } from './einsum.js';
import { projectiveTransform, type TransformAttrs } from './imageTransform.js';
import { asKernelResult, hasKernels, replaceKernel, takenInTurn, tfjsKernels } from './kernelReplacement.js';

type Args = Parameters<tf.KernelFunc>[0];

/**
 * TensorFlow refuses to divide integers by zero ("Integer division by zero"); TF.js's kernels answered 0 (cpu, and
 * WebGPU where it computes small tensors on the CPU), -2147483648 (wasm's `FloorDiv`, WebGPU's shaders) or trapped
 * ("remainder by zero", wasm's `Mod`). Throws before the kernel runs where the divisor's values are in CPU memory (cpu,
 * wasm; on WebGPU and WebGL a model's constants and a shape's arithmetic, see `readsValues`); a divisor a shader wrote
 * is left unread. An empty result divides nothing, and passes. Returns the divisor's values where it read them.
 */
function assertNoIntegerZero(
  name: string,
  backend: string,
  kernel: unknown,
  a: tf.Tensor,
  b: tf.Tensor,
): tf.TypedArray | undefined {
  if (a.dtype !== 'int32' || b.dtype !== 'int32' || !readsValues(backend, kernel, b)) return undefined;
  if (tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape).includes(0)) return undefined;
  const divisor = b.dataSync();
  const at = divisor.indexOf(0);
  if (at >= 0) {
    throw new RangeError(`${name}: integer division by zero (element ${at} of the divisor), which TensorFlow refuses`);
  }
  return divisor;
}

/**
 * TF.js's cpu and WebGPU `FloorDiv` return int32 whatever their inputs: for float32 ones, 7.5 / 2 is 3 as it
 * should be, but 1 / 0 is 0 (TensorFlow: Infinity), 0 / 0 is 0 (NaN) and 3e9 / 1 wraps to -1294967296. A float
 * division is `floor(a / b)` here, in float32, as TensorFlow's (wasm's kernel does so already); int32 division is
 * TF.js's, by a divisor without zeros, except on wasm past 2^24 (see `exactIntFloorDiv`).
 */
function floorDiv(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  if (a.dtype === 'int32' && b.dtype === 'int32') {
    const divisor = assertNoIntegerZero('floorDiv', backend, args.backend, a, b);
    if (backend === 'wasm' && beyondFloat32([a.dataSync(), divisor ?? b.dataSync()])) {
      return exactIntFloorDiv(args.backend, a, b);
    }
    return original(args);
  }
  if (backend === 'wasm') return original(args);
  return asKernelResult(
    args.backend,
    tf.tidy(() => tf.floor(tf.div(a, b))),
  );
}

/** Whether int32 values hold one float32 cannot hold exactly (beyond ±2^24). */
function beyondFloat32(values: readonly tf.TypedArray[]): boolean {
  return values.some((v) => (v as Int32Array).some((x) => x > 16777216 || x < -16777216));
}

/**
 * TF.js's wasm `FloorDiv` of int32 tensors divides in float32: past 2^24 the quotient lost digits (16777217 / 1 gave
 * 16777216, 2147483647 / 1 gave -2147483648). Where an operand is that large, the quotient is computed here in
 * float64, exact for every int32 pair, over the operands broadcast to the result's shape.
 */
function exactIntFloorDiv(backend: Args['backend'], a: tf.Tensor, b: tf.Tensor): tf.TensorInfo {
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const [x, y] = tf.tidy(() => [tf.broadcastTo(a, shape).dataSync(), tf.broadcastTo(b, shape).dataSync()]);
  const q = new Int32Array(x.length);
  for (let i = 0; i < q.length; i++) q[i] = Math.floor(x[i] / y[i]);
  return asKernelResult(backend, tf.tensor(q, shape, 'int32'));
}

/** `Mod` of int32 tensors by a divisor without zeros (see `assertNoIntegerZero`); floats are TF.js's (NaN for 0). */
function mod(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  assertNoIntegerZero('mod', backend, args.backend, a, b);
  return original(args);
}

/**
 * TF.js's int32 `Abs` (cpu and wasm), `Neg` (wasm) and `Square` (cpu) compute in float32: past 2^24 a value lost its
 * low digits (abs(16777217) gave 16777216, abs(2147483647) gave -2147483648, 4097² gave 16785408). They are made
 * here of int32 operations these backends compute exactly (a subtraction from 0, a choice, a product), wrapping at
 * 2^31 as TensorFlow does. Other dtypes, and these kernels elsewhere, are TF.js's.
 */
function exactIntUnary(
  name: 'Abs' | 'Neg' | 'Square',
  args: Args,
  original: tf.KernelFunc,
): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (x.dtype !== 'int32') return original(args);
  const out = tf.tidy(() => {
    if (name === 'Square') return tf.mul(x, x);
    const negated = tf.sub(tf.zerosLike(x), x);
    return name === 'Neg' ? negated : tf.where(tf.less(x, tf.zerosLike(x)), negated, x);
  });
  return asKernelResult(args.backend, out);
}

/**
 * TF.js resizes an int32 image by nearest neighbour through float32 on every backend: a value past 2^24 loses its low
 * digits (16777217 comes back 16777216, 2147483647 as -2147483648), and on wasm the result is float32. (WebGPU keeps
 * int32 in float32 in its gathers too: there values are exact to 2^24, as in its other int32 kernels.) The positions
 * each output pixel copies are taken here from TF.js's own resize of a float32 ramp of row and column numbers (exact
 * in float32, and so the same positions as a float32 image gets, with each option), and the pixels are gathered from
 * the image: every value exact, the result int32. Other dtypes are TF.js's. A size below 1 is refused, as TensorFlow
 * refuses it (see `argumentChecks.ts`).
 */
function resizeNearestInt32(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { images } = args.inputs as unknown as { images: tf.Tensor4D };
  const { alignCorners, halfPixelCenters, size } = args.attrs as unknown as {
    alignCorners: boolean;
    halfPixelCenters: boolean;
    size: [number, number];
  };
  if (!(size[0] >= 1 && size[1] >= 1)) {
    throw new RangeError(`resizeNearestNeighbor: the size must be at least 1×1, got ${size[0]}×${size[1]}`);
  }
  assertWholeNumbers('resizeNearestNeighbor', 'the size', size, 1);
  if (images.dtype !== 'int32') return original(args);
  const out = tf.tidy(() => {
    const [, h, w] = images.shape;
    const positions = (n: number, rampShape: [number, number, number, number], to: [number, number], k: number) =>
      tf.cast(
        tf.reshape(
          tf.image.resizeNearestNeighbor(
            tf.reshape(tf.range(0, n, 1, 'float32'), rampShape) as tf.Tensor4D,
            to,
            alignCorners,
            halfPixelCenters,
          ),
          [k],
        ),
        'int32',
      );
    const rows = positions(h, [1, h, 1, 1], [size[0], 1], size[0]);
    const columns = positions(w, [1, 1, w, 1], [1, size[1]], size[1]);
    return tf.gather(tf.gather(images, rows, 1), columns, 2);
  });
  return asKernelResult(args.backend, out);
}

/**
 * TensorFlow's running sums and products take an axis from `-rank` to `rank - 1`; TF.js 4.22's kernels take only the
 * non-negative ones, without checking: along axis -1 the cpu kernel returned a tensor of shape `[undefined, 2]`, wasm's
 * read and wrote outside its tensors ("memory access out of bounds"), WebGPU's asked for a buffer of negative size. A
 * negative axis is counted from the end here, and one out of range refused as TensorFlow refuses it. WebGPU's kernels
 * are also wrong along any axis but the last (int32 sums came back as float bits) and whenever reversed (the sums of
 * `[1, 2, 3]` from the end gave `[3, 2, 3]`): there the axis is moved last by a transpose and a reversed sum runs
 * forward over the reversed values, where the kernels are right, and both are undone after.
 */
function running(name: string, backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const { axis, exclusive, reverse } = args.attrs as unknown as { axis: number; exclusive: boolean; reverse: boolean };
  const rank = x.rank;
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new RangeError(
      `${name === tf.Cumsum ? 'cumsum' : 'cumprod'}: axis ${axis} is out of range for a tensor of rank ${rank} ` +
        (rank > 0 ? `(from ${-rank} to ${rank - 1})` : '(it needs at least one axis)'),
    );
  }
  const at = axis < 0 ? axis + rank : axis;
  if (backend !== 'webgpu' || (at === rank - 1 && !reverse)) {
    return original({ ...args, attrs: { ...args.attrs, axis: at } });
  }
  const last = rank - 1;
  const order = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== at), at];
  const back = order.map((_, i) => order.indexOf(i));
  const op = name === tf.Cumsum ? tf.cumsum : tf.cumprod;
  const out = tf.tidy(() => {
    let y = at === last ? x : tf.transpose(x, order);
    if (reverse) y = tf.reverse(y, last);
    y = op(y, last, exclusive, false);
    if (reverse) y = tf.reverse(y, last);
    return at === last ? y : tf.transpose(y, back);
  });
  return asKernelResult(args.backend, out);
}

/**
 * Paddings as TensorFlow takes them: one pair of whole numbers of at least 0 for each axis of `x`. TensorFlow refuses
 * a negative one ("Paddings must be non-negative"), which TF.js's `PadV2` cropped the tensor by instead; a fractional
 * one gave a tensor of another size on each backend (NaN where `MirrorPad` read between elements on cpu), and fewer
 * pairs than axes a result of lower rank. Each throws a `RangeError` here, before any allocation.
 */
function assertPaddings(name: string, x: tf.Tensor, paddings: readonly (readonly number[])[]): void {
  const pair = (p: readonly number[]) =>
    Array.isArray(p) && p.length === 2 && p.every((v) => Number.isSafeInteger(v) && v >= 0);
  if (paddings.length !== x.rank || !paddings.every(pair)) {
    const shown = paddings.map((p) => (Array.isArray(p) ? `[${p.join(', ')}]` : String(p))).join(', ');
    throw new RangeError(
      `${name}: paddings must be a pair of whole numbers of at least 0 for each of the ${x.rank} axes, got [${shown}]`,
    );
  }
}

/** `pad`: paddings checked ({@link assertPaddings}), and an int32 constant beyond float32 on wasm filled in exactly. */
function pad(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { paddings, constantValue } = args.attrs as unknown as { paddings: [number, number][]; constantValue: number };
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  assertPaddings('pad', x, paddings);
  if (backend === 'wasm' && x.dtype === 'int32' && Math.abs(constantValue) > 2 ** 24) {
    // wasm's kernel writes an int32 constant through float32 (16777217 came back 16777216): padded with 0, and the
    // constant filled in where the padding is.
    const out = tf.tidy(() => {
      const zeroPadded = tf.pad(x, paddings, 0);
      const inside = tf.pad(tf.onesLike(x), paddings, 0);
      return tf.where(tf.equal(inside, 1), zeroPadded, tf.fill(zeroPadded.shape, constantValue, 'int32'));
    });
    return asKernelResult(args.backend, out);
  }
  return original(args);
}

/**
 * `denseBincount` with `binaryOutput`: TF.js's cpu kernel counted a vector's values (2 for a value seen twice) and its
 * WebGPU kernel gave zeros. Here each row's values one-hot encoded (a value past `size` encodes to nothing, as
 * TensorFlow leaves it out), and 1 wherever one of them is. Counting is TF.js's.
 */
function binaryBincount(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { size, binaryOutput } = args.attrs as unknown as { size: number; binaryOutput?: boolean };
  if (!binaryOutput) return original(args);
  const { x, weights } = args.inputs as unknown as { x: tf.Tensor; weights: tf.Tensor };
  const out = tf.tidy(() => {
    const seen = tf.max(tf.oneHot(tf.cast(x, 'int32'), size, 1, 0, 'int32'), x.rank - 1);
    return tf.cast(seen, weights.dtype);
  });
  return asKernelResult(args.backend, out);
}

/**
 * An int32 one-hot encoding whose on or off value is past 2^24: TF.js's cpu kernel wrote them through float32
 * (16777217 came back 16777216). Encoded with 1 and 0, and the values filled in; every other encoding is TF.js's.
 */
function oneHotInt32(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { indices } = args.inputs as unknown as { indices: tf.Tensor };
  const { depth, onValue, offValue, dtype } = args.attrs as unknown as {
    depth: number;
    onValue: number;
    offValue: number;
    dtype: tf.DataType;
  };
  if (dtype !== 'int32' || (Math.abs(onValue) <= 2 ** 24 && Math.abs(offValue) <= 2 ** 24)) return original(args);
  const out = tf.tidy(() => {
    const hot = tf.oneHot(indices, depth, 1, 0, 'int32');
    return tf.where(tf.equal(hot, 1), tf.fill(hot.shape, onValue, 'int32'), tf.fill(hot.shape, offValue, 'int32'));
  });
  return asKernelResult(args.backend, out);
}

/**
 * TensorFlow refuses a negative multiple for `Tile` ("Expected multiples argument to be non-negative"); TF.js's cpu
 * kernel failed on the shape it made, and its wasm kernel never returned (a graph asking for one hung the process).
 * Refused here, before any allocation.
 */
function tileNonNegative(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { reps } = args.attrs as unknown as { reps: number[] };
  if (reps.some((r) => !(r >= 0))) throw new RangeError(`tile: multiples must be at least 0, got [${reps.join(', ')}]`);
  assertWholeNumbers('tile', 'multiples', reps, 0);
  return original(args);
}

/**
 * Pooling windows. TensorFlow refuses a window of size 0 ("Sliding window ksize must be positive"); TF.js's kernels
 * computed over no pixels (-Infinity for a maximum): refused here, before any allocation. And TF.js's wasm kernels
 * read outside the heap ("memory access out of bounds") for a `'same'` window of 16,384 or more over an 8×8 image,
 * and gave zeros for larger ones: on wasm, an axis whose every window covers the whole of it (the padding on each
 * side reaches past the last window's start, as for any window much longer than the image) is reduced first, with
 * the maximum or the mean, pooled with a window of 1 along it, and the result repeated to the output's length. The
 * numbers are TensorFlow's: each window of such an axis holds exactly the axis's pixels.
 */
function poolWindow(
  name: 'maxPool' | 'avgPool',
  backend: string,
  args: Args,
  original: tf.KernelFunc,
): tf.TensorInfo | tf.TensorInfo[] {
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: unknown;
  };
  const [h, w] = typeof attrs.filterSize === 'number' ? [attrs.filterSize, attrs.filterSize] : attrs.filterSize;
  if (!(h >= 1 && w >= 1)) {
    throw new RangeError(`${name}: the pooling window must be at least 1×1, got ${h}×${w}`);
  }
  const { x } = args.inputs as unknown as { x: tf.Tensor4D };
  if (backend !== 'wasm' || attrs.pad !== 'same' || x.rank !== 4) return original(args);
  // TF.js's reading of the pooling (TensorFlow's 'same' padding): an axis is covered whole when the padding on each
  // side reaches past the last window's start.
  const info = tf.backend_util.computePool2DInfo(x.shape, [h, w], attrs.strides, 1, 'same');
  const { padInfo, outHeight: outH, outWidth: outW, strideHeight: sh, strideWidth: sw } = info;
  const rows = h > x.shape[1] && Math.min(padInfo.top, padInfo.bottom) >= (outH - 1) * sh;
  const cols = w > x.shape[2] && Math.min(padInfo.left, padInfo.right) >= (outW - 1) * sw;
  if (!rows && !cols) return original(args);
  const out = tf.tidy(() => {
    const reduce = name === 'maxPool' ? tf.max : tf.mean;
    let y: tf.Tensor4D = x;
    if (rows) y = reduce(y, 1, true) as tf.Tensor4D;
    if (cols) y = reduce(y, 2, true) as tf.Tensor4D;
    const pool = name === 'maxPool' ? tf.maxPool : tf.avgPool;
    y = pool(y, [rows ? 1 : h, cols ? 1 : w], [rows ? 1 : sh, cols ? 1 : sw], 'same');
    return tf.tile(y, [1, rows ? outH : 1, cols ? outW : 1, 1]);
  });
  return asKernelResult(args.backend, out);
}

/**
 * `tf.einsum` as TensorFlow computes it (`einsum.ts`) where TF.js's kernel answers wrong (a label summed in one operand
 * alone, see `tfjsEinsumRight`) or refuses (an ellipsis, a diagonal, three operands); TF.js's kernel for the rest.
 * Without `original` (wasm, which has no einsum kernel), always the library's.
 */
function einsumKernel(args: Args, original?: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const operands = args.inputs as unknown as tf.Tensor[];
  const { equation } = args.attrs as unknown as { equation: string };
  const ranks = operands.map((x) => x.rank);
  if (original && tfjsEinsumRight(equation, ranks)) return original(args);
  return asKernelResult(
    args.backend,
    tf.tidy(() => einsum(equation, operands)),
  );
}

/**
 * `unsortedSegmentSum(x, segmentIds, numSegments)` over the values (in CPU memory on cpu and wasm): rows of `x` added
 * into their segment's row, rows of a negative segment left out, and a segment id at or past `numSegments` refused, as
 * TensorFlow. TF.js's cpu kernel returned int32 sums as float32 (inexact past 2^24); its wasm backend had no kernel.
 * Int32 sums wrap as int32's do; float sums are added in float64 and rounded once.
 */
function segmentSum(args: Args): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as unknown as { x: tf.Tensor; segmentIds: tf.Tensor };
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  const inner = x.shape.slice(segmentIds.rank).reduce((p, q) => p * q, 1);
  const [xs, ids] = [x.dataSync(), segmentIds.dataSync()];
  const int = x.dtype === 'int32';
  const sums = int ? new Int32Array(numSegments * inner) : new Float64Array(numSegments * inner);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0) continue;
    if (id >= numSegments) {
      throw new RangeError(
        `unsortedSegmentSum: segment id ${id} (element ${i}) is not below numSegments ${numSegments}`,
      );
    }
    for (let j = 0; j < inner; j++) {
      const at = id * inner + j;
      sums[at] = int ? (sums[at] + xs[i * inner + j]) | 0 : sums[at] + xs[i * inner + j];
    }
  }
  const shape = [numSegments, ...x.shape.slice(segmentIds.rank)];
  return asKernelResult(args.backend, tf.tensor(int ? sums : Float32Array.from(sums), shape, x.dtype));
}

/**
 * Kernels for TF.js's wasm backend, which has none of them: einsum (`tf.einsum`, which Keras's attention layers in
 * tfjs-layers call, failed there with "Kernel 'Einsum' not registered") and `unsortedSegmentSum`. Put in once the
 * backend has registered its kernels.
 */
function registerWasmKernels(): void {
  if (!hasKernels('wasm')) return;
  if (!tf.getKernel(tf.Einsum, 'wasm')) {
    tf.registerKernel({ kernelName: tf.Einsum, backendName: 'wasm', kernelFunc: (args) => einsumKernel(args) });
  }
  if (!tf.getKernel(tf.UnsortedSegmentSum, 'wasm')) {
    tf.registerKernel({ kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: segmentSum });
  }
}

/**
 * A batched product of int32 matrices, exact with int32's wraparound, as TensorFlow's; for wasm, whose kernel refuses
 * int32 ("BatchMatMul for non non-float32 tensors not yet supported": the attention face mesh of human-models repeats
 * indices with an int32 `MatMul`). Each operand's batch is the result's (`batch`) or 1. The values are in CPU memory.
 */
function intMatMul(a: tf.Tensor, b: tf.Tensor, batch: number[], transposeA: boolean, transposeB: boolean): tf.Tensor {
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const [m, k, n] = [transposeA ? ca : ra, transposeA ? ra : ca, transposeB ? rb : cb];
  const [av, bv] = [a.dataSync(), b.dataSync()];
  const count = batch.reduce((p, q) => p * q, 1);
  const [strideA, strideB] = [av.length > ra * ca ? ra * ca : 0, bv.length > rb * cb ? rb * cb : 0];
  const out = new Int32Array(count * m * n);
  for (let t = 0; t < count; t++) {
    const [oa, ob] = [t * strideA, t * strideB];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const x = av[oa + (transposeA ? p * ca + i : i * ca + p)];
          const y = bv[ob + (transposeB ? j * cb + p : p * cb + j)];
          sum = (sum + Math.imul(x, y)) | 0;
        }
        out[(t * m + i) * n + j] = sum;
      }
    }
  }
  return tf.tensor(out, [...batch, m, n], 'int32');
}

/**
 * A batched matrix product whose operands' batch axes both broadcast (`[2, 1, m, k]` by `[1, 3, k, n]`): TF.js's cpu
 * and wasm kernels paired other matrices than the broadcast ones (other numbers, no error), and its WebGPU kernel sized
 * the result from one operand's batch ("Size(18) must match the product of shape 2,3,3,2"). Such operands are
 * broadcast to the result's batch axes first; int32 products on wasm are `intMatMul`'s; every other product is TF.js's.
 */
function batchMatMul(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  const size = (dims: readonly number[]) => dims.reduce((p, q) => p * q, 1);
  const [batchA, batchB] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const batch = tf.broadcast_util.assertAndGetBroadcastShape(batchA, batchB);
  const n = size(batch);
  const fits = (dims: number[]) => size(dims) === n || size(dims) === 1;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (fits(batchA) && fits(batchB)) {
    if (backend === 'wasm' && a.dtype === 'int32' && b.dtype === 'int32') {
      return asKernelResult(args.backend, intMatMul(a, b, batch, transposeA, transposeB));
    }
    return original(args);
  }
  const full = (t: tf.Tensor, dims: number[]) =>
    size(dims) === n ? t : tf.broadcastTo(t, [...batch, ...t.shape.slice(-2)]);
  return asKernelResult(
    args.backend,
    tf.tidy(() => tf.matMul(full(a, batchA), full(b, batchB), transposeA, transposeB)),
  );
}

/**
 * Batch normalization (`tf.batchNorm`, Keras's BatchNormalization) whose mean, variance, scale or offset lies along
 * another axis than the last: TF.js 4.22's cpu and wasm kernels take each parameter's values in turn along the flat
 * tensor, so a channels-first layer (`axis: 1`, parameters [1, c, 1, 1]) gave the channels' values to the columns,
 * without an error (WebGL and WebGPU broadcast them). There those calls run on the parameters broadcast to the input's
 * shape, with TF.js's own formula. A parameter that does not broadcast to the input's shape is refused on every
 * backend (cpu and wasm read it in turn anyway). Every other call is TF.js's.
 */
function batchNormAlongAxis(backend: string, args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x, ...params } = args.inputs as unknown as Record<string, tf.Tensor | undefined> & { x: tf.Tensor };
  const given = Object.entries(params).filter((e): e is [string, tf.Tensor] => e[1] !== undefined);
  for (const [name, p] of given) {
    const fits = p.rank <= x.rank && p.shape.every((d, i) => d === 1 || d === x.shape[x.rank - p.rank + i]);
    if (!fits) {
      throw new RangeError(
        `batchNorm: the ${name} of shape [${p.shape.join(', ')}] does not broadcast to the input's shape ` +
          `[${x.shape.join(', ')}]`,
      );
    }
  }
  if ((backend !== 'cpu' && backend !== 'wasm') || given.every(([, p]) => takenInTurn(p.shape, x.shape))) {
    return original(args);
  }
  const full = given.map(([name, p]) => [name, tf.broadcastTo(p, x.shape)] as const);
  try {
    return original({ ...args, inputs: { ...args.inputs, ...Object.fromEntries(full) } });
  } finally {
    tf.dispose(full.map(([, t]) => t));
  }
}

/**
 * `atan2(y, x)` for a zero `y`, as TensorFlow (C's `atan2`): `y` itself (±0) toward a positive `x` or +0, and ±π
 * (the sign of `y`'s) toward a negative `x` or -0. TF.js's shaders gave ±3π/4 for two zeros on WebGPU and, on WebGL, 0 for
 * two zeros and π for atan2(-0, 0.75) (WGSL and GLSL leave these undefined); every other pair is TF.js's. A number's
 * sign, a zero's included, is read as the sign of its reciprocal.
 */
function atan2OfZeros(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  const out = tf.tidy(() => {
    const raw = tfjsKernels(() => tf.atan2(a, b));
    const full = (t: tf.Tensor) => tf.broadcastTo(t, raw.shape);
    const negative = (t: tf.Tensor) => tf.less(tf.div(1, full(t)), 0);
    const pi = tf.where(negative(a), tf.fill(raw.shape, -Math.PI), tf.fill(raw.shape, Math.PI));
    const atZero = tf.where(negative(b), pi, full(a));
    return tf.where(tf.logicalAnd(tf.equal(full(a), 0), tf.logicalNot(tf.isNaN(full(b)))), atZero, raw);
  });
  return asKernelResult(args.backend, out);
}

/**
 * A float division on WebGL: TF.js's shader answers 1 wherever the operands are equal (for an exact `x / x`), so 0/0,
 * -0/0 and Infinity/Infinity gave 1 instead of NaN. Those are NaN here, as IEEE division and TensorFlow give; every
 * other quotient is TF.js's.
 */
function divOfEquals(args: Args): tf.TensorInfo {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  const out = tf.tidy(() => {
    const raw = tfjsKernels(() => tf.div(a, b));
    const zeros = tf.logicalAnd(tf.equal(a, 0), tf.equal(b, 0));
    const infinities = tf.logicalAnd(tf.isInf(a), tf.isInf(b));
    return tf.where(tf.logicalOr(zeros, infinities), tf.fill(raw.shape, Number.NaN), raw);
  });
  return asKernelResult(args.backend, out);
}

/**
 * `cropAndResize` on WebGL from a batch of several images: TF.js's shader checked each box's image index, then read
 * the image at the box's own position in the list (box 0 from image 0, whatever its index said). Here every box is
 * cropped from each image in turn (a batch of one, which TF.js reads right), and each keeps the crop of the image its
 * index names; a box whose index names no image stays 0, as TF.js leaves it. A batch of one image is TF.js's.
 */
function cropsByIndex(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { image, boxes, boxInd } = args.inputs as unknown as Record<'image' | 'boxes' | 'boxInd', tf.Tensor>;
  const n = image.shape[0];
  if (n === 1) return original(args);
  const { cropSize, method, extrapolationValue } = args.attrs as unknown as {
    cropSize: [number, number];
    method: 'bilinear' | 'nearest';
    extrapolationValue: number;
  };
  const numBoxes = boxes.shape[0];
  const out = tf.tidy(() => {
    const zeros = tf.zeros([numBoxes], 'int32') as tf.Tensor1D;
    let result: tf.Tensor = tf.zeros([numBoxes, ...cropSize, image.shape[3] as number]);
    for (let i = 0; i < n; i++) {
      const one = tf.slice(image, i, 1) as tf.Tensor4D;
      const crops = tfjsKernels(() =>
        tf.image.cropAndResize(one, boxes as tf.Tensor2D, zeros, cropSize, method, extrapolationValue),
      );
      result = tf.where(tf.reshape(tf.equal(boxInd, i), [numBoxes, 1, 1, 1]), crops, result);
    }
    return result;
  });
  return asKernelResult(args.backend, out);
}

/**
 * An int32 one-hot encoding on WebGL with a fractional on or off value: TF.js's kernel rounded it (2.5 gave 3), where
 * its cpu and wasm kernels truncate (2). Truncated here first.
 */
function oneHotTruncated(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const attrs = args.attrs as unknown as { onValue: number; offValue: number; dtype: tf.DataType };
  if (attrs.dtype !== 'int32') return original(args);
  const { onValue, offValue } = attrs;
  return original({ ...args, attrs: { ...args.attrs, onValue: Math.trunc(onValue), offValue: Math.trunc(offValue) } });
}

/**
 * `log(x)` of 0 is -Infinity, of a negative number or NaN NaN, as in TensorFlow; GLSL and WGSL leave these undefined,
 * and in Chromium without a GPU (SwiftShader) TF.js's WebGL and WebGPU shaders gave -88 for 0, and WebGPU's 89 for NaN.
 * Corrected there; every other value is TF.js's.
 */
function logOfZero(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const out = tf.tidy(() => {
    const raw = tfjsKernels(() => tf.log(x));
    const atZero = tf.where(tf.equal(x, 0), tf.fill(x.shape, Number.NEGATIVE_INFINITY), raw);
    return tf.where(tf.logicalOr(tf.less(x, 0), tf.isNaN(x)), tf.fill(x.shape, Number.NaN), atZero);
  });
  return asKernelResult(args.backend, out);
}

/**
 * `log1p(x)` below -1 is NaN and at -1 is -Infinity, as in TensorFlow; TF.js's WebGL shader gave log |1 + x| (GLSL
 * leaves the logarithm of 0 and of a negative number undefined): -1.5 gave -0.69, -1 gave -88, and so did its WebGPU
 * shader in Chromium without a GPU. Corrected there; every other value is TF.js's.
 */
function log1pBelowMinusOne(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const out = tf.tidy(() => {
    const raw = tfjsKernels(() => tf.log1p(x));
    const atMinusOne = tf.where(tf.equal(x, -1), tf.fill(x.shape, Number.NEGATIVE_INFINITY), raw);
    return tf.where(tf.less(x, -1), tf.fill(x.shape, Number.NaN), atMinusOne);
  });
  return asKernelResult(args.backend, out);
}

/**
 * A float clipping on WebGL by comparisons: TF.js's packed shader left every value of a texel holding a NaN unclipped
 * (`[NaN, -5]` clipped to [-1, 1] gave `[NaN, -5]`). NaN stays NaN, as in TensorFlow. Int32 clipping is TF.js's.
 */
function clipBesideNaN(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  if (x.dtype !== 'float32') return original(args);
  const { clipValueMin, clipValueMax } = args.attrs as unknown as { clipValueMin: number; clipValueMax: number };
  const out = tf.tidy(() => {
    const above = tf.where(tf.less(x, clipValueMin), tf.fill(x.shape, clipValueMin), x);
    return tf.where(tf.greater(above, clipValueMax), tf.fill(x.shape, clipValueMax), above);
  });
  return asKernelResult(args.backend, out);
}

/** `tf.image.transform` as TensorFlow computes it (`imageTransform.ts`), on every backend, in place of TF.js's. */
function transform(args: Args): tf.TensorInfo {
  const { image, transforms } = args.inputs as unknown as { image: tf.Tensor4D; transforms: tf.Tensor2D };
  const attrs = args.attrs as unknown as TransformAttrs;
  return asKernelResult(
    args.backend,
    tf.tidy(() => projectiveTransform(image, transforms, attrs)),
  );
}

/**
 * Puts the fixes in place of TF.js's kernels: `Abs` on cpu and wasm, `Neg` on wasm, `Square` on cpu; `FloorDiv`,
 * `Mod`, `ResizeNearestNeighbor`, `Cumsum`, `Cumprod`, `PadV2`, `MirrorPad`, `Tile`, `MaxPool`, `AvgPool`, `Einsum`, `Transform` and
 * `BatchMatMul` on every backend that has registered them, a binary `DenseBincount` on all but wasm, `Atan2`, `Log`
 * and `Log1p` on WebGPU and WebGL, `ClipByValue`, `RealDiv`, `OneHot` and `CropAndResize` on WebGL,
 * `UnsortedSegmentSum` and `OneHot` of int32 on cpu, and `Einsum` and `UnsortedSegmentSum` kernels on wasm. Registered
 * in TF.js's kernel registry, so every such operation in the process gets TensorFlow's values (or refusal) from then
 * on; a lookup per kernel once in place.
 */
export function fixKernels(): void {
  for (const [name, backends] of [
    [tf.Abs, ['cpu', 'wasm']],
    [tf.Neg, ['wasm']],
    [tf.Square, ['cpu']],
  ] as const) {
    for (const backend of backends) {
      replaceKernel(name, backend, 'kernelFixes', (original) => (args) => exactIntUnary(name, args, original));
    }
  }
  for (const backend of BACKEND_NAMES) {
    replaceKernel(tf.FloorDiv, backend, 'kernelFixes', (original) => (args) => floorDiv(backend, args, original));
    replaceKernel(tf.Mod, backend, 'kernelFixes', (original) => (args) => mod(backend, args, original));
    replaceKernel(
      tf.ResizeNearestNeighbor,
      backend,
      'kernelFixes',
      (original) => (args) => resizeNearestInt32(args, original),
    );
    for (const name of [tf.Cumsum, tf.Cumprod]) {
      replaceKernel(name, backend, 'kernelFixes', (original) => (args) => running(name, backend, args, original));
    }
    replaceKernel(tf.PadV2, backend, 'kernelFixes', (original) => (args) => pad(backend, args, original));
    replaceKernel(tf.MirrorPad, backend, 'kernelFixes', (original) => (args) => {
      const { x } = args.inputs as unknown as { x: tf.Tensor };
      assertPaddings('mirrorPad', x, (args.attrs as unknown as { paddings: number[][] }).paddings);
      return original(args);
    });
    replaceKernel(tf.Tile, backend, 'kernelFixes', (original) => (args) => tileNonNegative(args, original));
    replaceKernel(
      tf.MaxPool,
      backend,
      'kernelFixes',
      (original) => (args) => poolWindow('maxPool', backend, args, original),
    );
    replaceKernel(
      tf.AvgPool,
      backend,
      'kernelFixes',
      (original) => (args) => poolWindow('avgPool', backend, args, original),
    );
    replaceKernel(tf.Einsum, backend, 'kernelFixes', (original) => (args) => einsumKernel(args, original));
    replaceKernel(tf.Transform, backend, 'kernelFixes', () => transform);
    replaceKernel(tf.BatchMatMul, backend, 'kernelFixes', (original) => (args) => batchMatMul(backend, args, original));
    replaceKernel(
      tf.FusedBatchNorm,
      backend,
      'kernelFixes',
      (original) => (args) => batchNormAlongAxis(backend, args, original),
    );
    if (backend !== 'wasm')
      replaceKernel(tf.DenseBincount, backend, 'kernelFixes', (original) => (args) => binaryBincount(args, original));
    if (backend === 'webgpu' || backend === 'webgl') {
      replaceKernel(tf.Atan2, backend, 'kernelFixes', () => atan2OfZeros);
      replaceKernel(tf.Log, backend, 'kernelFixes', () => logOfZero);
      replaceKernel(tf.Log1p, backend, 'kernelFixes', () => log1pBelowMinusOne);
    }
    if (backend === 'webgl') {
      replaceKernel(tf.ClipByValue, backend, 'kernelFixes', (original) => (args) => clipBesideNaN(args, original));
      replaceKernel(tf.RealDiv, backend, 'kernelFixes', () => divOfEquals);
      replaceKernel(tf.CropAndResize, backend, 'kernelFixes', (original) => (args) => cropsByIndex(args, original));
      replaceKernel(tf.OneHot, backend, 'kernelFixes', (original) => (args) => oneHotTruncated(args, original));
    }
    if (backend === 'cpu') {
      replaceKernel(tf.OneHot, backend, 'kernelFixes', (original) => (args) => oneHotInt32(args, original));
      replaceKernel(
        tf.UnsortedSegmentSum,
        backend,
        'kernelFixes',
        (original) => (args) =>
          (args.inputs.x as tf.TensorInfo).dtype === 'int32' ? segmentSum(args) : original(args),
      );
    }
  }
  registerWasmKernels();
}
