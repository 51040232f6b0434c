// Network benchmark: squeezenet() load time; activations() to conv1, fire6-squeeze1x1 and prob at batch 1 and 8;
// peak memory; and, side by side in the same run, the same network hand-written in TF.js ops (fused conv + bias +
// ReLU), onnxruntime-node and onnxruntime-web (wasm) on ../shared/bench/squeezenet_v1.1.onnx.
//
//   npm run build && node bench/network.bench.mjs [backend ...]      (default: wasm cpu)
//
// Variants run interleaved (one call of each per round, medians over rounds), so machine-load drift hits all of them
// alike: compare the ratios, not the absolute times. Set BENCH_ALT_MODEL=<path of another model.json> to time a
// second build of the model (e.g. CNN_ACTIVATIONS_RELU_MODE=separate) in the same run, BENCH_ROUNDS=<n> for more
// rounds on wasm. Never fails on speed.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { initBackend, squeezenet, activations } from 'cnn-activations';
import { handWritten } from './lib/squeezenetOps.mjs';
import { fmt, median } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ONNX = path.join(root, '..', 'shared', 'bench', 'squeezenet_v1.1.onnx');
const FACE = path.join(root, '..', 'shared', 'images', 'face.png');
const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['wasm', 'cpu'];
const ROUNDS = { wasm: Number(process.env.BENCH_ROUNDS ?? 25), cpu: 3 };

const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

// The face image, as int32 [227, 227, 3] (what imread gives) and as ONNX's NCHW float input (RGB minus the mean).
const png = PNG.sync.read(readFileSync(FACE));
const { width: W, height: H } = png;
const rgb = new Int32Array(H * W * 3);
for (let i = 0; i < H * W; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
const MEAN = [123, 117, 104];
const nchw = new Float32Array(3 * H * W);
for (let c = 0; c < 3; c++) for (let i = 0; i < H * W; i++) nchw[c * H * W + i] = rgb[i * 3 + c] - MEAN[c];

/**
 * Runs every variant once per round (after `warm` warm-up rounds). Returns, per variant, the median wall-clock ms
 * and the median CPU ms of this process (user + system; less sensitive to other processes on a busy machine, but it
 * adds up the threads of a multi-threaded runtime).
 */
async function interleave(variants, rounds, warm = 2) {
  const wall = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cpu = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds + warm; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      const t1 = performance.now();
      const c1 = process.cpuUsage(c0);
      if (r >= warm) {
        wall[name].push(t1 - t0);
        cpu[name].push((c1.user + c1.system) / 1000);
      }
    }
  }
  return Object.fromEntries(Object.keys(variants).map((k) => [k, { wall: median(wall[k]), cpu: median(cpu[k]) }]));
}

/** Times a tensor-returning call including the read-back of its result. */
const timed = (fn) => async () => {
  const out = fn();
  const list = Array.isArray(out) ? out : [out];
  await Promise.all(list.map((t) => t.data()));
  tf.dispose(list);
};

let peakRss = process.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

const ortVariants = {};
const sessions = [];
async function loadOnnx() {
  if (!existsSync(ONNX)) {
    console.log(`onnx: ${ONNX} not found, skipped`);
    return;
  }
  const variants = ortVariants;
  try {
    const ortNode = await (await import('./peers/load.mjs')).loadOrtNode();
    for (const threads of [1, 2]) {
      const s = await ortNode.InferenceSession.create(ONNX, { intraOpNumThreads: threads, interOpNumThreads: 1 });
      const x = new ortNode.Tensor('float32', nchw, [1, 3, H, W]);
      sessions.push(s);
      variants[`onnxruntime-node ${threads} thread${threads > 1 ? 's' : ''}`] = async () =>
        (await s.run({ data: x })).prob.data;
    }
  } catch (err) {
    console.log(`onnxruntime-node unavailable: ${err.message.split('\n')[0]}`);
  }
  try {
    const ortWeb = await (await import('./peers/load.mjs')).loadOrtWeb();
    ortWeb.env.wasm.numThreads = 1;
    const s = await ortWeb.InferenceSession.create(readFileSync(ONNX), { executionProviders: ['wasm'] });
    const x = new ortWeb.Tensor('float32', nchw, [1, 3, H, W]);
    sessions.push(s);
    variants['onnxruntime-web wasm 1 thread'] = async () => (await s.run({ data: x })).prob.data;
  } catch (err) {
    console.log(`onnxruntime-web unavailable: ${err.message.split('\n')[0]}`);
  }
}

