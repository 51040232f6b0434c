/**
 * What TensorFlow refuses and TF.js 4.22's kernels computed anyway, on every backend: padding by a negative amount
 * (TF.js cropped) and pooling with a window of size 0 (TF.js gave -Infinity or NaN). A model file that asks for them
 * is corrupt or hostile; the library's kernel fixes refuse them with TensorFlow's reason.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

describe('kernel arguments TensorFlow refuses', () => {
  it('refuses a negative padding (TF.js cropped the tensor instead)', () => {
    const x = tf.ones([1, 8, 8, 1]);
    expect(() =>
      tf.pad(
        x,
        [
          [0, 0],
          [-3, -3],
          [0, 0],
          [0, 0],
        ],
        0,
      ),
    ).toThrow(new RangeError('pad: paddings must be at least 0, got [[0, 0], [-3, -3], [0, 0], [0, 0]]'));
    // Non-negative paddings pad as before.
    const y = tf.pad(x, [
      [0, 0],
      [1, 2],
      [0, 0],
      [0, 0],
    ]);
    expect(y.shape).toEqual([1, 11, 8, 1]);
    tf.dispose([x, y]);
  });

  it('refuses a pooling window of size 0 (TF.js gave -Infinity for max pooling)', () => {
    const x = tf.ones([1, 8, 8, 1]) as tf.Tensor4D;
    expect(() => tf.maxPool(x, [0, 0], 2, 'valid')).toThrow(
      new RangeError('maxPool: the pooling window must be at least 1×1, got 0×0'),
    );
    expect(() => tf.avgPool(x, [2, 0], 2, 'valid')).toThrow(
      new RangeError('avgPool: the pooling window must be at least 1×1, got 2×0'),
    );
    const y = tf.maxPool(x, 2, 2, 'valid');
    expect(y.shape).toEqual([1, 4, 4, 1]);
    tf.dispose([x, y]);
  });
});
