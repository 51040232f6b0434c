/**
 * A graph model's forward pass as a list of steps made once, for the operations image classifiers are made of.
 *
 * TF.js's graph executor works out every node's attributes, inputs and lifetimes again on each call; in a profile of
 * passes on two wasm threads that JavaScript took about 1.2 ms a pass, on the one thread that also dispatches every
 * kernel. A plan reads the model's GraphDef once per set of requested nodes: the nodes they need, in order, each
 * with its attributes decoded and its constant inputs resolved to numbers, and, for every intermediate tensor, the
 * step after which nothing needs it any more. A pass then only calls the same TF.js operations the executor would
 * call, with the same arguments, so that its results are the executor's bit for bit.
 *
 * A graph with any operation, attribute or input form outside what is listed here gets no plan (`compilePlan`
 * returns null) and runs through `GraphModel.execute` as before. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { type GraphDefAttr, type GraphDefNode, graphDefNodes, inputNodeName } from './tfjsInternals.js';

/** A compiled forward pass: the requested nodes' tensors for a fed input, in the order asked. */
export type Plan = (input: tf.Tensor) => tf.Tensor[];

/** One operation of a step, from its inputs' tensors: one tensor, or several for an operation with several outputs. */
type Op = (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

interface Step {
  /** The slots the results go to, one for each of the operation's outputs. */
  outs: number[];
  /** The slots of the inputs (constants are resolved into `op`). */
  ins: number[];
  op: Op;
  /** Slots whose tensors no later step or output needs: freed after this step. */
  free: number[];
}

/** A string attribute (base64 in model.json). */
function str(a: GraphDefAttr | undefined): string | undefined {
  if (a?.s === undefined) return undefined;
  try {
    return atob(a.s);
  } catch {
    return undefined;
  }
}

/** An integer-list attribute. */
function ints(a: GraphDefAttr | undefined): number[] | undefined {
  const list = a?.list?.i;
  return Array.isArray(list) ? list.map(Number) : undefined;
}

/** A string-list attribute. */
function strs(a: GraphDefAttr | undefined): string[] | undefined {
  const list = a?.list?.s;
  return Array.isArray(list) ? list.map((s) => atob(s)) : undefined;
}

/** Thrown inside compilation for anything a plan does not cover; never leaves this module. */
class Unsupported extends Error {}

function need<T>(v: T | undefined | null, what: string): T {
  if (v === undefined || v === null) throw new Unsupported(what);
  return v;
}

/** `[[t, b], [l, r]]`-style padding of an NHWC operation, as TF.js's executor passes it. */
function padding(
  node: GraphDefNode,
): 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]] {
  const p = need(str(node.attr?.padding), 'padding').toLowerCase();
  if (p === 'valid' || p === 'same') return p;
  if (p !== 'explicit') throw new Unsupported(`padding ${p}`);
  const e = need(ints(node.attr?.explicit_paddings), 'explicit_paddings');
  if (e.length !== 8) throw new Unsupported('explicit_paddings');
  return [
    [e[0], e[1]],
    [e[2], e[3]],
    [e[4], e[5]],
    [e[6], e[7]],
  ];
}

/** Checks the NHWC layout and returns `[1, a, b, 1]`-style attribute `name`'s middle pair. */
function spatial(node: GraphDefNode, name: string): [number, number] {
  const v = need(ints(node.attr?.[name]), name);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1) throw new Unsupported(name);
  return [v[1], v[2]];
}

function nhwc(node: GraphDefNode): void {
  const f = str(node.attr?.data_format);
  if (f !== undefined && f !== 'NHWC') throw new Unsupported(`data_format ${f}`);
}

/** A convolution's NHWC strides, dilations and padding, as TF.js's executor reads them (checking the layout). */
function convolutionGeometry(node: GraphDefNode) {
  nhwc(node);
  return { strides: spatial(node, 'strides'), dilations: spatial(node, 'dilations'), pad: padding(node) };
}

/**
 * The activation of a fused operation (`_FusedConv2D`, `FusedDepthwiseConv2dNative`, `_FusedMatMul`): bias alone, or
 * bias then ReLU, ReLU6 or PReLU (whose slopes are a fourth input), as converted layers carry them.
 */
function fusedActivation(node: GraphDefNode): 'linear' | 'relu' | 'relu6' | 'prelu' {
  const fused = need(strs(node.attr?.fused_ops), 'fused_ops').map((f) => f.toLowerCase());
  const act = fused[1] ?? 'linear';
  const args = act === 'prelu' ? 2 : 1;
  const numArgs = Number(node.attr?.num_args?.i ?? 0);
  if (fused[0] !== 'biasadd' || numArgs !== args || fused.length > 2 || (node.input?.length ?? 0) !== 2 + args) {
    throw new Unsupported('fused_ops');
  }
  if (act !== 'linear' && act !== 'relu' && act !== 'relu6' && act !== 'prelu') {
    throw new Unsupported(`activation ${act}`);
  }
  return act;
}

