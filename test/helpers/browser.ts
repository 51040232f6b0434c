/**
 * Headless Chromium on the browser activation explorer (examples/browser/), for the end-to-end test and the browser
 * benchmark: builds the library and the explorer when needed, serves the build with `vite preview` on 127.0.0.1, and
 * launches Debian's `chromium` through playwright-core with a fresh profile and no network chatter.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';

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
    candidates.push(execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim());
  } catch {
    // not on the PATH
  }
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure the library's browser build (dist/browser.js) is there and newer than src/, and that the model files
 * exist (model/squeezenet_v1.1/model.json, from ../shared): builds what is missing or stale. Returns what it built.
 */
export function ensureLibraryBuilt(): string[] {
  const built: string[] = [];
  const entry = path.join(ROOT, 'dist/browser.js');
  if (!existsSync(entry) || statSync(entry).mtimeMs < newestMtime(path.join(ROOT, 'src'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/tsup/dist/cli-default.js')], { cwd: ROOT, stdio: 'pipe' });
    built.push('dist/');
  }
  if (!existsSync(path.join(ROOT, 'model/squeezenet_v1.1/model.json'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-model.mjs')], { cwd: ROOT, stdio: 'pipe' });
    built.push('model/');
  }
  return built;
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
export async function launchChromium(options: { webgpu: boolean }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
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
