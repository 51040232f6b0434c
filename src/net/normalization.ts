/**
 * Input normalization, MATLAB's `imageInputLayer` `Normalization`: checking what a user declares for a model, and
 * applying it to raw pixels. One home for both, used by `toNetwork`/`importNetwork` and by the gradient executor.
 * Not exported from the package (the types are, from `types.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { listArg } from '../internal/limits.js';
import { describeValue, finiteAsFloat32, isTensor, rangeError, rethrowAs, typeError } from '../internal/validate.js';
import { type InputNormalization, NORMALIZATION_TYPES, type NormalizationType } from './types.js';

/** What a user may declare: a name (with `mean`, `standardDeviation`, `min`, `max` beside it), an object, or a function. */
export type NormalizationOption = NormalizationType | InputNormalization | ((pixels: tf.Tensor4D) => tf.Tensor4D);

/** The per-channel statistics that can stand beside a normalization name. */
export interface NormalizationValues {
  mean?: number | readonly number[];
  standardDeviation?: number | readonly number[];
  min?: number | readonly number[];
  max?: number | readonly number[];
}

/** The choices and their usual values, the end of every message about a missing or unknown normalization. */
export const NORMALIZATION_ADVICE =
  "say how the model expects its pixels with options.normalization: 'none' (raw 0..255), " +
  "'rescale-zero-one' (to [0, 1]: models trained on x / 255), " +
  "'rescale-symmetric' (to [-1, 1]: Keras MobileNet, MobileNetV2, InceptionV3, Xception), " +
  "'zerocenter' with mean (x - mean: Caffe-style ResNet50/VGG16, mean [123.68, 116.779, 103.939] in RGB order), " +
  "'zscore' with mean and standardDeviation (torchvision-style: mean [123.675, 116.28, 103.53], " +
  'standardDeviation [58.395, 57.12, 57.375]), or a function of the pixels';

/** The largest magnitude a pixel of an int32 image has: a declared normalization keeps every such value finite. */
const INT32_EXTENT = 2 ** 31;

/** Where a normalization takes a pixel value past float32's range: the channel, the pixel and what it became. */
export interface NormalizationOverflow {
  channel: number;
  pixel: number;
  value: number;
}

/**
 * The first pixel value of `pixels` (in channel order) that a normalization takes past float32's range (about 3.4e38),
 * at any step of its formula as TF.js computes it in float32 (the difference, the quotient, and for
 * `'rescale-symmetric'` the doubling); null when none does, and for `'none'` and a function. Each step is linear in
 * the pixel, so the ends of a range of pixels are the ones to try. On wasm, WebGL and WebGPU the Infinity and NaN
 * that follow turn into finite numbers in places (a fused ReLU gives 0), so such a network would answer in silence.
 */
export function normalizationOverflow(n: InputNormalization, pixels: readonly number[]): NormalizationOverflow | null {
  if (n.type === 'none' || n.type === 'function') return null;
  const f32 = Math.fround;
  const channels = n.type === 'zerocenter' || n.type === 'zscore' ? n.mean.length : n.min.length;
  for (const pixel of pixels) {
    for (let c = 0; c < channels; c++) {
      let steps: number[];
      if (n.type === 'zerocenter') steps = [pixel - n.mean[c]];
      else if (n.type === 'zscore') {
        const d = f32(pixel - n.mean[c]);
        steps = [d, d / f32(n.standardDeviation[c])];
      } else {
        const u = f32(pixel - n.min[c]) / f32(n.max[c] - n.min[c]);
        steps = [pixel - n.min[c], u, n.type === 'rescale-symmetric' ? f32(u) * 2 : 0];
      }
      const value = steps.find((v) => !Number.isFinite(f32(v)));
      if (value !== undefined) return { channel: c, pixel, value };
    }
  }
  return null;
}

/** The declared values of a normalization, for a message: `mean 0, standardDeviation 1e-40` (channel `c`'s). */
export function normalizationValues(n: InputNormalization, c: number): string {
  switch (n.type) {
    case 'zerocenter':
      return `mean ${n.mean[c]}`;
    case 'zscore':
      return `mean ${n.mean[c]}, standardDeviation ${n.standardDeviation[c]}`;
    case 'rescale-zero-one':
    case 'rescale-symmetric':
      return `min ${n.min[c]}, max ${n.max[c]}`;
    default:
      return '';
  }
}

