#!/usr/bin/env node
// imresize on the walkthrough's sizes, on wasm and cpu: the 64 conv1 channels 113x113 -> 227x227 bicubic (as one
// [113, 113, 64] image and as 64 frames [64, 113, 113, 1]) and 48 fire6 frames 14x14 -> 64x64.
// Medians (and best) of `imresize + await out.data()` (so the time includes the read-back a caller pays), after
// warm-up runs; `x + 0` on the output size is the floor for a result that large. Beside the wall-clock time, the
// median CPU time of this process over the same span (process.cpuUsage): on a shared machine the wall clock also
// counts the time other processes held the core, the CPU time does not (wasm runs on one thread here).
// Figures only: nothing here fails on speed. Run: npx tsup && node bench/imresize.bench.mjs
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, imresize } from 'cnn-activations';
import { measure as measureRuns } from './lib/stats.mjs';

const WARMUP = 3;
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const measure = (fn) => measureRuns(fn, { warmup: WARMUP, runs: RUNS });

const cases = [
  {
    name: '[227, 227, 64] + 0 (floor: one pass over the output, read back)',
    input: () => tf.randomUniform([227, 227, 64], -2, 6, 'float32', 1),
    fn: (x) => tf.add(x, 0),
  },
  {
    name: 'act1 [113, 113, 64] -> [227, 227] bicubic',
    input: () => tf.randomUniform([113, 113, 64], -2, 6, 'float32', 2),
    fn: (x) => imresize(x, [227, 227]),
  },
  {
    name: '64 frames [64, 113, 113, 1] -> [227, 227] bicubic',
    input: () => tf.randomUniform([64, 113, 113, 1], -2, 6, 'float32', 3),
    fn: (x) => imresize(x, [227, 227]),
  },
  {
    name: '48 frames [48, 14, 14, 1] -> [64, 64] bicubic',
    input: () => tf.randomUniform([48, 14, 14, 1], 0, 1, 'float32', 4),
    fn: (x) => imresize(x, [64, 64]),
  },
  {
    name: 'uint8 RGB [227, 227, 3] (int32) -> 0.5 bicubic',
    input: () => tf.tidy(() => tf.cast(tf.randomUniform([227, 227, 3], 0, 256, 'float32', 5), 'int32')),
    fn: (x) => imresize(x, 0.5),
  },
];

const results = {};
for (const backend of /** @type {const} */ (['wasm', 'cpu'])) {
  await initBackend({ backend });
  results[backend] = {};
  for (const c of cases) {
    const x = c.input();
    results[backend][c.name] = await measure(() => c.fn(x));
    x.dispose();
  }
  if (tf.memory().numTensors !== 0) console.log(`warning: ${tf.memory().numTensors} tensors left on ${backend}`);
}

console.log(`wall ms: median (best) of ${RUNS} runs after ${WARMUP} warm-up runs, each imresize + await out.data();`);
console.log(
  `cpu ms: median CPU time of this process over the same runs; Node ${process.version}; ratios are of wall medians`,
);
const base = cases[0].name;
const fmt = (r) => `${r.median.toFixed(1)} (${r.best.toFixed(1)}) cpu ${r.cpu.toFixed(1)}`;
console.table(
  cases.map(({ name }) => {
    const w = results.wasm[name];
    const c = results.cpu[name];
    return {
      case: name,
      'wasm: wall ms (best), cpu ms': fmt(w),
      'wasm / floor': (w.median / results.wasm[base].median).toFixed(1),
      'cpu backend: wall ms (best), cpu ms': fmt(c),
      'cpu / floor': (c.median / results.cpu[base].median).toFixed(1),
      'cpu / wasm': (c.median / w.median).toFixed(1),
    };
  }),
);
