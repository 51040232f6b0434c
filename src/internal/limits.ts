/**
 * The limits every function checks before it allocates what its arguments ask for, in one place. A hostile or
 * mistaken argument (a 100000×100000 grid, a 1e-6 scale, a PNG header claiming 2^31 pixels) then fails at once with a
 * RangeError that names the function, the argument, the size asked for and the limit, instead of exhausting memory,
 * trapping the wasm backend (which corrupts later results) or hanging. Raise a limit with {@link setLimits} when
 * real work needs more.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertOptions, rangeError, typeError, withoutHoles } from './validate.js';

/** The limits in force (see {@link getLimits}, {@link setLimits}). */
export interface Limits {
  /**
   * The most elements of any tensor a function computes from its arguments (the output of `imresize` and `imtile`,
   * each activation `activations` computes, a mini-batch of `occlusionSensitivity` or `imageLIME`, `imageLIME`'s
   * samples). 2^27 elements are 512 MiB of float32: about the most a wasm backend (4 GiB of memory, and intermediate
   * copies) can hold safely. On WebGPU, what the device binds in one buffer bounds it further where that is less
   * (32 Mi elements on a device of 128 MiB).
   * @default 134217728
   */
  maxElements: number;
  /**
   * The most pixels (width × height) of an image `imread` decodes, checked from the file's header before any data is
   * inflated or decoded (a "decompression bomb" of a few kilobytes can claim gigapixels).
   * @default 67108864 (8192 × 8192)
   */
  maxPixels: number;
  /**
   * The smallest scale `imresize` accepts (per axis, after sizes are turned into scales). Shrinking by more needs
   * kernels as wide as the image, whose weights alone take gigabytes.
   * @default 0.001
   */
  minScale: number;
  /**
   * The most input pixels one output pixel of `imresize` may depend on per axis (the kernel's taps; with
   * antialiasing, shrinking by s widens a 4-tap bicubic kernel to about 4/s taps).
   * @default 4096
   */
  maxTaps: number;
  /** How long a download (`imread` of an http(s) URL, a model over http) may take, in milliseconds. @default 60000 */
  httpTimeoutMs: number;
  /**
   * The most bytes read from one file or one download: an image for `imread`, a model.json, a weight file, a labels
   * file. A file's size is checked before it is read (and a path that is not a regular file, such as a device or a
   * FIFO, which may never end, is refused); a download's `Content-Length` before its body, and its body as it
   * arrives, so that an endless response stops at the limit instead of filling memory. 1 GiB holds any image within
   * `maxPixels` and the largest TF.js models in use.
   * @default 1073741824 (1 GiB)
   */
  maxFileBytes: number;
  /**
   * The most scans of a JPEG `imread` decodes, counted before decoding (in browsers, before the browser decodes). A
   * progressive JPEG refines its image in scans, and each scan is decoded over the whole image however few bytes it
   * holds, so a file of a few kilobytes of empty scans can keep the decoder busy for hours. Encoders write about 10
   * (libjpeg's progressive default); 256 is NVIDIA's nvImageCodec's default limit for the same reason.
   * @default 256
   */
  maxJpegScans: number;
  /**
   * The most entries of an array argument: class names, layers, classes, frames, sizes and colours. A sparse array
   * (`new Array(2 ** 32 - 1)`) costs its maker nothing, but reading its entries one by one takes seconds and filling
   * its holes gigabytes; it is refused before either. 2^24 is far more than any list of classes or layers in use.
   * @default 16777216
   */
  maxListLength: number;
}

const DEFAULTS: Readonly<Limits> = Object.freeze({
  maxElements: 2 ** 27,
  maxPixels: 2 ** 26,
  minScale: 1e-3,
  maxTaps: 4096,
  httpTimeoutMs: 60_000,
  maxFileBytes: 2 ** 30,
  maxJpegScans: 256,
  maxListLength: 2 ** 24,
});

let current: Readonly<Limits> = DEFAULTS;

