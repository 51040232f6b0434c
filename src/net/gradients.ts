/**
 * Gradients for the operations `differentiable.ts` runs a network with, on every backend, with only the package's
 * peer dependencies. tfjs-core's Node build registers no gradient at all (the union package `@tensorflow/tfjs` does),
 * and the fused convolution of a graph model computes its filter's gradient even when only the input's is needed,
 * which the wasm backend cannot (it has no Conv2DBackpropFilter). The configs below are registered for the kernels
 * that have none; gradients someone else registered are left alone. Each input's gradient is computed only when asked
 * for: a convolution's filter gradient never runs when the filter is a constant. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asKernelResult, hasKernels, replacedKernel } from '../backend/kernelReplacement.js';
import { type StridedSliceAttrs, stridedSliceSpec } from '../backend/stridedSlice.js';
import { dilateKernel, kernelTaps } from './dilation.js';
import { einsumGradient } from '../backend/einsum.js';
import { ensureWasmKernels, WASM_COL2IM, WASM_GRAD_KERNELS, WASM_MAXPOOL_GRAD, WASM_SPREAD } from './wasmKernels.js';

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;

/** Sums `dy` down to `shape` (the axes broadcasting added or stretched), for the gradient of a broadcasting op. */
function reduceTo(dy: tf.Tensor, shape: readonly number[]): tf.Tensor {
  let g = dy;
  const lead = g.rank - shape.length;
  if (lead > 0)
    g = tf.sum(
      g,
      Array.from({ length: lead }, (_, i) => i),
    );
  const axes = shape.flatMap((d, i) => (d === 1 && g.shape[i] !== 1 ? [i] : []));
  if (axes.length > 0) g = tf.sum(g, axes, true);
  return tf.reshape(g, shape as number[]);
}

/** The axes a reduction's `axis` attribute names, non-negative (null or undefined: all of them). */
function reducedAxes(axis: unknown, rank: number): number[] {
  if (axis == null) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(axis) ? axis : [axis]).map((a) => ((a as number) + rank) % rank);
}

/** `dy` of a reduction over `axis` back to the input's shape (each input element gets its output's gradient). */
function unreduce(dy: tf.Tensor, xShape: readonly number[], axis: unknown): tf.Tensor {
  const axes = reducedAxes(axis, xShape.length);
  const kept = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, kept), tf.ones(xShape as number[]));
}

/**
 * `t` [n, h, w, c] with `sh - 1` rows and `sw - 1` columns of zeros after each of its cells: [n, h·sh, w·sw, c]
 * (the last row and column of zeros included: the caller pads or crops once, and a crop of a large tensor costs as
 * much as the spreading itself on wasm).
 */
function spreadByStride(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  let out = t;
  // Rank-4 steps only (WebGPU's pad takes at most rank 4): rows, then columns.
  if (sh > 1) {
    const [n, h, w, c] = out.shape;
    const rows = tf.pad(tf.reshape(out, [n, h, 1, w * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
    out = tf.reshape(rows, [n, h * sh, w, c]);
  }
  if (sw > 1) {
    const [n, h, w, c] = out.shape;
    const cols = tf.pad(tf.reshape(out, [n * h, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    out = tf.reshape(cols, [n, h, w * sw, c]);
  }
  return out;
}

/**
 * The input gradient of a 'valid' max pooling with elementwise operations (any padding: {@link paddedMaxPoolInputGrad}):
 * for each offset of the window, in row-major order, the outputs whose maximum sits there (and at no earlier offset)
 * send their gradient back to it.
 * The same routing as TF's MaxPoolGrad (each window's first maximum), for webgpu and webgl, whose kernels send a tied
 * maximum's gradient to another of the tied cells. It costs several times the kernel. The cpu backend uses its
 * kernel. TF.js's wasm kernel drops the gradient of some windows next to padding (measured: a tiny network's input
 * gradient off by 200% against central differences): wasm has a one-pass kernel of ours (wasmKernels.ts).
 */
function maxPoolInputGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  [kh, kw]: [number, number],
  [sh, sw]: [number, number],
): tf.Tensor {
  const [n, H, W, c] = x.shape;
  const [, oh, ow] = y.shape;
  // The gradient is gathered on the stride's phase grids (rows ph, ph + sh, ...; columns pw, pw + sw, ...), each the
  // size of the output plus the kernel's overhang, and interleaved into the input's shape once at the end.
  const Hp = Math.ceil(H / sh);
  const Wp = Math.ceil(W / sw);
  const grids: tf.Tensor[][] = Array.from({ length: sh }, () =>
    Array.from({ length: sw }, () => tf.zeros([n, Hp, Wp, c])),
  );
  // x on the same phase grids: phases[ph][pw] = x[:, ph::sh, pw::sw], by reshapes and plain slices. (A strided slice
  // per window offset was the obvious way; wasm's StridedSlice kernel took 70% of a deep-dream step.)
  const xPadded = tf.pad(x, [
    [0, 0],
    [0, Hp * sh - H],
    [0, Wp * sw - W],
    [0, 0],
  ]);
  const byRows = tf.reshape(xPadded, [n, Hp, sh, Wp * sw * c]);
  const phases = Array.from({ length: sh }, (_, ph) => {
    const rows = tf.reshape(tf.slice(byRows, [0, 0, ph, 0], [n, Hp, 1, Wp * sw * c]), [n * Hp, Wp, sw, c]);
    return Array.from({ length: sw }, (_, pw) =>
      tf.reshape(tf.slice(rows, [0, 0, pw, 0], [n * Hp, Wp, 1, c]), [n, Hp, Wp, c]),
    );
  });
  let taken: tf.Tensor = tf.zerosLike(y);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const [ph, qh, pw, qw] = [i % sh, Math.floor(i / sh), j % sw, Math.floor(j / sw)];
      // x[:, i + a·sh, j + b·sw] for the output's a, b: rows qh + a and columns qw + b of that phase grid.
      const xs = tf.slice(phases[ph][pw], [0, qh, qw, 0], [n, oh, ow, c]);
      const here = tf.mul(tf.cast(tf.equal(xs, y), 'float32'), tf.sub(1, taken));
      taken = tf.add(taken, here);
      const placed = tf.pad(tf.mul(dy, here), [
        [0, 0],
        [qh, Hp - qh - oh],
        [qw, Wp - qw - ow],
        [0, 0],
      ]);
      grids[ph][pw] = tf.add(grids[ph][pw], placed);
    }
  }
  // Interleave with rank-3 and rank-4 operations (WebGPU): columns within each row phase, then the row phases.
  const rowsByPhase = grids.map((row) =>
    tf.reshape(
      tf.concat(
        row.map((g) => tf.reshape(g, [n * Hp * Wp, 1, c])),
        1,
      ),
      [n, Hp, Wp * sw, c],
    ),
  );
  const all = tf.concat(
    rowsByPhase.map((g) => tf.reshape(g, [n * Hp, 1, Wp * sw * c])),
    1,
  );
  const full = tf.reshape(all, [n, Hp * sh, Wp * sw, c]);
  return tf.slice(full, [0, 0, 0, 0], [n, H, W, c]);
}

/** Whether the wasm kernels of `wasmKernels.ts` apply to these tensors: the wasm backend, float32 only. */
const onWasm = (...tensors: tf.Tensor[]) => tf.getBackend() === 'wasm' && tensors.every((t) => t.dtype === 'float32');

/**
 * {@link maxPoolInputGrad} for any padding: the input padded with -Infinity (never a window's maximum) is pooled
 * 'valid', and the gradient of the padding is cut off.
 */
function paddedMaxPoolInputGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D, attrs: Attrs): tf.Tensor {
  const info = tf.backend_util.computePool2DInfo(
    x.shape,
    attrs.filterSize as [number, number],
    attrs.strides as [number, number],
    1,
    attrs.pad as 'valid',
    attrs.dimRoundingMode as 'floor' | undefined,
  );
  const { top, bottom, left, right } = info.padInfo;
  const kernel: [number, number] = [info.filterHeight, info.filterWidth];
  const strides: [number, number] = [info.strideHeight, info.strideWidth];
  if (top + bottom + left + right === 0) return maxPoolInputGrad(dy, x, y, kernel, strides);
  const paddings: [number, number][] = [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
  const padded = tf.pad(x, paddings, Number.NEGATIVE_INFINITY);
  return tf.slice(maxPoolInputGrad(dy, padded, y, kernel, strides), [0, top, left, 0], x.shape);
}

const pair = (v: unknown): [number, number] => (typeof v === 'number' ? [v, v] : (v as [number, number]));

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Attrs) =>
  tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

/**
 * Unpack's gradient: the parts' gradients stacked back. TF.js's own stacks `dy` as it comes, which breaks when there is
 * one part (the engine hands a lone gradient over bare, not in a list: a batch of 1 unstacked) and when a part is
 * unused (its gradient is null); here a lone gradient is a list of one and an unused part's is zeros.
 */
const UNPACK: tf.GradConfig = {
  kernelName: tf.Unpack,
  gradFunc: (dy, _saved, attrs: Attrs) => {
    const parts = (Array.isArray(dy) ? dy : [dy]) as (tf.Tensor | null)[];
    const like = parts.find((p) => p != null) as tf.Tensor;
    return {
      value: () =>
        tf.stack(
          parts.map((p) => p ?? tf.zerosLike(like)),
          attrs.axis as number,
        ),
    };
  },
};

/**
 * SplitV's gradient, for graphs run without TF.js's gradients (MoveNet MultiPose splits its offsets): the parts'
 * gradients concatenated back, an unused part's (null) as zeros.
 */
const SPLIT: tf.GradConfig = {
  kernelName: tf.SplitV,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
    const axis = ((attrs.axis as number) + x.rank) % x.rank;
    const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits as number | number[], axis);
    const parts = (Array.isArray(dy) ? dy : [dy]) as (tf.Tensor | null)[];
    return {
      x: () =>
        tf.concat(
          sizes.map((size, i) => parts[i] ?? tf.zeros(x.shape.map((d, j) => (j === axis ? size : (d as number))))),
          axis,
        ),
    };
  },
};

