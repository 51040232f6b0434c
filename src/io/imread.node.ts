/**
 * `imread` for Node.js: PNG and JPEG files, URLs and bytes as int32 image tensors.
 */
import { inflateSync } from 'node:zlib';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { checkWaitOptions, httpStatus, readWhole, startWait, type WaitOptions } from '../internal/abortable.js';
import { backendReady } from '../internal/backendStart.js';
import { readRegularFile, readRegularFileSync } from '../internal/files.node.js';
import { assertAttached, assertOptions, rangeError, typeError } from '../internal/validate.js';
import { assertFileBytes, assertJpegScans, assertPixels, getLimits } from '../internal/limits.js';
import {
  jpegComponentCount,
  jpegFrame,
  jpegHasEnd,
  jpegScanCount,
  pngDataLength,
  pngHeader,
  pngImageData,
  pngLength,
  pngStructureProblem,
  sniffImageFormat,
  withoutColorKey,
} from './imageFormat.js';
import { type PixelData, type PixelDataInfo, readPixelSource, refuseResponse } from './imageInput.js';
import { rgbaToTensor } from './pixels.js';

/**
 * What `imread` reads in Node: a file path, a `file:`, `http(s):` or `data:` URL, the bytes of a PNG/JPEG file (also
 * as a `Blob`), or raw pixels.
 */
export type ImreadSource = string | URL | Uint8Array | ArrayBuffer | Blob | PixelData | PixelDataInfo;

const FN = 'imread';
const SOURCE_WHAT =
  'a file path, a URL (file, http, https or data), the bytes of a PNG/JPEG file (Uint8Array or Blob) or raw pixels ' +
  '{ data, width, height } or { data, info } (sharp)';

/**
 * Reads a PNG or JPEG image, like MATLAB's `im = imread(filename)`. The format is recognised from the file's first
 * bytes, never from its name.
 *
 * What comes back is an int32 tensor of values 0..255 (our stand-in for MATLAB's `uint8`):
 *
 * | file | result |
 * |---|---|
 * | RGB PNG/JPEG | `[h, w, 3]`, channels in R, G, B order |
 * | gray PNG/JPEG | `[h, w]` (as MATLAB: no channel dimension) |
 * | RGBA / gray+alpha PNG | `[h, w, 3]` / `[h, w]`: **the alpha channel is dropped** (MATLAB returns it separately, as a 3rd output) |
 * | palette PNG | `[h, w, 3]` RGB from the palette (**MATLAB** returns the index image and the colormap; here the colours) |
 * | 16-bit PNG | scaled to 8 bits as `round(v / 257)`, the result of MATLAB's `im2uint8(imread(file))` (MATLAB's `imread` alone returns `uint16`, which TF.js lacks) |
 * | 1/2/4-bit gray PNG | scaled to 0..255 (e.g. 1-bit: 0 and 255) |
 * | CMYK JPEG | converted to `[h, w, 3]` RGB (MATLAB returns the 4 CMYK channels) |
 *
 * A program that has started no TF.js backend (no `initBackend()`, no backend imported) gets one started as
 * `initBackend()` would, before the tensor is made.
 *
 * Colour values are returned as stored: no gamma or ICC colour management, and JPEG EXIF orientation is not applied (as
 * MATLAB's default). A PNG's `tRNS` colour key does not change any pixel. Bytes after a PNG's IEND chunk are ignored,
 * as browsers and libpng ignore them. Stricter than a browser: a PNG whose image data inflates to more bytes than its
 * header needs is refused as corrupt (the surplus is never inflated: it could be a decompression bomb), where Chromium
 * shows the part the header covers. JPEG is decoded by `jpeg-js`, which upsamples subsampled chroma by pixel
 * replication: on 4:2:0 files values may differ from MATLAB's libjpeg by a few levels (4:4:4 and gray files agree to
 * about ±1).
 *
 * `source` is one of:
 * - a file path (relative to the current directory), or a `file:` URL (string or `URL`);
 * - an `http:`/`https:`/`data:` URL (string or `URL`), fetched with the global `fetch`;
 * - the bytes of a PNG or JPEG file: a `Uint8Array` (a Node `Buffer` is one), an `ArrayBuffer`, or a `Blob` (a
 *   `File`, or what `fs.openAsBlob` gives);
 * - raw {@link PixelData}: RGBA, RGB or gray bytes with their width and height, e.g. a Node canvas library's `ImageData`;
 *   or {@link PixelDataInfo}, sharp's raw output `{ data, info }` (gray, gray and alpha, RGB or RGBA).
 *
 * @param source Where the image comes from (see above).
 * @param options `signal` and `timeoutMs` for a download (default `limits.httpTimeoutMs`, 60 s for the whole
 *   response); ignored for files and bytes.
 * @returns A new int32 tensor `[h, w, 3]` or `[h, w]` that the caller owns.
 * @throws {TypeError} if `source` is none of the kinds above.
 * @throws {RangeError} for an empty path or a URL of another protocol; an image whose header declares more pixels
 *   than `limits.maxPixels` (64 Mi by default; see {@link setLimits}), refused before anything is decoded; or a file
 *   or download of more bytes than `limits.maxFileBytes` (1 GiB by default), refused before it is read or as it
 *   arrives.
 * @throws {Error} if the file does not exist, is not a regular file (a device or a FIFO) or cannot be read, if a URL
 *   cannot be fetched, if the data is not PNG or JPEG (the message says what was found), or if it is corrupt or
 *   truncated. Every message names the source.
 * @example
 * const im = await imread('examples/images/face.png'); // int32 [227, 227, 3]
 * const bytes = await imread(await fs.promises.readFile('photo.jpg'));
 */
