#!/usr/bin/env node
// Checks one backend's SqueezeNet against the float64 NumPy reference in ../shared/reference: every one of the 67
// layers of face.png (size, min, max and mean), the full tensors of conv1, fire6-squeeze1x1 and fire6-relu_squeeze1x1,
// and the top-5 classes. The tolerance is the test suite's: 1e-4 of the layer's largest magnitude. Meant for a
// backend the test suite cannot reach, such as WebGPU on a hardware GPU (scripts/bench-gpu.sh runs it there).
//
//   npm run build && node bench/reference.check.mjs [backend]        (default: the backend initBackend() picks)
//
// Prints the worst error of each kind and the layer it came from; exits with 1 when anything is out of tolerance.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REL_TOL = 1e-4;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.join(root, '..', 'shared');

const tf = await import('@tensorflow/tfjs-core');
const lib = await import('cnn-activations');
const backend = /** @type {import('cnn-activations').BackendName | undefined} */ (process.argv[2]);
const choice = await lib.initBackend(backend ? { backend } : {});
const net = await lib.squeezenet();
const face = await lib.imread(path.join(SHARED, 'images', 'face.png'));
const ref = JSON.parse(readFileSync(path.join(SHARED, 'reference', 'face.json'), 'utf8'));

const adapter = choice.adapter
  ? ` on ${choice.adapter.description || choice.adapter.device || 'an unnamed adapter'}`
  : '';
console.log(`reference check: ${choice.backend}${adapter}; tolerance ${REL_TOL} of each layer's largest magnitude`);

const failures = [];
/** Keeps the worst error (relative to the layer's scale) of one kind, and notes what is out of tolerance. */
const worst = {};
function record(kind, layer, err, scale) {
  const rel = err / scale;
  if (!(rel <= REL_TOL)) failures.push(`${layer} ${kind}: ${rel.toExponential(2)} of its scale`);
  if (!worst[kind] || !(rel <= worst[kind].rel)) worst[kind] = { rel, layer };
}

// Every layer: its size and summary statistics.
const outs = lib.activations(net, face, net.layerNames);
for (let i = 0; i < outs.length; i++) {
  const L = ref.layers[i];
  const t = outs[i];
  if (L.name !== net.layerNames[i] || JSON.stringify(t.shape) !== JSON.stringify(L.shape)) {
    failures.push(`${net.layerNames[i]}: shape [${t.shape}], reference ${L.name} [${L.shape}]`);
    continue;
  }
  const v = await t.data();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  const scale = Math.max(Math.abs(L.min), Math.abs(L.max));
  record('min', L.name, Math.abs(min - L.min), scale);
  record('max', L.name, Math.abs(max - L.max), scale);
  record('mean', L.name, Math.abs(sum / v.length - L.mean), scale);
}
tf.dispose(outs);

// Whole tensors, element by element.
for (const [layer, file] of /** @type {const} */ ([
  ['conv1', 'face_conv1.f32'],
  ['fire6-squeeze1x1', 'face_fire6-squeeze1x1.f32'],
  ['fire6-relu_squeeze1x1', 'face_fire6-relu_squeeze1x1.f32'],
])) {
  const buf = readFileSync(path.join(SHARED, 'reference', file));
  const expected = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const act = lib.activations(net, face, layer);
  const got = await act.data();
  act.dispose();
  if (got.length !== expected.length) {
    failures.push(`${layer}: ${got.length} elements, reference ${expected.length}`);
    continue;
  }
  let scale = 0;
  let err = 0;
  for (let i = 0; i < got.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    err = Math.max(err, Math.abs(got[i] - expected[i]));
  }
  record('element', layer, err, scale);
}

// The classes.
const top = await lib.classify(net, face, 5);
const sameTop5 = ref.top5.every((r, k) => r.index === top[k].index);
if (!sameTop5) failures.push(`top 5: [${top.map((c) => c.index)}], reference [${ref.top5.map((r) => r.index)}]`);

for (const [kind, { rel, layer }] of Object.entries(worst)) {
  console.log(`  worst ${kind.padEnd(7)} ${rel.toExponential(2)} of the scale (${layer})`);
}
console.log(
  `  class: ${top[0].label} ${top[0].score.toFixed(4)} (${sameTop5 ? 'top 5 as the reference' : 'top 5 differ from the reference'})`,
);
face.dispose();
net.dispose();
if (failures.length) {
  console.log(`out of tolerance:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log(`all ${outs.length} layers, 3 full tensors and the top 5 within tolerance`);
}
