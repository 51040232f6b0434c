#!/usr/bin/env node
// The Node.js backends side by side: wasm, cpu and webgpu (Dawn on whatever Vulkan driver scripts/webgpu-env.sh
// finds: on a machine without a GPU, Mesa's lavapipe or SwiftShader, i.e. WebGPU in software).
// Tasks: a conv1-like convolution (conv2d [1, 227, 227, 3] * [3, 3, 3, 64], stride 2, valid), and with the network
// the full pass to `prob`, the activations of conv1 and fire6-squeeze1x1 for ../shared/images/face.png, and the full
// pass for a batch of 32 copies of it (not on cpu, where one batch takes about half a minute).
// Each (backend, task) runs in a fresh process, so its first call is a true first call (shader compilation on
// webgpu, weight upload); then the median of the next calls. Every call includes `await data()`.
//
//   npx tsup && npm run build:model && node bench/backends.bench.mjs [backend ...]   (default: wasm cpu webgpu)
//   BENCH_REPS=20 node bench/backends.bench.mjs webgpu
// Figures only: it never fails on speed. A backend that cannot start is reported, not failed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, median } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FACE = path.join(root, '..', 'shared', 'images', 'face.png');
const TASKS = ['conv', 'prob', 'conv1', 'fire6-squeeze1x1', 'batch32'];
const SKIPPED = { 'cpu/batch32': 'about half a minute a batch on cpu' };
// Repetitions after the first call: the cpu backend takes over a second per full pass.
const REPS = (backend, task) =>
  Number(
    process.env.BENCH_REPS ??
      (task === 'batch32' ? 5 : backend === 'cpu' ? (task === 'conv' ? 9 : 3) : backend === 'webgpu' ? 7 : 21),
  );

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4]);
} else {
  parent(process.argv.slice(2).length ? process.argv.slice(2) : ['wasm', 'cpu', 'webgpu']);
}

/** Measures one task on one backend and prints one JSON line. */
async function child(backend, task) {
  const tf = await import('@tensorflow/tfjs-core');
  const lib = await import('cnn-activations');
  let choice;
  try {
    choice = await lib.initBackend({ backend });
  } catch (err) {
    console.log(JSON.stringify({ error: err.message }));
    return;
  }
  let run;
  /** How long loading the model took (network tasks): the first call is also reported from the load's start. */
  let loadMs = null;
  let cleanup = () => {};
  if (task === 'conv') {
    const x = /** @type {import('@tensorflow/tfjs-core').Tensor4D} */ (tf.randomUniform([1, 227, 227, 3], 0, 255));
    const w = /** @type {import('@tensorflow/tfjs-core').Tensor4D} */ (tf.randomNormal([3, 3, 3, 64]));
    run = () => tf.conv2d(x, w, 2, 'valid');
    cleanup = () => tf.dispose([x, w]);
  } else {
    if (!lib.squeezenet || !lib.activations) {
      console.log(JSON.stringify({ error: 'squeezenet/activations are not in dist yet' }));
      return;
    }
    const loadStart = performance.now();
    const net = await lib.squeezenet();
    loadMs = performance.now() - loadStart;
    const face = await lib.imread(FACE);
    const img = task === 'batch32' ? tf.tidy(() => tf.tile(tf.expandDims(face, 0), [32, 1, 1, 1])) : face;
    run = () => lib.activations(net, img, task === 'batch32' ? 'prob' : task);
    cleanup = () => {
      tf.dispose([img, face]);
      net.dispose();
    };
  }
  const times = [];
  for (let i = 0; i <= REPS(backend, task); i++) {
    const t0 = performance.now();
    const out = run();
    await out.data();
    times.push(performance.now() - t0);
    out.dispose();
  }
  cleanup();
  console.log(
    JSON.stringify({
      first: times[0],
      // Model load to first result: the load, then the first call (which includes `await data()`).
      fromLoad: loadMs === null ? null : loadMs + times[0],
      median: median(times.slice(1)),
      reps: times.length - 1,
      adapter: choice.adapter,
    }),
  );
}

