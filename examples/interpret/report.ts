// The interpretability examples in one report: Grad-CAM, gradient attribution, occlusion sensitivity (of the top
// class, then of the top three at once) and LIME on the walkthrough's face and on the full portrait it was cropped
// from, then deep dream (which takes no image) and t-SNE of crops of the portrait, each as its example file runs it
// (a process per run), with MATLAB's code beside ours and the figures, in interpret.html.
//
// Run: npm run interpret [-- --out DIR] [-- --backend wasm] [-- --samples 2048] [-- --features 49]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PNG } from 'pngjs';
import { BACKEND_NAMES } from '../../src/backend/backendNames.js';
import { INTERPRET_PAGE, renderReport, type ReportStep } from '../lib/report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

const USAGE = `Runs the interpretability examples on two images and writes interpret.html beside their figures.
usage: npm run interpret [-- options]
  --out DIR          folder for the figures and the report (default out/interpret)
  --backend NAME     ${BACKEND_NAMES.join(' | ')} (default: the first that starts, wasm in Node)
  --samples N        imageLIME's NumSamples (default 2048, MATLAB's)
  --features N       imageLIME's NumFeatures (default 49, MATLAB's)
  -h, --help         this help`;

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/interpret' },
    backend: { type: 'string' },
    samples: { type: 'string', default: '2048' },
    features: { type: 'string', default: '49' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(values.backend)) {
  console.error(`--backend must be one of ${BACKEND_NAMES.join(', ')}\n${USAGE}`);
  process.exit(2);
}
const out = values.out as string;

const METHODS = [
  {
    file: 'gradcam.ts',
    name: 'gradcam',
    title: 'Grad-CAM',
    caption:
      "The gradient of the class score at the last convolution (relu_conv10), averaged per channel, weights that layer's " +
      'channels; their sum, rectified and upsampled, is the map (MATLAB: "Grad-CAM Reveals the Why Behind Deep ' +
      'Learning Decisions").',
    shows: 'the map over it',
  },
  {
    file: 'gradient.ts',
    name: 'gradient',
    title: 'Gradient attribution',
    caption:
      'The gradient of the class score with respect to each pixel, its absolute values summed over the colour ' +
      'channels and rescaled to [0, 1]: plain, then by guided backpropagation, where each ReLU passes back only ' +
      'positive evidence (MATLAB: "Investigate Classification Decisions Using Gradient Attribution Techniques").',
    shows: 'the plain and the guided map beside it',
  },
  {
    file: 'occlusion.ts',
    name: 'occlusion',
    title: 'Occlusion sensitivity',
    caption:
      "How much the class score drops when a square mask hides each part of the image, at MATLAB's defaults " +
      "(a 45-pixel square moved 23 pixels at a time, filled with the image's mean).",
    shows: 'the map over it',
  },
  {
    file: 'top-classes.ts',
    name: 'top-classes',
    title: 'Occlusion sensitivity of the top three classes',
    caption:
      "The same masked images scored once for SqueezeNet's three most likely classes: a map for each, side by side " +
      '(MATLAB: occlusionSensitivity with a vector of classes, scoreMap(:,:,i)).',
    shows: 'the maps over it',
  },
  {
    file: 'lime.ts',
    name: 'lime',
    title: 'LIME',
    caption:
      'The image cut into superpixels; images with some of them greyed out are scored, and a regression tree fitted ' +
      'to the scores says how much each superpixel matters (MATLAB: imageLIME).',
    shows: 'the map over it',
  },
];
const IMAGES = [
  { image: 'face', label: 'the face' },
  { image: 'astronaut', label: 'the portrait' },
];
/** The method that takes no image: run once, after the others. */
const DREAM = {
  file: 'dream.ts',
  name: 'dream',
  title: 'Deep dream',
  caption:
    'Images that the first 16 channels of fire3-squeeze1x1 respond to most, each grown from noise by gradient ascent on ' +
    "its channel's mean activation, one pyramid level of 10 iterations (MATLAB: deepDreamImage, PyramidLevels 1).",
};

/** The method that looks at many images: 81 crops of the portrait, run once, last. */
const TSNE = {
  file: 'tsne.ts',
  name: 'tsne',
  title: 't-SNE of 81 crops of the portrait',
  caption:
    "SqueezeNet's pool10 activations (its evidence for each class) for 81 overlapping crops of the portrait, placed " +
    'in two dimensions by t-SNE so that crops the network sees alike lie together (MATLAB: "View Network Behavior ' +
    'Using tsne").',
};

/** Runs an example file in a process of its own; what it said last, and how long it took. */
function run(file: string, extra: string[]): { said: string[]; seconds: number } {
  const args = ['--import', 'tsx', path.join(HERE, file), '--out', out, ...extra];
  if (values.backend) args.push('--backend', values.backend);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, 'examples', 'tsconfig.json') },
  });
  if (r.status !== 0) {
    console.error(`${file} ${extra.join(' ')} failed:\n${r.stderr}`);
    process.exit(1);
  }
  // The progress lines end in '\r'; keep what the example said last.
  const said = r.stdout
    .split('\n')
    .map((l) => l.split('\r').pop()?.trim() ?? '')
    .filter(Boolean);
  return { said, seconds: (performance.now() - t0) / 1000 };
}

/** A report step of an example's run and its one figure. */
function step(
  n: number,
  m: { file: string; title: string; caption: string },
  name: string,
  title: string,
  shownArgs: string,
  figure: { file: string; title: string },
  { said, seconds }: { said: string[]; seconds: number },
): ReportStep {
  const png = PNG.sync.read(readFileSync(path.join(out, figure.file)));
  console.log(`${n}. ${title}: ${said.at(-1)} (${seconds.toFixed(1)} s)`);
  return {
    meta: { step: n, name, title, caption: m.caption },
    file: path.join(HERE, m.file),
    shownFile: `examples/interpret/${m.file}${shownArgs}`,
    result: {
      figures: [{ ...figure, shape: [png.height, png.width, 3], dtype: 'int32' }],
      facts: {},
    },
    lines: said.slice(-1),
    seconds,
  };
}

const started = performance.now();
const steps: ReportStep[] = [];
for (const { image, label } of IMAGES) {
  for (const m of METHODS) {
    const extra = ['--image', image];
    if (m.name === 'lime') extra.push('--samples', values.samples as string, '--features', values.features as string);
    const figure = {
      file: `${m.name}-${image}.png`,
      title: `${label}, and ${m.shows}`,
    };
    const ran = run(m.file, extra);
    steps.push(
      step(steps.length + 1, m, `${m.name}-${image}`, `${m.title} on ${label}`, ` --image ${image}`, figure, ran),
    );
  }
}
const dreamFigure = { file: 'dream.png', title: 'one image per channel, channels 1 to 16 (indices 0 to 15)' };
steps.push(step(steps.length + 1, DREAM, DREAM.name, DREAM.title, '', dreamFigure, run(DREAM.file, [])));
const tsneFigure = { file: 'tsne-astronaut.png', title: 'each crop of the portrait where t-SNE placed it' };
steps.push(step(steps.length + 1, TSNE, TSNE.name, TSNE.title, '', tsneFigure, run(TSNE.file, [])));

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
const html = path.join(out, 'interpret.html');
writeFileSync(
  html,
  renderReport(
    steps,
    {
      backend: values.backend ?? 'default (initBackend)',
      version,
      date: new Date().toISOString().slice(0, 10),
      seconds: (performance.now() - started) / 1000,
    },
    INTERPRET_PAGE,
  ),
);
console.log(`wrote ${html}`);
