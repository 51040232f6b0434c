/**
 * The walkthrough end to end: runs `examples/walkthrough.ts` (all seven steps, one process, wasm backend, the BUILT
 * package) and checks every figure it writes: its size, its values, and its pixels against the same pipeline fed
 * with the golden activations of ../shared/reference (an independent float64 forward pass).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/initBackend.js';
import { imresize } from '../../src/image/imresize.js';
import { imtile } from '../../src/image/imtile.js';
import { mat2gray } from '../../src/image/mat2gray.js';
import { uint8 } from '../../src/image/uint8.js';
import {
  crop,
  ensureBuilt,
  maxPixelDiff,
  readPng,
  referenceActivations,
  referenceLayer,
  ROOT,
  toPixels,
  type PngImage,
} from '../helpers/figures.js';
import { readReference } from '../helpers/images.js';

const OUT = path.join(ROOT, 'test-artifacts', 'examples', 'walkthrough');
const STANDALONE_OUT = path.join(ROOT, 'test-artifacts', 'examples', 'standalone');

interface Summary {
  backend: string;
  library: string;
  steps: {
    step: number;
    name: string;
    figures: { file: string; title: string; shape: number[]; dtype: string }[];
    facts: Record<string, any>;
  }[];
}

/** Runs a script with tsx as `npm run walkthrough` does: 'cnn-activations' is the built package (examples/tsconfig.json). */
function tsx(args: string[]) {
  const env = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, 'examples', 'tsconfig.json') };
  return spawnSync(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env,
  });
}

let summary: Summary;
let runOutput = '';
let runErrors = '';
const minOf = (a: Uint8Array) => a.reduce((m, v) => Math.min(m, v), 255);
const maxOf = (a: Uint8Array) => a.reduce((m, v) => Math.max(m, v), 0);
const png = (file: string): PngImage => readPng(path.join(OUT, file));
const step = (n: number) => summary.steps.find((s) => s.step === n)!;
const face = () => readPng(path.join(ROOT, 'examples', 'images', 'face.png'));
const faceClosed = () => readPng(path.join(ROOT, 'examples', 'images', 'face-eye-closed.png'));
/**
 * How red a map's overlay is at a 20×20 cell (r0, c0) of the panel right of the image (jet: red where the map is
 * high, blue where low): the mean of red minus blue.
 */
function redness(fig: PngImage, r0: number, c0: number): number {
  const cell = crop(fig, r0, 227 + c0, 20, 20);
  let sum = 0;
  for (let i = 0; i < cell.length; i += 3) sum += cell[i] - cell[i + 2];
  return sum / (cell.length / 3);
}

beforeAll(async () => {
  ensureBuilt();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const r = tsx(['examples/walkthrough.ts', '--out', OUT, '--backend', 'wasm', '--no-build']);
  runOutput = `${r.stdout}\n${r.stderr}`;
  runErrors = r.stderr;
  if (r.status !== 0) throw new Error(`walkthrough failed (exit ${r.status}):\n${runOutput}`);
  summary = JSON.parse(readFileSync(path.join(OUT, 'walkthrough.json'), 'utf8')) as Summary;
  await initBackend({ backend: 'wasm' });
});

afterAll(() => {
  tf.disposeVariables();
});

