/**
 * The browser's image I/O (`imread`, `imshow`, `imwrite` from dist/browser.js) in headless Chromium, on inputs past
 * what a browser will hold: images larger than a canvas may be, and files whose header claims more pixels than
 * `limits.maxPixels`. Each must end in the library's own RangeError, naming the size, with no tensor left behind:
 * never a blank canvas returned as if drawn, never a decoder's bare DOMException. The library is bundled with esbuild
 * and served from memory; the page runs TF.js's cpu backend (no model is loaded).
 *
 * Needs `npm run build` first (dist/) and Chromium; skipped, saying so, without Chromium.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGraphModel } from '../../scripts/model/graphWriter.js';
import { ROOT, checkLibraryBuilt, findChromium, launchChromium } from '../helpers/browser.js';
import { CLASSES, LAYERS, NORMALIZATION, PARAMS } from '../helpers/tinyNetwork.js';
import { avifHeader, bmpFile, buildPng, gifHeader, icoFile, pngChunk, webpHeader } from '../io/fixtures.js';

const CHROMIUM = findChromium();
if (!CHROMIUM)
  console.warn('test/e2e/browserImages.test.ts skipped: Chromium is not installed (apt-get install -y chromium)');

const ORIGIN = 'http://images.test';

/** A 1-bit gray PNG of `width × height`, all black: a few kilobytes of zlib for a huge image. */
function blackPng(width: number, height: number, idat = true): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth 1, colour type 0 (gray)
  const rows = deflateSync(Buffer.alloc(height * (1 + Math.ceil(width / 8))), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...(idat ? [pngChunk('IDAT', rows)] : []),
    pngChunk('IEND', []),
  ]);
}

/**
 * A 200×120 crop of the face as a JPEG whose EXIF orientation (as a phone writes it) says "rotate 90° clockwise to
 * show".
 */
const faceCrop = sharp(readFileSync(path.join(ROOT, 'examples/images/face.png'))).extract({
  left: 0,
  top: 0,
  width: 200,
  height: 120,
});
const ROTATED_JPEG = await faceCrop.clone().jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
/** The same crop as a PNG whose eXIf chunk says the same, which Chromium applies to PNGs too. */
const ROTATED_PNG = await faceCrop.clone().png().withMetadata({ orientation: 6 }).toBuffer();

/** The files the page can fetch, by path. */
const FILES: Record<string, Buffer> = {
  '/rotated.jpg': ROTATED_JPEG,
  '/rotated.png': ROTATED_PNG,
  '/face.png': readFileSync(path.join(ROOT, 'examples/images/face.png')),
  // 70,000 pixels (well under maxPixels), but wider than any canvas Chromium makes (65,535 a side).
  '/wide.png': blackPng(70_000, 1),
  // 400 million pixels in ~50 kB; and the same header with no pixel data at all, which no decoder can decode.
  '/bomb.png': blackPng(20_000, 20_000),
  '/bomb-header.png': blackPng(20_000, 20_000, false),
  '/bomb.gif': gifHeader(65_535, 65_535),
  '/bomb.bmp': (() => {
    const b = bmpFile(1, 1, [0, 0, 0]);
    b.writeInt32LE(30_000, 18);
    b.writeInt32LE(-30_000, 22);
    return b;
  })(),
  '/bomb.webp': webpHeader('VP8X', 16_384, 16_384),
  // An icon whose embedded PNG claims 30000×30000, though its directory entry says 1×1; an AVIF grid of 20000×20000.
  '/bomb.ico': icoFile([{ width: 1, height: 1, data: blackPng(30_000, 30_000, false) }]),
  '/bomb.avif': avifHeader([
    [512, 512],
    [20_000, 20_000],
  ]),
  // A real icon: a 3×2 RGB PNG inside, each pixel (10 * x, 100 + y, 7).
  '/icon.ico': icoFile([
    {
      width: 3,
      height: 2,
      data: buildPng({
        width: 3,
        height: 2,
        depth: 8,
        colorType: 2,
        rows: [0, 1].map((y) => [0, 1, 2].flatMap((x) => [10 * x, 100 + y, 7])),
      }),
    },
  ]),
  // A small JPEG whose one scan is repeated 300 times: each scan is decoded over the whole image.
  '/scans.jpg': (() => {
    const good = Buffer.from(jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 90), width: 16, height: 16 }, 90).data);
    const scan = good.subarray(good.indexOf(Buffer.from([0xff, 0xda])), good.length - 2);
    return Buffer.concat([good.subarray(0, good.length - 2), ...Array(300).fill(scan), Buffer.from([0xff, 0xd9])]);
  })(),
  // The crop as a progressive JPEG: 10 scans, as libjpeg writes one.
  '/progressive.jpg': await faceCrop.clone().jpeg({ quality: 90, progressive: true }).toBuffer(),
  '/red.bmp': bmpFile(5_000, 2, [200, 10, 30], true),
  '/big.bmp': bmpFile(1_000, 1_000, [0, 0, 0]),
};

