import { elementLimit } from '../../src/internal/limits.js';

/** Which backend this test run uses, and the tolerances that go with it. */
export const BACKEND = process.env.CNN_BACKEND ?? 'cpu';

/**
 * Absolute tolerance for float32 results of the image primitives (values of order 1): 1e-5 on every backend.
 * cpu and wasm compute in float32 with the same summation order as our Float64 references, up to rounding.
 * webgpu's shaders compute in IEEE float32 too; a GPU compiler may contract a multiply and an add into one fused
 * operation or divide within 2.5 ulp (WGSL's allowed error), which moves a result of order 1 by ~1e-7. Measured on
 * Mesa's lavapipe: every image suite passes at 1e-6. 1e-5 (about 80 ulp at 1) leaves room for hardware GPUs.
 */
export const TOL = 1e-5;

/**
 * How an element-limit message ends on this backend: the default `maxElements`, or, where a WebGPU device holds
 * fewer values in one tensor (Mesa's lavapipe: 33,554,432), that device's cap.
 */
export function elementLimitEnd(): string {
  const { max, device } = elementLimit();
  return device
    ? `the limit is ${max.toLocaleString('en-US')} elements (what the ${device} device holds in one tensor, its maxStorageBufferBindingSize; ask for less at a time, or use the wasm backend)`
    : 'the limit is 134,217,728 elements (limits.maxElements; raise it with setLimits)';
}
