/**
 * TensorFlow operations inside a Keras 2 model: applied to a layer's output in a functional model (`x + 3.0`,
 * `tf.math.multiply(x, 1 / 6)`, `tf.reduce_mean(x, [1, 2], keepdims=True)`), each becomes a `TFOpLambda` layer that
 * names the operation (`function: 'math.multiply'`), and a slice (`x[..., ::-1]`) a `SlicingOpLambda` layer.
 * tfjs-layers has no such layers ("Unknown layer: TFOpLambda"), and it could not read the calls either: Keras writes
 * the call of such a layer as one input (`[layer, node, tensor, kwargs]`, not a list of them), with the other
 * arguments, tensors among them, in `kwargs`. {@link rewriteOpLayers} rewrites each call into a plain list of the
 * tensors it reads, with the arguments in the layer's config, and {@link registerOpLayers} registers the layer that
 * computes the operation. Keras's own MobileNetV3 computes its hard sigmoid so (`ReLU(6)(x + 3) * (1 / 6)`), and
 * keras.applications's `preprocess_input` inside a model its scalings (`x[..., ::-1]`, `tf.nn.bias_add`). Operations
 * outside the list below are refused, naming them. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type StridedSliceAttrs, stridedSliceSpec } from '../backend/stridedSlice.js';
import { isRecord } from './keras3.js';
import type { BaseLayer, Shape } from './kerasLayers.js';

type Json = Record<string, unknown>;

/** An argument of an operation: the `input`-th tensor the layer reads, a constant `value`, or a `list` of them. */
type Operand = { input: number } | { value: unknown } | { list: Operand[] };

/** A value an operand takes when the layer runs: a tensor, a constant, or a list of them. */
type Value = tf.Tensor | unknown;

/** How an operation computes and what shape it makes (batch axis first, null where not known). */
interface Operation {
  /** TensorFlow's names of the operation (`tf.` left out), as Keras writes them in `function`. */
  readonly symbols: readonly string[];
  /** TensorFlow's names of its parameters, the first being the argument Keras reads the layer's input from. */
  readonly params: readonly string[];
  /** The parameters that may be left out, with their defaults. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** How many of the first parameters are tensors (a constant given there becomes one); 1 if not said. */
  readonly tensors?: number;
  /**
   * Whether its output has its (broadcast) input's shape, each element computed on its own; a function of the
   * operands when that depends on its constants (a slice that only reverses axes keeps the shape).
   */
  readonly elementwise?: boolean | ((operands: readonly Operand[]) => boolean);
  /**
   * For constant parameters Keras writes in several forms (a slice, a data format): the form `run` and `shape` take,
   * or undefined when the value cannot be read. Applied when the layer is rewritten.
   */
  readonly read?: Readonly<Record<string, (v: unknown) => unknown>>;
  /** How the layer table shows a call, given its operands as shown (TensorFlow's call form when not said). */
  describe?(shown: readonly string[], operands: readonly Operand[]): string;
  run(args: Value[]): tf.Tensor;
  shape(args: (Shape | unknown)[]): Shape | null;
}

const T = (v: Value) => v as tf.Tensor;

/** The shape of a constant (a number `[]`, nested lists their lengths). */
function constantShape(v: unknown): Shape {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0]) shape.push(x.length);
  return shape;
}

/** The broadcast of shapes (null where an axis is not known and the other is not 1). */
function broadcast(shapes: Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let a = 0; a < rank; a++) {
    let d: number | null = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + a] ?? 1;
      if (v === 1) continue;
      d = d === 1 ? v : d === v ? d : null;
    }
    out.push(d);
  }
  return out;
}

const unary = (symbols: string[], run: (x: tf.Tensor) => tf.Tensor, param = 'x'): Operation => ({
  symbols,
  params: [param],
  elementwise: true,
  run: ([x]) => run(T(x)),
  shape: ([x]) => x as Shape,
});

const binary = (symbols: string[], run: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): Operation => ({
  symbols,
  params: ['x', 'y'],
  tensors: 2,
  elementwise: true,
  run: ([x, y]) => run(T(x), T(y)),
  shape: (args) => broadcast(args as Shape[]),
});

/** Axes as TensorFlow gives them (an int, a list, or null for all), made non-negative for a rank. */
function axesOf(axis: unknown, rank: number): number[] {
  const list = axis === null || axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return list.map((a) => (Number(a) < 0 ? Number(a) + rank : Number(a)));
}

/** Readers of constant arguments (see {@link Operation.read}): the value if it is of the kind, else undefined. */
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const anInt = (v: unknown) => (isInt(v) ? v : undefined);
const aNumber = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const aBoolean = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
/** An axis or a list of them, or null (all axes). */
const someAxes = (v: unknown) => (v === null || isInt(v) || (Array.isArray(v) && v.every(isInt)) ? v : undefined);
/** A shape to reshape to: whole numbers, at least 0, one of them -1 at most. */
const aShape = (v: unknown) =>
  Array.isArray(v) && v.every((d) => isInt(d) && d >= -1) && v.filter((d) => d === -1).length <= 1 ? v : undefined;