/** The operations of one tensor a plan calls as TF.js's executor does, by TensorFlow's name. */
const UNARY = new Map<string, (x: tf.Tensor) => tf.Tensor>([
  ['Relu', tf.relu],
  ['Relu6', tf.relu6],
  ['Sigmoid', tf.sigmoid],
  ['Softmax', (x) => tf.softmax(x)],
  ['Tanh', tf.tanh],
  ['Abs', tf.abs],
  ['Square', tf.square],
  ['Sqrt', tf.sqrt],
  ['Rsqrt', tf.rsqrt],
  ['Exp', tf.exp],
]);

/** The operations of two tensors a plan calls as TF.js's executor does (`BiasAdd` is an addition too, NHWC only). */
const BINARY = new Map<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>([
  ['Add', tf.add],
  ['AddV2', tf.add],
  ['Sub', tf.sub],
  ['Mul', tf.mul],
  ['RealDiv', tf.div],
  ['Div', tf.div],
  ['Maximum', tf.maximum],
  ['Minimum', tf.minimum],
  ['Prelu', tf.prelu],
  ['FloorDiv', tf.floorDiv],
  ['SquaredDifference', tf.squaredDifference],
]);

/**
 * The operations a plan also runs on int32 tensors: those of the chains that read a tensor's shape and make another
 * shape of it (`Shape`, a slice, a product, `Pack`) for a `Reshape` or a transposed convolution, and those that turn
 * the position of a heat map's peak into indices (`ArgMax`, a floor division, `Pack`) for a `GatherNd`.
 */
const INT32_OPS: ReadonlySet<string> = new Set([
  ...['StridedSlice', 'Pack', 'Unpack', 'ConcatV2', 'Reshape', 'ExpandDims', 'Squeeze', 'Identity'],
  ...['Mul', 'Add', 'AddV2', 'Sub', 'FloorDiv'],
]);

/** The most outputs a plan gives one node's slots; a node declaring more runs through the executor. */
const MAX_OUTPUTS = 4096;

/** The parts of a reference to output k of a node or layer, `name:k`; null for a name without `:k`. */
export function outputRef(ref: string): { name: string; k: number } | null {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m ? { name: m[1], k: Number(m[2]) } : null;
}

/**
 * How many outputs a node gives that a caller may ask for by name (`name:k`): the parts of a `Split` or `SplitV`
 * (`num_split`), the slices of an `Unpack` (`num`), a top-k's values and indices, an `IdentityN`'s tensors; 1 for any
 * other operation (whose further outputs, such as a batch normalization's statistics, TF.js does not compute) and
 * for a count a model file declares outside 1 to 4096.
 */
export function outputCount(node: GraphDefNode): number {
  const declared =
    node.op === 'Split' || node.op === 'SplitV'
      ? Number(node.attr?.num_split?.i)
      : node.op === 'Unpack'
        ? Number(node.attr?.num?.i)
        : node.op === 'TopKV2'
          ? 2
          : node.op === 'IdentityN'
            ? (node.input ?? []).filter((r) => !r.startsWith('^')).length
            : 1;
  return Number.isInteger(declared) && declared >= 1 && declared <= MAX_OUTPUTS ? declared : 1;
}

/** The dtypes a plan's `Cast` gives and takes, by TensorFlow's name. */
const CAST_TYPES = new Map<string, 'float32' | 'int32'>([
  ['DT_FLOAT', 'float32'],
  ['DT_INT32', 'int32'],
]);

/** A tensor's values as numbers, read synchronously, as TF.js's executor reads an operation's number arguments. */
const numbers = (x: tf.Tensor) => Array.from(x.dataSync() as ArrayLike<number>);

/** A shape without its sizes of 1 (the shape `tf.squeeze` gives). */
const squeezed = (shape: readonly number[]) => shape.filter((d) => d !== 1);

/**
 * The operations a plan covers, float32 (and int32 for {@link INT32_OPS}); `k(i)` reads constant input `i` as numbers,
 * once, at compile time, and `isConstant(i)` says whether input `i` is a constant.
 */
