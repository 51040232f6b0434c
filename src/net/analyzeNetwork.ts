/**
 * `analyzeNetwork(net)`: MATLAB's layer table (the data behind its Network Analyzer app) as plain data.
 */
import { listArg } from '../internal/limits.js';
import { assertInteger, assertOptions, rangeError, typeError } from '../internal/validate.js';
import { minimumInputSize, shapeTable } from './layerShapes.js';
import { assertNetwork, engineOf } from './network.js';
import type { LayerType, Network } from './types.js';

/** Options of {@link analyzeNetwork}. */
export interface AnalyzeNetworkOptions {
  /** The input image size `[h, w]` or `[h, w, 3]` the activation sizes are computed for. @default net.inputSize */
  inputSize?: readonly number[];
}

/** One row of the layer table. */
export interface LayerAnalysis {
  /** 0-based index (what `activations` takes). */
  index: number;
  /** MATLAB's 1-based index (the "#" column). */
  matlabIndex: number;
  /** MATLAB's layer name. */
  name: string;
  /** MATLAB's display type. */
  type: LayerType;
  /** MATLAB's one-line description. */
  description: string;
  /** The layers feeding this one. */
  inputs: string[];
  /** Activation size for the analysed input size: `[h, w, c]`, or `[c]` for a vector. */
  activations: number[];
  /**
   * Learnable sizes by MATLAB's names: for a convolution `Weights` h×w×Cin×F and `Bias` 1×1×F (built-in networks, in
   * MATLAB's layout); for a user's model the tensors' own shapes (`Weights`, `Bias`, `Scale`, `Offset`,
   * `TrainedMean`, …). `{}` for a layer without any.
   */
  learnables: Record<string, number[]>;
  /** Number of learnable values of the layer. */
  numLearnables: number;
}

/** What {@link analyzeNetwork} returns. `toString()` renders it as a text table. */
export interface NetworkAnalysis {
  /** The network's name. */
  name: string;
  /** The input size analysed, `[h, w, c]`. */
  inputSize: [number, number, number];
  /** One row per layer, in MATLAB's order. */
  layers: LayerAnalysis[];
  /** Sum of `numLearnables` (MATLAB's "Total learnables"). */
  totalLearnables: number;
  /** The table as fixed-width text, like MATLAB's Network Analyzer. */
  toString(): string;
}

const FN = 'analyzeNetwork';
/** A size as MATLAB prints one, `14×14×512`; one number (a size `[]`) is `1`. */
const x = (a: readonly number[]) => (a.length === 0 ? '1' : a.join('×'));

function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function render(a: Omit<NetworkAnalysis, 'toString'>): string {
  const rows = a.layers.map((l) => [
    String(l.matlabIndex),
    l.name,
    l.type,
    x(l.activations),
    Object.keys(l.learnables).length > 0
      ? Object.entries(l.learnables)
          .map(([k, v]) => `${k} ${x(v)}`)
          .join(', ')
      : '-',
    l.description,
  ]);
  const head = ['#', 'Name', 'Type', 'Activations', 'Learnables', 'Description'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === 0 ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const total = a.totalLearnables.toLocaleString('en-US');
  return [
    `${a.name}: ${a.layers.length} layers, input ${x(a.inputSize)}, total learnables ${total} (${formatCount(a.totalLearnables)})`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

/**
 * MATLAB's `analyzeNetwork(net)` as data: for each layer its 0-based and 1-based index, name, type, description,
 * activation size `[h, w, c]` for an input size, learnable sizes in MATLAB's layout (`Weights` h×w×Cin×F,
 * `Bias` 1×1×F) and counts, and the total (MATLAB's "Total learnables"). `String(result)` gives a readable table.
 *
 * Pure bookkeeping: no tensor is made. MATLAB's final classification-output layer, which has no activations, is not
 * listed.
 *
 * @param net A loaded network (a built-in one, or from `toNetwork` / `importNetwork`).
 * @param options `inputSize` `[h, w]` or `[h, w, c]` (default `net.inputSize`); any size from the network's
 *   minimum up (the error names it).
 * @returns A new plain object; nothing to dispose.
 * @throws {TypeError} if `net` is not a live network, or `inputSize` is not an array.
 * @throws {RangeError} if `inputSize` has the wrong length, non-integers, 1 or 2 channels, or is too small.
 * @example
 * const info = analyzeNetwork(net);
 * info.layers[1];          // { name: 'conv1', activations: [113, 113, 64], learnables: { Weights: [3, 3, 3, 64], Bias: [1, 1, 64] }, numLearnables: 1792, ... }
 * console.log(String(info));
 */
export function analyzeNetwork(net: Network, options?: AnalyzeNetworkOptions): NetworkAnalysis {
  assertNetwork(FN, net);
  const opts = assertOptions<AnalyzeNetworkOptions>(FN, options, ['inputSize']);
  let size: [number, number, number] = [...net.inputSize];
  if (opts.inputSize !== undefined) {
    const s = listArg(FN, 'options.inputSize', opts.inputSize);
    if (!Array.isArray(s)) throw typeError(FN, 'options.inputSize', 'an array [h, w] or [h, w, 3]', s);
    if (s.length !== 2 && s.length !== 3) throw rangeError(FN, 'options.inputSize', 'an array [h, w] or [h, w, 3]', s);
    s.forEach((v, i) => {
      assertInteger(FN, `options.inputSize[${i}]`, v, 1);
    });
    if (s.length === 3 && s[2] !== net.inputSize[2]) {
      throw rangeError(FN, 'options.inputSize[2]', `${net.inputSize[2]} (the network's channels)`, s[2]);
    }
    size = [s[0], s[1], net.inputSize[2]];
  }
  const table = shapeTable(net.layers, size);
  const last = net.layers[net.layers.length - 1].name;
  if (table.shapes.get(last) == null) {
    const p = table.problems.get(last);
    const min = p?.kind === 'too-small' ? minimumInputSize(net.layers, last) : null;
    const [H, W] = net.inputSize;
    throw rangeError(
      FN,
      'options.inputSize',
      min
        ? `at least ${min[0]}×${min[1]} for ${net.name}`
        : `${H}×${W}, the size ${net.name} was trained at (its layer '${p?.layer ?? last}' needs it)`,
      opts.inputSize,
    );
  }
  const engine = engineOf(net);
  const layers: LayerAnalysis[] = net.layers.map((l) => {
    const learnables: Record<string, number[]> = {};
    if (net.kind === 'built-in') {
      if (l.type === 'Convolution') {
        learnables.Weights = [l.kernel[0], l.kernel[1], l.numChannels, l.numFilters];
        learnables.Bias = [1, 1, l.numFilters];
      }
    } else {
      for (const [k, t] of Object.entries(engine.learnables(l))) learnables[k] = [...t.shape];
    }
    return {
      index: l.index,
      matlabIndex: l.matlabIndex,
      name: l.name,
      type: l.type,
      description: l.description,
      inputs: [...l.inputs],
      activations: table.shapes.get(l.name)!,
      learnables,
      numLearnables: l.numLearnables,
    };
  });
  const analysis = {
    name: net.name,
    inputSize: size,
    layers,
    totalLearnables: layers.reduce((s, l) => s + l.numLearnables, 0),
  };
  return { ...analysis, toString: () => render(analysis) };
}
