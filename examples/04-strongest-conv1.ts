// Step 4 of MATLAB's "Visualize Activations of a Convolutional Neural Network": the conv1 channel with the largest
// activation, resized to the image, beside the image.
//
// MATLAB:
//   [maxValue,maxValueIndex] = max(max(max(act1)));
//   act1chMax = act1(:,:,:,maxValueIndex);
//   act1chMax = mat2gray(act1chMax);
//   act1chMax = imresize(act1chMax,imgSize);
//   I = imtile({im,act1chMax});
//   imshow(I)
//
// Run: npx tsx examples/04-strongest-conv1.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imresize, imtile, mat2gray, maxChannel, maxChannelIndex } from 'cnn-activations';
import { isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 4,
  name: 'strongest conv1 channel',
  title: 'The strongest conv1 channel beside the image',
  caption:
    "The channel holding the largest activation of conv1, found as MATLAB's max(max(max(act1))) finds it: on " +
    'this image channel 1 (index 0). It responds to edges, light on one side and dark on the other, like an ' +
    'embossed print of the image.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize, log } = ctx;
  // #region walkthrough
  const act1 = activations(net, im, 'conv1') as tf.Tensor3D; // float32 [113, 113, 64]
  // #endregion
  try {
    // #region walkthrough
    const { index, matlabIndex, value } = await maxChannelIndex(act1); // read back: async
    const I = tf.tidy(() => {
      let act1chMax = maxChannel(act1); // float32 [113, 113], that channel
      act1chMax = mat2gray(act1chMax);
      act1chMax = imresize(act1chMax, imgSize); // float32 [227, 227]
      return imtile([im, act1chMax]); // float32 [227, 454, 3]
    });
    // #endregion
    try {
      log(`strongest conv1 channel: ${matlabIndex} in MATLAB (index ${index}), maximum ${value.toFixed(2)}`);
      const title = `Image and conv1 channel ${matlabIndex} (index ${index}), the strongest`;
      const figure = await writeFigure(ctx, I, '04-conv1-strongest.png', title);
      return { figures: [figure], facts: { strongest: { index, matlabIndex, value } } };
    } finally {
      I.dispose();
    }
  } finally {
    act1.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '04-strongest-conv1.ts');
