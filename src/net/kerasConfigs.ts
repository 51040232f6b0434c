/**
 * Keras layer settings that tfjs-layers drops while it reads a model file, without an error: a layer built from such a
 * file runs otherwise than Keras ran it. Read here from the file's own topology (the loaded model no longer has them):
 * a `ReLU`'s `negative_slope` and `threshold` are put back into the loaded layers (and the half-pixel centres of a
 * bilinear `UpSampling2D`, which the file gives by its Keras version), a `Conv2DTranspose`'s `output_padding` that
 * changes the layer's size and a convolution's `groups` are refused (global pooling's `keepdims` is put back by
 * kerasLayers.ts); settings that act in training only but that tfjs-layers acts on while loading are left out of a
 * copy, and an `Identity` layer renamed there. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { copyOf } from './keras3.js';
import { UNSUPPORTED_KERAS_ACTIVATIONS } from './kerasActivations.js';
import { KERAS_IDENTITY } from './kerasLayers.js';

/** A layer of a Keras topology as the file writes it. */
interface RawLayer {
  readonly className: string;
  readonly config: Record<string, unknown>;
  /** The layer's entry in the file (`{class_name, config, ...}`). */
  readonly entry: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A layer's name: its config's, else its entry's (as Keras 2 and 3 write both). */
const layerName = (l: RawLayer) => String(l.config.name ?? l.entry.name);

/**
 * The layers a model or wrapper config holds, one level down: `config.layers` (or Sequential's old bare list) or
 * `config.layer`.
 */
function innerLayers(config: unknown): RawLayer[] {
  const list = Array.isArray(config) ? config : isRecord(config) ? (config.layers ?? [config.layer]) : [];
  const out: RawLayer[] = [];
  for (const l of Array.isArray(list) ? list : []) {
    if (isRecord(l) && typeof l.class_name === 'string') {
      out.push({ className: l.class_name, config: isRecord(l.config) ? l.config : {}, entry: l });
    }
  }
  return out;
}

/** The top model's layers of a Keras model file's topology (`model_config` or the model itself). */
function topologyLayers(topology: unknown): RawLayer[] {
  if (!isRecord(topology)) return [];
  const model = isRecord(topology.model_config) ? topology.model_config : topology;
  return innerLayers(model.config);
}

/**
 * Every layer of `layers`, nested ones included, depth first. An explicit stack, not recursion: a file may nest
 * models deeper than the call stack goes.
 */
function* allLayers(layers: readonly RawLayer[]): Generator<RawLayer> {
  const stack = [...layers].reverse();
  for (let l = stack.pop(); l !== undefined; l = stack.pop()) {
    yield l;
    stack.push(...innerLayers(l.config).reverse());
  }
}

const pairOf = (v: unknown, fallback: number): [number, number] => {
  const a = Array.isArray(v) ? v : [v, v];
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);
  return [n(a[0]), n(a[1] ?? a[0])];
};

/** `s·n + c` as a reader writes it. */
const sideFormula = (s: number, c: number) => `${s}·n${c > 0 ? ` + ${c}` : c < 0 ? ` − ${-c}` : ''}`;

/** Whether a layer setting acts in training only in a way tfjs-layers would act on while it loads the model. */
const actsWhileLoading = (key: string) => key === 'activity_regularizer' || key.endsWith('_constraint');

/**
 * A copy of a Keras model file's `topology` that tfjs-layers loads as Keras does, or null when it needs no change.
 * Left out: the layer settings that act in training only but that tfjs-layers acts on while loading, an
 * `activity_regularizer` (tfjs-layers refuses to build a layer with one: "Layer invocation in the presence of activity
 * regularizer(s) is not supported yet") and weight constraints (`kernel_constraint`, `MaxNorm`, `UnitNorm`, …:
 * tfjs-layers applies them to the weights it loads, so it ran other weights than the file's; Keras applies them after
 * each training step and loads weights as saved). Renamed: Keras's `Identity` layer, to {@link KERAS_IDENTITY}
 * (tfjs-layers's initializer of that name was made in its place, which failed to build). Nested models and wrapped
 * layers included.
 */
