/**
 * A small converted-TensorFlow graph written by hand, as TF.js's converter would write it: the operations of a
 * MobileNet-style network (a fused convolution with bias and ReLU6, a depthwise convolution, inference-mode batch
 * normalization, ReLU6, a global mean, a dense layer as MatMul + BiasAdd, softmax) on 32×32 RGB images, with random
 * weights. For the gradient tests of a user's GraphModel; `extraOp` puts one more elementwise operation before the
 * global mean (to test an operation whose gradient the library does not provide).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { random } from './tinyNetwork.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const shape = (dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });

/** Node names of the graph's layers, in order. */
export const USER_GRAPH_LAYERS = ['x', 'conv', 'dw', 'bn', 'relu', 'extra', 'gap', 'fc/MatMul', 'fc', 'prob'];

/**
 * The graph; `head: 'fused-sigmoid'` ends it instead with the dense layer as one `_FusedMatMul` whose fused operations
 * are BiasAdd and Sigmoid (a multi-label head, as TF.js's converter fuses it), named `prob`; `head: 'gated'` scales the
 * dense layer's output by `total`, the sum of the global mean's channels: one number per image, a layer of size `[]`
 * (as SSR-Net's age and gender models multiply their stages' numbers); `head: 'sigmoid-identity'` ends in a Sigmoid
 * named `prob` and an Identity after it named `Identity`, as a TensorFlow SavedModel's converted output does.
 * `preprocess: 'where'` puts a `Where` (which TF.js runs only asynchronously) between the input and the first
 * convolution, which reads it through a node named `pre`; the weights are the same. `depthwise: 'dilated'` dilates
 * the depthwise convolution by 2 (atrous, as DeepLab's and BodyPix's), `'spread'` gives it the same kernel spread to
 * 5×5 with zeros between the taps and no dilation: the same function, computed without a dilation.
 * `head: 'side-inputs'` gives the graph two more inputs, as TensorFlow 1 models have them: `keep_prob` (a float
 * scalar) and `is_training` (a bool scalar); the dense layer reads `pick`, which is the global mean where
 * `is_training` is false and the mean times `keep_prob` (`drop`) where it is true.
 */
