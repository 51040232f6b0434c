/**
 * What a network loader's model source is, on every platform: `modelSource.node.ts` and `modelSource.browser.ts`
 * make one from the loader's options. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { httpStatus } from '../internal/abortable.js';
import { assertFileBytes } from '../internal/limits.js';
import { sha256Hex } from '../internal/sha256.js';
import { someNames } from './closestNames.js';
import { METADATA_KEY } from './modelFormat.js';

/** What a download may use: the wait's `fetch` and signal, and the guarded progress callback. */
export interface SourceContext {
  fetch: typeof fetch;
  signal: AbortSignal;
  onProgress?: (fraction: number) => void;
  /**
   * Set by a download whose model.json turned out to be another kind of file: what it is ({@link otherModelFormat},
   * {@link notModelJson}).
   */
  notModel?: string;
}

/**
 * What a JSON file that is not a TF.js model.json is, where it is one that people take for one, as words that follow
 * its name; null for anything else. A weights manifest alone (face-api.js ships its models so) names weights and their
 * files but no network; Keras's own JSON of a model (`model.to_json()`, a `.keras` file's config.json) names layers but
 * holds no weights.
 */
export function notModelJson(json: unknown): string | null {
  if (Array.isArray(json)) {
    const groups =
      json.length > 0 &&
      json.every((g) => g !== null && typeof g === 'object' && Array.isArray(g.paths) && Array.isArray(g.weights));
    return groups
      ? 'is a weights manifest alone (a list of weight files and the weights they hold, as face-api.js ships its ' +
          'models), not a TF.js model.json: it has no network that uses the weights'
      : null;
  }
  if (json === null || typeof json !== 'object' || 'modelTopology' in json || 'weightsManifest' in json) return null;
  const keras =
    'keras_version' in json || (typeof (json as { class_name?: unknown }).class_name === 'string' && 'config' in json);
  return keras
    ? "is Keras's own description of a model (model.to_json(), or the config.json of a .keras file), not a TF.js " +
        'model.json: it holds no weights; convert the model with tensorflowjs_converter and import the model.json it ' +
        'writes'
    : null;
}

/** Where the model comes from: how to name it in messages, and how to open an IO handler for it. */
export interface ModelSource {
  what: string;
  open(ctx: SourceContext): tf.io.IOHandler;
}

/** How many bytes from the start of a file {@link otherModelFormat} reads. */
export const FORMAT_HEAD_BYTES = 64;

/** The ASCII text of `bytes[from, to)`. */
const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));

/**
 * What a model file of another format than TF.js's is, from its first bytes (at least {@link FORMAT_HEAD_BYTES}, or
 * the whole file) and its name, as words that follow the name, with what to do; null for anything else. People give
 * a Keras `.h5` or `.keras` file, a SavedModel's `saved_model.pb` (or its folder), a TensorFlow Lite, ONNX or PyTorch
 * file where a model.json belongs; TF.js reads none of them. Other binary data is called so (unless `binary` is false:
 * among files that may be weight files), never echoed.
 */
