#!/usr/bin/env node
/**
 * The `cnn-activations` command: one layer's activations for one image, as MATLAB's walkthrough shows them
 * (mat2gray over the channels shown, tiled into one PNG). Not part of the library's API.
 *
 *   npx cnn-activations face.png --layer conv1 --out conv1.png --grid 8x8
 *
 * Exit codes: 0 done, 1 failed while running (unreadable image, unknown layer, ...), 2 bad command line.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, type BackendName, isBackendName, MAX_WASM_THREADS } from './backend/backendNames.js';
import type { InitBackendOptions } from './backend/initBackend.js';
import { NORMALIZATION_TYPES, type Network, type NormalizationType } from './net/types.js';
import { optionCased } from './internal/validate.js';

// The library (and TF.js with it) is imported only once the command line is known to be good: --help, --version
// and usage errors answer at once.
const loadLibrary = async () => ({ tf: await import('@tensorflow/tfjs-core'), ...(await import('./index.js')) });

const HELP = `cnn-activations: look at what one layer of a network sees in an image, the way MATLAB's
"Visualize Activations of a Convolutional Neural Network" shows it: every channel scaled together by mat2gray and
laid out as tiles of one PNG. The network is SqueezeNet (built in), or your own TF.js model with --model.

usage: cnn-activations <image> --layer <name|index> --out <file.png> [options]
       cnn-activations <image> --explain gradcam|gradient|guided|occlusion|lime [--class LABEL|INDEX] --out <file.png>
       cnn-activations [<image>] --dream --layer <name|index> [--channels LIST] --out <file.png>
       cnn-activations <image> <image>... --tsne [--layer <name|index>] [--perplexity N] --out <file.png>
       cnn-activations --list-layers

  <image>                  PNG or JPEG (RGB or gray); sizes other than 227×227 give larger/smaller activations
  -l, --layer NAME|INDEX   layer name (conv1, fire6-squeeze1x1, ...) or its 0-based index (see --list-layers)
  -o, --out FILE           the PNG or JPEG to write (its folder must exist)
  -c, --channels LIST      0-based channels to show, e.g. 0,13,46 (MATLAB's channels 1, 14, 47); default all
  -g, --grid RxC           tiles per column and row, e.g. 8x8; one side may be left out (6x, x8); default MATLAB's
      --thumb RxC          resize each channel to RxC (bicubic, MATLAB's imresize) before tiling, e.g. 64x64;
                           default: channels smaller than 64 pixels are enlarged to at least 64 (as MATLAB's
                           walkthrough shows fire6 at 64x64), larger ones kept
      --relu               keep positive activations only (max(0, x)) before scaling
      --strongest          show the strongest channel (of those chosen), resized to the image, beside the image
      --resize             resize the image to the network's input size (227×227 for SqueezeNet) first (--explain
                           needs that size)
  -e, --explain METHOD     instead of a layer: why the network chose its class, as MATLAB's gradCAM,
                           occlusionSensitivity or imageLIME shows it (the map over the image, beside the image); at
                           MATLAB's defaults; gradient or guided: the gradient of the score at each pixel, plain or
                           by guided backpropagation (gradientAttribution), in gray beside the image
      --class LABEL|INDEX  the class to explain (a name, or its 0-based index); default the top class; for a model
                           that does not classify, the channel of its output to explain, summed over it; given
                           again (--class wig --class 678), one map per class, side by side
  -d, --dream              instead of a layer's activations: images that its channels respond to most, grown by
                           gradient ascent (MATLAB's deepDreamImage), from noise or from <image>, tiled in the order
                           of --channels (default the first 16)
      --levels N           the dream's pyramid levels (MATLAB's PyramidLevels; default 3)
      --iterations N       gradient steps at each level (MATLAB's NumIterations; default 10)
  -t, --tsne               instead of one image: several images, each resized to the network's input size, placed
                           by t-SNE of one layer's activations (MATLAB's tsne of activations(..., OutputAs='rows')),
                           each drawn where it landed; --layer defaults to the last layer before the softmax
      --perplexity N       t-SNE's effective number of neighbours (MATLAB's Perplexity; default 30, or a third of
                           the images less one when fewer than 91)
      --learn-rate N       t-SNE's step size (MATLAB's LearnRate; default 500, or the number of images when fewer:
                           a large step throws some of a few dozen images far off)
  -b, --backend NAME       ${BACKEND_NAMES.join(' | ')} (default: the first that starts)
      --threads N          threads for the wasm backend, 1 to ${MAX_WASM_THREADS} (default: the machine's cores)
      --list-layers        print the layer table (analyzeNetwork) and exit

your own model (a TF.js Keras model or converted TensorFlow graph, as importNetwork loads it):
  -m, --model FILE|URL     its model.json (weight files beside it), a folder holding it, or an http(s) URL
      --normalization NAME how it wants its pixels (0..255 in): ${NORMALIZATION_TYPES.join(' | ')};
                           needed unless the model file declares it
      --mean LIST          per-channel means for zerocenter and zscore, e.g. 123.68,116.78,103.94 (or one value)
      --std LIST           per-channel standard deviations for zscore
      --min LIST, --max LIST  the raw values that map to the ends of the rescale range (default 0 and 255)
      --input-size HxW     the size it was trained at, when its input leaves the size free, e.g. 224x224
      --labels FILE        its class names, in the order of its outputs: a JSON array, one name per line (a
                           0-based number before each, as in Teachable Machine's labels.txt, is dropped), or
                           Teachable Machine's metadata.json
      --model-output NAME  the output to end at, when the model has several (the error lists them), or any node
                           of a converted graph
      --model-input NAME   the node of a converted graph to feed the image at, after a loop that prepares it
                           (the error names it); its size is read from the graph's resize
      --model-constant NAME=VALUE  a value for an input of the model beside the image, fed to every pass:
                           a number, true or false, or a list of them (keep_prob=1, is_training=false,
                           meta=63,1,0,0.5); repeat for each
  -q, --quiet              print nothing but errors
  -h, --help               this help
  -v, --version            the package version

Channel numbers are 0-based, as in the library; MATLAB's 1-based numbers are printed beside them.
Exit codes: 0 done, 1 failed while running, 2 bad command line.

examples:
  cnn-activations face.png --layer conv1 --out conv1.png --grid 8x8
  cnn-activations face.png --layer fire6-squeeze1x1 --out fire6.png --thumb 64x64 --grid 6x8
  cnn-activations face.png --layer fire6-relu_squeeze1x1 --channels 13,46 --out eyes.png
  cnn-activations face.png --layer conv1 --strongest --out strongest.png
  cnn-activations face.png --explain gradcam --out why.png
  cnn-activations --dream --layer fire3-squeeze1x1 --levels 1 --out dream.png
  cnn-activations photos/*.jpg --tsne --out map.png
  cnn-activations face.png --model my_model/model.json --normalization rescale-symmetric --list-layers`;

/** A bad command line: printed with a pointer to --help, exit code 2. */
class UsageError extends Error {}

