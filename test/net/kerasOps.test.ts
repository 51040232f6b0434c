/**
 * TensorFlow operations inside a Keras 2 functional model (`TFOpLambda` layers), as Keras 2 writes them: the call of
 * such a layer is one `[layer, node, tensor, kwargs]` (not a list of them), or `['_CONSTANT_VALUE', -1, value,
 * kwargs]` for a constant first argument, with the other arguments, tensors among them, in `kwargs`. The files are
 * written here in that format (Keras's `Node.serialize`); the oracle is the operation computed here on the layers'
 * activations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

/** A layer of a Keras 2 functional model file, with its call as Keras writes it. */
type Entry = { cls: string; name: string; config?: Record<string, unknown>; call: unknown };

const ref = (name: string, kwargs?: Record<string, unknown>) => (kwargs ? [name, 0, 0, kwargs] : [name, 0, 0]);
/** A TensorFlow operation on the output of `input`, as Keras 2 writes a `TFOpLambda` layer. */
const op = (name: string, fn: string, first: unknown, kwargs: Record<string, unknown>): Entry => ({
  cls: 'TFOpLambda',
  name,
  config: { function: fn },
  call:
    Array.isArray(first) && Array.isArray(first[0])
      ? first.map((f) => [...f, { ...kwargs, name: null }])
      : [...(first as unknown[]), { ...kwargs, name: null }],
});

/**
 * A functional model file: a [2, 3, 3] image, a 1×1 convolution to 4 channels, then `entries`; the last is the
 * output.
 */
function file(entries: Entry[]) {
  const kernel = Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.9) * 2);
  const layers = [
    {
      class_name: 'InputLayer',
      name: 'img',
      config: { name: 'img', batch_input_shape: [null, 2, 3, 3], dtype: 'float32' },
      inbound_nodes: [],
    },
    {
      class_name: 'Conv2D',
      name: 'conv',
      config: { name: 'conv', filters: 4, kernel_size: [1, 1], use_bias: false, dtype: 'float32' },
      inbound_nodes: [[ref('img', {})]],
    },
    ...entries.map((e) => ({
      class_name: e.cls,
      name: e.name,
      config: { name: e.name, trainable: true, dtype: 'float32', ...e.config },
      inbound_nodes: [e.call],
    })),
  ];
  return tf.io.fromMemory({
    modelTopology: {
      class_name: 'Functional',
      config: { name: 'net', layers, input_layers: [['img', 0, 0]], output_layers: [[entries.at(-1)?.name, 0, 0]] },
      keras_version: '2.15.0',
      backend: 'tensorflow',
    },
    weightSpecs: [{ name: 'conv/kernel', shape: [1, 1, 3, 4], dtype: 'float32' }],
    weightData: Float32Array.from(kernel).buffer,
  });
}

const IMG = () =>
  tf.tensor3d(
    Array.from({ length: 18 }, (_, i) => ((i * 7) % 11) - 5),
    [2, 3, 3],
  );

