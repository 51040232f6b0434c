// MATLAB's "Grad-CAM Reveals the Why Behind Deep Learning Decisions" on the walkthrough's face: the Grad-CAM map of
// SqueezeNet's top class (feature layer relu_conv10, reduction layer prob), over the image.
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   label = classify(net, X);
//   scoreMap = gradCAM(net, X, label);
//   imshow(X); hold on; imagesc(scoreMap, 'AlphaData', 0.5); colormap jet
//
// Run: npx tsx examples/interpret/gradcam.ts [--out DIR] [--backend wasm]
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  BACKEND_NAMES,
  type BackendName,
  classify,
  gradCAM,
  heatmapOverlay,
  imread,
  imtile,
  imwrite,
  initBackend,
  squeezenet,
} from 'cnn-activations';

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'out/interpret' }, backend: { type: 'string' } },
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
const { map, featureLayer, reductionLayer } = await gradCAM(net, X, top.label);
const ms = (performance.now() - started).toFixed(0);
const overlay = heatmapOverlay(X, map, { alpha: 0.5, colormap: 'jet' });
const figure = imtile([X, overlay]);
const file = path.join(values.out as string, 'gradcam-face.png');
await imwrite(figure, file);
console.log(
  `${top.label} (${top.score.toFixed(3)}): Grad-CAM at ${featureLayer} for ${reductionLayer} in ${ms} ms -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, map, overlay, figure]) t.dispose();
net.dispose();
