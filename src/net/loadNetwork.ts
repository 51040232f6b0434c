/**
 * Loading a network from model files written to the model-file contract (`modelFormat.ts`): the options every loader
 * takes, a check of the loaded artifacts before TF.js makes any tensor, and the wrapping as a {@link Network}.
 * A built-in network's loader (in `models/`) supplies its default location and its own advice for a
 * missing or broken model (`hint`). Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import { ensureBackend } from '../backend/initBackend.js';
import { checkWaitOptions, guardCallback, startWait } from '../internal/abortable.js';
import { assertOptions, typeError } from '../internal/validate.js';
import { sha256Hex } from '../internal/sha256.js';
import { graphModelOf } from './graphNetwork.js';
import { layerShapes } from './layerShapes.js';
import { contentDigestInput, METADATA_KEY, metadataProblem, type ModelMetadata } from './modelFormat.js';
import type { ModelSource, SourceContext } from './modelSource.js';
import { createBuiltinNetwork, layersFromSpecs } from './network.js';
import type { LayerInfo, LoadNetworkOptions, Network } from './types.js';
import { scanLearnables } from './nonFinite.js';

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** The metadata of loaded artifacts, if any (not checked). */
function metadataOf(a: tf.io.ModelArtifacts): unknown {
  return (a.userDefinedMetadata as Record<string, unknown> | undefined)?.[METADATA_KEY];
}

/**
 * Checks loaded model artifacts before TF.js turns them into tensors: the graph, the weight bytes (their total must
 * match the manifest, or decoding would fail half-way) and the metadata. Returns a reason when they are unusable.
 */
function artifactsProblem(a: tf.io.ModelArtifacts): string | null {
  const topology = a.modelTopology as { node?: { name?: unknown }[]; versions?: unknown } | undefined;
  if (!topology || !Array.isArray(topology.node) || typeof topology.versions !== 'object') {
    return 'its model.json has no GraphDef (modelTopology.node / versions)';
  }
  if (!Array.isArray(a.weightSpecs)) return 'its model.json has no weightsManifest';
  const specs = weightSpecsProblem(a.weightSpecs);
  if (specs) return specs;
  const odd = a.weightSpecs.find((spec) => BYTES[spec.quantization?.dtype ?? spec.dtype] === undefined);
  if (odd) return `weight '${odd.name}' has an unsupported dtype ${odd.dtype}`;
  const weights = weightDataProblem(a);
  if (weights) return weights;
  const data = a.weightData;
  const meta = metadataOf(a);
  const problem = metadataProblem(meta);
  if (problem) return problem;
  const names = new Set(topology.node.map((n) => n.name));
  const m = meta as ModelMetadata;
  const missing = [m.inputName, ...m.layers.map((l) => l.name)].find((n) => !names.has(n));
  if (missing !== undefined) return `its graph has no node '${missing}'`;
  return semanticProblem(m, a.weightSpecs, weightBytes(data));
}

const DTYPES = ['float32', 'int32', 'bool', 'complex64', 'string'];

/** A value as a message shows it: JSON where that says it (strings quoted), else its text (Infinity, undefined). */
const shown = (v: unknown): string => {
  const json = typeof v === 'number' ? undefined : JSON.stringify(v);
  return json ?? String(v);
};

/**
 * What is wrong with a weight manifest's entries, before TF.js decodes any (null when nothing is): each must be an
 * object with a string name (each name once: TF.js keeps the last of two and loses the other's tensor), a shape of
 * whole numbers of at least 0 (a negative or fractional one can even add up to the right byte count), a dtype TF.js
 * decodes, and a quantization it decodes: uint8 or uint16 with a finite scale and min (a NaN or infinite one makes
 * every weight NaN or infinite, and TF.js only asks that they be there), or float16 of float32 weights. TF.js checks
 * these one weight at a time while decoding, after making the tensors of the weights before, which stay allocated.
 */
