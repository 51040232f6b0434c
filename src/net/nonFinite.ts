/**
 * The policy for images holding NaN or ±Infinity, in one place: which mode a backend gets, the synchronous and the
 * asynchronous check, and the message that names the first bad pixel. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertOneOf } from '../internal/validate.js';

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
  const policy = option === undefined ? 'auto' : assertOneOf(fn, 'options.nonFinite', option, ['auto', 'error', 'nan']);
  const mode = policy === 'auto' ? (CPU_BACKENDS.includes(backend) ? 'error' : 'nan') : policy;
  if (mode === 'error' && NO_SYNC_READ_BACKENDS.includes(backend)) {
    throw new RangeError(
      `${fn}: 'options.nonFinite' 'error' needs a synchronous read-back, which the ${backend} backend cannot do; ` +
        `use 'nan' (its default there) or check the image with await before calling`,
    );
  }
  return mode;
}

/** The error message for an image holding a non-finite value: names the first one and its index `[i, j, ...]`. */
export function nonFiniteMessage(fn: string, values: ArrayLike<number>, shape: readonly number[]): string {
  let k = 0;
  while (k < values.length && Number.isFinite(values[k])) k++;
  const idx: number[] = [];
  let rest = k;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]);
    rest = Math.floor(rest / shape[d]);
  }
  const v = values[k];
  const what = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return `${fn}: expected 'img' to hold finite pixel values, got ${what} at [${idx.join(', ')}]`;
}

/** `sum(x - x)`: 0 when every value of `x` is finite, NaN otherwise (one reduction, no read-back yet). */
function poisonSum(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.sub(x, x)));
}

/** Throws a RangeError naming the first non-finite pixel of a float32 image; synchronous read-back. */
export function assertFiniteSync(fn: string, x: tf.Tensor): void {
  if (x.dtype !== 'float32') return;
  const poison = poisonSum(x);
  const values = poison.dataSync();
  poison.dispose();
  if (Number.isNaN(values[0])) throw new RangeError(nonFiniteMessage(fn, x.dataSync(), x.shape));
}

/** Throws a RangeError naming the first non-finite pixel of a float32 image; asynchronous read-back (every backend). */
export async function assertFiniteAsync(fn: string, x: tf.Tensor): Promise<void> {
  if (x.dtype !== 'float32') return;
  const poison = poisonSum(x);
  let sum: ArrayLike<number>;
  try {
    sum = await poison.data();
  } finally {
    poison.dispose();
  }
  if (Number.isNaN(sum[0])) throw new RangeError(nonFiniteMessage(fn, await x.data(), x.shape));
}

/**
 * For `'nan'` mode: `sum(x - x)` per image of a batch `[n, h, w, c]`, kept as `[n, 1, 1, 1]`; adding it to an
 * activation makes every value of an image with a non-finite pixel NaN, whatever the layers did to the NaN.
 */
export function poisonPerImage(input: tf.Tensor4D): tf.Tensor {
  return tf.sum(tf.sub(input, input), [1, 2, 3], true);
}
