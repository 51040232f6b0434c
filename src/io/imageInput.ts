/**
 * Images in any form, where a function takes an image for a network (`activations`, `classify`, `gradCAM`, ...):
 * tensors, what a browser draws (`<img>`, `<canvas>`, `OffscreenCanvas`, `ImageData`, `ImageBitmap`, `<video>`,
 * `VideoFrame`), and, in Node.js, PNG/JPEG bytes and file paths. Reading is synchronous: browsers read their sources
 * through a 2D canvas here; the Node entry registers a decoder for bytes and paths (`setImageDecoder`), so this file
 * imports no Node.js module. Also the canvas reading `imread` uses in browsers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertPixels, formatCount } from '../internal/limits.js';
import { assertAttached, rangeError, typeError } from '../internal/validate.js';
import { sizedCanvas } from './canvas.js';
import { rgbaToTensor } from './pixels.js';

/** What a browser can draw and this library reads synchronously: the current frame of a video, a loaded image, ... */
export type PixelSource =
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | ImageBitmap
  | HTMLVideoElement
  | VideoFrame;

/**
 * Raw 8-bit pixels and their size, on any platform: what the canvas libraries of Node.js give for `getImageData`
 * (node-canvas, `@napi-rs/canvas`, skia-canvas), TF.js's own `PixelData`, the images `pngjs` and `jpeg-js` decode
 * to, or pixels from elsewhere. `data` holds `height` rows of `width` pixels, top row first, each pixel 4 bytes (R,
 * G, B, A, as `ImageData`), 3 (R, G, B) or 1 (gray, read as `[h, w]`); its length tells which. The alpha channel is
 * dropped, as for `ImageData`.
 *
 * @example
 * const ctx = createCanvas(227, 227).getContext('2d'); // node-canvas
 * activations(net, ctx.getImageData(0, 0, 227, 227), 'conv1');
 */
export interface PixelData {
  /** `width * height * 4` (RGBA), `width * height * 3` (RGB) or `width * height` (gray) samples, row by row. */
  data: Uint8Array | Uint8ClampedArray;
  /** Pixels a row, at least 1. */
  width: number;
  /** Rows, at least 1. */
  height: number;
}

/**
 * Raw 8-bit pixels with their size under `info`, as sharp gives them
 * (`await sharp(file).raw().toBuffer({ resolveWithObject: true })`). `info.channels` says how many samples a pixel
 * has: 1 (gray), 2 (gray and alpha), 3 (RGB) or 4 (RGBA); the alpha is dropped, and gray reads as `[h, w]`.
 * `info.depth`, when given, must be `'uchar'` (8-bit samples, sharp's default).
 *
 * @example
 * const raw = await sharp('face.jpg').resize(227, 227).raw().toBuffer({ resolveWithObject: true });
 * classify(net, raw);
 */
export interface PixelDataInfo {
  /** `width * height * channels` samples, row by row. */
  data: Uint8Array | Uint8ClampedArray;
  /** What sharp reports of the pixels (other fields are ignored). */
  info: {
    /** Pixels a row, at least 1. */
    width: number;
    /** Rows, at least 1. */
    height: number;
    /** Samples a pixel: 1, 2, 3 or 4 (alpha last). When absent, the length of `data` tells (3 or 4). */
    channels?: number;
    /** The samples' type; only `'uchar'` (8 bits) is read. */
    depth?: string;
  };
}

/**
 * An image as the network functions take it: a tensor (int32 or float32, values 0..255), raw {@link PixelData} or
 * {@link PixelDataInfo}, a {@link PixelSource} in browsers, or in Node.js the bytes of a PNG or JPEG file
 * (`Uint8Array`, `Buffer`, `ArrayBuffer`) or its path. Anything but a tensor is read as int32 `[h, w, 3]` (`[h, w]` for
 * a gray file in Node.js), as `imread` reads it.
 */
