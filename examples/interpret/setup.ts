// What the interpretability examples share: the command line (--out, --backend and their own flags), the backend,
// SqueezeNet, the walkthrough's face and its top class.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_NAMES,
  type BackendName,
  type ClassScore,
  classify,
  imread,
  initBackend,
  type Network,
  squeezenet,
} from 'cnn-activations';

export interface Example {
  net: Network;
  /** The face, int32 [227, 227, 3]. */
  X: tf.Tensor;
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
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { type: 'string' as const, default: v }])),
    },
  });
  const backend = values.backend as BackendName | undefined;
  if (backend !== undefined && !BACKEND_NAMES.includes(backend)) {
    throw new Error(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
  }
  await initBackend(backend ? { backend } : undefined);
  const net = await squeezenet();
  const X = await imread(path.join(import.meta.dirname, '..', 'images', 'face.png'));
  const [top] = await classify(net, X, 1);
  return { net, X, top, out: values.out as string, flags: values as Record<string, string | undefined> };
}
