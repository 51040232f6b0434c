/**
 * A class given as a 0-based index or a label, as every method that explains a class takes it. Not exported from the
 * package.
 */
import { oneOrList } from '../internal/limits.js';
import { describeValue, rangeError, typeError } from '../internal/validate.js';
import { closestNames, listQuoted } from './closestNames.js';
import type { Network } from './types.js';

/**
 * The number of classes: the size of the last axis of the network's output (a network may have no class names). An
 * output of one number per image (size `[]`, a regression whose graph squeezes its last axis) is one value.
 */
export function classCount(net: Network): number {
  const out = net.layers[net.layers.length - 1].outputSize;
  return out.length === 0 ? 1 : out[out.length - 1];
}

/** Whether a layer's output of `shape` (per image) holds exactly one value per class of `net`. */
export function givesClassScores(net: Network, shape: readonly number[]): boolean {
  return shape.reduce((a, b) => a * b, 1) === classCount(net);
}

/**
 * Checks that the network ends in one score per class (`[1, 1, c]` or `[c]`), as ranking classes needs: the class
 * index would otherwise pick a value at the first position of a larger output (a segmentation network's, say) and
 * answer silently wrong. (Occlusion sensitivity and LIME take any output: a channel's sum over its positions.)
 * @throws {RangeError} naming the output layer and its size.
 */
export function assertClassifier(fn: string, net: Network): void {
  const last = net.layers[net.layers.length - 1];
  const out = last.outputSize;
  if (!givesClassScores(net, out)) {
    throw new RangeError(
      `${fn}: expected 'net' to end in one score per class ([1, 1, c] or [c]), got ${net.name}, whose output ` +
        `'${last.name}' is [${out.join(', ')}]`,
    );
  }
}

/**
 * The 0-based index of a class: `classOrLabel` is an index into `net.classNames` (MATLAB's class k is index k - 1) or
 * one of its names.
 * @throws {TypeError} for neither a number nor a string; {RangeError} for an index out of range, an unknown name
 *   (the message lists the closest names) or a name that several classes share.
 */
export function resolveClass(fn: string, net: Network, classOrLabel: unknown, arg = 'classOrLabel'): number {
  const names = net.classNames;
  const count = classCount(net);
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
  // Two classes of one name (ImageNet's lists have 'crane', the bird and the machine): either one would be a guess.
  const again = names.indexOf(classOrLabel, index + 1);
  if (again >= 0) {
    throw new RangeError(
      `${fn}: expected '${arg}' to name one class, got ${describeValue(classOrLabel)}, the name of classes ${index} ` +
        `and ${again}; pass the index`,
    );
  }
  return index;
}

/**
 * The classes that an interpretability method explains: one class (`classOrLabels` a number or a name) or several (an
 * array of them, MATLAB's vector `label` or `channelIdx`, one map each). `several` tells the two apart, so that one
 * class keeps its map's shape.
 * @throws {TypeError|RangeError} as {@link resolveClass} does for an element (named `classOrLabel[i]`), or for an
 *   empty array.
 */
export function resolveClasses(
  fn: string,
  net: Network,
  classOrLabels: unknown,
  arg = 'classOrLabel',
): { classes: number[]; several: boolean } {
  const what = 'a class (index or name) or a non-empty array of classes';
  const { items, list } = oneOrList(fn, arg, classOrLabels, what, (c, name) => resolveClass(fn, net, c, name));
  return { classes: items, several: list };
}