/** What a call on the page gave: its value, or its error's class and message; and the tensors it left behind. */
interface Outcome {
  value?: unknown;
  error?: string;
  leaked: number;
}

describe.skipIf(!CHROMIUM)('browser image I/O past what a browser holds (headless Chromium)', () => {
  let close: (() => Promise<void>) | undefined;
  let page: Page;
  /** A second page whose script loads the library and starts no backend. */
  let bare: Page;

  /** Runs `body` (an async function body with `lib` and `tf` in scope) on the page. */
  const run = (body: string): Promise<Outcome> =>
    page.evaluate(async (code) => {
      const w = window as unknown as { lib: Record<string, unknown>; tf: { memory(): { numTensors: number } } };
      const before = w.tf.memory().numTensors;
      const fn = new Function('lib', 'tf', `return (async () => { ${code} })();`);
      try {
        const value = await fn(w.lib, w.tf);
        return { value, leaked: w.tf.memory().numTensors - before };
      } catch (err) {
        const e = err as Error;
        return { error: `${e.constructor.name}: ${e.message}`, leaked: w.tf.memory().numTensors - before };
      }
    }, body);

  /** `imread(source)` on the page (`source` as code): the image's shape and values, disposed after. */
  const readBack = (source: string) =>
    run(
      `const t = await lib.imread(${source}); const v = [...(await t.data())]; const s = t.shape; t.dispose(); return [s, v];`,
    );

  beforeAll(async () => {
    const stale = checkLibraryBuilt();
    if (stale) console.warn(`test/e2e/browserImages.test.ts: ${stale}`);
    const { build } = await import('esbuild');
    /** The library and TF.js on `window`, then `then` (code) before the page counts as loaded. */
    const bundle = async (then: string) =>
      (
        await build({
          stdin: {
            contents:
              "import * as lib from './dist/browser.js'; import * as tf from '@tensorflow/tfjs-core';\n" +
              `${then} Object.assign(window, { lib, tf });`,
            resolveDir: ROOT,
            loader: 'js',
          },
          bundle: true,
          format: 'esm',
          write: false,
          logLevel: 'error',
        })
      ).outputFiles[0].contents;
    const scripts: Record<string, Uint8Array> = {
      '/lib.js': await bundle("await lib.initBackend({ backend: 'cpu' });"),
      // No backend started: for what must be refused before one is.
      '/bare.js': await bundle(''),
    };
    // The tiny test network (a 3×3 max pooling after conv_b), served at /tiny/.
    const tiny = mkdtempSync(path.join(tmpdir(), 'cnn-tiny-web-'));
    const spec = {
      name: 'tinynet',
      description: 'a test network',
      inputSize: [9, 11, 3] as [number, number, number],
      normalization: NORMALIZATION,
    };
    writeGraphModel(
      { ...spec, normalization: NORMALIZATION, layers: LAYERS, classNames: CLASSES, params: PARAMS },
      tiny,
    );
    for (const f of ['model.json', 'group1-shard1of1.bin']) FILES[`/tiny/${f}`] = readFileSync(path.join(tiny, f));
    rmSync(tiny, { recursive: true, force: true });
    const chromium = await launchChromium({ webgpu: false });
    close = chromium.close;
    const serve = async (p: Page) => {
      await p.route(`${ORIGIN}/**`, (route) => {
        const at = new URL(route.request().url()).pathname;
        if (at === '/' || at === '/bare') {
          const src = at === '/' ? '/lib.js' : '/bare.js';
          return route.fulfill({
            contentType: 'text/html',
            body: `<!doctype html><script type="module" src="${src}"></script>`,
          });
        }
        if (scripts[at]) return route.fulfill({ contentType: 'text/javascript', body: Buffer.from(scripts[at]) });
        const file = FILES[at];
        return file ? route.fulfill({ body: file }) : route.fulfill({ status: 404, body: 'not here' });
      });
    };
    page = await chromium.context.newPage();
    await serve(page);
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'lib' in window);
    bare = await chromium.context.newPage();
    await serve(bare);
    await bare.goto(`${ORIGIN}/bare`);
    await bare.waitForFunction(() => 'lib' in window);
  });

  afterAll(async () => {
    await close?.();
  });

  it('clips values beside a NaN on WebGL too (its packed clip leaves a texel holding a NaN unclipped)', async () => {
    const out = await run(
      "await lib.initBackend({ backend: 'webgl' });" +
        'try {' +
        '  const x = tf.tensor2d([[NaN, 5, -3, 0.5]]); const zero = tf.zeros([1, 4]);' +
        '  const shown = lib.heatmapOverlay(x, zero, { alpha: 0 }); const gray = lib.mat2gray(x, [0, 1]);' +
        "  const map = lib.imagesc(x, { colormap: 'gray', colors: 3, limits: [0, 1] });" +
        '  const v = [[...(await shown.data())].filter((_, i) => i % 3 === 0), [...(await gray.data())],' +
        '    [...(await map.data())].filter((_, i) => i % 3 === 0), tf.getBackend()];' +
        '  tf.dispose([x, zero, shown, gray, map]); return v;' +
        "} finally { await lib.initBackend({ backend: 'cpu' }); }",
    );
    // heatmapOverlay shows NaN as 0 and clips to [0, 1]; mat2gray maps NaN to 1 (as before) and clips; imagesc gives
    // NaN the first colour and clips the index to the colormap.
    expect(out).toEqual({
      value: [[0, 1, 0, 0.5], [1, 1, 0, 0.5], [0, 1, 0, 0.5], 'webgl'],
      leaked: 0,
    });
  });

  it("takes WebGL's atan2 of zeros, log of 0, log1p below -1 and clipping beside NaN as TensorFlow", async () => {
    const out = await run(
      "await lib.initBackend({ backend: 'webgl' }); tf.env().set('WEBGL_CPU_FORWARD', false);" +
        'try {' +
        '  const y = tf.tensor1d([0, -0, 0, -0, -0, 0]); const x = tf.tensor1d([0, 0, -0, -0, 0.75, -2]);' +
        '  const u = tf.tensor1d([-1.5, -3, -1, 1]); const w = tf.tensor1d([NaN, -5, 5, 0.5]);' +
        '  const a = tf.atan2(y, x); const l = tf.log1p(u); const c = tf.clipByValue(w, -1, 1);' +
        '  const z = tf.tensor1d([0, -0, -2, NaN, 1]); const g = tf.log(z);' +
        '  const read = async (t) => [...(await t.data())].map((v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : v));' +
        '  const v = [await read(a), await read(l), await read(c), await read(g), tf.getBackend()];' +
        '  tf.dispose([y, x, u, w, a, l, c, z, g]); return v;' +
        "} finally { tf.env().set('WEBGL_CPU_FORWARD', true); await lib.initBackend({ backend: 'cpu' }); }",
    );
    // C's atan2 of signed zeros; log1p of -1 is -Infinity and of less is NaN (WebGL gave log |1 + x|); clip keeps
    // NaN and clips its neighbours (WebGL's packed clip left the texel holding NaN unclipped); log of ±0 is -Infinity
    // (WebGL gave -88).
    expect(out).toEqual({
      value: [
        [0, '-0', Math.fround(Math.PI), -Math.fround(Math.PI), '-0', Math.fround(Math.PI)],
        ['NaN', 'NaN', Number.NEGATIVE_INFINITY, Math.fround(Math.log1p(1))],
        ['NaN', -1, 1, 0.5],
        [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, 'NaN', 'NaN', 0],
        'webgl',
      ],
      leaked: 0,
    });
  });

  it('runs kernels of rank 5 and 6 on WebGL as on cpu, and refuses a reduction over an axis named twice', async () => {
    // TF.js's WebGL shaders refused these from rank 5 (padding: "Failed to compile fragment shader"); the library folds
    // them to rank 3. Each is computed on cpu and on WebGL from the same values.
    const out = await run(
      'const ops = (x, y) => [' +
        '  tf.pad(x, [[1, 0], [0, 1], [1, 1], [0, 0], [0, 2]], 7),' +
        '  tf.mirrorPad(x, [[1, 1], [0, 0], [1, 1], [0, 0], [1, 0]], "symmetric"),' +
        '  tf.reverse(x, [0, 2, 4]), tf.where(tf.greater(y, 0), x, y), tf.cumsum(x, 2, false, true),' +
        '  tf.clipByValue(y, -0.5, 0.5), tf.stridedSlice(x, [0, 0, 2, 0, 1], [2, 1, -4, 1, 2], [1, 1, -2, 1, 1]),' +
        '  tf.batchToSpaceND(tf.reshape(x, [4, 1, 1, 3, 1]), [2, 2], [[0, 0], [0, 0]]),' +
        '  tf.spaceToBatchND(x, [1, 2], [[0, 0], [1, 0]]),' +
        '  tf.pad(tf.reshape(x, [2, 1, 3, 1, 2, 1]), [[0, 0], [1, 1], [0, 0], [0, 0], [0, 0], [1, 0]]),' +
        '];' +
        'const runOn = async (backend) => {' +
        '  await lib.initBackend({ backend }); if (backend === "webgl") tf.env().set("WEBGL_CPU_FORWARD", false);' +
        '  const x = tf.tensor(Array.from({ length: 12 }, (_, i) => i + 1), [2, 1, 3, 1, 2]);' +
        '  const y = tf.tensor(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [2, 1, 3, 1, 2]);' +
        '  const outs = tf.tidy(() => ops(x, y)); const v = [];' +
        '  for (const t of outs) v.push([t.shape, [...(await t.data())]]);' +
        '  let refused = null; try { tf.sum(x, [1, 1]); } catch (e) { refused = e.message; }' +
        '  tf.dispose([x, y, ...outs]); return [v, refused, tf.getBackend()];' +
        '};' +
        'try {' +
        '  return [await runOn("cpu"), await runOn("webgl")];' +
        '} finally {' +
        "  if (tf.getBackend() === 'webgl') tf.env().set('WEBGL_CPU_FORWARD', true);" +
        "  await lib.initBackend({ backend: 'cpu' });" +
        '}',
    );
    expect(out.error).toBeUndefined();
    const [onCpu, onWebgl] = out.value as [
      [[number[], number[]][], string, string],
      [[number[], number[]][], string, string],
    ];
    expect(onWebgl[2]).toBe('webgl');
    expect(onWebgl[0].map(([shape]) => shape)).toEqual(onCpu[0].map(([shape]) => shape));
    for (const [i, [, values]] of onWebgl[0].entries()) {
      for (const [j, v] of values.entries()) expect(v).toBeCloseTo(onCpu[0][i][1][j], 5);
    }
    expect([onCpu[1], onWebgl[1]]).toEqual(Array(2).fill('sum: the axes [1, 1] name the axis 1 twice'));
    expect(out.leaked).toBe(0);
  });

  it('crops each box from the image its index names on WebGL (TF.js read the image at the box number)', async () => {
    const out = await run(
      "await lib.initBackend({ backend: 'webgl' }); tf.env().set('WEBGL_CPU_FORWARD', false);" +
        'try {' +
        '  const images = tf.tensor4d([10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33], [3, 2, 2, 1]);' +
        '  const boxes = tf.tensor2d([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 0]]);' +
        '  const ind = tf.tensor1d([2, 0, 1], "int32");' +
        '  const near = tf.image.cropAndResize(images, boxes, ind, [2, 2], "nearest");' +
        '  const box = tf.tensor2d([[0, 0, 1, 1]]); const two = tf.tensor1d([2], "int32");' +
        '  const lin = tf.image.cropAndResize(images, box, two, [1, 1]);' +
        '  const v = [[...(await near.data())], [...(await lin.data())], tf.getBackend()];' +
        '  tf.dispose([images, boxes, ind, near, box, two, lin]); return v;' +
        "} finally { tf.env().set('WEBGL_CPU_FORWARD', true); await lib.initBackend({ backend: 'cpu' }); }",
    );
    // Box 0 from image 2, box 1 from image 0, box 2 (a point at the top left) from image 1; a 1×1 crop of the whole
    // of image 2 samples its centre (the mean of its four pixels).
    expect(out).toEqual({
      value: [[30, 31, 32, 33, 10, 11, 12, 13, 20, 20, 20, 20], [31.5], 'webgl'],
      leaked: 0,
    });
  });

  it('divides 0 by 0 and Infinity by Infinity to NaN on WebGL, and one-hot encodes int32 as integers', async () => {
    const out = await run(
      "await lib.initBackend({ backend: 'webgl' }); tf.env().set('WEBGL_CPU_FORWARD', false);" +
        'try {' +
        '  const a = tf.tensor1d([0, Infinity, -Infinity, 3, 0, -0, 2]);' +
        '  const b = tf.tensor1d([0, Infinity, Infinity, 3, 5, 0, 0]);' +
        '  const i = tf.tensor1d([0, 2, 1], "int32");' +
        '  const q = tf.div(a, b); const s = tf.tidy(() => tf.div(tf.reshape(a, [7, 1]), tf.scalar(0)));' +
        '  const h = tf.oneHot(i, 3, 2.5, -1.5);' +
        '  const read = async (t) => [...(await t.data())]' +
        '    .map((v) => (Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : v));' +
        '  const v = [await read(q), await read(s), await read(h), h.dtype, tf.getBackend()];' +
        '  tf.dispose([a, b, i, q, s, h]); return v;' +
        "} finally { tf.env().set('WEBGL_CPU_FORWARD', true); await lib.initBackend({ backend: 'cpu' }); }",
    );
    // IEEE division: 0/0 and ±Infinity/Infinity are NaN (WebGL's shader gave 1 wherever a == b); an int32 encoding's
    // on and off values are truncated as cpu and wasm truncate them (WebGL rounded 2.5 to 3).
    expect(out).toEqual({
      value: [
        ['NaN', 'NaN', 'NaN', 1, 0, 'NaN', Number.POSITIVE_INFINITY],
        [
          'NaN',
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          Number.POSITIVE_INFINITY,
          'NaN',
          'NaN',
          Number.POSITIVE_INFINITY,
        ],
        [2, -1, -1, -1, -1, 2, -1, 2, -1],
        'int32',
        'webgl',
      ],
      leaked: 0,
    });
  });

  it("routes max pooling's gradient to a window's first maximum on WebGL, as TensorFlow", async () => {
    // The library's gradients go in with its first gradient (gradCAM on the tiny network); then a max pooling whose
    // windows tie. TF.js's WebGL MaxPoolGrad shader sent a tied maximum's gradient to another cell than the first.
    const out = await run(
      'const gradOn = async (backend) => {' +
        '  await lib.initBackend({ backend }); if (backend === "webgl") tf.env().set("WEBGL_CPU_FORWARD", false);' +
        '  const net = await lib.importNetwork(location.origin + "/tiny/model.json");' +
        '  const img = tf.fill([9, 11, 3], 100);' +
        '  const cam = await lib.gradCAM(net, img, 0, { featureLayer: "conv_b" }); tf.dispose([img, cam.map]);' +
        '  net.dispose();' +
        '  const x = tf.tensor4d([1, 1, 2, 0, 1, 1, 2, 2, 3, 0, 0, 0, 0, 3, 0, 0], [1, 4, 4, 1]);' +
        '  const g = tf.grad((t) => tf.sum(tf.maxPool(t, 2, 2, "valid")))(x);' +
        '  const v = [...(await g.data())]; tf.dispose([x, g]); return v;' +
        '};' +
        'try {' +
        '  return [await gradOn("cpu"), await gradOn("webgl")];' +
        "} finally { tf.env().set('WEBGL_CPU_FORWARD', true); await lib.initBackend({ backend: 'cpu' }); }",
    );
    // Each 2×2 window's first maximum gets the gradient: (0, 0) of four 1s, (0, 2) of three 2s, (2, 0) of two 3s and
    // (2, 2) of four 0s.
    const want = [1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0];
    expect(out).toEqual({ value: [want, want], leaked: 0 });
  });

  it('imread refuses a bad source before it starts a backend', async () => {
    const out = await bare.evaluate(async () => {
      const w = window as unknown as {
        lib: { imread(s: unknown): Promise<unknown> };
        tf: { engine(): { backendName?: string; registryFactory: object } };
      };
      const errors: string[] = [];
      for (const bad of [42, null, undefined, true, '']) {
        try {
          await w.lib.imread(bad);
        } catch (e) {
          errors.push(`${(e as Error).constructor.name}: ${(e as Error).message}`);
        }
      }
      const engine = w.tf.engine();
      return { errors, backend: engine.backendName ?? null, registered: Object.keys(engine.registryFactory) };
    });
    expect(out.errors).toHaveLength(5);
    for (const e of out.errors.slice(0, 4)) expect(e).toMatch(/^TypeError: imread: expected 'source' to be /);
    expect(out.errors[4]).toMatch(/^RangeError: imread: expected 'source' to be a non-empty URL/);
    expect(out).toMatchObject({ backend: null, registered: [] });
  });

  it('imshow refuses an image wider than a canvas may be, instead of returning a blank canvas', async () => {
    const wide = await run('const x = tf.ones([1, 70000]); try { await lib.imshow(x); } finally { x.dispose(); }');
    expect(wide).toEqual({
      error:
        'RangeError: imshow: this browser will not make a 70000×1 canvas for the image (70,000 pixels): browsers cap ' +
        'a canvas at some width, height and area (Chromium: 65,535 a side and 268,435,456 pixels; iOS Safari: ' +
        '16,777,216 pixels), and a larger one stays blank; use a smaller image (imresize)',
      leaked: 0,
    });
    // Past the area cap too, on a canvas the caller gives.
    const tall = await run(
      "const x = tf.zeros([16385, 16384], 'int32'); const c = document.createElement('canvas');" +
        'try { await lib.imshow(x, c); } finally { x.dispose(); }',
    );
    expect(tall.error).toMatch(/^RangeError: imshow: this browser will not make a 16384×16385 canvas for the image/);
    expect(tall.leaked).toBe(0);
  });

  it('imshow still draws large images a browser holds, to the last pixel', async () => {
    const drawn = await run(
      'const x = tf.tidy(() => tf.concat([tf.zeros([2, 4999]), tf.ones([2, 1])], 1)); const c = await lib.imshow(x);' +
        'x.dispose(); const px = c.getContext("2d").getImageData(4998, 1, 2, 1).data;' +
        'return [c.width, c.height, ...px];',
    );
    expect(drawn).toEqual({ value: [5000, 2, 0, 0, 0, 255, 255, 255, 255, 255], leaked: 0 });
  });

  it("imwrite's JPEG refuses an image wider than a canvas may be, instead of the canvas's DOMException", async () => {
    const out = await run(
      "const x = tf.ones([1, 70000]); try { await lib.imwrite(x, undefined, { format: 'jpeg' }); } finally { x.dispose(); }",
    );
    expect(out.error).toMatch(/^RangeError: imwrite: this browser will not make a 70000×1 canvas for the image/);
    expect(out.leaked).toBe(0);
  });

  it('imread refuses a decoded image wider than a canvas may be, and an ImageBitmap as wide', async () => {
    expect(await run("return (await lib.imread('/wide.png')).shape;")).toEqual({
      error: expect.stringMatching(
        /^RangeError: imread: this browser will not make a 70000×1 canvas for "\/wide\.png"/,
      ),
      leaked: 0,
    });
    const bitmap = await run(
      'const b = await createImageBitmap(new ImageData(70000, 1)); try { return (await lib.imread(b)).shape; } ' +
        'finally { b.close(); }',
    );
    expect(bitmap.error).toMatch(
      /^RangeError: imread: this browser will not make a 70000×1 canvas for the given ImageBitmap/,
    );
  });

  it('imread refuses an ImageData or bytes whose memory was transferred away, instead of reading black', async () => {
    // Posting an ImageData's buffer to a worker detaches it: the ImageData keeps its size, its pixels read as 0.
    const says = (arg: string) =>
      `TypeError: imread: '${arg}' is detached: its memory was transferred away (by postMessage or structuredClone) ` +
      'and can no longer be read; pass a copy';
    const image = await run(
      'const d = new ImageData(2, 2); d.data.fill(200); structuredClone(d.data.buffer, { transfer: [d.data.buffer] });' +
        'return (await lib.imread(d)).shape;',
    );
    expect(image).toEqual({ error: says('source.data'), leaked: 0 });
    const bytes = await run(
      'const b = new Uint8Array(8); structuredClone(b.buffer, { transfer: [b.buffer] }); return (await lib.imread(b)).shape;',
    );
    expect(bytes).toEqual({ error: says('source'), leaked: 0 });
    // An ImageData that was not transferred still reads.
    expect(
      await readBack('(() => { const d = new ImageData(1, 1); d.data.set([1, 2, 3, 255]); return d; })()'),
    ).toEqual({
      value: [
        [1, 1, 3],
        [1, 2, 3],
      ],
      leaked: 0,
    });
  });

  it("reads a WebCodecs VideoFrame (a camera's or a decoder's frame) at its display size, and refuses a closed one", async () => {
    const frame =
      "const c = new OffscreenCanvas(3, 2); const g = c.getContext('2d'); g.fillStyle = 'rgb(200, 100, 50)';" +
      'g.fillRect(0, 0, 3, 2); g.fillStyle = "rgb(1, 2, 3)"; g.fillRect(2, 1, 1, 1);' +
      'const f = new VideoFrame(c, { timestamp: 0 });';
    const open = await run(
      `${frame} try { const t = await lib.imread(f); const v = [t.shape, [...(await t.data())]]; t.dispose(); return v; }` +
        ' finally { f.close(); }',
    );
    expect(open).toEqual({
      value: [
        [2, 3, 3],
        [200, 100, 50, 200, 100, 50, 200, 100, 50, 200, 100, 50, 200, 100, 50, 1, 2, 3],
      ],
      leaked: 0,
    });
    const closed = await run(`${frame} f.close(); return (await lib.imread(f)).shape;`);
    expect(closed).toEqual({
      error: 'Error: imread: the given VideoFrame is closed; read a frame before closing it',
      leaked: 0,
    });
  });

  it('imread refuses a file whose header claims more than limits.maxPixels before decoding it', async () => {
    const limit = 'the limit is 67,108,864 pixels (limits.maxPixels; raise it with setLimits)';
    // A header alone: without the check the browser's decoder would report "cannot decode", not the size.
    expect(await run("return (await lib.imread('/bomb-header.png')).shape;")).toEqual({
      error: `RangeError: imread: "/bomb-header.png" is a 20000×20000 image (400,000,000 pixels); ${limit}`,
      leaked: 0,
    });
    expect(await run("return (await lib.imread('/bomb.gif')).shape;")).toMatchObject({
      error: `RangeError: imread: "/bomb.gif" is a 65535×65535 image (4,294,836,225 pixels); ${limit}`,
    });
    expect(await run("return (await lib.imread('/bomb.bmp')).shape;")).toMatchObject({
      error: `RangeError: imread: "/bomb.bmp" is a 30000×30000 image (900,000,000 pixels); ${limit}`,
    });
    expect(await run("return (await lib.imread('/bomb.webp')).shape;")).toMatchObject({
      error: `RangeError: imread: "/bomb.webp" is a 16384×16384 image (268,435,456 pixels); ${limit}`,
    });
    expect(await run("return (await lib.imread('/bomb.ico')).shape;")).toMatchObject({
      error: `RangeError: imread: "/bomb.ico" is a 30000×30000 image (900,000,000 pixels); ${limit}`,
    });
    expect(await run("return (await lib.imread('/bomb.avif')).shape;")).toMatchObject({
      error: `RangeError: imread: "/bomb.avif" is a 20000×20000 image (400,000,000 pixels); ${limit}`,
    });
    // The real bomb, as bytes and as a Blob: refused by its header, not after the browser inflated 400 megapixels.
    const bytes = await run(
      "const b = new Uint8Array(await (await fetch('/bomb.png')).arrayBuffer()); " +
        'const at = []; for (const s of [b, new Blob([b])]) { const t0 = performance.now(); ' +
        'try { await lib.imread(s); } catch (e) { at.push([e.message, performance.now() - t0]); } } return at;',
    );
    const [[fromBytes, bytesMs], [fromBlob, blobMs]] = bytes.value as [string, number][];
    expect(fromBytes).toBe(
      `imread: the given ${FILES['/bomb.png'].length} bytes is a 20000×20000 image (400,000,000 pixels); ${limit}`,
    );
    expect(fromBlob).toMatch(/^imread: the given Blob \(\d+ bytes\) is a 20000×20000 image/);
    console.log(`bomb refused in ${bytesMs.toFixed(0)} ms (bytes), ${blobMs.toFixed(0)} ms (Blob)`);
  });

  it('imread refuses a JPEG of more scans than limits.maxJpegScans before the browser decodes it', async () => {
    expect(await run("return (await lib.imread('/scans.jpg')).shape;")).toEqual({
      error:
        'RangeError: imread: "/scans.jpg" is a JPEG of 301 scans, each decoded over the whole image; the limit is 256 ' +
        'scans (limits.maxJpegScans; raise it with setLimits)',
      leaked: 0,
    });
    // A progressive JPEG's 10 scans: read at the default limit, refused below it.
    const read = "const t = await lib.imread('/progressive.jpg'); const s = t.shape; t.dispose(); return s;";
    expect(await run(read)).toEqual({ value: [120, 200, 3], leaked: 0 });
    expect(
      await run(
        `const before = lib.setLimits({ maxJpegScans: 9 }); try { ${read} } finally { lib.setLimits(before); }`,
      ),
    ).toEqual({
      error:
        'RangeError: imread: "/progressive.jpg" is a JPEG of 10 scans, each decoded over the whole image; the limit ' +
        'is 9 scans (limits.maxJpegScans; raise it with setLimits)',
      leaked: 0,
    });
  });

  it('imread refuses a download past limits.maxFileBytes', async () => {
    const size = FILES['/big.bmp'].length;
    const out = await run(
      `const before = lib.setLimits({ maxFileBytes: ${size - 1} }); try { await lib.imread('/big.bmp'); } ` +
        'finally { lib.setLimits(before); }',
    );
    expect(out.error).toBe(
      `RangeError: imread: "/big.bmp" is ${size.toLocaleString('en-US')} bytes; the limit is ` +
        `${(size - 1).toLocaleString('en-US')} bytes (limits.maxFileBytes; raise it with setLimits)`,
    );
    expect(out.leaked).toBe(0);
  });

  it('imread gives a JPEG as stored, as libjpeg and MATLAB do, though its EXIF orientation says to rotate it', async () => {
    // libjpeg's decoding (sharp's, which turns an image only when asked), as MATLAB's imread gives it.
    const want = [...(await sharp(ROTATED_JPEG).raw().toBuffer())];
    for (const source of [
      "'/rotated.jpg'",
      "await (await fetch('/rotated.jpg')).blob()",
      "new Uint8Array(await (await fetch('/rotated.jpg')).arrayBuffer())",
    ]) {
      const got = await readBack(source);
      expect(got.leaked, source).toBe(0);
      const [shape, values] = got.value as [number[], number[]];
      expect(shape, source).toEqual([120, 200, 3]);
      // JPEG decoders differ by a level or two; a rotated image would differ everywhere.
      const diff = values.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
      expect(diff, source).toBeLessThanOrEqual(4);
    }
    // A PNG is lossless: the pixels as stored, exactly.
    const png = await readBack("'/rotated.png'");
    expect(png).toEqual({ value: [[120, 200, 3], [...(await sharp(ROTATED_PNG).raw().toBuffer())]], leaked: 0 });
  });

  it('imread still reads files within the limits: an icon, and a BMP wider than the probe threshold', async () => {
    const face = await run("const t = await lib.imread('/face.png'); const s = t.shape; t.dispose(); return s;");
    expect(face).toEqual({ value: [227, 227, 3], leaked: 0 });
    // Raw pixels as a canvas library gives them: RGBA, alpha dropped.
    const raw = await readBack('{ data: new Uint8Array([1, 2, 3, 0, 4, 5, 6, 9]), width: 2, height: 1 }');
    expect(raw).toEqual({
      value: [
        [1, 2, 3],
        [1, 2, 3, 4, 5, 6],
      ],
      leaked: 0,
    });
    // sharp's raw output: gray reads as three equal channels, as a gray file does in a browser ([h, w, 3] always).
    const sharpRaw = (data: number[], channels: number) =>
      readBack(`{ data: new Uint8Array([${data}]), info: { width: 2, height: 1, channels: ${channels} } }`);
    expect(await sharpRaw([7, 8], 1)).toEqual({
      value: [
        [1, 2, 3],
        [7, 7, 7, 8, 8, 8],
      ],
      leaked: 0,
    });
    expect(await sharpRaw([7, 255, 8, 0], 2)).toEqual({
      value: [
        [1, 2, 3],
        [7, 7, 7, 8, 8, 8],
      ],
      leaked: 0,
    });
    expect(await sharpRaw([1, 2, 3, 4, 5, 6], 3)).toEqual({
      value: [
        [1, 2, 3],
        [1, 2, 3, 4, 5, 6],
      ],
      leaked: 0,
    });
    const icon = await readBack("'/icon.ico'");
    expect(icon).toEqual({
      value: [
        [2, 3, 3],
        [0, 100, 7, 10, 100, 7, 20, 100, 7, 0, 101, 7, 10, 101, 7, 20, 101, 7],
      ],
      leaked: 0,
    });
    const red = await run(
      "const t = await lib.imread('/red.bmp'); const last = tf.slice(t, [1, 4999], [1, 1]);" +
        'const v = await last.data(); const s = t.shape; tf.dispose([t, last]); return [...s, ...v];',
    );
    expect(red).toEqual({ value: [2, 5000, 3, 200, 10, 30], leaked: 0 });
    // A header under a lowered limit is refused too, and the limit restored lets it through.
    const lowered = await run(
      "const before = lib.setLimits({ maxPixels: 9999 }); try { await lib.imread('/red.bmp'); } " +
        'finally { lib.setLimits(before); }',
    );
    expect(lowered.error).toBe(
      'RangeError: imread: "/red.bmp" is a 5000×2 image (10,000 pixels); the limit is 9,999 pixels (limits.maxPixels; raise it with setLimits)',
    );
  });
});
