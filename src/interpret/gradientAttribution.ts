/**
 * `gradientAttribution(net, img, classOrLabel)`: the pixel-resolution maps of MATLAB's example "Investigate
 * Classification Decisions Using Gradient Attribution Techniques".
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLongRunOptions, guardCallback, stepDone, throwIfAborted } from '../internal/abortable.js';
import { assertElements, elementLimit } from '../internal/limits.js';
import { readAndDispose } from '../internal/readBack.js';
import { optionOneOf, assertOptions } from '../internal/validate.js';
import type { ImageInput } from '../io/imageInput.js';
import { inputValueAndGradient, segment } from '../net/differentiable.js';
import { withGuidedReLU } from '../net/gradients.js';
import {
  assertLargeEnough,
  assertNormalizedFinite,
  imageArg,
  imageRun,
  imageSize,
  type LayerRef,
  miniBatchFor,
  resolveTarget,
} from '../net/graph.js';
import { layerShapes } from '../net/layerShapes.js';
import { assertFiniteAsync, assertFiniteLearnablesAsync, nonFiniteOutputError } from '../net/nonFinite.js';
import type { Network } from '../net/types.js';
import { assertClassScores, assertReductionFcn, resolveReduction, summedScore } from './reduction.js';

/** Options of {@link gradientAttribution}. */
export interface GradientAttributionOptions {
  /**
   * How the gradient passes back through the network, by the names of MATLAB's example: `'autodiff'`, the gradient
   * itself (Simonyan et al. 2014); `'guided-backprop'`, guided backpropagation (Springenberg et al. 2015), where each
   * ReLU (and ReLU6) passes back only the positive part of its gradient, where its input was positive, which gives
   * sharper maps. Other activations pass back their ordinary gradient either way. @default 'autodiff'
   */
  method?: 'autodiff' | 'guided-backprop';
  /**
   * `'linear'`: each map rescaled to [0, 1] (its smallest value to 0, its largest to 1; a map of one value is all 0),
   * as the example's `rescale`; `'none'`: the sum over the channels of the gradient's absolute value, in score per
   * unit of the image's pixel values (0..255). @default 'linear'
   */
  outputScaling?: 'linear' | 'none';
  /**
   * The layer whose output gives the class score (a name or 0-based index): one value per class, unless
   * `reductionFcn` reduces it. @default the last softmax layer (SqueezeNet: `prob`), as the example differentiates
   * the softmax's score
   */
  reductionLayer?: LayerRef;
  /**
   * Turns the reduction layer's output `[n, ...]` into one score per image `[n]`, for outputs that are not class
   * scores (as `gradCAM`'s); `classOrLabel` is then ignored (pass `null`). @default the output's value at the class
   */
  reductionFcn?: (output: tf.Tensor) => tf.Tensor;
  /**
   * Stops between gradients (one per class and mini-batch); the promise rejects with an error whose cause is the
   * reason.
   */
  signal?: AbortSignal;
  /** Called after each gradient with the fraction done; if it throws, the computation stops with its error. */
  onProgress?: (fraction: number) => void;
}

/** What {@link gradientAttribution} returns. */
export interface GradientAttributionResult {
  /**
   * The map, float32 `[h, w]` at the image's size (or `[n, h, w]` for a batch); for an array of k classes `[h, w, k]`
   * (or `[n, h, w, k]`), map i for class i. Owned by the caller.
   */
  map: tf.Tensor;
  /** The reduction layer used. */
  reductionLayer: string;
}

const FN = 'gradientAttribution';

/**
 * Which pixels the class score is most sensitive to: the gradient of the score with respect to each pixel of the
 * image, its absolute values summed over the colour channels and rescaled to [0, 1], as the helper of MATLAB's
 * example "Investigate Classification Decisions Using Gradient Attribution Techniques" computes it
 * (`sum(abs(dydI), 3)`, then `rescale`). The map has the image's resolution, finer than Grad-CAM's or occlusion
 * sensitivity's, and noisier: read it for the broad areas it lights up.
 *
 * The gradient runs through the whole network, its input normalization included, on every backend (see
 * `gradCAM`); `method: 'guided-backprop'` lets only positive evidence pass back through the ReLUs. Images run in
 * mini-batches whose layers, which the gradient keeps, fit `limits.maxElements` together.
 *
 * @param net A loaded network (e.g. `squeezenet()`).
 * @param img An image `[h, w, 3]`, `[h, w]`, `[h, w, 1]` or a batch `[n, h, w, c]`, int32 0..255 or float32 on that
 *   scale, of any size the reduction layer can be computed from; or any other {@link ImageInput}.
 * @param classOrLabel The class: a 0-based index into `net.classNames` or its name (`null` with `reductionFcn`). An
 *   array of classes gives one map each, a gradient per class; between the gradients the event loop runs,
 *   `onProgress` is told and `signal` can stop it.
 * @param options {@link GradientAttributionOptions}.
 * @returns A promise of the map and the reduction layer used; `img` is neither changed nor disposed.
 * @throws {TypeError|RangeError} before any work for a bad network, image, class, layer or option; a non-finite
 *   pixel.
 * @throws {Error} when the gradient is not finite (the message names a layer with NaN or Infinity in its
 *   learnables, if there is one); when `signal` aborts or `onProgress` throws (the cause is the reason). Nothing is
 *   left allocated.
 * @example
 * const { map } = await gradientAttribution(net, im, 'wig');                 // float32 [227, 227] in [0, 1]
 * const guided = await gradientAttribution(net, im, 'wig', { method: 'guided-backprop' });
 * await imwrite(imagesc(guided.map), 'guided.png');
 */
