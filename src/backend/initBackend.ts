/**
 * Backend choice: the only module of the library that imports TF.js backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertOneOf, assertOptions } from '../internal/validate.js';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /** Use exactly this backend (fail if it cannot start) instead of trying them in order. */
  backend?: BackendName;
  /** The order in which backends are tried. @default ['webgpu', 'webgl', 'wasm', 'cpu'] */
  prefer?: readonly BackendName[];
}

export interface BackendChoice {
  /** The backend now active in `tf`. */
  backend: BackendName;
  /** Why this one: a sentence for logs and UIs. */
  reason: string;
  /** Each backend tried before it, and why it was passed over. */
  skipped: { backend: BackendName; reason: string }[];
}

async function register(name: BackendName): Promise<string | null> {
  // Each import registers its backend with tfjs-core as a side effect.
  try {
    switch (name) {
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        return null;
      case 'wasm':
        await import('@tensorflow/tfjs-backend-wasm');
        return null;
      default:
        return `${name} is not supported by this build yet`;
    }
  } catch (err) {
    return `could not load the ${name} backend package (${(err as Error).message.split('\n')[0]})`;
  }
}

/**
 * Picks a TF.js backend and activates it: the first of `prefer` that loads and initialises.
 * Checks what `tf.setBackend` returns rather than trusting `tf.getBackend()`.
 *
 * @example
 * const choice = await initBackend();
 * console.log(`${choice.backend}: ${choice.reason}`);
 */
export async function initBackend(options?: InitBackendOptions): Promise<BackendChoice> {
  const opts = assertOptions<InitBackendOptions>('initBackend', options, ['backend', 'prefer']);
  const order = opts.backend
    ? [assertOneOf('initBackend', 'backend', opts.backend, BACKEND_NAMES)]
    : (opts.prefer ?? BACKEND_NAMES).map((b, i) => assertOneOf('initBackend', `prefer[${i}]`, b, BACKEND_NAMES));
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const problem = await register(name);
    if (problem) {
      skipped.push({ backend: name, reason: problem });
      continue;
    }
    let ok = false;
    try {
      ok = await tf.setBackend(name);
      if (ok) await tf.ready();
    } catch (err) {
      skipped.push({ backend: name, reason: `initialisation failed: ${(err as Error).message.split('\n')[0]}` });
      continue;
    }
    if (!ok) {
      skipped.push({ backend: name, reason: 'tf.setBackend returned false (initialisation failed)' });
      continue;
    }
    const reason = opts.backend ? `${name} was asked for` : `${name} is the first available of ${order.join(', ')}`;
    return { backend: name, reason, skipped };
  }
  const detail = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new Error(`initBackend: no backend could be started (${detail})`);
}
