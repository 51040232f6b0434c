/**
 * `imwrite` for browsers: an image tensor as a PNG Blob, optionally downloaded. Never imports a Node.js module.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { typeError, rangeError } from '../internal/validate.js';
import { assertImage } from './pixels.js';
import { encodePng } from './encodePng.js';

/**
 * Encodes an image tensor as a PNG file, like MATLAB's `imwrite(A, filename)`, and returns it as a `Blob`
 * (`image/png`). With a file name, the browser also downloads it under that name (the page's `<a download>`
 * mechanism; folders in the name are dropped by the browser). The same call works in Node.js, where it writes the file.
 *
 * Values follow MATLAB's `imshow` rule (see {@link encodePng}): float32 clamped to [0, 1], ×255, rounded half up
 * (NaN → 0); int32 as is, saturated to 0..255. `[h, w]`/`[h, w, 1]` give a gray PNG, `[h, w, 3]` an RGB PNG.
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @param filename If given, download the PNG under this name; it must end in `.png`.
 * @returns The PNG file as a Blob.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor, or `filename` is not a string.
 * @throws {RangeError} if `img` has another shape, or `filename` is empty or does not end in `.png`.
 * @throws {Error} if a download is asked for where there is no page (in a worker).
 * @example
 * const blob = await imwrite(imtile(frames));             // just the PNG
 * await imwrite(mat2gray(act), 'channel22.png');           // and download it
 */
export async function imwrite(img: tf.Tensor, filename?: string): Promise<Blob> {
  assertImage('imwrite', 'img', img);
  if (filename !== undefined) {
    if (typeof filename !== 'string') throw typeError('imwrite', 'filename', 'a file name ending in .png', filename);
    if (!/\.png$/i.test(filename)) {
      throw rangeError('imwrite', 'filename', 'a file name ending in .png (only PNG is written)', filename);
    }
    if (typeof document === 'undefined') {
      throw new Error(
        `imwrite: cannot download ${JSON.stringify(filename)} without a page (no document); call imwrite(img) for the Blob`,
      );
    }
  }
  const bytes = await encodePng(img);
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' });
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
