/**
 * `imwrite` for browsers: an image tensor as a PNG or JPEG Blob, optionally downloaded. Never imports a Node.js module.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { typeError } from '../internal/validate.js';
import { sizedCanvas } from './canvas.js';
import { encodePng } from './encodePng.js';
import { isA } from './imageInput.js';
import { checkImwriteOptions, type ImageFormat, jpegQuality, requireFormat, rgbaOf } from './imwriteFormat.js';
import { assertImage, toPixels8 } from './pixels.js';

/** Options of {@link imwrite} in browsers. */
export interface ImwriteOptions {
  /**
   * The file format, when no file name says it: `'png'` or `'jpeg'`. With a file name, its extension decides and
   * this, if given, must agree.
   * @default 'png'
   */
  format?: ImageFormat;
  /**
   * JPEG quality from 0 to 100, MATLAB's `'Quality'`: higher is closer to the image and larger. JPEG only.
   * @default 75
   */
  quality?: number;
}

/**
 * Encodes an image tensor as a PNG or JPEG file, like MATLAB's `imwrite(A, filename)`, and returns it as a `Blob`
 * (`image/png` or `image/jpeg`). With a file name, the browser also downloads it under that name (the page's
 * `<a download>` mechanism; folders in the name are dropped by the browser). The same call works in Node.js, where it
 * writes the file.
 *
 * Values follow MATLAB's `imshow` rule (see {@link encodePng}): float32 clamped to [0, 1], ×255, rounded half up
 * (NaN → 0); int32 as is, saturated to 0..255. PNG is lossless (`[h, w]`/`[h, w, 1]` give a gray PNG, `[h, w, 3]` an
 * RGB PNG) and encoded by this library, so that a gray image stays a one-channel file; JPEG is encoded by the
 * browser's own codec (a canvas), at `options.quality` (75 by default, as in MATLAB).
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @param filename If given, download the file under this name; it must end in `.png`, `.jpg` or `.jpeg`.
 * @param options `format` (without a file name) and `quality` (JPEG); see {@link ImwriteOptions}.
 * @returns The file as a Blob.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor, `filename` is not a string, or an option has the
 *   wrong type.
 * @throws {RangeError} if `img` has another shape; `filename` is empty or has another extension; `format`
 *   disagrees with it; `quality` is outside [0, 100] or given for PNG; or, for JPEG, the image is larger than this
 *   browser lets a canvas be (see {@link imshow}).
 * @throws {Error} if a download is asked for where there is no page (in a worker), or JPEG where there is no canvas.
 * @example
 * const blob = await imwrite(imtile(frames));                            // just the PNG
 * await imwrite(mat2gray(act), 'channel22.png');                         // and download it
 * const photo = await imwrite(im, undefined, { format: 'jpeg', quality: 90 });
 */
export async function imwrite(img: tf.Tensor, filename?: string, options?: ImwriteOptions): Promise<Blob> {
  const fn = 'imwrite';
  assertImage(fn, 'img', img);
  const opts = checkImwriteOptions<ImwriteOptions>(fn, options, ['format', 'quality']);
  let format: ImageFormat = opts.format ?? 'png';
  if (filename !== undefined) {
    if (typeof filename !== 'string') throw typeError(fn, 'filename', 'a file name ending in .png or .jpg', filename);
    format = requireFormat(fn, 'filename', filename, 'a file name');
    if (opts.format !== undefined && opts.format !== format) {
      throw new RangeError(
        `${fn}: 'options.format' is '${opts.format}' but the file name ${JSON.stringify(filename)} says '${format}'`,
      );
    }
    if (typeof document === 'undefined') {
      throw new Error(
        `${fn}: cannot download ${JSON.stringify(filename)} without a page (no document); call imwrite(img) for the Blob`,
      );
    }
  }
  const quality = jpegQuality(fn, opts.quality, format);
  const blob =
    format === 'png'
      ? new Blob([(await encodePng(img)) as Uint8Array<ArrayBuffer>], { type: 'image/png' })
      : await encodeJpeg(img, quality);
  if (filename !== undefined) {
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename.split(/[\\/]/).pop() as string;
    a.style.display = 'none';
    document.body.append(a);
    a.click();
    a.remove();
    // Revoking at once can cancel the download in some browsers; give it time.
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  }
  return blob;
}

/** A JPEG Blob of `img` by the browser's codec, through an OffscreenCanvas (workers too) or a page's canvas. */
async function encodeJpeg(img: tf.Tensor, quality: number): Promise<Blob> {
  const [height, width] = img.shape;
  const { canvas, ctx } = sizedCanvas('imwrite', width, height, 'the image');
  const px = await toPixels8(img);
  ctx.putImageData(new ImageData(rgbaOf(px), px.width, px.height), 0, 0);
  const type = 'image/jpeg';
  if (isA(canvas, 'OffscreenCanvas'))
    return (canvas as OffscreenCanvas).convertToBlob({ type, quality: quality / 100 });
  return new Promise((resolve, reject) =>
    (canvas as HTMLCanvasElement).toBlob(
      (b) => (b ? resolve(b) : reject(new Error('imwrite: the canvas made no JPEG'))),
      type,
      quality / 100,
    ),
  );
}