/** Whether a constant is a number or a boolean, or equal-length lists of them nested to any depth (a tensor). */
function isNumbers(v: unknown): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'number' || typeof x === 'boolean') continue;
    if (!Array.isArray(x) || x.length === 0) return false;
    const inner = x.map((e) => (Array.isArray(e) ? e.length : -1));
    if (inner.some((n) => n !== inner[0])) return false;
    stack.push(...x);
  }
  return true;
}

const reduction = (symbols: string[], run: typeof tf.mean): Operation => ({
  symbols,
  params: ['input_tensor', 'axis', 'keepdims'],
  defaults: { axis: null, keepdims: false },
  read: { axis: someAxes, keepdims: aBoolean },
  run: ([x, axis, keep]) => run(T(x), axis === null ? undefined : (axis as number | number[]), keep === true),
  shape: ([x, axis, keep]) => {
    const s = x as Shape;
    const axes = axesOf(axis, s.length);
    return keep === true ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
  },
});

/**
 * One entry of a slice (`x[..., ::-1]`, `x[:, 0]`), in a form of one-word keys and numbers that tfjs-layers's
 * renaming of config strings leaves alone: an index (the axis disappears), a range, an ellipsis, a new axis.
 */
type SliceItem =
  | { index: number }
  | { start: number | null; stop: number | null; step: number | null }
  | { ellipsis: true }
  | { newaxis: true };

/** The most entries a slice may have (each is a bit of the strided slice's masks). */
const MAX_SLICE_ITEMS = 16;

/**
 * A slice as Keras writes it, or undefined when it is none this library reads: Keras 2 writes `x[..., ::-1]` as
 * `[{class_name: '__ellipsis__'}, {start: null, stop: null, step: -1}]` (a tuple maybe as `{class_name:
 * '__tuple__', items}`), Keras 3 its ranges as `{class_name: '__slice__', config: {start, stop, step}}`; an index is a
 * number, `None` (`tf.newaxis`) null, one entry alone is the whole slice. A tensor among them is not read.
 */
function readSlice(v: unknown): SliceItem[] | undefined {
  const tuple = isRecord(v) && v.class_name === '__tuple__';
  const list = tuple ? (v.items ?? (isRecord(v.config) ? v.config.value : undefined)) : v;
  const entries = Array.isArray(list) ? list : [list];
  if (entries.length > MAX_SLICE_ITEMS) return undefined;
  const bound = (b: unknown) => (b === null || b === undefined ? null : Number.isSafeInteger(b) ? (b as number) : NaN);
  const out: SliceItem[] = [];
  for (const e of entries) {
    if (e === null) out.push({ newaxis: true });
    else if (Number.isSafeInteger(e)) out.push({ index: e as number });
    else if (isRecord(e) && e.class_name === '__ellipsis__') out.push({ ellipsis: true });
    else if (isRecord(e)) {
      const range = e.class_name === '__slice__' && isRecord(e.config) ? e.config : e;
      if (!['start', 'stop', 'step'].every((k) => k in range)) return undefined;
      const [start, stop, step] = [bound(range.start), bound(range.stop), bound(range.step)];
      if ([start, stop, step].some((b) => Number.isNaN(b)) || step === 0) return undefined;
      out.push({ start, stop, step });
    } else return undefined;
  }
  return out.filter((e) => 'ellipsis' in e).length > 1 ? undefined : out;
}

/** A slice as the attributes of TensorFlow's strided slice, built as TensorFlow's `x[...]` builds them. */
function sliceAttrs(items: readonly SliceItem[]): Required<StridedSliceAttrs> {
  const a = { begin: [] as number[], end: [] as number[], strides: [] as number[] };
  const masks = { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 };
  items.forEach((e, i) => {
    const bit = 2 ** i;
    if ('index' in e) {
      a.begin.push(e.index);
      a.end.push(e.index + 1);
      masks.shrinkAxisMask |= bit;
    } else if ('start' in e) {
      a.begin.push(e.start ?? 0);
      a.end.push(e.stop ?? 0);
      if (e.start === null) masks.beginMask |= bit;
      if (e.stop === null) masks.endMask |= bit;
    } else {
      a.begin.push(0);
      a.end.push(0);
      if ('ellipsis' in e) masks.ellipsisMask |= bit;
      else masks.newAxisMask |= bit;
    }
    a.strides.push('step' in e ? (e.step ?? 1) : 1);
  });
  return { ...a, ...masks };
}