export function weightSpecsProblem(specs: readonly unknown[]): string | null {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      return `its weight manifest has ${shown(spec)} where a weight should be`;
    }
    const { name, shape, dtype } = spec as Record<string, unknown>;
    if (name === undefined) return 'its weight manifest has a weight without a name';
    if (typeof name !== 'string') return `its weight manifest has a weight whose name is ${shown(name)}, not a string`;
    if (seen.has(name)) return `its weight manifest lists the weight '${name}' twice`;
    seen.add(name);
    if (shape === undefined) return `its weight '${name}' has no shape (a list of whole numbers)`;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      return `its weight '${name}' has the shape ${shown(shape)}, not a list of whole numbers`;
    }
    if (!DTYPES.includes(dtype as string)) {
      const has = dtype === undefined ? 'has no dtype' : `has the dtype ${shown(dtype)}`;
      return `its weight '${name}' ${has} (${DTYPES.slice(0, -1).join(', ')} or string)`;
    }
    if (!('quantization' in spec)) continue;
    const q = (spec as { quantization?: unknown }).quantization;
    const qtype = q !== null && typeof q === 'object' ? (q as Record<string, unknown>).dtype : undefined;
    if (qtype === 'float16') {
      if (dtype !== 'float32')
        return `its weight '${name}' is ${dtype} quantized to float16, which holds float32 weights only`;
    } else if (qtype === 'uint8' || qtype === 'uint16') {
      if (dtype !== 'float32' && dtype !== 'int32') {
        return `its weight '${name}' is ${dtype} quantized to ${qtype}, which holds float32 and int32 weights only`;
      }
      const { scale, min } = q as Record<string, unknown>;
      if (!Number.isFinite(scale) || !Number.isFinite(min)) {
        return (
          `its weight '${name}' is quantized to ${qtype} without a finite scale and min ` +
          `(scale ${shown(scale)}, min ${shown(min)})`
        );
      }
    } else {
      // TF.js reads the quantization's dtype wherever the key is there, null or not.
      if (q === null || typeof q !== 'object') {
        return `its weight '${name}' has the quantization ${shown(q)}, not an object naming uint8, uint16 or float16`;
      }
      if (qtype === undefined)
        return `its weight '${name}' has a quantization that names no dtype (uint8, uint16 or float16)`;
      return `its weight '${name}' is quantized to ${shown(qtype)} (uint8, uint16 or float16)`;
    }
  }
  return null;
}

/**
 * Whether the manifest's weights are ones TF.js decodes ({@link weightSpecsProblem}) and the weight data holds exactly
 * the bytes they need (no manifest: none). TF.js would otherwise decode the weights until it ran out of bytes, keep the
 * tensors it made before failing, and name only the weight it stopped at. Returns a reason when they differ; null too
 * when a weight's size cannot be known from the manifest (string weights, whose lengths are in the data).
 */
export function weightDataProblem(a: tf.io.ModelArtifacts): string | null {
  if (Array.isArray(a.weightSpecs)) {
    const specs = weightSpecsProblem(a.weightSpecs);
    if (specs) return specs;
  }
  let expected = 0;
  for (const spec of a.weightSpecs ?? []) {
    const per = BYTES[spec.quantization?.dtype ?? spec.dtype];
    if (per === undefined) return null;
    expected += per * spec.shape.reduce((x, y) => x * y, 1);
  }
  const data = a.weightData;
  const got = data == null ? 0 : Array.isArray(data) ? data.reduce((s, b) => s + b.byteLength, 0) : data.byteLength;
  if (got === expected) return null;
  return `its weight data has ${got} bytes where the manifest needs ${expected} (truncated or corrupt shard)`;
}

/** The weight data as one byte array (TF.js may hand it over in parts). */
function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data == null) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  const out = new Uint8Array(data.reduce((n, b) => n + b.byteLength, 0));
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/**
 * What the metadata claims, checked against the graph's weights: the input size computes every layer, the class names
 * match the output's channels, each convolution's weights have the shape its layer describes, and no weight is NaN or
 * infinite (a `<layer>/pad_value` constant may be -Infinity: max pooling pads with it).
 */
