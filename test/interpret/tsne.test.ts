/**
 * tsne: the joint probabilities against a float64 oracle that finds each row's Gaussian its own way, the gradient
 * against central differences of the Kullback-Leibler divergence, the returned loss against the divergence of the
 * returned points, clusters kept apart, seeds, MATLAB's options and the refusals.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setLimits } from '../../src/internal/limits.js';
import { jointProbabilities, pairwiseDistances, tsne, tsneGradient } from '../../src/interpret/tsne.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

/** Seeded standard normal numbers (Park-Miller, Box-Muller), independent of the library's generator. */
function normals(count: number, seed: number): number[] {
  let s = seed;
  const uniform = () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  return Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

/** Three clusters of `per` rows in `m` dimensions, each around its own axis at distance 10; labels beside. */
function clusters(per: number, m: number, seed: number): { rows: number[][]; labels: number[] } {
  const noise = normals(3 * per * m, seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < per; i++) {
      rows.push(Array.from({ length: m }, (_, k) => (k === c ? 10 : 0) + noise[(c * per + i) * m + k]));
      labels.push(c);
    }
  }
  return { rows, labels };
}

/** The oracle's joint probabilities: each row's σ by bisection on log σ to perplexity 2^H, in bits. */
function oracleP(rows: number[][], perplexity: number): number[][] {
  const n = rows.length;
  const d = rows.map((a) => rows.map((b) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0)));
  const cond = d.map((row, i) => {
    let lo = -20;
    let hi = 20;
    let p: number[] = [];
    for (let step = 0; step < 200; step++) {
      const logSigma = (lo + hi) / 2;
      const sigma2 = Math.exp(2 * logSigma);
      const w = row.map((v, j) => (j === i ? 0 : Math.exp(-v / (2 * sigma2))));
      const sum = w.reduce((a, b) => a + b, 0);
      p = w.map((v) => v / sum);
      const bits = -p.reduce((a, v) => (v > 0 ? a + v * Math.log2(v) : a), 0);
      if (2 ** bits > perplexity) hi = logSigma;
      else lo = logSigma;
    }
    return p;
  });
  return cond.map((row, i) => row.map((v, j) => (i === j ? 0 : (v + cond[j][i]) / (2 * n))));
}

/** The divergence KL(P ‖ Q(y)) straight from its definition, float64. */
function divergence(p: ArrayLike<number>, y: ArrayLike<number>, n: number, dims: number): number {
  const kernel = (i: number, j: number) => {
    let s = 0;
    for (let k = 0; k < dims; k++) s += (y[i * dims + k] - y[j * dims + k]) ** 2;
    return 1 / (1 + s);
  };
  let z = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) z += kernel(i, j);
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (i !== j) kl += p[i * n + j] * Math.log(p[i * n + j] / (kernel(i, j) / z));
  }
  return kl;
}

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

