/**
 * The package as a user gets it: `npm pack` → install the tarball into a fresh project next to the TF.js peers →
 * import it from ESM and require it from CommonJS, check the types under `moduleResolution: node16`, and (once the
 * model is built) load SqueezeNet from the package's own files without network.
 *
 * Needs a build first (`npm run build`; CI builds before testing). Packs with `--ignore-scripts`, so it never rebuilds
 * and packs exactly what dist/ and model/ hold. Installs `--offline` from the npm cache that `npm ci` filled; only if
 * the cache lacks something does it fall back to `--prefer-offline` (registry for what is missing), and says so.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import { PNG } from 'pngjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const BUILT = [
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/index.d.cts',
  'dist/browser.js',
  'dist/browser.d.ts',
  // The wasm backend's binaries, which a bundler emits with an app.
  'dist/wasm/tfjs-backend-wasm.wasm',
  'dist/wasm/tfjs-backend-wasm-simd.wasm',
  'dist/wasm/tfjs-backend-wasm-threaded-simd.wasm',
];
const missingBuild = BUILT.filter((f) => !existsSync(join(root, f)));
const MODEL_JSON = 'model/squeezenet_v1.1/model.json';
const modelBuilt = existsSync(join(root, MODEL_JSON));
const PEERS = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-converter',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
];

interface Run {
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<Run> {
  return new Promise((done, fail) => {
    execFile(
      cmd,
      args,
      { cwd, timeout, maxBuffer: 64 * 1024 * 1024, shell: process.platform === 'win32' },
      (err, stdout, stderr) => {
        if (err) {
          fail(
            new Error(
              `\`${cmd} ${args.join(' ')}\` failed in ${cwd}: ${err.message}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
            ),
          );
        } else done({ stdout, stderr });
      },
    );
  });
}

/** Runs a node script in the project and parses the JSON on its last stdout line. */
async function runScript(project: string, script: string, args: string[] = []): Promise<Record<string, any>> {
  const { stdout } = await run(process.execPath, [script, ...args], project);
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${script} printed no JSON result; its output was:\n${stdout}`);
  }
}

/** The version of a package installed in this repository (the one `npm ci` put in the cache). */
function installedVersion(name: string): string {
  return JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// What the fresh project runs, from ESM and from CommonJS; the backend comes as argv[2].
const BODY = `
  const backend = process.argv[2] ?? 'cpu';
  const choice = await lib.initBackend({ backend });
  const before = tf.memory().numTensors;
  const round = (a) => Array.from(a, (v) => Math.round(v * 1e7) / 1e7);
  const inputs = [tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[1, 5, 2, 8]]), tf.tensor3d([1, 2, 3, 4], [1, 1, 4]), tf.tensor2d([[0, 1]])];
  const g = lib.mat2gray(inputs[0]);
  const r = lib.imresize(inputs[1], [1, 8]);
  const t = lib.imtile(inputs[2]);
  const im = await lib.imread('face.png');
  const png = await lib.encodePng(inputs[3]);
  const out = {
    backend: choice.backend,
    sameEngine: g instanceof tf.Tensor,
    mat2gray: { shape: g.shape, dtype: g.dtype, values: round(await g.data()) },
    imresize: { shape: r.shape, values: round(await r.data()) },
    imtile: { shape: t.shape, values: Array.from(await t.data()) },
    imread: { shape: im.shape, dtype: im.dtype, first: Array.from((await im.data()).slice(0, 3)) },
    pngSignature: Array.from(png.slice(0, 8)),
    exports: Object.keys(lib).filter((k) => k !== 'default' && k !== 'module.exports').sort(),
  };
  tf.dispose([...inputs, g, r, t, im]);
  out.tensorsLeft = tf.memory().numTensors - before;
  console.log(JSON.stringify(out));