/**
 * TopK's gradient, which TF.js lacks (MoveNet MultiPose keeps its six best people with it): each kept value's
 * gradient back at the position it was taken from (along the last axis), with a scatter.
 */
const TOP_K: tf.GradConfig = {
  kernelName: tf.TopK,
  inputsToSave: ['x'],
  outputsToSave: [false, true],
  gradFunc: (dy, [x, indices]: Saved) => ({
    x: () => {
      const values = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor | null;
      if (values == null) return tf.zeros(x.shape);
      const n = x.shape[x.rank - 1] as number;
      const k = indices.shape[indices.rank - 1] as number;
      const rows = x.size / Math.max(1, n);
      // (row, index) pairs, scattered: linear in the sizes.
      const idx = tf.reshape(indices, [rows, k]);
      const pairs = tf.stack([tf.mul(tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1]), tf.onesLike(idx)), idx], 2);
      const g = tf.scatterND(tf.reshape(pairs, [rows * k, 2]), tf.reshape(values, [rows * k]), [rows, n]);
      return tf.reshape(g, x.shape);
    },
  }),
};

/**
 * `cropAndResize`'s gradient with respect to the image, which TF.js has none of (Keras's `CenterCrop` and two-stage
 * detectors crop so): each output cell's gradient goes back to the image cells it was read from, with the weights it
 * read them with (bilinear: the four around the sampling point; nearest: the one TF.js's kernel rounds to), the
 * positions computed as TF.js's kernel computes them (TensorFlow's formula), cells sampled outside the image
 * (`extrapolationValue`) sending none. Built of tensor operations, so no box is read back from a GPU; a scatter adds
 * a cell read twice. The boxes' own gradient is not implemented: a network whose boxes come from the image says so.
 */
const CROP_AND_RESIZE: tf.GradConfig = {
  kernelName: tf.CropAndResize,
  inputsToSave: ['image', 'boxes', 'boxInd'],
  gradFunc: (dy, [image, boxes, boxInd]: Saved, attrs: Attrs) => ({
    image: () => {
      const g = dy as tf.Tensor4D;
      const [n, h, w, c] = image.shape as [number, number, number, number];
      const [b, ch, cw] = g.shape;
      const method = attrs.method === 'nearest' ? 'nearest' : 'bilinear';
      const [y1, x1, y2, x2] = tf.unstack(boxes, 1);
      // Sampling positions along one axis: [b, cells], and whether each is inside the image.
      const along = (lo: tf.Tensor, hi: tf.Tensor, size: number, cells: number) => {
        const pos =
          cells > 1
            ? tf.add(
                tf.expandDims(tf.mul(lo, size - 1), 1),
                tf.mul(tf.range(0, cells), tf.expandDims(tf.div(tf.mul(tf.sub(hi, lo), size - 1), cells - 1), 1)),
              )
            : tf.tile(tf.expandDims(tf.mul(tf.mul(tf.add(lo, hi), 0.5), size - 1), 1), [1, cells]);
        const inside = tf.logicalAnd(tf.greaterEqual(pos, 0), tf.lessEqual(pos, size - 1));
        return { pos, inside };
      };
      const ys = along(y1, y2, h, ch);
      const xs = along(x1, x2, w, cw);
      const inside = tf.cast(tf.logicalAnd(tf.expandDims(ys.inside, 2), tf.expandDims(xs.inside, 1)), 'float32');
      const clampIndex = (t: tf.Tensor, size: number) => tf.cast(tf.clipByValue(t, 0, size - 1), 'int32');
      // Each corner: [row index [b, ch], column index [b, cw], weight [b, ch, cw]].
      const corners: [tf.Tensor, tf.Tensor, tf.Tensor][] = [];
      if (method === 'nearest') {
        // TF.js rounds half up (Math.round); positions inside the image are at least 0.
        const round = (t: tf.Tensor) => tf.floor(tf.add(t, 0.5));
        corners.push([clampIndex(round(ys.pos), h), clampIndex(round(xs.pos), w), inside]);
      } else {
        const top = tf.floor(ys.pos);
        const left = tf.floor(xs.pos);
        const dyl = tf.expandDims(tf.sub(ys.pos, top), 2);
        const dxl = tf.expandDims(tf.sub(xs.pos, left), 1);
        const [bottom, right] = [tf.ceil(ys.pos), tf.ceil(xs.pos)];
        for (const [row, wy] of [
          [top, tf.sub(1, dyl)],
          [bottom, dyl],
        ] as const) {
          for (const [col, wx] of [
            [left, tf.sub(1, dxl)],
            [right, dxl],
          ] as const) {
            corners.push([clampIndex(row, h), clampIndex(col, w), tf.mul(tf.mul(wy, wx), inside)]);
          }
        }
      }
      // Indices [b, ch, cw, 3] of (image, row, column), and the gradient each sends, for every corner at once.
      const image3 = tf.tile(tf.reshape(tf.cast(boxInd, 'int32'), [b, 1, 1, 1]), [1, ch, cw, 1]);
      const indices = tf.concat(
        corners.map(([row, col]) =>
          tf.concat(
            [
              image3,
              tf.tile(tf.reshape(row, [b, ch, 1, 1]), [1, 1, cw, 1]),
              tf.tile(tf.reshape(col, [b, 1, cw, 1]), [1, ch, 1, 1]),
            ],
            3,
          ),
        ),
        0,
      );
      const updates = tf.concat(
        corners.map(([, , weight]) => tf.mul(g, tf.expandDims(weight, 3))),
        0,
      );
      return tf.scatterND(tf.reshape(indices, [-1, 3]), tf.reshape(updates, [-1, c]), [n, h, w, c]);
    },
    boxes: () => {
      throw new Error(
        "cropAndResize: the gradient with respect to the boxes is not implemented (the network's boxes depend on the " +
          'image); only the gradient with respect to the image is',
      );
    },
    boxInd: () => tf.zeros(boxInd.shape),
  }),
};

/**
 * The gradient of an operation whose output is a truth value (a comparison, a logical operation, `any`, `all`): zero for
 * every input, as TensorFlow defines it (a step's slope wherever it has one), in float32 as TF.js wants of every
 * gradient, a boolean input's too. TF.js registers it for GreaterEqual only; Keras's ThresholdedReLU (x · (x > θ)) and
 * Masking (x · any(x ≠ v)) need the others.
 */
const zeroGradient = (kernelName: string, inputs: readonly string[]): tf.GradConfig => ({
  kernelName,
  inputsToSave: [...inputs],
  gradFunc: (_dy, saved: Saved) =>
    Object.fromEntries(inputs.map((name, i) => [name, () => tf.zeros(saved[i].shape)])) as Record<
      string,
      () => tf.Tensor
    >,
});

/**
 * One axis of TF.js's image resize as a matrix `[outSize, inSize]`: each output row's weights on the input rows, as
 * the forward kernels compute them (TensorFlow's rules for `alignCorners` and `halfPixelCenters`).
 */
function resizeMatrix(
  inSize: number,
  outSize: number,
  bilinear: boolean,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): tf.Tensor2D {
  const scale = alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const m = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const row = i * inSize;
    if (bilinear) {
      const src = halfPixelCenters ? scale * (i + 0.5) - 0.5 : scale * i;
      const frac = src - Math.floor(src);
      m[row + Math.max(0, Math.floor(src))] += 1 - frac;
      m[row + Math.min(inSize - 1, Math.ceil(src))] += frac;
    } else {
      const src = halfPixelCenters ? scale * (i + 0.5) : scale * i;
      const nearest = Math.min(inSize - 1, alignCorners ? Math.round(src) : Math.floor(src));
      m[row + (halfPixelCenters ? Math.max(0, nearest) : nearest)] = 1;
    }
  }
  return tf.tensor2d(m, [outSize, inSize]);
}

