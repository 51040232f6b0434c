// MATLAB's "Grad-CAM Reveals the Why Behind Deep Learning Decisions" on the walkthrough's face: the Grad-CAM map of
// SqueezeNet's top class (feature layer relu_conv10, reduction layer prob), over the image.
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   X = imresize(X, net.Layers(1).InputSize(1:2));
//   label = classify(net, X);
//   scoreMap = gradCAM(net, X, label);
//   imshow(X); hold on; imagesc(scoreMap, 'AlphaData', 0.5); colormap jet
//
// Run: npx tsx examples/interpret/gradcam.ts [--out DIR] [--backend wasm] [--image astronaut]
import path from 'node:path';
import { gradCAM, heatmapOverlay, imtile, imwrite } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, image, top, out } = await setUp();
// #region walkthrough: the map, over the image
const started = performance.now();
const { map, featureLayer, reductionLayer } = await gradCAM(net, X, top.label);
const ms = (performance.now() - started).toFixed(0);
const overlay = heatmapOverlay(X, map, { alpha: 0.5, colormap: 'jet' });
const figure = imtile([X, overlay]);
const file = path.join(out, `gradcam-${image}.png`);
await imwrite(figure, file);
// #endregion
console.log(
  `${top.label} (${top.score.toFixed(3)}): Grad-CAM at ${featureLayer} for ${reductionLayer} in ${ms} ms -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, map, overlay, figure]) t.dispose();
net.dispose();
