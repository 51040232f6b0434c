/**
 * TF.js 4.22's WebGPU and WebGL kernels on tensors of rank 5 and 6, whose shaders stop at rank 4 or, on WebGPU, index
 * vectors WGSL does not have (`vec5`, `vec6`). On WebGPU, padding, constant and mirrored, built a shader that does not
 * compile, so the result was zeros without an error (3-D convolutional networks pad rank-5 tensors); a reversal failed
 * with "Size(360) must match the product of shape 4,5,3,2", `where` and running sums with "... for rank 5 is not yet
 * supported", a batch-to-space or space-to-batch with more than one trailing axis with "not implemented yet", and a
 * tile of rank 6 read its input synchronously (which Node.js cannot). On WebGL the same kernels but the tile failed,
 * padding with "Failed to compile fragment shader", and clipping (the library's WebGL clip chooses with `where`). Each
 * runs here as the same kernel on the tensor folded to rank 3 around one axis at a time (`[before, axis, after]`), or,
 * for `where`, flattened: shapes the shaders handle. `argMax` of rank 6 and `broadcastTo` to rank 6 on WebGPU, which
 * use those kernels, follow. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asKernelResult, replaceKernel } from './kernelReplacement.js';

type Args = Parameters<tf.KernelFunc>[0];

/** The lowest rank the shaders above mishandle. */
const HIGH_RANK = 5;

const product = (dims: readonly number[]) => dims.reduce((p, q) => p * q, 1);

/**
 * Whether `x` is a tensor of rank 5 or more as the engine hands a kernel: a fix of the library's nested inside these
 * (`webgpuKernelFixes.ts`) passes on its own intermediate results, which are not tensors and go to TF.js's kernel.
 */
const high = (x: tf.TensorInfo | undefined): x is tf.Tensor => x instanceof tf.Tensor && x.rank >= HIGH_RANK;

/**
 * `x` with `op` applied along each of `axes` in turn, each time to `x` folded to `[before, axis, after]`; `op` gives
 * the folded result, whose middle axis is that axis's new length.
 */
function alongAxes(
  x: tf.Tensor,
  axes: readonly number[],
  op: (folded: tf.Tensor3D, axis: number) => tf.Tensor,
): tf.Tensor {
  let y = x;
  for (const axis of axes) {
    const shape = y.shape;
    const folded = tf.reshape(y, [product(shape.slice(0, axis)), shape[axis], product(shape.slice(axis + 1))]);
    const z = op(folded as tf.Tensor3D, axis);
    y = tf.reshape(z, [...shape.slice(0, axis), z.shape[1] as number, ...shape.slice(axis + 1)]);
  }
  return y;
}

/** A kernel's result made of TF.js operations on its input `x`, when `x` is of rank 5 or more; TF.js's otherwise. */
function folding(compute: (x: tf.Tensor, args: Args) => tf.Tensor) {
  return (original: tf.KernelFunc) =>
    (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
      const x = args.inputs.x;
      if (!high(x)) return original(args);
      return asKernelResult(
        args.backend,
        tf.tidy(() => compute(x as tf.Tensor, args)),
      );
    };
}

type Paddings = [number, number][];

const padded = (paddings: Paddings) => paddings.flatMap(([a, b], axis) => (a !== 0 || b !== 0 ? [axis] : []));

const pad = folding((x, { attrs }) => {
  const { paddings, constantValue } = attrs as unknown as { paddings: Paddings; constantValue: number };
  return alongAxes(x, padded(paddings), (f, axis) => tf.pad(f, [[0, 0], paddings[axis], [0, 0]], constantValue));
});

const mirrorPad = folding((x, { attrs }) => {
  const { paddings, mode } = attrs as unknown as { paddings: Paddings; mode: 'reflect' | 'symmetric' };
  return alongAxes(x, padded(paddings), (f, axis) => tf.mirrorPad(f, [[0, 0], paddings[axis], [0, 0]], mode));
});