/** --out must name a file imwrite writes. */
function checkOut(out: string): void {
  if (!/\.(png|jpe?g)$/i.test(out)) throw new UsageError(`--out must name a .png or .jpg file, got '${out}'`);
}

/** The flags that describe a user's model: they go with --model. */
const MODEL_FLAGS = [
  'normalization',
  'mean',
  'std',
  'min',
  'max',
  'input-size',
  'labels',
  'model-output',
  'model-input',
  'model-constant',
] as const;

/** What --model and its flags say: importNetwork's source and options. */
interface ModelOptions {
  model: string;
  normalization?: NormalizationType;
  mean?: number | number[];
  standardDeviation?: number | number[];
  min?: number | number[];
  max?: number | number[];
  inputSize?: [number, number];
  classNames?: string;
  output?: string;
  input?: string;
  constantInputs?: Record<string, number | boolean | number[] | boolean[]>;
}

/**
 * The values of --model-constant (`keep_prob=1`, `is_training=false`, `meta=63,1,0,0.5`), by input name: a number,
 * `true` or `false`, or a list of either, separated by commas.
 */
function parseConstants(texts: readonly string[]): Record<string, number | boolean | number[] | boolean[]> {
  const out = new Map<string, number | boolean | number[] | boolean[]>();
  for (const text of texts) {
    const at = text.lastIndexOf('=');
    const [name, value] = [text.slice(0, at).trim(), text.slice(at + 1).trim()];
    const items = value.split(',').map((v) => v.trim());
    const flags = items.every((v) => v === 'true' || v === 'false');
    const numbers = items.map(Number);
    if (at <= 0 || value === '' || !(flags || items.every((v, i) => v !== '' && Number.isFinite(numbers[i])))) {
      throw new UsageError(
        '--model-constant must be NAME=VALUE, the value a number, true or false, or a list of either ' +
          `(keep_prob=1, meta=63,1,0,0.5), got '${text}'`,
      );
    }
    if (out.has(name)) throw new UsageError(`--model-constant gives '${name}' twice; give each input once`);
    const values = flags ? items.map((v) => v === 'true') : numbers;
    out.set(name, items.length > 1 ? values : values[0]);
  }
  return Object.fromEntries(out);
}

/**
 * A list of numbers (`123.68,116.78,103.94`), for --mean, --std, --min, --max; one value is a number, which holds for
 * every channel.
 */
function parseNumbers(flag: string, text: string): number | number[] {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v))) {
    throw new UsageError(`--${flag} must be numbers separated by commas (123.68,116.78,103.94), got '${text}'`);
  }
  return values.length === 1 ? values[0] : values;
}

/** The model the command line names (null: SqueezeNet), with its flags checked. */
function parseModel(values: Record<string, string | string[] | boolean | undefined>): ModelOptions | null {
  const str = (k: string) => values[k] as string | undefined;
  const model = str('model');
  if (model === undefined) {
    const stray = MODEL_FLAGS.find((f) => values[f] !== undefined);
    if (stray) throw new UsageError(`--${stray} describes your own model; it goes with --model FILE`);
    return null;
  }
  if (model.trim() === '') throw new UsageError('--model must name a model.json, a folder holding it, or a URL');
  const normalization = str('normalization');
  if (normalization !== undefined && !(NORMALIZATION_TYPES as readonly string[]).includes(normalization)) {
    throw new UsageError(
      `--normalization must be one of ${NORMALIZATION_TYPES.join(', ')}, got '${normalization}'` +
        casedHint(normalization, NORMALIZATION_TYPES),
    );
  }
  const numbers = (flag: string) => {
    const text = str(flag);
    return text === undefined ? undefined : parseNumbers(flag, text);
  };
  const size = str('input-size');
  return {
    model,
    ...(normalization ? { normalization: normalization as NormalizationType } : {}),
    ...(numbers('mean') !== undefined ? { mean: numbers('mean') } : {}),
    ...(numbers('std') !== undefined ? { standardDeviation: numbers('std') } : {}),
    ...(numbers('min') !== undefined ? { min: numbers('min') } : {}),
    ...(numbers('max') !== undefined ? { max: numbers('max') } : {}),
    ...(size !== undefined ? { inputSize: parseSize('input-size', size, false) as [number, number] } : {}),
    ...(str('labels') !== undefined ? { classNames: str('labels') } : {}),
    ...(str('model-output') !== undefined ? { output: str('model-output') } : {}),
    ...(str('model-input') !== undefined ? { input: str('model-input') } : {}),
    ...(values['model-constant'] !== undefined
      ? { constantInputs: parseConstants(values['model-constant'] as string[]) }
      : {}),
  };
}

/** The interpretability methods of --explain. */
const EXPLAIN_METHODS = ['gradcam', 'gradient', 'guided', 'occlusion', 'lime'] as const;

interface ExplainOptions {
  explain: (typeof EXPLAIN_METHODS)[number];
  image: string;
  out: string;
  /** The classes (or channels) of --class, each a name or a 0-based index; null for the top class. */
  cls: (string | number)[] | null;
  resize: boolean;
  model: ModelOptions | null;
  backend: BackendName | undefined;
  threads: number | undefined;
  quiet: boolean;
}

interface CliOptions {
  image: string;
  layer: string | number;
  out: string;
  channels: number[] | null;
  grid: [number | null, number | null] | null;
  thumb: [number, number] | null;
  relu: boolean;
  strongest: boolean;
  resize: boolean;
  model: ModelOptions | null;
  backend: BackendName | undefined;
  threads: number | undefined;
  quiet: boolean;
}

