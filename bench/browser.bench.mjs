#!/usr/bin/env node
// SqueezeNet in headless Chromium on three backends: webgpu (Chromium's software adapter, SwiftShader, with
// --enable-unsafe-webgpu), webgl (WebGL2 on SwiftShader) and wasm (SIMD + threads: the page is cross-origin isolated).
// For each: the full pass to `prob`, and the activations of conv1 and fire6-squeeze1x1, each read back; the first
// call (shader compilation, weight upload) and the median of the next calls. Every (backend, measurement) pair gets a
// fresh Chromium with a fresh profile, so each first call is a true first call.
//
// Drives examples/browser/bench.html (built with vite from dist/browser.js), served on 127.0.0.1.
//   npm run bench -- browser          (needs `npm run build` and Debian's chromium)
//   BENCH_REPS=20 npm run bench -- browser
// Figures only: it never fails on speed. Exits 0 with a note when Chromium is missing.
import { rmSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

const { buildExplorer, checkLibraryBuilt, findChromium, launchChromium, serveExplorer } = await tsImport(
  '../test/helpers/browser.ts',
  import.meta.url,
);

const BACKENDS = ['webgpu', 'webgl', 'wasm'];
const TASKS = ['full', 'conv1', 'fire6'];
const REPS = Number(process.env.BENCH_REPS ?? 10);

if (!findChromium()) {
  console.log('browser bench skipped: Chromium is not installed (apt-get install -y chromium, or set CHROMIUM_PATH)');
  process.exit(0);
}

const stale = checkLibraryBuilt();
if (stale) console.log(`note: ${stale}`);
const outDir = await buildExplorer();
const site = await serveExplorer(outDir);

/** One fresh browser, one page, one measurement: the page's result object. */
async function measure(backend, task) {
  const browser = await launchChromium({ webgpu: backend === 'webgpu' });
  try {
    const page = await browser.context.newPage();
    await page.goto(`${site.url}bench.html?backend=${backend}&tasks=${task}&reps=${REPS}`);
    await page.waitForFunction(() => /** @type {any} */ (window).__bench !== undefined);
    return await page.evaluate(() => /** @type {any} */ (window).__bench);
  } finally {
    await browser.close();
  }
}

const results = {};
try {
  for (const backend of BACKENDS) {
    results[backend] = {};
    for (const task of TASKS) {
      try {
        const r = await measure(backend, task);
        results[backend][task] = r.rows[0];
        results[backend].info = r;
      } catch (err) {
        results[backend][task] = { error: String(err.message ?? err).split('\n')[0] };
      }
    }
  }
} finally {
  await site.close();
  rmSync(outDir, { recursive: true, force: true });
}

const ms = (v) => (v === undefined ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const pad = (s, n) => String(s).padEnd(n);
console.log(`SqueezeNet on face.png in headless Chromium, median of ${REPS} calls after the first (each read back)\n`);
for (const backend of BACKENDS) {
  const info = results[backend].info;
  if (!info) {
    console.log(`${backend}: failed (${results[backend].full?.error ?? 'no result'})`);
    continue;
  }
  const a = info.adapter;
  const adapter = a
    ? `, adapter ${[a.vendor, a.architecture].filter(Boolean).join(' ')}${a.isFallbackAdapter ? ' (fallback)' : ''}`
    : '';
  console.log(
    `${backend}${adapter}${info.crossOriginIsolated ? ', cross-origin isolated' : ''}: start ${ms(info.startMs)}, load ${ms(info.loadMs)}`,
  );
}
console.log('');
console.log(`${pad('measurement', 32)}${BACKENDS.map((b) => pad(`${b} first`, 15) + pad(`${b} median`, 15)).join('')}`);
for (const task of TASKS) {
  const label = Object.values(results).find((r) => r[task]?.label)?.[task]?.label ?? task;
  const cells = BACKENDS.map((b) => {
    const r = results[b][task];
    return r?.error ? pad('failed', 30) : pad(ms(r?.firstMs), 15) + pad(ms(r?.medianMs), 15);
  });
  console.log(`${pad(label, 32)}${cells.join('')}`);
}
console.log('\nsteady-state ratios (same run): how many times slower than wasm');
for (const task of TASKS) {
  const base = results.wasm[task]?.medianMs;
  const parts = BACKENDS.filter((b) => b !== 'wasm').map((b) => {
    const v = results[b][task]?.medianMs;
    return `${b} ${v && base ? (v / base).toFixed(1) : '-'}×`;
  });
  console.log(`  ${pad(task, 8)}${parts.join(', ')}`);
}
for (const backend of BACKENDS) {
  for (const task of TASKS) {
    const r = results[backend][task];
    if (r?.error) console.log(`! ${backend} ${task}: ${r.error}`);
  }
}
