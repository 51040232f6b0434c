/**
 * Keras 3 model files (TensorFlow 2.16's default Keras), which tfjs-layers cannot read as they are: `importNetwork`
 * rewrites their topology into Keras 2's format. The oracle is the same model written in Keras 2's format (as
 * TensorFlow 2.15's Keras wrote it), which tfjs-layers reads: every layer's activations must be the same. The files
 * are written here by hand, in the format Keras 3's serialization writes (no Keras 3 converted model is in the npm
 * registry).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { activations } from '../../src/net/activations.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

type Layer = { cls: string; name: string; config: Record<string, unknown>; inputs: string[] };

/** A deterministic pseudo-random array. */
const values = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

const POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

/** The small functional network both files describe: convolutions, batch normalization, merges, upsampling, a head. */
const LAYERS: Layer[] = [
  {
    cls: 'Conv2D',
    name: 'conv',
    config: { filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'silu' },
    inputs: ['img'],
  },
  { cls: 'BatchNormalization', name: 'bn', config: { axis: -1, epsilon: 0.001 }, inputs: ['conv'] },
  { cls: 'LeakyReLU', name: 'leaky', config: { negative_slope: 0.1 }, inputs: ['bn'] },
  { cls: 'Conv2D', name: 'side', config: { filters: 4, kernel_size: [1, 1], activation: 'linear' }, inputs: ['conv'] },
  { cls: 'Add', name: 'sum', config: {}, inputs: ['leaky', 'side'] },
  { cls: 'Concatenate', name: 'cat', config: { axis: -1 }, inputs: ['sum', 'conv'] },
  { cls: 'UpSampling2D', name: 'up', config: { size: [2, 2], interpolation: 'bilinear' }, inputs: ['cat'] },
  { cls: 'GlobalAveragePooling2D', name: 'gap', config: {}, inputs: ['up'] },
  { cls: 'Dense', name: 'dense', config: { units: 3, activation: 'softmax' }, inputs: ['gap'] },
];

const WEIGHTS: [string, number[]][] = [
  ['conv/kernel', [3, 3, 3, 4]],
  ['conv/bias', [4]],
  ['bn/gamma', [4]],
  ['bn/beta', [4]],
  ['bn/moving_mean', [4]],
  ['bn/moving_variance', [4]],
  ['side/kernel', [1, 1, 4, 4]],
  ['side/bias', [4]],
  ['dense/kernel', [8, 3]],
  ['dense/bias', [3]],
];

/** The weights of {@link WEIGHTS}, pseudo-random (variances positive). */
function weightData(): ArrayBuffer {
  const all = WEIGHTS.flatMap(([name, shape], k) => {
    const v = values(
      shape.reduce((a, b) => a * b, 1),
      k,
    );
    return name.endsWith('variance') ? v.map((x) => 1 + Math.abs(x)) : v;
  });
  return Float32Array.from(all).buffer;
}

/** A model file of `layers` after a [6, 6, 3] image, in Keras 3's format or Keras 2's. */
function file(format: 3 | 2, layers: Layer[] = LAYERS, extra: Partial<Layer & { call: unknown }>[] = []) {
  const tensor = (name: string, node = 0) =>
    format === 3
      ? { class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [name, node, 0] } }
      : [name, node, 0, {}];
  const input =
    format === 3
      ? { batch_shape: [null, 6, 6, 3], dtype: 'float32', sparse: false, name: 'img' }
      : { batch_input_shape: [null, 6, 6, 3], dtype: 'float32', sparse: false, name: 'img' };
  const entries = layers.map((l, i) => {
    const config: Record<string, unknown> = { name: l.name, trainable: true, ...l.config };
    if (format === 3) config.dtype = POLICY;
    else {
      config.dtype = 'float32';
      if (config.activation === 'silu') config.activation = 'swish';
      if (l.cls === 'LeakyReLU') {
        config.alpha = config.negative_slope;
        delete config.negative_slope;
      }
    }
    const refs = l.inputs.map((n) => tensor(n));
    const node =
      format === 3 ? { args: [refs.length === 1 ? refs[0] : refs], kwargs: {} } : (refs as unknown as unknown[][]);
    const entry: Record<string, unknown> = { class_name: l.cls, config, name: l.name, inbound_nodes: [node] };
    if (format === 3) Object.assign(entry, { module: 'keras.layers', registered_name: null, build_config: {} });
    const over = extra[i] as { call?: unknown } | undefined;
    if (over?.call !== undefined) entry.inbound_nodes = [over.call];
    return entry;
  });
  const inputEntry = { class_name: 'InputLayer', config: input, name: 'img', inbound_nodes: [] };
  return tf.io.fromMemory({
    modelTopology: functional(format, [inputEntry, ...entries]),
    format: 'layers-model',
    weightSpecs: WEIGHTS.map(([name, shape]) => ({ name, shape, dtype: 'float32' as const })),
    weightData: weightData(),
  });
}