/** What --dream needs. */
interface DreamOptions {
  dream: true;
  /** The image to start from (MATLAB's InitialImage); null for noise. */
  image: string | null;
  layer: string | number;
  out: string;
  channels: number[] | null;
  grid: [number | null, number | null] | null;
  levels: number | undefined;
  iterations: number | undefined;
  resize: boolean;
  model: ModelOptions | null;
  backend: BackendName | undefined;
  threads: number | undefined;
  quiet: boolean;
}

/** What --tsne needs. */
interface TsneOptions {
  tsne: true;
  images: string[];
  /** The layer whose activations place the images; null for the last before the softmax. */
  layer: string | number | null;
  perplexity: number | undefined;
  learnRate: number | undefined;
  out: string;
  model: ModelOptions | null;
  backend: BackendName | undefined;
  threads: number | undefined;
  quiet: boolean;
}

/** How many channels --dream grows when --channels does not say. */
const DREAM_CHANNELS = 16;

/** What --list-layers needs. */
interface ListOptions {
  listLayers: true;
  model: ModelOptions | null;
  backend?: BackendName;
  threads?: number;
}

function parseSize(flag: string, text: string, allowMissing: boolean): [number | null, number | null] {
  const m = /^(\d*)x(\d*)$/i.exec(text.trim());
  const side = (s: string) => (s === '' ? null : Number(s));
  const size = m ? ([side(m[1]), side(m[2])] as [number | null, number | null]) : null;
  const ok =
    size?.every((v) => v === null || v > 0) &&
    (allowMissing ? size.some((v) => v !== null) : size.every((v) => v !== null));
  if (!ok || size === null) {
    const form = allowMissing
      ? 'RxC with positive integers, one of them optional (8x8, 6x, x8)'
      : 'RxC with positive integers (64x64)';
    throw new UsageError(`--${flag} must be ${form}, got '${text}'`);
  }
  return size;
}

/** The flags that shape a layer's figure: they mean nothing to --explain or --list-layers. */
const FIGURE_FLAGS = ['layer', 'channels', 'grid', 'thumb', 'relu', 'strongest'];
/** The flags of --dream alone. */
const DREAM_FLAGS = ['levels', 'iterations'];

/** --channels: 0-based channel numbers separated by commas. */
function parseChannels(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s))) {
    throw new UsageError(`--channels must be 0-based channel numbers separated by commas (0,13,46), got '${text}'`);
  }
  return parts.map(Number);
}

/** A flag's whole number of at least 1, or undefined where it is not given. */
function parseCount(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || !Number.isSafeInteger(n)) {
    throw new UsageError(`--${flag} must be a whole number of at least 1, got '${text}'`);
  }
  return n;
}

/** "; did you mean 'wasm'?" when `value` is one of `choices` in another case; else nothing. */
function casedHint(value: string, choices: readonly string[]): string {
  const cased = optionCased(value, choices);
  return cased === undefined ? '' : `; did you mean '${cased}'?`;
}

/** A usage error for the first of `flags` given to a mode that does not take it, rather than ignoring it. */
function refuse(mode: string, values: Record<string, unknown>, flags: readonly string[]): void {
  const given = flags.find((f) => values[f] !== undefined);
  if (given !== undefined) throw new UsageError(`${mode}; it takes no --${given}`);
}

/** node:util's parseArgs with the command's flags. */
function parseCliArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      layer: { type: 'string', short: 'l' },
      out: { type: 'string', short: 'o' },
      channels: { type: 'string', short: 'c' },
      grid: { type: 'string', short: 'g' },
      thumb: { type: 'string' },
      relu: { type: 'boolean' },
      strongest: { type: 'boolean' },
      resize: { type: 'boolean' },
      backend: { type: 'string', short: 'b' },
      threads: { type: 'string' },
      'list-layers': { type: 'boolean' },
      explain: { type: 'string', short: 'e' },
      dream: { type: 'boolean', short: 'd' },
      levels: { type: 'string' },
      iterations: { type: 'string' },
      tsne: { type: 'boolean', short: 't' },
      perplexity: { type: 'string' },
      'learn-rate': { type: 'string' },
      class: { type: 'string', multiple: true },
      model: { type: 'string', short: 'm' },
      normalization: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      min: { type: 'string' },
      max: { type: 'string' },
      'input-size': { type: 'string' },
      labels: { type: 'string' },
      'model-output': { type: 'string' },
      'model-input': { type: 'string' },
      'model-constant': { type: 'string', multiple: true },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
}