/** Whether a slice keeps every axis as it is, or only reverses some (`x[..., ::-1]`, Caffe's RGB to BGR). */
const keepsShape = (items: readonly SliceItem[]) =>
  items.every((e) => 'ellipsis' in e || ('step' in e && e.start === null && e.stop === null && e.step !== 0));

/** A slice as Python writes it: `..., ::-1`. */
const sliceText = (items: readonly SliceItem[]) =>
  items
    .map((e) => {
      if ('ellipsis' in e) return '...';
      if ('newaxis' in e) return 'None';
      if ('index' in e) return String(e.index);
      return `${e.start ?? ''}:${e.stop ?? ''}${e.step === null ? '' : `:${e.step}`}`;
    })
    .join(', ');

/**
 * A bias's data format as TensorFlow's or Keras's names give it: `'NCHW'` for channels first (`NCW`, `NCDHW`,
 * `channels_first`), `'NHWC'` for channels last (the default).
 */
const readDataFormat = (v: unknown) =>
  v === null || ['NHWC', 'NWC', 'NDHWC', 'channels_last'].includes(v as string)
    ? 'NHWC'
    : ['NCHW', 'NCW', 'NCDHW', 'channels_first'].includes(v as string)
      ? 'NCHW'
      : undefined;

/** A softmax's axis (null: the last) made non-negative for a rank; an error where the rank has no such axis. */
function softmaxAxis(axis: unknown, rank: number): number {
  const a = axis === null ? -1 : Number(axis);
  if (!(a >= -rank && a < rank)) throw new Error(`tf.nn.softmax: axis ${a} of a tensor of rank ${rank}`);
  return a < 0 ? a + rank : a;
}

/**
 * The operations computed, with TensorFlow's parameter names and defaults. A layer's config keeps the index of its
 * operation here (a number, which tfjs-layers's renaming of config strings leaves alone).
 */
