#!/usr/bin/env node
// Runs every benchmark in bench/ (each prints its own medians) against the built package in dist/.
// Figures only: a benchmark never fails on speed. Usage: npm run bench [-- name-filter]
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(path.join(root, 'dist/index.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(1);
}
// The peers that bench/network.bench.mjs compares against (onnxruntime-node, onnxruntime-web, about 430 MB) live in
// bench/peers/package.json, not in the package's devDependencies: install them on first use. Without install scripts:
// onnxruntime-node's would download extra binaries, and its CPU build is already inside the npm package.
const peersDir = path.join(root, 'bench', 'peers');
if (!existsSync(path.join(peersDir, 'node_modules', 'onnxruntime-node'))) {
  console.log('bench: installing the comparison peers into bench/peers/node_modules (npm ci --ignore-scripts)');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: peersDir });
  if (r.status !== 0)
    console.log('bench: could not install them; the network benchmark will say which peer is missing');
}

const filter = process.argv[2] ?? '';
const files = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.mjs') && f.includes(filter))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bench', f)], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
if (failed) {
  console.error(`bench: ${failed} benchmark script(s) crashed`);
  process.exit(1);
}
