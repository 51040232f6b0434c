/**
 * Importing a user's model from its files: a TF.js `model.json` of either format (a converted TensorFlow graph or a
 * Keras model), detected from the file, loaded with TF.js and made a Network by `toNetwork`'s body. The platform
 * entries (`importNetwork.node.ts`, `importNetwork.browser.ts`) say where files come from. Not exported from the
 * package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from '../backend/initBackend.js';
import { checkWaitOptions, guardCallback, startWait, type Wait, type WaitOptions } from '../internal/abortable.js';
import { assertFileBytes, listArg } from '../internal/limits.js';
import { describeValue, typeError, wrapError } from '../internal/validate.js';
import { constantsProblem, graphModelOf, graphProblem } from './graphNetwork.js';
import { isGraphModel, isLayersModel, wrappedModel, wrappedModelNote } from './modelKinds.js';
import { isNetworkFile, networkFileProblem, weightDataProblem } from './loadNetwork.js';
import { METADATA_KEY, type ModelMetadata } from './modelFormat.js';
import { createBuiltinNetwork, layersFromSpecs } from './network.js';
import { FILES_HINT, filesSource, isFileList, type ModelSource, type SourceContext } from './modelSource.js';
import {
  fixKerasLayers,
  kerasLayerNames,
  kerasStructureProblem,
  kerasTopologyProblem,
  loadableTopology,
  unknownKerasLayer,
} from './kerasConfigs.js';
import { isKeras3, jsonCopy, modelOf, readKeras3 } from './keras3.js';
import { registerKerasActivations } from './kerasActivations.js';
import { hasOpLayers, registerOpLayers, rewriteOpLayers } from './kerasOps.js';
import { registerKerasLayers } from './kerasLayers.js';
import { disposeLayersModel, loadKerasModel, type GraphDefNode } from './tfjsInternals.js';
import { checkClassCount, checkToNetworkOptions, makeNetwork, type ToNetworkOptions } from './toNetwork.js';
import type { LoadNetworkOptions, Network } from './types.js';
import { scanLearnables } from './nonFinite.js';

/** Options of `importNetwork`: {@link ToNetworkOptions}, where the class names may be a labels file, and the wait. */
export interface ImportNetworkOptions extends Omit<ToNetworkOptions, 'classNames'>, WaitOptions {
  /**
   * The class names: an array, or a labels file holding a JSON array of names, one name per line, or a JSON object
   * whose `labels` is the array (the metadata.json that Teachable Machine exports): where it is (a path or URL in
   * Node, a URL in browsers), or the file itself (a `File` a page's user chose, or any `Blob`).
   */
  classNames?: readonly string[] | string | URL | Blob;
  /** Called with the fraction loaded so far (0..1) while the files are read. */
  onProgress?: (fraction: number) => void;
}

/** Whether `v` is a `Blob` (a `File` is one), where the platform has them. */
const isBlob = (v: unknown): v is Blob => typeof Blob !== 'undefined' && v instanceof Blob;

/** Checks importNetwork's options. */
export function checkImportOptions(fn: string, options: unknown): ImportNetworkOptions {
  const raw = (options ?? {}) as ImportNetworkOptions;
  const labels = raw.classNames;
  const isFile = typeof labels === 'string' || labels instanceof URL || isBlob(labels);
  const forCheck = isFile && options && typeof options === 'object' ? { ...raw, classNames: undefined } : options;
  const opts = checkToNetworkOptions(fn, forCheck, ['signal', 'timeoutMs', 'onProgress']) as ImportNetworkOptions;
  if (typeof labels === 'string' && labels === '')
    throw typeError(fn, 'options.classNames', 'an array or a labels file', labels);
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw typeError(fn, 'options.onProgress', 'a function (fraction: number) => void', opts.onProgress);
  }
  checkWaitOptions(fn, opts);
  return isFile ? { ...opts, classNames: labels } : opts;
}

