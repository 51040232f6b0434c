/** Test images and reference data from ../shared, read without the library's own I/O. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';

/** The repository root (this file is test/helpers/images.ts). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** ../shared beside the repository. */
export const SHARED = path.join(ROOT, '..', 'shared');

/** An RGB(A) PNG from ../shared/images as an int32 tensor [h, w, 3] (alpha dropped). */
export function readSharedPng(name: string): tf.Tensor3D {
  const png = PNG.sync.read(readFileSync(path.join(SHARED, 'images', name)));
  const rgb = new Int32Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) {
    for (let c = 0; c < 3; c++) rgb[i * 3 + c] = png.data[i * 4 + c];
  }
  return tf.tensor3d(rgb, [png.height, png.width, 3], 'int32');
}

/** A float32 little-endian reference tensor from ../shared/reference (HWC row-major). */
export function readReferenceF32(name: string): Float32Array {
  const buf = readFileSync(path.join(SHARED, 'reference', name));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export interface ReferenceLayer {
  index: number;
  name: string;
  shape: [number, number, number];
  min: number;
  max: number;
  mean: number;
  meanAbs: number;
  maxChannel: number;
  maxChannelMatlab: number;
}

export interface Reference {
  image: string;
  imageSize: [number, number, number];
  layers: ReferenceLayer[];
  top5: { index: number; label: string; score: number }[];
}

/** ../shared/reference/<name>.json (golden float64 forward pass). */
export function readReference(name: string): Reference {
  return JSON.parse(readFileSync(path.join(SHARED, 'reference', `${name}.json`), 'utf8')) as Reference;
}
