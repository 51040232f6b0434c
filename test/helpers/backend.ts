/** Which backend this test run uses, and the tolerances that go with it. */
export const BACKEND = process.env.CNN_BACKEND ?? 'cpu';

/**
 * Absolute tolerance for float32 results of the image primitives (values of order 1).
 * cpu and wasm compute in float32 with the same summation order as our Float64 references up to rounding: 1e-5.
 * webgpu (software Vulkan) may fuse multiply-adds differently: 1e-4.
 */
export const TOL = BACKEND === 'webgpu' ? 1e-4 : 1e-5;