/**
 * Checks `importNetwork`'s source: a non-empty string, a URL, or an IO handler with `load()`. `what` says what the
 * platform takes (for the message). Returns whether it is an IO handler.
 */
export function checkSource(fn: string, source: unknown, what: string): source is tf.io.IOHandler {
  const isHandler = typeof source === 'object' && source !== null && !(source instanceof URL);
  // A loaded GraphModel has a load() of its own, but it is no IO handler; nor is a package's object that holds a model
  // and loads it (nsfwjs's NSFWJS has a load() too).
  const isModel = isGraphModel(source) || wrappedModel(source) !== null;
  if (isHandler && typeof (source as tf.io.IOHandler).load === 'function' && !isModel) return true;
  if (!isHandler && ((typeof source === 'string' && source !== '') || source instanceof URL)) return false;
  const err = typeError(
    fn,
    'source',
    `${what}, the model's files (File objects), or a tf.io.IOHandler with load()`,
    source,
  );
  const loaded =
    isGraphModel(source) || isLayersModel(source) ? ', a model loaded already: give that to toNetwork' : '';
  throw new TypeError(err.message + (loaded || wrappedModelNote(source, 'network')));
}

/**
 * The model source of importNetwork's `source` (refused where it is none): the model's files given as `File`s (an
 * array of them bounded by `limits.maxListLength` before they are looked at), or what the platform's `sourceOf` makes
 * of a location (`what` says which it takes) or an IO handler.
 */
export function importSource(
  fn: string,
  source: unknown,
  what: string,
  sourceOf: (opts: LoadNetworkOptions) => ModelSource,
): ModelSource {
  const list = listArg(fn, 'source', source);
  if (isFileList(list)) return filesSource(fn, Array.from(list), FILES_HINT);
  return checkSource(fn, source, what)
    ? sourceOf({ ioHandler: source })
    : sourceOf({ modelUrl: source as string | URL });
}

/**
 * Class names from a labels file's text: a JSON array of strings, a JSON object whose `labels` is one (the
 * metadata.json that Teachable Machine exports beside its model), or one name per line (blank lines dropped). Lines
 * that all begin with their own 0-based number and a space or tab (`0 Class 1`, `1 Class 2`, ...: the labels.txt
 * of Teachable Machine's Keras and TensorFlow Lite exports) give the names after the numbers; lines numbered
 * otherwise (from 1, out of order, or only some of them) are names as they stand.
 */
export function parseLabels(fn: string, text: string, what: string): string[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`${fn}: the labels file ${what} is not valid JSON (${(err as Error).message})`);
    }
    const isNames = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
    if (Array.isArray(parsed)) {
      if (!isNames(parsed)) throw new Error(`${fn}: the labels file ${what} must hold a JSON array of strings`);
      return parsed;
    }
    const labels = (parsed as { labels?: unknown }).labels;
    if (!isNames(labels)) {
      throw new Error(
        `${fn}: the labels file ${what} holds a JSON object ` +
          `${labels === undefined ? 'without "labels"' : 'whose "labels" is not an array of strings'}; a labels ` +
          'file holds a JSON array of names, one name per line, or an object whose "labels" is that array (the ' +
          'metadata.json of a Teachable Machine model)',
      );
    }
    return labels;
  }
  const lines = trimmed
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const numbered = lines.map((line, i) => /^(\d+)\s+(\S.*)$/.exec(line)?.[1] === String(i));
  return numbered.every(Boolean) ? lines.map((line) => line.replace(/^\d+\s+/, '')) : lines;
}

/** The format of loaded artifacts: a Keras model (`layers-model`) or a TensorFlow graph (`graph-model`). */
function formatOf(a: tf.io.ModelArtifacts): 'layers-model' | 'graph-model' | null {
  const topology = a.modelTopology as Record<string, unknown> | undefined;
  if (a.format === 'layers-model' || (topology && ('model_config' in topology || 'class_name' in topology))) {
    return 'layers-model';
  }
  if (a.format === 'graph-model' || (topology && Array.isArray(topology.node))) return 'graph-model';
  return null;
}

