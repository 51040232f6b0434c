/**
 * A guard on the wasm backend's heap. TF.js gives the module's `malloc` a tensor's size in bytes, and `malloc` takes a
 * 32-bit argument: a tensor of 4 GiB or more wraps around to a small block that the kernel then writes past (a trap,
 * "memory access out of bounds", or other tensors silently overwritten). A block that cannot be had at all comes back
 * as address 0, where TF.js would write just the same. Both are refused here, before anything is written, with a
 * RangeError that the caller's operation throws. The library's limits stop what its own functions ask for long
 * before this; the guard covers everything else that runs on the backend (a user's model, the user's own `tf.*`).
 * Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of TF.js's wasm backend the guard wraps: its Emscripten module's `_malloc`. */
interface WasmBackendLike {
  wasm?: { _malloc?: (bytes: number) => number };
}

/** The largest block a 32-bit address space can hold. */
const MAX_BYTES = 2 ** 32 - 1;

const guarded = new WeakSet<object>();

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Puts the guard on the running wasm backend's module, once per module; does nothing where there is none. */
export function guardWasmHeap(): void {
  let backend: WasmBackendLike | undefined;
  try {
    backend = tf.engine().registry.wasm as WasmBackendLike | undefined;
  } catch {
    return;
  }
  const module = backend?.wasm;
  if (module) guardMalloc(module);
}

/** Puts the guard on an Emscripten module's `_malloc`, once per module. Exported for tests. @internal */
export function guardMalloc(module: { _malloc?: (bytes: number) => number }): void {
  if (typeof module._malloc !== 'function' || guarded.has(module)) return;
  // Emscripten's first `_malloc` is a stub that replaces itself with the raw export on its first call: an accessor
  // keeps the guard in place and takes the replacement as the function it guards.
  let malloc = module._malloc;
  const guard = (bytes: number): number => {
    if (!(bytes <= MAX_BYTES)) {
      throw new RangeError(
        `the wasm backend cannot allocate ${count(bytes)} bytes: more than its 4 GiB memory can address`,
      );
    }
    const at = malloc.call(module, bytes);
    if (at === 0 && bytes > 0) {
      throw new RangeError(`the wasm backend is out of memory: it could not allocate ${count(bytes)} bytes`);
    }
    return at;
  };
  Object.defineProperty(module, '_malloc', {
    configurable: true,
    enumerable: true,
    get: () => guard,
    set: (replacement: (bytes: number) => number) => {
      malloc = replacement;
    },
  });
  guarded.add(module);
}
