/**
 * The pieces of `imageLIME` that need no network: segmenting an image into features (a grid, or SLIC superpixels), and
 * the two surrogate models MATLAB offers (a weighted linear model and a weighted regression tree), each returning one
 * importance per feature. Plain typed arrays on the host.
 */
import type { Pace } from '../internal/abortable.js';

/**
 * A segmentation: one 0-based feature label per pixel (row-major), and the number of features; for a grid, its
 * `[rows, cols]` (feature `r * cols + c` is cell (r, c)).
 */
export interface Segmentation {
  labels: Int32Array;
  count: number;
  grid?: [number, number];
}

/** About `n` rectangular cells: `rows × cols` with `rows / cols` close to the image's aspect ratio. */
export function gridSegmentation(h: number, w: number, n: number): Segmentation {
  const rows = Math.max(1, Math.min(h, Math.round(Math.sqrt((n * h) / w))));
  const cols = Math.max(1, Math.min(w, Math.round(n / rows)));
  const labels = new Int32Array(h * w);
  for (let y = 0; y < h; y++) {
    const r = Math.min(rows - 1, Math.floor((y * rows) / h));
    for (let x = 0; x < w; x++) labels[y * w + x] = r * cols + Math.min(cols - 1, Math.floor((x * cols) / w));
  }
  return { labels, count: rows * cols, grid: [rows, cols] };
}

/**
 * SLIC superpixels (Achanta et al.): about `n` clusters seeded on a grid, grown by k-means on colour and position
 * within twice the grid step, `compactness` weighing position against colour (0..255 RGB), then made connected as
 * the paper (and MATLAB's `superpixels`) does: each 4-connected piece of a cluster becomes a superpixel of its own,
 * and a piece smaller than a quarter of the grid cell joins the superpixel beside it. Labels are 0..k-1 by first
 * appearance.
 */
export function slicSegmentation(
  pixels: Float32Array,
  h: number,
  w: number,
  channels: number,
  n: number,
  compactness = 10,
  iterations = 10,
): Segmentation {
  const step = Math.max(1, Math.sqrt((h * w) / n));
  const centres: number[][] = []; // [y, x, c0, c1, c2]
  for (let y = step / 2; y < h; y += step) {
    for (let x = step / 2; x < w; x += step) {
      const p = Math.floor(y) * w + Math.floor(x);
      centres.push([y, x, ...Array.from({ length: channels }, (_, c) => pixels[p * channels + c])]);
    }
  }
  const labels = new Int32Array(h * w).fill(-1);
  const dist = new Float64Array(h * w);
  const ratio = (compactness / step) ** 2;
  for (let it = 0; it < iterations; it++) {
    dist.fill(Number.POSITIVE_INFINITY);
    centres.forEach((ctr, k) => {
      const y0 = Math.max(0, Math.floor(ctr[0] - step));
      const y1 = Math.min(h - 1, Math.ceil(ctr[0] + step));
      const x0 = Math.max(0, Math.floor(ctr[1] - step));
      const x1 = Math.min(w - 1, Math.ceil(ctr[1] + step));
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const p = y * w + x;
          let dc = 0;
          for (let c = 0; c < channels; c++) dc += (pixels[p * channels + c] - ctr[2 + c]) ** 2;
          const d = dc + ratio * ((y - ctr[0]) ** 2 + (x - ctr[1]) ** 2);
          if (d < dist[p]) {
            dist[p] = d;
            labels[p] = k;
          }
        }
      }
    });
    const sums = centres.map(() => new Float64Array(2 + channels + 1));
    for (let p = 0; p < h * w; p++) {
      const s = sums[labels[p]];
      s[0] += Math.floor(p / w);
      s[1] += p % w;
      for (let c = 0; c < channels; c++) s[2 + c] += pixels[p * channels + c];
      s[2 + channels] += 1;
    }
    centres.forEach((ctr, k) => {
      const s = sums[k];
      const count = s[2 + channels];
      if (count > 0) for (let i = 0; i < 2 + channels; i++) ctr[i] = s[i] / count;
    });
  }
  return connectedSegments(labels, h, w, Math.max(1, Math.floor((step * step) / 4)));
}

/**
 * Splits every label of `labels` (`h × w`, row-major) into its 4-connected pieces, numbered 0..k-1 in the order
 * their first pixel comes in a row-major scan; a piece of fewer than `minSize` pixels takes the number of the piece
 * just left of (or above) its first pixel instead, when there is one.
 */
export function connectedSegments(labels: Int32Array, h: number, w: number, minSize: number): Segmentation {
  const out = new Int32Array(h * w).fill(-1);
  const queue = new Int32Array(h * w);
  let count = 0;
  for (let start = 0; start < h * w; start++) {
    if (out[start] >= 0) continue;
    const label = labels[start];
    const x0 = start % w;
    // The scan has numbered every pixel before `start`: its left and upper neighbours, if any.
    const beside = x0 > 0 ? out[start - 1] : start >= w ? out[start - w] : -1;
    let size = 0;
    queue[size++] = start;
    out[start] = count;
    for (let head = 0; head < size; head++) {
      const p = queue[head];
      const x = p % w;
      const next = [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, p - w, p + w];
      for (const q of next) {
        if (q < 0 || q >= h * w || out[q] >= 0 || labels[q] !== label) continue;
        out[q] = count;
        queue[size++] = q;
      }
    }
    if (size < minSize && beside >= 0) {
      for (let i = 0; i < size; i++) out[queue[i]] = beside;
    } else {
      count++;
    }
  }
  return { labels: out, count };
}

