/**
 * The browser activation explorer (examples/browser/) in headless Chromium, end to end: built with vite from the
 * library's dist/browser.js, served on 127.0.0.1 with COOP/COEP, driven with playwright-core.
 *
 * - With `--enable-unsafe-webgpu` and `?backend=webgpu` the page runs on WebGPU through Chromium's software adapter
 *   (SwiftShader, a fallback adapter); without the flag the library's own choice lands on WebGL (no WebGPU adapter);
 *   `?backend=wasm` runs the wasm backend with threads available (cross-origin isolated).
 * - On each, the conv1 grid the page draws equals the one computed here in Node (wasm backend) within 2 gray levels,
 *   and clicking a channel, flipping pre/post-ReLU, jumping to the strongest channel and the closed-eye comparison
 *   all show what they should.
 * - Screenshots go to test-artifacts/browser/ (ignored by git).
 *
 * Needs `npm run build` first (dist/ and model/) and Chromium (`apt-get install -y chromium`); skipped, saying so,
 * without Chromium.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  buildExplorer,
  checkLibraryBuilt,
  findChromium,
  launchChromium,
  serveExplorer,
} from '../helpers/browser.js';
import { NSFW_CLASSES, writeThirdPartyModel } from '../../examples/your-model/nsfwjsModels.js';
import { TM_LABELS, writeTeachableMachineModel } from '../helpers/teachableMachine.js';
import { writeUserGraph } from '../helpers/userGraph.js';

const CHROMIUM = findChromium();
const SKIP_REASON = 'Chromium is not installed: apt-get install -y chromium (or set CHROMIUM_PATH)';
if (!CHROMIUM) console.warn(`test/e2e/browser.test.ts skipped: ${SKIP_REASON}`);

const ARTIFACTS = path.join(ROOT, 'test-artifacts/browser');
const FACE = path.join(ROOT, 'examples/images/face.png');
const GRID_SIZE = 904; // conv1: 64 channels of 113×113 in an 8×8 grid

/** The page's test hook (examples/browser/main.ts), as seen from here. */
interface Hook {
  ready: Promise<void>;
  idle(): Promise<void>;
  info(): {
    backend: string | null;
    reason: string | null;
    adapter: {
      vendor: string;
      architecture: string;
      description: string;
      isFallbackAdapter: boolean;
      software: boolean;
    } | null;
    skipped: { backend: string; reason: string }[];
    threads: number | null;
    threadsNote: string | null;
  };
  state(): {
    layer: string;
    channel: number | null;
    image: string;
    grid: { rows: number; cols: number; th: number; tw: number; n: number } | null;
    network: { name: string; kind: string; layers: number; inputSize: number[] } | null;
    classes: string[];
    tensors: number;
  };
  errors: string[];
  selectLayer(name: string): Promise<void>;
  selectChannel(k: number): Promise<void>;
  explain(
    method: 'gradCAM' | 'gradient' | 'guided-backprop' | 'occlusionSensitivity' | 'imageLIME',
    classIndex?: number,
    samples?: number,
  ): Promise<void>;
  explanation(): { method: string; classIndex: number; mapShape: number[]; min: number; max: number } | null;
  dream(): Promise<void>;
  dreamt(): { layer: string; channel: number; shape: number[]; seconds: number } | null;
  gridPixels(): { width: number; height: number; gray: string };
  comparison(): { channel: number; closedEye: [number, number]; openEye: [number, number] }[];
  saveModel(url: string): Promise<void>;
}
declare global {
  interface Window {
    __explorer: Hook;
  }
}

/** The conv1 grid as Node computes it with the library: imtile(mat2gray(activations(conv1)), [8 8]) as 0..255. */
async function nodeGrid(): Promise<Uint8Array> {
  const lib = await import('../../src/index.js');
  await lib.initBackend({ backend: 'wasm' });
  const net = await lib.squeezenet();
  const im = await lib.imread(FACE);
  const grid = tf.tidy(() =>
    lib.im2uint8(lib.imtile(lib.mat2gray(lib.activations(net, im, 'conv1')), { gridSize: [8, 8] })),
  );
  const out = Uint8Array.from(await grid.data());
  tf.dispose([grid, im]);
  net.dispose();
  return out;
}

/**
 * What the page should report for the closed-eye comparison, from the reference activations of
 * fire6-relu_squeeze1x1 (float64 NumPy forward pass, stored as float32 [14][14][48]): for channels 14 and 47, the
 * cell where the open-eye image peaks in each half of the map, read in both images.
 */