function makeOp(
  node: GraphDefNode,
  k: (i: number) => number[],
  isConstant: (i: number) => boolean,
  n: number,
): { op: Op; tensorInputs: number[]; outputs?: number } {
  const t = node.attr?.T?.type;
  if (t !== undefined && t !== 'DT_FLOAT' && !(t === 'DT_INT32' && INT32_OPS.has(node.op))) {
    throw new Unsupported(`T ${t}`);
  }
  const unary = UNARY.get(node.op);
  if (unary) return { op: (xs) => unary(xs[0]), tensorInputs: [0] };
  const binary = BINARY.get(node.op);
  if (binary) return { op: (xs) => binary(xs[0], xs[1]), tensorInputs: [0, 1] };
  switch (node.op) {
    case 'Identity':
      return { op: (xs) => xs[0], tensorInputs: [0] };
    case 'Squeeze': {
      const axis = ints(node.attr?.axis) ?? ints(node.attr?.squeeze_dims);
      return { op: (xs) => tf.squeeze(xs[0], axis), tensorInputs: [0] };
    }
    case '_FusedConv2D':
    case 'FusedDepthwiseConv2dNative': {
      const { strides, dilations, pad } = convolutionGeometry(node);
      const activation = fusedActivation(node);
      const args = (xs: tf.Tensor[]) => ({
        x: xs[0] as tf.Tensor4D,
        filter: xs[1] as tf.Tensor4D,
        bias: xs[2],
        strides,
        dataFormat: 'NHWC' as const,
        dilations,
        activation,
        preluActivationWeights: xs[3],
      });
      const tensorInputs = activation === 'prelu' ? [0, 1, 2, 3] : [0, 1, 2];
      if (node.op === '_FusedConv2D') {
        return { op: (xs) => tf.fused.conv2d({ ...args(xs), pad }), tensorInputs };
      }
      // TF.js types a depthwise convolution's padding as 'valid' or 'same' only.
      if (typeof pad !== 'string') throw new Unsupported('depthwise padding');
      return { op: (xs) => tf.fused.depthwiseConv2d({ ...args(xs), pad }), tensorInputs };
    }
    case '_FusedMatMul': {
      const activation = fusedActivation(node);
      const transposeA = node.attr?.transpose_a?.b === true;
      const transposeB = node.attr?.transpose_b?.b === true;
      const preluInputs = activation === 'prelu' ? [3] : [];
      return {
        op: (xs) =>
          tf.fused.matMul({
            a: xs[0],
            b: xs[1],
            transposeA,
            transposeB,
            bias: xs[2],
            activation,
            preluActivationWeights: xs[3],
          }),
        tensorInputs: [0, 1, 2, ...preluInputs],
      };
    }
    case 'Conv2D':
    case 'DepthwiseConv2dNative': {
      const { strides, dilations, pad } = convolutionGeometry(node);
      if (node.op === 'Conv2D') {
        return {
          op: (xs) => tf.conv2d(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, strides, pad, 'NHWC', dilations),
          tensorInputs: [0, 1],
        };
      }
      if (typeof pad !== 'string') throw new Unsupported('depthwise padding');
      return {
        op: (xs) => tf.depthwiseConv2d(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, strides, pad, 'NHWC', dilations),
        tensorInputs: [0, 1],
      };
    }
    case 'AddN':
      if (n < 1) throw new Unsupported('AddN');
      return { op: (xs) => tf.addN(xs), tensorInputs: Array.from({ length: n }, (_, i) => i) };
    case 'Reshape': {
      // A shape computed in the graph (from a `Shape`) is read on each call, as the executor reads it.
      if (!isConstant(1)) return { op: (xs) => tf.reshape(xs[0], numbers(xs[1])), tensorInputs: [0, 1] };
      const shape = k(1);
      return { op: (xs) => tf.reshape(xs[0], shape), tensorInputs: [0] };
    }
    case 'Shape': {
      // TF.js gives int32 whatever the graph's out_type.
      const out = node.attr?.out_type?.type;
      if (out !== undefined && out !== 'DT_INT32' && out !== 'DT_INT64') throw new Unsupported(`out_type ${out}`);
      return { op: (xs) => tf.tensor1d(xs[0].shape, 'int32'), tensorInputs: [0] };
    }
    case 'Pack': {
      const count = Number(node.attr?.N?.i ?? n);
      if (count !== n || n < 1) throw new Unsupported('N');
      const axis = Number(node.attr?.axis?.i ?? 0);
      // As the executor: a tensor of another shape is reshaped to the first one's when they differ only in sizes of 1.
      const op: Op = (xs) =>
        tf.tidy(() => {
          const shape = xs[0].shape;
          const same = xs.map((x) => {
            if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x;
            if (squeezed(x.shape).join() !== squeezed(shape).join()) {
              throw new Error('the input tensors shape does not match');
            }
            return tf.reshape(x, shape);
          });
          return tf.stack(same, axis);
        });
      return { op, tensorInputs: Array.from({ length: n }, (_, i) => i) };
    }
    case 'Cast': {
      const to = CAST_TYPES.get(node.attr?.DstT?.type ?? '');
      if (!to || !CAST_TYPES.has(node.attr?.SrcT?.type ?? '')) throw new Unsupported('Cast');
      return { op: (xs) => tf.cast(xs[0], to), tensorInputs: [0] };
    }
    case 'ArgMax': {
      // TF.js gives int32 for either output type.
      const out = node.attr?.output_type?.type;
      if (out !== undefined && out !== 'DT_INT32' && out !== 'DT_INT64') throw new Unsupported(`output_type ${out}`);
      const [axis] = k(1);
      return { op: (xs) => tf.argMax(xs[0], axis), tensorInputs: [0] };
    }
    case 'GatherNd': {
      const params = node.attr?.Tparams?.type;
      if ((params !== 'DT_FLOAT' && params !== 'DT_INT32') || node.attr?.Tindices?.type !== 'DT_INT32') {
        throw new Unsupported('GatherNd types');
      }
      return { op: (xs) => tf.gatherND(xs[0], xs[1]), tensorInputs: [0, 1] };
    }
    case 'Unpack': {
      // The count a model file declares, before a slot is made for each: a damaged or hostile file may say 2^31.
      const num = Number(need(node.attr?.num?.i, 'num'));
      if (!Number.isInteger(num) || num < 1 || num > MAX_OUTPUTS) throw new Unsupported('num');
      const axis = Number(node.attr?.axis?.i ?? 0);
      const op: Op = (xs) => {
        const parts = tf.unstack(xs[0], axis);
        if (parts.length !== num) {
          tf.dispose(parts);
          throw new Error(`the graph's node '${node.name}' unstacks ${parts.length} tensors where it declares ${num}`);
        }
        return parts;
      };
      return { op, tensorInputs: [0], outputs: num };
    }
    case 'DepthToSpace': {
      nhwc(node);
      const block = Number(need(node.attr?.block_size?.i, 'block_size'));
      return { op: (xs) => tf.depthToSpace(xs[0] as tf.Tensor4D, block, 'NHWC'), tensorInputs: [0] };
    }
    case 'MaxPool':
    case 'AvgPool': {
      nhwc(node);
      const size = spatial(node, 'ksize');
      const strides = spatial(node, 'strides');
      const pad = padding(node);
      if (typeof pad !== 'string') throw new Unsupported('pool padding');
      const pool = node.op === 'MaxPool' ? tf.maxPool : tf.avgPool;
      return { op: (xs) => pool(xs[0] as tf.Tensor4D, size, strides, pad), tensorInputs: [0] };
    }
    case 'Pad': {
      const p = k(1);
      const pairs = Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i], p[2 * i + 1]] as [number, number]);
      return { op: (xs) => tf.pad(xs[0], pairs), tensorInputs: [0] };
    }
    case 'Mean': {
      const axes = k(1);
      const keepDims = node.attr?.keep_dims?.b === true;
      return { op: (xs) => tf.mean(xs[0], axes, keepDims), tensorInputs: [0] };
    }
    case 'BiasAdd':
      nhwc(node);
      return { op: (xs) => tf.add(xs[0], xs[1]), tensorInputs: [0, 1] };
    case 'Max':
    case 'Min':
    case 'Sum': {
      const axes = k(1);
      const keepDims = node.attr?.keep_dims?.b === true;
      const reduce = node.op === 'Max' ? tf.max : node.op === 'Min' ? tf.min : tf.sum;
      return { op: (xs) => reduce(xs[0], axes, keepDims), tensorInputs: [0] };
    }
    case 'MatMul': {
      const transposeA = node.attr?.transpose_a?.b === true;
      const transposeB = node.attr?.transpose_b?.b === true;
      return { op: (xs) => tf.matMul(xs[0], xs[1], transposeA, transposeB), tensorInputs: [0, 1] };
    }
    case 'ResizeBilinear': {
      const [h, w] = k(1);
      const alignCorners = node.attr?.align_corners?.b === true;
      const halfPixelCenters = node.attr?.half_pixel_centers?.b === true;
      return {
        op: (xs) => tf.image.resizeBilinear(xs[0] as tf.Tensor4D, [h, w], alignCorners, halfPixelCenters),
        tensorInputs: [0],
      };
    }
    case 'Conv2DBackpropInput': {
      // A transposed convolution: inputs (output size, filter, input). A dilated one the library reroutes (graphOps).
      const { strides, dilations, pad } = convolutionGeometry(node);
      if (dilations[0] !== 1 || dilations[1] !== 1) throw new Unsupported('dilated Conv2DBackpropInput');
      type Shape4 = [number, number, number, number];
      if (!isConstant(0)) {
        return {
          op: (xs) =>
            tf.conv2dTranspose(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, numbers(xs[2]) as Shape4, strides, pad),
          tensorInputs: [2, 1, 0],
        };
      }
      const shape = k(0) as Shape4;
      return {
        op: (xs) => tf.conv2dTranspose(xs[0] as tf.Tensor4D, xs[1] as tf.Tensor4D, shape, strides, pad),
        tensorInputs: [2, 1],
      };
    }
    case 'ExpandDims': {
      const [axis] = k(1);
      return { op: (xs) => tf.expandDims(xs[0], axis), tensorInputs: [0] };
    }
    case 'StridedSlice': {
      const [begin, end, strides] = [k(1), k(2), k(3)];
      const mask = (name: string) => Number(node.attr?.[name]?.i ?? 0);
      const masks = ['begin_mask', 'end_mask', 'ellipsis_mask', 'new_axis_mask', 'shrink_axis_mask'].map(mask);
      return {
        op: (xs) => tf.stridedSlice(xs[0], begin, end, strides, ...(masks as [number, number, number, number, number])),
        tensorInputs: [0],
      };
    }
    case 'ConcatV2': {
      const count = Number(node.attr?.N?.i ?? n - 1);
      if (count !== n - 1 || count < 1) throw new Unsupported('N');
      const [axis] = k(n - 1);
      return { op: (xs) => tf.concat(xs, axis), tensorInputs: Array.from({ length: count }, (_, i) => i) };
    }
    default:
      throw new Unsupported(node.op);
  }
}