export function loadableTopology(topology: unknown): unknown | null {
  const needs = (l: RawLayer) =>
    l.className === 'Identity' ||
    Object.entries(l.config).some(([key, v]) => actsWhileLoading(key) && v !== null && v !== undefined);
  if (![...allLayers(topologyLayers(topology))].some(needs)) return null;
  const copy = copyOf(topology);
  for (const layer of allLayers(topologyLayers(copy))) {
    for (const key of Object.keys(layer.config)) if (actsWhileLoading(key)) layer.config[key] = null;
    if (layer.className === 'Identity') layer.entry.class_name = KERAS_IDENTITY;
  }
  return copy;
}

/** The names of every layer of a Keras model file's `topology`, nested models' and wrapped layers' included. */
export function kerasLayerNames(topology: unknown): Set<string> {
  return new Set([...allLayers(topologyLayers(topology))].map(layerName));
}

/**
 * The first layer of a Keras model file's `topology` (nested models and wrapped layers included) whose class no one
 * registered with TF.js (tfjs-layers, this library or the program), as its name and class, or null.
 */
export function unknownKerasLayer(topology: unknown): { name: string; className: string } | null {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const layer of allLayers(topologyLayers(topology))) {
    if (!(layer.className in known)) {
      return { name: layerName(layer), className: layer.className };
    }
  }
  return null;
}

/** The classes of models a Keras file nests (each counts a call of its own first, in Keras 2's numbering). */
const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Keras 2's reference to a layer's output: `[layer, call, tensor]`, and the call's keyword arguments maybe. */
const isOutputRef = (r: unknown): r is [string, number, number, ...unknown[]] =>
  Array.isArray(r) &&
  (r.length === 3 || (r.length === 4 && (r[3] === null || isRecord(r[3])))) &&
  typeof r[0] === 'string' &&
  isIndex(r[1]) &&
  isIndex(r[2]);

/** A value as a message shows it: JSON, cut short. */
const shownJson = (v: unknown) => {
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
};

/**
 * Why a Keras model file's `topology` (in Keras 2's format, which tfjs-layers reads) is not well formed, or null: a
 * layer entry without a class name, a config or a name, a functional model's layer listed under another name than its
 * config's, two layers of one name in a model, a call that reads what is not a layer's output
 * (`[layer, call, tensor]`), a layer the model does not have, a call of it that was never made or an output it does not
 * have; inputs and outputs likewise. tfjs-layers looped for ever on a missing layer or call and failed deep inside on
 * the others ("Cannot read properties of undefined (reading 'sourceLayer')"). Nested models included; a list of them,
 * not recursion.
 */
