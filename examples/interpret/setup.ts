// What the interpretability examples share: the command line (--out, --backend, --image and their own flags), the
// backend, SqueezeNet, the image (the walkthrough's face by default), resized to the network's input as MATLAB's
// examples do (`X = imresize(X, inputSize(1:2))`), and its top class.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_NAMES,
  type BackendName,
  type ClassScore,
  classify,
  imread,
  imresize,
  initBackend,
  type Network,
  squeezenet,
} from 'cnn-activations';

/** The images the examples take (`--image`), from examples/images. */
export const IMAGES = ['face', 'astronaut', 'face-eye-closed'] as const;

export interface Example {
  net: Network;
  /** The image, int32 [227, 227, 3]. */
  X: tf.Tensor;
  /** Its name (`--image`), which the figure's file name carries. */
  image: string;
  /** SqueezeNet's top class for it. */
  top: ClassScore;
  /** The figure's folder (--out). */
  out: string;
  /** The example's own string flags. */
  flags: Record<string, string | undefined>;
}

/** Parses the command line (`extra`: the example's own string flags and their defaults) and loads what it needs. */
export async function setUp(extra: Record<string, string> = {}): Promise<Example> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'out/interpret' },
      backend: { type: 'string' },
      image: { type: 'string', default: 'face' },
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { type: 'string' as const, default: v }])),
    },
  });
  const backend = values.backend as BackendName | undefined;
  if (backend !== undefined && !BACKEND_NAMES.includes(backend)) {
    throw new Error(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
  }
  const image = values.image as string;
  if (!(IMAGES as readonly string[]).includes(image)) throw new Error(`--image must be one of ${IMAGES.join(', ')}`);
  await initBackend(backend ? { backend } : undefined);
  const net = await squeezenet();
  const original = await imread(path.join(import.meta.dirname, '..', 'images', `${image}.png`));
  const [h, w] = original.shape;
  const X = h === 227 && w === 227 ? original : imresize(original, [227, 227]);
  if (X !== original) original.dispose();
  const [top] = await classify(net, X, 1);
  return { net, X, image, top, out: values.out as string, flags: values as Record<string, string | undefined> };
}
