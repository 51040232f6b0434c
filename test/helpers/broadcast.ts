/** NumPy's broadcasting, element by element, for oracles of binary operations. */

/** The number of values in a tensor of `shape`. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The flat index into an operand of shape `operand` that the output's flat index `index` reads (`shape`: output's). */
export function broadcastIndex(index: number, shape: readonly number[], operand: readonly number[]): number {
  const lead = shape.length - operand.length;
  let [rest, at, stride] = [index, 0, 1];
  for (let axis = shape.length - 1; axis >= lead; axis--) {
    const position = rest % shape[axis];
    rest = Math.floor(rest / shape[axis]);
    const dim = operand[axis - lead];
    at += (dim === 1 ? 0 : position) * stride;
    stride *= dim;
  }
  return at;
}
