/**
 * The wasm backend's binaries that travel in the package (`dist/wasm/`, copied from @tensorflow/tfjs-backend-wasm at
 * build time). Their URLs are written as `new URL('./wasm/….wasm', import.meta.url)` with literal paths, which
 * Vite, webpack and other bundlers turn into emitted assets: a bundled app then finds the binaries with no files
 * copied by hand. Unbundled, the URLs resolve next to the package's own `dist/` files.
 */
import type { WasmPaths } from './startBackend.js';

/** The @tensorflow/tfjs-backend-wasm version the binaries were copied from; set by the build (tsup `define`). */
declare const __TFJS_WASM_VERSION__: string | undefined;

/**
 * The package's own binaries as a `wasmPaths` map, when they match the installed backend's `version`; otherwise
 * null (and in a checkout run from source, where there are none).
 */
export function packagedWasmPaths(version: string): Exclude<WasmPaths, string> | null {
  const copied = typeof __TFJS_WASM_VERSION__ === 'string' ? __TFJS_WASM_VERSION__ : null;
  if (copied === null || copied !== version) return null;
  return {
    'tfjs-backend-wasm.wasm': new URL('./wasm/tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL('./wasm/tfjs-backend-wasm-simd.wasm', import.meta.url).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL('./wasm/tfjs-backend-wasm-threaded-simd.wasm', import.meta.url)
      .href,
  };
}