export function kerasStructureProblem(topology: unknown): string | null {
  if (!isRecord(topology)) return null;
  const top = isRecord(topology.model_config) ? topology.model_config : topology;
  // Sequential's old format: the config is the list of layers.
  const bareList = isRecord(top) && top.class_name === 'Sequential' && Array.isArray(top.config);
  if (!isRecord(top) || (!bareList && !(isRecord(top.config) && Array.isArray(top.config.layers)))) {
    return 'a model without a list of layers';
  }
  const models: unknown[] = [top];
  for (let m = models.pop(); m !== undefined; m = models.pop()) {
    if (!isRecord(m) || !isRecord(m.config) || !Array.isArray(m.config.layers)) continue;
    const config = m.config;
    const layers = config.layers as unknown[];
    const name = typeof config.name === 'string' ? `model '${config.name}'` : 'model';
    if (m.class_name !== 'Sequential' && !['input_layers', 'output_layers'].every((k) => Array.isArray(config[k]))) {
      return `its ${name} does not list its inputs and outputs (input_layers, output_layers)`;
    }
    // How many calls each layer has, numbered as Keras 2 numbers them, and how many outputs.
    const calls = new Map<string, number>();
    const outputs = new Map<string, number>();
    for (const l of layers) {
      if (!isRecord(l) || typeof l.class_name !== 'string' || !isRecord(l.config)) {
        return `a layer entry without a class name or config (${shownJson(l)})`;
      }
      const name = l.config.name ?? l.name;
      if (typeof name !== 'string') return `a ${l.class_name} layer without a name`;
      // tfjs-layers finds a functional model's layers by their entries' names, and the calls by their configs'.
      if (m.class_name !== 'Sequential' && l.name !== name) {
        const listed = l.name === undefined ? 'without a name' : `under the name ${shownJson(l.name)}`;
        return `its layer '${name}' (${l.class_name}) is listed ${listed}`;
      }
      if (calls.has(name)) return `two layers named '${name}' in one model`;
      const own = MODEL_CLASSES.has(l.class_name) || l.class_name === 'InputLayer' ? 1 : 0;
      calls.set(name, (Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0) + own);
      // A layer has one output, a nested model one per entry of its output_layers.
      const ends = l.config.output_layers;
      outputs.set(name, Array.isArray(ends) && ends.every(Array.isArray) ? ends.length : 1);
      if (Array.isArray(l.config.layers)) models.push(l);
    }
    const reads = (ref: unknown, who: string): string | null => {
      if (!isOutputRef(ref)) return `${who} reads ${shownJson(ref)}, which is not a layer's output`;
      const n = calls.get(ref[0]);
      if (n === undefined) return `${who} reads '${ref[0]}', which the model has no layer of`;
      if (ref[1] >= n) return `${who} reads call ${ref[1]} of '${ref[0]}', which is called ${n} times`;
      const k = outputs.get(ref[0]) ?? 1;
      return ref[2] < k ? null : `${who} reads output ${ref[2]} of '${ref[0]}', which has ${k}`;
    };
    if (m.class_name === 'Sequential') continue;
    for (const l of layers as Record<string, unknown>[]) {
      const name = String((l.config as Record<string, unknown>).name ?? l.name);
      const nodes = l.inbound_nodes;
      if (nodes === undefined) continue;
      if (!Array.isArray(nodes) || !nodes.every(Array.isArray)) return `its layer '${name}' has calls of another form`;
      for (const node of nodes as unknown[][]) {
        for (const ref of node) {
          const problem = reads(ref, `its layer '${name}'`);
          if (problem) return problem;
        }
      }
    }
    // Lists, as checked above.
    for (const end of ['input_layers', 'output_layers']) {
      if ((config[end] as unknown[]).length === 0) return `its ${name} lists no ${end.slice(0, -7)}s (${end} is empty)`;
      for (const ref of config[end] as unknown[]) {
        const problem = reads(ref, `its ${end}`);
        if (problem) return problem;
      }
    }
    const unreached = unreachedLayer(layers as Record<string, unknown>[], config);
    if (unreached) return unreached;
  }
  return null;
}

/**
 * The problem with a functional model's layers or calls that its outputs are not computed from, or null. Keras writes
 * only the layers and calls between a model's inputs and its outputs; tfjs-layers made the weights of any other layer
 * and never freed them, counted any other call as a use of its layer (whose weights then outlived the model), and
 * failed on an input layer left out of `input_layers` with a message naming "[object Object]". Walks back from the
 * outputs call by call (a list, not recursion); layers and references as {@link kerasStructureProblem} checked them,
 * a model's or input layer's calls numbered from 1 as Keras 2 numbers them.
 */
function unreachedLayer(layers: readonly Record<string, unknown>[], config: Record<string, unknown>): string | null {
  const nameOf = (l: Record<string, unknown>) => String((l.config as Record<string, unknown>).name ?? l.name);
  const own = (l: Record<string, unknown>) =>
    MODEL_CLASSES.has(String(l.class_name)) || l.class_name === 'InputLayer' ? 1 : 0;
  const byName = new Map(layers.map((l) => [nameOf(l), l]));
  const inputs = new Set((config.input_layers as unknown[][]).map((ref) => ref[0]));
  const reached = new Set<string>();
  const todo = (config.output_layers as unknown[][]).map((ref) => [ref[0], ref[1]] as [string, number]);
  for (let at = todo.pop(); at !== undefined; at = todo.pop()) {
    const [n, call] = at;
    if (reached.has(`${n}#${call}`)) continue;
    reached.add(`${n}#${call}`);
    if (inputs.has(n)) continue;
    const layer = byName.get(n)!;
    const nodes = layer.inbound_nodes;
    // Calls not listed: where they lead is not known, so nothing is said of the layers before.
    if (!Array.isArray(nodes)) return null;
    if (nodes.length === 0 && layer.class_name === 'InputLayer') {
      return `its outputs are computed from the input layer '${n}', which its input_layers does not list`;
    }
    // A model's call 0 is the model itself: nothing listed before it.
    const node = (nodes as unknown[][])[call - own(layer)] ?? [];
    for (const ref of node as unknown[][]) todo.push([ref[0] as string, ref[1] as number]);
  }
  for (const l of layers) {
    const n = nameOf(l);
    if (inputs.has(n)) continue;
    const calls = Array.isArray(l.inbound_nodes) ? l.inbound_nodes.length : 0;
    const unused = Array.from({ length: calls }, (_, k) => k + own(l)).filter((c) => !reached.has(`${n}#${c}`));
    if (unused.length === 0) continue;
    return unused.length === calls
      ? `its layer '${n}' (${l.class_name}) does not lead to its outputs (Keras writes only the layers a model ` +
          'computes its outputs with)'
      : `its outputs are not computed from call ${unused[0]} of its layer '${n}' (Keras writes only the calls a ` +
          'model computes its outputs with)';
  }
  return null;
}

