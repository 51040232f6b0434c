import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputGradient, segment } from '../../src/net/differentiable.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';
import { type Act, conv2d, loadTinyNetwork, NORMALIZATION, PARAMS, pool2d, random } from '../helpers/tinyNetwork.js';

// The gradients the library registers, checked through a whole network: the derivative of a class score along a
// random direction of the image, from tf.grad, against central differences of a float64 forward pass. The tiny
// network has a z-score input, a stride-2 convolution with padding [1 0 1 0] (its input gradient is computed as a
// forward convolution of the spread-out gradient), padded average and max pooling, global pooling and softmax.

let tiny: Awaited<ReturnType<typeof loadTinyNetwork>>;
beforeAll(async () => {
  tiny = await loadTinyNetwork();
});
afterAll(() => tiny?.dispose());

/** The tiny network's logits (gap, before the softmax, which saturates on random weights) in float64. */
function forward(pixels: Float64Array, h: number, w: number): Float64Array {
  const n = NORMALIZATION;
  const input: Act = { h, w, c: 3, v: pixels.map((p, i) => (p - n.mean[i % 3]) / n.standardDeviation[i % 3]) };
  const a = conv2d(input, PARAMS.get('conv_a')!, 2, [1, 0, 1, 0]);
  const r = { ...a, v: a.v.map((x) => Math.max(0, x)) };
  const avg = pool2d(r, 2, 1, [0, 1, 0, 1], 'avg');
  const b = conv2d(avg, PARAMS.get('conv_b')!, 1, [0, 0, 0, 0]);
  const mx = pool2d(b, 3, 2, [1, 1, 1, 1], 'max');
  const gap = new Float64Array(mx.c);
  for (let i = 0; i < mx.v.length; i++) gap[i % mx.c] += mx.v[i] / (mx.h * mx.w);
  return gap;
}

describe('differentiable segments and the registered gradients', () => {
  it.each([
    [9, 11, 0],
    [10, 12, 3],
  ])('d logit / d image along a random direction matches central differences (%i×%i, class %i)', async (h, w, cls) => {
    const r = random(h * 31 + w);
    const pixels = Float64Array.from({ length: h * w * 3 }, () => Math.round((r() + 1) * 127.5));
    const dir = Float64Array.from({ length: h * w * 3 }, () => r());
    const seg = segment(tiny.net, null, 'gap');
    const x = tf.tensor4d(Float32Array.from(pixels), [1, h, w, 3]);
    const g = tf.tidy(() =>
      tf.grad((img: tf.Tensor) => tf.sum(tf.slice(tf.reshape(seg.run(img), [1, -1]), [0, cls], [1, 1])))(x),
    );
    const grad = await g.data();
    tf.dispose([x, g]);
    const analytic = Array.from(grad).reduce((s, v, i) => s + v * dir[i], 0);
    const eps = 1e-3;
    const plus = forward(
      pixels.map((p, i) => p + eps * dir[i]),
      h,
      w,
    )[cls];
    const minus = forward(
      pixels.map((p, i) => p - eps * dir[i]),
      h,
      w,
    )[cls];
    const numeric = (plus - minus) / (2 * eps);
    expect(Math.abs(numeric)).toBeGreaterThan(1e-6);
    expect(Math.abs(analytic - numeric) / Math.abs(numeric)).toBeLessThan(2e-3);
  });

  it('the segment forward equals the graph model on every layer it computes', async () => {
    const seg = segment(tiny.net, 'in', 'prob');
    expect(seg.layers.map((l) => l.name)).toEqual(['conv_a', 'relu_a', 'avg_a', 'conv_b', 'max_b', 'gap', 'prob']);
    expect(seg.sideInputs).toEqual([]);
  });
});

describe('inputGradient', () => {
  it('says when what it differentiates does not depend on the values at all (a graph’s Shape on the way)', async () => {
    const x = tf.ones([1, 4, 5, 3]);
    // The width, as a graph computes it with Shape: a number made from the size alone.
    const width = (v: tf.Tensor) => tf.scalar(v.shape[2] as number);
    await expectThrowsNoLeak(
      () => inputGradient('deepDreamImage', tiny.net, width, x, { of: "layer 'Shape_6'", wrt: 'the image' }),
      RangeError,
      "deepDreamImage: layer 'Shape_6' does not depend on the values of the image, only on its size or on " +
        'constants (a Shape operation on the way), so it has no gradient to follow; choose a layer computed from them',
    );
    x.dispose();
  });
});
