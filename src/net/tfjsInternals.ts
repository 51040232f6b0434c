/**
 * The one place where this library reads TF.js internals, for what TF.js has no public API for. Each reader says what
 * it reads; `TFJS_CONVERTER_CHECKED` and `TFJS_CORE_CHECKED` are the versions they were checked against, and
 * test/net/tfjsInternals.test.ts fails when the installed version differs or a reader stops finding its field, so
 * that an upgrade is a deliberate step.
 *
 * Not exported from the package.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

/** The @tensorflow/tfjs-converter version the readers below were checked against. */
export const TFJS_CONVERTER_CHECKED = '4.22.0';

/** The @tensorflow/tfjs-core version {@link releaseFailedTape} was checked against. */
export const TFJS_CORE_CHECKED = '4.22.0';

/** The @tensorflow/tfjs-layers version the Keras layer readers below were checked against. */
export const TFJS_LAYERS_CHECKED = '4.22.0';

/**
 * Whether TF.js's engine is recording operations for a gradient (inside `tf.grad`, `tf.valueAndGrads` and their kin):
 * its private `state.gradientDepth`, which TF.js's own fused operations read to decide whether to stay fused.
 */
export function recordingGradient(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 0) > 0;
}

/**
 * Frees what a gradient whose backward pass threw left behind. TF.js keeps the tensors each recorded operation saved
 * for its gradient on the engine's tape (`engine.state.activeTape`, nodes with a `saved` list) and frees them only
 * after a backward pass that succeeds. Call it after `tf.grad` threw, outside any other gradient; returns how many
 * tensors it freed.
 */
export function releaseFailedTape(): number {
  const state = (tf.engine() as unknown as { state?: { activeTape?: unknown; gradientDepth?: number } }).state;
  if (state?.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return 0;
  let freed = 0;
  for (const node of state.activeTape as { saved?: tf.Tensor[] }[]) {
    for (const t of node.saved ?? []) {
      if (!t.isDisposed) freed++;
      t.dispose();
    }
  }
  state.activeTape = null;
  return freed;
}

/**
 * Names of every node in a graph model (layers, helper nodes, constants, inputs), or null when they cannot be read.
 * Reads the private `GraphModel.artifacts.modelTopology.node` (the GraphDef the model was loaded from): TF.js lists
 * only inputs, outputs and weights publicly.
 */
export function graphNodeNames(model: GraphModel): Set<string> | null {
  const artifacts = (model as unknown as { artifacts?: { modelTopology?: { node?: unknown } } }).artifacts;
  const nodes = artifacts?.modelTopology?.node;
  if (!Array.isArray(nodes)) return null;
  return new Set(nodes.map((n: { name?: unknown }) => n?.name).filter((n): n is string => typeof n === 'string'));
}

/** A node that names fewer inputs than TF.js's table of its operation reads ({@link shortOfInputs}). */
export interface ShortNode {
  node: string;
  op: string;
  has: number;
  reads: number;
}

/**
 * The first node of a loaded graph model that names fewer inputs than TF.js's table of its operation reads (an
 * `AddV2` of one input), or null; undefined when TF.js's graph cannot be read. TF.js reads an input past the end as
 * the name `undefined` and failed with "Cannot read properties of undefined (reading 'split')", naming no node. Reads
 * the private `GraphModel.executor.graph.nodes`, whose `inputParams` give each input's index (`inputIndexStart`, from
 * the end when negative) and `inputNames` the node's inputs.
 */
export function shortOfInputs(model: GraphModel): ShortNode | null | undefined {
  type Param = { type?: unknown; inputIndexStart?: unknown; inputIndexEnd?: unknown };
  type Node = { name?: unknown; op?: unknown; inputNames?: unknown; inputParams?: Record<string, Param> };
  const graph = (model as unknown as { executor?: { graph?: { nodes?: Record<string, Node> } } }).executor?.graph;
  if (!graph?.nodes || typeof graph.nodes !== 'object') return undefined;
  for (const n of Object.values(graph.nodes)) {
    if (!Array.isArray(n.inputNames) || typeof n.name !== 'string' || typeof n.op !== 'string') return undefined;
    let reads = 0;
    for (const p of Object.values(n.inputParams ?? {})) {
      const start = p.inputIndexStart;
      // A list of inputs (`'tensors'`) is a slice, which may be empty.
      if (typeof start !== 'number' || p.type === 'tensors') continue;
      reads = Math.max(reads, start < 0 ? -start : start + 1);
    }
    if (n.inputNames.length < reads) return { node: n.name, op: n.op, has: n.inputNames.length, reads };
  }
  return null;
}

/** One node of a GraphDef as TF.js reads it from model.json. */
export interface GraphDefNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, GraphDefAttr>;
}

