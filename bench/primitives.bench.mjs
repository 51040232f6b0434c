#!/usr/bin/env node
// Image primitives on the walkthrough's conv1 size: act1 is [113, 113, 64] float32.
// Medians of `op + await out.data()` (so the time includes the read-back a caller pays), after warm-up runs.
// Figures only: nothing here fails on speed. Run: npx tsup && node bench/primitives.bench.mjs
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, imtile, mat2gray, maxChannel } from 'cnn-activations';
import { measure as measureRuns } from './lib/stats.mjs';

const WARMUP = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 25);
const measure = (fn) => measureRuns(fn, { warmup: WARMUP, runs: RUNS });

const cases = {
  // The floor for an op with an act1-sized result: one elementwise pass over the 817,216 values and their read-back.
  // (Not tf.clone: the cpu backend shares the data instead of copying it.)
  'x + 1 (baseline)': (x) => tf.add(x, 1),
  'imtile(act1, { gridSize: [8, 8] }) -> [904, 904]': (x) => imtile(x, { gridSize: [8, 8] }),
  'mat2gray(act1)': (x) => mat2gray(x),
  'maxChannel(act1) -> [113, 113]': (x) => maxChannel(x),
  'imtile(mat2gray(act1), [8, 8]) (walkthrough step)': (x) => tf.tidy(() => imtile(mat2gray(x), { gridSize: [8, 8] })),
};

const results = {};
for (const backend of /** @type {const} */ (['wasm', 'cpu'])) {
  await initBackend({ backend });
  const x = tf.randomUniform([113, 113, 64], -2, 6, 'float32', 42);
  results[backend] = {};
  for (const [name, fn] of Object.entries(cases)) results[backend][name] = await measure(() => fn(x));
  x.dispose();
  if (tf.memory().numTensors !== 0) console.log(`warning: ${tf.memory().numTensors} tensors left on ${backend}`);
}

console.log(`median (best) ms of ${RUNS} runs after ${WARMUP} warm-up runs, each op + await out.data();`);
console.log(`act1 = [113, 113, 64] float32; Node ${process.version}; ratios are of medians measured in this run`);
const base = 'x + 1 (baseline)';
const fmt = (r) => `${r.median.toFixed(2)} (${r.best.toFixed(2)})`;
const rows = Object.keys(cases).map((name) => {
  const w = results.wasm[name];
  const c = results.cpu[name];
  return {
    case: name,
    'wasm ms': fmt(w),
    'wasm / base': (w.median / results.wasm[base].median).toFixed(1),
    'cpu ms': fmt(c),
    'cpu / base': (c.median / results.cpu[base].median).toFixed(1),
    'cpu / wasm': (c.median / w.median).toFixed(1),
  };
});
console.table(rows);
