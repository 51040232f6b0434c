/**
 * `scores2label(scores, classNames)`: MATLAB's `[labels, topScores] = scores2label(scores, classNames)`, the class of
 * the highest score along the class axis.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { listArg } from '../internal/limits.js';
import { assertInteger, assertTensor, rangeError, typeError } from '../internal/validate.js';

/** What {@link scores2label} gives: plain data, one entry per position of the scores outside the class axis. */
export interface Scores2LabelResult {
  /** The class name of the highest score at each position (MATLAB's `labels`). */
  labels: string[];
  /** The highest score at each position (MATLAB's `topScores`). */
  scores: number[];
  /** The 0-based class index of each label (into `classNames`; MATLAB's class `index + 1`). */
  indices: number[];
  /**
   * The size of the positions: the scores' size without the class axis, `[n]` for `[n, k]` scores, `[]` for one
   * image's `[k]`, `[n, h, w]` for per-pixel scores `[n, h, w, k]`. The arrays hold the positions in row-major order
   * (the last axis fastest).
   */
  shape: number[];
}

const FN = 'scores2label';

/** How far a sum of probabilities may lie from 1 and still be one (float32 softmax over many classes). */
const SUMS_TO_ONE = 1e-3;

/**
 * The label of the highest score along the class axis, MATLAB's `[labels, topScores] = scores2label(scores,
 * classNames, dim)` (R2024a), for `predict`'s scores or any other tensor of them. Ties go to the lower class index;
 * a NaN score is refused (no class can be said to be highest).
 *
 * `axis` (MATLAB's `dim`, counted from 0 here; -1 is the last axis) says which axis holds the classes. `'auto'`, the
 * default, takes the one axis of as many elements as `classNames` along which the scores sum to 1 (probabilities),
 * as MATLAB does, and refuses scores where no axis or several axes do: give `axis` for logits, or for `[k, k]` scores.
 *
 * @param scores A float32 or int32 tensor of any rank from 1: `[n, k]` from `predict`, `[k]` for one image.
 * @param classNames The class names in the order of the scores' class axis (`net.classNames`).
 * @param axis The class axis, 0-based (negative counts from the end), or `'auto'`. @default 'auto'
 * @returns A promise of `{ labels, scores, indices, shape }` (plain data; `scores` the tensor is neither modified nor
 *   disposed).
 * @throws {TypeError} for a `scores` that is not a live tensor, `classNames` that is not an array of strings.
 * @throws {RangeError} for an empty `classNames` or empty scores, a class axis whose size is not the number of class
 *   names, an `axis` out of range, no or several axes `'auto'` could take, or NaN in the scores.
 * @example
 * const scores = predict(net, batch);                              // [n, k]
 * const { labels, scores: top } = await scores2label(scores, net.classNames);
 * // MATLAB: [labels, topScores] = scores2label(scores, classNames)
 */
export async function scores2label(
  scores: tf.Tensor,
  classNames: readonly string[],
  axis: number | 'auto' = 'auto',
): Promise<Scores2LabelResult> {
  const s = assertTensor(FN, 'scores', scores, { what: 'a tf.Tensor of scores of rank 1 or more' });
  if (s.rank === 0) throw rangeError(FN, 'scores', 'a tf.Tensor of scores of rank 1 or more, such as [n, k]', s);
  const names = listArg(FN, 'classNames', classNames);
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw typeError(FN, 'classNames', 'an array of class names (strings)', classNames);
  }
  const k = names.length;
  if (k === 0) {
    throw new RangeError(`${FN}: expected 'classNames' to hold at least one class name, got an empty array`);
  }
  if (s.size === 0) {
    throw new RangeError(`${FN}: expected 'scores' to hold scores, got an empty tensor [${s.shape.join(', ')}]`);
  }
  let dim: number | undefined;
  if (axis !== 'auto') {
    if (typeof axis !== 'number') throw typeError(FN, 'axis', "an axis (integer) or 'auto'", axis);
    const a = assertInteger(FN, 'axis', axis, -s.rank, s.rank - 1);
    dim = a < 0 ? a + s.rank : a;
    if (s.shape[dim] !== k) {
      throw new RangeError(
        `${FN}: expected axis ${dim} of 'scores' [${s.shape.join(', ')}] to hold the ${k} classes of 'classNames', ` +
          `got ${s.shape[dim]}`,
      );
    }
  } else if (!s.shape.includes(k)) {
    throw new RangeError(
      `${FN}: expected 'scores' [${s.shape.join(', ')}] to have an axis of ${k} elements, one per class name`,
    );
  }
  const values = await s.data();
  const shape = s.shape;
  // Positions are the indices outside the class axis; `stride` steps along the class axis.
  const strideOf = (d: number) => shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const sumsToOne = (d: number) => {
    const stride = strideOf(d);
    const outer = values.length / (shape[d] * stride);
    for (let o = 0; o < outer; o++)
      for (let inner = 0; inner < stride; inner++) {
        let sum = 0;
        for (let c = 0; c < shape[d]; c++) sum += values[(o * shape[d] + c) * stride + inner];
        if (!(Math.abs(sum - 1) <= SUMS_TO_ONE)) return false;
      }
    return true;
  };
  if (dim === undefined) {
    const candidates = shape.flatMap((size, d) => (size === k ? [d] : []));
    const probabilities = candidates.filter(sumsToOne);
    if (probabilities.length !== 1) {
      throw new RangeError(
        `${FN}: cannot tell the class axis of 'scores' [${shape.join(', ')}]: ` +
          (probabilities.length === 0
            ? `its scores do not sum to 1 along ${candidates.length === 1 ? 'axis' : 'any of axes'} ` +
              `${candidates.join(', ')} (of ${k} elements, one per class name), as probabilities do; pass the axis ` +
              `(scores2label(scores, classNames, ${candidates[0]})) to label logits`
            : `they sum to 1 along axes ${probabilities.join(' and ')}, each of ${k} elements; pass the axis`),
      );
    }
    dim = probabilities[0];
  }
  const stride = strideOf(dim);
  const outer = values.length / (k * stride);
  const result: Scores2LabelResult = {
    labels: [],
    scores: [],
    indices: [],
    shape: shape.filter((_, d) => d !== dim),
  };
  for (let o = 0; o < outer; o++)
    for (let inner = 0; inner < stride; inner++) {
      let best = 0;
      let top = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        const v = values[(o * k + c) * stride + inner];
        if (Number.isNaN(v)) {
          throw new RangeError(
            `${FN}: expected 'scores' to hold numbers, got NaN at position ${result.labels.length} (class ${c}, ` +
              `'${names[c]}'); no class can be said to score highest there`,
          );
        }
        if (v > top || c === 0) {
          best = c;
          top = v;
        }
      }
      result.labels.push(names[best] as string);
      result.scores.push(top);
      result.indices.push(best);
    }
  return result;
}
