import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBackend } from '../src/backend/describeBackend.js';
import { initBackend, type BackendName } from '../src/backend/initBackend.js';
import { installNavigatorGpu } from '../src/backend/probeBackends.js';
import { trySetBackend } from '../src/backend/startBackend.js';
import {
  describeAdapter,
  formatAdapter,
  rankBackends,
  runtimeOf,
  type BackendFacts,
  type RankRequest,
} from '../src/backend/rankBackends.js';
import { availableParallelism } from 'node:os';
import { BACKEND } from './helpers/backend.js';

const THIS = BACKEND as BackendName;
/** What the wasm backend runs by default in Node.js: the machine's cores, at most 8, with nothing to explain. */
const WASM_THREADS = Math.min(8, availableParallelism());
const threadsPart = (backend: string) =>
  backend === 'wasm' ? `; ${WASM_THREADS} thread${WASM_THREADS === 1 ? '' : 's'}` : '';

// Adapter infos as the real drivers report them (dawn.node on Mesa 25 lavapipe and on Chromium's SwiftShader), and
// a hardware one as Chrome reports an NVIDIA card.
const LAVAPIPE = {
  vendor: 'mesa',
  architecture: 'software',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
  isFallbackAdapter: true,
};
const SWIFTSHADER = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: 'swiftshader-device-subzero-',
  description: 'SwiftShader driver 5.0.0',
  isFallbackAdapter: true,
};
const NVIDIA = { vendor: 'nvidia', architecture: 'ampere', device: '', description: '', isFallbackAdapter: false };

const AUTO: RankRequest = { order: ['webgpu', 'webgl', 'wasm', 'cpu'], explicit: false, allowSoftwareWebGPU: false };
const node = (webgpu: BackendFacts['webgpu']): BackendFacts => ({ runtime: 'node', canvas: false, webgpu });
const hardware = describeAdapter(NVIDIA);
const software = describeAdapter(LAVAPIPE);

afterEach(async () => {
  // Tests below switch backends; every other test in this run expects the project's own.
  if (tf.getBackend() !== THIS) await initBackend({ backend: THIS, allowSoftwareWebGPU: true });
});

