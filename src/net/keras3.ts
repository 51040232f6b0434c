/**
 * Keras 3 model files, read by tfjs-layers: Keras 3 (TensorFlow 2.16's default Keras) writes a model's topology in a
 * format tfjs-layers does not read (it fails with "An InputLayer should be passed either a `batchInputShape` or an
 * `inputShape`"). {@link readKeras3} rewrites the topology of a model of layers and nested functional models into
 * Keras 2's format, changing what Keras 3 names otherwise, and refuses, saying why, what it cannot rewrite for
 * certain. Not exported from the package.
 */

import { KERAS3_HARD_SIGMOID } from './kerasActivations.js';

type Json = Record<string, unknown>;

/** Whether a JSON value is an object (not an array or null). */
export const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model classes whose layers a file lists. */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** What to do instead, said after every refusal. */
const INSTEAD =
  "export it with Keras 3's model.export(dir) and convert that SavedModel to a graph model " +
  '(tensorflowjs_converter --input_format=tf_saved_model), or save it with Keras 2 (the tf_keras package, with ' +
  'TF_USE_LEGACY_KERAS=1) before converting it';

/**
 * Whether `topology` (a model.json's `modelTopology`) is Keras 3's: its `keras_version` is 3 or later, or, when it
 * has none, an input layer has Keras 3's `batch_shape` (Keras 2 wrote `batch_input_shape`).
 */
export function isKeras3(topology: unknown): boolean {
  if (!isRecord(topology)) return false;
  const version = topology.keras_version;
  if (typeof version === 'string') return Number(/^(\d+)\./.exec(version)?.[1]) >= 3;
  const layers = modelOf(topology)?.config;
  const list = isRecord(layers) && Array.isArray(layers.layers) ? layers.layers : [];
  return list.some(
    (l) =>
      isRecord(l) &&
      l.class_name === 'InputLayer' &&
      isRecord(l.config) &&
      'batch_shape' in l.config &&
      !('batch_input_shape' in l.config),
  );
}

/** The model of a topology: its `model_config`, or the topology itself. */
export function modelOf(topology: Json): Json | undefined {
  const model = isRecord(topology.model_config) ? topology.model_config : topology;
  return isRecord(model) ? model : undefined;
}

/**
 * A copy of a Keras 3 `topology` in Keras 2's format, which tfjs-layers reads, or why it cannot be rewritten (a
 * sentence to follow "the model is a Keras 3 model file, ..."). Rewritten: each input layer's `batch_shape` (Keras 2's
 * `batch_input_shape`), dtype policies (objects; their float32 name), each layer call (`{args, kwargs}` with
 * `__keras_tensor__` objects; a list of `[layer, node, tensor, kwargs]`), a `LeakyReLU`'s `negative_slope` (Keras 2's
 * `alpha`), the activation `silu` (tfjs-layers's `swish`, the same function), the activation `hard_sigmoid` (Keras 3's
 * is `relu6(x + 3) / 6`, tfjs-layers's `0.2 x + 0.5`: renamed to the library's, see kerasActivations.ts) and the
 * numbers of the calls of nested models (functional and `Sequential`); operations on layer outputs (`x + 3.0`,
 * `ops.mean`, `x[..., 0]`) become the `TFOpLambda` and `SlicingOpLambda` layers Keras 2 wrote for them (see
 * kerasOps.ts). Refused: other operations, layers and nested models called more than once (a wrong call number would
 * connect other layers without an error), inputs or outputs by name, calls with other arguments than tensors,
 * precisions other than float32 and RMS layer normalization.
 */
export function readKeras3(topology: unknown): Json | string {
  const copy = copyOf(topology) as Json;
  const model = modelOf(copy);
  if (!model || !isRecord(model.config) || !Array.isArray(model.config.layers)) {
    return `a Keras 3 model file without a list of layers (a subclassed model?); ${INSTEAD}`;
  }
  if (typeof model.class_name !== 'string') return `a Keras 3 model file whose model has no class name; ${INSTEAD}`;
  if (!MODEL_CLASSES.has(model.class_name)) {
    return `a Keras 3 model file of the class '${model.class_name}'; ${INSTEAD}`;
  }
  // The models to rewrite, nested ones as they are found: a list, not recursion, as a file may nest models deeper
  // than the call stack goes.
  const models = [model];
  for (let next = models.pop(); next !== undefined; next = models.pop()) {
    const problem = rewriteModel(next, models);
    if (problem) return `a Keras 3 model file, and ${problem}, which this library cannot read; ${INSTEAD}`;
  }
  return copy;
}