const reverse = folding((x, { attrs }) => {
  const { dims } = attrs as unknown as { dims: number | number[] };
  const axes = tf.util.parseAxisParam(dims, x.shape).filter((a) => x.shape[a] > 1);
  return alongAxes(x, [...new Set(axes)], (f) => tf.reverse(f, 1));
});

const tile = folding((x, { attrs }) => {
  const { reps } = attrs as unknown as { reps: number[] };
  const axes = reps.flatMap((r, axis) => (r !== 1 ? [axis] : []));
  return alongAxes(x, axes, (f, axis) => tf.tile(f, [1, reps[axis], 1]));
});

function running(name: string) {
  return folding((x, { attrs }) => {
    const { axis, exclusive, reverse } = attrs as unknown as { axis: number; exclusive: boolean; reverse: boolean };
    const at = axis < 0 ? axis + x.rank : axis;
    const op = name === tf.Cumsum ? tf.cumsum : tf.cumprod;
    return alongAxes(x, [at], (f) => op(f, 1, exclusive, reverse));
  });
}

/** `where(condition, t, e)`: elementwise on tensors of one shape, or rows of `t` and `e` by a vector `condition`. */
function select(original: tf.KernelFunc) {
  return (args: Args): tf.TensorInfo | tf.TensorInfo[] => {
    const { condition, t, e } = args.inputs as unknown as Record<'condition' | 't' | 'e', tf.Tensor>;
    if (!high(t)) return original(args);
    // A vector condition (TensorFlow 1's Select) picks rows: [n, 1] against [n, rest].
    const vector = condition.rank === 1;
    const rows = vector ? [t.shape[0], -1] : [-1];
    const picks = vector ? [-1, 1] : [-1];
    const out = tf.tidy(() =>
      tf.reshape(tf.where(tf.reshape(condition, picks), tf.reshape(t, rows), tf.reshape(e, rows)), t.shape),
    );
    return asKernelResult(args.backend, out);
  };
}

interface BlockAttrs {
  blockShape: number[];
  /** `crops` of a batch-to-space, `paddings` of a space-to-batch. */
  crops?: number[][];
  paddings?: number[][];
}

/**
 * A batch-to-space or space-to-batch with one or two block axes: the axes after them folded into one. With more
 * block axes no rank helps: TF.js's refusal.
 */
function blocks(toSpace: boolean) {
  return (original: tf.KernelFunc) => {
    const folded = folding((x, { attrs }) => {
      const { blockShape, crops, paddings } = attrs as unknown as BlockAttrs;
      const lead = x.shape.slice(0, blockShape.length + 1);
      const rest = x.shape.slice(blockShape.length + 1);
      const x3 = tf.reshape(x, [...lead, product(rest)]);
      const y = toSpace
        ? tf.batchToSpaceND(x3, blockShape, crops as number[][])
        : tf.spaceToBatchND(x3, blockShape, paddings as [number, number][]);
      return tf.reshape(y, [...y.shape.slice(0, lead.length), ...rest]);
    })(original);
    return (args: Args) =>
      (args.attrs as unknown as BlockAttrs).blockShape.length > 2 ? original(args) : folded(args);
  };
}

/**
 * Puts the folded kernels in place of TF.js's on WebGPU and WebGL (once their kernels are registered); every tensor of
 * rank 4 or less goes to TF.js's kernel unchanged.
 */
export function foldHighRanks(): void {
  for (const [name, wrap] of [
    [tf.PadV2, pad],
    [tf.MirrorPad, mirrorPad],
    [tf.Reverse, reverse],
    [tf.Tile, tile],
    [tf.Cumsum, running(tf.Cumsum)],
    [tf.Cumprod, running(tf.Cumprod)],
    [tf.Select, select],
    [tf.BatchToSpaceND, blocks(true)],
    [tf.SpaceToBatchND, blocks(false)],
  ] as const) {
    for (const backend of ['webgpu', 'webgl']) replaceKernel(name, backend, 'highRankKernels', wrap);
  }
}