async function benchBackend(backend) {
  const choice = await initBackend({ backend });
  console.log(`\n--- backend ${choice.backend}`);
  const rounds = ROUNDS[backend] ?? 5;

  // Load time (each load disposed again).
  const loads = [];
  for (let i = 0; i < (backend === 'cpu' ? 3 : 5); i++) {
    const t0 = performance.now();
    const n = await squeezenet();
    loads.push(performance.now() - t0);
    n.dispose();
  }
  const tensorsBefore = tf.memory().numTensors;
  const net = await squeezenet();
  const alt = process.env.BENCH_ALT_MODEL ? await squeezenet({ modelUrl: process.env.BENCH_ALT_MODEL }) : null;
  const img = tf.tensor3d(rgb, [H, W, 3], 'int32');
  const batch = tf.tidy(() => tf.stack(Array.from({ length: 8 }, () => img)));
  const img4 = tf.expandDims(img, 0);

  // Check that the side-by-side variants agree before timing them.
  const [pA, pH] = [activations(net, img, 'prob'), handWritten(net.model.weights, img4)];
  // Read back asynchronously: the webgpu backend cannot read synchronously in Node.js.
  const maxDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.reshape(pA, [-1]), tf.reshape(pH, [-1])))));
  const diff = (await maxDiff.data())[0];
  tf.dispose([pA, pH, maxDiff]);

  const variants = {
    'activations conv1': timed(() => activations(net, img, 'conv1')),
    'activations fire6-squeeze1x1': timed(() => activations(net, img, 'fire6-squeeze1x1')),
    'activations prob': timed(() => activations(net, img, 'prob')),
    'hand-written tf ops prob': timed(() => handWritten(net.model.weights, img4)),
    'model.execute prob (no checks)': timed(() =>
      tf.tidy(() => net.model.execute({ input: tf.cast(img4, 'float32') }, 'prob')),
    ),
  };
  if (alt) variants['activations prob, BENCH_ALT_MODEL'] = timed(() => activations(alt, img, 'prob'));
  Object.assign(variants, ortVariants);
  const batch8 = {
    'activations prob batch 8': timed(() => activations(net, batch, 'prob')),
    'hand-written prob batch 8': timed(() => handWritten(net.model.weights, batch)),
  };
  // On wasm the batch-8 calls join the same rounds; on cpu (about 10 s a call) they get one round of their own.
  const slow = backend === 'cpu';
  const r1 = await interleave(slow ? variants : { ...variants, ...batch8 }, rounds);
  sampleRss();
  const r8 = slow ? await interleave(batch8, 1, 0) : {};
  sampleRss();

  // Peak tensor memory above what is already held (tf.profile reuses one result object: read it at once).
  const base = tf.memory().numBytes;
  const peak = async (fn) => (await tf.profile(() => tf.dispose(fn()))).peakBytes - base;
  const prof = await peak(() => activations(net, img, 'prob'));
  const profH = await peak(() => handWritten(net.model.weights, img4));
  const prof8 = await peak(() => activations(net, batch, 'prob'));

  const all = { ...r1, ...r8 };
  console.log(`${'median of interleaved rounds'.padEnd(40)} ${'wall ms'.padStart(9)} ${'CPU ms'.padStart(9)}`);
  for (const [k, v] of Object.entries(all))
    console.log(`${k.padEnd(40)} ${fmt(v.wall).padStart(9)} ${fmt(v.cpu).padStart(9)}`);
  console.log(`${'squeezenet() load'.padEnd(40)} ${fmt(median(loads)).padStart(9)}`);
  console.log(`max |activations prob - hand-written prob| = ${diff.toExponential(2)}`);
  console.log(
    `peak tensor memory above the inputs and weights: activations prob ${mb(prof)}, ` +
      `hand-written ${mb(profH)}, activations prob batch 8 ${mb(prof8)}; weights + inputs ${mb(base)}`,
  );
  console.log('ratios (same run; wall-clock, then CPU time):');
  const ratio = (a, b, k = 1) =>
    `${(all[a].wall / k / all[b].wall).toFixed(3)}  ${(all[a].cpu / k / all[b].cpu).toFixed(3)}`;
  console.log(
    `  activations prob / hand-written prob              ${ratio('activations prob', 'hand-written tf ops prob')}   (target <= 1.15 on wasm)`,
  );
  console.log(
    `  hand-written batch 8 per image / batch 1          ${ratio('hand-written prob batch 8', 'hand-written tf ops prob', 8)}`,
  );
  console.log(
    `  activations conv1 / activations prob              ${ratio('activations conv1', 'activations prob')}   (target <= 0.15)`,
  );
  console.log(
    `  activations fire6-squeeze1x1 / activations prob   ${ratio('activations fire6-squeeze1x1', 'activations prob')}`,
  );
  console.log(
    `  activations batch 8 per image / batch 1           ${ratio('activations prob batch 8', 'activations prob', 8)}   (target <= 1)`,
  );
  console.log(
    `  activations prob / model.execute prob            ${ratio('activations prob', 'model.execute prob (no checks)')}`,
  );
  if (alt)
    console.log(
      `  BENCH_ALT_MODEL prob / activations prob           ${ratio('activations prob, BENCH_ALT_MODEL', 'activations prob')}`,
    );
  for (const k of Object.keys(ortVariants)) {
    console.log(`  activations prob / ${k.padEnd(30)} ${ratio('activations prob', k)}`);
  }
  tf.dispose([img, img4, batch]);
  net.dispose();
  alt?.dispose();
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (leaked !== 0) console.log(`WARNING: ${leaked} tensors left after the benchmark`);
}

// ONNX Runtime sessions run interleaved with each backend's batch-1 variants.
await loadOnnx();
for (const b of backends) await benchBackend(b);
for (const s of sessions) await s.release?.();
console.log(`\npeak RSS ${mb(peakRss)}`);
