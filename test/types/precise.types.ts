/**
 * Compile-time checks of the public types, run by the typecheck (`tsc --noEmit -p .`, part of `npm run check` and
 * CI); nothing here executes. Each `@ts-expect-error` fails the typecheck if the line compiles, each typed
 * assignment if the type is wider than promised.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  activations,
  deepDreamImage,
  gradCAM,
  gradientAttribution,
  heatmapOverlay,
  im2double,
  im2uint8,
  imageLIME,
  imread,
  imresize,
  type MaxChannelInfo,
  mat2gray,
  maxChannel,
  rgb2gray,
  maxChannelIndex,
  type Network,
  occlusionSensitivity,
  predict,
  type Scores2LabelResult,
  scores2label,
  SQUEEZENET_LAYER_NAMES,
  tsne,
  type SqueezeNet,
  type SqueezeNetLayerName,
  squeezenet,
} from '../../src/index.js';

export async function preciseTypes(batch: tf.Tensor4D, anyRank: tf.Tensor, canvas: HTMLCanvasElement) {
  const net: SqueezeNet = await squeezenet();
  const im: tf.Tensor3D | tf.Tensor2D = await imread('face.png');
  // SqueezeNet: every layer gives maps, so one image gives a Tensor3D and a batch a Tensor4D.
  const one: tf.Tensor3D = activations(net, im, 'conv1');
  const info: MaxChannelInfo = await maxChannelIndex(one);
  const many: tf.Tensor4D = activations(net, batch, 'fire2-squeeze1x1');
  const infos: MaxChannelInfo[] = await maxChannelIndex(many);
  const pair: tf.Tensor3D[] = activations(net, im, ['conv1', 'pool1', 3]);
  const fromCanvas: tf.Tensor3D = activations(net, canvas, 'prob');
  const fromFile: tf.Tensor3D = activations(net, 'face.png', 'prob');
  const fromPixels: tf.Tensor3D = activations(net, { data: new Uint8ClampedArray(4), width: 1, height: 1 }, 'prob');
  const unknown: tf.Tensor3D | tf.Tensor4D = activations(net, anyRank, 'conv10');
  const rows: tf.Tensor2D = activations(net, im, 'conv1', { outputAs: 'rows' });
  const resized: tf.Tensor3D = activations(net, im, 'conv1', { resize: true });
  // @ts-expect-error a misspelt SqueezeNet layer does not compile
  activations(net, im, 'conv11');
  // @ts-expect-error nor in a list
  activations(net, im, ['conv1', 'fire2-squeeze1x2']);
  const name: SqueezeNetLayerName = SQUEEZENET_LAYER_NAMES[1];
  // Any network: its layers may be flat, so the rank is not promised; any name compiles (checked when it runs).
  const generic: Network = net;
  const wide: tf.Tensor = activations(generic, im, 'whatever');
  // @ts-expect-error not promised to be [h, w, c] for a network in general
  const narrow: tf.Tensor3D = activations(generic, im, 'conv1');
  // imresize keeps the rank, and takes a shape's slice as the size.
  const small: tf.Tensor3D | tf.Tensor2D = imresize(im, im.shape.slice(0, 2));
  // Image functions keep the rank; maxChannel drops the channel axis.
  const gray: tf.Tensor3D = mat2gray(one);
  const bytes: tf.Tensor3D = im2uint8(gray);
  const back: tf.Tensor3D = im2double(bytes);
  const strongest: tf.Tensor2D = maxChannel(one);
  const strongestEach: tf.Tensor3D = maxChannel(many);
  // rgb2gray drops the channel axis of one image (MATLAB's m×n) and keeps a batch's; imread's union is checked later.
  const luma: tf.Tensor2D = rgb2gray(one);
  const lumaEach: tf.Tensor4D = rgb2gray(many);
  const lumaRead: tf.Tensor = rgb2gray(im);
  // @ts-expect-error a number is no image
  rgb2gray(3);
  // The interpretability family: MATLAB's option values as literal types, so a misspelt one does not compile.
  const cam = await gradCAM(net, im, 'wig', { featureLayer: 'relu_conv10', outputUpsampling: 'nearest' });
  const camMap: tf.Tensor = cam.map;
  const camLayers: string[] = [cam.featureLayer, cam.reductionLayer];
  // @ts-expect-error MATLAB's 'bilinear' is not one of gradCAM's upsamplings
  await gradCAM(net, im, 'wig', { outputUpsampling: 'bilinear' });
  // @ts-expect-error MATLAB's capitalised option names are camelCase here
  await gradCAM(net, im, 'wig', { OutputUpsampling: 'nearest' });
  const pixels = await gradientAttribution(net, im, 'wig', { method: 'guided-backprop', outputScaling: 'none' });
  const pixelMap: tf.Tensor = pixels.map;
  const pixelLayer: string = pixels.reductionLayer;
  // @ts-expect-error the method names are the MATLAB example's: 'autodiff' or 'guided-backprop'
  await gradientAttribution(net, im, 'wig', { method: 'guided' });
  const occlusion: tf.Tensor2D = await occlusionSensitivity(net, im, 0, { maskSize: [32, 32], stride: 'auto' });
  // @ts-expect-error maskClipping is 'on' or 'off', as MATLAB's
  await occlusionSensitivity(net, im, 0, { maskClipping: true });
  const lime = await imageLIME(net, im, 'wig', { segmentation: 'grid', model: 'linear' });
  const importance: Float32Array = lime.featureImportance;
  const features: tf.Tensor2D = lime.featureMap;
  // @ts-expect-error the segmentation is 'superpixels' or 'grid'
  await imageLIME(net, im, 'wig', { segmentation: 'slic' });
  const poolRows = activations(net, im, 'pool10', { outputAs: 'rows' });
  const embedding = await tsne(poolRows, { perplexity: 10, distance: 'cosine' });
  const points: tf.Tensor2D = embedding.Y;
  const divergence: number = embedding.loss;
  // @ts-expect-error MATLAB's distances that need more arguments (mahalanobis, minkowski) are not taken
  await tsne(poolRows, { distance: 'mahalanobis' });
  // An array of classes (MATLAB's vector label) gives a map per class: one more axis, an importance array each.
  const occlusions: tf.Tensor3D = await occlusionSensitivity(net, im, ['wig', 903]);
  // @ts-expect-error the maps of several classes are not one map
  const notOne: tf.Tensor2D = await occlusionSensitivity(net, im, ['wig', 903]);
  const limes = await imageLIME(net, im, ['wig', 'mask']);
  const importances: Float32Array[] = limes.featureImportance;
  const limeMaps: tf.Tensor3D = limes.scoreMap;
  const cams: tf.Tensor = (await gradCAM(net, im, [0, 'wig'])).map;
  // A caller holding one class or several (a union) gets either result.
  const chosen = Math.random() < 0.5 ? 'wig' : ['wig', 'mask'];
  const either: tf.Tensor2D | tf.Tensor3D = await occlusionSensitivity(net, im, chosen);
  const eitherLime: Float32Array | Float32Array[] = (await imageLIME(net, im, chosen)).featureImportance;
  const dream: tf.Tensor4D = await deepDreamImage(net, 'fire3-squeeze1x1', [0, 1], { outputScaling: 'none' });
  // @ts-expect-error outputScaling is 'linear' or 'none'
  await deepDreamImage(net, 'fire3-squeeze1x1', 0, { outputScaling: 'minmax' });
  const overlay: tf.Tensor = heatmapOverlay(im, occlusion, { alpha: 0.5, colormap: 'jet' });
  // MATLAB's predict and scores2label: one tensor, or one per layer of an outputs array; layer names checked.
  const scores: tf.Tensor = predict(net, batch);
  const perLayer: tf.Tensor[] = predict(net, batch, { outputs: ['conv1', 2], miniBatchSize: 8 });
  // @ts-expect-error a misspelt SqueezeNet layer does not compile in outputs either
  predict(net, batch, { outputs: 'conv11' });
  // @ts-expect-error predict gives every result with its batch axis: no outputAs
  predict(net, batch, { outputAs: 'rows' });
  const labelled: Scores2LabelResult = await scores2label(scores, net.classNames, -1);
  const labels: string[] = labelled.labels;
  return [
    ...[scores, perLayer, labels],
    ...[camMap, camLayers, pixelMap, pixelLayer, occlusion, importance, features, dream, overlay],
    ...[occlusions, notOne, importances, limeMaps, cams, either, eitherLime, points, divergence],
    ...[
      one,
      info,
      many,
      infos,
      pair,
      fromCanvas,
      fromFile,
      fromPixels,
      unknown,
      rows,
      resized,
      name,
      wide,
      narrow,
      small,
    ],
    ...[gray, bytes, back, strongest, strongestEach, luma, lumaEach, lumaRead],
  ];
}