/** How deeply a Keras topology may nest objects and lists (the real ones in use nest 9 levels). */
export const MAX_TOPOLOGY_DEPTH = 100;

/**
 * A deep copy of a model file's topology given as JavaScript data, as JSON would carry it: keys of undefined values
 * left out, undefined list items null; or why it is not JSON data (it contains itself, or a function, a symbol or a
 * big integer). A list rather than recursion, for data nested deeper than the call stack. tfjs-layers failed on an
 * undefined value ("Cannot convert undefined or null to object"), and a topology that contains itself would make the
 * readers here walk it without end. Nested deeper than {@link MAX_TOPOLOGY_DEPTH} levels is refused too: tfjs-layers
 * reads a topology by recursion, and so does `JSON.stringify`, which both ran out of call stack on one nested 100,000
 * deep ("Maximum call stack size exceeded").
 */
export function jsonCopy(value: unknown): { json: unknown } | { problem: string } {
  const fresh = (v: unknown): unknown => (Array.isArray(v) ? [...v] : isRecord(v) ? { ...v } : v);
  const root = fresh(value);
  // Depth first: an object's frame is entered, its children done, then it is left (off the path again).
  const stack: { copy: unknown; source: object; depth: number; leave?: true }[] = [];
  const onPath = new Set<object>();
  if (typeof value === 'object' && value !== null) stack.push({ copy: root, source: value, depth: 1 });
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    if (frame.leave) {
      onPath.delete(frame.source);
      continue;
    }
    onPath.add(frame.source);
    stack.push({ ...frame, leave: true });
    const target = frame.copy as Record<string, unknown>;
    for (const key of Object.keys(target)) {
      const child = target[key];
      if (child === undefined) {
        if (Array.isArray(target)) target[key] = null;
        else delete target[key];
      } else if (typeof child === 'function' || typeof child === 'symbol' || typeof child === 'bigint') {
        return { problem: `its topology holds a ${typeof child} (at '${key}'), which JSON does not` };
      } else if (typeof child === 'object' && child !== null) {
        if (onPath.has(child)) return { problem: `its topology contains itself (at '${key}')` };
        if (frame.depth >= MAX_TOPOLOGY_DEPTH) {
          return {
            problem:
              `its topology is nested more than ${MAX_TOPOLOGY_DEPTH} levels deep (at '${key}'); ` +
              'Keras writes about 10, a few more for each model inside another',
          };
        }
        target[key] = fresh(child);
        stack.push({ copy: target[key], source: child, depth: frame.depth + 1 });
      }
    }
  }
  return { json: root };
}

/** A deep copy of JSON data, made with a list rather than recursion (for data nested deeper than the call stack). */
export function copyOf(value: unknown): unknown {
  const fresh = (v: unknown): unknown => (Array.isArray(v) ? [...v] : isRecord(v) ? { ...v } : v);
  const root = fresh(value);
  const todo = [root];
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    const target = item as Record<string, unknown>;
    for (const key of Object.keys(target)) {
      const child = target[key];
      if (typeof child === 'object' && child !== null) {
        target[key] = fresh(child);
        todo.push(target[key]);
      }
    }
  }
  return root;
}

/** The functional model classes (a file may nest them, and `Sequential` models). */
const FUNCTIONAL = new Set(['Functional', 'Model']);

/**
 * Rewrites a model of a Keras 3 file (its config and its layers) in place, or says why it cannot; its nested models
 * go on `nestedModels`, to be rewritten the same way. Keras 3 numbers the first call of a nested model 0 in the layer
 * calls that read it, where Keras 2 (and tfjs-layers) count the model's own node first and number it 1. In a model's
 * `output_layers` Keras 3 numbers a nested functional model's call 1 (it counts a node linking the model's input to
 * its output there, as Keras 2 does), a nested `Sequential`'s 0 (it has no such node in Keras 3, but has one in Keras
 * 2 and tfjs-layers). Each becomes 1.
 */