function referenceEyes(): { closedEye: [number, number]; openEye: [number, number] }[] {
  const load = (name: string) => {
    const buf = readFileSync(path.join(ROOT, '../shared/reference', `${name}_fire6-relu_squeeze1x1.f32`));
    return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  };
  const [open, closed] = [load('face'), load('face-eye-closed')];
  const [h, w, c] = [14, 14, 48];
  return [13, 46].map((k) => {
    const peak = (x0: number, x1: number) => {
      let best = -1;
      for (let y = 0; y < h; y++) {
        for (let x = x0; x < x1; x++) {
          const at = (y * w + x) * c + k;
          if (best < 0 || open[at] > open[best]) best = at;
        }
      }
      return best;
    };
    const [left, right] = [peak(0, w / 2), peak(w / 2, w)];
    return { closedEye: [open[left], closed[left]], openEye: [open[right], closed[right]] };
  });
}

interface Opened {
  page: Page;
  pageErrors: string[];
}

async function openExplorer(context: BrowserContext, url: string): Promise<Opened> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(url);
  await page.waitForFunction(() => window.__explorer !== undefined);
  await page.evaluate(() => window.__explorer.ready);
  return { page, pageErrors };
}

/** Opens the explorer at `url`, where opening its model fails: the last error the page shows. */
async function lastErrorOpening(context: BrowserContext, url: string): Promise<string | undefined> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.__explorer !== undefined);
  await page.evaluate(() => window.__explorer.ready.catch(() => undefined));
  const last = (await page.evaluate(() => window.__explorer.errors)).at(-1);
  await page.close();
  return last;
}

/** The class list's labels, without the percentages after them. */
const labelsOf = (classes: readonly string[]) => classes.map((c) => c.replace(/\s*\d+\.\d%$/, ''));

const idle = (page: Page) => page.evaluate(() => window.__explorer.idle());
const state = (page: Page) => page.evaluate(() => window.__explorer.state());

/** Opens a model from files chosen in the "Your model" panel, its other fields set as given (empty otherwise). */
async function openFromPanel(
  page: Page,
  files: string[],
  fields: {
    normalization: string;
    mean?: string;
    std?: string;
    labels?: string;
    output?: string;
    input?: string;
    size?: string;
    constants?: string;
  },
) {
  await page.setInputFiles('#model-files', files);
  await page.selectOption('#model-normalization', fields.normalization);
  await page.fill('#model-mean', fields.mean ?? '');
  await page.fill('#model-std', fields.std ?? '');
  await page.fill('#model-labels', fields.labels ?? '');
  await page.fill('#model-output', fields.output ?? '');
  await page.fill('#model-input', fields.input ?? '');
  await page.fill('#model-size', fields.size ?? '');
  await page.fill('#model-constants', fields.constants ?? '');
  await page.click('#model-form button[type=submit]');
  await idle(page);
  return state(page);
}

/** Mean and standard deviation of the gray (red) levels of a canvas, and its size. */
function canvasStats(page: Page, id: string) {
  return page.evaluate((canvasId) => {
    const canvas = document.getElementById(canvasId) as HTMLCanvasElement;
    const { width, height } = canvas;
    const data = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
    let sum = 0;
    let sq = 0;
    let grayscale = true;
    for (let i = 0; i < data.length; i += 4) {
      sum += data[i];
      sq += data[i] * data[i];
      grayscale &&= data[i] === data[i + 1] && data[i] === data[i + 2];
    }
    const n = data.length / 4;
    const mean = n ? sum / n : 0;
    return { width, height, mean, std: Math.sqrt(Math.max(0, sq / Math.max(n, 1) - mean * mean)), grayscale };
  }, id);
}

