/**
 * TensorFlow's `Einsum` written with TF.js operations every backend has (transpose, reshape, batched matrix product,
 * sum): a converted graph's einsum runs so (`net/graphOps.ts`), and so does `tf.einsum` where TF.js's kernel answers
 * wrong or is missing (`kernelFixes.ts`); its gradient too (`net/gradients.ts`). Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A dimension's label: a letter of the equation, or `…k` for the k-th dimension of an ellipsis, from the right. */
type Label = string;

/** An operand on its way: its tensor and the label of each of its dimensions. */
interface Term {
  x: tf.Tensor;
  labels: Label[];
}

const LETTERS = /^[a-zA-Z]$/;

/** The labels of one side of the equation, `...` expanded to `width` labels (`rank` is the operand's). */
function parseTerm(fn: string, term: string, rank: number | null, width: number): Label[] {
  const dots = term.indexOf('...');
  if (dots !== term.lastIndexOf('...')) {
    throw new RangeError(`${fn}: expected at most one '...' in each term of the equation, got '${term}'`);
  }
  const letters = dots < 0 ? term : term.slice(0, dots) + term.slice(dots + 3);
  for (const ch of letters) {
    if (!LETTERS.test(ch)) {
      throw new RangeError(`${fn}: expected letters and at most one '...' in the term '${term}', got '${ch}'`);
    }
  }
  const n = rank === null ? width : dots < 0 ? 0 : rank - letters.length;
  if (rank !== null && (n < 0 || (dots < 0 && letters.length !== rank))) {
    throw new RangeError(`${fn}: the term '${term}' names ${letters.length} dimensions of an operand of rank ${rank}`);
  }
  const ellipsis = Array.from({ length: n }, (_, i) => `…${n - 1 - i}`);
  if (dots < 0) return [...letters];
  return [...term.slice(0, dots), ...ellipsis, ...term.slice(dots + 3)];
}

/** The labels of the inputs and of the output of `equation` for operands of `ranks`. */
export function parseEquation(fn: string, equation: string, ranks: readonly number[]): [Label[][], Label[]] {
  if (ranks.length === 0) throw new RangeError(`${fn}: expected at least one operand`);
  const eq = equation.replace(/\s/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const terms = lhs.split(',');
  if (terms.length !== ranks.length) {
    throw new RangeError(`${fn}: the equation '${equation}' has ${terms.length} inputs, the node ${ranks.length}`);
  }
  const inputs = terms.map((t, i) => parseTerm(fn, t, ranks[i], 0));
  const width = Math.max(0, ...inputs.map((labels) => labels.filter((l) => l.startsWith('…')).length));
  if (arrow >= 0) {
    const output = parseTerm(fn, eq.slice(arrow + 2), null, width);
    const everywhere = new Set(inputs.flat());
    for (const [i, l] of output.entries()) {
      if (output.indexOf(l) !== i) throw new RangeError(`${fn}: the output of '${equation}' repeats '${l}'`);
      if (!everywhere.has(l)) throw new RangeError(`${fn}: the output of '${equation}' names '${l}', no input does`);
    }
    if (width > 0 && !output.some((l) => l.startsWith('…'))) {
      throw new RangeError(`${fn}: the inputs of '${equation}' have '...' and its output does not`);
    }
    return [inputs, output];
  }
  // Implicit output: the ellipsis, then the letters used once, in alphabetical order.
  const count = new Map<Label, number>();
  for (const l of inputs.flat()) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([l, c]) => c === 1 && !l.startsWith('…')).map(([l]) => l);
  const ellipsis = Array.from({ length: width }, (_, i) => `…${width - 1 - i}`);
  return [inputs, [...ellipsis, ...once.sort()]];
}

/** `term` with each label that appears twice in it reduced to its diagonal (`'ii->i'`). */
function diagonal(term: Term): Term {
  let { x, labels } = term;
  for (let p = 0; p < labels.length; p++) {
    const q = labels.indexOf(labels[p], p + 1);
    if (q < 0) continue;
    const n = x.shape[p];
    if (x.shape[q] !== n) {
      throw new RangeError(`einsum: the label '${labels[p]}' has sizes ${n} and ${x.shape[q]} in one operand`);
    }
    // The identity at dimensions p and q keeps the diagonal; summing q leaves it at p.
    const shape = x.shape.map((_, i) => (i === p || i === q ? n : 1));
    const eye = tf.reshape(tf.eye(n, n, undefined, x.dtype === 'int32' ? 'int32' : 'float32'), shape);
    x = tf.sum(tf.mul(x, eye), q);
    labels = labels.filter((_, i) => i !== q);
    p--;
  }
  return { x, labels };
}

/** `term` summed over its labels that are not in `keep`. */
function sumOut(term: Term, keep: ReadonlySet<Label>): Term {
  const axes = term.labels.flatMap((l, i) => (keep.has(l) ? [] : [i]));
  if (axes.length === 0) return term;
  return { x: tf.sum(term.x, axes), labels: term.labels.filter((l) => keep.has(l)) };
}