/**
 * The gradients of the two resizes, as the transposed resize: `dX = Rhᵀ · dY · Rw` per image and channel, with the
 * matrices above. TF.js's own call its ResizeBilinearGrad and ResizeNearestNeighborGrad kernels, which ignore
 * `halfPixelCenters` (what TensorFlow 2 exports) on every backend (460% off against central differences for a 3×4
 * image resized to 6×8), and on the cpu backend swap a non-square image's height and width (an error).
 */
const RESIZES: tf.GradConfig[] = [tf.ResizeBilinear, tf.ResizeNearestNeighbor].map((kernelName) => ({
  kernelName,
  inputsToSave: ['images'],
  gradFunc: (dy, [images]: Saved, attrs: Attrs) => ({
    images: () => {
      const [n, ih, iw, c] = images.shape;
      const [, oh, ow] = (dy as tf.Tensor).shape;
      const bilinear = kernelName === tf.ResizeBilinear;
      const matrix = (i: number, o: number) =>
        tf.expandDims(resizeMatrix(i, o, bilinear, attrs.alignCorners === true, attrs.halfPixelCenters === true), 0);
      // Rows first ([n, oh, ow·c] → [n, ih, ow·c]), then columns ([n·ih, ow, c] → [n·ih, iw, c]): no transposes.
      const rows = tf.matMul(matrix(ih, oh), tf.reshape(dy as tf.Tensor, [n, oh, ow * c]), true, false);
      const cols = tf.matMul(matrix(iw, ow), tf.reshape(rows, [n * ih, ow, c]), true, false);
      return tf.reshape(cols, [n, ih, iw, c]);
    },
  }),
}));

/**
 * The gradient of a maximum or minimum over some axes, as TensorFlow's: shared among the elements equal to the
 * result (ties split it).
 */
function extremumGradient(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y]: Saved, attrs: Attrs) => ({
      x: () => {
        // TF.js names the axes `reductionIndices` for Max and `axis` for Min.
        const axes = reducedAxes(kernelName === tf.Max ? attrs.reductionIndices : attrs.axis, x.rank);
        const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : (d as number)));
        const hits = tf.cast(tf.equal(x, tf.reshape(y, kept)), 'float32');
        return tf.mul(tf.div(hits, tf.sum(hits, axes, true)), tf.reshape(dy as tf.Tensor, kept));
      },
    }),
  };
}

/**
 * The gradient of a product over some axes: each element's is the product of the others, as the product of those
 * before it and those after it (exclusive cumulative products both ways), which holds where an element is zero too.
 */
const PROD: tf.GradConfig = {
  kernelName: tf.Prod,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({
    x: () => {
      const axes = reducedAxes(attrs.axis, x.rank);
      const others = x.shape.map((_d, i) => i).filter((i) => !axes.includes(i));
      const order = [...others, ...axes];
      const moved = tf.transpose(x, order);
      const lead = others.map((i) => x.shape[i] as number);
      const flat = tf.reshape(moved, [...lead, -1]);
      const last = lead.length;
      const rest = tf.mul(tf.cumprod(flat, last, true), tf.cumprod(flat, last, true, true));
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : (d as number)));
      const back = tf.transpose(
        tf.reshape(rest, moved.shape),
        order.map((_a, i) => order.indexOf(i)),
      );
      return tf.mul(back, tf.reshape(dy as tf.Tensor, kept));
    },
  }),
};

/**
 * GatherV2's gradient: each gathered slice's gradient added back at the position it came from (a position gathered
 * twice gets both), with a scatter (linear in the sizes; a one-hot matrix of the indices would not fit in memory for a
 * long axis). Models gather to reorder channels (RGB to BGR) or to pick landmarks. The indices are whole numbers:
 * zero.
 */
const GATHER: tf.GradConfig = {
  kernelName: tf.GatherV2,
  inputsToSave: ['x', 'indices'],
  gradFunc: (dy, [x, indices]: Saved, attrs: Attrs) => ({
    x: () => {
      const axis = ((attrs.axis as number) + x.rank) % x.rank;
      const given = (attrs.batchDims as number | undefined) ?? 0;
      const batchDims = given < 0 ? given + indices.rank : given;
      const size = (dims: readonly number[]) => dims.reduce((a: number, b) => a * (b as number), 1);
      // x as [rows, d, inner]: rows are the axes before `axis`, the batch dimensions (b) then the others (o); dy is
      // [rows, picked, inner] in the same order.
      const rows = size(x.shape.slice(0, axis));
      const b = size(x.shape.slice(0, batchDims));
      const d = x.shape[axis] as number;
      const inner = size(x.shape.slice(axis + 1));
      const picked = size(indices.shape.slice(batchDims));
      // Each row's indices: its batch's, the same for every o. As (row, index) pairs.
      const perBatch = tf.reshape(tf.cast(indices, 'int32'), [b, 1, picked]);
      const idx = tf.reshape(tf.tile(perBatch, [1, rows / b, 1]), [rows, picked]);
      const rowOf = tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1]);
      const pairs = tf.stack([tf.mul(rowOf, tf.onesLike(idx)), tf.add(idx, tf.zerosLike(rowOf))], 2);
      const g = tf.scatterND(
        tf.reshape(pairs, [rows * picked, 2]),
        tf.reshape(dy as tf.Tensor, [rows * picked, inner]),
        [rows, d, inner],
      );
      return tf.reshape(g, x.shape);
    },
    indices: () => tf.zeros(indices.shape),
  }),
};

/**
 * StridedSlice's gradient, which TF.js lacks (SSR-Net's age and gender models slice their stages' outputs with it):
 * `dy` put back at the positions the slice read, zeros elsewhere. With TensorFlow's reading of the attributes
 * (`stridedSliceSpec`: masks, ellipsis, negative indices and strides), `dy` is brought to one axis per input
 * axis (a shrunk axis as 1, a new axis dropped), then each axis the slice narrowed is widened back: its values spread
 * `stride` apart (zeros between; reversed first for a negative stride) and padded to the input's length. Linear in
 * the input's size: no placement matrix, which for a long axis would not fit in memory.
 */
const STRIDED_SLICE: tf.GradConfig = {
  kernelName: tf.StridedSlice,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({
    x: () => {
      const spec = stridedSliceSpec(x.shape, attrs as unknown as StridedSliceAttrs);
      const sizes = spec.count;
      // An empty slice read nothing (and WebGPU makes no buffer for an empty tensor).
      if (sizes.includes(0)) return tf.zeros(x.shape);
      let g = tf.reshape(dy as tf.Tensor, sizes);
      for (let i = 0; i < x.rank; i++) {
        const d = x.shape[i] as number;
        const k = sizes[i];
        if (k === d && spec.begin[i] === 0 && spec.stride[i] === 1) continue;
        // The axes before i are the input's already; i in the middle of a rank-3 view.
        const before = sizes.slice(0, i).reduce((a, b) => a * b, 1);
        const post = sizes.slice(i + 1).reduce((a, b) => a * b, 1);
        let flat = tf.reshape(g, [before, k, post]);
        let step = spec.stride[i];
        // The first position read, from the low end: a backward slice is a forward one of `dy` reversed.
        let first = spec.begin[i];
        if (step < 0) {
          first += (k - 1) * step;
          step = -step;
          flat = tf.reverse(flat, 1);
        }
        if (step > 1 && k > 0) {
          // step − 1 zeros after each value (a rank-4 view), as many values as `dy` has along the axis.
          const spread = tf.pad(tf.reshape(flat, [before, k, 1, post]), [
            [0, 0],
            [0, 0],
            [0, step - 1],
            [0, 0],
          ]);
          // The zeros after the last value may run past the end of the axis.
          const span = Math.min(k * step, d - first);
          flat = tf.slice(tf.reshape(spread, [before, k * step, post]), [0, 0, 0], [before, span, post]);
        }
        const placed = flat.shape[1] as number;
        const wide = tf.pad(flat, [
          [0, 0],
          [first, d - first - placed],
          [0, 0],
        ]);
        sizes[i] = d;
        g = tf.reshape(wide, sizes);
      }
      return g;
    },
  }),
};

/**
 * DepthToSpace's gradient, which TF.js lacks (BlazePose's detector and the full-range face detector upsample with
 * it): the inverse rearrangement (TensorFlow's SpaceToDepth), as a reshape, a rank-4 transpose (WebGPU's limit
 * for some kernels) and a reshape. Channels-first is the same around two transposes.
 */
const DEPTH_TO_SPACE: tf.GradConfig = {
  kernelName: tf.DepthToSpace,
  gradFunc: (dy, _saved, attrs: Attrs) => ({
    x: () => {
      const b = attrs.blockSize as number;
      const nchw = attrs.dataFormat === 'NCHW';
      const g = nchw ? tf.transpose(dy as tf.Tensor, [0, 2, 3, 1]) : (dy as tf.Tensor);
      const [n, hb, wb, c] = g.shape as number[];
      const [h, w] = [hb / b, wb / b];
      // [n, h, b, w, b, c] as [n·h, b, w, b·c]: swapping the middle two gives [n, h, w, (b, b, c)], the input's.
      const back = tf.reshape(tf.transpose(tf.reshape(g, [n * h, b, w, b * c]), [0, 2, 1, 3]), [n, h, w, b * b * c]);
      return nchw ? tf.transpose(back, [0, 3, 1, 2]) : back;
    },
  }),
};

