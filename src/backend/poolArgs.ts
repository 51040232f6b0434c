/**
 * The arguments of TF.js's `MaxPoolWithArgmax` kernel as the library's replacements of it read them (wasm's in
 * `wasmKernelFixes.ts`, WebGPU's in `webgpuKernelFixes.ts`). Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

type Args = Parameters<tf.KernelFunc>[0];

/** The image, whether positions count the batch, and the pooling's geometry (output size, strides, padding). */
export function maxPoolWithArgmaxArgs(args: Args): {
  x: tf.Tensor4D;
  includeBatchInIndex: boolean;
  info: tf.backend_util.Conv2DInfo;
} {
  const x = args.inputs.x as tf.Tensor4D;
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    includeBatchInIndex: boolean;
  };
  const info = tf.backend_util.computePool2DInfo(x.shape, attrs.filterSize, attrs.strides, 1, attrs.pad);
  return { x, includeBatchInIndex: attrs.includeBatchInIndex, info };
}
