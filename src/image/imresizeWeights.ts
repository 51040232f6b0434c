/**
 * The per-dimension interpolation weights of MATLAB's `imresize` (spec §5.2–5.3), computed on the host in double
 * precision, and the resampling plans built from them. Not exported from the package; `imresize` and its tests use it.
 */

/** The interpolation kernels of spec §5.2. */
export type KernelName = 'box' | 'triangle' | 'cubic' | 'lanczos2' | 'lanczos3';

const EPS = 2 ** -52;

/** MATLAB's Lanczos kernel with `a` lobes: (sin(πx)·sin(πx/a) + eps) / (π²x²/a + eps) for |x| < a, width 2a. */
function lanczos(a: number): { f: (x: number) => number; width: number } {
  return {
    f: (x) =>
      Math.abs(x) < a
        ? (Math.sin(Math.PI * x) * Math.sin((Math.PI * x) / a) + EPS) / ((Math.PI * Math.PI * x * x) / a + EPS)
        : 0,
    width: 2 * a,
  };
}

/** Each kernel `f(x)` and its support width, written exactly as MATLAB evaluates them (double precision). */
export const KERNELS: Record<KernelName, { f: (x: number) => number; width: number }> = {
  box: { f: (x) => (x >= -0.5 && x < 0.5 ? 1 : 0), width: 1 },
  triangle: { f: (x) => (x >= -1 && x < 0 ? x + 1 : 0) + (x >= 0 && x <= 1 ? 1 - x : 0), width: 2 },
  cubic: {
    // Keys' cubic convolution kernel with a = -0.5.
    f: (x) => {
      const a = Math.abs(x);
      const a2 = a * a;
      const a3 = a2 * a;
      return (a <= 1 ? 1.5 * a3 - 2.5 * a2 + 1 : 0) + (a > 1 && a <= 2 ? -0.5 * a3 + 2.5 * a2 - 4 * a + 2 : 0);
    },
    width: 4,
  },
  lanczos2: lanczos(2),
  lanczos3: lanczos(3),
};

/**
 * The weights of one dimension: output pixel `o` (0-based) is `sum_k weights[o * taps + k] * in[indices[o * taps + k]]`.
 * `indices` are 0-based input positions after the symmetric mirror; tap columns whose weight is 0 for every output
 * pixel have been dropped, as MATLAB does (a kept tap may still have weight 0 for some pixels).
 */
export interface Contributions {
  inLen: number;
  outLen: number;
  /** Kept taps per output pixel. */
  taps: number;
  /** `outLen * taps` weights, each row normalised to sum 1 (in double). */
  weights: Float64Array;
  /** `outLen * taps` 0-based input indices. */
  indices: Int32Array;
}

/** How many input pixels one output pixel's kernel spans along an axis (before all-zero taps are dropped). */
export function tapCount(kernel: KernelName, scale: number, antialiasing: boolean): number {
  const kernelWidth = KERNELS[kernel].width;
  return Math.ceil(scale < 1 && antialiasing ? kernelWidth / scale : kernelWidth) + 2;
}

/**
 * MATLAB's `contributions(in_length, out_length, scale, kernel, kernel_width, antialiasing)` (spec §5.3), 0-based:
 * widened kernel when shrinking with antialiasing, rows normalised to sum 1, symmetric (half-sample) mirror at the
 * borders, all-zero tap columns dropped.
 */
