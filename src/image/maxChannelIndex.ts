/**
 * The numbers of the walkthrough's `[maxValue, maxValueIndex] = max(max(max(act)))`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertActivations, strongestChannel } from './maxChannel.js';

/** Where an activation map is strongest: one result of {@link maxChannelIndex}. */
export interface MaxChannelInfo {
  /** 0-based channel index of the strongest channel (use it with `tf.gather` or `act.slice`). */
  index: number;
  /** The same channel as MATLAB numbers it (`index + 1`): MATLAB's `maxValueIndex`. */
  matlabIndex: number;
  /** The largest value (NaN ignored): MATLAB's `maxValue`. NaN only when the image holds nothing but NaN. */
  value: number;
}

/**
 * Reads back which channel of an activation map holds its largest value, and that value: MATLAB's
 * `[maxValue, maxValueIndex] = max(max(max(act1)))`, with the index both 0-based (`index`) and 1-based
 * (`matlabIndex`).
 *
 * - `[h, w, c]` → one {@link MaxChannelInfo}.
 * - `[n, h, w, c]` → an array of `n` of them, one per image (in order), each as for a single image.
 *
 * Same choice as {@link maxChannel}: NaN ignored, ties to the first channel, an image of only NaN gives channel 0
 * and value NaN. Computed on the device and read back once (`await data()`); `act` is neither disposed nor modified
 * and no tensor is left behind.
 *
 * @param act - float32 or int32 activations `[h, w, c]` or `[n, h, w, c]`.
 * @returns a promise of the result (single image) or of an array of results (batch).
 * @throws TypeError if `act` is not a live float32/int32 tensor (thrown synchronously).
 * @throws RangeError if `act` is not rank 3 or 4, or has a zero-length dimension (thrown synchronously).
 *
 * @example
 * const { index, matlabIndex, value } = await maxChannelIndex(act1);
 * console.log(`strongest: channel ${matlabIndex} (index ${index}), max ${value}`);
 */
export function maxChannelIndex(act: tf.Tensor3D): Promise<MaxChannelInfo>;
export function maxChannelIndex(act: tf.Tensor4D): Promise<MaxChannelInfo[]>;
export function maxChannelIndex(act: tf.Tensor): Promise<MaxChannelInfo | MaxChannelInfo[]>;
export function maxChannelIndex(act: tf.Tensor): Promise<MaxChannelInfo | MaxChannelInfo[]> {
  // Validation errors are thrown synchronously, before any tensor exists.
  assertActivations('maxChannelIndex', act);
  const packed = tf.tidy('maxChannelIndex', () => {
    const { index, value } = strongestChannel(act);
    // One read-back: [n, 2] = (index, value) per image, in the value's dtype (int32 stays exact).
    const dtype = value.dtype === 'int32' ? 'int32' : 'float32';
    return tf.stack([tf.cast(index, dtype), value], -1);
  });
  return readBack(packed, act.rank === 4);
}

async function readBack(packed: tf.Tensor, batch: boolean): Promise<MaxChannelInfo | MaxChannelInfo[]> {
  let data: ArrayLike<number>;
  try {
    data = (await packed.data()) as ArrayLike<number>;
  } finally {
    packed.dispose();
  }
  const results: MaxChannelInfo[] = [];
  for (let i = 0; i < data.length; i += 2) {
    results.push({ index: data[i], matlabIndex: data[i] + 1, value: data[i + 1] });
  }
  return batch ? results : results[0];
}
