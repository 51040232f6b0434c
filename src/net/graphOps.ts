/**
 * Graph operations that TF.js's converter runs by another rule than TensorFlow's, run by TensorFlow's in the graph
 * models the library makes networks of. Not exported from the package.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { registerOp } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { dilateKernel } from './dilation.js';
import { einsum } from '../backend/einsum.js';
import { attrString, type GraphDefAttr, rawStringAttr, recordingGradient, rerouteGraphOp } from './tfjsInternals.js';

/** The names the library's operations are registered under (names no TensorFlow operation has). */
const SELECT_V1 = 'cnn-activations/Select';
const TRUNCATE_DIV = 'cnn-activations/Div';
const TRUNCATE_MOD = 'cnn-activations/Mod';
const DILATED_TRANSPOSE = 'cnn-activations/Conv2DBackpropInput';
const ONE_HOT_ON_AXIS = 'cnn-activations/OneHot';
const BATCH_NORM = 'cnn-activations/FusedBatchNorm';
const EXPLICIT_MAX_POOL = 'cnn-activations/MaxPool';
const REAL_FFT = 'cnn-activations/RFFT';
const INVERSE_REAL_FFT = 'cnn-activations/IRFFT';
const EINSUM = 'cnn-activations/Einsum';
const INTEGER_MEAN = 'cnn-activations/Mean';
const LINEAR_CONV = 'cnn-activations/FusedConv2D';
const LINEAR_DEPTHWISE = 'cnn-activations/FusedDepthwiseConv2dNative';
const LINEAR_MATMUL = 'cnn-activations/FusedMatMul';

/** TensorFlow's default epsilon of a fused batch normalization (TF.js's converter assumes 0.001). */
const BATCH_NORM_EPSILON = 1e-4;

let registered = false;

/**
 * TensorFlow 1's `Select(condition, t, e)`: a condition of `t`'s shape picks elements, a scalar picks all, and a vector
 * picks rows (its length is `t`'s first dimension). TF.js's converter runs it as `SelectV2`, which broadcasts the
 * condition from the last axis: a vector condition picks columns of a square `t`, silently, and fails on others. The
 * vector is made a column here, which broadcasts over the rows' other axes.
 */
function selectV1(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [condition, t, e] = node.inputs;
  return [
    tf.tidy(() => {
      if (condition.rank !== 1 || t.rank < 2) return tf.where(condition, t, e);
      const column = tf.reshape(condition, [condition.shape[0], ...new Array<number>(t.rank - 1).fill(1)]);
      return tf.where(column, t, e);
    }),
  ];
}

/**
 * Where `a / b` rounded toward zero is one more than rounded down, given `a mod b` floored (`remainder`): a quotient
 * that is not whole, of operands of opposite signs.
 */
function roundsDown(a: tf.Tensor, b: tf.Tensor, remainder: tf.Tensor): tf.Tensor {
  return tf.logicalAnd(tf.notEqual(remainder, 0), tf.notEqual(tf.less(a, 0), tf.less(b, 0)));
}

/**
 * TensorFlow's `Div`: a true division of floats, and of integers one rounded toward zero (C's rule: -7 / 3 is -2).
 * TF.js's converter runs it as `tf.div`, which floors integers (-3), as TensorFlow's `FloorDiv` does.
 */
function truncateDiv(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [a, b] = node.inputs;
  if (a.dtype !== 'int32') return [tf.div(a, b)];
  return [tf.tidy(() => truncatedQuotient(a, b))];
}

/** `a / b` of int32 tensors rounded toward zero. Call it in a `tf.tidy`. */
function truncatedQuotient(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const quotient = tf.floorDiv(a, b);
  // The 1 as an int32 tensor: a plain number would make the sum float32.
  return tf.where(roundsDown(a, b, tf.mod(a, b)), tf.add(quotient, tf.scalar(1, 'int32')), quotient);
}

/**
 * TensorFlow's `Mean` of integers: the sum divided by the count, rounded toward zero, an integer (the mean of 1, 2 and
 * 4 is 2). TF.js's converter runs `tf.mean`, whose result is float32 (2.33), silently where the graph casts it or
 * indexes with it next. Only integer nodes are rerouted here.
 */