describe('initBackend', () => {
  it('activates the backend this run asked for, and describeBackend reports it', async () => {
    const choice = await initBackend({ backend: THIS, allowSoftwareWebGPU: true });
    expect(choice.backend).toBe(THIS);
    expect(tf.getBackend()).toBe(THIS);
    expect(choice.skipped).toEqual([]);
    if (THIS === 'webgpu') {
      expect(choice.adapter).not.toBeNull();
      expect(choice.reason).toBe(`webgpu was asked for; adapter ${formatAdapter(choice.adapter!)}`);
    } else {
      expect(choice.adapter).toBeNull();
      expect(choice.reason).toBe(`${THIS} was asked for${threadsPart(THIS)}`);
    }
    const d = describeBackend();
    expect(d.backend).toBe(THIS);
    expect(d.reason).toBe(choice.reason);
    expect(d.adapter).toEqual(choice.adapter);
    expect(d.choice).toEqual(choice);
    if (THIS === 'cpu') expect(d.label).toBe('CPU');
    if (THIS === 'wasm') {
      expect(d.label).toBe(`WebAssembly (${threadsPart('wasm').slice(2)})`);
      expect(d.threads).toBe(WASM_THREADS);
    } else {
      expect(d.threads).toBeNull();
    }
    expect(d.threadsNote).toBeNull();
    if (THIS === 'webgpu') expect(d.label).toMatch(/^WebGPU \(.+\)$/);
    // It really computes.
    const y = tf.add(tf.tensor1d([1, 2]), 1);
    expect(Array.from(await y.data())).toEqual([2, 3]);
    y.dispose();
  });

  it('runs concurrent calls one after another: the last one wins and describeBackend agrees with TF.js', async () => {
    const other: BackendName = THIS === 'cpu' ? 'wasm' : 'cpu';
    const [a, b, c] = await Promise.all([
      initBackend({ backend: other }),
      initBackend({ backend: THIS, allowSoftwareWebGPU: true }),
      initBackend({ backend: other }),
    ]);
    expect([a.backend, b.backend, c.backend]).toEqual([other, THIS, other]);
    expect(tf.getBackend()).toBe(other);
    expect(describeBackend().backend).toBe(other);
    expect(describeBackend().choice).toBe(c);
  });

  it('tries the preferred order, reports what it passed over and why, and describeBackend follows', async () => {
    const choice = await initBackend({ prefer: ['webgl', 'cpu'] });
    expect(choice).toEqual({
      backend: 'cpu',
      reason: 'cpu is the first available of webgl, cpu',
      skipped: [{ backend: 'webgl', reason: 'WebGL needs a browser; this is Node.js' }],
      adapter: null,
    });
    expect(tf.getBackend()).toBe('cpu');
    expect(describeBackend().reason).toBe('cpu is the first available of webgl, cpu');
  });

  it('on its own, never picks a software WebGPU adapter and never WebGL in Node.js', async () => {
    const choice = await initBackend();
    expect(['webgpu', 'wasm', 'cpu']).toContain(choice.backend);
    expect(choice.reason).toBe(
      `${choice.backend} is the first available of webgpu, webgl, wasm, cpu${
        choice.adapter ? `; adapter ${formatAdapter(choice.adapter)}` : ''
      }${threadsPart(choice.backend)}`,
    );
    if (choice.backend === 'webgpu') expect(choice.adapter?.software).toBe(false);
    else expect(choice.skipped.map((s) => s.backend).slice(0, 2)).toEqual(['webgpu', 'webgl']);
    expect(choice.skipped).toContainEqual({ backend: 'webgl', reason: 'WebGL needs a browser; this is Node.js' });
    // On CI (lavapipe or SwiftShader) this is the software-adapter rule at work, with the real adapter named.
    const webgpu = choice.skipped.find((s) => s.backend === 'webgpu');
    if (process.env.CNN_WEBGPU === '1') {
      expect(webgpu?.reason).toMatch(
        /^the only WebGPU adapter is a software one, ".+" \(vendor .+, software\), which is slower than wasm on a CPU; it is used only when asked for \(\{ backend: 'webgpu' \} or \{ allowSoftwareWebGPU: true \}\)$/,
      );
    }
  });

  it('fails with every reason, and leaves the active backend as it was, when nothing can start', async () => {
    await expect(initBackend({ backend: 'webgl' })).rejects.toThrow(
      new Error('initBackend: no backend could be started (webgl: WebGL needs a browser; this is Node.js)'),
    );
    expect(tf.getBackend()).toBe(THIS);
    expect(describeBackend().backend).toBe(THIS);
  });

  it('says when the backend was set outside initBackend', async () => {
    const other = THIS === 'cpu' ? 'wasm' : 'cpu';
    await initBackend({ backend: other });
    await tf.setBackend(THIS);
    const d = describeBackend();
    expect(d.backend).toBe(THIS);
    expect(d.choice).toBeNull();
    expect(d.adapter).toBeNull();
    expect(d.reason).toBe(`${THIS} was set outside initBackend (for example by tf.setBackend)`);
  });
});