describe('npm run walkthrough', () => {
  it('prints nothing on stderr (no TF.js banner, no driver warning)', () => {
    expect(runErrors.split('\n').filter((l) => l)).toEqual([]);
  });

  it('runs the seven steps on wasm and says so, step by step', () => {
    expect(runOutput).toContain('figures go to');
    expect(summary.backend).toBe('wasm');
    expect(summary.library).toBe(path.join('dist', 'index.js')); // the built package, as a user gets it
    expect(summary.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i <= 7; i++) expect(runOutput).toMatch(new RegExp(`\\[${i}/7\\] .+ \\.\\.\\. \\d+\\.\\d s`));
  });

  it('writes every figure it reports, with the size it reports', () => {
    const expected: Record<string, number[]> = {
      '01-input.png': [227, 227, 3],
      '02-conv1-grid.png': [904, 904],
      '03-conv1-channel22.png': [227, 454, 3],
      '04-conv1-strongest.png': [227, 454, 3],
      '05-fire6-grid.png': [384, 512],
      '05-fire6-strongest.png': [227, 227],
      '06-fire6-ch14-47.png': [227, 454],
      '06-fire6-relu-ch14-47.png': [227, 454],
      '07-closed-eye.png': [454, 681, 3],
    };
    const figures = summary.steps.flatMap((s) => s.figures);
    expect(Object.fromEntries(figures.map((f) => [f.file, f.shape]))).toEqual(expected);
    for (const f of figures) {
      const img = png(f.file);
      expect([img.height, img.width], f.file).toEqual(f.shape.slice(0, 2));
      expect(img.channels, f.file).toBe(f.shape.length === 3 ? 3 : 1);
    }
    expect(step(7).figures[0].dtype).toBe('int32');
    expect(step(7).figures[0].title).toBe('Input Image, Channel 14, Channel 47');
  });

  it('step 1: 68 layers, conv1 has 64 channels, image size [227, 227]', () => {
    expect(step(1).facts.conv1Channels).toBe(64);
    expect(step(1).facts.imgSize).toEqual([227, 227]);
    expect(step(1).facts.table).toContain('fire6-squeeze1x1');
    expect(maxPixelDiff(png('01-input.png').pixels, face().pixels)).toBe(0);
  });

  it('step 2: the conv1 grid spans the full gray range and matches the golden activations through mat2gray + imtile', async () => {
    const grid = png('02-conv1-grid.png');
    expect(minOf(grid.pixels)).toBe(0);
    expect(maxOf(grid.pixels)).toBe(255);
    const ref = referenceActivations('face', 'conv1');
    const expected = tf.tidy(() => imtile(mat2gray(ref), { gridSize: [8, 8] }));
    const { pixels } = await toPixels(expected);
    tf.dispose([ref, expected]);
    expect(maxPixelDiff(grid.pixels, pixels)).toBeLessThanOrEqual(1);
  });

  it('step 3: left tile is the image, right tile is mat2gray → imresize of channel 22 (index 21)', async () => {
    const fig = png('03-conv1-channel22.png');
    expect(maxPixelDiff(crop(fig, 0, 0, 227, 227), face().pixels)).toBe(0);
    const ref = referenceActivations('face', 'conv1');
    const expected = tf.tidy(() => imresize(mat2gray(tf.gather(ref, 21, 2)), [227, 227]));
    const { pixels } = await toPixels(expected);
    tf.dispose([ref, expected]);
    for (let ch = 0; ch < 3; ch++) expect(maxPixelDiff(crop(fig, 0, 227, 227, 227, ch), pixels)).toBeLessThanOrEqual(1);
  });

  it('step 3: channel 22 responds to red: the redder the pixel (R − G), the brighter the channel', () => {
    const fig = png('03-conv1-channel22.png');
    const img = face();
    const act = crop(fig, 0, 227, 227, 227, 0);
    const meanWhere = (keep: (redness: number) => boolean) => {
      let sum = 0,
        n = 0;
      for (let i = 0; i < 227 * 227; i++) {
        if (keep(img.pixels[3 * i] - img.pixels[3 * i + 1])) {
          sum += act[i];
          n++;
        }
      }
      expect(n).toBeGreaterThan(200);
      return sum / n;
    };
    const levels = [
      meanWhere((d) => d < 10),
      meanWhere((d) => d > 30),
      meanWhere((d) => d > 40),
      meanWhere((d) => d > 50),
    ];
    for (let i = 1; i < levels.length; i++) expect(levels[i]).toBeGreaterThan(levels[i - 1] + 15);
  });

  it('step 4: the strongest conv1 channel is the golden one, and its tile matches', async () => {
    const golden = referenceLayer('face', 'conv1');
    expect(step(4).facts.strongest.index).toBe(golden.maxChannel);
    expect(step(4).facts.strongest.matlabIndex).toBe(golden.maxChannelMatlab);
    expect(step(4).facts.strongest.value).toBeCloseTo(golden.max, 1);
    const fig = png('04-conv1-strongest.png');
    expect(maxPixelDiff(crop(fig, 0, 0, 227, 227), face().pixels)).toBe(0);
    const ref = referenceActivations('face', 'conv1');
    const expected = tf.tidy(() => imresize(mat2gray(tf.gather(ref, golden.maxChannel, 2)), [227, 227]));
    const { pixels } = await toPixels(expected);
    tf.dispose([ref, expected]);
    expect(maxPixelDiff(crop(fig, 0, 227, 227, 227, 1), pixels)).toBeLessThanOrEqual(1);
  });

  it('step 5: fire6-squeeze1x1 strongest channel is 14 (index 13); grid and channel match the golden activations', async () => {
    expect(step(5).facts.strongest).toMatchObject({ index: 13, matlabIndex: 14 });
    const ref = referenceActivations('face', 'fire6-squeeze1x1');
    const grid = tf.tidy(() => imtile(imresize(mat2gray(ref), [64, 64]), { gridSize: [6, 8] }));
    const strongest = tf.tidy(() => imresize(mat2gray(tf.gather(ref, 13, 2)), [227, 227]));
    const [g, s] = [await toPixels(grid), await toPixels(strongest)];
    tf.dispose([ref, grid, strongest]);
    const gridPng = png('05-fire6-grid.png');
    expect(maxOf(gridPng.pixels)).toBe(255);
    expect(maxPixelDiff(gridPng.pixels, g.pixels)).toBeLessThanOrEqual(2);
    expect(maxPixelDiff(png('05-fire6-strongest.png').pixels, s.pixels)).toBeLessThanOrEqual(2);
  });

  it('step 6: channels 14 and 47 before and after the ReLU match the golden activations', async () => {
    for (const [layer, file] of [
      ['fire6-squeeze1x1', '06-fire6-ch14-47.png'],
      ['fire6-relu_squeeze1x1', '06-fire6-relu-ch14-47.png'],
    ]) {
      const ref = referenceActivations('face', layer);
      const expected = tf.tidy(() => imtile(imresize(mat2gray(tf.gather(ref, [13, 46], 2)), [227, 227])));
      const { pixels } = await toPixels(expected);
      tf.dispose([ref, expected]);
      expect(maxPixelDiff(png(file).pixels, pixels), file).toBeLessThanOrEqual(2);
    }
    // After the ReLU nothing is negative, so mat2gray's 0 is the activation 0: most of the map is black.
    const relu = png('06-fire6-relu-ch14-47.png');
    expect(relu.pixels.filter((v) => v === 0).length).toBeGreaterThan(relu.pixels.length * 0.05);
  });

  it("step 7: MATLAB's 2×3 figure (repmat, *255, uint8 rounding) matches the golden activations", async () => {
    const open = referenceActivations('face', 'fire6-relu_squeeze1x1');
    const closed = referenceActivations('face-eye-closed', 'fire6-relu_squeeze1x1');
    const im = tf.tensor3d(face().pixels, [227, 227, 3], 'int32');
    const imClosed = tf.tensor3d(faceClosed().pixels, [227, 227, 3], 'int32');
    const expected = tf.tidy(() => {
      const channels = (act: tf.Tensor3D) =>
        uint8(
          tf.mul(
            tf.tile(
              tf.expandDims(tf.transpose(imresize(mat2gray(tf.gather(act, [13, 46], 2)), [227, 227]), [2, 0, 1]), 3),
              [1, 1, 1, 3],
            ),
            255,
          ),
        );
      return imtile(tf.concat([tf.expandDims(im, 0), channels(open), tf.expandDims(imClosed, 0), channels(closed)]));
    });
    expect(expected.shape).toEqual([454, 681, 3]);
    const { pixels } = await toPixels(expected);
    tf.dispose([open, closed, im, imClosed, expected]);
    const fig = png('07-closed-eye.png');
    expect(maxPixelDiff(fig.pixels, pixels)).toBeLessThanOrEqual(2);
    expect(maxPixelDiff(crop(fig, 0, 0, 227, 227), face().pixels)).toBe(0);
    expect(maxPixelDiff(crop(fig, 227, 0, 227, 227), faceClosed().pixels)).toBe(0);
  });

  it('step 7: channels 14 and 47 are weaker at the closed eye and unchanged elsewhere', () => {
    for (const key of ['channel14', 'channel47']) {
      const { open, closed, change } = step(7).facts[key];
      expect(change, key).toBeLessThan(-0.15); // about -27% and -35%
      expect(closed.inside).toBeLessThan(open.inside);
      expect(Math.abs(closed.outside / open.outside - 1), key).toBeLessThan(0.02); // the open eye keeps its response
    }
  });

  it('writes walkthrough.html: every step, MATLAB and TypeScript code, relative figures, nothing external', () => {
    const html = readFileSync(path.join(OUT, 'walkthrough.html'), 'utf8');
    for (let i = 1; i <= 7; i++) expect(html).toContain(`id="step-${i}"`);
    expect(html).toContain(`imtile(mat2gray(act1),<span class="s">'GridSize'</span>,[8 8])`);
    expect(html).toContain('imtile(mat2gray(act1), { gridSize: [8, 8] })');
    expect(html).toContain('Input Image, Channel 14, Channel 47');
    const sources = [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toHaveLength(9);
    for (const src of sources) expect(existsSync(path.join(OUT, decodeURI(src))), src).toBe(true);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<script|<link /);
  });
});

