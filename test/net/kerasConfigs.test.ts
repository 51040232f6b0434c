/**
 * Keras layer settings that tfjs-layers drops from a model file without an error, as a network of a Keras model file
 * runs them: a `ReLU`'s `negative_slope` and `threshold` (computed as Keras computes them), a `Conv2DTranspose`'s
 * `output_padding` where it changes the layer's size, global pooling's `keepdims` and grouped convolutions (refused);
 * and the Keras layers tfjs-layers lacks or computes otherwise (`Normalization`, `CenterCrop`, `Resizing`, a bilinear
 * `UpSampling2D`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

/** A layer of a Keras model file: its class name and config. */
type FileLayer = { class_name: string; config: Record<string, unknown> };

/** A weight of a Keras model file: its name, shape and values (float32, or int32). */
type FileWeight = { name: string; shape: number[]; values: number[]; dtype?: 'float32' | 'int32' };

/** A Keras model file of `layers` after an `input` image (gray 2×4 unless given), with `weights`. */
function kerasFile(
  layers: FileLayer[],
  { input = [2, 4, 1], weights = [] as FileWeight[], kerasVersion = '2.9.0' as string | null } = {},
) {
  const data = new ArrayBuffer(weights.reduce((n, w) => n + 4 * w.values.length, 0));
  let at = 0;
  for (const w of weights) {
    (w.dtype === 'int32' ? new Int32Array(data, at, w.values.length) : new Float32Array(data, at, w.values.length)).set(
      w.values,
    );
    at += 4 * w.values.length;
  }
  const inputLayer = {
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, ...input], dtype: 'float32', name: 'img' },
  };
  return tf.io.fromMemory({
    modelTopology: {
      class_name: 'Sequential',
      config: { name: 'seq', layers: [inputLayer, ...layers] },
      ...(kerasVersion === null ? {} : { keras_version: kerasVersion }),
      backend: 'tensorflow',
    },
    format: 'layers-model',
    weightSpecs: weights.map(({ name, shape, dtype = 'float32' }) => ({ name, shape, dtype })),
    weightData: data,
  });
}

/** A kernel of ones for layer `layer`. */
const onesKernel = (layer: string, shape: number[]): FileWeight => ({
  name: `${layer}/kernel`,
  shape,
  values: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1),
});

