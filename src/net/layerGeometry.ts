/**
 * What the layer tables of user models share, whatever the framework: TensorFlow's `'SAME'` padding at a given
 * size, and MATLAB-style one-line descriptions. Not exported from the package.
 */

/** TensorFlow's `'SAME'` padding `[before, after]` along one axis of size `n` for kernel `k`, stride `s`, dilation `d`. */
export function samePadding(n: number, k: number, s: number, d = 1): [number, number] {
  const kEff = (k - 1) * d + 1;
  const total = Math.max((Math.ceil(n / s) - 1) * s + kEff - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** `[top, bottom, left, right]` of `'SAME'` padding for an input `[h, w]`. */
export function samePadding2d(
  [h, w]: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number] = [1, 1],
): [number, number, number, number] {
  const [t, b] = samePadding(h, kernel[0], stride[0], dilation[0]);
  const [l, r] = samePadding(w, kernel[1], stride[1], dilation[1]);
  return [t, b, l, r];
}

const x = (a: readonly number[]) => a.join('×');
const bracket = (a: readonly number[]) => `[${a.join(' ')}]`;

/** MATLAB's description of a convolution, e.g. `'32 3×3×3 convolutions with stride [2 2] and padding 'same''`. */
export function describeConvolution(
  filters: number,
  kernel: readonly [number, number],
  channels: number,
  stride: readonly [number, number],
  padding: readonly number[] | 'same',
  groups = 1,
): string {
  const pad = padding === 'same' ? "'same'" : bracket(padding);
  if (groups > 1) {
    const each = `${filters / groups} ${x(kernel)}×${channels / groups} convolutions`;
    return `${groups} groups of ${each} with stride ${bracket(stride)} and padding ${pad}`;
  }
  return `${filters} ${x(kernel)}×${channels} convolutions with stride ${bracket(stride)} and padding ${pad}`;
}

/** MATLAB's description of a pooling layer, e.g. `'3×3 max pooling with stride [2 2] and padding [0 0 0 0]'`. */
export function describePooling(
  max: boolean,
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: readonly number[] | 'same',
): string {
  const pad = padding === 'same' ? "'same'" : bracket(padding);
  return `${x(kernel)} ${max ? 'max' : 'average'} pooling with stride ${bracket(stride)} and padding ${pad}`;
}

/**
 * MATLAB's description of a transposed convolution, e.g.
 * `'64 4×4×64 transposed convolutions with stride [2 2] and cropping [1 1 1 1]'`.
 */
export function describeTransposedConvolution(
  filters: number,
  kernel: readonly [number, number],
  channels: number,
  stride: readonly [number, number],
  cropping: readonly number[] | 'same',
): string {
  const crop = cropping === 'same' ? "'same'" : bracket(cropping);
  return `${filters} ${x(kernel)}×${channels} transposed convolutions with stride ${bracket(stride)} and cropping ${crop}`;
}