export async function loadUserGraph(
  extraOp?: string,
  head: 'softmax' | 'fused-sigmoid' | 'sigmoid-identity' | 'gated' | 'side-inputs' = 'softmax',
  preprocess?: 'where',
  depthwise: 'plain' | 'dilated' | 'spread' = 'plain',
): Promise<GraphModel> {
  const r = random(2024);
  const weights: { name: string; shape: number[]; dtype: 'float32' | 'int32'; data: number[] }[] = [
    { name: 'conv/filter', shape: [3, 3, 3, 6], dtype: 'float32', data: [] },
    { name: 'conv/bias', shape: [6], dtype: 'float32', data: [] },
    { name: 'dw/filter', shape: [3, 3, 6, 1], dtype: 'float32', data: [] },
    { name: 'bn/scale', shape: [6], dtype: 'float32', data: [] },
    { name: 'bn/offset', shape: [6], dtype: 'float32', data: [] },
    { name: 'bn/mean', shape: [6], dtype: 'float32', data: [] },
    { name: 'bn/variance', shape: [6], dtype: 'float32', data: [] },
    { name: 'gap/axes', shape: [2], dtype: 'int32', data: [1, 2] },
    { name: 'fc/kernel', shape: [6, 4], dtype: 'float32', data: [] },
    { name: 'fc/bias', shape: [4], dtype: 'float32', data: [] },
    ...(head === 'gated'
      ? [
          { name: 'total/axes', shape: [1], dtype: 'int32' as const, data: [1] },
          { name: 'total/dim', shape: [], dtype: 'int32' as const, data: [1] },
        ]
      : []),
  ];
  for (const w of weights) {
    if (w.data.length > 0) continue;
    const n = w.shape.reduce((a, b) => a * b, 1);
    w.data = Array.from({ length: n }, () => (w.name === 'bn/variance' ? 0.5 + Math.abs(r()) : r()));
  }
  if (depthwise === 'spread') {
    const dw = weights.find((w) => w.name === 'dw/filter')!;
    const spread = new Array<number>(5 * 5 * 6).fill(0);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let c = 0; c < 6; c++) spread[(2 * i * 5 + 2 * j) * 6 + c] = dw.data[(i * 3 + j) * 6 + c];
    Object.assign(dw, { shape: [5, 5, 6, 1], data: spread });
  }
  const konst = (w: (typeof weights)[number]) => ({
    name: w.name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: shape(w.shape) } },
      dtype: { type: w.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
    },
  });
  const T = { type: 'DT_FLOAT' };
  const conv = { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') } };
  // The dense layer as MatMul + BiasAdd, named `fc`, before every head but the fused one.
  const dense = [
    {
      name: 'fc/MatMul',
      op: 'MatMul',
      input: [head === 'side-inputs' ? 'pick' : 'gap', 'fc/kernel'],
      attr: { T, transpose_a: { b: false }, transpose_b: { b: false } },
    },
    { name: 'fc', op: 'BiasAdd', input: ['fc/MatMul', 'fc/bias'], attr: { T, data_format: { s: b64('NHWC') } } },
  ];
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: T, shape: { shape: shape([-1, 32, 32, 3]) } } },
    ...(head === 'side-inputs'
      ? [
          { name: 'keep_prob', op: 'Placeholder', attr: { dtype: T, shape: { shape: shape([]) } } },
          { name: 'is_training', op: 'Placeholder', attr: { dtype: { type: 'DT_BOOL' }, shape: { shape: shape([]) } } },
        ]
      : []),
    // An operation TF.js runs only asynchronously before the first convolution, as TensorFlow's object detection
    // models prepare their image in a loop; `pre` is where the convolution reads its result.
    ...(preprocess
      ? [
          { name: 'w', op: 'Where', input: ['x'], attr: { T } },
          { name: 'pre', op: 'Cast', input: ['w'], attr: { SrcT: { type: 'DT_INT64' }, DstT: T } },
        ]
      : []),
    ...weights.map(konst),
    {
      name: 'conv',
      op: '_FusedConv2D',
      input: [preprocess ? 'pre' : 'x', 'conv/filter', 'conv/bias'],
      attr: {
        T,
        ...conv,
        strides: ints([1, 2, 2, 1]),
        dilations: ints([1, 1, 1, 1]),
        fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } },
        num_args: { i: '1' },
        epsilon: { f: 0 },
      },
    },
    {
      name: 'dw',
      op: 'DepthwiseConv2dNative',
      input: ['conv', 'dw/filter'],
      attr: { T, ...conv, dilations: ints(depthwise === 'dilated' ? [1, 2, 2, 1] : [1, 1, 1, 1]) },
    },
    {
      name: 'bn',
      op: 'FusedBatchNormV3',
      input: ['dw', 'bn/scale', 'bn/offset', 'bn/mean', 'bn/variance'],
      // As a converted inference graph writes it: TensorFlow's default is training mode (the batch's statistics).
      attr: { T, epsilon: { f: 0.001 }, is_training: { b: false }, data_format: { s: b64('NHWC') } },
    },
    { name: 'relu', op: 'Relu6', input: ['bn'], attr: { T } },
    ...(extraOp ? [{ name: 'extra', op: extraOp, input: ['relu'], attr: { T } }] : []),
    { name: 'gap', op: 'Mean', input: [extraOp ? 'extra' : 'relu', 'gap/axes'], attr: { T, keep_dims: { b: false } } },
    ...(head === 'sigmoid-identity'
      ? [
          ...dense,
          { name: 'prob', op: 'Sigmoid', input: ['fc'], attr: { T } },
          { name: 'Identity', op: 'Identity', input: ['prob'], attr: { T } },
        ]
      : head === 'gated'
        ? [
            ...dense,
            { name: 'total', op: 'Sum', input: ['gap', 'total/axes'], attr: { T, keep_dims: { b: false } } },
            { name: 'total/expand', op: 'ExpandDims', input: ['total', 'total/dim'], attr: { T } },
            { name: 'gated', op: 'Mul', input: ['fc', 'total/expand'], attr: { T } },
            { name: 'prob', op: 'Softmax', input: ['gated'], attr: { T } },
          ]
        : head === 'side-inputs'
          ? [
              { name: 'drop', op: 'Mul', input: ['gap', 'keep_prob'], attr: { T } },
              { name: 'pick', op: 'SelectV2', input: ['is_training', 'drop', 'gap'], attr: { T } },
              ...dense,
              { name: 'prob', op: 'Softmax', input: ['fc'], attr: { T } },
            ]
          : head === 'softmax'
            ? [...dense, { name: 'prob', op: 'Softmax', input: ['fc'], attr: { T } }]
            : [
                {
                  name: 'prob',
                  op: '_FusedMatMul',
                  input: ['gap', 'fc/kernel', 'fc/bias'],
                  attr: {
                    T,
                    transpose_a: { b: false },
                    transpose_b: { b: false },
                    fused_ops: { list: { s: [b64('BiasAdd'), b64('Sigmoid')] } },
                    num_args: { i: '1' },
                    epsilon: { f: 0 },
                  },
                },
              ]),
  ];
  return loadGraphModel(
    tf.io.fromMemory({
      modelTopology: { node, versions: { producer: 1395 }, library: {} },
      weightSpecs: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
      weightData: weightData(weights),
      format: 'graph-model',
    }),
  );
}

/** Weights' values one after another, as a converted graph's weight file holds them (int32 or float32, 4 bytes each). */
export function weightData(weights: readonly { dtype: 'float32' | 'int32'; data: readonly number[] }[]): ArrayBuffer {
  const data = new Uint8Array(weights.reduce((s, w) => s + w.data.length * 4, 0));
  let at = 0;
  for (const w of weights) {
    const bytes = w.dtype === 'int32' ? Int32Array.from(w.data) : Float32Array.from(w.data);
    data.set(new Uint8Array(bytes.buffer), at);
    at += bytes.byteLength;
  }
  return data.buffer;
}

/**
 * Writes the graph of `loadUserGraph(undefined, head)` to `dir` as the converter writes one (model.json beside one
 * weight file), for tests that load it from disk; returns model.json's path.
 */
export async function writeUserGraph(dir: string, head: Parameters<typeof loadUserGraph>[1]): Promise<string> {
  const model = await loadUserGraph(undefined, head);
  const file = await writeModelFiles(dir, model);
  model.dispose();
  return file;
}

/** Writes a loaded model (a graph or a Keras model) to `dir` as model.json beside one weight file; returns its path. */
export async function writeModelFiles(dir: string, model: { save: GraphModel['save'] }): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weightData = a.weightData as ArrayBuffer;
      writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(weightData));
      const weightsManifest = [{ paths: ['weights.bin'], weights: a.weightSpecs }];
      writeFileSync(file, JSON.stringify({ format: a.format, modelTopology: a.modelTopology, weightsManifest }));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return file;
}