/** Clicks the centre of grid cell k (row-major) on the grid canvas, wherever CSS put and scaled it. */
async function clickChannel(page: Page, k: number) {
  const s = await state(page);
  const grid = s.grid!;
  const box = (await page.locator('#grid-canvas').boundingBox())!;
  const x = ((k % grid.cols) * grid.tw + grid.tw / 2) * (box.width / (grid.cols * grid.tw));
  const y = (Math.floor(k / grid.cols) * grid.th + grid.th / 2) * (box.height / (grid.rows * grid.th));
  await page.mouse.click(box.x + x, box.y + y);
  await idle(page);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

describe.skipIf(!CHROMIUM)('browser explorer in headless Chromium', () => {
  let siteDir: string | undefined;
  let site: { url: string; close: () => Promise<void> } | undefined;
  let expected: Uint8Array;
  let eyes: ReturnType<typeof referenceEyes>;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const stale = checkLibraryBuilt();
    if (stale) console.warn(`test/e2e/browser.test.ts: ${stale}`);
    siteDir = await buildExplorer();
    site = await serveExplorer(siteDir);
    expected = await nodeGrid();
    eyes = referenceEyes();
  });

  afterAll(async () => {
    await site?.close();
    if (siteDir) rmSync(siteDir, { recursive: true, force: true });
  });

  /** The walkthrough on the page: grid vs Node, a channel click, pre/post-ReLU, strongest, closed-eye comparison. */
  async function walkthrough({ page, pageErrors }: Opened, name: string) {
    // The conv1 grid equals Node's within 2 gray levels.
    expect(await state(page)).toMatchObject({ layer: 'conv1', image: 'face.png', channel: null });
    const { width, height, gray } = await page.evaluate(() => window.__explorer.gridPixels());
    expect([height, width]).toEqual([GRID_SIZE, GRID_SIZE]);
    const got = Buffer.from(gray, 'base64');
    expect(got.length).toBe(expected.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - expected[i]));
    expect(maxDiff).toBeLessThanOrEqual(2);
    await shot(page, `${name}-1-conv1`);

    // A click on grid cell (row 3, column 6) shows channel 22 (index 21), beside and over the image.
    await clickChannel(page, 21);
    expect((await state(page)).channel).toBe(21);
    await expect.poll(() => page.locator('#channel-title').textContent()).toBe('conv1, channel 22 (index 21)');
    const pair = await canvasStats(page, 'channel-canvas');
    expect([pair.width, pair.height]).toEqual([454, 227]); // imtile({im, channel})
    expect(pair.std).toBeGreaterThan(10);
    const overlay = await canvasStats(page, 'overlay-canvas');
    expect([overlay.width, overlay.height]).toEqual([227, 227]);
    expect(overlay.std).toBeGreaterThan(10);
    expect(await page.locator('#grid-selected').isVisible()).toBe(true);
    await shot(page, `${name}-2-channel22`);

    // post-ReLU keeps the channel; the grid of relu_conv1 has the same size.
    await page.click('#post-relu');
    await idle(page);
    expect(await state(page)).toMatchObject({ layer: 'relu_conv1', channel: 21 });
    expect(await page.locator('#grid-layer').textContent()).toBe('relu_conv1');
    expect(await page.locator('#post-relu').getAttribute('aria-pressed')).toBe('true');

    // fire6-squeeze1x1 from the layer table; its strongest channel on face.png is channel 14 (index 13).
    await page.click('#layers tr[data-layer="fire6-squeeze1x1"]');
    await idle(page);
    expect((await state(page)).grid).toMatchObject({ n: 48, th: 14, tw: 14 });
    expect(await page.locator('#layers tr[aria-selected="true"]').getAttribute('data-layer')).toBe('fire6-squeeze1x1');
    await page.click('#strongest');
    await idle(page);
    expect(await state(page)).toMatchObject({ layer: 'fire6-squeeze1x1', channel: 13 });
    expect(await page.locator('#channel-title').textContent()).toBe('fire6-squeeze1x1, channel 14 (index 13)');
    await page.click('#post-relu');
    await idle(page);
    expect(await state(page)).toMatchObject({ layer: 'fire6-relu_squeeze1x1', channel: 13 });
    await shot(page, `${name}-3-fire6-strongest`);

    // The closed-eye comparison: a 2×3 tile of 227×227 frames; both channels weaken at the painted-closed eye.
    await page.click('#compare');
    await idle(page);
    const cmp = await canvasStats(page, 'compare-canvas');
    expect([cmp.width, cmp.height]).toEqual([681, 454]);
    expect(cmp.std).toBeGreaterThan(10);
    // At the eye that was painted closed both channels drop by a quarter to a third (MATLAB's finding); at the other
    // eye they stay. The page's numbers match the float64 reference activations from ../shared.
    const numbers = await page.evaluate(() => window.__explorer.comparison());
    expect(numbers.map((r) => r.channel)).toEqual([14, 47]);
    numbers.forEach((r, i) => {
      const want = eyes[i];
      for (const [got, ref] of [
        ...r.closedEye.map((v, j) => [v, want.closedEye[j]]),
        ...r.openEye.map((v, j) => [v, want.openEye[j]]),
      ]) {
        expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-3 * Math.abs(ref) + 1e-3);
      }
      expect(r.closedEye[1] / r.closedEye[0]).toBeLessThan(0.8);
      expect(Math.abs(r.openEye[1] / r.openEye[0] - 1)).toBeLessThan(0.05);
    });
    const items = await page.locator('#compare-info li').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatch(
      /^channel 14: at the closed eye \d+ → \d+ \(−\d+%\); at the open eye \d+ → \d+ \([−+±]\d+%\)$/,
    );
    await page.locator('#compare-panel').scrollIntoViewIfNeeded();
    await shot(page, `${name}-4-closed-eye`);

    expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
    expect(pageErrors).toEqual([]);
  }

  it('runs on WebGPU (the software fallback adapter) with --enable-unsafe-webgpu', async () => {
    const browser = await launchChromium({ webgpu: true });
    try {
      const opened = await openExplorer(browser.context, `${site!.url}index.html?backend=webgpu`);
      const info = await opened.page.evaluate(() => window.__explorer.info());
      expect(info.backend).toBe('webgpu');
      expect(info.adapter).not.toBeNull();
      // Chromium's only adapter here is SwiftShader: a fallback adapter, which the library flags as software.
      expect(
        info.adapter!.isFallbackAdapter || /swiftshader/i.test(`${info.adapter!.vendor} ${info.adapter!.architecture}`),
      ).toBe(true);
      expect(info.adapter!.software).toBe(true);
      const badge = (await opened.page.locator('#backend').textContent()) ?? '';
      expect(badge).toContain('backend: webgpu');
      expect(badge).toContain('software fallback adapter');
      await walkthrough(opened, 'webgpu');
    } finally {
      await browser.close();
    }
  });

  it('passes over software WebGL by itself (wasm is faster there), and runs WebGL when asked', async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      // Headless Chromium without a GPU renders WebGL with SwiftShader: the automatic choice is wasm, with reasons.
      const auto = await openExplorer(browser.context, `${site!.url}index.html`);
      const info = await auto.page.evaluate(() => window.__explorer.info());
      expect(info.backend).toBe('wasm');
      expect(info.skipped.map((s) => s.backend)).toEqual(['webgpu', 'webgl']);
      expect(info.skipped.find((s) => s.backend === 'webgpu')!.reason).not.toBe('');
      expect(info.skipped.find((s) => s.backend === 'webgl')!.reason).toMatch(
        /^WebGL renders in software here \(.*SwiftShader.*\), which is slower than wasm on a CPU; it is used only when asked for/,
      );
      await auto.page.close();
      const opened = await openExplorer(browser.context, `${site!.url}index.html?backend=webgl`);
      expect((await opened.page.evaluate(() => window.__explorer.info())).backend).toBe('webgl');
      expect((await opened.page.locator('#backend .backend-name').textContent()) ?? '').toBe('backend: webgl');
      await walkthrough(opened, 'webgl');
    } finally {
      await browser.close();
    }
  });

  it('runs on wasm when asked, cross-origin isolated (threads available)', async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      const opened = await openExplorer(browser.context, `${site!.url}index.html?backend=wasm`);
      expect(await opened.page.evaluate(() => window.crossOriginIsolated)).toBe(true);
      const info = await opened.page.evaluate(() => window.__explorer.info());
      expect(info.backend).toBe('wasm');
      // TF.js's build runs one thread per two logical cores (at most the count asked for: all of them, up to 8).
      const cores = await opened.page.evaluate(() => navigator.hardwareConcurrency);
      const threads = Math.max(1, Math.min(8, cores, Math.floor(cores / 2)));
      expect(info.threads).toBe(threads);
      expect(info.threadsNote).toBe(
        threads < Math.min(8, cores)
          ? `TF.js's threaded build takes at most half of navigator.hardwareConcurrency (${cores}), one thread per core`
          : null,
      );
      await walkthrough(opened, 'wasm');

      // Another image through the file picker: resized to the network's input, classified, the layer redrawn.
      const { page } = opened;
      await page.setInputFiles('#file', path.join(ROOT, 'examples/images/astronaut.png'));
      await idle(page);
      expect(await state(page)).toMatchObject({ image: 'astronaut.png', layer: 'fire6-relu_squeeze1x1', channel: 13 });
      expect(await page.locator('#image-info').textContent()).toBe('astronaut.png · 512×512, resized to 227×227');
      expect(await page.locator('#classes li').count()).toBe(5);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      await shot(page, 'wasm-5-astronaut');

      // Why this class: the maps over the image, for the top class, and the pixels' gradients, plain and guided,
      // drawn in gray.
      for (const method of ['gradient', 'guided-backprop'] as const) {
        await page.evaluate((m) => window.__explorer.explain(m), method);
        expect(await page.evaluate(() => window.__explorer.explanation())).toMatchObject({
          method,
          mapShape: [227, 227],
          min: 0,
          max: 1,
        });
        expect((await canvasStats(page, 'explain-canvas')).grayscale).toBe(true);
      }
      for (const [method, samples] of [
        ['gradCAM', undefined],
        ['occlusionSensitivity', undefined],
        ['imageLIME', 64],
      ] as const) {
        await page.evaluate(([m, n]) => window.__explorer.explain(m, undefined, n), [method, samples] as const);
        const e = await page.evaluate(() => window.__explorer.explanation());
        expect(e).toMatchObject({ method, mapShape: [227, 227] });
        expect(e!.max).toBeGreaterThan(e!.min);
      }
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      const overlay = await canvasStats(page, 'explain-canvas');
      expect([overlay.width, overlay.height]).toEqual([227, 227]);
      expect(overlay.grayscale).toBe(false);
      await shot(page, 'wasm-6-explain');

      // What the selected channel responds to: MATLAB's deep dream of it, beside the channel, leaving no tensor.
      const before = (await state(page)).tensors;
      expect(await page.locator('#dream-figure').isHidden()).toBe(true);
      await page.click('#dream');
      await idle(page);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      expect(await page.evaluate(() => window.__explorer.dreamt())).toMatchObject({
        layer: 'fire6-relu_squeeze1x1',
        channel: 13,
        shape: [1, 227, 227, 3],
      });
      const dream = await canvasStats(page, 'dream-canvas');
      expect([dream.width, dream.height]).toEqual([227, 227]);
      expect(dream.std).toBeGreaterThan(10); // a picture, not a blank
      expect(await page.locator('#dream-caption').textContent()).toMatch(
        /^deepDreamImage\(net, 'fire6-relu_squeeze1x1', 13\): what channel 14 \(index 13\) responds to most, grown from noise in [\d.]+ s$/,
      );
      expect((await state(page)).tensors).toBe(before);
      await shot(page, 'wasm-7-dream');
      // Another channel: the dream of the last one is no longer shown.
      await page.evaluate(() => window.__explorer.selectChannel(0));
      await idle(page);
      expect(await page.locator('#dream-figure').isHidden()).toBe(true);
      // Choosing a channel leaves nothing behind either (it left the channel's values, one tensor a click).
      expect((await state(page)).tensors).toBe(before);
      // Cancel stops a dream under way: said in the status (no error), the controls put back, nothing left behind.
      await page.click('#dream');
      await page.waitForFunction(() => !(document.getElementById('dream-cancel') as HTMLButtonElement).disabled);
      await page.click('#dream-cancel');
      await idle(page);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      expect(await page.locator('#status').textContent()).toBe('Deep dream of channel 1 (index 0): cancelled.');
      expect(await page.locator('#dream-cancel').isDisabled()).toBe(true);
      expect(await page.locator('#dream-progress').isHidden()).toBe(true);
      expect(await page.locator('#dream-figure').isHidden()).toBe(true);
      expect((await state(page)).tensors).toBe(before);
    } finally {
      await browser.close();
    }
  });

  it('opens a third-party Keras model from a link, and another from files chosen on the page', async () => {
    // nsfwjs's pretrained MobileNetV2 (Keras) and its converted graph, written into the served site as plain files.
    await writeThirdPartyModel('mobilenet_v2', path.join(siteDir!, 'models', 'mobilenet_v2'));
    const graph = await writeThirdPartyModel('mobilenet_v2_mid', path.join(siteDir!, 'models', 'mobilenet_v2_mid'));
    const browser = await launchChromium({ webgpu: false });
    try {
      const link =
        `${site!.url}index.html?backend=wasm&model=models/mobilenet_v2/model.json` +
        `&normalization=rescale-zero-one&labels=${NSFW_CLASSES.join(',')}`;
      const { page, pageErrors } = await openExplorer(browser.context, link);
      const s = await state(page);
      expect(s.network).toEqual({ name: 'model_1', kind: 'layers-model', layers: 162, inputSize: [224, 224, 3] });
      expect(s.layer).toBe('Conv1');
      expect(s.grid).toMatchObject({ n: 32, th: 112, tw: 112 });
      expect(s.classes[0]).toMatch(/^Neutral\s*99\.\d%$/);
      expect(await page.locator('#layers tbody tr').count()).toBe(162);
      expect(await page.locator('#compare-panel').isHidden()).toBe(true);
      expect(await page.locator('#model-normalization').inputValue()).toBe('rescale-zero-one');
      const grid = await canvasStats(page, 'grid-canvas');
      expect(grid.std).toBeGreaterThan(10); // a picture, not a blank
      // A layer click goes into the address, so that the link reproduces the view.
      await page.evaluate(() => window.__explorer.selectLayer('block_1_expand_relu'));
      await idle(page);
      await page.evaluate(() => window.__explorer.explain('gradCAM', 2));
      expect(await page.evaluate(() => window.__explorer.explanation())).toMatchObject({
        method: 'gradCAM',
        classIndex: 2,
        mapShape: [224, 224],
      });
      expect(new URL(page.url()).searchParams.get('layer')).toBe('block_1_expand_relu');
      expect((await state(page)).grid).toMatchObject({ n: 96, th: 112, tw: 112 });
      await shot(page, 'user-model-keras');

      // The graph model from its files, chosen in the "Your model" panel in any order, a labels file among them
      // naming its classes.
      const labelsFile = path.join(path.dirname(graph), 'labels.txt');
      writeFileSync(labelsFile, NSFW_CLASSES.join('\n'));
      const g = await openFromPanel(
        page,
        [
          path.join(path.dirname(graph), 'group1-shard2of2'),
          labelsFile,
          graph,
          path.join(path.dirname(graph), 'group1-shard1of2'),
        ],
        { normalization: 'rescale-zero-one' },
      );
      expect(g.network).toMatchObject({ kind: 'graph-model', layers: 70, inputSize: [224, 224, 3] });
      expect(g.classes[0]).toMatch(/^Neutral/);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      await shot(page, 'user-model-graph');

      // A Teachable Machine export, its three files chosen together, no scaling chosen: metadata.json names the
      // classes, and says it is Teachable Machine's, whose scaling (x / 127 - 1) the form then shows.
      const tmDir = path.join(siteDir!, 'models', 'teachable-machine');
      (await writeTeachableMachineModel(tmDir)).dispose();
      const tm = await openFromPanel(
        page,
        ['metadata.json', 'weights.bin', 'model.json'].map((n) => path.join(tmDir, n)),
        { normalization: '' },
      );
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      const form = ['#model-normalization', '#model-mean', '#model-std'].map((id) => page.locator(id).inputValue());
      expect(await Promise.all(form)).toEqual(['zscore', '127', '127']);
      expect(tm.network).toMatchObject({ kind: 'layers-model', inputSize: [224, 224, 3] });
      const tmClasses = labelsOf(tm.classes);
      expect([...tmClasses].sort()).toEqual([...TM_LABELS].sort());

      // Files cannot be linked; "Keep it in this browser" saves the model in IndexedDB and puts its name, scaling and
      // class names into the address, which reopens it.
      await page.click('#model-keep');
      await idle(page);
      const kept = new URL(page.url());
      expect(kept.searchParams.get('model')).toBe(`indexeddb://cnn-activations/${tm.network!.name}`);
      expect(kept.searchParams.get('normalization')).toBe('zscore');
      const keptPage = await openExplorer(browser.context, kept.href);
      const keptState = await state(keptPage.page);
      expect(await keptPage.page.evaluate(() => window.__explorer.errors)).toEqual([]);
      expect(keptState.network).toMatchObject({ kind: 'layers-model', inputSize: [224, 224, 3] });
      expect(labelsOf(keptState.classes)).toEqual(tmClasses);
      await keptPage.page.close();

      // Saved in the browser's own storage as a page saves a model (model.save('indexeddb://…')), and opened from
      // there by a link: the same classes, in the same order.
      const stored = `${site!.url}index.html?backend=wasm&normalization=zscore&mean=127&std=127`;
      const labelsUrl = 'models/teachable-machine/metadata.json';
      for (const scheme of ['indexeddb', 'localstorage']) {
        await page.evaluate((url) => window.__explorer.saveModel(url), `${scheme}://teachable-machine`);
        const link = `${stored}&model=${scheme}://teachable-machine&labels=${labelsUrl}`;
        const reopened = await openExplorer(browser.context, link);
        const again = await state(reopened.page);
        expect(await reopened.page.evaluate(() => window.__explorer.errors)).toEqual([]);
        expect(again.network).toMatchObject({ kind: 'layers-model', inputSize: [224, 224, 3] });
        expect(labelsOf(again.classes)).toEqual(tmClasses);
        expect(reopened.pageErrors).toEqual([]);
        await reopened.page.close();
      }
      // downloads:// only saves; a storage name left empty is TF.js's refusal, named as the library's.
      for (const [model, said] of [
        [
          'downloads://teachable-machine',
          'downloads:// saves a model as files that the browser downloads, and loads none',
        ],
        ['indexeddb://', 'For IndexedDB, modelPath must not be null, undefined or empty'],
      ]) {
        expect(await lastErrorOpening(browser.context, `${stored}&model=${model}`)).toContain(
          `importNetwork: could not load the model from ${model}: ${said}`,
        );
      }

      // A model on another site whose server sends no CORS headers: the browser refuses the page its answer and says
      // why in its console alone; the message says it.
      const bare = createServer((_req, res) => res.writeHead(200).end('{}'));
      await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
      try {
        const elsewhere = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
        const link = `${stored}&model=${encodeURIComponent(`${elsewhere}/models/tm/`)}`;
        expect(await lastErrorOpening(browser.context, link)).toContain(
          `could not load the model from ${elsewhere}/models/tm/model.json: Failed to fetch (${elsewhere} is another ` +
            "site than this page's: the browser reads from it only what its server allows with CORS headers",
        );
      } finally {
        await new Promise((resolve) => bare.close(resolve));
      }

      // A model with three outputs (@vladmandic/human's face model), ended at its age head from the panel.
      const human = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@vladmandic/human')), '..');
      const f = await openFromPanel(
        page,
        ['faceres.json', 'faceres.bin'].map((n) => path.join(human, 'models', n)),
        { normalization: 'rescale-zero-one', output: 'age_pred/Softmax' },
      );
      expect(f.network).toMatchObject({ kind: 'graph-model', layers: 153, inputSize: [224, 224, 3] });
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);

      // A model of gray faces (@vladmandic/human's emotion model): the page's color image is made gray for it.
      const e = await openFromPanel(
        page,
        ['emotion.json', 'emotion.bin'].map((n) => path.join(human, 'models', n)),
        { normalization: 'rescale-zero-one' },
      );
      expect(e.network).toMatchObject({ kind: 'graph-model', inputSize: [64, 64, 1] });
      expect(e.grid?.n).toBeGreaterThan(0);
      expect(e.classes).toHaveLength(5);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);

      // An object detector that resizes its image in a loop (@vladmandic/human's handtrack SSD): fed after it, ended
      // at its class predictor, before its non-max suppression.
      const h = await openFromPanel(
        page,
        ['handtrack.json', 'handtrack.bin'].map((n) => path.join(human, 'models', n)),
        {
          normalization: 'rescale-symmetric',
          size: '320x320',
          input: 'StatefulPartitionedCall/map/TensorArrayV2Stack/TensorListStack',
          output:
            'StatefulPartitionedCall/WeightSharedConvolutionalBoxPredictor/WeightSharedConvolutionalClassHead/ClassPredictor/BiasAdd',
        },
      );
      expect(h.network).toMatchObject({ kind: 'graph-model', layers: 88, inputSize: [320, 320, 3] });
      expect(h.grid?.n).toBeGreaterThan(0);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);

      // A pose model (MoveNet: keypoints, not classes): its layers are explored; the class list says why it is empty.
      const m = await openFromPanel(
        page,
        ['movenet-lightning.json', 'movenet-lightning.bin'].map((n) => path.join(human, 'models', n)),
        { normalization: 'none' },
      );
      expect(m.network).toMatchObject({ kind: 'graph-model', layers: 151, inputSize: [192, 192, 3] });
      expect(m.grid?.n).toBeGreaterThan(0);
      // Its keypoint decoding unstacks pairs: a row for each second output, which a click shows ('name:1').
      expect(await page.locator('#layers tbody tr').count()).toBe(153);
      await page.click('#layers tr[data-layer="unstack_1:1"]');
      await idle(page);
      expect((await state(page)).layer).toBe('unstack_1:1');
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      expect(m.classes).toEqual([
        "No classes: the output 'Identity' is 1×17×3, not one score per class; Grad-CAM, occlusion and LIME " +
          'explain one of its 3 channels, summed over it.',
      ]);
      // Its channels (MATLAB's channelIdx, and Grad-CAM's reductionFcn): MoveNet's keypoint confidence is channel 2.
      expect(await page.locator('#explain-class option').allTextContents()).toEqual([
        'channel 0 (MATLAB 1)',
        'channel 1 (MATLAB 2)',
        'channel 2 (MATLAB 3)',
      ]);
      expect(await page.locator('#explain-occlusion').isDisabled()).toBe(false);
      await page.evaluate(() => window.__explorer.explain('occlusionSensitivity', 2));
      const pose = await page.evaluate(() => window.__explorer.explanation());
      expect(pose).toMatchObject({ method: 'occlusionSensitivity', classIndex: 2, mapShape: [192, 192] });
      expect(pose!.max).toBeGreaterThan(pose!.min);
      expect(await page.locator('#explain-gradcam').isDisabled()).toBe(false);
      await page.evaluate(() => window.__explorer.explain('gradCAM', 2));
      const cam = await page.evaluate(() => window.__explorer.explanation());
      expect(cam).toMatchObject({ method: 'gradCAM', classIndex: 2, mapShape: [192, 192] });
      expect(cam!.max).toBeGreaterThan(cam!.min);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);

      // A model of one number per image, no sigmoid (a regression; here a graph whose output sums its last axis
      // away, size []): its value as it is, not a softmax's 1, and it can be explained.
      const scalar = await writeUserGraph(path.join(siteDir!, 'models', 'scalar'), 'gated');
      const r = await openFromPanel(page, [scalar, path.join(path.dirname(scalar), 'weights.bin')], {
        normalization: 'rescale-zero-one',
        output: 'total',
      });
      expect(r.network).toMatchObject({ kind: 'graph-model', inputSize: [32, 32, 3] });
      expect(r.classes).toHaveLength(1);
      expect(r.classes[0]).toMatch(/^0\s*-?\d+\.\d+$/); // its label (index 0) and its value
      expect(await page.locator('#explain-gradcam').isDisabled()).toBe(false);
      await page.evaluate(() => window.__explorer.explain('gradCAM', 0));
      expect(await page.evaluate(() => window.__explorer.explanation())).toMatchObject({
        method: 'gradCAM',
        classIndex: 0,
        mapShape: [32, 32],
      });
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);

      // A TensorFlow 1 style graph with keep_prob and is_training beside the image: their values from the panel.
      const side = await writeUserGraph(path.join(siteDir!, 'models', 'side'), 'side-inputs');
      const sideFiles = [side, path.join(path.dirname(side), 'weights.bin')];
      const values = { normalization: 'none', constants: 'keep_prob=0.5, is_training=false' };
      const fed = await openFromPanel(page, sideFiles, values);
      expect(fed.network).toMatchObject({ kind: 'graph-model', inputSize: [32, 32, 3] });
      expect(fed.classes).toHaveLength(4);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      await openFromPanel(page, sideFiles, { normalization: 'none' });
      expect((await page.evaluate(() => window.__explorer.errors)).at(-1)).toContain(
        'give the others a value that every pass uses as options.constantInputs',
      );
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("opens SqueezeNet's own model.json given as the user's model, as the built-in loader does", async () => {
    const browser = await launchChromium({ webgpu: false });
    try {
      const link = `${site!.url}index.html?backend=wasm&model=model/squeezenet_v1.1/model.json`;
      const { page, pageErrors } = await openExplorer(browser.context, link);
      const s = await state(page);
      expect(s.network).toEqual({ name: 'squeezenet', kind: 'built-in', layers: 67, inputSize: [227, 227, 3] });
      expect(s.classes[0]).toMatch(/^wig/);
      expect(await page.locator('#subtitle').textContent()).toContain("MATLAB's weights and layer names");
      expect(await page.locator('#compare-panel').isHidden()).toBe(false);
      expect(await page.evaluate(() => window.__explorer.errors)).toEqual([]);
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
