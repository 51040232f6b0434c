/**
 * Backends in a process of its own. Gradients after switching backends: TF.js's wasm backend registers its kernels
 * when initBackend first imports it, which may come after the library installed its gradients on another backend. The
 * library's wasm kernels must still be in place, with nothing printed (TF.js warns when a kernel is registered
 * twice). And a program that starts no backend at all: imread starts one as initBackend() would, and a synchronous
 * function says what to do, never TF.js's bare "No backend found in registry.".
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/figures.js';

const LIB = pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href;

beforeAll(() => {
  ensureBuilt();
});

/** Runs `code` as an ES module in a Node.js process of its own. */
const child = (code: string) =>
  spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

describe('gradients after a backend switch', () => {
  it('deep dream on cpu, then on wasm: the same image, nothing on stderr', () => {
    const code = `
const lib = await import(${JSON.stringify(LIB)});
const tf = await import('@tensorflow/tfjs-core');
const maps = {};
for (const backend of ['cpu', 'wasm']) {
  await lib.initBackend({ backend, threads: 1 });
  const net = await lib.squeezenet();
  // Through conv1 (a strided convolution's input gradient), pool1 (max pooling's) and fire2's concatenation.
  const start = tf.reshape(tf.mul(tf.add(tf.sin(tf.range(0, 227 * 227 * 3)), 1), 127.5), [227, 227, 3]);
  const dream = await lib.deepDreamImage(net, 'fire3-squeeze1x1', 0, { pyramidLevels: 1, numIterations: 2, initialImage: start });
  maps[backend] = Array.from(await dream.data());
  tf.dispose([dream, start]);
  net.dispose();
}
const worst = maps.cpu.reduce((m, v, i) => Math.max(m, Math.abs(v - maps.wasm[i])), 0);
console.log(JSON.stringify({ worst, length: maps.wasm.length }));
`;
    const r = child(code);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.length).toBe(227 * 227 * 3);
    expect(out.worst).toBeLessThan(1e-4);
  });
});

describe('a program that starts no backend', () => {
  it('imread starts the default one; colormap, which cannot wait, says to call initBackend', () => {
    const r = child(`
const lib = await import(${JSON.stringify(LIB)});
const tf = await import('@tensorflow/tfjs-core');
let before;
try { lib.colormap('jet', 4); } catch (e) { before = e.message; }
const im = await lib.imread('examples/images/face.png');
console.log(JSON.stringify({ before, shape: im.shape, backend: tf.getBackend(), reported: lib.describeBackend().backend, after: lib.colormap('jet', 4).shape }));
`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}')).toEqual({
      before:
        "colormap: no TF.js backend is registered; start one first with `await initBackend()` (or import one, such as '@tensorflow/tfjs-backend-cpu')",
      shape: [227, 227, 3],
      backend: 'wasm',
      reported: 'wasm',
      after: [4, 3],
    });
  });

  it('imread refuses a bad source before it starts a backend', () => {
    const r = child(`
const lib = await import(${JSON.stringify(LIB)});
const tf = await import('@tensorflow/tfjs-core');
const errors = [];
for (const bad of [42, null, '', 'ftp://example.com/a.png']) {
  try { await lib.imread(bad); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
}
console.log(JSON.stringify({ errors, backend: tf.engine().backendName ?? null, registered: Object.keys(tf.engine().registryFactory) }));
`);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.errors).toHaveLength(4);
    expect(out.errors[0]).toMatch(/^TypeError: imread: expected 'source' to be /);
    expect(out.errors[2]).toMatch(/^RangeError: imread: expected 'source' to be a non-empty file path or URL/);
    expect(out.errors[3]).toMatch(/^RangeError: imread: /);
    expect(out).toMatchObject({ backend: null, registered: [] });
  });
});
