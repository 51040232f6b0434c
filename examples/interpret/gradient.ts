// MATLAB's "Investigate Classification Decisions Using Gradient Attribution Techniques" on the walkthrough's face:
// the gradient of SqueezeNet's top class score with respect to each pixel, plain and by guided backpropagation.
//
// The example's helper function gradientAttribution computes map = rescale(sum(abs(dydI), 3)).
//
// MATLAB:
//   net = squeezenet;
//   X = imread('face.jpg');
//   X = imresize(X, net.Layers(1).InputSize(1:2));
//   YPred = classify(net, X);
//   map = gradientAttribution(net, X, YPred, "prob", "autodiff");
//   mapGB = gradientAttribution(net, X, YPred, "prob", "guided-backprop");
//   imshow(map)                      % a map in [0, 1], shown in gray
//
// Run: npx tsx examples/interpret/gradient.ts [--out DIR] [--backend wasm] [--image astronaut]
import path from 'node:path';
import { gradientAttribution, imagesc, imtile, imwrite } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, image, top, out } = await setUp();
// #region walkthrough: the image, the gradient map and the guided one
const started = performance.now();
const plain = await gradientAttribution(net, X, top.label);
const guided = await gradientAttribution(net, X, top.label, { method: 'guided-backprop' });
const ms = (performance.now() - started).toFixed(0);
// imshow(map) of a map in [0, 1]: black 0, white 1.
const [plainImage, guidedImage] = [plain.map, guided.map].map((m) => imagesc(m, { colormap: 'gray' }));
const figure = imtile([X, plainImage, guidedImage], { gridSize: [1, 3] });
const file = path.join(out, `gradient-${image}.png`);
await imwrite(figure, file);
// #endregion
console.log(
  `${top.label} (${top.score.toFixed(3)}): gradient maps for ${plain.reductionLayer}, plain and guided, in ${ms} ms -> ${file} ${figure.shape.join('×')}`,
);
for (const t of [X, plain.map, guided.map, plainImage, guidedImage, figure]) t.dispose();
net.dispose();
