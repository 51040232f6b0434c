// MATLAB's "View Network Behavior Using tsne" on the full portrait the walkthrough's face was cropped from: SqueezeNet's
// pool10 activations (its 1000 class evidences) for 81 overlapping crops of the portrait, placed in two dimensions by
// t-SNE, each crop drawn where it landed. Crops the network sees alike lie together.
//
// MATLAB's example takes the rows of a layer for a set of images, then plots them.
//
// MATLAB:
//   net = squeezenet;
//   X = ...;                                            % 227×227×3×81: the crops, resized to the input size
//   act = activations(net, X, 'pool10', OutputAs='rows');
//   rng default
//   Y = tsne(act, Perplexity=10, LearnRate=100);
//   gscatter(Y(:,1), Y(:,2), labels)
//
// Run: npx tsx examples/interpret/tsne.ts [--out DIR] [--backend wasm] [--perplexity 10]
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { activations, imread, imresize, imwrite, tsne } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X: face, out, flags } = await setUp({ perplexity: '10' });
face.dispose();
const perplexity = Number(flags.perplexity);
const portrait = await imread(path.join(import.meta.dirname, '..', 'images', 'astronaut.png'));
// #region walkthrough: crops of the portrait, their pool10 rows, t-SNE
// 9 × 9 crops of 96×96 pixels, 52 apart (neighbours overlap by 44), each resized to SqueezeNet's 227×227.
const SIZE = 96;
const STEP = 52;
const GRID = 9;
const corners = Array.from({ length: GRID * GRID }, (_, k) => [Math.floor(k / GRID) * STEP, (k % GRID) * STEP]);
const crops = tf.tidy(() => tf.stack(corners.map(([y, x]) => tf.slice(portrait, [y, x, 0], [SIZE, SIZE, 3]))));
const batch = imresize(crops, [227, 227]);
const rows = activations(net, batch, 'pool10', { outputAs: 'rows', miniBatchSize: 16 }) as tf.Tensor2D;
const started = performance.now();
// MATLAB's LearnRate of 500 suits thousands of rows; for 81 it throws a few crops far off: 100.
const { Y, loss } = await tsne(rows, { perplexity, learnRate: 100 });
const seconds = ((performance.now() - started) / 1000).toFixed(2);
// #endregion

// The figure: each crop as a 44×44 thumbnail, centred where t-SNE put it, on a white square.
const CANVAS = 640;
const THUMB = 44;
const points = (await Y.array()) as number[][];
const thumbs = imresize(crops, [THUMB, THUMB]);
const pixels = (await thumbs.data()) as Int32Array;
const lo = [0, 1].map((k) => Math.min(...points.map((p) => p[k])));
const hi = [0, 1].map((k) => Math.max(...points.map((p) => p[k])));
const canvas = new Int32Array(CANVAS * CANVAS * 3).fill(255);
for (const [k, [py, px]] of points.entries()) {
  const top = Math.round(((py - lo[0]) / (hi[0] - lo[0] || 1)) * (CANVAS - THUMB));
  const left = Math.round(((px - lo[1]) / (hi[1] - lo[1] || 1)) * (CANVAS - THUMB));
  for (let i = 0; i < THUMB; i++) {
    for (let j = 0; j < THUMB; j++) {
      for (let c = 0; c < 3; c++) {
        canvas[((top + i) * CANVAS + left + j) * 3 + c] = pixels[((k * THUMB + i) * THUMB + j) * 3 + c];
      }
    }
  }
}
const figure = tf.tensor3d(canvas, [CANVAS, CANVAS, 3], 'int32');
const file = path.join(out, 'tsne-astronaut.png');
await imwrite(figure, file);

// How well the embedding keeps what overlaps together: the distance between crops side by side in the portrait,
// against the median distance between any two crops.
const distance = (a: number, b: number) => Math.hypot(points[a][0] - points[b][0], points[a][1] - points[b][1]);
const all: number[] = [];
const adjacent: number[] = [];
for (let a = 0; a < points.length; a++) {
  for (let b = a + 1; b < points.length; b++) {
    all.push(distance(a, b));
    const [ya, xa] = corners[a];
    const [yb, xb] = corners[b];
    if (Math.abs(ya - yb) + Math.abs(xa - xb) === STEP) adjacent.push(distance(a, b));
  }
}
const median = (v: number[]) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)];
const ratio = median(adjacent) / median(all);
console.log(
  `${points.length} crops, pool10 rows [${rows.shape.join(', ')}], t-SNE in ${seconds} s (loss ${loss.toFixed(3)}); ` +
    `crops side by side lie ${ratio.toFixed(2)}× the median distance apart -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [portrait, crops, batch, rows, Y, thumbs, figure]) t.dispose();
net.dispose();