/**
 * A batched matrix product's gradient, summed over the batch axes broadcasting added or stretched (TF.js's own does
 * not: an attention face mesh multiplies [1, 16, 2, 2] by [1, 2, 2], and TF.js's gradient of the second is [1, 16,
 * 2, 2]).
 */
const BATCH_MATMUL: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, [a, b]: Saved, attrs: Attrs) => {
    const g = dy as tf.Tensor;
    const tA = attrs.transposeA === true;
    const tB = attrs.transposeB === true;
    const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) => tf.matMul(x, y, tx, ty);
    return {
      a: () => reduceTo(tA ? (tB ? mm(b, g, true, true) : mm(b, g, false, true)) : mm(g, b, false, !tB), a.shape),
      b: () => reduceTo(tB ? (tA ? mm(g, a, true, true) : mm(g, a, true, false)) : mm(a, g, !tA, false), b.shape),
    };
  },
};

/**
 * Average pooling's gradient. With padding, TF.js's forward average (as TensorFlow's) leaves the padded cells out of
 * each window's count, but its AvgPoolGrad kernel divides by the whole window everywhere: along the borders the
 * gradient was too small (a 3×3 'same' pooling's corner pixel got 1/9 where 1/4 is right, on every backend). `dy`
 * is scaled by the whole window over each window's count of real cells first (the count as a convolution of ones).
 */
const AVG_POOL: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
    const { filterSize, strides, pad, dimRoundingMode } = attrs;
    const grad = (g: tf.Tensor) => run('AvgPoolGrad', { dy: g, input: x }, { filterSize, strides, pad });
    return {
      x: () => {
        if (pad === 'valid') return grad(dy as tf.Tensor);
        const [kh, kw] = pair(filterSize);
        const [, h, w] = x.shape as number[];
        const counts = tf.conv2d(
          tf.ones([1, h, w, 1]) as tf.Tensor4D,
          tf.ones([kh, kw, 1, 1]) as tf.Tensor4D,
          strides as [number, number],
          pad as 'same',
          'NHWC',
          1,
          dimRoundingMode as 'round' | undefined,
        );
        return grad(tf.mul(dy as tf.Tensor, tf.div(tf.scalar(kh * kw), counts)));
      },
    };
  },
};

/**
 * MirrorPad's gradient: each input value gets `dy` from its own place and from every place the padding copied it to.
 * TF.js's takes the middle only (the copies' gradients were lost: 54% off for a reflect padding of 1 and 2 cells on a
 * 4×4 input, without an error). Axis by axis: the middle, plus each padded edge reversed and added where it was
 * copied from (`'reflect'` leaves the edge row out of the copy, `'symmetric'` repeats it).
 */
const MIRROR_PAD: tf.GradConfig = {
  kernelName: tf.MirrorPad,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({
    x: () => {
      const paddings = attrs.paddings as [number, number][];
      const reflect = attrs.mode === 'reflect';
      let g = dy as tf.Tensor;
      paddings.forEach(([before, after], axis) => {
        if (before === 0 && after === 0) return;
        const d = x.shape[axis] as number;
        const part = (from: number, size: number) => {
          const begin = g.shape.map((_, i) => (i === axis ? from : 0));
          const sizes = g.shape.map((n, i) => (i === axis ? size : (n as number)));
          return tf.slice(g, begin, sizes);
        };
        // A reversed edge of `size` values placed at `at` along an axis of d.
        const placed = (edge: tf.Tensor, size: number, at: number) =>
          tf.pad(
            tf.reverse(edge, axis),
            g.shape.map((_, i) => (i === axis ? [at, d - at - size] : [0, 0])) as [number, number][],
          );
        let sum = part(before, d);
        if (before > 0) sum = tf.add(sum, placed(part(0, before), before, reflect ? 1 : 0));
        if (after > 0) sum = tf.add(sum, placed(part(before + d, after), after, reflect ? d - 1 - after : d - after));
        g = sum;
      });
      return g === dy ? tf.clone(g) : g;
    },
  }),
};

/**
 * Batch normalization's gradient, `y = (x - mean) · rsqrt(variance + ε) · scale + offset`, each input's computed only
 * when asked for and by broadcasting. TF.js's own tiles rsqrt(variance) to the whole input's shape and computes
 * `x - mean` and `dy · scale` for every input's gradient, even where only the input's is wanted: with tfjs-layers
 * loaded (which registers it) a dream through a Keras MobileNetV2 spent 60% of its time in the wasm backend's Tile.
 * A scale must be given (Keras and converted graphs give one unless a layer has `scale: false`): TF.js cannot save an
 * absent input for a gradient, with its gradient or this one.
 */
const BATCH_NORM: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy, [x, mean, variance, scale]: Saved, attrs: Attrs) => {
    const g = dy as tf.Tensor;
    const r = () => tf.rsqrt(tf.add(variance, attrs.varianceEpsilon as number));
    // The gradient of the normalized value, and the normalized value itself, as each input's gradient needs them.
    const scaled = () => tf.mul(g, tf.mul(r(), scale));
    const centred = () => tf.sub(x, mean);
    return {
      x: () => scaled(),
      mean: () => reduceTo(tf.neg(scaled()), mean.shape),
      variance: () => {
        const rv = r();
        return reduceTo(tf.mul(tf.mul(g, scale), tf.mul(centred(), tf.mul(tf.pow(rv, 3), -0.5))), variance.shape);
      },
      scale: () => reduceTo(tf.mul(g, tf.mul(centred(), r())), scale.shape),
      offset: () => reduceTo(g, mean.shape),
    };
  },
};

/**
 * Clipping's gradient (`tf.clipByValue`; Keras's ReLU(max_value=6), as MobileNetV2 has it, is one): where x lies
 * within the bounds (inclusive, as TensorFlow's), clipping left it as it was, so one comparison of the input with the
 * output gives the mask. TF.js's compares with each bound, joins them with a logical and and selects: on wasm, whose
 * comparisons broadcast a scalar slowly, 2.5 times as long, and a third of a dream's step through MobileNetV2.
 */
const CLIP_BY_VALUE: tf.GradConfig = {
  kernelName: tf.ClipByValue,
  inputsToSave: ['x'],
  outputsToSave: [true],
  gradFunc: (dy, [x, y]: Saved) => ({
    x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.equal(x, y), 'float32')),
  }),
};

/** The smallest positive normal float32. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * ReLU6's gradient (`tf.relu6`; converted graphs fuse it into their convolutions, which the library runs unfused under
 * a gradient): dy where 0 < x ≤ 6, TF.js's bounds. There x is its own clip to [the smallest normal float, 6], so one
 * clip and one comparison give the mask, where TF.js's (and the library's before) compared with each bound, whose
 * scalar wasm broadcasts slowly, and joined the two: half the step of a deep dream through a converted MobileNetV2 on
 * wasm. A positive subnormal x (below 1.2e-38, which GPUs flush to zero anyway) gets no gradient; a NaN gets none on
 * every backend (TF.js's step gave NaN on some).
 */
const RELU6: tf.GradConfig = {
  kernelName: tf.Relu6,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]: Saved) => ({
    x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.equal(x, tf.clipByValue(x, FLOAT32_MIN_NORMAL, 6)), 'float32')),
  }),
};

/**
 * Gradients that go in over TF.js's own (batch normalization's: see BATCH_NORM; clipping's and ReLU6's: see
 * CLIP_BY_VALUE and RELU6; average pooling's: see AVG_POOL; mirror padding's: see MIRROR_PAD). TF.js's product gradient
 * fails under Node.js's ES modules on every backend (it calls `permutedX.reshape`, a method tfjs-core adds only in its
 * browser bundle), and its gather gradient needs the UnsortedSegmentSum kernel, which TF.js's wasm backend lacks (the
 * library's `backend/kernelFixes.ts` adds one since; the gather gradient here needs none). And two are wrong for what
 * pose models do after their last convolution: TF.js's SquaredDifference gradient does not sum over the axes
 * broadcasting stretched (an error: "the gradient of input 'b' has shape [48, 48, 17], which does not match [1, 17]"),
 * and its FloorDiv gradient is a division's, where TensorFlow's is zero (a floor is flat wherever it has a slope).
 * TF.js's Maximum and Minimum gradients do not sum over broadcast axes either (the same error for `tf.maximum(x,
 * bound)` with a bound of shape [1, 1, c] that itself depends on the input).
 */
