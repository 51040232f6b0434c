#!/usr/bin/env node
// A user's model through the library, on one backend (default wasm), side by side with TF.js's own routes, on nsfwjs's
// pretrained Keras InceptionV3 (318 layers) and MobileNetV2 (162 layers):
// - importing and analysing: TF.js's loadLayersModel, then toNetwork + analyzeNetwork (the library's part);
// - one layer's activations: the library against the tfjs-layers sub-model route (tf.model({ inputs, outputs })),
//   measured alternately in one run, and the ratio of the medians;
// - "all layers of 32 images" (every layer up to out_relu, 96×96): the peak bytes in tensors (tf.profile's peakBytes)
//   with miniBatchSize 32 (one pass) and 8;
// - making a network of a converted graph (@vladmandic/human's): the peak bytes of its measuring pass, against TF.js's
//   execute holding every node.
// Figures only: nothing here fails on speed. Run: npm run build && node bench/user-model.bench.mjs [backend]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel, model as kerasModel } from '@tensorflow/tfjs-layers';
import { activations, analyzeNetwork, initBackend, toNetwork } from 'cnn-activations';
import { fmt, median } from './lib/stats.mjs';

const backend = /** @type {import('cnn-activations').BackendName} */ (process.argv[2] ?? 'wasm');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
await initBackend({ backend });

/** One of nsfwjs's bundled models as an in-memory IO handler (model.json and base64 shards inside JS modules). */
async function nsfwjs(/** @type {string} */ name) {
  // The package's ES module: its CommonJS build copies each base64 shard into an object character by character.
  const mod = await import(`nsfwjs/models/${name}`);
  /** @type {{ modelJson(): Promise<{ default: any }>, weightBundles: (() => Promise<{ default: string }>)[] }} */
  const bundle = /** @type {any} */ (Object.values(mod)[0]);
  const json = (await bundle.modelJson()).default;
  const parts = [];
  for (const load of bundle.weightBundles) parts.push(Buffer.from((await load()).default, 'base64'));
  const data = Buffer.concat(parts);
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((/** @type {any} */ g) => g.weights),
    weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  });
}

/** @type {[string, string, string][]} */
const rows = [];
const ms = (/** @type {number} */ v) => `${fmt(v)} ms`;

// 1. Importing and analysing InceptionV3.
const handler = await nsfwjs('inception_v3');
const loads = [];
const wraps = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const m = await loadLayersModel(handler);
  const t1 = performance.now();
  const net = await toNetwork(m, { normalization: 'rescale-symmetric' });
  const table = analyzeNetwork(net);
  const t2 = performance.now();
  if (i === 0) console.log(`InceptionV3: ${table.layers.length} layers, ${table.totalLearnables} learnables`);
  loads.push(t1 - t0);
  wraps.push(t2 - t1);
  net.dispose();
}
rows.push(['InceptionV3: tf.loadLayersModel (TF.js)', ms(median(loads)), '3 runs']);
rows.push(['InceptionV3: toNetwork + analyzeNetwork', ms(median(wraps)), 'aim: import and analysis < 1 s']);

// 2. One layer's activations, MobileNetV2 at 224×224, against the tfjs-layers route.
const mobile = await loadLayersModel(await nsfwjs('mobilenet_v2'));
const net = await toNetwork(mobile, { normalization: 'rescale-zero-one' });
const img = tf.randomUniform([224, 224, 3], 0, 255);
const layer = 'block_6_expand_relu';
const sub = kerasModel({ inputs: mobile.inputs, outputs: mobile.getLayer(layer).output });
const ours = [];
const theirs = [];
for (let i = 0; i <= RUNS; i++) {
  let t0 = performance.now();
  const a = activations(net, img, layer);
  await a.data();
  const dOurs = performance.now() - t0;
  a.dispose();
  t0 = performance.now();
  const b = tf.tidy(() => /** @type {tf.Tensor} */ (sub.predict(tf.div(tf.expandDims(img, 0), 255))));
  await b.data();
  const dTheirs = performance.now() - t0;
  b.dispose();
  if (i > 0) {
    ours.push(dOurs);
    theirs.push(dTheirs);
  }
}
const [o, t] = [median(ours), median(theirs)];
rows.push([`MobileNetV2 ${layer}: activations()`, ms(o), `${(o / t).toFixed(2)}× the tfjs route (aim ≤ 1.1×)`]);
rows.push([`MobileNetV2 ${layer}: tf.model(...).predict`, ms(t), `${RUNS} runs, alternating`]);

