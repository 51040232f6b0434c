/**
 * SqueezeNet's defaults and words, shared by its Node and browser loaders: where its model files live in the package
 * and what to tell a user whose model files are missing or broken.
 */
import type { LoadNetworkOptions, Network } from '../../net/types.js';
import { type SqueezeNet, squeezeNetNamesProblem } from './layerNames.js';

/** Options of `squeezenet()`: those of every network loader. */
export type SqueezenetOptions = LoadNetworkOptions;

/** The loader's name, the prefix of its messages. */
export const FN = 'squeezenet';

/** The model's folder inside the package (made by `npm run build:model`; `npm pack` includes it). */
export const MODEL_FOLDER = 'model/squeezenet_v1.1';

/** The advice that ends every "the model files are missing or broken" message. */
export const BUILD_HINT =
  'in a checkout of cnn-activations, build the model with `npm run build:model` (README: where the weights come ' +
  'from); or pass { modelUrl } pointing at a model.json made by it';

/**
 * The loaded network as a {@link SqueezeNet}, after checking that its layers are SqueezeNet's (a `modelUrl` may name
 * another model made by the build); otherwise the network is freed and an Error says where it differs.
 */
export function asSqueezeNet(net: Network): SqueezeNet {
  const problem = squeezeNetNamesProblem(net.layerNames);
  if (problem) {
    net.dispose();
    throw new Error(`${FN}: the model is not SqueezeNet v1.1: ${problem}; ${BUILD_HINT}`);
  }
  return net as SqueezeNet;
}
