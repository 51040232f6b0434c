// Step 7 of MATLAB's "Visualize Activations of a Convolutional Neural Network": do channels 14 and 47 respond to
// eyes? Feed the same face with one eye closed and compare.
//
// MATLAB:
//   imClosed = imread('face-eye-closed.jpg');
//   act6Closed = activations(net,imClosed,'fire6-relu_squeeze1x1');
//   sz = size(act6Closed);
//   act6Closed = reshape(act6Closed,[sz(1),sz(2),1,sz(3)]);
//   channelsClosed = repmat(imresize(mat2gray(act6Closed(:,:,:,[14 47])),imgSize),[1 1 3]);
//   channelsOpen = repmat(imresize(mat2gray(act6relu(:,:,:,[14 47])),imgSize),[1 1 3]);
//   I = imtile(cat(4,im,channelsOpen*255,imClosed,channelsClosed*255));
//   imshow(I)
//   title('Input Image, Channel 14, Channel 47');
//
// Run: npx tsx examples/07-closed-eye.ts [--out DIR] [--backend wasm]
import * as tf from '@tensorflow/tfjs-core';
import { activations, imread, imresize, imtile, mat2gray, uint8 } from 'cnn-activations';
import { imagePath, isMain, writeFigure, type StepResult, type WalkthroughContext } from './lib/common.js';
import { runStandalone } from './lib/standalone.js';

export const meta = {
  step: 7,
  name: 'closed eye',
  title: 'Open eye and closed eye',
  caption:
    'Top: face.png; bottom: the same face with her right eye (left in the picture) painted closed. Channels 14 and ' +
    '47 of fire6-relu_squeeze1x1 drop at the closed eye and stay at the open one: the network learned eyes on its ' +
    'own, without ever being told what an eye is.',
};

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize, log } = ctx;
  // #region walkthrough
  const imClosed = await imread(imagePath('face-eye-closed.png')); // int32 [227, 227, 3]
  const act6relu = activations(net, im, 'fire6-relu_squeeze1x1'); // float32 [14, 14, 48]
  const act6Closed = activations(net, imClosed, 'fire6-relu_squeeze1x1');
  // #endregion
  try {
    // #region walkthrough
    const I = tf.tidy(() => {
      const channels = (act: tf.Tensor) => {
        const pair = imresize(mat2gray(tf.gather(act, [13, 46], 2)), imgSize); // [227, 227, 2]
        const frames = tf.expandDims(tf.transpose(pair, [2, 0, 1]), 3); // [2, 227, 227, 1]
        return tf.tile(frames, [1, 1, 1, 3]); // repmat: [2, 227, 227, 3]
      };
      // cat(4, uint8, double*255, ...) is uint8: uint8() rounds and saturates as MATLAB does
      const frames = tf.concat([
        tf.expandDims(im, 0),
        uint8(tf.mul(channels(act6relu), 255)),
        tf.expandDims(imClosed, 0),
        uint8(tf.mul(channels(act6Closed), 255)),
      ]); // int32 [6, 227, 227, 3]
      return imtile(frames); // 2×3 grid: int32 [454, 681, 3]
    });
    // #endregion
    try {
      const title = 'Input Image, Channel 14, Channel 47';
      const figure = await writeFigure(ctx, I, '07-closed-eye.png', title);
      const [rows, cols] = act6relu.shape as number[];
      const eye = await changedRegion(im, imClosed, rows, cols);
      const facts: Record<string, unknown> = { eyeRegion: eye };
      for (const [index, matlabIndex] of [
        [13, 14],
        [46, 47],
      ]) {
        const open = await regionMax(act6relu, index, eye);
        const closed = await regionMax(act6Closed, index, eye);
        const change = closed.inside / open.inside - 1;
        log(
          `channel ${matlabIndex} (index ${index}) at the closed eye: ${open.inside.toFixed(1)} → ` +
            `${closed.inside.toFixed(1)} (${(100 * change).toFixed(0)}%); elsewhere ${open.outside.toFixed(1)} → ` +
            `${closed.outside.toFixed(1)}`,
        );
        facts[`channel${matlabIndex}`] = { index, matlabIndex, open, closed, change };
      }
      return { figures: [figure], facts };
    } finally {
      I.dispose();
    }
  } finally {
    imClosed.dispose();
    act6relu.dispose();
    act6Closed.dispose();
  }
}

// Beyond the MATLAB example: measure the drop. The painted region is where the two images differ; it is mapped onto
// the activation grid (a 14×14 cell covers about 16×16 pixels) and the channel's maximum is taken inside and outside.

/** Rows and columns (inclusive) of the activation cells that cover the pixels where `a` and `b` differ. */
async function changedRegion(a: tf.Tensor, b: tf.Tensor, rows: number, cols: number) {
  const [rowsHit, colsHit] = tf.tidy(() => {
    const differs = tf.any(tf.notEqual(a, b), 2); // bool [h, w]: true where any colour differs
    return [tf.any(differs, 1), tf.any(differs, 0)];
  });
  const hits = await Promise.all([rowsHit.data(), colsHit.data()]);
  rowsHit.dispose();
  colsHit.dispose();
  const span = (hit: ArrayLike<number>, cells: number) => {
    const idx = Array.from(hit).flatMap((v, i) => (v ? [i] : []));
    if (idx.length === 0) throw new Error('the two images are identical');
    return [Math.floor((idx[0] * cells) / hit.length), Math.floor((idx[idx.length - 1] * cells) / hit.length)];
  };
  const [r0, r1] = span(hits[0], rows);
  const [c0, c1] = span(hits[1], cols);
  return { rows: [r0, r1], cols: [c0, c1] };
}

/** Maximum of channel `index` of `act` inside the region and outside it. */
async function regionMax(act: tf.Tensor, index: number, region: { rows: number[]; cols: number[] }) {
  const [h, w] = act.shape as number[];
  const channel = tf.gather(act, index, 2); // float32 [h, w]
  const values = (await channel.array()) as unknown as number[][];
  channel.dispose();
  let inside = -Infinity;
  let outside = -Infinity;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const isIn = r >= region.rows[0] && r <= region.rows[1] && c >= region.cols[0] && c <= region.cols[1];
      if (isIn) inside = Math.max(inside, values[r][c]);
      else outside = Math.max(outside, values[r][c]);
    }
  }
  return { inside, outside };
}

if (isMain(import.meta.url)) await runStandalone(run, meta, '07-closed-eye.ts');
