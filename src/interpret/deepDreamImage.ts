/**
 * `deepDreamImage(net, layer, channels)`: MATLAB's deep dream images of channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { imresize } from '../image/imresize.js';
import { checkLongRunOptions, guardCallback, stepDone, throwIfAborted } from '../internal/abortable.js';
import { assertElements, elementLimit, formatCount, oneOrList } from '../internal/limits.js';
import {
  assertFinite,
  assertInteger,
  optionOneOf,
  assertOptions,
  assertTensor,
  finiteAsFloat32,
  rangeError,
} from '../internal/validate.js';
import { inputGradient, segment } from '../net/differentiable.js';
import { assertNormalizedFinite, type LayerRef, miniBatchFor, resolveLayer, resolveTarget } from '../net/graph.js';
import { layerShapes } from '../net/layerShapes.js';
import { assertFiniteAsync, assertFiniteLearnablesAsync, nonFiniteOutputError } from '../net/nonFinite.js';
import type { Network } from '../net/types.js';
import { seededNormal } from './random.js';

/** Options of {@link deepDreamImage}, MATLAB's name-value arguments in camelCase. */
export interface DeepDreamImageOptions {
  /** Gradient-ascent steps at each pyramid level. @default 10 */
  numIterations?: number;
  /** How many resolutions the image is dreamt at, smallest first, the last the network's input size. @default 3 */
  pyramidLevels?: number;
  /** The ratio between two pyramid levels' sizes (> 1). @default 1.4 */
  pyramidScale?: number;
  /** `'linear'`: each image rescaled to [0, 1]; `'none'`: pixel values as dreamt (0..255 scale). @default 'linear' */
  outputScaling?: 'linear' | 'none';
  /**
   * The starting image, `[h, w, 3]` (or gray), int32 0..255 or float32 on that scale (finite), at the network's
   * input size.
   * @default noise: the network's mean colour (its zero-center mean, or 127.5) plus Gaussian noise of standard deviation 20, with `seed`
   */
  initialImage?: tf.Tensor;
  /**
   * The seed of the default initial noise, one noise image for every channel: the same seed gives the same images.
   * @default 0
   */
  seed?: number;
  /** The size of each step in pixel units, along the normalized gradient. @default 1.5 */
  stepSize?: number;
  /** Stops between iterations; the promise rejects with an error whose cause is the reason. */
  signal?: AbortSignal;
  /** Called after each iteration with the fraction done (MATLAB's `Verbose`); if it throws, the dream stops with its error. */
  onProgress?: (fraction: number) => void;
}

const FN = 'deepDreamImage';

/** The 5×5 binomial kernel of the Laplacian pyramid, per channel: `[5, 5, c, 1]`, and the same ×4 for expanding. */
function binomial(c: number) {
  const k1 = [1, 4, 6, 4, 1];
  const k: number[] = [];
  for (const a of k1) for (const b of k1) k.push((a * b) / 256);
  const kernel = tf.reshape(tf.tensor1d(k), [5, 5, 1, 1]);
  const depthwise = tf.tile(kernel, [1, 1, c, 1]) as tf.Tensor4D;
  return { depthwise, up: tf.mul(depthwise, 4) as tf.Tensor4D };
}

/**
 * The pyramid's expand: the transpose of the stride-2 'same' reduce (`depthwiseConv2d(x, depthwise, 2, 'same')`) with
 * the kernel ×4, to `shape`. It is that convolution's input gradient, channel by channel (TF.js has no transposed
 * depthwise operation; its gradient kernel is on every backend, the library's on wasm). A full transposed
 * convolution with the kernel on the diagonal of a c×c filter gave the same and cost c times the work.
 * Exported for its test only (not from the package).
 */
export function expand(lo: tf.Tensor4D, up: tf.Tensor4D, shape: number[]): tf.Tensor4D {
  return tf
    .engine()
    .runKernel(
      'DepthwiseConv2dNativeBackpropInput',
      { dy: lo, filter: up },
      { strides: [2, 2], pad: 'same', dilations: [1, 1], inputShape: shape, dataFormat: 'NHWC' },
    ) as tf.Tensor4D;
}

/**
 * Normalizes a gradient `[n, h, w, c]` band by band, as the Laplacian-pyramid normalization of the DeepDream tutorial
 * that MATLAB follows: split into `levels` frequency bands, scale each to unit root-mean-square, merge.
 */