`;

const ESM = `import * as tf from '@tensorflow/tfjs-core';
import { mat2gray, imresize, imtile, imread } from 'cnn-activations';
import * as lib from 'cnn-activations';
if (typeof mat2gray !== 'function' || typeof imresize !== 'function' || typeof imtile !== 'function' || typeof imread !== 'function') {
  throw new Error('named imports are not functions');
}
${BODY}`;

const CJS = `const tf = require('@tensorflow/tfjs-core');
const lib = require('cnn-activations');
(async () => {
${BODY}
})().catch((err) => { console.error(err); process.exit(1); });
`;

// SqueezeNet from the package's own files. fetch is replaced so that any network access fails loudly.
const NET = `import * as lib from 'cnn-activations';
globalThis.fetch = async (url) => { throw new Error('network access attempted: ' + String(url)); };
if (typeof lib.squeezenet !== 'function' || typeof lib.classify !== 'function') {
  console.log(JSON.stringify({ missing: ['squeezenet', 'classify'].filter((k) => typeof lib[k] !== 'function') }));
} else {
  await lib.initBackend({ backend: process.argv[2] ?? 'wasm' });
  const net = await lib.squeezenet();
  const im = await lib.imread('face.png');
  const top = await lib.classify(net, im, 5);
  im.dispose();
  console.log(JSON.stringify({ top: top.map((c) => ({ index: c.index, label: c.label, score: c.score })) }));
}
`;

const TYPES_ESM = `import * as tf from '@tensorflow/tfjs-core';
import { imread, imwrite, encodePng, mat2gray, initBackend, type ImreadSource } from 'cnn-activations';
const source: ImreadSource = new Uint8Array(0);
export const a: Promise<tf.Tensor> = imread(source);
export const b: Promise<void> = imwrite(mat2gray(tf.zeros([2, 2])), 'out.png');
export const c: Promise<Uint8Array> = encodePng(tf.zeros([2, 2]));
export const d = initBackend({ backend: 'cpu' });
// @ts-expect-error a number is no image source
imread(42);
// @ts-expect-error imshow is browser-only: the Node entry does not export it
export { imshow } from 'cnn-activations';
`;

const TYPES_CJS = `import lib = require('cnn-activations');
import tf = require('@tensorflow/tfjs-core');
export const a: Promise<tf.Tensor> = lib.imread('face.png');
export const b: tf.Tensor = lib.mat2gray(tf.zeros([2, 2]));
`;

// The browser entry, as a bundler resolves it (the "browser" export condition): imshow exists there, with DOM types.
const TYPES_BROWSER = `import * as tf from '@tensorflow/tfjs-core';
import { imread, imshow, imwrite, type ImreadSource } from 'cnn-activations';
declare const canvas: HTMLCanvasElement;
declare const img: HTMLImageElement;
const source: ImreadSource = img;
export const a: Promise<tf.Tensor> = imread(source);
export const b: Promise<HTMLCanvasElement> = imshow(tf.zeros([2, 2]), canvas);
export const c: Promise<Blob> = imwrite(tf.zeros([2, 2]));
`;

describe('the packed package in a fresh project', () => {
  let work: string;
  let project: string;
  let tarball: string;
  let packedFiles: string[];
  let installMode: string;

  beforeAll(async () => {
    if (missingBuild.length > 0) {
      throw new Error(`pack test: ${missingBuild.join(', ')} missing; run \`npm run build\` (or \`npx tsup\`) first`);
    }
    work = await mkdtemp(join(tmpdir(), 'cnn-pack-'));
    const packed = JSON.parse(
      (await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], root)).stdout,
    );
    tarball = join(work, packed[0].filename);
    packedFiles = packed[0].files.map((f: { path: string }) => f.path).sort();

    project = join(work, 'project');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    await mkdir(project);
    // Same overrides as ours, so the install resolves to what our own `npm ci` cached.
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'pack-check', private: true, version: '0.0.0', overrides: pkg.overrides ?? {} }, null, 2),
    );
    const deps = [tarball, ...PEERS.map((p) => `${p}@${installedVersion(p)}`)];
    const common = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', ...deps];
    try {
      await run(npm, [...common, '--offline'], project);
      installMode = 'offline (npm cache only)';
    } catch (err) {
      // A cache that holds the tarballs (npm ci puts them there) but not the registry's metadata fails with ENOTCACHED,
      // or, when several packages are installed at once, with ERESOLVE ("Found: <peer>@undefined").
      if (!/ENOTCACHED|ERESOLVE/.test((err as Error).message)) throw err;
      await run(npm, [...common, '--prefer-offline'], project);
      installMode = 'prefer-offline (the cache lacked a package; the registry filled in)';
    }
    console.log(`pack test: installed ${packed[0].filename} ${installMode}`);
    await copyFile(join(root, 'examples/images/face.png'), join(project, 'face.png'));
    await writeFile(join(project, 'check.mjs'), ESM);
    await writeFile(join(project, 'check.cjs'), CJS);
    await writeFile(join(project, 'net.mjs'), NET);
    await writeFile(join(project, 'types.mts'), TYPES_ESM);
    await writeFile(join(project, 'types.cts'), TYPES_CJS);
    const compilerOptions = {
      noEmit: true,
      strict: true,
      module: 'node16',
      moduleResolution: 'node16',
      target: 'es2022',
      skipLibCheck: true,
      types: [],
    };
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['types.mts', 'types.cts'] }),
    );
    await writeFile(join(project, 'types-browser.ts'), TYPES_BROWSER);
    const browserOptions = {
      ...compilerOptions,
      module: 'esnext',
      moduleResolution: 'bundler',
      customConditions: ['browser'],
      lib: ['es2022', 'dom'],
    };
    await writeFile(
      join(project, 'tsconfig.browser.json'),
      JSON.stringify({ compilerOptions: browserOptions, files: ['types-browser.ts'] }),
    );
    // A Vite project's tsconfig as `npm create vite` writes it: moduleResolution bundler, no custom conditions. The
    // bare name resolves to the Node types there, so browser code imports the `cnn-activations/browser` subpath.
    await writeFile(
      join(project, 'types-vite.ts'),
      TYPES_BROWSER.replaceAll("from 'cnn-activations'", "from 'cnn-activations/browser'"),
    );
    const { customConditions: _, ...viteOptions } = browserOptions;
    await writeFile(
      join(project, 'tsconfig.vite.json'),
      JSON.stringify({ compilerOptions: viteOptions, files: ['types-vite.ts'] }),
    );
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs the built library, and nothing of the sources or tests', () => {
    for (const f of [...BUILT, 'package.json', 'LICENSE']) expect(packedFiles).toContain(f);
    const allowed = /^(dist\/|model\/|package\.json$|README\.md$|CHANGELOG\.md$|LICENSE$)/;
    expect(packedFiles.filter((f) => !allowed.test(f))).toEqual([]);
    if (modelBuilt) {
      for (const f of [MODEL_JSON, 'model/squeezenet_v1.1/labels.txt', 'model/squeezenet_v1.1/LICENSE']) {
        expect(packedFiles).toContain(f);
      }
    }
  });

  const expectCoreResults = (out: Record<string, any>, backend: string) => {
    expect(out.backend).toBe(backend);
    expect(out.sameEngine).toBe(true); // one tfjs-core: the peer dependency is shared, not duplicated
    // MATLAB: mat2gray([1 2 3; 4 5 6]) = [0 .2 .4; .6 .8 1]
    expect(out.mat2gray.shape).toEqual([2, 3]);
    expect(out.mat2gray.dtype).toBe('float32');
    out.mat2gray.values.forEach((v: number, i: number) => {
      expect(v).toBeCloseTo([0, 0.2, 0.4, 0.6, 0.8, 1][i], 6);
    });
    // MATLAB: imresize([1 5 2 8], [1 8]) (bicubic)
    const resized = [0.625, 1.8828125, 4.3984375, 4.53125, 2.28125, 3.0078125, 6.7109375, 8.5625];
    expect(out.imresize.shape).toEqual([1, 8]);
    out.imresize.values.forEach((v: number, i: number) => {
      expect(v).toBeCloseTo(resized[i], 5);
    });
    // Four 1×1 gray frames on MATLAB's default grid: 2×2, row by row.
    expect(out.imtile).toEqual({ shape: [2, 2], values: [1, 2, 3, 4] });
    expect(out.imread).toEqual({ shape: [227, 227, 3], dtype: 'int32', first: [182, 173, 166] });
    expect(out.pngSignature).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(out.tensorsLeft).toBe(0);
    for (const name of ['initBackend', 'mat2gray', 'imresize', 'imtile', 'imread', 'imwrite', 'encodePng']) {
      expect(out.exports).toContain(name);
    }
    expect(out.exports).not.toContain('imshow'); // browser only
  };

  it('works from ESM (import, named exports) on the wasm backend', async () => {
    expectCoreResults(await runScript(project, 'check.mjs', ['wasm']), 'wasm');
  });

  it('works from CommonJS (require) on the cpu backend', async () => {
    expectCoreResults(await runScript(project, 'check.cjs', ['cpu']), 'cpu');
  });

  it('has types that resolve under moduleResolution node16, from ESM and from CommonJS', async () => {
    // TypeScript from this repository; the project's tsconfig.json lists the two files.
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
  });

  it('has browser types under the "browser" condition (moduleResolution bundler), with imshow', async () => {
    await run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.browser.json'],
      project,
    );
  });

  it('has browser types at cnn-activations/browser without custom conditions (a Vite-style tsconfig)', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.vite.json'], project);
    // And the bare name there is the Node entry, which has no imshow: the reason the subpath exists.
    await writeFile(join(project, 'types-vite.ts'), TYPES_BROWSER);
    await expect(run(process.execPath, [tsc, '-p', 'tsconfig.vite.json'], project)).rejects.toThrow(
      /TS2305[^\n]*imshow/,
    );
  });

  it.skipIf(!modelBuilt)('README\'s "Ten lines", pasted into the fresh project, run and write conv1.png', async () => {
    // The block as the README shows it (types stripped, as a user's TypeScript setup would), with the example image
    // where the snippet reads it; no initBackend-like preparation of ours.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Ten lines'));
    const block = /```ts[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block, 'README.md has a ts block under "## Ten lines"').toBeDefined();
    const { code } = transformSync(block as string, { loader: 'ts', format: 'esm' });
    await writeFile(join(project, 'ten-lines.mjs'), code);
    await mkdir(join(project, 'examples/images'), { recursive: true });
    await copyFile(join(root, 'examples/images/face.png'), join(project, 'examples/images/face.png'));
    await run(process.execPath, ['ten-lines.mjs'], project);
    const png = PNG.sync.read(readFileSync(join(project, 'conv1.png')));
    expect([png.width, png.height]).toEqual([904, 904]);
  });

  it.skipIf(!modelBuilt)('squeezenet() starts a backend itself when the program registered none', async () => {
    await writeFile(
      join(project, 'no-init.mjs'),
      `import { squeezenet, imread, classify, describeBackend } from 'cnn-activations';
const net = await squeezenet();
const [top] = await classify(net, await imread('face.png'), 1);
console.log(JSON.stringify({ label: top.label, backend: describeBackend().backend }));
`,
    );
    const out = await runScript(project, 'no-init.mjs');
    expect(out).toEqual({ label: 'wig', backend: 'wasm' });
  });

  it.skipIf(!modelBuilt)('loads SqueezeNet from the package without network and classifies face.png', async () => {
    const out = await runScript(project, 'net.mjs', ['wasm']);
    expect(out.missing, 'model/ is built, so the package must export these').toBeUndefined();
    const reference = JSON.parse(readFileSync(join(root, '../shared/reference/face.json'), 'utf8')).top5 as {
      index: number;
      label: string;
      score: number;
    }[];
    console.log(
      `pack test: SqueezeNet top-5 for face.png: ${out.top.map((c: any) => `${c.label} ${c.score.toFixed(4)}`).join(', ')}`,
    );
    expect(out.top.map((c: any) => c.index)).toEqual(reference.map((c) => c.index));
    expect(out.top.map((c: any) => c.label)).toEqual(reference.map((c) => c.label));
    out.top.forEach((c: any, i: number) => {
      expect(Math.abs(c.score - reference[i].score)).toBeLessThan(1e-3);
    });
  });
});