/**
 * The tensor an input reference names (`name`, `name:0`, `name:1`…): its node, and its key among a plan's slots (the
 * node's name for its first output, `name:k` for output k); null for a control input.
 */
function tensorRef(ref: string): { node: string; key: string } | null {
  if (ref.startsWith('^')) return null;
  const m = /^(.*?)(?::(\d+))?$/.exec(ref) as RegExpExecArray;
  const index = Number(m[2] ?? 0);
  return { node: m[1], key: index === 0 ? m[1] : `${m[1]}:${index}` };
}

/**
 * A node's data inputs. A control input (`^name`) only orders the run, and a plan runs each node after the inputs its
 * data comes from; it leaves one out where nothing can depend on it: on an `Identity`, from a constant or from a
 * `NoOp` that waits on constants only (a SavedModel's outputs wait on such a `NoOp`). Any other: no plan.
 */
function dataInputs(node: GraphDefNode, byName: ReadonlyMap<string, GraphDefNode>): string[] {
  const refs = node.input ?? [];
  if (!refs.some((r) => r.startsWith('^'))) return refs;
  const isConst = (ref: string) => byName.get(ref.replace(/^\^/, ''))?.op === 'Const';
  const inert = (ref: string) => {
    const from = byName.get(ref.slice(1));
    return from?.op === 'Const' || (from?.op === 'NoOp' && (from.input ?? []).every(isConst));
  };
  if (node.op !== 'Identity' || !refs.every((r) => !r.startsWith('^') || inert(r))) {
    throw new Unsupported('control input');
  }
  return refs.filter((r) => !r.startsWith('^'));
}

