import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend/initBackend.js';
import { BACKEND } from '../helpers/backend.js';

// A wrong `wasmPaths` makes the wasm backend's start fail for the rest of the process (TF.js's wasm module keeps the
// failure), so this runs only in the cpu project, where wasm has not started in this file's process: a real case of
// tf.setBackend resolving to false, which initBackend must notice rather than trust tf.getBackend(). In Node the
// threaded build is started by the library itself (src/backend/wasmThreads.ts), from the package's own files.
describe.runIf(BACKEND === 'cpu')('initBackend wasmPaths', () => {
  it('passes wasmPaths to the wasm backend; a failed start is reported and the previous backend kept', async () => {
    await expect(initBackend({ backend: 'wasm', wasmPaths: 'no-such-dir/' })).rejects.toThrow(
      new Error(
        "initBackend: no backend could be started (wasm: tf.setBackend('wasm') returned false: its initialisation " +
          'failed (TF.js logs the cause as a warning))',
      ),
    );
    expect(tf.getBackend()).toBe('cpu');
    const y = tf.add(tf.scalar(1), 1);
    expect(await y.data()).toEqual(new Float32Array([2]));
    y.dispose();

    // TF.js's own (single-threaded) wasm start keeps failing in this process...
    const choice = await initBackend({ prefer: ['wasm', 'cpu'], threads: 1 });
    expect(choice.backend).toBe('cpu');
    expect(choice.skipped).toEqual([
      {
        backend: 'wasm',
        reason: "tf.setBackend('wasm') returned false: its initialisation failed (TF.js logs the cause as a warning)",
      },
    ]);
    // ...while the threaded build, which the library starts from the package's files, is a module of its own.
    const threaded = await initBackend({ backend: 'wasm', threads: 2 });
    expect(threaded.reason).toBe('wasm was asked for; 2 threads');
    await initBackend({ backend: 'cpu' });
  });
});
