// Several images classified in one pass, as MATLAB R2024a writes it: predict (or minibatchpredict) gives one row of
// class scores per image, and scores2label turns each row into its class.
//
// MATLAB:
//   [net, classNames] = imagePretrainedNetwork;      % SqueezeNet
//   X = cat(4, imread("face.png"), imread("face-eye-closed.png"), imresize(imread("astronaut.png"), [227 227]));
//   scores = minibatchpredict(net, single(X));       % 3×1000
//   [labels, topScores] = scores2label(scores, classNames)
//
// Run: npx tsx examples/classify-images.ts [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { imread, imresize, initBackend, predict, scores2label, squeezenet } from 'cnn-activations';
import { imagePath, parseCommonArgs, USAGE_OPTIONS } from './lib/common.js';

const { backend } = parseCommonArgs(
  process.argv.slice(2),
  `usage: npx tsx examples/classify-images.ts [options]\n${USAGE_OPTIONS}`,
);
await initBackend(backend ? { backend } : undefined);

const net = await squeezenet();
const files = ['face.png', 'face-eye-closed.png', 'astronaut.png'];
// Each image at the network's input size (the portrait is 512×512), then stacked: [3, 227, 227, 3].
const images = await Promise.all(files.map((f) => imread(imagePath(f))));
const sized = images.map((im) => imresize(im, [227, 227]));
const X = tf.stack(sized);
const scores = predict(net, X); // float32 [3, 1000], one row per image
const { labels, scores: top, indices } = await scores2label(scores, net.classNames);
for (const [i, file] of files.entries()) {
  // MATLAB counts classes from 1: index 903 is its class 904.
  console.log(`${file}: ${labels[i]} (class ${indices[i] + 1}, index ${indices[i]}), score ${top[i].toFixed(4)}`);
}
tf.dispose([...images, ...sized, X, scores]);
net.dispose();