export type ImageInput = tf.Tensor | PixelSource | PixelData | PixelDataInfo | Uint8Array | ArrayBuffer | string | URL;

/** Where images that are not tensors are described in messages. */
export const IMAGE_FORMS =
  'raw pixels { data, width, height } or { data, info } (sharp), PNG/JPEG bytes or a file path (Node.js), or an <img>, <canvas>, ' +
  'OffscreenCanvas, ImageData, ImageBitmap, <video> or VideoFrame (browsers)';

/**
 * Whether `value` is meant as {@link PixelData}: `data` bytes beside a `width` or a `height` (the two are checked when
 * read, so that one missing is named rather than the whole object refused).
 */
function isPixelData(value: unknown): value is PixelData {
  if (typeof value !== 'object' || value === null) return false;
  const { data, width, height } = value as Record<string, unknown>;
  return (
    (data instanceof Uint8Array || data instanceof Uint8ClampedArray) && (width !== undefined || height !== undefined)
  );
}

/** Whether `value` is meant as {@link PixelDataInfo}: `data` bytes beside an `info` object, and no size of its own. */
function isPixelDataInfo(value: unknown): value is PixelDataInfo {
  if (typeof value !== 'object' || value === null) return false;
  const { data, info, width, height } = value as Record<string, unknown>;
  return (
    (data instanceof Uint8Array || data instanceof Uint8ClampedArray) &&
    typeof info === 'object' &&
    info !== null &&
    width === undefined &&
    height === undefined
  );
}

/**
 * Raw pixels as an int32 `[h, w, 3]` tensor (`[h, w]` for gray), after checking that their size and length agree.
 * `at` is where the size is (`img`, or `img.info`); `info` holds what {@link PixelDataInfo} adds.
 */
function readPixelData(
  fn: string,
  arg: string,
  pixels: PixelData,
  at = arg,
  info?: { channels?: unknown; depth?: unknown },
): tf.Tensor {
  const { data, width, height } = pixels;
  for (const [side, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof value !== 'number') throw typeError(fn, `${at}.${side}`, 'an integer >= 1', value);
    if (!Number.isInteger(value) || value < 1) throw rangeError(fn, `${at}.${side}`, 'an integer >= 1', value);
  }
  // A 16-bit or float sample would be read byte by byte: wrong numbers, no error.
  if (info?.depth !== undefined && info.depth !== 'uchar') {
    throw rangeError(fn, `${at}.depth`, "'uchar' (8-bit samples, as .raw() gives by default)", info.depth);
  }
  const given = info?.channels;
  if (given !== undefined && (typeof given !== 'number' || ![1, 2, 3, 4].includes(given))) {
    throw (typeof given === 'number' ? rangeError : typeError)(fn, `${at}.channels`, '1, 2, 3 or 4', given);
  }
  const channels = given as number | undefined;
  assertPixels(fn, 'the given pixel data', width, height);
  assertAttached(fn, `${arg}.data`, data);
  const n = width * height;
  if (channels !== undefined && data.length !== channels * n) {
    throw new RangeError(
      `${fn}: expected '${arg}.data' to hold ${width}×${height} pixels of ${channels} samples ('${at}.channels'), ` +
        `${formatCount(channels * n)} bytes, got ${formatCount(data.length)}`,
    );
  }
  // Without a channel count, the length tells: 4, 3 or 1 bytes a pixel (2 is left out: 16-bit gray has that length).
  if (channels === undefined && data.length !== 4 * n && data.length !== 3 * n && data.length !== n) {
    throw new RangeError(
      `${fn}: expected '${arg}.data' to hold ${width}×${height} pixels of 4 bytes (RGBA, ${formatCount(4 * n)}), ` +
        `3 (RGB, ${formatCount(3 * n)}) or 1 (gray, ${formatCount(n)}), got ${formatCount(data.length)}`,
    );
  }
  const samples = data.length / n;
  if (samples === 4) return rgbaToTensor(data, width, height, 3);
  if (samples === 3) return tf.tensor3d(Int32Array.from(data), [height, width, 3], 'int32');
  const gray = new Int32Array(n);
  for (let i = 0; i < n; i++) gray[i] = data[i * samples];
  return tf.tensor2d(gray, [height, width], 'int32');
}

