// MATLAB's deepDreamImage on SqueezeNet: what do the first 16 channels of fire3-squeeze1x1 respond to? Each image is
// grown from noise by gradient ascent on its channel's mean activation, and the images are tiled, as MATLAB shows them.
//
// MATLAB:
//   net = squeezenet;
//   layer = 'fire3-squeeze1x1';
//   channels = 1:16;
//   I = deepDreamImage(net, layer, channels, 'PyramidLevels', 1);
//   imshow(imtile(I))
//
// Run: npx tsx examples/interpret/dream.ts [--out DIR] [--backend wasm]
import path from 'node:path';
import { deepDreamImage, imtile, imwrite } from 'cnn-activations';
import { setUp } from './setup.js';

const { net, X, out } = await setUp();
X.dispose();
// #region walkthrough: the images, tiled
const started = performance.now();
const channels = [...Array(16).keys()]; // MATLAB's 1:16
const I = await deepDreamImage(net, 'fire3-squeeze1x1', channels, {
  pyramidLevels: 1,
  onProgress: (f) => process.stdout.write(`\rdreaming: ${Math.round(f * 100)}%`),
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const figure = imtile(I);
const file = path.join(out, 'dream.png');
await imwrite(figure, file);
// #endregion
console.log(
  `\nfire3-squeeze1x1, channels 1 to 16 (indices 0 to 15): ${I.shape[0]} images in ${seconds} s -> ${file} ` +
    figure.shape.join('×'),
);
for (const t of [I, figure]) t.dispose();
net.dispose();
