/**
 * Keras 3 model files, read by tfjs-layers: Keras 3 (TensorFlow 2.16's default Keras) writes a model's topology in a
 * format tfjs-layers does not read (it fails with "An InputLayer should be passed either a `batchInputShape` or an
 * `inputShape`"). {@link readKeras3} rewrites the topology of a model of plain layers into Keras 2's format, changing
 * what Keras 3 names otherwise, and refuses, saying why, what it cannot rewrite for certain. Not exported from the
 * package.
 */

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model classes whose layers a file lists (a layer of one of these is a nested model). */
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
function modelOf(topology: Json): Json | undefined {
  const model = isRecord(topology.model_config) ? topology.model_config : topology;
  return isRecord(model) ? model : undefined;
}

/**
 * A copy of a Keras 3 `topology` in Keras 2's format, which tfjs-layers reads, or why it cannot be rewritten (a
 * sentence to follow "the model is a Keras 3 model file, ..."). Rewritten: each input layer's `batch_shape` (Keras 2's
 * `batch_input_shape`), dtype policies (objects; their float32 name), each layer call (`{args, kwargs}` with
 * `__keras_tensor__` objects; a list of `[layer, node, tensor, kwargs]`), a `LeakyReLU`'s `negative_slope` (Keras 2's
 * `alpha`) and the activation `silu` (tfjs-layers's `swish`, the same function). Refused: nested models and layers
 * called more than once (Keras 3 numbers their calls otherwise than Keras 2, and a wrong number would connect other
 * layers without an error), inputs or outputs by name, calls with other arguments than tensors, precisions other than
 * float32, `hard_sigmoid` (Keras 3's is `relu6(x + 3) / 6`, tfjs-layers's `0.2 x + 0.5`) and RMS layer normalization.
 */
export function readKeras3(topology: unknown): Json | string {
  const copy = structuredClone(topology) as Json;
  const model = modelOf(copy);
  const config = model?.config;
  if (!model || !isRecord(config) || !Array.isArray(config.layers)) {
    return `a Keras 3 model file without a list of layers (a subclassed model?); ${INSTEAD}`;
  }
  if (!MODEL_CLASSES.has(String(model.class_name))) {
    return `a Keras 3 model file of the class '${String(model.class_name)}'; ${INSTEAD}`;
  }
  const refusal = (what: string) => `a Keras 3 model file, and ${what}, which this library cannot read; ${INSTEAD}`;
  if (config.dtype !== undefined) {
    const dtype = floatPolicy(config.dtype);
    if (dtype === null) return refusal(`it computes in ${policyName(config.dtype)}`);
    config.dtype = dtype;
  }
  for (const end of ['input_layers', 'output_layers']) {
    const refs = config[end];
    if (refs === undefined) continue;
    if (!Array.isArray(refs)) return refusal(`its ${end} are given by name`);
    if (!refs.every((r) => Array.isArray(r) && typeof r[0] === 'string' && r[1] === 0)) {
      return refusal(`its ${end} name layer calls other than the first`);
    }
  }
  // A Sequential model built without an Input gives its input's shape as build_input_shape, not as a first layer.
  const first = config.layers[0];
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
  for (const layer of config.layers) {
    if (!isRecord(layer) || !isRecord(layer.config)) return refusal('a layer of it has no config');
    const name = String(layer.config.name ?? layer.name);
    const problem = rewriteLayer(layer, name);
    if (problem) return refusal(problem);
  }
  return copy;
}

/** Rewrites one layer of a Keras 3 file in place, or says why it cannot. */
function rewriteLayer(layer: Json, name: string): string | null {
  const cls = String(layer.class_name);
  const cfg = layer.config as Json;
  if (MODEL_CLASSES.has(cls)) return `its layer '${name}' is a nested model (${cls})`;
  for (const key of ['module', 'registered_name', 'build_config', 'compile_config']) delete layer[key];
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
  if (cfg.activation === 'hard_sigmoid') {
    return `its layer '${name}' uses hard_sigmoid (Keras 3's is relu6(x + 3) / 6, tfjs-layers's 0.2 x + 0.5)`;
  }
  if (cls === 'LayerNormalization' && cfg.rms_scaling === true) {
    return `its layer '${name}' normalizes by the root mean square (rms_scaling), which tfjs-layers does not`;
  }
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
    calls.push(refs.map((r) => [r[0], r[1], r[2], kwargs]));
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
