/**
 * SqueezeNet v1.1's architecture as MATLAB describes it: the 67 layers of `squeezenet` in MATLAB's order, with
 * MATLAB's names, types, descriptions and hyper-parameters (its paddings, not Caffe's ceil-mode pooling: pool1 none,
 * pool3 and pool5 `[0 1 0 1]`, expand3x3 `[1 1 1 1]`).
 *
 * Read at build time by `scripts/build-model.ts`, which writes it into the model files; the library reads it back from
 * there. Not part of the runtime bundles.
 */
import type { LayerSpec } from '../../net/modelFormat.js';
import type { InputNormalization } from '../../net/types.js';

/** The shape of a convolution's weights as the weight file stores them: `[out, in, kh, kw]` (OIHW). */
export type ConvShape = readonly [number, number, number, number];

/** The network's name (`Network.name`). */
export const NAME = 'squeezenet';

/** The number of layers MATLAB's `squeezenet` lists (without its classification-output layer). */
export const NUM_LAYERS = 67;

const fmt = (a: readonly number[]) => a.join('×');

/**
 * The layer table of SqueezeNet v1.1.
 *
 * @param inputSize `[h, w, c]` the network was trained at (`[227, 227, 3]`).
 * @param normalization The input layer's normalization (`zerocenter` with the ImageNet mean for MATLAB's weights).
 * @param convShape The OIHW weight shape of each convolution, by MATLAB layer name (from the weight file); each is
 *   checked against the kernel size the architecture has there.
 * @throws {Error} when a convolution's weights are missing or have another kernel size.
 */
export function squeezenetLayers(
  inputSize: readonly [number, number, number],
  normalization: InputNormalization,
  convShape: (layer: string) => ConvShape | undefined,
): LayerSpec[] {
  const layers: LayerSpec[] = [];
  const pad0 = [0, 0, 0, 0] as const;
  const conv = (name: string, input: string, k: number, stride: number, padding: readonly number[]) => {
    const shape = convShape(name);
    if (!shape) throw new Error(`no weights for convolution ${name}`);
    const [out, cin, kh, kw] = shape;
    if (kh !== k || kw !== k) throw new Error(`convolution ${name} has ${kh}×${kw} kernels, SqueezeNet has ${k}×${k}`);
    layers.push({
      name,
      type: 'Convolution',
      description: `${out} ${fmt([k, k, cin])} convolutions with stride [${stride} ${stride}] and padding [${padding.join(' ')}]`,
      inputs: [input],
      kernel: [k, k],
      stride: [stride, stride],
      padding: padding as [number, number, number, number],
      numChannels: cin,
      numFilters: out,
    });
    return name;
  };
  const relu = (name: string, input: string) => {
    layers.push({ name, type: 'ReLU', description: 'ReLU', inputs: [input] });
    return name;
  };
  const maxPool = (name: string, input: string, padding: readonly number[]) => {
    layers.push({
      name,
      type: 'Max Pooling',
      description: `3×3 max pooling with stride [2 2] and padding [${padding.join(' ')}]`,
      inputs: [input],
      kernel: [3, 3],
      stride: [2, 2],
      padding: padding as [number, number, number, number],
    });
    return name;
  };
  const fire = (n: number, input: string) => {
    const f = `fire${n}`;
    const s = relu(`${f}-relu_squeeze1x1`, conv(`${f}-squeeze1x1`, input, 1, 1, pad0));
    const e1 = relu(`${f}-relu_expand1x1`, conv(`${f}-expand1x1`, s, 1, 1, pad0));
    const e3 = relu(`${f}-relu_expand3x3`, conv(`${f}-expand3x3`, s, 3, 1, [1, 1, 1, 1]));
    layers.push({
      name: `${f}-concat`,
      type: 'Depth concatenation',
      description: 'Depth concatenation of 2 inputs',
      inputs: [e1, e3],
    });
    return `${f}-concat`;
  };

  layers.push({
    name: 'data',
    type: 'Image Input',
    description: `${fmt(inputSize)} images with '${normalization.type}' normalization`,
    inputs: [],
  });
  let x = relu('relu_conv1', conv('conv1', 'data', 3, 2, pad0));
  x = maxPool('pool1', x, pad0);
  x = fire(3, fire(2, x));
  x = maxPool('pool3', x, [0, 1, 0, 1]);
  x = fire(5, fire(4, x));
  x = maxPool('pool5', x, [0, 1, 0, 1]);
  x = fire(9, fire(8, fire(7, fire(6, x))));
  layers.push({ name: 'drop9', type: 'Dropout', description: '50% dropout', inputs: [x] });
  x = relu('relu_conv10', conv('conv10', 'drop9', 1, 1, pad0));
  layers.push({ name: 'pool10', type: 'Global Average Pooling', description: 'Global average pooling', inputs: [x] });
  layers.push({ name: 'prob', type: 'Softmax', description: 'softmax', inputs: ['pool10'] });
  if (layers.length !== NUM_LAYERS)
    throw new Error(`internal: SqueezeNet has ${NUM_LAYERS} layers, built ${layers.length}`);
  return layers;
}
