/**
 * Activation explorer: MATLAB's "Visualize Activations of a Convolutional Neural Network" walkthrough as a page.
 *
 * Pick an image, pick a layer, see every channel tiled (mat2gray + imtile), click a channel to see it resized over the
 * image, dream an image the channel responds to most, flip between the pre- and post-ReLU layer, jump to the strongest
 * channel, and run the closed-eye comparison.
 * `?backend=webgpu|webgl|wasm|cpu` forces a backend; otherwise the library picks the first that starts.
 *
 * Any model: `?model=<model.json URL>&normalization=<MATLAB's name>` (with `mean`, `std`, `min`, `max`, `labels`,
 * `size`, `output`, `input`, `constants`) opens a Keras or converted TensorFlow model instead of SqueezeNet, and the
 * "Your model" panel writes those parameters, so that a link reproduces the view. Model files dropped on that panel
 * open without a link.
 *
 * The page exposes `window.__explorer` for the end-to-end tests (test/e2e/browser.test.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BACKEND_NAMES,
  activations,
  analyzeNetwork,
  classify,
  deepDreamImage,
  gradCAM,
  gradientAttribution,
  heatmapOverlay,
  imageLIME,
  imagesc,
  importNetwork,
  occlusionSensitivity,
  describeBackend,
  imread,
  imresize,
  imshow,
  imtile,
  initBackend,
  mat2gray,
  maxChannelIndex,
  rgb2gray,
  squeezenet,
  uint8,
  type BackendChoice,
  type BackendName,
  type Network,
} from 'cnn-activations';
import {
  cellRect,
  channelAt,
  channelLabel,
  constantsText,
  formatMs,
  gridFor,
  jet,
  type ModelSettings,
  parseConstants,
  parseNumbers,
  parseSize,
  readSettings,
  reluPair,
  type GridLayout,
  writeSettings,
} from './layout.js';

// ---------------------------------------------------------------------------------------------------------------
// Page elements
// ---------------------------------------------------------------------------------------------------------------
const $ = <T extends HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`explorer: #${id} is missing from index.html`);
  return el as T;
};
const ui = {
  backend: $('backend'),
  status: $('status'),
  drop: $('drop'),
  file: $<HTMLInputElement>('file'),
  sample: $<HTMLSelectElement>('sample'),
  inputCanvas: $<HTMLCanvasElement>('input-canvas'),
  imageInfo: $('image-info'),
  classes: $('classes'),
  layersSummary: $('layers-summary'),
  layersBody: $('layers').querySelector('tbody') as HTMLTableSectionElement,
  gridLayer: $('grid-layer'),
  preRelu: $<HTMLButtonElement>('pre-relu'),
  postRelu: $<HTMLButtonElement>('post-relu'),
  strongest: $<HTMLButtonElement>('strongest'),
  gridInfo: $('grid-info'),
  gridCanvas: $<HTMLCanvasElement>('grid-canvas'),
  gridHover: $('grid-hover'),
  gridSelected: $('grid-selected'),
  gridHoverLabel: $('grid-hover-label'),
  channelTitle: $('channel-title'),
  channelEmpty: $('channel-empty'),
  channelView: $('channel-view'),
  channelInfo: $('channel-info'),
  opacity: $<HTMLInputElement>('opacity'),
  channelCanvas: $<HTMLCanvasElement>('channel-canvas'),
  overlayCanvas: $<HTMLCanvasElement>('overlay-canvas'),
  dream: $<HTMLButtonElement>('dream'),
  dreamCancel: $<HTMLButtonElement>('dream-cancel'),
  dreamProgress: $<HTMLProgressElement>('dream-progress'),
  dreamFigure: $('dream-figure'),
  dreamCanvas: $<HTMLCanvasElement>('dream-canvas'),
  dreamCaption: $('dream-caption'),
  compare: $<HTMLButtonElement>('compare'),
  compareInfo: $('compare-info'),
  compareCanvas: $<HTMLCanvasElement>('compare-canvas'),
  timings: $('timings').querySelector('tbody') as HTMLTableSectionElement,
  subtitle: $('subtitle'),
  comparePanel: $('compare-panel'),
  modelForm: $<HTMLFormElement>('model-form'),
  modelUrl: $<HTMLInputElement>('model-url'),
  modelFiles: $<HTMLInputElement>('model-files'),
  modelNorm: $<HTMLSelectElement>('model-normalization'),
  modelMean: $<HTMLInputElement>('model-mean'),
  modelStd: $<HTMLInputElement>('model-std'),
  modelLabels: $<HTMLInputElement>('model-labels'),
  modelSize: $<HTMLInputElement>('model-size'),
  modelOutput: $<HTMLInputElement>('model-output'),
  modelInput: $<HTMLInputElement>('model-input'),
  modelConstants: $<HTMLInputElement>('model-constants'),
  modelInfo: $('model-info'),
  modelKeep: $<HTMLButtonElement>('model-keep'),
  explainClass: $<HTMLSelectElement>('explain-class'),
  explainGradcam: $<HTMLButtonElement>('explain-gradcam'),
  explainGradient: $<HTMLButtonElement>('explain-gradient'),
  explainGuided: $<HTMLButtonElement>('explain-guided'),
  explainOcclusion: $<HTMLButtonElement>('explain-occlusion'),
  explainLime: $<HTMLButtonElement>('explain-lime'),
  explainSamples: $<HTMLInputElement>('explain-samples'),
  explainCancel: $<HTMLButtonElement>('explain-cancel'),
  explainProgress: $<HTMLProgressElement>('explain-progress'),
  explainInfo: $('explain-info'),
  explainCanvas: $<HTMLCanvasElement>('explain-canvas'),
};

// ---------------------------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------------------------
/** The network's input size: images of another size are resized to it (bicubic imresize) before they go in. */
const netSize = (): [number, number] => (state.net ? [state.net.inputSize[0], state.net.inputSize[1]] : [227, 227]);
const DEFAULT_LAYER = 'conv1';
/** A user's model from the page's address, if any. */
const settings: ModelSettings = readSettings(location.search);
const COMPARE_LAYER = 'fire6-relu_squeeze1x1';
const COMPARE_CHANNELS = [13, 46]; // MATLAB's channels 14 and 47

