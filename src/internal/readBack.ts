/**
 * Reading a tensor's numbers back to JavaScript once and freeing it, for the checks that read a few numbers (flags,
 * counts) on the way to a result. Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';

/** The values of `t` (float32 or int32 as stored), which is then freed, whether the read succeeds or not. */
export async function readAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** {@link readAndDispose}, reading synchronously (`dataSync`: cpu, wasm and WebGL, not WebGPU in Node.js). */
export function readAndDisposeSync(t: tf.Tensor): Float32Array {
  try {
    return t.dataSync() as Float32Array;
  } finally {
    t.dispose();
  }
}