export function otherModelFormat(head: Uint8Array, name: string, binary = true): string | null {
  const lower = name.toLowerCase().replace(/[/\\]+$/, '');
  const not = 'not a TF.js model.json';
  if (ascii(head, 0, 8) === '\x89HDF\r\n\x1a\n') {
    return (
      `is a Keras HDF5 file (.h5), ${not}: convert it once with tensorflowjs_converter --input_format keras ` +
      `${name} out/ and import out/model.json`
    );
  }
  if (ascii(head, 0, 4) === 'PK\x03\x04') {
    // A zip archive: its first entry's name follows the 30 bytes of its header.
    const entry = ascii(head, 30, 30 + (head[26] | (head[27] << 8)));
    if (lower.endsWith('.keras') || ['metadata.json', 'config.json', 'model.weights.h5'].includes(entry)) {
      return (
        `is a Keras 3 model file (.keras), ${not}: load it in Keras, export it with model.export(dir), convert that ` +
        'SavedModel with tensorflowjs_converter --input_format=tf_saved_model dir out/ and import out/model.json'
      );
    }
    if (/\.(pt|pth)$/.test(lower) || /(^|\/)data\.pkl$/.test(entry)) {
      return `is a PyTorch file, ${not}: this library imports models converted for TF.js from TensorFlow or Keras`;
    }
    return `is a zip archive, ${not}: unpack it and give the model.json inside`;
  }
  if (ascii(head, 4, 8) === 'TFL3') {
    return (
      `is a TensorFlow Lite model, ${not}: TF.js's converter does not read .tflite files; convert the model it was ` +
      'made from (a SavedModel or a Keras file) with tensorflowjs_converter'
    );
  }
  if (lower.endsWith('.onnx')) {
    return `is an ONNX model, ${not}: this library imports models converted for TF.js from TensorFlow or Keras`;
  }
  if (/(^|[/\\])saved_model\.pb(txt)?$/.test(lower) || lower.endsWith('.pb')) {
    return (
      `is a TensorFlow graph (a SavedModel's saved_model.pb, or a frozen graph), ${not}: convert the SavedModel's ` +
      'folder with tensorflowjs_converter --input_format=tf_saved_model dir out/ and import out/model.json'
    );
  }
  // JSON is text: a control character other than tab, newline and carriage return is binary data.
  if (binary && head.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) {
    return `holds binary data, ${not} (which is JSON text)`;
  }
  return null;
}

/** `text` with its control characters (a binary file's bytes in a parser's message) written as `\\xNN`. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The text of the model file `file` parsed, with its weights manifest checked (a list of groups, each with its files'
 * names and its weights); what the file is where it is not a model.json ({@link notModelJson}).
 * @throws {Error} saying what is wrong, naming `file`, ending with `hint`.
 */
export function parseModelJson(fn: string, text: string, file: string, hint: string): tf.io.ModelJSON {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new Error(`${fn}: the model file ${file} is not valid JSON (${printable((err as Error).message)}); ${hint}`);
  }
  if (json == null || typeof json !== 'object' || !Array.isArray(json.weightsManifest)) {
    const what = notModelJson(json);
    throw new Error(`${fn}: ${what ? `${file} ${what}` : `the model file ${file} has no weightsManifest`}; ${hint}`);
  }
  const group = json.weightsManifest.findIndex(
    (g) =>
      g === null ||
      typeof g !== 'object' ||
      !Array.isArray(g.paths) ||
      !g.paths.every((p) => typeof p === 'string') ||
      !Array.isArray(g.weights),
  );
  if (group >= 0) {
    throw new Error(
      `${fn}: the model file ${file} has a weightsManifest entry (${group}) that is not a group of weight ` +
        `files (an object with a list of file names, 'paths', and a list of weights, 'weights'); ${hint}`,
    );
  }
  return json;
}

/** The model artifacts of a checked model.json and its weight files' bytes, in the order its manifest lists them. */
export function artifactsOf(json: tf.io.ModelJSON, buffers: readonly ArrayBuffer[]): tf.io.ModelArtifacts {
  const weightData = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
    userDefinedMetadata: json.userDefinedMetadata,
    signature: json.signature,
    modelInitializer: json.modelInitializer,
  };
}

/**
 * The sha256 (hex) that a model.json declares for each of its weight files, by the file's path in its manifest
 * (`weightsSha256` in this library's metadata: a network file it built); undefined for a file it declares none for.
 */
export function weightSums(json: unknown): (path: string) => string | undefined {
  const meta = (json as { userDefinedMetadata?: Record<string, { weightsSha256?: unknown }> } | null)
    ?.userDefinedMetadata?.[METADATA_KEY];
  const sums = meta?.weightsSha256;
  return (path) => {
    // Only the file's own entry: a weight file named `constructor` has none.
    const want =
      sums != null && typeof sums === 'object' && Object.hasOwn(sums, path) ? sums[path as never] : undefined;
    return typeof want === 'string' ? want : undefined;
  };
}

/**
 * Why the bytes of the weight file `label` (words: "the weight file x.bin") are not the file its model.json declares
 * (`want`, from {@link weightSums}), or null when they are or nothing is declared.
 */