/**
 * The topology of a functional model of `layers` (entries as the file writes them) from 'img' to the last one. Keras 3
 * names a model's one input and output alone (`keras.Model(inputs=x, outputs=y)`), Keras 2 in lists.
 */
function functional(format: 3 | 2, layers: Record<string, unknown>[]) {
  const [input, output] = [
    ['img', 0, 0],
    [layers[layers.length - 1].name, 0, 0],
  ];
  return {
    class_name: 'Functional',
    config: {
      name: 'net',
      trainable: true,
      layers,
      input_layers: format === 3 ? input : [input],
      output_layers: format === 3 ? output : [output],
    },
    keras_version: format === 3 ? '3.3.3' : '2.15.0',
    backend: 'tensorflow',
  };
}

/**
 * A Keras model file without weights: an [h, w, c] input and one `Activation` layer per name, each reading the one
 * before (the first the input), in Keras 3's format (or Keras 2's); the last is the output.
 */
function activationsFile(format: 3 | 2, names: readonly string[], shape: readonly number[]) {
  const before = (i: number) => (i === 0 ? 'img' : `act${i - 1}`);
  const tensor = (i: number) => ({
    class_name: '__keras_tensor__',
    config: { shape: null, dtype: 'float32', keras_history: [before(i), 0, 0] },
  });
  const input =
    format === 3
      ? { batch_shape: [null, ...shape], dtype: 'float32', sparse: false, name: 'img' }
      : { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, name: 'img' };
  const layers = names.map((activation, i) => ({
    class_name: 'Activation',
    name: `act${i}`,
    config: { name: `act${i}`, trainable: true, activation, dtype: format === 3 ? POLICY : 'float32' },
    inbound_nodes: [format === 3 ? { args: [tensor(i)], kwargs: {} } : [[before(i), 0, 0, {}]]],
  }));
  return tf.io.fromMemory({
    modelTopology: functional(format, [
      { class_name: 'InputLayer', config: input, name: 'img', inbound_nodes: [] },
      ...layers,
    ]),
    format: 'layers-model',
    weightSpecs: [],
    weightData: new ArrayBuffer(0),
  });
}

/**
 * Keras 3's activation functions that tfjs-layers lacks (or has otherwise), as Keras's TensorFlow backend computes
 * them.
 */
const relu6 = (x: number) => Math.min(Math.max(x, 0), 6);
const KERAS3_ACTIVATIONS: Record<string, (x: number) => number> = {
  exponential: (x) => Math.exp(x),
  leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
  hard_sigmoid: (x) => relu6(x + 3) / 6,
  hard_silu: (x) => (x * relu6(x + 3)) / 6,
  hard_swish: (x) => (x * relu6(x + 3)) / 6,
  celu: (x) => Math.max(x, 0) + Math.expm1(Math.min(x, 0)),
  log_sigmoid: (x) => -Math.log1p(Math.exp(-x)),
  hard_tanh: (x) => Math.min(Math.max(x, -1), 1),
  soft_shrink: (x) => (x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0),
  hard_shrink: (x) => (Math.abs(x) > 0.5 ? x : 0),
  tanh_shrink: (x) => x - Math.tanh(x),
  sparse_plus: (x) => (x <= -1 ? 0 : x < 1 ? (x + 1) ** 2 / 4 : x),
  squareplus: (x) => (x + Math.sqrt(x * x + 4)) / 2,
  sparse_sigmoid: (x) => (x <= -1 ? 0 : x >= 1 ? 1 : 0.5 * (x + 1)),
};

/** A Keras 3 reference to the output of layer `name` (its first call). */
const k3Tensor = (name: string) => ({
  class_name: '__keras_tensor__',
  config: { shape: null, dtype: 'float32', keras_history: [name, 0, 0] },
});

/** A Keras 3 operation entry (`keras.ops`), called once with `args`. */
const k3Operation = (
  cls: string,
  name: string,
  args: unknown[],
  config: Record<string, unknown> = {},
  module = 'keras.src.ops.numpy',
) => ({
  module,
  class_name: cls,
  config: { name, ...config },
  registered_name: null,
  name,
  inbound_nodes: [{ args, kwargs: {} }],
});

/** A 1×1 convolution `name` without bias, from 3 channels of layer `from` to `kernel.length / 3`, and its weight. */
const k3Conv = (name: string, from: string, kernel: number[]) => ({
  layer: k3Operation(
    'Conv2D',
    name,
    [k3Tensor(from)],
    { filters: kernel.length / 3, kernel_size: [1, 1], use_bias: false, dtype: POLICY },
    'keras.layers',
  ),
  weight: { name: `${name}/kernel`, shape: [1, 1, 3, kernel.length / 3], values: kernel },
});

/**
 * A Keras 3 functional model file: a [2, 3, 3] image named `img`, then `layers` (the last is the output) and their
 * `weights`.
 */
