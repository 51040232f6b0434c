/**
 * What `imwrite` writes, in Node.js and in browsers alike: the file format (from the file name, or asked for) and
 * the JPEG quality, checked before anything is encoded; and the 8-bit pixels as RGBA, which both JPEG encoders take.
 */
import { assertFinite, assertOneOf, assertOptions, rangeError, typeError } from '../internal/validate.js';
import type { Pixels8 } from './pixels.js';

/** The file formats `imwrite` writes. */
export type ImageFormat = 'png' | 'jpeg';

export const IMAGE_FORMATS: readonly ImageFormat[] = ['png', 'jpeg'];

/** MATLAB's default `'Quality'` for JPEG files. */
export const DEFAULT_JPEG_QUALITY = 75;

/** The format a file name asks for by its extension (`.png`, `.jpg`, `.jpeg`, any case), or null. */
export function formatOfName(name: string): ImageFormat | null {
  if (/\.png$/i.test(name)) return 'png';
  if (/\.jpe?g$/i.test(name)) return 'jpeg';
  return null;
}

/** The file name's format, or a RangeError naming `arg` and the extensions `imwrite` writes. */
export function requireFormat(fn: string, arg: string, name: string, label: string): ImageFormat {
  const format = formatOfName(name);
  if (format === null) {
    throw rangeError(fn, arg, `${label} ending in .png, .jpg or .jpeg (the formats imwrite writes)`, name);
  }
  return format;
}

/**
 * Checks `quality` (a number from 0 to 100, for JPEG only) and returns the one to use.
 * @throws {TypeError} for a non-number; {RangeError} outside [0, 100] or given for a PNG file.
 */
export function jpegQuality(fn: string, quality: unknown, format: ImageFormat): number {
  if (quality === undefined) return DEFAULT_JPEG_QUALITY;
  if (typeof quality !== 'number') throw typeError(fn, 'options.quality', 'a number from 0 to 100', quality);
  assertFinite(fn, 'options.quality', quality);
  if (quality < 0 || quality > 100) throw rangeError(fn, 'options.quality', 'a number from 0 to 100', quality);
  if (format !== 'jpeg') {
    throw new RangeError(`${fn}: 'options.quality' applies to JPEG files only; this one is ${format.toUpperCase()}`);
  }
  return quality;
}

/** Checks an options object of `imwrite` with the given keys; a `format` among them must be a known one. */
export function checkImwriteOptions<T extends { format?: ImageFormat; quality?: number }>(
  fn: string,
  options: unknown,
  keys: readonly string[],
): Partial<T> {
  const opts = assertOptions<T>(fn, options, keys);
  if (opts.format !== undefined) assertOneOf(fn, 'options.format', opts.format, IMAGE_FORMATS);
  return opts;
}

/** 8-bit gray or RGB pixels as RGBA (opaque), the layout of ImageData and of jpeg-js. */
export function rgbaOf(px: Pixels8): Uint8ClampedArray<ArrayBuffer> {
  const n = px.width * px.height;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    if (px.channels === 1) {
      const v = px.data[i];
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    } else {
      out[o] = px.data[i * 3];
      out[o + 1] = px.data[i * 3 + 1];
      out[o + 2] = px.data[i * 3 + 2];
    }
    out[o + 3] = 255;
  }
  return out;
}
