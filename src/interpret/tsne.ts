/**
 * `tsne(X, options)`: MATLAB's `[Y, loss] = tsne(X)` (Statistics and Machine Learning Toolbox), the global view of
 * MATLAB's example "View Network Behavior Using tsne": the rows of `X` (one per image, from `activations` with
 * `outputAs: 'rows'`) placed in two dimensions so that rows that are near each other in `X` stay near. Exact t-SNE
 * (van der Maaten and Hinton, 2008) in float64 on the host, with MATLAB's defaults; the numbers are JavaScript's own,
 * so the backend does not matter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLongRunOptions, guardCallback, pacer, stepDone, throwIfAborted } from '../internal/abortable.js';
import { assertElements } from '../internal/limits.js';
import {
  assertFinite,
  assertInteger,
  assertOptions,
  assertTensor,
  optionOneOf,
  rangeError,
  typeError,
} from '../internal/validate.js';
import { seededNormal } from './random.js';

const FN = 'tsne';

/** The rows of `X` as read back (float32 or int32), or a float64 copy where they are changed in place. */
type Rows = Float32Array | Float64Array | Int32Array;

/** The distances `tsne` takes between rows (MATLAB's `Distance`, as `pdist` computes them). */
export type TsneDistance = 'euclidean' | 'cityblock' | 'chebychev' | 'cosine' | 'correlation';

/** Options of {@link tsne}: MATLAB's name-value arguments in camelCase. */
export interface TsneOptions {
  /** The dimensions of the embedding, the columns of `Y` (MATLAB's `NumDimensions`). @default 2 */
  numDimensions?: number;
  /**
   * The effective number of neighbours each row keeps (MATLAB's `Perplexity`): each row's Gaussian is made as wide as
   * gives this perplexity. At most the number of rows less one; 5 to 50 are usual.
   * @default 30
   */
  perplexity?: number;
  /**
   * How much tighter than the data's own the clusters are drawn during the first 99 iterations, as MATLAB's tsne
   * exaggerates them (MATLAB's `Exaggeration`); at least 1.
   * @default 4
   */
  exaggeration?: number;
  /** The step size of the gradient descent (MATLAB's `LearnRate`); positive. @default 500 */
  learnRate?: number;
  /**
   * The distance between rows (MATLAB's `Distance`): `'euclidean'`, `'cityblock'`, `'chebychev'`, `'cosine'` (1 less
   * the cosine of the angle between rows) or `'correlation'` (1 less their correlation). Its square weighs the
   * neighbours, as for the Euclidean distance.
   * @default 'euclidean'
   */
  distance?: TsneDistance;
  /**
   * Centre each column of `X` and divide it by its standard deviation first (MATLAB's `Standardize`); a column of one
   * value becomes 0.
   * @default false
   */
  standardize?: boolean;
  /** The number of gradient steps (MATLAB's `Options.MaxIter`). 0 returns the starting points. @default 1000 */
  maxIterations?: number;
  /**
   * The starting points `[n, numDimensions]` (MATLAB's `InitialY`). Without it, points drawn from a normal
   * distribution of standard deviation 1e-4 (MATLAB's) from `seed`.
   */
  initialY?: tf.Tensor;
  /** The seed of the starting points: the same seed gives the same result. @default 0 */
  seed?: number;
  /** Stops the computation between steps: the promise rejects with an error whose `cause` is the signal's reason. */
  signal?: AbortSignal;
  /** Called with the fraction done (0..1) as the computation goes on. A callback that throws stops the call. */
  onProgress?: (fraction: number) => void;
}

/** What {@link tsne} returns. */
export interface TsneResult {
  /** The embedding `[n, numDimensions]` float32, one row per row of `X`, centred on 0. */
  Y: tf.Tensor2D;
  /**
   * The Kullback-Leibler divergence between the rows' neighbourhoods in `X` and in `Y` (MATLAB's `loss`): how much of
   * the structure the embedding misses, 0 for none.
   */
  loss: number;
}