function rewriteModel(model: Json, nestedModels: Json[]): string | null {
  const config = model.config as Json;
  const layers = config.layers as unknown[];
  if (config.dtype !== undefined) {
    const dtype = floatPolicy(config.dtype);
    if (dtype === null) return `it computes in ${policyName(config.dtype)}`;
    config.dtype = dtype;
  }
  // A Sequential model built without an Input gives its input's shape as build_input_shape, not as a first layer.
  const first = layers[0];
  if (
    model.class_name === 'Sequential' &&
    Array.isArray(config.build_input_shape) &&
    isRecord(first) &&
    first.class_name !== 'InputLayer' &&
    isRecord(first.config) &&
    !('batch_input_shape' in first.config)
  ) {
    first.config.batch_input_shape = config.build_input_shape;
  }
  const nested = new Set<string>();
  const sequential = new Set<string>();
  for (const layer of layers) {
    if (!isRecord(layer)) continue;
    if (FUNCTIONAL.has(String(layer.class_name))) nested.add(String(layer.name));
    if (layer.class_name === 'Sequential') sequential.add(String(layer.name));
  }
  for (const end of ['input_layers', 'output_layers']) {
    const given = config[end];
    if (given === undefined) continue;
    if (!Array.isArray(given)) return `its ${end} are given by name`;
    // A model of one input or output (keras.Model(inputs=x, outputs=y)) names it alone, not in a list.
    const refs: unknown[] = typeof given[0] === 'string' ? [given] : given;
    config[end] = refs;
    const firstCall = (r: unknown): r is unknown[] =>
      Array.isArray(r) && typeof r[0] === 'string' && r[1] === (nested.has(r[0]) ? 1 : 0);
    if (!refs.every(firstCall)) return `its ${end} name layer calls other than the first`;
    for (const r of refs) if (sequential.has(String(r[0]))) r[1] = 1;
  }
  for (const name of sequential) nested.add(name);
  for (const layer of layers) {
    if (!isRecord(layer) || !isRecord(layer.config)) return 'a layer of it has no config';
    const given = layer.config.name ?? layer.name;
    if (typeof given !== 'string') return 'a layer of it has no name';
    if (typeof layer.class_name !== 'string') return `its layer '${given}' has no class name`;
    const name = given;
    const cls = layer.class_name;
    if (isOperation(layer)) {
      const problem = rewriteOperation(layer, name, nested);
      if (problem) return problem;
      continue;
    }
    if (FUNCTIONAL.has(cls) || cls === 'Sequential') {
      if (!Array.isArray(layer.config.layers)) return `its layer '${name}' is a nested model without a list of layers`;
      nestedModels.push(layer);
    } else {
      const problem = rewriteLayer(layer, name);
      if (problem) return problem;
    }
    for (const key of ['module', 'registered_name', 'build_config', 'compile_config']) delete layer[key];
    // Keras 3 writes an empty list for an input layer; tfjs-layers fails on none ("reading 'forEach'").
    if (FUNCTIONAL.has(String(model.class_name)) && layer.inbound_nodes === undefined) layer.inbound_nodes = [];
    const calls = rewriteCalls(layer, name, nested);
    if (calls) return calls;
  }
  return null;
}

/** Whether a layer entry of a Keras 3 file is an operation (`keras.ops`, as `x + 3.0` on a layer's output makes). */
const isOperation = (layer: Json) => /^keras(\.src)?\.ops(\.|$)/.test(String(layer.module ?? ''));

/** The TensorFlow function (as a Keras 2 `TFOpLambda` names it) of each Keras 3 operation read, by class. */
const OPERATION_FUNCTIONS: Readonly<Record<string, string>> = {
  Add: '__operators__.add',
  Subtract: 'math.subtract',
  Multiply: 'math.multiply',
  Divide: 'math.truediv',
  TrueDivide: 'math.truediv',
  Maximum: 'math.maximum',
  Minimum: 'math.minimum',
  Power: 'math.pow',
  Negative: 'math.negative',
  Absolute: 'math.abs',
  Abs: 'math.abs',
  Square: 'math.square',
  Sqrt: 'math.sqrt',
  Exp: 'math.exp',
  Log: 'math.log',
  Tanh: 'math.tanh',
  Relu: 'nn.relu',
  Relu6: 'nn.relu6',
  Sigmoid: 'math.sigmoid',
  Silu: 'nn.silu',
  Mean: 'math.reduce_mean',
  Sum: 'math.reduce_sum',
  Max: 'math.reduce_max',
  Min: 'math.reduce_min',
  GetItem: '__operators__.getitem',
  Stack: 'stack',
  Concatenate: 'concat',
  Reshape: 'reshape',
  ExpandDims: 'expand_dims',
  Squeeze: 'squeeze',
  Transpose: 'transpose',
  Clip: 'clip_by_value',
  Softmax: 'nn.softmax',
  Cast: 'cast',
  Normalize: 'math.l2_normalize',
  Resize: 'image.resize',
  Pad: 'pad',
};

