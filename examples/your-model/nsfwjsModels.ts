// Real pretrained third-party models that ship inside an npm package: nsfwjs 4 (an image classifier with five
// classes: Drawing, Hentai, Neutral, Porn, Sexy) bundles a Keras MobileNetV2, a Keras InceptionV3 and a converted
// TensorFlow graph (MobileNetV2 "mid"), each as JavaScript modules holding model.json and base64 weight shards.
// These helpers turn them back into ordinary TF.js model files (model.json + shards), or into an in-memory IO
// handler: the form a model you trained or converted yourself comes in. The tests use them too.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export type ThirdPartyModel = 'mobilenet_v2' | 'mobilenet_v2_mid' | 'inception_v3';

/** nsfwjs's five classes, in the order of its models' outputs. */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

interface Bundle {
  modelJson(): Promise<{ default: tf.io.ModelJSON }>;
  weightBundles: (() => Promise<{ default: string }>)[];
}

// The package's ES modules, named one by one so that bundlers and test runners see each import. Its CommonJS build
// (what `require` gets) passes each base64 shard through a helper that copies every character of the string into an
// object: seconds per megabyte.
const MODULES: Record<ThirdPartyModel, () => Promise<object>> = {
  mobilenet_v2: () => import('nsfwjs/models/mobilenet_v2'),
  mobilenet_v2_mid: () => import('nsfwjs/models/mobilenet_v2_mid'),
  inception_v3: () => import('nsfwjs/models/inception_v3'),
};

/** The model.json and the weight shards (by their manifest paths) of one of nsfwjs's models. */
export async function thirdPartyFiles(
  name: ThirdPartyModel,
): Promise<{ json: tf.io.ModelJSON; shards: Map<string, Uint8Array> }> {
  const bundle = (Object.values(await MODULES[name]()) as Bundle[])[0];
  const json = (await bundle.modelJson()).default;
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const shards = new Map<string, Uint8Array>();
  for (let i = 0; i < paths.length; i++) {
    const b64 = (await bundle.weightBundles[i]()).default;
    shards.set(paths[i], new Uint8Array(Buffer.from(b64, 'base64')));
  }
  return { json, shards };
}

/** An IO handler that loads one of nsfwjs's models from memory. */
export async function thirdPartyHandler(name: ThirdPartyModel): Promise<tf.io.IOHandler> {
  const { json, shards } = await thirdPartyFiles(name);
  const parts = json.weightsManifest.flatMap((g) => g.paths).map((p) => shards.get(p)!);
  const data = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: data.buffer,
    format: json.format,
    userDefinedMetadata: json.userDefinedMetadata,
  });
}

/** Writes one of nsfwjs's models as model.json + shards into `dir`; returns the model.json path. */
export async function writeThirdPartyModel(name: ThirdPartyModel, dir: string): Promise<string> {
  const { json, shards } = await thirdPartyFiles(name);
  mkdirSync(dir, { recursive: true });
  for (const [p, bytes] of shards) writeFileSync(path.join(dir, p), bytes);
  const file = path.join(dir, 'model.json');
  writeFileSync(file, JSON.stringify(json));
  return file;
}
