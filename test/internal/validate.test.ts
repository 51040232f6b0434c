import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/initBackend.js';
import { setLimits } from '../../src/internal/limits.js';
import { imagesc } from '../../src/image/colormap.js';
import { imresize } from '../../src/image/imresize.js';
import { imtile } from '../../src/image/imtile.js';
import { mat2gray } from '../../src/image/mat2gray.js';
import { deepDreamImage } from '../../src/interpret/deepDreamImage.js';
import { gradCAM } from '../../src/interpret/gradCAM.js';
import { gradientAttribution } from '../../src/interpret/gradientAttribution.js';
import { imageLIME } from '../../src/interpret/imageLIME.js';
import { occlusionSensitivity } from '../../src/interpret/occlusionSensitivity.js';
import { activations } from '../../src/net/activations.js';
import { analyzeNetwork } from '../../src/net/analyzeNetwork.js';
import { classify } from '../../src/net/classify.js';
import { predict } from '../../src/net/predict.js';
import { scores2label } from '../../src/net/scores2label.js';
import { toNetwork } from '../../src/net/toNetwork.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { loadTinyNetwork } from '../helpers/tinyNetwork.js';
import { assertOptions, assertTensor, describeValue, isTensor, optionOneOf } from '../../src/internal/validate.js';

// The argument checks every function shares: options are read as own properties only (a polluted Object.prototype
// never becomes an option), and only real tensors pass as tensors (TF.js's `instanceof Tensor` is duck-typed).

const polluted = Object.prototype as Record<string, unknown>;
afterEach(() => {
  for (const key of ['gridSize', 'method', 'backgroundColor', 'backend']) delete polluted[key];
});

describe('optionOneOf: an option of named values, with its default', () => {
  it('gives the default when the option is not given, the value when it is one of the choices, else refuses', () => {
    const choices = ['linear', 'none'] as const;
    expect(optionOneOf('f', 'options.scaling', undefined, choices, 'linear')).toBe('linear');
    expect(optionOneOf('f', 'options.scaling', 'none', choices, 'linear')).toBe('none');
    expect(() => optionOneOf('f', 'options.scaling', 'Linear', choices, 'linear')).toThrow(
      new RangeError(
        `f: expected 'options.scaling' to be one of 'linear', 'none', got "Linear" (string); did you mean 'linear'?`,
      ),
    );
    expect(() => optionOneOf('f', 'options.scaling', null, choices, 'linear')).toThrow(TypeError);
  });
});

describe('options are own properties only', () => {
  it('a polluted Object.prototype changes no result (imtile gridSize/backgroundColor, imresize method)', async () => {
    const x = tf.tensor4d(
      Array.from({ length: 4 * 2 * 2 }, (_, i) => i / 16),
      [4, 2, 2, 1],
    );
    const clean = imtile(x);
    const cleanResized = imresize(x, [3, 3]);
    polluted.gridSize = [1, 1];
    polluted.backgroundColor = [255, 0, 0];
    polluted.method = 'nearest';
    const dirty = imtile(x);
    const dirtyResized = imresize(x, [3, 3]);
    expect(dirty.shape).toEqual(clean.shape);
    expect(await dirty.array()).toEqual(await clean.array());
    expect(await dirtyResized.array()).toEqual(await cleanResized.array());
    tf.dispose([x, clean, dirty, cleanResized, dirtyResized]);
  });

  it('assertOptions copies own known keys onto a null prototype', () => {
    polluted.method = 'nearest';
    const opts = assertOptions<{ method: string; scale: number }>('f', { scale: 2 }, ['method', 'scale']);
    expect(Object.getPrototypeOf(opts)).toBe(null);
    expect(opts.method).toBeUndefined();
    expect(opts.scale).toBe(2);
    expect(assertOptions<{ method: string }>('f', undefined, ['method']).method).toBeUndefined();
  });
});

describe('tensors are real tensors', () => {
  it('refuses a look-alike with data, dataSync and throwIfDisposed, with the function and argument named', () => {
    const noop = () => undefined;
    const fake = { data: noop, dataSync: noop, throwIfDisposed: noop, shape: [2, 2], dtype: 'float32', rank: 2 };
    expect(fake instanceof tf.Tensor).toBe(true); // TF.js's own check is duck-typed
    expect(isTensor(fake)).toBe(false);
    expect(() => mat2gray(fake as unknown as tf.Tensor)).toThrow(
      "mat2gray: expected 'x' to be a tensor, got an object",
    );
    expect(() => imtile(fake as unknown as tf.Tensor)).toThrow(TypeError);
    const real = tf.zeros([2, 2]);
    expect(isTensor(real)).toBe(true);
    real.dispose();
  });
});