const OVER_TFJS: tf.GradConfig[] = [
  BATCH_NORM,
  CLIP_BY_VALUE,
  RELU6,
  AVG_POOL,
  MIRROR_PAD,
  BATCH_MATMUL,
  PROD,
  GATHER,
  {
    kernelName: tf.SquaredDifference,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => {
      const twice = () => tf.mul(dy as tf.Tensor, tf.mul(tf.sub(a, b), 2));
      return { a: () => reduceTo(twice(), a.shape), b: () => reduceTo(tf.neg(twice()), b.shape) };
    },
  },
  zeroGradient(tf.FloorDiv, ['a', 'b']),
  // The first operand takes the gradient where the two are equal, as in TensorFlow.
  {
    kernelName: tf.Maximum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(tf.greaterEqual(a, b), 'float32')), a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(tf.less(a, b), 'float32')), b.shape),
    }),
  },
  {
    kernelName: tf.Minimum,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(tf.lessEqual(a, b), 'float32')), a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, tf.cast(tf.greater(a, b), 'float32')), b.shape),
    }),
  },
];

/** Comparisons and logical operations of two tensors: whole numbers (booleans), flat in both. */
const FLAT_BINARY = [
  tf.Greater,
  tf.GreaterEqual,
  tf.Less,
  tf.LessEqual,
  tf.Equal,
  tf.NotEqual,
  tf.LogicalAnd,
  tf.LogicalOr,
];
/**
 * Operations of one tensor that are flat in it: the positions of maxima and minima (MoveNet finds its keypoints with
 * them), whole numbers too; the roundings and the sign, flat wherever they have a slope; tests of values and tensors
 * made in an input's shape (`tf.zerosLike`, `tf.onesLike`, `tf.step`), which graphs use to mask or to pad.
 */
const FLAT_UNARY = [
  ...[tf.LogicalNot, tf.Any, tf.All, tf.ArgMax, tf.ArgMin, tf.Floor, tf.Ceil, tf.Round, tf.Sign],
  ...[tf.IsNan, tf.IsInf, tf.IsFinite, tf.ZerosLike, tf.OnesLike, tf.Step],
];

/**
 * The operations (TensorFlow's names, which TF.js's kernels share) through which no gradient passes: those above, a
 * whole-number division, a one-hot encoding (of whole-number indices), and a graph's operations on shapes and its
 * non-max suppressions, which have no gradient at all. A layer whose every way to an output goes through one of them
 * does not move that output (MoveNet's keypoint heat maps weighted for the `ArgMax` that finds the keypoints).
 */
export const FLAT_OPERATIONS: ReadonlySet<string> = new Set([
  ...FLAT_BINARY,
  ...FLAT_UNARY,
  tf.FloorDiv,
  tf.OneHot,
  ...['Shape', 'ShapeN', 'Size', 'Rank'],
  ...['NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5'],
]);

