/**
 * `imshow` for browsers: an image tensor drawn on a canvas. Never imports a Node.js module.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { typeError } from '../internal/validate.js';
import { sizedCanvas } from './canvas.js';
import { isA } from './imageInput.js';
import { assertImage, toPixels8, toRgba } from './pixels.js';

/**
 * Shows an image tensor on a canvas, like MATLAB's `imshow(I)`, one canvas pixel per image pixel:
 *
 * - `float32` is shown on the range [0, 1]: values are clamped to [0, 1], multiplied by 255 and rounded half up
 *   (NaN shows black), so `mat2gray` output shows as MATLAB shows it;
 * - `int32` (MATLAB's `uint8`) is shown as is, values outside 0..255 saturated;
 * - `[h, w]` and `[h, w, 1]` show as gray, `[h, w, 3]` as RGB; the canvas is opaque.
 *
 * The canvas is resized to `w × h` (its CSS size is left alone: style it with `image-rendering: pixelated` to enlarge
 * small images without blur, as MATLAB's figure window does). Without a canvas a new `<canvas>` is created and
 * returned, not yet in the page: append it yourself. In a worker pass an `OffscreenCanvas`.
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @param canvas Where to draw (its 2D context is used); default: a new `<canvas>` element.
 * @returns The canvas drawn on.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor, or `canvas` is not a canvas.
 * @throws {RangeError} if `img` has another shape, or is larger than this browser lets a canvas be (Chromium: 65,535
 *   pixels a side and 268,435,456 in all; iOS Safari: 16,777,216 in all), where the canvas would stay blank.
 * @throws {Error} if no canvas is given outside a page, or the canvas has no 2D context (it holds a WebGL one).
 * @example
 * document.body.append(await imshow(mat2gray(act)));
 */
export async function imshow<C extends HTMLCanvasElement | OffscreenCanvas = HTMLCanvasElement>(
  img: tf.Tensor,
  canvas?: C,
): Promise<C> {
  assertImage('imshow', 'img', img);
  if (canvas !== undefined && !isA(canvas, 'HTMLCanvasElement') && !isA(canvas, 'OffscreenCanvas')) {
    throw typeError('imshow', 'canvas', 'an HTMLCanvasElement or an OffscreenCanvas', canvas);
  }
  if (canvas === undefined && typeof document === 'undefined') {
    throw new Error('imshow: no canvas was given and there is no document to create one in; pass an OffscreenCanvas');
  }
  const [height, width] = img.shape;
  const { canvas: target, ctx } = sizedCanvas(
    'imshow',
    width,
    height,
    'the image',
    canvas ? { canvas } : { canvas: document.createElement('canvas') as C },
  );
  const px = await toPixels8(img);
  ctx.putImageData(new ImageData(toRgba(px), px.width, px.height), 0, 0);
  return target;
}
