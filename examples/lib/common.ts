/**
 * What every walkthrough step shares: command-line options, where the images are, loading the network once, and
 * writing a figure. Each step file exports `run(ctx)`; `examples/walkthrough.ts` calls all seven with one context,
 * and each file runs on its own through `runStandalone` (lib/standalone.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendName, imwrite, type Network } from 'cnn-activations';

export const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(EXAMPLES_DIR, '..');

/** Everything a step needs; built once by `createContext`, shared by all steps of a run. */
export interface WalkthroughContext {
  /** SqueezeNet with MATLAB's weights and layer names. */
  net: Network;
  /** face.png, int32 [227, 227, 3] (MATLAB: `im = imread('face.jpg')`, uint8 227×227×3). */
  im: tf.Tensor;
  /** `[rows, cols]` of `im` (MATLAB: `imgSize = size(im); imgSize = imgSize(1:2);`). */
  imgSize: [number, number];
  /** The folder every figure is written to (exists). */
  outDir: string;
  /** Prints one line of findings (the runner indents and collects them). */
  log: (line: string) => void;
}

/** One PNG a step wrote. */
export interface Figure {
  /** File name inside `outDir`. */
  file: string;
  /** The figure's title, as MATLAB's `title(...)` or the example's text would name it. */
  title: string;
  /** Shape of the tensor that was written: `[h, w]` gray or `[h, w, 3]` RGB. */
  shape: number[];
  /** dtype of that tensor (`float32` is written as [0, 1] → 0..255, `int32` as 0..255). */
  dtype: string;
}

/** What a step returns: its figures, and the numbers it found (for the report and the tests). */
export interface StepResult {
  figures: Figure[];
  facts: Record<string, unknown>;
}

/** Reads an image that ships with the examples (examples/images), or from ../shared/images until it is copied. */
export function imagePath(name: string): string {
  const local = path.join(EXAMPLES_DIR, 'images', name);
  if (existsSync(local)) return local;
  const shared = path.join(REPO_ROOT, '..', 'shared', 'images', name);
  if (existsSync(shared)) return shared;
  throw new Error(`image ${name} not found in examples/images (nor in ../shared/images)`);
}

export interface CommonOptions {
  /** Output folder. @default 'out/walkthrough' */
  out: string;
  /** TF.js backend; default: the first that starts (wasm in Node). */
  backend?: BackendName;
}

export const USAGE_OPTIONS = `  --out DIR          folder for the figures (default out/walkthrough)
  --backend NAME     ${BACKEND_NAMES.join(' | ')} (default: first that starts, wasm in Node)
  -h, --help         this help`;

/**
 * Parses `--out DIR` (default `defaultOut`), `--backend NAME` and `--help`; extra flags are listed in `extra`
 * (boolean flags). An unknown backend name is an error.
 */
export function parseCommonArgs(argv: string[], usage: string, extra: string[] = [], defaultOut = 'out/walkthrough') {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: defaultOut },
      backend: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      ...Object.fromEntries(extra.map((name) => [name, { type: 'boolean' as const, default: false }])),
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const backend = values.backend as CommonOptions['backend'];
  if (backend !== undefined && !BACKEND_NAMES.includes(backend)) {
    throw new Error(`--backend must be one of ${BACKEND_NAMES.join(', ')}`);
  }
  return { out: values.out as string, backend, flags: values as Record<string, unknown> };
}

/** Writes `img` as `outDir/file` (PNG) and describes it. The tensor is not disposed. */
export async function writeFigure(
  ctx: WalkthroughContext,
  img: tf.Tensor,
  file: string,
  title: string,
): Promise<Figure> {
  await imwrite(img, path.join(ctx.outDir, file));
  ctx.log(`wrote ${file}: ${img.shape.join('×')} ${img.dtype} ("${title}")`);
  return { file, title, shape: [...img.shape], dtype: img.dtype };
}

/** `true` when the module whose `import.meta.url` is given was started as the program (not imported). */
export function isMain(metaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  return metaUrl === pathToFileURL(path.resolve(script)).href;
}