/**
 * Loads a model from `source` and makes it a Network. `readLabels` reads a labels file (the platform's way).
 */
export async function importNetwork(
  fn: string,
  source: ModelSource,
  opts: ImportNetworkOptions,
  readLabels: (where: string | URL, wait: Wait) => Promise<string>,
): Promise<Network> {
  const progress = guardCallback(fn, 'options.onProgress', opts.onProgress);
  const wait = startWait(fn, source.what, opts);
  const why = () => wait.stopped() ?? progress.error();
  let artifacts: tf.io.ModelArtifacts;
  let classNames: readonly string[] | undefined;
  try {
    const ctx: SourceContext = { fetch: wait.fetch, signal: wait.signal, onProgress: progress.call };
    const handler = source.open(ctx);
    try {
      artifacts = await handler.load!();
    } catch (err) {
      throw (
        why() ??
        (ctx.notModel
          ? new Error(`${fn}: ${source.what} ${ctx.notModel}`, { cause: err })
          : wrapError(fn, `could not load the model from ${source.what}`, err))
      );
    }
    if (typeof artifacts !== 'object' || artifacts === null) {
      // A load() of the caller's own that resolves to nothing (or an object's load() that is no IO handler's).
      throw new TypeError(
        `${fn}: the model from ${source.what} is ${describeValue(artifacts)}, not model artifacts (the ` +
          "modelTopology, weightSpecs and weightData that an IO handler's load() gives)",
      );
    }
    const labels = opts.classNames;
    if (isBlob(labels)) {
      // A file a page's user chose, read as the model's files are: its size checked first.
      const what = typeof (labels as { name?: unknown }).name === 'string' ? (labels as File).name : 'given';
      assertFileBytes(fn, `the labels file ${what}`, labels.size);
      let text: string;
      try {
        text = await labels.text();
      } catch (err) {
        throw why() ?? wrapError(fn, `could not read the labels file ${what}`, err);
      }
      classNames = parseLabels(fn, text, what);
    } else if (typeof labels === 'string' || labels instanceof URL) {
      const what = labels instanceof URL ? labels.href : labels;
      let text: string;
      try {
        text = await readLabels(labels, wait);
      } catch (err) {
        throw why() ?? wrapError(fn, `could not read the labels file ${what}`, err);
      }
      classNames = parseLabels(fn, text, what);
    } else {
      classNames = labels;
    }
    const stop = why();
    if (stop) throw stop;
  } finally {
    wait.done();
  }
  const format = formatOf(artifacts);
  if (!format) {
    throw new Error(
      `${fn}: ${source.what} is not a TF.js model (its model.json has neither a Keras model_config nor a GraphDef)`,
    );
  }
  const weights = weightDataProblem(artifacts);
  if (weights) throw new Error(`${fn}: the model from ${source.what} cannot be loaded: ${weights}`);
  const nodes = (artifacts.modelTopology as { node?: unknown } | undefined)?.node;
  const init = (artifacts.modelInitializer as { node?: unknown } | undefined)?.node;
  // Inputs may name the nodes of the model's initializer (the graph that makes its lookup tables).
  const initNames = new Set(
    (Array.isArray(init) ? init : []).map((n) => (n as { name?: unknown })?.name).filter((n) => typeof n === 'string'),
  );
  const graph =
    format === 'graph-model' && Array.isArray(nodes) ? graphProblem(nodes as GraphDefNode[], initNames) : null;
  if (graph) throw new RangeError(`${fn}: the model's graph cannot run: ${graph}`);
  const constants =
    format === 'graph-model' && Array.isArray(nodes)
      ? constantsProblem(nodes as GraphDefNode[], artifacts.weightSpecs ?? [])
      : null;
  if (constants) throw new Error(`${fn}: the model from ${source.what} cannot be loaded: ${constants}`);
  if (format === 'layers-model') {
    // As JSON would carry it (a program may hand over JavaScript data with undefined values, or one that contains
    // itself): a copy of the library's own, which the rewrites below change; the source may hand out the same
    // artifacts again (tf.io.fromMemory does).
    const copy = jsonCopy(artifacts.modelTopology);
    if ('problem' in copy) throw new TypeError(`${fn}: the model from ${source.what} cannot be read: ${copy.problem}`);
    artifacts = Object.assign({}, artifacts, { modelTopology: copy.json });
  }
  if (format === 'layers-model' && isKeras3(artifacts.modelTopology)) {
    const topology = readKeras3(artifacts.modelTopology);
    if (typeof topology === 'string') throw new TypeError(`${fn}: the model from ${source.what} is ${topology}`);
    artifacts = Object.assign({}, artifacts, { modelTopology: topology });
  }
  const given = artifacts.modelTopology;
  const kerasModel = format === 'layers-model' && isJsonObject(given) ? modelOf(given) : undefined;
  if (kerasModel && hasOpLayers(kerasModel)) {
    // TensorFlow operations as layers (TFOpLambda), rewritten in the library's copy of the topology.
    const problem = rewriteOpLayers(kerasModel);
    if (problem) throw new TypeError(`${fn}: the model from ${source.what} cannot be read: ${problem}`);
  }
  // Activity regularizers and weight constraints act in training only; tfjs-layers would act on them while loading.
  // And Keras's Identity layer shares its name with tfjs-layers's initializer.
  const plain = format === 'layers-model' ? loadableTopology(artifacts.modelTopology) : null;
  if (plain) artifacts = Object.assign({}, artifacts, { modelTopology: plain });
  const malformed = format === 'layers-model' ? kerasStructureProblem(artifacts.modelTopology) : null;
  if (malformed)
    throw new TypeError(`${fn}: the model from ${source.what} is not a well-formed Keras model: ${malformed}`);
  const keras = format === 'layers-model' ? kerasTopologyProblem(artifacts.modelTopology) : null;
  if (keras) throw new RangeError(`${fn}: the model cannot run as Keras runs it: ${keras}`);
  if (format === 'graph-model' && isNetworkFile(artifacts)) {
    return networkFromFile(fn, source.what, artifacts, opts, classNames);
  }
  await ensureBackend();
  let model: { dispose(): unknown };
  /** The library's own refusal, thrown from inside tfjs-layers: passed on as it is. */
  let refusal: Error | undefined;
  try {
    if (format === 'graph-model') {
      model = graphModelOf(artifacts);
    } else {
      let layers: typeof import('@tensorflow/tfjs-layers');
      try {
        layers = await import('@tensorflow/tfjs-layers');
      } catch (err) {
        throw new Error(
          `${fn}: ${source.what} is a Keras model, which needs the package @tensorflow/tfjs-layers (npm install @tensorflow/tfjs-layers)`,
          { cause: err },
        );
      }
      registerKerasLayers(layers);
      registerKerasActivations();
      registerOpLayers(layers);
      const unknown = unknownKerasLayer(artifacts.modelTopology);
      if (unknown) {
        refusal = new TypeError(`${fn}: the model from ${source.what} ${unknownLayerText(unknown)}`);
        throw refusal;
      }
      model = await loadKerasModel(
        layers,
        artifacts,
        (m) =>
          (refusal = new Error(
            `${fn}: ${source.what} does not fit its weights: its layers make '${m.name}' of shape ` +
              `[${m.layer.join(', ')}] where the weight file has [${m.file.join(', ')}] (a model.json edited after ` +
              'its weights were written, or weight files of another version)',
          )),
        kerasLayerNames(artifacts.modelTopology),
      );
      fixKerasLayers(model as unknown as Parameters<typeof fixKerasLayers>[0], artifacts.modelTopology);
    }
  } catch (err) {
    if (err === refusal) throw err;
    throw wrapError(fn, `TF.js could not make a model of ${source.what}`, err);
  }
  const declared = (artifacts.userDefinedMetadata as Record<string, unknown> | undefined)?.[METADATA_KEY];
  try {
    return await makeNetwork(
      fn,
      model,
      { ...opts, classNames },
      declared && typeof declared === 'object' ? (declared as Record<string, unknown>) : null,
    );
  } catch (err) {
    if (format === 'layers-model') disposeLayersModel(model as LayersModel);
    else model.dispose();
    throw err;
  }
}

