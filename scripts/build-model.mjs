#!/usr/bin/env node
// Builds the TF.js graph model of SqueezeNet v1.1 with MATLAB's weights and MATLAB's layer names.
//
//   npm run build:model [-- <weights-dir>]
//
// Reads squeezenet_v1.1.json + squeezenet_v1.1.bin (+ labels.txt, LICENSE) from, in this order of preference:
// the directory given as the first argument, the directory named by $CNN_ACTIVATIONS_WEIGHTS, or
// ../shared/models/squeezenet_v1.1 relative to the repository root. Verifies every byte count and sha256 listed in the
// json, then writes model/squeezenet_v1.1/: model.json (a GraphDef in JSON that @tensorflow/tfjs-converter's
// loadGraphModel reads), the weight shard, labels.txt, LICENSE (the weights' BSD licence) and PROVENANCE.md.
//
// The graph has one node per MATLAB layer, named exactly as MATLAB names it (`data`, `conv1`, `relu_conv1`, ...,
// `prob`), fed by a Placeholder `input` (RGB, 0..255, NHWC, any height/width). Helper nodes (constants, explicit
// padding) carry a `/suffix` after the layer name they belong to. MATLAB's fixed paddings are reproduced exactly
// (see ../shared/spec/MATLAB_SEMANTICS.md §1.3), not Caffe's ceil-mode pooling.
//
// The layer table (types, kernel sizes, strides, paddings, filter counts), the class names and the input
// normalization travel inside model.json as userDefinedMetadata.cnnActivations, so a loaded model describes itself.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODEL_NAME = 'squeezenet_v1.1';
const SHARD = 'group1-shard1of1.bin';
const FORMAT_VERSION = 1;

// How each relu_* layer that follows a convolution is computed. 'separate': a Relu node on the convolution's output
// (MATLAB's structure). 'fused': a second _FusedConv2D (BiasAdd + Relu) that shares the convolution's weights, so a
// pass that only needs the post-ReLU tensor never materialises the pre-ReLU one; the pre-ReLU convolution node stays
// reachable by name and is computed only when asked for. Chosen by measurement (bench/network.bench.mjs).
const RELU_MODE = process.env.CNN_ACTIVATIONS_RELU_MODE ?? 'fused';

function fail(message) {
  console.error(`build-model: ${message}`);
  process.exit(1);
}

const HOW_TO_POINT =
  'Pass the directory holding squeezenet_v1.1.json and squeezenet_v1.1.bin as the first argument ' +
  '(npm run build:model -- /path/to/squeezenet_v1.1) or set CNN_ACTIVATIONS_WEIGHTS=/path/to/squeezenet_v1.1.';

// ---------------------------------------------------------------------------------------------------------------
// 1. Find and verify the weights.
// ---------------------------------------------------------------------------------------------------------------
const argDir = process.argv[2];
const envDir = process.env.CNN_ACTIVATIONS_WEIGHTS;
const weightsDir = path.resolve(argDir ?? envDir ?? path.join(root, '..', 'shared', 'models', MODEL_NAME));
const source = argDir ? 'the command-line argument' : envDir ? 'CNN_ACTIVATIONS_WEIGHTS' : 'the default location';

