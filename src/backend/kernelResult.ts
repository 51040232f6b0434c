/**
 * A kernel's result computed with TF.js operations (the library's fixes of TF.js's kernels run as operations inside
 * the kernel they replace). Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';

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