function laplacianNormalize(g: tf.Tensor4D, levels: number): tf.Tensor4D {
  const c = g.shape[3];
  const { depthwise, up } = binomial(c);
  const bands: tf.Tensor4D[] = [];
  let cur = g;
  for (let i = 0; i < levels && Math.min(cur.shape[1], cur.shape[2]) >= 4; i++) {
    const lo = tf.depthwiseConv2d(cur, depthwise, 2, 'same');
    const back = expand(lo, up, cur.shape);
    bands.push(tf.sub(cur, back));
    cur = lo;
  }
  const rms = (t: tf.Tensor4D) =>
    tf.div(t, tf.maximum(tf.sqrt(tf.mean(tf.square(t), [1, 2, 3], true)), 1e-7)) as tf.Tensor4D;
  let out = rms(cur);
  for (let i = bands.length - 1; i >= 0; i--) {
    out = tf.add(expand(out, up, bands[i].shape), rms(bands[i]));
  }
  return out;
}

/**
 * MATLAB's `deepDreamImage`: images that strongly activate channels of a layer, found by gradient ascent on each
 * channel's mean activation, starting from noise (or `initialImage`), over a pyramid of `pyramidLevels` resolutions
 * `pyramidScale` apart (smallest first, the last at the network's input size), `numIterations` steps per level, each
 * step along the gradient normalized with a Laplacian pyramid (so that every spatial frequency moves alike). One image
 * per channel, computed together in mini-batches of at most 128 channels, fewer where the outputs of the layers on the
 * way for them, which the gradient keeps, would pass `limits.maxElements` together (256 channels of SqueezeNet's fire9
 * run 19 at a time). Every channel starts from the same noise, so the batches change no image.
 *
 * The gradient runs through the network's layers as plain operations on every backend (see `gradCAM`). Between
 * iterations the event loop runs, `onProgress` is told how far it got (MATLAB's `Verbose`), and `signal` can stop it.
 *
 * @param net A loaded network (e.g. `squeezenet()`).
 * @param layer A layer name or 0-based index (MATLAB's `'fire3-squeeze1x1'`).
 * @param channels 0-based channel indices of that layer (MATLAB's channel k is index k - 1): one, or an array. A
 *   channel is an index on the layer's last axis, so a Keras dense layer's channels are its outputs (a class score
 *   when it is the classifier, as in MATLAB's fully connected layer).
 * @param options {@link DeepDreamImageOptions}.
 * @returns A promise of a new float32 `[n, h, w, 3]` tensor, one image per channel in order (MATLAB returns h×w×3×n),
 *   in [0, 1] with `outputScaling: 'linear'`.
 * @throws {TypeError|RangeError} before any work for a bad network, layer, channel (out of range) or option, or a
 *   non-finite pixel in `options.initialImage`.
 * @throws {Error} when `signal` aborts or `onProgress` throws, or when the network's gradients are not finite (the
 *   message names a layer with NaN or Infinity in its learnables, if there is one); nothing is left allocated.
 * @example
 * const I = await deepDreamImage(net, 'fire3-squeeze1x1', [...Array(16).keys()], { pyramidLevels: 1 });
 * await imwrite(imtile(I), 'dream.png');    // MATLAB: I = deepDreamImage(net, layer, 1:16, 'PyramidLevels', 1); imshow(imtile(I))
 */
