/**
 * `squeezenet()` for browsers: loads the model over HTTP(S) (or through any TF.js IO handler).
 */
import { checkLoadOptions, loadNetwork } from '../../net/loadNetwork.js';
import { modelSource } from '../../net/modelSource.browser.js';
import type { SqueezeNet } from './layerNames.js';
import { asSqueezeNet, BUILD_HINT, FN, type SqueezenetOptions } from './defaults.js';

/**
 * Loads SqueezeNet v1.1 with the weights of MATLAB's pretrained `squeezenet` and MATLAB's 67 layer names
 * (`net = squeezenet` in MATLAB), in a browser.
 *
 * By default the model is fetched from the package's own `model/squeezenet_v1.1/` files, resolved against this
 * module's URL. Bundlers that handle `new URL('…', import.meta.url)` (Vite, webpack 5, Parcel, esbuild with a
 * plugin) emit those files with the app: nothing needs to be copied by hand. To host them elsewhere, serve the
 * package's `model/squeezenet_v1.1/` folder (model.json and its weight shard) and pass its URL as `modelUrl`.
 *
 * If the program has registered no TF.js backend at all (it skipped `initBackend()` and imported no backend
 * package), one is started first, as `initBackend()` would start it.
 *
 * @param options `modelUrl` (URL of model.json; relative URLs resolve against the page), `ioHandler` (any
 *   `tf.io.IOHandler`, e.g. `tf.io.browserFiles`), `onProgress` (called with the fraction loaded, 0..1).
 * @returns A new {@link Network} that the caller owns: call `net.dispose()` to free its weights (about 5 MB).
 * @throws {TypeError} for options of the wrong kind.
 * @throws {Error} if the model cannot be fetched or is not a cnn-activations network model; the message names the
 *   URL and what to do. No tensor is left behind.
 * @example
 * const net = await squeezenet(); // the package's model files, which a bundler emits with the app
 * const act = activations(net, im, 'fire6-relu_squeeze1x1');
 * // or from a folder the site serves: await squeezenet({ modelUrl: '/models/squeezenet_v1.1/model.json' })
 */
export async function squeezenet(options?: SqueezenetOptions): Promise<SqueezeNet> {
  const opts = checkLoadOptions(FN, options);
  // Literal paths on purpose: bundlers (Vite, webpack, ...) turn each `new URL('literal', import.meta.url)` into an
  // emitted asset with its own, renamed URL, so the weight shard is listed too and found by its name in model.json.
  // Unbundled (the package served as is), both resolve next to the package's dist/ folder.
  const modelJson = new URL('../model/squeezenet_v1.1/model.json', import.meta.url).href;
  const shard = new URL('../model/squeezenet_v1.1/group1-shard1of1.bin', import.meta.url).href;
  return asSqueezeNet(
    await loadNetwork(FN, modelSource(opts, modelJson, { 'group1-shard1of1.bin': shard }), opts, BUILD_HINT),
  );
}