describe('Keras layer settings that tfjs-layers drops', () => {
  const pixels = [-2, 0, 0.25, 0.5, 1, 3, 6, 9];

  it("computes a ReLU's negative slope and threshold as Keras does (tfjs-layers ran a plain ReLU)", async () => {
    const net = await importNetwork(
      kerasFile([
        { class_name: 'ReLU', config: { name: 'thresholded', max_value: 6, negative_slope: 0.1, threshold: 0.5 } },
        { class_name: 'ReLU', config: { name: 'leaky', max_value: null, negative_slope: 0.2, threshold: 0 } },
      ]),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(pixels, [2, 4, 1]);
    const round = (v: ArrayLike<number>) => Array.from(v, (x) => Math.round(x * 1e5) / 1e5);
    const first = await expectNoLeak(() => activations(net, img, 'thresholded'), 1);
    // Keras: x where x > 0.5, clipped to [0, 6], minus 0.1 · max(0.5 − x, 0).
    expect(round(await first.data())).toEqual([-0.25, -0.05, -0.025, 0, 1, 3, 6, 6]);
    const second = await activations(net, img, 'leaky');
    // The first layer's output, leaky with slope 0.2 below 0.
    expect(round(await second.data())).toEqual([-0.05, -0.01, -0.005, 0, 1, 3, 6, 6]);
    // The layer table says what they compute (tfjs-layers's config had dropped both settings).
    expect(net.layers.slice(1).map((l) => [l.type, l.description])).toEqual([
      ['Clipped ReLU', 'Clipped ReLU with ceiling 6, scale 0.1, threshold 0.5'],
      ['Leaky ReLU', 'Leaky ReLU with scale 0.2'],
    ]);
    tf.dispose([img, first, second]);
    net.dispose();
  });

  it('refuses a Conv2DTranspose whose output_padding changes its size (tfjs-layers ignores it)', async () => {
    const up = (outputPadding: number[] | null, kernel: number) => ({
      class_name: 'Conv2DTranspose',
      config: {
        name: 'up',
        filters: 1,
        kernel_size: [kernel, kernel],
        strides: [2, 2],
        padding: 'same',
        output_padding: outputPadding,
        use_bias: false,
        activation: 'linear',
      },
    });
    await expectThrowsNoLeak(
      () =>
        importNetwork(kerasFile([up([1, 1], 2)], { weights: [onesKernel('up', [2, 2, 1, 1])] }), {
          normalization: 'none',
        }),
      RangeError,
      "importNetwork: the model cannot run as Keras runs it: its layer 'up' (Conv2DTranspose) has the output padding " +
        '[1, 1], which tfjs-layers ignores: for n input rows Keras makes 2·n − 1 output rows, tfjs-layers 2·n',
    );
    // An output padding that gives tfjs-layers's size anyway (kernel 3, 'same', stride 2, padding 1) runs.
    const ok = await importNetwork(kerasFile([up([1, 1], 3)], { weights: [onesKernel('up', [3, 3, 1, 1])] }), {
      normalization: 'none',
    });
    expect(ok.layers.at(-1)?.outputSize).toEqual([4, 8, 1]);
    ok.dispose();
  });

  it('refuses window settings Keras refuses, naming the layer (tfjs-layers computed with some of them)', async () => {
    // tfjs-layers convolved with a dilation of 0 (the layer table said 2×4 where it computed 2×2), upsampled by 1.5,
    // and failed on a fractional padding or a causal 2-D convolution only when the model ran.
    const conv = (config: Record<string, unknown>) => ({
      class_name: 'Conv2D',
      config: { name: 'c', filters: 1, kernel_size: [1, 3], padding: 'valid', use_bias: false, ...config },
    });
    const cases: [FileLayer, FileWeight[], string][] = [
      [
        conv({ dilation_rate: [1, 0] }),
        [onesKernel('c', [1, 3, 1, 1])],
        'has the dilation_rate [1,0], where Keras takes whole numbers of at least 1',
      ],
      [
        conv({ strides: 1.5 }),
        [onesKernel('c', [1, 3, 1, 1])],
        'has the strides 1.5, where Keras takes whole numbers of at least 1',
      ],
      [
        conv({ padding: 'causal' }),
        [onesKernel('c', [1, 3, 1, 1])],
        "pads 'causal', which Keras takes for 1-D convolutions only",
      ],
      [
        conv({ strides: [1, 2], dilation_rate: 2 }),
        [onesKernel('c', [1, 3, 1, 1])],
        'has the strides [1,2] and the dilation_rate 2, where Keras takes one of them above 1 at most',
      ],
      [
        { class_name: 'UpSampling2D', config: { name: 'c', size: [1.5, 2], interpolation: 'nearest' } },
        [],
        'has the size [1.5,2], where Keras takes whole numbers of at least 1',
      ],
      [
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: 'c',
            padding: [
              [1, 1],
              [-1, 0],
            ],
          },
        },
        [],
        'has the padding [[1,1],[-1,0]], where Keras takes whole numbers of at least 0',
      ],
      [
        {
          class_name: 'Cropping2D',
          config: {
            name: 'c',
            cropping: [
              [0, 0],
              [0.5, 0],
            ],
          },
        },
        [],
        'has the cropping [[0,0],[0.5,0]], where Keras takes whole numbers of at least 0',
      ],
      [
        { class_name: 'MaxPooling2D', config: { name: 'c', pool_size: [1, 'x'], strides: null } },
        [],
        'has the pool_size [1,"x"], where Keras takes whole numbers of at least 1',
      ],
      [
        { class_name: 'ReLU', config: { name: 'c', max_value: -6, negative_slope: 0, threshold: 0 } },
        [],
        'has the max_value -6, where Keras takes a number of at least 0',
      ],
      [
        { class_name: 'BatchNormalization', config: { name: 'c', axis: [{}] } },
        [],
        'has the axis [{}], where Keras takes whole numbers',
      ],
      [
        { class_name: 'BatchNormalization', config: { name: 'c', epsilon: [3, 3] } },
        [],
        'has the epsilon [3,3], where Keras takes a number',
      ],
      // tfjs-layers refused it without naming the layer: "2.5 is not a valid PaddingMode".
      [
        { class_name: 'MaxPooling2D', config: { name: 'c', pool_size: 2, padding: 2.5 } },
        [],
        "has the padding 2.5, where Keras takes 'valid', 'same' or 'causal'",
      ],
      // tfjs-layers read it only when the layer ran: "Unknown data format: [object Object]".
      [
        { class_name: 'ZeroPadding2D', config: { name: 'c', padding: 1, data_format: {} } },
        [],
        "has the data_format {}, where Keras takes 'channels_last' or 'channels_first'",
      ],
    ];
    for (const [layer, weights, why] of cases) {
      await expectThrowsNoLeak(
        () => importNetwork(kerasFile([layer], { weights }), { normalization: 'none' }),
        RangeError,
        `importNetwork: the model cannot run as Keras runs it: its layer 'c' (${layer.class_name}) ${why}`,
      );
    }
    // An input layer's shape (tfjs-layers: "expected ndim=4, found ndim=undefined" for one that is not a list).
    await expectThrowsNoLeak(
      () => importNetwork(kerasFile([], { input: [0, 4, 1] }), { normalization: 'none' }),
      RangeError,
      "importNetwork: the model cannot run as Keras runs it: its layer 'img' (InputLayer) has the input shape " +
        '[null,0,4,1], where Keras takes a batch and sizes, each a whole number of at least 1 or null',
    );
    // Keras's defaults left out or null, numbers alone or in lists: read as before.
    const ok = await importNetwork(
      kerasFile(
        [
          conv({ strides: 1, dilation_rate: [1, 1] }),
          { class_name: 'ZeroPadding2D', config: { name: 'z', padding: 1, data_format: 'channels_last' } },
          { class_name: 'MaxPooling2D', config: { name: 'p', pool_size: 2, strides: null, padding: 'valid' } },
        ],
        { weights: [onesKernel('c', [1, 3, 1, 1])] },
      ),
      { normalization: 'none' },
    );
    expect(ok.layers.map((l) => l.outputSize)).toEqual([
      [2, 4, 1],
      [2, 2, 1],
      [4, 4, 1],
      [2, 2, 1],
    ]);
    ok.dispose();
  });

  it('keeps the pooled axes of global pooling with keepdims, as Keras does (tfjs-layers ignored it: [c])', async () => {
    // MobileNetV3's squeeze-and-excitation blocks: pooling that keeps [1, 1, c], then a 1×1 convolution.
    const img = tf.tensor3d(
      Array.from({ length: 8 }, (_, i) => (i * 5) % 7),
      [2, 4, 1],
    );
    for (const [cls, reduce] of [
      ['GlobalAveragePooling2D', tf.mean],
      ['GlobalMaxPooling2D', tf.max],
    ] as const) {
      const file = kerasFile(
        [
          { class_name: cls, config: { name: 'pool', keepdims: true } },
          { class_name: 'Conv2D', config: { name: 'conv', filters: 2, kernel_size: [1, 1], use_bias: false } },
        ],
        { weights: [{ name: 'conv/kernel', shape: [1, 1, 1, 2], values: [2, -1] }] },
      );
      const net = await importNetwork(file, { normalization: 'none' });
      expect(net.layers.map((l) => l.outputSize)).toEqual([
        [2, 4, 1],
        [1, 1, 1],
        [1, 1, 2],
      ]);
      const [pooled, conv] = [await activations(net, img, 'pool'), await activations(net, img, 'conv')];
      const want = (await reduce(img).data())[0];
      expect(pooled.shape).toEqual([1, 1, 1]);
      expect(Array.from(await pooled.data())).toEqual([want]);
      expect(Array.from(await conv.data())).toEqual([2 * want, -want]);
      tf.dispose([pooled, conv]);
      net.dispose();
    }
    const net = await importNetwork(
      kerasFile([{ class_name: 'GlobalAveragePooling2D', config: { name: 'pool', keepdims: false } }]),
      {
        normalization: 'none',
      },
    );
    expect(net.layers.at(-1)?.outputSize).toEqual([1]);
    net.dispose();
    img.dispose();
  });

  it('refuses a Resizing that antialiases or pads to the aspect ratio (options tfjs-layers ignores)', async () => {
    for (const [option, what] of [
      ['antialias', 'antialiases (antialias)'],
      ['pad_to_aspect_ratio', 'pads to the aspect ratio (pad_to_aspect_ratio)'],
    ] as const) {
      const file = kerasFile([
        { class_name: 'Resizing', config: { name: 'resize', height: 1, width: 2, [option]: true } },
      ]);
      await expectThrowsNoLeak(
        () => importNetwork(file, { normalization: 'none' }),
        RangeError,
        `importNetwork: the model cannot run as Keras runs it: its layer 'resize' (Resizing) ${what}, which ` +
          "tfjs-layers's Resizing and this library's do not: other numbers than Keras",
      );
    }
  });

  it('convolves in groups as Keras does (RegNet, ConvNeXt, ResNeXt; tfjs-layers ignored groups)', async () => {
    // A 1×1 convolution to 4 channels, then a grouped one: each group of input channels has its own filters.
    const kernel = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.3 + seed));
    const img = tf.tensor3d(
      Array.from({ length: 5 * 6 * 3 }, (_, i) => ((i * 7) % 11) - 5),
      [5, 6, 3],
    );
    const cases = [
      { groups: 2, filters: 6, k: 3, stride: 1, dilation: 1, padding: 'same' },
      { groups: 4, filters: 4, k: 3, stride: 2, dilation: 1, padding: 'valid' }, // depthwise (ConvNeXt's)
      { groups: 2, filters: 4, k: 2, stride: 1, dilation: 2, padding: 'same' },
      { groups: 4, filters: 8, k: 3, stride: 1, dilation: 1, padding: 'same' }, // depthwise, 2 filters a channel
    ];
    for (const c of cases) {
      const per = 4 / c.groups;
      const weights = kernel(c.k * c.k * per * c.filters, c.groups);
      const bias = kernel(c.filters, 7);
      const file = kerasFile(
        [
          { class_name: 'Conv2D', config: { name: 'conv', filters: 4, kernel_size: [1, 1], use_bias: false } },
          {
            class_name: 'Conv2D',
            config: {
              name: 'grouped',
              filters: c.filters,
              kernel_size: [c.k, c.k],
              strides: [c.stride, c.stride],
              dilation_rate: [c.dilation, c.dilation],
              padding: c.padding,
              groups: c.groups,
              activation: 'linear',
            },
          },
        ],
        {
          input: [5, 6, 3],
          weights: [
            { name: 'conv/kernel', shape: [1, 1, 3, 4], values: kernel(12, 0) },
            { name: 'grouped/kernel', shape: [c.k, c.k, per, c.filters], values: weights },
            { name: 'grouped/bias', shape: [c.filters], values: bias },
          ],
        },
      );
      const net = await importNetwork(file, { normalization: 'none' });
      const x = await activations(net, img, 'conv');
      const y = await activations(net, img, 'grouped');
      const xs = await x.data();
      // Keras's grouped convolution, in float64: output channel f reads the input channels of its group, f ÷ (F/G).
      const span = (c.k - 1) * c.dilation + 1;
      const pads = (n: number) => {
        if (c.padding === 'valid') return [0, Math.floor((n - span) / c.stride) + 1];
        const out = Math.ceil(n / c.stride);
        return [Math.floor(Math.max((out - 1) * c.stride + span - n, 0) / 2), out];
      };
      const [top, outH] = pads(5);
      const [left, outW] = pads(6);
      expect(y.shape).toEqual([outH, outW, c.filters]);
      const got = await y.data();
      for (let i = 0; i < outH; i++) {
        for (let j = 0; j < outW; j++) {
          for (let f = 0; f < c.filters; f++) {
            const g = Math.floor(f / (c.filters / c.groups));
            let sum = bias[f];
            for (let a = 0; a < c.k; a++) {
              for (let b = 0; b < c.k; b++) {
                const [r, q] = [i * c.stride + a * c.dilation - top, j * c.stride + b * c.dilation - left];
                if (r < 0 || r >= 5 || q < 0 || q >= 6) continue;
                for (let p = 0; p < per; p++) {
                  sum += xs[(r * 6 + q) * 4 + g * per + p] * weights[((a * c.k + b) * per + p) * c.filters + f];
                }
              }
            }
            expect(got[(i * outW + j) * c.filters + f], JSON.stringify(c)).toBeCloseTo(sum, 4);
          }
        }
      }
      expect(net.layers[2].type).toBe('Grouped Convolution');
      if (c.filters === 6) {
        const described = "2 groups of 3 3×3×2 convolutions with stride [1 1] and padding 'same'";
        expect(net.layers[2].description).toBe(described);
      }
      tf.dispose([x, y]);
      net.dispose();
    }
    img.dispose();
  });

  it('refuses a file of models nested deeper than the call stack before anything reads it by recursion', async () => {
    // 20,000 Sequential models one inside the other: tfjs-layers's own reading overflowed the call stack.
    let inner: { class_name: string; config: Record<string, unknown> } = {
      class_name: 'ReLU',
      config: { name: 'r', negative_slope: 0.1 },
    };
    for (let i = 0; i < 20000; i++) inner = { class_name: 'Sequential', config: { name: `s${i}`, layers: [inner] } };
    await expectThrowsNoLeak(
      () => importNetwork(kerasFile([inner]), { normalization: 'none' }),
      TypeError,
      /^importNetwork: the model from the given ioHandler cannot be read: its topology is nested more than 100 levels deep \(at '\w+'\)/,
    );
  });

  it('reads a chain of 16,000 layers, which tfjs-layers builds, without overflowing the call stack', async () => {
    // The layer table's walk was recursive ("Maximum call stack size exceeded"), and two of its steps quadratic.
    const chain = Array.from({ length: 16000 }, (_, i) => ({
      class_name: 'ReLU',
      config: { name: `r${i}` },
    }));
    const net = await importNetwork(kerasFile(chain), { normalization: 'none' });
    expect(net.layers.length).toBe(16001);
    expect(net.layers[16000].name).toBe('r15999');
    const img = tf.tensor3d([-2, 4, -6, 8, 1, -1, 3, -3], [2, 4, 1]);
    const act = await expectNoLeak(() => activations(net, img, 'r2'), 1);
    expect(Array.from(await act.data())).toEqual([0, 4, 0, 8, 1, 0, 3, 0]);
    tf.dispose([act, img]);
    net.dispose();
  });

  it("loads Keras's Normalization layer, which tfjs-layers lacks (EfficientNet starts with one)", async () => {
    const norm = (config: Record<string, unknown>, weights: FileWeight[] = []) =>
      kerasFile([{ class_name: 'Normalization', config: { name: 'normalization', axis: -1, ...config } }], {
        input: [1, 2, 3],
        weights,
      });
    // An adapted layer: its mean, variance and count are weights, as Keras saves them.
    const fromWeights = await importNetwork(
      norm({ mean: null, variance: null, invert: false }, [
        { name: 'normalization/mean', shape: [3], values: [10, 20, 30] },
        { name: 'normalization/variance', shape: [3], values: [4, 0.25, 100] },
        { name: 'normalization/count', shape: [], values: [1000], dtype: 'int32' },
      ]),
      { normalization: 'none' },
    );
    // Given in the config instead, and inverted.
    const fromConfig = await importNetwork(norm({ mean: [10, 20, 30], variance: [4, 0.25, 100], invert: true }), {
      normalization: 'none',
    });
    const img = tf.tensor3d([12, 21, 40, 8, 19, 10], [1, 2, 3]);
    const [a, b] = await expectNoLeak(
      () => [activations(fromWeights, img, 'normalization'), activations(fromConfig, img, 'normalization')],
      2,
    );
    // (x − mean) / √variance per channel: std 2, 0.5, 10.
    expect(Array.from(await a.data())).toEqual([1, 2, 1, -1, -2, -2]);
    // mean + x · √variance.
    expect(Array.from(await b.data())).toEqual([34, 30.5, 430, 26, 29.5, 130]);
    tf.dispose([img, a, b]);
    fromWeights.dispose();
    fromConfig.dispose();
  });

  it("passes images through Keras's augmentation layers as Keras does at inference (tfjs-layers lacked them)", async () => {
    // Keras's data-augmentation layers (a model trained with them inside, as TensorFlow's image classification
    // tutorial trains one), spatial dropout and activity regularization change nothing at inference.
    const passing: FileLayer[] = [
      { class_name: 'RandomFlip', config: { name: 'flip', mode: 'horizontal', seed: null } },
      { class_name: 'RandomRotation', config: { name: 'rotation', factor: 0.1, fill_mode: 'reflect' } },
      { class_name: 'RandomZoom', config: { name: 'zoom', height_factor: 0.1, width_factor: null } },
      { class_name: 'RandomTranslation', config: { name: 'shift', height_factor: 0.1, width_factor: 0.1 } },
      { class_name: 'RandomContrast', config: { name: 'contrast', factor: 0.2 } },
      { class_name: 'RandomBrightness', config: { name: 'brightness', factor: 0.2, value_range: [0, 255] } },
      { class_name: 'RandomHeight', config: { name: 'height', factor: 0.2, interpolation: 'bilinear' } },
      // tfjs-layers has this one, and resized every image at random, at inference too.
      { class_name: 'RandomWidth', config: { name: 'width', factor: 0.2, interpolation: 'bilinear' } },
      { class_name: 'RandomGrayscale', config: { name: 'gray', factor: 0.5 } },
      { class_name: 'SpatialDropout2D', config: { name: 'drop', rate: 0.3 } },
      { class_name: 'ActivityRegularization', config: { name: 'reg', l1: 0.01, l2: 0 } },
      // ConvNeXt's (keras.applications).
      { class_name: 'StochasticDepth', config: { name: 'depth', drop_path_rate: 0.1 } },
    ];
    const net = await importNetwork(kerasFile(passing, { input: [3, 4, 3] }), { normalization: 'none' });
    expect(net.layers.map((l) => l.type)).toEqual([
      'Image Input',
      ...passing.map((l) => (l.class_name === 'SpatialDropout2D' ? 'Dropout' : 'Function')),
    ]);
    expect(net.layers[1].description).toBe(
      'RandomFlip (Keras): augments images in training only; at inference it passes its input through',
    );
    const img = tf.tensor3d(
      Array.from({ length: 36 }, (_, i) => (i * 37) % 255),
      [3, 4, 3],
    );
    const want = Array.from(await img.data());
    for (const { config } of passing) {
      const out = await activations(net, img, String(config.name));
      expect(out.shape, String(config.name)).toEqual([3, 4, 3]);
      expect(Array.from(await out.data()), String(config.name)).toEqual(want);
      out.dispose();
    }
    // They keep their input's size, so the model runs at other sizes too.
    const other = tf.ones([5, 7, 3]) as tf.Tensor3D;
    const last = await activations(net, other, 'depth');
    expect(last.shape).toEqual([5, 7, 3]);
    tf.dispose([other, last]);
    img.dispose();
    net.dispose();
  });

  it("passes images through Keras's Identity layer (tfjs-layers made its initializer of that name)", async () => {
    // The Identity initializer is still read as one (a per-pixel Dense's kernel_initializer).
    const net = await importNetwork(
      kerasFile(
        [
          { class_name: 'Identity', config: { name: 'same', trainable: true } },
          {
            class_name: 'Dense',
            config: {
              name: 'mix',
              units: 3,
              use_bias: false,
              kernel_initializer: { class_name: 'Identity', config: {} },
            },
          },
        ],
        { input: [2, 2, 3], weights: [{ name: 'mix/kernel', shape: [3, 3], values: [0, 1, 0, 0, 0, 1, 1, 0, 0] }] },
      ),
      { normalization: 'none' },
    );
    expect(net.layers.map((l) => [l.name, l.type, l.originalType, l.description])).toEqual([
      ['img', 'Image Input', 'InputLayer', '2×2×3 images'],
      ['same', 'Function', 'Identity', 'Identity (Keras): passes its input through'],
      ['mix', 'Fully Connected', 'Dense', '3 fully connected layer'],
    ]);
    const img = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i),
      [2, 2, 3],
    );
    const [same, mix] = [await activations(net, img, 'same'), await activations(net, img, 'mix')];
    expect(Array.from(await same.data())).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // The kernel moves channel c to channel c + 1 (mod 3).
    expect(Array.from(await mix.data())).toEqual(Array.from({ length: 12 }, (_, i) => i - (i % 3) + ((i + 2) % 3)));
    tf.dispose([img, same, mix]);
    net.dispose();
  });

  it('refuses a Lambda or unknown custom layer, naming it and what to do; a registered one is read', async () => {
    const asGraph =
      'export the model as a SavedModel (model.export(dir) in Keras 3, tf.saved_model.save in Keras 2) and convert ' +
      'that to a graph model (tensorflowjs_converter --input_format=tf_saved_model), which computes it as TensorFlow ' +
      'operations';
    const lambda = { class_name: 'Lambda', config: { name: 'halve', function: ['4wEAAAAA', null, null] } };
    await expectThrowsNoLeak(
      () => importNetwork(kerasFile([lambda]), { normalization: 'none' }),
      TypeError,
      "importNetwork: the model from the given ioHandler has a Lambda layer, 'halve', whose Python function TF.js " +
        `cannot run; ${asGraph}, or build the model of Keras layers and TensorFlow operations instead`,
    );
    const custom = { class_name: 'HalveForTest', config: { name: 'halve' } };
    await expectThrowsNoLeak(
      () => importNetwork(kerasFile([custom]), { normalization: 'none' }),
      TypeError,
      "importNetwork: the model from the given ioHandler has a layer 'halve' of class HalveForTest, which neither " +
        'TF.js nor this library knows (a custom layer written in Python?); register a TF.js layer of that class name ' +
        `with tf.serialization.registerClass before importing, or ${asGraph}`,
    );
    // Registered by the program, as the message says: read.
    class HalveForTest extends tfl.layers.Layer {
      static className = 'HalveForTest';
      override call(inputs: tf.Tensor | tf.Tensor[]) {
        return tf.mul(Array.isArray(inputs) ? inputs[0] : inputs, 0.5);
      }
    }
    tf.serialization.registerClass(HalveForTest);
    const net = await importNetwork(kerasFile([custom]), { normalization: 'none' });
    const img = tf.tensor3d([2, 4, 6, 8, 10, 12, 14, 16], [2, 4, 1]);
    const out = await activations(net, img, 'halve');
    expect(Array.from(await out.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    tf.dispose([img, out]);
    net.dispose();
  });

  it('refuses a malformed Keras topology naming what is wrong (tfjs-layers failed deep inside it)', async () => {
    type Entry = { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };
    const layers = (): Entry[] => [
      {
        class_name: 'InputLayer',
        name: 'img',
        config: { name: 'img', batch_input_shape: [null, 2, 2, 3] },
        inbound_nodes: [],
      },
      { class_name: 'ReLU', name: 'relu', config: { name: 'relu' }, inbound_nodes: [[['img', 0, 0, {}]]] },
    ];
    const model = (entries: Entry[], config: Record<string, unknown> = {}) =>
      tf.io.fromMemory({
        modelTopology: {
          class_name: 'Functional',
          config: {
            name: 'net',
            layers: entries,
            input_layers: [['img', 0, 0]],
            output_layers: [['relu', 0, 0]],
            ...config,
          },
          keras_version: '2.15.0',
        },
        weightSpecs: [],
        weightData: new ArrayBuffer(0),
      });
    const call = (ref: unknown[]) => {
      const entries = layers();
      entries[1].inbound_nodes = [[ref]];
      return entries;
    };
    const dense = { class_name: 'Dense', name: 'extra', config: { name: 'extra', units: 2, use_bias: false } };
    const both = [
      ['relu', 0, 0, {}],
      ['img2', 0, 0, {}],
    ];
    const cases: [ReturnType<typeof model>, string][] = [
      [model(call(['ghost', 0, 0, {}])), "its layer 'relu' reads 'ghost', which the model has no layer of"],
      [model(call(['img', 3, 0, {}])), "its layer 'relu' reads call 3 of 'img', which is called 1 times"],
      [model(call(['img', 0, 0, 'x'])), `its layer 'relu' reads ["img",0,0,"x"], which is not a layer's output`],
      [model(layers(), { output_layers: [['relu', 0, 5]] }), "its output_layers reads output 5 of 'relu', which has 1"],
      [
        model(layers(), { output_layers: undefined }),
        "its model 'net' does not list its inputs and outputs (input_layers, output_layers)",
      ],
      [model([...layers(), layers()[1]]), "two layers named 'relu' in one model"],
      [model(layers(), { output_layers: [] }), "its model 'net' lists no outputs (output_layers is empty)"],
      [model(layers(), { input_layers: [] }), "its model 'net' lists no inputs (input_layers is empty)"],
      // Layers the outputs do not need: tfjs-layers made their variables and never freed them.
      [
        model([...layers(), { ...dense, inbound_nodes: [[['relu', 0, 0, {}]]] }]),
        "its layer 'extra' (Dense) does not lead to its outputs (Keras writes only the layers a model computes its " +
          'outputs with)',
      ],
      // A second call nothing reads: tfjs-layers counted it as a use, so the layer's weights outlived the model.
      [
        model([layers()[0], { ...layers()[1], inbound_nodes: [[['img', 0, 0, {}]], [['img', 0, 0, {}]]] }]),
        "its outputs are not computed from call 1 of its layer 'relu' (Keras writes only the calls a model computes " +
          'its outputs with)',
      ],
      // tfjs-layers: "Graph disconnected: cannot obtain value for tensor [object Object]".
      [
        model(
          [
            ...layers(),
            { ...layers()[0], name: 'img2', config: { ...layers()[0].config, name: 'img2' } },
            { class_name: 'Add', name: 'add', config: { name: 'add' }, inbound_nodes: [[...both]] },
          ],
          { output_layers: [['add', 0, 0]] },
        ),
        "its outputs are computed from the input layer 'img2', which its input_layers does not list",
      ],
      // tfjs-layers finds layers by the entry's name and calls by the config's: it looped for ever on the second.
      [
        model([layers()[0], { ...layers()[1], name: 'relu_1' }]),
        `its layer 'relu' (ReLU) is listed under the name "relu_1"`,
      ],
      [
        model([{ ...layers()[0], name: { name: 'net' } as never }, layers()[1]]),
        `its layer 'img' (InputLayer) is listed under the name {"name":"net"}`,
      ],
      [
        model([layers()[0], { ...layers()[1], name: undefined as never }]),
        "its layer 'relu' (ReLU) is listed without a name",
      ],
    ];
    for (const [source, why] of cases) {
      await expectThrowsNoLeak(
        () => importNetwork(source, { normalization: 'none' }),
        TypeError,
        `importNetwork: the model from the given ioHandler is not a well-formed Keras model: ${why}`,
      );
    }
  });

  it('reads a topology given as JavaScript data as JSON carries it; one that contains itself or nests without end is refused', async () => {
    // Undefined values (JSON has none: a program built the topology) are left out; tfjs-layers failed on them.
    const topology: Record<string, unknown> = {
      class_name: 'Sequential',
      config: {
        name: 'seq',
        layers: [
          { class_name: 'ReLU', config: { name: 'relu', batch_input_shape: [null, 2, 2, 1], max_value: undefined } },
        ],
      },
      keras_version: undefined,
      backend: undefined,
    };
    const source = () => tf.io.fromMemory({ modelTopology: topology, weightSpecs: [], weightData: new ArrayBuffer(0) });
    const net = await importNetwork(source(), { normalization: 'none' });
    expect(net.layers.map((l) => l.type)).toEqual(['Image Input', 'ReLU']);
    net.dispose();
    // A topology that contains itself: the readers would walk it without end.
    (topology.config as Record<string, unknown>).self = topology;
    await expectThrowsNoLeak(
      () => importNetwork(source(), { normalization: 'none' }),
      TypeError,
      "importNetwork: the model from the given ioHandler cannot be read: its topology contains itself (at 'self')",
    );
    // Nested 100,000 deep: tfjs-layers and JSON.stringify, both recursive, ran out of call stack on it.
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    (topology.config as Record<string, unknown>).self = deep;
    await expectThrowsNoLeak(
      () => importNetwork(source(), { normalization: 'none' }),
      TypeError,
      'importNetwork: the model from the given ioHandler cannot be read: its topology is nested more than 100 ' +
        "levels deep (at '0'); Keras writes about 10, a few more for each model inside another",
    );
  });

  it("computes Keras's GroupNormalization and UnitNormalization, which tfjs-layers lacks", async () => {
    // A 1×1 convolution to 6 channels, then 2 groups of 3 (or 6 groups, groups: -1), or each pixel's unit vector.
    const kernel = Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.3) * 2);
    const conv: FileLayer = {
      class_name: 'Conv2D',
      config: { name: 'conv', filters: 6, kernel_size: [1, 1], use_bias: false },
    };
    const gamma = [1, 2, 0.5, -1, 3, 1.5];
    const beta = [0, 1, -1, 2, 0.5, 0];
    const file = (last: FileLayer, weights: FileWeight[]) =>
      kerasFile([conv, last], {
        input: [2, 3, 3],
        weights: [{ name: 'conv/kernel', shape: [1, 1, 3, 6], values: kernel }, ...weights],
      });
    const img = tf.tensor3d(
      Array.from({ length: 18 }, (_, i) => ((i * 7) % 11) - 5),
      [2, 3, 3],
    );
    // The middle pixel of the first row is all zeros: its unit vector is zeros (Keras floors the norm).
    const zeroed = tf.tidy(() =>
      tf.mul(img, tf.tensor3d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [2, 3, 3])),
    );
    for (const groups of [2, -1]) {
      const net = await importNetwork(
        file({ class_name: 'GroupNormalization', config: { name: 'gn', groups, axis: -1, epsilon: 0.001 } }, [
          { name: 'gn/gamma', shape: [6], values: gamma },
          { name: 'gn/beta', shape: [6], values: beta },
        ]),
        { normalization: 'none' },
      );
      const [x, y] = [await activations(net, img, 'conv'), await activations(net, img, 'gn')];
      const xs = Array.from(await x.data());
      const size = groups === -1 ? 1 : 3;
      const want = xs.map((_, k) => {
        const c = k % 6;
        const members = xs.filter((__, j) => Math.floor((j % 6) / size) === Math.floor(c / size));
        const mean = members.reduce((a, b) => a + b, 0) / members.length;
        const variance = members.reduce((a, b) => a + (b - mean) ** 2, 0) / members.length;
        return ((xs[k] - mean) / Math.sqrt(variance + 0.001)) * gamma[c] + beta[c];
      });
      const got = Array.from(await y.data());
      for (const [k, v] of got.entries()) expect(v, `groups ${groups}, value ${k}`).toBeCloseTo(want[k], 4);
      tf.dispose([x, y]);
      net.dispose();
    }
    const unit = await importNetwork(
      file({ class_name: 'UnitNormalization', config: { name: 'unit', axis: -1 } }, []),
      {
        normalization: 'none',
      },
    );
    const [x, y] = [await activations(unit, zeroed, 'conv'), await activations(unit, zeroed, 'unit')];
    const xs = Array.from(await x.data());
    const got = Array.from(await y.data());
    for (const [k, v] of got.entries()) {
      const pixel = xs.slice(k - (k % 6), k - (k % 6) + 6);
      const norm = Math.sqrt(pixel.reduce((a, b) => a + b * b, 0));
      expect(v, `value ${k}`).toBeCloseTo(norm === 0 ? 0 : xs[k] / norm, 5);
    }
    expect(unit.layers.map((l) => l.type)).toEqual(['Image Input', 'Convolution', 'Function']);
    tf.dispose([img, zeroed, x, y]);
    unit.dispose();
  });

  it("scales channels as ConvNeXt's LayerScale does (keras.applications), which tfjs-layers lacks", async () => {
    const gamma = [0.5, -2, 3];
    const net = await importNetwork(
      kerasFile([{ class_name: 'LayerScale', config: { name: 'scale', init_values: 1e-6, projection_dim: 3 } }], {
        input: [2, 2, 3],
        weights: [{ name: 'scale/gamma', shape: [3], values: gamma }],
      }),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i - 4),
      [2, 2, 3],
    );
    const out = await activations(net, img, 'scale');
    // + 0: a zero's sign is not the question (WebGPU gives 0 · −2 as +0).
    expect(Array.from(await out.data(), (v) => v + 0)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i - 4) * gamma[i % 3] + 0),
    );
    tf.dispose([img, out]);
    net.dispose();
  });

  it("types a ConvNeXt block's layers as MATLAB's and sizes it at any input size", async () => {
    // Layer normalization, a depthwise convolution in groups, Dense on each pixel, LayerScale: MATLAB's
    // layerNormalizationLayer and groupNormalizationLayer types, and the layer table's rules at another size.
    const c = 4;
    const w = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 0.5);
    const file = kerasFile(
      [
        { class_name: 'Conv2D', config: { name: 'stem', filters: c, kernel_size: [2, 2], strides: [2, 2] } },
        { class_name: 'LayerNormalization', config: { name: 'ln', axis: -1, epsilon: 1e-6 } },
        { class_name: 'Conv2D', config: { name: 'dw', filters: c, kernel_size: [3, 3], padding: 'same', groups: c } },
        { class_name: 'GroupNormalization', config: { name: 'gn', groups: 2, axis: -1, epsilon: 1e-3 } },
        { class_name: 'Dense', config: { name: 'pw', units: 2 * c, activation: 'gelu' } },
        { class_name: 'LayerScale', config: { name: 'scale', init_values: 1e-6, projection_dim: 2 * c } },
      ],
      {
        input: [6, 8, 3],
        weights: [
          { name: 'stem/kernel', shape: [2, 2, 3, c], values: w(48, 0) },
          { name: 'stem/bias', shape: [c], values: w(c, 1) },
          { name: 'ln/gamma', shape: [c], values: w(c, 2) },
          { name: 'ln/beta', shape: [c], values: w(c, 3) },
          { name: 'dw/kernel', shape: [3, 3, 1, c], values: w(36, 4) },
          { name: 'dw/bias', shape: [c], values: w(c, 5) },
          { name: 'gn/gamma', shape: [c], values: w(c, 6) },
          { name: 'gn/beta', shape: [c], values: w(c, 7) },
          { name: 'pw/kernel', shape: [c, 2 * c], values: w(8 * c, 8) },
          { name: 'pw/bias', shape: [2 * c], values: w(2 * c, 9) },
          { name: 'scale/gamma', shape: [2 * c], values: w(2 * c, 10) },
        ],
      },
    );
    const net = await importNetwork(file, { normalization: 'none' });
    expect(net.layers.map((l) => [l.type, l.description])).toEqual([
      ['Image Input', '6×8×3 images'],
      ['Convolution', '4 2×2×3 convolutions with stride [2 2] and padding [0 0 0 0]'],
      ['Layer Normalization', 'Layer normalization with 4 channels'],
      ['Grouped Convolution', "4 groups of 1 3×3×1 convolutions with stride [1 1] and padding 'same'"],
      ['Group Normalization', 'Group normalization with 4 channels in 2 groups'],
      ['Fully Connected', '8 fully connected layer + gelu'],
      ['Function', 'LayerScale (Keras): channels times gamma'],
    ]);
    // At 10×12 the layer table's rules give every size, and the layers have them.
    const analysis = analyzeNetwork(net, { inputSize: [10, 12, 3] });
    const img = tf.tensor3d(w(10 * 12 * 3, 11), [10, 12, 3]);
    for (const l of analysis.layers.slice(1)) {
      const out = await activations(net, img, l.name);
      expect(out.shape, l.name).toEqual([5, 6, l.name === 'pw' || l.name === 'scale' ? 8 : 4]);
      expect(l.activations, l.name).toEqual(out.shape);
      out.dispose();
    }
    img.dispose();
    net.dispose();
  });

  it("subtracts as Keras's Subtract does, which tfjs-layers lacks", async () => {
    const layer = (class_name: string, name: string, config: Record<string, unknown>, inputs: string[]) => ({
      class_name,
      name,
      config: { name, ...config },
      inbound_nodes: inputs.length ? [inputs.map((i) => [i, 0, 0, {}])] : [],
    });
    const net = await importNetwork(
      tf.io.fromMemory({
        modelTopology: {
          class_name: 'Functional',
          config: {
            name: 'net',
            layers: [
              layer('InputLayer', 'img', { batch_input_shape: [null, 2, 2, 3], dtype: 'float32' }, []),
              layer('Rescaling', 'half', { scale: 0.5, offset: 1 }, ['img']),
              layer('Subtract', 'diff', {}, ['img', 'half']),
            ],
            input_layers: [['img', 0, 0]],
            output_layers: [['diff', 0, 0]],
          },
          keras_version: '2.15.0',
          backend: 'tensorflow',
        },
        weightSpecs: [],
        weightData: new ArrayBuffer(0),
      }),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i * 3),
      [2, 2, 3],
    );
    const out = await activations(net, img, 'diff');
    // x − (0.5 x + 1)
    expect(Array.from(await out.data())).toEqual(Array.from({ length: 12 }, (_, i) => i * 1.5 - 1));
    expect(net.layers[2]).toMatchObject({ type: 'Other', description: 'Element-wise subtraction of 2 inputs' });
    tf.dispose([img, out]);
    net.dispose();
  });

  it("loads weights with Keras's regularizers, initializers and constraints as Keras does", async () => {
    // regularizers.l2(1e-4), the usual weight decay, is saved as class L2; tfjs-layers knew only L1L2 ("Unknown
    // regularizer: L2") and refused any activity regularizer. LecunNormal is tfjs-layers's LeCunNormal;
    // IdentityInitializer Keras 3's Identity. Constraints act after training steps: tfjs-layers applied them to the
    // loaded weights (UnitNorm divided this kernel by its norm, NonNeg zeroed the bias's -1). At inference none of them
    // changes anything.
    const settings = {
      kernel_regularizer: { class_name: 'L2', config: { l2: 1e-4 } },
      bias_regularizer: { class_name: 'L1', config: { l1: 1e-5 } },
      activity_regularizer: { class_name: 'L2', config: {} },
      kernel_constraint: { class_name: 'UnitNorm', config: { axis: [0, 1, 2] } },
      bias_constraint: { class_name: 'NonNeg', config: {} },
    };
    const kernel = Array.from({ length: 2 * 2 * 3 }, (_, i) => Math.sin(i));
    const file = (extra: Record<string, unknown>[]) =>
      kerasFile(
        [
          { class_name: 'Conv2D', config: { name: 'conv', filters: 3, kernel_size: [2, 2], ...extra[0] } },
          {
            class_name: 'Conv2D',
            config: { name: 'mix', filters: 3, kernel_size: [1, 1], use_bias: false, ...extra[1] },
          },
        ],
        {
          weights: [
            { name: 'conv/kernel', shape: [2, 2, 1, 3], values: kernel },
            { name: 'conv/bias', shape: [3], values: [0.5, -1, 2] },
            { name: 'mix/kernel', shape: [1, 1, 3, 3], values: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
          ],
        },
      );
    const named = await importNetwork(
      file([
        { ...settings, kernel_initializer: { class_name: 'LecunNormal', config: { seed: null } } },
        { kernel_initializer: { class_name: 'IdentityInitializer', config: { gain: 1 } } },
      ]),
      { normalization: 'none' },
    );
    const plain = await importNetwork(file([{}, {}]), { normalization: 'none' });
    const img = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]);
    const [a, b] = [await activations(named, img, 'mix'), await activations(plain, img, 'mix')];
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    tf.dispose([img, a, b]);
    named.dispose();
    plain.dispose();
  });

  it("scales by one number per channel as EfficientNet's Rescaling does, and says so in the layer table", async () => {
    const sd = [0.229, 0.224, 0.225].map((s) => 1 / Math.sqrt(s));
    const net = await importNetwork(
      kerasFile([{ class_name: 'Rescaling', config: { name: 'scale', scale: sd, offset: 0 } }], { input: [2, 2, 3] }),
      { normalization: 'none' },
    );
    const img = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i * 3),
      [2, 2, 3],
    );
    const out = await activations(net, img, 'scale');
    for (const [k, v] of Array.from(await out.data()).entries()) expect(v).toBeCloseTo(k * 3 * sd[k % 3], 4);
    expect(net.layers[1]).toMatchObject({ type: 'Function', description: `Rescaling by [${sd.join(', ')}] plus 0` });
    tf.dispose([img, out]);
    net.dispose();
  });

  it("crops as Keras's CenterCrop does, and keeps the model's input size (tfjs-layers changed it to the crop's)", async () => {
    const file = (input: number[], height: number, width: number) =>
      kerasFile([{ class_name: 'CenterCrop', config: { name: 'crop', height, width } }], { input });
    // 3×9 to 2×8: Keras starts at row 0 and column 0 (the difference halved, rounded down); tfjs-layers started the
    // columns at 1, and declared the model's input 2×8.
    const crop = await importNetwork(file([3, 9, 1], 2, 8), { normalization: 'none' });
    expect(crop.layers[0].outputSize).toEqual([3, 9, 1]);
    const img = tf.tensor3d(
      Array.from({ length: 27 }, (_, i) => i),
      [3, 9, 1],
    );
    const out = await expectNoLeak(() => activations(crop, img, 'crop'), 1);
    expect(Array.from(await out.data())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16]);
    // Smaller than the crop: Keras's smart resize (the centre of the crop's aspect ratio, resized with half-pixel
    // centres), where tfjs-layers resized the whole image.
    const up = await importNetwork(file([2, 4, 1], 4, 4), { normalization: 'none' });
    const small = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]);
    const grown = await activations(up, small, 'crop');
    const want = tf.image.resizeBilinear(tf.tensor3d([2, 3, 6, 7], [2, 2, 1]), [4, 4], false, true);
    expect(Array.from(await grown.data())).toEqual(Array.from(await want.data()));
    tf.dispose([img, out, small, grown, want]);
    crop.dispose();
    up.dispose();
  });

  it("resizes as Keras's Resizing does, with half-pixel centres, and builds the layers after it", async () => {
    const file = (height: number, width: number, interpolation: string, crop: boolean) =>
      kerasFile(
        [
          {
            class_name: 'Resizing',
            config: { name: 'resize', height, width, interpolation, crop_to_aspect_ratio: crop },
          },
          // A layer after it: tfjs-layers declared the resize's output [h, w, w] and this one failed to build.
          { class_name: 'Conv2D', config: { name: 'same', filters: 1, kernel_size: [1, 1], use_bias: false } },
        ],
        { weights: [onesKernel('same', [1, 1, 1, 1])] },
      );
    const img = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]);
    const centre = tf.tensor3d([2, 3, 6, 7], [2, 2, 1]);
    // TensorFlow 2's tf.image.resize: half-pixel centres (tfjs-layers aligned the corners); with crop_to_aspect_ratio,
    // the centred 2×2 of the 2×4 image first.
    for (const [height, width, interpolation, crop, from] of [
      [4, 8, 'bilinear', false, img],
      [3, 6, 'nearest', false, img],
      [4, 4, 'bilinear', true, centre],
    ] as const) {
      const net = await importNetwork(file(height, width, interpolation, crop), { normalization: 'none' });
      expect(net.layers.map((l) => l.outputSize)).toEqual([
        [2, 4, 1],
        [height, width, 1],
        [height, width, 1],
      ]);
      const out = await expectNoLeak(() => activations(net, img, 'same'), 1);
      const want =
        interpolation === 'nearest'
          ? tf.image.resizeNearestNeighbor(from, [height, width], false, true)
          : tf.image.resizeBilinear(from, [height, width], false, true);
      expect(Array.from(await out.data())).toEqual(Array.from(await want.data()));
      tf.dispose([out, want]);
      net.dispose();
    }
    tf.dispose([img, centre]);
  });

  it('upsamples bilinearly as the Keras that wrote the file did: half-pixel centres from Keras 2.4 on', async () => {
    const img = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 4, 1]);
    // Keras from 2.4 (TensorFlow 2.3) on resizes with tf.image.resize (half-pixel centres); Keras 2.2, the Keras of
    // TensorFlow 1 to 2.1 and tfjs-layers itself with TensorFlow 1's resize_bilinear, which tfjs-layers runs for all.
    const halfPixel = tf.image.resizeBilinear(img, [4, 8], false, true);
    const legacy = tf.image.resizeBilinear(img, [4, 8]);
    const [h, l] = [Array.from(await halfPixel.data()), Array.from(await legacy.data())];
    expect(h).not.toEqual(l);
    for (const [kerasVersion, want] of [
      ['2.9.0', h],
      ['2.4.0', h],
      ['2.2.4-tf', l],
      ['2.2.4', l],
      ['tfjs-layers 4.22.0', l],
      [null, l],
    ] as const) {
      const net = await importNetwork(
        kerasFile([{ class_name: 'UpSampling2D', config: { name: 'up', size: [2, 2], interpolation: 'bilinear' } }], {
          kerasVersion,
        }),
        { normalization: 'none' },
      );
      // MATLAB's resize2dLayer property says which rule the layer follows.
      expect(net.layers[1], String(kerasVersion)).toMatchObject({
        type: 'Resize',
        method: 'bilinear',
        geometricTransformMode: want === h ? 'half-pixel' : 'asymmetric',
      });
      const out = await expectNoLeak(() => activations(net, img, 'up'), 1);
      expect(Array.from(await out.data()), String(kerasVersion)).toEqual(want);
      out.dispose();
      net.dispose();
    }
    // Channels first (the image permuted inside the model): the same numbers, on the other axes.
    const net = await importNetwork(
      kerasFile([
        { class_name: 'Permute', config: { name: 'nchw', dims: [3, 1, 2] } },
        {
          class_name: 'UpSampling2D',
          config: { name: 'up', size: [2, 2], interpolation: 'bilinear', data_format: 'channels_first' },
        },
      ]),
      { normalization: 'none' },
    );
    const out = await expectNoLeak(() => activations(net, img, 'up'), 1);
    expect(out.shape).toEqual([1, 4, 8]);
    expect(Array.from(await out.data())).toEqual(h);
    tf.dispose([img, halfPixel, legacy, out]);
    net.dispose();
  });
});