const OPERATIONS: readonly Operation[] = [
  binary(['__operators__.add', 'math.add'], tf.add),
  binary(['math.subtract'], tf.sub),
  binary(['math.multiply'], tf.mul),
  binary(['math.truediv', 'math.divide'], tf.div),
  binary(['math.maximum'], tf.maximum),
  binary(['math.minimum'], tf.minimum),
  binary(['math.pow'], tf.pow),
  binary(['math.squared_difference'], tf.squaredDifference),
  unary(['math.negative'], tf.neg),
  unary(['math.abs'], tf.abs),
  unary(['math.square'], tf.square),
  unary(['math.sqrt'], tf.sqrt),
  unary(['math.rsqrt'], tf.rsqrt),
  unary(['math.exp'], tf.exp),
  unary(['math.log'], tf.log),
  unary(['math.reciprocal'], tf.reciprocal),
  unary(['math.sigmoid', 'nn.sigmoid'], tf.sigmoid),
  unary(['math.tanh', 'nn.tanh'], tf.tanh),
  unary(['nn.relu'], tf.relu, 'features'),
  unary(['nn.relu6'], tf.relu6, 'features'),
  unary(['nn.elu'], tf.elu, 'features'),
  unary(['math.softplus', 'nn.softplus'], tf.softplus, 'features'),
  {
    symbols: ['nn.silu', 'nn.swish'],
    elementwise: true,
    params: ['features', 'beta'],
    read: { beta: aNumber },
    defaults: { beta: 1 },
    run: ([x, beta]) => tf.mul(T(x), tf.sigmoid(tf.mul(T(x), Number(beta)))),
    shape: ([x]) => x as Shape,
  },
  {
    symbols: ['nn.leaky_relu'],
    elementwise: true,
    params: ['features', 'alpha'],
    read: { alpha: aNumber },
    defaults: { alpha: 0.2 },
    run: ([x, alpha]) => tf.leakyRelu(T(x), Number(alpha)),
    shape: ([x]) => x as Shape,
  },
  {
    symbols: ['nn.softmax', 'math.softmax'],
    elementwise: true,
    params: ['logits', 'axis'],
    read: { axis: (v) => (v === null || isInt(v) ? v : undefined) },
    defaults: { axis: null },
    run: ([x, axis]) => {
      const t = T(x);
      const a = softmaxAxis(axis, t.rank);
      if (a === t.rank - 1) return tf.softmax(t);
      const perm = [...Array(t.rank).keys()];
      [perm[a], perm[t.rank - 1]] = [perm[t.rank - 1], perm[a]];
      return tf.transpose(tf.softmax(tf.transpose(t, perm)), perm);
    },
    shape: ([x, axis]) => {
      softmaxAxis(axis, (x as Shape).length);
      return x as Shape;
    },
  },
  {
    symbols: ['clip_by_value'],
    elementwise: true,
    params: ['t', 'clip_value_min', 'clip_value_max'],
    tensors: 3,
    run: ([x, lo, hi]) => tf.minimum(tf.maximum(T(x), T(lo)), T(hi)),
    shape: (args) => broadcast(args as Shape[]),
  },
  reduction(['math.reduce_mean'], tf.mean),
  reduction(['math.reduce_sum'], tf.sum),
  reduction(['math.reduce_max'], tf.max),
  reduction(['math.reduce_min'], tf.min),
  {
    symbols: ['reshape'],
    params: ['tensor', 'shape'],
    read: { shape: aShape },
    run: ([x, shape]) => tf.reshape(T(x), shape as number[]),
    shape: ([x, shape]) => {
      const target = (shape as number[]).map(Number);
      const known = (x as Shape).every((d) => d !== null);
      if (!known) return target.map((d) => (d === -1 ? null : d));
      const size = (x as number[]).reduce((a, b) => a * b, 1);
      const rest = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return target.map((d) => (d === -1 ? size / rest : d));
    },
  },
  {
    symbols: ['expand_dims'],
    params: ['input', 'axis'],
    read: { axis: anInt },
    run: ([x, axis]) => tf.expandDims(T(x), Number(axis)),
    shape: ([x, axis]) => {
      const s = [...(x as Shape)];
      const a = Number(axis);
      if (a < -s.length - 1 || a > s.length)
        throw new Error(`tf.expand_dims: axis ${a} of a tensor of rank ${s.length}`);
      s.splice(a < 0 ? a + s.length + 1 : a, 0, 1);
      return s;
    },
  },
  {
    symbols: ['compat.v1.transpose', 'transpose'],
    params: ['a', 'perm'],
    read: { perm: (v) => (v === null || (Array.isArray(v) && v.every(isInt)) ? v : undefined) },
    defaults: { perm: null },
    run: ([x, perm]) => tf.transpose(T(x), perm === null ? undefined : (perm as number[])),
    shape: ([x, perm]) => {
      const s = x as Shape;
      if (perm === null) return [...s].reverse();
      const p = perm as number[];
      if (p.length !== s.length || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
        throw new Error(`tf.transpose: [${p.join(', ')}] is not a permutation of the ${s.length} axes`);
      }
      return p.map((i) => s[i]);
    },
  },
  {
    symbols: ['concat'],
    params: ['values', 'axis'],
    read: { axis: anInt },
    run: ([values, axis]) => tf.concat(values as tf.Tensor[], Number(axis)),
    shape: ([values, axis]) => {
      const shapes = values as Shape[];
      const a = Number(axis) < 0 ? Number(axis) + shapes[0].length : Number(axis);
      return shapes[0].map((d, i) =>
        i !== a ? d : shapes.some((s) => s[i] === null) ? null : shapes.reduce((n, s) => n + (s[i] as number), 0),
      );
    },
  },
  {
    symbols: ['stack'],
    params: ['values', 'axis'],
    read: { axis: anInt },
    defaults: { axis: 0 },
    run: ([values, axis]) => tf.stack(values as tf.Tensor[], Number(axis)),
    shape: ([values, axis]) => {
      const shapes = values as Shape[];
      const s = [...shapes[0]];
      const a = Number(axis);
      s.splice(a < 0 ? a + s.length + 1 : a, 0, shapes.length);
      return s;
    },
  },
  {
    // An embedding model's last step (FaceNet and its kind): each vector along `axis` divided by its length.
    symbols: ['math.l2_normalize', 'nn.l2_normalize'],
    params: ['x', 'axis', 'epsilon'],
    defaults: { axis: null, epsilon: 1e-12 },
    read: { axis: someAxes, epsilon: (v) => (typeof v === 'number' && v > 0 && v < Infinity ? v : undefined) },
    elementwise: true,
    run: ([x, axis, epsilon]) => {
      const t = T(x);
      const sum = tf.sum(tf.square(t), axis === null ? undefined : (axis as number | number[]), true);
      return tf.mul(t, tf.rsqrt(tf.maximum(sum, Number(epsilon))));
    },
    shape: ([x]) => x as Shape,
  },
  {
    // A sub-pixel convolution's rearrangement (ESPCN super-resolution): channels into b × b blocks of pixels.
    symbols: ['nn.depth_to_space'],
    params: ['input', 'block_size', 'data_format'],
    defaults: { data_format: 'NHWC' },
    read: {
      block_size: (v) => (isInt(v) && v >= 2 ? v : undefined),
      data_format: (v) => (v === 'NHWC' ? v : undefined),
    },
    run: ([x, block]) => tf.depthToSpace(T(x) as tf.Tensor4D, Number(block), 'NHWC'),
    shape: ([x, block]) => {
      const [n, h, w, c] = x as Shape;
      const b = Number(block);
      if (!Number.isInteger(b) || b < 2 || (c !== null && c % (b * b) !== 0)) {
        throw new Error(`tf.nn.depth_to_space: a block size of ${block} for ${c} channels`);
      }
      return [n, h === null ? null : h * b, w === null ? null : w * b, c === null ? null : c / (b * b)];
    },
  },
  {
    // TensorFlow 2's resize: half-pixel centres, no antialiasing (a segmentation model's logits to the image's size).
    symbols: ['image.resize'],
    params: ['images', 'size', 'method', 'preserve_aspect_ratio', 'antialias'],
    defaults: { method: 'bilinear', preserve_aspect_ratio: false, antialias: false },
    read: {
      size: (v) =>
        Array.isArray(v) && v.length === 2 && v.every((d) => Number.isSafeInteger(d) && d > 0) ? v : undefined,
      method: (v) => (v === 'bilinear' || v === 'nearest' ? v : undefined),
      preserve_aspect_ratio: (v) => (v === false ? v : undefined),
      antialias: (v) => (v === false ? v : undefined),
    },
    run: ([x, size, method]) => {
      const [h, w] = size as [number, number];
      return method === 'nearest'
        ? tf.image.resizeNearestNeighbor(T(x) as tf.Tensor4D, [h, w], false, true)
        : tf.image.resizeBilinear(T(x) as tf.Tensor4D, [h, w], false, true);
    },
    shape: ([x, size]) => {
      const s = x as Shape;
      return [s[0], ...(size as number[]), s[3]];
    },
  },
  {
    symbols: ['pad'],
    params: ['tensor', 'paddings', 'mode', 'constant_values'],
    defaults: { mode: 'CONSTANT', constant_values: 0 },
    read: {
      paddings: (v) =>
        Array.isArray(v) &&
        v.every((p) => Array.isArray(p) && p.length === 2 && p.every((d) => Number.isSafeInteger(d) && d >= 0))
          ? v
          : undefined,
      mode: (v) =>
        typeof v === 'string' && ['CONSTANT', 'REFLECT', 'SYMMETRIC'].includes(v.toUpperCase())
          ? v.toUpperCase()
          : undefined,
      constant_values: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined),
    },
    run: ([x, paddings, mode, value]) => {
      const p = paddings as [number, number][];
      if (mode === 'CONSTANT') return tf.pad(T(x), p, Number(value));
      return tf.mirrorPad(T(x), p, mode === 'REFLECT' ? 'reflect' : 'symmetric');
    },
    shape: ([x, paddings]) => {
      const s = x as Shape;
      const p = paddings as [number, number][];
      if (p.length !== s.length) throw new Error(`tf.pad: ${p.length} paddings for a tensor of rank ${s.length}`);
      return s.map((d, i) => (d === null ? null : d + p[i][0] + p[i][1]));
    },
  },
  {
    // With its axes named: without, TensorFlow drops a batch of one too, which Keras's shapes do not foresee.
    symbols: ['squeeze'],
    params: ['input', 'axis'],
    defaults: { axis: null },
    read: {
      axis: (v) => (Number.isSafeInteger(v) || (Array.isArray(v) && v.every(Number.isSafeInteger)) ? v : undefined),
    },
    run: ([x, axis]) => tf.squeeze(T(x), axesOf(axis, T(x).rank)),
    shape: ([x, axis]) => {
      const s = x as Shape;
      const axes = axesOf(axis, s.length);
      if (axes.some((a) => s[a] !== 1)) throw new Error(`tf.squeeze: axes [${axes}] of a tensor of shape [${s}]`);
      return s.filter((_, i) => !axes.includes(i));
    },
  },
  {
    // A model taking whole numbers (uint8 pixels) casts them first; to float32 only (the image is float32 already).
    symbols: ['cast', 'dtypes.cast'],
    params: ['x', 'dtype'],
    elementwise: true,
    read: { dtype: (v) => (v === 'float32' ? v : undefined) },
    run: ([x]) => tf.cast(T(x), 'float32'),
    shape: ([x]) => x as Shape,
  },
  {
    // keras.applications's preprocess_input adds its mean so, inside a model (Caffe's and PyTorch's scalings).
    symbols: ['nn.bias_add', 'keras.backend.bias_add'],
    params: ['value', 'bias', 'data_format'],
    defaults: { data_format: null },
    tensors: 2,
    elementwise: true,
    read: { data_format: readDataFormat },
    run: ([x, bias, format]) => {
      const b = T(bias);
      return tf.add(T(x), format === 'NCHW' ? tf.reshape(b, [-1, ...Array(T(x).rank - 2).fill(1)]) : b);
    },
    shape: ([x, bias, format]) => {
      const s = x as Shape;
      const channels = s[format === 'NCHW' ? 1 : s.length - 1];
      const b = bias as Shape;
      if (b.length !== 1 || (channels !== null && b[0] !== null && b[0] !== channels)) {
        throw new Error(`tf.nn.bias_add: a bias of shape [${b.join(', ')}] for ${channels} channels`);
      }
      return s;
    },
  },
  {
    // x[..., ::-1], x[:, 0], x[:, None]: TensorFlow's strided slice (a SlicingOpLambda layer).
    symbols: ['__operators__.getitem'],
    params: ['tensor', 'slice_spec'],
    elementwise: (operands) => {
      const spec = operands[1];
      return spec !== undefined && 'value' in spec && keepsShape(spec.value as SliceItem[]);
    },
    read: { slice_spec: readSlice },
    describe: (shown, operands) => {
      const spec = operands[1];
      return `${shown[0]}[${'value' in spec ? sliceText(spec.value as SliceItem[]) : shown[1]}]`;
    },
    run: ([x, spec]) => {
      const a = sliceAttrs(spec as SliceItem[]);
      return tf.stridedSlice(
        T(x),
        [...a.begin],
        [...a.end],
        [...a.strides],
        a.beginMask,
        a.endMask,
        a.ellipsisMask,
        a.newAxisMask,
        a.shrinkAxisMask,
      );
    },
    shape: ([x, spec]) => {
      // An axis of unknown size (the batch) is given two sizes: where the slice's size follows it, it is unknown.
      const attrs = sliceAttrs(spec as SliceItem[]);
      const at = (fill: number) =>
        stridedSliceSpec(
          (x as Shape).map((d) => d ?? fill),
          attrs,
        ).shape;
      const [a, b] = [at(2 ** 20), at(2 ** 20 + 7)];
      return a.map((d, i) => (d === b[i] ? d : null));
    },
  },
];