export async function imread(source: ImreadSource, options?: ImreadOptions): Promise<tf.Tensor3D | tf.Tensor2D> {
  const opts = assertOptions<ImreadOptions>(FN, options, ['signal', 'timeoutMs']);
  checkWaitOptions(FN, opts);
  // A source that is no object (a number, null, a malformed path or URL) is refused before a backend starts: that
  // start takes time and, in a program that has none yet, would choose its backend.
  if (source === null || typeof source !== 'object' || source instanceof URL) locate(FN, 'source', source, SOURCE_WHAT);
  await backendReady(FN);
  const pixels = readPixelSource(FN, 'source', source);
  if (pixels) return pixels as tf.Tensor3D;
  const { bytes, label } = await load(source, opts);
  return decodeImage(bytes, label) as tf.Tensor3D | tf.Tensor2D;
}

/** Options of `imread`: a timeout and a signal for what it downloads (http, https URLs). */
export interface ImreadOptions extends WaitOptions {}

type Located =
  | { kind: 'bytes'; bytes: Uint8Array; label: string }
  | { kind: 'path'; path: string; given: string }
  | { kind: 'url'; url: URL };

/** What `source` is: bytes, a file (a path or a `file:` URL) or a URL to download. */
function locate(fn: string, arg: string, source: unknown, what: string): Located {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) assertAttached(fn, arg, source);
  if (source instanceof Uint8Array) return { kind: 'bytes', bytes: source, label: `the given ${source.length} bytes` };
  if (source instanceof ArrayBuffer)
    return { kind: 'bytes', bytes: new Uint8Array(source), label: `the given ${source.byteLength} bytes` };
  let url: URL | undefined;
  if (source instanceof URL) url = source;
  else if (typeof source === 'string') {
    if (source.length === 0) throw rangeError(fn, arg, 'a non-empty file path or URL', source);
    // A scheme of two or more letters makes a URL; "C:\..." (one letter) stays a Windows path.
    if (/^[a-z][a-z0-9+.-]+:/i.test(source)) {
      try {
        url = new URL(source);
      } catch {
        throw rangeError(fn, arg, 'a file path or a valid URL', source);
      }
    }
  } else {
    throw typeError(fn, arg, what, source);
  }
  if (url) {
    if (url.protocol === 'file:') {
      let path: string;
      try {
        path = fileURLToPath(url);
      } catch {
        throw rangeError(fn, arg, 'a file: URL of this machine (file:///path)', String(source));
      }
      return { kind: 'path', path, given: String(source) };
    }
    if (url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'data:') return { kind: 'url', url };
    throw rangeError(fn, arg, 'a file path or a file, http, https or data URL', String(source));
  }
  return { kind: 'path', path: source as string, given: source as string };
}

