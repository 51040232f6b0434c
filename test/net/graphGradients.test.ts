import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { activations } from '../../src/net/activations.js';
import { segment } from '../../src/net/differentiable.js';
import { ensureGradients } from '../../src/net/gradients.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { BACKEND } from '../helpers/backend.js';
import { random } from '../helpers/tinyNetwork.js';
import { loadUserGraph } from '../helpers/userGraph.js';

// Gradients through a user's converted graph with only tfjs-core and the converter loaded (no tfjs-layers, which
// registers TF.js's own gradients for every kernel): the gradients the library registers for the operations such
// graphs use, each checked against central differences along a random direction, then Grad-CAM and deep dream on a
// hand-written MobileNet-style graph, on every backend.

const KERNELS = [
  tf.Relu6,
  tf.LeakyRelu,
  tf.Elu,
  tf.Sigmoid,
  tf.Tanh,
  tf.ClipByValue,
  tf.Maximum,
  tf.Minimum,
  tf.AddN,
  tf.Transpose,
  tf.BatchMatMul,
  tf.DepthwiseConv2dNative,
  tf.FusedBatchNorm,
  tf.ExpandDims,
  tf.Unpack,
  tf.Prelu,
  tf.Pack,
  tf.GatherNd,
  tf.Sqrt,
  tf.ArgMax,
  tf.ResizeBilinear,
  tf.ResizeNearestNeighbor,
  tf.StridedSlice,
  tf.DepthToSpace,
  tf.Abs,
  tf.Rsqrt,
  tf.Max,
  tf.Min,
  tf.Square,
  tf.Prod,
  tf.GatherV2,
  tf.Floor,
  tf.Exp,
  tf.Log,
  tf.Reciprocal,
  tf.Neg,
  tf.Select,
  tf.SplitV,
  tf.TopK,
  tf.Tile,
  tf.Mod,
  tf.Conv2DBackpropInput,
  tf.MirrorPad,
  tf.SpaceToBatchND,
  tf.BatchToSpaceND,
  tf.Erf,
  tf.Softplus,
  tf.Selu,
  tf.Pow,
  tf.Reverse,
  tf.Log1p,
  tf.Sin,
  tf.Cos,
  tf.Cumsum,
  tf.LRN,
  tf.Atan2,
  tf.CropAndResize,
  tf.Expm1,
  tf.IsNan,
  tf.IsInf,
  tf.IsFinite,
  tf.ZerosLike,
  tf.OnesLike,
  tf.Step,
  tf.OneHot,
];
let unregistered: string[];
beforeAll(() => {
  unregistered = KERNELS.filter((k) => tf.getGradient(k) === undefined);
  ensureGradients();
});

/** Values drawn from [lo, hi), none within `gap` of the kinks `avoid` (where central differences cross a corner). */
function values(shape: number[], seed: number, lo = -2, hi = 2, avoid: number[] = [], gap = 0.05): tf.Tensor {
  const r = random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Float32Array.from({ length: n }, () => {
    let x: number;
    do x = lo + ((r() + 1) / 2) * (hi - lo);
    while (avoid.some((k) => Math.abs(x - k) < gap));
    return x;
  });
  return tf.tensor(v, shape);
}

/**
 * For each input `i` in `which`: d/dt of sum(f(xs with xs[i] + t·dir) · W) at 0, from the registered gradient and from
 * central differences (step `eps`, in float32). Returns [analytic, numeric] pairs.
 */
async function directional(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], which: number[], eps: number) {
  const out = f(...xs);
  const W = values(out.shape, 99);
  out.dispose();
  const g = (...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), W));
  const pairs: [number, number][] = [];
  for (const i of which) {
    const dir = values(xs[i].shape, 7 + i, -1, 1);
    const at = (t: number) => xs.map((x, j) => (j === i ? tf.add(x, tf.mul(dir, t)) : x));
    const [analytic, plus, minus] = tf.tidy(() => {
      const grad = tf.grad((x: tf.Tensor) => g(...xs.map((y, j) => (j === i ? x : y))))(xs[i]);
      return [tf.sum(tf.mul(grad, dir)), g(...at(eps)), g(...at(-eps))];
    });
    const [a, p, m] = await Promise.all([analytic.data(), plus.data(), minus.data()]);
    tf.dispose([analytic, plus, minus, dir]);
    pairs.push([a[0], (p[0] - m[0]) / (2 * eps)]);
  }
  W.dispose();
  return pairs;
}