/**
 * The plan that computes `outputs` (node names) of `model` from its input `inputName`, or null when the part of the
 * graph they need holds anything a plan does not cover (an operation, a dtype, a layout, a control input).
 */
export function compilePlan(model: GraphModel, inputName: string, outputs: readonly string[]): Plan | null {
  const steps = compileSteps(model, inputName, outputs);
  if (!steps) return null;
  const { list, slots, outSlots } = steps;
  return (input) => {
    const values: (tf.Tensor | undefined)[] = new Array(slots);
    values[0] = input;
    for (const s of list) {
      const xs = s.ins.map((slot) => values[slot] as tf.Tensor);
      const made = s.op(xs);
      s.outs.forEach((slot, i) => {
        values[slot] = Array.isArray(made) ? made[i] : made;
      });
      for (const slot of s.free) {
        (values[slot] as tf.Tensor).dispose();
        values[slot] = undefined;
      }
    }
    return outSlots.map((slot) => values[slot] as tf.Tensor);
  };
}

/**
 * The output shape of each of `outputs` (node names) for a fed input, computed as {@link compilePlan}'s plan computes
 * them but keeping no result: every tensor is freed once nothing reads it, so the pass holds a few layers' outputs at
 * a time rather than all of them. Null where there is no plan. The input is not disposed.
 */
