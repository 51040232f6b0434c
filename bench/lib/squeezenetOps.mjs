// SqueezeNet v1.1 hand-written in TF.js ops: what the benchmarks compare the library's graph runner against.
import * as tf from '@tensorflow/tfjs-core';

const MEAN = [123, 117, 104];

/** SqueezeNet v1.1 written out in TF.js ops, with MATLAB's paddings, using the loaded network's weight tensors. */
export function handWritten(weights, x) {
  const w = (n) => weights[n][0];
  return tf.tidy(() => {
    const conv = (t, name, stride, pad) =>
      tf.fused.conv2d({
        x: t,
        filter: w(`${name}/weights`),
        bias: w(`${name}/bias`),
        strides: stride,
        pad,
        activation: 'relu',
      });
    const fire = (t, f) => {
      const s = conv(t, `${f}-squeeze1x1`, 1, 'valid');
      return tf.concat([conv(s, `${f}-expand1x1`, 1, 'valid'), conv(s, `${f}-expand3x3`, 1, 'same')], 3);
    };
    const pool = (t, padded) =>
      tf.maxPool(
        padded
          ? tf.pad(t, [
              [0, 0],
              [0, 1],
              [0, 1],
              [0, 0],
            ])
          : t,
        3,
        2,
        'valid',
      );
    let t = tf.sub(tf.cast(x, 'float32'), tf.tensor1d(MEAN));
    t = pool(conv(t, 'conv1', 2, 'valid'), false);
    t = pool(fire(fire(t, 'fire2'), 'fire3'), true);
    t = pool(fire(fire(t, 'fire4'), 'fire5'), true);
    t = fire(fire(fire(fire(t, 'fire6'), 'fire7'), 'fire8'), 'fire9');
    t = conv(t, 'conv10', 1, 'valid');
    return tf.softmax(tf.mean(t, [1, 2], true));
  });
}