/** The bytes of `source` and how to name it in messages (`"face.png"`, `the given 1234 bytes`). */
async function load(source: unknown, opts: WaitOptions): Promise<{ bytes: Uint8Array; label: string }> {
  if (source instanceof Blob) {
    const name = source instanceof File ? JSON.stringify(source.name) : 'the given Blob';
    const label = `${name} (${source.size} bytes${source.type ? ', ' + source.type : ''})`;
    assertFileBytes(FN, label, source.size);
    return { bytes: new Uint8Array(await source.arrayBuffer()), label };
  }
  refuseResponse(FN, 'source', source);
  const at = locate(FN, 'source', source, SOURCE_WHAT);
  if (at.kind === 'bytes') return at;
  if (at.kind === 'url') return fetchUrl(at.url, opts);
  return readPath(at.path, at.given, FN);
}

/**
 * The synchronous reader of the network functions (`activations(net, 'face.png', ...)`): PNG/JPEG bytes and files
 * as `imread` reads them, with `fn` in messages. A URL to download is refused: that needs `await imread(url)`.
 * Registered with `setImageDecoder` by the Node entry, which calls it for bytes, strings and URLs only.
 */
export function readImageSync(fn: string, source: unknown): tf.Tensor {
  const at = locate(fn, 'img', source, SOURCE_WHAT);
  if (at.kind === 'url') {
    throw new TypeError(
      `${fn}: 'img' is a URL to download, which is asynchronous; read it first: \`await imread(url)\``,
    );
  }
  const { bytes, label } = at.kind === 'bytes' ? at : readPathSync(at.path, at.given, fn);
  return decodeImage(bytes, label, fn);
}

/** The error for a file that cannot be read. */
function fileError(fn: string, path: string, label: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    const where = isAbsolute(path) ? '' : ` (looked for ${resolve(path)})`;
    return new Error(`${fn}: file ${label} not found${where}`, { cause: err });
  }
  if (code === 'EISDIR') return new Error(`${fn}: ${label} is a directory, not an image file`, { cause: err });
  if (err instanceof Error && err.message.startsWith(`${fn}: `)) return err; // the size and kind checks' own
  return new Error(`${fn}: cannot read file ${label}: ${(err as Error).message}`, { cause: err });
}

async function readPath(path: string, given: string, fn: string): Promise<{ bytes: Uint8Array; label: string }> {
  const label = JSON.stringify(given);
  try {
    return { bytes: await readRegularFile(fn, path, label), label };
  } catch (err) {
    throw fileError(fn, path, label, err);
  }
}

function readPathSync(path: string, given: string, fn: string): { bytes: Uint8Array; label: string } {
  const label = JSON.stringify(given);
  try {
    return { bytes: readRegularFileSync(fn, path, label), label };
  } catch (err) {
    throw fileError(fn, path, label, err);
  }
}

async function fetchUrl(url: URL, opts: WaitOptions): Promise<{ bytes: Uint8Array; label: string }> {
  const shown = url.protocol === 'data:' && url.href.length > 60 ? url.href.slice(0, 57) + '...' : url.href;
  const label = JSON.stringify(shown);
  const wait = startWait(FN, label, opts);
  try {
    let response: Response;
    try {
      response = await wait.fetch(url);
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause;
      const detail = cause?.message ? `${(err as Error).message} (${cause.message})` : (err as Error).message;
      throw wait.stopped() ?? new Error(`${FN}: cannot fetch ${label}: ${detail}`, { cause: err });
    }
    if (!response.ok) throw new Error(`${FN}: cannot fetch ${label}: ${httpStatus(response)}`);
    return { bytes: new Uint8Array(await readWhole(FN, label, wait, () => response.arrayBuffer())), label };
  } finally {
    wait.done();
  }
}

/** Decodes PNG or JPEG bytes (recognised by their signature) to an int32 tensor; `label` names them in errors. */
function decodeImage(bytes: Uint8Array, label: string, fn = FN): tf.Tensor {
  const sniffed = sniffImageFormat(bytes);
  if ('found' in sniffed) {
    throw new Error(`${fn}: cannot read ${label}: expected a PNG or JPEG image, found ${sniffed.found}`);
  }
  return sniffed.format === 'png' ? decodePng(bytes, label, fn) : decodeJpeg(bytes, label, fn);
}

/**
 * Checks a PNG's pixel data before the decoder sees it, so that what comes back is always what the file holds: the
 * header's size within `limits.maxPixels` (before anything is inflated: a few kilobytes can claim gigapixels), image
 * data present, a valid zlib stream, and exactly as many inflated bytes as the header needs (no more: inflation
 * stops there; no fewer: a decoder would fill the rest with zeros or stale memory).
 */