/** What a converted SavedModel gives instead of Keras layers TF.js cannot build. */
const AS_GRAPH =
  'export the model as a SavedModel (model.export(dir) in Keras 3, tf.saved_model.save in Keras 2) and convert that ' +
  'to a graph model (tensorflowjs_converter --input_format=tf_saved_model), which computes it as TensorFlow operations';

/**
 * Why a Keras model file with a layer of a class TF.js does not know cannot be read, and what to do instead (the end
 * of a sentence that starts with the model's source).
 */
function unknownLayerText({ name, className }: { name: string; className: string }): string {
  if (className === 'Lambda') {
    return (
      `has a Lambda layer, '${name}', whose Python function TF.js cannot run; ${AS_GRAPH}, or build the model of ` +
      'Keras layers and TensorFlow operations instead'
    );
  }
  return (
    `has a layer '${name}' of class ${className}, which neither TF.js nor this library knows (a custom layer ` +
    `written in Python?); register a TF.js layer of that class name with tf.serialization.registerClass before ` +
    `importing, or ${AS_GRAPH}`
  );
}

const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ArrayBuffer);

/** The options that describe a model's input, which a network file of this library declares itself. */
const INPUT_OPTIONS = ['normalization', 'mean', 'standardDeviation', 'min', 'max', 'inputSize'] as const;

