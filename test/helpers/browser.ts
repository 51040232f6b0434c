/**
 * Headless Chromium on the browser activation explorer (examples/browser/), for the end-to-end test and the browser
 * benchmark: checks that the library is built, builds the explorer with vite, serves it with `vite preview` on
 * 127.0.0.1, and launches Debian's `chromium` through playwright-core with a fresh profile and no network chatter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { olderThanSources } from '../../scripts/lib/buildState.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VITE_CONFIG = path.join(ROOT, 'examples/browser/vite.config.ts');

/** Flags for a quiet, offline headless Chromium (this network is closed: nothing may try to phone home). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The Chromium binary: $CHROMIUM_PATH, else Debian's /usr/lib/chromium/chromium (the real binary behind the
 * /usr/bin/chromium wrapper script), else whatever `chromium` is on the PATH. Null when there is none.
 */
export function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium'];
  try {
    candidates.push(
      execFileSync('which', ['chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(),
    );
  } catch {
    // not on the PATH
  }
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/**
 * Checks that the library's browser build (dist/browser.js) and the model files (model/squeezenet_v1.1/model.json)
 * exist; throws, saying how to make them, if not (`npm run build`, as CI does before testing). It does not build
 * them itself: the other end-to-end tests read dist/ at the same time. Returns a warning when dist/ is older than
 * src/ (the explorer would then show the library as it was at the last build), or null.
 */
export function checkLibraryBuilt(): string | null {
  const entry = path.join(ROOT, 'dist/browser.js');
  const missing = [entry, path.join(ROOT, 'model/squeezenet_v1.1/model.json')].filter((f) => !existsSync(f));
  if (missing.length) {
    throw new Error(`${missing.map((f) => path.relative(ROOT, f)).join(' and ')} missing: run \`npm run build\` first`);
  }
  return olderThanSources(ROOT, 'dist/browser.js')
    ? 'dist/browser.js is older than src/: the explorer runs the last build (`npx tsup` to rebuild)'
    : null;
}

/** Builds the explorer (index.html + bench.html) with vite into a new temporary folder; returns the folder. */
export async function buildExplorer(): Promise<string> {
  const { build } = await import('vite');
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'cnn-explorer-'));
  await build({ configFile: VITE_CONFIG, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  return outDir;
}

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Serves a build with `vite preview` (COOP/COEP headers from the config) on 127.0.0.1; `url` ends in '/'. */
export async function serveExplorer(outDir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const { preview } = await import('vite');
  const port = await freePort();
  const server = await preview({
    configFile: VITE_CONFIG,
    logLevel: 'error',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}

/**
 * Starts Chromium with a fresh profile (removed on close). `webgpu: true` adds `--enable-unsafe-webgpu`, without
 * which Chromium on Linux offers no WebGPU adapter.
 */
export async function launchChromium(options: {
  webgpu: boolean;
}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium found: apt-get install -y chromium, or set CHROMIUM_PATH');
  const profile = mkdtempSync(path.join(os.tmpdir(), 'cnn-chromium-'));
  const args = options.webgpu ? [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] : CHROMIUM_ARGS;
  // The profile folder becomes Chromium's --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args,
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
