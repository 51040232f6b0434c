// What of the package's build is missing or older than its sources: one answer for the walkthrough runner and the
// end-to-end test helpers, which all build (or ask for a build) before running against dist/ and model/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The newest modification time of any file below `dir` (ms since the epoch; 0 for an empty folder). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when `file` under `root` is missing or older than the newest file in `root/src`. */
export function olderThanSources(root: string, file: string): boolean {
  const p = path.join(root, file);
  return !existsSync(p) || statSync(p).mtimeMs < newestMtime(path.join(root, 'src'));
}

/**
 * The npm scripts to run, in order, so that model/ and dist/ exist and dist/ is not older than src/:
 * `build:model` when model/ is missing or empty, `build:lib` when dist/index.js is missing or stale.
 */
export function staleBuildSteps(root: string): ('build:model' | 'build:lib')[] {
  const steps: ('build:model' | 'build:lib')[] = [];
  const model = path.join(root, 'model');
  if (!existsSync(model) || readdirSync(model).length === 0) steps.push('build:model');
  if (olderThanSources(root, 'dist/index.js')) steps.push('build:lib');
  return steps;
}