/** Keras's convolution layers: `kernel_size`, `strides` and `dilation_rate` whole numbers of at least 1. */
const CONVOLUTIONS = /^(Conv[123]D|Conv[23]DTranspose|SeparableConv[12]D|DepthwiseConv[12]D)$/;

/**
 * The window settings of each Keras layer class that has them, with the least each number may be: whole numbers (alone
 * or in lists) of at least 1 for windows, strides, dilations, upsampling factors and sizes, of at least 0 for
 * paddings and croppings, as Keras's `normalize_tuple` and its layers' checks take them.
 */
function windowSettings(className: string): [string, number][] {
  if (CONVOLUTIONS.test(className)) {
    const sizes: [string, number][] = [
      ['kernel_size', 1],
      ['strides', 1],
      ['dilation_rate', 1],
    ];
    if (/^Depthwise/.test(className)) return [...sizes, ['depth_multiplier', 1]];
    if (/^Separable/.test(className)) return [...sizes, ['filters', 1], ['depth_multiplier', 1]];
    return [...sizes, ['filters', 1], ['groups', 1]];
  }
  if (/^(Max|Average)Pooling[123]D$/.test(className)) {
    return [
      ['pool_size', 1],
      ['strides', 1],
    ];
  }
  if (/^UpSampling[123]D$/.test(className)) return [['size', 1]];
  if (/^ZeroPadding[123]D$/.test(className)) return [['padding', 0]];
  if (/^Cropping[123]D$/.test(className)) return [['cropping', 0]];
  if (className === 'Dense') return [['units', 1]];
  return [];
}

/**
 * What in a layer's settings Keras would refuse, or null: a window setting that is not whole or below its least
 * ({@link windowSettings}; a setting left out or null takes Keras's default), padding a 2-D or 3-D convolution
 * `'causal'`, or both strides and dilations above 1 in a convolution; also a `ReLU`'s negative or non-numeric maximum,
 * slope or threshold, a normalization's axis that is not whole numbers or epsilon that is not a number, and an input
 * layer's shape that is not a list of sizes. tfjs-layers computed with some of them (a dilation of 0 or below, an
 * upsampling by 1.5) and failed on others only when the model ran, or deep inside TF.js.
 */
