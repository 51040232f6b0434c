// Step 3 of MATLAB's "Visualize Activations of a Convolutional Neural Network": one conv1 channel, resized to the
// image, beside the image.
//
// MATLAB:
//   act1ch22 = act1(:,:,:,22);
//   act1ch22 = mat2gray(act1ch22);
//   act1ch22 = imresize(act1ch22,imgSize);
//   I = imtile({im,act1ch22});
//   imshow(I)
//
// Run: npx tsx examples/03-channel-22.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imresize, imtile, mat2gray } from 'cnn-activations';
import { isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 3,
  name: 'channel 22',
  title: 'conv1 channel 22 beside the image',
  caption:
    'Channel 22 (index 21) is brightest on the red of the suit (bottom left) and on the lips, bright on the skin, ' +
    'and dark on the hair and the gray background: it responds to red.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize } = ctx;
  // #region walkthrough
  const I = tf.tidy(() => {
    const act1 = activations(net, im, 'conv1'); // float32 [113, 113, 64]
    let act1ch22 = tf.gather(act1, 21, 2); // channel 22 is index 21: float32 [113, 113]
    act1ch22 = mat2gray(act1ch22);
    act1ch22 = imresize(act1ch22, imgSize); // bicubic, MATLAB's weights: float32 [227, 227]
    return imtile([im, act1ch22]); // int32 RGB + float32 gray → float32 [227, 454, 3]
  });
  // #endregion
  try {
    const figure = await writeFigure(ctx, I, '03-conv1-channel22.png', 'Image and conv1 channel 22');
    return { figures: [figure], facts: { channel: { index: 21, matlabIndex: 22 } } };
  } finally {
    I.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '03-channel-22.ts');
