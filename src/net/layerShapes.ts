/**
 * Internal: the output size of every layer of a {@link Network} for a given input size, from the layers' geometry
 * (MATLAB's rule, output = floor((H + padTop + padBottom − k_eff) / stride) + 1 for convolution and pooling with
 * manual padding, ceil(H / stride) with `'same'` padding; (H − 1) × stride + k − cropping for a transposed
 * convolution, H × stride with `'same'` cropping), and the smallest input a layer can be computed from.
 * Works for every network: the channel counts and the sizes of layers that need the trained input size come from
 * each layer's `outputSize` (its size at `net.inputSize`). No tensor is made. Not exported from the package.
 */
import type { LayerInfo } from './types.js';

/** Why a layer cannot be computed for an input size. */
export type ShapeProblem =
  | { kind: 'too-small'; layer: string }
  | {
      kind: 'trained-size';
      /** The layer (on the way) that only works at the size it was trained at. */
      layer: string;
    };

/** Every layer's output size for one input size, and why the others cannot be computed. */
export interface ShapeTable {
  /** Output size by layer name (`[h, w, c]`, or `[c]` for a vector); null where it cannot be computed. */
  shapes: Map<string, number[] | null>;
  /** For each layer that cannot be computed, why (the first cause on the way to it). */
  problems: Map<string, ShapeProblem>;
}

const spatial = (s: readonly number[]) => s.length === 3;
/** Whether two sizes are the same. */
export const sameSize = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

/** One window op (convolution, pooling): its output `[h, w]`, or null when the input is too small. */
function windowOut(
  l: LayerInfo & { kernel: readonly number[]; stride: readonly number[]; padding: readonly number[] },
  h: number,
  w: number,
): [number, number] | null {
  const dil = 'dilation' in l ? (l.dilation as readonly number[]) : [1, 1];
  const kh = (l.kernel[0] - 1) * dil[0] + 1;
  const kw = (l.kernel[1] - 1) * dil[1] + 1;
  const [sh, sw] = l.stride;
  if ('paddingMode' in l && l.paddingMode === 'same') {
    return [Math.ceil(h / sh), Math.ceil(w / sw)];
  }
  const [pt, pb, pl, pr] = l.padding;
  if (h + pt + pb < kh || w + pl + pr < kw) return null;
  return [Math.floor((h + pt + pb - kh) / sh) + 1, Math.floor((w + pl + pr - kw) / sw) + 1];
}

/**
 * The output size of every layer for an input `[h, w, c]`, with the reason for each one that cannot be computed.
 * `measured`: the layers' `outputSize` are what the network gives at its input size (a Network's layers), so at that
 * size they are taken as they are; false while a table is being built from a description (sizes still to check).
 */