/** The operations above that take a second argument, by the name TensorFlow gives it. */
const SECOND: Readonly<Record<string, string>> = {
  Add: 'y',
  Subtract: 'y',
  Multiply: 'y',
  Divide: 'y',
  TrueDivide: 'y',
  Maximum: 'y',
  Minimum: 'y',
  Power: 'y',
  GetItem: 'slice_spec',
};
/** The operations above whose argument is a list of tensors. */
const LISTS = new Set(['Stack', 'Concatenate']);

/** A reduction's arguments from its config. */
const reduction = (c: Json): Json | string =>
  c.initial != null ? 'with an initial value' : { axis: untuple(c.axis) ?? null, keepdims: c.keepdims === true };

/**
 * The TensorFlow arguments of the operations above that keep theirs in their config (`ops.mean(x, axis=[1, 2])`), by
 * TensorFlow's names, or why they cannot be read (a phrase after "with"). Read by kerasOps.ts, which refuses what it
 * does not compute (a resize with antialiasing, a cast to an integer type).
 */
const CONFIG_ARGUMENTS: Readonly<Record<string, (c: Json) => Json | string>> = {
  Mean: reduction,
  Sum: reduction,
  Max: reduction,
  Min: reduction,
  Stack: (c) => ({ axis: c.axis ?? 0 }),
  Concatenate: (c) => ({ axis: c.axis ?? 0 }),
  Reshape: (c) => ({ shape: untuple(c.newshape ?? c.new_shape) }),
  ExpandDims: (c) => ({ axis: c.axis }),
  Squeeze: (c) => ({ axis: untuple(c.axis) ?? null }),
  Transpose: (c) => ({ perm: untuple(c.axes) ?? null }),
  Clip: (c) => ({ clip_value_min: c.x_min, clip_value_max: c.x_max }),
  Softmax: (c) => ({ axis: c.axis ?? -1 }),
  Cast: (c) => ({ dtype: policyName(c.dtype) }),
  // Keras 3's x · rsqrt(max(Σx², ε²)) is TensorFlow's l2_normalize with ε² (ε is Keras's 1e-7 unless given).
  Normalize: (c) =>
    c.order !== undefined && c.order !== 2
      ? `with order ${c.order}`
      : { axis: untuple(c.axis === undefined ? -1 : c.axis), epsilon: Number(c.epsilon ?? 1e-7) ** 2 },
  Resize: (c) =>
    c.crop_to_aspect_ratio === true || c.pad_to_aspect_ratio === true
      ? 'keeping the aspect ratio'
      : c.data_format === 'channels_first'
        ? 'channels first'
        : { size: untuple(c.size), method: c.interpolation ?? 'bilinear', antialias: c.antialias === true },
  Pad: (c) => ({ paddings: untuple(c.pad_width), mode: String(c.mode ?? 'constant').toUpperCase() }),
};

/** A Keras 3 tuple (`{class_name: '__tuple__', config: {value}}`) as its list; anything else as it is. */
const untuple = (v: unknown) =>
  isRecord(v) && v.class_name === '__tuple__' && isRecord(v.config) ? v.config.value : v;

/**
 * A constant argument of a Keras 3 operation as a number or nested lists of numbers: Keras 3 writes a tensor or a
 * NumPy array as `{class_name: '__tensor__' | '__numpy__', config: {value, dtype}}` (keras.applications's
 * `preprocess_input` adds its mean so); undefined for one of another dtype (strings, complex numbers).
 */
function constantOf(v: unknown): unknown {
  if (!isRecord(v) || (v.class_name !== '__tensor__' && v.class_name !== '__numpy__')) return untuple(v);
  const config = isRecord(v.config) ? v.config : {};
  return /^(float|u?int|bool)/.test(String(config.dtype)) ? config.value : undefined;
}