export async function corruptShard(
  label: string,
  bytes: ArrayBuffer | Uint8Array,
  want: string | undefined,
): Promise<string | null> {
  if (want === undefined) return null;
  const got = await sha256Hex(bytes);
  return got === want ? null : `${label} is corrupt (sha256 ${got}, model.json expects ${want})`;
}

/**
 * `fetch` for TF.js's HTTP handler (`tf.io.http`) that fails on an error status for any file but `modelUrl`, naming
 * the status and the file, and on a weight file asked for twice. TF.js checks model.json's status itself, but reads
 * a weight file's error page (a 404's body) as weights, and the load then fails, if at all, on a byte count that
 * hides which file was missing. A weight file whose path in the manifest `paths` knows (by its URL) is checked
 * against the sha256 that model.json declares for it ({@link weightSums}).
 */
export function weightsFetch(
  fetchFn: typeof fetch,
  modelUrl: string,
  ctx?: SourceContext,
  paths?: ReadonlyMap<string, string>,
): typeof fetch {
  const fetched = new Set<string>();
  let sums: (path: string) => string | undefined = () => undefined;
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    // A weight file listed many times would be downloaded, and held, that many times before the byte count is checked.
    if (url !== modelUrl && fetched.has(url)) throw new Error(`its weightsManifest lists the weight file ${url} twice`);
    fetched.add(url);
    const res = await fetchFn(input, init);
    if (!res.ok && url !== modelUrl) {
      throw new Error(`${httpStatus(res)} for the weight file ${url}`);
    }
    if (url === modelUrl && res.ok) {
      // TF.js parses model.json with json(), and says only that a file of another format is not JSON, or that JSON
      // of another kind has neither a topology nor a weights manifest: what it is goes to `ctx`, for the loader's
      // message (TF.js replaces an error thrown here with its own).
      res.json = async () => {
        const bytes = new Uint8Array(await res.arrayBuffer());
        // The file's name as the URL writes it (a page's URL may be relative; its escapes are left as they are).
        const file = url.split(/[?#]/)[0].split('/').pop() ?? '';
        const other = otherModelFormat(bytes.subarray(0, FORMAT_HEAD_BYTES), file);
        if (other) {
          if (ctx) ctx.notModel = other;
          throw new Error(other);
        }
        const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
        if (ctx) ctx.notModel = notModelJson(json) ?? undefined;
        sums = weightSums(json);
        return json;
      };
      return res;
    }
    const path = paths?.get(url);
    const want = path === undefined ? undefined : sums(path);
    if (want === undefined) return res;
    const bytes = await res.arrayBuffer();
    const problem = await corruptShard(`the weight file ${url}`, bytes, want);
    if (problem) throw new Error(problem);
    return new Response(bytes, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/**
 * The model.json URL a model's URL names: a folder's URL (its path ends in `/`, as a Teachable Machine share link's
 * does) names the `model.json` in it, as a folder's path does in Node.js; a query or fragment stays at the end.
 */
export function modelJsonUrl(url: string): string {
  const cut = url.search(/[?#]/);
  const [path, rest] = cut < 0 ? [url, ''] : [url.slice(0, cut), url.slice(cut)];
  return path.endsWith('/') ? `${path}model.json${rest}` : url;
}

/**
 * TF.js's HTTP handler for the model.json at `url`, fetching with {@link weightsFetch}: a weight file's URL is the
 * one `renamed` gives for its path in the manifest (a bundler's), else its path beside model.json, with model.json's
 * query (as TF.js makes it).
 */
export function httpHandler(
  url: string,
  ctx: SourceContext,
  renamed: Readonly<Record<string, string>> = {},
): tf.io.IOHandler {
  const paths = new Map<string, string>();
  const slash = url.lastIndexOf('/');
  const query = url.lastIndexOf('?');
  const prefix = url.slice(0, slash + 1);
  const suffix = query > slash ? url.slice(query) : '';
  return tf.io.http(url, {
    fetchFunc: weightsFetch(ctx.fetch, url, ctx, paths),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    weightUrlConverter: async (path: string) => {
      const weightUrl = Object.hasOwn(renamed, path) ? renamed[path] : prefix + path + suffix;
      paths.set(weightUrl, path);
      return weightUrl;
    },
  });
}

/** What to do about files a page's user chose that do not make a model; ends every such message. */
export const FILES_HINT = 'choose the model.json and the weight files it lists';

/** A file a page's user chose or dropped: a `File`, or any `Blob` with a name. */
export type ModelFile = Blob & { readonly name: string };

/** Whether `source` is a list of files ({@link ModelFile}s: an array of them, or a `FileList`), at least one. */
export function isFileList(source: unknown): source is ArrayLike<ModelFile> {
  const list =
    Array.isArray(source) || (typeof FileList !== 'undefined' && source instanceof FileList) ? source : undefined;
  return (
    list !== undefined &&
    list.length > 0 &&
    Array.from(list as ArrayLike<unknown>).every((f) => f instanceof Blob && typeof (f as ModelFile).name === 'string')
  );
}

/**
 * A model from files a page's user chose or dropped, in any order: its model.json (the one JSON file, or the one named
 * model.json) and the weight files its manifest names, found by name. Each file's size is checked against
 * `limits.maxFileBytes` before it is read; a file of another model format is named ({@link otherModelFormat}).
 */
export function filesSource(fn: string, files: readonly ModelFile[], hint: string): ModelSource {
  const listed = someNames(
    files.map((f) => f.name),
    false,
  );
  const jsons = files.filter((f) => /\.json$/i.test(f.name));
  const model = jsons.find((f) => f.name === 'model.json') ?? (jsons.length === 1 ? jsons[0] : undefined);
  const read = async (f: ModelFile, label: string) => {
    assertFileBytes(fn, label, f.size);
    return f.arrayBuffer();
  };
  return {
    what: model ? `the file ${model.name}` : 'the files given',
    open: (ctx) => ({
      load: async () => {
        if (!model) {
          for (const f of files) {
            const head = new Uint8Array(await f.slice(0, FORMAT_HEAD_BYTES).arrayBuffer());
            const other = otherModelFormat(head, f.name, false);
            if (other) throw new Error(`${fn}: ${f.name} ${other}; ${hint}`);
          }
          throw new Error(
            `${fn}: ${jsons.length > 1 ? 'several JSON files and none named model.json' : 'no model.json'} among ` +
              `the files given (${listed}); ${hint}`,
          );
        }
        const head = new Uint8Array(await model.slice(0, FORMAT_HEAD_BYTES).arrayBuffer());
        const other = otherModelFormat(head, model.name);
        if (other) throw new Error(`${fn}: ${model.name} ${other}; ${hint}`);
        const text = new TextDecoder().decode(await read(model, `the model file ${model.name}`));
        const json = parseModelJson(fn, text, model.name, hint);
        const paths = json.weightsManifest.flatMap((group) => group.paths);
        const sums = weightSums(json);
        const seen = new Set<string>();
        const buffers: ArrayBuffer[] = [];
        ctx.onProgress?.(0.05);
        for (const [i, p] of paths.entries()) {
          // Files chosen on a page have names, not folders: a weight file is found by the last part of its path.
          const name = p.split('/').pop() as string;
          const file = files.find((f) => f.name === name);
          if (!file) {
            throw new Error(
              `${fn}: the model file ${model.name} lists the weight file ${JSON.stringify(p)}, which is not among the ` +
                `files given (${listed}); ${hint}`,
            );
          }
          if (seen.has(name)) {
            throw new Error(
              `${fn}: the model file ${model.name} lists the weight file ${JSON.stringify(p)} twice; ${hint}`,
            );
          }
          seen.add(name);
          const bytes = await read(file, `the weight file ${name}`);
          const problem = await corruptShard(`the weight file ${name}`, bytes, sums(p));
          if (problem) throw new Error(`${fn}: ${problem}; ${hint}`);
          buffers.push(bytes);
          ctx.onProgress?.(0.05 + (0.95 * (i + 1)) / paths.length);
        }
        return artifactsOf(json, buffers);
      },
    }),
  };
}