/** The operation of a TensorFlow symbol as Keras writes it (`math.multiply`), and its index, or undefined. */
function operationOf(symbol: string): number | undefined {
  const k = OPERATIONS.findIndex((op) => op.symbols.includes(symbol));
  return k < 0 ? undefined : k;
}

/** Whether `v` is Keras's reference to a layer's output (`[layer, node, tensor]`, a fourth item of kwargs allowed). */
const isRef = (v: unknown): v is [string, number, number, ...unknown[]] =>
  Array.isArray(v) &&
  (v.length === 3 || v.length === 4) &&
  typeof v[0] === 'string' &&
  v[0] !== CONSTANT &&
  Number.isInteger(v[1]) &&
  Number.isInteger(v[2]);

/** What Keras writes, as the first item of a call, for a constant first argument. */
const CONSTANT = '_CONSTANT_VALUE';

/** A constant first argument: `[_CONSTANT_VALUE, -1, value, kwargs]`. */
const isConstant = (v: unknown): v is [string, number, unknown, ...unknown[]] =>
  Array.isArray(v) && v[0] === CONSTANT && v.length >= 3;

/**
 * A copy of the model config `model` (Keras 2's format) with each `TFOpLambda` layer's call rewritten into a list of
 * the tensors it reads (`[layer, node, tensor, {}]` each) and its arguments into its config (`operation`: the index of
 * its operation; `operands`: one per parameter, as {@link Operand}s), or why it cannot be read. Nested models are
 * rewritten too (a list of them, not recursion). `model` is the topology's model (its `config.layers`); it is
 * changed in place, so give a copy.
 */