/** `term` transposed so that its labels come in `order` (which holds the same labels). */
function arrange(term: Term, order: readonly Label[]): tf.Tensor {
  const perm = order.map((l) => term.labels.indexOf(l));
  return perm.every((p, i) => p === i) ? term.x : tf.transpose(term.x, perm);
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Two terms made one: the labels both have and `keep` holds stay (a batch of the product), those both have and
 * `keep` does not are summed over (the product's inner dimension), the others stay. One batched matrix product.
 */
function contract(a: Term, b: Term, keep: ReadonlySet<Label>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const inner = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const aOnly = a.labels.filter((l) => !inB.has(l));
  const bOnly = b.labels.filter((l) => !inA.has(l));
  const size = (t: Term, l: Label) => t.x.shape[t.labels.indexOf(l)];
  // A batch dimension of an ellipsis may be 1 on one side and broadcast.
  const batchShape = batch.map((l) => Math.max(size(a, l), size(b, l)));
  for (const [i, l] of [...batch, ...inner].entries()) {
    const [m, n] = [size(a, l), size(b, l)];
    if (m !== n && !(i < batch.length && l.startsWith('…') && (m === 1 || n === 1))) {
      throw new RangeError(`einsum: the label '${l}' has sizes ${m} and ${n} in two operands`);
    }
  }
  const innerSize = product(inner.map((l) => size(a, l)));
  const aShape = aOnly.map((l) => size(a, l));
  const bShape = bOnly.map((l) => size(b, l));
  const side = (t: Term, order: Label[], rows: number, cols: number) => {
    let x = arrange(t, order);
    const own = [...batch.map((l) => size(t, l)), ...x.shape.slice(batch.length)];
    const full = [...batchShape, ...x.shape.slice(batch.length)];
    if (own.some((s, i) => s !== full[i])) x = tf.broadcastTo(x, full);
    return tf.reshape(x, [product(batchShape), rows, cols]);
  };
  const left = side(a, [...batch, ...aOnly, ...inner], product(aShape), innerSize);
  const right = side(b, [...batch, ...inner, ...bOnly], innerSize, product(bShape));
  const x = tf.reshape(tf.matMul(left, right), [...batchShape, ...aShape, ...bShape]);
  return { x, labels: [...batch, ...aOnly, ...bOnly] };
}

/**
 * TensorFlow's `einsum(equation, ...operands)`: any number of operands, an ellipsis (broadcast from the right), a label
 * repeated in one operand (its diagonal), the implicit output (no `->`). Letters are case-sensitive. Call it in a
 * `tf.tidy`.
 */
export function einsum(equation: string, operands: readonly tf.Tensor[]): tf.Tensor {
  const [inputs, output] = parseEquation(
    'einsum',
    equation,
    operands.map((x) => x.rank),
  );
  const diagonals = operands.map((x, i) => diagonal({ x, labels: inputs[i] }));
  // A label only one term has, and the output has not, is summed over first.
  const others = (i: number) => diagonals.filter((_, j) => j !== i).flatMap((t) => t.labels);
  const terms = diagonals.map((t, i) => sumOut(t, new Set([...output, ...others(i)])));
  // The labels the output or a term from `from` on needs.
  const needed = (from: number) => new Set([...output, ...terms.slice(from).flatMap((t) => t.labels)]);
  let acc = terms[0];
  for (let i = 1; i < terms.length; i++) {
    acc = contract(acc, terms[i], needed(i + 1));
  }
  acc = sumOut(acc, new Set(output));
  return arrange(acc, output);
}

/**
 * The gradient of `einsum(equation, operands)` with respect to operand `i`, given the output's gradient `dy`: the
 * contraction of `dy` with the other operands onto operand `i`'s labels, broadcast over the labels only it had (each
 * of its elements added into the sum alike). For the equations TF.js's einsum kernel runs (no ellipsis, no label
 * repeated in an operand); call it in a `tf.tidy`.
 */
export function einsumGradient(equation: string, operands: readonly tf.Tensor[], dy: tf.Tensor, i: number): tf.Tensor {
  const [inputs, output] = parseEquation(
    'einsum',
    equation,
    operands.map((x) => x.rank),
  );
  const own = inputs[i];
  if (new Set(own).size !== own.length || own.some((l) => l.startsWith('…'))) {
    throw new RangeError(`einsum: no gradient for the operand '${own.join('')}' of '${equation}'`);
  }
  const others = inputs.filter((_, j) => j !== i);
  const reached = new Set([...output, ...others.flat()]);
  const kept = own.filter((l) => reached.has(l));
  const label = (labels: readonly Label[]) => labels.join('');
  const back = `${[output, ...others].map(label).join(',')}->${label(kept)}`;
  let g = einsum(back, [dy, ...operands.filter((_, j) => j !== i)]);
  // The labels only this operand had were summed over: each element gets the whole gradient.
  for (const [axis, l] of own.entries()) {
    if (!reached.has(l)) g = tf.expandDims(g, axis);
  }
  return tf.broadcastTo(g, operands[i].shape);
}

/**
 * Whether TF.js 4.22's einsum kernels (cpu, WebGL, WebGPU) compute `equation` as TensorFlow does: one or two operands,
 * no ellipsis, no label twice in an operand (TF.js refuses these), and no label that one operand alone has and the
 * output has not. TF.js gets that last kind wrong without an error: `'ij,k->ik'` of [2, 3] and [4] gave [2, 1] (the
 * rows' sums) instead of [2, 4], and `'ij,k->'` a vector instead of a scalar.
 */
export function tfjsEinsumRight(equation: string, ranks: readonly number[]): boolean {
  if (ranks.length > 2) return false;
  const [inputs, output] = parseEquation('einsum', equation, ranks);
  return inputs.every((labels, i) => {
    const others = new Set([...output, ...inputs.filter((_, j) => j !== i).flat()]);
    return new Set(labels).size === labels.length && labels.every((l) => !l.startsWith('…') && others.has(l));
  });
}
