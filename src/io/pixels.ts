/**
 * Turning an image tensor into 8-bit pixels for files and canvases, with MATLAB's `imshow` display rule.
 * Platform-neutral; not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isTensor, rangeError, typeError } from '../internal/validate.js';

/** Pixels of an image, 8 bits a sample, row-major `[h][w][c]`. */
export interface Pixels8 {
  width: number;
  height: number;
  /** 1 = gray, 3 = RGB. */
  channels: 1 | 3;
  data: Uint8Array;
}

const IMAGE_WHAT = 'an image tensor [h, w], [h, w, 1] or [h, w, 3] of dtype float32 or int32';

/**
 * Checks that `value` is a live image tensor: rank 2 `[h, w]` or rank 3 `[h, w, c]` with c in {1, 3}, dtype float32 or
 * int32, h and w at least 1. TypeError for a non-tensor, a disposed tensor or a wrong dtype; RangeError for a wrong
 * shape.
 */
export function assertImage(fn: string, arg: string, value: unknown): tf.Tensor {
  if (!isTensor(value)) throw typeError(fn, arg, IMAGE_WHAT, value);
  if (value.isDisposed) throw new TypeError(`${fn}: '${arg}' is a disposed tensor; it can no longer be used`);
  if (value.dtype !== 'float32' && value.dtype !== 'int32') throw typeError(fn, arg, IMAGE_WHAT, value);
  const [h, w, c] = value.shape;
  const rankOk = value.rank === 2 || (value.rank === 3 && (c === 1 || c === 3));
  if (!rankOk) throw rangeError(fn, arg, IMAGE_WHAT, value);
  if (h === 0 || w === 0) throw rangeError(fn, arg, `${IMAGE_WHAT} with h, w >= 1`, value);
  return value;
}

/**
 * Reads an image tensor (checked with {@link assertImage}) back as 8-bit samples, the way MATLAB's `imshow` displays
 * it: float32 is clamped to [0, 1], multiplied by 255 and rounded half up (NaN gives 0, as in `im2uint8`); int32 is
 * saturated to [0, 255]. The tensor is not disposed or changed. Allocates no tensor.
 */
export async function toPixels8(img: tf.Tensor): Promise<Pixels8> {
  const [height, width] = img.shape;
  const channels = img.rank === 3 && img.shape[2] === 3 ? 3 : 1;
  const values = await img.data();
  const data = new Uint8Array(values.length);
  if (img.dtype === 'float32') {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // v > 0 is false for NaN, so NaN lands on 0 with the negatives.
      data[i] = v > 0 ? (v >= 1 ? 255 : Math.floor(v * 255 + 0.5)) : 0;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      data[i] = v < 0 ? 0 : Math.min(v, 255);
    }
  }
  return { width, height, channels, data };
}

/** RGBA samples (alpha 255) of gray or RGB pixels, for `ImageData`. */
export function toRgba(px: Pixels8): Uint8ClampedArray<ArrayBuffer> {
  const n = px.width * px.height;
  const out = new Uint8ClampedArray(n * 4);
  const src = px.data;
  if (px.channels === 1) {
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      out[o] = out[o + 1] = out[o + 2] = src[i];
      out[o + 3] = 255;
    }
  } else {
    for (let i = 0, s = 0, o = 0; i < n; i++, s += 3, o += 4) {
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * An int32 image tensor from RGBA samples (e.g. a canvas's `ImageData` or a decoded PNG), alpha dropped:
 * `[h, w, 3]` for `channels` 3, `[h, w]` (the red samples, equal to green and blue in a gray image) for 1.
 */
export function rgbaToTensor(rgba: ArrayLike<number>, width: number, height: number, channels: 1 | 3 = 3): tf.Tensor {
  const n = width * height;
  if (channels === 1) {
    const gray = new Int32Array(n);
    for (let i = 0; i < n; i++) gray[i] = rgba[4 * i];
    return tf.tensor2d(gray, [height, width], 'int32');
  }
  const out = new Int32Array(n * 3);
  for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
    out[o] = rgba[s];
    out[o + 1] = rgba[s + 1];
    out[o + 2] = rgba[s + 2];
  }
  return tf.tensor3d(out, [height, width, 3], 'int32');
}