export function shapeTable(
  layers: readonly LayerInfo[],
  input: readonly [number, number, number],
  measured = true,
): ShapeTable {
  const shapes = new Map<string, number[] | null>();
  const problems = new Map<string, ShapeProblem>();
  const fail = (name: string, p: ShapeProblem) => {
    shapes.set(name, null);
    problems.set(name, p);
  };
  // At the size the network was measured at, every size is known: the rules below see only the layers' inputs, not
  // the constants an operation may broadcast against (a graph's `x − c` with `c` of another size), so they could
  // disagree with the network there and refuse the very image it was measured on.
  if (measured && layers[0]?.type === 'Image Input' && sameSize(layers[0].outputSize, input)) {
    for (const l of layers) shapes.set(l.name, [...l.outputSize]);
    return { shapes, problems };
  }
  for (const l of layers) {
    const blocked = l.inputs.find((n) => shapes.get(n) == null);
    if (l.type !== 'Image Input' && (l.inputs.length === 0 || blocked !== undefined)) {
      fail(l.name, problems.get(blocked ?? '') ?? { kind: 'too-small', layer: l.name });
      continue;
    }
    const ins = l.inputs.map((n) => shapes.get(n)!);
    const first = ins[0] ?? [...input];
    const declared = l.outputSize;
    const channels = declared.length > 0 ? declared[declared.length - 1] : first[first.length - 1];
    switch (l.type) {
      case 'Image Input':
        shapes.set(l.name, [input[0], input[1], input[2]]);
        break;
      case 'Convolution':
      case 'Grouped Convolution':
      case 'Max Pooling':
      case 'Average Pooling': {
        if (!spatial(first)) {
          fail(l.name, { kind: 'trained-size', layer: l.name });
          break;
        }
        const hw = windowOut(l, first[0], first[1]);
        if (!hw || hw[0] < 1 || hw[1] < 1) fail(l.name, { kind: 'too-small', layer: l.name });
        else {
          const c = l.type === 'Convolution' || l.type === 'Grouped Convolution' ? l.numFilters : first[2];
          shapes.set(l.name, [hw[0], hw[1], c]);
        }
        break;
      }
      case 'Padding': {
        if (!spatial(first)) {
          fail(l.name, { kind: 'trained-size', layer: l.name });
          break;
        }
        const [pt, pb, pl, pr] = l.padding;
        shapes.set(l.name, [first[0] + pt + pb, first[1] + pl + pr, first[2]]);
        break;
      }
      case 'Transposed Convolution': {
        if (!spatial(first)) {
          fail(l.name, { kind: 'trained-size', layer: l.name });
          break;
        }
        const up = (n: number, a: 0 | 1) =>
          l.croppingMode === 'same'
            ? n * l.stride[a]
            : (n - 1) * l.stride[a] + l.kernel[a] - l.cropping[2 * a] - l.cropping[2 * a + 1] + l.outputPadding[a];
        const hw = [up(first[0], 0), up(first[1], 1)];
        if (hw[0] < 1 || hw[1] < 1) fail(l.name, { kind: 'too-small', layer: l.name });
        else shapes.set(l.name, [hw[0], hw[1], l.numFilters]);
        break;
      }
      case 'Resize':
      case 'Crop 2D': {
        if (!spatial(first)) {
          fail(l.name, { kind: 'trained-size', layer: l.name });
          break;
        }
        const hw =
          l.type === 'Resize'
            ? [first[0] * l.scale[0], first[1] * l.scale[1]]
            : [first[0] - l.cropping[0] - l.cropping[1], first[1] - l.cropping[2] - l.cropping[3]];
        if (hw[0] < 1 || hw[1] < 1) fail(l.name, { kind: 'too-small', layer: l.name });
        else shapes.set(l.name, [hw[0], hw[1], first[2]]);
        break;
      }
      case 'Depth concatenation': {
        const ok = ins.every((s) => s.length === first.length && s.slice(0, -1).every((v, i) => v === first[i]));
        if (!ok) fail(l.name, { kind: 'trained-size', layer: l.name });
        else shapes.set(l.name, [...first.slice(0, -1), ins.reduce((sum, s) => sum + s[s.length - 1], 0)]);
        break;
      }
      case 'Addition':
      case 'Multiplication': {
        // Elementwise with broadcasting: each axis is the one size other than 1 the inputs have.
        const rank = Math.max(...ins.map((s) => s.length));
        const out: number[] = [];
        let ok = true;
        for (let a = 0; a < rank; a++) {
          const sizes = ins.map((s) => s[s.length - rank + a] ?? 1).filter((v) => v !== 1);
          if (sizes.some((v) => v !== sizes[0])) ok = false;
          out.push(sizes[0] ?? 1);
        }
        if (!ok) fail(l.name, { kind: 'trained-size', layer: l.name });
        else shapes.set(l.name, out);
        break;
      }
      case 'Global Average Pooling':
      case 'Global Max Pooling':
        shapes.set(l.name, declared.length === 1 ? [channels] : [1, 1, spatial(first) ? first[2] : channels]);
        break;
      case 'Network': {
        const inner = shapes.get(l.outputLayer);
        if (inner == null) fail(l.name, problems.get(l.outputLayer) ?? { kind: 'too-small', layer: l.name });
        else shapes.set(l.name, [...inner]);
        break;
      }
      case 'ReLU':
      case 'Clipped ReLU':
      case 'Leaky ReLU':
      case 'ELU':
      case 'Sigmoid':
      case 'Tanh':
      case 'Batch Normalization':
      case 'Layer Normalization':
      case 'Group Normalization':
      case 'Dropout':
      case 'Softmax':
      case 'Function':
        shapes.set(l.name, [...first]);
        break;
      case 'Fully Connected':
      case 'Flatten':
      case 'Other': {
        // A fully connected layer applied to each pixel (Keras's Dense on an image, ConvNeXt's pointwise layers)
        // keeps the image's size; on a whole image it needs its trained size.
        if (l.type === 'Fully Connected' && spatial(declared) && spatial(first)) {
          shapes.set(l.name, [first[0], first[1], channels]);
          break;
        }
        // Only at the size the network was trained at: its inputs must be as they are then.
        const declaredIns = l.inputs.map((n) => layers.find((k) => k.name === n)?.outputSize ?? []);
        if (ins.every((s, i) => sameSize(s, declaredIns[i]))) shapes.set(l.name, [...declared]);
        else fail(l.name, { kind: 'trained-size', layer: l.name });
        break;
      }
      default: {
        // Every type is handled above; a new entry of LAYER_TYPES makes this a compile error until it is.
        const unhandled: never = l;
        throw new Error(`layerShapes: unhandled layer type ${(unhandled as LayerInfo).type}`);
      }
    }
  }
  return { shapes, problems };
}