/** The name of the node an input reference of a {@link GraphDefNode} names (`^ctrl`, `name:1` → `name`). */
export const inputNodeName = (ref: string): string => ref.replace(/^\^/, '').replace(/:\d+$/, '');

/** A GraphDef attribute value as model.json writes it (strings are base64, integers are decimal strings). */
export interface GraphDefAttr {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
  type?: string;
}

/**
 * The GraphDef nodes a graph model was loaded from, or null when they cannot be read. Reads the private
 * `GraphModel.artifacts.modelTopology.node`, as {@link graphNodeNames} does.
 */
export function graphDefNodes(model: GraphModel): GraphDefNode[] | null {
  const artifacts = (model as unknown as { artifacts?: { modelTopology?: { node?: unknown } } }).artifacts;
  const nodes = artifacts?.modelTopology?.node;
  return Array.isArray(nodes) ? (nodes as GraphDefNode[]) : null;
}

/**
 * Gives a graph model a GraphDef of its own to change: replaces the private `GraphModel.artifacts` (which TF.js keeps
 * as the loader handed it over, and saves) by a copy whose `modelTopology.node` holds copies of the nodes, each with
 * its own `input` list. The artifacts the model was loaded from stay as they were: a program may load them again
 * (`tf.io.fromMemory` hands out the same object each time) and must get the graph it wrote. Returns the copy's nodes
 * and what puts the model's first artifacts back; null where the GraphDef cannot be read.
 */
export function ownGraphDef(model: GraphModel): { nodes: GraphDefNode[]; restore: () => void } | null {
  const holder = model as unknown as { artifacts?: { modelTopology?: { node?: unknown } } };
  const artifacts = holder.artifacts;
  const topology = artifacts?.modelTopology;
  if (!artifacts || !topology || !Array.isArray(topology.node)) return null;
  const nodes = (topology.node as GraphDefNode[]).map((n) => (n.input ? { ...n, input: [...n.input] } : { ...n }));
  holder.artifacts = { ...artifacts, modelTopology: { ...topology, node: nodes } };
  return {
    nodes,
    restore: () => {
      holder.artifacts = artifacts;
    },
  };
}

/**
 * Lets a graph model's input take any height and width: TF.js checks a fed tensor against the placeholder's declared
 * shape before running, which refuses a fully convolutional model every size but the one it was exported at. Writes
 * the private `GraphModel.executor.graph.nodes[input].attrParams.shape.value` (-1 is TF.js's "any size"). Returns
 * whether the shape could be relaxed.
 */
export function relaxInputShape(model: GraphModel, inputName: string): boolean {
  type Graph = { nodes?: Record<string, { attrParams?: { shape?: { value?: number[] } } }> };
  const graph = (model as unknown as { executor?: { graph?: Graph } }).executor?.graph;
  const param = graph?.nodes?.[inputName.split(':')[0]]?.attrParams?.shape;
  if (!param || !Array.isArray(param.value)) return false;
  if (param.value.length === 4) {
    const name = inputName.split(':')[0];
    if (!declaredShapes.get(model)?.has(name)) {
      declaredShapes.set(model, new Map([...(declaredShapes.get(model) ?? []), [name, [...param.value]]]));
    }
    param.value = [param.value[0], -1, -1, param.value[3]];
  }
  return true;
}

/**
 * A string attribute of the node an operation registered with `registerOp` runs, as the graph wrote it: the `attrs`
 * the converter hands such an operation have every string lowercased. Reads the private `node.rawAttrs[name].s` of
 * the object the operation is called with (base64 from model.json, or character codes). Undefined where absent.
 */
export function rawStringAttr(node: unknown, name: string): string | undefined {
  return attrString(
    (node as { node?: { rawAttrs?: Record<string, GraphDefAttr | undefined> } }).node?.rawAttrs?.[name]?.s,
  );
}