const CONFIGS: tf.GradConfig[] = [
  ...FLAT_BINARY.map((kernel) => zeroGradient(kernel, ['a', 'b'])),
  ...FLAT_UNARY.map((kernel) => zeroGradient(kernel, ['x'])),
  // A one-hot encoding's indices are whole numbers.
  zeroGradient(tf.OneHot, ['indices']),
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(dy as tf.Tensor, a.shape),
      b: () => reduceTo(dy as tf.Tensor, b.shape),
    }),
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(dy as tf.Tensor, a.shape),
      b: () => reduceTo(tf.neg(dy as tf.Tensor), b.shape),
    }),
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(tf.mul(dy as tf.Tensor, b), a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, a), b.shape),
    }),
  },
  {
    kernelName: tf.RealDiv,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(tf.div(dy as tf.Tensor, b), a.shape),
      b: () => reduceTo(tf.neg(tf.div(tf.mul(dy as tf.Tensor, a), tf.square(b))), b.shape),
    }),
  },
  {
    kernelName: tf.Cast,
    gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Identity,
    gradFunc: (dy) => ({ x: () => tf.clone(dy as tf.Tensor) }),
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({
      x: () =>
        // step(x) is 1 where x > 0, else 0 (NaN where x is NaN, as TF.js's own ReLU gradient). On wasm one step
        // and one product took 12 ms for a 16×113×113×64 tensor; a comparison, a cast and a product took 90 ms.
        tf.mul(dy as tf.Tensor, tf.step(x)),
    }),
  },
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter]: Saved, attrs: Attrs) => {
      // Never dilated here: a dilated convolution's gradient is this one's of its spread kernel (see dilationAware).
      const { strides, pad, dataFormat, dimRoundingMode } = attrs;
      return {
        // As a forward convolution (see convInputGradAnyPad): far faster than the kernel on wasm, the same numbers.
        x: () =>
          dataFormat === 'NHWC'
            ? convInputGradAnyPad(dy as tf.Tensor4D, filter as tf.Tensor4D, x.shape as number[], attrs)
            : run(
                'Conv2DBackpropInput',
                { dy: dy as tf.Tensor, filter },
                { strides, pad, dataFormat, dimRoundingMode, inputShape: x.shape },
              ),
        filter: () =>
          run(
            'Conv2DBackpropFilter',
            { x, dy: dy as tf.Tensor },
            { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape },
          ),
      };
    },
  },
  {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y]: Saved, attrs: Attrs) => {
      const { filterSize, strides, pad, dimRoundingMode } = attrs;
      return {
        x: () =>
          onWasm(dy as tf.Tensor, x)
            ? run(WASM_MAXPOOL_GRAD, { dy: dy as tf.Tensor, x, y }, { filterSize, strides, pad, dimRoundingMode })
            : tf.getBackend() === 'webgpu' || tf.getBackend() === 'webgl'
              ? paddedMaxPoolInputGrad(dy as tf.Tensor4D, x as tf.Tensor4D, y as tf.Tensor4D, attrs)
              : run(
                  'MaxPoolGrad',
                  { dy: dy as tf.Tensor, input: x, output: y },
                  { filterSize, strides, pad, dimRoundingMode },
                ),
      };
    },
  },
  {
    // TF.js has none: Keras layers of tfjs-layers (EinsumDense, MultiHeadAttention) and programs' own call tf.einsum.
    kernelName: tf.Einsum,
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved, attrs: Attrs) =>
      saved.map(
        (_, i) => () => einsumGradient(attrs.equation as string, saved, dy as tf.Tensor, i),
      ) as unknown as ReturnType<tf.GradConfig['gradFunc']>,
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const axis = ((attrs.axis as number) + saved[0].rank) % saved[0].rank;
      const sizes = saved.map((t) => t.shape[axis] as number);
      const parts = tf.split(dy as tf.Tensor, sizes, axis);
      return parts.map((p) => () => p) as unknown as ReturnType<tf.GradConfig['gradFunc']>;
    },
  },
  {
    kernelName: tf.PadV2,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
      const begin = (attrs.paddings as [number, number][]).map((p) => p[0]);
      return { x: () => tf.slice(dy as tf.Tensor, begin, x.shape) };
    },
  },
  {
    kernelName: tf.Mean,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
      const count = reducedAxes(attrs.axis, x.rank).reduce((n, a) => n * (x.shape[a] as number), 1);
      return { x: () => tf.div(unreduce(dy as tf.Tensor, x.shape, attrs.axis), count) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({ x: () => unreduce(dy as tf.Tensor, x.shape, attrs.axis) }),
  },
  {
    kernelName: tf.Softmax,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved, attrs: Attrs) => {
      const dim = attrs.dim as number;
      return { logits: () => tf.mul(y, tf.sub(dy as tf.Tensor, tf.sum(tf.mul(dy as tf.Tensor, y), dim, true))) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  // What converted graphs (MobileNet, EfficientNet-lite, ...) add: their activations, depthwise convolutions, dense
  // layers, batch normalization and elementwise operations.
  {
    kernelName: tf.LeakyRelu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({
      x: () =>
        tf.mul(dy as tf.Tensor, tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, attrs.alpha as number))),
    }),
  },
  {
    kernelName: tf.Elu,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({
      x: () => tf.mul(dy as tf.Tensor, tf.where(tf.less(y, 0), tf.add(y, 1), tf.onesLike(y))),
    }),
  },
  {
    kernelName: tf.Sigmoid,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(1, y))) }),
  },
  {
    kernelName: tf.Tanh,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sub(1, tf.square(y))) }),
  },
  {
    kernelName: tf.AddN,
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved) =>
      // A copy each: a tensor shared by several inputs would be freed when the first of them gathers another
      // gradient (a sum of sums, or one input given twice).
      saved.map(() => () => tf.clone(dy as tf.Tensor)) as unknown as ReturnType<tf.GradConfig['gradFunc']>,
  },
  {
    kernelName: tf.Transpose,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => {
      const perm = attrs.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return { x: () => tf.transpose(dy as tf.Tensor, inverse) };
    },
  },
  BATCH_MATMUL,
  {
    kernelName: tf.DepthwiseConv2dNative,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter]: Saved, attrs: Attrs) => {
      const { strides, pad, dimRoundingMode, dilations } = attrs;
      const common = { strides, pad, dimRoundingMode, dilations };
      return {
        x: () =>
          run(
            'DepthwiseConv2dNativeBackpropInput',
            { dy: dy as tf.Tensor, filter },
            { ...common, inputShape: x.shape },
          ),
        filter: () =>
          run(
            'DepthwiseConv2dNativeBackpropFilter',
            { x, dy: dy as tf.Tensor },
            { ...common, filterShape: filter.shape },
          ),
      };
    },
  },
  // What exporters put before the first layer: MoveNet unstacks its batch of 1 and expands each image back.
  {
    kernelName: tf.ExpandDims,
    inputsToSave: ['input'],
    gradFunc: (dy, [x]: Saved) => ({ input: () => tf.reshape(dy as tf.Tensor, x.shape) }),
  },
  UNPACK,
  // Face and hand models use PReLU; pose models take square roots, gather their keypoints and stack them.
  {
    kernelName: tf.Prelu,
    inputsToSave: ['x', 'alpha'],
    gradFunc: (dy, [x, alpha]: Saved) => {
      // step(x) is 1 where x > 0: the slope there is 1, elsewhere alpha.
      const positive = tf.step(x);
      return {
        x: () => tf.mul(dy as tf.Tensor, tf.add(alpha, tf.mul(positive, tf.sub(1, alpha)))),
        alpha: () => reduceTo(tf.mul(tf.mul(dy as tf.Tensor, x), tf.sub(1, positive)), alpha.shape),
      };
    },
  },
  // TensorFlow 1 graphs run a dilated convolution as SpaceToBatchND, a convolution and BatchToSpaceND; each is the
  // other's gradient.
  {
    kernelName: tf.SpaceToBatchND,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => ({
      x: () => tf.batchToSpaceND(dy as tf.Tensor, attrs.blockShape as number[], attrs.paddings as [number, number][]),
    }),
  },
  {
    kernelName: tf.BatchToSpaceND,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => ({
      x: () => tf.spaceToBatchND(dy as tf.Tensor, attrs.blockShape as number[], attrs.crops as [number, number][]),
    }),
  },
  {
    // GELU (ConvNeXt, vision transformers) is x·(1 + erf(x/√2))/2: d erf(x) = 2/√π · exp(−x²).
    kernelName: tf.Erf,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({
      x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.exp(tf.neg(tf.square(x))), 2 / Math.sqrt(Math.PI))),
    }),
  },
  {
    // Mish (YOLOv4) is x·tanh(softplus(x)): d softplus(x) = sigmoid(x).
    kernelName: tf.Softplus,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sigmoid(x)) }),
  },
  {
    // SELU's constants, as TensorFlow's: scale for x > 0, scale·alpha·exp(x) below.
    kernelName: tf.Selu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({
      x: () => {
        const scale = 1.0507009873554805;
        const alpha = 1.6732632423543772;
        const below = tf.mul(tf.exp(x), scale * alpha);
        return tf.mul(dy as tf.Tensor, tf.where(tf.greater(x, 0), tf.fill(x.shape, scale), below));
      },
    }),
  },
  {
    // d aᵇ/da = b·aᵇ⁻¹; d aᵇ/db = aᵇ·ln a where a > 0, else 0 (TensorFlow's choice); summed over broadcast axes.
    kernelName: tf.Pow,
    inputsToSave: ['a', 'b'],
    outputsToSave: [true],
    gradFunc: (dy, [a, b, y]: Saved) => ({
      a: () => reduceTo(tf.mul(dy as tf.Tensor, tf.mul(b, tf.pow(a, tf.sub(b, 1)))), a.shape),
      b: () => {
        const lnA = tf.where(tf.greater(a, 0), tf.log(a), tf.zerosLike(a));
        return reduceTo(tf.mul(dy as tf.Tensor, tf.mul(y, lnA)), b.shape);
      },
    }),
  },
  {
    kernelName: tf.Reverse,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => ({ x: () => tf.reverse(dy as tf.Tensor, attrs.dims as number[]) }),
  },
  {
    kernelName: tf.Log1p,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.div(dy as tf.Tensor, tf.add(x, 1)) }),
  },
  {
    kernelName: tf.Sin,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cos(x)) }),
  },
  {
    kernelName: tf.Cos,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.neg(tf.mul(dy as tf.Tensor, tf.sin(x))) }),
  },
  {
    // atan2(a, b): b / (a² + b²) for a, −a / (a² + b²) for b (MediaPipe's attention face mesh turns by such an angle).
    kernelName: tf.Atan2,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => {
      const norm = () => tf.add(tf.square(a), tf.square(b));
      return {
        a: () => reduceTo(tf.div(tf.mul(dy as tf.Tensor, b), norm()), a.shape),
        b: () => reduceTo(tf.div(tf.mul(dy as tf.Tensor, tf.neg(a)), norm()), b.shape),
      };
    },
  },
  {
    // Local response normalization (GoogLeNet's and AlexNet's, as MATLAB's crossChannelNormalizationLayer), by
    // TF.js's LRNGrad kernel, which every backend has.
    kernelName: tf.LRN,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, [x, y]: Saved, attrs: Attrs) => {
      const { depthRadius, bias, alpha, beta } = attrs;
      return { x: () => run('LRNGrad', { x, y, dy: dy as tf.Tensor }, { depthRadius, bias, alpha, beta }) };
    },
  },
  {
    // A running sum's gradient is the running sum of dy the other way.
    kernelName: tf.Cumsum,
    gradFunc: (dy, _saved: Saved, attrs: Attrs) => ({
      x: () =>
        tf.cumsum(dy as tf.Tensor, attrs.axis as number, attrs.exclusive as boolean, !(attrs.reverse as boolean)),
    }),
  },
  {
    // d√x = 1 / (2√x), from the output (MoveNet's distance from each keypoint to the grid).
    kernelName: tf.Sqrt,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({ x: () => tf.div(dy as tf.Tensor, tf.mul(y, 2)) }),
  },
  {
    // TF.js has none. The slices picked, put back where they came from (ScatterNd adds an index given twice).
    kernelName: tf.GatherNd,
    inputsToSave: ['params', 'indices'],
    gradFunc: (dy, [params, indices]: Saved) => ({
      params: () => tf.scatterND(indices, dy as tf.Tensor, params.shape),
      // Indices computed from the image (MoveNet's come from an argmax of its heatmaps) are whole numbers: zero.
      indices: () => tf.zeros(indices.shape),
    }),
  },
  {
    kernelName: tf.Pack,
    // The inputs are a list: their gradients go by position ('0', '1', …), each its slice of `dy`.
    gradFunc: (dy, _saved, attrs: Attrs) =>
      Object.fromEntries(tf.unstack(dy as tf.Tensor, attrs.axis as number).map((part, i) => [String(i), () => part])),
  },
  ...RESIZES,
  STRIDED_SLICE,
  DEPTH_TO_SPACE,
  TOP_K,
  SPLIT,
  CROP_AND_RESIZE,
  {
    // d|x| = sign(x) (zero at zero, as TensorFlow has it).
    kernelName: tf.Abs,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sign(x)) }),
  },
  {
    // d x^(-1/2) = -y³ / 2, from the output y.
    kernelName: tf.Rsqrt,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.pow(y, 3), -0.5)) }),
  },
  ...[tf.Max, tf.Min].map(extremumGradient),
  {
    // The tiles' gradients summed back, one axis at a time (each a rank-4 view: WebGPU's limit for some kernels).
    kernelName: tf.Tile,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => ({
      x: () => {
        const reps = attrs.reps as number[];
        const dims = x.shape.map((d, i) => (d as number) * reps[i]);
        let g = dy as tf.Tensor;
        for (let i = 0; i < x.rank; i++) {
          if (reps[i] === 1) continue;
          const d = x.shape[i] as number;
          const pre = dims.slice(0, i).reduce((a, b) => a * b, 1);
          const post = dims.slice(i + 1).reduce((a, b) => a * b, 1);
          g = tf.sum(tf.reshape(g, [pre, reps[i], d, post]), 1);
          dims[i] = d;
        }
        return tf.reshape(g, x.shape);
      },
    }),
  },
  {
    // a mod b = a − b·floor(a / b): 1 for a, −floor(a / b) for b (CenterNet takes its detections' positions so).
    kernelName: tf.Mod,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]: Saved) => ({
      a: () => reduceTo(dy as tf.Tensor, a.shape),
      b: () => reduceTo(tf.mul(dy as tf.Tensor, tf.neg(tf.floor(tf.div(a, b)))), b.shape),
    }),
  },
  {
    // d eˣ = eˣ, from the output (softmax written out, as MoveNet MultiPose's scores).
    kernelName: tf.Exp,
    outputsToSave: [true],
    gradFunc: (dy, [y]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, y) }),
  },
  {
    // d (eˣ − 1) = eˣ.
    kernelName: tf.Expm1,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(x)) }),
  },
  {
    kernelName: tf.Log,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.div(dy as tf.Tensor, x) }),
  },
  {
    // d (1/x) = -1/x².
    kernelName: tf.Reciprocal,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.neg(tf.div(dy as tf.Tensor, tf.square(x))) }),
  },
  {
    kernelName: tf.Neg,
    gradFunc: (dy) => ({ x: () => tf.neg(dy as tf.Tensor) }),
  },
  {
    // where(c, t, e): the gradient goes to the side each element came from; the condition is a truth value: zero.
    kernelName: tf.Select,
    inputsToSave: ['condition'],
    gradFunc: (dy, [condition]: Saved) => ({
      condition: () => tf.zeros(condition.shape),
      t: () => tf.where(condition, dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)),
      e: () => tf.where(condition, tf.zerosLike(dy as tf.Tensor), dy as tf.Tensor),
    }),
  },
  {
    // d x² = 2x (face embeddings' L2 norms).
    kernelName: tf.Square,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(x, 2)) }),
  },
  {
    // A transposed convolution is the input gradient of a convolution: its gradient is that convolution, forward.
    kernelName: tf.Conv2DBackpropInput,
    inputsToSave: ['dy', 'filter'],
    gradFunc: (ddx, [dy, filter]: Saved, attrs: Attrs) => ({
      dy: () =>
        tf.conv2d(
          ddx as tf.Tensor4D,
          filter as tf.Tensor4D,
          attrs.strides as [number, number],
          attrs.pad as 'valid' | 'same',
          attrs.dataFormat as 'NHWC' | 'NCHW',
          1,
          attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
        ),
      filter: () => convFilterGrad(ddx as tf.Tensor4D, dy as tf.Tensor4D, filter.shape, attrs),
    }),
  },
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
      // `tf.slice(x, 1, 1)` keeps its single numbers in the attributes: read them as the kernel does.
      const [begin] = tf.slice_util.parseSliceParams(x, attrs.begin as number | number[], attrs.size as number[]);
      const size = (dy as tf.Tensor).shape;
      const paddings = x.shape.map(
        (d, i) => [begin[i], (d as number) - begin[i] - (size[i] as number)] as [number, number],
      );
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
];

