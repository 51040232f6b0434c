/**
 * A class given as a 0-based index or a label, as every method that explains a class takes it. Not exported from the
 * package.
 */
import { describeValue, rangeError, typeError } from '../internal/validate.js';
import { closestNames, listQuoted } from './closestNames.js';
import type { Network } from './types.js';

/**
 * The 0-based index of a class: `classOrLabel` is an index into `net.classNames` (MATLAB's class k is index k - 1) or
 * one of its names.
 * @throws {TypeError} for neither a number nor a string; {RangeError} for an index out of range or an unknown name
 *   (the message lists the closest names).
 */
export function resolveClass(fn: string, net: Network, classOrLabel: unknown, arg = 'classOrLabel'): number {
  const names = net.classNames;
  // The number of classes is the size of the last layer's output (a network may have no class names).
  const out = net.layers[net.layers.length - 1].outputSize;
  const count = out[out.length - 1] ?? names.length;
  if (typeof classOrLabel === 'number') {
    if (!Number.isInteger(classOrLabel) || classOrLabel < 0 || classOrLabel >= count) {
      const what =
        names.length > 0
          ? 'a 0-based class index in [0, ' + (count - 1) + '] or a class name'
          : `a 0-based class index in [0, ${count - 1}] (the network has no class names)`;
      throw rangeError(fn, arg, what, classOrLabel);
    }
    return classOrLabel;
  }
  if (typeof classOrLabel !== 'string') {
    throw typeError(fn, arg, 'a 0-based class index (integer) or a class name (string)', classOrLabel);
  }
  const index = names.indexOf(classOrLabel);
  if (index < 0) {
    throw new RangeError(
      `${fn}: expected '${arg}' to be a class name of ${net.name}, got ${describeValue(classOrLabel)}; ` +
        `did you mean ${listQuoted(closestNames(classOrLabel, names))}?`,
    );
  }
  return index;
}