// 3. Every layer up to out_relu for 32 images of 96×96: peak memory with and without chunks.
const upTo = net.layerNames.indexOf('out_relu');
const layers = net.layerNames.slice(1, upTo + 1);
const batch = tf.randomUniform([32, 96, 96, 3], 0, 255);
for (const miniBatchSize of [32, 8]) {
  const base = tf.memory().numBytes;
  /** @type {tf.Tensor[]} */
  let outs = [];
  const t0 = performance.now();
  const info = await tf.profile(() => {
    outs = activations(net, batch, layers, { miniBatchSize });
    return outs;
  });
  const dt = performance.now() - t0;
  const peak = info.peakBytes - base;
  const results = outs.reduce((s, x) => s + x.size * 4, 0);
  tf.dispose(outs);
  rows.push([
    `all ${layers.length} layers of 32 images, miniBatchSize ${miniBatchSize}`,
    ms(dt),
    `peak ${(peak / 2 ** 20).toFixed(0)} MiB over the input (results ${(results / 2 ** 20).toFixed(0)} MiB)`,
  ]);
}
tf.dispose([img, batch]);
net.dispose();

// 4. Making a network of a converted graph runs it once to measure its layers. Peak bytes in tensors above the loaded
// weights: toNetwork (its plan frees each layer's output once nothing reads it) against TF.js's execute asked for
// every node at once (what a measuring pass that holds every layer takes), on @vladmandic/human's graphs.
const humanModels = path.resolve(
  path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')),
  '../models',
);
for (const name of ['movenet-lightning', 'faceres', 'blazeface', 'handlandmark-lite', 'iris']) {
  const json = JSON.parse(readFileSync(path.join(humanModels, `${name}.json`), 'utf8'));
  const shards = json.weightsManifest.flatMap((/** @type {any} */ g) => g.paths);
  const data = Buffer.concat(shards.map((/** @type {string} */ f) => readFileSync(path.join(humanModels, f))));
  const graph = await loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((/** @type {any} */ g) => g.weights),
      weightData: new Uint8Array(data).buffer,
    }),
  );
  const input = graph.inputs[0];
  const nodes = json.modelTopology.node
    .filter((/** @type {any} */ n) => !['Const', 'Placeholder', 'NoOp'].includes(n.op))
    .map((/** @type {any} */ n) => n.name);
  const base = tf.memory().numBytes;
  // The network holds the graph's own weights and nothing else: disposing the graph below frees both.
  const profile = await tf.profile(async () => {
    await toNetwork(graph, { normalization: 'none', output: graph.outputs[0].name });
    return [];
  });
  const ownPeak = profile.peakBytes - base;
  const shape = /** @type {number[]} */ (input.shape).map((d) => (d === -1 ? 1 : d));
  const x = tf.zeros(shape, input.dtype === 'int32' ? 'int32' : 'float32');
  const allBase = tf.memory().numBytes;
  const allPeak = (await tf.profile(() => tf.dispose(graph.execute(x, nodes)))).peakBytes - allBase;
  x.dispose();
  graph.dispose();
  const mib = (/** @type {number} */ b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  rows.push([
    `import ${name} (${nodes.length} nodes): toNetwork's measuring pass`,
    mib(ownPeak),
    `every node held: ${mib(allPeak)}`,
  ]);
}

const w = Math.max(...rows.map((r) => r[0].length));
console.log(`backend ${backend}, ${RUNS} runs (medians)`);
for (const [name, value, note] of rows) console.log(`${name.padEnd(w)}  ${value.padStart(10)}  ${note}`);