/**
 * One string of a raw GraphDef attribute (an `s`, or an entry of a `list.s`), as the graph wrote it: base64 from
 * model.json, or character codes. Undefined for anything else.
 */
export function attrString(raw: unknown): string | undefined {
  if (typeof raw === 'string') return new TextDecoder().decode(Uint8Array.from(atob(raw), (c) => c.charCodeAt(0)));
  if (Array.isArray(raw)) return String.fromCharCode(...(raw as number[]));
  return undefined;
}

/**
 * Hands every node of operation `op` in a loaded graph model, its functions (loop and branch bodies) included, to the
 * operation registered with tfjs-converter's `registerOp` as `to`: sets the node's private `op` to `to` and its
 * `category` to `'custom'` in `GraphModel.executor.graph` (`.nodes`, and `.functions[name].nodes`), which is how the
 * executor runs a registered operation. The converter chose each node's function when it loaded the model, so a
 * registered operation alone would not reach a model loaded before. With `where`, only the nodes whose GraphDef
 * attributes (the node's private `rawAttrs`) it accepts. Returns how many nodes it changed.
 */
export function rerouteGraphOp(
  model: GraphModel,
  op: string,
  to: string,
  where?: (attr: Record<string, GraphDefAttr | undefined>) => boolean,
): number {
  type Node = { op?: string; category?: string; rawAttrs?: Record<string, GraphDefAttr | undefined> };
  type Graph = { nodes?: Record<string, Node>; functions?: Record<string, Graph> };
  const graph = (model as unknown as { executor?: { graph?: Graph } }).executor?.graph;
  let changed = 0;
  for (const g of [graph, ...Object.values(graph?.functions ?? {})]) {
    for (const node of Object.values(g?.nodes ?? {})) {
      if (node?.op !== op || (where && !where(node.rawAttrs ?? {}))) continue;
      node.op = to;
      node.category = 'custom';
      changed++;
    }
  }
  return changed;
}

/**
 * Points input `index` of each node `node` of a loaded graph model at `ref` (`name`, `name:k`, or `^name` for an order
 * only) in TF.js's graph: the private `GraphModel.executor.graph.nodes`, whose `inputNames` (control inputs without
 * their `^`, in the GraphDef's order) name what each input reads, `inputs` the nodes, and `children` the readers.
 * The executor's cached orders of runs (`compiledMap`) are dropped. Throws where a node is missing.
 */
export function redirectGraphInputs(
  model: GraphModel,
  edits: readonly { node: string; index: number; ref: string }[],
): void {
  type Node = { inputNames?: string[]; inputs?: Node[]; children?: Node[] };
  const executor = (
    model as unknown as { executor?: { graph?: { nodes?: Record<string, Node> }; compiledMap?: unknown } }
  ).executor;
  const nodes = executor?.graph?.nodes;
  const nodeOf = (name: string) => (nodes && Object.hasOwn(nodes, name) ? nodes[name] : undefined);
  for (const e of edits) {
    const node = nodeOf(e.node);
    const to = nodeOf(inputNodeName(e.ref));
    const from = node?.inputs?.[e.index];
    if (!node?.inputNames || !node.inputs || !to?.children || !from?.children) {
      throw new Error(`cannot change input ${e.index} of node '${e.node}' in TF.js's graph`);
    }
    node.inputNames[e.index] = e.ref.replace(/^\^/, '');
    node.inputs[e.index] = to;
    const at = from.children.indexOf(node);
    if (at >= 0) from.children.splice(at, 1);
    to.children.push(node);
  }
  if (executor?.compiledMap instanceof Map) executor.compiledMap.clear();
}

/**
 * Makes every run of `model` given one of `names` as an input (by node name) throw `error(name)` before it starts:
 * wraps the `execute` and `executeAsync` of the private `GraphModel.executor`, which `model.execute`, `predict` and
 * their asynchronous forms call with the inputs by name. Returns what unwraps them.
 */