const OPTION_NAMES = [
  'numDimensions',
  'perplexity',
  'exaggeration',
  'learnRate',
  'distance',
  'standardize',
  'maxIterations',
  'initialY',
  'seed',
  'signal',
  'onProgress',
] as const;

/** The iterations that exaggerate the neighbourhoods in `X` (MATLAB's tsne: the first 99). */
const EXAGGERATED_ITERATIONS = 99;
/** The iterations with momentum 0.5; 0.8 after (van der Maaten and Hinton's schedule). */
const EARLY_MOMENTUM_ITERATIONS = 250;
/** The least a joint probability is taken to be, so that its logarithm stays finite. */
const P_FLOOR = 1e-12;

/**
 * MATLAB's `pdist` distance between rows `i` and `j` of `x` (`n` rows of `m` values), squared, as the Gaussians take
 * it. `norms` holds each row's norm for `'cosine'` and `'correlation'` (of the centred row for the latter, whose rows
 * are then already centred).
 */
function squaredDistance(
  distance: TsneDistance,
  x: Rows,
  m: number,
  i: number,
  j: number,
  norms: Float64Array,
): number {
  const a = i * m;
  const b = j * m;
  let s = 0;
  switch (distance) {
    case 'euclidean':
      for (let k = 0; k < m; k++) {
        const d = x[a + k] - x[b + k];
        s += d * d;
      }
      return s;
    case 'cityblock':
      for (let k = 0; k < m; k++) s += Math.abs(x[a + k] - x[b + k]);
      return s * s;
    case 'chebychev':
      for (let k = 0; k < m; k++) s = Math.max(s, Math.abs(x[a + k] - x[b + k]));
      return s * s;
    default: {
      for (let k = 0; k < m; k++) s += x[a + k] * x[b + k];
      const d = 1 - s / (norms[i] * norms[j]);
      return d * d;
    }
  }
}

/**
 * The squared distances `[n, n]` between the rows of `x` (`n` rows of `m` values), after `standardize` and, for
 * `'correlation'`, each row centred (in place: `x` must then be float64). Throws a RangeError for a row whose cosine or correlation is undefined (all
 * zeros, or one value).
 * @internal
 */
export async function pairwiseDistances(
  x: Rows,
  n: number,
  m: number,
  distance: TsneDistance,
  pace: (ops: number) => Promise<void> = async () => {},
): Promise<Float64Array> {
  const norms = new Float64Array(n);
  if (distance === 'cosine' || distance === 'correlation') {
    for (let i = 0; i < n; i++) {
      const at = i * m;
      if (distance === 'correlation') {
        let mean = 0;
        for (let k = 0; k < m; k++) mean += x[at + k] / m;
        for (let k = 0; k < m; k++) x[at + k] -= mean;
      }
      let squares = 0;
      for (let k = 0; k < m; k++) squares += x[at + k] * x[at + k];
      norms[i] = Math.sqrt(squares);
      if (!(norms[i] > 0)) {
        throw new RangeError(
          `${FN}: row ${i} of 'X' is ${distance === 'cosine' ? 'all zeros' : 'one value repeated'}, so its ` +
            `${distance} distance to the other rows is undefined (MATLAB's pdist gives NaN); remove it, or choose ` +
            "another 'options.distance'",
        );
      }
    }
  }
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = squaredDistance(distance, x, m, i, j, norms);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
    await pace((n - i) * m);
  }
  return d;
}

/**
 * The joint probabilities `[n, n]` of t-SNE from squared distances: for each row the Gaussian whose width gives the
 * `perplexity` (found by bisection on its precision, to an entropy within 1e-10 of `ln(perplexity)`), the conditional
 * probabilities made symmetric, `(p(j|i) + p(i|j)) / 2n`, each at least 1e-12. Float32 (half the memory; the sums that
 * use them are float64). Writes the conditional probabilities over `d`, row by row as each is done with.
 * @internal
 */