/** Whether a convolution's `dilations` attribute spreads its taps (above 1 along an axis). */
const isDilated = (attrs: Attrs) => attrs.dilations != null && pair(attrs.dilations).some((d) => d !== 1);

/** The convolution gradients made dilation-aware by {@link dilationAware}, to tell them from another package's. */
const DILATION_AWARE = new WeakSet<tf.GradConfig>();

/**
 * A convolution's gradient (`Conv2D`, `DepthwiseConv2dNative`) that also serves a dilated convolution: `base`'s
 * (TF.js's when a package registered it, else the library's) with the kernel spread out (see `dilation.ts`), the
 * filter's gradient read back at the taps. TF.js's own refuse a dilation above 1, and its cpu backend's depthwise
 * gradient kernels ignore it (wrong numbers, no error); an undilated convolution gets `base`'s gradient unchanged.
 */
function dilationAware(base: tf.GradConfig): tf.GradConfig {
  const config: tf.GradConfig = {
    ...base,
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      if (!isDilated(attrs)) return base.gradFunc(dy, saved, attrs as tf.NamedAttrMap);
      const [x, filter] = saved;
      const dilations = pair(attrs.dilations);
      // Made inside each input's own scope, which frees the spread kernel with the rest.
      const spread = () => base.gradFunc(dy, [x, dilateKernel(filter, dilations)], { ...attrs, dilations: [1, 1] });
      return {
        x: () => spread().x(),
        filter: () => kernelTaps(spread().filter(), dilations),
      };
    },
  };
  DILATION_AWARE.add(config);
  return config;
}

let installed = false;

/**
 * Registers the gradients above for the kernels that have none yet (once per process), and the wasm kernels. Called
 * before every gradient the library computes.
 */
export function ensureGradients(): void {
  // Max pooling's gradient is always ours: where another package registered TF.js's own (tfjs-layers registers every
  // core gradient when it loads, possibly after this ran), the wasm backend's MaxPoolGrad kernel would route tied
  // maxima wrongly. Ours gives TF's routing and uses the kernel on the other backends.
  const maxPool = CONFIGS.find((c) => c.kernelName === tf.MaxPool)!;
  if (tf.getGradient(tf.MaxPool) !== maxPool) tf.registerGradient(maxPool);
  // Unpack's too: TF.js's fails on a single part or an unused one (see UNPACK); and the resizes' (see RESIZES) and
  // the others TF.js gets wrong or cannot run (see OVER_TFJS).
  for (const config of [UNPACK, ...RESIZES, ...OVER_TFJS]) {
    if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
  }
  if (!installed) {
    for (const config of CONFIGS) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
    installed = true;
  }
  for (const kernelName of [tf.Conv2D, tf.DepthwiseConv2dNative]) {
    const current = tf.getGradient(kernelName) as tf.GradConfig;
    if (!DILATION_AWARE.has(current)) tf.registerGradient(dilationAware(current));
  }
  // TF.js's wasm backend registers its kernels when it is first imported, which may come later (initBackend imports
  // it on demand): registering ours before would print TF.js's "already registered" warning then and lose ours. So
  // they go in once its kernels are there, and are checked on every call.
  if (hasKernels('wasm')) installWasmKernels();
  ensureWasmKernels();
}

function installWasmKernels(): void {
  for (const config of [...WASM_KERNELS, ...WASM_GRAD_KERNELS]) {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    // In place already, or in place under one of the library's kernel checks (backend/argumentChecks.ts).
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (replacedKernel(config.kernelName, config.backendName) === config.kernelFunc) continue;
    // TF.js's own Conv2DBackpropInput is replaced (see WASM_KERNELS); a kernel TF.js has for the others is left.
    if (existing && config.kernelName !== 'Conv2DBackpropInput') continue;
    if (existing) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
  }
}

/** `[top, bottom, left, right]` padding of a 2-D convolution, as TF.js computes it for the forward op. */
function convPadding(
  xShape: number[],
  filterShape: number[],
  strides: unknown,
  pad: unknown,
  dimRoundingMode: unknown,
): [number, number, number, number] {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides as number | [number, number],
    1,
    pad as 'valid' | 'same' | number,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  return [info.padInfo.top, info.padInfo.bottom, info.padInfo.left, info.padInfo.right];
}

/**
 * A kernel computed with public operations, for a backend that lacks it. The result's data is handed to the engine
 * (its reference taken before the temporary tensor is freed), so that nothing leaks.
 */
function kernelFromOps(
  kernelName: string,
  backendName: string,
  compute: (inputs: tf.NamedTensorMap, attrs: Attrs) => tf.Tensor,
): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const out = tf.tidy(() => compute(inputs as unknown as tf.NamedTensorMap, attrs as Attrs));
      return asKernelResult(backend, out);
    },
  };
}

/**
 * The filter gradient of an NHWC convolution (no dilation): `dW[i, j, c, f] = Σ x_padded[n, oh·s + i, ow·s + j, c]
 * dy[n, oh, ow, f]`, which is a convolution of the padded input (channels as the batch, the batch as channels) with
 * `dy` as the filter, dilated by the stride.
 */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: Attrs): tf.Tensor {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(
      `Conv2DBackpropFilter (wasm, from operations): data format ${String(attrs.dataFormat)} is not supported`,
    );
  }
  const [kh, kw, ci, co] = filterShape;
  const [sh, sw] = typeof attrs.strides === 'number' ? [attrs.strides, attrs.strides] : (attrs.strides as number[]);
  const [t, b, l, r] = convPadding(x.shape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const xp = tf.pad(x, [
    [0, 0],
    [t, b],
    [l, r],
    [0, 0],
  ]);
  const input = tf.transpose(xp, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, Hp, Wp, n]
  const filter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [oh, ow, n, co]
  const g = tf.conv2d(input, filter, 1, 'valid', 'NHWC', [sh, sw]); // [ci, ≥kh, ≥kw, co]
  return tf.transpose(tf.slice(g, [0, 0, 0, 0], [ci, kh, kw, co]), [1, 2, 0, 3]);
}

/**
 * The filter gradient of an NHWC depthwise convolution, as one forward depthwise convolution: the padded input's images
 * and channels side by side as channels of one image, convolved with `dy` as the kernel (its cells the taps, dilated
 * by the stride), then summed over the images. TF.js's fused depthwise convolution computes it even when only the
 * input's gradient is needed.
 */
function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: Attrs): tf.Tensor {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(
      `DepthwiseConv2dNativeBackpropFilter (wasm, from operations): data format ${String(attrs.dataFormat)} is not supported`,
    );
  }
  const [kh, kw, ci, m] = filterShape;
  const [n, oh, ow] = dy.shape;
  const [sh, sw] = pair(attrs.strides);
  const [t, b, l, r] = convPadding(x.shape, [kh, kw, ci, ci * m], attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const xp = tf.pad(x, [
    [0, 0],
    [t, b],
    [l, r],
    [0, 0],
  ]);
  const [, Hp, Wp] = xp.shape;
  const input = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, Hp, Wp, n * ci]); // channel n·ci + c
  const kernel = tf.reshape(tf.transpose(tf.reshape(dy, [n, oh, ow, ci, m]), [1, 2, 0, 3, 4]), [oh, ow, n * ci, m]);
  const g = tf.depthwiseConv2d(input as tf.Tensor4D, kernel as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]);
  const [, gh, gw] = g.shape;
  const summed = tf.sum(tf.reshape(g, [gh, gw, n, ci, m]), 2); // [≥kh, ≥kw, ci, m]
  return tf.slice(summed, [0, 0, 0, 0], [kh, kw, ci, m]);
}

