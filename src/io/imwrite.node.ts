/**
 * `imwrite` for Node.js: an image tensor to a PNG file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import { typeError, rangeError } from '../internal/validate.js';
import { assertImage } from './pixels.js';
import { encodePng } from './encodePng.js';

/**
 * Writes an image tensor to a PNG file, like MATLAB's `imwrite(A, filename)`, with the value rule of MATLAB's
 * `imshow` (see {@link encodePng}):
 *
 * - `float32` is clamped to [0, 1], multiplied by 255 and rounded half up (NaN gives 0);
 * - `int32` (MATLAB's `uint8`) is written as is, with values outside 0..255 saturated to 0 and 255.
 *
 * `[h, w]` and `[h, w, 1]` give a gray PNG, `[h, w, 3]` an RGB PNG (8 bits, no alpha). Only PNG is written, so
 * `path` must end in `.png` (any case). Missing parent folders are created (like `mkdir -p`); an existing file is
 * replaced. `imread(path)` afterwards returns the 8-bit values (gray as `[h, w]`).
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @param path Where to write: a file path ending in `.png`, or a `file:` URL.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor or `path` is not a string/URL.
 * @throws {RangeError} if `img` has another shape, or `path` is empty, does not end in `.png` or is a non-file URL.
 * @throws {Error} if the folder cannot be created or the file cannot be written (the message names the path).
 * @example
 * await imwrite(mat2gray(act), 'out/channel22.png');
 */
export async function imwrite(img: tf.Tensor, path: string | URL): Promise<void> {
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
    if (path.length === 0) throw rangeError('imwrite', 'path', 'a non-empty file path ending in .png', path);
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
  if (!/\.png$/i.test(file)) {
    throw rangeError('imwrite', 'path', 'a file path ending in .png (only PNG is written)', String(path));
  }
  const bytes = await encodePng(img);
  const label = JSON.stringify(String(path));
  try {
    await mkdir(dirname(file), { recursive: true });
  } catch (err) {
    throw new Error(`imwrite: cannot create the folder of ${label}: ${(err as Error).message}`, { cause: err });
  }
  try {
    await writeFile(file, bytes);
  } catch (err) {
    throw new Error(`imwrite: cannot write ${label}: ${(err as Error).message}`, { cause: err });
  }
}
