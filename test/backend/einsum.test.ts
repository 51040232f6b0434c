/**
 * The library's `Einsum` (TensorFlow's, as Keras's attention layers write it) against a plain loop over every label's
 * values: the equations Keras writes, TensorFlow's extras that TF.js's einsum refuses (an ellipsis, three operands, a
 * diagonal, the implicit output), letters of both cases, and the gradient; and `tf.einsum` itself, whose kernels the
 * library fixes (and puts on wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { einsum, tfjsEinsumRight } from '../../src/backend/einsum.js';
import { ensureGradients } from '../../src/net/gradients.js';
import { expectNoLeak } from '../helpers/leaks.js';
import { random } from '../helpers/tinyNetwork.js';

interface Operand {
  shape: number[];
  values: number[];
}

/**
 * Einsum by definition, for equations of letters with an explicit output: every assignment of a value to each label,
 * the product of the operands' elements it picks, added to the output element it picks.
 */
function oracle(equation: string, operands: Operand[]): Operand {
  const [lhs, rhs] = equation.split('->');
  const terms = lhs.split(',');
  const size = new Map<string, number>();
  for (const [i, t] of terms.entries()) {
    for (const [d, l] of [...t].entries()) size.set(l, operands[i].shape[d]);
  }
  const labels = [...size.keys()];
  const outShape = [...rhs].map((l) => size.get(l) ?? 0);
  const out = new Array<number>(outShape.reduce((a, b) => a * b, 1)).fill(0);
  const flat = (term: string, shape: number[], at: Map<string, number>) =>
    [...term].reduce((acc, l, d) => acc * shape[d] + (at.get(l) ?? 0), 0);
  const at = new Map<string, number>();
  const visit = (k: number): void => {
    if (k === labels.length) {
      let p = 1;
      terms.forEach((t, i) => {
        p *= operands[i].values[flat(t, operands[i].shape, at)];
      });
      out[flat(rhs, outShape, at)] += p;
      return;
    }
    for (let v = 0; v < (size.get(labels[k]) ?? 0); v++) {
      at.set(labels[k], v);
      visit(k + 1);
    }
  };
  visit(0);
  return { shape: outShape, values: out };
}

function operand(shape: number[], seed: number): Operand {
  const r = random(seed);
  return { shape, values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r()) };
}

/** The library's einsum of `operands`, its shape and values. */
async function run(equation: string, operands: Operand[]): Promise<Operand> {
  const xs = operands.map((o) => tf.tensor(o.values, o.shape));
  const y = await expectNoLeak(() => tf.tidy(() => einsum(equation, xs)), 1);
  const result = { shape: y.shape, values: Array.from(await y.data()) };
  tf.dispose([...xs, y]);
  return result;
}

function expectClose(actual: Operand, expected: Operand) {
  expect(actual.shape).toEqual(expected.shape);
  for (const [i, v] of actual.values.entries()) expect(v).toBeCloseTo(expected.values[i], 4);
}