export function jointProbabilities(d: Float64Array, n: number, perplexity: number): Float32Array {
  const target = Math.log(perplexity);
  const conditional = d;
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Distances less the row's least (its nearest neighbour's), so that exp() does not underflow for far rows.
    let least = Number.POSITIVE_INFINITY;
    let mean = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      least = Math.min(least, d[i * n + j]);
      mean += d[i * n + j] / (n - 1);
    }
    let beta = mean - least > 0 ? 1 / (mean - least) : 1;
    let lo = 0;
    let hi = Number.POSITIVE_INFINITY;
    let sum = 0;
    for (let step = 0; step < 200; step++) {
      sum = 0;
      let weighted = 0;
      for (let j = 0; j < n; j++) {
        const shifted = j === i ? 0 : d[i * n + j] - least;
        row[j] = j === i ? 0 : Math.exp(-beta * shifted);
        sum += row[j];
        weighted += row[j] * shifted;
      }
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      if (Math.abs(entropy - target) < 1e-10) break;
      // Too flat (entropy too high): narrow the Gaussian (a larger precision); too peaked: widen it.
      if (entropy > target) {
        lo = beta;
        beta = hi === Number.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = (beta + lo) / 2;
      }
    }
    for (let j = 0; j < n; j++) conditional[i * n + j] = row[j] / sum;
  }
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j) p[i * n + j] = Math.max((conditional[i * n + j] + conditional[j * n + i]) / (2 * n), P_FLOOR);
    }
  }
  return p;
}

/**
 * The t-SNE gradient of the Kullback-Leibler divergence at `y` (`n` points of `dims` values) for joint probabilities
 * `p` scaled by `exaggeration`, written into `grad`, in one pass over the pairs:
 * `dC/dy_i = 4 Σ_j (e·p_ij - q_ij) k_ij (y_i - y_j)` with the Student-t kernel `k_ij = 1 / (1 + |y_i - y_j|²)` and
 * `q_ij = k_ij / Z`, `Z = Σ k`, summed as `4 (e Σ_j p_ij k_ij (y_i - y_j) - Σ_j k_ij² (y_i - y_j) / Z)`. With `loss`,
 * returns the divergence of the unscaled `p`, `Σ p ln p - Σ p ln k + Σ p · ln Z` (logarithms cost as much as the rest
 * of a step, so only when asked); otherwise NaN.
 * @internal
 */
export function tsneGradient(
  p: Float32Array,
  y: Float64Array,
  n: number,
  dims: number,
  exaggeration: number,
  grad: Float64Array,
  loss = false,
): number {
  if (dims === 2 && !loss) return planeGradient(p, y, n, exaggeration, grad);
  const attract = new Float64Array(n * dims);
  grad.fill(0);
  let z = 0;
  let pLogP = 0;
  let pLogK = 0;
  let pSum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dist = 0;
      for (let k = 0; k < dims; k++) {
        const t = y[i * dims + k] - y[j * dims + k];
        dist += t * t;
      }
      const kernel = 1 / (1 + dist);
      // p is symmetric: each pair stands for (i, j) and (j, i).
      const pij = p[i * n + j];
      z += 2 * kernel;
      if (loss) {
        pLogP += 2 * pij * Math.log(pij);
        pLogK -= 2 * pij * Math.log(kernel);
        pSum += 2 * pij;
      }
      const a = pij * kernel;
      const r = kernel * kernel;
      for (let k = 0; k < dims; k++) {
        const t = y[i * dims + k] - y[j * dims + k];
        attract[i * dims + k] += a * t;
        attract[j * dims + k] -= a * t;
        grad[i * dims + k] += r * t;
        grad[j * dims + k] -= r * t;
      }
    }
  }
  for (let k = 0; k < grad.length; k++) grad[k] = 4 * (exaggeration * attract[k] - grad[k] / z);
  return loss ? pLogP + pLogK + pSum * Math.log(z) : Number.NaN;
}

