import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'tsup';

// The wasm backend's binaries travel in the package (dist/wasm/), so that a bundler finds them through the
// `new URL('./wasm/….wasm', import.meta.url)` references of src/backend/wasmFiles.ts and emits them with the app. The
// code uses them only when the installed @tensorflow/tfjs-backend-wasm has the version they were copied from, which
// is compiled in as __TFJS_WASM_VERSION__.
const require = createRequire(import.meta.url);
const wasmPackage = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const wasmVersion = (JSON.parse(readFileSync(path.join(wasmPackage, 'package.json'), 'utf8')) as { version: string })
  .version;
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
const define = { __TFJS_WASM_VERSION__: JSON.stringify(wasmVersion) };

function copyWasm(): void {
  mkdirSync('dist/wasm', { recursive: true });
  for (const f of WASM_FILES) copyFileSync(path.join(wasmPackage, 'dist', f), path.join('dist/wasm', f));
  writeFileSync(
    'dist/wasm/README.md',
    `The WebAssembly binaries of @tensorflow/tfjs-backend-wasm ${wasmVersion} (Apache-2.0, Copyright Google LLC), ` +
      'copied unchanged so that bundlers emit them with an app. Used only with that version of the package.\n',
  );
}

// Node gets ESM + CJS of `src/index.ts`; browsers get ESM of `src/browser.ts`, which never imports Node modules.
// TF.js stays external so that the user's tensors and ours share one engine.
export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    dts: { entry: { index: 'src/index.ts' } },
    shims: true,
    sourcemap: true,
    clean: true,
    define,
  },
  {
    // The `cnn-activations` command (package.json "bin"). src/cli.ts starts with `#!/usr/bin/env node`, which esbuild
    // keeps as the first line. Its `./index.js` import stays a relative import of dist/index.js, so the library is
    // not bundled twice.
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    external: ['./index.js'],
    sourcemap: true,
    define,
  },
  {
    entry: { browser: 'src/browser.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    dts: true,
    sourcemap: true,
    define,
    onSuccess: async () => copyWasm(),
  },
]);