/**
 * A network file of this library (written by its model build, as a built-in network's loader reads it): checked and
 * wrapped as that loader does. The file declares the input; a name and class names may be given.
 */
async function networkFromFile(
  fn: string,
  what: string,
  artifacts: tf.io.ModelArtifacts,
  opts: ImportNetworkOptions,
  classNames: readonly string[] | undefined,
): Promise<Network> {
  const problem = await networkFileProblem(artifacts);
  if (problem) throw new Error(`${fn}: ${what} is not a usable cnn-activations network: ${problem}`);
  const meta = (artifacts.userDefinedMetadata as Record<string, unknown>)[METADATA_KEY] as ModelMetadata;
  if (opts.output !== undefined) {
    throw new TypeError(
      `${fn}: ${what} is a network file of cnn-activations, which has one output; drop 'options.output'`,
    );
  }
  const given = INPUT_OPTIONS.find((k) => opts[k] !== undefined);
  if (given !== undefined) {
    const [h, w, c] = meta.inputSize;
    throw new TypeError(
      `${fn}: ${what} is a network file of cnn-activations, which declares its input ` +
        `(${h}×${w}×${c}, '${meta.normalization.type}' normalization); drop 'options.${given}'`,
    );
  }
  const layers = layersFromSpecs(meta.layers, meta.inputSize);
  checkClassCount(fn, classNames ?? [], layers[layers.length - 1]);
  await ensureBackend();
  let model: ReturnType<typeof graphModelOf>;
  try {
    model = graphModelOf(artifacts);
  } catch (err) {
    throw wrapError(fn, `TF.js could not make a model of ${what}`, err);
  }
  return scanLearnables(
    createBuiltinNetwork(model, {
      ...meta,
      name: opts.name ?? meta.name,
      classNames: classNames ? [...classNames] : meta.classNames,
    }),
  );
}
