/**
 * `imread` for browsers (and web workers): URLs, files, `<img>`, bitmaps, canvases and `ImageData` as int32 image
 * tensors. Never imports a Node.js module.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  checkWaitOptions,
  httpStatus,
  readWhole,
  startWait,
  urlLabel,
  type WaitOptions,
} from '../internal/abortable.js';
import { backendReady } from '../internal/backendStart.js';
import { assertJpegScans, assertPixels } from '../internal/limits.js';
import { assertAttached, assertOptions, rangeError, typeError } from '../internal/validate.js';
import { declaredSize, jpegScanCount, withoutOrientation } from './imageFormat.js';
import {
  assertSize,
  drawAndRead,
  isA,
  type PixelData,
  type PixelDataInfo,
  readPixelSource,
  refuseResponse,
} from './imageInput.js';

/** What `imread` reads in a browser. */
export type ImreadSource =
  | string
  | URL
  | Blob
  | Uint8Array
  | ArrayBuffer
  | HTMLImageElement
  | ImageBitmap
  | ImageData
  | PixelData
  | PixelDataInfo
  | HTMLCanvasElement
  | OffscreenCanvas
  | HTMLVideoElement
  | VideoFrame;

const FN = 'imread';
const SOURCE_WHAT =
  'a URL, a Blob/File, the bytes of an image (Uint8Array/ArrayBuffer), an HTMLImageElement, an ImageBitmap, ' +
  'ImageData, raw pixels { data, width, height } or { data, info }, an HTMLCanvasElement, an OffscreenCanvas, an HTMLVideoElement ' +
  '(its current frame) or a VideoFrame';

/** Options of `imread`: a timeout and a signal for a URL's download. */
export interface ImreadOptions extends WaitOptions {}

/**
 * Reads an image in a browser, like MATLAB's `im = imread(filename)`: the browser decodes it (PNG, JPEG and whatever
 * else it supports: GIF's first frame, WebP, AVIF, BMP...) and the pixels come back as an int32 tensor `[h, w, 3]` of
 * values 0..255 in R, G, B order (our stand-in for MATLAB's `uint8`).
 *
 * Differences from MATLAB and from the Node.js `imread`, all due to how browsers decode:
 * - the result is **always `[h, w, 3]`**: browsers decode every image to RGBA, so a gray file gives three equal
 *   channels (Node's `imread` and MATLAB give `[h, w]`);
 * - **alpha is dropped**; a canvas stores colours premultiplied by alpha, so pixels that are not fully opaque may come
 *   back off by rounding (fully transparent ones as black);
 * - 16-bit PNGs come back as 8 bits: Chromium keeps each sample's high byte (`v >> 8`), where MATLAB and Node's
 *   `imread` give `round(v / 257)`, so values may be 1 lower (0x01FF gives 1, not 2); a palette PNG as its RGB colours;
 * - for URLs, Blobs and bytes the file's colour profile and gamma are ignored (`colorSpaceConversion: 'none'`), so
 *   values are those stored in the file; an `<img>` element, an `ImageBitmap` or a canvas is read as the browser
 *   already rendered it, which may include colour management;
 * - JPEG decoders differ by about ±1–2 levels from MATLAB's libjpeg. The EXIF orientation of a JPEG or PNG is not
 *   applied, as MATLAB and Node's `imread` do not apply it, when the file comes as a URL, a Blob or bytes (an `<img>`
 *   is read as the browser shows it, turned).
 *
 * A program that has started no TF.js backend (no `initBackend()`, no backend imported) gets one started as
 * `initBackend()` would, before the tensor is made.
 *
 * `source` is one of: a URL (string, relative to the page, or `URL`; fetched with `fetch`, so a cross-origin URL needs
 * CORS), a `Blob`/`File`, the bytes of an image file (`Uint8Array`/`ArrayBuffer`), an `HTMLImageElement` (awaited if
 * still loading), an `ImageBitmap`, an `ImageData` or raw {@link PixelData}, an `HTMLCanvasElement`, an
 * `OffscreenCanvas`, an `HTMLVideoElement` (its current frame) or a WebCodecs `VideoFrame` (drawn at its display
 * size; it is not closed).
 *
 * @param source Where the image comes from (see above).
 * @returns A new int32 tensor `[h, w, 3]` that the caller owns. `source` is not changed or closed.
 * @throws {TypeError} if `source` is none of the kinds above.
 * @throws {RangeError} for an empty URL; an image or canvas of width or height 0; an image of more pixels than
 *   `limits.maxPixels` (64 Mi by default; see {@link setLimits}), refused before the browser decodes it when it is a
 *   PNG, JPEG, GIF, BMP, WebP, ICO or AVIF file; a download of more bytes than `limits.maxFileBytes` (1 GiB by
 *   default); or an image larger than this browser lets a canvas be.
 * @throws {Error} if the URL cannot be fetched, the data cannot be decoded as an image, an `<img>` failed to load, or
 *   the pixels may not be read (a cross-origin image without CORS). Every message names the source.
 * @param options `signal` and `timeoutMs` for a URL's download (default `limits.httpTimeoutMs`, 60 s); ignored for
 *   other sources.
 * @example
 * const im = await imread('images/face.png');            // int32 [227, 227, 3]
 * const im2 = await imread(document.querySelector('img')!);
 * const im3 = await imread(fileInput.files![0]);
 */
export async function imread(source: ImreadSource, options?: ImreadOptions): Promise<tf.Tensor3D> {
  return (await read(source, options)) as tf.Tensor3D;
}

