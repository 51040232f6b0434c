/**
 * `classify(net, img, k)`: the k most probable classes of an image, like MATLAB's `[label, scores] = classify(net, X)`.
 */
import type { ImageInput } from '../io/imageInput.js';
import { assertInteger, assertOptions, typeError } from '../internal/validate.js';
import { assertClassifier, classCount } from './classes.js';
import { assertInputSize, assertNormalizedFinite, imageArg, imageRun, resolveTarget, runGraph } from './graph.js';
import { engineOf } from './network.js';
import { assertFiniteAsync, assertFiniteLearnablesAsync, countNonFinite, nonFiniteOutputError } from './nonFinite.js';
import type { Network } from './types.js';

/** One class of {@link classify}'s answer. */
export interface ClassScore {
  /** 0-based class index (into `net.classNames`). */
  index: number;
  /** MATLAB's 1-based class index. */
  matlabIndex: number;
  /** The class name, e.g. `'wig'` (the index as text when the network has no class names). */
  label: string;
  /** The probability, 0..1: the network's output (its last layer), through a softmax when it is logits. */
  score: number;
}

/** Options of {@link classify}. */
export interface ClassifyOptions {
  /**
   * Resize the image to the network's input size (`net.inputSize`) with `imresize` first. Without it, an image of another
   * size is refused, as MATLAB's `classify` refuses it.
   * @default false
   */
  resize?: boolean;
  /**
   * Whether the scores are the softmax of the network's output (for a model whose last layer gives logits): `'auto'`
   * applies it unless the output layer is a sigmoid (a `Sigmoid` layer, a Keras layer with `activation: 'sigmoid'`, or
   * a graph's operation with a fused sigmoid, also behind `Identity` nodes: one probability per class, as a multi-label
   * model gives) or the output of this image already is a probability distribution (values in [0, 1] summing to 1
   * within 1e-3); `true` always; `false` never (the output as it is). A network that ends in one value without a
   * sigmoid (a regression, a binary classifier's logit) is refused unless this is `false`: a softmax of one value is
   * always 1.
   * @default 'auto'
   */
  softmax?: boolean | 'auto';
}

const FN = 'classify';
const IMG_WHAT = 'an image [h, w], [h, w, 1] or [h, w, 3] of dtype int32 or float32';

/**
 * Classifies one image: the `k` most probable of the network's classes, most probable first (ties: lower index
 * first). MATLAB's `classify` returns only the top class; `classify(net, img, 1)[0].label` is that.
 *
 * @param net A loaded network (a built-in one, or from `toNetwork` / `importNetwork`).
 * @param img int32 (0..255) or float32 pixels `[h, w, 3]` RGB, or `[h, w]` / `[h, w, 1]` gray, of the network's input
 *   size (`net.inputSize`), or of any size with `{ resize: true }`; or any other
 *   {@link ImageInput} (an `<img>`, a canvas or a video frame in browsers; a PNG/JPEG file's path or bytes in Node.js;
 *   raw pixels `{ data, width, height }` or sharp's `{ data, info }` anywhere).
 * @param k How many classes, 1 up to the number of classes. @default 5, or every class of a network with fewer
 * @returns A promise of `k` entries `{ index, matlabIndex, label, score }`. Plain data: nothing to dispose; `img` is
 *   neither modified nor disposed.
 * @throws {TypeError} for a non-network `net`, a disposed network or a non-tensor `img`.
 * @throws {RangeError} for a network whose output is not one score per class (a segmentation network's) or is one
 *   value without a sigmoid (unless `softmax: false`), a batch, a
 *   wrong channel count, a size other than the input size without `resize`, a `k` out of range, or a non-finite pixel
 *   (on every backend).
 * @throws {Error} when the network's output for the image holds NaN, which no ranking can order (the message
 *   names a layer with NaN or Infinity in its learnables, if there is one).
 * @example
 * const top = await classify(net, await imread('face.png'));
 * console.log(top[0]); // { index: 903, matlabIndex: 904, label: 'wig', score: 0.26... }
 */
