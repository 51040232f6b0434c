/**
 * What a network loader's model source is, on every platform: `modelSource.node.ts` and `modelSource.browser.ts`
 * make one from the loader's options. Not exported from the package.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { httpStatus } from '../internal/abortable.js';

/** What a download may use: the wait's `fetch` and signal, and the guarded progress callback. */
export interface SourceContext {
  fetch: typeof fetch;
  signal: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Set by a download whose model.json turned out to be another kind of JSON: what it is ({@link notModelJson}). */
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

/**
 * `fetch` for TF.js's HTTP handler (`tf.io.http`) that fails on an error status for any file but `modelUrl`, naming
 * the status and the file, and on a weight file asked for twice. TF.js checks model.json's status itself, but reads
 * a weight file's error page (a 404's body) as weights, and the load then fails, if at all, on a byte count that
 * hides which file was missing.
 */
export function weightsFetch(fetchFn: typeof fetch, modelUrl: string, ctx?: SourceContext): typeof fetch {
  const fetched = new Set<string>();
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    // A weight file listed many times would be downloaded, and held, that many times before the byte count is checked.
    if (url !== modelUrl && fetched.has(url)) throw new Error(`its weightsManifest lists the weight file ${url} twice`);
    fetched.add(url);
    const res = await fetchFn(input, init);
    if (!res.ok && url !== modelUrl) {
      throw new Error(`${httpStatus(res)} for the weight file ${url}`);
    }
    if (url === modelUrl && res.ok && ctx) {
      // TF.js parses model.json with json() and, for JSON of another kind, says only that it has neither a topology
      // nor a weights manifest: what it is goes to `ctx`, for the loader's message.
      const parse = res.json.bind(res);
      res.json = async () => {
        const json = await parse();
        ctx.notModel = notModelJson(json) ?? undefined;
        return json;
      };
    }
    return res;
  };
}