function integerMean(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const [x, axis] = node.inputs;
  // The converter reads a reduction's axes the same way.
  const axes = tf.util.parseAxisParam(Array.from(axis.dataSync()), x.shape);
  const count = axes.reduce((n, a) => n * x.shape[a], 1);
  return [tf.tidy(() => truncatedQuotient(tf.sum(x, axes, node.attrs.keep_dims === true), tf.scalar(count, 'int32')))];
}

/**
 * TensorFlow's `Mod`: the remainder of the division rounded toward zero, with the dividend's sign (C's `%` and `fmod`:
 * -7 mod 3 is -1). TF.js's converter runs it as `tf.mod`, TensorFlow's `FloorMod`, with the divisor's sign (2).
 */
function truncateMod(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [a, b] = node.inputs;
  return [
    tf.tidy(() => {
      const remainder = tf.mod(a, b);
      return tf.where(roundsDown(a, b, remainder), tf.sub(remainder, b), remainder);
    }),
  ];
}

/** A node's spatial dilations `[h, w]`, from its `dilations` attribute (`[1, h, w, 1]`; 1 where absent). */
function spatialDilations(attr: Record<string, GraphDefAttr | undefined>): [number, number] {
  const list = attr.dilations?.list?.i ?? [];
  return [Number(list[1] ?? 1), Number(list[2] ?? 1)];
}

/** An NHWC convolution node's spatial strides and dilations, and its padding, from its attributes as TF.js parses them. */
function convolutionAttrs(raw: Record<string, unknown>): {
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
} {
  const attrs = raw as { strides?: number[]; dilations?: number[]; padding?: string; explicit_paddings?: number[] };
  const e = attrs.explicit_paddings ?? [];
  return {
    strides: [attrs.strides?.[1] ?? 1, attrs.strides?.[2] ?? 1],
    dilations: [attrs.dilations?.[1] ?? 1, attrs.dilations?.[2] ?? 1],
    pad:
      attrs.padding === 'explicit'
        ? [
            [0, 0],
            [e[2] ?? 0, e[3] ?? 0],
            [e[4] ?? 0, e[5] ?? 0],
            [0, 0],
          ]
        : attrs.padding === 'same'
          ? 'same'
          : 'valid',
  };
}

/**
 * TensorFlow's transposed convolution (`Conv2DBackpropInput`) with a dilation above 1. TF.js's converter drops the
 * dilation: it ran the undilated kernel, which gave other numbers, or NaN where its smaller result did not reach the
 * requested output. Run here with the kernel dilated explicitly (zeros between the taps), the same geometry and the
 * same sums, no dilation left. Only nodes with a dilation are rerouted here; channels-first ones are refused before.
 */
function dilatedTranspose(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const [shape, filter, x] = node.inputs;
  const { strides, dilations, pad } = convolutionAttrs(node.attrs);
  const outputShape = Array.from(shape.dataSync()) as [number, number, number, number];
  return [
    tf.tidy(() =>
      tf.conv2dTranspose(
        x as tf.Tensor4D,
        dilateKernel(filter, dilations),
        outputShape,
        strides,
        pad as Parameters<typeof tf.conv2dTranspose>[4],
      ),
    ),
  ];
}

/** A node's `axis` attribute, -1 where it has none. */
const axisOf = (attr: Record<string, GraphDefAttr | undefined>) => Number(attr.axis?.i ?? -1);

/**
 * TensorFlow's `OneHot` along its `axis` attribute: the new axis of `depth` goes there (-1: last). TF.js's converter
 * ignores the attribute and always adds the axis last: along axis 0 a [3, 4] result came out where TensorFlow makes
 * [4, 3], silently when the graph reshapes it next. Here TF.js's result has its last axis moved into place; an axis
 * outside -1 to the indices' rank is refused, as TensorFlow refuses it. Only nodes with another axis than -1 come
 * here.
 */
function oneHotOnAxis(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const [indices, depth, on, off] = node.inputs;
  const axis = typeof node.attrs.axis === 'number' ? node.attrs.axis : -1;
  const rank = indices.rank;
  if (axis !== -1 && !(Number.isInteger(axis) && axis >= 0 && axis <= rank)) {
    throw new RangeError(`oneHot: the axis ${axis} is outside -1 to ${rank} for indices of rank ${rank}`);
  }
  const dtype = (node.attrs.T as tf.DataType | undefined) ?? 'float32';
  // The converter reads these scalars the same way.
  const [d, onValue, offValue] = [depth, on, off].map((t) => t.dataSync()[0]);
  return [
    tf.tidy(() => {
      const hot = tf.oneHot(indices as tf.Tensor1D, d, onValue, offValue, dtype);
      if (axis === -1 || axis === rank) return hot;
      const axes = Array.from({ length: rank }, (_, i) => i);
      return tf.transpose(hot, [...axes.slice(0, axis), rank, ...axes.slice(axis)]);
    }),
  ];
}

