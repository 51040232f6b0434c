/**
 * Backend benchmark page: times SqueezeNet on face.png in this browser, on one backend.
 *
 *   bench.html?backend=webgpu|webgl|wasm|cpu   the backend (default: the library's choice)
 *   &tasks=full,conv1,fire6                    which measurements, in this order (default: all three)
 *   &reps=10                                   steady-state repetitions after the first call
 *
 * Each measurement is one call plus `await data()` on its result, so device work is included. The first call of a
 * task includes shader compilation and weight upload; the steady state is the median of the next `reps` calls.
 * bench/browser.bench.mjs drives this page in headless Chromium (one fresh browser per backend and task, so each
 * first call is a true first call) and reads `window.__bench`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_NAMES,
  activations,
  imread,
  initBackend,
  squeezenet,
  type BackendChoice,
  type BackendName,
} from 'cnn-activations';

const TASKS = {
  full: { label: 'full pass (to prob)', layer: 'prob' },
  conv1: { label: 'activations conv1', layer: 'conv1' },
  fire6: { label: 'activations fire6-squeeze1x1', layer: 'fire6-squeeze1x1' },
} as const;
type TaskName = keyof typeof TASKS;

export interface BenchRow {
  task: TaskName;
  label: string;
  firstMs: number;
  medianMs: number;
  minMs: number;
  reps: number;
}
export interface BenchResult {
  backend: string;
  adapter: BackendChoice['adapter'] | null;
  reason: string;
  crossOriginIsolated: boolean;
  startMs: number;
  loadMs: number;
  rows: BenchRow[];
}

const params = new URLSearchParams(location.search);
const statusEl = document.getElementById('status')!;
const body = document.querySelector('#results tbody')!;
const setStatus = (text: string) => (statusEl.textContent = text);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function addRow(cells: string[]) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  body.append(tr);
}

async function run(): Promise<BenchResult> {
  const asked = params.get('backend');
  if (asked && !(BACKEND_NAMES as readonly string[]).includes(asked))
    throw new Error(`?backend=${asked} is not one of ${BACKEND_NAMES.join(', ')}`);
  const tasks = (params.get('tasks') ?? 'full,conv1,fire6').split(',') as TaskName[];
  for (const t of tasks)
    if (!(t in TASKS)) throw new Error(`unknown task '${t}' (use ${Object.keys(TASKS).join(', ')})`);
  const reps = Math.max(1, Number(params.get('reps') ?? 10));
  const wasmPaths = new URL('wasm/', document.baseURI).href;

  let t0 = performance.now();
  const choice = await initBackend(asked ? { backend: asked as BackendName, wasmPaths } : { wasmPaths });
  const startMs = performance.now() - t0;
  const backendEl = document.getElementById('backend')!;
  backendEl.dataset.state = 'ready';
  backendEl.querySelector('.backend-name')!.textContent = `backend: ${choice.backend}`;
  const a = choice.adapter;
  backendEl.querySelector('.backend-detail')!.textContent = [
    a &&
      `adapter: ${[a.vendor, a.architecture, a.description].filter(Boolean).join(' ')}${a.isFallbackAdapter ? ' (software fallback)' : ''}`,
    crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (wasm without threads)',
  ]
    .filter(Boolean)
    .join(' · ');

  setStatus('Loading SqueezeNet…');
  t0 = performance.now();
  const net = await squeezenet({ modelUrl: new URL('model/squeezenet_v1.1/model.json', document.baseURI).href });
  const loadMs = performance.now() - t0;
  const image = await imread(new URL('images/face.png', document.baseURI).href);

  const rows: BenchRow[] = [];
  for (const task of tasks) {
    const { label, layer } = TASKS[task];
    const once = async () => {
      const start = performance.now();
      const act = activations(net, image, layer);
      await act.data();
      const ms = performance.now() - start;
      act.dispose();
      return ms;
    };
    setStatus(`${label}: first call…`);
    const firstMs = await once();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      setStatus(`${label}: ${i + 1}/${reps}…`);
      times.push(await once());
    }
    const row = { task, label, firstMs, medianMs: median(times), minMs: Math.min(...times), reps };
    rows.push(row);
    addRow([
      label,
      `${firstMs.toFixed(1)} ms`,
      `${row.medianMs.toFixed(1)} ms`,
      `${row.minMs.toFixed(1)} ms`,
      String(reps),
    ]);
  }
  image.dispose();
  net.dispose();
  setStatus(`Done (${tf.memory().numTensors} tensors left).`);
  return {
    backend: choice.backend,
    adapter: choice.adapter ?? null,
    reason: choice.reason,
    crossOriginIsolated,
    startMs,
    loadMs,
    rows,
  };
}

const result = run();
result.catch((err) => setStatus(`Failed: ${err instanceof Error ? err.message : String(err)}`));
(window as unknown as { __bench: Promise<BenchResult> }).__bench = result;
