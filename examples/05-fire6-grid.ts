// Step 5 of MATLAB's "Visualize Activations of a Convolutional Neural Network": a deeper layer, fire6-squeeze1x1,
// all 48 channels enlarged to 64×64, and its strongest channel.
//
// MATLAB:
//   act6 = activations(net,im,'fire6-squeeze1x1');
//   sz = size(act6);
//   act6 = reshape(act6,[sz(1) sz(2) 1 sz(3)]);
//   I = imtile(imresize(mat2gray(act6),[64 64]),'GridSize',[6 8]);
//   imshow(I)
//   [maxValue6,maxValueIndex6] = max(max(max(act6)));
//   act6chMax = act6(:,:,:,maxValueIndex6);
//   imshow(imresize(mat2gray(act6chMax),imgSize))
//
// Run: npx tsx examples/05-fire6-grid.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imresize, imtile, mat2gray, maxChannel, maxChannelIndex } from 'cnn-activations';
import { isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 5,
  name: 'fire6-squeeze1x1',
  title: 'fire6-squeeze1x1: 48 channels and the strongest',
  caption:
    'Deeper in the network each channel is 14×14 and responds to larger, more complex features. The strongest ' +
    'channel is channel 14 (index 13): its brightest spots are the two eyes.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize, log } = ctx;
  // #region walkthrough
  const act6 = activations(net, im, 'fire6-squeeze1x1') as tf.Tensor3D; // float32 [14, 14, 48]
  // #endregion
  try {
    // #region walkthrough
    const I = tf.tidy(() => imtile(imresize(mat2gray(act6), [64, 64]), { gridSize: [6, 8] }));
    const { index, matlabIndex, value } = await maxChannelIndex(act6);
    const chMax = tf.tidy(() => imresize(mat2gray(maxChannel(act6)), imgSize)); // [227, 227]
    // #endregion
    try {
      log(`fire6-squeeze1x1 activations ${act6.shape.join('×')} → grid ${I.shape.join('×')}`);
      log(`strongest channel: ${matlabIndex} in MATLAB (index ${index}), maximum ${value.toFixed(2)}`);
      const grid = await writeFigure(
        ctx,
        I,
        '05-fire6-grid.png',
        'fire6-squeeze1x1, 48 channels (64×64 each, 6×8 grid)',
      );
      const title = `fire6-squeeze1x1 channel ${matlabIndex} (index ${index}), the strongest`;
      const strongest = await writeFigure(ctx, chMax, '05-fire6-strongest.png', title);
      return { figures: [grid, strongest], facts: { strongest: { index, matlabIndex, value } } };
    } finally {
      I.dispose();
      chMax.dispose();
    }
  } finally {
    act6.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '05-fire6-grid.ts');
