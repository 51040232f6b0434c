#!/usr/bin/env node
// The interpretability methods on SqueezeNet and face.png, on one backend (default wasm), side by side with a full
// forward pass: median ms of gradCAM against the pass (the aim: at most 3×), of gradientAttribution (plain and guided),
// one occlusionSensitivity and one imageLIME at MATLAB's defaults, and deepDreamImage's reference example (16 channels of fire3-squeeze1x1, one level;
// BENCH_DREAM=0 skips it: about 12 s on wasm, warm-up included). Side by side, when python3 with PyTorch is installed (Debian's
// python3-torch), the same methods hand-written in PyTorch (bench/peers/torch_interpret.py) on the same network,
// weights and image, with as many threads as the library's wasm backend runs, and the ratios; and how far apart the
// two sides' gradientAttribution maps are (PyTorch computes them independently, guided backpropagation included).
// Figures only: nothing here fails on speed.
// Run: npm run build && node bench/interpret.bench.mjs [backend]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  activations,
  deepDreamImage,
  describeBackend,
  gradCAM,
  gradientAttribution,
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
const attribution = (method) => async () => (await gradientAttribution(net, im, 'wig', { method })).map;
const grad = await time(attribution('autodiff'));
rows.push(['gradientAttribution (autodiff)', grad, `${(grad / pass).toFixed(2)}× the pass`]);
const guided = await time(attribution('guided-backprop'));
rows.push(['gradientAttribution (guided-backprop)', guided, `${(guided / pass).toFixed(2)}× the pass`]);
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
const threads = describeBackend().threads ?? 1;
console.log(
  `interpretability on ${describeBackend().label}, SqueezeNet, face.png (median ms; single runs for the long methods)`,
);
for (const [name, ms, note] of rows) console.log(`${name.padEnd(48)}${fmt(ms).padStart(10)}  ${note}`);

// PyTorch, the same algorithms on the same network, weights and image, with the same number of threads.
// The first Python with torch: $PYTHON, python3 on the PATH, or the system's (Debian installs python3-torch there).
const python =
  [process.env.PYTHON, 'python3', '/usr/bin/python3']
    .filter(Boolean)
    .find((p) => spawnSync(p, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) ?? 'python3';
const mapsDir = mkdtempSync(path.join(tmpdir(), 'cnn-bench-maps-'));
const torch = spawnSync(
  python,
  [
    path.join(root, 'bench', 'peers', 'torch_interpret.py'),
    '--model',
    path.join(root, 'model', 'squeezenet_v1.1'),
    '--image',
    path.join(root, 'examples', 'images', 'face.png'),
    '--class',
    '903',
    '--threads',
    String(threads),
    '--dream',
    process.env.BENCH_DREAM === '0' ? '0' : '1',
    '--maps',
    mapsDir,
  ],
  { encoding: 'utf8' },
);
const line = torch.stdout?.trim().split('\n').pop() ?? '';
if (torch.status !== 0 || !line.startsWith('{')) {
  console.log(`\nPyTorch: not available (${(torch.stderr || String(torch.error)).trim().split('\n').pop()})`);
} else {
  const t = JSON.parse(line);
  // Read back asynchronously: the webgpu backend cannot read synchronously in Node.js.
  const prob = activations(net, im, 'prob');
  const ours = (await prob.data())[903];
  prob.dispose();
  console.log(
    `\nPyTorch ${t.torch}, ${t.threads} thread(s), the same network (prob of 'wig': ${t.prob.toFixed(6)}, ours ${ours.toFixed(6)})`,
  );
  const pairs = [
    ['full pass', pass, t.pass],
    ['gradCAM', cam, t.gradCAM],
    ['gradientAttribution (autodiff)', grad, t.gradient],
    ['gradientAttribution (guided-backprop)', guided, t.guided],
    ['occlusionSensitivity at defaults', occ, t.occlusion],
  ];
  const dreamRow = rows.find((r) => r[0].startsWith('deepDreamImage'));
  if (dreamRow && t.dream) pairs.push(["deepDreamImage's reference example", dreamRow[1], t.dream]);
  console.log(`${'method'.padEnd(40)}${'ours ms'.padStart(10)}${'PyTorch ms'.padStart(12)}  ours / PyTorch (aim ≤ 2)`);
  for (const [name, a, b] of pairs) {
    console.log(`${name.padEnd(40)}${fmt(a).padStart(10)}${fmt(b).padStart(12)}  ${(a / b).toFixed(2)}`);
  }
  // The maps themselves, both in [0, 1]: the largest and the mean difference per pixel.
  for (const [file, method] of [
    ['gradient.f32', 'autodiff'],
    ['guided.f32', 'guided-backprop'],
  ]) {
    const bytes = readFileSync(path.join(mapsDir, file));
    const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const map = await attribution(method)();
    const ours = await map.data();
    map.dispose();
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(ours[i] - theirs[i]);
      worst = Math.max(worst, d);
      sum += d;
    }
    console.log(
      `gradientAttribution (${method}) beside PyTorch's map: largest difference ${worst.toExponential(2)}, mean ${(sum / ours.length).toExponential(2)} (maps in [0, 1])`,
    );
  }
}
rmSync(mapsDir, { recursive: true, force: true });
tf.dispose(im);
net.dispose();