function semanticProblem(m: ModelMetadata, specs: tf.io.WeightsManifestEntry[], bytes: Uint8Array): string | null {
  const layers = layersFromSpecs(m.layers, m.inputSize) as LayerInfo[];
  const shapes = layerShapes(layers, m.inputSize, false);
  const uncomputable = layers.find((l) => shapes.get(l.name) == null);
  if (uncomputable) {
    return `its inputSize [${m.inputSize.join(', ')}] is too small for its layer '${uncomputable.name}'`;
  }
  const out = shapes.get(layers[layers.length - 1].name)!;
  if (m.classNames.length > 0 && m.classNames.length !== out[2]) {
    return `it has ${m.classNames.length} class names for an output of ${out[2]} channels`;
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const l of layers) {
    if (l.type !== 'Convolution') continue;
    const want: [string, number[]][] = [
      [`${l.name}/weights`, [l.kernel[0], l.kernel[1], l.numChannels, l.numFilters]],
      [`${l.name}/bias`, [l.numFilters]],
    ];
    for (const [name, shape] of want) {
      const got = byName.get(name)?.shape;
      if (!got) return `its convolution '${l.name}' has no weight '${name}'`;
      if (got.join() !== shape.join()) {
        return `its weight '${name}' is [${got.join(', ')}] where layer '${l.name}' needs [${shape.join(', ')}]`;
      }
    }
  }
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((x, y) => x * y, 1);
    const size = BYTES[spec.quantization?.dtype ?? spec.dtype] * count;
    if (spec.dtype === 'float32' && !spec.quantization && !spec.name.endsWith('/pad_value')) {
      const values = new Float32Array(bytes.slice(offset, offset + size).buffer);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return `its weight '${spec.name}' holds ${values[bad]} at element ${bad}`;
    }
    offset += size;
  }
  return null;
}

/**
 * Whether model.json is as its build wrote it: the sha256 of its graph, weight list and metadata (without the
 * checksum itself) against `contentSha256`; null where they agree or the model carries no checksum.
 */
async function contentProblem(a: tf.io.ModelArtifacts): Promise<string | null> {
  const m = metadataOf(a) as ModelMetadata;
  if (!m.contentSha256) return null;
  const hex = await sha256Hex(new TextEncoder().encode(contentDigestInput(a.modelTopology, a.weightSpecs ?? [], m)));
  return hex === m.contentSha256
    ? null
    : `its model.json was changed after it was built (sha256 of its graph, weights list and metadata ${hex}, ` +
        `its contentSha256 says ${m.contentSha256})`;
}

/**
 * Whether loaded artifacts claim to be a network file of this library: their metadata has the contract's version or a
 * layer table (a user's model may declare only its normalization, class names and name under the same key).
 */
export function isNetworkFile(a: tf.io.ModelArtifacts): boolean {
  const meta = metadataOf(a);
  return typeof meta === 'object' && meta !== null && ('formatVersion' in meta || 'layers' in meta);
}

/** Why loaded artifacts are not a usable network file of this library (what `loadNetwork` checks), or null. */
export async function networkFileProblem(a: tf.io.ModelArtifacts): Promise<string | null> {
  return artifactsProblem(a) ?? (await contentProblem(a));
}

/**
 * Wraps an IO handler so that what it loads is checked before any tensor is made: a bad model fails with a message
 * saying what is wrong and what to do (`hint`), and leaves no tensor behind. The load also ends when `stopped`
 * fires (abort, timeout), even if the inner handler ignores signals; then the reason is the error, without `hint`.
 */