/**
 * TensorFlow's `FusedBatchNorm` (and V2, V3) where TF.js's converter reads it otherwise. In training mode
 * (`is_training` true, TensorFlow's default when the attribute is absent) TensorFlow normalizes by the statistics of
 * the batch it is given, over every axis but the channels (the variance divided by the count), and ignores the mean
 * and variance inputs, which are often empty: TF.js always used those inputs, NaN from empty ones (pix2pix-like
 * graphs normalize so on purpose). Without an `epsilon`, TensorFlow's default is 0.0001, the converter's 0.001.
 * Channels-first graphs are refused before this runs.
 */
function batchNorm(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const [x, scale, offset, mean, variance] = node.inputs;
  const attrs = node.attrs as { epsilon?: unknown; is_training?: unknown };
  const epsilon = typeof attrs.epsilon === 'number' ? attrs.epsilon : BATCH_NORM_EPSILON;
  return [
    tf.tidy(() => {
      if (attrs.is_training === false) return tf.batchNorm(x, mean, variance, offset, scale, epsilon);
      // Written out, so that a gradient follows the statistics too (TF.js's batch norm has one for x alone).
      const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
      const centered = tf.sub(x, tf.mean(x, axes, true));
      const batchVariance = tf.mean(tf.square(centered), axes, true);
      return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(batchVariance, epsilon))), scale), offset);
    }),
  ];
}

/**
 * TensorFlow's `MaxPool` with `EXPLICIT` padding (`explicit_paddings` `[0, 0, top, bottom, left, right, 0, 0]`),
 * which TF.js's converter refuses ("Unknown padding parameter: explicit"). A padded cell never wins a window in
 * TensorFlow, so the image is padded with -Infinity and pooled 'valid'. Only such nodes are rerouted here.
 */
function explicitMaxPool(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const [x] = node.inputs;
  const attrs = node.attrs as { ksize?: number[]; strides?: number[]; explicit_paddings?: number[] };
  const k = attrs.ksize ?? [1, 1, 1, 1];
  const st = attrs.strides ?? [1, 1, 1, 1];
  const e = attrs.explicit_paddings ?? [];
  const pads: [number, number][] = [
    [0, 0],
    [e[2] ?? 0, e[3] ?? 0],
    [e[4] ?? 0, e[5] ?? 0],
    [0, 0],
  ];
  return [
    tf.tidy(() =>
      tf.maxPool(tf.pad(x, pads, Number.NEGATIVE_INFINITY) as tf.Tensor4D, [k[1], k[2]], [st[1], st[2]], 'valid'),
    ),
  ];
}

/**
 * The length a `RFFT` or `IRFFT` node transforms at, from its `fft_length` input (one integer, as TensorFlow requires;
 * the converter reads such small constant inputs the same way).
 */
function fftLength(op: string, length: tf.Tensor): number {
  const values = length.dataSync();
  const n = values[0];
  if (length.size !== 1 || !(Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`${op}: expected fft_length to be one integer of at least 0, got [${Array.from(values)}]`);
  }
  return n;
}

/**
 * TensorFlow's `RFFT`: the real signal along the last axis cut or padded with zeros to `fft_length` samples, then
 * transformed (`fft_length / 2 + 1` frequencies, rounded down). TF.js's converter ignored `fft_length` and transformed
 * the whole signal: other frequencies, and a spectrum of another length (a 400-sample frame meant to be padded to 512
 * gave 201 frequencies instead of 257).
 */
function realFft(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [x, length] = node.inputs;
  const n = fftLength('RFFT', length);
  if (n > 0) return [tf.spectral.rfft(x, n)];
  return [tf.tidy(() => tf.complex(tf.zeros([...x.shape.slice(0, -1), 1]), tf.zeros([...x.shape.slice(0, -1), 1])))];
}