function readInput(name) {
  const file = path.join(weightsDir, name);
  if (!existsSync(file)) fail(`${name} not found in ${weightsDir} (from ${source}). ${HOW_TO_POINT}`);
  return readFileSync(file);
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

let index;
try {
  index = JSON.parse(readInput(`${MODEL_NAME}.json`).toString('utf8'));
} catch (err) {
  fail(`${MODEL_NAME}.json in ${weightsDir} is not valid JSON (${err.message}). ${HOW_TO_POINT}`);
}
if (!Array.isArray(index.tensors) || !index.input || !Array.isArray(index.input.mean_rgb)) {
  fail(
    `${MODEL_NAME}.json in ${weightsDir} lacks 'tensors' or 'input.mean_rgb'; is it the right file? ${HOW_TO_POINT}`,
  );
}
const bin = readInput(index.file ?? `${MODEL_NAME}.bin`);
if (bin.length !== index.file_bytes) {
  fail(
    `${index.file} is ${bin.length} bytes, the index says ${index.file_bytes}: the file is truncated or corrupt. ${HOW_TO_POINT}`,
  );
}
if (sha256(bin) !== index.file_sha256) {
  fail(
    `${index.file} has sha256 ${sha256(bin)}, the index says ${index.file_sha256}: the file is corrupt. ${HOW_TO_POINT}`,
  );
}
const labelsText = readInput('labels.txt').toString('utf8');
const licenseText = readInput('LICENSE').toString('utf8');
const classNames = labelsText.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
if (classNames.length !== 1000 || classNames.some((l) => l.trim() === '')) {
  fail(`labels.txt in ${weightsDir} must have 1000 non-empty lines, it has ${classNames.length}`);
}

/** tensors by MATLAB layer: { weight: {shape OIHW, data Float32Array}, bias: {...} } */
const params = new Map();
let numParams = 0;
for (const t of index.tensors) {
  if (t.dtype !== 'float32' || t.byte_order !== 'little')
    fail(`tensor ${t.name}: unsupported ${t.dtype}/${t.byte_order}`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.length !== count * 4 || t.offset + t.length > bin.length) fail(`tensor ${t.name}: bad offset/length`);
  const bytes = bin.subarray(t.offset, t.offset + t.length);
  if (sha256(bytes) !== t.sha256)
    fail(`tensor ${t.name}: sha256 mismatch, the weights file is corrupt. ${HOW_TO_POINT}`);
  // Copy to an aligned buffer before viewing as float32 (little-endian on every platform TF.js runs on).
  const data = new Float32Array(new Uint8Array(bytes).buffer);
  const entry = params.get(t.matlab_layer) ?? {};
  entry[t.param] = { shape: t.shape, layout: t.layout, data };
  params.set(t.matlab_layer, entry);
  numParams += count;
}
if (numParams !== index.num_params)
  fail(`the index lists ${numParams} values, its num_params says ${index.num_params}`);

// ---------------------------------------------------------------------------------------------------------------
// 2. The layer list, in MATLAB's order (spec §1.2), with MATLAB's hyper-parameters (spec §1.3).
// ---------------------------------------------------------------------------------------------------------------
const INPUT_SIZE = index.input.size_hw ? [...index.input.size_hw, 3] : [227, 227, 3];
const MEAN = index.input.mean_rgb.map(Number);
const fmtSize = (a) => a.join('×');

/** MATLAB padding is [top bottom left right]. */
const layers = [];
const conv = (name, input, k, stride, pad) => {
  const p = params.get(name);
  if (!p?.weight || !p.bias) fail(`no weight/bias for layer ${name} in ${MODEL_NAME}.json`);
  const [out, cin, kh, kw] = p.weight.shape;
  if (p.weight.layout !== 'OIHW' || kh !== k || kw !== k || p.bias.shape[0] !== out)
    fail(`layer ${name}: unexpected weight shape`);
  layers.push({
    name,
    type: 'Convolution',
    description: `${out} ${fmtSize([k, k, cin])} convolutions with stride [${stride} ${stride}] and padding [${pad.join(' ')}]`,
    inputs: [input],
    kernel: [k, k],
    stride: [stride, stride],
    padding: pad,
    numChannels: cin,
    numFilters: out,
  });
  return name;
};
const relu = (name, input) => {
  layers.push({ name, type: 'ReLU', description: 'ReLU', inputs: [input] });
  return name;
};
const maxPool = (name, input, k, stride, pad) => {
  layers.push({
    name,
    type: 'Max Pooling',
    description: `${fmtSize([k, k])} max pooling with stride [${stride} ${stride}] and padding [${pad.join(' ')}]`,
    inputs: [input],
    kernel: [k, k],
    stride: [stride, stride],
    padding: pad,
  });
  return name;
};
const fire = (n, input) => {
  const f = `fire${n}`;
  const s = relu(`${f}-relu_squeeze1x1`, conv(`${f}-squeeze1x1`, input, 1, 1, [0, 0, 0, 0]));
  const e1 = relu(`${f}-relu_expand1x1`, conv(`${f}-expand1x1`, s, 1, 1, [0, 0, 0, 0]));
  const e3 = relu(`${f}-relu_expand3x3`, conv(`${f}-expand3x3`, s, 3, 1, [1, 1, 1, 1]));
  layers.push({
    name: `${f}-concat`,
    type: 'Depth concatenation',
    description: 'Depth concatenation of 2 inputs',
    inputs: [e1, e3],
  });
  return `${f}-concat`;
};

layers.push({
  name: 'data',
  type: 'Image Input',
  description: `${fmtSize(INPUT_SIZE)} images with 'zerocenter' normalization`,
  inputs: [],
});
let x = relu('relu_conv1', conv('conv1', 'data', 3, 2, [0, 0, 0, 0]));
x = maxPool('pool1', x, 3, 2, [0, 0, 0, 0]);
x = fire(3, fire(2, x));
x = maxPool('pool3', x, 3, 2, [0, 1, 0, 1]);
x = fire(5, fire(4, x));
x = maxPool('pool5', x, 3, 2, [0, 1, 0, 1]);
x = fire(9, fire(8, fire(7, fire(6, x))));
layers.push({ name: 'drop9', type: 'Dropout', description: '50% dropout', inputs: [x] });
x = relu('relu_conv10', conv('conv10', 'drop9', 1, 1, [0, 0, 0, 0]));
layers.push({ name: 'pool10', type: 'Global Average Pooling', description: 'Global average pooling', inputs: [x] });
layers.push({ name: 'prob', type: 'Softmax', description: 'softmax', inputs: ['pool10'] });

const convNames = layers.filter((l) => l.type === 'Convolution').map((l) => l.name);
if (convNames.length !== params.size || convNames.some((n) => !params.has(n))) {
  fail(`the index's layers (${[...params.keys()].join(', ')}) do not match SqueezeNet v1.1's convolutions`);
}
if (layers.length !== 67) fail(`internal: expected 67 layers, built ${layers.length}`);

// ---------------------------------------------------------------------------------------------------------------
// 3. The GraphDef (JSON form of tensorflow.GraphDef, as tfjs-converter's OperationMapper reads it).
// ---------------------------------------------------------------------------------------------------------------
const b64 = (s) => Buffer.from(s, 'ascii').toString('base64');
const attr = {
  type: (t) => ({ type: t }),
  ints: (a) => ({ list: { i: a.map(String) } }),
  int: (v) => ({ i: String(v) }),
  str: (s) => ({ s: b64(s) }),
  strs: (a) => ({ list: { s: a.map(b64) } }),
  bool: (b) => ({ b }),
  float: (f) => ({ f }),
  shape: (dims) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

const nodes = [];
const weightSpecs = [];
const weightChunks = [];
const addConst = (name, dtype, shape, data) => {
  const dt = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
  nodes.push({
    name,
    op: 'Const',
    attr: {
      dtype: attr.type(dt),
      value: { tensor: { dtype: dt, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    },
  });
  weightSpecs.push({ name, shape, dtype });
  const typed = dtype === 'float32' ? Float32Array.from(data) : Int32Array.from(data);
  weightChunks.push(Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength));
  return name;
};

/** OIHW (Caffe/MATLAB-export order) → HWIO (TF order). */
function oihwToHwio({ shape: [o, i, h, w], data }) {
  const out = new Float32Array(o * i * h * w);
  for (let oo = 0; oo < o; oo++)
    for (let ii = 0; ii < i; ii++)
      for (let hh = 0; hh < h; hh++)
        for (let ww = 0; ww < w; ww++) out[((hh * w + ww) * i + ii) * o + oo] = data[((oo * i + ii) * h + hh) * w + ww];
  return { shape: [h, w, i, o], data: out };
}

const INPUT_NAME = 'input';
nodes.push({
  name: INPUT_NAME,
  op: 'Placeholder',
  attr: { dtype: attr.type('DT_FLOAT'), shape: attr.shape([-1, -1, -1, 3]) },
});

const convNodeAttrs = (layer, fusedOps) => {
  const [pt, pb, pl, pr] = layer.padding;
  const k = layer.kernel[0];
  let padding;
  if (pt + pb + pl + pr === 0) padding = 'VALID';
  else if (layer.stride[0] === 1 && pt === (k - 1) / 2 && pb === pt && pl === pt && pr === pt) padding = 'SAME';
  else fail(`internal: padding [${layer.padding}] of ${layer.name} has no TF equivalent here`);
  return {
    T: attr.type('DT_FLOAT'),
    num_args: attr.int(1),
    strides: attr.ints([1, layer.stride[0], layer.stride[1], 1]),
    padding: attr.str(padding),
    explicit_paddings: { list: {} },
    data_format: attr.str('NHWC'),
    dilations: attr.ints([1, 1, 1, 1]),
    use_cudnn_on_gpu: attr.bool(true),
    fused_ops: attr.strs(fusedOps),
    epsilon: attr.float(0),
  };
};

const byName = new Map(layers.map((l) => [l.name, l]));
for (const layer of layers) {
  const { name, inputs } = layer;
  switch (layer.type) {
    case 'Image Input':
      nodes.push({
        name,
        op: 'Sub',
        input: [INPUT_NAME, addConst(`${name}/mean`, 'float32', [3], MEAN)],
        attr: { T: attr.type('DT_FLOAT') },
      });
      break;
    case 'Convolution': {
      const p = params.get(name);
      const w = oihwToHwio(p.weight);
      const wName = addConst(`${name}/weights`, 'float32', w.shape, w.data);
      const bName = addConst(`${name}/bias`, 'float32', [layer.numFilters], p.bias.data);
      nodes.push({
        name,
        op: '_FusedConv2D',
        input: [inputs[0], wName, bName],
        attr: convNodeAttrs(layer, ['BiasAdd']),
      });
      break;
    }
    case 'ReLU': {
      const src = byName.get(inputs[0]);
      if (RELU_MODE === 'fused' && src.type === 'Convolution') {
        nodes.push({
          name,
          op: '_FusedConv2D',
          input: [src.inputs[0], `${src.name}/weights`, `${src.name}/bias`],
          attr: convNodeAttrs(src, ['BiasAdd', 'Relu']),
        });
      } else {
        nodes.push({ name, op: 'Relu', input: [inputs[0]], attr: { T: attr.type('DT_FLOAT') } });
      }
      break;
    }
    case 'Max Pooling': {
      let src = inputs[0];
      const [pt, pb, pl, pr] = layer.padding;
      if (pt + pb + pl + pr > 0) {
        // MATLAB pads pooling inputs with -Inf; these inputs are post-ReLU (>= 0), so 0 gives the same maxima.
        if (byName.get(src).type !== 'Depth concatenation')
          fail(`internal: zero padding of ${name} needs a non-negative input`);
        const padName = addConst(`${name}/paddings`, 'int32', [4, 2], [0, 0, pt, pb, pl, pr, 0, 0]);
        nodes.push({
          name: `${name}/pad`,
          op: 'Pad',
          input: [src, padName],
          attr: { T: attr.type('DT_FLOAT'), Tpaddings: attr.type('DT_INT32') },
        });
        src = `${name}/pad`;
      }
      nodes.push({
        name,
        op: 'MaxPool',
        input: [src],
        attr: {
          T: attr.type('DT_FLOAT'),
          ksize: attr.ints([1, layer.kernel[0], layer.kernel[1], 1]),
          strides: attr.ints([1, layer.stride[0], layer.stride[1], 1]),
          padding: attr.str('VALID'),
          data_format: attr.str('NHWC'),
        },
      });
      break;
    }
    case 'Depth concatenation':
      nodes.push({
        name,
        op: 'ConcatV2',
        input: [...inputs, addConst(`${name}/axis`, 'int32', [], [3])],
        attr: { T: attr.type('DT_FLOAT'), N: attr.int(inputs.length), Tidx: attr.type('DT_INT32') },
      });
      break;
    case 'Dropout':
      nodes.push({ name, op: 'Identity', input: [inputs[0]], attr: { T: attr.type('DT_FLOAT') } });
      break;
    case 'Global Average Pooling':
      nodes.push({
        name,
        op: 'Mean',
        input: [inputs[0], addConst(`${name}/axes`, 'int32', [2], [1, 2])],
        attr: { T: attr.type('DT_FLOAT'), Tidx: attr.type('DT_INT32'), keep_dims: attr.bool(true) },
      });
      break;
    case 'Softmax':
      nodes.push({ name, op: 'Softmax', input: [inputs[0]], attr: { T: attr.type('DT_FLOAT') } });
      break;
    default:
      fail(`internal: unknown layer type ${layer.type}`);
  }
}

const shard = Buffer.concat(weightChunks);
const shardSha = sha256(shard);

const metadata = {
  formatVersion: FORMAT_VERSION,
  name: 'squeezenet',
  description: 'SqueezeNet v1.1 with the weights of MATLAB Deep Learning Toolbox squeezenet and MATLAB layer names',
  inputName: INPUT_NAME,
  inputSize: INPUT_SIZE,
  normalization: { type: 'zerocenter', mean: MEAN },
  reluMode: RELU_MODE,
  totalLearnables: numParams,
  weightsSha256: { [SHARD]: shardSha },
  layers,
  classNames,
};

const modelJson = {
  format: 'graph-model',
  generatedBy: 'cnn-activations scripts/build-model.mjs',
  convertedBy: `cnn-activations build-model format ${FORMAT_VERSION}`,
  modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
  weightsManifest: [{ paths: [SHARD], weights: weightSpecs }],
  userDefinedMetadata: { cnnActivations: metadata },
};

const provenance = `# Provenance of the files in this directory

Generated by \`scripts/build-model.mjs\` of cnn-activations (\`npm run build:model\`); do not edit by hand.

- **Network**: ${index.model}.
- **Weights**: ${numParams.toLocaleString('en-US')} float32 values from \`${index.file}\` (sha256 \`${index.file_sha256}\`),
  the values of MATLAB's pretrained \`squeezenet\` as written out by ${index.source?.generator ?? 'MATLAB'}
  (${index.source?.repo ?? 'unknown repository'}, commit ${index.source?.commit ?? 'unknown'}).
  Upstream: ${index.source?.upstream_weights ?? 'forresti/SqueezeNet'}.
- **Licence of the weights**: BSD 2-clause (Iandola et al., arXiv:1602.07360), reproduced in \`LICENSE\` here.
- **Transformations**: convolution weights transposed from OIHW to HWIO; nothing else (no quantization, no
  re-ordering of channels: conv1's input channels are R, G, B). Input normalization: RGB 0..255 minus
  [${MEAN.join(', ')}] (MATLAB 'zerocenter').
- **Graph**: one node per MATLAB layer, named as MATLAB names it; MATLAB's paddings (pool1 none, pool3/pool5
  [0 1 0 1], expand3x3 [1 1 1 1]). ReLU layers after convolutions: ${
    RELU_MODE === 'fused'
      ? "computed as a fused convolution + bias + ReLU sharing the convolution's weights"
      : 'separate Relu nodes'
  }.
- **Shard**: \`${SHARD}\`, ${shard.length} bytes, sha256 \`${shardSha}\`.
- **labels.txt**: the 1000 ImageNet class names in MATLAB's order (line k = class index k-1).
`;

// Write into a temporary directory, then swap it in, so that a reader never sees a half-written model.
const outDir = path.join(root, 'model', MODEL_NAME);
const tmpDir = `${outDir}.tmp-${process.pid}`;
rmSync(tmpDir, { recursive: true, force: true });
mkdirSync(tmpDir, { recursive: true });
writeFileSync(path.join(tmpDir, 'model.json'), JSON.stringify(modelJson));
writeFileSync(path.join(tmpDir, SHARD), shard);
writeFileSync(path.join(tmpDir, 'labels.txt'), classNames.join('\n') + '\n');
writeFileSync(path.join(tmpDir, 'LICENSE'), licenseText);
writeFileSync(path.join(tmpDir, 'PROVENANCE.md'), provenance);
const oldDir = `${outDir}.old-${process.pid}`;
if (existsSync(outDir)) renameSync(outDir, oldDir);
renameSync(tmpDir, outDir);
rmSync(oldDir, { recursive: true, force: true });

console.log(
  `build-model: wrote ${path.relative(root, outDir)}/ (${layers.length} layers, ${nodes.length} nodes, ` +
    `${numParams.toLocaleString('en-US')} learnables, ${(shard.length / 1e6).toFixed(2)} MB, relu ${RELU_MODE}) from ${weightsDir}`,
);
