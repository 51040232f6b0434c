/**
 * Internal (Node only): a TF.js IO handler that reads a graph model's model.json and weight shards with node:fs
 * (no @tensorflow/tfjs-node), checking each shard's size and, where the model lists it, its sha256.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { readFileHead, readRegularFile } from '../internal/files.node.js';
import {
  artifactsOf,
  corruptShard,
  FORMAT_HEAD_BYTES,
  otherModelFormat,
  parseModelJson,
  weightSums,
} from './modelSource.js';

/** Whether `file` is a regular file. */
async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

function readError(fn: string, file: string, err: unknown, hint: string): Error {
  if (err instanceof Error && err.message.startsWith(`${fn}: `)) {
    return new (err instanceof RangeError ? RangeError : Error)(`${err.message}; ${hint}`, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  // The system's own message (`EACCES: permission denied, open ...`, or why Node refused the path) says more than
  // its code alone.
  const why = code === 'ENOENT' ? 'it does not exist' : ((err as Error)?.message ?? String(err));
  return new Error(`${fn}: cannot read the model file ${file} (${why}); ${hint}`);
}

/** `modelPath`: the model.json file, or a directory holding one. */
export function fileModelHandler(
  fn: string,
  modelPath: string,
  hint: string,
  onProgress?: (fraction: number) => void,
  signal?: AbortSignal,
): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let jsonPath = modelPath;
      try {
        if ((await stat(modelPath)).isDirectory()) jsonPath = path.join(modelPath, 'model.json');
      } catch (err) {
        throw readError(fn, modelPath, err, hint);
      }
      // A file of another model format (a Keras .h5, a SavedModel) is told from its first bytes, before it is read
      // whole; a folder without model.json may hold a SavedModel.
      let other: string | null;
      try {
        other = otherModelFormat(
          await readFileHead(fn, jsonPath, `the model file ${jsonPath}`, FORMAT_HEAD_BYTES),
          jsonPath,
        );
      } catch (err) {
        const savedModel = path.join(path.dirname(jsonPath), 'saved_model.pb');
        if (jsonPath !== modelPath && (err as NodeJS.ErrnoException)?.code === 'ENOENT' && (await isFile(savedModel))) {
          other = otherModelFormat(new Uint8Array(), savedModel);
          jsonPath = savedModel;
        } else {
          throw readError(fn, jsonPath, err, hint);
        }
      }
      if (other) throw new Error(`${fn}: ${jsonPath} ${other}; ${hint}`);
      let text: string;
      try {
        text = (await readRegularFile(fn, jsonPath, `the model file ${jsonPath}`, signal)).toString('utf8');
      } catch (err) {
        throw readError(fn, jsonPath, err, hint);
      }
      const json = parseModelJson(fn, text, jsonPath, hint);
      const dir = path.dirname(jsonPath);
      const sums = weightSums(json);
      const paths = json.weightsManifest.flatMap((group) => group.paths);
      const buffers: ArrayBuffer[] = [];
      const seen = new Set<string>();
      onProgress?.(0.05);
      for (let i = 0; i < paths.length; i++) {
        const file = path.resolve(dir, paths[i]);
        // A shard listed many times would be read, and held, that many times before the byte count is checked.
        if (seen.has(file)) {
          throw new Error(
            `${fn}: the model file ${jsonPath} lists the weight file ${JSON.stringify(paths[i])} twice; ${hint}`,
          );
        }
        seen.add(file);
        // A weight file is beside model.json or below it: never a path that leaves its folder.
        if (path.relative(dir, file).startsWith('..') || path.isAbsolute(path.relative(dir, file))) {
          throw new Error(
            `${fn}: the model file ${jsonPath} names a weight file outside its folder (${JSON.stringify(paths[i])}); ${hint}`,
          );
        }
        let bytes: Buffer;
        try {
          bytes = await readRegularFile(fn, file, `the weight file ${file}`, signal);
        } catch (err) {
          throw readError(fn, file, err, hint);
        }
        const problem = await corruptShard(`the weight file ${file}`, bytes, sums(paths[i]));
        if (problem) throw new Error(`${fn}: ${problem}; ${hint}`);
        buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        onProgress?.(0.05 + (0.95 * (i + 1)) / paths.length);
      }
      return artifactsOf(json, buffers);
    },
  };
}
