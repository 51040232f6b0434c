/**
 * Kernels of TF.js 4.22's wasm backend that take a window's maximum and start it at the smallest positive float
 * (1.2e-38) instead of below every value: 3-D max pooling and morphological dilation (`Dilation2D`), and the gradients
 * of both. A window whose values are all 0 or negative (a ReLU's zeros, a dilation by a negative structuring element)
 * gave 1.2e-38, and its gradient went to the wrong cell or nowhere, without an error. Written here over the values,
 * which wasm keeps in CPU memory, in the order TF.js's cpu backend takes them (which cell of tied maxima receives a
 * gradient included). Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { asKernelResult } from './kernelReplacement.js';

type Args = Parameters<tf.KernelFunc>[0];

/** The lowest float32, TensorFlow's start for a maximum over no value. */
const LOWEST = -3.4028234663852886e38;

interface DilationAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid';
  dilations: number | [number, number];
}

/**
 * Walks every output cell of a dilation of `x` by `filter` and hands `each` the output's index, the maximum of
 * `x + filter` over the cells the filter reaches, and where it was first found (the input's index and the filter's),
 * -1 where the window reaches no cell.
 */
function walkDilation(
  x: tf.Tensor,
  filter: tf.Tensor,
  attrs: DilationAttrs,
  each: (out: number, max: number, at: number, tap: number) => void,
): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeDilation2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number],
    attrs.strides,
    attrs.pad,
    'NHWC',
    attrs.dilations,
  );
  const xs = x.dataSync();
  const fs = filter.dataSync();
  const [H, W, C] = [info.inHeight, info.inWidth, info.inChannels];
  let out = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let i = 0; i < info.outHeight; i++) {
      for (let j = 0; j < info.outWidth; j++) {
        for (let c = 0; c < C; c++, out++) {
          let max = LOWEST;
          let at = -1;
          let tap = -1;
          for (let h = 0; h < info.filterHeight; h++) {
            const y = i * info.strideHeight - info.padInfo.top + h * info.dilationHeight;
            if (y < 0 || y >= H) continue;
            for (let w = 0; w < info.filterWidth; w++) {
              const xx = j * info.strideWidth - info.padInfo.left + w * info.dilationWidth;
              if (xx < 0 || xx >= W) continue;
              const p = ((b * H + y) * W + xx) * C + c;
              const t = (h * info.filterWidth + w) * C + c;
              const v = xs[p] + fs[t];
              if (at < 0 || v > max) {
                max = v;
                at = p;
                tap = t;
              }
            }
          }
          each(out, max, at, tap);
        }
      }
    }
  }
  return info;
}

function dilation2d(args: Args): tf.TensorInfo {
  const { x, filter } = args.inputs as unknown as { x: tf.Tensor; filter: tf.Tensor };
  const values: number[] = [];
  const info = walkDilation(x, filter, args.attrs as unknown as DilationAttrs, (o, max) => {
    values[o] = max;
  });
  return asKernelResult(args.backend, tf.tensor(values, info.outShape, x.dtype));
}

/** The gradient of a dilation with respect to its input (`wrt: 'x'`) or filter: each output's to its maximum's cell. */
function dilation2dGrad(wrt: 'x' | 'filter', args: Args): tf.TensorInfo {
  const { x, filter, dy } = args.inputs as unknown as { x: tf.Tensor; filter: tf.Tensor; dy: tf.Tensor };
  const dys = dy.dataSync();
  const grad = new Float32Array(wrt === 'x' ? x.size : filter.size);
  walkDilation(x, filter, args.attrs as unknown as DilationAttrs, (o, _max, at, tap) => {
    const to = wrt === 'x' ? at : tap;
    if (to >= 0) grad[to] += dys[o];
  });
  const shape = wrt === 'x' ? x.shape : filter.shape;
  return asKernelResult(args.backend, tf.tensor(grad, shape, 'float32'));
}

interface Pool3DAttrs {
  filterSize: number | [number, number, number];
  strides: number | [number, number, number];
  pad: 'same' | 'valid' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Walks every output cell of a 3-D max pooling of `x` (NDHWC) and hands `each` the output's index, the window's
 * maximum and where TF.js's cpu backend takes it from (the last of tied maxima), -1 where the window is all padding.
 */
function walkPool3D(
  x: tf.Tensor,
  attrs: Pool3DAttrs,
  each: (out: number, max: number, at: number) => void,
): tf.backend_util.Conv3DInfo {
  const info = tf.backend_util.computePool3DInfo(
    x.shape as [number, number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const xs = x.dataSync();
  const [D, H, W, C] = [info.inDepth, info.inHeight, info.inWidth, info.inChannels];
  const { front, top, left } = info.padInfo;
  let out = 0;
  for (let b = 0; b < info.batchSize; b++) {
    for (let k = 0; k < info.outDepth; k++) {
      for (let i = 0; i < info.outHeight; i++) {
        for (let j = 0; j < info.outWidth; j++) {
          for (let c = 0; c < C; c++, out++) {
            let max = LOWEST;
            let at = -1;
            for (let dz = 0; dz < info.filterDepth; dz++) {
              const z = k * info.strideDepth - front + dz;
              if (z < 0 || z >= D) continue;
              for (let dy = 0; dy < info.filterHeight; dy++) {
                const y = i * info.strideHeight - top + dy;
                if (y < 0 || y >= H) continue;
                for (let dx = 0; dx < info.filterWidth; dx++) {
                  const xx = j * info.strideWidth - left + dx;
                  if (xx < 0 || xx >= W) continue;
                  const p = (((b * D + z) * H + y) * W + xx) * C + c;
                  if (at < 0 || xs[p] >= max) {
                    max = xs[p];
                    at = p;
                  }
                }
              }
            }
            each(out, max, at);
          }
        }
      }
    }
  }
  return info;
}

/** 3-D max pooling (`argumentChecks.ts` checks the window's size around it). */
function maxPool3d(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.Tensor };
  const values: number[] = [];
  const info = walkPool3D(x, args.attrs as unknown as Pool3DAttrs, (o, max) => {
    values[o] = max;
  });
  return asKernelResult(args.backend, tf.tensor(values, info.outShape, x.dtype));
}

function maxPool3dGrad(args: Args): tf.TensorInfo {
  const { dy, input } = args.inputs as unknown as { dy: tf.Tensor; input: tf.Tensor };
  const dys = dy.dataSync();
  const grad = new Float32Array(input.size);
  walkPool3D(input, args.attrs as unknown as Pool3DAttrs, (o, _max, at) => {
    if (at >= 0) grad[at] += dys[o];
  });
  return asKernelResult(args.backend, tf.tensor(grad, input.shape, 'float32'));
}

/** Each kernel, by name, put in place of TF.js's on wasm by `fixWasmKernels`. */
export const WINDOW_MAX_KERNELS: [string, (args: Args) => tf.TensorInfo][] = [
  [tf.MaxPool3D, maxPool3d],
  [tf.Dilation2D, dilation2d],
  [tf.Dilation2DBackpropInput, (args) => dilation2dGrad('x', args)],
  [tf.Dilation2DBackpropFilter, (args) => dilation2dGrad('filter', args)],
  [tf.MaxPool3DGrad, maxPool3dGrad],
];
