// Step 1 of MATLAB's "Visualize Activations of a Convolutional Neural Network": load the network, read the image,
// keep its size, look at the layers.
//
// MATLAB:
//   net = squeezenet;
//   im = imread('face.jpg');
//   imshow(im)
//   imgSize = size(im);
//   imgSize = imgSize(1:2);
//   analyzeNetwork(net)
//
// Run: npx tsx examples/01-load-network.ts [--out DIR] [--backend wasm]
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { analyzeNetwork, imread, initBackend, squeezenet } from 'cnn-activations';
import {
  imagePath,
  isMain,
  parseCommonArgs,
  USAGE_OPTIONS,
  writeFigure,
  type CommonOptions,
  type StepResult,
  type WalkthroughContext,
} from './lib/common.js';

export const meta = {
  step: 1,
  name: 'load network and image',
  title: 'Load the network and the image',
  caption:
    "SqueezeNet v1.1 with MATLAB's weights and layer names, and the 227×227 face it looks at. The layer table " +
    'shows what can be inspected: conv1 has 64 channels.',
};

/** Starts a backend, loads the network and face.png once; every other step works on what this returns. */
export async function load(opts: Partial<CommonOptions> = {}, log: (line: string) => void = console.log) {
  const choice = await initBackend(opts.backend ? { backend: opts.backend } : undefined);
  // #region walkthrough
  const net = await squeezenet(); // MATLAB's weights and layer names
  const im = await imread(imagePath('face.png')); // int32 [227, 227, 3]: MATLAB's uint8
  const imgSize = im.shape.slice(0, 2) as [number, number]; // [227, 227]
  // #endregion
  const outDir = path.resolve(opts.out ?? 'out/walkthrough');
  mkdirSync(outDir, { recursive: true });
  const ctx: WalkthroughContext = { net, im, imgSize, outDir, log };
  const dispose = () => {
    im.dispose();
    net.dispose();
  };
  return { ctx, backend: choice.backend, dispose };
}

export async function run(ctx: WalkthroughContext): Promise<StepResult> {
  const { net, im, imgSize, log } = ctx;
  // #region walkthrough-analyze
  const analysis = analyzeNetwork(net); // the layer table; String(analysis) prints it
  // #endregion
  const conv1 = analysis.layers.find((layer) => layer.name === 'conv1');
  const channels = conv1 ? conv1.activations[conv1.activations.length - 1] : NaN;
  log(`${analysis.layers.length} layers, ${analysis.totalLearnables.toLocaleString('en-US')} learnables`);
  log(`input ${net.inputSize.join('×')}; image ${im.shape.join('×')} ${im.dtype}; imgSize = [${imgSize.join(', ')}]`);
  log(`conv1 has ${channels} channels`);
  const figure = await writeFigure(ctx, im, '01-input.png', 'face.png');
  return {
    figures: [figure],
    facts: { layers: analysis.layers.length, conv1Channels: channels, table: String(analysis), imgSize },
  };
}

const USAGE = `Step 1: load SqueezeNet and face.png, print the layer table.
usage: npx tsx examples/01-load-network.ts [options]
${USAGE_OPTIONS}`;

if (isMain(import.meta.url)) {
  try {
    const opts = parseCommonArgs(process.argv.slice(2), USAGE);
    const { ctx, backend, dispose } = await load(opts);
    console.log(`backend: ${backend}`);
    try {
      const { facts } = await run(ctx);
      console.log(facts.table);
    } finally {
      dispose();
    }
  } catch (err) {
    console.error(`error: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