/** A per-channel vector from a number or an array, checked. */
function perChannel(fn: string, arg: string, v: unknown, channels: number, positive = false): number[] | undefined {
  if (v === undefined) return undefined;
  const arr = typeof v === 'number' ? new Array<number>(channels).fill(v) : listArg(fn, arg, v);
  if (!Array.isArray(arr) || !arr.every((x) => typeof x === 'number')) {
    const array = channels === 1 ? '1 number (the input has one channel)' : `${channels} numbers (one per channel)`;
    throw typeError(fn, arg, `a number or an array of ${array}`, v);
  }
  if (arr.length !== channels) {
    const values =
      channels === 1 ? '1 value (the input has one channel)' : `${channels} values (one per input channel)`;
    throw rangeError(fn, arg, values, v);
  }
  // The pixels are float32: a value must stay finite (and a divisor non-zero) once rounded to float32, or every
  // pixel comes out NaN or Infinity.
  if (!arr.every((x) => finiteAsFloat32(x) && (!positive || Math.fround(x) > 0))) {
    throw rangeError(fn, arg, `${positive ? 'positive finite numbers' : 'finite numbers'}, also as float32`, v);
  }
  return [...arr];
}

/**
 * Checks a declared normalization and turns it into an {@link InputNormalization} for a model with `channels` input
 * channels. Names follow MATLAB; `'rescale-*'` default to `min` 0 and `max` 255 (raw pixels). `scalingLayer`: the
 * model's layer that prepares the pixels itself, if it has one (see `kerasScalingLayer`), named when nothing is
 * declared.
 * @throws {TypeError} when nothing is declared (with the choices and their usual values), or for a wrong type.
 * @throws {RangeError} for an unknown name, a missing `mean`/`standardDeviation`, a vector of the wrong length.
 */
