import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';
import { initBackend, type BackendName } from '../src/backend/initBackend.js';

// Each project starts exactly its backend, or the whole file fails. On webgpu the adapter is usually a software one
// (lavapipe or SwiftShader on CI): naming the backend accepts it; allowSoftwareWebGPU says so explicitly.
beforeAll(async () => {
  const backend = (process.env.CNN_BACKEND ?? 'cpu') as BackendName;
  await initBackend(backend === 'webgpu' ? { backend, allowSoftwareWebGPU: true } : { backend });
  // TF.js's webgpu backend runs ops on small tensors (< 1000 values) whose data is still on the CPU with its CPU
  // kernels. Unit tests use small tensors, so without this they would test the cpu backend again, not the shaders.
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
});