describe("einsum as TensorFlow's", () => {
  it.each([
    // Keras's MultiHeadAttention: projections, scores, the weighted sum, the output projection.
    ['abc,cde->abde', [2, 3, 4], [4, 2, 3]],
    ['aecd,abcd->acbe', [2, 3, 2, 4], [2, 5, 2, 4]],
    ['acbe,aecd->abcd', [2, 2, 5, 3], [2, 3, 2, 4]],
    ['abcd,cde->abe', [2, 5, 2, 4], [2, 4, 3]],
    // A dense layer on each pixel, a batch of dot products, an outer product, three operands.
    ['abcd,de->abce', [1, 3, 2, 4], [4, 5]],
    ['bi,bi->b', [3, 4], [3, 4]],
    ['i,j->ij', [3], [4]],
    ['ij,jk,kl->il', [2, 3], [3, 4], [4, 2]],
    // One operand: a transpose, a sum, a diagonal, a trace.
    ['ij->ji', [2, 3]],
    ['ijk->', [2, 3, 2]],
    ['ii->i', [3, 3]],
    ['iij->j', [3, 3, 2]],
    // Letters of both cases are other labels.
    ['Ab,ab->Aa', [2, 3], [4, 3]],
  ] as [string, ...number[][]][])('%s', async (equation, ...shapes) => {
    const operands = shapes.map((s, i) => operand(s, 7 + i));
    expectClose(await run(equation, operands), oracle(equation, operands));
  });

  it('expands an ellipsis, broadcasting its dimensions from the right, as TensorFlow does', async () => {
    const x = operand([2, 3, 4], 1);
    const w = operand([4, 5], 2);
    expectClose(await run('...c,cd->...d', [x, w]), oracle('abc,cd->abd', [x, w]));
    // A batch of [2, 1] against one of [5]: [2, 5].
    const a = operand([2, 1, 3, 4], 3);
    const b = operand([5, 4, 2], 4);
    const wide = { shape: [2, 5, 4, 2], values: Array.from({ length: 80 }, (_, i) => b.values[i % 40]) };
    const narrow = {
      shape: [2, 5, 3, 4],
      values: Array.from({ length: 120 }, (_, i) => a.values[(i % 12) + 12 * Math.floor(i / 60)]),
    };
    expectClose(await run('...ij,...jk->...ik', [a, b]), oracle('xyij,xyjk->xyik', [narrow, wide]));
  });

  it('takes the labels used once, in alphabetical order, as the output when there is no arrow', async () => {
    const x = operand([2, 3], 5);
    const y = operand([3, 4], 6);
    expectClose(await run('ij,jk', [x, y]), oracle('ij,jk->ik', [x, y]));
    expectClose(await run('ba', [x]), oracle('ba->ab', [x]));
  });

  it('differentiates the attention scores as the contraction with the other operand', async () => {
    const q = operand([2, 3, 2, 4], 11);
    const k = operand([2, 5, 2, 4], 12);
    const weights = operand([2, 2, 5, 3], 13);
    ensureGradients();
    const [qt, kt, wt] = [q, k, weights].map((o) => tf.tensor(o.values, o.shape));
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(einsum('aecd,abcd->acbe', [x, kt]), wt)))(qt);
    const values = Array.from(await grad.data());
    // d sum(w * out) / d q[a,e,c,d] = sum over b of w[a,c,b,e] * k[a,b,c,d].
    expectClose({ shape: grad.shape, values }, oracle('acbe,abcd->aecd', [weights, k]));
    tf.dispose([qt, kt, wt, grad]);
  });

  it.each([
    ['aecd,abcd->acbe', [2, 3, 2, 4], [2, 5, 2, 4]],
    ['bhwc,c->bhwc', [1, 2, 3, 4], [4]],
    ['ij,k->ik', [2, 3], [4]],
    ['ij->', [2, 3]],
  ] as [string, ...number[][]][])(
    "differentiates TF.js's own einsum kernel (%s), which had no gradient",
    async (equation, ...shapes) => {
      ensureGradients();
      const operands = shapes.map((sh, i) => operand(sh, 21 + i));
      const [lhs, rhs] = equation.split('->');
      const outShape = oracle(equation, operands).shape;
      const weights = operand(outShape, 31);
      const [w, ...xs] = [weights, ...operands].map((o) => tf.tensor(o.values, o.shape));
      const score = (...args: tf.Tensor[]) => tf.sum(tf.mul(tf.einsum(equation, ...args), w));
      const grads = tf.grads(score)(xs);
      for (const [i, o] of operands.entries()) {
        // Central differences of sum(weights * einsum) in float64, element by element.
        const f = (values: number[]) =>
          oracle(`${lhs},${rhs}->`, [...operands.map((p, j) => (j === i ? { ...p, values } : p)), weights]).values[0];
        const numeric = o.values.map((v, k) => {
          const plus = [...o.values];
          const minus = [...o.values];
          plus[k] = v + 1e-3;
          minus[k] = v - 1e-3;
          return (f(plus) - f(minus)) / 2e-3;
        });
        expectClose(
          { shape: grads[i].shape, values: Array.from(await grads[i].data()) },
          { shape: o.shape, values: numeric },
        );
      }
      tf.dispose([w, ...xs, ...grads]);
    },
  );

  it.each([
    // A label one operand alone has, summed: TF.js's kernels gave [2, 1], a vector, [3, 2] of other numbers.
    ['ij,k->ik', [2, 3], [4]],
    ['ij,k->', [2, 3], [4]],
    ['ead,bac->bca', [3, 2, 2], [3, 2, 4]],
    // What TF.js's kernels refuse: an ellipsis, three operands, a diagonal.
    ['...c,cd->...d', [2, 3, 4], [4, 5]],
    ['ij,jk,kl->il', [2, 3], [3, 4], [4, 2]],
    ['ii->i', [3, 3]],
    // What they get right, unchanged.
    ['abc,cde->abde', [2, 3, 4], [4, 2, 3]],
  ] as [string, ...number[][]][])(
    'tf.einsum(%s) answers as TensorFlow on every backend (wasm had no kernel)',
    async (equation, ...shapes) => {
      const operands = shapes.map((sh, i) => operand(sh, 41 + i));
      const xs = operands.map((o) => tf.tensor(o.values, o.shape));
      const y = await expectNoLeak(() => tf.einsum(equation, ...xs), 1);
      const explicit = equation.replace('...c,cd->...d', 'abc,cd->abd');
      expectClose({ shape: y.shape, values: Array.from(await y.data()) }, oracle(explicit, operands));
      tf.dispose([...xs, y]);
    },
  );

  it("tells the equations TF.js's einsum kernels compute right from those they do not", () => {
    expect(tfjsEinsumRight('abc,cde->abde', [3, 3])).toBe(true);
    expect(tfjsEinsumRight('bi,bi->b', [2, 2])).toBe(true);
    expect(tfjsEinsumRight('ij->ji', [2])).toBe(true);
    expect(tfjsEinsumRight('ij->i', [2])).toBe(false);
    expect(tfjsEinsumRight('ij,k->ik', [2, 1])).toBe(false);
    expect(tfjsEinsumRight('...c,cd->...d', [3, 2])).toBe(false);
    expect(tfjsEinsumRight('ii->i', [2])).toBe(false);
    expect(tfjsEinsumRight('i,i,i->i', [1, 1, 1])).toBe(false);
  });

  it.each([
    ['ij,jk->ik', [2, 3], [4, 2], /the label 'j' has sizes 3 and 4 in two operands/],
    ['ij->k', [2, 3], null, /the output of 'ij->k' names 'k', no input does/],
    ['ij->ii', [2, 3], null, /the output of 'ij->ii' repeats 'i'/],
    ['ijk->i', [2, 3], null, /the term 'ijk' names 3 dimensions of an operand of rank 2/],
    ['i1->i', [2, 3], null, /expected letters and at most one '...' in the term 'i1', got '1'/],
    ['...i->i', [2, 3], null, /the inputs of '...i->i' have '...' and its output does not/],
    ['i,i->i', [2, 3], null, /the equation 'i,i->i' has 2 inputs, the node 1/],
  ] as [string, number[], number[] | null, RegExp][])('refuses %s naming the cause', (equation, a, b, message) => {
    const xs = [a, b].filter((s): s is number[] => s !== null).map((s) => tf.zeros(s));
    expect(() => tf.tidy(() => einsum(equation, xs))).toThrow(message);
    tf.dispose(xs);
  });
});
