/**
 * A web developer's app, bundled: a fresh project installs the packed package and its TF.js peers, builds
 * test/fixtures/bundled-app with Vite, webpack and esbuild (each minified and not), and Chromium opens every build
 * served with and without cross-origin isolation. With Vite and webpack no file is copied by hand: the model and the
 * wasm binaries must reach each build through the bundler alone, for the page and for a module worker it starts. esbuild emits no `new URL('…', import.meta.url)`
 * files, so its build copies the two folders the docs tell an esbuild user to copy. Every page must classify the face,
 * compute conv1 and draw it.
 *
 * Needs a build first (`npm run build`) and Debian's chromium. Installs from the npm cache that `npm ci` filled.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChromium, launchChromium, ROOT } from '../helpers/browser.js';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'bundled-app');
const PEERS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-layers',
];
const TOOLS = ['vite', 'webpack', 'webpack-cli', 'esbuild'];
const ready = existsSync(path.join(ROOT, 'dist', 'browser.js')) && existsSync(path.join(ROOT, 'model'));
const chromium = findChromium();

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`\`${cmd} ${args.join(' ')}\` failed: ${err.message}\n${stdout}\n${stderr}`));
        else done(stdout + stderr);
      },
    );
  });
}

const version = (name: string) =>
  JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version as string;

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

/** Serves `dir` on 127.0.0.1, with the cross-origin isolation headers or without. */
async function serve(dir: string, isolated: boolean): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const target = file.endsWith('/') ? path.join(file, 'index.html') : file;
    if (!target.startsWith(dir) || !existsSync(target)) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {
      'Content-Type': TYPES[path.extname(target)] ?? 'application/octet-stream',
    };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    res.writeHead(200, headers).end(await readFile(target));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/`, server };
}

const BUILDS = [
  { bundler: 'vite', minified: true },
  { bundler: 'vite', minified: false },
  { bundler: 'webpack', minified: true },
  { bundler: 'webpack', minified: false },
  // esbuild emits no `new URL('…', import.meta.url)` files: its build script copies the two folders the docs name.
  { bundler: 'esbuild', minified: true },
  { bundler: 'esbuild', minified: false },
] as const;

describe.skipIf(!ready || !chromium)('a bundled app with the package from npm, in Chromium', () => {
  let work: string;
  let app: string;
  const outputs = new Map<string, string>();

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'cnn-bundled-'));
    const packed = JSON.parse(
      await run(npm, ['pack', '--ignore-scripts', '--json', '--silent', '--pack-destination', work], ROOT),
    );
    const tarball = path.join(work, packed[0].filename);
    app = path.join(work, 'app');
    await mkdir(app);
    for (const f of readdirSync(FIXTURE)) await copyFile(path.join(FIXTURE, f), path.join(app, f));
    await copyFile(path.join(ROOT, 'examples', 'images', 'face.png'), path.join(app, 'face.png'));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    await writeFile(
      path.join(app, 'package.json'),
      JSON.stringify({ name: 'bundled-app', private: true, type: 'module', overrides: pkg.overrides ?? {} }, null, 2),
    );
    const deps = [tarball, ...[...PEERS, ...TOOLS].map((p) => `${p}@${version(p)}`)];
    const install = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...deps];
    try {
      await run(npm, [...install, '--offline'], app);
    } catch {
      await run(npm, [...install, '--prefer-offline'], app);
    }
    // An offline install skips, without failing, an optional package whose metadata the cache lacks: esbuild's binary.
    if (!existsSync(path.join(app, 'node_modules', '@esbuild', `${process.platform}-${process.arch}`))) {
      await run(npm, [...install, '--prefer-offline'], app);
    }
    for (const { bundler, minified } of BUILDS) {
      const out = path.join(app, `dist-${bundler}-${minified ? 'min' : 'plain'}`);
      const env = { BUNDLE_OUT: out, BUNDLE_MINIFY: minified ? '1' : '0' };
      if (bundler === 'vite') await run(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], app, env);
      else if (bundler === 'esbuild') await run(process.execPath, ['esbuild.build.mjs'], app, env);
      else await run(process.execPath, ['node_modules/webpack-cli/bin/cli.js', '-c', 'webpack.config.cjs'], app, env);
      outputs.set(`${bundler}-${minified}`, out);
    }
  }, 900_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('each build holds the model and the wasm binaries (emitted by Vite and webpack, copied for esbuild)', () => {
    for (const out of outputs.values()) {
      const files = readdirSync(out, { recursive: true }).map(String);
      // Vite keeps the names (with a hash), webpack names assets by their hash alone: count by extension.
      expect(files.filter((f) => f.endsWith('.json')).length, `${out}: ${files.join(', ')}`).toBe(1);
      expect(files.filter((f) => f.endsWith('.bin')).length, `${out}: ${files.join(', ')}`).toBe(1);
      expect(files.filter((f) => f.endsWith('.wasm')).length, `${out}: ${files.join(', ')}`).toBe(3);
    }
  });

  for (const { bundler, minified } of BUILDS) {
    for (const isolated of [false, true]) {
      it(`${bundler}, ${minified ? 'minified' : 'not minified'}, ${isolated ? '' : 'not '}cross-origin isolated`, async () => {
        const { url, server } = await serve(outputs.get(`${bundler}-${minified}`) as string, isolated);
        const browser = await launchChromium({ webgpu: false });
        try {
          const page = await browser.context.newPage();
          const errors: string[] = [];
          page.on('pageerror', (e) => errors.push(String(e)));
          const failed: string[] = [];
          page.on('response', (r) => {
            if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
          });
          await page.goto(url);
          const result = await page.evaluate(() => (window as unknown as { result: Promise<unknown> }).result);
          expect(result).not.toHaveProperty('error');
          expect(errors).toEqual([]);
          expect(failed).toEqual([]);
          const r = result as Record<string, unknown>;
          expect(r).toMatchObject({
            backend: 'wasm',
            isolated,
            label: 'wig',
            predicted: { shape: [2, 1000], labels: ['wig', 'wig'] },
            shape: [113, 113, 64],
            canvas: [8 * 113, 8 * 113],
          });
          expect(r.lit as number).toBeGreaterThan(10_000);
          // Images in any form: what the page holds (a <video> showing the canvas too) gives the tensor's numbers.
          const forms = r.forms as Record<string, { shape: number[]; maxDiff: number } | string | null>;
          for (const name of ['img', 'canvas', 'offscreen', 'imageData', 'bitmap', 'video']) {
            expect(forms[name], name).toEqual({ shape: [113, 113, 64], maxDiff: 0 });
          }
          expect(forms.classifyCanvas).toBe('wig');
          expect(forms.bytes).toMatch(
            /^activations: 'img' is the bytes of a file, which a browser decodes only asynchronously; read it first: `await imread\(source\)`$/,
          );
          expect(forms.unloaded).toMatch(/^activations: the <img> "\(no src\)" has not loaded/);
          // A module worker of the same app finds the model and the wasm binaries from its own bundle, reads the
          // image from a URL and from a Blob without a document, and gives the page's numbers.
          expect(r.worker).toEqual({
            backend: 'wasm',
            threads: expect.any(Number),
            label: 'wig',
            shape: [113, 113, 64],
            sum: r.actSum,
          });
          const jpeg = r.jpeg as { type: string; bytes: number; meanError: number };
          expect(jpeg.type).toBe('image/jpeg');
          expect(jpeg.bytes).toBeGreaterThan(1000);
          expect(jpeg.meanError).toBeLessThan(4); // quality 90: within a few levels on average
          const cores = await page.evaluate(() => navigator.hardwareConcurrency);
          if (!isolated) {
            expect(r.threads).toBe(1);
            expect(r.threadsNote).toMatch(/^the page is not cross-origin isolated/);
          } else if (minified) {
            // Detected at once: the single-threaded build runs, and the note says what to do.
            expect(r.threads).toBe(1);
            expect(r.threadsNote).toMatch(/^this app's code is minified, which breaks TF.js's threaded wasm build/);
          } else {
            expect(r.threads).toBe(Math.max(1, Math.min(8, cores, Math.floor(cores / 2))));
          }
        } finally {
          await browser.close();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    }
  }
});
