/**
 * The explorer's small pure helpers: grid geometry, ReLU partner layers, labels, colour map.
 * No TF.js, no DOM: easy to reason about and shared by the page and its tests.
 */

/** How the channels of a layer are tiled: `n` tiles of `th`×`tw` pixels in `rows`×`cols` cells, row-major. */
export interface GridLayout {
  n: number;
  rows: number;
  cols: number;
  th: number;
  tw: number;
}

/**
 * MATLAB's default `imtile` grid for `n` frames of `h`×`w` pixels (no border): one frame → 1×1, otherwise
 * `cols = ceil(sqrt(h·n / w))`, `rows = ceil(n / cols)`: 64 square frames → 8×8, 48 → 7×7 (the walkthrough
 * passes `GridSize` [6 8] for those).
 */
export function defaultGrid(n: number, h: number, w: number): GridLayout {
  if (n === 1) return { n, rows: 1, cols: 1, th: h, tw: w };
  const cols = Math.ceil(Math.sqrt((h * n) / w));
  return { n, rows: Math.ceil(n / cols), cols, th: h, tw: w };
}

/** The grid the explorer uses for a layer: the walkthrough's [8 8] for conv1 and relu_conv1, MATLAB's default otherwise. */
export function gridFor(layer: string, n: number, h: number, w: number): GridLayout {
  if ((layer === 'conv1' || layer === 'relu_conv1') && n === 64) return { n, rows: 8, cols: 8, th: h, tw: w };
  return defaultGrid(n, h, w);
}

/** The channel index (0-based) under pixel (x, y) of the tiled image, or null over a blank cell or outside. */
export function channelAt(grid: GridLayout, x: number, y: number): number | null {
  if (x < 0 || y < 0) return null;
  const col = Math.floor(x / grid.tw);
  const row = Math.floor(y / grid.th);
  if (col >= grid.cols || row >= grid.rows) return null;
  const k = row * grid.cols + col;
  return k < grid.n ? k : null;
}

/** The pixel rectangle of channel `k` in the tiled image. */
export function cellRect(grid: GridLayout, k: number): { x: number; y: number; w: number; h: number } {
  return { x: (k % grid.cols) * grid.tw, y: Math.floor(k / grid.cols) * grid.th, w: grid.tw, h: grid.th };
}

/** "channel 22 (index 21)": MATLAB's 1-based number first, the API's 0-based index beside it. */
export function channelLabel(k: number): string {
  return `channel ${k + 1} (index ${k})`;
}

/**
 * The layer on the other side of the ReLU, if the network has it: MATLAB splits Caffe's in-place ReLUs into layers of
 * their own, so `conv1` (pre-ReLU) pairs with `relu_conv1`, `fire6-squeeze1x1` with `fire6-relu_squeeze1x1`.
 * Returns `{ pre, post }` or null for a layer without a partner (pooling, concat, ...).
 */
export function reluPair(layer: string, layerNames: readonly string[]): { pre: string; post: string } | null {
  const dash = layer.lastIndexOf('-');
  const prefix = layer.slice(0, dash + 1); // 'fire6-' or ''
  const base = layer.slice(dash + 1); // 'squeeze1x1', 'relu_squeeze1x1', 'conv1', ...
  const pre = base.startsWith('relu_') ? prefix + base.slice('relu_'.length) : layer;
  const post = base.startsWith('relu_') ? layer : `${prefix}relu_${base}`;
  return layerNames.includes(pre) && layerNames.includes(post) ? { pre, post } : null;
}

/** MATLAB's `jet` colour map at t in [0, 1] (clamped), as 0..255 RGB. */
export function jet(t: number): [number, number, number] {
  const v = Math.min(1, Math.max(0, Number.isNaN(t) ? 1 : t));
  const ramp = (c: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - c))));
  return [ramp(3), ramp(2), ramp(1)];
}

/** "12.3 ms" / "1.24 s". */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

/**
 * A user's model as the page's address says it (`?model=…&normalization=…`), so that a link reproduces the view:
 * `model` (model.json URL, relative to the page), `normalization` (MATLAB's name), `mean`, `std`, `min`, `max`
 * (comma-separated, one per channel or one for all), `labels` (comma-separated class names, or a labels file URL
 * ending in .txt or .json), `size` (`224x224`, for a model whose input size is free), `output` and `input` (nodes
 * to end at and to feed the image at), `constants` (`keep_prob=1,meta=63 1 0 0.5`: values for a model's inputs
 * beside the image), `layer`.
 */
