/**
 * Internal: activation sizes of every layer of a {@link Network} for a given input size, from MATLAB's rules
 * (output = floor((H + padTop + padBottom − k) / stride) + 1 for convolution and pooling), and the smallest input
 * that a layer can be computed from. Not exported from the package.
 */
import type { LayerInfo } from './types.js';

/** `[h, w, c]` of each layer's output, by layer name; `null` where the input is too small for that layer. */
export function layerShapes(
  layers: readonly LayerInfo[],
  input: readonly [number, number, number],
): Map<string, [number, number, number] | null> {
  const out = new Map<string, [number, number, number] | null>();
  for (const l of layers) {
    const ins = l.inputs.map((n) => out.get(n) ?? null);
    if (l.type !== 'Image Input' && (ins.length === 0 || ins.some((s) => s === null))) {
      out.set(l.name, null);
      continue;
    }
    const [h, w, c] = ins[0] ?? input;
    switch (l.type) {
      case 'Image Input':
        out.set(l.name, [input[0], input[1], input[2]]);
        break;
      case 'Convolution':
      case 'Max Pooling':
      case 'Average Pooling': {
        const [kh, kw] = l.kernel;
        const [sh, sw] = l.stride;
        const [pt, pb, pl, pr] = l.padding;
        const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
        const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
        const oc = l.type === 'Convolution' ? l.numFilters : c;
        out.set(l.name, oh >= 1 && ow >= 1 && h + pt + pb >= kh && w + pl + pr >= kw ? [oh, ow, oc] : null);
        break;
      }
      case 'Depth concatenation': {
        const same = ins.every((s) => s![0] === h && s![1] === w);
        out.set(l.name, same ? [h, w, ins.reduce((sum, s) => sum + s![2], 0)] : null);
        break;
      }
      case 'Global Average Pooling':
        out.set(l.name, [1, 1, c]);
        break;
      case 'ReLU':
      case 'Dropout':
      case 'Softmax':
        out.set(l.name, [h, w, c]);
        break;
      default: {
        // Every type is handled above; a new entry of LAYER_TYPES makes this a compile error until it is.
        const unhandled: never = l;
        throw new Error(`layerShapes: unhandled layer type ${(unhandled as LayerInfo).type}`);
      }
    }
  }
  return out;
}

/** The smallest `[height, width]` of an input image from which `layerName` can be computed. */
export function minimumInputSize(layers: readonly LayerInfo[], layerName: string): [number, number] {
  // Height and width follow the same rules independently; feed a tall (resp. wide) image to find each bound.
  const big = 1 << 14;
  const fits = (h: number, w: number) => layerShapes(layers, [h, w, 3]).get(layerName) != null;
  const search = (probe: (n: number) => boolean) => {
    let n = 1;
    while (n <= big && !probe(n)) n++;
    return n;
  };
  return [search((n) => fits(n, big)), search((n) => fits(big, n))];
}
