/**
 * Helpers for the end-to-end checks of figures: read a PNG back, load the golden activations of ../shared/reference,
 * quantize a float image the way imwrite does, compare pixel arrays with a tolerance.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { staleBuildSteps } from '../../scripts/lib/buildState.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = path.resolve(ROOT, '..', 'shared');

/** A PNG read back: size, channels as written (1 gray, 3 RGB, 4 RGBA), pixels as `[h, w, channels]` row-major. */
export interface PngImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

export function readPng(file: string): PngImage {
  const png = PNG.sync.read(readFileSync(file));
  const colorChannels: Record<number, number> = { 0: 1, 2: 3, 4: 1, 6: 3 };
  const channels = colorChannels[png.colorType] ?? 3;
  const pixels = new Uint8Array(png.width * png.height * channels);
  for (let i = 0; i < png.width * png.height; i++) {
    for (let c = 0; c < channels; c++) pixels[i * channels + c] = png.data[i * 4 + c];
  }
  return { width: png.width, height: png.height, channels, pixels };
}

/** Golden activations `[H, W, C]` from `../shared/reference/<image>_<layer>.f32` (float32 LE, HWC). */
export function referenceActivations(image: 'face' | 'face-eye-closed', layer: string): tf.Tensor3D {
  const info = JSON.parse(readFileSync(path.join(SHARED, 'reference', `${image}.json`), 'utf8')) as {
    layers: { name: string; shape: [number, number, number] }[];
  };
  const shape = info.layers.find((l) => l.name === layer)!.shape;
  const bytes = readFileSync(path.join(SHARED, 'reference', `${image}_${layer}.f32`));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return tf.tensor3d(values, shape);
}

/** The facts recorded in `../shared/reference/<image>.json` for one layer. */
export function referenceLayer(image: 'face' | 'face-eye-closed', layer: string) {
  const info = JSON.parse(readFileSync(path.join(SHARED, 'reference', `${image}.json`), 'utf8')) as {
    layers: { name: string; shape: number[]; maxChannel: number; maxChannelMatlab: number; max: number }[];
  };
  return info.layers.find((l) => l.name === layer)!;
}

/**
 * The 8-bit pixels a float image `[h, w]` / `[h, w, 3]` in [0, 1] becomes in a PNG (clamp, ×255, round), or an int32
 * image as it is; gray images are returned with 1 channel.
 */
export async function toPixels(img: tf.Tensor): Promise<{ shape: number[]; pixels: Uint8Array }> {
  const q = tf.tidy(() =>
    img.dtype === 'int32' ? tf.clipByValue(img, 0, 255) : tf.round(tf.mul(tf.clipByValue(img, 0, 1), 255)),
  );
  const data = await q.data();
  q.dispose();
  return { shape: img.shape, pixels: Uint8Array.from(data) };
}

/** The largest absolute difference between two pixel arrays of the same length. */
export function maxPixelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pixel arrays differ in length: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** The `[rows, cols]` sub-block `[r0, r0 + h) × [c0, c0 + w)` of a PNG, all of its channels, row-major. */
export function crop(img: PngImage, r0: number, c0: number, h: number, w: number, channel?: number): Uint8Array {
  const n = channel === undefined ? img.channels : 1;
  const out = new Uint8Array(h * w * n);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      for (let k = 0; k < n; k++) {
        const src = ((r0 + r) * img.width + (c0 + c)) * img.channels + (channel ?? k);
        out[(r * w + c) * n + k] = img.pixels[src];
      }
    }
  }
  return out;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds model/ and dist/ if they are missing or dist/ is older than src/ (as `npm run walkthrough` does).
 * Test files run in parallel: a lock folder (test-artifacts/.build-lock) makes the others wait for one build instead
 * of starting their own (a second tsup would clean dist/ under the first).
 */
export function ensureBuilt(): void {
  const lock = path.join(ROOT, 'test-artifacts', '.build-lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 10 minutes was left by a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 600_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`ensureBuilt: ${lock} stayed locked for 10 minutes`);
      sleepSync(500);
    }
  }
  try {
    const run = (script: string) => {
      const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`npm run ${script} failed:\n${r.stdout}\n${r.stderr}`);
    };
    for (const step of staleBuildSteps(ROOT)) run(step);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
