/**
 * cnn-activations for browsers: everything in the core API, plus images read from URLs, `<img>`, `ImageData` and
 * canvases, and `imshow` onto a canvas. Never imports a Node.js module.
 * @packageDocumentation
 * @module cnn-activations/browser
 */
export * from './core.js';
export { imread } from './io/imread.browser.js';
export type { ImreadOptions, ImreadSource } from './io/imread.browser.js';
export { imshow } from './io/imshow.browser.js';
export { imwrite } from './io/imwrite.browser.js';
export type { ImwriteOptions } from './io/imwrite.browser.js';
export { importNetwork } from './net/importNetwork.browser.js';
export { squeezenet } from './models/squeezenet/squeezenet.browser.js';

import { ensureBackend } from './backend/initBackend.js';
import { setBackendStarter } from './internal/backendStart.js';

// imread starts a backend as initBackend() would when the program has none.
setBackendStarter(ensureBackend);