/**
 * Rewrites a Keras 3 operation (see {@link isOperation}) in place into the `TFOpLambda` (a slice: `SlicingOpLambda`)
 * layer Keras 2 would have written for it (read by kerasOps.ts), or says why it cannot. Its arguments are its call's
 * (tensors or constants; a list of tensors for a stack or concatenation); the others, such as a reduction's axes, are
 * in its config ({@link CONFIG_ARGUMENTS}). An operation outside {@link OPERATION_FUNCTIONS} is refused,
 * never read as a layer that happens to share its class name.
 */
function rewriteOperation(layer: Json, name: string, nested: ReadonlySet<string>): string | null {
  const cls = String(layer.class_name);
  const what = `its layer '${name}' is the operation keras.ops ${cls}`;
  const symbol = OPERATION_FUNCTIONS[cls];
  if (symbol === undefined) return `${what}, which this library does not compute`;
  const config = layer.config as Json;
  const calls = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
  const node = calls[0];
  if (calls.length !== 1 || !isRecord(node) || !Array.isArray(node.args)) return `${what}, called other than once`;
  if (isRecord(node.kwargs) && Object.keys(node.kwargs).length > 0) return `${what}, with keyword arguments`;
  const args = node.args;
  if (args.length !== (cls in SECOND ? 2 : 1)) return `${what}, with ${args.length} arguments`;
  // A layer's output as Keras 2 refers to it, or a constant; a list of tensors for the operations of LISTS.
  const refs: unknown[][] = [];
  type Item = { value: unknown } | { ref: unknown[]; call: unknown };
  const refOf = (history: unknown[]): Item => {
    refs.push(history);
    const [from, call, index] = history;
    return { ref: [from, nested.has(String(from)) ? 1 : 0, index], call };
  };
  const items = args.map((a): Item => {
    const found: unknown[][] = [];
    if (!isRecord(a) || !tensorsOf(a, found, false) || found.length !== 1) return { value: constantOf(a) };
    return refOf(found[0]);
  });
  const list: Item[] = [];
  if (LISTS.has(cls)) {
    for (const a of Array.isArray(args[0]) ? args[0] : [null]) {
      const found: unknown[][] = [];
      if (!isRecord(a) || !tensorsOf(a, found, false) || found.length !== 1) {
        return `${what}, with other values than tensors in its list`;
      }
      list.push(refOf(found[0]));
    }
  }
  if (refs.length === 0) return `${what}, which reads no layer`;
  if ([...items, ...list].some((i) => 'call' in i && i.call !== 0)) {
    return `${what}, which reads a layer called more than once`;
  }
  if (items.some((i) => 'value' in i && i.value === undefined)) return `${what}, with a constant of another dtype`;
  const operand = (i: Item) => ('ref' in i ? i.ref : i.value);
  const kwargs: Json = {};
  if (cls in SECOND) kwargs[SECOND[cls]] = operand(items[1]);
  const fromConfig = CONFIG_ARGUMENTS[cls]?.(config) ?? {};
  if (typeof fromConfig === 'string') return `${what}, ${fromConfig}`;
  Object.assign(kwargs, fromConfig);
  const first = items[0];
  // A slice is a SlicingOpLambda in Keras 2 (kerasOps.ts reads it as such).
  layer.class_name = cls === 'GetItem' ? 'SlicingOpLambda' : 'TFOpLambda';
  layer.config = { name, trainable: false, dtype: 'float32', function: symbol };
  for (const key of ['module', 'registered_name', 'build_config', 'compile_config']) delete layer[key];
  layer.inbound_nodes = [
    list.length > 0
      ? list.map((i) => [...(i as { ref: unknown[] }).ref, kwargs])
      : 'ref' in first
        ? [...first.ref, kwargs]
        : ['_CONSTANT_VALUE', -1, first.value, kwargs],
  ];
  return null;
}

