import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGraphModel } from '../../scripts/model/graphWriter.js';
import { imresize } from '../../src/image/imresize.js';
import { imageLIME } from '../../src/interpret/imageLIME.js';
import { setLimits } from '../../src/internal/limits.js';
import {
  connectedSegments,
  fitOperations,
  gridSegmentation,
  linearImportance,
  slicSegmentation,
  treeImportance,
} from '../../src/interpret/limeModels.js';
import { loadNetwork } from '../../src/net/loadNetwork.js';
import { modelSource } from '../../src/net/modelSource.node.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { random } from '../helpers/tinyNetwork.js';

// imageLIME on a network whose class-0 score depends on one known region only (the red of the top-left 4×4 block of a
// 12×12 image): that region must be the most important feature, with either surrogate; results repeat for a seed.

let net: Network;
let dir: string;
let img: tf.Tensor3D;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cnn-lime-net-'));
  const weight = new Float32Array(2 * 3 * 3 * 3); // OIHW [2, 3, 3, 3]: output 0 reads the red of cell (0, 0)
  weight[0] = 0.05;
  writeGraphModel(
    {
      name: 'regionnet',
      description: 'class 0 depends on the top-left block',
      inputSize: [12, 12, 3],
      normalization: { type: 'none' },
      layers: [
        { name: 'in', type: 'Image Input', description: "12×12×3 images with 'none' normalization", inputs: [] },
        {
          name: 'cells',
          type: 'Average Pooling',
          description: '4×4 average pooling with stride [4 4] and padding [0 0 0 0]',
          inputs: ['in'],
          kernel: [4, 4],
          stride: [4, 4],
          padding: [0, 0, 0, 0],
        },
        {
          name: 'score',
          type: 'Convolution',
          description: '2 3×3×3 convolutions with stride [1 1] and padding [0 0 0 0]',
          inputs: ['cells'],
          kernel: [3, 3],
          stride: [1, 1],
          padding: [0, 0, 0, 0],
          numChannels: 3,
          numFilters: 2,
        },
        { name: 'prob', type: 'Softmax', description: 'softmax', inputs: ['score'] },
      ],
      classNames: ['region', 'other'],
      params: new Map([['score', { weight: { shape: [2, 3, 3, 3], data: weight }, bias: new Float32Array(2) }]]),
    },
    dir,
  );
  net = await loadNetwork('regionnet', modelSource('regionnet', { modelUrl: dir }, dir, ''), {}, '');
  const r = random(21);
  // The top-left block is bright red, the rest mid gray with noise: hiding the block lowers class 0's score.
  img = tf.tensor3d(
    Array.from({ length: 12 * 12 * 3 }, (_, i) => {
      const p = Math.floor(i / 3);
      const [y, x, c] = [Math.floor(p / 12), p % 12, i % 3];
      return y < 4 && x < 4 && c === 0 ? 250 : Math.round(100 + 20 * r());
    }),
    [12, 12, 3],
    'int32',
  );
});
afterAll(() => {
  net?.dispose();
  img?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('imageLIME', () => {
  it.each(['tree', 'linear'] as const)(
    'finds the one region class 0 depends on (%s model, grid features)',
    async (model) => {
      const result = await expectNoLeak(
        () => imageLIME(net, img, 'region', { segmentation: 'grid', numFeatures: 9, numSamples: 200, model, seed: 1 }),
        2,
      );
      expect(result.featureMap.shape).toEqual([12, 12]);
      expect(result.featureImportance).toHaveLength(9);
      const top = result.featureImportance.indexOf(Math.max(...result.featureImportance));
      expect(top).toBe(0);
      const others = Array.from(result.featureImportance.slice(1));
      expect(Math.max(...others.map(Math.abs))).toBeLessThan(result.featureImportance[0] / 10);
      const fm = (await result.featureMap.array()) as number[][];
      const sm = (await result.scoreMap.array()) as number[][];
      expect(fm[0][0]).toBe(0);
      expect(sm[1][2]).toBeCloseTo(result.featureImportance[0], 6);
      tf.dispose([result.scoreMap, result.featureMap]);
    },
  );

  it("explains an array of classes from the same samples (MATLAB's vector channelIdx)", async () => {
    const opts = { segmentation: 'grid' as const, numFeatures: 9, numSamples: 200, seed: 1 };
    const both = await expectNoLeak(() => imageLIME(net, img, ['other', 'region'], opts), 2);
    expect(both.scoreMap.shape).toEqual([12, 12, 2]);
    expect(both.featureMap.shape).toEqual([12, 12]);
    expect(both.featureImportance).toHaveLength(2);
    const region = await imageLIME(net, img, 'region', opts);
    const other = await imageLIME(net, img, 1, opts);
    expect(Array.from(both.featureImportance[0])).toEqual(Array.from(other.featureImportance));
    expect(Array.from(both.featureImportance[1])).toEqual(Array.from(region.featureImportance));
    // Two classes of a softmax: the region moves both.
    for (const f of both.featureImportance) expect(f.indexOf(Math.max(...f))).toBe(0);
    const sm = (await both.scoreMap.array()) as number[][][];
    expect(sm[11][11]).toEqual([other.featureImportance[8], region.featureImportance[8]]);
    expect(await both.featureMap.array()).toEqual(await region.featureMap.array());
    tf.dispose([both.scoreMap, both.featureMap, region.scoreMap, region.featureMap, other.scoreMap, other.featureMap]);
  });

  it("upsamples a grid's map as MATLAB's OutputUpsampling says: nearest, bicubic, or none (one value per cell)", async () => {
    const opts = { segmentation: 'grid' as const, numFeatures: 9, numSamples: 200, seed: 1 };
    const nearest = await imageLIME(net, img, 'region', opts);
    const none = await expectNoLeak(() => imageLIME(net, img, 'region', { ...opts, outputUpsampling: 'none' }), 2);
    expect(none.scoreMap.shape).toEqual([3, 3]);
    expect(Array.from(none.featureImportance)).toEqual(Array.from(nearest.featureImportance));
    // Cell (r, c) is feature 3r + c, as the feature map numbers them.
    expect(Array.from(await none.scoreMap.data())).toEqual(Array.from(nearest.featureImportance));
    const bicubic = await imageLIME(net, img, 'region', { ...opts, outputUpsampling: 'bicubic' });
    expect(bicubic.scoreMap.shape).toEqual([12, 12]);
    const resized = imresize(none.scoreMap, [12, 12]);
    expect(Array.from(await bicubic.scoreMap.data())).toEqual(Array.from(await resized.data()));
    // Smooth: the bicubic map takes values between cells where the nearest one steps.
    const distinct = async (t: tf.Tensor) => new Set(Array.from(await t.data())).size;
    expect(await distinct(bicubic.scoreMap)).toBeGreaterThan(await distinct(nearest.scoreMap));
    const both = await imageLIME(net, img, ['region', 'other'], { ...opts, outputUpsampling: 'none' });
    expect(both.scoreMap.shape).toEqual([3, 3, 2]);
    const firstMap = tf.gather(both.scoreMap, [0], 2);
    expect(Array.from(await firstMap.data())).toEqual(Array.from(nearest.featureImportance));
    tf.dispose([nearest.scoreMap, nearest.featureMap, none.scoreMap, none.featureMap, bicubic.scoreMap]);
    tf.dispose([bicubic.featureMap, resized, both.scoreMap, both.featureMap, firstMap]);
    await expectThrowsNoLeak(
      () => imageLIME(net, img, 'region', { numFeatures: 9, numSamples: 20, outputUpsampling: 'bicubic' }),
      RangeError,
      "imageLIME: expected 'options.outputUpsampling' to be 'nearest' with superpixels (each already covers its own " +
        "pixels; 'bicubic' and 'none' resize a grid's cells: use segmentation: 'grid'), got \"bicubic\" (string)",
    );
  });

  it('repeats for a seed, differs for another, and reports progress per mini-batch', async () => {
    const progress: number[] = [];
    const run = (seed: number) =>
      imageLIME(net, img, 0, {
        segmentation: 'grid',
        numFeatures: 9,
        numSamples: 100,
        miniBatchSize: 40,
        seed,
        onProgress: (f) => progress.push(f),
      });
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(Array.from(a.featureImportance)).toEqual(Array.from(b.featureImportance));
    expect(Array.from(a.featureImportance)).not.toEqual(Array.from(c.featureImportance));
    expect(progress.slice(0, 3)).toEqual([0.4, 0.8, 1]);
    tf.dispose([a.scoreMap, a.featureMap, b.scoreMap, b.featureMap, c.scoreMap, c.featureMap]);
  });

  it('sizes its mini-batches to limits.maxElements unless told, and says what fits when told more', async () => {
    // A 12×12×3 sample is 432 elements, the largest tensor of a pass through regionnet: 25 fit in 10,800.
    const before = setLimits({ maxElements: 432 * 25 });
    try {
      const progress: number[] = [];
      const options = { segmentation: 'grid', numFeatures: 9, numSamples: 100, seed: 3 } as const;
      const a = await imageLIME(net, img, 0, { ...options, onProgress: (f) => progress.push(f) });
      expect(progress.slice(0, 4)).toEqual([0.25, 0.5, 0.75, 1]);
      const b = await imageLIME(net, img, 0, { ...options, miniBatchSize: 25 });
      expect(Array.from(a.featureImportance)).toEqual(Array.from(b.featureImportance));
      tf.dispose([a.scoreMap, a.featureMap, b.scoreMap, b.featureMap]);
      await expectThrowsNoLeak(
        () => imageLIME(net, img, 0, { ...options, miniBatchSize: 26 }),
        RangeError,
        "imageLIME: expected 'options.miniBatchSize' to be at most 25 for a 12×12 image (a larger mini-batch of images exceeds limits.maxElements; raise it with setLimits), got 26 (number)",
      );
    } finally {
      setLimits(before);
    }
  });

  it('segments: a grid of about n cells; superpixels that cover the image with compact labels', () => {
    const g = gridSegmentation(227, 227, 49);
    expect(g.count).toBe(49);
    expect(new Set(g.labels).size).toBe(49);
    const r = random(4);
    const pixels = Float32Array.from(
      { length: 40 * 50 * 3 },
      (_, i) => (Math.floor(i / 3) % 50 < 25 ? 30 : 220) + 5 * r(),
    );
    const s = slicSegmentation(pixels, 40, 50, 3, 20);
    expect(s.count).toBeGreaterThan(10);
    expect(new Set(s.labels).size).toBe(s.count);
    expect(Math.max(...s.labels)).toBe(s.count - 1);
    // No superpixel straddles the sharp edge between the dark left half and the bright right half.
    for (let label = 0; label < s.count; label++) {
      const cols = new Set<boolean>();
      for (const [p, l] of s.labels.entries()) if (l === label) cols.add(p % 50 < 25);
      expect(cols.size).toBe(1);
    }
  });

  it('makes superpixels connected: every piece its own feature, a speck joins its neighbour', () => {
    // 6×8: label 7 in two separate blocks, and a one-pixel speck of label 9 inside label 3.
    const L = [
      [7, 7, 3, 3, 3, 3, 7, 7],
      [7, 7, 3, 3, 3, 3, 7, 7],
      [7, 7, 3, 9, 3, 3, 7, 7],
      [5, 5, 3, 3, 3, 3, 5, 5],
      [5, 5, 5, 5, 5, 5, 5, 5],
      [5, 5, 5, 5, 5, 5, 5, 5],
    ];
    const s = connectedSegments(Int32Array.from(L.flat()), 6, 8, 2);
    const at = (y: number, x: number) => s.labels[y * 8 + x];
    expect(s.count).toBe(4);
    expect(at(0, 0)).toBe(0); // the left block of 7
    expect(at(0, 2)).toBe(1); // 3
    expect(at(0, 6)).toBe(2); // the right block of 7: a feature of its own
    expect(at(3, 0)).toBe(3); // 5, one piece around the bottom
    expect(at(2, 3)).toBe(at(2, 2)); // the speck joined the 3 beside it
    // On a photo, every superpixel is one 4-connected piece.
    const h = 40;
    const w = 50;
    const r = random(9);
    const pixels = Float32Array.from({ length: h * w * 3 }, () => 255 * r());
    const slic = slicSegmentation(pixels, h, w, 3, 25);
    const again = connectedSegments(slic.labels, h, w, 1);
    expect(again.count).toBe(slic.count);
    expect(Array.from(again.labels)).toEqual(Array.from(slic.labels));
  });

  it('weighs the full image 1 with a tiny kernelWidth (its square underflowed: 0 / 0 gave NaN importances)', async () => {
    const { featureImportance } = await imageLIME(net, img, 0, {
      segmentation: 'grid',
      numFeatures: 9,
      numSamples: 30,
      model: 'linear',
      kernelWidth: 1e-200,
    });
    expect(featureImportance.every(Number.isFinite)).toBe(true);
  });

  it('checks its arguments before any work, and stops when aborted', async () => {
    await expectThrowsNoLeak(
      () => imageLIME(net, img, 0, { numFeatures: 49, numSamples: 10 }),
      RangeError,
      "imageLIME: expected 'options.numSamples' to be at least options.numFeatures (49), got 10 (number)",
    );
    // A huge numSamples is refused before its samples are made (it used to exhaust the JavaScript heap).
    await expectThrowsNoLeak(
      () => imageLIME(net, img, 0, { numSamples: 1e9 }),
      RangeError,
      "imageLIME: 'options.numSamples' asks for samples (per feature, score and weight) of 51,000,000,000 elements " +
        '[1000000000, 51] (194550 MiB as float32); the limit is 134,217,728 elements (limits.maxElements; raise it ' +
        'with setLimits)',
    );
    await expectThrowsNoLeak(
      () => imageLIME(net, img, 'regio'),
      RangeError,
      "imageLIME: expected 'classOrLabel' to be a class name of regionnet, got \"regio\" (string); did you mean 'region' or 'other'?",
    );
    const ac = new AbortController();
    await expectThrowsNoLeak(
      () =>
        imageLIME(net, img, 0, {
          segmentation: 'grid',
          numFeatures: 9,
          numSamples: 100,
          miniBatchSize: 10,
          signal: ac.signal,
          onProgress: () => ac.abort(new Error('stop')),
        }),
      Error,
      'imageLIME: the computation was aborted',
    );
  });
});

describe('imageLIME: the surrogate fit on many features', () => {
  // 400 features × 400 samples here. At 2000 × 2000 the linear fit took 43 s in one synchronous piece, with the page
  // frozen and no way to stop it (at the 11,585 features that limits.maxElements allows, hours).
  const k = 400;
  const r = random(5);
  const z = Uint8Array.from({ length: k * k }, () => (r() < 0 ? 1 : 0));
  const y = Float64Array.from({ length: k }, () => r());
  const w = new Float64Array(k).fill(1);

  it('gives the event loop turns during the fit and stops there when asked, for both models', async () => {
    for (const surrogate of [linearImportance, treeImportance]) {
      let turns = 0;
      const pace = async (ops: number) => {
        expect(ops).toBeGreaterThan(0);
        turns++;
      };
      const importance = await surrogate(z, y, w, k, pace);
      expect(importance.length).toBe(k);
      expect(turns).toBeGreaterThan(10);
      const stop = new Error('stopped');
      await expect(
        surrogate(z, y, w, k, async () => {
          throw stop;
        }),
      ).rejects.toBe(stop);
    }
  });

  it('fits the linear model exactly as the plain normal equations do (the symmetric, sparse accumulation)', async () => {
    const small = 6;
    const zs = Uint8Array.from({ length: 40 * small }, () => (r() < 0 ? 1 : 0));
    const ys = Float64Array.from({ length: 40 }, () => r());
    const ws = Float64Array.from({ length: 40 }, () => 0.5 + Math.abs(r()));
    // The same model by the book: (Z'WZ + lambda I) beta = Z'Wy with an intercept column, by elimination on a dense
    // copy.
    const n = small + 1;
    const a = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const b = new Array<number>(n).fill(0);
    for (let s = 0; s < 40; s++) {
      const row = [1, ...zs.subarray(s * small, (s + 1) * small)];
      for (let i = 0; i < n; i++) {
        b[i] += ws[s] * row[i] * ys[s];
        for (let j = 0; j < n; j++) a[i][j] += ws[s] * row[i] * row[j];
      }
    }
    for (let i = 1; i < n; i++) a[i][i] += 1e-3;
    for (let c = 0; c < n; c++) {
      for (let rr = c + 1; rr < n; rr++) {
        const f = a[rr][c] / a[c][c];
        for (let j = c; j < n; j++) a[rr][j] -= f * a[c][j];
        b[rr] -= f * b[c];
      }
    }
    const x = new Array<number>(n).fill(0);
    for (let i = n - 1; i >= 0; i--)
      x[i] = (b[i] - a[i].slice(i + 1).reduce((s, v, j) => s + v * x[i + 1 + j], 0)) / a[i][i];
    const got = await linearImportance(zs, ys, ws, small);
    for (let f = 0; f < small; f++) expect(Math.abs(got[f] - x[f + 1])).toBeLessThan(1e-9);
  });

  it('counts before the fit the operations the fit then paces: exactly (linear), a bound it meets (tree)', async () => {
    for (const [surrogate, model] of [
      [linearImportance, 'linear'],
      [treeImportance, 'tree'],
    ] as const) {
      let ops = 0;
      await surrogate(z, y, w, k, async (o: number) => {
        ops += o;
      });
      const counted = fitOperations(model, z, k, k);
      if (model === 'linear') expect(ops).toBe(counted);
      else expect(ops).toBeLessThanOrEqual(counted);
      expect(ops).toBeGreaterThan(counted / 2);
    }
  });

  it('reports progress as a long fit goes, after the last mini-batch, the same fractions for a seed', async () => {
    // 144 features × 8192 samples, two classes: the linear fits count about 46 million operations, which the fit
    // paces every 16.8 million; the last mini-batch's report would be 63 / 64 (its own is the fit's last).
    const run = async () => {
      const progress: number[] = [];
      const result = await imageLIME(net, img, [0, 1], {
        segmentation: 'grid',
        numFeatures: 144,
        numSamples: 8192,
        miniBatchSize: 128,
        model: 'linear',
        seed: 2,
        onProgress: (f) => progress.push(f),
      });
      tf.dispose([result.scoreMap, result.featureMap]);
      return progress;
    };
    const progress = await run();
    expect(progress.slice(0, 63)).toEqual(Array.from({ length: 63 }, (_, i) => (i + 1) / 64));
    const fit = progress.slice(63, -1);
    expect(fit.length).toBeGreaterThanOrEqual(2);
    for (const [i, f] of fit.entries()) expect(f).toBeGreaterThan(i === 0 ? 63 / 64 : fit[i - 1]);
    expect(fit[fit.length - 1]).toBeLessThan(1);
    expect(progress[progress.length - 1]).toBe(1);
    expect(await run()).toEqual(progress);
  });
});
