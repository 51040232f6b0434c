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
import { classify } from '../../src/net/classify.js';
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
 * A functional model file: a [2, 3, 3] image, `before` (operations on the image), a 1×1 convolution to 4 channels of
 * the last of them, then `entries`; the last layer is the output.
 */
function file(entries: Entry[], before: Entry[] = []) {
  const entry = (e: Entry) => ({
    class_name: e.cls,
    name: e.name,
    config: { name: e.name, trainable: true, dtype: 'float32', ...e.config },
    inbound_nodes: [e.call],
  });
  const kernel = Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.9) * 2);
  const layers = [
    {
      class_name: 'InputLayer',
      name: 'img',
      config: { name: 'img', batch_input_shape: [null, 2, 3, 3], dtype: 'float32' },
      inbound_nodes: [],
    },
    ...before.map(entry),
    {
      class_name: 'Conv2D',
      name: 'conv',
      config: { name: 'conv', filters: 4, kernel_size: [1, 1], use_bias: false, dtype: 'float32' },
      inbound_nodes: [[ref(before.at(-1)?.name ?? 'img', {})]],
    },
    ...entries.map(entry),
  ];
  return tf.io.fromMemory({
    modelTopology: {
      class_name: 'Functional',
      config: {
        name: 'net',
        layers,
        input_layers: [['img', 0, 0]],
        output_layers: [[entries.at(-1)?.name ?? 'conv', 0, 0]],
      },
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

  it("computes keras.applications's preprocess_input inside a model: Caffe's x[..., ::-1] and bias_add", async () => {
    // resnet50.preprocess_input (VGG, ResNet) applied to a model's input, as Keras 2 saves it: RGB to BGR with a
    // slice (a SlicingOpLambda), then the mean subtracted with tf.nn.bias_add.
    const mean = [103.939, 116.779, 123.68];
    const bgr: Entry = {
      cls: 'SlicingOpLambda',
      name: 'tf.__operators__.getitem',
      config: { function: '__operators__.getitem' },
      call: [...ref('img'), { slice_spec: [{ class_name: '__ellipsis__' }, { start: null, stop: null, step: -1 }] }],
    };
    const center = op('tf.nn.bias_add', 'nn.bias_add', ref('tf.__operators__.getitem'), {
      bias: mean.map((m) => -m),
      data_format: 'NHWC',
    });
    // Without a declared normalization, the refusal names the layer that prepares the pixels.
    await expectThrowsNoLeak(
      () => importNetwork(file([], [bgr, center])),
      TypeError,
      /not guessed \(.*\); its layer 'tf\.__operators__\.getitem' \(img\[\.\.\., ::-1\]\) reads the image and prepares the pixels itself; if the model was trained on raw pixels 0\.\.255 with it \(as such a model usually is\), that is options\.normalization 'none'; in any case, say how/,
    );
    const net = await importNetwork(file([], [bgr, center]), { normalization: 'none' });
    const img = IMG();
    const x = Array.from(await img.data());
    const flipped = await read(net, img, 'tf.__operators__.getitem');
    expect(flipped.shape).toEqual([2, 3, 3]);
    expect(flipped.values).toEqual(x.map((_, k) => x[k - (k % 3) + 2 - (k % 3)]));
    const centered = await read(net, img, 'tf.nn.bias_add');
    for (const [k, v] of centered.values.entries()) expect(v).toBeCloseTo(flipped.values[k] - mean[k % 3], 4);
    expect(net.layers.slice(1, 3).map((l) => [l.name, l.type, l.description])).toEqual([
      ['tf.__operators__.getitem', 'Function', 'img[..., ::-1]'],
      [
        'tf.nn.bias_add',
        'Function',
        `tf.nn.bias_add(tf.__operators__.getitem, bias=${JSON.stringify(mean.map((m) => -m))}, data_format="NHWC")`,
      ],
    ]);
    // Both keep the image's shape: the network runs at other sizes too.
    const big = tf.tensor3d(
      Array.from({ length: 4 * 5 * 3 }, (_, i) => (i % 9) - 4),
      [4, 5, 3],
    );
    expect((await read(net, big, 'conv')).shape).toEqual([4, 5, 4]);
    tf.dispose([img, big]);
    net.dispose();
  });

  it('computes slices as TensorFlow does: indices, steps, new axes (x[:, 1:, ::2], x[..., -1, None])', async () => {
    const range = (start: number | null, stop: number | null, step: number | null) => ({ start, stop, step });
    const img = IMG();
    /** The network whose output is the slice `spec` of the convolution's output. */
    const sliced = (spec: unknown) =>
      importNetwork(
        file([
          {
            cls: 'SlicingOpLambda',
            name: 'slice',
            config: { function: '__operators__.getitem' },
            call: [...ref('conv'), { slice_spec: spec }],
          },
        ]),
        { normalization: 'none' },
      );
    const cases: [unknown, string, number[], (at: (h: number, w: number, c: number) => number) => number[]][] = [
      // Rows from 1, every second column.
      [
        [range(null, null, null), range(1, null, null), range(null, null, 2)],
        'conv[:, 1:, ::2]',
        [1, 2, 4],
        (at) => [0, 2].flatMap((w) => [0, 1, 2, 3].map((c) => at(1, w, c))),
      ],
      // The last channel, and a new axis of 1.
      [
        [{ class_name: '__ellipsis__' }, -1, null],
        'conv[..., -1, None]',
        [2, 3, 1],
        (at) => [0, 1].flatMap((h) => [0, 1, 2].map((w) => at(h, w, 3))),
      ],
      // The last two columns backwards, channel 2.
      [
        [range(null, null, null), range(null, null, null), range(-1, -3, -1), 2],
        'conv[:, :, -1:-3:-1, 2]',
        [2, 2],
        (at) => [0, 1].flatMap((h) => [2, 1].map((w) => at(h, w, 2))),
      ],
      // The first row (a tuple as Keras's other JSON encoder writes one).
      [
        { class_name: '__tuple__', items: [range(null, null, null), 0] },
        'conv[:, 0]',
        [3, 4],
        (at) => [0, 1, 2].flatMap((w) => [0, 1, 2, 3].map((c) => at(0, w, c))),
      ],
    ];
    for (const [spec, text, shape, want] of cases) {
      const net = await sliced(spec);
      const conv = await read(net, img, 'conv'); // [2, 3, 4]
      const out = await read(net, img, 'slice');
      expect(out.shape).toEqual(shape);
      expect(out.values).toEqual(want((h, w, c) => conv.values[(h * 3 + w) * 4 + c]));
      expect([net.layers[2].type, net.layers[2].description]).toEqual(['Other', text]);
      net.dispose();
    }
    img.dispose();
  });

  it("computes embedding, super-resolution and segmentation models' operations as TensorFlow does", async () => {
    // l2_normalize (face embeddings), depth_to_space (ESPCN), image.resize (logits to the image's size), pad, squeeze
    // and cast, each on the convolution's [2, 3, 4] output; the oracles follow TensorFlow's definitions.
    const img = IMG();
    const at = (v: number[], h: number, w: number, c: number) => v[(h * 3 + w) * 4 + c];
    const grid = (h: number, w: number, c: number, f: (y: number, x: number, k: number) => number) =>
      Array.from({ length: h * w * c }, (_, i) => f(Math.floor(i / (w * c)), Math.floor(i / c) % w, i % c));
    // TensorFlow's half-pixel sampling: the source position of output pixel i, for `n` inputs scaled to `m`.
    const source = (i: number, n: number, m: number) => ((i + 0.5) * n) / m - 0.5;
    const bilinear = (v: number[], y: number, x: number, c: number) => {
      const [sy, sx] = [source(y, 2, 4), source(x, 3, 5)];
      const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
      const [ly, lx] = [sy - y0, sx - x0];
      const px = (yy: number, xx: number) => at(v, Math.min(Math.max(yy, 0), 1), Math.min(Math.max(xx, 0), 2), c);
      const top = px(y0, x0) + (px(y0, x0 + 1) - px(y0, x0)) * lx;
      const bottom = px(y0 + 1, x0) + (px(y0 + 1, x0 + 1) - px(y0 + 1, x0)) * lx;
      return top + (bottom - top) * ly;
    };
    const cases: [Entry[], number[], (v: number[]) => number[]][] = [
      [
        [op('tf.math.l2_normalize', 'math.l2_normalize', ref('conv'), { axis: -1 })],
        [2, 3, 4],
        (v) =>
          v.map((x, k) => {
            const pixel = v.slice(k - (k % 4), k - (k % 4) + 4);
            return x / Math.sqrt(pixel.reduce((a, b) => a + b * b, 0));
          }),
      ],
      [
        [op('tf.nn.depth_to_space', 'nn.depth_to_space', ref('conv'), { block_size: 2 })],
        [4, 6, 1],
        (v) => grid(4, 6, 1, (y, x) => at(v, y >> 1, x >> 1, (y % 2) * 2 + (x % 2))),
      ],
      [
        [op('tf.image.resize', 'image.resize', ref('conv'), { size: [4, 5] })],
        [4, 5, 4],
        (v) => grid(4, 5, 4, (y, x, c) => bilinear(v, y, x, c)),
      ],
      [
        [op('tf.image.resize', 'image.resize', ref('conv'), { size: [4, 5], method: 'nearest' })],
        [4, 5, 4],
        (v) =>
          grid(4, 5, 4, (y, x, c) =>
            at(v, Math.min(Math.floor(((y + 0.5) * 2) / 4), 1), Math.min(Math.floor(((x + 0.5) * 3) / 5), 2), c),
          ),
      ],
      [
        [
          op('tf.pad', 'pad', ref('conv'), {
            paddings: [
              [0, 0],
              [1, 0],
              [0, 2],
              [0, 0],
            ],
            constant_values: 7,
          }),
        ],
        [3, 5, 4],
        (v) => grid(3, 5, 4, (y, x, c) => (y < 1 || x > 2 ? 7 : at(v, y - 1, x, c))),
      ],
      [
        [
          op('tf.pad', 'pad', ref('conv'), {
            paddings: [
              [0, 0],
              [1, 1],
              [0, 2],
              [0, 0],
            ],
            mode: 'REFLECT',
          }),
        ],
        [4, 5, 4],
        (v) => grid(4, 5, 4, (y, x, c) => at(v, [1, 0, 1, 0][y], [0, 1, 2, 1, 0][x], c)),
      ],
      [
        [
          op('tf.math.reduce_max', 'math.reduce_max', ref('conv'), { axis: -1, keepdims: true }),
          op('tf.squeeze', 'squeeze', ref('tf.math.reduce_max'), { axis: -1 }),
        ],
        [2, 3],
        (v) => grid(2, 3, 1, (y, x) => Math.max(...[0, 1, 2, 3].map((c) => at(v, y, x, c)))),
      ],
      [[op('tf.cast', 'cast', ref('conv'), { dtype: 'float32' })], [2, 3, 4], (v) => v],
    ];
    for (const [entries, shape, want] of cases) {
      const net = await importNetwork(file(entries), { normalization: 'none' });
      const conv = (await read(net, img, 'conv')).values;
      const out = await read(net, img, entries.at(-1)!.name);
      expect(out.shape, entries.at(-1)!.name).toEqual(shape);
      for (const [k, v] of want(conv).entries())
        expect(out.values[k], `${entries.at(-1)!.name} ${k}`).toBeCloseTo(v, 4);
      net.dispose();
    }
    img.dispose();
  });

  it("imports TensorFlow's transfer-learning tutorial model: augmentation, preprocessing, a frozen base", async () => {
    // As tf_keras saves it: a nested Sequential of augmentation layers, mobilenet_v2.preprocess_input as two
    // operations, the base (a nested functional model) called with training=False, then pooling, dropout and a head.
    const S = 16;
    const input = (name: string) => ({
      class_name: 'InputLayer',
      name,
      config: { batch_input_shape: [null, S, S, 3], dtype: 'float32', sparse: false, ragged: false, name },
      inbound_nodes: [],
    });
    const layer = (cls: string, name: string, config: Record<string, unknown>, call: unknown) => ({
      class_name: cls,
      name,
      config: { name, trainable: true, dtype: 'float32', ...config },
      inbound_nodes: [call],
    });
    const base = {
      class_name: 'Functional',
      name: 'mobilenetv2_1.00_160',
      config: {
        name: 'mobilenetv2_1.00_160',
        trainable: false,
        layers: [
          input('input_1'),
          layer(
            'Conv2D',
            'Conv1',
            { filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'same', use_bias: false },
            [ref('input_1', {})],
          ),
          layer('ReLU', 'out_relu', { max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }, [ref('Conv1', {})]),
        ],
        input_layers: [['input_1', 0, 0]],
        output_layers: [['out_relu', 0, 0]],
      },
      inbound_nodes: [[ref('tf.math.subtract', { training: false })]],
    };
    const augmentation = {
      class_name: 'Sequential',
      name: 'sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: input('random_flip_input').config },
          { class_name: 'RandomFlip', config: { name: 'random_flip', mode: 'horizontal', seed: null } },
          { class_name: 'RandomRotation', config: { name: 'random_rotation', factor: 0.2, fill_mode: 'reflect' } },
        ],
      },
      inbound_nodes: [[ref('input_2', {})]],
    };
    const kernel = Array.from({ length: 108 }, (_, i) => Math.sin(i * 0.7) * 0.5);
    const head = Array.from({ length: 10 }, (_, i) => Math.cos(i * 1.1));
    const source = tf.io.fromMemory({
      modelTopology: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            input('input_2'),
            augmentation,
            layer('TFOpLambda', 'tf.math.truediv', { function: 'math.truediv' }, ['sequential', 1, 0, { y: 127.5 }]),
            layer('TFOpLambda', 'tf.math.subtract', { function: 'math.subtract' }, [
              ...ref('tf.math.truediv'),
              { y: 1 },
            ]),
            base,
            layer('GlobalAveragePooling2D', 'pool', {}, [['mobilenetv2_1.00_160', 1, 0, {}]]),
            layer('Dropout', 'dropout', { rate: 0.2 }, [ref('pool', { training: false })]),
            layer('Dense', 'dense', { units: 2, activation: 'softmax' }, [ref('dropout', {})]),
          ],
          input_layers: [['input_2', 0, 0]],
          output_layers: [['dense', 0, 0]],
        },
        keras_version: '2.15.0',
        backend: 'tensorflow',
      },
      weightSpecs: [
        { name: 'Conv1/kernel', shape: [3, 3, 3, 4], dtype: 'float32' },
        { name: 'dense/kernel', shape: [4, 2], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
      weightData: Float32Array.from([...kernel, ...head]).buffer,
    });
    // The refusal without a declared scaling names the first layer that prepares the pixels, past the augmentation.
    await expectThrowsNoLeak(
      () => importNetwork(source),
      TypeError,
      /; its layer 'tf\.math\.truediv' \(tf\.math\.truediv\(sequential, y=127\.5\)\) reads the image and prepares/,
    );
    const net = await importNetwork(source, { normalization: 'none', classNames: ['cat', 'dog'] });
    expect(net.layers.map((l) => [l.name, l.type])).toEqual([
      ['input_2', 'Image Input'],
      ['sequential/random_flip', 'Function'],
      ['sequential/random_rotation', 'Function'],
      ['sequential', 'Network'],
      ['tf.math.truediv', 'Function'],
      ['tf.math.subtract', 'Function'],
      ['mobilenetv2_1.00_160/Conv1', 'Convolution'],
      ['mobilenetv2_1.00_160/out_relu', 'Clipped ReLU'],
      ['mobilenetv2_1.00_160', 'Network'],
      ['pool', 'Global Average Pooling'],
      ['dropout', 'Dropout'],
      ['dense', 'Fully Connected'],
    ]);
    // The oracle: the same computation in TensorFlow's operations.
    const img = tf.tensor3d(
      Array.from({ length: S * S * 3 }, (_, i) => (i * 37) % 256),
      [S, S, 3],
    );
    const want = tf.tidy(() => {
      const x = tf.sub(tf.div(tf.expandDims(img, 0), 127.5), 1) as tf.Tensor4D;
      const conv = tf.relu6(tf.conv2d(x, tf.tensor4d(kernel, [3, 3, 3, 4]), 2, 'same'));
      const logits = tf.add(tf.matMul(tf.mean(conv, [1, 2]), tf.tensor2d(head.slice(0, 8), [4, 2])), head.slice(8));
      return tf.softmax(logits);
    });
    const scores = Array.from(await want.data());
    const top = await classify(net, img);
    expect(top.map((t) => t.label)).toEqual(scores[1] > scores[0] ? ['dog', 'cat'] : ['cat', 'dog']);
    expect(top[0].score).toBeCloseTo(Math.max(...scores), 5);
    // Pass-through and elementwise layers: the base runs at other image sizes too.
    const big = tf.zeros([20, 24, 3]) as tf.Tensor3D;
    expect((await read(net, big, 'mobilenetv2_1.00_160/out_relu')).shape).toEqual([10, 12, 4]);
    tf.dispose([img, want, big]);
    net.dispose();
  });

  it('refuses operations and arguments it does not compute, naming the layer and the call', async () => {
    const cases: [Entry, string][] = [
      [
        op('tf.math.cumsum', 'math.cumsum', ref('conv'), { axis: 1 }),
        "its layer 'tf.math.cumsum' (TFOpLambda) calls tf.math.cumsum, which this library does not compute",
      ],
      [
        // Resized with antialiasing, or without the axes to squeeze named: not as Keras's shapes say (refused).
        op('tf.image.resize', 'image.resize', ref('conv'), { size: [4, 6], antialias: true }),
        "its layer 'tf.image.resize' (TFOpLambda) calls tf.image.resize with antialias=true, which this library does " +
          'not compute',
      ],
      [
        op('tf.squeeze', 'squeeze', ref('conv'), {}),
        "its layer 'tf.squeeze' (TFOpLambda) calls tf.squeeze with axis=null, which this library does not compute",
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
          call: [...ref('conv'), { slice_spec: [{ start: null, stop: null, step: null }, ref('conv')] }],
        },
        "its layer 'tf.__operators__.getitem' (SlicingOpLambda) calls tf.__operators__.getitem with " +
          'slice_spec=[{"start":null,"stop":null,"step":null},["conv",0,0]], which this library does not compute',
      ],
      [
        {
          cls: 'SlicingOpLambda',
          name: 'tf.boolean_mask',
          config: { function: 'boolean_mask' },
          call: [...ref('conv'), { mask: ref('conv') }],
        },
        "its layer 'tf.boolean_mask' (SlicingOpLambda) calls tf.boolean_mask, which this library does not compute",
      ],
      [
        // Two ellipses: Python refuses it, and so does the library.
        {
          cls: 'SlicingOpLambda',
          name: 'tf.__operators__.getitem',
          config: { function: '__operators__.getitem' },
          call: [...ref('conv'), { slice_spec: [{ class_name: '__ellipsis__' }, { class_name: '__ellipsis__' }] }],
        },
        "its layer 'tf.__operators__.getitem' (SlicingOpLambda) calls tf.__operators__.getitem with " +
          'slice_spec=[{"class_name":"__ellipsis__"},{"class_name":"__ellipsis__"}], which this library does not ' +
          'compute',
      ],
    ];
    for (const [entry, why] of cases) {
      await expectThrowsNoLeak(
        () => importNetwork(file([entry]), { normalization: 'none' }),
        TypeError,
        `importNetwork: the model from the given ioHandler cannot be read: ${why}`,
      );
    }
    // Arguments of the wrong kind are refused when the file is read, not left to fail (or, for a softmax along axis
    // 2 ** 31, to spend a minute on wasm) when the network runs.
    const wrong: [Entry, string][] = [
      [op('tf.reshape', 'reshape', ref('conv'), { shape: 24 }), 'with shape=24, which'],
      [op('tf.math.add', 'math.add', ref('conv'), { y: { start: 1 } }), 'with y={"start":1}, which'],
      [op('tf.math.reduce_sum', 'math.reduce_sum', ref('conv'), { axis: 'all' }), 'with axis="all", which'],
    ];
    for (const [entry, why] of wrong) {
      await expectThrowsNoLeak(
        () => importNetwork(file([entry]), { normalization: 'none' }),
        TypeError,
        new RegExp(`calls tf\\.[a-z_.]+ ${why.replace(/[[\]{}()*+?.\\^$|]/g, '\\$&')} this library does not compute`),
      );
    }
    const impossible: [Entry, string][] = [
      [
        op('tf.nn.softmax', 'nn.softmax', ref('conv'), { axis: 2 ** 31 }),
        'tf.nn.softmax: axis 2147483648 of a tensor of rank 4',
      ],
      [
        op('tf.transpose', 'transpose', ref('conv'), { perm: [0, 1] }),
        'tf.transpose: [0, 1] is not a permutation of the 4 axes',
      ],
      [op('tf.expand_dims', 'expand_dims', ref('conv'), { axis: 9 }), 'tf.expand_dims: axis 9 of a tensor of rank 4'],
    ];
    for (const [entry, why] of impossible) {
      await expectThrowsNoLeak(
        () => importNetwork(file([entry]), { normalization: 'none' }),
        Error,
        `importNetwork: TF.js could not make a model of the given ioHandler: ${why}`,
      );
    }
  });
});