/** Solves `a x = b` (a: n×n row-major) by Gaussian elimination with partial pivoting, pacing itself per column. */
async function solve(a: Float64Array, b: Float64Array, n: number, pace: Pace): Promise<Float64Array> {
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[pivot * n + col])) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < n; c++) [a[col * n + c], a[pivot * n + c]] = [a[pivot * n + c], a[col * n + c]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    const d = a[col * n + col];
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / d;
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r * n + c] -= f * a[col * n + c];
      b[r] -= f * b[col];
    }
    await pace((n - col) * (n - col));
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < n; c++) s -= a[r * n + c] * x[c];
    x[r] = s / a[r * n + r];
  }
  return x;
}

/** A pace that never pauses: for a fit too small to need one. */
const noPause: Pace = async () => {};

/**
 * A weighted linear model `y ≈ b0 + sum_f beta_f z_f` (ridge-regularized by `lambda` for stability): the importance
 * of feature f is `beta_f`, the change of the score when the feature is shown rather than hidden. `z` holds the
 * samples' on/off patterns row by row, `k` values each. The normal equations gather, per sample, only the features it
 * shows, in one triangle (the matrix is symmetric), in the same order as the dense sum, so the numbers are the same.
 * `pace` is awaited as the work goes (the fit of thousands of features takes seconds to minutes).
 */
export async function linearImportance(
  z: Uint8Array,
  y: Float64Array,
  weights: Float64Array,
  k: number,
  pace: Pace = noPause,
  lambda = 1e-3,
): Promise<Float64Array> {
  const n = k + 1;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const on = new Int32Array(n);
  for (let s = 0; s < y.length; s++) {
    // The columns this sample shows: the intercept, then each feature that is on.
    let m = 0;
    on[m++] = 0;
    for (let f = 0; f < k; f++) if (z[s * k + f]) on[m++] = f + 1;
    const ws = weights[s];
    for (let p = 0; p < m; p++) {
      const i = on[p];
      b[i] += ws * y[s];
      const base = i * n;
      for (let q = p; q < m; q++) a[base + on[q]] += ws;
    }
    await pace(k + (m * m) / 2);
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j];
  for (let i = 1; i < n; i++) a[i * n + i] += lambda;
  return (await solve(a, b, n, pace)).subarray(1);
}

/** How deep {@link treeImportance} grows its tree unless told. */
const TREE_DEPTH = 8;

/**
 * The operations {@link treeImportance} counts for each sample it sorts by a feature (an array push and its share of
 * the sides' errors), against the one multiply-add of {@link linearImportance}'s count: measured, about 16 ns against
 * 2, so that a pace of so many operations takes about as long in either fit.
 */
const SPLIT_COST = 8;

/**
 * The operations a surrogate's fit to `numSamples` samples of `k` features counts as it goes: for
 * {@link linearImportance}, exactly; for a tree, a bound (every sample sorted by every feature at each depth).
 */
export function fitOperations(model: 'tree' | 'linear', z: Uint8Array, k: number, numSamples: number): number {
  if (model === 'tree') return TREE_DEPTH * SPLIT_COST * k * numSamples;
  let ops = 0;
  for (let s = 0; s < numSamples; s++) {
    let m = 1;
    for (let i = s * k; i < (s + 1) * k; i++) m += z[i];
    ops += k + (m * m) / 2;
  }
  for (let left = k + 1; left > 0; left--) ops += left * left;
  return ops;
}

/**
 * A weighted regression tree on the binary features (each split: feature shown or hidden), grown greedily by the
 * weighted squared error until `maxDepth` or leaves of fewer than `minLeaf` samples; the importance of a feature is the
 * error reduction of its splits, summed (MATLAB's predictor importance of a regression tree, up to its normalization).
 * `z` holds the samples' on/off patterns row by row, `k` values each. `pace` is awaited after each node's search.
 */
export async function treeImportance(
  z: Uint8Array,
  y: Float64Array,
  weights: Float64Array,
  k: number,
  pace: Pace = noPause,
  maxDepth = TREE_DEPTH,
  minLeaf = 5,
): Promise<Float64Array> {
  const importance = new Float64Array(k);
  const sse = (idx: number[]) => {
    let sw = 0;
    let swy = 0;
    let swyy = 0;
    for (const i of idx) {
      sw += weights[i];
      swy += weights[i] * y[i];
      swyy += weights[i] * y[i] * y[i];
    }
    return sw > 0 ? swyy - (swy * swy) / sw : 0;
  };
  const grow = async (idx: number[], depth: number): Promise<void> => {
    if (depth >= maxDepth || idx.length < 2 * minLeaf) return;
    const parent = sse(idx);
    let best = -1;
    let bestGain = 1e-12 * Math.max(1, Math.abs(parent));
    let bestSplit: [number[], number[]] | null = null;
    for (let f = 0; f < k; f++) {
      const left: number[] = [];
      const right: number[] = [];
      for (const i of idx) (z[i * k + f] ? right : left).push(i);
      if (left.length < minLeaf || right.length < minLeaf) continue;
      const gain = parent - sse(left) - sse(right);
      if (gain > bestGain) {
        bestGain = gain;
        best = f;
        bestSplit = [left, right];
      }
    }
    await pace(SPLIT_COST * k * idx.length);
    if (best < 0 || !bestSplit) return;
    importance[best] += bestGain;
    await grow(bestSplit[0], depth + 1);
    await grow(bestSplit[1], depth + 1);
  };
  await grow(
    Array.from({ length: y.length }, (_, i) => i),
    0,
  );
  return importance;
}