export function refuseInputs(
  model: GraphModel,
  names: ReadonlySet<string>,
  error: (name: string) => Error,
): () => void {
  type Run = (inputs: Record<string, unknown>, ...rest: unknown[]) => unknown;
  const executor = (model as unknown as { executor?: { execute?: Run; executeAsync?: Run } }).executor;
  if (!executor || typeof executor.execute !== 'function' || typeof executor.executeAsync !== 'function') {
    throw new Error("cannot guard the model's inputs: its executor is missing");
  }
  const own = { execute: Object.hasOwn(executor, 'execute'), executeAsync: Object.hasOwn(executor, 'executeAsync') };
  const [execute, executeAsync] = [executor.execute, executor.executeAsync];
  const check = (inputs: Record<string, unknown>) => {
    const fed = Object.keys(inputs ?? {}).find((k) => names.has(inputNodeName(k)));
    if (fed !== undefined) throw error(inputNodeName(fed));
  };
  executor.execute = function (this: unknown, inputs, ...rest) {
    check(inputs);
    return execute.call(this, inputs, ...rest);
  };
  executor.executeAsync = function (this: unknown, inputs, ...rest) {
    check(inputs);
    return executeAsync.call(this, inputs, ...rest);
  };
  return () => {
    if (own.execute) executor.execute = execute;
    else delete executor.execute;
    if (own.executeAsync) executor.executeAsync = executeAsync;
    else delete executor.executeAsync;
  };
}

/** The input shape each relaxed model declared before {@link relaxInputShape} changed it. */
const declaredShapes = new WeakMap<GraphModel, ReadonlyMap<string, number[]>>();

/**
 * The shape a graph model's input `name` (a node name) declares, as exported: the one from before
 * {@link relaxInputShape}, so that a second `toNetwork` of the same model, or the model run bare, still sees its fixed
 * size.
 */
export function declaredInputShape(model: GraphModel, name: string): number[] | undefined {
  return declaredShapes.get(model)?.get(name) ?? model.inputs.find((i) => i.name.replace(/:0$/, '') === name)?.shape;
}

/**
 * The executor of a graph model: its `weightMap` holds a node's value that TF.js reads before running the node (and
 * then skips it), `graph.weights` the nodes it orders as given, and `compiledMap` its orders, cached by inputs and
 * outputs.
 */
type Executor = {
  weightMap?: Record<string, tf.Tensor[]>;
  graph?: { weights?: unknown[]; nodes?: Record<string, unknown> };
  compiledMap?: unknown;
};
const executorOf = (model: GraphModel) => (model as unknown as { executor?: Executor }).executor;

/** The value an earlier {@link feedConstants} gave input `name` of `model`, or undefined. */
export function constantInputOf(model: GraphModel, name: string): tf.Tensor | undefined {
  const isInput = model.inputs.some((i) => i.name.replace(/:0$/, '') === name);
  return isInput ? executorOf(model)?.weightMap?.[name]?.[0] : undefined;
}

/**
 * Whether {@link feedConstants} gave a value to an input of `model` whose first axis is open (the batch's): one image's
 * value, which a pass of several images cannot take.
 */
export function batchedConstantInputs(model: GraphModel): boolean {
  return model.inputs.some((i) => {
    const name = i.name.replace(/:0$/, '');
    return constantInputOf(model, name) !== undefined && declaredInputShape(model, name)?.[0] === -1;
  });
}

/** Each graph model's inputs with a default, by node name: read once (activations may run for every frame). */
const defaultsOf = new WeakMap<GraphModel, ReadonlySet<string>>();

/**
 * The nodes of a graph model that TF.js lists among its inputs but that have a default (`PlaceholderWithDefault`,
 * TensorFlow 1's `tf.placeholder_with_default`), which a run need not feed.
 */
export function defaultInputs(model: GraphModel): ReadonlySet<string> {
  let set = defaultsOf.get(model);
  if (!set) {
    set = new Set((graphDefNodes(model) ?? []).filter((n) => n.op === 'PlaceholderWithDefault').map((n) => n.name));
    defaultsOf.set(model, set);
  }
  return set;
}

/**
 * The model's inputs that no {@link feedConstants} gave a value and that have no default (TF.js lists a
 * `PlaceholderWithDefault` among the inputs): those a caller must feed; where none is left, those with a default.
 * TF.js lists an input as `'x:0'` or `'x'`; these are node names.
 */