function layerSettingProblem(l: RawLayer): string | null {
  const at = `its layer '${layerName(l)}' (${l.className})`;
  for (const [key, least] of windowSettings(l.className)) {
    const value = l.config[key];
    if (value === undefined || value === null) continue;
    const numbers = [value].flat(2);
    const whole = numbers.length > 0 && numbers.every((v) => Number.isSafeInteger(v) && (v as number) >= least);
    if (!whole) {
      return `${at} has the ${key} ${JSON.stringify(value)}, where Keras takes whole numbers of at least ${least}`;
    }
  }
  if (l.className === 'ReLU') {
    // Keras refuses a negative maximum, slope or threshold (and a null slope or threshold).
    for (const key of ['max_value', 'negative_slope', 'threshold']) {
      const v = l.config[key];
      if (v === undefined || (v === null && key === 'max_value')) continue;
      if (typeof v !== 'number' || !(v >= 0) || v === Number.POSITIVE_INFINITY) {
        return `${at} has the ${key} ${JSON.stringify(v)}, where Keras takes a number of at least 0`;
      }
    }
  }
  if (/^(Batch|Layer)Normalization$/.test(l.className)) {
    const axes = [l.config.axis ?? -1].flat();
    if (axes.length === 0 || !axes.every((a) => Number.isSafeInteger(a))) {
      return `${at} has the axis ${JSON.stringify(l.config.axis)}, where Keras takes whole numbers`;
    }
    const epsilon = l.config.epsilon;
    if (epsilon !== undefined && !(typeof epsilon === 'number' && Number.isFinite(epsilon))) {
      return `${at} has the epsilon ${JSON.stringify(epsilon) ?? String(epsilon)}, where Keras takes a number`;
    }
  }
  if (l.className === 'InputLayer') {
    const shape = l.config.batch_input_shape ?? l.config.batch_shape;
    const dims = Array.isArray(shape) ? shape : [];
    if (
      shape !== undefined &&
      (dims.length < 1 || !dims.slice(1).every((d) => d === null || (Number.isSafeInteger(d) && d >= 1)))
    ) {
      return (
        `${at} has the input shape ${JSON.stringify(shape)}, where Keras takes a batch and sizes, each a whole ` +
        'number of at least 1 or null'
      );
    }
  }
  // Keras takes 'channels_last' or 'channels_first' in any case, or null for its default; tfjs-layers checks the
  // value of some layers only when they run, and named an object "[object Object]" then.
  const format = l.config.data_format;
  if (format != null && !(typeof format === 'string' && /^channels_?(last|first)$/i.test(format))) {
    return `${at} has the data_format ${JSON.stringify(format)}, where Keras takes 'channels_last' or 'channels_first'`;
  }
  // A window's padding mode: Keras's normalize_padding takes these in any case; tfjs-layers refused others without
  // naming the layer ("2.5 is not a valid PaddingMode").
  const mode = l.config.padding;
  if (
    (CONVOLUTIONS.test(l.className) || /^(Max|Average)Pooling[123]D$/.test(l.className)) &&
    mode != null &&
    !(typeof mode === 'string' && /^(valid|same|causal)$/i.test(mode))
  ) {
    return `${at} has the padding ${JSON.stringify(mode)}, where Keras takes 'valid', 'same' or 'causal'`;
  }
  if (!CONVOLUTIONS.test(l.className)) return null;
  const padding = typeof l.config.padding === 'string' ? l.config.padding.toLowerCase() : l.config.padding;
  if (padding === 'causal' && !/1D$/.test(l.className)) {
    return `${at} pads 'causal', which Keras takes for 1-D convolutions only`;
  }
  const above1 = (v: unknown) => [v].flat(2).some((x) => typeof x === 'number' && x > 1);
  if (above1(l.config.strides) && above1(l.config.dilation_rate)) {
    return (
      `${at} has the strides ${JSON.stringify(l.config.strides)} and the dilation_rate ` +
      `${JSON.stringify(l.config.dilation_rate)}, where Keras takes one of them above 1 at most`
    );
  }
  return null;
}

/**
 * What in a Keras model file tfjs-layers would run otherwise than Keras, or null: a layer setting Keras would refuse
 * ({@link layerSettingProblem}), an activation tfjs-layers does not have and the library does not register (`glu`,
 * which halves the last axis, `sparsemax`, `threshold`), a `Resizing` that antialiases or pads to the aspect ratio
 * (options of recent Keras, ignored), a grouped convolution (`groups` ignored: the weights then failed to fit, as if
 * the file had been edited), a `Conv2DTranspose` with an `output_padding` (ignored) that makes Keras's output another
 * size than tfjs-layers's. With an output padding, Keras's side is `(n − 1)·s + k − 2·pad + p` (pad `k // 2` for
 * 'same', 0 for 'valid', k the dilated kernel); without, and in tfjs-layers, `n·s` ('same') or `n·s + max(k − s, 0)`
 * ('valid').
 */
