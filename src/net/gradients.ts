/**
 * Gradients for the operations `differentiable.ts` runs a network with, on every backend, with only the package's
 * peer dependencies. tfjs-core's Node build registers no gradient at all (the union package `@tensorflow/tfjs` does),
 * and the fused convolution of a graph model computes its filter's gradient even when only the input's is needed,
 * which the wasm backend cannot (it has no Conv2DBackpropFilter). The configs below are registered for the kernels
 * that have none; gradients someone else registered are left alone. Each input's gradient is computed only when asked
 * for: a convolution's filter gradient never runs when the filter is a constant. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

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

/** `dy` of a reduction over `axis` back to the input's shape (each input element gets its output's gradient). */
function unreduce(dy: tf.Tensor, xShape: readonly number[], axis: unknown): tf.Tensor {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => ((a as number) + xShape.length) % xShape.length);
  const kept = xShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return tf.mul(tf.reshape(dy, kept), tf.ones(xShape as number[]));
}

const run = (kernel: string, inputs: tf.NamedTensorMap, attrs: Attrs) =>
  tf.engine().runKernel(kernel, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

const CONFIGS: tf.GradConfig[] = [
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
    gradFunc: (dy, [x]: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.greater(x, 0), 'float32')) }),
  },
  {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, [x, filter]: Saved, attrs: Attrs) => {
      const { strides, pad, dataFormat, dimRoundingMode } = attrs;
      return {
        x: () =>
          run(
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
          run(
            'MaxPoolGrad',
            { dy: dy as tf.Tensor, input: x, output: y },
            { filterSize, strides, pad, dimRoundingMode },
          ),
      };
    },
  },
  {
    kernelName: tf.AvgPool,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
      const { filterSize, strides, pad } = attrs;
      return { x: () => run('AvgPoolGrad', { dy: dy as tf.Tensor, input: x }, { filterSize, strides, pad }) };
    },
  },
  {
    kernelName: tf.Concat,
    saveAllInputs: true,
    gradFunc: (dy, saved: Saved, attrs: Attrs) => {
      const axis = ((attrs.axis as number) + saved[0].rank) % saved[0].rank;
      const parts = tf.split(
        dy as tf.Tensor,
        saved.map((t) => t.shape[axis] as number),
        axis,
      );
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
      const axes = (Array.isArray(attrs.axis) ? attrs.axis : [attrs.axis]) as number[];
      const count = axes.reduce((n, a) => n * (x.shape[(a + x.rank) % x.rank] as number), 1);
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
  {
    kernelName: tf.Slice,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]: Saved, attrs: Attrs) => {
      const begin = attrs.begin as number[];
      const size = (dy as tf.Tensor).shape;
      const paddings = x.shape.map(
        (d, i) => [begin[i], (d as number) - begin[i] - (size[i] as number)] as [number, number],
      );
      return { x: () => tf.pad(dy as tf.Tensor, paddings) };
    },
  },
];

let installed = false;

/** Registers the gradients above for the kernels that have none yet (once per process). */
export function ensureGradients(): void {
  if (installed) return;
  for (const config of CONFIGS) if (!tf.getGradient(config.kernelName)) tf.registerGradient(config);
  installed = true;
}
