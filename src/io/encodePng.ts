/**
 * `encodePng`: an image tensor as the bytes of a PNG file, in Node and in browsers alike.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { assertImage, toPixels8 } from './pixels.js';
import { concatBytes, crc32 } from './imageFormat.js';

/**
 * Encodes an image tensor as an 8-bit PNG file, with MATLAB's `imshow` display rule for its values:
 *
 * - `float32` is shown on the range [0, 1]: each value is clamped to [0, 1], multiplied by 255 and rounded half up
 *   (NaN gives 0, as MATLAB's `im2uint8` does);
 * - `int32` (our stand-in for MATLAB's `uint8`) is written as is; values below 0 or above 255, which a `uint8` cannot
 *   hold, are saturated to 0 and 255.
 *
 * `[h, w]` and `[h, w, 1]` give a gray PNG (colour type 0), `[h, w, 3]` an RGB PNG (colour type 2); no alpha channel.
 * Runs wherever `CompressionStream` exists (Node 18+, current browsers); without it the PNG is written uncompressed
 * (still valid, only larger). Reading this PNG back with `imread` gives the 8-bit values described above.
 *
 * Allocates no tensor; `img` is neither disposed nor changed.
 *
 * @param img The image: `[h, w]`, `[h, w, 1]` or `[h, w, 3]`, dtype `float32` or `int32`, h, w ≥ 1.
 * @returns The bytes of the PNG file.
 * @throws {TypeError} if `img` is not a live float32/int32 tensor.
 * @throws {RangeError} if `img` is not shaped `[h, w]`, `[h, w, 1]` or `[h, w, 3]` with h, w ≥ 1.
 * @example
 * const bytes = await encodePng(tf.tensor2d([[0, 0.5], [1, 2]])); // gray 2×2: 0 128 255 255
 */
export async function encodePng(img: tf.Tensor): Promise<Uint8Array> {
  assertImage('encodePng', 'img', img);
  const px = await toPixels8(img);
  return pngFromPixels(px.data, px.width, px.height, px.channels);
}

// ---- PNG container (internal) -------------------------------------------------------------------------------------

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Scanlines with one filter byte each, the filter chosen per row by the usual heuristic (smallest sum of the filtered
 * bytes read as signed values), which compresses photos well.
 */
function filterRows(data: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const zero = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? data.subarray((y - 1) * stride, y * stride) : zero;
    let best = -1;
    let bestCost = Infinity;
    const dst = out.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let f = 0; f < 5; f++) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = up[i];
        const c = i >= bpp ? up[i - bpp] : 0;
        const pred = f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (row[i] - pred) & 0xff;
        candidate[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        best = f;
        dst.set(candidate);
      }
    }
    out[y * (stride + 1)] = best;
  }
  return out;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length); // largest run without overflow before the modulo
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream of `raw` in stored (uncompressed) deflate blocks: the fallback without `CompressionStream`. */
function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const out = new Uint8Array(2 + raw.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let k = 0; k < blocks; k++) {
    const start = k * 65535;
    const len = Math.min(65535, raw.length - start);
    out[o++] = k === blocks - 1 ? 1 : 0;
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(raw));
  return out;
}

async function zlibDeflate(raw: Uint8Array): Promise<Uint8Array> {
  if (typeof CompressionStream === 'undefined') return zlibStored(raw);
  // 'deflate' is the zlib format (RFC 1950) that PNG's IDAT holds.
  const stream = new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A PNG file of 8-bit gray (1 channel) or RGB (3 channels) pixels, row-major. */
export async function pngFromPixels(
  data: Uint8Array,
  width: number,
  height: number,
  channels: 1 | 3,
): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : 2; // colour type: gray or RGB
  // bytes 10..12: compression 0 (deflate), filter method 0, no interlace
  const idat = await zlibDeflate(filterRows(data, width, height, channels));
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0)),
  ];
  return concatBytes(parts);
}
