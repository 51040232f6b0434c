// The whole of MATLAB's "Visualize Activations of a Convolutional Neural Network" walkthrough in one run: builds
// the package if needed, runs the seven steps (examples/01-…07-) in one process with the network loaded once, and
// writes every figure, walkthrough.html and walkthrough.json (what each step found) into one folder.
//
// Run: npm run walkthrough [-- --out DIR] [-- --backend wasm]
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BACKEND_NAMES, type BackendName } from '../src/backend/backendNames.js';
import { staleBuildSteps } from '../scripts/lib/buildState.js';
import { renderReport, type ReportStep } from './lib/report.js';
import type { StepResult, WalkthroughContext } from './lib/common.js';

const EXAMPLES_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(EXAMPLES_DIR, '..');

/** The step files, in order. */
export const STEP_FILES = [
  '01-load-network.ts',
  '02-conv1-grid.ts',
  '03-channel-22.ts',
  '04-strongest-conv1.ts',
  '05-fire6-grid.ts',
  '06-fire6-eyes.ts',
  '07-closed-eye.ts',
];

const USAGE = `Runs MATLAB's "Visualize Activations of a CNN" walkthrough: seven steps, their figures, and walkthrough.html.
usage: npm run walkthrough [-- options]
       (or: npx tsx --tsconfig examples/tsconfig.json examples/walkthrough.ts [options])
  --out DIR          folder for the figures and the report (default out/walkthrough)
  --backend NAME     ${BACKEND_NAMES.join(' | ')} (default: the first that starts, wasm in Node)
  --steps LIST       run only these steps, e.g. 2-7 or 3,5 (the network is loaded in any case)
  --figures-only     write the figures only (no walkthrough.html, no walkthrough.json)
  --no-build         do not build the package first, even when dist/ or model/ look stale
  -q, --quiet        print progress lines only
  -h, --help         this help`;