function k3Model(
  layers: Record<string, unknown>[],
  weights: { name: string; shape: number[]; values: number[] }[] = [],
) {
  return tf.io.fromMemory({
    modelTopology: {
      class_name: 'Functional',
      config: {
        name: 'net',
        trainable: true,
        layers: [
          {
            class_name: 'InputLayer',
            name: 'img',
            config: { batch_shape: [null, 2, 3, 3], dtype: 'float32', name: 'img' },
            inbound_nodes: [],
          },
          ...layers,
        ],
        input_layers: [['img', 0, 0]],
        output_layers: [[String(layers.at(-1)?.name), 0, 0]],
      },
      keras_version: '3.3.3',
      backend: 'tensorflow',
    },
    weightSpecs: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' as const })),
    weightData: Float32Array.from(weights.flatMap((w) => w.values)).buffer,
  });
}

/** An input layer of [6, 6, 3] images named `name`, as Keras 3 or Keras 2 writes it. */
const inputEntry = (format: 3 | 2, name: string) => ({
  class_name: 'InputLayer',
  name,
  config:
    format === 3
      ? { batch_shape: [null, 6, 6, 3], dtype: 'float32', name }
      : { batch_input_shape: [null, 6, 6, 3], dtype: 'float32', name },
  inbound_nodes: [],
});

/** A layer's calls: one, of call `node` of layer `name` (Keras 2's number; Keras 3 writes the first call 0). */
const callOf = (format: 3 | 2, name: string, node: number) =>
  format === 3
    ? [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } }], kwargs: {} }]
    : [[[name, node, 0, {}]]];

/**
 * A transfer-learning tail: a nested functional model 'base' (a 3×3 convolution 'conv' to 4 channels, with `conv`'s
 * settings) called on call `node` of layer `from`, then a global average pooling 'gap' of it.
 */
const baseAndPool = (format: 3 | 2, from: string, node: number, conv: Record<string, unknown> = {}) => [
  {
    class_name: 'Functional',
    name: 'base',
    config: {
      name: 'base',
      layers: [
        inputEntry(format, 'base_in'),
        {
          class_name: 'Conv2D',
          name: 'conv',
          config: { name: 'conv', filters: 4, kernel_size: [3, 3], ...conv },
          inbound_nodes: callOf(format, 'base_in', 0),
        },
      ],
      input_layers: [['base_in', 0, 0]],
      output_layers: [['conv', 0, 0]],
    },
    inbound_nodes: callOf(format, from, node),
  },
  {
    class_name: 'GlobalAveragePooling2D',
    name: 'gap',
    config: { name: 'gap' },
    inbound_nodes: callOf(format, 'base', 1),
  },
];