describe('initBackend options', () => {
  const rejects = (options: unknown, error: Error) => expect(initBackend(options as never)).rejects.toThrow(error);

  it('rejects an unknown backend name with a RangeError naming the choices', async () => {
    await rejects(
      { backend: 'tpu' },
      new RangeError(
        `initBackend: expected 'options.backend' to be one of 'webgpu', 'webgl', 'wasm', 'cpu', got "tpu" (string)`,
      ),
    );
    expect(tf.getBackend()).toBe(THIS);
  });

  it('rejects unknown options and non-objects', async () => {
    await rejects(
      { backnd: 'cpu' },
      new RangeError(
        `initBackend: unknown option 'backnd'; known options are 'backend', 'prefer', 'allowSoftwareWebGPU', 'wasmPaths', 'threads'`,
      ),
    );
    await rejects(
      'cpu',
      new TypeError(
        `initBackend: expected 'options' to be an options object, got "cpu" (string); pass the backend as { backend: 'cpu' }`,
      ),
    );
    await rejects(
      'fast',
      new TypeError(`initBackend: expected 'options' to be an options object, got "fast" (string)`),
    );
    // MATLAB's ExecutionEnvironment values, and a name in another case.
    const one = "initBackend: expected 'options.backend' to be one of 'webgpu', 'webgl', 'wasm', 'cpu', got";
    await rejects(
      { backend: 'gpu' },
      new RangeError(`${one} "gpu" (string); MATLAB's 'gpu' is 'webgpu' or 'webgl' here`),
    );
    await rejects(
      { backend: 'auto' },
      new RangeError(
        `${one} "auto" (string); leave 'backend' out to start the first that works of webgpu, webgl, wasm, cpu`,
      ),
    );
    await rejects({ backend: 'WASM' }, new RangeError(`${one} "WASM" (string); did you mean 'wasm'?`));
  });

  it('checks prefer: an array of distinct known names, not combined with backend', async () => {
    await rejects(
      { prefer: 'wasm' },
      new TypeError(`initBackend: expected 'options.prefer' to be an array of backend names, got "wasm" (string)`),
    );
    await rejects(
      { prefer: [] },
      new RangeError(
        `initBackend: expected 'options.prefer' to be a non-empty array of backend names, got [] (array of length 0)`,
      ),
    );
    await rejects(
      { prefer: ['wasm', 'gpu'] },
      new RangeError(
        `initBackend: expected 'options.prefer[1]' to be one of 'webgpu', 'webgl', 'wasm', 'cpu', got "gpu" (string)`,
      ),
    );
    await rejects(
      { prefer: ['wasm', 'cpu', 'wasm'] },
      new RangeError(
        `initBackend: expected 'options.prefer' to be an array of distinct backend names, got [wasm, cpu, wasm] (array of length 3)`,
      ),
    );
    await rejects(
      { backend: 'cpu', prefer: ['cpu'] },
      new RangeError(
        `initBackend: options 'backend' and 'prefer' cannot be combined; 'backend' names exactly one backend`,
      ),
    );
  });

  it('checks threads: an integer from 1 to 8 (the worker pool of the threaded build), before anything starts', async () => {
    await rejects(
      { threads: '2' },
      new TypeError(`initBackend: expected 'options.threads' to be an integer, got "2" (string)`),
    );
    for (const [bad, shown] of [
      [0, '0'],
      [1.5, '1.5'],
      [9, '9'],
      [Number.NaN, 'NaN'],
    ] as const) {
      await rejects(
        { threads: bad },
        new RangeError(`initBackend: expected 'options.threads' to be an integer in [1, 8], got ${shown} (number)`),
      );
    }
    expect(tf.getBackend()).toBe(THIS);
  });

  it('checks allowSoftwareWebGPU and wasmPaths', async () => {
    await rejects(
      { allowSoftwareWebGPU: 'yes' },
      new TypeError(`initBackend: expected 'options.allowSoftwareWebGPU' to be a boolean, got "yes" (string)`),
    );
    const expected = `a directory URL string or a map from 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm' to URL strings`;
    await rejects(
      { wasmPaths: 42 },
      new TypeError(`initBackend: expected 'options.wasmPaths' to be ${expected}, got 42 (number)`),
    );
    await rejects(
      { wasmPaths: '' },
      new RangeError(`initBackend: expected 'options.wasmPaths' to be ${expected} (not empty), got "" (string)`),
    );
    await rejects(
      { wasmPaths: { 'backend.wasm': '/a.wasm' } },
      new RangeError(
        `initBackend: unknown key 'backend.wasm' in 'options.wasmPaths'; the keys are 'tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'`,
      ),
    );
    await rejects(
      { wasmPaths: { 'tfjs-backend-wasm.wasm': '/a.wasm', 'tfjs-backend-wasm-simd.wasm': '/b.wasm' } },
      new TypeError(
        `initBackend: expected 'options.wasmPaths['tfjs-backend-wasm-threaded-simd.wasm']' to be a non-empty URL string, got undefined`,
      ),
    );
    expect(tf.getBackend()).toBe(THIS);
  });
});

