/**
 * `squeezenet()` for Node.js: loads the package's own model files with node:fs.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLoadOptions, loadNetwork } from '../../net/loadNetwork.js';
import { modelSource } from '../../net/modelSource.node.js';
import type { SqueezeNet } from './layerNames.js';
import { asSqueezeNet, BUILD_HINT, FN, MODEL_FOLDER, type SqueezenetOptions } from './defaults.js';

const MODEL_DIR = path.join(...MODEL_FOLDER.split('/'));

/**
 * The package's model directory. Walks up from this file to the cnn-activations package root (the folder whose
 * package.json is named cnn-activations), so it works from dist/ (ESM and CJS) and from src/ (tests) alike.
 */
export function defaultModelDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'cnn-activations')
          return path.join(dir, MODEL_DIR);
      } catch {
        // an unreadable package.json is not ours; keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return fileURLToPath(new URL(`../${MODEL_FOLDER}/`, import.meta.url));
}

/**
 * Loads SqueezeNet v1.1 with the weights of MATLAB's pretrained `squeezenet` and MATLAB's 67 layer names
 * (`net = squeezenet` in MATLAB). Reads the package's own `model/squeezenet_v1.1/` by default (made by
 * `npm run build:model`), with node:fs; no native TensorFlow is needed.
 *
 * The network takes RGB images with values 0..255 of any size from 19×19 up (227×227×3 is the size it was trained
 * at), subtracts the mean [123, 117, 104] in its `data` layer, and ends in the 1000-class `prob` softmax.
 *
 * If the program has registered no TF.js backend at all (it skipped `initBackend()` and imported no backend
 * package), one is started first, as `initBackend()` would start it.
 *
 * @param options `modelUrl` (a path, `file:` or `http(s):` URL of a model.json, or a directory holding one),
 *   `ioHandler` (any `tf.io.IOHandler`), `onProgress` (called with the fraction loaded, 0..1).
 * @returns A new {@link Network} that the caller owns: call `net.dispose()` to free its weights (about 5 MB).
 *   Each call loads its own copy.
 * @throws {TypeError} for options of the wrong kind (unknown keys, a non-function `onProgress`, both `modelUrl` and
 *   `ioHandler`).
 * @throws {Error} if the model files are missing or corrupt: the message names the file and says to run
 *   `npm run build:model` or pass `modelUrl`. No tensor is left behind.
 * @example
 * const net = await squeezenet();
 * console.log(net.layerNames.length); // 67
 * const act = activations(net, im, 'conv1'); // [113, 113, 64]
 * net.dispose();
 */
export async function squeezenet(options?: SqueezenetOptions): Promise<SqueezeNet> {
  const opts = checkLoadOptions(FN, options);
  return asSqueezeNet(await loadNetwork(FN, modelSource(FN, opts, defaultModelDir(), BUILD_HINT), opts, BUILD_HINT));
}
