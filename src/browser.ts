/**
 * cnn-activations for browsers: everything in the core API, plus images read from URLs, `<img>`, `ImageData` and
 * canvases, and `imshow` onto a canvas. Never imports a Node.js module.
 * @packageDocumentation
 */
export * from './core.js';