function parseCommandLine(
  argv: string[],
): CliOptions | ExplainOptions | DreamOptions | TsneOptions | ListOptions | 'help' | 'version' {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help) return 'help';
  if (values.version) return 'version';
  // parseArgs keeps the last of a repeated option: `--layer conv1 --layer conv10` would show conv10 without a word.
  // --class and --model-constant may repeat: each is a class to explain, or an input's value.
  const seen = new Map<string, string | undefined>();
  for (const t of tokens) {
    if (t.kind !== 'option' || t.value === undefined || t.name === 'class' || t.name === 'model-constant') continue;
    if (seen.has(t.name)) {
      throw new UsageError(`--${t.name} given twice ('${seen.get(t.name)}', then '${t.value}'); give it once`);
    }
    seen.set(t.name, t.value);
  }
  if (values.backend !== undefined && !isBackendName(values.backend)) {
    const hint =
      values.backend === 'gpu' ? "; MATLAB's 'gpu' is webgpu or webgl here" : casedHint(values.backend, BACKEND_NAMES);
    throw new UsageError(`--backend must be one of ${BACKEND_NAMES.join(', ')}, got '${values.backend}'${hint}`);
  }
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!/^\d+$/.test(values.threads) || threads < 1 || threads > MAX_WASM_THREADS) {
      throw new UsageError(`--threads must be an integer from 1 to ${MAX_WASM_THREADS}, got '${values.threads}'`);
    }
  }
  const model = parseModel(values);
  if (values['list-layers']) {
    if (positionals.length > 0) throw new UsageError('--list-layers prints the layer table; it takes no <image>');
    refuse('--list-layers prints the layer table', values, [
      ...FIGURE_FLAGS,
      'out',
      'resize',
      'explain',
      'class',
      'dream',
      ...DREAM_FLAGS,
      'tsne',
      'perplexity',
      'learn-rate',
    ]);
    return { listLayers: true, model, backend: values.backend as BackendName | undefined, threads };
  }
  if (values.tsne) {
    if (positionals.length < 2) {
      throw new UsageError(`--tsne places several images, at least 2; got ${positionals.length}`);
    }
    refuse('--tsne places whole images', values, [
      ...FIGURE_FLAGS.filter((f) => f !== 'layer'),
      'explain',
      'class',
      'dream',
      ...DREAM_FLAGS,
    ]);
    if (values.resize)
      throw new UsageError("--tsne resizes every image to the network's input size; it takes no --resize");
    if (values.out === undefined) throw new UsageError('missing --out FILE.png');
    checkOut(values.out);
    let perplexity: number | undefined;
    if (values.perplexity !== undefined) {
      perplexity = Number(values.perplexity);
      if (!/^\d+(\.\d+)?$/.test(values.perplexity) || !(perplexity > 0)) {
        throw new UsageError(`--perplexity must be a positive number, got '${values.perplexity}'`);
      }
      if (perplexity > positionals.length - 1) {
        throw new UsageError(
          `--perplexity must be at most the number of images less one (${positionals.length - 1}), got '${values.perplexity}'`,
        );
      }
    }
    let learnRate: number | undefined;
    if (values['learn-rate'] !== undefined) {
      learnRate = Number(values['learn-rate']);
      if (!/^\d+(\.\d+)?$/.test(values['learn-rate']) || !(learnRate > 0)) {
        throw new UsageError(`--learn-rate must be a positive number, got '${values['learn-rate']}'`);
      }
    }
    return {
      tsne: true,
      images: positionals,
      learnRate,
      layer: values.layer === undefined ? null : /^\d+$/.test(values.layer) ? Number(values.layer) : values.layer,
      perplexity,
      out: values.out,
      model,
      backend: values.backend as BackendName | undefined,
      threads,
      quiet: values.quiet ?? false,
    };
  }
  const tsneFlag = ['perplexity', 'learn-rate'].find((f) => values[f as keyof typeof values] !== undefined);
  if (tsneFlag !== undefined) throw new UsageError(`--${tsneFlag} goes with --tsne`);
  if (values.dream) {
    if (positionals.length > 1) {
      throw new UsageError(
        `--dream starts from one image or from noise, got ${positionals.length}: ${positionals.join(' ')}`,
      );
    }
    refuse("--dream grows images for a layer's channels", values, ['thumb', 'relu', 'strongest', 'explain', 'class']);
    if (values.layer === undefined)
      throw new UsageError('missing --layer NAME|INDEX (the layer whose channels to dream)');
    if (values.out === undefined) throw new UsageError('missing --out FILE.png');
    checkOut(values.out);
    if (values.resize && positionals.length === 0) {
      throw new UsageError('--resize resizes the <image> to start from; without one, --dream starts from noise');
    }
    return {
      dream: true,
      image: positionals[0] ?? null,
      layer: /^\d+$/.test(values.layer) ? Number(values.layer) : values.layer,
      out: values.out,
      channels: values.channels === undefined ? null : parseChannels(values.channels),
      grid: values.grid === undefined ? null : parseSize('grid', values.grid, true),
      levels: parseCount('levels', values.levels),
      iterations: parseCount('iterations', values.iterations),
      resize: values.resize ?? false,
      model,
      backend: values.backend as BackendName | undefined,
      threads,
      quiet: values.quiet ?? false,
    };
  }
  const dreamFlag = DREAM_FLAGS.find((f) => values[f as keyof typeof values] !== undefined);
  if (dreamFlag !== undefined) throw new UsageError(`--${dreamFlag} goes with --dream`);
  if (positionals.length === 0) throw new UsageError('missing <image>');
  if (positionals.length > 1)
    throw new UsageError(`expected one image, got ${positionals.length}: ${positionals.join(' ')}`);
  if (values.explain !== undefined) {
    const method = values.explain as ExplainOptions['explain'];
    if (!EXPLAIN_METHODS.includes(method)) {
      throw new UsageError(
        `--explain must be one of ${EXPLAIN_METHODS.join(', ')}, got '${values.explain}'` +
          casedHint(values.explain, EXPLAIN_METHODS),
      );
    }
    refuse('--explain explains a class', values, FIGURE_FLAGS);
    if (values.out === undefined) throw new UsageError('missing --out FILE.png');
    checkOut(values.out);
    const cls = values.class === undefined ? null : values.class.map((c) => (/^\d+$/.test(c) ? Number(c) : c));
    return {
      explain: method,
      image: positionals[0],
      out: values.out,
      cls,
      resize: values.resize ?? false,
      model,
      backend: values.backend as BackendName | undefined,
      threads,
      quiet: values.quiet ?? false,
    };
  }
  if (values.class !== undefined) throw new UsageError('--class goes with --explain');
  if (values.layer === undefined) throw new UsageError('missing --layer NAME|INDEX');
  if (values.out === undefined) throw new UsageError('missing --out FILE.png');
  checkOut(values.out);
  const layer = /^\d+$/.test(values.layer) ? Number(values.layer) : values.layer;
  const channels = values.channels === undefined ? null : parseChannels(values.channels);
  if (values.strongest && values.grid !== undefined)
    throw new UsageError('--strongest shows one channel; it takes no --grid');
  return {
    image: positionals[0],
    layer,
    out: values.out,
    channels,
    grid: values.grid === undefined ? null : parseSize('grid', values.grid, true),
    thumb: values.thumb === undefined ? null : (parseSize('thumb', values.thumb, false) as [number, number]),
    relu: values.relu ?? false,
    strongest: values.strongest ?? false,
    resize: values.resize ?? false,
    model,
    backend: values.backend as BackendName | undefined,
    threads,
    quiet: values.quiet ?? false,
  };
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** initBackend's options from the command line's --backend and --threads. */
function backendOptions(o: { backend?: BackendName; threads?: number }): InitBackendOptions | undefined {
  if (o.backend === undefined && o.threads === undefined) return undefined;
  return { ...(o.backend ? { backend: o.backend } : {}), ...(o.threads ? { threads: o.threads } : {}) };
}

/** importNetwork's option names as the command line spells them, for its messages. */
const FLAG_OF_OPTION: Record<string, string> = {
  normalization: '--normalization',
  mean: '--mean',
  standardDeviation: '--std',
  min: '--min',
  max: '--max',
  inputSize: '--input-size',
  classNames: '--labels',
  output: '--model-output',
  input: '--model-input',
  constantInputs: '--model-constant',
};