async function read(source: ImreadSource, options?: ImreadOptions): Promise<tf.Tensor> {
  const opts = assertOptions<ImreadOptions>(FN, options, ['signal', 'timeoutMs']);
  checkWaitOptions(FN, opts);
  // A source that is no object (a number, null, an empty URL) is refused before a backend starts: that start takes
  // time and, on a page that has none yet, would choose its backend.
  if (source === '') throw rangeError(FN, 'source', 'a non-empty URL', source);
  if (source === null || (typeof source !== 'object' && typeof source !== 'string'))
    throw typeError(FN, 'source', SOURCE_WHAT, source);
  await backendReady(FN);
  if (typeof source === 'string' || source instanceof URL) {
    const href = String(source);
    if (href.length === 0) throw rangeError(FN, 'source', 'a non-empty URL', source);
    const label = urlLabel(href);
    const wait = startWait(FN, label, opts);
    let blob: Blob;
    try {
      let response: Response;
      try {
        response = await wait.fetch(source);
      } catch (err) {
        throw (
          wait.stopped() ??
          new Error(`${FN}: cannot fetch ${label}: ${(err as Error).message} (a cross-origin URL needs CORS headers)`, {
            cause: err,
          })
        );
      }
      if (!response.ok) throw new Error(`${FN}: cannot fetch ${label}: ${httpStatus(response)}`);
      blob = await readWhole(FN, label, wait, () => response.blob());
    } finally {
      wait.done();
    }
    return readBlob(blob, label);
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    assertAttached(FN, 'source', source);
    const n = source.byteLength;
    return readBlob(new Blob([source as Uint8Array<ArrayBuffer>]), `the given ${n} bytes`);
  }
  if (isA(source, 'Blob')) {
    const blob = source as Blob;
    const name = isA(blob, 'File') ? JSON.stringify((blob as File).name) : `the given Blob`;
    return readBlob(blob, `${name} (${blob.size} bytes${blob.type ? ', ' + blob.type : ''})`);
  }
  if (isA(source, 'HTMLImageElement')) {
    const img = source as HTMLImageElement;
    const label = `the <img> ${JSON.stringify(img.currentSrc || img.src || '(no src)')}`;
    if (!img.complete || img.naturalWidth === 0) {
      try {
        await img.decode();
      } catch (err) {
        throw new Error(`${FN}: cannot read ${label}: the image did not load or could not be decoded`, { cause: err });
      }
    }
    assertSize(FN, 'source', img.naturalWidth, img.naturalHeight, 'HTMLImageElement');
    return drawAndRead(FN, img, img.naturalWidth, img.naturalHeight, label);
  }
  if (isA(source, 'ImageBitmap')) {
    const bitmap = source as ImageBitmap;
    assertSize(FN, 'source', bitmap.width, bitmap.height, 'ImageBitmap');
    return drawAndRead(FN, bitmap, bitmap.width, bitmap.height, 'the given ImageBitmap');
  }
  if (isA(source, 'HTMLCanvasElement') || isA(source, 'OffscreenCanvas')) {
    const canvas = source as HTMLCanvasElement | OffscreenCanvas;
    assertSize(FN, 'source', canvas.width, canvas.height, 'canvas');
    return drawAndRead(FN, canvas, canvas.width, canvas.height, `the given ${(canvas as object).constructor.name}`);
  }
  const pixels = readPixelSource(FN, 'source', source); // ImageData, raw pixels, a <video>'s frame, a VideoFrame
  if (pixels?.rank === 2) {
    // Gray raw pixels: three equal channels, as a browser gives every image.
    const rgb = tf.tidy(() => tf.tile(tf.expandDims(pixels, 2), [1, 1, 3]));
    pixels.dispose();
    return rgb;
  }
  if (pixels) return pixels;
  refuseResponse(FN, 'source', source);
  throw typeError(FN, 'source', SOURCE_WHAT, source);
}

/**
 * How much of a file's start is searched for its size: a JPEG's frame header follows its metadata segments (EXIF,
 * ICC profiles), each up to 64 KiB.
 */
const HEADER_BYTES = 1 << 20;

/**
 * Decodes a Blob with the browser's decoder, ignoring colour profiles, and reads its pixels. The size its header
 * declares is held to `limits.maxPixels` first, and a JPEG's scans to `limits.maxJpegScans`, before the browser
 * decodes (and allocates) anything.
 */
async function readBlob(given: Blob, label: string): Promise<tf.Tensor> {
  const head = new Uint8Array(await given.slice(0, HEADER_BYTES).arrayBuffer());
  const size = declaredSize(head);
  if (size) assertPixels(FN, label, size.width, size.height);
  // A JPEG's scans, counted over the whole file: the browser's decoder, too, decodes each over the whole image.
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) {
    const whole = head.length < given.size ? new Uint8Array(await given.arrayBuffer()) : head;
    assertJpegScans(FN, label, jpegScanCount(whole));
  }
  // The EXIF orientation of a JPEG or PNG, which the browser would apply, set to "as stored" (it is near the start).
  const stored = withoutOrientation(head);
  const blob =
    stored === head
      ? given
      : new Blob([stored as Uint8Array<ArrayBuffer>, given.slice(head.length)], { type: given.type });
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (err) {
    throw new Error(
      `${FN}: cannot read ${label}: the browser cannot decode it as an image (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  try {
    return drawAndRead(FN, bitmap, bitmap.width, bitmap.height, label);
  } finally {
    bitmap.close();
  }
}
