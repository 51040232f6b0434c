/**
 * Vite config of the browser activation explorer (and its benchmark page).
 *
 *   npx tsup && npm run build:model    # the library's dist/ and the model files it loads
 *   npx vite examples/browser          # dev server on http://localhost:5173
 *   npx vite build examples/browser    # static site in examples/browser/dist/
 *   npx vite preview examples/browser  # serve that build
 *
 * `cnn-activations` resolves to the library's built browser entry (dist/browser.js), exactly what a user of the
 * package gets through its "browser" export condition. Three folders of the repository are mounted into the site, in
 * the dev server by a middleware and in the build as copied files:
 *   model/squeezenet_v1.1/  the model files that `npm run build:model` writes
 *   wasm/                   the .wasm binaries of @tensorflow/tfjs-backend-wasm (the wasm backend fetches them)
 *   images/                 the sample images of examples/images/
 * Every response carries COOP/COEP headers: the page is then cross-origin isolated, so the wasm backend may use
 * threads (SharedArrayBuffer). Nothing is fetched from outside the site.
 */
import { defineConfig, type Plugin, type Connect } from 'vite';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

/** A folder of the repository served under `url` (a prefix ending in '/'), optionally only some of its files. */
interface Mount {
  url: string;
  dir: string;
  accept: (file: string) => boolean;
}

const mounts: Mount[] = [
  { url: '/model/squeezenet_v1.1/', dir: path.join(repo, 'model/squeezenet_v1.1'), accept: () => true },
  {
    url: '/wasm/',
    dir: path.join(repo, 'node_modules/@tensorflow/tfjs-backend-wasm/dist'),
    accept: (f) => f.endsWith('.wasm'),
  },
  { url: '/images/', dir: path.join(repo, 'examples/images'), accept: (f) => /\.(png|jpe?g)$/i.test(f) },
];

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const types: Record<string, string> = {
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.txt': 'text/plain; charset=utf-8',
};

/** The files of a mount, relative names, recursively (the model folder may hold sub-folders). */
function listFiles(m: Mount): string[] {
  if (!existsSync(m.dir)) return [];
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of readdirSync(path.join(m.dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(name);
      else if (entry.isFile() && m.accept(name)) out.push(name);
    }
  };
  walk('');
  return out;
}

function repoFolders(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]);
    const m = mounts.find((mount) => url.startsWith(mount.url));
    if (!m) return next();
    const rel = url.slice(m.url.length);
    const file = path.join(m.dir, rel);
    // Only plain files inside the mounted folder: no '..' escapes.
    if (!rel || rel.split('/').includes('..') || !m.accept(rel) || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404;
      res.end(`not found: ${url}`);
      return;
    }
    res.setHeader('Content-Type', types[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    createReadStream(file).pipe(res);
  };
  return {
    name: 'cnn-activations-repo-folders',
    configureServer(server) {
      server.middlewares.use(serve);
    },
    generateBundle() {
      for (const m of mounts) {
        const files = listFiles(m);
        if (m.url.startsWith('/model/') && !files.length) {
          this.warn(`${path.relative(repo, m.dir)} is empty: run \`npm run build:model\` before building the explorer`);
        }
        for (const f of files) {
          this.emitFile({ type: 'asset', fileName: m.url.slice(1) + f, source: readFileSync(path.join(m.dir, f)) });
        }
      }
    },
  };
}

export default defineConfig({
  root: here,
  // Relative asset URLs: the built site works from any folder it is copied to.
  base: './',
  publicDir: false,
  logLevel: 'warn',
  resolve: {
    alias: { 'cnn-activations': path.join(repo, 'dist/browser.js') },
  },
  plugins: [repoFolders()],
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Not minified, on purpose: the wasm backend starts its threads by sending workers the source text of its
    // Emscripten factory (`factory.toString()`), and a minifier rewrites that factory's guarded
    // `typeof _scriptDir !== 'undefined'` into an unguarded reference to a renamed variable, so every worker dies
    // with "ReferenceError: e is not defined" and the backend never finishes starting.
    minify: false,
    // TF.js is large; the warning would only repeat that.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { index: path.join(here, 'index.html'), bench: path.join(here, 'bench.html') },
    },
  },
});
