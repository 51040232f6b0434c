/**
 * Replacing a TF.js kernel with the library's (a fix of one TF.js gets wrong, or a faster one), and handing the
 * engine a result computed with TF.js operations inside such a kernel. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernel functions `replaceKernel` registered, by backend and kernel name. */
const ours = new Map<string, tf.KernelFunc>();

/** The kernel function each of those wraps. */
const wrapped = new Map<string, tf.KernelFunc>();

/**
 * Puts `wrap(TF.js's kernel function)` in place of kernel `name` on `backend`, keeping the kernel's setup (the wasm
 * kernels bind to the module when the backend starts). Does nothing when the backend has not registered the kernel
 * yet (backends register theirs when first imported), or when the kernel registered is the one this put in; so it
 * can run before every pass at the cost of a lookup. One replacement per kernel and backend: the library's
 * replacements are spread over modules, each kernel named in one only.
 */
export function replaceKernel(name: string, backend: string, wrap: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const current = tf.getKernel(name, backend);
  const key = `${backend}/${name}`;
  if (current === undefined || current.kernelFunc === ours.get(key)) return;
  const original = current.kernelFunc;
  const fixed = wrap(original);
  const kernelFunc: tf.KernelFunc = (args) => (bypass ? original(args) : fixed(args));
  ours.set(key, kernelFunc);
  wrapped.set(key, current.kernelFunc);
  tf.unregisterKernel(name, backend);
  tf.registerKernel({ ...current, kernelFunc });
}

/**
 * The kernel function that the kernel registered for `name` on `backend` wraps, when that kernel is one
 * `replaceKernel` put in; undefined otherwise. Lets a module that registers a kernel of its own see that its kernel
 * is already in place, wrapped by a check or fix, rather than replace the wrapper (and have it put back) every pass.
 */
export function replacedKernel(name: string, backend: string): tf.KernelFunc | undefined {
  const key = `${backend}/${name}`;
  const current = tf.getKernel(name, backend);
  return current !== undefined && current.kernelFunc === ours.get(key) ? wrapped.get(key) : undefined;
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

/** Whether {@link tfjsKernels} is running (for the WebGPU fixes, which install their kernels their own way). */
export function bypassingFixes(): boolean {
  return bypass;
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