/** The activations of `layer` as numbers, and its shape. */
async function read(net: Awaited<ReturnType<typeof importNetwork>>, img: tf.Tensor3D, layer: string) {
  const t = await activations(net, img, layer);
  const out = { shape: t.shape, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}

describe('importNetwork: TensorFlow operations in a Keras model (TFOpLambda)', () => {
  it("computes MobileNetV3's hard swish, x · ReLU6(x + 3) · (1 / 6), written with operations", async () => {
    const net = await importNetwork(
      file([
        op('tf.__operators__.add', '__operators__.add', ref('conv'), { y: 3.0 }),
        { cls: 'ReLU', name: 're_lu', config: { max_value: 6.0 }, call: [ref('tf.__operators__.add', {})] },
        op('tf.math.multiply', 'math.multiply', ref('re_lu'), { y: 1 / 6 }),
        { cls: 'Multiply', name: 'multiply', call: [ref('conv', {}), ref('tf.math.multiply', {})] },
      ]),
      { normalization: 'none' },
    );
    const img = IMG();
    const x = await read(net, img, 'conv');
    const y = await read(net, img, 'multiply');
    expect(y.shape).toEqual([2, 3, 4]);
    for (const [k, v] of y.values.entries()) {
      const c = x.values[k];
      expect(v).toBeCloseTo((c * Math.min(Math.max(c + 3, 0), 6)) / 6, 5);
    }
    // Elementwise with constants: computed at other input sizes too (the convolution is 1×1).
    const big = tf.tensor3d(
      Array.from({ length: 4 * 5 * 3 }, (_, i) => (i % 9) - 4),
      [4, 5, 3],
    );
    const other = await read(net, big, 'multiply');
    expect(other.shape).toEqual([4, 5, 4]);
    big.dispose();
    const rows = net.layers.map((l) => [l.name, l.type, l.description]);
    expect(rows[2]).toEqual(['tf.__operators__.add', 'Function', 'tf.__operators__.add(conv, y=3)']);
    expect(rows[4]).toEqual(['tf.math.multiply', 'Function', `tf.math.multiply(re_lu, y=${1 / 6})`]);
    img.dispose();
    net.dispose();
  });

  it('reads tensors as keyword arguments, constant first arguments, reductions, reshapes and concats', async () => {
    const net = await importNetwork(
      file([
        // x − mean over the image (kept axes), then 1 − that (a constant first argument: 1 - x).
        op('tf.math.reduce_mean', 'math.reduce_mean', ref('conv'), { axis: [1, 2], keepdims: true }),
        op('tf.math.subtract', 'math.subtract', ref('conv'), { y: ref('tf.math.reduce_mean') }),
        op('tf.math.subtract_1', 'math.subtract', ['_CONSTANT_VALUE', -1, 1.0], { y: ref('tf.math.subtract') }),
        op('tf.concat', 'concat', [ref('tf.math.subtract_1'), ref('conv')], { axis: -1 }),
        op('tf.reshape', 'reshape', ref('tf.concat'), { shape: [-1, 6, 8] }),
        op('tf.clip_by_value', 'clip_by_value', ref('tf.reshape'), { clip_value_min: -2, clip_value_max: 2.5 }),
      ]),
      { normalization: 'none' },
    );
    const img = IMG();
    const x = (await read(net, img, 'conv')).values;
    const mean = [0, 1, 2, 3].map((c) => x.filter((_, k) => k % 4 === c).reduce((a, b) => a + b, 0) / 6);
    const m = await read(net, img, 'tf.math.reduce_mean');
    expect(m.shape).toEqual([1, 1, 4]);
    for (const [c, v] of m.values.entries()) expect(v).toBeCloseTo(mean[c], 5);
    const oneMinus = x.map((v, k) => 1 - (v - mean[k % 4]));
    const cat = await read(net, img, 'tf.concat');
    expect(cat.shape).toEqual([2, 3, 8]);
    const want = Array.from({ length: 48 }, (_, k) => {
      const [pixel, c] = [Math.floor(k / 8), k % 8];
      return c < 4 ? oneMinus[pixel * 4 + c] : x[pixel * 4 + c - 4];
    });
    for (const [k, v] of cat.values.entries()) expect(v).toBeCloseTo(want[k], 5);
    const clipped = await read(net, img, 'tf.clip_by_value');
    expect(clipped.shape).toEqual([6, 8]);
    for (const [k, v] of clipped.values.entries()) expect(v).toBeCloseTo(Math.min(Math.max(want[k], -2), 2.5), 5);
    expect(net.layers.at(-1)?.outputSize).toEqual([6, 8]);
    // What the layer table's rules for other sizes may read: elementwise ones keep their input's shape; the others
    // (reductions, two layers' difference, concatenations, reshapes) are known at the trained size only.
    expect(net.layers.slice(2).map((l) => l.type)).toEqual([
      'Other',
      'Other',
      'Function',
      'Other',
      'Other',
      'Function',
    ]);
    expect(net.layers[4].description).toBe('tf.math.subtract(1, y=tf.math.subtract)');
    img.dispose();
    net.dispose();
  });

  it('refuses operations it does not compute, and slices, naming the layer', async () => {
    const cases: [Entry, string][] = [
      [
        op('tf.image.resize', 'image.resize', ref('conv'), { size: [4, 6] }),
        "its layer 'tf.image.resize' (TFOpLambda) calls tf.image.resize, which this library does not compute",
      ],
      [
        op('tf.math.reduce_mean', 'math.reduce_mean', ref('conv'), { axis: 1, keepdims: false, foo: 2 }),
        "its layer 'tf.math.reduce_mean' (TFOpLambda) calls tf.math.reduce_mean with the argument 'foo', which this " +
          'library does not read',
      ],
      [
        {
          cls: 'SlicingOpLambda',
          name: 'tf.__operators__.getitem',
          config: { function: '__operators__.getitem' },
          call: [ref('conv', {})],
        },
        "its layer 'tf.__operators__.getitem' (SlicingOpLambda) slices a tensor (x[...]), which this library does " +
          'not compute',
      ],
    ];
    for (const [entry, why] of cases) {
      await expectThrowsNoLeak(
        () => importNetwork(file([entry]), { normalization: 'none' }),
        TypeError,
        `importNetwork: the model from the given ioHandler cannot be read: ${why}`,
      );
    }
  });
});
