import { defineConfig } from 'tsup';

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
  },
  {
    entry: { browser: 'src/browser.ts' },
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    dts: true,
    sourcemap: true,
  },
]);
