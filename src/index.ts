/**
 * cnn-activations for Node.js: everything in the core API, plus image files read from and written to disk and the
 * SqueezeNet model loaded from the package's own files.
 * @packageDocumentation
 * @module cnn-activations
 */
export * from './core.js';
export { imread } from './io/imread.node.js';
export type { ImreadOptions, ImreadSource } from './io/imread.node.js';
export { imwrite } from './io/imwrite.node.js';
export type { ImwriteOptions } from './io/imwrite.node.js';
export { importNetwork } from './net/importNetwork.node.js';
export { squeezenet } from './models/squeezenet/squeezenet.node.js';

import { ensureBackend } from './backend/initBackend.js';
import { setBackendStarter } from './internal/backendStart.js';
import { setImageDecoder } from './io/imageInput.js';
import { readImageSync } from './io/imread.node.js';

// In Node.js the network functions also take PNG/JPEG bytes and file paths as images.
setImageDecoder(readImageSync);
// imread starts a backend as initBackend() would when the program has none.
setBackendStarter(ensureBackend);