describe('a tensor of the wrong dtype', () => {
  it('is named with the dtypes allowed, once', () => {
    const flags = tf.ones([4, 4], 'bool');
    expect(() => assertTensor('f', 'img', flags, { what: 'an image of dtype int32 or float32' })).toThrow(
      "f: expected 'img' to be an image of dtype int32 or float32, got rank 2 [4, 4] bool",
    );
    expect(() => assertTensor('f', 'img', flags, { what: 'an image' })).toThrow(
      "f: expected 'img' to be an image (dtype float32 or int32), got rank 2 [4, 4] bool",
    );
    flags.dispose();
  });
});

describe('describeValue', () => {
  it('names binary data by its kind and size, a DataView by its bytes', () => {
    expect(describeValue(new Uint8ClampedArray(5))).toBe('Uint8ClampedArray of length 5');
    expect(describeValue(new Float32Array(3))).toBe('Float32Array of length 3');
    expect(describeValue(new DataView(new ArrayBuffer(12), 4))).toBe('a DataView of 8 bytes');
  });

  it('describes an array that holds itself, or is nested 100,000 deep, in a few levels (no stack overflow)', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(describeValue(cycle)).toBe(
      '[[[array of length 1] (array of length 1)] (array of length 1)] (array of length 1)',
    );
    let deep: unknown[] = [1];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => setLimits(deep as never)).toThrow(
      /^setLimits: expected 'changes' to be .*, got \[\[\[array of length 1\]/,
    );
    expect(describeValue([[1, 2], { a: 1 }])).toBe('[[1, 2] (array of length 2), an object] (array of length 2)');
  });
});

/** What the array-argument tests call functions with: a network of each kind, an image for it, and a small tensor. */
async function arrayArgumentFixtures() {
  const tiny = await loadTinyNetwork();
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 3, name: 'c' })],
  });
  const img = tf.zeros([9, 11, 3]);
  const x = tf.tensor2d([
    [0, 1],
    [2, 3],
  ]);
  return { tiny, model, img, x };
}

describe('sparse arrays: a hole is checked as the undefined it reads as', () => {
  // `every`, `some`, `forEach` and `map` skip the holes of `[, 1]`; before, these reached TF.js as undefined and gave
  // NaN maps, all-zero occlusion maps, undefined class names, or a TypeError deep inside a layer.
  it('every array argument and option refuses a hole by its position, leaving nothing allocated', async () => {
    const { tiny, model, img, x } = await arrayArgumentFixtures();
    const net = tiny.net;
    // An array whose first element is a hole, then `rest`.
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    const hole = <T>(...rest: T[]) => [, ...rest] as T[];
    const cases: [label: string, call: () => unknown, message: RegExp][] = [
      [
        'activations',
        () => activations(net, img, hole('conv_a')),
        /^activations: expected 'layer\[0\]' to be .*, got undefined$/,
      ],
      [
        'analyzeNetwork',
        () => analyzeNetwork(net, { inputSize: hole(11) as never }),
        /^analyzeNetwork: expected 'options\.inputSize\[0\]' to be an integer, got undefined$/,
      ],
      [
        'toNetwork classNames',
        () => toNetwork(model, { normalization: 'none', classNames: hole('b') }),
        /^toNetwork: expected 'options\.classNames' to be an array of strings, got \[undefined, b\]/,
      ],
      [
        'toNetwork mean',
        () => toNetwork(model, { normalization: 'zerocenter', mean: hole(1, 2) }),
        /^toNetwork: expected 'options\.mean' to be .*, got \[undefined, 1, 2\]/,
      ],
      [
        'toNetwork inputSize',
        () => toNetwork(model, { normalization: 'none', inputSize: hole(8) }),
        /^toNetwork: expected 'options\.inputSize\[0\]' to be an integer, got undefined$/,
      ],
      [
        'initBackend',
        () => initBackend({ prefer: hole('cpu') as never }),
        /^initBackend: expected 'options.prefer\[0\]' to be one of .*, got undefined$/,
      ],
      [
        'imresize',
        () => imresize(x, hole(4) as never),
        /^imresize: expected 'scaleOrSize\[0\]' to be a positive integer or null, got undefined$/,
      ],
      [
        'imresize scale',
        () => imresize(x, null as never, { scale: hole(2) as never }),
        /^imresize: expected 'options\.scale' to be .*, got \[undefined, 2\]/,
      ],
      ['mat2gray', () => mat2gray(x, hole(3) as never), /^mat2gray: expected 'limits' to be .*, got \[undefined, 3\]/],
      [
        'imagesc',
        () => imagesc(x, { limits: hole(3) as never }),
        /^imagesc: expected 'options\.limits' to be .*, got \[undefined, 3\]/,
      ],
      ['imtile input', () => imtile(hole(x)), /^imtile: expected 'input\[0\]' to be .*, got undefined$/],
      [
        'imtile gridSize',
        () => imtile([x, x], { gridSize: hole(2) as never }),
        /^imtile: expected 'options.gridSize' to be .*, got \[undefined, 2\]/,
      ],
      [
        'imtile borderSize',
        () => imtile([x, x], { borderSize: hole(2) as never }),
        /^imtile: expected 'options.borderSize' to be .*, got \[undefined, 2\]/,
      ],
      [
        'imtile backgroundColor',
        () => imtile([x, x], { backgroundColor: hole(0, 0) as never }),
        /^imtile: expected 'options.backgroundColor' to be .*, got \[undefined, 0, 0\]/,
      ],
      [
        'imtile frames',
        () => imtile([x, x], { frames: hole(1) }),
        /^imtile: expected 'options.frames\[0\]' to be an integer, got undefined$/,
      ],
      [
        'occlusion maskSize',
        () => occlusionSensitivity(net, img, 0, { maskSize: hole(3) as never }),
        /^occlusionSensitivity: expected 'options\.maskSize' to be .*, got \[undefined, 3\]/,
      ],
      [
        'occlusion maskValue',
        () => occlusionSensitivity(net, img, 0, { maskValue: hole(1, 2) }),
        /^occlusionSensitivity: expected 'options\.maskValue' to be .*, got \[undefined, 1, 2\]/,
      ],
    ];
    try {
      // Each message names its function, so a failure says which case it was.
      for (const [, call, message] of cases) await expectThrowsNoLeak(call, TypeError, message);
    } finally {
      tf.dispose([img, x]);
      model.dispose();
      tiny.dispose();
    }
  });
});

