// Step 6 of MATLAB's "Visualize Activations of a Convolutional Neural Network": channels 14 and 47 of fire6, before
// and after its ReLU.
//
// MATLAB:
//   I = imtile(imresize(mat2gray(act6(:,:,:,[14 47])),imgSize));
//   imshow(I)
//   act6relu = activations(net,im,'fire6-relu_squeeze1x1');
//   sz = size(act6relu);
//   act6relu = reshape(act6relu,[sz(1) sz(2) 1 sz(3)]);
//   I = imtile(imresize(mat2gray(act6relu(:,:,:,[14 47])),imgSize));
//   imshow(I)
//
// Run: npx tsx examples/06-fire6-eyes.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imresize, imtile, mat2gray } from 'cnn-activations';
import { isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 6,
  name: 'channels 14 and 47',
  title: 'fire6 channels 14 and 47, before and after ReLU',
  caption:
    'Channels 14 and 47 (indices 13 and 46) seem to respond to the eyes. Before the ReLU both light and dark ' +
    'regions appear; after it only the positive activations remain, and they sit on the eyes and the mouth.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize } = ctx;
  // #region walkthrough
  const [I, Irelu] = tf.tidy(() => {
    const eyes = (act: tf.Tensor) => imtile(imresize(mat2gray(tf.gather(act, [13, 46], 2)), imgSize));
    const act6 = activations(net, im, 'fire6-squeeze1x1'); // float32 [14, 14, 48]
    const act6relu = activations(net, im, 'fire6-relu_squeeze1x1'); // max(0, act6)
    return [eyes(act6), eyes(act6relu)]; // float32 [227, 454] each: channel 14 left, 47 right
  });
  // #endregion
  try {
    const before = await writeFigure(ctx, I, '06-fire6-ch14-47.png', 'fire6-squeeze1x1, channels 14 and 47');
    const after = await writeFigure(
      ctx,
      Irelu,
      '06-fire6-relu-ch14-47.png',
      'fire6-relu_squeeze1x1, channels 14 and 47',
    );
    return { figures: [before, after], facts: { channels: { index: [13, 46], matlabIndex: [14, 47] } } };
  } finally {
    I.dispose();
    Irelu.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '06-fire6-eyes.ts');