describe('importNetwork: Keras 3 model files', () => {
  it('reads one as the same model in Keras 2 format: every layer gives the same activations', async () => {
    const [net3, net2] = [
      await importNetwork(file(3), { normalization: 'none' }),
      await importNetwork(file(2), { normalization: 'none' }),
    ];
    expect(net3.layerNames).toEqual(net2.layerNames);
    expect(net3.layers.map((l) => [l.type, l.description])).toEqual(net2.layers.map((l) => [l.type, l.description]));
    const img = tf.tensor3d(values(6 * 6 * 3, 42), [6, 6, 3]);
    for (const name of net3.layerNames.slice(1)) {
      const [a, b] = [await activations(net3, img, name), await activations(net2, img, name)];
      expect(a.shape, name).toEqual(b.shape);
      expect(Array.from(await a.data()), name).toEqual(Array.from(await b.data()));
      tf.dispose([a, b]);
    }
    // The LeakyReLU's slope (Keras 3's negative_slope) is 0.1, not tfjs-layers's default 0.3.
    const [bn, leaky] = [await activations(net3, img, 'bn'), await activations(net3, img, 'leaky')];
    const want = tf.tidy(() => tf.where(tf.greater(bn, 0), bn, tf.mul(bn, 0.1)));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(leaky, want))));
    expect((await diff.data())[0]).toBeLessThan(1e-6);
    tf.dispose([img, bn, leaky, want, diff]);
    net3.dispose();
    net2.dispose();
  });

  it('reads a Sequential one (input layer with batch_shape, dtype policies, or no input layer)', async () => {
    const seq = tf.io.fromMemory({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'seq',
          dtype: POLICY,
          layers: [
            {
              module: 'keras.layers',
              class_name: 'InputLayer',
              config: { batch_shape: [null, 2, 2, 1], dtype: 'float32', name: 'img' },
            },
            {
              module: 'keras.layers',
              class_name: 'ReLU',
              config: { name: 'relu', dtype: POLICY, negative_slope: 0.5 },
            },
          ],
        },
        backend: 'tensorflow',
      },
      format: 'layers-model',
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    });
    const net = await importNetwork(seq, { normalization: 'none' });
    const img = tf.tensor3d([-2, -1, 1, 2], [2, 2, 1]);
    const out = await activations(net, img, 'relu');
    expect(Array.from(await out.data())).toEqual([-1, -0.5, 1, 2]);
    tf.dispose(out);
    net.dispose();
    // Built without an Input: the input's shape is the model's build_input_shape.
    const lazy = tf.io.fromMemory({
      modelTopology: {
        class_name: 'Sequential',
        config: {
          name: 'lazy',
          dtype: POLICY,
          layers: [{ module: 'keras.layers', class_name: 'ReLU', config: { name: 'relu', dtype: POLICY } }],
          build_input_shape: [null, 2, 2, 1],
        },
        keras_version: '3.3.3',
      },
      format: 'layers-model',
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    });
    const built = await importNetwork(lazy, { normalization: 'none' });
    expect(built.inputSize).toEqual([2, 2, 1]);
    const relu = await activations(built, img, 'relu');
    expect(Array.from(await relu.data())).toEqual([0, 0, 1, 2]);
    tf.dispose([img, relu]);
    built.dispose();
  });

  it('reads a nested functional model (a transfer-learning base), renumbering the calls that read it', async () => {
    // Keras 3 numbers the first call of a nested functional model 0 where it is read, Keras 2 (and tfjs-layers) 1,
    // counting the model's own node first; both write 1 in output_layers.
    const nestedFile = (format: 3 | 2) => {
      return tf.io.fromMemory({
        modelTopology: {
          class_name: 'Functional',
          config: {
            name: 'outer',
            layers: [
              inputEntry(format, 'img'),
              ...baseAndPool(format, 'img', 0, { padding: 'same', activation: 'relu' }),
            ],
            input_layers: [['img', 0, 0]],
            output_layers: [['gap', 0, 0]],
          },
          keras_version: format === 3 ? '3.3.3' : '2.15.0',
        },
        format: 'layers-model',
        weightSpecs: WEIGHTS.slice(0, 2).map(([name, shape]) => ({ name, shape, dtype: 'float32' as const })),
        weightData: weightData().slice(0, 4 * (3 * 3 * 3 * 4 + 4)),
      });
    };
    const [net3, net2] = [
      await importNetwork(nestedFile(3), { normalization: 'none' }),
      await importNetwork(nestedFile(2), { normalization: 'none' }),
    ];
    expect(net3.layerNames).toEqual(['img', 'base/conv', 'base', 'gap']);
    const img = tf.tensor3d(values(6 * 6 * 3, 43), [6, 6, 3]);
    for (const name of ['base/conv', 'gap']) {
      const [a, b] = [await activations(net3, img, name), await activations(net2, img, name)];
      expect(Array.from(await a.data()), name).toEqual(Array.from(await b.data()));
      tf.dispose([a, b]);
    }
    img.dispose();
    net3.dispose();
    net2.dispose();
  });

  it("reads a nested Sequential (the transfer-learning tutorial's augmentation), renumbering its calls", async () => {
    // Keras 3 numbers a nested Sequential's first call 0, in the calls that read it and in output_layers; Keras 2 and
    // tfjs-layers 1 (a Sequential has a node of its own there). The tutorial's model: augmentation in a Sequential,
    // scaling, a base; and a model whose output is a Sequential.
    const sequentialFile = (format: 3 | 2, end: 'base' | 'sequential') => {
      const three = format === 3;
      const inner = (cls: string, config: Record<string, unknown>) =>
        three
          ? { module: 'keras.layers', class_name: cls, config: { ...config, dtype: POLICY }, registered_name: null }
          : { class_name: cls, config };
      const augmentation = {
        class_name: 'Sequential',
        name: 'sequential',
        config: {
          name: 'sequential',
          layers: [
            { class_name: 'InputLayer', config: { ...inputEntry(format, 'aug_in').config } },
            inner('RandomFlip', { name: 'random_flip', mode: 'horizontal' }),
            inner('RandomRotation', { name: 'random_rotation', factor: 0.2 }),
            inner('Rescaling', { name: 'rescaling', scale: 1 / 127.5, offset: -1 }),
            ...(end === 'sequential' ? [inner('Conv2D', { name: 'conv', filters: 4, kernel_size: [3, 3] })] : []),
          ],
          ...(three ? { dtype: POLICY, build_input_shape: [null, 6, 6, 3] } : {}),
        },
        inbound_nodes: callOf(format, 'img', 0),
      };
      return tf.io.fromMemory({
        modelTopology: {
          class_name: 'Functional',
          config: {
            name: 'outer',
            layers: [
              inputEntry(format, 'img'),
              augmentation,
              ...(end === 'base' ? baseAndPool(format, 'sequential', 1) : []),
            ],
            input_layers: [['img', 0, 0]],
            output_layers: [end === 'base' ? ['gap', 0, 0] : ['sequential', three ? 0 : 1, 0]],
          },
          keras_version: three ? '3.3.3' : '2.15.0',
        },
        format: 'layers-model',
        weightSpecs: WEIGHTS.slice(0, 2).map(([name, shape]) => ({ name, shape, dtype: 'float32' as const })),
        weightData: weightData().slice(0, 4 * (3 * 3 * 3 * 4 + 4)),
      });
    };
    const img = tf.tensor3d(
      values(6 * 6 * 3, 44).map((v) => (v + 0.5) * 255),
      [6, 6, 3],
    );
    for (const [end, names] of [
      ['base', ['sequential/rescaling', 'base/conv', 'gap']],
      ['sequential', ['sequential/rescaling', 'sequential/conv', 'sequential']],
    ] as const) {
      const [net3, net2] = [
        await importNetwork(sequentialFile(3, end), { normalization: 'none' }),
        await importNetwork(sequentialFile(2, end), { normalization: 'none' }),
      ];
      expect(net3.layers.map((l) => [l.name, l.type])).toEqual(net2.layers.map((l) => [l.name, l.type]));
      for (const name of names) {
        const [a, b] = [await activations(net3, img, name), await activations(net2, img, name)];
        expect(a.shape, name).toEqual(b.shape);
        expect(Array.from(await a.data()), name).toEqual(Array.from(await b.data()));
        tf.dispose([a, b]);
      }
      net3.dispose();
      net2.dispose();
    }
    img.dispose();
  });

  it('refuses a file of models nested deeper than the call stack before reading or rewriting it', async () => {
    // 20,000 functional models one inside the other: tfjs-layers's own reading overflowed the call stack.
    let inner: Record<string, unknown> = {
      class_name: 'ReLU',
      name: 'r',
      config: { name: 'r', dtype: POLICY },
      inbound_nodes: [
        { args: [{ class_name: '__keras_tensor__', config: { keras_history: ['in0', 0, 0] } }], kwargs: {} },
      ],
    };
    for (let i = 0; i < 20000; i++) {
      const input = {
        class_name: 'InputLayer',
        name: `in${i}`,
        config: { batch_shape: [null, 2, 2, 1], name: `in${i}` },
      };
      const last = String(inner.name);
      inner = {
        class_name: 'Functional',
        name: `m${i}`,
        config: {
          name: `m${i}`,
          layers: [input, inner],
          input_layers: [[`in${i}`, 0, 0]],
          // A nested functional model's first call is 1 in output_layers (0 where a layer reads it).
          output_layers: [[last, i === 0 ? 0 : 1, 0]],
        },
        inbound_nodes: [
          { args: [{ class_name: '__keras_tensor__', config: { keras_history: [`in${i + 1}`, 0, 0] } }], kwargs: {} },
        ],
      };
    }
    const deep = tf.io.fromMemory({
      modelTopology: {
        class_name: 'Functional',
        config: (inner as { config: unknown }).config,
        keras_version: '3.3.3',
      },
      format: 'layers-model',
      weightSpecs: [],
      weightData: new ArrayBuffer(0),
    });
    await expectThrowsNoLeak(
      () => importNetwork(deep, { normalization: 'none' }),
      TypeError,
      /^importNetwork: the model from the given ioHandler cannot be read: its topology is nested more than 100 levels deep /,
    );
  });

  it("computes Keras 3's activation functions that tfjs-layers lacks or computes otherwise", async () => {
    // Values from -4 to 4, the ends of each piece (±0.5, ±1, ±3) among them.
    const xs = Array.from({ length: 60 }, (_, i) => -4 + (8 * i) / 59);
    xs.splice(0, 8, -3, -1, -0.5, 0, 0.5, 1, 3, 0.25);
    const img = tf.tensor3d(xs, [4, 5, 3]);
    for (const [name, f] of Object.entries(KERAS3_ACTIVATIONS)) {
      const net = await importNetwork(activationsFile(3, [name], [4, 5, 3]), { normalization: 'none' });
      const got = await activations(net, img, 'act0');
      const out = Array.from(await got.data());
      // float32 to 1e-5 relative, or 2e-6 absolute where Keras's own formula cancels (x - tanh(x) near 0).
      const worst = Math.max(...out.map((v, k) => Math.abs(v - f(xs[k])) / (2e-6 + 1e-5 * Math.abs(f(xs[k])))));
      expect(worst, name).toBeLessThan(1);
      // The layer table names the function as the file does.
      const row = net.layers[1];
      if (name === 'leaky_relu')
        expect([row.type, row.description]).toEqual(['Leaky ReLU', 'Leaky ReLU with scale 0.2']);
      else if (name === 'hard_sigmoid') expect(row.description).toBe("activation 'hard_sigmoid (Keras 3's)'");
      else expect([row.type, row.description], name).toEqual(['Function', `activation '${name}'`]);
      got.dispose();
      net.dispose();
    }
    img.dispose();
  });

  it("refuses the activations whose output is not their input's shape (glu, sparsemax), naming the layer", async () => {
    for (const name of ['glu', 'sparsemax']) {
      await expectThrowsNoLeak(
        () => importNetwork(activationsFile(3, ['relu', name], [4, 4, 2]), { normalization: 'none' }),
        RangeError,
        `importNetwork: the model cannot run as Keras runs it: its layer 'act1' (Activation) uses the activation ` +
          `'${name}', which tfjs-layers does not have`,
      );
    }
  });

  it("computes Keras 2's exponential activation, which tfjs-layers lacks", async () => {
    const net = await importNetwork(activationsFile(2, ['exponential'], [2, 2, 1]), { normalization: 'none' });
    const img = tf.tensor3d([-2, 0, 1, 3], [2, 2, 1]);
    const got = await activations(net, img, 'act0');
    const want = [-2, 0, 1, 3].map(Math.exp);
    for (const [k, v] of Array.from(await got.data()).entries()) expect(v).toBeCloseTo(want[k], 4);
    tf.dispose([img, got]);
    net.dispose();
  });

  it("computes Keras 3's operations on layer outputs (MobileNetV3's hard sigmoid, ReLU(6)(x + 3) · 1/6)", async () => {
    const tensor = k3Tensor;
    const entry = (
      cls: string,
      name: string,
      config: Record<string, unknown>,
      args: unknown[],
      module = 'keras.layers',
    ) => k3Operation(cls, name, args, config, module);
    const ops = 'keras.src.ops.numpy';
    const conv = k3Conv(
      'conv',
      'img',
      Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.9) * 2),
    );
    const source = (last: Record<string, unknown>[]) => k3Model([conv.layer, ...last], [conv.weight]);
    const net = await importNetwork(
      source([
        entry('Add', 'add', {}, [tensor('conv'), 3.0], ops),
        entry('ReLU', 're_lu', { max_value: 6.0, dtype: POLICY }, [tensor('add')]),
        entry('Multiply', 'multiply', {}, [tensor('re_lu'), 1 / 6], ops),
        entry('Multiply', 'swish', { dtype: POLICY }, [[tensor('conv'), tensor('multiply')]]),
        entry(
          'Mean',
          'mean',
          { axis: { class_name: '__tuple__', config: { value: [1, 2] } }, keepdims: true },
          [tensor('swish')],
          ops,
        ),
      ]),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => ((i * 7) % 11) - 5),
      [2, 3, 3],
    );
    const [x, y, m] = [
      await activations(net, img, 'conv'),
      await activations(net, img, 'swish'),
      await activations(net, img, 'mean'),
    ];
    const xs = Array.from(await x.data());
    const want = xs.map((c) => (c * Math.min(Math.max(c + 3, 0), 6)) / 6);
    for (const [k, v] of Array.from(await y.data()).entries()) expect(v).toBeCloseTo(want[k], 5);
    expect(m.shape).toEqual([1, 1, 4]);
    const means = [0, 1, 2, 3].map((c) => want.filter((_, k) => k % 4 === c).reduce((a, b) => a + b, 0) / 6);
    for (const [c, v] of Array.from(await m.data()).entries()) expect(v).toBeCloseTo(means[c], 5);
    expect(net.layers.map((l) => l.type)).toEqual([
      'Image Input',
      'Convolution',
      'Function',
      'Clipped ReLU',
      'Function',
      'Multiplication',
      'Other', // a reduction: at the trained size only
    ]);
    tf.dispose([img, x, y, m]);
    net.dispose();
    // An operation the library does not compute is refused, not read as a layer of the same name.
    await expectThrowsNoLeak(
      () =>
        importNetwork(source([entry('Cumsum', 'cumsum', { axis: 1 }, [tensor('conv')], ops)]), {
          normalization: 'none',
        }),
      TypeError,
      /its layer 'cumsum' is the operation keras\.ops Cumsum, which this library does not compute/,
    );
  });

  it("computes keras.applications's preprocess_input in a Keras 3 model (Caffe's and PyTorch's)", async () => {
    // Keras 3's preprocess_input on a model's input: Caffe's RGB to BGR as ops.stack([x[..., i] for i in (2, 1, 0)],
    // axis=-1), then its mean added as a tensor constant shaped [1, 1, 1, 3]; PyTorch's / 255, mean, / std.
    const mean = [103.939, 116.779, 123.68];
    const tensor = k3Tensor;
    const constant = (value: unknown, cls = '__tensor__') => ({ class_name: cls, config: { value, dtype: 'float32' } });
    const op = k3Operation;
    // The convolution passes channels 0 and 1 of the last operation through.
    const model = (ops: Record<string, unknown>[]) => {
      const conv = k3Conv('conv', String(ops.at(-1)?.name), [1, 0, 0, 1, 0, 0]);
      return k3Model([...ops, conv.layer], [conv.weight]);
    };
    const ellipsis = { class_name: '__ellipsis__', config: {} };
    const caffe = await importNetwork(
      model([
        op('GetItem', 'get_item', [tensor('img'), [ellipsis, 2]]),
        op('GetItem', 'get_item_1', [tensor('img'), [ellipsis, 1]]),
        op('GetItem', 'get_item_2', [tensor('img'), [ellipsis, 0]]),
        op('Stack', 'stack', [[tensor('get_item'), tensor('get_item_1'), tensor('get_item_2')]], { axis: -1 }),
        op('Add', 'add', [tensor('stack'), constant([[[mean.map((m) => -m)]]])]),
      ]),
      { normalization: 'none' },
    );
    const torch = await importNetwork(
      model([
        op('TrueDivide', 'true_divide', [tensor('img'), 255.0]),
        op('Add', 'add', [tensor('true_divide'), constant([[[[-0.485, -0.456, -0.406]]]])]),
        op('TrueDivide', 'true_divide_1', [tensor('add'), constant([0.229, 0.224, 0.225], '__numpy__')]),
      ]),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => (i * 37) % 256),
      [2, 3, 3],
    );
    const x = Array.from(await img.data());
    const pixels = [0, 1, 2, 3, 4, 5];
    const read = async (net: Awaited<ReturnType<typeof importNetwork>>, layer: string) => {
      const t = await activations(net, img, layer);
      const out = { shape: t.shape, values: Array.from(await t.data()) };
      t.dispose();
      return out;
    };
    const bgr = await read(caffe, 'add');
    expect(bgr.shape).toEqual([2, 3, 3]);
    const wantCaffe = pixels.flatMap((p) => [0, 1, 2].map((c) => x[p * 3 + 2 - c] - mean[c]));
    for (const [k, v] of bgr.values.entries()) expect(v).toBeCloseTo(wantCaffe[k], 3);
    const scaled = await read(torch, 'true_divide_1');
    const [m, sd] = [
      [0.485, 0.456, 0.406],
      [0.229, 0.224, 0.225],
    ];
    const wantTorch = pixels.flatMap((p) => [0, 1, 2].map((c) => (x[p * 3 + c] / 255 - m[c]) / sd[c]));
    for (const [k, v] of scaled.values.entries()) expect(v).toBeCloseTo(wantTorch[k], 4);
    // The channel-wise constants keep the image's shape (other input sizes work); the slices are trained-size only.
    expect(torch.layers.map((l) => l.type)).toEqual(['Image Input', 'Function', 'Function', 'Function', 'Convolution']);
    expect(caffe.layers.map((l) => [l.type, l.description]).slice(1, 5)).toEqual([
      ['Other', 'img[..., 2]'],
      ['Other', 'img[..., 1]'],
      ['Other', 'img[..., 0]'],
      ['Other', 'tf.stack([get_item, get_item_1, get_item_2], axis=-1)'],
    ]);
    img.dispose();
    caffe.dispose();
    torch.dispose();
  });

  it("computes Keras 3's shape, image and normalizing operations as TensorFlow's", async () => {
    const img = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => ((i * 37) % 23) - 9),
      [2, 3, 3],
    );
    const x = tf.expandDims(img, 0);
    const t = k3Tensor('img');
    const image = 'keras.src.ops.image';
    // Each operation on the image, and what TensorFlow computes for it.
    const cases: [Record<string, unknown>[], () => tf.Tensor][] = [
      [[k3Operation('Reshape', 'op', [t], { newshape: [-1, 3, 2, 3] })], () => tf.reshape(x, [1, 3, 2, 3])],
      [
        [
          k3Operation('ExpandDims', 'expand', [t], { axis: -1 }),
          k3Operation('Squeeze', 'op', [k3Tensor('expand')], { axis: [4] }),
        ],
        () => x,
      ],
      [[k3Operation('Transpose', 'op', [t], { axes: [0, 2, 1, 3] })], () => tf.transpose(x, [0, 2, 1, 3])],
      [[k3Operation('Clip', 'op', [t], { x_min: -3, x_max: 5 })], () => tf.clipByValue(x, -3, 5)],
      [[k3Operation('Softmax', 'op', [t], { axis: -1 }, 'keras.src.ops.nn')], () => tf.softmax(x)],
      [[k3Operation('Cast', 'op', [t], { dtype: 'float32' }, 'keras.src.ops.core')], () => x],
      [
        [k3Operation('Normalize', 'op', [t], { axis: -1, order: 2, epsilon: null }, 'keras.src.ops.nn')],
        () => tf.div(x, tf.sqrt(tf.sum(tf.square(x), -1, true))),
      ],
      [
        [k3Operation('Resize', 'op', [t], { size: [4, 5], interpolation: 'nearest', antialias: false }, image)],
        () => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [4, 5], false, true),
      ],
      [
        [
          k3Operation('Pad', 'op', [t], {
            pad_width: [
              [0, 0],
              [1, 0],
              [0, 2],
              [0, 0],
            ],
            mode: 'reflect',
          }),
        ],
        () =>
          tf.mirrorPad(
            x,
            [
              [0, 0],
              [1, 0],
              [0, 2],
              [0, 0],
            ],
            'reflect',
          ),
      ],
    ];
    for (const [ops, want] of cases) {
      const net = await importNetwork(k3Model(ops), { normalization: 'none' });
      const got = await activations(net, img, 'op');
      const expected = tf.squeeze(want(), [0]);
      expect(got.shape, String(ops[0].class_name)).toEqual(expected.shape);
      const [g, e] = [Array.from(await got.data()), Array.from(await expected.data())];
      for (const [k, v] of e.entries()) expect(g[k], `${ops[0].class_name} ${k}`).toBeCloseTo(v, 5);
      tf.dispose([got, expected]);
      net.dispose();
    }
    tf.dispose([img, x]);
    // What differs from TensorFlow's functions is refused, naming the layer.
    const refused: [Record<string, unknown>, RegExp][] = [
      [
        k3Operation('Resize', 'op', [t], { size: [4, 5], crop_to_aspect_ratio: true }, image),
        /its layer 'op' is the operation keras\.ops Resize, keeping the aspect ratio/,
      ],
      [
        k3Operation('Resize', 'op', [t], { size: [4, 5], interpolation: 'bicubic' }, image),
        /its layer 'op' \(TFOpLambda\) calls tf\.image\.resize with method="bicubic", which this library does not/,
      ],
      [
        k3Operation('Normalize', 'op', [t], { axis: -1, order: 1 }, 'keras.src.ops.nn'),
        /its layer 'op' is the operation keras\.ops Normalize, with order 1/,
      ],
    ];
    for (const [op, why] of refused) {
      await expectThrowsNoLeak(() => importNetwork(k3Model([op]), { normalization: 'none' }), TypeError, why);
    }
  });

  it("reads settings Keras 3 writes as NumPy arrays (a Rescaling's scale, a Normalization's mean)", async () => {
    const numpy = (value: number[]) => ({ class_name: '__numpy__', config: { value, dtype: 'float64' } });
    const scaling = k3Operation(
      'Rescaling',
      'scale',
      [k3Tensor('img')],
      { scale: numpy([0.5, 2, 4]), offset: 1 },
      'keras.layers',
    );
    const normalizing = k3Operation(
      'Normalization',
      'norm',
      [k3Tensor('scale')],
      { axis: -1, mean: numpy([1, 2, 3]), variance: numpy([4, 1, 0.25]), invert: false },
      'keras.layers',
    );
    const net = await importNetwork(k3Model([scaling, normalizing]), { normalization: 'none' });
    const img = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => i),
      [2, 3, 3],
    );
    const out = await activations(net, img, 'norm');
    const [scale, mean, sd] = [
      [0.5, 2, 4],
      [1, 2, 3],
      [2, 1, 0.5],
    ];
    const want = Array.from({ length: 18 }, (_, i) => (i * scale[i % 3] + 1 - mean[i % 3]) / sd[i % 3]);
    for (const [k, v] of Array.from(await out.data()).entries()) expect(v).toBeCloseTo(want[k], 4);
    tf.dispose([img, out]);
    net.dispose();
  });

  it('refuses what it cannot rewrite for certain, naming the layer and what to convert instead', async () => {
    const instead =
      "export it with Keras 3's model.export(dir) and convert that SavedModel to a graph model " +
      '(tensorflowjs_converter --input_format=tf_saved_model), or save it with Keras 2 (the tf_keras package, ' +
      'with TF_USE_LEGACY_KERAS=1) before converting it';
    const cases: [string, ReturnType<typeof file>][] = [
      [
        "its layer 'leaky' reads a layer called more than once",
        file(3, LAYERS, [
          {},
          {},
          { call: { args: [{ class_name: '__keras_tensor__', config: { keras_history: ['bn', 1, 0] } }], kwargs: {} } },
        ]),
      ],
      [
        "its layer 'conv' is called with a tensor as a keyword argument",
        file(3, LAYERS, [
          {
            call: {
              args: [{ class_name: '__keras_tensor__', config: { keras_history: ['img', 0, 0] } }],
              kwargs: { mask: { class_name: '__keras_tensor__', config: { keras_history: ['img', 0, 0] } } },
            },
          },
        ]),
      ],
    ];
    for (const [why, source] of cases) {
      await expectThrowsNoLeak(
        () => importNetwork(source, { normalization: 'none' }),
        TypeError,
        `importNetwork: the model from the given ioHandler is a Keras 3 model file, and ${why}, which this library ` +
          `cannot read; ${instead}`,
      );
    }
  });
});