/**
 * The limits in force now (a frozen copy).
 * @example
 * const { maxElements } = getLimits(); // 134217728 unless raised with setLimits
 */
export function getLimits(): Readonly<Limits> {
  return current;
}

/**
 * Changes some limits for the whole process (all later calls of every function); returns the limits in force before,
 * so that a caller can restore them. `setLimits('defaults')` restores the defaults.
 *
 * @param changes The limits to change; the others keep their values.
 * @returns The previous limits.
 * @throws {TypeError|RangeError} for an unknown key, or a value that is not a positive finite number (`minScale` in
 *   (0, 1]; the others positive integers).
 * @example
 * const before = setLimits({ maxPixels: 16384 * 16384 }); // read a 16k × 16k scan
 * try { im = await imread('scan.png'); } finally { setLimits(before); }
 */
export function setLimits(changes: Partial<Limits> | 'defaults'): Readonly<Limits> {
  const fn = 'setLimits';
  const previous = current;
  if (changes === 'defaults') {
    current = DEFAULTS;
    return previous;
  }
  const opts = assertOptions<Limits>(fn, changes, Object.keys(DEFAULTS), 'changes');
  const next: Limits = { ...current };
  for (const key of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw typeError(fn, `changes.${key}`, 'a number', v);
    const ok = key === 'minScale' ? v > 0 && v <= 1 : Number.isInteger(v) && v > 0;
    if (!ok || !Number.isFinite(v)) {
      throw rangeError(fn, `changes.${key}`, key === 'minScale' ? 'a number in (0, 1]' : 'a positive integer', v);
    }
    next[key] = v;
  }
  current = Object.freeze(next);
  return previous;
}

/**
 * The most elements one tensor can have on a backend's device, by backend name, where that is less than any limit a
 * user would set: a WebGPU device binds at most `maxStorageBufferBindingSize` bytes of one buffer (128 MiB on many),
 * and TF.js computes zeros, without an error, for a tensor larger than that.
 */
const deviceCaps = new Map<string, number>();

/** Records the most elements one tensor can have on `backend`'s device (null: no cap). @internal */
export function setDeviceElementCap(backend: string, elements: number | null): void {
  if (elements === null) deviceCaps.delete(backend);
  else deviceCaps.set(backend, elements);
}

/**
 * The most elements a tensor may have now: `maxElements`, or fewer on a backend whose device holds fewer in one
 * tensor; `device` names that backend when its cap is the smaller.
 */
export function elementLimit(): { max: number; device: string | null } {
  const backend = tf.engine().backendName;
  const cap = backend == null ? undefined : deviceCaps.get(backend);
  return cap !== undefined && cap < current.maxElements
    ? { max: cap, device: backend }
    : { max: current.maxElements, device: null };
}

/** A count with thousands separators, as messages about sizes print it: `67,108,864`. */
export const formatCount = (n: number): string => n.toLocaleString('en-US');

/**
 * Checks that a tensor of `shape` that `fn` is about to compute stays within `maxElements`; `arg` names the argument
 * that asked for it and `what` the tensor (`'an output'`, `"layer 'conv1'"`); `where: 'host'` for an array in
 * JavaScript memory, which a device's cap on one tensor does not bound. Call it before allocating anything.
 * @throws {RangeError} `fn: 'arg' asks for <what> of N elements [shape] (B MiB as float32); the limit is M elements
 *   (limits.maxElements; raise it with setLimits)`
 */
export function assertElements(
  fn: string,
  arg: string,
  shape: readonly number[],
  what = 'a tensor',
  where: 'device' | 'host' = 'device',
): void {
  const n = shape.reduce((a, b) => a * b, 1);
  // What lives in JavaScript memory (LIME's table of samples) is bounded by maxElements alone.
  const { max, device } = where === 'host' ? { max: current.maxElements, device: null } : elementLimit();
  if (n > max) {
    const mib = (n * 4) / 2 ** 20;
    const which = device
      ? `what the ${device} device holds in one tensor, its maxStorageBufferBindingSize; ask for less at a time, or use the wasm backend`
      : 'limits.maxElements; raise it with setLimits';
    throw new RangeError(
      `${fn}: '${arg}' asks for ${what} of ${formatCount(n)} elements [${shape.join(', ')}] ` +
        `(${mib >= 10 ? Math.round(mib) : mib.toFixed(1)} MiB as float32); the limit is ${formatCount(max)} elements ` +
        `(${which})`,
    );
  }
}

