// What of the package's build is missing or older than its sources: one answer for `npm test` (its pretest step),
// the walkthrough runner and the end-to-end test helpers, which all build only what is stale, so that a fresh build
// (CI builds once) is never repeated.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** The newest modification time of a file, or of any file below a folder (ms since the epoch; 0 if missing). */
export function newestMtime(p: string): number {
  const st = statSync(p, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

/** True when `file` under `root` is missing or older than the newest of `sources` (paths under `root`). */
export function olderThan(root: string, file: string, sources: readonly string[]): boolean {
  const p = path.join(root, file);
  return !existsSync(p) || statSync(p).mtimeMs < Math.max(...sources.map((s) => newestMtime(path.join(root, s))));
}

/** True when `file` under `root` is missing or older than the newest file in `root/src`. */
export function olderThanSources(root: string, file: string): boolean {
  return olderThan(root, file, ['src']);
}

/** What the model files are made from: the build script, its modules, the architecture and the file contract. */
const MODEL_SOURCES = [
  'scripts/build-model.ts',
  'scripts/model',
  'src/models/squeezenet/architecture.ts',
  'src/net/modelFormat.ts',
];

/**
 * The npm scripts to run, in order, so that model/ and dist/ exist and are not older than what they are made from:
 * `build:model` when the model is missing or older than its build code, `build:lib` when dist/ is missing or older
 * than src/.
 */
export function staleBuildSteps(root: string): ('build:model' | 'build:lib')[] {
  const steps: ('build:model' | 'build:lib')[] = [];
  if (olderThan(root, 'model/squeezenet_v1.1/model.json', MODEL_SOURCES)) steps.push('build:model');
  if (olderThanSources(root, 'dist/index.js')) steps.push('build:lib');
  return steps;
}