/**
 * {@link tsneGradient} for points in the plane, without the loss: the same sums, each point's own accumulated in
 * locals (a step of 2,000 points takes half the time of the general loop).
 */
function planeGradient(p: Float32Array, y: Float64Array, n: number, exaggeration: number, grad: Float64Array): number {
  const attract = new Float64Array(2 * n);
  grad.fill(0);
  let z = 0;
  for (let i = 0; i < n; i++) {
    const [yi0, yi1] = [y[2 * i], y[2 * i + 1]];
    let [a0, a1, r0, r1] = [0, 0, 0, 0];
    const row = i * n;
    for (let j = i + 1; j < n; j++) {
      const t0 = yi0 - y[2 * j];
      const t1 = yi1 - y[2 * j + 1];
      const kernel = 1 / (1 + t0 * t0 + t1 * t1);
      z += 2 * kernel;
      const a = p[row + j] * kernel;
      const r = kernel * kernel;
      a0 += a * t0;
      a1 += a * t1;
      r0 += r * t0;
      r1 += r * t1;
      attract[2 * j] -= a * t0;
      attract[2 * j + 1] -= a * t1;
      grad[2 * j] -= r * t0;
      grad[2 * j + 1] -= r * t1;
    }
    attract[2 * i] += a0;
    attract[2 * i + 1] += a1;
    grad[2 * i] += r0;
    grad[2 * i + 1] += r1;
  }
  for (let k = 0; k < grad.length; k++) grad[k] = 4 * (exaggeration * attract[k] - grad[k] / z);
  return Number.NaN;
}

/**
 * MATLAB's `[Y, loss] = tsne(X)`: an embedding of the rows of `X` `[n, m]` in `numDimensions` dimensions (2 by
 * default) in which rows near each other in `X` lie near each other, for a scatter plot of how a network sees a set
 * of images (MATLAB's example "View Network Behavior Using tsne" takes the rows from `activations` with `OutputAs`
 * `rows`). Exact t-SNE: the Gaussian neighbourhoods of the rows at the given `perplexity`, then `maxIterations` steps
 * of gradient descent with momentum and per-coordinate gains on the Kullback-Leibler divergence to the Student-t
 * neighbourhoods of the points, exaggerated for the first 99 steps, from MATLAB's defaults (perplexity 30,
 * exaggeration 4, learning rate 500, 1000 steps, starting points of standard deviation 1e-4).
 *
 * MATLAB's default algorithm is Barnes-Hut, an approximation of this computation for large `n`; here t-SNE is exact,
 * which costs `n²` per step (1,000 steps took 1.3 s for 500 rows on one core, 19 s for 2,000) and `n²` values of
 * memory (12 bytes a pair of rows), held to `limits.maxElements`. The starting points are random, so another seed
 * gives another (equally good) embedding, as another `rng` state does in MATLAB; the same seed gives the same numbers
 * everywhere.
 *
 * @param X The rows `[n, m]`, at least 2, of finite values (any dtype), e.g.
 *   `activations(net, images, 'pool10', { outputAs: 'rows' })`.
 * @param options {@link TsneOptions}.
 * @returns A promise of `{ Y, loss }`: `Y` `[n, numDimensions]` float32 (yours to dispose), and the divergence.
 * @throws {TypeError} for a value of the wrong type.
 * @throws {RangeError} for `X` that is not 2-D, has fewer than 2 rows or a non-finite value (named), a `perplexity` of
 *   the number of rows or more, a bad option, `n²` past `limits.maxElements`, or steps so long (a huge `learnRate`
 *   or `exaggeration`) that the points overflow, rather than return NaN.
 * @throws {Error} when `signal` aborts, or `onProgress` throws.
 * @example
 * const rows = activations(net, images, 'pool10', { outputAs: 'rows' }); // [n, 1000]
 * const { Y } = await tsne(rows, { perplexity: 10 });                  // MATLAB: Y = tsne(rows, Perplexity=10)
 */