/** The output size of every layer for an input `[h, w, c]`, by name; null where the input does not allow it. */
export function layerShapes(
  layers: readonly LayerInfo[],
  input: readonly [number, number, number],
  measured = true,
): Map<string, number[] | null> {
  return shapeTable(layers, input, measured).shapes;
}

/**
 * The smallest `[height, width]` of an input image from which `layerName` can be computed, or null when the layer
 * needs the trained input size (no other size works).
 */
export function minimumInputSize(layers: readonly LayerInfo[], layerName: string): [number, number] | null {
  // Height and width follow the same rules independently; feed a tall (resp. wide) image to find each bound.
  const big = 1 << 14;
  const c = layers[0]?.outputSize[2] ?? 3;
  const fits = (h: number, w: number) => layerShapes(layers, [h, w, c]).get(layerName) != null;
  if (!fits(big, big)) return null;
  const search = (probe: (n: number) => boolean) => {
    // Computable sizes form a range [min, ∞) for every layer type above: bisect it.
    let lo = 1;
    let hi = big;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (probe(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return [search((n) => fits(n, big)), search((n) => fits(big, n))];
}

/**
 * Why `layerName` cannot be computed from an image of `[h, w]`, as the end of a sentence "expected 'img' to be …", or
 * null when it can.
 */
export function sizeProblem(
  layers: readonly LayerInfo[],
  layerName: string,
  [h, w, c]: readonly [number, number, number],
  trainedSize: readonly [number, number],
): string | null {
  const table = shapeTable(layers, [h, w, c]);
  if (table.shapes.get(layerName) != null) return null;
  const p = table.problems.get(layerName);
  if (p?.kind === 'trained-size') {
    return (
      `${trainedSize[0]}×${trainedSize[1]} pixels (the size the network was trained at) to compute layer ` +
      `'${layerName}': layer '${p.layer}' on the way needs that size (pass { resize: true })`
    );
  }
  const min = minimumInputSize(layers, layerName);
  if (!min) {
    return (
      `${trainedSize[0]}×${trainedSize[1]} pixels (the size the network was trained at) to compute layer ` +
      `'${layerName}' (pass { resize: true })`
    );
  }
  return `at least ${min[0]}×${min[1]} pixels to compute layer '${layerName}' (or pass { resize: true })`;
}
