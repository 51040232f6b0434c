// Step 2 of MATLAB's "Visualize Activations of a Convolutional Neural Network": the activations of conv1, all 64
// channels side by side.
//
// MATLAB:
//   act1 = activations(net,im,'conv1');
//   sz = size(act1);
//   act1 = reshape(act1,[sz(1) sz(2) 1 sz(3)]);
//   I = imtile(mat2gray(act1),'GridSize',[8 8]);
//   imshow(I)
//
// Run: npx tsx examples/02-conv1-grid.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imtile, mat2gray } from 'cnn-activations';
import { isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 2,
  name: 'conv1 grid',
  title: 'conv1: all 64 channels',
  caption:
    'Each tile is one channel of conv1, scaled together by mat2gray: white is strongly positive, black strongly ' +
    'negative, mid-gray barely active. Positions in a tile match positions in the image.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im } = ctx;
  // #region walkthrough
  const I = tf.tidy(() => {
    const act1 = activations(net, im, 'conv1'); // float32 [113, 113, 64]; no reshape needed
    return imtile(mat2gray(act1), { gridSize: [8, 8] }); // float32 [904, 904]
  });
  // #endregion
  try {
    ctx.log(`conv1 activations 113×113×64 → grid ${I.shape.join('×')}`);
    const figure = await writeFigure(ctx, I, '02-conv1-grid.png', 'conv1, 64 channels (mat2gray, 8×8 grid)');
    return { figures: [figure], facts: { gridShape: I.shape } };
  } finally {
    I.dispose();
  }
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '02-conv1-grid.ts');
