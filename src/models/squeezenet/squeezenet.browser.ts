/**
 * `squeezenet()` for browsers: loads the model over HTTP(S) (or through any TF.js IO handler).
 */
import { checkLoadOptions, loadNetwork } from '../../net/loadNetwork.js';
import { modelSource } from '../../net/modelSource.browser.js';
import type { Network } from '../../net/types.js';
import { BUILD_HINT, FN, type SqueezenetOptions } from './defaults.js';
// Kept in a variable on purpose: bundlers rewrite `new URL('literal', import.meta.url)` into an asset copy, which would
// copy model.json but not its weight shard. Unbundled (the package served as is) the default resolves; bundled apps
// serve the model folder themselves and pass `modelUrl`.
const DEFAULT_MODEL = '../model/squeezenet_v1.1/model.json';

/**
 * Loads SqueezeNet v1.1 with the weights of MATLAB's pretrained `squeezenet` and MATLAB's 67 layer names
 * (`net = squeezenet` in MATLAB), in a browser.
 *
 * By default the model is fetched from the package's own `model/squeezenet_v1.1/model.json`, resolved against this
 * module's URL; when a bundler moves the module, serve the package's `model/squeezenet_v1.1/` folder (model.json and
 * its weight shard) and pass its URL as `modelUrl`.
 *
 * @param options `modelUrl` (URL of model.json; relative URLs resolve against the page), `ioHandler` (any
 *   `tf.io.IOHandler`, e.g. `tf.io.browserFiles`), `onProgress` (called with the fraction loaded, 0..1).
 * @returns A new {@link Network} that the caller owns: call `net.dispose()` to free its weights (about 5 MB).
 * @throws {TypeError} for options of the wrong kind.
 * @throws {Error} if the model cannot be fetched or is not a cnn-activations network model; the message names the
 *   URL and what to do. No tensor is left behind.
 * @example
 * const net = await squeezenet({ modelUrl: '/models/squeezenet_v1.1/model.json' });
 * const act = activations(net, im, 'fire6-relu_squeeze1x1');
 */
export async function squeezenet(options?: SqueezenetOptions): Promise<Network> {
  const opts = checkLoadOptions(FN, options);
  return loadNetwork(FN, modelSource(opts, new URL(DEFAULT_MODEL, import.meta.url).href), opts, BUILD_HINT);
}
