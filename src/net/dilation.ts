/**
 * A dilated (atrous) convolution is the same convolution with its kernel spread out: zeros between the taps and no
 * dilation. TF.js has no gradient for a dilation above 1 (its cpu depthwise kernels ignore it), so the library
 * differentiates the spread kernel instead; the filter's gradient is the spread kernel's, read back at the taps.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A kernel `[kh, kw, a, b]` dilated by `[dh, dw]`: `[(kh − 1)·dh + 1, (kw − 1)·dw + 1, a, b]`, zeros between taps. */
export function dilateKernel(w: tf.Tensor, [dh, dw]: readonly [number, number]): tf.Tensor4D {
  const [kh, kw, a, b] = w.shape;
  const h = (kh - 1) * dh + 1;
  const rows = tf.pad(tf.reshape(w, [kh, 1, kw * a * b]), [
    [0, 0],
    [0, dh - 1],
    [0, 0],
  ]);
  const tall = tf.slice(tf.reshape(rows, [kh * dh, kw * a * b]), [0, 0], [h, kw * a * b]);
  const cols = tf.pad(tf.reshape(tall, [h, kw, 1, a * b]), [
    [0, 0],
    [0, 0],
    [0, dw - 1],
    [0, 0],
  ]);
  const wide = tf.slice(tf.reshape(cols, [h, kw * dw, a * b]), [0, 0, 0], [h, (kw - 1) * dw + 1, a * b]);
  return tf.reshape(wide, [h, (kw - 1) * dw + 1, a, b]);
}

/** The taps of a kernel dilated by `[dh, dw]`: the inverse of {@link dilateKernel}, `[kh, kw, a, b]` again. */
export function kernelTaps(w: tf.Tensor, [dh, dw]: readonly [number, number]): tf.Tensor4D {
  const [h, wd, a, b] = w.shape;
  const kh = (h - 1) / dh + 1;
  const kw = (wd - 1) / dw + 1;
  // Padded to whole rows and columns of `dh` and `dw`, then the first of each: no strided slice (which some TF.js
  // backends get wrong in corner cases) and no index tensors.
  const rows = tf.reshape(
    tf.pad(tf.reshape(w, [h, wd * a * b]), [
      [0, kh * dh - h],
      [0, 0],
    ]),
    [kh, dh, wd * a * b],
  );
  const tall = tf.reshape(tf.slice(rows, [0, 0, 0], [kh, 1, wd * a * b]), [kh, wd, a * b]);
  const cols = tf.reshape(
    tf.pad(tall, [
      [0, 0],
      [0, kw * dw - wd],
      [0, 0],
    ]),
    [kh, kw, dw, a * b],
  );
  return tf.reshape(tf.slice(cols, [0, 0, 0, 0], [kh, kw, 1, a * b]), [kh, kw, a, b]);
}