export async function deepDreamImage(
  net: Network,
  layer: LayerRef,
  channels: number | readonly number[],
  options?: DeepDreamImageOptions,
): Promise<tf.Tensor4D> {
  const t = resolveTarget(FN, net, false);
  const network = t.net!;
  const name = resolveLayer(FN, t, layer, 'layer');
  const [H, W, C] = network.inputSize;
  // [h, w, c] for most layers, [c] for a dense layer of a Keras model (MATLAB's fully connected layer, whose
  // channels are its outputs): the channels are always the last axis. A layer of one number per image (a graph's
  // [] after a reduction) is one channel.
  const shapes = layerShapes(network.layers, [H, W, C]);
  const shape = shapes.get(name)!;
  const depth = shape.length > 0 ? shape[shape.length - 1] : 1;
  const { items: list } = oneOrList(
    FN,
    'channels',
    channels,
    'a 0-based channel index or a non-empty array of them',
    (ch, name) => assertInteger(FN, name, ch, 0, depth - 1),
  );
  const opts = assertOptions<DeepDreamImageOptions>(FN, options, [
    'numIterations',
    'pyramidLevels',
    'pyramidScale',
    'outputScaling',
    'initialImage',
    'seed',
    'stepSize',
    'signal',
    'onProgress',
  ]);
  const iterations =
    opts.numIterations === undefined ? 10 : assertInteger(FN, 'options.numIterations', opts.numIterations, 1);
  const levels =
    opts.pyramidLevels === undefined ? 3 : assertInteger(FN, 'options.pyramidLevels', opts.pyramidLevels, 1);
  const scale = opts.pyramidScale === undefined ? 1.4 : assertFinite(FN, 'options.pyramidScale', opts.pyramidScale);
  if (!(scale > 1)) throw rangeError(FN, 'options.pyramidScale', 'a number above 1', scale);
  const stepSize = opts.stepSize === undefined ? 1.5 : assertFinite(FN, 'options.stepSize', opts.stepSize);
  // The image is float32: a step past its range turns every pixel into Infinity and then NaN.
  if (!(stepSize > 0 && finiteAsFloat32(stepSize))) {
    throw rangeError(FN, 'options.stepSize', 'a positive number, finite as float32', stepSize);
  }
  const scaling = optionOneOf(FN, 'options.outputScaling', opts.outputScaling, ['linear', 'none'], 'linear');
  const seed = opts.seed === undefined ? 0 : assertInteger(FN, 'options.seed', opts.seed);
  if (opts.initialImage !== undefined) {
    const sizes = C === 1 ? `[${H}, ${W}, 1]` : `[${H}, ${W}, ${C}], [${H}, ${W}, 1]`;
    const what = `an image ${sizes} or [${H}, ${W}] (the network's input size)`;
    const init = assertTensor(FN, 'options.initialImage', opts.initialImage, { ranks: [2, 3], what });
    if (init.shape[0] !== H || init.shape[1] !== W || (init.rank === 3 && init.shape[2] !== 1 && init.shape[2] !== C)) {
      throw rangeError(FN, 'options.initialImage', what, init);
    }
  }
  const signal = checkLongRunOptions(FN, opts);
  // Each level's size, computed when it is reached: a list of every level would be allocated before the smallest
  // is checked, and a billion levels ran the process out of memory.
  const levelSize = (l: number): [number, number] => {
    const f = scale ** (levels - 1 - l);
    return [Math.max(1, Math.round(H / f)), Math.max(1, Math.round(W / f))];
  };
  const first = levelSize(0);
  const smallest = layerShapes(network.layers, [first[0], first[1], C]).get(name);
  if (smallest == null) {
    throw new RangeError(
      `${FN}: the smallest pyramid level (${first.join('×')}) is too small for layer '${name}'; use fewer 'options.pyramidLevels' or a smaller 'options.pyramidScale'`,
    );
  }
  const n = list.length;
  assertElements(FN, 'channels', [n, H, W, C], `${formatCount(n)} images (one per channel)`);
  const seg = segment(network, null, name);
  // The channels go through the network in mini-batches, as predict's images do: 128, fewer where one layer's output
  // for them would pass the element limit, or where the outputs of all the layers on the way, which the gradient
  // keeps, would pass it together (128 images to fire9 of SqueezeNet ran the wasm heap out of memory). Each image's
  // dream is its own, so the batches change no result.
  const perImage = seg.layers.reduce((sum, l) => sum + (shapes.get(l.name) ?? []).reduce((a, b) => a * b, 1), 0);
  const batch = Math.max(
    1,
    Math.min(miniBatchFor(FN, t, [name], [H, W], n, undefined), Math.floor(elementLimit().max / perImage)),
  );
  assertElements(FN, 'layer', [batch, ...shape], `layer '${name}' for ${formatCount(batch)} images at a time`);
  throwIfAborted(FN, signal);
  // A NaN or infinite pixel would make every step, and so the whole dream, NaN.
  if (opts.initialImage !== undefined) {
    await assertFiniteAsync(FN, opts.initialImage, 'options.initialImage', network.normalization);
    await assertNormalizedFinite(FN, t, opts.initialImage, 'options.initialImage');
  }

  // So would NaN in the learnables of a layer on the way (which some backends turn into finite numbers).
  const onTheWay = new Set(seg.layers.map((l) => l.name));
  await assertFiniteLearnablesAsync(FN, network, (l) => onTheWay.has(l));
  const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
  const norm = network.normalization;
  const mean = norm.type === 'zerocenter' ? [...norm.mean] : Array(C).fill(127.5);
  const batches = Math.ceil(n / batch);
  const total = levels * iterations;
  /** The dreams of `channels`, the `b`-th batch: float32 [k, H, W, C] on the pixels' scale. */
  const dreamBatch = async (channels: readonly number[], b: number): Promise<tf.Tensor4D> => {
    const k = channels.length;
    // One-hot selection of each image's channel: the objective is the sum over images of their channel's mean.
    // Made on the host (k × depth values), before the image: tf.oneHot refuses a depth of 1, a layer of one unit.
    const hot = new Float32Array(k * depth);
    channels.forEach((c, i) => {
      hot[i * depth + c] = 1;
    });
    const select = tf.tensor(hot, [k, ...shape.map((d, i) => (i < shape.length - 1 ? 1 : d))]);
    let image: tf.Tensor4D = tf.tidy(() => {
      const start = opts.initialImage
        ? tf.tile(
            tf.expandDims(
              tf.cast(
                opts.initialImage.rank === 2 ? tf.expandDims(opts.initialImage, 2) : opts.initialImage,
                'float32',
              ),
              0,
            ),
            [k, 1, 1, opts.initialImage.rank === 3 && opts.initialImage.shape[2] === C ? 1 : C],
          )
        : // One noise image for every channel: a channel's dream does not depend on the others asked for with it.
          tf.tile(tf.add(tf.tensor4d(seededNormal(seed, H * W * C, 20), [1, H, W, C]), tf.tensor1d(mean)), [
            k,
            1,
            1,
            1,
          ]);
      return (levels > 1 ? imresize(start, first) : start) as tf.Tensor4D;
    });
    try {
      for (let l = 0; l < levels; l++) {
        if (l > 0) {
          const bigger = imresize(image, levelSize(l)) as tf.Tensor4D;
          image.dispose();
          image = bigger;
        }
        for (let i = 0; i < iterations; i++) {
          throwIfAborted(FN, signal);
          const next = tf.tidy(() => {
            const objective = (x: tf.Tensor) => tf.div(tf.sum(tf.mul(seg.run(x), select)), k);
            const g = inputGradient(FN, network, objective, image, {
              of: `layer '${name}'`,
              wrt: 'the image',
            }) as tf.Tensor4D;
            return tf.add(image, tf.mul(laplacianNormalize(g, 4), stepSize)) as tf.Tensor4D;
          });
          image.dispose();
          image = next;
          await stepDone(FN, progress, (b * total + l * iterations + i + 1) / (batches * total), signal);
        }
      }
      return image;
    } catch (err) {
      image.dispose();
      throw err;
    } finally {
      select.dispose();
    }
  };
  const parts: tf.Tensor4D[] = [];
  try {
    for (let b = 0; b < batches; b++) parts.push(await dreamBatch(list.slice(b * batch, (b + 1) * batch), b));
  } catch (err) {
    tf.dispose(parts);
    throw err;
  }
  const image = parts.length === 1 ? parts[0] : tf.concat(parts);
  if (parts.length > 1) tf.dispose(parts);
  // The image takes a step along the gradient each iteration: one NaN in a gradient spreads through the image.
  const check = tf.tidy(() => tf.sum(tf.sub(image, image)));
  const finite = !Number.isNaN((await check.data())[0]);
  check.dispose();
  if (!finite) {
    image.dispose();
    throw await nonFiniteOutputError(
      FN,
      network,
      `the gradients of layer '${name}' with respect to the image are not finite, so the images hold NaN`,
    );
  }
  if (scaling === 'none') return image;
  const out = tf.tidy(() => {
    const lo = tf.min(image, [1, 2, 3], true);
    const hi = tf.max(image, [1, 2, 3], true);
    return tf.div(tf.sub(image, lo), tf.maximum(tf.sub(hi, lo), 1e-12)) as tf.Tensor4D;
  });
  image.dispose();
  return out;
}