/** Rewrites the config of one layer (not a model) of a Keras 3 file in place, or says why it cannot. */
function rewriteLayer(layer: Json, name: string): string | null {
  const cls = String(layer.class_name);
  const cfg = layer.config as Json;
  // Settings given as NumPy arrays or tensors (a Rescaling's scale, a Normalization's mean) as their numbers.
  for (const [key, value] of Object.entries(cfg)) {
    if (!isRecord(value) || (value.class_name !== '__numpy__' && value.class_name !== '__tensor__')) continue;
    const numbers = constantOf(value);
    if (numbers === undefined) return `its layer '${name}' has a ${key} of another dtype than numbers`;
    cfg[key] = numbers;
  }
  if (cfg.dtype !== undefined) {
    const dtype = cls === 'InputLayer' && typeof cfg.dtype === 'string' ? cfg.dtype : floatPolicy(cfg.dtype);
    if (dtype === null) return `its layer '${name}' computes in ${policyName(cfg.dtype)}`;
    cfg.dtype = dtype;
  }
  if (cls === 'InputLayer' && 'batch_shape' in cfg && !('batch_input_shape' in cfg)) {
    cfg.batch_input_shape = cfg.batch_shape;
    delete cfg.batch_shape;
  }
  if (cls === 'LeakyReLU' && typeof cfg.negative_slope === 'number' && !('alpha' in cfg)) {
    cfg.alpha = cfg.negative_slope;
    delete cfg.negative_slope;
  }
  if (cfg.activation === 'silu') cfg.activation = 'swish';
  // Keras 3's hard_sigmoid is relu6(x + 3) / 6; tfjs-layers's (Keras 2's) is clip(0.2 x + 0.5, 0, 1).
  if (cfg.activation === 'hard_sigmoid') cfg.activation = KERAS3_HARD_SIGMOID;
  if (cls === 'LayerNormalization' && cfg.rms_scaling === true) {
    return `its layer '${name}' normalizes by the root mean square (rms_scaling), which tfjs-layers does not`;
  }
  return null;
}

/**
 * Rewrites the calls of one layer of a Keras 3 file (`inbound_nodes`) into Keras 2's lists in place, numbering the
 * calls of the `nested` functional models as Keras 2 does, or says why it cannot.
 */
function rewriteCalls(layer: Json, name: string, nested: ReadonlySet<string>): string | null {
  if (!Array.isArray(layer.inbound_nodes)) return null;
  const calls: unknown[] = [];
  for (const node of layer.inbound_nodes) {
    if (Array.isArray(node)) {
      calls.push(node);
      continue;
    }
    if (!isRecord(node)) return `its layer '${name}' has a call of another form`;
    const refs: unknown[][] = [];
    if (!tensorsOf(node.args, refs, false)) return `its layer '${name}' is called with other arguments than tensors`;
    const kwargs = isRecord(node.kwargs) ? node.kwargs : {};
    const scan: unknown[][] = [];
    if (!tensorsOf(Object.values(kwargs), scan, true) || scan.length > 0) {
      return `its layer '${name}' is called with a tensor as a keyword argument`;
    }
    if (refs.some((r) => r[1] !== 0)) return `its layer '${name}' reads a layer called more than once`;
    calls.push(refs.map((r) => [r[0], nested.has(String(r[0])) ? 1 : 0, r[2], kwargs]));
  }
  if (calls.length > 1) return `its layer '${name}' is called more than once`;
  layer.inbound_nodes = calls;
  return null;
}

/**
 * Collects into `refs` the `keras_history` of every Keras 3 tensor in `value` (lists nested in any depth), in order;
 * false when `value` holds anything else but null (or, with `plain`, a boolean, number or string: a keyword argument
 * such as `training`).
 */
function tensorsOf(value: unknown, refs: unknown[][], plain: boolean): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.every((v) => tensorsOf(v, refs, plain));
  if (isRecord(value) && value.class_name === '__keras_tensor__' && isRecord(value.config)) {
    const history = value.config.keras_history;
    if (!Array.isArray(history) || typeof history[0] !== 'string') return false;
    refs.push(history);
    return true;
  }
  return plain && ['boolean', 'number', 'string'].includes(typeof value);
}

/** A dtype policy's name when it computes in float32 (`'float32'`), or null; a plain dtype string as it is. */
function floatPolicy(policy: unknown): string | null {
  const name = policyName(policy);
  return name === 'float32' ? 'float32' : null;
}

/** The name of a dtype or a Keras 3 dtype policy (`{class_name: 'DTypePolicy', config: {name}}`). */
function policyName(policy: unknown): string {
  if (typeof policy === 'string') return policy;
  if (isRecord(policy) && isRecord(policy.config) && typeof policy.config.name === 'string') return policy.config.name;
  return String(policy);
}