describe('each step runs on its own', () => {
  it('examples/03-channel-22.ts writes the same figure as the runner', () => {
    rmSync(STANDALONE_OUT, { recursive: true, force: true });
    const r = tsx(['examples/03-channel-22.ts', '--out', STANDALONE_OUT, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('wrote 03-conv1-channel22.png: 227×454×3 float32');
    const alone = readPng(path.join(STANDALONE_OUT, '03-conv1-channel22.png'));
    expect(maxPixelDiff(alone.pixels, png('03-conv1-channel22.png').pixels)).toBe(0);
  });

  it('a step with a bad option prints an error and exits 1', () => {
    const r = tsx(['examples/02-conv1-grid.ts', '--colour', 'blue']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: Unknown option '--colour'/);
  });

  it('--help prints the usage and exits 0', () => {
    const r = tsx(['examples/05-fire6-grid.ts', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npx tsx examples/05-fire6-grid.ts [options]');
  });
});

describe('interpretability examples', () => {
  it('examples/interpret/occlusion.ts shows where the top class lives: the hair, for "wig"', () => {
    const out = path.join(OUT, '..', 'interpret');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/interpret/occlusion.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wig \(0\.26\d\): occlusion map in [\d.]+ s -> .*occlusion-face\.png 227×454×3/);
    const fig = readPng(path.join(out, 'occlusion-face.png'));
    expect([fig.height, fig.width]).toEqual([227, 454]);
    // Left: the image as it is. Right: the overlay, redder on the hair (top of the head) than on the face.
    expect(redness(fig, 20, 100)).toBeGreaterThan(redness(fig, 100, 100) + 50);
  });
});

describe('interpretability examples: several classes', () => {
  it('examples/interpret/top-classes.ts maps the top three classes in one call, each where it lives', () => {
    const out = path.join(OUT, '..', 'interpret-top');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/interpret/top-classes.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 classes' occlusion maps in [\d.]+ s -> .*top-classes-face\.png 227×908×3/);
    expect(r.stdout).toContain('1. wig (0.264), class 904 (index 903)');
    expect(r.stdout).toContain('2. neck brace (0.225), class 679 (index 678)');
    const fig = readPng(path.join(out, 'top-classes-face.png'));
    expect([fig.height, fig.width]).toEqual([227, 908]);
    // The image, then a map per class over it: the wig's on the hair (redder than on the face), and each class's
    // map its own (the panels differ).
    expect(maxPixelDiff(crop(fig, 0, 0, 227, 227), face().pixels)).toBe(0);
    expect(redness(fig, 20, 100)).toBeGreaterThan(redness(fig, 100, 100) + 50);
    const panel = (p: number) => crop(fig, 0, 227 * p, 227, 227);
    const meanDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(meanDiff(panel(1), panel(2))).toBeGreaterThan(10);
    expect(meanDiff(panel(2), panel(3))).toBeGreaterThan(10);
  });
});

describe('interpretability examples: Grad-CAM', () => {
  it('examples/interpret/gradcam.ts puts the evidence for "wig" on the hair', () => {
    const out = path.join(OUT, '..', 'interpret-gradcam');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/interpret/gradcam.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /wig \(0\.26\d\): Grad-CAM at relu_conv10 for prob in \d+ ms -> .*gradcam-face\.png 227×454×3/,
    );
    const fig = readPng(path.join(out, 'gradcam-face.png'));
    expect(redness(fig, 25, 140)).toBeGreaterThan(redness(fig, 110, 100) + 50);
  });
});

describe('interpretability examples: gradient attribution', () => {
  it('examples/interpret/gradient.ts draws the plain and the guided gradient; the guided one outlines the face', () => {
    const out = path.join(OUT, '..', 'interpret-gradient');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/interpret/gradient.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /wig \(0\.26\d\): gradient maps for prob, plain and guided, in \d+ ms -> .*gradient-face\.png 227×681×3/,
    );
    const fig = readPng(path.join(out, 'gradient-face.png'));
    expect(maxPixelDiff(crop(fig, 0, 0, 227, 227), face().pixels)).toBe(0);
    // Gray maps (imshow of a map in [0, 1]): the guided one (third panel) is bright on the eyes, nose and mouth and
    // dark on the background beside the head, which the plain gradient (second panel) lights about as much.
    const brightness = (y0: number, x0: number, h: number, w: number) => {
      const cell = crop(fig, y0, x0, h, w, 0);
      return cell.reduce((a, v) => a + v, 0) / cell.length;
    };
    const background2 = brightness(0, 227 + 187, 60, 40);
    const [face3, background3] = [brightness(70, 454 + 50, 90, 130), brightness(0, 454 + 187, 60, 40)];
    expect(face3).toBeGreaterThan(4 * background3);
    expect(background2).toBeGreaterThan(4 * background3);
  });
});

describe('interpretability examples: t-SNE', () => {
  it('examples/interpret/tsne.ts places crops of the portrait by pool10, overlapping crops near each other', () => {
    const out = path.join(OUT, '..', 'interpret-tsne');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/interpret/tsne.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    const said = r.stdout.match(
      /81 crops, pool10 rows \[81, 1000\], t-SNE in [\d.]+ s \(loss ([\d.]+)\); crops side by side lie ([\d.]+)× the median distance apart -> .*tsne-astronaut\.png 640×640×3/,
    );
    expect(said, r.stdout).not.toBeNull();
    // Crops that overlap by 44 of 96 pixels share most of what the network sees: the embedding keeps them together.
    expect(Number(said![2])).toBeLessThan(0.6);
    expect(Number(said![1])).toBeGreaterThan(0);
    const fig = readPng(path.join(out, 'tsne-astronaut.png'));
    expect([fig.height, fig.width]).toEqual([640, 640]);
    // The thumbnails cover part of the white square, not all of it.
    const white = fig.pixels.filter((v, k) => k % 3 === 0 && v === 255).length / (640 * 640);
    expect(white).toBeGreaterThan(0.3);
    expect(white).toBeLessThan(0.95);
  });
});

describe('interpretability examples: LIME', () => {
  it('examples/interpret/lime.ts runs on the built package and writes its figure', () => {
    const out = path.join(OUT, '..', 'interpret-lime');
    rmSync(out, { recursive: true, force: true });
    const r = tsx([
      'examples/interpret/lime.ts',
      '--out',
      out,
      '--backend',
      'wasm',
      '--samples',
      '96',
      '--features',
      '16',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /wig \(0\.26\d\): \d+ features, the most important is \d+, in [\d.]+ s -> .*lime-face\.png 227×454×3/,
    );
    const fig = readPng(path.join(out, 'lime-face.png'));
    expect([fig.height, fig.width]).toEqual([227, 454]);
  });
});

describe('interpretability examples: the report', () => {
  it('npm run interpret runs Grad-CAM, gradients, occlusion (one class, three), LIME on two images, deep dream, t-SNE', () => {
    const out = path.join(OUT, '..', 'interpret-report');
    rmSync(out, { recursive: true, force: true });
    const r = tsx([
      'examples/interpret/report.ts',
      '--out',
      out,
      '--backend',
      'wasm',
      '--samples',
      '96',
      '--features',
      '16',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(path.join(out, 'interpret.html'), 'utf8');
    expect(html.match(/<section id="step-\d+">/g)).toHaveLength(12);
    // t-SNE last: the crops drawn where they landed, MATLAB's call beside ours.
    const map = readPng(path.join(out, 'tsne-astronaut.png'));
    expect([map.height, map.width]).toEqual([640, 640]);
    expect(html).toContain('<img src="tsne-astronaut.png"');
    expect(html).toContain('Y = tsne(act, Perplexity=10, LearnRate=100);');
    // Deep dream last, once: 16 images of 227×227 on a 4×4 grid, MATLAB's call beside ours.
    const dream = readPng(path.join(out, 'dream.png'));
    expect([dream.height, dream.width]).toEqual([908, 908]);
    expect(html).toContain('<img src="dream.png"');
    expect(html).toContain(`I = deepDreamImage(net, layer, channels, <span class="s">'PyramidLevels'</span>, 1);`);
    for (const image of ['face', 'astronaut']) {
      const fig = readPng(path.join(out, `top-classes-${image}.png`));
      expect([fig.height, fig.width], `top-classes-${image}`).toEqual([227, 908]);
      expect(html).toContain(`<img src="top-classes-${image}.png"`);
    }
    for (const image of ['face', 'astronaut']) {
      const fig = readPng(path.join(out, `gradient-${image}.png`));
      expect([fig.height, fig.width], `gradient-${image}`).toEqual([227, 681]);
      expect(html).toContain(`<img src="gradient-${image}.png"`);
    }
    expect(html).toContain('mapGB = gradientAttribution(net, X, YPred, <span class="s">&quot;prob&quot;</span>');
    for (const method of ['gradcam', 'occlusion', 'lime']) {
      for (const image of ['face', 'astronaut']) {
        const fig = readPng(path.join(out, `${method}-${image}.png`));
        expect([fig.height, fig.width], `${method}-${image}`).toEqual([227, 454]);
        expect(html).toContain(`<img src="${method}-${image}.png"`);
      }
    }
    // MATLAB's lines and ours, read from the example files.
    expect(html).toContain('map = occlusionSensitivity(net, X, label);');
    expect(html).toContain('await occlusionSensitivity(net, X, top.label');
    expect(html).toContain('X = imresize(X, net.Layers(1).InputSize(1:2));');
    // The portrait is not the face: its own top class, and its own map.
    expect(r.stdout).toMatch(/6\. Grad-CAM on the portrait: (?!wig)[a-z ]+ \(0\.\d+\)/);
  });
});

describe('examples: weights and your own model', () => {
  it("examples/conv1-filters.ts tiles conv1's 64 filters as MATLAB does, from the weights as published", () => {
    const out = path.join(OUT, '..', 'conv1-filters');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/conv1-filters.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/conv1 Weights 3×3×3×64, Bias 64 -> .*conv1-filters\.png 192×192×3/);
    // The oracle: conv1's weights straight from the weights folder (OIHW float32), scaled together to 0..255,
    // each filter enlarged 8× (nearest) and tiled row by row on 8×8, in plain arithmetic.
    const dir = path.join(ROOT, '..', 'shared', 'models', 'squeezenet_v1.1');
    const index = JSON.parse(readFileSync(path.join(dir, 'squeezenet_v1.1.json'), 'utf8')) as {
      architecture?: unknown;
      [k: string]: unknown;
    };
    const entries = Object.values(index).find(Array.isArray) as { name: string; offset: number; length: number }[];
    const spec = entries.find((e) => e.name === 'conv1_w')!;
    const bin = readFileSync(path.join(dir, 'squeezenet_v1.1.bin'));
    const w = new Float32Array(
      bin.buffer.slice(bin.byteOffset + spec.offset, bin.byteOffset + spec.offset + spec.length),
    );
    const [min, max] = [Math.min(...w), Math.max(...w)];
    const fig = readPng(path.join(out, 'conv1-filters.png'));
    expect([fig.height, fig.width, fig.channels]).toEqual([192, 192, 3]);
    let worst = 0;
    for (let y = 0; y < 192; y++) {
      for (let x = 0; x < 192; x++) {
        const o = Math.floor(y / 24) * 8 + Math.floor(x / 24);
        const [kh, kw] = [Math.floor((y % 24) / 8), Math.floor((x % 24) / 8)];
        for (let c = 0; c < 3; c++) {
          const v = w[((o * 3 + c) * 3 + kh) * 3 + kw];
          const want = Math.round((255 * (v - min)) / (max - min));
          worst = Math.max(worst, Math.abs(fig.pixels[(y * 192 + x) * 3 + c] - want));
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('examples/classify-images.ts labels three images in one pass, the faces as the float64 reference does', () => {
    const r = tsx(['examples/classify-images.ts', '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const line = /^(\S+): (.+) \(class (\d+), index (\d+)\), score (0\.\d{4})$/;
    for (const [i, name] of ['face', 'face-eye-closed'].entries()) {
      const ref = readReference(name).top5[0];
      const m = line.exec(lines[i]);
      expect(m?.slice(1, 5)).toEqual([`${name}.png`, ref.label, String(ref.index + 1), String(ref.index)]);
      expect(Number(m?.[5])).toBeCloseTo(ref.score, 3);
    }
    expect(lines[2]).toMatch(line);
    expect(lines[2]).toMatch(/^astronaut\.png: /);
  });

  it('examples/your-model/keras.ts imports a third-party Keras model and reads it as it reads SqueezeNet', () => {
    const out = path.join(OUT, '..', 'your-model');
    rmSync(out, { recursive: true, force: true });
    const r = tsx(['examples/your-model/keras.ts', '--out', out, '--backend', 'wasm']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^model_1: 162 layers, input 224×224×3, total learnables 2,585,349/m);
    expect(r.stdout).toMatch(/ 5 +Conv1_relu +Clipped ReLU +112×112×32 /);
    expect(r.stdout).toMatch(/classify: Neutral 0\.99\d/);
    const act = readPng(path.join(out, 'your-model-conv1-relu.png'));
    expect([act.height, act.width]).toEqual([4 * 113, 8 * 113]);
    const filters = readPng(path.join(out, 'your-model-conv1-filters.png'));
    expect([filters.height, filters.width, filters.channels]).toEqual([96, 192, 3]);
  });
});