export async function gradientAttribution(
  net: Network,
  img: ImageInput,
  classOrLabel: number | string | readonly (number | string)[] | null,
  options?: GradientAttributionOptions,
): Promise<GradientAttributionResult> {
  const t = resolveTarget(FN, net, false);
  const network = t.net as Network;
  const image = imageArg(FN, t, img);
  try {
    const x = image.x;
    const opts = assertOptions<GradientAttributionOptions>(FN, options, [
      'method',
      'outputScaling',
      'reductionLayer',
      'reductionFcn',
      'signal',
      'onProgress',
    ]);
    const red = resolveReduction(FN, t, classOrLabel, opts);
    const method = optionOneOf(FN, 'options.method', opts.method, ['autodiff', 'guided-backprop'], 'autodiff');
    const scaling = optionOneOf(FN, 'options.outputScaling', opts.outputScaling, ['linear', 'none'], 'linear');
    const signal = checkLongRunOptions(FN, opts);
    const [h, w] = imageSize(x);
    const shapes = layerShapes(network.layers, [h, w, network.inputSize[2]]);
    assertLargeEnough(FN, t, [red.layer], x);
    assertClassScores(FN, network, red, shapes.get(red.layer));
    const n = x.rank === 4 ? (x.shape[0] as number) : 1;
    const classes = red.target?.classes ?? [null];
    assertElements(FN, 'classOrLabel', [n, h, w, classes.length], 'maps');
    const seg = segment(network, null, red.layer);
    // The images go through in mini-batches, as deep dream's: the gradient keeps the output of every layer on the
    // way, so those of one mini-batch must fit the element limit together. Each image's map is its own.
    const perImage = seg.layers.reduce((sum, l) => sum + (shapes.get(l.name) ?? []).reduce((a, b) => a * b, 1), 0);
    const batch = Math.max(
      1,
      Math.min(miniBatchFor(FN, t, [red.layer], [h, w], n, undefined), Math.floor(elementLimit().max / perImage)),
    );
    throwIfAborted(FN, signal);
    await assertFiniteLearnablesAsync(FN, network);
    await assertFiniteAsync(FN, x, 'img', network.normalization);
    await assertNormalizedFinite(FN, t, x);

    const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
    const grayToRgb = (x.rank === 2 || x.shape[x.rank - 1] === 1) && network.inputSize[2] === 3;
    const batches = Math.ceil(n / batch);
    // Per mini-batch, one map per class [b, h, w], and 0 (NaN where a score or a gradient was not finite).
    const maps: tf.Tensor[][] = classes.map(() => []);
    const checks: tf.Tensor[] = [];
    try {
      for (let b = 0; b < batches; b++) {
        const images = tf.tidy(() => {
          const all = x.rank === 4 ? x : tf.expandDims(x.rank === 2 ? tf.expandDims(x, 2) : x, 0);
          const part = batches > 1 ? tf.slice(all, [b * batch], [Math.min(batch, n - b * batch)]) : all;
          return tf.cast(part, 'float32');
        });
        try {
          const k = images.shape[0] as number;
          const forward = (xs: tf.Tensor) => seg.run(grayToRgb ? tf.tile(xs, [1, 1, 1, 3]) : xs);
          assertReductionFcn(FN, red, () => forward(images), k);
          for (const [i, cls] of classes.entries()) {
            const [map, check] = tf.tidy(() => {
              const differentiate = () =>
                inputValueAndGradient(FN, network, (xs) => summedScore(red, forward(xs), k, cls) as tf.Scalar, images, {
                  of: `the reduction layer '${red.layer}'`,
                  wrt: 'the image',
                });
              const { value, grad } = method === 'guided-backprop' ? withGuidedReLU(differentiate) : differentiate();
              const m = tf.sum(tf.abs(grad), 3); // [k, h, w]
              // NaN where the scores or the gradient are not finite: a backend may turn a score's NaN into finite
              // numbers on the way back (wasm did, for a network whose sums overflow).
              return [m, tf.add(tf.sum(tf.sub(m, m)), tf.sub(value, value))];
            });
            maps[i].push(map);
            checks.push(check);
            await stepDone(FN, progress, (b * classes.length + i + 1) / (batches * classes.length), signal);
          }
        } finally {
          images.dispose();
        }
      }
      const nan = await readAndDispose(tf.tidy(() => tf.addN(checks)));
      if (Number.isNaN(nan[0])) {
        throw await nonFiniteOutputError(
          FN,
          network,
          `the scores of the reduction layer '${red.layer}' or their gradient with respect to the image are not finite`,
          imageRun(FN, t, x),
        );
      }
      const map = tf.tidy(() => {
        // [n, h, w, classes]
        let all = tf.stack(
          maps.map((parts) => (parts.length > 1 ? tf.concat(parts) : parts[0])),
          3,
        );
        if (scaling === 'linear') {
          const lo = tf.min(all, [1, 2], true);
          const span = tf.sub(tf.max(all, [1, 2], true), lo);
          // A map of one value has no span: all 0, not NaN.
          all = tf.divNoNan(tf.sub(all, lo), span);
        }
        if (!red.target?.several) all = tf.squeeze(all, [3]);
        return x.rank === 4 ? all : tf.squeeze(all, [0]);
      });
      return { map, reductionLayer: red.layer };
    } finally {
      tf.dispose([...maps.flat(), ...checks]);
    }
  } finally {
    image.release();
  }
}
