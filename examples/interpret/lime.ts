// MATLAB's imageLIME on the walkthrough's face: which superpixels does SqueezeNet's top class depend on? The map of
// feature importances is shown over the image, as MATLAB shows it.
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   X = imresize(X, net.Layers(1).InputSize(1:2));
//   label = classify(net, X);
//   scoreMap = imageLIME(net, X, label);
//   imshow(X); hold on; imagesc(scoreMap, 'AlphaData', 0.5); colormap jet
//
// Run: npx tsx examples/interpret/lime.ts [--out DIR] [--backend wasm] [--image astronaut] [--samples 2048] [--features 49]
import path from 'node:path';
import { heatmapOverlay, imageLIME, imtile, imwrite } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, image, top, out, flags } = await setUp({ samples: '2048', features: '49' });
// #region walkthrough: the map, over the image
const started = performance.now();
const { scoreMap, featureMap, featureImportance } = await imageLIME(net, X, top.label, {
  numSamples: Number(flags.samples),
  numFeatures: Number(flags.features),
  seed: 1,
  onProgress: (f) => process.stdout.write(`\rscoring samples: ${Math.round(f * 100)}%`),
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const overlay = heatmapOverlay(X, scoreMap, { alpha: 0.5, colormap: 'jet' });
const figure = imtile([X, overlay]);
const file = path.join(out, `lime-${image}.png`);
await imwrite(figure, file);
// #endregion
const best = featureImportance.indexOf(Math.max(...featureImportance));
console.log(
  `\n${top.label} (${top.score.toFixed(3)}): ${featureImportance.length} features, the most important is ${best}, ` +
    `in ${seconds} s -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, scoreMap, featureMap, overlay, figure]) t.dispose();
net.dispose();