/** Reads bytes, a path or a `file:` URL to an int32 image, synchronously. Registered by the Node entry. */
export type ImageDecoder = (fn: string, source: Uint8Array | ArrayBuffer | string | URL) => tf.Tensor;

let decoder: ImageDecoder | undefined;

/** Registers the platform's synchronous decoder for bytes and paths (the Node entry does, at load). @internal */
export function setImageDecoder(d: ImageDecoder): void {
  decoder = d;
}

/** `value instanceof name` for a class that a given context may lack (no `HTMLImageElement` in a worker or Node). */
export function isA(value: unknown, name: string): boolean {
  const ctor = (globalThis as Record<string, unknown>)[name];
  return typeof ctor === 'function' && value instanceof (ctor as new (...args: never[]) => unknown);
}

/**
 * A non-tensor image as a new int32 tensor, or undefined when `value` is no image form this platform reads (the
 * caller then reports what it expected). Bytes and paths in a browser, which cannot be decoded synchronously there,
 * and an `<img>` or `<video>` with nothing loaded yet, throw an Error that says what to do.
 */
export function readImageInput(fn: string, arg: string, value: unknown): tf.Tensor | undefined {
  const pixels = readPixelSource(fn, arg, value);
  if (pixels) return pixels;
  if (isA(value, 'Response')) {
    throw new TypeError(
      `${fn}: '${arg}' is a fetch Response, whose body is read only asynchronously; read it first: ` +
        '`await imread(new Uint8Array(await response.arrayBuffer()))`',
    );
  }
  if (isA(value, 'Blob')) {
    throw new TypeError(
      `${fn}: '${arg}' is a ${isA(value, 'File') ? 'File' : 'Blob'}, whose bytes are read only asynchronously; ` +
        'read it first: `await imread(blob)`',
    );
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) assertAttached(fn, arg, value);
  if (
    value instanceof Uint8Array ||
    value instanceof ArrayBuffer ||
    typeof value === 'string' ||
    value instanceof URL
  ) {
    if (decoder) return decoder(fn, value);
    throw new TypeError(
      `${fn}: '${arg}' is ${typeof value === 'string' || value instanceof URL ? 'a URL' : 'the bytes of a file'}, ` +
        'which a browser decodes only asynchronously; read it first: `await imread(source)`',
    );
  }
  return undefined;
}