describe('tsne', () => {
  it('makes the joint probabilities of an oracle that searches each width its own way', async () => {
    const { rows } = clusters(8, 5, 3);
    const n = rows.length;
    const p = jointProbabilities(await pairwiseDistances(flat(rows), n, 5, 'euclidean'), n, 5);
    const want = oracleP(rows, 5);
    let worst = 0;
    let floored = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i === j) continue;
        // Between clusters the probabilities underflow: those are held at 1e-12, so that their logarithm is finite.
        if (want[i][j] < 1e-13) floored += p[i * n + j] === Math.fround(1e-12) ? 1 : 0;
        else if (want[i][j] > 1e-9) worst = Math.max(worst, Math.abs(p[i * n + j] - want[i][j]) / want[i][j]);
      }
    }
    // Relative to each probability: float32 storage.
    expect(worst).toBeLessThan(1e-6);
    expect(floored).toBeGreaterThan(100);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(p[0]).toBe(0);
  });

  it('computes MATLAB pdist distances, squared', async () => {
    const rows = [
      [1, 2, 3],
      [4, 0, 3],
      [-1, 5, 2],
    ];
    const d = (distance: Parameters<typeof pairwiseDistances>[3]) => pairwiseDistances(flat(rows), 3, 3, distance);
    const [a, b] = [rows[0], rows[1]];
    const dot = (u: number[], v: number[]) => u.reduce((s, x, k) => s + x * v[k], 0);
    const centred = (u: number[]) => u.map((x) => x - u.reduce((s, v) => s + v, 0) / u.length);
    expect((await d('euclidean'))[1]).toBeCloseTo(9 + 4, 12);
    expect((await d('cityblock'))[1]).toBeCloseTo(5 ** 2, 12);
    expect((await d('chebychev'))[1]).toBeCloseTo(3 ** 2, 12);
    const cos = 1 - dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    expect((await d('cosine'))[1]).toBeCloseTo(cos ** 2, 12);
    const [ca, cb] = [centred(a), centred(b)];
    const corr = 1 - dot(ca, cb) / Math.sqrt(dot(ca, ca) * dot(cb, cb));
    expect((await d('correlation'))[1]).toBeCloseTo(corr ** 2, 12);
    expect((await d('cosine'))[3]).toBe((await d('cosine'))[1]);
  });

  it('follows the gradient of the divergence, and exaggerates only the attraction', () => {
    const n = 7;
    const dims = 2;
    const rows = normals(n * 4, 11).map((v, k) => v + (k % 3));
    const rowsArray = Array.from({ length: n }, (_, i) => rows.slice(i * 4, i * 4 + 4));
    const p = Float32Array.from(oracleP(rowsArray, 3).flat());
    const y = Float64Array.from(normals(n * dims, 5));
    const grad = new Float64Array(n * dims);
    const loss = tsneGradient(p, y, n, dims, 1, grad, true);
    expect(loss).toBeCloseTo(divergence(p, y, n, dims), 10);
    const h = 1e-6;
    for (let k = 0; k < n * dims; k++) {
      const up = Float64Array.from(y);
      const down = Float64Array.from(y);
      up[k] += h;
      down[k] -= h;
      const numeric = (divergence(p, up, n, dims) - divergence(p, down, n, dims)) / (2 * h);
      expect(Math.abs(grad[k] - numeric)).toBeLessThan(1e-7);
    }
    // Points in the plane take a loop of their own when no loss is asked for: the same gradient.
    const plane = new Float64Array(n * dims);
    tsneGradient(p, y, n, dims, 1, plane);
    for (let k = 0; k < n * dims; k++) expect(plane[k]).toBeCloseTo(grad[k], 14);
    // Exaggeration e adds 4 (e - 1) Σ_j p_ij k_ij (y_i - y_j): the attraction alone.
    const exaggerated = new Float64Array(n * dims);
    expect(Number.isNaN(tsneGradient(p, y, n, dims, 4, exaggerated))).toBe(true);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < dims; k++) {
        let attraction = 0;
        for (let j = 0; j < n; j++) {
          if (j === i) continue;
          const d2 = (y[i * dims] - y[j * dims]) ** 2 + (y[i * dims + 1] - y[j * dims + 1]) ** 2;
          attraction += (p[i * n + j] / (1 + d2)) * (y[i * dims + k] - y[j * dims + k]);
        }
        expect(exaggerated[i * dims + k] - grad[i * dims + k]).toBeCloseTo(4 * 3 * attraction, 12);
      }
    }
  });

  it('keeps three clusters apart, and its loss is the divergence of the points it returns', async () => {
    const { rows, labels } = clusters(20, 30, 7);
    const X = tf.tensor2d(rows);
    // For 60 rows MATLAB's learning rate of 500 throws the points hundreds of units apart: 100 suits them.
    const { Y, loss } = await expectNoLeak(() => tsne(X, { perplexity: 10, learnRate: 100 }), 1);
    expect(Y.shape).toEqual([60, 2]);
    expect(Y.dtype).toBe('float32');
    const y = await Y.data();
    // Every point's nearest neighbour in the embedding is of its own cluster.
    for (let i = 0; i < 60; i++) {
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let j = 0; j < 60; j++) {
        const d = (y[2 * i] - y[2 * j]) ** 2 + (y[2 * i + 1] - y[2 * j + 1]) ** 2;
        if (j !== i && d < bestDistance) [best, bestDistance] = [j, d];
      }
      expect(labels[best]).toBe(labels[i]);
    }
    // Centred on 0, and the loss is KL(P ‖ Q(Y)) of those very points (float32, so to 1e-5).
    expect(Math.abs(Array.from(y).reduce((a, v, k) => (k % 2 === 0 ? a + v : a), 0))).toBeLessThan(1e-3);
    const p = jointProbabilities(await pairwiseDistances(flat(rows), 60, 30, 'euclidean'), 60, 10);
    expect(loss).toBeCloseTo(divergence(p, y, 60, 2), 4);
    // Far below where it started (points around 0, every q alike).
    const start = await tsne(X, { perplexity: 10, maxIterations: 0 });
    expect(loss).toBeLessThan(start.loss / 3);
    tf.dispose([X, Y, start.Y]);
  });

  it('repeats for a seed, starts from initialY, and takes MATLAB options', async () => {
    const { rows } = clusters(6, 4, 2);
    const X = tf.tensor2d(rows);
    const run = (options: Parameters<typeof tsne>[1]) => tsne(X, { perplexity: 5, maxIterations: 60, ...options });
    const [a, b, c] = [await run({}), await run({}), await run({ seed: 1 })];
    expect(await a.Y.data()).toEqual(await b.Y.data());
    expect(await a.Y.data()).not.toEqual(await c.Y.data());
    // No steps: the starting points themselves (MATLAB's InitialY), the caller's tensor untouched.
    const initialY = tf.tensor2d(normals(18 * 3, 4), [18, 3]);
    const still = await run({ initialY, numDimensions: 3, maxIterations: 0 });
    expect(Array.from(await still.Y.data())).toEqual(Array.from(await initialY.data()));
    expect(still.Y).not.toBe(initialY);
    // Standardize: a column scaled by 1000 changes no neighbourhood once every column is standardized (the loss at
    // the same starting points is the same), and changes them without it.
    const scaled = tf.tensor2d(rows.map((r) => r.map((v, k) => (k === 0 ? v * 1000 : v))));
    const plain = await run({ standardize: true, maxIterations: 0 });
    const wide = await tsne(scaled, { perplexity: 5, maxIterations: 0, standardize: true });
    const unscaled = await tsne(scaled, { perplexity: 5, maxIterations: 0 });
    expect(wide.loss).toBeCloseTo(plain.loss, 7);
    expect(Math.abs(unscaled.loss - plain.loss)).toBeGreaterThan(0.01);
    for (const distance of ['cityblock', 'chebychev', 'cosine', 'correlation'] as const) {
      const r = await run({ distance, exaggeration: 12, learnRate: 200 });
      expect(Array.from(await r.Y.data()).every(Number.isFinite)).toBe(true);
      r.Y.dispose();
    }
    tf.dispose([X, a.Y, b.Y, c.Y, initialY, still.Y, scaled, plain.Y, wide.Y, unscaled.Y]);
  });

  it('reports progress, stops when aborted, and refuses bad arguments before any work', async () => {
    const { rows } = clusters(5, 3, 9);
    const X = tf.tensor2d(rows);
    const progress: number[] = [];
    const r = await tsne(X, { perplexity: 4, maxIterations: 300, onProgress: (f) => progress.push(f) });
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((f, i) => i === 0 || f >= progress[i - 1])).toBe(true);
    r.Y.dispose();
    const aborted = new AbortController();
    aborted.abort(new Error('stop'));
    await expectThrowsNoLeak(
      () => tsne(X, { perplexity: 4, signal: aborted.signal }),
      Error,
      'tsne: the computation was aborted',
    );
    const throwing = () =>
      tsne(X, {
        perplexity: 4,
        maxIterations: 300,
        onProgress: () => {
          throw new Error('no');
        },
      });
    await expectThrowsNoLeak(throwing, Error, "tsne: 'options.onProgress' threw: no");

    await expectThrowsNoLeak(
      () => tsne(X),
      RangeError,
      "tsne: expected 'options.perplexity' to be at most the number of rows less one (14), got 30; a row cannot have more neighbours than there are other rows (MATLAB: Perplexity=...)",
    );
    await expectThrowsNoLeak(
      () => tsne([[1, 2]] as never),
      TypeError,
      /^tsne: expected 'X' to be a tf.Tensor \[n, m\] of rows/,
    );
    const one = tf.tensor2d([[1, 2, 3]]);
    await expectThrowsNoLeak(
      () => tsne(one),
      RangeError,
      'tsne: expected \'X\' to be at least 2 rows, got "[1, 3]" (string)',
    );
    const holed = tf.tensor2d([
      [1, 2],
      [3, Number.NaN],
      [0, 1],
    ]);
    await expectThrowsNoLeak(
      () => tsne(holed, { perplexity: 1 }),
      RangeError,
      "tsne: expected 'X' to hold finite values, got NaN at [1, 1] (MATLAB's tsne drops such rows: remove them first)",
    );
    const zeros = tf.tensor2d([
      [0, 0],
      [3, 1],
      [0, 1],
    ]);
    await expectThrowsNoLeak(
      () => tsne(zeros, { perplexity: 1, distance: 'cosine' }),
      RangeError,
      "tsne: row 0 of 'X' is all zeros, so its cosine distance to the other rows is undefined (MATLAB's pdist gives NaN); remove it, or choose another 'options.distance'",
    );
    await expectThrowsNoLeak(
      () => tsne(X, { perplexity: 4, distance: 'mahalanobis' as never }),
      RangeError,
      "tsne: expected 'options.distance' to be one of 'euclidean', 'cityblock', 'chebychev', 'cosine', 'correlation', got \"mahalanobis\" (string)",
    );
    await expectThrowsNoLeak(
      () => tsne(X, { perplexity: 4, Algorithm: 'exact' } as never),
      RangeError,
      /^tsne: unknown option 'Algorithm'; MATLAB's tsne Algorithm/,
    );
    const wrongStart = tf.zeros([15, 3]);
    await expectThrowsNoLeak(
      () => tsne(X, { perplexity: 4, initialY: wrongStart }),
      RangeError,
      /^tsne: expected 'options.initialY' to be a tensor of shape \[15, 2\]/,
    );
    // Steps so long that the points overflow: refused, where the points would have come back NaN.
    await expectThrowsNoLeak(
      () => tsne(X, { perplexity: 4, learnRate: 1e300 }),
      RangeError,
      "tsne: the points went past float32's range after 2 steps: the steps are too long for them; lower " +
        "'options.learnRate' (1e+300) or 'options.exaggeration' (4)",
    );
    const before = setLimits({ maxElements: 200 });
    try {
      await expectThrowsNoLeak(
        () => tsne(X, { perplexity: 4 }),
        RangeError,
        "tsne: 'X' asks for a matrix of distances between its rows of 225 elements [15, 15] (0.0 MiB as float32); the limit is 200 elements (limits.maxElements; raise it with setLimits)",
      );
    } finally {
      setLimits(before);
    }
    tf.dispose([X, one, holed, zeros, wrongStart]);
  });
});
