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