export function kerasTopologyProblem(topology: unknown): string | null {
  for (const l of allLayers(topologyLayers(topology))) {
    const setting = layerSettingProblem(l);
    if (setting) return setting;
    if (l.className === 'Resizing' && (l.config.antialias === true || l.config.pad_to_aspect_ratio === true)) {
      const what =
        l.config.antialias === true ? 'antialiases (antialias)' : 'pads to the aspect ratio (pad_to_aspect_ratio)';
      return (
        `its layer '${String(l.config.name)}' (Resizing) ${what}, which tfjs-layers's Resizing and this library's ` +
        'do not: other numbers than Keras'
      );
    }
    const activation = l.config.activation;
    if (typeof activation === 'string' && UNSUPPORTED_KERAS_ACTIVATIONS.has(activation)) {
      return (
        `its layer '${String(l.config.name)}' (${l.className}) uses the activation '${activation}', which ` +
        'tfjs-layers does not have'
      );
    }
    const groups = l.config.groups;
    if (/^Conv[123]D$/.test(l.className) && typeof groups === 'number' && groups > 1) {
      // A 2-D one channels last is computed (kerasLayers.ts).
      if (l.className === 'Conv2D' && l.config.data_format !== 'channels_first') continue;
      return (
        `its layer '${String(l.config.name)}' (${l.className}) convolves in ${groups} groups, which tfjs-layers does ` +
        'not implement (it makes one kernel over all input channels)'
      );
    }
    if (l.className !== 'Conv2DTranspose' || l.config.output_padding == null) continue;
    const p = pairOf(l.config.output_padding, 0);
    const k = pairOf(l.config.kernel_size, 1);
    const s = pairOf(l.config.strides, 1);
    const d = pairOf(l.config.dilation_rate, 1);
    const same = l.config.padding === 'same';
    for (const [axis, sides] of [
      [0, 'rows'],
      [1, 'columns'],
    ] as const) {
      const kd = (k[axis] - 1) * d[axis] + 1;
      const theirs = same ? 0 : Math.max(kd - s[axis], 0);
      const keras = kd - s[axis] - 2 * (same ? Math.floor(kd / 2) : 0) + p[axis];
      if (keras === theirs) continue;
      return (
        `its layer '${String(l.config.name)}' (Conv2DTranspose) has the output padding [${p.join(', ')}], which ` +
        `tfjs-layers ignores: for n input ${sides} Keras makes ${sideFormula(s[axis], keras)} output ${sides}, ` +
        `tfjs-layers ${sideFormula(s[axis], theirs)}`
      );
    }
  }
  return null;
}

/** A loaded Keras layer, as far as this module reads and changes it. */
interface LoadedLayer {
  readonly name: string;
  getClassName(): string;
  readonly layers?: readonly LoadedLayer[];
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
}

/**
 * Keras's ReLU with its three settings, as Keras's backend computes it: `x` where it is above `threshold` (0 below),
 * clipped to `[0, maxValue]` when there is a maximum, minus `negativeSlope · max(threshold − x, 0)`.
 */
function kerasRelu(x: tf.Tensor, maxValue: number | null, negativeSlope: number, threshold: number): tf.Tensor {
  return tf.tidy(() => {
    let y = tf.mul(x, tf.cast(tf.greater(x, threshold), x.dtype));
    if (maxValue !== null) y = tf.minimum(tf.maximum(y, 0), maxValue);
    if (negativeSlope !== 0) y = tf.sub(y, tf.mul(tf.relu(tf.sub(threshold, x)), negativeSlope));
    return y;
  });
}

/** A Keras ReLU's settings, as the model file gives them. */
export interface KerasReluSettings {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
}

/** The settings each ReLU layer changed by {@link fixKerasLayers} computes with (its layer table row reads them). */
const reluSettings = new WeakMap<object, KerasReluSettings>();

/** The Keras settings a loaded ReLU layer computes with, where the model file gave ones tfjs-layers drops. */
export function kerasReluSettings(layer: object): KerasReluSettings | undefined {
  return reluSettings.get(layer);
}

/**
 * Whether the Keras that wrote a file (its `keras_version`) upsampled bilinearly with half-pixel centres, as
 * `tf.image.resize` does: Keras 3, and TensorFlow 2's Keras from version 2.4 (TensorFlow 2.3) on. Keras 2.2 and the
 * Keras of TensorFlow 1 to 2.1 (`2.2.4-tf`) resized with TensorFlow 1's `resize_bilinear`, as tfjs-layers does for
 * every file; so does a file tfjs-layers wrote (`tfjs-layers ...`), one without a version, and, as the rule in
 * between is not known for certain, versions 2.3. A nearest-neighbour upsampling by a whole factor is the same either
 * way.
 */
