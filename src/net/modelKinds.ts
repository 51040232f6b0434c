/**
 * What a TF.js model looks like, for the checks of what a function was given: a converted graph (`GraphModel`), a
 * Keras model (`LayersModel`), or an object of a package that holds one (a model class that keeps its TF.js model in
 * a field). Duck-typed, so that a model from another copy of TF.js's packages counts too.
 */
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** Whether `v` is a TF.js `GraphModel` (any copy of tfjs-converter). */
export function isGraphModel(v: unknown): v is GraphModel {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as GraphModel).execute === 'function' &&
    Array.isArray((v as GraphModel).inputs) &&
    typeof (v as GraphModel).executeAsync === 'function'
  );
}

/** Whether `v` is a Keras `tf.LayersModel` (any copy of tfjs-layers). */
export function isLayersModel(v: unknown): v is LayersModel {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as LayersModel).layers) &&
    typeof (v as LayersModel).getLayer === 'function' &&
    Array.isArray((v as LayersModel).inputs) &&
    Array.isArray((v as LayersModel).outputs)
  );
}

/** Where packages keep their TF.js model: nsfwjs, tfjs-models' classifiers, Teachable Machine's `CustomMobileNet`. */
const MODEL_FIELDS = ['model', 'net', 'network', 'graphModel', 'layersModel', 'tfModel'];

/**
 * The field of `v` that holds a TF.js model, where `v` is an object of a package's model class rather than the model
 * itself, looked for under the names packages give it ({@link MODEL_FIELDS}): own data fields only, so that no getter
 * runs and an object of any size costs the same; null where none holds one.
 */
export function wrappedModel(v: unknown): { key: string; kind: 'tf.GraphModel' | 'tf.LayersModel' } | null {
  if (typeof v !== 'object' || v === null || isGraphModel(v) || isLayersModel(v)) return null;
  try {
    for (const key of MODEL_FIELDS) {
      const field = Object.getOwnPropertyDescriptor(v, key);
      if (!field || !('value' in field)) continue;
      if (isGraphModel(field.value)) return { key, kind: 'tf.GraphModel' };
      if (isLayersModel(field.value)) return { key, kind: 'tf.LayersModel' };
    }
  } catch {
    // A proxy that refuses to be looked at holds nothing this can name.
  }
  return null;
}

/**
 * The end of a message about `v` where it holds a TF.js model ({@link wrappedModel}): what to give instead. `takes`:
 * what the function takes: any model (`toNetwork`), a Network or a graph model (`activations`), or a Network only.
 * '' where `v` holds none.
 */
export function wrappedModelNote(v: unknown, takes: 'model' | 'network-or-graph' | 'network'): string {
  const fields = v as { layerNames?: unknown; inputSize?: unknown } | null;
  if (typeof v === 'object' && v !== null && Array.isArray(fields?.layerNames) && Array.isArray(fields?.inputSize)) {
    // `{ ...net }`: a Network's fields without the Network.
    return ", a copy of a Network's fields: give the Network itself";
  }
  const held = wrappedModel(v);
  if (!held) return '';
  const what = `, whose '${held.key}' is a ${held.kind}`;
  if (takes === 'model' || (takes === 'network-or-graph' && held.kind === 'tf.GraphModel')) {
    return `${what}: give that`;
  }
  return `${what}: make a Network of that with toNetwork`;
}