describe('rankBackends (the choice rules, without a GPU)', () => {
  it('passes over WebGL that renders in software (SwiftShader, llvmpipe) unless it is asked for', () => {
    const browser = (webglRenderer?: string): BackendFacts => ({
      runtime: 'browser',
      canvas: true,
      webgpu: { unavailable: 'no adapter' },
      ...(webglRenderer ? { webglRenderer } : {}),
    });
    const swiftshader =
      'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver-5.0.0)';
    expect(rankBackends(AUTO, browser(swiftshader))).toEqual({
      candidates: ['wasm', 'cpu'],
      skipped: [
        { backend: 'webgpu', reason: 'no adapter' },
        {
          backend: 'webgl',
          reason: `WebGL renders in software here (${swiftshader}), which is slower than wasm on a CPU; it is used only when asked for ({ backend: 'webgl' })`,
        },
      ],
    });
    const gpu = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3080 Direct3D11 vs_5_0 ps_5_0, D3D11)';
    expect(rankBackends(AUTO, browser(gpu)).candidates).toEqual(['webgl', 'wasm', 'cpu']);
    expect(rankBackends(AUTO, browser()).candidates).toEqual(['webgl', 'wasm', 'cpu']); // the browser does not say
    expect(
      rankBackends({ order: ['webgl'], explicit: true, allowSoftwareWebGPU: false }, browser(swiftshader)).candidates,
    ).toEqual(['webgl']);
  });

  it('puts a hardware WebGPU adapter first', () => {
    expect(rankBackends(AUTO, node({ adapter: hardware }))).toEqual({
      candidates: ['webgpu', 'wasm', 'cpu'],
      skipped: [{ backend: 'webgl', reason: 'WebGL needs a browser; this is Node.js' }],
    });
  });

  it('passes over a software adapter unless it is asked for', () => {
    const reason =
      `the only WebGPU adapter is a software one, "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1" (vendor mesa, ` +
      `architecture software, device llvmpipe-llvm-15-0-6-256-bits-, fallback adapter, software), which is slower than ` +
      `wasm on a CPU; it is used only when asked for ({ backend: 'webgpu' } or { allowSoftwareWebGPU: true })`;
    expect(rankBackends(AUTO, node({ adapter: software }))).toEqual({
      candidates: ['wasm', 'cpu'],
      skipped: [
        { backend: 'webgpu', reason },
        { backend: 'webgl', reason: 'WebGL needs a browser; this is Node.js' },
      ],
    });
    expect(rankBackends({ ...AUTO, allowSoftwareWebGPU: true }, node({ adapter: software })).candidates).toEqual([
      'webgpu',
      'wasm',
      'cpu',
    ]);
    expect(
      rankBackends({ order: ['webgpu'], explicit: true, allowSoftwareWebGPU: false }, node({ adapter: software })),
    ).toEqual({
      candidates: ['webgpu'],
      skipped: [],
    });
  });

  it('passes the probe’s reason on when there is no adapter', () => {
    const facts = node({ unavailable: 'no WebGPU adapter: navigator.gpu.requestAdapter() returned null' });
    expect(rankBackends({ order: ['webgpu', 'cpu'], explicit: false, allowSoftwareWebGPU: true }, facts)).toEqual({
      candidates: ['cpu'],
      skipped: [{ backend: 'webgpu', reason: 'no WebGPU adapter: navigator.gpu.requestAdapter() returned null' }],
    });
    expect(
      rankBackends({ order: ['webgpu'], explicit: true, allowSoftwareWebGPU: false }, node(undefined)).skipped,
    ).toEqual([{ backend: 'webgpu', reason: 'WebGPU was not probed' }]);
  });

  it('tries WebGL in a browser with a canvas, and only there', () => {
    const browser: BackendFacts = { runtime: 'browser', canvas: true, webgpu: { adapter: software } };
    expect(rankBackends(AUTO, browser).candidates).toEqual(['webgl', 'wasm', 'cpu']);
    expect(rankBackends(AUTO, { ...browser, webgpu: { adapter: hardware } }).candidates).toEqual([
      'webgpu',
      'webgl',
      'wasm',
      'cpu',
    ]);
    expect(rankBackends({ ...AUTO, order: ['webgl', 'cpu'] }, { runtime: 'other', canvas: false }).skipped).toEqual([
      { backend: 'webgl', reason: 'WebGL needs a canvas, and there is neither a document nor OffscreenCanvas here' },
    ]);
  });

  it('keeps the order asked for', () => {
    expect(rankBackends({ ...AUTO, order: ['cpu', 'wasm'] }, node(undefined))).toEqual({
      candidates: ['cpu', 'wasm'],
      skipped: [],
    });
  });
});

