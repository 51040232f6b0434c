#!/usr/bin/env node
// Soak: does memory stay flat when the library is used for a long time? Two loops on the wasm backend:
//   1. the walkthrough's pipeline (imread, activations of conv1 and fire6, mat2gray, imtile, maxChannel, imresize,
//      encodePng), repeated; a refused hostile call (too large a grid) in every iteration on top;
//   2. squeezenet() loaded and disposed again and again.
// Prints TF.js's tensor count and bytes and the process's RSS at the start, the middle and the end of each loop.
// Figures only: nothing here fails. Run: npm run build && node --expose-gc bench/soak.bench.mjs [iterations, default 400]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  activations,
  encodePng,
  imread,
  imresize,
  imtile,
  initBackend,
  mat2gray,
  maxChannel,
  squeezenet,
} from 'cnn-activations';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? process.env.SOAK_ITERATIONS ?? 400);
const LOADS = Math.max(10, Math.round(N / 10));

const mib = (b) => (b / 2 ** 20).toFixed(1);
const started = performance.now();
const snapshot = (label, i) => {
  global.gc?.();
  const m = tf.memory();
  const row = { label, i, tensors: m.numTensors, bytes: m.numBytes, rss: process.memoryUsage().rss };
  const s = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `  ${s} s: ${label} ${i}: ${row.tensors} tensors, ${mib(row.bytes)} MiB in TF.js, RSS ${mib(row.rss)} MiB`,
  );
  return row;
};
const print = (rows) => {
  console.log(
    `${'loop'.padEnd(34)}${'iteration'.padStart(10)}${'tensors'.padStart(9)}${'TF.js MiB'.padStart(11)}${'RSS MiB'.padStart(9)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.label.padEnd(34)}${String(r.i).padStart(10)}${String(r.tensors).padStart(9)}${mib(r.bytes).padStart(11)}${mib(r.rss).padStart(9)}`,
    );
  }
};

const choice = await initBackend({ backend: 'wasm' });
console.log(
  `soak on ${choice.backend}: ${N} pipeline iterations, ${LOADS} load/dispose cycles (node ${process.version})`,
);
const rows = [];

{
  const net = await squeezenet();
  const label = 'walkthrough pipeline';
  for (let i = 0; i <= N; i++) {
    if (i === 0 || i === N / 2 || i === N) rows.push(snapshot(label, i));
    if (i === N) break;
    const im = await imread(path.join(root, 'examples', 'images', i % 2 ? 'face.png' : 'face-eye-closed.png'));
    const [act1, fire6] = activations(net, im, ['conv1', 'fire6-relu_squeeze1x1']);
    const grid = tf.tidy(() => imtile(mat2gray(act1), { gridSize: [8, 8] }));
    const strongest = tf.tidy(() => imresize(mat2gray(maxChannel(fire6)), [227, 227]));
    await encodePng(grid);
    await encodePng(strongest);
    try {
      imtile(act1, { gridSize: [4096, 16385] });
    } catch {
      // refused before any allocation
    }
    tf.dispose([im, act1, fire6, grid, strongest]);
  }
  net.dispose();
}
{
  const label = 'squeezenet() load + dispose';
  for (let i = 0; i <= LOADS; i++) {
    if (i === 0 || i === LOADS / 2 || i === LOADS) rows.push(snapshot(label, i));
    if (i === LOADS) break;
    const net = await squeezenet();
    net.dispose();
  }
}
print(rows);
