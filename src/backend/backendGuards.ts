/**
 * The guards this library puts on TF.js's backends where TF.js would otherwise corrupt memory or answer wrong without
 * an error: the wasm heap's 32-bit allocations (`wasmHeapGuard.ts`) and WebGPU's per-buffer binding limit
 * (`webgpuBindingGuard.ts`), TensorFlow's reading of a strided slice on every backend (`stridedSlice.ts`), the fixes
 * of kernels that answer otherwise than TensorFlow (`kernelFixes.ts` on several backends, `wasmKernelFixes.ts`,
 * `webgpuKernelFixes.ts`, `highRankKernels.ts`), and the checks of kernel arguments TensorFlow refuses and TF.js's
 * kernels do not (`argumentChecks.ts`). Each goes on once per backend; calling this again costs a lookup. Not exported
 * from the package.
 */
import { checkKernelArguments } from './argumentChecks.js';
import { fixKernels } from './kernelFixes.js';
import { fixStridedSlice } from './stridedSlice.js';
import { fixWasmKernels } from './wasmKernelFixes.js';
import { guardWasmHeap } from './wasmHeapGuard.js';
import { guardWebGPUBindings } from './webgpuBindingGuard.js';
import { foldHighRanks } from './highRankKernels.js';
import { installWebGPUKernelFixes } from './webgpuKernelFixes.js';

/**
 * Puts the guards on whichever of the wasm and webgpu backends are running, the strided slice fix on all, and the
 * kernel fixes (WebGPU's too, for a program that started that backend itself with `tf.setBackend`).
 */
export function guardBackends(): void {
  guardWasmHeap();
  guardWebGPUBindings();
  fixStridedSlice();
  fixKernels();
  checkKernelArguments();
  fixWasmKernels();
  installWebGPUKernelFixes();
  foldHighRanks();
}
