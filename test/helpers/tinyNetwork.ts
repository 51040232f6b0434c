/**
 * A second, tiny network for tests: written by the model build's graph writer with weights made here, loaded through
 * the same generic code as SqueezeNet. 9×11×3 input (z-score), a stride-2 convolution with padding [1 0 1 0], ReLU,
 * average pooling with padding, a 1×1 convolution, max pooling with padding on a signed input, global average
 * pooling, softmax over 5 classes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeGraphModel } from '../../scripts/model/graphWriter.js';
import type { ConvParams } from '../../scripts/model/weights.js';
import { loadNetwork } from '../../src/net/loadNetwork.js';
import type { LayerSpec } from '../../src/net/modelFormat.js';
import { modelSource } from '../../src/net/modelSource.node.js';
import type { InputNormalization, Network } from '../../src/net/types.js';
import * as tf from '@tensorflow/tfjs-core';

export const NORMALIZATION = {
  type: 'zscore',
  mean: [10, 20, 30],
  standardDeviation: [2, 4, 8],
} satisfies InputNormalization;
export const LAYERS: LayerSpec[] = [
  { name: 'in', type: 'Image Input', description: "9×11×3 images with 'zscore' normalization", inputs: [] },
  {
    name: 'conv_a',
    type: 'Convolution',
    description: '4 3×3×3 convolutions with stride [2 2] and padding [1 0 1 0]',
    inputs: ['in'],
    kernel: [3, 3],
    stride: [2, 2],
    padding: [1, 0, 1, 0],
    numChannels: 3,
    numFilters: 4,
  },
  { name: 'relu_a', type: 'ReLU', description: 'ReLU', inputs: ['conv_a'] },
  {
    name: 'avg_a',
    type: 'Average Pooling',
    description: '2×2 average pooling with stride [1 1] and padding [0 1 0 1]',
    inputs: ['relu_a'],
    kernel: [2, 2],
    stride: [1, 1],
    padding: [0, 1, 0, 1],
  },
  {
    name: 'conv_b',
    type: 'Convolution',
    description: '5 1×1×4 convolutions with stride [1 1] and padding [0 0 0 0]',
    inputs: ['avg_a'],
    kernel: [1, 1],
    stride: [1, 1],
    padding: [0, 0, 0, 0],
    numChannels: 4,
    numFilters: 5,
  },
  {
    name: 'max_b',
    type: 'Max Pooling',
    description: '3×3 max pooling with stride [2 2] and padding [1 1 1 1]',
    inputs: ['conv_b'],
    kernel: [3, 3],
    stride: [2, 2],
    padding: [1, 1, 1, 1],
  },
  { name: 'gap', type: 'Global Average Pooling', description: 'Global average pooling', inputs: ['max_b'] },
  { name: 'prob', type: 'Softmax', description: 'softmax', inputs: ['gap'] },
];
export const CLASSES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

/** A small deterministic generator (values in [-1, 1)), so that the weights are the same in every run. */
export function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** An int32 image of the network's input size (9×11×3) with values 0..255 drawn from {@link random}(`seed`). */
export function randomImage(seed: number): tf.Tensor3D {
  const r = random(seed);
  return tf.tensor3d(
    Array.from({ length: 9 * 11 * 3 }, () => Math.round((r() + 1) * 127.5)),
    [9, 11, 3],
    'int32',
  );
}

function convParams(out: number, cin: number, k: number, seed: number): ConvParams {
  const r = random(seed);
  return {
    weight: { shape: [out, cin, k, k], data: Float32Array.from({ length: out * cin * k * k }, r) },
    bias: Float32Array.from({ length: out }, () => r() * 0.5),
  };
}
export const PARAMS = new Map([
  ['conv_a', convParams(4, 3, 3, 1)],
  ['conv_b', convParams(5, 4, 1, 2)],
]);

// The float64 oracle of its layers (HWC arrays, MATLAB's definitions), independent of TF.js.
export interface Act {
  h: number;
  w: number;
  c: number;
  v: Float64Array;
}
export const at = (a: Act, y: number, x: number, ch: number) => a.v[(y * a.w + x) * a.c + ch];

export function pool2d(a: Act, k: number, s: number, pad: readonly number[], kind: 'max' | 'avg'): Act {
  const [pt, pb, pl, pr] = pad;
  const h = Math.floor((a.h + pt + pb - k) / s) + 1;
  const w = Math.floor((a.w + pl + pr - k) / s) + 1;
  const v = new Float64Array(h * w * a.c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < a.c; ch++) {
        let acc = kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const iy = y * s + ky - pt;
            const ix = x * s + kx - pl;
            const inside = iy >= 0 && iy < a.h && ix >= 0 && ix < a.w;
            const val = inside ? at(a, iy, ix, ch) : kind === 'max' ? Number.NEGATIVE_INFINITY : 0;
            acc = kind === 'max' ? Math.max(acc, val) : acc + val;
          }
        v[(y * w + x) * a.c + ch] = kind === 'max' ? acc : acc / (k * k);
      }
  return { h, w, c: a.c, v };
}

export function conv2d(a: Act, p: ConvParams, s: number, pad: readonly number[]): Act {
  const [out, cin, k] = p.weight.shape;
  const [pt, pb, pl, pr] = pad;
  const h = Math.floor((a.h + pt + pb - k) / s) + 1;
  const w = Math.floor((a.w + pl + pr - k) / s) + 1;
  const v = new Float64Array(h * w * out);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let f = 0; f < out; f++) {
        let acc = p.bias[f];
        for (let c = 0; c < cin; c++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const iy = y * s + ky - pt;
              const ix = x * s + kx - pl;
              if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) continue;
              acc += at(a, iy, ix, c) * p.weight.data[((f * cin + c) * k + ky) * k + kx];
            }
        v[(y * w + x) * out + f] = acc;
      }
  return { h, w, c: out, v };
}

/** Writes the tiny network into a temporary folder and loads it; `dispose()` frees it and removes the folder. */
export async function loadTinyNetwork(): Promise<{ net: Network; dir: string; dispose(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cnn-tiny-net-'));
  writeGraphModel(
    {
      name: 'tinynet',
      description: 'a test network',
      inputSize: [9, 11, 3],
      normalization: NORMALIZATION,
      layers: LAYERS,
      classNames: CLASSES,
      params: PARAMS,
    },
    dir,
  );
  const net = await loadNetwork(
    'tinynet',
    modelSource('tinynet', { modelUrl: dir }, dir, 'rebuild it'),
    {},
    'rebuild it',
  );
  return {
    net,
    dir,
    dispose() {
      net.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