export function rewriteOpLayers(model: Json): string | null {
  const models = [model];
  for (let next = models.pop(); next !== undefined; next = models.pop()) {
    const layers = isRecord(next.config) && Array.isArray(next.config.layers) ? next.config.layers : [];
    for (const layer of layers) {
      if (!isRecord(layer)) continue;
      if (isRecord(layer.config) && Array.isArray(layer.config.layers)) models.push(layer);
      const cls = layer.class_name;
      const name = String((isRecord(layer.config) && layer.config.name) ?? layer.name);
      if (cls !== 'TFOpLambda' && cls !== 'SlicingOpLambda') continue;
      const problem = rewriteOpLayer(layer, name, cls);
      if (problem) return problem;
    }
  }
  return null;
}

/**
 * Whether the model config `model` has `TFOpLambda` or `SlicingOpLambda` layers anywhere, nested models included (so
 * that it needs a copy rewritten). A list, not recursion.
 */
export function hasOpLayers(model: unknown): boolean {
  const models = [model];
  for (let next = models.pop(); next !== undefined; next = models.pop()) {
    const layers =
      isRecord(next) && isRecord(next.config) && Array.isArray(next.config.layers) ? next.config.layers : [];
    for (const layer of layers) {
      if (!isRecord(layer)) continue;
      if (layer.class_name === 'TFOpLambda' || layer.class_name === 'SlicingOpLambda') return true;
      if (isRecord(layer.config) && Array.isArray(layer.config.layers)) models.push(layer);
    }
  }
  return false;
}