/** The second operand of Maximum and Minimum (the first avoids its values: no ties within a step). */
const B = [0.3, -1.1, 1.7, -0.4];

describe('the gradients registered for converted graphs', () => {
  it('are the library’s own: no other package registered them in this process', () => {
    expect(unregistered).toEqual(KERNELS);
    for (const k of KERNELS) expect(tf.getGradient(k), k).toBeDefined();
  });

  it("puts its Unpack gradient back over another package's, which fails on a lone part", async () => {
    // TF.js's own, as tfjs-layers registers it: the parts' gradients stacked as they come.
    const own = tf.getGradient(tf.Unpack);
    tf.registerGradient({
      kernelName: tf.Unpack,
      gradFunc: (dy, _saved, attrs) => ({ value: () => tf.stack(dy as tf.Tensor[], attrs.axis as number) }),
    });
    expect(tf.getGradient(tf.Unpack)).not.toBe(own);
    ensureGradients();
    expect(tf.getGradient(tf.Unpack)).toBe(own);
    const x = tf.ones([1, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.unstack(v)[0], tf.tensor1d([1, 2, 3]))))(x);
    expect(Array.from(await g.data())).toEqual([1, 2, 3]);
    tf.dispose([x, g]);
  });

  // The step: 1e-2, or 0.25 for products (quadratic in each input, so central differences are exact but for rounding).
  const cases: [string, (...xs: tf.Tensor[]) => tf.Tensor, () => tf.Tensor[], number[], number?][] = [
    ['Relu6', (x) => tf.relu6(x), () => [values([4, 5], 1, -3, 9, [0, 6])], [0]],
    ['LeakyRelu', (x) => tf.leakyRelu(x, 0.2), () => [values([4, 5], 2, -2, 2, [0])], [0]],
    ['Elu', (x) => tf.elu(x), () => [values([4, 5], 3, -2, 2, [0])], [0]],
    ['Sigmoid', (x) => tf.sigmoid(x), () => [values([4, 5], 4)], [0]],
    ['Tanh', (x) => tf.tanh(x), () => [values([4, 5], 5)], [0]],
    ['ClipByValue', (x) => tf.clipByValue(x, -1, 1.5), () => [values([4, 5], 6, -2, 2, [-1, 1.5])], [0]],
    ['Maximum (broadcast)', (a, b) => tf.maximum(a, b), () => [values([3, 4], 8, -2, 2, B), tf.tensor2d([B])], [0, 1]],
    ['Minimum (broadcast)', (a, b) => tf.minimum(a, b), () => [values([3, 4], 10, -2, 2, B), tf.tensor2d([B])], [0, 1]],
    [
      'AddN',
      (a, b, c) => tf.mul(tf.addN([a, b, c]), a),
      () => [1, 2, 3].map((s) => values([2, 3], 20 + s)),
      [0, 1, 2],
      0.25,
    ],
    [
      // One tensor summed twice, and a sum of sums: each input's gradient must be its own tensor (one shared by
      // several inputs was freed when the first of them gathered another gradient).
      'AddN, an input twice and a sum of sums',
      (x) => {
        const p = tf.relu(x);
        return tf.addN([tf.addN([p, x]), p]);
      },
      () => [values([2, 3], 24, -2, 2, [0])],
      [0],
    ],
    [
      'Transpose',
      (x) => tf.mul(tf.transpose(x, [2, 0, 1]), tf.reshape(tf.range(0, 24), [4, 2, 3])),
      () => [values([2, 3, 4], 12)],
      [0],
    ],
    ...[false, true].flatMap((tA) =>
      [false, true].map(
        (tB) =>
          [
            `BatchMatMul (transposeA ${tA}, transposeB ${tB}, batch broadcast)`,
            (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, tA, tB),
            () => [values(tA ? [2, 4, 3] : [2, 3, 4], 13), values(tB ? [1, 5, 4] : [1, 4, 5], 14)],
            [0, 1],
            0.25,
          ] as (typeof cases)[number],
      ),
    ),
    [
      'DepthwiseConv2dNative (stride 2, same, multiplier 2)',
      (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'),
      () => [values([2, 7, 7, 3], 15), values([3, 3, 3, 2], 16)],
      [0, 1],
    ],
    // TensorFlow 1's dilated convolution: space to batch, convolve, batch to space.
    [
      'SpaceToBatchND, block [2, 2], padded',
      (x) =>
        tf.spaceToBatchND(
          x,
          [2, 2],
          [
            [0, 0],
            [1, 1],
          ],
        ),
      () => [values([1, 4, 6, 2], 76)],
      [0],
    ],
    [
      'BatchToSpaceND, block [2, 2], cropped',
      // Weighted: the function is linear, and the random weights alone happened to cancel along the direction.
      (x) =>
        tf.mul(
          tf.batchToSpaceND(
            x,
            [2, 2],
            [
              [0, 0],
              [1, 1],
            ],
          ),
          tf.reshape(tf.range(1, 33), [1, 4, 4, 2]),
        ),
      () => [values([4, 2, 3, 2], 87)],
      [0],
    ],
    // GELU's erf (ConvNeXt, transformers), Mish's softplus (YOLOv4), SELU, powers, reversals, running sums.
    ['Erf', (x) => tf.erf(x), () => [values([4, 5], 78)], [0]],
    ['Softplus', (x) => tf.softplus(x), () => [values([4, 5], 79, -4, 4)], [0]],
    ['Selu', (x) => tf.selu(x), () => [values([4, 5], 80, -2, 2, [0])], [0]],
    ['Pow (broadcast exponent)', (a, b) => tf.pow(a, b), () => [values([3, 4], 81, 0.5, 2), values([4], 82)], [0, 1]],
    [
      'Reverse',
      (x) => tf.mul(tf.reverse(x, [0, 2]), tf.reshape(tf.range(1, 25), [2, 3, 4])),
      () => [values([2, 3, 4], 83)],
      [0],
    ],
    ['Log1p', (x) => tf.log1p(x), () => [values([4, 5], 84, 0, 3)], [0]],
    ['Sin and Cos', (x) => tf.mul(tf.sin(x), tf.cos(tf.mul(x, 2))), () => [values([4, 5], 85)], [0]],
    // Along the last axis: TF.js's WebGPU cumsum is wrong along another (see webgpuKernelFixes.ts).
    [
      'Cumsum, exclusive and reversed',
      (x) => tf.mul(tf.cumsum(x, 1, true, true), tf.cumsum(x, 1)),
      () => [values([3, 5], 86)],
      [0],
    ],
    // GoogLeNet's and AlexNet's local response normalization (MATLAB's crossChannelNormalizationLayer).
    [
      'LRN, depth radius 2',
      (x) => tf.localResponseNormalization(x as tf.Tensor4D, 2, 1, 0.1, 0.75),
      () => [values([1, 3, 3, 6], 88)],
      [0],
    ],
    // Style-transfer and segmentation graphs pad by reflection (tf.pad with mode 'REFLECT' or 'SYMMETRIC').
    [
      'MirrorPad, reflect, 1 and 2 cells',
      (x) =>
        tf.mirrorPad(
          x,
          [
            [0, 0],
            [1, 2],
            [2, 1],
            [0, 0],
          ],
          'reflect',
        ),
      () => [values([1, 4, 5, 2], 74)],
      [0],
    ],
    [
      'MirrorPad, symmetric, 3 cells before',
      (x) =>
        tf.mirrorPad(
          x,
          [
            [3, 0],
            [1, 1],
          ],
          'symmetric',
        ),
      () => [values([3, 4], 75)],
      [0],
    ],
    // Inception's branches pool 3×3 'same': TF's average leaves the padding out of the count, and so must its gradient.
    [
      'AvgPool, 3×3 stride 1 same',
      (x) => tf.avgPool(x as tf.Tensor4D, 3, 1, 'same'),
      () => [values([2, 5, 6, 3], 72)],
      [0],
    ],
    [
      'AvgPool, 3×2 strides [2, 3] same',
      (x) => tf.avgPool(x as tf.Tensor4D, [3, 2], [2, 3], 'same'),
      () => [values([1, 7, 8, 2], 73)],
      [0],
    ],
    // Dilated (atrous, as DeepLab's and BodyPix's): TF.js's gradients refuse a dilation above 1, and its cpu
    // backend's depthwise ones gave other numbers without an error.
    [
      'Conv2D, dilated 2, same',
      (x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2),
      () => [values([2, 9, 8, 3], 61), values([3, 3, 3, 4], 62)],
      [0, 1],
    ],
    [
      'DepthwiseConv2dNative, dilations [2, 3], valid, multiplier 2',
      (x, f) => tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'valid', 'NHWC', [2, 3]),
      () => [values([2, 9, 10, 3], 63), values([3, 3, 3, 2], 64)],
      [0, 1],
    ],
    [
      'FusedDepthwiseConv2D, ReLU6, dilated 2 (a graph’s; apart under a gradient)',
      (x, f) =>
        tf.fused.depthwiseConv2d({
          x: x as tf.Tensor4D,
          filter: f as tf.Tensor4D,
          strides: 1,
          pad: 'same',
          dilations: 2,
          bias: tf.tensor1d([0.5, -0.25]),
          activation: 'relu6',
        }),
      () => [values([1, 8, 7, 2], 65), values([3, 3, 2, 1], 66)],
      [0],
    ],
    [
      'FusedDepthwiseConv2D, linear (its gradient computes the filter’s too)',
      (x, f) => tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'valid' }),
      () => [values([1, 6, 5, 2], 17), values([3, 2, 2, 1], 18)],
      [0],
    ],
    // What exporters put before the first layer (MoveNet: unstack the batch of 1, expand it back).
    ['ExpandDims', (x) => tf.expandDims(x, 1), () => [values([2, 3], 30)], [0]],
    ['Unpack, a single part (a batch of 1)', (x) => tf.unstack(x)[0], () => [values([1, 3, 4], 31)], [0]],
    ['Unpack, one part of three used', (x) => tf.unstack(x, 1)[2], () => [values([2, 3, 4], 32)], [0]],
    [
      'Slice, begin and size as single numbers (the first axis)',
      (x) => tf.slice(x, 1, 1),
      () => [values([3, 4], 33)],
      [0],
    ],
    ['Slice, size -1 (to the end)', (x) => tf.slice(x, [0, 1], [2, -1]), () => [values([3, 4], 34)], [0]],
    // Face and hand models (PReLU), detectors' feature pyramids (resizes), pose models' outputs (Pack).
    [
      'Prelu, one slope per channel',
      (x, a) => tf.prelu(x, a),
      () => [values([2, 3, 4], 35, -2, 2, [0]), tf.tensor1d([0.1, -0.3, 0.7, 0.25])],
      [0, 1],
    ],
    [
      // MoveNet picks its keypoints with it; an index given twice gets both gradients.
      'GatherNd, one index twice, the indices computed from the input',
      (x) => {
        // As MoveNet does: indices from an argmax of the input itself (their gradient is zero).
        const row = tf.cast(tf.argMax(tf.reshape(tf.slice(x, [0, 0, 0], [3, 1, 1]), [3, 1]), 0), 'int32');
        const picks = tf.stack([tf.concat([row, tf.tensor1d([1], 'int32')]), tf.tensor1d([2, 3], 'int32')]);
        return tf.gatherND(x, tf.concat([picks, picks], 0) as tf.Tensor2D);
      },
      () => [values([3, 4, 2], 40)],
      [0],
    ],
    // MoveNet's distance from each keypoint to the grid.
    ['Sqrt', (x) => tf.sqrt(x), () => [values([3, 4], 41, 0.5, 3)], [0]],
    [
      'Pack, along a middle axis',
      (a, b) => tf.mul(tf.stack([a, b], 1), tf.reshape(tf.range(1, 13), [2, 2, 3])),
      () => [values([2, 3], 36), values([2, 3], 37)],
      [0, 1],
    ],
    ...[false, true].map(
      (halfPixelCenters) =>
        [
          `ResizeBilinear (×2, halfPixelCenters ${halfPixelCenters})`,
          (x: tf.Tensor) => tf.image.resizeBilinear(x as tf.Tensor4D, [6, 8], false, halfPixelCenters),
          () => [values([1, 3, 4, 2], 38)],
          [0],
        ] as (typeof cases)[number],
    ),
    [
      'ResizeNearestNeighbor (to 5×7, not a whole factor)',
      (x) => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [5, 7]),
      () => [values([2, 3, 4, 1], 39)],
      [0],
    ],
    // Age and gender models (SSR-Net) slice their stages' outputs; attention face meshes pick coordinates.
    [
      'StridedSlice, strides 2 and -1',
      (x) => tf.stridedSlice(x, [0, 0, 3], [3, 5, 0], [1, 2, -1]),
      () => [values([3, 5, 4, 2], 42)],
      [0],
    ],
    [
      'StridedSlice, begin and end masks, a new axis, negative indices',
      (x) => tf.stridedSlice(x, [0, 0, -3], [0, 0, -1], [1, 1, 1], 0b1, 0b1, 0, 0b10),
      () => [values([2, 6], 43)],
      [0],
    ],
    [
      'StridedSlice, a step of 3 whose zeros run past the end, and a step of -2',
      (x) => tf.stridedSlice(x, [2, 7], [7, 0], [3, -2]),
      () => [values([7, 8], 67)],
      [0],
    ],
    [
      // A placement matrix along this axis would hold 2·10¹⁰ numbers.
      'StridedSlice, a step of 2 along an axis of 200,000',
      (x) => tf.stridedSlice(x, [0, 1], [1, 200000], [1, 2]),
      () => [values([1, 200000], 68)],
      [0],
    ],
    [
      'GatherV2, 50,000 indices along an axis of 300,000 (a one-hot matrix would not fit)',
      (x) => tf.gather(x, tf.range(0, 300000, 6, 'int32'), 1),
      () => [values([1, 300000], 69)],
      [0],
    ],
    [
      'StridedSlice, a shrunk axis (x[:, 2])',
      (x) => tf.stridedSlice(x, [0, 2], [0, 3], [1, 1], 0b1, 0b1, 0, 0, 0b10),
      () => [values([3, 4], 50)],
      [0],
    ],
    // BlazePose's detector and the full-range face detector upsample with it.
    [
      'DepthToSpace, block 2',
      (x) => tf.mul(tf.depthToSpace(x as tf.Tensor4D, 2), tf.reshape(tf.range(1, 49), [2, 4, 2, 3])),
      () => [values([2, 2, 1, 12], 44)],
      [0],
    ],
    // Face embeddings (MobileFaceNet) normalize with them; pose and gender models take maxima.
    ['Abs', (x) => tf.abs(x), () => [values([4, 5], 46, -2, 2, [0])], [0]],
    ['Rsqrt', (x) => tf.rsqrt(x), () => [values([4, 5], 47, 0.5, 3)], [0]],
    ['Max, over two axes', (x) => tf.max(x, [1, 2]), () => [values([2, 4, 3, 2], 48)], [0]],
    ['Min, over the last axis', (x) => tf.min(x, -1), () => [values([3, 5], 52)], [0]],
    ['Square', (x) => tf.square(x), () => [values([4, 5], 53)], [0]],
    // Channel reorders (RGB to BGR) and landmark picks.
    [
      'GatherV2, along the channels, one index twice',
      (x) => tf.gather(x, [2, 0, 2], 2),
      () => [values([2, 3, 4], 55)],
      [0],
    ],
    [
      'GatherV2, one batch dimension',
      (x) =>
        tf.gather(
          x,
          tf.tensor2d(
            [
              [1, 1],
              [0, 2],
            ],
            [2, 2],
            'int32',
          ),
          1,
          1,
        ),
      () => [values([2, 3, 4], 56)],
      [0],
    ],
    // MoveNet MultiPose writes its softmax and score normalisation out.
    ['Exp', (x) => tf.exp(x), () => [values([4, 5], 58)], [0]],
    ['Log', (x) => tf.log(x), () => [values([4, 5], 59, 0.5, 3)], [0]],
    ['Reciprocal', (x) => tf.reciprocal(x), () => [values([4, 5], 60, 0.5, 3)], [0]],
    ['Neg', (x) => tf.mul(tf.neg(x), x), () => [values([4, 5], 61)], [0], 0.25],
    [
      'Select (where), both sides',
      (t, e) =>
        tf.where(
          tf.tensor2d([
            [true, false, true],
            [false, false, true],
          ]),
          t,
          e,
        ),
      () => [values([2, 3], 62), values([2, 3], 63)],
      [0, 1],
    ],
    [
      'SplitV, one part unused',
      (x) => tf.mul(tf.split(x, [1, 2, 2], 1)[2], tf.tensor1d([1, -2])),
      () => [values([3, 5], 64)],
      [0],
    ],
    [
      'TopK, along the last axis',
      (x) => tf.mul(tf.topk(x, 2).values, tf.tensor1d([1, 3])),
      () => [values([2, 3, 6], 65)],
      [0],
    ],
    [
      'Tile, two axes repeated',
      (x) => tf.mul(tf.tile(x, [2, 1, 3]), tf.reshape(tf.range(1, 37), [4, 3, 3])),
      () => [values([2, 3, 1], 66)],
      [0],
    ],
    [
      'Mod (broadcast)',
      (a, b) => tf.mod(a, b),
      () => [values([3, 4], 70, 0.2, 5), tf.tensor1d([1.5, 2.5, 0.7, 3.1])],
      [0, 1],
      1e-3,
    ],
    ['Floor (zero)', (x) => tf.add(tf.floor(x), x), () => [values([3, 4], 57, -2, 2, [-1, 0, 1])], [0]],
    ['Expm1', (x) => tf.expm1(x), () => [values([4, 5], 58)], [0]],
    [
      // Masks and constants made from the input: zero gradients, beside the input itself.
      'IsNan, IsInf, IsFinite, ZerosLike, OnesLike, Step and OneHot (zero)',
      (x) =>
        tf.concat(
          [
            tf.expandDims(
              tf.addN([
                x,
                tf.cast(tf.logicalOr(tf.isNaN(x), tf.isInf(x)), 'float32'),
                tf.cast(tf.isFinite(x), 'float32'),
                tf.zerosLike(x),
                tf.onesLike(x),
                tf.step(x),
              ]),
              2,
            ),
            tf.reshape(tf.oneHot(tf.cast(tf.abs(tf.reshape(x, [-1])), 'int32'), 3, 1, 0, 'float32'), [...x.shape, 3]),
          ],
          2,
        ),
      () => [values([3, 4], 59, -2, 2, [-1, 0, 1])],
      [0],
    ],
    ['Prod, over the first and last axes', (x) => tf.prod(x, [0, 2]), () => [values([2, 3, 4], 54, 0.5, 1.5)], [0]],
    // Segmentation and pose decoders (Selfie, Meet, EfficientPose) upsample with transposed convolutions.
    [
      'Conv2DBackpropInput (a transposed convolution, stride 2, same)',
      (x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [1, 6, 6, 1], 2, 'same'),
      () => [values([1, 3, 3, 2], 49), values([3, 3, 1, 2], 51)],
      [0, 1],
      0.25,
    ],
    ...(['bilinear', 'nearest'] as const).map(
      (method) =>
        [
          // Boxes inside, across the edge (cells outside get no gradient) and of one row; two images. No sampling
          // point lies halfway between two cells, where TF.js's cpu kernel (float64) and its others (float32) can
          // round to different neighbours.
          `CropAndResize (${method}, to 4×3)`,
          (x: tf.Tensor) =>
            tf.image.cropAndResize(
              x as tf.Tensor4D,
              tf.tensor2d([
                [0.1, 0.2, 0.8, 0.85],
                [-0.2, 0.32, 0.6, 1.3],
                [0.5, 0.05, 0.5, 0.66],
              ]),
              tf.tensor1d([1, 0, 1], 'int32'),
              [4, 3],
              method,
            ),
          () => [values([2, 5, 6, 2], 33)],
          [0],
        ] as (typeof cases)[number],
    ),
    [
      // MediaPipe's attention face mesh turns its landmarks by an angle from atan2.
      'Atan2 (broadcast)',
      (a, b) => tf.atan2(a, b),
      () => [values([3, 4], 31, -2, 2), values([4], 32, 0.5, 2)],
      [0, 1],
    ],
    [
      'FusedBatchNorm (inference)',
      (x) =>
        tf.batchNorm(
          x,
          tf.tensor1d([0.1, -0.2]),
          tf.tensor1d([0.5, 2]),
          tf.tensor1d([1, 0]),
          tf.tensor1d([2, -1]),
          1e-3,
        ),
      () => [values([2, 3, 3, 2], 19)],
      [0],
    ],
  ];
  it.each(cases)(
    '%s: the registered gradient matches central differences',
    async (_name, f, make, which, eps = 1e-2) => {
      const xs = make();
      for (const [analytic, numeric] of await directional(f, xs, which, eps)) {
        expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
        expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(1e-2);
      }
      tf.dispose(xs);
    },
  );

  it('GatherV2, one batch dimension, along a later axis: matches central differences', async () => {
    const idx = () =>
      tf.tensor2d(
        [
          [3, 0, 3],
          [1, 2, 2],
        ],
        [2, 3],
        'int32',
      );
    const f = (x: tf.Tensor) => tf.gather(x, idx(), 2, 1);
    const xs = [values([2, 3, 4, 2], 71)];
    for (const [analytic, numeric] of await directional(f, xs, [0], 1e-2)) {
      expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(1e-2);
    }
    tf.dispose(xs);
  });

  // TF.js's cpu backend runs DepthToSpace channels-last only.
  it.skipIf(BACKEND === 'cpu')('DepthToSpace, block 3, channels first: matches central differences', async () => {
    const f = (x: tf.Tensor) =>
      tf.mul(tf.depthToSpace(x as tf.Tensor4D, 3, 'NCHW'), tf.reshape(tf.range(1, 37), [1, 1, 6, 6]));
    const xs = [values([1, 9, 2, 2], 45)];
    for (const [analytic, numeric] of await directional(f, xs, [0], 0.25)) {
      expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(1e-2);
    }
    tf.dispose(xs);
  });
});