function halfPixelKeras(version: unknown): boolean {
  if (typeof version !== 'string') return false;
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 4);
}

/** tfjs-layers's `UpSampling2D`, as far as this module reads it. */
interface UpSamplingLayer {
  readonly size: readonly number[];
  readonly dataFormat: string;
  readonly interpolation: string;
}

/** The `UpSampling2D` layers {@link fixKerasLayers} found in a file of a Keras that resizes with half-pixel centres. */
const halfPixelLayers = new WeakSet<object>();

/**
 * Whether a loaded `UpSampling2D` layer resizes with half-pixel centres (a file of Keras 2.4 or later, read by
 * `importNetwork`), as MATLAB's `GeometricTransformMode` `'half-pixel'`; tfjs-layers's own rule otherwise
 * (`'asymmetric'`: input position = output position / scale).
 */
export function upsamplesWithHalfPixels(layer: object): boolean {
  return halfPixelLayers.has(layer);
}

/**
 * Makes a bilinear `UpSampling2D` resize with half-pixel centres, as `tf.image.resize` does (a nearest-neighbour one
 * by whole factors gives the same values under both rules, and stays as it is).
 */
function upsampleWithHalfPixels(layer: LoadedLayer & UpSamplingLayer): void {
  halfPixelLayers.add(layer);
  if (layer.interpolation !== 'bilinear') return;
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const first = layer.dataFormat === 'channelsFirst';
      const nhwc = first ? tf.transpose(x, [0, 2, 3, 1]) : x;
      const [h, w] = nhwc.shape.slice(1, 3);
      const y = tf.image.resizeBilinear(nhwc, [h * layer.size[0], w * layer.size[1]], false, true);
      return first ? tf.transpose(y, [0, 3, 1, 2]) : y;
    });
}

/**
 * Puts back into a model loaded from `topology` the settings tfjs-layers dropped and this module can compute: each
 * `ReLU` with a `negative_slope` or a `threshold` (tfjs-layers ran a plain ReLU, clipped at `max_value`) computes
 * Keras's function instead, and each bilinear `UpSampling2D` of a file a recent Keras wrote resizes with half-pixel
 * centres (see {@link halfPixelKeras}). Changes the model itself, so it runs so when run bare too. Layers are matched
 * by name within each (nested) model.
 */
export function fixKerasLayers(model: LoadedLayer, topology: unknown): void {
  const halfPixel = halfPixelKeras(isRecord(topology) ? topology.keras_version : undefined);
  // Pairs of a loaded model's layers and the file's, nested models through an explicit stack.
  const stack: [readonly LoadedLayer[], readonly RawLayer[]][] = [[model.layers ?? [], topologyLayers(topology)]];
  for (let pair = stack.pop(); pair !== undefined; pair = stack.pop()) {
    const [loaded, raw] = pair;
    // By name, as a list's find took a pass over the layers for each layer (7 s of 10 for a chain of 40,000 ReLUs).
    const byName = new Map<string, LoadedLayer>();
    for (const l of loaded) if (!byName.has(l.name)) byName.set(l.name, l);
    for (const r of raw) {
      const layer = byName.get(r.config.name as string);
      if (!layer) continue;
      if (layer.layers) stack.push([layer.layers, innerLayers(r.config)]);
      if (halfPixel && r.className === 'UpSampling2D' && layer.getClassName() === 'UpSampling2D') {
        upsampleWithHalfPixels(layer as LoadedLayer & UpSamplingLayer);
      }
      if (r.className !== 'ReLU' || layer.getClassName() !== 'ReLU') continue;
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
      const negativeSlope = num(r.config.negative_slope);
      const threshold = num(r.config.threshold);
      if (negativeSlope === 0 && threshold === 0) continue;
      const maxValue = typeof r.config.max_value === 'number' ? r.config.max_value : null;
      reluSettings.set(layer, { maxValue, negativeSlope, threshold });
      layer.call = (inputs) =>
        kerasRelu(Array.isArray(inputs) ? inputs[0] : inputs, maxValue, negativeSlope, threshold);
    }
  }
}