function checkedHandler(
  fn: string,
  inner: tf.io.IOHandler,
  what: string,
  hint: string,
  stop: { signal: AbortSignal; why: () => Error | null },
  ctx?: SourceContext,
): tf.io.IOHandler {
  return {
    async load() {
      let artifacts: tf.io.ModelArtifacts;
      let onAbort: (() => void) | undefined;
      try {
        artifacts = await Promise.race([
          inner.load!(),
          new Promise<never>((_, reject) => {
            onAbort = () => reject(stop.why());
            if (stop.signal.aborted) onAbort();
            else stop.signal.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
      } catch (err) {
        const why = stop.why();
        if (why) throw why;
        const msg = (err as Error)?.message ?? String(err);
        if (msg.startsWith(`${fn}:`)) throw err;
        // A download that was another kind of file says what it was (see `weightsFetch`).
        if (ctx?.notModel) throw new Error(`${fn}: ${what} ${ctx.notModel}; ${hint}`, { cause: err });
        throw new Error(`${fn}: could not load the model from ${what}: ${msg}; ${hint}`, { cause: err });
      } finally {
        if (onAbort) stop.signal.removeEventListener('abort', onAbort);
      }
      const problem = artifacts == null ? 'the IO handler returned nothing' : await networkFileProblem(artifacts);
      if (problem) {
        throw new Error(`${fn}: the model from ${what} is not a usable cnn-activations network: ${problem}; ${hint}`);
      }
      return artifacts;
    },
  };
}

/** Checks a loader's options (`modelUrl`, `ioHandler`, `onProgress`); returns them typed. */
export function checkLoadOptions(fn: string, options: unknown): LoadNetworkOptions {
  const opts = assertOptions<LoadNetworkOptions>(fn, options, [
    'modelUrl',
    'ioHandler',
    'onProgress',
    'signal',
    'timeoutMs',
  ]);
  if (opts.modelUrl !== undefined && typeof opts.modelUrl !== 'string' && !(opts.modelUrl instanceof URL)) {
    throw typeError(fn, 'options.modelUrl', 'a string or URL', opts.modelUrl);
  }
  if (typeof opts.modelUrl === 'string' && opts.modelUrl.length === 0) {
    throw typeError(fn, 'options.modelUrl', 'a non-empty string or URL', opts.modelUrl);
  }
  if (
    opts.ioHandler !== undefined &&
    (opts.ioHandler === null || typeof (opts.ioHandler as tf.io.IOHandler).load !== 'function')
  ) {
    throw typeError(fn, 'options.ioHandler', 'a tf.io.IOHandler with a load() method', opts.ioHandler);
  }
  if (opts.ioHandler !== undefined && opts.modelUrl !== undefined) {
    throw new TypeError(`${fn}: pass either 'options.modelUrl' or 'options.ioHandler', not both`);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw typeError(fn, 'options.onProgress', 'a function (fraction: number) => void', opts.onProgress);
  }
  checkWaitOptions(fn, opts);
  return opts;
}

/**
 * Loads a network from a model source: checks the artifacts, makes the graph model, wraps it as a Network. The whole
 * load obeys `opts.signal` and `opts.timeoutMs`; a throwing `opts.onProgress` fails the load with its own error
 * (never an uncaught one, never blamed on the files).
 *
 * @param fn The public function's name, for messages.
 * @param source Where the artifacts come from (`modelSource` of the platform).
 * @param opts The loader's checked options.
 * @param hint What the user can do when the model is missing or broken; ends every such message.
 */
export async function loadNetwork(
  fn: string,
  source: ModelSource,
  opts: LoadNetworkOptions,
  hint: string,
): Promise<Network> {
  await ensureBackend();
  const progress = guardCallback(fn, 'options.onProgress', opts.onProgress);
  const wait = startWait(fn, source.what, opts);
  const why = () => wait.stopped() ?? progress.error();
  let meta: ModelMetadata | undefined;
  let model: GraphModel;
  try {
    const ctx: SourceContext = { fetch: wait.fetch, signal: wait.signal, onProgress: progress.call };
    const inner = source.open(ctx);
    const checked = checkedHandler(fn, inner, source.what, hint, { signal: wait.signal, why: wait.stopped }, ctx);
    const artifacts = await checked.load!();
    const problem = why();
    if (problem) throw problem;
    meta = metadataOf(artifacts) as ModelMetadata;
    model = graphModelOf(artifacts);
  } catch (err) {
    throw why() ?? err;
  } finally {
    wait.done();
  }
  return scanLearnables(createBuiltinNetwork(model, meta!));
}