/**
 * The network the command line names: SqueezeNet, or the user's model as importNetwork loads it (typed as any
 * Network: the layer comes from the command line and is checked when the pass runs). importNetwork's messages name
 * its options; they are given here as the flags that set them.
 */
async function loadNet(lib: Awaited<ReturnType<typeof loadLibrary>>, model: ModelOptions | null): Promise<Network> {
  if (model === null) return lib.squeezenet();
  const { model: source, ...options } = model;
  try {
    return await lib.importNetwork(source, options);
  } catch (err) {
    const e = err as Error;
    // A size the library writes as a JavaScript array ('options.inputSize [h, w]') is written HxW on the command line.
    e.message = e.message
      .replace(/'?options\.inputSize'? \[h, w\]/g, '--input-size HxW (e.g. 224x224)')
      .replace(
        /options\.constantInputs, such as \{ ((?:"(?:[^"\\]|\\.)*")|[\w$]+): (\w+) \}/g,
        (_, key: string, value: string) =>
          `--model-constant NAME=VALUE (${key.startsWith('"') ? JSON.parse(key) : key}=${value})`,
      )
      .replace(
        /'options\.constantInputs(?:\.([\w$]+)|\[("(?:[^"\\]|\\.)*")\])'/g,
        (_, plain?: string, quoted?: string) => {
          return `--model-constant ${plain ?? JSON.parse(quoted ?? '""')}=…`;
        },
      )
      .replace(/'?options\.(\w+)'?/g, (all, k: string) => FLAG_OF_OPTION[k] ?? all);
    throw e;
  }
}

async function listLayers(o: ListOptions): Promise<void> {
  const lib = await loadLibrary();
  await lib.initBackend(backendOptions(o));
  const net = await loadNet(lib, o.model);
  const { analyzeNetwork } = lib;
  try {
    console.log(String(analyzeNetwork(net)));
  } finally {
    net.dispose();
  }
}

/** The folder of `--out` must exist: the command writes a file, it does not make folders it was not asked for. */
function checkOutFolder(out: string): void {
  const dir = path.dirname(path.resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`the folder of --out does not exist: ${dir} (create it first)`);
  }
}

/**
 * The image file for the network: read as it is, or made gray (MATLAB's rgb2gray) when the network takes gray images
 * and the file is in color, which the library would refuse and this command has no flag to change.
 */
async function readImage(
  lib: Awaited<ReturnType<typeof loadLibrary>>,
  net: Network,
  file: string,
): Promise<{ im: tf.Tensor; madeGray: boolean }> {
  const im = await lib.imread(file);
  if (net.inputSize[2] !== 1 || im.rank !== 3 || im.shape[2] !== 3) return { im, madeGray: false };
  const gray = lib.rgb2gray(im);
  im.dispose();
  return { im: gray, madeGray: true };
}

/**
 * What every command that writes a figure does first: checks the folder of --out, loads the library, starts the
 * backend and loads the network; `say` prints unless --quiet.
 */
async function start(opts: {
  out: string;
  quiet: boolean;
  model: ModelOptions | null;
  backend?: BackendName;
  threads?: number;
}) {
  checkOutFolder(opts.out);
  const lib = await loadLibrary();
  const say = opts.quiet ? () => {} : (line: string) => console.log(line);
  const choice = await lib.initBackend(backendOptions(opts));
  const net = await loadNet(lib, opts.model);
  return { lib, say, choice, net };
}

/**
 * `im` at the network's input size: resized with --resize (`im` is then freed), else refused in the command's words
 * (the library's own message would point to `{ resize: true }`, an option this command spells --resize); `mode` says
 * what needs that size ("--explain needs").
 */
function atInputSize(
  lib: Awaited<ReturnType<typeof loadLibrary>>,
  net: Network,
  im: tf.Tensor,
  resize: boolean,
  mode: string,
): tf.Tensor {
  const [nh, nw] = net.inputSize;
  if (resize) {
    const resized = lib.imresize(im, [nh, nw]);
    im.dispose();
    return resized;
  }
  if (im.shape[0] !== nh || im.shape[1] !== nw) {
    throw new Error(
      `the image is ${im.shape[0]}×${im.shape[1]} pixels; ${mode} the network's input size, ${nh}×${nw}: add ` +
        '--resize to resize it first',
    );
  }
  return im;
}

