// The 64 filters of SqueezeNet's first convolution, as MATLAB's "Visualize Features of a Convolutional Neural
// Network" shows them: each 3×3×3 filter as a small RGB picture, scaled to [0, 1] together, enlarged and tiled.
//
// MATLAB:
//   net = squeezenet;
//   w1 = net.Layers(2).Weights;       % 3×3×3×64
//   w1 = mat2gray(w1);
//   w1 = imresize(w1, 8, "nearest");
//   I = imtile(w1, GridSize=[8 8]);
//
// Run: npx tsx examples/conv1-filters.ts [--out DIR] [--backend wasm]
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { imresize, imtile, imwrite, initBackend, learnables, mat2gray, squeezenet } from 'cnn-activations';
import { parseCommonArgs, USAGE_OPTIONS } from './lib/common.js';

const { out, backend } = parseCommonArgs(
  process.argv.slice(2),
  `usage: npx tsx examples/conv1-filters.ts [options]\n${USAGE_OPTIONS}`,
);
await initBackend(backend ? { backend } : undefined);

const net = await squeezenet();
// MATLAB's net.Layers(2) is our layer index 1: conv1.
const { Weights, Bias } = learnables(net, 'conv1');
// [3, 3, 3, 64] → 64 images [3, 3, 3], all scaled together as mat2gray(w1) does.
const filters = tf.tidy(() => tf.transpose(mat2gray(Weights), [3, 0, 1, 2]));
const big = imresize(filters, 8, { method: 'nearest' });
const I = imtile(big, { gridSize: [8, 8] });
const file = path.join(out, 'conv1-filters.png');
await imwrite(I, file);
console.log(`conv1 Weights ${Weights.shape.join('×')}, Bias ${Bias.shape.join('×')} -> ${file} ${I.shape.join('×')}`);
tf.dispose([Weights, Bias, filters, big, I]);
net.dispose();