describe('describeAdapter and formatAdapter', () => {
  it('recognises software adapters by the fallback flag or by name', () => {
    expect(describeAdapter(LAVAPIPE).software).toBe(true);
    expect(describeAdapter(SWIFTSHADER)).toEqual({ ...SWIFTSHADER, software: true });
    // Without the flag, the names still give them away.
    const unflagged = (info: object) => describeAdapter({ ...info, isFallbackAdapter: false });
    expect(unflagged(LAVAPIPE).software).toBe(true);
    expect(unflagged(SWIFTSHADER).software).toBe(true);
    expect(unflagged({ vendor: 'mesa', device: 'lavapipe' }).software).toBe(true);
    expect(unflagged({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }).software).toBe(true);
    expect(hardware).toEqual({ ...NVIDIA, software: false });
    expect(unflagged({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }).software).toBe(false);
  });

  it('reads the older adapter.isFallbackAdapter, and missing fields as empty', () => {
    expect(describeAdapter({}, true)).toEqual({
      vendor: '',
      architecture: '',
      device: '',
      description: '',
      isFallbackAdapter: true,
      software: true,
    });
    expect(describeAdapter({ vendor: 7 as unknown as string }).vendor).toBe('');
  });

  it('formats one line with every field', () => {
    expect(formatAdapter(software)).toBe(
      '"llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1" (vendor mesa, architecture software, ' +
        'device llvmpipe-llvm-15-0-6-256-bits-, fallback adapter, software)',
    );
    expect(formatAdapter(hardware)).toBe(
      '"an adapter without a description" (vendor nvidia, architecture ampere, device (not given), not a fallback adapter, hardware)',
    );
  });
});

describe('runtimeOf', () => {
  it('tells a browser from Node.js by its globals', () => {
    expect(runtimeOf({ document: {} })).toBe('browser');
    expect(runtimeOf({ importScripts: () => undefined })).toBe('browser');
    expect(runtimeOf({ process: { versions: { node: '20.20.2' } } })).toBe('node');
    // Electron's renderer has both: it is a browser (WebGL, native navigator.gpu).
    expect(runtimeOf({ document: {}, process: { versions: { node: '20.20.2' } } })).toBe('browser');
    expect(runtimeOf({})).toBe('other');
    expect(runtimeOf(globalThis as Record<string, unknown>)).toBe('node');
  });
});

describe('trySetBackend (what tf.setBackend returns is checked)', () => {
  it('reports false, a throw, and a name TF.js does not know', async () => {
    expect(await trySetBackend('wasm', async () => true)).toBeNull();
    expect(await trySetBackend('wasm', async () => false)).toBe(
      "tf.setBackend('wasm') returned false: its initialisation failed (TF.js logs the cause as a warning)",
    );
    expect(
      await trySetBackend('webgpu', async () => {
        throw new Error('device lost\nat somewhere');
      }),
    ).toBe("tf.setBackend('webgpu') threw: device lost");
    expect(await trySetBackend('nope')).toBe("tf.setBackend('nope') threw: Backend name 'nope' not found in registry");
    expect(await trySetBackend('wasm', () => new Promise<boolean>(() => {}), 20)).toBe(
      "tf.setBackend('wasm') did not settle within 0.02 s (for wasm in a bundle: check wasmPaths, and that the backend's code is not minified when threads are on)",
    );
    expect(tf.getBackend()).toBe(THIS);
  });
});

describe('installNavigatorGpu', () => {
  const gpu = { requestAdapter: async () => null };

  it('creates navigator where there is none (Node.js 20)', () => {
    const g: Record<string, unknown> = {};
    installNavigatorGpu(g, gpu);
    expect((g.navigator as { gpu: unknown }).gpu).toBe(gpu);
  });

  it('adds gpu to an existing navigator (Node.js 21+), keeping its other properties', () => {
    const nav = { userAgent: 'Node.js/22', hardwareConcurrency: 2 };
    const g: Record<string, unknown> = {};
    Object.defineProperty(g, 'navigator', { get: () => nav, configurable: true, enumerable: true });
    installNavigatorGpu(g, gpu);
    expect(g.navigator).toBe(nav);
    expect((g.navigator as { gpu: unknown }).gpu).toBe(gpu);
  });

  it('replaces a navigator that cannot take the property with one inheriting from it', () => {
    const nav = Object.freeze({ userAgent: 'Node.js/24' });
    const g: Record<string, unknown> = {};
    Object.defineProperty(g, 'navigator', { get: () => nav, configurable: true });
    installNavigatorGpu(g, gpu);
    const now = g.navigator as { gpu: unknown; userAgent: string };
    expect(now.gpu).toBe(gpu);
    expect(now.userAgent).toBe('Node.js/24');
  });
});