async function render(opts: CliOptions): Promise<void> {
  const { lib, say, choice, net } = await start(opts);
  const { tf, activations, imresize, imtile, imwrite, mat2gray, maxChannelIndex } = lib;
  const { im, madeGray } = await readImage(lib, net, opts.image);
  try {
    const act = activations(net, im, opts.layer, opts.resize ? { resize: true } : undefined);
    const [h, w, c] = act.shape;
    const layerName = typeof opts.layer === 'number' ? net.layerNames[opts.layer] : opts.layer;
    const [ih, iw] = im.shape;
    const [nh, nw] = net.inputSize;
    const read = madeGray ? `${ih}×${iw}×3, made gray` : im.shape.join('×');
    const input = opts.resize && (ih !== nh || iw !== nw) ? `${read}, resized to ${nh}×${nw}` : read;
    say(`${layerName}: ${h}×${w}×${c} activations of ${opts.image} (${input}) on ${choice.backend}`);
    const channels = opts.channels ?? Array.from({ length: c }, (_, i) => i);
    const bad = channels.find((k) => k >= c);
    if (bad !== undefined) {
      act.dispose();
      throw new Error(`channel ${bad} does not exist: ${layerName} has ${c} channels (0..${c - 1})`);
    }
    const shown = tf.tidy(() => {
      const chosen = opts.channels ? tf.gather(act, channels, 2) : act.clone();
      return opts.relu ? tf.relu(chosen) : chosen;
    });
    act.dispose();
    // NaN is drawn white (mat2gray maps it to 1, as MATLAB's does): a figure of nothing but white says nothing why.
    const nanCount = tf.tidy(() => tf.sum(tf.cast(tf.notEqual(shown, shown), 'int32')));
    const nan = (await nanCount.data())[0];
    nanCount.dispose();
    if (nan > 0) {
      console.error(
        `cnn-activations: warning: ${nan.toLocaleString('en-US')} of the ${shown.size.toLocaleString('en-US')} ` +
          'values shown are NaN, drawn white (mat2gray maps NaN to 1, as MATLAB does)',
      );
    }
    let figure: tf.Tensor;
    let shownWhat = `${channels.length} channel${channels.length === 1 ? '' : 's'}`;
    try {
      if (opts.strongest) {
        const best = await maxChannelIndex(shown as tf.Tensor3D);
        const k = channels[best.index];
        say(`strongest channel: ${k + 1} in MATLAB (index ${k}), maximum ${best.value.toFixed(2)}`);
        shownWhat = `channel ${k + 1} (index ${k}) beside the image`;
        const imgSize = im.shape.slice(0, 2) as [number, number];
        figure = tf.tidy(() => imtile([im, imresize(mat2gray(tf.gather(shown, best.index, 2)), imgSize)]));
      } else {
        // A readable size by default: channels under 64 pixels are enlarged (bicubic) to at least 64.
        const small = Math.min(h, w);
        const thumb: [number, number] | null =
          opts.thumb ?? (small < 64 ? [Math.round((h * 64) / small), Math.round((w * 64) / small)] : null);
        if (thumb && !opts.thumb) say(`each ${h}×${w} channel enlarged to ${thumb[0]}×${thumb[1]} (--thumb to choose)`);
        // The library's own message would point to setLimits, which the command has no flag for.
        const values = thumb ? thumb[0] * thumb[1] * channels.length : 0;
        const most = lib.getLimits().maxElements;
        if (opts.thumb && values > most) {
          const n = (v: number) => v.toLocaleString('en-US');
          throw new Error(
            `--thumb ${opts.thumb[0]}x${opts.thumb[1]} makes ${n(values)} values for the ${channels.length} channels ` +
              `shown, more than the ${n(most)} the library works on at once; choose a smaller --thumb or fewer --channels`,
          );
        }
        const [rows, cols] = opts.grid ?? [null, null];
        if (rows !== null && cols !== null && rows * cols < channels.length) {
          console.error(
            `cnn-activations: warning: a ${rows}×${cols} grid shows the first ${rows * cols} of the ${channels.length} channels chosen`,
          );
          shownWhat = `${rows * cols} of ${channels.length} channels`;
        }
        figure = tf.tidy(() => {
          let frames = mat2gray(shown);
          if (thumb) frames = imresize(frames, thumb);
          return imtile(frames, opts.grid ? { gridSize: opts.grid } : undefined);
        });
      }
    } finally {
      shown.dispose();
    }
    try {
      await imwrite(figure, opts.out);
      say(`wrote ${opts.out}: ${figure.shape.join('×')} (${shownWhat})`);
    } finally {
      figure.dispose();
    }
  } finally {
    im.dispose();
    net.dispose();
  }
}

