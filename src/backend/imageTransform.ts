/**
 * `tf.image.transform` (TensorFlow's `ImageProjectiveTransformV3`) as TensorFlow computes it, with TF.js operations
 * every backend has. TF.js 4.22's kernels answer otherwise without an error: its cpu kernel returns after the first
 * image (every later one is left at the fill value), its WebGPU kernel gets later images and nearest-neighbour
 * sampling wrong, and its wasm kernel reflects coordinates by another rule than TensorFlow's. Not exported from the
 * package.
 */
import * as tf from '@tensorflow/tfjs-core';

type FillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';

/** What the `Transform` kernel is given. */
export interface TransformAttrs {
  interpolation: 'nearest' | 'bilinear';
  fillMode: FillMode;
  fillValue: number;
  outputShape?: [number, number] | null;
}

/**
 * A coordinate outside `[0, len - 1]` brought inside by `mode`, as TensorFlow's `MapCoordinate` (which follows
 * SciPy's): reflected about the edge (`dcba|abcd|dcba`), wrapped, or clamped; left as it is for `'constant'`.
 */
function mapCoordinate(c: tf.Tensor, len: number, mode: FillMode): tf.Tensor {
  if (mode === 'constant') return c;
  if (len <= 1) return tf.zerosLike(c);
  const clamp = (v: tf.Tensor) => tf.clipByValue(v, 0, len - 1);
  if (mode === 'nearest') return clamp(c);
  const below = tf.less(c, 0);
  const above = tf.greater(c, len - 1);
  if (mode === 'reflect') {
    const sz2 = 2 * len;
    // Below 0: shifted by whole periods toward 0, then mirrored (TensorFlow's two steps).
    const shifted = tf.add(tf.mul(sz2, tf.floor(tf.div(tf.neg(c), sz2))), c);
    const low = tf.where(tf.less(shifted, -len), tf.add(shifted, sz2), tf.sub(tf.neg(shifted), 1));
    // Above len - 1: into one period, then mirrored back where it lands in the second half.
    const folded = tf.sub(c, tf.mul(sz2, tf.floor(tf.div(c, sz2))));
    const high = tf.where(tf.greaterEqual(folded, len), tf.sub(sz2 - 1, folded), folded);
    return clamp(tf.where(below, low, tf.where(above, high, c)));
  }
  // Wrap, with TensorFlow's period arithmetic (its quotient divides by len - 1).
  const sz = len - 1;
  const low = tf.add(c, tf.mul(len, tf.add(tf.floor(tf.div(tf.neg(c), sz)), 1)));
  const high = tf.sub(c, tf.mul(len, tf.floor(tf.div(c, sz))));
  return clamp(tf.where(below, low, tf.where(above, high, c)));
}

/**
 * The images `[n, h, w, c]` resampled through `transforms` (`[1, 8]` for all, or `[n, 8]`): output pixel (x, y) reads
 * the input at ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, the fill value where k is 0 or
 * a read falls outside. Nearest rounds half away from zero; bilinear weighs the four neighbours in TensorFlow's order.
 * Call it in a `tf.tidy`.
 */
export function projectiveTransform(image: tf.Tensor4D, transforms: tf.Tensor2D, attrs: TransformAttrs): tf.Tensor4D {
  const [n, H, W, C] = image.shape;
  const [oh, ow] = attrs.outputShape ?? [H, W];
  const m = transforms.shape[0];
  const part = (k: number) => tf.reshape(tf.slice(transforms, [0, k], [m, 1]), [m, 1, 1]);
  const x = tf.reshape(tf.range(0, ow, 1, 'float32'), [1, 1, ow]);
  const y = tf.reshape(tf.range(0, oh, 1, 'float32'), [1, oh, 1]);
  const k = tf.add(tf.add(tf.mul(part(6), x), tf.mul(part(7), y)), 1);
  const inX = tf.div(tf.add(tf.add(tf.mul(part(0), x), tf.mul(part(1), y)), part(2)), k);
  const inY = tf.div(tf.add(tf.add(tf.mul(part(3), x), tf.mul(part(4), y)), part(5)), k);
  const grid = [n, oh, ow];
  const px = tf.broadcastTo(mapCoordinate(inX, W, attrs.fillMode), grid);
  const py = tf.broadcastTo(mapCoordinate(inY, H, attrs.fillMode), grid);
  const batch = tf.broadcastTo(tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1, 1]), grid);
  const fill = tf.scalar(attrs.fillValue, 'float32');
  const pixels = tf.cast(image, 'float32');
  // The input at whole coordinates (row, column), the fill value outside: [n, oh, ow, c].
  const read = (row: tf.Tensor, column: tf.Tensor) => {
    const inside = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(row, 0), tf.less(row, H)),
      tf.logicalAnd(tf.greaterEqual(column, 0), tf.less(column, W)),
    );
    const at = (v: tf.Tensor, len: number) => tf.cast(tf.clipByValue(v, 0, len - 1), 'int32');
    const values = tf.gatherND(pixels, tf.stack([batch, at(row, H), at(column, W)], 3));
    return tf.where(tf.expandDims(inside, 3), values, fill);
  };
  let out: tf.Tensor;
  if (attrs.interpolation === 'nearest') {
    const round = (v: tf.Tensor) => tf.mul(tf.sign(v), tf.floor(tf.add(tf.abs(v), 0.5)));
    out = read(round(py), round(px));
  } else {
    const [y0, x0] = [tf.floor(py), tf.floor(px)];
    const [y1, x1] = [tf.add(y0, 1), tf.add(x0, 1)];
    const weight = (v: tf.Tensor) => tf.expandDims(v, 3);
    const [wx0, wx1] = [weight(tf.sub(x1, px)), weight(tf.sub(px, x0))];
    const top = tf.add(tf.mul(wx0, read(y0, x0)), tf.mul(wx1, read(y0, x1)));
    const bottom = tf.add(tf.mul(wx0, read(y1, x0)), tf.mul(wx1, read(y1, x1)));
    out = tf.add(tf.mul(weight(tf.sub(y1, py)), top), tf.mul(weight(tf.sub(py, y0)), bottom));
  }
  const defined = tf.expandDims(tf.broadcastTo(tf.notEqual(k, 0), grid), 3);
  const result = tf.where(defined, out, fill);
  return tf.cast(tf.broadcastTo(result, [n, oh, ow, C]), image.dtype) as tf.Tensor4D;
}