export function openInputs(model: GraphModel): { name: string; dtype: string | undefined; shape?: number[] }[] {
  const defaults = defaultInputs(model);
  const open = model.inputs
    .map((i) => ({ name: i.name.replace(/:0$/, ''), dtype: i.dtype as string | undefined, shape: i.shape }))
    .filter((i) => !constantInputOf(model, i.name));
  const required = open.filter((i) => !defaults.has(i.name));
  return required.length > 0 ? required : open;
}

/**
 * Makes each of `values` the value of the model input it is keyed by, as TF.js holds a weight: in the private
 * `GraphModel.executor.weightMap`, which `model.dispose()` disposes, set through the executor's setter, which records
 * the tensors as weights so that a run never frees them; and each input's node among `executor.graph.weights`, which
 * TF.js's ordering of a run takes as given (else it refuses the node as unreachable). Returns what takes them back out
 * (and disposes them).
 */
export function feedConstants(model: GraphModel, values: ReadonlyMap<string, tf.Tensor>): () => void {
  const executor = executorOf(model);
  const graph = executor?.graph;
  const nodes = [...values.keys()].map((name) => graph?.nodes?.[name]);
  if (!executor?.weightMap || !Array.isArray(graph?.weights) || nodes.some((n) => n === undefined)) {
    tf.dispose([...values.values()]);
    throw new Error("cannot feed the model's inputs: its executor's weight map or graph is missing");
  }
  if (values.size === 0) return () => {};
  executor.weightMap = { ...executor.weightMap, ...Object.fromEntries([...values].map(([name, t]) => [name, [t]])) };
  graph.weights.push(...nodes);
  return () => {
    const map = { ...executor.weightMap };
    for (const [name, t] of values) if (map[name]?.[0] === t) delete map[name];
    executor.weightMap = map;
    graph.weights = graph.weights?.filter((n) => !nodes.includes(n));
    // Orders made while the inputs were given would skip them.
    if (executor.compiledMap instanceof Map) executor.compiledMap.clear();
    tf.dispose([...values.values()]);
  };
}

/** A weight's shape that disagrees with the variable a Keras layer made for it. */
export interface WeightShapeMismatch {
  readonly name: string;
  readonly file: readonly number[];
  readonly layer: readonly number[];
}

/**
 * A Keras model of `artifacts`, made by tfjs-layers' `loadLayersModel` but with its weights loaded here, so that a
 * model.json that does not fit its weights leaves nothing allocated. tfjs-layers makes every layer's variables,
 * decodes every weight and only then checks them against each other: a weight of another shape, a name no layer
 * makes, or a layer left without its weight threw there and kept the variables and the decoded weights, twice the
 * model's size, for good. `loadLayersModel` reads `weightData` first to choose cheap zeros over the layers'
 * initializers (it does so when weights will follow), then to decide whether to load them. The artifacts handed to it
 * give the data at the first read only, so it makes the model without weights. Then each weight of the manifest is compared with the
 * layer's variable it names (matched as `loadWeights` matches them; `mismatch` is thrown before anything is decoded),
 * and the weights are decoded and loaded with tfjs-layers' public `loadWeights` (strict: every weight used, every
 * variable set), the decoded tensors freed whatever happens and the model freed when anything fails. Optimizer
 * weights (a model saved while training) are left out: the library never trains. A model tfjs-layers fails to make
 * leaves no variables of its `layerNames` either.
 */
