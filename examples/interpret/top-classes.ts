// MATLAB's occlusionSensitivity with several classes at once: the walkthrough's face, SqueezeNet's three most likely
// classes, and for each the parts of the image it relies on. One call scores the masked images once for all three.
//
// MATLAB:
//   [net, classNames] = imagePretrainedNetwork("squeezenet");
//   X = imresize(imread('face.jpg'), net.Layers(1).InputSize(1:2));
//   scores = predict(net, single(X));
//   [~, topIdx] = maxk(scores, 3);
//   scoreMap = occlusionSensitivity(net, X, topIdx);
//   for i = 1:3, subplot(1,3,i); imshow(X); hold on; imagesc(scoreMap(:,:,i), 'AlphaData', 0.5); colormap jet; end
//
// Run: npx tsx examples/interpret/top-classes.ts [--out DIR] [--backend wasm] [--image astronaut] [--classes 3]
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { classify, heatmapOverlay, imtile, imwrite, occlusionSensitivity } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, image, out, flags } = await setUp({ classes: '3' });
const k = Number(flags.classes);
if (!Number.isInteger(k) || k < 1 || k > 8) throw new Error('--classes must be an integer from 1 to 8');
// #region walkthrough: one map per class, from one call
const top = await classify(net, X, k);
const started = performance.now();
const maps = await occlusionSensitivity(
  net,
  X,
  top.map((c) => c.index),
  { onProgress: (f) => process.stdout.write(`\roccluding: ${Math.round(f * 100)}%`) },
);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
// maps is [227, 227, k]: map i is class top[i]'s, MATLAB's scoreMap(:,:,i).
const overlays = top.map((_, i) =>
  tf.tidy(() => heatmapOverlay(X, tf.gather(maps, i, 2), { alpha: 0.5, colormap: 'jet' })),
);
const figure = imtile([X, ...overlays], { gridSize: [1, k + 1] });
const file = path.join(out, `top-classes-${image}.png`);
await imwrite(figure, file);
// #endregion
process.stdout.write('\n');
for (const [i, c] of top.entries()) {
  console.log(`  ${i + 1}. ${c.label} (${c.score.toFixed(3)}), class ${c.matlabIndex} (index ${c.index})`);
}
console.log(`${k} classes' occlusion maps in ${seconds} s -> ${file} ${figure.shape.join('×')}`);
for (const t of [X, maps, figure, ...overlays]) t.dispose();
net.dispose();