export interface ModelSettings {
  model: string | null;
  normalization: string | null;
  mean: number[] | null;
  std: number[] | null;
  min: number[] | null;
  max: number[] | null;
  labels: string[] | string | null;
  size: [number, number] | null;
  /** The output to end at, for a model with several, or a node of a graph (importNetwork's `output`). */
  output: string | null;
  /** The node of a graph to feed the image at, after a loop that prepares it (importNetwork's `input`). */
  input: string | null;
  /** Values for a model's inputs beside the image, by name (importNetwork's `constantInputs`). */
  constants: Record<string, ConstantValue> | null;
  layer: string | null;
}

/**
 * Comma-separated numbers as typed (`123.68,116.779,103.939`); null for no text. An empty or malformed item is NaN,
 * never the 0 that `Number('')` gives, so that the library refuses it by name rather than using a mean of 0.
 */
export function parseNumbers(text: string | null): number[] | null {
  if (text === null || text.trim() === '') return null;
  return text.split(',').map((item) => (item.trim() === '' ? Number.NaN : Number(item)));
}

/**
 * An input size as typed (`224x224`, `224×224` or `224,224`); null for no text. Anything else is `[NaN, NaN]`, which
 * the library refuses by name, rather than a size silently left out.
 */
export function parseSize(text: string | null): [number, number] | null {
  if (text === null || text.trim() === '') return null;
  const m = /^\s*(\d+)\s*[x×,]\s*(\d+)\s*$/i.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
}

/** One value of `constants`: a number, a boolean, or a list of either (an input of several values). */
export type ConstantValue = number | boolean | number[] | boolean[];

/**
 * Values for a model's inputs beside the image as typed (`keep_prob=1, is_training=false, meta=63 1 0 0.5`); null for
 * no text. `true` and `false` are booleans, anything else a number, and values separated by spaces a list: an item
 * that is neither (or has no `=`) is NaN, which the library refuses by name, rather than an input silently left out.
 */
export function parseConstants(text: string | null): Record<string, ConstantValue> | null {
  if (text === null || text.trim() === '') return null;
  const out = new Map<string, ConstantValue>();
  const one = (v: string) => (v === 'true' ? true : v === 'false' ? false : v === '' ? Number.NaN : Number(v));
  for (const item of text.split(',')) {
    const at = item.lastIndexOf('=');
    const [name, value] = at < 0 ? [item.trim(), ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()];
    const values = value.split(/\s+/).map(one);
    out.set(name, values.length > 1 ? (values as number[] | boolean[]) : values[0]);
  }
  return Object.fromEntries(out);
}

/** {@link parseConstants}'s text for `constants`. */
export function constantsText(constants: Readonly<Record<string, ConstantValue>> | null): string | null {
  return constants === null
    ? null
    : Object.entries(constants)
        .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(' ') : value}`)
        .join(',');
}

/** Reads {@link ModelSettings} from a query string. */
export function readSettings(search: string): ModelSettings {
  const q = new URLSearchParams(search);
  const labels = q.get('labels');
  return {
    model: q.get('model') || null,
    normalization: q.get('normalization') || null,
    mean: parseNumbers(q.get('mean')),
    std: parseNumbers(q.get('std')),
    min: parseNumbers(q.get('min')),
    max: parseNumbers(q.get('max')),
    labels:
      labels === null || labels === ''
        ? null
        : /\.(txt|json)$/i.test(labels)
          ? labels
          : labels.split(',').map((s) => s.trim()),
    size: parseSize(q.get('size')),
    output: q.get('output') || null,
    input: q.get('input') || null,
    constants: parseConstants(q.get('constants')),
    layer: q.get('layer') || null,
  };
}

/** Writes {@link ModelSettings} into a query string (keeping other parameters such as `backend`). */
export function writeSettings(search: string, s: ModelSettings): string {
  const q = new URLSearchParams(search);
  const set = (k: string, v: string | null) => (v === null || v === '' ? q.delete(k) : q.set(k, v));
  set('model', s.model);
  set('normalization', s.normalization);
  set('mean', s.mean?.join(',') ?? null);
  set('std', s.std?.join(',') ?? null);
  set('min', s.min?.join(',') ?? null);
  set('max', s.max?.join(',') ?? null);
  set('labels', s.labels === null ? null : typeof s.labels === 'string' ? s.labels : s.labels.join(','));
  set('size', s.size ? `${s.size[0]}x${s.size[1]}` : null);
  set('output', s.output);
  set('input', s.input);
  set('constants', constantsText(s.constants));
  set('layer', s.layer);
  const out = q.toString();
  return out ? `?${out}` : '';
}