/** Runs every (backend, task) in its own process and prints a table. */
function parent(backends) {
  if (!existsSync(path.join(root, 'dist', 'index.js'))) {
    console.log('backends bench: dist/ is missing; run `npx tsup` (and `npm run build:model` for the network tasks)');
    process.exit(1);
  }
  const results = {};
  let adapter = null;
  for (const backend of backends) {
    for (const task of TASKS) {
      if (SKIPPED[`${backend}/${task}`]) {
        console.log(`${backend.padEnd(7)} ${task.padEnd(17)} skipped: ${SKIPPED[`${backend}/${task}`]}`);
        continue;
      }
      const args = [fileURLToPath(import.meta.url), '--child', backend, task];
      // webgpu: the Vulkan driver and CNN_WEBGPU come from scripts/webgpu-env.sh, sourced for this child only.
      const r =
        backend === 'webgpu'
          ? spawnSync(
              'bash',
              ['-c', 'source scripts/webgpu-env.sh 2>/dev/null; exec "$@"', 'bash', process.execPath, ...args],
              {
                cwd: root,
                encoding: 'utf8',
              },
            )
          : spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
      const line = (r.stdout ?? '')
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      let result;
      try {
        result = JSON.parse(line);
      } catch {
        result = { error: `crashed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}` };
      }
      results[`${backend}/${task}`] = result;
      if (result.adapter) adapter = result.adapter;
      const shown = result.error
        ? `not measured: ${result.error}`
        : `first ${fmt(result.first)} ms, median ${fmt(result.median)} ms (${result.reps} runs)`;
      console.log(`${backend.padEnd(7)} ${task.padEnd(17)} ${shown}`);
      if (result.error && task === 'conv') break; // the backend itself did not start
    }
  }
  if (adapter) {
    console.log(
      `\nwebgpu adapter: ${adapter.description || adapter.device} (vendor ${adapter.vendor}, ` +
        `architecture ${adapter.architecture}${adapter.software ? ', software' : ''})`,
    );
  }
  console.log('\nmedian ms (first call ms) per task; ratio of the median to wasm in this run');
  console.log(['task'.padEnd(17), ...backends.map((b) => b.padEnd(24))].join(' '));
  for (const task of TASKS) {
    const base = results[`wasm/${task}`]?.median;
    const cells = backends.map((b) => {
      const r = results[`${b}/${task}`];
      if (!r || r.error) return '—'.padEnd(24);
      const ratio = base ? ` ×${(r.median / base).toFixed(1)}` : '';
      return `${fmt(r.median)} (${fmt(r.first)})${ratio}`.padEnd(24);
    });
    console.log([task.padEnd(17), ...cells].join(' '));
  }
  const fromLoad = backends
    .map((b) => [b, results[`${b}/prob`]])
    .filter(([, r]) => r && !r.error && r.fromLoad != null)
    .map(([b, r]) => `${b} ${fmt(r.fromLoad)} ms`);
  if (fromLoad.length) console.log(`\nmodel load to first full-pass result: ${fromLoad.join(', ')}`);
  // The targets for a hardware GPU (measured as ratios in this run).
  const gpu = results['webgpu/prob'];
  const cpuWasm = results['wasm/prob'];
  if (gpu && !gpu.error) {
    const kind = adapter?.software ? 'a software adapter: the targets are for a hardware GPU' : 'hardware adapter';
    console.log(`\nwebgpu (${kind}):`);
    console.log(`  full pass ${fmt(gpu.median)} ms (target: under 3 ms); first call ${fmt(gpu.first)} ms`);
    if (cpuWasm && !cpuWasm.error) {
      console.log(`  wasm / webgpu, full pass: ${(cpuWasm.median / gpu.median).toFixed(2)}× (target: at least 5×)`);
    }
    const b = results['webgpu/batch32'];
    const bw = results['wasm/batch32'];
    if (b && !b.error) {
      const ips = (r) => ((32 * 1000) / r.median).toFixed(1);
      console.log(
        `  batch of 32: ${ips(b)} images/s${bw && !bw.error ? ` (wasm: ${ips(bw)}, ${(bw.median / b.median).toFixed(2)}×)` : ''}`,
      );
    }
  }
}