export async function loadKerasModel(
  layers: Pick<typeof import('@tensorflow/tfjs-layers'), 'loadLayersModel'>,
  artifacts: tf.io.ModelArtifacts,
  mismatch: (m: WeightShapeMismatch) => Error,
  layerNames: ReadonlySet<string> = new Set(),
): Promise<LayersModel> {
  let reads = 0;
  const view: tf.io.ModelArtifacts = { ...artifacts };
  Object.defineProperty(view, 'weightData', {
    enumerable: true,
    get: () => (reads++ === 0 ? artifacts.weightData : undefined),
  });
  // The variables that exist when tfjs-layers starts to make the layers: see freeMadeVariables.
  let existing: ReadonlySet<string> | undefined;
  let model: LayersModel;
  try {
    model = await layers.loadLayersModel({
      load: async () => {
        existing = new Set(Object.keys(tf.engine().registeredVariables));
        return view;
      },
    });
  } catch (err) {
    if (existing) freeMadeVariables(existing, layerNames);
    throw err;
  }
  try {
    const specs = (artifacts.weightSpecs ?? []).filter((s) => s.group !== 'optimizer');
    const byName = new Map(model.weights.map((w) => [w.originalName, w]));
    // As loadWeights: the name itself, else without a cell's name (TensorFlow 2.2's layer/cell/weight).
    const variableOf = (name: string) => {
      const parts = name.split('/');
      return byName.get(name) ?? byName.get([...parts.slice(0, -2), parts[parts.length - 1]].join('/'));
    };
    for (const s of specs) {
      // A variable's shape is whole (no null dimension).
      const shape = variableOf(s.name)?.shape as number[] | undefined;
      if (shape && !tf.util.arraysEqual(shape, s.shape)) throw mismatch({ name: s.name, file: s.shape, layer: shape });
    }
    // In a scope: a weight that fails to decode (a string weight's length beyond the data) frees those before it.
    const data = artifacts.weightData;
    const all = data ? tf.tidy(() => tf.io.decodeWeights(data, artifacts.weightSpecs ?? [])) : {};
    try {
      model.loadWeights(Object.fromEntries(specs.map((s) => [s.name, all[s.name]])), true);
    } finally {
      tf.dispose(Object.values(all));
    }
    return model;
  } catch (err) {
    disposeLayersModel(model);
    throw err;
  }
}

/** A Keras layer or model as {@link disposeLayersModel} reads it (tfjs-layers's `_refCount` and `containerNodes`). */
interface CountedLayer {
  readonly name: string;
  readonly inboundNodes: readonly unknown[];
  readonly _refCount?: number | null;
  readonly containerNodes?: ReadonlySet<string>;
  readonly layers?: readonly CountedLayer[];
  readonly internalContainerRefs?: readonly CountedLayer[];
  dispose(): unknown;
}

/** Models nested in a `Sequential` whose own reference {@link disposeLayersModel} has taken away, each once. */
const releasedOwnRef = new WeakSet<CountedLayer>();

/**
 * Disposes a Keras model, weights of the layers it calls more than once and of the models nested in it included.
 * tfjs-layers counts a layer's uses by its calls (the private `_refCount`, one more for each; a model starts at 1,
 * its own) and frees its weights when the count reaches 0, but a model's `dispose()` takes one away from each of its
 * layers: a layer the model calls twice (a shared layer, as in a Siamese network) kept its weights for ever. After
 * TF.js's `dispose()`, each model that reached 0 (the model, then the models inside it) takes away the rest of its own
 * calls of each layer, which it counts in its private `containerNodes` (`name_ib-k`, the calls that are part of its
 * graph); calls by other models still count, so a layer another model uses keeps its weights. A functional model
 * also takes away the own reference of each model nested in it (its private `internalContainerRefs`); a `Sequential`
 * keeps its graph in another model and its own list is empty, so a Sequential of models (Teachable Machine's export:
 * a base and a classifier) kept the weights of every nested model it called: all but the first, whose graph it reuses
 * rather than calls. Here it lets go of that reference, once for each nested model, where it is all that is left: a
 * nested model that another live model calls keeps its weights, and the last model to let it go (a functional one,
 * through TF.js) releases it. A list, not recursion.
 */
export function disposeLayersModel(model: LayersModel): void {
  model.dispose();
  const done = new Set<CountedLayer>();
  const todo = [model as unknown as CountedLayer];
  for (let c = todo.pop(); c !== undefined; c = todo.pop()) {
    const nodes = c.containerNodes;
    if (done.has(c) || c._refCount !== 0 || !nodes || !c.layers) continue;
    done.add(c);
    const released = new Set(c.internalContainerRefs ?? []);
    for (const [i, layer] of c.layers.entries()) {
      const calls = layer.inboundNodes.filter((_, k) => nodes.has(`${layer.name}_ib-${k}`)).length;
      for (let k = 1; k < calls && (layer._refCount ?? 0) > 0; k++) layer.dispose();
      if (!layer.containerNodes) continue;
      if (i > 0 && !released.has(layer) && layer._refCount === 1 && !releasedOwnRef.has(layer)) {
        releasedOwnRef.add(layer);
        layer.dispose();
      }
      todo.push(layer);
    }
  }
}

