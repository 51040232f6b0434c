/**
 * Argument checks shared by every public function. Each check runs before any tensor is allocated and throws a
 * `TypeError` (wrong kind) or `RangeError` (bad value) whose message names the function, the argument, what was
 * expected and what came:
 *
 *   imtile: expected 'input' to be a rank-4 tensor [n, h, w, c] with c in {1, 3}, got rank 3 [113, 113, 64] float32
 *
 * Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * A short description of any value, for error messages: `rank 3 [113, 113, 64] float32`, `"spoons" (string)`. An
 * array's items are described two levels deep at most, so that an array holding itself ends.
 */
export function describeValue(value: unknown, depth = 0): string {
  if (isTensor(value)) {
    if (value.isDisposed) return `a disposed tensor`;
    return `rank ${value.rank} [${value.shape.join(', ')}] ${value.dtype}`;
  }
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return `${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)} (string)`;
  if (typeof value === 'number') return `${Number.isNaN(value) ? 'NaN' : String(value)} (number)`;
  if (typeof value === 'boolean' || typeof value === 'bigint') return `${String(value)} (${typeof value})`;
  if (Array.isArray(value)) {
    // Array.from, so that a hole of a sparse array shows as undefined.
    const items = Array.from(value.slice(0, 6), (v) => {
      if (typeof v !== 'object' || v === null) return String(v);
      if (depth < 2) return describeValue(v, depth + 1);
      return Array.isArray(v) ? `array of length ${v.length}` : 'an object';
    });
    return `[${items.join(', ')}${value.length > 6 ? ', ...' : ''}] (array of length ${value.length})`;
  }
  if (value instanceof DataView) return `a DataView of ${value.byteLength} bytes`;
  if (ArrayBuffer.isView(value))
    return `${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  if (typeof value === 'function') return 'a function';
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
}

/**
 * Whether `value` is a real `tf.Tensor` of the TF.js in use: an object whose prototype chain holds `Tensor.prototype`.
 * (`value instanceof tf.Tensor` is duck-typed in TF.js: any object with `data`, `dataSync` and `throwIfDisposed` passes.)
 */
export function isTensor(value: unknown): value is tf.Tensor {
  return typeof value === 'object' && value !== null && Object.prototype.isPrototypeOf.call(tf.Tensor.prototype, value);
}

/**
 * An error that TF.js (or another library) threw, as one of ours: `fn: <context>: <its message>`, of the same class
 * (RangeError, TypeError or Error), with the original as its `cause`. An error whose message already starts with
 * `fn: ` is the library's own and is returned unchanged.
 */
export function wrapError(fn: string, context: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.startsWith(`${fn}: `)) return err as Error;
  return rethrowAs(`${fn}: ${context}`, err);
}

/**
 * `err` as an error of the same class (RangeError, TypeError or Error) whose message is `<prefix>: <its message>`,
 * with the original as its `cause`. For a part that a public function's message wraps in turn (`wrapError`).
 */
export function rethrowAs(prefix: string, err: unknown): Error {
  const msg = err instanceof Error ? err.message : String(err);
  const Kind = err instanceof RangeError ? RangeError : err instanceof TypeError ? TypeError : Error;
  return new Kind(`${prefix}: ${msg}`, { cause: err });
}

/** `fn: expected 'arg' to be <expected>, got <description of value>` as a TypeError. */
export function typeError(fn: string, arg: string, expected: string, value: unknown): TypeError {
  return new TypeError(`${fn}: expected '${arg}' to be ${expected}, got ${describeValue(value)}`);
}

/** `fn: expected 'arg' to be <expected>, got <description of value>` as a RangeError. */
export function rangeError(fn: string, arg: string, expected: string, value: unknown): RangeError {
  return new RangeError(`${fn}: expected '${arg}' to be ${expected}, got ${describeValue(value)}`);
}

export interface TensorRequirement {
  /** Allowed ranks, e.g. `[2, 3]`. */
  ranks?: readonly number[];
  /** Allowed dtypes; default: `float32` and `int32`. */
  dtypes?: readonly tf.DataType[];
  /** Text for the message, e.g. `an image [h, w] or [h, w, c]`. */
  what?: string;
}

/**
 * Checks that `value` is a live `tf.Tensor` of an allowed rank and dtype; returns it typed.
 * Throws TypeError for a non-tensor or a wrong dtype, RangeError for a wrong rank, TypeError for a disposed tensor.
 */
export function assertTensor(fn: string, arg: string, value: unknown, req: TensorRequirement = {}): tf.Tensor {
  const dtypes = req.dtypes ?? (['float32', 'int32'] as const);
  const what =
    req.what ?? `a ${req.ranks ? `rank-${req.ranks.join('/')} ` : ''}tf.Tensor of dtype ${dtypes.join(' or ')}`;
  if (!isTensor(value)) throw typeError(fn, arg, what, value);
  if (value.isDisposed) throw new TypeError(`${fn}: '${arg}' is a disposed tensor; it can no longer be used`);
  if (!dtypes.includes(value.dtype)) {
    // The dtypes once: a `what` that names them already is not repeated.
    throw typeError(fn, arg, what.includes('dtype') ? what : `${what} (dtype ${dtypes.join(' or ')})`, value);
  }
  if (req.ranks && !req.ranks.includes(value.rank)) throw rangeError(fn, arg, what, value);
  return value;
}

/**
 * An array argument with its holes filled by `undefined` (`[, 227]` → `[undefined, 227]`), so that the checks see
 * them: `every`, `some`, `forEach` and `map` skip the holes of a sparse array, which would let them through
 * unchecked. Anything that is not an array is returned as it is. Check (and then use) what this returns.
 */
export function withoutHoles(value: unknown): unknown {
  return Array.isArray(value) ? Array.from(value) : value;
}

/**
 * Whether a number stays finite once rounded to float32, the dtype of pixels and activations: `1e39` is finite in
 * JavaScript but Infinity there, and a value that overflows makes every pixel it touches Infinity or NaN.
 */
export function finiteAsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

/**
 * Throws when the memory behind `value` was transferred away (postMessage or structuredClone with `transfer`, to a
 * worker say). A detached buffer reads as 0 bytes, and pixels over one as black: named here rather than read so.
 */
export function assertAttached(fn: string, arg: string, value: ArrayBufferLike | ArrayBufferView): void {
  const buffer = ArrayBuffer.isView(value) ? value.buffer : value;
  // Only an ArrayBuffer of 0 bytes can be detached; `detached` is newer than some engines (Node.js 20 lacks it).
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength !== 0) return;
  let detached = (buffer as { detached?: boolean }).detached;
  if (detached === undefined) {
    try {
      new Uint8Array(buffer);
      detached = false;
    } catch {
      detached = true; // a view of a detached buffer cannot be made
    }
  }
  if (detached) {
    throw new TypeError(
      `${fn}: '${arg}' is detached: its memory was transferred away (by postMessage or structuredClone) and can no ` +
        'longer be read; pass a copy',
    );
  }
}

/** Checks an integer within [min, max]; TypeError for a non-number, RangeError for a bad value. */
export function assertInteger(fn: string, arg: string, value: unknown, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'an integer', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    const bounds =
      min > -Infinity && max < Infinity
        ? ` in [${min}, ${max}]`
        : min > -Infinity
          ? ` >= ${min}`
          : max < Infinity
            ? ` <= ${max}`
            : '';
    throw rangeError(fn, arg, `an integer${bounds}`, value);
  }
  return value;
}

/** Checks a finite number; TypeError for a non-number, RangeError for NaN or ±Infinity. */
export function assertFinite(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(fn, arg, 'a finite number', value);
  if (!Number.isFinite(value)) throw rangeError(fn, arg, 'a finite number', value);
  return value;
}

/**
 * Refuses, with a hint, one of an option's choices given where the options object goes (MATLAB's
 * `imresize(I, 0.5, 'bilinear')`, or `initBackend('cpu')`): "pass the method as { method: 'bilinear' }".
 */
export function assertNotPositional(fn: string, options: unknown, option: string, choices: readonly string[]): void {
  if (typeof options === 'string' && choices.includes(options)) {
    const err = typeError(fn, 'options', 'an options object', options);
    err.message += `; pass the ${option} as { ${option}: '${options}' }`;
    throw err;
  }
}

/**
 * The known option or choice that `name` spells in another case (MATLAB's `'OutputAs'` for `outputAs`, `'Bilinear'`
 * for `'bilinear'`), if any.
 */
export function optionCased(name: string, known: readonly string[]): string | undefined {
  return known.find((k) => k.toLowerCase() === name.toLowerCase());
}

/**
 * MATLAB's name-value options that no function takes here, by their lower-cased name, with what to do instead: the
 * hint an unknown option of that name gets.
 */
const MATLAB_ONLY_OPTIONS: Readonly<Record<string, string>> = {
  executionenvironment:
    "MATLAB's ExecutionEnvironment is chosen once for the process here: await initBackend({ backend: 'webgpu' }) " +
    "(or 'wasm', 'cpu'; see docs/backends.md)",
  acceleration: "MATLAB's Acceleration has no counterpart: TF.js compiles and caches its kernels by itself",
  verbose: "MATLAB's Verbose prints progress; a long function here reports it to options.onProgress, where it has one",
  minibatchsize:
    "MATLAB's MiniBatchSize is taken where many images run: predict and activations (a batch), occlusionSensitivity " +
    'and imageLIME (their masked images)',
  algorithm:
    "MATLAB's tsne Algorithm has one choice here: tsne is exact (MATLAB's default, Barnes-Hut, approximates it for " +
    'many rows)',
  theta: "MATLAB's tsne Theta tunes its Barnes-Hut approximation; tsne here is exact",
  numpcacomponents: "MATLAB's tsne NumPCAComponents has no counterpart: pass fewer columns (a pooled layer's rows)",
  options: "MATLAB's tsne Options structure: its MaxIter is options.maxIterations here",
};

/**
 * Checks that `options` is undefined or a plain object, and that it has no unknown keys (typos fail loudly). Returns
 * a copy holding only its own known properties, on a null prototype: a value inherited from `Object.prototype` (a
 * polluted prototype) is never read as an option. A MATLAB habit gets a hint: name-value pairs as arguments
 * (`'OutputAs', 'rows'`), or an option's name in MATLAB's case.
 */
export function assertOptions<T extends object>(
  fn: string,
  options: unknown,
  known: readonly string[],
  arg = 'options',
): Partial<T> {
  const own = Object.create(null) as Partial<T>;
  if (options === undefined) return own;
  if (options === null || typeof options !== 'object' || Array.isArray(options) || isTensor(options)) {
    const err = typeError(fn, arg, 'an options object', options);
    const pair = typeof options === 'string' ? optionCased(options, known) : undefined;
    if (pair !== undefined) err.message += `; MATLAB's name-value pairs are one object here: { ${pair}: … }`;
    throw err;
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const cased = optionCased(key, known);
      const matlab = cased === undefined ? MATLAB_ONLY_OPTIONS[key.toLowerCase()] : undefined;
      throw new RangeError(
        `${fn}: unknown option '${key}'; ${cased === undefined ? '' : `did you mean '${cased}'? `}` +
          `${matlab === undefined ? '' : `${matlab}; `}known options are ${known.map((k) => `'${k}'`).join(', ')}`,
      );
    }
    (own as Record<string, unknown>)[key] = (options as Record<string, unknown>)[key];
  }
  return own;
}

/** Checks that `value` is one of `choices` (strings); TypeError for a non-string, RangeError for another string. */
export function assertOneOf<T extends string>(fn: string, arg: string, value: unknown, choices: readonly T[]): T {
  const expected = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw typeError(fn, arg, expected, value);
  if (!choices.includes(value as T)) {
    const err = rangeError(fn, arg, expected, value);
    const cased = optionCased(value, choices);
    if (cased !== undefined) err.message += `; did you mean '${cased}'?`;
    throw err;
  }
  return value as T;
}

/** An option that is one of `choices` (checked as {@link assertOneOf} checks it), or `byDefault` when not given. */
export function optionOneOf<T extends string>(
  fn: string,
  arg: string,
  value: unknown,
  choices: readonly T[],
  byDefault: NoInfer<T>,
): T {
  return value === undefined ? byDefault : assertOneOf(fn, arg, value, choices);
}
