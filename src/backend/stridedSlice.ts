/**
 * TensorFlow's strided slice (`x[1:, ..., -1]`, `x[::-1, 0]`, `x[:, None, 2]`), read as TensorFlow reads it, and a
 * fix of TF.js's kernels, which compute some otherwise. TF.js 4.22's `StridedSlice` kernels (cpu, wasm and WebGPU
 * alike) go wrong when a shrunk axis (an index such as `-1` or `2`) meets a strided or backward axis, an ellipsis
 * after other axes, or a negative index, and on an empty slice: other numbers than TensorFlow's without an error
 * (`x[:, 2, 3:4:2]` of a `[3, 4, 5]` tensor gives the values at `x[:, 0, 2]`), values read from outside the tensor
 * on wasm, or a failure; and the wasm kernel returns an integer tensor sliced with a stride above 1 as float32, its
 * bits unchanged.
 * The fix computes such a slice as TensorFlow does ({@link stridedSliceSpec}) from a contiguous slice, gathers and
 * reversals, and leaves TF.js's kernel the slices it computes right. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES } from './backendNames.js';
import { asKernelResult, replaceKernel } from './kernelReplacement.js';

/** A strided slice's attributes, as TensorFlow's graph (and TF.js's `StridedSlice` kernel) carries them. */
export interface StridedSliceAttrs {
  begin: readonly number[];
  end: readonly number[];
  strides?: readonly number[];
  beginMask?: number;
  endMask?: number;
  ellipsisMask?: number;
  newAxisMask?: number;
  shrinkAxisMask?: number;
}

/** What a strided slice reads along each input axis, and the shape it gives. */
export interface StridedSliceSpec {
  /** Per input axis: the first position read (0-based, in range when `count` > 0). */
  begin: number[];
  /** Per input axis: the step between positions read (negative: backward). */
  stride: number[];
  /** Per input axis: how many positions are read. */
  count: number[];
  /** The result's shape: `count` without the shrunk axes, with a 1 for each new axis. */
  shape: number[];
}

/**
 * What a strided slice of a tensor of `shape` reads, by TensorFlow's rules (its `ValidateStridedSliceOp`): an
 * ellipsis stands for the axes no other entry names (an implicit one at the end), a new axis adds a 1, a shrunk axis
 * reads one position (a negative index counts from the end) and disappears, a masked begin or end is the start or end
 * in the stride's direction, other begins and ends are clamped to the axis.
 *
 * @throws {RangeError} for a stride of 0, a shrunk index outside its axis, a shrunk axis with a stride other than
 *   positive, two ellipses, or more entries than the tensor has axes: TensorFlow's refusals too.
 */