describe('huge sparse arrays are refused before any entry is read', () => {
  // `new Array(2 ** 32 - 1)` costs nothing to make; filling its holes took 8 s and 2 GB before failing with V8's
  // "Invalid array length", and reading it entry by entry (`every`, for an image given as an array) over a minute.
  // Every array argument now goes through listArg, which refuses more than limits.maxListLength entries.
  it('every array argument and option says what its limit is, leaving nothing allocated', async () => {
    const { tiny, model, img, x } = await arrayArgumentFixtures();
    const scores = tf.zeros([1, 5]);
    const net = tiny.net;
    const huge = () => new Array(2 ** 32 - 1) as never;
    const cases: [fn: string, arg: string, call: () => unknown][] = [
      ['activations', 'layer', () => activations(net, img, huge())],
      ['predict', 'options.outputs', () => predict(net, img, { outputs: huge() })],
      ['analyzeNetwork', 'options.inputSize', () => analyzeNetwork(net, { inputSize: huge() })],
      ['toNetwork', 'options.classNames', () => toNetwork(model, { normalization: 'none', classNames: huge() })],
      ['toNetwork', 'options.mean', () => toNetwork(model, { normalization: 'zerocenter', mean: huge() })],
      ['toNetwork', 'options.inputSize', () => toNetwork(model, { normalization: 'none', inputSize: huge() })],
      ['initBackend', 'options.prefer', () => initBackend({ prefer: huge() })],
      ['imresize', 'options.scale', () => imresize(x, null as never, { scale: huge() })],
      ['mat2gray', 'limits', () => mat2gray(x, huge())],
      ['imagesc', 'options.limits', () => imagesc(x, { limits: huge() })],
      ['imtile', 'input', () => imtile(huge())],
      ['imtile', 'options.gridSize', () => imtile([x, x], { gridSize: huge() })],
      ['imtile', 'options.borderSize', () => imtile([x, x], { borderSize: huge() })],
      ['imtile', 'options.backgroundColor', () => imtile([x, x], { backgroundColor: huge() })],
      ['imtile', 'options.frames', () => imtile([x, x], { frames: huge() })],
      ['scores2label', 'classNames', () => scores2label(scores, huge())],
      ['occlusionSensitivity', 'classOrLabel', () => occlusionSensitivity(net, img, huge())],
      ['occlusionSensitivity', 'options.maskSize', () => occlusionSensitivity(net, img, 0, { maskSize: huge() })],
      ['occlusionSensitivity', 'options.maskValue', () => occlusionSensitivity(net, img, 0, { maskValue: huge() })],
      ['gradCAM', 'classOrLabel', () => gradCAM(net, img, huge())],
      ['gradientAttribution', 'classOrLabel', () => gradientAttribution(net, img, huge())],
      ['imageLIME', 'classOrLabel', () => imageLIME(net, img, huge())],
      ['deepDreamImage', 'channels', () => deepDreamImage(net, 'conv_a', huge())],
    ];
    try {
      for (const [fn, arg, call] of cases) {
        await expectThrowsNoLeak(
          call,
          RangeError,
          `${fn}: expected '${arg}' to be an array of at most 16,777,216 entries (limits.maxListLength; raise it ` +
            'with setLimits), got [undefined, undefined, undefined, undefined, undefined, undefined, ...] (array of ' +
            'length 4294967295)',
        );
      }
      // An image given as an array (of tensors, say) is looked at by its first entry only.
      await expectThrowsNoLeak(
        () => activations(net, huge(), 'conv_a'),
        TypeError,
        /^activations: expected 'img' to be an image .*\(array of length 4294967295\)$/,
      );
      // The limit is one of the limits: lowered, it refuses a short list; raised back, the list passes.
      const before = setLimits({ maxListLength: 1 });
      try {
        await expectThrowsNoLeak(
          () => imtile([x, x]),
          RangeError,
          /^imtile: expected 'input' to be an array of at most 1 entry \(limits\.maxListLength/,
        );
      } finally {
        setLimits(before);
      }
      const tiled = imtile([x, x]);
      expect(tiled.shape).toEqual([2, 4]);
      tiled.dispose();
    } finally {
      tf.dispose([img, x, scores]);
      model.dispose();
      tiny.dispose();
    }
  });
});

describe("MATLAB's name-value pairs", () => {
  // As a MATLAB user would call it: imresize(I, [2 2], 'Method', 'nearest').
  const loose = imresize as unknown as (...args: unknown[]) => unknown;
  it('says that name-value pairs are one options object, and which option a differently cased key meant', () => {
    const x = tf.zeros([4, 4, 3]);
    expect(() => loose(x, [2, 2], 'Method', 'nearest')).toThrow(
      `imresize: expected 'options' to be an options object, got "Method" (string); ` +
        "MATLAB's name-value pairs are one object here: { method: … }",
    );
    expect(() => loose(x, [2, 2], { Method: 'nearest' })).toThrow(
      "imresize: unknown option 'Method'; did you mean 'method'? known options are 'method', 'antialiasing', 'scale', 'outputSize'",
    );
    // MATLAB's string choices ignore case ('Bilinear'); here they are exact, and the message says which was meant.
    expect(() => imresize(x, 0.5, { method: 'Bilinear' as never })).toThrow(
      "imresize: expected 'options.method' to be one of 'bicubic', 'cubic', 'bilinear', 'triangle', 'nearest', " +
        `'box', 'lanczos2', 'lanczos3', got "Bilinear" (string); did you mean 'bilinear'?`,
    );
    expect(() => assertOptions('f', 'other', ['method'])).toThrow(
      `f: expected 'options' to be an options object, got "other" (string)`,
    );
    x.dispose();
  });

  it('says what to do instead of the MATLAB options that no function takes here', async () => {
    const tiny = await loadTinyNetwork();
    const img = tf.zeros([9, 11, 3]);
    try {
      await expectThrowsNoLeak(
        () => activations(tiny.net, img, 'conv_a', { ExecutionEnvironment: 'gpu' } as never),
        RangeError,
        "activations: unknown option 'ExecutionEnvironment'; MATLAB's ExecutionEnvironment is chosen once for the " +
          "process here: await initBackend({ backend: 'webgpu' }) (or 'wasm', 'cpu'; see docs/backends.md); known " +
          "options are 'resize', 'nonFinite', 'outputAs', 'miniBatchSize', 'onProgress'",
      );
      await expectThrowsNoLeak(
        () => occlusionSensitivity(tiny.net, img, 0, { acceleration: 'auto' } as never),
        RangeError,
        /^occlusionSensitivity: unknown option 'acceleration'; MATLAB's Acceleration has no counterpart: TF\.js compiles and caches its kernels by itself; known options are/,
      );
      // classify takes one image; a batch goes to predict, which takes MiniBatchSize.
      await expectThrowsNoLeak(
        () => classify(tiny.net, img, 1, { miniBatchSize: 32 } as never),
        RangeError,
        "classify: unknown option 'miniBatchSize'; MATLAB's MiniBatchSize is taken where many images run: predict " +
          'and activations (a batch), occlusionSensitivity and imageLIME (their masked images); known options are ' +
          "'resize', 'softmax'",
      );
      await expectThrowsNoLeak(
        () => deepDreamImage(tiny.net, 'conv_a', 0, { Verbose: false } as never),
        RangeError,
        /^deepDreamImage: unknown option 'Verbose'; MATLAB's Verbose prints progress; a long function here reports it to options\.onProgress, where it has one; known options are/,
      );
    } finally {
      img.dispose();
      tiny.dispose();
    }
  });
});