/**
 * TensorFlow's `IRFFT`: the spectrum along the last axis cut or padded with zeros to `fft_length / 2 + 1`
 * frequencies (rounded down), then transformed back to `fft_length` real samples; the imaginary parts that a real
 * signal's spectrum cannot have (the first frequency's, and the last one's where the length is even) are ignored.
 * TF.js's converter ignored `fft_length` and always made `2 * (frequencies - 1)` samples (never an odd number), and
 * TF.js's `irfft` gave a rank-1 spectrum a rank-2 result and a rank-4 one a rank-2 result. Here the full spectrum is
 * built from the kept frequencies and their mirrored conjugates, and its inverse's real part kept.
 */
function inverseRealFft(node: { inputs: tf.Tensor[] }): tf.Tensor[] {
  const [x, length] = node.inputs;
  const n = fftLength('IRFFT', length);
  const outer = x.shape.slice(0, -1);
  const m = x.shape[x.rank - 1];
  const batch = outer.reduce((a, b) => a * b, 1);
  const kept = Math.floor(n / 2) + 1;
  return [
    tf.tidy(() => {
      if (n === 0 || batch === 0) return tf.zeros([...outer, n]);
      const toKept = (part: tf.Tensor) => {
        const rows = tf.reshape(part, [batch, m]);
        if (m >= kept) return tf.slice(rows, [0, 0], [batch, kept]);
        return tf.concat([rows, tf.zeros([batch, kept - m])], 1);
      };
      let re = toKept(tf.real(x));
      let im = toKept(tf.imag(x));
      // Frequencies kept..n-1 are the conjugates of n-kept..1.
      const mirrored = n - kept;
      if (mirrored > 0) {
        re = tf.concat([re, tf.reverse(tf.slice(re, [0, 1], [batch, mirrored]), 1)], 1);
        im = tf.concat([im, tf.neg(tf.reverse(tf.slice(im, [0, 1], [batch, mirrored]), 1))], 1);
      }
      return tf.reshape(tf.real(tf.spectral.ifft(tf.complex(re, im))), [...outer, n]);
    }),
  ];
}

/**
 * TensorFlow's `Einsum` (Keras's attention and `EinsumDense` layers write them): TF.js's wasm backend has no kernel for
 * it, TF.js has no gradient for it, it refuses an ellipsis (`'...c,cd->...d'`), more than two operands and a label
 * repeated in an operand, and its converter lowercases the equation (`'Ab,ab->A'` names one label where TensorFlow
 * reads two). Run here as batched matrix products, with the equation as the graph wrote it.
 */
function einsumOp(node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] {
  const equation = rawStringAttr(node, 'equation') ?? String(node.attrs.equation ?? '');
  return [tf.tidy(() => einsum(equation, node.inputs))];
}

/**
 * A fused convolution, depthwise convolution or matrix product whose only fused operation is its bias (`_FusedConv2D`,
 * `FusedDepthwiseConv2dNative`, `_FusedMatMul` with `fused_ops` BiasAdd: a convolution whose batch normalization the
 * converter folded in, a classifier's logits). TF.js's executor runs it as TF.js's fused operation, which stays fused
 * under a gradient when it has no activation, and whose gradient then computes the kernel's share with the input's:
 * a deep dream step through nsfwjs's converted MobileNetV2 spent 62 of its 444 ms of kernels in filter gradients
 * nobody read. Under a gradient it runs here as the plain operation and the bias added (TF.js's own gradients compute
 * only what is asked for); otherwise as TF.js's fused operation, the same call as TF.js's executor makes. Only nodes
 * with the bias alone are rerouted here.
 */
function linearFused(op: 'conv' | 'depthwise' | 'matmul') {
  return (node: { inputs: tf.Tensor[]; attrs: Record<string, unknown> }): tf.Tensor[] => {
    const [x, weights, bias] = node.inputs;
    if (op === 'matmul') {
      const transposeA = node.attrs.transpose_a === true;
      const transposeB = node.attrs.transpose_b === true;
      return [
        recordingGradient()
          ? tf.tidy(() => tf.add(tf.matMul(x, weights, transposeA, transposeB), bias))
          : tf.fused.matMul({ a: x, b: weights, transposeA, transposeB, bias }),
      ];
    }
    const { strides, dilations, pad } = convolutionAttrs(node.attrs);
    const [x4, w4] = [x as tf.Tensor4D, weights as tf.Tensor4D];
    if (op === 'conv') {
      return [
        recordingGradient()
          ? tf.tidy(() => tf.add(tf.conv2d(x4, w4, strides, pad, 'NHWC', dilations), bias))
          : tf.fused.conv2d({ x: x4, filter: w4, strides, pad, dataFormat: 'NHWC', dilations, bias }),
      ];
    }
    // TF.js types a depthwise convolution's padding as 'valid' or 'same' only; the converter passes explicit ones on.
    const dwPad = pad as 'same' | 'valid';
    return [
      recordingGradient()
        ? tf.tidy(() => tf.add(tf.depthwiseConv2d(x4, w4, strides, dwPad, 'NHWC', dilations), bias))
        : tf.fused.depthwiseConv2d({ x: x4, filter: w4, strides, pad: dwPad, dataFormat: 'NHWC', dilations, bias }),
    ];
  };
}