describe('gradient methods on a user’s GraphModel', () => {
  let net: Network;
  let img: tf.Tensor3D;
  beforeAll(async () => {
    net = await toNetwork(await loadUserGraph(), { normalization: 'rescale-zero-one' });
    const r = random(5);
    img = tf.tensor3d(
      Float32Array.from({ length: 32 * 32 * 3 }, () => Math.round((r() + 1) * 127.5)),
      [32, 32, 3],
    );
  });
  afterAll(() => {
    net?.dispose();
    img?.dispose();
  });

  it('gradCAM picks the last spatial layer and weighs its channels by d score / d A, mean over space', async () => {
    const result = await expectNoLeak(() => gradCAM(net, img, 2, { outputUpsampling: 'none' }), 1);
    expect([result.featureLayer, result.reductionLayer]).toEqual(['relu', 'prob']);
    // alpha_k from central differences: shifting all of channel k by t changes the score by t · Σ_ij dS/dA_kij.
    const A = activations(net, img, 'relu') as tf.Tensor3D;
    const [h, w, c] = A.shape;
    const seg = segment(net, 'relu', 'prob');
    const score = (a: tf.Tensor) => tf.tidy(() => tf.slice(tf.reshape(seg.run(tf.expandDims(a, 0)), [-1]), [2], [1]));
    const eps = 1e-2;
    const alpha: number[] = [];
    for (let k = 0; k < c; k++) {
      const shift = tf.tidy(() => tf.mul(tf.reshape(tf.oneHot([k], c), [1, 1, c]), eps));
      const [p, m] = [score(tf.add(A, shift)), score(tf.sub(A, shift))];
      alpha.push(((await p.data())[0] - (await m.data())[0]) / (2 * eps * h * w));
      tf.dispose([shift, p, m]);
    }
    const expected = tf.tidy(() => tf.relu(tf.sum(tf.mul(A, tf.tensor1d(alpha)), 2)));
    const [got, want] = await Promise.all([result.map.data(), expected.data()]);
    const scale = Math.max(...Array.from(want).map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(3e-3 * scale);
    tf.dispose([result.map, A, expected]);
  });

  it('deepDreamImage raises the chosen channel’s mean activation through the whole graph', async () => {
    const start = tf.tidy(() => tf.add(tf.randomUniform([32, 32, 3], -20, 20, 'float32', 3), 127.5));
    const meanOf = async (x: tf.Tensor) => {
      const a = activations(net, x, 'bn') as tf.Tensor3D;
      const m = tf.tidy(() => tf.mean(tf.slice(a, [0, 0, 4], [-1, -1, 1])));
      const v = (await m.data())[0];
      tf.dispose([a, m]);
      return v;
    };
    const out = await expectNoLeak(
      () =>
        deepDreamImage(net, 'bn', 4, {
          initialImage: start,
          pyramidLevels: 1,
          numIterations: 5,
          outputScaling: 'none',
        }),
      1,
    );
    expect(out.shape).toEqual([1, 32, 32, 3]);
    const dreamed = tf.squeeze(out, [0]);
    expect(await meanOf(dreamed)).toBeGreaterThan((await meanOf(start)) + 0.05);
    tf.dispose([out, dreamed, start]);
  });

  it('deepDreamImage takes a layer of one number per image as one channel (raised, channel 0 only)', async () => {
    const gated = await toNetwork(await loadUserGraph(undefined, 'gated'), { normalization: 'rescale-zero-one' });
    expect(gated.layers.find((l) => l.name === 'total')?.outputSize).toEqual([]);
    const start = tf.tidy(() => tf.add(tf.randomUniform([32, 32, 3], -20, 20, 'float32', 4), 127.5));
    const totalOf = async (x: tf.Tensor) => {
      const a = activations(gated, x, 'total');
      const v = (await a.data())[0];
      a.dispose();
      return v;
    };
    const out = await expectNoLeak(
      () =>
        deepDreamImage(gated, 'total', 0, {
          initialImage: start,
          pyramidLevels: 1,
          numIterations: 5,
          outputScaling: 'none',
        }),
      1,
    );
    const dreamed = tf.squeeze(out, [0]);
    expect(await totalOf(dreamed)).toBeGreaterThan((await totalOf(start)) + 0.05);
    await expectThrowsNoLeak(
      () => deepDreamImage(gated, 'total', 1),
      RangeError,
      "deepDreamImage: expected 'channels' to be an integer in [0, 0], got 1 (number)",
    );
    tf.dispose([out, dreamed, start]);
    gated.dispose();
  });

  it('gradCAM through a dilated depthwise convolution equals it through the same kernel spread out', async () => {
    const [dilated, spread] = await Promise.all(
      (['dilated', 'spread'] as const).map(async (d) =>
        toNetwork(await loadUserGraph(undefined, 'softmax', undefined, d), { normalization: 'rescale-zero-one' }),
      ),
    );
    const [got, want] = await Promise.all(
      [dilated, spread].map((n) => gradCAM(n, img, 1, { featureLayer: 'conv', outputUpsampling: 'none' })),
    );
    const [g, w] = await Promise.all([got.map.data(), want.map.data()]);
    const scale = Math.max(...Array.from(w).map(Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < w.length; i++) expect(Math.abs(g[i] - w[i])).toBeLessThan(1e-4 * scale);
    tf.dispose([got.map, want.map]);
    dilated.dispose();
    spread.dispose();
  });

  it('names the operation and the fix when the graph uses one whose gradient nobody registered', async () => {
    const withAsinh = await toNetwork(await loadUserGraph('Asinh'), { normalization: 'rescale-zero-one' });
    await expectThrowsNoLeak(
      () => gradCAM(withAsinh, img, 0, { featureLayer: 'conv' }),
      TypeError,
      /^gradCAM: .* uses the TF\.js operation 'Asinh', whose gradient is not registered; import '@tensorflow\/tfjs-layers'/,
    );
    withAsinh.dispose();
  });
});