/** A browser's drawable, or raw {@link PixelData}, as a new int32 `[h, w, 3]` tensor; undefined for anything else. */
export function readPixelSource(fn: string, arg: string, value: unknown): tf.Tensor | undefined {
  if (isA(value, 'ImageData')) {
    const data = value as ImageData;
    assertSize(fn, arg, data.width, data.height, 'ImageData');
    assertPixels(fn, 'the given ImageData', data.width, data.height);
    assertAttached(fn, `${arg}.data`, data.data); // a transferred ImageData keeps its size but reads as black
    return rgbaToTensor(data.data, data.width, data.height, 3);
  }
  if (isPixelData(value)) return readPixelData(fn, arg, value);
  if (isPixelDataInfo(value)) {
    const { data, info } = value;
    return readPixelData(fn, arg, { data, width: info.width, height: info.height }, `${arg}.info`, info);
  }
  if (isA(value, 'HTMLImageElement')) {
    const img = value as HTMLImageElement;
    const label = `the <img> ${JSON.stringify(img.currentSrc || img.src || '(no src)')}`;
    if (!img.complete || img.naturalWidth === 0) {
      throw new Error(
        `${fn}: ${label} has not loaded (or failed to); wait for it (\`await img.decode()\`) or read it with ` +
          '`await imread(img)`',
      );
    }
    return drawAndRead(fn, img, img.naturalWidth, img.naturalHeight, label);
  }
  if (isA(value, 'HTMLVideoElement')) {
    const video = value as HTMLVideoElement;
    const label = `the <video> ${JSON.stringify(video.currentSrc || video.src || '(no src)')}`;
    // HAVE_CURRENT_DATA (2): a frame is there to draw.
    if (video.readyState < 2 || video.videoWidth === 0) {
      throw new Error(
        `${fn}: ${label} has no frame yet (readyState ${video.readyState}); wait for its 'loadeddata' event`,
      );
    }
    return drawAndRead(fn, video, video.videoWidth, video.videoHeight, `the current frame of ${label}`);
  }
  if (isA(value, 'VideoFrame')) {
    // A WebCodecs frame (a camera track's, a decoder's) draws at its display size. A closed one has no format.
    const frame = value as VideoFrame;
    if (frame.format === null && frame.displayWidth === 0) {
      throw new Error(`${fn}: the given VideoFrame is closed; read a frame before closing it`);
    }
    assertSize(fn, arg, frame.displayWidth, frame.displayHeight, 'VideoFrame');
    return drawAndRead(fn, frame, frame.displayWidth, frame.displayHeight, 'the given VideoFrame');
  }
  if (isA(value, 'ImageBitmap')) {
    const bitmap = value as ImageBitmap;
    assertSize(fn, arg, bitmap.width, bitmap.height, 'ImageBitmap');
    return drawAndRead(fn, bitmap, bitmap.width, bitmap.height, 'the given ImageBitmap');
  }
  if (isA(value, 'HTMLCanvasElement') || isA(value, 'OffscreenCanvas')) {
    const canvas = value as HTMLCanvasElement | OffscreenCanvas;
    assertSize(fn, arg, canvas.width, canvas.height, 'canvas');
    return drawAndRead(fn, canvas, canvas.width, canvas.height, `the given ${(canvas as object).constructor.name}`);
  }
  return undefined;
}

/**
 * Refuses a fetch `Response` given to `imread`: its body is the caller's download, read under the caller's rules
 * (`imread` holds its own downloads to `limits.maxFileBytes` and a timeout), so the bytes or the URL are asked for.
 */
export function refuseResponse(fn: string, arg: string, value: unknown): void {
  if (isA(value, 'Response')) {
    throw new TypeError(
      `${fn}: '${arg}' is a fetch Response; pass its bytes (\`new Uint8Array(await response.arrayBuffer())\`) or ` +
        'its URL',
    );
  }
}

/** Refuses a drawable of width or height 0. */
export function assertSize(fn: string, arg: string, width: number, height: number, what: string): void {
  if (!(width > 0 && height > 0)) {
    throw new RangeError(`${fn}: expected '${arg}' to have width and height >= 1, got a ${width}×${height} ${what}`);
  }
}

/** Draws `image` at its own size on a fresh 2D canvas and reads the RGBA pixels back as int32 `[h, w, 3]`. */
export function drawAndRead(
  fn: string,
  image: CanvasImageSource,
  width: number,
  height: number,
  label: string,
): tf.Tensor {
  assertPixels(fn, label, width, height);
  const { ctx } = sizedCanvas(fn, width, height, label, { willReadFrequently: true });
  ctx.drawImage(image, 0, 0);
  let data: ImageData;
  try {
    data = ctx.getImageData(0, 0, width, height);
  } catch (err) {
    throw new Error(
      `${fn}: cannot read the pixels of ${label}: ${(err as Error).message} (a cross-origin image needs CORS: ` +
        `serve it with Access-Control-Allow-Origin and set img.crossOrigin = 'anonymous')`,
      { cause: err },
    );
  }
  return rgbaToTensor(data.data, width, height, 3);
}