/** Whether a fused node's `fused_ops` are its bias alone (`['BiasAdd']`, one extra input). */
function biasAlone(attr: Record<string, GraphDefAttr | undefined>): boolean {
  const ops = attr.fused_ops?.list?.s ?? [];
  return ops.length === 1 && attrString(ops[0]) === 'BiasAdd' && Number(attr.num_args?.i ?? 1) === 1;
}

/**
 * Makes `model` run its operations by TensorFlow's rules where TF.js's converter does not: its `Select` nodes (the
 * TensorFlow 1 operation, not `SelectV2`), its `Div` nodes and its `Mod` nodes (`FloorDiv`, `FloorMod` and `RealDiv`
 * are run by TensorFlow's rule already), its dilated transposed convolutions, its one-hot encodings along another axis
 * than the last, its batch normalizations in training mode or without an epsilon, its max pooling with explicit
 * padding, its real Fourier transforms and their inverses (at their own lengths), its `Einsum` nodes, its means of
 * integers; and its fused convolutions and products with a bias alone, which under a gradient run unfused (the same
 * values, only the image's share of the gradient computed). Changes the model itself, so it runs so when run bare too.
 */
export function fixGraphOps(model: GraphModel): void {
  if (!registered) {
    registerOp(SELECT_V1, selectV1);
    registerOp(TRUNCATE_DIV, truncateDiv);
    registerOp(TRUNCATE_MOD, truncateMod);
    registerOp(DILATED_TRANSPOSE, dilatedTranspose);
    registerOp(ONE_HOT_ON_AXIS, oneHotOnAxis);
    registerOp(BATCH_NORM, batchNorm);
    registerOp(EXPLICIT_MAX_POOL, explicitMaxPool);
    registerOp(REAL_FFT, realFft);
    registerOp(INVERSE_REAL_FFT, inverseRealFft);
    registerOp(EINSUM, einsumOp);
    registerOp(INTEGER_MEAN, integerMean);
    registerOp(LINEAR_CONV, linearFused('conv'));
    registerOp(LINEAR_DEPTHWISE, linearFused('depthwise'));
    registerOp(LINEAR_MATMUL, linearFused('matmul'));
    registered = true;
  }
  rerouteGraphOp(model, 'Select', SELECT_V1);
  rerouteGraphOp(model, 'Div', TRUNCATE_DIV);
  rerouteGraphOp(model, 'Mod', TRUNCATE_MOD);
  rerouteGraphOp(model, 'Conv2DBackpropInput', DILATED_TRANSPOSE, (attr) =>
    spatialDilations(attr).some((d) => d !== 1),
  );
  rerouteGraphOp(model, 'OneHot', ONE_HOT_ON_AXIS, (attr) => axisOf(attr) !== -1);
  for (const op of ['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']) {
    rerouteGraphOp(model, op, BATCH_NORM, (attr) => attr.is_training?.b !== false || attr.epsilon?.f === undefined);
  }
  rerouteGraphOp(model, 'MaxPool', EXPLICIT_MAX_POOL, (attr) => attr.padding?.s === btoa('EXPLICIT'));
  rerouteGraphOp(model, 'RFFT', REAL_FFT);
  rerouteGraphOp(model, 'IRFFT', INVERSE_REAL_FFT);
  rerouteGraphOp(model, 'Einsum', EINSUM);
  rerouteGraphOp(model, 'Mean', INTEGER_MEAN, (attr) => attr.T?.type === 'DT_INT32');
  rerouteGraphOp(model, '_FusedConv2D', LINEAR_CONV, biasAlone);
  rerouteGraphOp(model, 'FusedDepthwiseConv2dNative', LINEAR_DEPTHWISE, biasAlone);
  rerouteGraphOp(model, '_FusedMatMul', LINEAR_MATMUL, biasAlone);
}