export async function classify(
  net: Network,
  img: ImageInput,
  k?: number,
  options?: ClassifyOptions,
): Promise<ClassScore[]> {
  const t = resolveTarget(FN, net, false);
  const network = t.net!;
  const output = network.layerNames[network.layerNames.length - 1];
  const image = imageArg(
    FN,
    t,
    img,
    [2, 3],
    IMG_WHAT,
    (batch) => `take a batch's scores in one pass with predict(net, ${batch}) and label them with scores2label`,
  );
  try {
    const x = image.x;
    assertClassifier(FN, network);
    const count = classCount(network);
    const top = k === undefined ? Math.min(5, count) : assertInteger(FN, 'k', k, 1, count);
    const opts = assertOptions<ClassifyOptions>(FN, options, ['resize', 'softmax']);
    if (opts.resize !== undefined && typeof opts.resize !== 'boolean') {
      throw typeError(FN, 'options.resize', 'a boolean', opts.resize);
    }
    if (opts.softmax !== undefined && typeof opts.softmax !== 'boolean' && opts.softmax !== 'auto') {
      throw typeError(FN, 'options.softmax', "true, false or 'auto'", opts.softmax);
    }
    // The layer that makes the output: a converted SavedModel passes it on through Identity nodes.
    let last = network.layers[network.layers.length - 1];
    while (last.originalType === 'Identity' && last.inputs.length === 1) {
      const before = network.layers.find((l) => l.name === last.inputs[0]);
      if (!before) break;
      last = before;
    }
    const sigmoid = last.type === 'Sigmoid' || engineOf(network).activationOf?.(last.name) === 'sigmoid';
    // One value is a probability only through a sigmoid; any other (an age, a binary classifier's logit) has no
    // class to rank, and a softmax of it is always 1.
    if (count === 1 && !sigmoid && opts.softmax !== false) {
      throw new RangeError(
        `${FN}: expected 'net' to end in class scores, got a network whose output '${output}' is one value without a ` +
          "sigmoid (a regression or a binary classifier's logit), which a softmax would make 1; read it with " +
          `activations(net, img, '${output}'), or pass { softmax: false } to take it as the score`,
      );
    }
    if (!opts.resize) assertInputSize(FN, network, x, true);
    // Non-finite pixels: checked here with an asynchronous read-back, so that every backend (WebGPU included, where
    // activations cannot check synchronously) gives the same error rather than NaN scores.
    await assertFiniteLearnablesAsync(FN, network);
    await assertFiniteAsync(FN, x, 'img', network.normalization);
    const resizeTo = opts.resize ? t.resizeTo : null;
    await assertNormalizedFinite(FN, t, x, 'img', resizeTo);
    const [probs] = runGraph(FN, t, x, [output], { resizeTo, poisonNonFinite: true });
    let values: Float32Array;
    try {
      values = (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
    const raw = values;
    const sum = values.reduce((a, b) => a + b, 0);
    const isDistribution = values.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) <= 1e-3;
    if (opts.softmax === true || ((opts.softmax ?? 'auto') === 'auto' && !sigmoid && !isDistribution)) {
      const max = values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
      const exp = Array.from(values, (v) => Math.exp(v - max));
      const total = exp.reduce((a, b) => a + b, 0);
      values = Float32Array.from(exp, (e) => e / total);
    }
    // NaN scores cannot be ranked: the sort would list classes in an arbitrary order as if they were the answer.
    if (values.some(Number.isNaN)) {
      throw await nonFiniteOutputError(
        FN,
        network,
        `the network's output for this image is not finite (NaN or Infinity in ${countNonFinite(raw)} of its ` +
          `${raw.length} values), so its classes cannot be ranked`,
        imageRun(FN, t, x, { resizeTo }),
      );
    }
    const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
    return order.slice(0, top).map((index) => ({
      index,
      matlabIndex: index + 1,
      label: network.classNames[index] ?? String(index),
      score: values[index],
    }));
  } finally {
    image.release();
  }
}