interface State {
  choice: BackendChoice | null;
  net: Network | null;
  /** The network's input: int32 [227, 227, 3]. */
  image: tf.Tensor | null;
  imageName: string;
  /** The input image's RGBA pixels, for the overlay. */
  imageRgba: ImageData | null;
  layer: string;
  /** Activations of `layer` for `image`: float32 [h, w, c]. */
  act: tf.Tensor | null;
  grid: GridLayout | null;
  channel: number | null;
  /** The selected channel, mat2gray'd and resized to the image: float32 [227, 227], for the overlay. */
  channelPixels: Float32Array | null;
}
const state: State = {
  choice: null,
  net: null,
  image: null,
  imageName: '',
  imageRgba: null,
  layer: DEFAULT_LAYER,
  act: null,
  grid: null,
  channel: null,
  channelPixels: null,
};
const errors: string[] = [];

// ---------------------------------------------------------------------------------------------------------------
// Status, timings, a queue so that clicks never overlap a computation
// ---------------------------------------------------------------------------------------------------------------
function setStatus(text: string, kind: 'info' | 'error' = 'info') {
  ui.status.textContent = text;
  ui.status.dataset.kind = kind;
}

const timings = new Map<string, { last: number; first: number; count: number }>();
function record(label: string, ms: number) {
  const t = timings.get(label);
  timings.set(label, t ? { last: ms, first: t.first, count: t.count + 1 } : { last: ms, first: ms, count: 1 });
  ui.timings.replaceChildren(
    ...[...timings].map(([name, v]) => {
      const tr = document.createElement('tr');
      const what = document.createElement('td');
      what.textContent = name;
      const value = document.createElement('td');
      value.textContent = formatMs(v.last);
      value.title = v.count > 1 ? `first ${formatMs(v.first)}, ${v.count} runs` : 'first run';
      tr.append(what, value);
      return tr;
    }),
  );
}

/** Runs one step of the pipeline, records how long it took (GPU work included: each step ends on a read-back). */
async function timed<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await fn();
  record(label, performance.now() - t0);
  return out;
}

