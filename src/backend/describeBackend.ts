import * as tf from '@tensorflow/tfjs-core';
import { lastBackendChoice, threadsSentence, type BackendChoice } from './initBackend.js';
import type { InitBackendOptions } from './initBackend.js';
import type { WebGPUAdapterDescription } from './rankBackends.js';
import { wasmThreads } from './wasmThreads.js';

/** What {@link describeBackend} says about the backend in use. */
export interface BackendDescription {
  /** The name of the TF.js backend now active (`'webgpu'`, `'wasm'`, ...), or null before any is active. */
  backend: string | null;
  /**
   * A short label for a UI: `WebGPU (nvidia ampere)`, `WebGPU (software: llvmpipe ...)`, `WebAssembly (2 threads)`,
   * `CPU`.
   */
  label: string;
  /** Why this backend is in use: {@link initBackend}'s reason, or a note that it was chosen elsewhere. */
  reason: string;
  /** The WebGPU adapter, when the backend is WebGPU and {@link initBackend} started it; otherwise null. */
  adapter: WebGPUAdapterDescription | null;
  /** The full choice {@link initBackend} made, while that backend is still the active one; otherwise null. */
  choice: BackendChoice | null;
  /**
   * The threads the wasm backend runs when it is the active one (see `threads` in {@link InitBackendOptions});
   * otherwise null.
   */
  threads: number | null;
  /** Why the wasm backend runs fewer threads than were asked for, when it does; otherwise null. */
  threadsNote: string | null;
}

const LABELS: Record<string, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU' };

/**
 * Describes the TF.js backend in use, for a status line in a UI or a log: its name, a short label, the WebGPU
 * adapter, and why it was chosen. Reads state only: it never starts a backend (unlike `tf.backend()`).
 *
 * @returns a plain object; `backend` is null while no backend has started.
 * @example
 * await initBackend();
 * const { label, reason } = describeBackend();
 * status.textContent = `Running on ${label}`; // "Running on WebAssembly (2 threads)"
 * console.log(reason); // "wasm is the first available of webgpu, webgl, wasm, cpu; 2 threads"
 */
export function describeBackend(): BackendDescription {
  const backend: string | null = tf.getBackend() ?? null;
  if (backend === null) {
    return {
      backend,
      label: 'none',
      reason: 'no backend has started yet; call initBackend()',
      adapter: null,
      choice: null,
      threads: null,
      threadsNote: null,
    };
  }
  const last = lastBackendChoice();
  const choice = last && last.backend === backend ? last : null;
  const adapter = choice?.adapter ?? null;
  let label = LABELS[backend] ?? backend;
  if (adapter) {
    const name = adapter.software
      ? `software: ${adapter.description || adapter.device || adapter.vendor}`
      : [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || adapter.description;
    if (name) label += ` (${name})`;
  }
  const wasm = backend === 'wasm' ? wasmThreads() : null;
  if (wasm) label += ` (${threadsSentence(wasm.threads, null)})`;
  const reason = choice ? choice.reason : `${backend} was set outside initBackend (for example by tf.setBackend)`;
  return { backend, label, reason, adapter, choice, threads: wasm?.threads ?? null, threadsNote: wasm?.note ?? null };
}