/**
 * Frees the variables tfjs-layers made for the layers of a model it then failed to make (a layer that cannot be built
 * threw after the layers before it had made theirs, which nothing else would free): those registered since `existing`
 * whose name starts with one of the model's `layerNames` (`conv/kernel`, or `conv/kernel_1` when that name was
 * taken), so that a model another load makes at the same time keeps its own.
 */
function freeMadeVariables(existing: ReadonlySet<string>, layerNames: ReadonlySet<string>): void {
  for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
    if (!existing.has(name) && layerNames.has(name.split('/')[0])) variable.dispose();
  }
}

/** A weight as a Keras layer of tfjs-layers keeps it (a `LayerVariable`). */
export interface LayerWeight {
  readonly name: string;
  readonly shape: readonly number[];
  read(): tf.Tensor;
}

const isWeight = (w: unknown): w is LayerWeight =>
  typeof w === 'object' && w !== null && typeof (w as LayerWeight).read === 'function';

/**
 * The weights of a Keras BatchNormalization, from its private fields `gamma`, `beta` (null without scale or center),
 * `movingMean` and `movingVariance`; null for another layer or when they cannot be read.
 */
export function batchNormWeights(layer: { getClassName(): string }): {
  gamma: LayerWeight | null;
  beta: LayerWeight | null;
  movingMean: LayerWeight;
  movingVariance: LayerWeight;
} | null {
  if (layer.getClassName() !== 'BatchNormalization') return null;
  const f = layer as unknown as Record<string, unknown>;
  if (!isWeight(f.movingMean) || !isWeight(f.movingVariance)) return null;
  return {
    gamma: isWeight(f.gamma) ? f.gamma : null,
    beta: isWeight(f.beta) ? f.beta : null,
    movingMean: f.movingMean,
    movingVariance: f.movingVariance,
  };
}

/**
 * The kernel, bias and activation of a Keras Conv2D, DepthwiseConv2D or SeparableConv2D, from their protected and
 * private fields: `kernel` (Conv2D) or `depthwiseKernel` as `kernel`, `pointwiseKernel` (SeparableConv2D), `bias`
 * (null without one) and `activation` (its `apply`); null for another layer or when they cannot be read.
 */
export function convolutionWeights(layer: { getClassName(): string }): {
  kernel: LayerWeight;
  pointwiseKernel: LayerWeight | null;
  bias: LayerWeight | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
} | null {
  const cls = layer.getClassName();
  const f = layer as unknown as Record<string, unknown>;
  const kernel = cls === 'Conv2D' ? f.kernel : f.depthwiseKernel;
  if (!['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D'].includes(cls) || !isWeight(kernel)) return null;
  const activation = activationOf(f);
  if (activation === undefined) return null;
  return {
    kernel,
    pointwiseKernel: isWeight(f.pointwiseKernel) ? f.pointwiseKernel : null,
    bias: isWeight(f.bias) ? f.bias : null,
    activation,
  };
}

/**
 * The kernel (`[inputs, units]`), bias and activation of a Keras Dense, from its fields `kernel`, `bias` (null without
 * one) and `activation`; null for another layer or when they cannot be read.
 */
export function denseWeights(layer: { getClassName(): string }): {
  kernel: LayerWeight;
  bias: LayerWeight | null;
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
} | null {
  const f = layer as unknown as Record<string, unknown>;
  if (layer.getClassName() !== 'Dense' || !isWeight(f.kernel) || f.kernel.shape.length !== 2) return null;
  const activation = activationOf(f);
  if (activation === undefined) return null;
  return { kernel: f.kernel, bias: isWeight(f.bias) ? f.bias : null, activation };
}

/** A layer's `activation` field: the activation (its `apply`), null for none, undefined when it cannot be read. */
function activationOf(f: Record<string, unknown>): { apply(x: tf.Tensor): tf.Tensor } | null | undefined {
  const activation = f.activation as { apply?: unknown } | null | undefined;
  if (activation == null) return null;
  return typeof activation.apply === 'function' ? (activation as { apply(x: tf.Tensor): tf.Tensor }) : undefined;
}
