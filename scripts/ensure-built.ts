// Builds what is missing or stale (model/ from the weights, dist/ from src/) and nothing else: `npm test` runs it
// first, so that a test never runs against an old build and a fresh one is not redone (CI builds once).
//   tsx scripts/ensure-built.ts
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleBuildSteps } from './lib/buildState.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const steps = staleBuildSteps(root);
if (steps.length === 0) console.log('ensure-built: model/ and dist/ are up to date');
for (const step of steps) {
  console.log(`ensure-built: npm run ${step}`);
  const r = spawnSync('npm', ['run', '--silent', step], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