export function checkNormalization(
  fn: string,
  option: unknown,
  values: NormalizationValues,
  channels: number,
  scalingLayer?: { name: string; what: string } | null,
): InputNormalization {
  const arg = 'options.normalization';
  if (option === undefined) {
    // A model that scales its pixels in its first layers was usually trained on raw ones; still not guessed.
    const own = scalingLayer
      ? `its layer '${scalingLayer.name}' (${scalingLayer.what}) reads the image and prepares the pixels itself; ` +
        'if the model was trained on raw pixels 0..255 with it (as such a model usually is), that is ' +
        "options.normalization 'none'; in any case, "
      : '';
    throw new TypeError(
      `${fn}: the model's input normalization is not declared, and it is not guessed (a wrong guess gives ` +
        `plausible-looking but wrong numbers); ${own}${NORMALIZATION_ADVICE}`,
    );
  }
  if (typeof option === 'function') {
    const extra = (['mean', 'standardDeviation', 'min', 'max'] as const).find((k) => values[k] !== undefined);
    if (extra) throw new TypeError(`${fn}: 'options.${extra}' has no meaning with a normalization function`);
    return { type: 'function', fn: option as (pixels: tf.Tensor4D) => tf.Tensor4D };
  }
  let type: unknown;
  let v: NormalizationValues;
  if (typeof option === 'string') {
    type = option;
    v = values;
  } else if (option !== null && typeof option === 'object' && !Array.isArray(option)) {
    type = (option as { type?: unknown }).type;
    if (type === 'function' && typeof (option as { fn?: unknown }).fn === 'function') {
      return { type: 'function', fn: (option as { fn: (p: tf.Tensor4D) => tf.Tensor4D }).fn };
    }
    const extra = (['mean', 'standardDeviation', 'min', 'max'] as const).find((k) => values[k] !== undefined);
    if (extra) throw new TypeError(`${fn}: give 'options.${extra}' inside options.normalization, not beside it`);
    v = option as NormalizationValues;
  } else {
    throw typeError(
      fn,
      arg,
      `one of ${NORMALIZATION_TYPES.map((n) => `'${n}'`).join(', ')}, an object or a function`,
      option,
    );
  }
  if (typeof type !== 'string' || !(NORMALIZATION_TYPES as readonly string[]).includes(type)) {
    throw new RangeError(
      `${fn}: expected '${arg}' to be one of ${NORMALIZATION_TYPES.map((n) => `'${n}'`).join(', ')} or a function, ` +
        `got ${describeValue(type)}; ${NORMALIZATION_ADVICE}`,
    );
  }
  const at = (k: string) => (typeof option === 'string' ? `options.${k}` : `${arg}.${k}`);
  const mean = perChannel(fn, at('mean'), v.mean, channels);
  const std = perChannel(fn, at('standardDeviation'), v.standardDeviation, channels, true);
  const min = perChannel(fn, at('min'), v.min, channels);
  const max = perChannel(fn, at('max'), v.max, channels);
  const unused = (keys: (keyof NormalizationValues)[]) => {
    const k = keys.find((key) => v[key] !== undefined);
    if (k) throw new TypeError(`${fn}: '${at(k)}' has no meaning with normalization '${type}'`);
  };
  const need = (k: string, val: unknown) => {
    if (val === undefined) {
      throw new RangeError(`${fn}: normalization '${type}' needs '${at(k)}' (one value per channel, or one for all)`);
    }
  };
  const checked = (n: InputNormalization): InputNormalization => {
    // Every value an int32 image holds (255 first, the usual largest) must stay finite once normalized.
    const over = normalizationOverflow(n, [255, INT32_EXTENT, -INT32_EXTENT]);
    if (!over) return n;
    throw new RangeError(
      `${fn}: normalization '${n.type}' (${normalizationValues(n, over.channel)} for channel ${over.channel}) takes ` +
        `pixel value ${over.pixel} to ${over.value.toPrecision(3)}, past float32's range (about 3.4e38), and the ` +
        'network would compute Infinity and NaN; every value an int32 image holds (up to ±2^31) must stay finite ' +
        'once normalized',
    );
  };
  switch (type as NormalizationType) {
    case 'none':
      unused(['mean', 'standardDeviation', 'min', 'max']);
      return { type: 'none' };
    case 'zerocenter':
      unused(['standardDeviation', 'min', 'max']);
      need('mean', mean);
      return checked({ type: 'zerocenter', mean: mean! });
    case 'zscore':
      unused(['min', 'max']);
      need('mean', mean);
      need('standardDeviation', std);
      return checked({ type: 'zscore', mean: mean!, standardDeviation: std! });
    default: {
      unused(['mean', 'standardDeviation']);
      const lo = min ?? new Array<number>(channels).fill(0);
      const hi = max ?? new Array<number>(channels).fill(255);
      // The range divides the pixels in float32, where it must not vanish (max 1e-50 above min) or overflow.
      const bad = lo.findIndex((m, i) => !(hi[i] > m && Math.fround(hi[i] - m) > 0 && finiteAsFloat32(hi[i] - m)));
      if (bad >= 0) {
        throw rangeError(fn, at('max'), `values above min, also as float32 (${lo[bad]} for channel ${bad})`, hi);
      }
      return checked({ type: type as 'rescale-symmetric' | 'rescale-zero-one', min: lo, max: hi });
    }
  }
}

/**
 * Applies a normalization to raw pixels `[n, h, w, c]` (float32). Call inside `tf.tidy`. Its errors name no function:
 * it runs inside a network's pass, whose message (`fn: <net> could not compute ...`) wraps them.
 */
export function applyNormalization(x: tf.Tensor, n: InputNormalization): tf.Tensor {
  const v = (a: readonly number[]) => tf.tensor1d([...a]);
  switch (n.type) {
    case 'none':
      return x;
    case 'zerocenter':
      return tf.sub(x, v(n.mean));
    case 'zscore':
      return tf.div(tf.sub(x, v(n.mean)), v(n.standardDeviation));
    case 'rescale-zero-one':
    case 'rescale-symmetric': {
      const range = n.max.map((m, i) => m - n.min[i]);
      const unit = tf.div(tf.sub(x, v(n.min)), v(range));
      return n.type === 'rescale-zero-one' ? unit : tf.sub(tf.mul(unit, 2), 1);
    }
    case 'function': {
      let out: unknown;
      try {
        out = n.fn(x as tf.Tensor4D);
      } catch (err) {
        throw rethrowAs('the normalization function threw', err);
      }
      if (!isTensor(out) || out.isDisposed || out.shape.join() !== x.shape.join()) {
        throw new TypeError(
          'the normalization function must return a live tensor of the shape it was given ' +
            `[${x.shape.join(', ')}], got ${describeValue(out)}`,
        );
      }
      return out.dtype === 'float32' ? out : tf.cast(out, 'float32');
    }
    default: {
      const unhandled: never = n;
      throw new Error(`unhandled normalization ${JSON.stringify(unhandled)}`);
    }
  }
}
