/**
 * Replacing a TF.js kernel with the library's (a fix of one TF.js gets wrong, or a faster one), and handing the
 * engine a result computed with TF.js operations inside such a kernel. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The modules that replace TF.js's kernels, by file name, in the order their wraps nest, innermost first: the
 * library's faster wasm kernels (`net/wasmKernels.ts`) right around TF.js's, then the fixes of what TF.js's wasm,
 * WebGPU and WebGL kernels answer wrong (`wasmKernelFixes.ts`, `webgpuKernelFixes.ts`, `highRankKernels.ts`), the
 * strided slice (`stridedSlice.ts`), the fixes for every backend (`kernelFixes.ts`), and the argument checks
 * (`argumentChecks.ts`) outermost, so that a call is checked before any of them runs. A module wraps a kernel once;
 * another module's wrap of the same kernel goes around or inside it.
 */
export const REPLACERS = [
  'wasmKernels',
  'wasmKernelFixes',
  'webgpuKernelFixes',
  'highRankKernels',
  'stridedSlice',
  'kernelFixes',
  'argumentChecks',
] as const;

/** One of {@link REPLACERS}. */
export type Replacer = (typeof REPLACERS)[number];

type Wrap = (inner: tf.KernelFunc) => tf.KernelFunc;

/** A kernel the library has replaced: the kernel function registered before, each replacer's wrap, and the result. */
interface Replacement {
  readonly original: tf.KernelFunc;
  readonly wraps: Map<Replacer, Wrap>;
  kernelFunc: tf.KernelFunc;
}

/** The kernels `replaceKernel` replaced, by backend and kernel name. */
const replacements = new Map<string, Replacement>();

/**
 * Puts `wrap` around kernel `name` on `backend`, as `by`'s: the kernel then runs every replacer's wrap, nested in the
 * order of {@link REPLACERS} whatever order they came in, around the kernel function registered before (TF.js's, with
 * its setup: the wasm kernels bind to the module when the backend starts). Each replacer wraps a kernel once: asking
 * again does nothing, so it can run before every pass at the cost of a lookup. Does nothing either when the backend
 * has not registered the kernel yet (backends register theirs when first imported). When a backend registers its
 * kernel anew, the wraps start over around that one.
 */
export function replaceKernel(name: string, backend: string, by: Replacer, wrap: Wrap): void {
  const current = tf.getKernel(name, backend);
  if (current === undefined) return;
  const key = `${backend}/${name}`;
  let replacement = replacements.get(key);
  if (replacement !== undefined && current.kernelFunc === replacement.kernelFunc) {
    if (replacement.wraps.has(by)) return;
  } else {
    replacement = { original: current.kernelFunc, wraps: new Map(), kernelFunc: current.kernelFunc };
    replacements.set(key, replacement);
  }
  replacement.wraps.set(by, wrap);
  const { original, wraps } = replacement;
  let fixed = original;
  for (const replacer of REPLACERS) fixed = wraps.get(replacer)?.(fixed) ?? fixed;
  const kernelFunc: tf.KernelFunc = (args) => (bypass ? original(args) : fixed(args));
  replacement.kernelFunc = kernelFunc;
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...current, kernelFunc });
}

/**
 * The kernel function beneath the library's wraps of kernel `name` on `backend`, when they are in place; undefined
 * otherwise. Lets a module that registers a kernel of its own see that its kernel is already in place, wrapped by a
 * check or fix, rather than replace the wrapper (and have it put back) every pass.
 */
export function replacedKernel(name: string, backend: string): tf.KernelFunc | undefined {
  const replacement = replacements.get(`${backend}/${name}`);
  const current = tf.getKernel(name, backend);
  return current !== undefined && current.kernelFunc === replacement?.kernelFunc ? replacement.original : undefined;
}

/**
 * Whether `backend`'s kernels are registered with TF.js (its package imported): one lookup, where
 * `tf.getKernelsForBackend` walks every kernel of every backend (70 to 130 µs a call in Node.js, and this is asked
 * before every pass). Every backend registers `Add`.
 */
export function hasKernels(backend: string): boolean {
  return tf.getKernel(tf.Add, backend) !== undefined;
}

/** Set while {@link tfjsKernels} runs: the library's replacements then hand every call to TF.js's kernel. */
let bypass = false;

/**
 * Runs `f` with TF.js's own kernels in place of the library's replacements: for a fix that computes with the kernel it
 * replaces (TF.js's result, then corrected), without calling itself again.
 */
export function tfjsKernels<T>(f: () => T): T {
  const outer = bypass;
  bypass = true;
  try {
    return f();
  } finally {
    bypass = outer;
  }
}

/**
 * `out`'s data handed to the engine as the result of the kernel running on `backend`: its reference is taken before
 * the tensor is freed, so nothing leaks and nothing is copied.
 */
export function asKernelResult(backend: unknown, out: tf.Tensor): tf.TensorInfo {
  (backend as { incRef(dataId: tf.DataId): void }).incRef(out.dataId);
  const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  out.dispose();
  return info;
}

/**
 * Whether a kernel that takes a parameter's values in turn along its flat output (`p[i % size]`, as TF.js's wasm PReLU
 * and its cpu and wasm batch normalization do) gives each element its broadcast value: a single value, or a shape
 * (leading 1s aside) that is the output's last axes.
 */
export function takenInTurn(param: readonly number[], out: readonly number[]): boolean {
  const shape = param.slice(param.findIndex((d) => d !== 1));
  if (shape.length === 0 || param.every((d) => d === 1)) return true;
  return shape.length <= out.length && shape.every((d, i) => d === out[out.length - shape.length + i]);
}
