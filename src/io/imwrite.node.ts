/**
 * `imwrite` for Node.js: an image tensor to a PNG or JPEG file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { assertWritablePath } from '../internal/files.node.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import jpeg from 'jpeg-js';
import { typeError, rangeError } from '../internal/validate.js';
import { assertImage, toPixels8 } from './pixels.js';
import { encodePng } from './encodePng.js';
import { checkImwriteOptions, jpegQuality, requireFormat, rgbaOf } from './imwriteFormat.js';

/** Options of {@link imwrite} in Node.js. */
export interface ImwriteOptions {
  /**
   * JPEG quality from 0 to 100, MATLAB's `'Quality'`: higher is closer to the image and larger. JPEG files only.
   * @default 75
   */
  quality?: number;
}

/**
 * Writes an image tensor to a PNG or JPEG file, like MATLAB's `imwrite(A, filename)` and
 * `imwrite(A, filename, 'Quality', q)`, with the value rule of MATLAB's `imshow` (see {@link encodePng}):
 *
 * - `float32` is clamped to [0, 1], multiplied by 255 and rounded half up (NaN gives 0);
 * - `int32` (MATLAB's `uint8`) is written as is, with values outside 0..255 saturated to 0 and 255.
 *
 * The file name's extension picks the format: `.png` (lossless; `[h, w]` and `[h, w, 1]` give a gray PNG,
 * `[h, w, 3]` an RGB PNG, 8 bits, no alpha; `imread` afterwards returns the same 8-bit values, gray as `[h, w]`) or
 * `.jpg`/`.jpeg` (lossy, at `options.quality`, 75 by default as in MATLAB; encoded by `jpeg-js`, which writes every
 * JPEG as three-channel YCbCr, so a gray image reads back as `[h, w, 3]` with equal channels). Missing parent folders
 * are created (like `mkdir -p`); an existing file is replaced.
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @param path Where to write: a file path ending in `.png`, `.jpg` or `.jpeg` (any case), or a `file:` URL.
 * @param options `quality` for JPEG files; see {@link ImwriteOptions}.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor, `path` is not a string/URL, or an option has the
 *   wrong type.
 * @throws {RangeError} if `img` has another shape; `path` is empty, has another extension or is a non-file URL; or
 *   `quality` is outside [0, 100] or given for a PNG file.
 * @throws {Error} if the folder cannot be created, the path is a device, FIFO or socket (refused before it is
 *   opened: a write to a FIFO waits for a reader), or the file cannot be written (the message names the path).
 * @example
 * await imwrite(mat2gray(act), 'out/channel22.png');
 * await imwrite(im, 'out/face.jpg', { quality: 90 }); // MATLAB: imwrite(im, 'face.jpg', 'Quality', 90)
 */
export async function imwrite(img: tf.Tensor, path: string | URL, options?: ImwriteOptions): Promise<void> {
  assertImage('imwrite', 'img', img);
  let file: string;
  const fileUrl = (url: URL | string) => {
    try {
      return fileURLToPath(url);
    } catch {
      throw rangeError(
        'imwrite',
        'path',
        'a file path or an absolute file: URL of this machine (file:///...)',
        String(url),
      );
    }
  };
  if (path instanceof URL) {
    if (path.protocol !== 'file:') throw rangeError('imwrite', 'path', 'a file path or a file: URL', path.href);
    file = fileUrl(path);
  } else if (typeof path === 'string') {
    if (path.length === 0) throw rangeError('imwrite', 'path', 'a non-empty file path ending in .png or .jpg', path);
    // A string with a URL scheme of two letters or more (http:, https:, data:, file:) is a URL, not a relative path
    // ("C:\..." stays a Windows path): only file: URLs name a file to write, and only absolute ones (file:///...).
    const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(path)?.[1]?.toLowerCase();
    if (scheme !== undefined && scheme !== 'file') {
      throw rangeError('imwrite', 'path', 'a file path or a file: URL (imwrite writes files only)', path);
    }
    if (scheme === 'file' && !/^file:\/\//i.test(path)) {
      throw rangeError('imwrite', 'path', 'a file path or an absolute file: URL of this machine (file:///...)', path);
    }
    file = scheme === 'file' ? fileUrl(path) : path;
  } else {
    throw typeError('imwrite', 'path', 'a file path (string) or a file: URL', path);
  }
  const format = requireFormat('imwrite', 'path', String(path), 'a file path');
  const opts = checkImwriteOptions<ImwriteOptions>('imwrite', options, ['quality']);
  const quality = jpegQuality('imwrite', opts.quality, format);
  const bytes = format === 'png' ? await encodePng(img) : await encodeJpeg(img, quality);
  const label = JSON.stringify(String(path));
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (err) {
    throw new Error(`imwrite: cannot create the folder of ${label}: ${(err as Error).message}`, { cause: err });
  }
  await assertWritablePath('imwrite', file, label);
  try {
    await writeFile(file, bytes);
  } catch (err) {
    throw new Error(`imwrite: cannot write ${label}: ${(err as Error).message}`, { cause: err });
  }
}

/** The bytes of a baseline JPEG file of `img` at `quality` (0..100), by jpeg-js. */
async function encodeJpeg(img: tf.Tensor, quality: number): Promise<Uint8Array> {
  const px = await toPixels8(img);
  const { data } = jpeg.encode({ data: rgbaOf(px), width: px.width, height: px.height }, quality);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