export function measureByPlan(
  model: GraphModel,
  inputName: string,
  input: tf.Tensor,
  outputs: readonly string[],
): number[][] | null {
  if (!fedAsDeclared(model, inputName, input)) return null;
  const steps = compileSteps(model, inputName, outputs, false);
  if (!steps) return null;
  const { list, slots, outSlots } = steps;
  const shapes: (number[] | undefined)[] = new Array(slots);
  shapes[0] = input.shape;
  const values: (tf.Tensor | undefined)[] = new Array(slots);
  values[0] = input;
  try {
    for (const s of list) {
      const made = s.op(s.ins.map((slot) => values[slot] as tf.Tensor));
      s.outs.forEach((slot, i) => {
        const out = Array.isArray(made) ? made[i] : made;
        shapes[slot] = out.shape;
        values[slot] = out;
      });
      for (const slot of s.free) {
        if (slot !== 0) (values[slot] as tf.Tensor).dispose();
        values[slot] = undefined;
      }
    }
  } finally {
    for (let slot = 1; slot < slots; slot++) values[slot]?.dispose();
  }
  return outSlots.map((slot) => shapes[slot] as number[]);
}

/** A compiled pass: its steps, how many slots they use, and the slots that hold the requested outputs. */
interface Steps {
  list: Step[];
  slots: number;
  outSlots: number[];
}

/**
 * The steps that compute `outputs` from the input, or null where a plan does not cover the graph. With `keepOutputs`
 * false an output is freed like any other tensor once nothing reads it (for {@link measureByPlan}, which reads each
 * step's shape as it is made).
 */