/**
 * Checks an image's pixel count against `maxPixels` (call it with the size read from the file's header).
 * @throws {RangeError} naming the image, its size and the limit.
 */
export function assertPixels(fn: string, label: string, width: number, height: number): void {
  const max = current.maxPixels;
  if (width * height > max) {
    throw new RangeError(
      `${fn}: ${label} is a ${width}×${height} image (${formatCount(width * height)} pixels); the limit is ${formatCount(max)} ` +
        `pixels (limits.maxPixels; raise it with setLimits)`,
    );
  }
}

/**
 * Checks a JPEG's number of scans (`label` names it) against `maxJpegScans`, before it is decoded.
 * @throws {RangeError} naming the file, its scans and the limit.
 */
export function assertJpegScans(fn: string, label: string, scans: number): void {
  const max = current.maxJpegScans;
  if (scans > max) {
    throw new RangeError(
      `${fn}: ${label} is a JPEG of ${formatCount(scans)} scans, each decoded over the whole image; the limit is ` +
        `${formatCount(max)} scans (limits.maxJpegScans; raise it with setLimits)`,
    );
  }
}

/**
 * Checks the size of a file or download (`label` names it) against `maxFileBytes`; `atLeast`: `bytes` is how much
 * of a body of unknown size had arrived (the message then says it sent more than the limit).
 * @throws {RangeError} naming the file, its size and the limit.
 */
export function assertFileBytes(fn: string, label: string, bytes: number, atLeast = false): void {
  const max = current.maxFileBytes;
  if (bytes > max) {
    const size = atLeast ? 'sent more than the limit of' : `is ${formatCount(bytes)} bytes; the limit is`;
    throw new RangeError(
      `${fn}: ${label} ${size} ${formatCount(max)} bytes (limits.maxFileBytes; raise it with setLimits)`,
    );
  }
}

/**
 * An array argument ready to be checked: refused when longer than `maxListLength` (before any entry is read), with
 * its holes filled by `undefined` so that the checks see them (see `withoutHoles`). Anything that is not an array is
 * returned as it is, for the caller's own checks. Every function reads its array arguments through this.
 * @throws {RangeError} `fn: expected 'arg' to be an array of at most N entries (limits.maxListLength; raise it with
 *   setLimits), got [...] (array of length L)`
 */
export function listArg(fn: string, arg: string, value: unknown): unknown {
  if (Array.isArray(value) && value.length > current.maxListLength) {
    throw rangeError(
      fn,
      arg,
      `an array of at most ${formatCount(current.maxListLength)} ${current.maxListLength === 1 ? 'entry' : 'entries'} ` +
        '(limits.maxListLength; raise it with setLimits)',
      value,
    );
  }
  return withoutHoles(value);
}

/**
 * An argument that is one value or a non-empty array of them (layers, classes, channels): each is checked by `each`,
 * named `arg` alone or `arg[i]` in an array, after the array passed {@link listArg}. `list` says which it was, so
 * that one value keeps its result's shape.
 * @throws {RangeError} for an empty array (`what` says what was expected), or what `each` throws.
 */
export function oneOrList<T>(
  fn: string,
  arg: string,
  value: unknown,
  what: string,
  each: (v: unknown, name: string) => T,
): { items: T[]; list: boolean } {
  if (!Array.isArray(value)) return { items: [each(value, arg)], list: false };
  const list = listArg(fn, arg, value) as unknown[];
  if (list.length === 0) throw rangeError(fn, arg, what, value);
  return { items: list.map((v, i) => each(v, `${arg}[${i}]`)), list: true };
}