export function contributions(
  inLen: number,
  outLen: number,
  scale: number,
  kernel: KernelName,
  antialiasing: boolean,
): Contributions {
  const { f, width: kernelWidth } = KERNELS[kernel];
  const shrinkAA = scale < 1 && antialiasing;
  const h = shrinkAA ? (x: number) => scale * f(scale * x) : f;
  const width = shrinkAA ? kernelWidth / scale : kernelWidth;
  const P = Math.ceil(width) + 2;
  const w = new Float64Array(outLen * P);
  const idx = new Int32Array(outLen * P);
  const period = 2 * inLen;
  for (let o = 0; o < outLen; o++) {
    const x = o + 1; // MATLAB's 1-based output coordinate
    const u = x / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - width / 2);
    let sum = 0;
    for (let j = 0; j < P; j++) {
      const v = h(u - (left + j));
      w[o * P + j] = v;
      sum += v;
    }
    for (let j = 0; j < P; j++) {
      w[o * P + j] /= sum;
      // 1-based index left+j -> mirror position in aux = [1..inLen, inLen..1] -> 0-based.
      const m = (((left + j - 1) % period) + period) % period;
      idx[o * P + j] = m < inLen ? m : period - 1 - m;
    }
  }
  const keep: number[] = [];
  for (let j = 0; j < P; j++) {
    for (let o = 0; o < outLen; o++) {
      if (w[o * P + j] !== 0) {
        keep.push(j);
        break;
      }
    }
  }
  const taps = keep.length;
  const weights = new Float64Array(outLen * taps);
  const indices = new Int32Array(outLen * taps);
  for (let o = 0; o < outLen; o++) {
    for (let k = 0; k < taps; k++) {
      weights[o * taps + k] = w[o * P + keep[k]];
      indices[o * taps + k] = idx[o * P + keep[k]];
    }
  }
  return { inLen, outLen, taps, weights, indices };
}

/**
 * How `imresize` applies one dimension, split by tap: output pixel `o` is `sum_k weights[k][o] * in[indices[k][o]]`
 * (float32 weights, summed in tap order like MATLAB). `kind`:
 * - `identity`: output = input (one tap of weight 1 at the same index; the pass is skipped);
 * - `gather`: one tap of weight 1 everywhere (MATLAB's pure nearest-neighbour): an exact copy by index;
 * - `weighted`: the general case.
 */
export interface AxisPlan {
  kind: 'identity' | 'gather' | 'weighted';
  inLen: number;
  outLen: number;
  /** Per tap: `outLen` 0-based input indices. */
  indices: Int32Array[];
  /** Per tap: `outLen` weights (float32). */
  weights: Float32Array[];
}

const PLAN_CACHE_SIZE = 64;
const planCache = new Map<string, AxisPlan>();

/**
 * The {@link AxisPlan} of one dimension, from {@link contributions}. Plans are cached on the host (typed arrays, not
 * tensors) by their arguments; the cache keeps the 64 most recently built.
 */
export function axisPlan(
  inLen: number,
  outLen: number,
  scale: number,
  kernel: KernelName,
  antialiasing: boolean,
): AxisPlan {
  const key = `${inLen}|${outLen}|${scale}|${kernel}|${antialiasing}`;
  const cached = planCache.get(key);
  if (cached) return cached;
  const c = contributions(inLen, outLen, scale, kernel, antialiasing);
  const indices: Int32Array[] = [];
  const weights: Float32Array[] = [];
  for (let k = 0; k < c.taps; k++) {
    const idx = new Int32Array(outLen);
    const w = new Float32Array(outLen);
    for (let o = 0; o < outLen; o++) {
      idx[o] = c.indices[o * c.taps + k];
      w[o] = c.weights[o * c.taps + k];
    }
    indices.push(idx);
    weights.push(w);
  }
  let kind: AxisPlan['kind'] = 'weighted';
  if (isPureNearest(c)) {
    kind = inLen === outLen && indices[0].every((v, o) => v === o) ? 'identity' : 'gather';
  }
  const plan: AxisPlan = { kind, inLen, outLen, indices, weights };
  if (planCache.size >= PLAN_CACHE_SIZE) planCache.delete(planCache.keys().next().value as string);
  planCache.set(key, plan);
  return plan;
}

/** True when every output pixel copies one input pixel (one tap, weight exactly 1): MATLAB's pure nearest-neighbour. */
export function isPureNearest(c: Contributions): boolean {
  return c.taps === 1 && c.weights.every((v) => v === 1);
}