/**
 * Rewrites one `TFOpLambda` or `SlicingOpLambda` (`cls`; a slice `x[...]`) layer in place into the library's
 * `TFOpLambda` (see {@link rewriteOpLayers}), or says why it cannot.
 */
function rewriteOpLayer(layer: Json, name: string, cls: string): string | null {
  const config = layer.config as Json;
  const symbol = String(config.function);
  const k = operationOf(symbol);
  const what = `its layer '${name}' (${cls})`;
  if (k === undefined || (cls === 'SlicingOpLambda') !== (symbol === '__operators__.getitem')) {
    return `${what} calls tf.${symbol}, which this library does not compute`;
  }
  const op = OPERATIONS[k];
  const calls = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
  if (calls.length !== 1) return `${what} is called ${calls.length} times`;
  const call = calls[0];
  // One tensor or constant (a flat item), or a list of them (tf.concat's values).
  const flat = Array.isArray(call) && (typeof call[0] === 'string' || isConstant(call));
  const items = (flat ? [call] : Array.isArray(call) ? call : []) as unknown[];
  const kwargs = items.length > 0 && Array.isArray(items[0]) && isRecord(items[0][3]) ? items[0][3] : {};
  const refs: unknown[][] = [];
  const operand = (v: unknown, first: boolean): Operand | null => {
    if (isRef(v)) {
      refs.push([v[0], v[1], v[2], {}]);
      return { input: refs.length - 1 };
    }
    if (first && isConstant(v)) return operand(v[2], false);
    if (first) return null;
    if (Array.isArray(v) && v.some((x) => isRef(x))) {
      const list = v.map((x) => operand(x, false));
      return list.every((x) => x !== null) ? { list: list as Operand[] } : null;
    }
    if (typeof v === 'string') return null;
    return { value: v };
  };
  const firsts = items.map((item) => operand(item, true));
  if (firsts.some((f) => f === null || !numbersIn(f)) || items.length === 0) {
    return `${what} is called with a first argument this library cannot read`;
  }
  const operands: Operand[] = [flat ? (firsts[0] as Operand) : { list: firsts as Operand[] }];
  const named = Object.keys(kwargs).filter((key) => key !== 'name');
  const extra = named.find((key) => !op.params.includes(key));
  if (extra !== undefined) {
    return `${what} calls tf.${symbol} with the argument '${extra}', which this library does not read`;
  }
  for (const param of op.params.slice(1)) {
    const given = param in kwargs ? kwargs[param] : op.defaults?.[param];
    if (given === undefined && !(param in (op.defaults ?? {}))) {
      return `${what} calls tf.${symbol} without its argument '${param}'`;
    }
    // A constant Keras writes in several forms is read into one (a tensor there is not read).
    const read = op.read?.[param];
    const value = read && !isRef(given) ? read(given ?? null) : undefined;
    let o = read ? (value === undefined ? null : { value }) : operand(given ?? null, false);
    // A constant where a tensor goes must be numbers (a tensor's values).
    const tensor = op.params.indexOf(param) < (op.tensors ?? 1);
    if (o !== null && tensor && !numbersIn(o)) o = null;
    if (o === null) {
      const json = JSON.stringify(given ?? null) ?? String(given);
      const shown = json.length > 80 ? `${json.slice(0, 77)}...` : json;
      return `${what} calls tf.${symbol} with ${param}=${shown}, which this library does not compute`;
    }
    operands.push(o);
  }
  if (refs.length === 0) return `${what} reads no layer`;
  layer.class_name = 'TFOpLambda';
  layer.inbound_nodes = [refs];
  config.operation = k;
  config.operands = operands;
  return null;
}

/** Whether an operand's constants, if any, are numbers (a tensor's values); tensors pass. */
function numbersIn(o: Operand): boolean {
  if ('input' in o) return true;
  if ('list' in o) return o.list.every(numbersIn);
  return isNumbers(o.value);
}

/** The value of an operand: a tensor of `inputs`, a constant, or a list. */
function operandValue(o: Operand, inputs: readonly tf.Tensor[]): Value {
  if ('input' in o) return inputs[o.input];
  if ('list' in o) return o.list.map((x) => operandValue(x, inputs));
  return o.value;
}

/** The shape of an operand: an input's shape, a constant's, or a list of shapes. */
function operandShape(o: Operand, shapes: readonly Shape[]): Shape | unknown {
  if ('input' in o) return shapes[o.input];
  if ('list' in o) return o.list.map((x) => operandShape(x, shapes));
  return o.value;
}

let registered = false;

