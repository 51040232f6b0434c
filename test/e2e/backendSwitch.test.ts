/**
 * Gradients after switching backends in one process: TF.js's wasm backend registers its kernels when initBackend
 * first imports it, which may come after the library installed its gradients on another backend. The library's wasm
 * kernels must still be in place, with nothing printed (TF.js warns when a kernel is registered twice).
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
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
    expect(out.length).toBe(227 * 227 * 3);
    expect(out.worst).toBeLessThan(1e-4);
  });
});
