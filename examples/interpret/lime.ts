// MATLAB's imageLIME on the walkthrough's face: which superpixels does SqueezeNet's top class depend on? The map of
// feature importances is shown over the image, as MATLAB shows it.
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   label = classify(net, X);
//   scoreMap = imageLIME(net, X, label);
//   imshow(X); hold on; imagesc(scoreMap, 'AlphaData', 0.5); colormap jet
//
// Run: npx tsx examples/interpret/lime.ts [--out DIR] [--backend wasm] [--samples 2048] [--features 49]
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BACKEND_NAMES,
  type BackendName,
  classify,
  heatmapOverlay,
  imageLIME,
  imread,
  imtile,
  imwrite,
  initBackend,
  squeezenet,
} from 'cnn-activations';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'out/interpret' },
    backend: { type: 'string' },
    samples: { type: 'string', default: '2048' },
    features: { type: 'string', default: '49' },
  },
});
const backend = values.backend as BackendName | undefined;
if (backend !== undefined && !BACKEND_NAMES.includes(backend)) {
  throw new Error(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
}
await initBackend(backend ? { backend } : undefined);
const net = await squeezenet();
const X = await imread(path.join(import.meta.dirname, '..', 'images', 'face.png'));
const [top] = await classify(net, X, 1);
const started = performance.now();
const { scoreMap, featureMap, featureImportance } = await imageLIME(net, X, top.label, {
  numSamples: Number(values.samples),
  numFeatures: Number(values.features),
  seed: 1,
  onProgress: (f) => process.stdout.write(`\rscoring samples: ${Math.round(f * 100)}%`),
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const overlay = heatmapOverlay(X, scoreMap, { alpha: 0.5, colormap: 'jet' });
const figure = imtile([X, overlay]);
const file = path.join(values.out as string, 'lime-face.png');
await imwrite(figure, file);
const best = featureImportance.indexOf(Math.max(...featureImportance));
console.log(
  `\n${top.label} (${top.score.toFixed(3)}): ${featureImportance.length} features, the most important is ${best}, ` +
    `in ${seconds} s -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, scoreMap, featureMap, overlay, figure]) t.dispose();
net.dispose();