let queue: Promise<void> = Promise.resolve();
/** Queues an action after the ones before it; an error is shown in the status line and does not stop the queue. */
function enqueue(label: string, fn: () => Promise<void>): Promise<void> {
  const run = queue.then(async () => {
    setStatus(`${label}…`);
    document.body.dataset.busy = 'true';
    try {
      await fn();
      setStatus(`${label}: done.`);
    } catch (err) {
      if (err instanceof Cancelled) {
        setStatus(`${label}: cancelled.`);
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      errors.push(`${label}: ${message}`);
      setStatus(`${label} failed: ${message}`, 'error');
      console.error(err);
    } finally {
      delete document.body.dataset.busy;
    }
  });
  queue = run;
  return run;
}

// ---------------------------------------------------------------------------------------------------------------
// Backend and network
// ---------------------------------------------------------------------------------------------------------------
function forcedBackend(): BackendName | undefined {
  const asked = new URLSearchParams(location.search).get('backend');
  if (asked === null || asked === '') return undefined;
  if (!(BACKEND_NAMES as readonly string[]).includes(asked)) {
    throw new Error(`?backend=${asked} is not one of ${BACKEND_NAMES.join(', ')}`);
  }
  return asked as BackendName;
}

function adapterText(choice: BackendChoice): string {
  const a = choice.adapter;
  if (!a) return '';
  const name = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  const kind = a.isFallbackAdapter ? 'software fallback adapter' : a.software ? 'software adapter' : 'hardware adapter';
  return `${name || 'unnamed adapter'} (${kind})`;
}

function showBackend(choice: BackendChoice) {
  ui.backend.dataset.state = 'ready';
  ui.backend.querySelector('.backend-name')!.textContent = `backend: ${choice.backend}`;
  const adapter = adapterText(choice);
  ui.backend.querySelector('.backend-adapter')!.textContent = adapter && `adapter: ${adapter}`;
  ui.backend.querySelector('.backend-detail')!.textContent = choice.reason;
  ui.backend.title = choice.skipped.length
    ? `Passed over: ${choice.skipped.map((s) => `${s.backend} (${s.reason})`).join('; ')}`
    : 'No backend was passed over.';
}

async function startBackend(): Promise<BackendChoice> {
  const backend = forcedBackend();
  // The wasm backend fetches its .wasm binaries from here (the vite config serves and copies them).
  const wasmPaths = new URL('wasm/', document.baseURI).href;
  const choice = await timed('start backend', () => initBackend(backend ? { backend, wasmPaths } : { wasmPaths }));
  state.choice = choice;
  showBackend(choice);
  return choice;
}

/** Numbers typed for a normalization: one value holds for every channel. */
const oneForAll = (values: number[]): number | number[] => (values.length === 1 ? values[0] : values);

/** A user's model, from a model.json URL or from dropped files, with the scaling and classes the settings say. */
async function importUserModel(source: string | File[], s: ModelSettings): Promise<Network> {
  // Dropped or chosen files go as they are: importNetwork finds the model.json and the weight files it lists.
  const urlOrFiles = typeof source === 'string' ? new URL(source, document.baseURI).href : source;
  // A labels file dropped with the model (one .txt file, or the metadata.json of a Teachable Machine export) names its
  // classes unless the settings name them.
  const droppedLabels =
    typeof source === 'string' ? [] : source.filter((f) => f.name.endsWith('.txt') || f.name === 'metadata.json');
  const labels =
    typeof s.labels === 'string'
      ? new URL(s.labels, document.baseURI).href
      : (s.labels ?? (droppedLabels.length === 1 ? droppedLabels[0] : undefined));
  return importNetwork(urlOrFiles, {
    normalization: (s.normalization ?? undefined) as never,
    ...(s.mean ? { mean: oneForAll(s.mean) } : {}),
    ...(s.std ? { standardDeviation: oneForAll(s.std) } : {}),
    ...(s.min ? { min: oneForAll(s.min) } : {}),
    ...(s.max ? { max: oneForAll(s.max) } : {}),
    ...(labels ? { classNames: labels } : {}),
    ...(s.size ? { inputSize: s.size } : {}),
    ...(s.output ? { output: s.output } : {}),
    ...(s.input ? { input: s.input } : {}),
    ...(s.constants ? { constantInputs: s.constants } : {}),
    onProgress: (f) => setStatus(`Loading the model… ${Math.round(f * 100)}%`),
  });
}

async function loadNetwork(userFiles?: File[]): Promise<Network> {
  const user = userFiles ?? settings.model;
  const net = await timed('load network', () =>
    user
      ? importUserModel(user, settings)
      : squeezenet({
          modelUrl: new URL('model/squeezenet_v1.1/model.json', document.baseURI).href,
          onProgress: (f) => setStatus(`Loading SqueezeNet… ${Math.round(f * 100)}%`),
        }),
  );
  state.net?.dispose();
  state.net = net;
  // SqueezeNet, from its loader or from its model.json given as "your model" (importNetwork reads it as the loader does).
  const builtIn = net.kind === 'built-in' && net.name === 'squeezenet';
  const kind = { 'built-in': 'cnn-activations', 'graph-model': 'converted TensorFlow', 'layers-model': 'Keras' };
  ui.subtitle.textContent = builtIn
    ? "SqueezeNet v1.1 with MATLAB's weights and layer names, in your browser"
    : `${net.name}: a ${kind[net.kind]} model, ${net.layers.length} layers, input ${net.inputSize.join('×')}, normalization '${net.normalization.type}'`;
  // The closed-eye comparison is SqueezeNet's walkthrough; a user's model has its own layers.
  ui.comparePanel.hidden = !builtIn;
  const first = net.layers.find((l) => l.type === 'Convolution') ?? net.layers[1] ?? net.layers[0];
  // A layer, or a further output of a layer of several ('name:k'), as the table lists them.
  const outputs = net.layers.flatMap((l) => l.outputSizes.slice(1).map((_, k) => `${l.name}:${k + 1}`));
  const asked = settings.layer && [...net.layerNames, ...outputs].includes(settings.layer) ? settings.layer : null;
  state.layer = asked ?? (builtIn ? DEFAULT_LAYER : first.name);
  renderLayerTable(net);
  return net;
}

function renderLayerTable(net: Network) {
  const analysis = analyzeNetwork(net);
  const x = (a: readonly number[]) => (a.length === 0 ? '1' : a.join('×')); // one number (size []) is 1
  ui.layersSummary.textContent = `${analysis.layers.length} layers · ${analysis.totalLearnables.toLocaleString('en')} learnables · input ${x(analysis.inputSize)} · click a row`;
  const tableRow = (name: string, cells: string[], title: string) => {
    const tr = document.createElement('tr');
    tr.dataset.layer = name;
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    tr.title = title;
    tr.addEventListener('click', () => void selectLayer(name));
    return tr;
  };
  ui.layersBody.replaceChildren(
    ...analysis.layers.flatMap((row) => {
      const learnables = Object.entries(row.learnables);
      const title =
        learnables.length > 0
          ? `${row.description}\n${row.numLearnables.toLocaleString('en')} learnables: ${learnables.map(([k, v]) => `${k} ${x(v)}`).join(', ')}`
          : row.description;
      const layer = net.layers[row.index];
      // A layer of several outputs (a channel split): a row for each further output, 'name:k' to activations.
      const more = layer.outputSizes.slice(1).map((size, i) => {
        const name = `${row.name}:${i + 1}`;
        return tableRow(name, ['', name, row.type, x(size)], `output ${i + 1} of ${row.name} (0-based)`);
      });
      return [tableRow(row.name, [String(row.matlabIndex), row.name, row.type, x(row.activations)], title), ...more];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Image
// ---------------------------------------------------------------------------------------------------------------
/**
 * Reads an image and makes it the network's input: int32 [227, 227, 3] (resized with bicubic imresize if needed), or
 * gray (MATLAB's rgb2gray) for a model of gray images.
 */
async function readImage(source: string | Blob): Promise<{ image: tf.Tensor; note: string }> {
  const raw = await imread(source);
  const [h, w] = raw.shape;
  const [H, W] = netSize();
  const gray = state.net?.inputSize[2] === 1 && raw.rank === 3 && raw.shape[2] === 3;
  const image = tf.tidy(() => {
    const sized = h === H && w === W ? raw.clone() : imresize(raw, [H, W]);
    return gray ? rgb2gray(sized) : sized;
  });
  raw.dispose();
  const note = h === H && w === W ? `${w}×${h}` : `${w}×${h}, resized to ${W}×${H}`;
  return { image, note: gray ? `${note}, made gray` : note };
}

async function setImage(source: string | Blob, name: string) {
  const { image, note } = await timed('read image', () => readImage(source));
  state.image?.dispose();
  state.image = image;
  state.imageName = name;
  await imshow(image, ui.inputCanvas);
  const ctx = ui.inputCanvas.getContext('2d')!;
  state.imageRgba = ctx.getImageData(0, 0, ui.inputCanvas.width, ui.inputCanvas.height);
  ui.imageInfo.textContent = `${name} · ${note}`;
  await showClasses();
  await showLayer(state.layer, state.channel);
}

/**
 * Whether the network ends in one score per class (`[c]` or `[1, 1, c]`, or `[]`: one number per image), which
 * classify and Grad-CAM need.
 */
function endsInClassScores(net: Network): boolean {
  const out = net.layers[net.layers.length - 1].outputSize;
  return out.length <= 1 || (out.length === 3 && out[0] === 1 && out[1] === 1);
}

async function showClasses() {
  const net = state.net!;
  const classifier = endsInClassScores(net);
  if (!classifier) {
    // A detector, pose or segmentation model: its layers are still worth exploring; there are just no classes.
    // A channel of its output, summed over it, is explained instead (MATLAB's channelIdx; Grad-CAM's reductionFcn).
    const last = net.layers[net.layers.length - 1];
    const channels = last.outputSize[last.outputSize.length - 1] ?? 1;
    const li = document.createElement('li');
    li.className = 'meta';
    li.textContent =
      `No classes: the output '${last.name}' is ${last.outputSize.join('×')}, not one score per class; ` +
      `Grad-CAM, occlusion and LIME explain one of its ${channels} channels, summed over it.`;
    ui.classes.replaceChildren(li);
    ui.explainClass.replaceChildren(
      ...Array.from({ length: Math.min(channels, 1024) }, (_, k) => {
        const option = document.createElement('option');
        option.value = String(k);
        option.textContent = `channel ${k} (MATLAB ${k + 1})`;
        return option;
      }),
    );
    return;
  }
  // One output value (a regression, a binary classifier's logit or probability) is shown as it is: a softmax of one
  // value is always 1, which classify refuses unless told not to take one.
  const oneValue = net.layers[net.layers.length - 1].outputSize.reduce((a, b) => a * b, 1) === 1;
  const top = await timed('classify', () => classify(net, state.image!, undefined, oneValue ? { softmax: false } : {}));
  const shown = (score: number) => (oneValue ? score.toPrecision(4) : `${(score * 100).toFixed(1)}%`);
  ui.explainClass.replaceChildren(
    ...top.map((c) => {
      const option = document.createElement('option');
      option.value = String(c.index);
      option.textContent = `${c.label} (${shown(c.score)})`;
      return option;
    }),
  );
  ui.classes.replaceChildren(
    ...top.map((c) => {
      const li = document.createElement('li');
      const label = document.createElement('span');
      label.textContent = c.label;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = shown(c.score);
      li.append(label, score);
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Long runs: a progress bar and a Cancel button
// ---------------------------------------------------------------------------------------------------------------
/** The runs under way, by their Cancel button. */
const running = new Map<HTMLButtonElement, AbortController>();

/** A run stopped by its Cancel button: the page says so, and it is no error. */
class Cancelled extends Error {}

/** Runs `run` with its Cancel button live and its progress bar shown, both put back when it ends, however. */
async function withProgress<T>(
  cancel: HTMLButtonElement,
  bar: HTMLProgressElement,
  run: (watch: { signal: AbortSignal; onProgress: (fraction: number) => void }) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  running.set(cancel, controller);
  cancel.disabled = false;
  bar.hidden = false;
  bar.value = 0;
  try {
    return await run({
      signal: controller.signal,
      onProgress: (f) => {
        bar.value = f;
      },
    });
  } catch (err) {
    if (controller.signal.aborted) throw new Cancelled('cancelled', { cause: err });
    throw err;
  } finally {
    running.delete(cancel);
    cancel.disabled = true;
    bar.hidden = true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Why this class: Grad-CAM, the pixels' gradient, occlusion sensitivity, LIME
// ---------------------------------------------------------------------------------------------------------------
type ExplainMethod = 'gradCAM' | 'gradient' | 'guided-backprop' | 'occlusionSensitivity' | 'imageLIME';
let lastExplanation: {
  method: ExplainMethod;
  classIndex: number;
  mapShape: number[];
  min: number;
  max: number;
} | null = null;

/**
 * Computes one method's map for the chosen class and draws it as MATLAB shows it: over the image (jet, alpha 0.5), or,
 * for a pixel's gradient, in gray (`imshow(map)`).
 */
async function explain(method: ExplainMethod) {
  const net = state.net!;
  const image = state.image!;
  const classIndex = Number(ui.explainClass.value || 0);
  const pixels = method === 'gradient' || method === 'guided-backprop';
  await withProgress(ui.explainCancel, ui.explainProgress, async (watch) => {
    const map = await timed(method, async () => {
      if (method === 'gradCAM' || pixels) {
        // The chosen class; for another output, the chosen channel summed over it, per image (MATLAB's gradCAM
        // takes such a reductionFcn).
        const total = (out: tf.Tensor) =>
          tf.sum(
            tf.gather(out, classIndex, out.rank - 1),
            Array.from({ length: out.rank - 2 }, (_, i) => i + 1),
          );
        const [cls, score] = endsInClassScores(net) ? [classIndex, {}] : [null, { reductionFcn: total }];
        if (method === 'gradCAM') return (await gradCAM(net, image, cls, { ...score, ...watch })).map;
        const how = method === 'gradient' ? 'autodiff' : 'guided-backprop';
        return (await gradientAttribution(net, image, cls, { method: how, ...score, ...watch })).map;
      }
      if (method === 'occlusionSensitivity') {
        return occlusionSensitivity(net, image, classIndex, watch);
      }
      const numSamples = Math.max(16, Number(ui.explainSamples.value) || 2048);
      const r = await imageLIME(net, image, classIndex, { numSamples, seed: 1, ...watch });
      r.featureMap.dispose();
      return r.scoreMap;
    });
    try {
      const values = (await map.data()) as Float32Array;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const overlay = pixels
        ? imagesc(map, { colormap: 'gray' })
        : heatmapOverlay(image, map, { alpha: 0.5, colormap: 'jet' });
      try {
        ui.explainCanvas.hidden = false;
        await imshow(overlay, ui.explainCanvas);
      } finally {
        overlay.dispose();
      }
      const label = ui.explainClass.selectedOptions[0]?.textContent ?? String(classIndex);
      ui.explainInfo.textContent = `${method} for ${label} · map ${map.shape.join('×')} · min ${lo.toPrecision(3)}, max ${hi.toPrecision(3)}`;
      lastExplanation = { method, classIndex, mapShape: [...map.shape], min: lo, max: hi };
    } finally {
      map.dispose();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// What a channel responds to: deep dream
// ---------------------------------------------------------------------------------------------------------------
let lastDream: { layer: string; channel: number; shape: number[]; seconds: number } | null = null;

/**
 * MATLAB's deepDreamImage of the selected channel at its defaults (3 pyramid levels, 10 iterations each): an image it
 * responds to most, grown from noise, shown beside the channel.
 */
async function dreamChannel() {
  const net = state.net!;
  const layer = state.layer;
  const k = state.channel;
  if (k === null) throw new Error('no channel selected: click one in the grid first');
  await withProgress(ui.dreamCancel, ui.dreamProgress, async (watch) => {
    const started = performance.now();
    const images = await timed('deep dream', () => deepDreamImage(net, layer, k, watch));
    const seconds = (performance.now() - started) / 1000;
    try {
      const first = tf.tidy(() => tf.squeeze(images, [0]));
      try {
        await imshow(first, ui.dreamCanvas);
      } finally {
        first.dispose();
      }
      ui.dreamFigure.hidden = false;
      // MATLAB: I = deepDreamImage(net, layer, k + 1); imshow(I)
      ui.dreamCaption.textContent =
        `deepDreamImage(net, '${layer}', ${k}): what ${channelLabel(k)} responds to most, ` +
        `grown from noise in ${seconds.toFixed(1)} s`;
      lastDream = { layer, channel: k, shape: [...images.shape], seconds };
    } finally {
      images.dispose();
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Layer grid
// ---------------------------------------------------------------------------------------------------------------
function updateReluToggle() {
  const pair = state.net ? reluPair(state.layer, state.net.layerNames) : null;
  ui.preRelu.disabled = !pair;
  ui.postRelu.disabled = !pair;
  ui.preRelu.setAttribute('aria-pressed', String(!!pair && state.layer === pair.pre));
  ui.postRelu.setAttribute('aria-pressed', String(!!pair && state.layer === pair.post));
  ui.preRelu.title = pair ? pair.pre : 'this layer has no ReLU partner';
  ui.postRelu.title = pair ? pair.post : 'this layer has no ReLU partner';
}

/** Computes the activations of `layer`, tiles every channel (mat2gray over the whole layer, imtile) and draws them. */
async function showLayer(layer: string, keepChannel: number | null = null) {
  const net = state.net!;
  const image = state.image!;
  const act = await timed(`activations ${layer}`, async () => {
    const raw = activations(net, image, layer);
    // A vector layer (fully connected, pooled) is shown as 1×1 channels.
    const a = raw.rank === 3 ? raw : tf.tidy(() => tf.reshape(raw, [1, 1, -1]));
    if (a !== raw) raw.dispose();
    await a.data(); // wait for the device: the time is the layer's, not the next step's
    return a;
  });
  if (settings.model) {
    settings.layer = layer;
    history.replaceState(null, '', writeSettings(location.search, settings));
  }
  state.act?.dispose();
  state.act = act;
  state.layer = layer;
  const [h, w, c] = act.shape;
  const grid = gridFor(layer, c, h, w);
  state.grid = grid;
  await timed('mat2gray + imtile + draw', async () => {
    // MATLAB: imtile(mat2gray(act), 'GridSize', [rows cols]); mat2gray scales the whole layer at once, and
    // imtile takes an [h, w, c] tensor as c gray frames.
    const tiled = tf.tidy(() => imtile(mat2gray(act), { gridSize: [grid.rows, grid.cols] }));
    try {
      await imshow(tiled, ui.gridCanvas);
    } finally {
      tiled.dispose();
    }
  });
  const data = (await act.data()) as Float32Array;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  ui.gridLayer.textContent = layer;
  ui.gridInfo.textContent = `${h}×${w}×${c} · ${grid.rows}×${grid.cols} grid · min ${lo.toPrecision(4)}, max ${hi.toPrecision(4)}`;
  for (const tr of ui.layersBody.querySelectorAll('tr')) {
    tr.setAttribute('aria-selected', String(tr.dataset.layer === layer));
  }
  ui.layersBody
    .querySelector<HTMLElement>(`tr[data-layer="${CSS.escape(layer)}"]`)
    ?.scrollIntoView({ block: 'nearest' });
  updateReluToggle();
  ui.gridHover.hidden = true;
  const channel = keepChannel !== null && keepChannel < c ? keepChannel : null;
  if (channel !== null) await showChannel(channel);
  else clearChannel();
}

function placeBox(box: HTMLElement, k: number | null) {
  const grid = state.grid;
  if (!grid || k === null) {
    box.hidden = true;
    return;
  }
  const r = cellRect(grid, k);
  const sx = ui.gridCanvas.clientWidth / ui.gridCanvas.width;
  const sy = ui.gridCanvas.clientHeight / ui.gridCanvas.height;
  Object.assign(box.style, {
    left: `${r.x * sx}px`,
    top: `${r.y * sy}px`,
    width: `${r.w * sx}px`,
    height: `${r.h * sy}px`,
  });
  box.hidden = false;
}

/** The channel under a mouse event on the grid canvas. */
function channelFromEvent(ev: MouseEvent): number | null {
  if (!state.grid) return null;
  const rect = ui.gridCanvas.getBoundingClientRect();
  const x = ((ev.clientX - rect.left) * ui.gridCanvas.width) / rect.width;
  const y = ((ev.clientY - rect.top) * ui.gridCanvas.height) / rect.height;
  return channelAt(state.grid, Math.floor(x), Math.floor(y));
}

// ---------------------------------------------------------------------------------------------------------------
// One channel
// ---------------------------------------------------------------------------------------------------------------
function clearChannel() {
  state.channel = null;
  state.channelPixels = null;
  placeBox(ui.gridSelected, null);
  ui.channelTitle.textContent = 'Channel';
  ui.channelInfo.textContent = '';
  ui.channelView.hidden = true;
  ui.channelEmpty.hidden = false;
}

/** Shows channel k of the current layer: mat2gray of that channel alone, bicubic-resized to the image, and over it. */
async function showChannel(k: number) {
  const act = state.act!;
  const [ih, iw] = state.image!.shape;
  const [h, w] = act.shape;
  state.channel = k;
  await timed('channel view', async () => {
    // MATLAB: ch = mat2gray(act(:,:,:,k)); ch = imresize(ch, imgSize); imshow(imtile({im, ch})).
    const { resized, pair } = tf.tidy(() => {
      const ch = tf.reshape(tf.slice(act, [0, 0, k], [h, w, 1]), [h, w]);
      const resized = imresize(mat2gray(ch), [ih, iw]);
      return { resized, pair: imtile([state.image!, resized]) };
    });
    try {
      await imshow(pair, ui.channelCanvas);
      state.channelPixels = (await resized.data()) as Float32Array;
    } finally {
      resized.dispose();
      pair.dispose();
    }
    drawOverlay();
  });
  const channel = tf.slice(act, [0, 0, k], [h, w, 1]);
  const values = (await channel.data()) as Float32Array;
  channel.dispose();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  placeBox(ui.gridSelected, k);
  ui.channelView.hidden = false;
  ui.channelEmpty.hidden = true;
  // A dream shown belongs to the channel it was dreamt for.
  if (lastDream && (lastDream.layer !== state.layer || lastDream.channel !== k)) ui.dreamFigure.hidden = true;
  ui.channelTitle.textContent = `${state.layer}, ${channelLabel(k)}`;
  ui.channelInfo.textContent = `${h}×${w} → ${ih}×${iw} · min ${lo.toPrecision(4)}, max ${hi.toPrecision(4)}`;
}

/** The image with the selected channel on top, through MATLAB's jet colour map at the chosen opacity. */
function drawOverlay() {
  const rgba = state.imageRgba;
  const px = state.channelPixels;
  if (!rgba || !px || px.length !== rgba.width * rgba.height) return;
  const alpha = Number(ui.opacity.value);
  const out = new ImageData(rgba.width, rgba.height);
  for (let i = 0; i < px.length; i++) {
    const [r, g, b] = jet(px[i]);
    out.data[4 * i] = (1 - alpha) * rgba.data[4 * i] + alpha * r;
    out.data[4 * i + 1] = (1 - alpha) * rgba.data[4 * i + 1] + alpha * g;
    out.data[4 * i + 2] = (1 - alpha) * rgba.data[4 * i + 2] + alpha * b;
    out.data[4 * i + 3] = 255;
  }
  ui.overlayCanvas.width = rgba.width;
  ui.overlayCanvas.height = rgba.height;
  ui.overlayCanvas.getContext('2d')!.putImageData(out, 0, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// The walkthrough's closed-eye comparison
// ---------------------------------------------------------------------------------------------------------------
/** One compared channel's response at each eye, open image vs closed image (see {@link eyeResponses}). */
export interface EyeResponse {
  /** MATLAB's channel number. */
  channel: number;
  /** At the painted-closed eye (left half of the picture): [open image, closed image]. */
  closedEye: [number, number];
  /** At the other eye, open in both pictures (right half): [open image, closed image]. */
  openEye: [number, number];
}

/**
 * How each compared channel responds at the two eyes. The eyes are located on the open-eye image: in each half of
 * the map, the cell where the channel is strongest. The closed-eye image is read at the same cells.
 */
async function eyeResponses(actOpen: tf.Tensor, actClosed: tf.Tensor): Promise<EyeResponse[]> {
  const [h, w] = actOpen.shape;
  const pick = (a: tf.Tensor) => tf.tidy(() => tf.gather(a, COMPARE_CHANNELS, 2)); // [h, w, 2]
  const [po, pc] = [pick(actOpen), pick(actClosed)];
  const [o, c] = [(await po.data()) as Float32Array, (await pc.data()) as Float32Array];
  tf.dispose([po, pc]);
  const n = COMPARE_CHANNELS.length;
  return COMPARE_CHANNELS.map((k, i) => {
    const peak = (x0: number, x1: number) => {
      let best = -1;
      for (let y = 0; y < h; y++) {
        for (let x = x0; x < x1; x++) {
          const at = (y * w + x) * n + i;
          if (best < 0 || o[at] > o[best]) best = at;
        }
      }
      return best;
    };
    const half = Math.ceil(w / 2);
    const [left, right] = [peak(0, half), peak(half, w)];
    return { channel: k + 1, closedEye: [o[left], c[left]], openEye: [o[right], c[right]] };
  });
}

let lastComparison: EyeResponse[] = [];

async function runComparison() {
  const net = state.net!;
  const [open, closed] = await timed('read comparison images', async () => [
    (await readImage(new URL('images/face.png', document.baseURI).href)).image,
    (await readImage(new URL('images/face-eye-closed.png', document.baseURI).href)).image,
  ]);
  try {
    await timed('closed-eye comparison', async () => {
      const actOpen = activations(net, open, COMPARE_LAYER); // [14, 14, 48]
      const actClosed = activations(net, closed, COMPARE_LAYER);
      const [ih, iw] = open.shape;
      const tiled = tf.tidy(() => {
        // MATLAB: channels = repmat(imresize(mat2gray(act(:,:,:,[14 47])), imgSize), [1 1 3]), then
        // imtile(cat(4, im, channelsOpen*255, imClosed, channelsClosed*255)): uint8 frames in a 2×3 grid.
        const channels = (a: tf.Tensor) => {
          const frames = tf.expandDims(tf.transpose(tf.gather(a, COMPARE_CHANNELS, 2), [2, 0, 1]), 3); // [2, 14, 14, 1]
          const scaled = imresize(mat2gray(frames), [ih, iw]); // [2, 227, 227, 1], scaled together
          return uint8(tf.mul(tf.tile(scaled, [1, 1, 1, 3]), 255));
        };
        const frames = tf.concat(
          [tf.expandDims(open, 0), channels(actOpen), tf.expandDims(closed, 0), channels(actClosed)],
          0,
        );
        return imtile(frames, { gridSize: [2, 3] });
      });
      try {
        ui.compareCanvas.hidden = false;
        await imshow(tiled, ui.compareCanvas);
      } finally {
        tiled.dispose();
      }
      lastComparison = await eyeResponses(actOpen, actClosed);
      actOpen.dispose();
      actClosed.dispose();
      const change = ([a, b]: [number, number]) => {
        const pct = Math.round(((b - a) / a) * 100);
        return `${a.toFixed(0)} → ${b.toFixed(0)} (${pct > 0 ? '+' : pct < 0 ? '−' : '±'}${Math.abs(pct)}%)`;
      };
      ui.compareInfo.replaceChildren(
        ...lastComparison.map((r) => {
          const li = document.createElement('li');
          li.textContent = `channel ${r.channel}: at the closed eye ${change(r.closedEye)}; at the open eye ${change(r.openEye)}`;
          return li;
        }),
      );
    });
  } finally {
    open.dispose();
    closed.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------------------------------
function selectLayer(layer: string): Promise<void> {
  return enqueue(`Layer ${layer}`, () => showLayer(layer));
}

function selectChannel(k: number): Promise<void> {
  return enqueue(`${state.layer}, ${channelLabel(k)}`, () => showChannel(k));
}

function selectImage(source: string | Blob, name: string): Promise<void> {
  if (typeof source !== 'string') ui.sample.value = ''; // "(your image)"
  return enqueue(`Image ${name}`, () => setImage(source, name));
}

function wire() {
  ui.gridCanvas.addEventListener('click', (ev) => {
    const k = channelFromEvent(ev);
    if (k !== null) void selectChannel(k);
  });
  ui.gridCanvas.addEventListener('mousemove', (ev) => {
    const k = channelFromEvent(ev);
    placeBox(ui.gridHover, k);
    ui.gridHoverLabel.textContent =
      k === null ? 'Click a channel to look at it.' : `${channelLabel(k)} — click to look at it`;
  });
  ui.gridCanvas.addEventListener('mouseleave', () => {
    ui.gridHover.hidden = true;
    ui.gridHoverLabel.textContent = 'Click a channel to look at it.';
  });
  window.addEventListener('resize', () => placeBox(ui.gridSelected, state.channel));
  const toggle = (side: 'pre' | 'post') => {
    const pair = state.net && reluPair(state.layer, state.net.layerNames);
    if (pair && pair[side] !== state.layer) {
      const target = pair[side];
      void enqueue(`Layer ${target}`, () => showLayer(target, state.channel));
    }
  };
  ui.preRelu.addEventListener('click', () => toggle('pre'));
  ui.postRelu.addEventListener('click', () => toggle('post'));
  ui.strongest.addEventListener('click', () => {
    void enqueue(`Strongest channel of ${state.layer}`, async () => {
      const best = await timed('strongest channel', () => maxChannelIndex(state.act!));
      const { index, value } = Array.isArray(best) ? best[0] : best;
      await showChannel(index);
      ui.channelInfo.textContent += ` · strongest channel of the layer (max ${value.toPrecision(4)})`;
    });
  });
  ui.opacity.addEventListener('input', drawOverlay);
  ui.dream.addEventListener(
    'click',
    () => void enqueue(`Deep dream of ${channelLabel(state.channel ?? 0)}`, dreamChannel),
  );
  ui.dreamCancel.addEventListener('click', () =>
    running.get(ui.dreamCancel)?.abort(new Error('cancelled on the page')),
  );
  ui.compare.addEventListener('click', () => void enqueue('Closed-eye comparison', runComparison));
  ui.sample.addEventListener('change', () => {
    const name = ui.sample.value;
    void selectImage(new URL(`images/${name}`, document.baseURI).href, name);
  });
  ui.file.addEventListener('change', () => {
    const f = ui.file.files?.[0];
    if (f) void selectImage(f, f.name);
  });
  ui.drop.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    ui.drop.classList.remove('over');
    const f = ev.dataTransfer?.files?.[0];
    if (f) void selectImage(f, f.name);
  });
  ui.explainGradcam.addEventListener('click', () => void enqueue('Grad-CAM', () => explain('gradCAM')));
  ui.explainGradient.addEventListener('click', () => void enqueue('Gradient', () => explain('gradient')));
  ui.explainGuided.addEventListener(
    'click',
    () => void enqueue('Guided backpropagation', () => explain('guided-backprop')),
  );
  ui.explainOcclusion.addEventListener(
    'click',
    () => void enqueue('Occlusion sensitivity', () => explain('occlusionSensitivity')),
  );
  ui.explainLime.addEventListener('click', () => void enqueue('LIME', () => explain('imageLIME')));
  ui.explainCancel.addEventListener('click', () =>
    running.get(ui.explainCancel)?.abort(new Error('cancelled on the page')),
  );
  ui.modelForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void openUserModel();
  });
  ui.modelKeep.addEventListener('click', () => void enqueue('Keeping your model', keepUserModel));
}

/** The "Your model" form as settings. */
function formSettings(): ModelSettings {
  const labels = ui.modelLabels.value.trim();
  return {
    model: ui.modelUrl.value.trim() || null,
    normalization: ui.modelNorm.value || null,
    mean: parseNumbers(ui.modelMean.value),
    std: parseNumbers(ui.modelStd.value),
    min: null,
    max: null,
    labels: labels === '' ? null : /\.(txt|json)$/i.test(labels) ? labels : labels.split(',').map((t) => t.trim()),
    size: parseSize(ui.modelSize.value),
    output: ui.modelOutput.value.trim() || null,
    input: ui.modelInput.value.trim() || null,
    constants: parseConstants(ui.modelConstants.value),
    layer: null,
  };
}

/**
 * Opens the model the form describes. A URL goes into the page's address (a link reproduces the view, so the page
 * reloads with it); dropped files open in place (they cannot be linked).
 */
async function openUserModel() {
  const next = formSettings();
  const files = [...(ui.modelFiles.files ?? [])];
  if (files.length === 0) {
    if (!next.model) {
      setStatus('Give a model.json URL, or choose the model.json and its weight files.', 'error');
      return;
    }
    location.search = writeSettings(location.search, next);
    return;
  }
  await enqueue('Opening your model', async () => {
    ui.modelKeep.hidden = true;
    if (next.normalization === null) Object.assign(next, await teachableMachineScaling(files));
    Object.assign(settings, next, { model: null });
    fillForm(settings);
    await loadNetwork(files);
    ui.modelInfo.textContent =
      `${files.map((f) => f.name).join(', ')} (files cannot be linked: host them for a link, or keep the model in ` +
      'this browser)';
    ui.modelKeep.hidden = false;
    await setImage(new URL('images/face.png', document.baseURI).href, 'face.png');
  });
}

/**
 * The scaling of a Teachable Machine export, where its metadata.json is among the files chosen (its own library divides
 * the pixels by 127 and subtracts 1, which the export does not write down); nothing otherwise. The form shows it.
 */
async function teachableMachineScaling(files: File[]): Promise<Partial<ModelSettings>> {
  const metadata = files.find((f) => f.name === 'metadata.json');
  if (!metadata || metadata.size > 1 << 20) return {};
  try {
    const json = JSON.parse(await metadata.text()) as { packageName?: unknown };
    if (json.packageName !== '@teachablemachine/image') return {};
  } catch {
    return {};
  }
  return { normalization: 'zscore', mean: [127], std: [127] };
}

/**
 * Saves the model opened from files in this browser's IndexedDB with TF.js's own `save`, and puts its
 * `indexeddb://` name into the address with the settings it was opened with, so that the address reopens it here.
 * Class names go into the address too where none holds a comma (the list's separator there).
 */
async function keepUserModel() {
  const net = state.net;
  if (!net) return;
  const url = `indexeddb://cnn-activations/${net.name}`;
  await net.model.save(url);
  const names = net.classNames;
  const labels = names.length > 0 && !names.some((n) => n.includes(',')) ? [...names] : null;
  Object.assign(settings, { model: url, labels });
  history.replaceState(null, '', writeSettings(location.search, settings));
  ui.modelKeep.hidden = true;
  ui.modelInfo.textContent = `kept in this browser as ${url}: the page's address reopens it here`;
}

/** Fills the form from the settings the page was opened with. */
function fillForm(s: ModelSettings) {
  ui.modelUrl.value = s.model ?? '';
  ui.modelNorm.value = s.normalization ?? '';
  ui.modelMean.value = s.mean?.join(',') ?? '';
  ui.modelStd.value = s.std?.join(',') ?? '';
  ui.modelLabels.value = s.labels === null ? '' : typeof s.labels === 'string' ? s.labels : s.labels.join(',');
  ui.modelSize.value = s.size ? `${s.size[0]}x${s.size[1]}` : '';
  ui.modelOutput.value = s.output ?? '';
  ui.modelInput.value = s.input ?? '';
  ui.modelConstants.value = constantsText(s.constants) ?? '';
}

// ---------------------------------------------------------------------------------------------------------------
// Test hook
// ---------------------------------------------------------------------------------------------------------------
/** What the end-to-end tests read and drive; not part of the library. */
export interface ExplorerHook {
  /** Settles once the backend, the network, face.png and the conv1 grid are up (rejects if any failed). */
  ready: Promise<void>;
  /** Settles when every queued action has finished. */
  idle(): Promise<void>;
  info(): {
    backend: string | null;
    reason: string | null;
    adapter: BackendChoice['adapter'] | null;
    skipped: BackendChoice['skipped'];
    /** The wasm backend's threads and why fewer than asked for (describeBackend), when wasm runs. */
    threads: number | null;
    threadsNote: string | null;
  };
  state(): {
    layer: string;
    channel: number | null;
    image: string;
    grid: GridLayout | null;
    tensors: number;
    network: { name: string; kind: string; layers: number; inputSize: number[] } | null;
    classes: string[];
  };
  errors: string[];
  selectLayer(name: string): Promise<void>;
  selectChannel(k: number): Promise<void>;
  compare(): Promise<void>;
  explain(method: ExplainMethod, classIndex?: number, samples?: number): Promise<void>;
  explanation(): typeof lastExplanation;
  /** Dreams the selected channel (the "Dream this channel" button). */
  dream(): Promise<void>;
  dreamt(): typeof lastDream;
  /** The grid canvas's gray levels (red channel, 0..255), base64, row-major. */
  gridPixels(): { width: number; height: number; gray: string };
  /** The numbers of the last closed-eye comparison. */
  comparison(): EyeResponse[];
  timings(): Record<string, { last: number; first: number; count: number }>;
  /** Saves the network's model with TF.js's own `save` (`'indexeddb://name'`), as a user's page would. */
  saveModel(url: string): Promise<void>;
}

function canvasGray(canvas: HTMLCanvasElement) {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
  let binary = '';
  for (let i = 0; i < width * height; i++) binary += String.fromCharCode(rgba[4 * i]);
  return { width, height, gray: btoa(binary) };
}

async function boot() {
  wire();
  fillForm(settings);
  updateReluToggle();
  clearChannel();
  await enqueue('Starting the backend', async () => {
    await startBackend();
  });
  if (!state.choice) throw new Error(errors.at(-1) ?? 'the backend did not start');
  await enqueue(settings.model ? `Loading ${settings.model}` : 'Loading SqueezeNet', async () => {
    await loadNetwork();
  });
  if (!state.net) throw new Error(errors.at(-1) ?? 'the network did not load');
  await selectImage(new URL('images/face.png', document.baseURI).href, 'face.png');
  if (!state.act) throw new Error(errors.at(-1) ?? 'face.png did not load');
  setStatus('Ready: click a layer, then a channel.');
}

const ready = boot();
ready.catch((err) => {
  ui.backend.dataset.state = state.choice ? 'ready' : 'error';
  if (!state.choice) ui.backend.querySelector('.backend-name')!.textContent = 'no backend';
  setStatus(err instanceof Error ? err.message : String(err), 'error');
});

const hook: ExplorerHook = {
  ready,
  idle: () => queue,
  info: () => ({
    backend: state.choice?.backend ?? null,
    reason: state.choice?.reason ?? null,
    adapter: state.choice?.adapter ?? null,
    skipped: state.choice?.skipped ?? [],
    threads: describeBackend().threads,
    threadsNote: describeBackend().threadsNote,
  }),
  state: () => ({
    layer: state.layer,
    channel: state.channel,
    image: state.imageName,
    grid: state.grid,
    tensors: tf.memory().numTensors,
    network: state.net
      ? {
          name: state.net.name,
          kind: state.net.kind,
          layers: state.net.layers.length,
          inputSize: [...state.net.inputSize],
        }
      : null,
    classes: [...ui.classes.querySelectorAll('li')].map((li) => li.textContent ?? ''),
  }),
  errors,
  selectLayer,
  selectChannel,
  compare: () => enqueue('Closed-eye comparison', runComparison),
  explain: (method, classIndex, samples) =>
    enqueue(method, async () => {
      if (classIndex !== undefined) ui.explainClass.value = String(classIndex);
      if (samples !== undefined) ui.explainSamples.value = String(samples);
      await explain(method);
    }),
  explanation: () => lastExplanation,
  dream: () => enqueue('Deep dream', dreamChannel),
  dreamt: () => lastDream,
  gridPixels: () => canvasGray(ui.gridCanvas),
  comparison: () => lastComparison,
  timings: () => Object.fromEntries(timings),
  saveModel: async (url) => {
    if (!state.net) throw new Error('no network is open');
    await state.net.model.save(url);
  },
};
(window as unknown as { __explorer: ExplorerHook }).__explorer = hook;