export async function tsne(X: tf.Tensor, options?: TsneOptions): Promise<TsneResult> {
  const x = assertTensor(FN, 'X', X, { ranks: [2], what: 'a tf.Tensor [n, m] of rows (float32 or int32)' });
  const opts = assertOptions<TsneOptions>(FN, options, OPTION_NAMES);
  const [n, m] = x.shape as [number, number];
  if (n < 2) throw rangeError(FN, 'X', 'at least 2 rows', `[${x.shape.join(', ')}]`);
  const dims = opts.numDimensions === undefined ? 2 : assertInteger(FN, 'options.numDimensions', opts.numDimensions, 1);
  const perplexity = opts.perplexity === undefined ? 30 : assertFinite(FN, 'options.perplexity', opts.perplexity);
  if (!(perplexity > 0)) throw rangeError(FN, 'options.perplexity', 'a positive number', perplexity);
  if (perplexity > n - 1) {
    throw new RangeError(
      `${FN}: expected 'options.perplexity' to be at most the number of rows less one (${n - 1}), got ${perplexity}; ` +
        'a row cannot have more neighbours than there are other rows (MATLAB: Perplexity=...)',
    );
  }
  const exaggeration =
    opts.exaggeration === undefined ? 4 : assertFinite(FN, 'options.exaggeration', opts.exaggeration);
  if (!(exaggeration >= 1)) throw rangeError(FN, 'options.exaggeration', 'a number >= 1', exaggeration);
  const learnRate = opts.learnRate === undefined ? 500 : assertFinite(FN, 'options.learnRate', opts.learnRate);
  if (!(learnRate > 0)) throw rangeError(FN, 'options.learnRate', 'a positive number', learnRate);
  const distance = optionOneOf(
    FN,
    'options.distance',
    opts.distance,
    ['euclidean', 'cityblock', 'chebychev', 'cosine', 'correlation'],
    'euclidean',
  );
  if (opts.standardize !== undefined && typeof opts.standardize !== 'boolean') {
    throw typeError(FN, 'options.standardize', 'a boolean', opts.standardize);
  }
  const iterations =
    opts.maxIterations === undefined ? 1000 : assertInteger(FN, 'options.maxIterations', opts.maxIterations, 0);
  const seed = opts.seed === undefined ? 0 : assertInteger(FN, 'options.seed', opts.seed);
  const initialY =
    opts.initialY === undefined ? undefined : assertTensor(FN, 'options.initialY', opts.initialY, { ranks: [2] });
  if (initialY && (initialY.shape[0] !== n || initialY.shape[1] !== dims)) {
    throw rangeError(FN, 'options.initialY', `a tensor of shape [${n}, ${dims}] (rows of X, numDimensions)`, initialY);
  }
  const signal = checkLongRunOptions(FN, opts);
  // The distances and probabilities: n² float64 and float32 values, on the host.
  assertElements(FN, 'X', [n, n], 'a matrix of distances between its rows', 'host');
  assertElements(FN, 'options.numDimensions', [n, dims], 'an embedding', 'host');
  throwIfAborted(FN, signal);

  // The rows as read (float32 or int32), copied to float64 only where they are changed in place.
  const read = (await x.data()) as Float32Array | Int32Array;
  const values: Rows = opts.standardize || distance === 'correlation' ? Float64Array.from(read) : read;
  const start = initialY
    ? Float64Array.from(await initialY.data())
    : Float64Array.from(seededNormal(seed, n * dims, 1e-4));
  for (const [arg, v, cols] of [
    ['X', values, m],
    ['options.initialY', start, dims],
  ] as const) {
    const k = v.findIndex((e) => !Number.isFinite(e));
    if (k >= 0) {
      throw new RangeError(
        `${FN}: expected '${arg}' to hold finite values, got ${v[k]} at [${Math.floor(k / cols)}, ${k % cols}]` +
          (arg === 'X' ? " (MATLAB's tsne drops such rows: remove them first)" : ''),
      );
    }
  }
  if (opts.standardize) standardizeColumns(values, n, m);

  const progress = guardCallback(FN, 'options.onProgress', opts.onProgress);
  // The distances cost n²·m / 2 operations, each step n²·dims: progress in those units.
  const setup = (n * n * m) / 2;
  const total = setup + iterations * n * n * (dims + 2);
  const pace = pacer(FN, signal, 1 << 23, (done) => stepDone(FN, progress, Math.min(done / total, 0.99), signal));
  const p = jointProbabilities(await pairwiseDistances(values, n, m, distance, pace), n, perplexity);

  const y = start;
  const grad = new Float64Array(n * dims);
  const update = new Float64Array(n * dims);
  const gains = new Float64Array(n * dims).fill(1);
  for (let it = 0; it < iterations; it++) {
    tsneGradient(p, y, n, dims, it < EXAGGERATED_ITERATIONS ? exaggeration : 1, grad);
    const momentum = it < EARLY_MOMENTUM_ITERATIONS ? 0.5 : 0.8;
    for (let k = 0; k < y.length; k++) {
      // A coordinate whose gradient keeps its direction speeds up; one that turns back slows down.
      gains[k] = Math.sign(grad[k]) !== Math.sign(update[k]) ? gains[k] + 0.2 : Math.max(gains[k] * 0.8, 0.01);
      update[k] = momentum * update[k] - learnRate * gains[k] * grad[k];
      y[k] += update[k];
    }
    // Steps too long for the points (a huge learnRate or exaggeration) overflow them: stop there, rather than go on
    // with NaN and hand it out.
    if (!centre(y, n, dims)) throw divergedError(it + 1, learnRate, exaggeration);
    await pace(n * n * (dims + 2));
  }
  // The divergence of the final points, without exaggeration (also for 0 iterations).
  const loss = tsneGradient(p, y, n, dims, 1, grad, true);
  const Y = Float32Array.from(y);
  if (!Number.isFinite(loss) || !Y.every(Number.isFinite)) throw divergedError(iterations, learnRate, exaggeration);
  await stepDone(FN, progress, 1, signal);
  return { Y: tf.tensor2d(Y, [n, dims]), loss };
}

