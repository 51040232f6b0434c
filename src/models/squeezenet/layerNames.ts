/**
 * SqueezeNet's layers by MATLAB's names, in MATLAB's order, as a type: `activations(net, im, 'fire2-squeeze1x1')`
 * autocompletes, and a misspelt name does not compile. `squeezenet()` checks that the model it loads has exactly these
 * layers.
 */
import type { LayerInfo, Network } from '../../net/types.js';

/** The 67 layer names of SqueezeNet v1.1 in MATLAB (`net.Layers.Name`), index 0 being MATLAB's layer 1. */
export const SQUEEZENET_LAYER_NAMES = [
  'data',
  'conv1',
  'relu_conv1',
  'pool1',
  'fire2-squeeze1x1',
  'fire2-relu_squeeze1x1',
  'fire2-expand1x1',
  'fire2-relu_expand1x1',
  'fire2-expand3x3',
  'fire2-relu_expand3x3',
  'fire2-concat',
  'fire3-squeeze1x1',
  'fire3-relu_squeeze1x1',
  'fire3-expand1x1',
  'fire3-relu_expand1x1',
  'fire3-expand3x3',
  'fire3-relu_expand3x3',
  'fire3-concat',
  'pool3',
  'fire4-squeeze1x1',
  'fire4-relu_squeeze1x1',
  'fire4-expand1x1',
  'fire4-relu_expand1x1',
  'fire4-expand3x3',
  'fire4-relu_expand3x3',
  'fire4-concat',
  'fire5-squeeze1x1',
  'fire5-relu_squeeze1x1',
  'fire5-expand1x1',
  'fire5-relu_expand1x1',
  'fire5-expand3x3',
  'fire5-relu_expand3x3',
  'fire5-concat',
  'pool5',
  'fire6-squeeze1x1',
  'fire6-relu_squeeze1x1',
  'fire6-expand1x1',
  'fire6-relu_expand1x1',
  'fire6-expand3x3',
  'fire6-relu_expand3x3',
  'fire6-concat',
  'fire7-squeeze1x1',
  'fire7-relu_squeeze1x1',
  'fire7-expand1x1',
  'fire7-relu_expand1x1',
  'fire7-expand3x3',
  'fire7-relu_expand3x3',
  'fire7-concat',
  'fire8-squeeze1x1',
  'fire8-relu_squeeze1x1',
  'fire8-expand1x1',
  'fire8-relu_expand1x1',
  'fire8-expand3x3',
  'fire8-relu_expand3x3',
  'fire8-concat',
  'fire9-squeeze1x1',
  'fire9-relu_squeeze1x1',
  'fire9-expand1x1',
  'fire9-relu_expand1x1',
  'fire9-expand3x3',
  'fire9-relu_expand3x3',
  'fire9-concat',
  'drop9',
  'conv10',
  'relu_conv10',
  'pool10',
  'prob',
] as const;

/** A layer name of SqueezeNet, as MATLAB writes it (`'conv1'`, `'fire6-squeeze1x1'`, `'prob'`). */
export type SqueezeNetLayerName = (typeof SQUEEZENET_LAYER_NAMES)[number];

/**
 * The network `squeezenet()` gives: a {@link Network} whose type names its layers and says that each one's activations
 * are maps `[h, w, c]` (so that `activations` of one image is a `Tensor3D`, of a batch a `Tensor4D`).
 */
export interface SqueezeNet extends Network {
  readonly layerNames: readonly SqueezeNetLayerName[];
  readonly layers: readonly (LayerInfo & {
    /** The layer's MATLAB name. */
    readonly name: SqueezeNetLayerName;
    /** Its output size for a 227×227 image, `[h, w, c]` (every layer of SqueezeNet gives maps). */
    readonly outputSize: readonly [number, number, number];
  })[];
}

/** The first place where `names` differs from SqueezeNet's layers, or null when they are the same. */
export function squeezeNetNamesProblem(names: readonly string[]): string | null {
  const expected: readonly string[] = SQUEEZENET_LAYER_NAMES;
  if (names.length !== expected.length) return `it has ${names.length} layers, SqueezeNet has ${expected.length}`;
  const i = names.findIndex((n, k) => n !== expected[k]);
  return i < 0 ? null : `its layer ${i} is '${names[i]}' where SqueezeNet has '${expected[i]}'`;
}
