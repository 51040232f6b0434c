/**
 * The policy for images holding NaN or ±Infinity, in one place: which mode a backend gets, the synchronous and the
 * asynchronous check, and the message that names the first bad pixel; and for networks whose learnables hold NaN or
 * ±Infinity, found when the network is made and again where its weights were replaced since. Not exported from the
 * package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readAndDispose, readAndDisposeSync } from '../internal/readBack.js';
import { getLimits } from '../internal/limits.js';
import { optionOneOf } from '../internal/validate.js';
import { engineOf } from './network.js';
import { applyNormalization, normalizationOverflow, normalizationValues } from './normalization.js';
import type { InputNormalization, Network } from './types.js';

/** The `nonFinite` option: see `ActivationsOptions.nonFinite`. */
export type NonFinitePolicy = 'auto' | 'error' | 'nan';

/** Backends whose data already lives in CPU memory: a read-back there costs no pipeline stall. */
const CPU_BACKENDS = ['cpu', 'wasm'];
/** Backends that cannot read data back synchronously: WebGPU (`dataSync` throws in Node and stalls a browser). */
const NO_SYNC_READ_BACKENDS = ['webgpu'];

/**
 * The mode for this call: `'auto'` becomes `'error'` on the CPU backends and `'nan'` on GPU backends.
 * @throws {TypeError|RangeError} for an unknown policy, or `'error'` on a backend that cannot read back synchronously.
 */
export function nonFiniteMode(fn: string, option: unknown, backend = tf.getBackend()): 'error' | 'nan' {
  const policy = optionOneOf(fn, 'options.nonFinite', option, ['auto', 'error', 'nan'], 'auto');
  const mode = policy === 'auto' ? (CPU_BACKENDS.includes(backend) ? 'error' : 'nan') : policy;
  if (mode === 'error' && NO_SYNC_READ_BACKENDS.includes(backend)) {
    throw new RangeError(
      `${fn}: 'options.nonFinite' 'error' needs a synchronous read-back, which the ${backend} backend cannot do; ` +
        `use 'nan' (its default there) or check the image with await before calling`,
    );
  }
  return mode;
}

/**
 * The error message for an image holding a non-finite value: names the first one and its index `[i, j, ...]`; `arg`
 * is the argument that held the image.
 */
export function nonFiniteMessage(fn: string, values: ArrayLike<number>, shape: readonly number[], arg = 'img'): string {
  const { what, at } = firstNonFinite(values, shape);
  return `${fn}: expected '${arg}' to hold finite pixel values, got ${what} at [${at.join(', ')}]`;
}

