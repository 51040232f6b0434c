/**
 * Fixes of TF.js 4.22 kernels that answer otherwise than TensorFlow without an error, on the backends where they do:
 * `FloorDiv` of float32 tensors on cpu and WebGPU, and nearest-neighbour resizes of int32 images on every backend.
 * Each wraps TF.js's kernel and hands it every case it gets right; `guardBackends` puts them in when a backend starts
 * and before every pass. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES } from './backendNames.js';
import { asKernelResult, replaceKernel } from './kernelReplacement.js';

type Args = Parameters<tf.KernelFunc>[0];

/**
 * TF.js's cpu and WebGPU `FloorDiv` return int32 whatever their inputs: for float32 ones, 7.5 / 2 is 3 as it
 * should be, but 1 / 0 is 0 (TensorFlow: Infinity), 0 / 0 is 0 (NaN) and 3e9 / 1 wraps to -1294967296. A float
 * division is `floor(a / b)` here, in float32, as TensorFlow's; int32 division is TF.js's.
 */
function floorDivFloat(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { a, b } = args.inputs as unknown as { a: tf.Tensor; b: tf.Tensor };
  if (a.dtype === 'int32' && b.dtype === 'int32') return original(args);
  return asKernelResult(
    args.backend,
    tf.tidy(() => tf.floor(tf.div(a, b))),
  );
}

/**
 * TF.js resizes an int32 image by nearest neighbour through float32 on every backend: a value past 2^24 loses its low
 * digits (16777217 comes back 16777216, 2147483647 as -2147483648), and on wasm the result is float32. (WebGPU keeps
 * int32 in float32 in its gathers too: there values are exact to 2^24, as in its other int32 kernels.) The positions
 * each output pixel copies are taken here from TF.js's own resize of a float32 ramp of row and column numbers (exact
 * in float32, and so the same positions as a float32 image gets, with each option), and the pixels are gathered from
 * the image: every value exact, the result int32. Other dtypes are TF.js's.
 */
function resizeNearestInt32(args: Args, original: tf.KernelFunc): tf.TensorInfo | tf.TensorInfo[] {
  const { images } = args.inputs as unknown as { images: tf.Tensor4D };
  if (images.dtype !== 'int32') return original(args);
  const { alignCorners, halfPixelCenters, size } = args.attrs as unknown as {
    alignCorners: boolean;
    halfPixelCenters: boolean;
    size: [number, number];
  };
  const out = tf.tidy(() => {
    const [, h, w] = images.shape;
    const positions = (n: number, rampShape: [number, number, number, number], to: [number, number], k: number) =>
      tf.cast(
        tf.reshape(
          tf.image.resizeNearestNeighbor(
            tf.reshape(tf.range(0, n, 1, 'float32'), rampShape) as tf.Tensor4D,
            to,
            alignCorners,
            halfPixelCenters,
          ),
          [k],
        ),
        'int32',
      );
    const rows = positions(h, [1, h, 1, 1], [size[0], 1], size[0]);
    const columns = positions(w, [1, 1, w, 1], [1, size[1]], size[1]);
    return tf.gather(tf.gather(images, rows, 1), columns, 2);
  });
  return asKernelResult(args.backend, out);
}

/**
 * Puts the fixes in place of TF.js's kernels: `FloorDiv` on cpu and WebGPU, `ResizeNearestNeighbor` on every
 * backend that has registered one. Registered in TF.js's kernel registry, so every such operation in the process
 * gets TensorFlow's values from then on; a lookup per kernel once in place.
 */
export function fixKernels(): void {
  for (const backend of ['cpu', 'webgpu']) {
    replaceKernel(tf.FloorDiv, backend, (original) => (args) => floorDivFloat(args, original));
  }
  for (const backend of BACKEND_NAMES) {
    replaceKernel(tf.ResizeNearestNeighbor, backend, (original) => (args) => resizeNearestInt32(args, original));
  }
}