async function explain(opts: ExplainOptions): Promise<void> {
  const { lib, say, choice, net } = await start(opts);
  const { tf } = lib;
  // Said in the command's words before any work (the library's own message names classify, which no flag calls).
  const last = net.layers[net.layers.length - 1];
  const size = last.outputSize;
  // One score per class, or one number per image (size [], a regression whose graph squeezes its last axis).
  const classifier = size.length <= 1 || (size.length === 3 && size[0] === 1 && size[1] === 1);
  // A channel of any other output is explained by its sum over the positions: MATLAB's channelIdx for occlusion and
  // LIME; for Grad-CAM the reduction function that gives that sum (the library's gradCAM takes it as reductionFcn).
  const channels = size[size.length - 1];
  if (!classifier && opts.cls === null) {
    throw new Error(
      `--explain explains a class, and ${net.name} does not classify: its output '${last.name}' is ` +
        `${size.join('×')}, not one score per class; each method explains one of its ${channels} ` +
        'channels, summed over the output, with --class N (0-based); or look at its layers with --layer ' +
        '(--list-layers lists them)',
    );
  }
  // For a model that does not classify, the channels of its output that --class names.
  const chosen = classifier
    ? null
    : (opts.cls as (string | number)[]).map((c) => {
        const channel = typeof c === 'number' ? c : net.classNames.indexOf(c);
        if (channel < 0 || channel >= channels) {
          const names = net.classNames.length > 0 ? ` (or one of the names --labels gave)` : '';
          throw new Error(
            `--class ${c}: the output '${last.name}' of ${net.name} (${size.join('×')}) has ${channels} channels; ` +
              `give one of 0 to ${channels - 1}${names}`,
          );
        }
        return channel;
      });
  let { im } = await readImage(lib, net, opts.image);
  const maps: tf.Tensor[] = [];
  try {
    im = atInputSize(lib, net, im, opts.resize, '--explain needs');
    // One output value (a regression, a binary classifier's probability or logit): no class to rank; it is
    // explained as it is, which classify gives with { softmax: false }.
    const oneValue = size.reduce((a, b) => a * b, 1) === 1;
    const top = classifier ? await lib.classify(net, im, 1, oneValue ? { softmax: false } : undefined) : null;
    // By index: a model without class names labels its classes by their index, which is no class name.
    const classes = opts.cls ?? [(top as { index: number }[])[0].index];
    const labels = classes.map((c) => (typeof c === 'number' ? (net.classNames[c] ?? `class ${c}`) : c));
    const quoted = labels.map((l) => `'${l}'`).join(', ');
    const channelText =
      chosen === null
        ? ''
        : chosen.map((c, i) => (net.classNames[c] === undefined ? String(c) : `'${labels[i]}'`)).join(', ');
    say(
      chosen !== null
        ? `explaining channel${chosen.length > 1 ? 's' : ''} ${channelText} of '${last.name}' (${size.join('×')}), summed over the output, with ${opts.explain} on ${choice.backend}`
        : oneValue
          ? `output '${last.name}': ${(top as { score: number }[])[0].score.toFixed(3)} (one value); explaining it with ${opts.explain} on ${choice.backend}`
          : `top class: ${(top as { label: string }[])[0].label} (${(top as { score: number }[])[0].score.toFixed(3)}); explaining ${quoted} with ${opts.explain} on ${choice.backend}`,
    );
    const started = performance.now();
    // An updating percentage for a terminal; a pipe or a log would keep every step of it on one long line.
    const progress =
      opts.quiet || !process.stdout.isTTY
        ? undefined
        : (f: number) => process.stdout.write(`\r${opts.explain}: ${Math.round(f * 100)}%`);
    // One class as the library takes one (a map [h, w]); several as an array (maps [h, w, k]).
    const target = classes.length === 1 ? classes[0] : classes;
    // The gradient methods: Grad-CAM's map, or the pixels' gradient (plain or guided) as gradientAttribution gives it.
    const gradient = opts.explain === 'gradient' || opts.explain === 'guided';
    const method = opts.explain === 'guided' ? 'guided-backprop' : 'autodiff';
    const byGradient = async (cls: typeof target | null, reductionFcn?: (out: tf.Tensor) => tf.Tensor) =>
      gradient
        ? (await lib.gradientAttribution(net, im, cls, { method, reductionFcn })).map
        : (await lib.gradCAM(net, im, cls, { reductionFcn })).map;
    if ((opts.explain === 'gradcam' || gradient) && chosen !== null) {
      // For a channel: its sum over the output's positions, per image (the reduction sees a batch); one call each.
      for (const channel of chosen) {
        const total = (out: tf.Tensor) =>
          tf.sum(
            tf.gather(out, channel, out.rank - 1),
            Array.from({ length: out.rank - 2 }, (_, i) => i + 1),
          );
        maps.push(await byGradient(null, total));
      }
    } else if (opts.explain === 'gradcam' || gradient) {
      maps.push(await byGradient(target));
    } else if (opts.explain === 'occlusion')
      maps.push(await lib.occlusionSensitivity(net, im, target, { onProgress: progress }));
    else {
      const r = await lib.imageLIME(net, im, target, { onProgress: progress });
      r.featureMap.dispose();
      maps.push(r.scoreMap);
    }
    if (progress && (opts.explain === 'occlusion' || opts.explain === 'lime')) process.stdout.write('\n');
    const k = classes.length;
    const figure = tf.tidy(() => {
      // One map [h, w] each: the per-channel Grad-CAM calls, or the k maps along the last axis of one.
      const each = maps.length === k ? maps : tf.unstack(maps[0], 2);
      // A pixel's gradient is shown as MATLAB's example shows it, imshow(map): gray, beside the image; the coarser
      // maps over it.
      const shown = each.map((m) =>
        gradient ? lib.imagesc(m, { colormap: 'gray' }) : lib.heatmapOverlay(im, m, { alpha: 0.5, colormap: 'jet' }),
      );
      return lib.imtile([im, ...shown], { gridSize: [1, k + 1] });
    });
    try {
      await lib.imwrite(figure, opts.out);
      const what =
        k === 1
          ? `the ${opts.explain} map ${gradient ? 'beside' : 'over'} it`
          : `the ${opts.explain} maps of ${k} ${chosen === null ? 'classes' : 'channels'} ${gradient ? 'beside' : 'over'} it, in that order`;
      say(
        `wrote ${opts.out}: ${figure.shape.join('×')} (the image, and ${what}, in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    } finally {
      figure.dispose();
    }
  } finally {
    tf.dispose([im, ...maps]);
    net.dispose();
  }
}

/** deepDreamImage's option names as the command line spells them, for its messages. */
const FLAG_OF_DREAM_OPTION: Record<string, string> = {
  pyramidLevels: '--levels',
  numIterations: '--iterations',
};

async function dream(opts: DreamOptions): Promise<void> {
  const { lib, say, choice, net } = await start(opts);
  const { tf } = lib;
  let im: tf.Tensor | undefined;
  let images: tf.Tensor | undefined;
  try {
    // An unknown layer is left to deepDreamImage, whose message names the closest ones.
    const info =
      typeof opts.layer === 'number' ? net.layers[opts.layer] : net.layers.find((l) => l.name === opts.layer);
    const size = info?.outputSize ?? [];
    const depth = info === undefined ? 1 : size.length > 0 ? size[size.length - 1] : 1;
    const channels = opts.channels ?? Array.from({ length: Math.min(DREAM_CHANNELS, depth) }, (_, i) => i);
    const bad = info === undefined ? undefined : channels.find((k) => k >= depth);
    if (bad !== undefined) {
      throw new Error(`channel ${bad} does not exist: ${info!.name} has ${depth} channels (0..${depth - 1})`);
    }
    const [nh, nw] = net.inputSize;
    let from = 'noise';
    if (opts.image !== null) {
      const read = await readImage(lib, net, opts.image);
      im = read.im;
      const [ih, iw] = im.shape;
      const sized = opts.resize && (ih !== nh || iw !== nw) ? `, resized to ${nh}×${nw}` : '';
      from = `${opts.image} (${read.madeGray ? `${ih}×${iw}×3, made gray` : im.shape.join('×')}${sized})`;
      im = atInputSize(lib, net, im, opts.resize, '--dream starts from an image of');
    }
    const levels = opts.levels ?? 3;
    const iterations = opts.iterations ?? 10;
    const list = (ks: number[]) => (ks.length > 8 ? `${ks.slice(0, 8).join(', ')}, …` : ks.join(', '));
    if (info !== undefined) {
      say(
        `dreaming ${channels.length} channel${channels.length === 1 ? '' : 's'} of ${info.name}: ${list(channels)} ` +
          `(MATLAB's ${list(channels.map((k) => k + 1))})${opts.channels ? '' : ', the first ones (--channels to choose)'}, ` +
          `from ${from}, ${levels} level${levels === 1 ? '' : 's'} × ` +
          `${iterations} iteration${iterations === 1 ? '' : 's'}, on ${choice.backend}`,
      );
    }
    const started = performance.now();
    // An updating percentage for a terminal only, as --explain's.
    const progress =
      opts.quiet || !process.stdout.isTTY
        ? undefined
        : (f: number) => process.stdout.write(`\rdream: ${Math.round(f * 100)}%`);
    try {
      images = await lib.deepDreamImage(net, opts.layer, channels, {
        ...(opts.levels === undefined ? {} : { pyramidLevels: opts.levels }),
        ...(opts.iterations === undefined ? {} : { numIterations: opts.iterations }),
        ...(im === undefined ? {} : { initialImage: im }),
        onProgress: progress,
      });
    } catch (err) {
      const e = err as Error;
      // The library's option names, in this command's flags; the pyramid's scale and the limits have none.
      e.message = e.message
        .replace(/ or a smaller 'options\.pyramidScale'/g, '')
        .replace(/'?options\.(\w+)'?/g, (all, k: string) => FLAG_OF_DREAM_OPTION[k] ?? all)
        .replace(/'channels'/g, '--channels')
        .replace(
          / \(limits\.maxElements; raise it with setLimits\)$/,
          ' (the most the library works on at once); choose fewer --channels',
        );
      throw e;
    }
    if (progress) process.stdout.write('\n');
    const figure = tf.tidy(() => lib.imtile(images!, opts.grid ? { gridSize: opts.grid } : undefined));
    try {
      await lib.imwrite(figure, opts.out);
      say(
        `wrote ${opts.out}: ${figure.shape.join('×')} (${channels.length} image${channels.length === 1 ? '' : 's'}, ` +
          `one per channel in that order, in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
    } finally {
      figure.dispose();
    }
  } finally {
    tf.dispose([im, images].filter((t): t is tf.Tensor => t !== undefined));
    net.dispose();
  }
}

/** The thumbnails' side for `n` images on a canvas of `size`: about one image's share of a side, 24 to 64 pixels. */
function thumbnailSide(n: number, size: number): number {
  return Math.max(24, Math.min(64, Math.round(size / (Math.sqrt(n) + 2))));
}

/**
 * Draws `thumbs` (int32 `[t, t, 3]` pixel values, one per point) on a white RGB canvas `size`×`size`, each centred
 * where `points` (`[y, x]`) falls once the points' extent is stretched to the canvas.
 */
function drawAtPoints(thumbs: Int32Array[], t: number, points: number[][], size: number): Int32Array {
  const canvas = new Int32Array(size * size * 3).fill(255);
  const lo = [0, 1].map((k) => Math.min(...points.map((p) => p[k])));
  const hi = [0, 1].map((k) => Math.max(...points.map((p) => p[k])));
  for (const [k, point] of points.entries()) {
    const [top, left] = [0, 1].map((d) => Math.round(((point[d] - lo[d]) / (hi[d] - lo[d] || 1)) * (size - t)));
    for (let i = 0; i < t; i++) {
      canvas.set(thumbs[k].subarray(i * t * 3, (i + 1) * t * 3), ((top + i) * size + left) * 3);
    }
  }
  return canvas;
}

/** The canvas --tsne draws on, in pixels a side. */
const TSNE_CANVAS = 640;

async function tsneMap(opts: TsneOptions): Promise<void> {
  const { lib, say, choice, net } = await start(opts);
  const { tf } = lib;
  const rows: tf.Tensor[] = [];
  try {
    // The layer: the one given, or the last before a softmax (a classifier's scores, as MATLAB's example takes).
    let layer = opts.layer;
    if (layer === null) {
      const last = net.layers.length - 1;
      layer = net.layers[last].type === 'Softmax' && last > 0 ? net.layers[last - 1].name : net.layers[last].name;
    }
    const n = opts.images.length;
    const perplexity = opts.perplexity ?? Math.min(30, Math.max(1, Math.floor((n - 1) / 3)));
    const learnRate = opts.learnRate ?? Math.min(500, n);
    const t = thumbnailSide(n, TSNE_CANVAS);
    const thumbs: Int32Array[] = [];
    const [nh, nw] = net.inputSize;
    for (const [k, file] of opts.images.entries()) {
      const { im } = await readImage(lib, net, file);
      const sized = tf.tidy(() => (im.shape[0] === nh && im.shape[1] === nw ? im.clone() : lib.imresize(im, [nh, nw])));
      im.dispose();
      try {
        rows.push(lib.activations(net, sized, layer, { outputAs: 'rows' }) as tf.Tensor);
        const thumb = tf.tidy(() => {
          const small = lib.imresize(sized, [t, t]);
          return small.rank === 2 || small.shape[2] === 1 ? tf.tile(tf.reshape(small, [t, t, 1]), [1, 1, 3]) : small;
        });
        thumbs.push((await thumb.data()) as Int32Array);
        thumb.dispose();
      } finally {
        sized.dispose();
      }
      if (!opts.quiet && process.stdout.isTTY) process.stdout.write(`\ractivations: ${k + 1}/${n}`);
    }
    if (!opts.quiet && process.stdout.isTTY) process.stdout.write('\n');
    const name = typeof layer === 'number' ? net.layerNames[layer] : layer;
    const X = tf.concat(rows);
    tf.dispose(rows.splice(0));
    rows.push(X);
    say(
      `t-SNE of ${n} images by ${name} (rows [${X.shape.join(', ')}]), perplexity ${perplexity}, learning rate ` +
        `${learnRate}, on ${choice.backend}`,
    );
    const started = performance.now();
    const { Y, loss } = await lib.tsne(X, { perplexity, learnRate });
    const points = (await Y.array()) as number[][];
    Y.dispose();
    const figure = tf.tensor3d(drawAtPoints(thumbs, t, points, TSNE_CANVAS), [TSNE_CANVAS, TSNE_CANVAS, 3], 'int32');
    try {
      await lib.imwrite(figure, opts.out);
    } finally {
      figure.dispose();
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(
      `wrote ${opts.out}: ${TSNE_CANVAS}×${TSNE_CANVAS}×3, each image where t-SNE put it (loss ${loss.toFixed(3)}, in ${seconds} s)`,
    );
  } finally {
    tf.dispose(rows);
    net.dispose();
  }
}

async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof parseCommandLine>;
  try {
    opts = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`cnn-activations: ${err.message}\nTry 'cnn-activations --help'.`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    console.log(HELP);
    return 0;
  }
  if (opts === 'version') {
    console.log(packageVersion());
    return 0;
  }
  try {
    if ('listLayers' in opts) await listLayers(opts);
    else if ('explain' in opts) await explain(opts);
    else if ('dream' in opts) await dream(opts);
    else if ('tsne' in opts) await tsneMap(opts);
    else await render(opts);
    return 0;
  } catch (err) {
    console.error(`cnn-activations: ${inCommandWords((err as Error).message)}`);
    return 1;
  }
}

/** A library message's advice in this command's words: the library's calls that a flag makes here. */
function inCommandWords(message: string): string {
  return message.replace(/initBackend\(\{ backend: '(\w+)' \}\)/g, '--backend $1');
}

// No top-level await: the same file is also built as CommonJS.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
