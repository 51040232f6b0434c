/**
 * The wasm backend's threads in Node.js, each case in a process of its own (threads are fixed once the backend has
 * started): the default runs the threaded build with the same numbers as one thread, the process exits by itself,
 * nothing is printed, and every way the threaded build can fail falls back to the single-threaded one with the reason.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/figures.js';

const LIB = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;
const CORES = Math.min(8, availableParallelism());

/** Runs `body` as an ES module after `setup`, with the library imported as `lib`; returns its exit and output. */
function child(body: string, setup = '') {
  const code = `${setup}\nconst lib = await import(${JSON.stringify(LIB)});\nconst tf = await import('@tensorflow/tfjs-core');\n${body}`;
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: (performance.now() - started) / 1000 };
}

/** A child that starts wasm with `options`, runs every SqueezeNet layer on the face and prints what it saw as JSON. */
const EVERY_LAYER = (options: string) => `
const choice = await lib.initBackend({ backend: 'wasm', ...${options} });
const d = lib.describeBackend();
const net = await lib.squeezenet();
const im = await lib.imread('examples/images/face.png');
const before = tf.memory().numTensors;
const layers = {};
for (const name of net.layerNames) {
  const a = lib.activations(net, im, name);
  // FNV-1a over the float32 bytes: equal hashes are equal numbers, bit for bit.
  const bytes = new Uint8Array((await a.data()).buffer);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  layers[name] = [bytes.length / 4, h];
  a.dispose();
}
const leaked = tf.memory().numTensors - before;
im.dispose();
net.dispose();
console.log(JSON.stringify({ reason: choice.reason, label: d.label, threads: d.threads, note: d.threadsNote, leaked, layers }));
`;

beforeAll(() => {
  ensureBuilt();
});

describe('wasm threads in Node.js', () => {
  it('runs the threaded build by default, with the same numbers as one thread, and exits by itself, silently', () => {
    const threaded = child(EVERY_LAYER('{}'));
    expect(threaded.status, threaded.stderr).toBe(0);
    expect(threaded.stderr).toBe('');
    const single = child(EVERY_LAYER('{ threads: 1 }'));
    expect(single.status, single.stderr).toBe(0);
    const a = JSON.parse(threaded.stdout);
    const b = JSON.parse(single.stdout);
    const plural = CORES === 1 ? '1 thread' : `${CORES} threads`;
    expect(a.threads).toBe(CORES);
    expect(a.note).toBeNull();
    expect(a.label).toBe(`WebAssembly (${plural})`);
    expect(a.reason).toBe(`wasm was asked for; ${plural}`);
    expect(b.threads).toBe(1);
    expect(b.label).toBe('WebAssembly (1 thread)');
    expect(a.leaked).toBe(0);
    expect(Object.keys(a.layers)).toHaveLength(67);
    // The thread pool splits each kernel's outputs between threads; every value is computed the same way.
    for (const name of Object.keys(b.layers)) expect(a.layers[name], name).toEqual(b.layers[name]);
  });

  it('falls back to the single-threaded build, saying why, on a Node.js without process.getBuiltinModule', () => {
    const r = child(
      `await lib.initBackend({ backend: 'wasm', threads: 2 });
       const y = tf.add(tf.tensor1d([1, 2]), 1);
       console.log(JSON.stringify({ d: lib.describeBackend(), y: Array.from(await y.data()) }));`,
      'delete process.getBuiltinModule;',
    );
    expect(r.status, r.stderr).toBe(0);
    const { d, y } = JSON.parse(r.stdout);
    expect(y).toEqual([2, 3]);
    expect(d.threads).toBe(1);
    const note = 'starting the threaded build needs Node.js 20.16 or later (process.getBuiltinModule)';
    expect(d.threadsNote).toBe(note);
    expect(d.reason).toBe(`wasm was asked for; 1 thread (${note})`);
  });

  it('falls back to the single-threaded build, with the failure, when the threaded one cannot start', () => {
    // The threaded start compiles the module itself (TF.js's own start does not): make that fail.
    const r = child(
      `await lib.initBackend({ backend: 'wasm', threads: 2 });
       const y = tf.add(tf.tensor1d([1, 2]), 1);
       console.log(JSON.stringify({ d: lib.describeBackend(), y: Array.from(await y.data()) }));`,
      `WebAssembly.compile = () => Promise.reject(new Error('no compiler today'));`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const { d, y } = JSON.parse(r.stdout);
    expect(y).toEqual([2, 3]);
    expect(d.threads).toBe(1);
    expect(d.threadsNote).toBe('the threaded build did not start (no compiler today), so the single-threaded one runs');
  });

  it("leaves Node's own handling of a user's unhandled rejection alone (exit code 1, not the backend's 7)", () => {
    for (const threads of [1, 2]) {
      const r = child(
        `await lib.initBackend({ backend: 'wasm', threads: ${threads} });
         Promise.reject(new Error('a bug in the user program'));`,
      );
      expect(r.status, r.stderr.slice(0, 500)).toBe(1);
      expect(r.stderr).toContain('a bug in the user program');
      expect(r.stderr.length).toBeLessThan(5000);
    }
  });
});
