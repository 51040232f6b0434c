/**
 * A model as Teachable Machine exports it (model.json, weights.bin, metadata.json): a Keras Sequential of two nested
 * Sequentials, as `@teachablemachine/image` builds and saves it: a truncated MobileNet-like functional model with a
 * global average pooling after it, and a classifier (a dense layer of ReLUs, then a softmax without bias). Small
 * (224×224 RGB in, 3 classes), with seeded weights.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeModelFiles } from './userGraph.js';

/** The class names its metadata.json gives. */
export const TM_LABELS = ['mug', 'spoon', 'kettle'];

/** metadata.json as Teachable Machine writes it beside the model. */
export const TM_METADATA = {
  tfjsVersion: '1.3.1',
  tmVersion: '2.4.10',
  packageVersion: '0.8.4',
  packageName: '@teachablemachine/image',
  timeStamp: '2026-01-01T00:00:00.000Z',
  userMetadata: {},
  modelName: 'tm-my-image-model',
  labels: TM_LABELS,
  imageSize: 224,
};

/** The model, built in code. */
export function teachableMachineModel(): tfl.Sequential {
  const init = (seed: number) => ({ kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
  const image = tfl.input({ shape: [224, 224, 3] });
  let x = tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', name: 'Conv1', ...init(1) });
  let y = x.apply(image) as tfl.SymbolicTensor;
  y = tfl.layers.reLU({ maxValue: 6, name: 'Conv1_relu' }).apply(y) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 16, kernelSize: 1, name: 'Conv_1', ...init(2) });
  y = tfl.layers.reLU({ maxValue: 6, name: 'out_relu' }).apply(x.apply(y)) as tfl.SymbolicTensor;
  const truncated = tfl.model({ inputs: image, outputs: y, name: 'model1' });
  const base = tfl.sequential({ name: 'sequential_1' });
  base.add(truncated);
  base.add(tfl.layers.globalAveragePooling2d({ name: 'global_average_pooling2d_GlobalAveragePooling2D1' }));
  const head = tfl.sequential({
    name: 'sequential_3',
    layers: [
      tfl.layers.dense({ inputShape: [16], units: 100, activation: 'relu', name: 'dense_Dense1', ...init(3) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', useBias: false, name: 'dense_Dense2', ...init(4) }),
    ],
  });
  const whole = tfl.sequential({ name: 'sequential_4' });
  whole.add(base);
  whole.add(head);
  return whole;
}

/** Writes the three files of the export into `dir`; returns the model written (the caller disposes it). */
export async function writeTeachableMachineModel(dir: string): Promise<tfl.Sequential> {
  const model = teachableMachineModel();
  await writeModelFiles(dir, model);
  writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify(TM_METADATA));
  return model;
}
