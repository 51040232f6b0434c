// MATLAB's occlusionSensitivity on the walkthrough's face: which parts of the image does SqueezeNet's top class rely
// on? The map is shown over the image as MATLAB shows it.
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   X = imresize(X, net.Layers(1).InputSize(1:2));
//   label = classify(net, X);
//   map = occlusionSensitivity(net, X, label);
//   imshow(X); hold on; imagesc(map, 'AlphaData', 0.5); colormap jet
//
// Run: npx tsx examples/interpret/occlusion.ts [--out DIR] [--backend wasm] [--image astronaut]
import path from 'node:path';
import { heatmapOverlay, imtile, imwrite, occlusionSensitivity } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, image, top, out } = await setUp();
// #region walkthrough: the map, over the image
const started = performance.now();
const map = await occlusionSensitivity(net, X, top.label, {
  onProgress: (f) => process.stdout.write(`\roccluding: ${Math.round(f * 100)}%`),
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const overlay = heatmapOverlay(X, map, { alpha: 0.5, colormap: 'jet' });
const figure = imtile([X, overlay]);
const file = path.join(out, `occlusion-${image}.png`);
await imwrite(figure, file);
// #endregion
console.log(
  `\n${top.label} (${top.score.toFixed(3)}): occlusion map in ${seconds} s -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, map, overlay, figure]) t.dispose();
net.dispose();