/** Registers the layer that computes a rewritten `TFOpLambda` (see {@link rewriteOpLayers}) with tfjs-layers, once. */
export function registerOpLayers(layers: typeof import('@tensorflow/tfjs-layers')): void {
  if (registered) return;
  registered = true;
  if ('TFOpLambda' in tf.serialization.SerializationMap.getMap().classNameMap) return;
  class TFOpLambda extends (layers.layers.Layer as unknown as BaseLayer) {
    static className = 'TFOpLambda';
    /** The operation, its operands, and the config as given. */
    readonly operation: Operation;
    readonly operands: readonly Operand[];
    private readonly settings: Record<string, unknown>;

    constructor(config: Record<string, unknown>) {
      super(config);
      this.settings = config;
      this.operation = OPERATIONS[Number(config.operation)];
      this.operands = config.operands as Operand[];
      if (!this.operation || !Array.isArray(this.operands)) {
        throw new Error(`TFOpLambda '${this.name}' was not rewritten for this library (importNetwork does that)`);
      }
    }

    call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      return tf.tidy(() => {
        const tensors = this.operation.tensors ?? 1;
        // A constant becomes a float32 tensor where the operation takes a tensor (not an axis or a shape), in a list
        // (tf.concat's values) too.
        const tensor = (o: Operand, v: Value): Value =>
          'value' in o
            ? tf.tensor(v as number, undefined, 'float32')
            : 'list' in o
              ? o.list.map((x, j) => tensor(x, (v as Value[])[j]))
              : v;
        const args = this.operands.map((o, i) =>
          i < tensors ? tensor(o, operandValue(o, list)) : operandValue(o, list),
        );
        return this.operation.run(args);
      });
    }

    computeOutputShape(inputShape: Shape | Shape[]): Shape {
      const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as Shape[]; // one or several inputs
      const tensors = this.operation.tensors ?? 1;
      const shape = (o: Operand, v: unknown): unknown =>
        'value' in o ? constantShape(v) : 'list' in o ? o.list.map((x, j) => shape(x, (v as unknown[])[j])) : v;
      const args = this.operands.map((o, i) =>
        i < tensors ? shape(o, operandShape(o, shapes)) : operandShape(o, shapes),
      );
      return this.operation.shape(args) ?? shapes[0];
    }

    override getConfig(): Record<string, unknown> {
      return { ...this.settings, ...super.getConfig() };
    }
  }
  tf.serialization.registerClass(
    TFOpLambda as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
}

/**
 * The MATLAB layer type of a loaded `TFOpLambda` layer, by how its output's size follows its input's (the layer
 * table's rules for other input sizes read it): `'Addition'` and `'Multiplication'` for a sum or product of two layers'
 * outputs (broadcast), `'Function'` for an elementwise operation of one layer's output and constants of at most one
 * axis (its input's shape), `'Other'` for the rest (reductions, reshapes, concatenations; computed at the size the
 * network was trained at only). Undefined for another layer.
 */
export function opLayerType(layer: object): 'Addition' | 'Multiplication' | 'Function' | 'Other' | undefined {
  const l = layer as { operation?: Operation; operands?: readonly Operand[] };
  if (!l.operation || !l.operands) return undefined;
  const inputs = l.operands.filter((o) => 'input' in o).length;
  const elementwise = l.operation.elementwise;
  if (!(typeof elementwise === 'function' ? elementwise(l.operands) : elementwise)) return 'Other';
  if (l.operands.some((o) => 'list' in o)) return 'Other';
  if (inputs === 2 && l.operands.length === 2) {
    const sum = l.operation.symbols.includes('__operators__.add');
    if (sum) return 'Addition';
    if (l.operation.symbols.includes('math.multiply')) return 'Multiplication';
    return 'Other';
  }
  // A constant of one value per channel (`[c]`, or `[1, 1, 1, c]` as Keras 3 shapes one) keeps the input's shape.
  const small = l.operands.every(
    (o) =>
      !('value' in o) ||
      constantShape(o.value)
        .slice(0, -1)
        .every((d) => d === 1),
  );
  return inputs === 1 && small ? 'Function' : 'Other';
}

/**
 * The layer table's description of a loaded `TFOpLambda` layer: TensorFlow's call, with the names of the layers it
 * reads and its constants (`tf.math.multiply(re_lu, y=0.1667)`), or null for another layer.
 */
export function describeOpLayer(layer: object, inputNames: readonly string[]): string | null {
  const l = layer as { operation?: Operation; operands?: readonly Operand[] };
  if (!l.operation || !l.operands) return null;
  const shown = (o: Operand): string => {
    if ('input' in o) return inputNames[o.input] ?? '?';
    if ('list' in o) return `[${o.list.map(shown).join(', ')}]`;
    return JSON.stringify(o.value);
  };
  if (l.operation.describe) return l.operation.describe(l.operands.map(shown), l.operands);
  const [first, ...rest] = l.operands;
  const named = rest.map((o, i) => `${l.operation!.params[i + 1]}=${shown(o)}`);
  return `tf.${l.operation.symbols[0]}(${[shown(first), ...named].join(', ')})`;
}