/**
 * The input gradient of an NHWC depthwise convolution: `dy` spread out by the stride and padded, then a depthwise
 * convolution with the kernel turned 180° (one channel per input channel and multiplier), summed over the
 * multiplier. A multiplier of 1 (MobileNet's) has nothing to sum: the reshape alone, where a sum over the axis of one
 * copied every value (5.5 ms of a 4×113×113×96 gradient on wasm).
 */
function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: number[], attrs: Attrs): tf.Tensor {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(
      `DepthwiseConv2dNativeBackpropInput (wasm, from operations): data format ${String(attrs.dataFormat)} is not supported`,
    );
  }
  const dil = attrs.dilations;
  if (dil !== undefined && dil !== 1 && !(Array.isArray(dil) && dil.every((d) => d === 1))) {
    throw new Error('DepthwiseConv2dNativeBackpropInput (wasm, from operations): dilations are not supported');
  }
  const [kh, kw, ci, m] = filter.shape;
  const [n, H, W] = xShape;
  const cropped = fullCorrelationInput(dy, filter.shape, xShape, attrs);
  const turned = tf.reshape(tf.reverse(filter, [0, 1]), [kh, kw, ci * m, 1]) as tf.Tensor4D;
  const g = tf.depthwiseConv2d(cropped, turned, 1, 'valid'); // [n, H, W, ci·m]
  return m === 1 ? g : tf.sum(tf.reshape(g, [n, H, W, ci, m]), 4);
}

/**
 * What a transposed convolution convolves: `dy` spread out by the stride (`[n, (oh-1)·sh + 1, (ow-1)·sw + 1, c]`) and
 * padded (or cropped) to the full correlation of the input's rows and columns, `[n, H + kh - 1, W + kw - 1, c]`, so
 * that a 'valid' convolution with the kernel turned 180° gives the input gradient.
 */
function fullCorrelationInput(dy: tf.Tensor4D, filterShape: number[], xShape: number[], attrs: Attrs): tf.Tensor4D {
  const [kh, kw] = filterShape;
  const [n, H, W] = xShape;
  const [sh, sw] = pair(attrs.strides);
  const [t, , l] = convPadding(xShape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  // dy's first cell goes to row kh - 1 - t and column kw - 1 - l of the full correlation's input; the spread's
  // trailing zeros (and anything past the last row or column) are padded to size or cropped, in one step each.
  const top = kh - 1 - t;
  const left = kw - 1 - l;
  const rows = H + kh - 1;
  const cols = W + kw - 1;
  if ((sh > 1 || sw > 1) && onWasm(dy)) {
    return run(WASM_SPREAD, { x: dy }, { size: [rows, cols], strides: [sh, sw], offset: [top, left] }) as tf.Tensor4D;
  }
  const spread = spreadByStride(dy, sh, sw);
  const [, sr, sc] = spread.shape;
  const bottom = rows - top - sr;
  const right = cols - left - sc;
  const padded =
    top > 0 || left > 0 || bottom > 0 || right > 0
      ? tf.pad(spread, [
          [0, 0],
          [Math.max(top, 0), Math.max(bottom, 0)],
          [Math.max(left, 0), Math.max(right, 0)],
          [0, 0],
        ])
      : spread;
  if (top >= 0 && left >= 0 && bottom >= 0 && right >= 0) return padded;
  return tf.slice(padded, [0, Math.max(-top, 0), Math.max(-left, 0), 0], [n, rows, cols, dy.shape[3]]);
}

/**
 * From how many output channels {@link stridedInputGradWasm} pays: its col2im adds `kh·kw·ci` values per output cell
 * in JavaScript, worth it when each stands for a product over many channels. With 3 (the Laplacian pyramid's
 * transposed convolutions in deep dream) it was slower than the spread-out correlation.
 */
const COL2IM_MIN_CHANNELS = 16;

/**
 * A strided convolution's input gradient on wasm as one matrix product and a col2im: `dy · filterᵀ` gives each
 * output cell's contribution to the cells under each filter tap, which `col2im` adds into place. The spread-out
 * correlation computes on zeros (three quarters of it at stride 2): for a 3×3 stride-2 convolution of 64 filters on a
 * 227×227 image in a deep-dream step, 250 ms against 60–75 ms this way.
 */
function stridedInputGradWasm(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: number[], attrs: Attrs): tf.Tensor {
  const [kh, kw, ci, co] = filter.shape;
  const [n, oh, ow] = dy.shape;
  const [top, , left] = convPadding(xShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  // The filter is transposed, not the product: wasm's matMul with transposeB took 450 ms here, against 24 ms.
  const filterT = tf.transpose(tf.reshape(filter, [kh * kw * ci, co]));
  const cols = tf.matMul(tf.reshape(dy, [n * oh * ow, co]), filterT);
  return run(
    WASM_COL2IM,
    { cols: tf.reshape(cols, [n, oh, ow, kh * kw * ci]) },
    { inputShape: xShape, filterSize: [kh, kw], strides: pair(attrs.strides), pads: [top, left] },
  );
}

/**
 * The input gradient of an NHWC convolution (no dilation) with any padding, as one forward convolution: `dy` spread
 * out by the stride, padded to a full correlation, convolved with the kernel turned 180° and its channels swapped.
 * TF.js backends run forward convolutions fast (wasm through XNNPACK, on every thread) and their Conv2DBackpropInput
 * kernel slowly (wasm's is a plain loop, 12× slower on a 3×3 layer of 16 images at 56×56); the results are the same.
 * On wasm, a strided one with many output channels goes through {@link stridedInputGradWasm} instead.
 */
function convInputGradAnyPad(dy: tf.Tensor4D, filter: tf.Tensor4D, xShape: number[], attrs: Attrs): tf.Tensor {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(
      `Conv2DBackpropInput (wasm, from operations): data format ${String(attrs.dataFormat)} is not supported`,
    );
  }
  const [sh, sw] = pair(attrs.strides);
  if ((sh > 1 || sw > 1) && filter.shape[3] >= COL2IM_MIN_CHANNELS && onWasm(dy, filter)) {
    return stridedInputGradWasm(dy, filter, xShape, attrs);
  }
  const cropped = fullCorrelationInput(dy, filter.shape, xShape, attrs);
  const turned = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(cropped, turned, 1, 'valid');
}

/**
 * Kernels for the wasm backend that gradients need: the ones it lacks (the filter gradient of fused convolutions,
 * depthwise input gradients) and, in place of its own, the convolution's input gradient, which it computes with a
 * plain loop while a forward convolution runs through XNNPACK on every thread (a fused convolution's gradient calls
 * the kernel directly, so the gradient above cannot route it).
 */
const WASM_KERNELS: tf.KernelConfig[] = [
  kernelFromOps('Conv2DBackpropInput', 'wasm', ({ dy, filter }, attrs) =>
    convInputGradAnyPad(dy as tf.Tensor4D, filter as tf.Tensor4D, attrs.inputShape as number[], attrs),
  ),
  kernelFromOps('Conv2DBackpropFilter', 'wasm', ({ x, dy }, attrs) =>
    convFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, attrs.filterShape as number[], attrs),
  ),
  kernelFromOps('DepthwiseConv2dNativeBackpropFilter', 'wasm', ({ x, dy }, attrs) =>
    depthwiseFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, attrs.filterShape as number[], attrs),
  ),
  kernelFromOps('DepthwiseConv2dNativeBackpropInput', 'wasm', ({ dy, filter }, attrs) =>
    depthwiseInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, attrs.inputShape as number[], attrs),
  ),
];

/**
 * The ReLU gradients of guided backpropagation (Springenberg et al. 2015, and MATLAB's example "Investigate
 * Classification Decisions Using Gradient Attribution Techniques"): a ReLU passes back only the positive part of what
 * reaches it, where its input was positive (ReLU6: inside (0, 6]), so that only evidence for the score flows on.
 */
const GUIDED: readonly tf.GradConfig[] = [
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(tf.relu(dy as tf.Tensor), tf.step(x)) }),
  },
  {
    kernelName: tf.Relu6,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved) => ({
      x: () =>
        tf.mul(tf.relu(dy as tf.Tensor), tf.cast(tf.equal(x, tf.clipByValue(x, FLOAT32_MIN_NORMAL, 6)), 'float32')),
    }),
  },
];

/**
 * Runs `compute` (which takes gradients, synchronously) with guided backpropagation's gradients for TF.js's `Relu`
 * and `Relu6` operations in place of the ordinary ones, which are put back afterwards, also when `compute` throws.
 * Nothing else can run in between: `tf.grad` and `compute` are synchronous.
 */
export function withGuidedReLU<T>(compute: () => T): T {
  ensureGradients();
  const ordinary = GUIDED.map((g) => tf.getGradient(g.kernelName) as tf.GradConfig);
  for (const g of GUIDED) tf.registerGradient(g);
  try {
    return compute();
  } finally {
    for (const g of ordinary) tf.registerGradient(g);
  }
}