/** The error for points that went past float32's range, or to NaN, after `steps` steps. */
function divergedError(steps: number, learnRate: number, exaggeration: number): RangeError {
  return new RangeError(
    `${FN}: the points went past float32's range after ${steps} step${steps === 1 ? '' : 's'}: the steps are too ` +
      `long for them; lower 'options.learnRate' (${learnRate}) or 'options.exaggeration' (${exaggeration})`,
  );
}

/** Each column of `x` (`n` rows of `m`) less its mean, divided by its standard deviation (n - 1); 0 where that is 0. */
function standardizeColumns(x: Rows, n: number, m: number): void {
  for (let k = 0; k < m; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * m + k] / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (x[i * m + k] - mean) ** 2;
    const std = Math.sqrt(squares / (n - 1));
    for (let i = 0; i < n; i++) x[i * m + k] = std > 0 ? (x[i * m + k] - mean) / std : 0;
  }
}

/** Moves the points `y` (`n` of `dims` values) so that their mean is 0; false where a mean is not finite. */
function centre(y: Float64Array, n: number, dims: number): boolean {
  for (let k = 0; k < dims; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[i * dims + k] / n;
    if (!Number.isFinite(mean)) return false;
    for (let i = 0; i < n; i++) y[i * dims + k] -= mean;
  }
  return true;
}
