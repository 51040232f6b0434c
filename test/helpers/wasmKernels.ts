/**
 * TF.js's own wasm kernels beside the library's that replace them (`src/net/wasmKernels.ts`), for the tests that hold
 * the two side by side: `takeTfjsKernels` keeps TF.js's as its backend registered them and puts the library's in;
 * `withTfjsKernel` runs a function with one of TF.js's back in place, then the library's again.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureWasmKernels } from '../../src/net/wasmKernels.js';

/**
 * TF.js's own kernels `names` on wasm (undefined off wasm, where its backend registered none), taken before the
 * library's go in; then puts the library's in, as it does before every pass. Call it in a `beforeAll`, after the
 * backend started (test/setup.ts).
 */
export function takeTfjsKernels(...names: string[]): Map<string, tf.KernelConfig | undefined> {
  const kernels = new Map(names.map((name) => [name, tf.getKernel(name, 'wasm')]));
  ensureWasmKernels();
  return kernels;
}

/** Runs `fn` with TF.js's own kernel `config` in place of the library's on wasm, then puts the library's back. */
export async function withTfjsKernel<T>(config: tf.KernelConfig | undefined, fn: () => T | Promise<T>): Promise<T> {
  if (config === undefined) throw new Error('withTfjsKernel: TF.js registered no such kernel on wasm');
  tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel(config);
  try {
    return await fn();
  } finally {
    ensureWasmKernels();
  }
}
