/**
 * A guard on the WebGPU backend's programs. A WebGPU device binds at most `maxStorageBufferBindingSize` bytes of one
 * buffer to a shader (128 MiB on many devices, software ones included) and holds at most `maxBufferSize` bytes in
 * one buffer. TF.js binds every tensor a program reads or writes whole; past either limit the device reports a
 * validation error on the console, the program does not run, and the output reads as zeros: a wrong answer with no
 * exception. The guard checks each program's tensors before TF.js allocates or records anything, and throws a
 * RangeError from the operation instead. It also tells the limits module what the device holds, so that the
 * library's own checks and mini-batches stay within it. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { formatCount, setDeviceElementCap } from '../internal/limits.js';

/** The parts of TF.js's WebGPUBackend used here. */
interface WebGPUBackendLike {
  device?: { limits?: { maxStorageBufferBindingSize?: number; maxBufferSize?: number } };
  runWebGPUProgram?: (program: unknown, inputs: tf.TensorInfo[], ...rest: unknown[]) => tf.TensorInfo;
}

interface ProgramLike {
  outputShape?: number[];
}

const guarded = new WeakSet<object>();

/** Bytes of a tensor on TF.js's WebGPU backend: 4 per element (float32, int32 and bool alike), 8 for complex64. */
const bytesOf = (shape: readonly number[], dtype: tf.DataType) =>
  shape.reduce((a, b) => a * b, 1) * (dtype === 'complex64' ? 8 : 4);

/** Puts the guard on the running webgpu backend, once per backend; does nothing where there is none. */
export function guardWebGPUBindings(): void {
  let backend: WebGPUBackendLike | undefined;
  try {
    backend = tf.engine().registry.webgpu as WebGPUBackendLike | undefined;
  } catch {
    return;
  }
  const limits = backend?.device?.limits;
  const run = backend?.runWebGPUProgram;
  if (!backend || !limits || typeof run !== 'function' || guarded.has(backend)) return;
  const binding = Math.min(limits.maxStorageBufferBindingSize ?? Infinity, limits.maxBufferSize ?? Infinity);
  if (!Number.isFinite(binding)) return;
  const check = (shape: readonly number[], dtype: tf.DataType, what: string) => {
    const bytes = bytesOf(shape, dtype);
    if (bytes > binding) {
      throw new RangeError(
        `the webgpu backend cannot run an operation on ${what} [${shape.join(', ')}] of ${formatCount(bytes)} bytes: ` +
          `its device binds at most ${formatCount(binding)} bytes of one tensor (maxStorageBufferBindingSize), and ` +
          'TF.js would compute zeros without an error; ask for less at a time, or use the wasm backend',
      );
    }
  };
  const guardedRun = function (this: WebGPUBackendLike, program: unknown, inputs: tf.TensorInfo[], ...rest: unknown[]) {
    const output = rest[2] as tf.TensorInfo | undefined;
    const outDtype = (rest[0] as tf.DataType | undefined) ?? 'float32';
    const outShape = output?.shape ?? (program as ProgramLike).outputShape;
    if (outShape) check(outShape, output?.dtype ?? outDtype, 'an output');
    for (const input of inputs) check(input.shape, input.dtype, 'an input');
    return run.call(this, program, inputs, ...rest);
  };
  backend.runWebGPUProgram = guardedRun;
  guarded.add(backend);
  setDeviceElementCap('webgpu', Math.floor(binding / 4));
}