function npmRun(script: string, log: (line: string) => void) {
  log(`building: npm run ${script}`);
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm run ${script} failed (exit code ${r.status})`);
}

/** Builds model/ and dist/ when they are missing or older than what they are made from. */
export function ensureBuilt(log: (line: string) => void = console.log): void {
  for (const step of staleBuildSteps(ROOT)) npmRun(step, log);
}

export interface WalkthroughOptions {
  /** Output folder. @default 'out/walkthrough' */
  out?: string;
  /** TF.js backend; default: the first that starts. */
  backend?: BackendName;
  /** Which steps to run (1..7). @default all */
  steps?: number[];
  /** Write walkthrough.html and walkthrough.json beside the figures. @default true */
  report?: boolean;
  /** Build dist/ and model/ first when needed. @default true */
  build?: boolean;
  /** Progress and findings go here. @default console.log */
  log?: (line: string) => void;
  /** Print the findings of each step under its progress line. @default true */
  verbose?: boolean;
}

export interface WalkthroughRun {
  outDir: string;
  backend: string;
  /** The file 'cnn-activations' resolved to, relative to the repository: `dist/index.js` (or `src/index.ts`). */
  library: string;
  /** Path of walkthrough.html, or null with `report: false`. */
  html: string | null;
  steps: { step: number; name: string; result: StepResult; lines: string[]; seconds: number }[];
}

interface StepModule {
  meta: ReportStep['meta'];
  run: (ctx: WalkthroughContext) => Promise<StepResult>;
}

/** Runs all seven steps in this process, with one network. */
export async function runWalkthrough(options: WalkthroughOptions = {}): Promise<WalkthroughRun> {
  const log = options.log ?? console.log;
  const verbose = options.verbose ?? true;
  if (options.build ?? true) ensureBuilt(log);
  const started = performance.now();
  // Imported only now: the steps import 'cnn-activations', i.e. dist/, which may just have been built.
  const chosen = STEP_FILES.map((file, i) => ({ file, n: i + 1 })).filter(
    ({ n }) => !options.steps || options.steps.includes(n),
  );
  const modules = (await Promise.all(chosen.map(({ file }) => import(`./${file}`)))) as StepModule[];
  const { load } = (await import('./01-load-network.js')) as typeof import('./01-load-network.js');
  let lines: string[] = [];
  const collect = (line: string) => lines.push(line);
  const { ctx, backend, dispose } = await load(
    { out: options.out ?? 'out/walkthrough', backend: options.backend },
    collect,
  );
  const library = path.relative(ROOT, fileURLToPath(import.meta.resolve('cnn-activations')));
  log(
    `cnn-activations from ${library}; backend: ${backend}; network loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; figures go to ${path.relative(process.cwd(), ctx.outDir) || '.'}`,
  );
  const steps: WalkthroughRun['steps'] = [];
  const reportSteps: ReportStep[] = [];
  try {
    for (const [i, mod] of modules.entries()) {
      lines = [];
      const t0 = performance.now();
      const result = await mod.run(ctx);
      const seconds = (performance.now() - t0) / 1000;
      log(`[${mod.meta.step}/${STEP_FILES.length}] ${mod.meta.name} ... ${seconds.toFixed(1)} s`);
      if (verbose) for (const line of lines) log(`      ${line}`);
      steps.push({ step: mod.meta.step, name: mod.meta.name, result, lines, seconds });
      reportSteps.push({
        meta: mod.meta,
        file: path.join(EXAMPLES_DIR, chosen[i].file),
        shownFile: `examples/${chosen[i].file}`,
        result,
        lines,
        seconds,
      });
    }
  } finally {
    dispose();
  }
  let html: string | null = null;
  if (options.report ?? true) {
    // The numbers each step found, for scripts and tests.
    const summary = {
      backend,
      library,
      steps: steps.map(({ step, name, result, seconds }) => ({ step, name, seconds, ...result })),
    };
    writeFileSync(path.join(ctx.outDir, 'walkthrough.json'), JSON.stringify(summary, null, 2) + '\n');
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    html = path.join(ctx.outDir, 'walkthrough.html');
    const info = {
      backend,
      version,
      date: new Date().toISOString().slice(0, 10),
      seconds: (performance.now() - started) / 1000,
    };
    writeFileSync(html, renderReport(reportSteps, info));
    log(`report: ${path.relative(process.cwd(), html)}`);
  }
  return { outDir: ctx.outDir, backend, library, html, steps };
}

/** `2-7` → [2, 3, 4, 5, 6, 7]; `3,5` → [3, 5]. */
function parseSteps(text: string): number[] {
  const steps = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^\s*(\d)\s*(?:-\s*(\d)\s*)?$/.exec(part);
    const [from, to] = m ? [Number(m[1]), Number(m[2] ?? m[1])] : [0, 0];
    if (!m || from < 1 || to > STEP_FILES.length || from > to) {
      throw new Error(`--steps takes step numbers 1..${STEP_FILES.length} and ranges, e.g. 2-7 or 3,5; got '${text}'`);
    }
    for (let n = from; n <= to; n++) steps.add(n);
  }
  return [...steps].sort((a, b) => a - b);
}

function isMainModule(): boolean {
  const script = process.argv[1];
  return !!script && path.resolve(script) === fileURLToPath(import.meta.url);
}

if (isMainModule()) {
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        out: { type: 'string', default: 'out/walkthrough' },
        backend: { type: 'string' },
        steps: { type: 'string' },
        'figures-only': { type: 'boolean', default: false },
        'no-build': { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      console.log(USAGE);
    } else {
      await runWalkthrough({
        out: values.out,
        backend: values.backend as WalkthroughOptions['backend'],
        steps: values.steps === undefined ? undefined : parseSteps(values.steps),
        report: !values['figures-only'],
        build: !values['no-build'],
        verbose: !values.quiet,
      });
    }
  } catch (err) {
    console.error(`walkthrough: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
