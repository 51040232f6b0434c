#!/usr/bin/env node
// The interpretability methods on SqueezeNet and face.png, on one backend (default wasm), side by side with a full
// forward pass: median ms of gradCAM against the pass (the aim: at most 3×), one occlusionSensitivity and one imageLIME
// at MATLAB's defaults, and deepDreamImage's reference example (16 channels of fire3-squeeze1x1, one level;
// BENCH_DREAM=0 skips it: about 100 s on wasm). Figures only: nothing here fails on speed.
// Run: npm run build && node bench/interpret.bench.mjs [backend]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  activations,
  deepDreamImage,
  gradCAM,
  imageLIME,
  imread,
  initBackend,
  occlusionSensitivity,
  squeezenet,
} from 'cnn-activations';
import { fmt, median } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const backend = /** @type {import('cnn-activations').BackendName} */ (process.argv[2] ?? 'wasm');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
await initBackend({ backend });
const net = await squeezenet();
const im = await imread(path.join(root, 'examples', 'images', 'face.png'));

/** Median wall-clock ms of `fn` (awaited, its tensors read back and freed) after one warm-up call. */
async function time(fn, runs = RUNS) {
  const times = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const out = await fn();
    for (const t of [out].flat()) if (t instanceof tf.Tensor) await t.data();
    const dt = performance.now() - t0;
    tf.dispose(out);
    if (i > 0) times.push(dt);
  }
  return median(times);
}

const rows = [];
const pass = await time(() => activations(net, im, 'prob'));
rows.push(['full pass (activations to prob)', pass, '']);
const cam = await time(async () => (await gradCAM(net, im, 'wig')).map);
rows.push(['gradCAM (relu_conv10, prob, bicubic)', cam, `${(cam / pass).toFixed(2)}× the pass (aim ≤ 3×)`]);
const occ = await time(() => occlusionSensitivity(net, im, 'wig'), 1);
rows.push(['occlusionSensitivity at defaults (100 masks)', occ, `${((101 * 1000) / occ).toFixed(0)} images/s`]);
const lime = await time(async () => {
  const r = await imageLIME(net, im, 'wig', { seed: 1 });
  r.featureMap.dispose();
  return r.scoreMap;
}, 1);
rows.push(['imageLIME at defaults (2048 samples)', lime, `${((2048 * 1000) / lime).toFixed(0)} images/s`]);
if (process.env.BENCH_DREAM !== '0') {
  const dream = await time(
    () => deepDreamImage(net, 'fire3-squeeze1x1', [...Array(16).keys()], { pyramidLevels: 1 }),
    1,
  );
  rows.push(["deepDreamImage's reference example", dream, `${(dream / 1000).toFixed(1)} s (aim: under 10 s on wasm)`]);
}
console.log(`interpretability on ${backend}, SqueezeNet, face.png (median ms; single runs for the long methods)`);
for (const [name, ms, note] of rows) console.log(`${name.padEnd(48)}${fmt(ms).padStart(10)}  ${note}`);
tf.dispose(im);
net.dispose();