function checkPngData(bytes: Uint8Array, label: string, fn: string): void {
  const hdr = pngHeader(bytes);
  assertPixels(fn, label, hdr.width, hdr.height);
  const data = pngImageData(bytes);
  if (data.length === 0)
    throw new Error(`${fn}: cannot read ${label}: corrupt PNG (it has no image data, no IDAT chunk)`);
  const expected = pngDataLength(hdr);
  let inflated: Buffer;
  try {
    inflated = inflateSync(data, { maxOutputLength: expected + 1 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new Error(
        `${fn}: cannot read ${label}: corrupt PNG (its image data holds more than the ${expected} bytes its ` +
          `${hdr.width}×${hdr.height} header needs)`,
        { cause: err },
      );
    }
    const why = code === 'Z_BUF_ERROR' ? 'it stops before its end' : (err as Error).message;
    throw new Error(`${fn}: cannot read ${label}: corrupt PNG (its image data is not a valid zlib stream: ${why})`, {
      cause: err,
    });
  }
  if (inflated.length !== expected) {
    throw new Error(
      `${fn}: cannot read ${label}: corrupt PNG (its image data holds ${inflated.length} bytes where its ` +
        `${hdr.width}×${hdr.height} header needs ${expected})`,
    );
  }
}

function decodePng(given: Uint8Array, label: string, fn: string): tf.Tensor {
  // Chunks and checksums first: pngjs's own messages for damaged files are often misleading.
  const problem = pngStructureProblem(given);
  if (problem) throw new Error(`${fn}: cannot read ${label}: ${problem}`);
  // Up to IEND: pngjs refuses anything after it ("unrecognised content at end of stream"), where browsers and
  // libpng (MATLAB's imread) read the image and ignore the rest.
  const bytes = given.subarray(0, pngLength(given));
  checkPngData(bytes, label, fn);
  let png: ReturnType<typeof pngjs.PNG.sync.read>;
  try {
    // pngjs expands palettes to RGBA, scales 1/2/4/16-bit samples to 8 bits (round(v * 255 / max)), gray to R=G=B.
    const clean = withoutColorKey(bytes);
    png = pngjs.PNG.sync.read(Buffer.from(clean.buffer, clean.byteOffset, clean.byteLength));
  } catch (err) {
    throw new Error(`${fn}: cannot read ${label}: corrupt PNG (${(err as Error).message})`, { cause: err });
  }
  // `color` is false for gray and gray+alpha; a palette counts as colour.
  return rgbaToTensor(png.data, png.width, png.height, png.color ? 3 : 1);
}

function decodeJpeg(bytes: Uint8Array, label: string, fn: string): tf.Tensor {
  const frame = jpegFrame(bytes);
  if (frame?.arithmetic) {
    throw new Error(
      `${fn}: cannot read ${label}: arithmetic-coded JPEG (SOF${frame.marker - 0xc0}) is not supported; ` +
        'save it as a baseline or progressive (Huffman-coded) JPEG, or as PNG',
    );
  }
  if (frame) assertPixels(fn, label, frame.width, frame.height);
  assertJpegScans(fn, label, jpegScanCount(bytes));
  const components = jpegComponentCount(bytes);
  const maxPixels = getLimits().maxPixels;
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxPixels / 1e6,
      // RGBA output plus jpeg-js's own component buffers, with room to spare.
      maxMemoryUsageInMB: Math.ceil((maxPixels * 12) / 2 ** 20) + 64,
    });
  } catch (err) {
    const problem = jpegHasEnd(bytes) ? 'corrupt JPEG' : 'truncated JPEG (no end-of-image marker)';
    // jpeg-js says what it found with an Error of its own; a TypeError or RangeError is JavaScript's, thrown where
    // the decoder followed malformed data (a scan naming a component or table the file never defines), which says
    // nothing to the reader. It stays the cause.
    const own = !(err instanceof TypeError || err instanceof RangeError);
    const detail = own ? (err as Error).message : 'malformed data the decoder could not follow';
    throw new Error(`${fn}: cannot read ${label}: ${problem}: ${detail}`, { cause: err });
  }
  return rgbaToTensor(image.data, image.width, image.height, components === 1 ? 1 : 3);
}