/** The first NaN or ±Infinity of `values` (row-major, of `shape`): what it is and its index. */
function firstNonFinite(values: ArrayLike<number>, shape: readonly number[]): { what: string; at: number[] } {
  let k = 0;
  while (k < values.length && Number.isFinite(values[k])) k++;
  const at: number[] = [];
  let rest = k;
  for (let d = shape.length - 1; d >= 0; d--) {
    at.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  const v = values[k];
  return { what: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity', at };
}

/**
 * The error message for a network whose normalization function turned finite pixels into NaN or ±Infinity:
 * `values` are one image's normalized pixels, `shape` `[i, h, w, c]` with `i` that image's index in the batch (left
 * out of the index for one image).
 */
export function normalizedNonFiniteMessage(
  fn: string,
  arg: string,
  values: ArrayLike<number>,
  shape: readonly number[],
  batch: boolean,
): string {
  const { what, at } = firstNonFinite(values, [1, ...shape.slice(1)]);
  const index = batch ? [shape[0], ...at.slice(1)] : at.slice(1);
  return (
    `${fn}: the network's normalization function turns the pixels of '${arg}' into ${what} at [${index.join(', ')}], ` +
    'and the network would compute with it: some backends carry NaN through its layers, others turn it into finite ' +
    "numbers without a sign. A function that divides by the image's own standard deviation does this for an image " +
    'of one colour; keep its results finite (tf.maximum of the divisor and a small number)'
  );
}

/**
 * `[sum(x - x), min(x), max(x)]` in one read-back: the sum is 0 when every value is finite and NaN otherwise; the
 * range tells an image scaled to [0, 1].
 */
function pixelFacts(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.stack([tf.sum(tf.sub(x, x)), tf.min(x), tf.max(x)]));
}

let unitScaleWarned = false;

/**
 * Warns once per process when a float32 image's values all lie in [0, 1] (and are not all 0): the network takes
 * pixels 0..255, as MATLAB's does, so an image scaled to [0, 1] runs without error but gives wrong numbers.
 */
function warnUnitScale(fn: string, min: number, max: number): void {
  if (unitScaleWarned || !(min >= 0 && max <= 1 && max > 0)) return;
  unitScaleWarned = true;
  console.warn(
    `${fn}: every value of the float32 image lies in [0, 1], but networks take pixels 0..255 (as MATLAB's do); ` +
      'if the image was scaled to [0, 1], pass tf.mul(img, 255), or read it with imread (int32 0..255). ' +
      'This warning is shown once.',
  );
}

/** For tests: lets the [0, 1] warning be shown again. @internal */
export function resetUnitScaleWarning(): void {
  unitScaleWarned = false;
}

/**
 * Refuses a float32 image whose least or greatest pixel the network's normalization takes past float32's range (a
 * pixel of 3e38 less a mean of -1e38): the network would compute Infinity and NaN, which some backends turn into
 * finite numbers. Every value of an int32 image is kept finite by the normalization's own check.
 */
function assertNormalizable(fn: string, arg: string, normalization: InputNormalization | undefined, range: number[]) {
  if (!normalization) return;
  const over = normalizationOverflow(normalization, range);
  if (!over) return;
  throw new RangeError(
    `${fn}: the network's normalization '${normalization.type}' (${normalizationValues(normalization, over.channel)} ` +
      `for channel ${over.channel}) takes the pixel value ${Number(over.pixel.toPrecision(7))} of '${arg}' to ` +
      `${over.value.toPrecision(3)}, past float32's range (about 3.4e38), and the network would compute Infinity and NaN`,
  );
}

/**
 * Throws a RangeError naming the first non-finite pixel of a float32 image, or a pixel that the network's
 * `normalization` takes past float32's range (and warns once about an image in [0, 1]); synchronous read-back.
 */
export function assertFiniteSync(fn: string, x: tf.Tensor, normalization?: InputNormalization): void {
  if (x.dtype !== 'float32') return;
  const facts = pixelFacts(x);
  const values = facts.dataSync();
  facts.dispose();
  if (Number.isNaN(values[0])) throw new RangeError(nonFiniteMessage(fn, x.dataSync(), x.shape));
  assertNormalizable(fn, 'img', normalization, [values[1], values[2]]);
  warnUnitScale(fn, values[1], values[2]);
}

/**
 * Throws a RangeError naming the first non-finite pixel of a float32 image, or a pixel that the network's
 * `normalization` takes past float32's range (and warns once about an image in [0, 1]); asynchronous read-back (every
 * backend). `arg` names the argument that held the image.
 */
export async function assertFiniteAsync(
  fn: string,
  x: tf.Tensor,
  arg = 'img',
  normalization?: InputNormalization,
): Promise<void> {
  if (x.dtype !== 'float32') return;
  const facts = pixelFacts(x);
  let values: ArrayLike<number>;
  try {
    values = await facts.data();
  } finally {
    facts.dispose();
  }
  if (Number.isNaN(values[0])) throw new RangeError(nonFiniteMessage(fn, await x.data(), x.shape, arg));
  assertNormalizable(fn, arg, normalization, [values[1], values[2]]);
  warnUnitScale(fn, values[1], values[2]);
}

/**
 * For `'nan'` mode: `sum(x - x)` per image of a batch `[n, h, w, c]`, kept as `[n, 1, 1, 1]`; adding it to an
 * activation makes every value of an image with a non-finite pixel NaN, whatever the layers did to the NaN. With the
 * network's `normalization`, of the normalized pixels: a finite pixel that the normalization takes past float32's
 * range, or that its function turns into NaN, poisons its image too, where no read-back checks it (a function is
 * evaluated once more for this).
 */
export function poisonPerImage(input: tf.Tensor4D, normalization?: InputNormalization): tf.Tensor {
  const x = normalization ? applyNormalization(input, normalization) : input;
  return tf.sum(tf.sub(x, x), [1, 2, 3], true);
}

/** A caller's run of its image to the named layers, and how many pixels that image (or batch) holds: `n × h × w`. */
export interface ImageRun {
  run(layers: readonly string[]): tf.Tensor[];
  pixels: number;
}

/**
 * The error for a network that computed NaN or ±Infinity from finite pixels, saying why: the first layer whose
 * learnables hold such a value (a model file written with them, a training run that diverged); or else, given
 * `forward` (the caller's run of the image to the named layers), the first layer whose output for that image is not
 * finite, from finite inputs (a value past float32's range, or an operation undefined there, as a custom layer may
 * compute); or else that a layer computed it from finite values. `what` says what came out non-finite.
 * Reads each learnable back as one number (`sum(w - w)`, 0 only when every value is finite), then runs `forward` once
 * to every layer (skipped where their outputs together would pass `maxElements`) with one read-back: call it once
 * something came out non-finite, never on the way to a result.
 */
export async function nonFiniteOutputError(fn: string, net: Network, what: string, forward?: ImageRun): Promise<Error> {
  const engine = engineOf(net);
  for (const layer of net.layers) {
    for (const [name, w] of Object.entries(engine.learnables(layer))) {
      if (w.dtype !== 'float32' || w.isDisposed) continue;
      const check = tf.tidy(() => tf.sum(tf.sub(w, w)));
      const v = (await check.data())[0];
      check.dispose();
      if (Number.isNaN(v)) {
        return new Error(
          `${fn}: ${what}: the layer '${layer.name}' (index ${layer.index}) has NaN or Infinity in its ${name}`,
        );
      }
    }
  }
  const layer = forward ? await firstNonFiniteLayer(net, forward) : null;
  if (layer) {
    return new Error(
      `${fn}: ${what}: the network's learnables are finite, and the first layer whose output for this image holds ` +
        `NaN or Infinity is '${layer.name}' (index ${layer.index}, ${layer.type}), from finite inputs: a value ` +
        "passed float32's range (about 3.4e38) there, or it computed something undefined (0 / 0, the logarithm or " +
        `square root of a negative number); activations(net, img, '${layer.name}') shows it`,
    );
  }
  return new Error(
    `${fn}: ${what}: the network's learnables are finite, so a layer computed it from finite values: a value passed ` +
      "float32's range (about 3.4e38), or something undefined (0 / 0, the logarithm or square root of a negative number)",
  );
}

/**
 * The first layer, in the table's order (each after its inputs), whose float32 output from `forward` holds NaN or
 * ±Infinity; null when none does, when the outputs together would pass `maxElements`, or when the run fails.
 */
async function firstNonFiniteLayer(net: Network, forward: ImageRun): Promise<Network['layers'][number] | null> {
  // Every layer's output at the network's input size, scaled to the pixels run (a larger image, a batch).
  const [h, w] = net.inputSize;
  const cells = net.layers.reduce((sum, l) => sum + l.outputSize.reduce((a, b) => a * Math.max(b, 1), 1), 0);
  if (!((cells * forward.pixels) / (h * w) <= getLimits().maxElements)) return null;
  let flags: tf.Tensor;
  try {
    flags = tf.tidy(() => {
      const outs = forward.run(net.layers.map((l) => l.name));
      return tf.stack(outs.map((o) => (o.dtype === 'float32' ? tf.sum(tf.sub(o, o)) : tf.scalar(0))));
    });
  } catch {
    return null;
  }
  const values = await flags.data();
  flags.dispose();
  const k = values.findIndex(Number.isNaN);
  return k >= 0 ? net.layers[k] : null;
}

/**
 * A learnable tensor that holds NaN or ±Infinity: its layer, its name (`Weights`…), how many of its values are NaN and
 * how many infinite.
 */
interface NonFiniteLearnable {
  layer: Network['layers'][number];
  name: string;
  nan: number;
  infinite: number;
  size: number;
}

/**
 * Per network, what {@link scanLearnables} found: the learnables that hold NaN or ±Infinity (in the table's order), and
 * each float32 learnable it read with the data it held then. A Keras model's `setWeights` or `fit` assigns new data to
 * the same variables, which changes their `dataId`: comparing the two tells a replaced weight without walking the
 * layers again.
 */
const scans = new WeakMap<
  Network,
  { bad: readonly NonFiniteLearnable[]; read: readonly { w: tf.Tensor; dataId: object }[] }
>();

/**
 * The layers whose learnables weigh or scale what flows through them, where ±Infinity is never meant and becomes NaN
 * at once (times the 0 of a padding or a ReLU, or plus -Infinity). A graph's other operations may hold an infinite
 * bound on purpose (a clip, a maximum, a mask added before a pooling), so only NaN is refused there.
 */
const MULTIPLYING: readonly string[] = [
  'Convolution',
  'Grouped Convolution',
  'Transposed Convolution',
  'Fully Connected',
  'Batch Normalization',
  'Layer Normalization',
  'Group Normalization',
];

/** A network's float32 learnables, layer by layer, as the network holds them (no copies). */
function floatLearnables(net: Network): { layer: Network['layers'][number]; name: string; w: tf.Tensor }[] {
  const engine = engineOf(net);
  const found: { layer: Network['layers'][number]; name: string; w: tf.Tensor }[] = [];
  for (const layer of net.layers) {
    for (const [name, w] of Object.entries(engine.learnables(layer))) {
      if (w.dtype === 'float32' && !w.isDisposed) found.push({ layer, name, w });
    }
  }
  return found;
}

/**
 * Reads, when a network is made (and again where its weights were replaced), whether any of its float32 learnables
 * holds NaN, or ±Infinity where the layer multiplies ({@link MULTIPLYING}) (one read-back for all of them: a sum per
 * tensor, not finite where it holds either; a second, of counts, only for those), and remembers them for
 * {@link assertFiniteLearnables}. A model file holding NaN or Infinity (a training run that diverged, a damaged file)
 * makes a network that computes NaN (Infinity times the 0 of a padding or a ReLU, Infinity minus Infinity), which the
 * wasm, WebGL and WebGPU backends turn into finite numbers in places (a convolution with a fused ReLU gives 0 on wasm),
 * so its scores would look sound. Returns `net`.
 */
export async function scanLearnables(net: Network): Promise<Network> {
  const found = floatLearnables(net);
  const steps = nonFiniteLearnables(found);
  // `done` is tested as a value, and `value` cast, for the JavaScript checks' non-strict settings, which narrow less.
  let step = steps.next();
  while (step.done !== true) step = steps.next(await readAndDispose(step.value as tf.Tensor));
  scans.set(net, { bad: step.value as NonFiniteLearnable[], read: found.map(({ w }) => ({ w, dataId: w.dataId })) });
  return net;
}

/** {@link scanLearnables}, reading synchronously. */
function scanLearnablesSync(net: Network): void {
  const found = floatLearnables(net);
  const steps = nonFiniteLearnables(found);
  let step = steps.next();
  while (step.done !== true) step = steps.next(readAndDisposeSync(step.value as tf.Tensor));
  scans.set(net, { bad: step.value as NonFiniteLearnable[], read: found.map(({ w }) => ({ w, dataId: w.dataId })) });
}

/**
 * The scan of {@link scanLearnables}, apart from how it reads: yields each tensor to read back (the caller frees it)
 * and takes its values, then returns the learnables that hold NaN or ±Infinity.
 */
function* nonFiniteLearnables(
  found: readonly { layer: Network['layers'][number]; name: string; w: tf.Tensor }[],
): Generator<tf.Tensor, NonFiniteLearnable[], Float32Array> {
  const bad: NonFiniteLearnable[] = [];
  if (found.length === 0) return bad;
  // A tensor's sum is NaN or ±Infinity when it holds NaN or ±Infinity (and, rarely, when finite values sum past
  // float32's range, which the counts below clear): one reduction each, nothing as large as a weight.
  const sums = yield tf.tidy(() => tf.stack(found.map(({ w }) => tf.sum(w))));
  const flagged = Array.from(sums).flatMap((v, i) => (Number.isFinite(v) ? [] : [i]));
  if (flagged.length === 0) return bad;
  // Those only: how many of their values are NaN (the one value not equal to itself) and how many are not finite.
  const notItself = (x: tf.Tensor) => tf.sum(tf.cast(tf.notEqual(x, x), 'float32'));
  const counts = yield tf.tidy(() =>
    tf.stack(
      flagged.flatMap((i) => [
        tf.tidy(() => notItself(found[i].w)),
        tf.tidy(() => notItself(tf.sub(found[i].w, found[i].w))),
      ]),
    ),
  );
  flagged.forEach((i, j) => {
    const [nan, nonFinite] = [counts[2 * j], counts[2 * j + 1]];
    if (nan > 0 || (nonFinite > 0 && MULTIPLYING.includes(found[i].layer.type))) {
      bad.push({ layer: found[i].layer, name: found[i].name, nan, infinite: nonFinite - nan, size: found[i].w.size });
    }
  });
  return bad;
}

/** Whether the network's float32 learnables hold the data last scanned (false where it was never scanned). */
function scannedAsTheyAre(net: Network): boolean {
  const scan = scans.get(net);
  return !!scan && scan.read.every(({ w, dataId }) => w.dataId === dataId);
}

/**
 * Scans the network's learnables again ({@link scanLearnables}) where they are not the tensors last scanned: a Keras
 * model's `setWeights`, or training it (`fit`), gives its variables new values after the network was made. Comparing
 * costs a property read per learnable; the scan, one read-back, happens only after such a change.
 */
export async function rescanChangedLearnables(net: Network): Promise<void> {
  if (!scannedAsTheyAre(net)) await scanLearnables(net);
}

/**
 * Refuses a network whose learnables hold NaN or ±Infinity (as last scanned), where `needs` (a layer name) says the
 * result is computed from that layer (every layer, without it): `what` is `'answer'` for the functions that rank or
 * explain its scores, on every backend, which scan first what changed ({@link assertFiniteLearnablesAsync});
 * `'activations'` for activations, only on a backend that does not keep NaN (all but cpu), scanning again
 * synchronously what changed where the backend can read so.
 * @throws {Error} naming the layer, the tensor and how many of its values are NaN and how many infinite.
 */
export function assertFiniteLearnables(
  fn: string,
  net: Network,
  what: 'answer' | 'activations',
  needs?: (layer: string) => boolean,
): void {
  const backend = tf.getBackend();
  if (what === 'activations') {
    // NaN stays NaN on cpu. Elsewhere, weights replaced since the last scan are read again where the backend can read
    // synchronously (not WebGPU, whose activations go by the last scan until one of the methods reads them again).
    if (backend === 'cpu') return;
    if (!NO_SYNC_READ_BACKENDS.includes(backend) && !scannedAsTheyAre(net)) scanLearnablesSync(net);
  }
  // The first that the result is computed from.
  const bad = scans.get(net)?.bad.find((b) => !needs || needs(b.layer.name));
  if (!bad) return;
  const n = (v: number) => v.toLocaleString('en');
  const [values, counts] =
    bad.infinite === 0
      ? ['NaN', n(bad.nan)]
      : bad.nan === 0
        ? ['±Infinity', n(bad.infinite)]
        : ['NaN and ±Infinity', `${n(bad.nan)} and ${n(bad.infinite)}`];
  const holds =
    `the layer '${bad.layer.name}' (index ${bad.layer.index}) holds ${values} in its ${bad.name} ` +
    `(${counts} of ${n(bad.size)} values)`;
  // Infinity becomes NaN at the first product by 0 (a padding, a ReLU's zeros) or sum with -Infinity.
  const why = bad.infinite === 0 ? '' : ' (Infinity times 0, Infinity minus Infinity)';
  if (what === 'answer') {
    throw new Error(
      `${fn}: ${holds}: such a network computes NaN${why}, of which no score or map can be made, and the wasm, WebGL ` +
        'and WebGPU backends turn NaN into finite numbers in places (a fused ReLU gives 0), so its scores would look ' +
        'sound; fix or retrain the model, and see where the NaN goes with activations on the cpu backend',
    );
  }
  const computes = bad.infinite === 0 ? '' : `, from which it computes NaN${why}`;
  throw new Error(
    `${fn}: ${holds}${computes}, and the ${backend} backend turns NaN into finite numbers in places (a fused ReLU ` +
      "gives 0), so these activations would not be what the network computes; the cpu backend keeps NaN: initBackend({ backend: 'cpu' })",
  );
}

/**
 * {@link assertFiniteLearnables} for the functions that rank or explain a network's scores (`'answer'`), after
 * scanning again the learnables that changed since the last scan ({@link rescanChangedLearnables}).
 */
export async function assertFiniteLearnablesAsync(
  fn: string,
  net: Network,
  needs?: (layer: string) => boolean,
): Promise<void> {
  await rescanChangedLearnables(net);
  assertFiniteLearnables(fn, net, 'answer', needs);
}

/**
 * How many of `values` are NaN or ±Infinity; with `stride` and `offset`, of one column of a row-major table of `stride`
 * columns (column `offset`).
 */
export function countNonFinite(values: ArrayLike<number>, stride = 1, offset = 0): number {
  let n = 0;
  for (let i = offset; i < values.length; i += stride) if (!Number.isFinite(values[i])) n++;
  return n;
}
