// Your own model, a Keras MobileNetV2 converted for TF.js (model.json + a weight shard), through the same steps as the
// walkthrough: import it, read its layer table, classify an image, look at the first layer's activations and its
// filters. The model here is a real pretrained third-party one: nsfwjs's MobileNetV2 (five classes), written out as
// ordinary files first, as a model of your own would be.
//
// MATLAB (a Keras model imported with importNetworkFromTensorFlow / importKerasNetwork):
//   net = importNetworkFromTensorFlow("mobilenet_v2");     % Normalization "rescale-zero-one"
//   analyzeNetwork(net)
//   [label, score] = classify(net, imresize(I, [224 224]));
//   act = activations(net, I, "Conv1_relu");
//   I = imtile(mat2gray(act), GridSize=[4 8]);
//   w = net.Layers(3).Weights;  I2 = imtile(imresize(mat2gray(w), 8, "nearest"));
//
// Run: npx tsx examples/your-model/keras.ts [--out DIR] [--backend wasm]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  activations,
  analyzeNetwork,
  classify,
  importNetwork,
  imread,
  imresize,
  imtile,
  imwrite,
  initBackend,
  learnables,
  mat2gray,
} from 'cnn-activations';
import { parseCommonArgs, USAGE_OPTIONS } from '../lib/common.js';
import { NSFW_CLASSES, writeThirdPartyModel } from './nsfwjsModels.js';

const { out, backend } = parseCommonArgs(
  process.argv.slice(2),
  `usage: npx tsx examples/your-model/keras.ts [options]\n${USAGE_OPTIONS.replace('out/walkthrough', 'out/your-model')}`,
  [],
  'out/your-model',
);
await initBackend(backend ? { backend } : undefined);

// 1. The model's files: model.json, its weight shard, and a labels file (one class per line).
const modelJson = await writeThirdPartyModel('mobilenet_v2', path.join(out, 'mobilenet_v2'));
const labels = path.join(out, 'mobilenet_v2', 'labels.txt');
writeFileSync(labels, `${NSFW_CLASSES.join('\n')}\n`);

// 2. Import it. The normalization is what the model was trained on: pixels / 255 (MATLAB's 'rescale-zero-one').
const net = await importNetwork(modelJson, { normalization: 'rescale-zero-one', classNames: labels });
const table = analyzeNetwork(net);
console.log(String(table).split('\n').slice(0, 8).join('\n'));
console.log(`  … ${table.layers.length} layers (${net.kind}), total learnables ${table.totalLearnables}`);

// 3. Classify the walkthrough's face, resized to the model's 224×224.
const I = await imread(path.join(import.meta.dirname, '..', 'images', 'face.png'));
const top = await classify(net, I, 2, { resize: true });
console.log(`classify: ${top.map((c) => `${c.label} ${c.score.toFixed(3)}`).join(', ')}`);

// 4. The 32 channels of Conv1_relu (MATLAB's index 5, ours 4), fully convolutionally at the image's own 227×227.
const act = activations(net, I, 'Conv1_relu');
const grid = imtile(mat2gray(act), { gridSize: [4, 8] });
const actFile = path.join(out, 'your-model-conv1-relu.png');
await imwrite(grid, actFile);
console.log(`Conv1_relu ${act.shape.join('×')} -> ${actFile} ${grid.shape.join('×')}`);

// 5. The 32 filters of Conv1 (MATLAB's net.Layers(3).Weights), each 3×3×3 as an RGB picture, 8× larger.
const { Weights } = learnables(net, 'Conv1');
const filters = tf.tidy(() => tf.transpose(mat2gray(Weights), [3, 0, 1, 2]));
const big = imresize(filters, 8, { method: 'nearest' });
const tiles = imtile(big, { gridSize: [4, 8] });
const wFile = path.join(out, 'your-model-conv1-filters.png');
await imwrite(tiles, wFile);
console.log(`Conv1 weights ${Weights.shape.join('×')} -> ${wFile} ${tiles.shape.join('×')}`);

tf.dispose([I, act, grid, Weights, filters, big, tiles]);
net.dispose();