function compileSteps(
  model: GraphModel,
  inputName: string,
  outputs: readonly string[],
  keepOutputs = true,
): Steps | null {
  const nodes = graphDefNodes(model);
  if (!nodes) return null;
  try {
    return compile(model, new Map(nodes.map((n) => [n.name, n])), inputName.split(':')[0], outputs, keepOutputs);
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

function compile(
  model: GraphModel,
  byName: ReadonlyMap<string, GraphDefNode>,
  inputName: string,
  outputs: readonly string[],
  keepOutputs: boolean,
): Steps {
  const weights = model.weights ?? {};
  const constant = (name: string) => weights[name]?.[0];
  // Order the needed nodes so that each comes after its inputs (depth first from the outputs).
  const order: GraphDefNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // Depth first with an explicit stack (a graph may be many thousands of operations deep): each entry is a node and
  // the inputs of it not yet visited, in order.
  const visit = (root: string) => {
    const stack: { node: GraphDefNode; inputs: string[]; next: number }[] = [];
    const enter = (name: string) => {
      const s = state.get(name);
      if (s === 'done') return;
      if (s === 'visiting') throw new Unsupported('cycle');
      const node = need(byName.get(name), `node ${name}`);
      state.set(name, 'visiting');
      const inputs = node.op !== 'Placeholder' && node.op !== 'Const' ? dataInputs(node, byName) : [];
      stack.push({ node, inputs, next: 0 });
    };
    enter(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.inputs.length) {
        enter(need(tensorRef(top.inputs[top.next++]), 'input form').node);
      } else {
        stack.pop();
        state.set(top.node.name, 'done');
        order.push(top.node);
      }
    }
  };
  for (const o of outputs) visit(need(tensorRef(o), 'output form').node);

  // Slot 0 is the fed input; every output of every other non-constant node gets a slot (keyed as `tensorRef` keys
  // them). An Identity shares its input's slot.
  const slotOf = new Map<string, number>([[inputName, 0]]);
  let slots = 1;
  const steps: Step[] = [];
  for (const node of order) {
    if (node.op === 'Placeholder') {
      // Another input is read as a constant where toNetwork's constantInputs gave it a value.
      if (node.name !== inputName && !constant(node.name)) throw new Unsupported('another input');
      continue;
    }
    if (node.op === 'Const') {
      if (!constant(node.name)) throw new Unsupported(`constant ${node.name}`);
      continue;
    }
    const refs = dataInputs(node, byName).map((r) => need(tensorRef(r), 'input form').key);
    // Small constant inputs (axes, paddings) are read once here, as the executor reads them on every call.
    const k = (i: number) => {
      const c = need(constant(refs[i] ?? ''), 'constant input');
      if (c.size > 64 || c.dtype === 'string') throw new Unsupported('constant input');
      return numbers(c);
    };
    const isConstant = (i: number) => !slotOf.has(refs[i] ?? '') && constant(refs[i] ?? '') !== undefined;
    const { op, tensorInputs, outputs: count = 1 } = makeOp(node, k, isConstant, refs.length);
    if (node.op === 'Identity') {
      const from = refs[0];
      if (slotOf.has(from)) slotOf.set(node.name, slotOf.get(from) as number);
      else throw new Unsupported('identity of a constant');
      continue;
    }
    const ins: number[] = [];
    const consts: (tf.Tensor | null)[] = [];
    for (const i of tensorInputs) {
      const ref = need(refs[i], 'input');
      const slot = slotOf.get(ref);
      if (slot !== undefined) {
        ins.push(slot);
        consts.push(null);
      } else {
        ins.push(-1);
        consts.push(need(constant(ref), `input ${ref}`));
      }
    }
    const outs = Array.from({ length: count }, (_, i) => {
      slotOf.set(i === 0 ? node.name : `${node.name}:${i}`, slots);
      return slots++;
    });
    const bound: Op = consts.every((c) => c === null) ? op : (xs) => op(consts.map((c, i) => c ?? xs[i]));
    steps.push({ outs, ins, op: bound, free: [] });
  }

  // Free each intermediate slot after the last step that reads it (or, when outputs are not kept, after the step that
  // makes it if none does), unless an output needs it. The input, slot 0, is the caller's.
  const outSlots = outputs.map((o) => need(slotOf.get(need(tensorRef(o), 'output').key), `output ${o}`));
  const kept = new Set(keepOutputs ? [0, ...outSlots] : [0]);
  const last = new Map<number, number>();
  steps.forEach((s, i) => {
    for (const slot of s.outs) last.set(slot, i);
    for (const slot of s.ins) if (slot >= 0) last.set(slot, i);
  });
  for (const [slot, i] of last) if (!kept.has(slot)) steps[i].free.push(slot);
  return { list: steps, slots, outSlots };
}

/**
 * Whether TF.js's executor takes `input` for the model's input `name`: the placeholder's dtype, and its rank and sizes
 * (-1 takes any size), as the model declares them now (a Network made by `toNetwork` relaxes its input's sizes).
 */
function fedAsDeclared(model: GraphModel, name: string, input: tf.Tensor): boolean {
  const base = name.split(':')[0];
  const declared = model.inputs.find((i) => i.name === name || i.name === base);
  if (!declared) return false;
  if (declared.dtype && declared.dtype !== input.dtype) return false;
  const shape = declared.shape;
  return !shape || (shape.length === input.rank && shape.every((d, i) => d === -1 || d === input.shape[i]));
}

/**
 * The operations TF.js's graph executor runs only asynchronously: its control flow (branches, loops, tensor arrays and
 * lists), the operations of data-dependent size and the hash tables. TF.js's own check before a synchronous run knows
 * only some of them (not `If`, `NonMaxSuppressionV4`, the tensor array and list operations, `ListDiff` or
 * `InitializeTable`) and started the others, then failed because one returned a promise. That promise ran on: what it
 * made stayed allocated, and when it failed (as it does on a malformed node) nothing caught it, which ends a Node.js
 * program.
 */
export const ASYNC_OPS: ReadonlySet<string> = new Set([
  ...['Switch', 'Merge', 'Enter', 'Exit', 'NextIteration', 'LoopCond', 'If', 'StatelessIf', 'While', 'StatelessWhile'],
  ...['TensorArrayV3', 'TensorArrayWriteV3', 'TensorArrayReadV3', 'TensorArrayGatherV3', 'TensorArrayScatterV3'],
  ...['TensorArrayConcatV3', 'TensorArraySplitV3', 'TensorArraySizeV3', 'TensorArrayCloseV3', 'EmptyTensorList'],
  ...['TensorListScatter', 'TensorListScatterV2', 'TensorListGather', 'TensorListGetItem', 'TensorListSetItem'],
  ...['TensorListReserve', 'TensorListFromTensor', 'TensorListStack', 'TensorListSplit', 'TensorListConcat'],
  ...['TensorListConcatV2', 'TensorListPopBack', 'TensorListPushBack', 'TensorListLength', 'TensorListResize'],
  ...['NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5', 'Where'],
  ...['ListDiff', 'HashTable', 'HashTableV2', 'LookupTableImport', 'LookupTableImportV2', 'LookupTableFind'],
  ...['LookupTableFindV2', 'LookupTableSize', 'LookupTableSizeV2', 'InitializeTable', 'InitializeTableV2'],
]);

/** A synchronous run refused before it started: computing what was asked needs a node of {@link ASYNC_OPS}. */
export class AsyncOpError extends Error {
  constructor(
    readonly node: string,
    readonly op: string,
  ) {
    super(
      `the graph's node '${node}' is the operation '${op}', which TF.js runs only asynchronously (a loop, a branch ` +
        'or an operation of data-dependent size)',
    );
  }
}

/** Each model's answer to {@link asyncNodeFor}, by the fed and requested node names. */
const asyncNodes = new WeakMap<GraphModel, Map<string, GraphDefNode | null>>();

/**
 * The first node of an operation TF.js runs only asynchronously that computing `outputs` from the nodes `fed` needs,
 * walking back as TF.js's executor does: through every input, control inputs too, to the fed nodes and constants.
 * Null when there is none, or when the model's GraphDef cannot be read.
 */
function asyncNodeFor(model: GraphModel, fed: readonly string[], outputs: readonly string[]): GraphDefNode | null {
  const key = `${fed.map(inputNodeName).join('\n')}\n\n${outputs.map(inputNodeName).join('\n')}`;
  let known = asyncNodes.get(model);
  if (!known) {
    known = new Map();
    asyncNodes.set(model, known);
  }
  const cached = known.get(key);
  if (cached !== undefined) return cached;
  const nodes = graphDefNodes(model) ?? [];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const stop = new Set(fed.map(inputNodeName));
  const seen = new Set<string>();
  const todo = outputs.map(inputNodeName);
  let found: GraphDefNode | null = null;
  while (todo.length > 0 && !found) {
    const at = todo.pop() as string;
    if (seen.has(at)) continue;
    seen.add(at);
    const node = byName.get(at);
    // A fed node does not run: the image may go in where a loop that prepares it ends.
    if (!node || stop.has(at)) continue;
    if (ASYNC_OPS.has(node.op)) found = node;
    if (node.op === 'Const') continue;
    for (const i of node.input ?? []) todo.push(inputNodeName(i));
  }
  if (known.size >= PLANS_KEPT) known.delete(known.keys().next().value as string);
  known.set(key, found);
  return found;
}

/**
 * `model.execute(feeds, outputs)`, refused with an {@link AsyncOpError} before anything runs when it would need an
 * operation TF.js runs only asynchronously.
 */
export function executeGraph(
  model: GraphModel,
  feeds: Record<string, tf.Tensor>,
  outputs: readonly string[],
): tf.Tensor[] {
  const blocked = asyncNodeFor(model, Object.keys(feeds), outputs);
  if (blocked) throw new AsyncOpError(blocked.name, blocked.op);
  const raw = model.execute(feeds, [...outputs]);
  return Array.isArray(raw) ? raw : [raw];
}

/** How many sets of requested nodes a model keeps a plan for (a program asks for a few, again and again). */
const PLANS_KEPT = 32;

/** Each model's run function, by input name: made once, so that its plans outlive any one call. */
const runs = new WeakMap<GraphModel, Map<string, (input: tf.Tensor, names: readonly string[]) => tf.Tensor[]>>();

/**
 * Forgets what was worked out of `model`'s graph (its run functions' plans, the answers of {@link asyncNodeFor}): for a
 * graph whose nodes were pointed at other inputs since. A run function made before keeps its plans.
 */
export function forgetPlans(model: GraphModel): void {
  runs.delete(model);
  asyncNodes.delete(model);
}

/**
 * A graph model's run function: the requested nodes' tensors for a fed input, by a plan made on the first request
 * of each set of nodes (the last {@link PLANS_KEPT} sets kept), or by `GraphModel.execute` where there is no plan.
 * The same function for every call with the same model and input.
 */
export function plannedRun(
  model: GraphModel,
  inputName: string,
): (input: tf.Tensor, names: readonly string[]) => tf.Tensor[] {
  let byInput = runs.get(model);
  if (!byInput) {
    byInput = new Map();
    runs.set(model, byInput);
  }
  const known = byInput.get(inputName);
  if (known) return known;
  const plans = new Map<string, Plan | null>();
  const run = (input: tf.Tensor, names: readonly string[]) => {
    const key = names.join('\n');
    let plan = plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(model, inputName, names);
      if (plans.size >= PLANS_KEPT) plans.delete(plans.keys().next().value as string);
      plans.set(key, plan);
    }
    // A tensor the executor would refuse goes to it, for its own message.
    if (plan && fedAsDeclared(model, inputName, input)) return plan(input);
    return executeGraph(model, { [inputName]: input }, names);
  };
  byInput.set(inputName, run);
  return run;
}
