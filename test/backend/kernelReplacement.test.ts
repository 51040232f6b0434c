/**
 * How the library's kernel replacements stack: several modules may wrap one kernel (an argument check around a fix
 * around a faster kernel); each wrap goes in once, in a fixed order whatever order they come in, and TF.js's kernel
 * stays reachable beneath them all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asKernelResult,
  hasKernels,
  replaceKernel,
  replacedKernel,
  tfjsKernels,
} from '../../src/backend/kernelReplacement.js';
import { BACKEND } from '../helpers/backend.js';

const KERNEL = 'CnnActivationsTestKernel';

/** Runs the test kernel on `x`; the kernels below write what ran into `trace`. */
const run = (x: tf.Tensor) => tf.engine().runKernel(KERNEL, { x }, {}) as tf.Tensor;
let trace: string[] = [];

/** Registers a kernel that adds 1 to its input, in TF.js's registry, as a backend registers its own. */
function registerTestKernel(): tf.KernelFunc {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend }) => {
    trace.push('tfjs');
    return asKernelResult(backend, tf.add(inputs.x as tf.Tensor, 1));
  };
  tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc });
  return kernelFunc;
}

const tracing =
  (label: string) =>
  (inner: tf.KernelFunc): tf.KernelFunc =>
  (args) => {
    trace.push(label);
    return inner(args);
  };

afterEach(() => {
  if (tf.getKernel(KERNEL, BACKEND) !== undefined) tf.unregisterKernel(KERNEL, BACKEND);
  trace = [];
});

describe('replaceKernel', () => {
  it('stacks the wraps of several replacers on one kernel, checks outermost, whatever order they come in', async () => {
    const tfjs = registerTestKernel();
    replaceKernel(KERNEL, BACKEND, 'kernelFixes', tracing('fix'));
    replaceKernel(KERNEL, BACKEND, 'argumentChecks', tracing('check'));
    replaceKernel(KERNEL, BACKEND, 'wasmKernels', tracing('faster'));
    const x = tf.tensor1d([1, 2]);
    const y = run(x);
    expect(trace).toEqual(['check', 'fix', 'faster', 'tfjs']);
    expect(Array.from(await y.data())).toEqual([2, 3]);
    expect(replacedKernel(KERNEL, BACKEND)).toBe(tfjs);
    tf.dispose([x, y]);
  });

  it('puts each replacer in once, however often it asks (they ask before every pass)', () => {
    registerTestKernel();
    for (let i = 0; i < 3; i++) {
      replaceKernel(KERNEL, BACKEND, 'argumentChecks', tracing('check'));
      replaceKernel(KERNEL, BACKEND, 'kernelFixes', tracing('fix'));
    }
    const x = tf.tensor1d([1]);
    const y = run(x);
    expect(trace).toEqual(['check', 'fix', 'tfjs']);
    tf.dispose([x, y]);
  });

  it("runs TF.js's kernel alone inside tfjsKernels", () => {
    registerTestKernel();
    replaceKernel(KERNEL, BACKEND, 'kernelFixes', tracing('fix'));
    replaceKernel(KERNEL, BACKEND, 'argumentChecks', tracing('check'));
    const x = tf.tensor1d([1]);
    const y = tfjsKernels(() => run(x));
    expect(trace).toEqual(['tfjs']);
    tf.dispose([x, y]);
  });

  it('starts over from the kernel registered when a backend registers its kernel again', () => {
    registerTestKernel();
    replaceKernel(KERNEL, BACKEND, 'kernelFixes', tracing('old fix'));
    tf.unregisterKernel(KERNEL, BACKEND);
    const tfjs = registerTestKernel();
    replaceKernel(KERNEL, BACKEND, 'argumentChecks', tracing('check'));
    const x = tf.tensor1d([1]);
    const y = run(x);
    expect(trace).toEqual(['check', 'tfjs']);
    expect(replacedKernel(KERNEL, BACKEND)).toBe(tfjs);
    tf.dispose([x, y]);
  });

  it('does nothing for a kernel the backend has not registered', () => {
    replaceKernel(KERNEL, BACKEND, 'kernelFixes', tracing('fix'));
    expect(tf.getKernel(KERNEL, BACKEND)).toBeUndefined();
    expect(replacedKernel(KERNEL, BACKEND)).toBeUndefined();
  });

  it("tells whether a backend's kernels are registered", () => {
    expect(hasKernels(BACKEND)).toBe(true);
    expect(hasKernels('no-such-backend')).toBe(false);
  });
});