export function stridedSliceSpec(shape: readonly number[], attrs: StridedSliceAttrs): StridedSliceSpec {
  const bit = (mask: number | undefined, i: number) => ((mask ?? 0) & (2 ** i)) !== 0;
  const n = attrs.begin.length;
  const strides = attrs.strides ?? attrs.begin.map(() => 1);
  // The entries, with the implicit ellipsis at the end when none is given.
  const hasEllipsis = Array.from({ length: n }, (_, i) => bit(attrs.ellipsisMask, i)).some(Boolean);
  const entries = n + (hasEllipsis ? 0 : 1);
  const isEllipsis = (i: number) => (i === n ? !hasEllipsis : bit(attrs.ellipsisMask, i));
  const isNew = (i: number) => i < n && !isEllipsis(i) && bit(attrs.newAxisMask, i);
  let named = 0;
  let newAfterEllipsis = 0;
  let seenEllipsis = false;
  for (let i = 0; i < entries; i++) {
    if (isEllipsis(i) && seenEllipsis) throw new RangeError('a strided slice may have one ellipsis only');
    if (isEllipsis(i)) seenEllipsis = true;
    else if (isNew(i)) newAfterEllipsis += seenEllipsis ? 1 : 0;
    else named++;
  }
  const rank = shape.length;
  if (named > rank) {
    throw new RangeError(`a strided slice names ${named} axes of a tensor of rank ${rank}`);
  }
  const spec: StridedSliceSpec = { begin: [], stride: [], count: [], shape: [] };
  let axis = 0;
  for (let i = 0; i < entries; i++) {
    if (isEllipsis(i)) {
      const last = Math.min(rank - (entries - i) + 1 + newAfterEllipsis, rank);
      for (; axis < last; axis++) {
        spec.begin.push(0);
        spec.stride.push(1);
        spec.count.push(shape[axis]);
        spec.shape.push(shape[axis]);
      }
      continue;
    }
    if (isNew(i)) {
      spec.shape.push(1);
      continue;
    }
    const d = shape[axis];
    const s = strides[i];
    if (!Number.isInteger(s) || s === 0)
      throw new RangeError(`a strided slice's stride must be a non-zero integer, got ${s}`);
    if (bit(attrs.shrinkAxisMask, i)) {
      const at = attrs.begin[i] < 0 ? d + attrs.begin[i] : attrs.begin[i];
      if (s <= 0) throw new RangeError(`a strided slice's index (axis ${axis}) needs a positive stride, got ${s}`);
      if (at < 0 || at >= d) {
        throw new RangeError(`a strided slice's index ${attrs.begin[i]} is outside axis ${axis} of size ${d}`);
      }
      spec.begin.push(at);
      spec.stride.push(1);
      spec.count.push(1);
    } else {
      // Positions read lie in [lo, hi] (inclusive); a masked end goes one past the last in the stride's direction.
      const [lo, hi] = s > 0 ? [0, d] : [-1, d - 1];
      const place = (x: number, masked: boolean, isBegin: boolean) => {
        if (masked) return s > 0 === isBegin ? lo : hi;
        const fwd = x < 0 ? d + x : x;
        return Math.min(Math.max(fwd, lo), hi);
      };
      const b = place(attrs.begin[i], bit(attrs.beginMask, i), true);
      const e = place(attrs.end[i], bit(attrs.endMask, i), false);
      const span = e - b;
      const count = span === 0 || span < 0 !== s < 0 ? 0 : Math.ceil(span / s);
      spec.begin.push(count > 0 ? b : 0);
      spec.stride.push(s);
      spec.count.push(count);
      spec.shape.push(count);
    }
    axis++;
  }
  return spec;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Whether TF.js's kernel computes this slice right as it is: one entry per axis, no masks, begins and ends within
 * their axes, and positive strides, all 1 unless the tensor is float32 (the wasm kernel returns an int32 or bool
 * tensor sliced with a larger stride as float32, its bits unchanged: 37 reads as 5.2e-44) and, on WebGPU and WebGL,
 * of rank 4 or less.
 */
function plain(x: tf.Tensor, a: StridedSliceAttrs, backend: string): boolean {
  const { shape } = x;
  if (a.begin.length !== shape.length || a.end.length !== shape.length) return false;
  if (a.beginMask || a.endMask || a.ellipsisMask || a.newAxisMask || a.shrinkAxisMask) return false;
  // WebGPU's strided shader indexes a vector WGSL lacks at rank 6 (`vec6`): zeros without an error; WebGL's failed to
  // compile from rank 5.
  const strides = x.dtype === 'float32' && !((backend === 'webgpu' || backend === 'webgl') && shape.length > 4);
  return shape.every((d, i) => {
    const s = a.strides?.[i] ?? 1;
    return (s === 1 || (s > 1 && strides)) && a.begin[i] >= 0 && a.begin[i] < a.end[i] && a.end[i] <= d;
  });
}

/**
 * The slice by {@link stridedSliceSpec}, from operations TF.js gets right on every backend and dtype: one contiguous
 * slice, then every `stride`-th position of each strided axis gathered, each backward axis reversed.
 */
function fixedStridedSlice(
  args: KernelArgs,
  backend: string,
  original: tf.KernelFunc,
): tf.TensorInfo | tf.TensorInfo[] {
  const x = args.inputs.x as tf.Tensor;
  const attrs = args.attrs as unknown as StridedSliceAttrs;
  if (x.dtype === 'string' || plain(x, attrs, backend)) return original(args);
  const spec = stridedSliceSpec(x.shape, attrs);
  const out = tf.tidy(() => {
    if (spec.count.some((c) => c === 0)) return tf.zeros(spec.shape, x.dtype);
    const step = spec.stride.map(Math.abs);
    // Each axis from its lowest position read to its highest.
    const low = spec.begin.map((b, i) => (spec.stride[i] > 0 ? b : b - (spec.count[i] - 1) * step[i]));
    let y = tf.slice(
      x,
      low,
      spec.count.map((c, i) => (c - 1) * step[i] + 1),
    );
    step.forEach((k, i) => {
      if (k > 1 && spec.count[i] > 1) y = tf.gather(y, tf.range(0, spec.count[i] * k, k, 'int32'), i);
    });
    const backward = spec.stride.flatMap((s, i) => (s < 0 && spec.count[i] > 1 ? [i] : []));
    if (backward.length > 0) y = tf.reverse(y, backward);
    return tf.reshape(y, spec.shape);
  });
  return asKernelResult(args.backend, out);
}

/**
 * Puts the fixed `StridedSlice` in place of TF.js's on every backend that has registered one (each backend registers
 * its kernels when it is first imported, so this runs again before every pass; a lookup per backend once in place).
 * Every strided slice in the process then reads its attributes as TensorFlow does; one TF.js reads right goes to
 * TF.js's kernel unchanged.
 */
export function fixStridedSlice(): void {
  for (const backend of BACKEND_NAMES) {
    replaceKernel(
      tf.StridedSlice,
      backend,
      'stridedSlice',
      (original) => (args) => fixedStridedSlice(args, backend, original),
    );
  }
}
