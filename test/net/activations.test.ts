import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { activations } from '../../src/net/activations.js';
import { imresize } from '../../src/image/imresize.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import type { Network } from '../../src/net/types.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { readReference, readReferenceF32, readSharedPng } from '../helpers/images.js';
import { BACKEND } from '../helpers/backend.js';

// Tolerance against the float64 NumPy reference: 1e-4 of the layer's largest magnitude. float32 rounding through up
// to 20 convolutions (sums of up to 4,608 products) measures about 5e-7 of the magnitude on cpu and wasm; any real
// mistake (a wrong padding, a transposed kernel, a swapped concat) moves values by 1e-1 of it or more.
const REL_TOL = 1e-4;

let net: Network;
let face: tf.Tensor3D;
let closed: tf.Tensor3D;
const ref = readReference('face');

beforeAll(async () => {
  net = await squeezenet();
  face = readSharedPng('face.png');
  closed = readSharedPng('face-eye-closed.png');
});
afterAll(() => {
  net.dispose();
  tf.dispose([face, closed]);
});

/** max |a - b| over all elements. */
async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor | Float32Array): Promise<number> {
  const x = await a.data();
  const y = b instanceof tf.Tensor ? await b.data() : b;
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** Largest value of channel `c` of an [h, w, C] activation within rows r0..r1 and columns c0..c1 (inclusive). */
async function windowMax(
  act: tf.Tensor,
  c: number,
  [r0, r1]: [number, number],
  [c0, c1]: [number, number],
): Promise<number> {
  const [, w, C] = act.shape;
  const v = await act.data();
  let m = -Infinity;
  for (let r = r0; r <= r1; r++) for (let q = c0; q <= c1; q++) m = Math.max(m, v[(r * w! + q) * C! + c]);
  return m;
}

describe('activations: MATLAB layer sizes and values on face.png', () => {
  it('gives every one of the 67 layers its MATLAB size and the reference min/max/mean', async () => {
    const outs = activations(net, face, net.layerNames);
    expect(outs).toHaveLength(67);
    for (let i = 0; i < 67; i++) {
      const L = ref.layers[i];
      const t = outs[i];
      expect([L.name, t.shape, t.dtype]).toEqual([net.layerNames[i], L.shape, 'float32']);
      const v = await t.data();
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      for (const x of v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
      }
      const scale = Math.max(Math.abs(L.min), Math.abs(L.max));
      const tol = REL_TOL * scale;
      expect(Math.abs(min - L.min), `${L.name} min`).toBeLessThanOrEqual(tol);
      expect(Math.abs(max - L.max), `${L.name} max`).toBeLessThanOrEqual(tol);
      expect(Math.abs(sum / v.length - L.mean), `${L.name} mean`).toBeLessThanOrEqual(tol);
    }
    // Each relu_* layer is max(0, the layer before it) (computed as a fused convolution + ReLU, it must agree).
    for (const layer of net.layers.filter((l) => l.type === 'ReLU')) {
      const [pre, post] = [outs[net.layerNames.indexOf(layer.inputs[0])], outs[layer.index]];
      const relu = tf.relu(pre);
      const scale = (await tf.max(tf.abs(pre)).data())[0];
      expect(await maxAbsDiff(post, relu), layer.name).toBeLessThanOrEqual(1e-6 * scale);
      relu.dispose();
    }
    tf.dispose(outs);
  });

  it.each([
    ['conv1', 'face_conv1.f32'],
    ['fire6-squeeze1x1', 'face_fire6-squeeze1x1.f32'],
    ['fire6-relu_squeeze1x1', 'face_fire6-relu_squeeze1x1.f32'],
  ])('matches the full reference tensor of %s', async (layer, file) => {
    const expected = readReferenceF32(file);
    const act = activations(net, face, layer);
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(await maxAbsDiff(act, expected)).toBeLessThanOrEqual(REL_TOL * scale);
    act.dispose();
  });

  it('matches the reference fire6-relu_squeeze1x1 of face-eye-closed.png', async () => {
    const expected = readReferenceF32('face-eye-closed_fire6-relu_squeeze1x1.f32');
    const act = activations(net, closed, 'fire6-relu_squeeze1x1');
    const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(await maxAbsDiff(act, expected)).toBeLessThanOrEqual(REL_TOL * scale);
    act.dispose();
  });

  it('has the data layer equal to the image minus the mean [123, 117, 104], exactly', async () => {
    const data = activations(net, face, 'data');
    const expected = tf.tidy(() => tf.sub(tf.cast(face, 'float32'), tf.tensor1d([123, 117, 104])));
    expect(await maxAbsDiff(data, expected)).toBe(0);
    tf.dispose([data, expected]);
  });
});

describe("activations: the walkthrough's findings", () => {
  it('conv1 channel 22 (index 21) is far more positive on red than on green', async () => {
    const solid = (rgb: number[]) => tf.tidy(() => tf.mul(tf.ones([227, 227, 3], 'int32'), tf.tensor1d(rgb, 'int32')));
    const [red, green] = [solid([255, 0, 0]), solid([0, 255, 0])];
    const mean21 = async (img: tf.Tensor) => {
      const act = activations(net, img, 'conv1');
      const m = tf.mean(tf.slice(act, [0, 0, 21], [-1, -1, 1]));
      const v = (await m.data())[0];
      tf.dispose([act, m]);
      return v;
    };
    const [onRed, onGreen] = [await mean21(red), await mean21(green)];
    expect(onRed).toBeGreaterThan(0);
    expect(onGreen).toBeLessThan(0);
    expect(onRed - onGreen).toBeGreaterThan(800); // measured: about 400 versus -717
    tf.dispose([red, green]);
  });

  it('the strongest fire6-squeeze1x1 channel on face.png is channel 14 (index 13)', async () => {
    const act = activations(net, face, 34); // 0-based 34 = MATLAB's layer 35
    const perChannel = tf.max(act, [0, 1]);
    const best = tf.argMax(perChannel);
    expect((await best.data())[0]).toBe(13);
    expect(ref.layers[35].maxChannel).toBe(13); // the reference agrees
    tf.dispose([act, perChannel, best]);
  });

  it('fire6-relu_squeeze1x1 channels 14 and 47 fall at the closed eye and hold at the open one', async () => {
    // The painted eye of face-eye-closed.png lies in pixel rows 84..104, columns 67..105; on the 14×14 map (about 16
    // pixels a cell) that is rows 5..6, columns 4..6. Windows: closed eye rows 4..6 × columns 3..5, open eye (the
    // other eye, right in the picture) rows 4..6 × columns 7..9.
    const diff = tf.tidy(() => tf.any(tf.notEqual(face, closed), 2));
    const where = await tf.whereAsync(diff);
    const rc = (await where.array()) as number[][];
    const rows = rc.map((p) => p[0]);
    const cols = rc.map((p) => p[1]);
    expect([Math.min(...rows), Math.max(...rows), Math.min(...cols), Math.max(...cols)]).toEqual([84, 104, 67, 105]);
    tf.dispose([diff, where]);

    const [openAct, closedAct] = [
      activations(net, face, 'fire6-relu_squeeze1x1'),
      activations(net, closed, 'fire6-relu_squeeze1x1'),
    ];
    const closedEye: [[number, number], [number, number]] = [
      [4, 6],
      [3, 5],
    ];
    const openEye: [[number, number], [number, number]] = [
      [4, 6],
      [7, 9],
    ];
    for (const c of [13, 46]) {
      const before = await windowMax(openAct, c, ...closedEye);
      const after = await windowMax(closedAct, c, ...closedEye);
      const other = await windowMax(openAct, c, ...openEye);
      const otherAfter = await windowMax(closedAct, c, ...openEye);
      expect(after / before, `channel ${c + 1} at the closed eye`).toBeLessThan(0.8); // measured -27% and -35%
      expect(Math.abs(otherAfter / other - 1), `channel ${c + 1} at the open eye`).toBeLessThan(0.02);
      expect(before, `channel ${c + 1} lights up on the eye`).toBeGreaterThan(500);
    }
    tf.dispose([openAct, closedAct]);
  });
});

describe('activations: inputs', () => {
  it('accepts layer indices (0-based) and names alike', async () => {
    const [byName, byIndex] = [activations(net, face, 'conv1'), activations(net, face, 1)];
    expect(await maxAbsDiff(byName, byIndex)).toBe(0);
    tf.dispose([byName, byIndex]);
  });

  it('gives a list of layers in one pass, equal to separate calls, in the order asked (duplicates included)', async () => {
    const img = tf.tidy(() => tf.slice(face, [10, 20, 0], [64, 72, 3]));
    const layers = ['prob', 'conv1', 34, 'fire6-squeeze1x1', 'pool3'];
    const together = await expectNoLeak(() => activations(net, img, layers), 5);
    expect(together.map((t) => t.shape)).toEqual([
      [1, 1, 1000],
      [31, 35, 64],
      [3, 4, 48],
      [3, 4, 48],
      [7, 8, 128],
    ]);
    expect(new Set(together.map((t) => t.id)).size).toBe(5); // every returned tensor is its own
    for (let i = 0; i < layers.length; i++) {
      const alone = activations(net, img, layers[i]);
      expect(await maxAbsDiff(together[i], alone)).toBe(0);
      alone.dispose();
    }
    tf.dispose([img, ...together]);
  });

  it('gives a batch [n, h, w, 3] the same activations as each image alone', async () => {
    const a = tf.tidy(() => tf.slice(face, [0, 0, 0], [48, 40, 3]));
    const b = tf.tidy(() => tf.slice(closed, [60, 70, 0], [48, 40, 3]));
    const batch = tf.stack([a, b]);
    for (const layer of ['conv1', 'fire6-relu_squeeze1x1', 'prob']) {
      const both = activations(net, batch, layer);
      const [oa, ob] = [activations(net, a, layer), activations(net, b, layer)];
      expect(both.shape).toEqual([2, ...oa.shape]);
      const [ba, bb] = tf.unstack(both);
      const scale = (await tf.max(tf.abs(both)).data())[0];
      expect(await maxAbsDiff(ba, oa)).toBeLessThanOrEqual(1e-6 * scale);
      expect(await maxAbsDiff(bb, ob)).toBeLessThanOrEqual(1e-6 * scale);
      tf.dispose([both, oa, ob, ba, bb]);
    }
    tf.dispose([a, b, batch]);
  });

  it('runs other sizes fully convolutionally: 229×241 gives conv1 114×120 and pool1 56×59 (MATLAB paddings)', async () => {
    const img = tf.zeros([229, 241, 3], 'int32');
    const outs = activations(net, img, ['conv1', 'pool1', 'pool3', 'pool5']);
    expect(outs.map((t) => t.shape)).toEqual([
      [114, 120, 64],
      [56, 59, 64],
      [28, 29, 128],
      [14, 14, 256],
    ]);
    tf.dispose([img, ...outs]);
  });

  it('runs the smallest image each layer allows (19×19 for prob, 3×3 for conv1)', () => {
    const [a, b] = [tf.zeros([19, 19, 3]), tf.zeros([3, 3, 3])];
    const [p, c] = [activations(net, a, 'prob'), activations(net, b, 'conv1')];
    expect([p.shape, c.shape]).toEqual([
      [1, 1, 1000],
      [1, 1, 64],
    ]);
    tf.dispose([a, b, p, c]);
  });

  it('checks each size anew when sizes alternate (19×19 runs prob, 18×18 does not, then 19×19 again)', () => {
    const [ok, small] = [tf.zeros([19, 19, 3]), tf.zeros([18, 18, 3])];
    for (let round = 0; round < 2; round++) {
      const p = activations(net, ok, 'prob');
      expect(p.shape).toEqual([1, 1, 1000]);
      p.dispose();
      expect(() => activations(net, small, 'prob')).toThrow(
        "activations: expected 'img' to be at least 19×19 pixels to compute layer 'prob' (or pass { resize: true }), got rank 3 [18, 18, 3] float32",
      );
    }
    tf.dispose([ok, small]);
  });

  it('treats int32 and float32 pixels alike, and replicates gray [h, w] and [h, w, 1] to RGB', async () => {
    const rgbInt = tf.tidy(() => tf.slice(face, [50, 50, 0], [40, 40, 3]));
    const rgbFloat = tf.cast(rgbInt, 'float32');
    const [ai, af] = [activations(net, rgbInt, 'fire3-concat'), activations(net, rgbFloat, 'fire3-concat')];
    expect(await maxAbsDiff(ai, af)).toBe(0);
    const gray = tf.tidy(() => tf.squeeze(tf.slice(rgbInt, [0, 0, 1], [-1, -1, 1]), [2]));
    const gray3 = tf.tidy(() => tf.stack([gray, gray, gray], 2));
    const outs = [
      activations(net, gray, 'fire3-concat'),
      activations(net, tf.expandDims(gray, 2), 'fire3-concat'),
      activations(net, gray3, 'fire3-concat'),
    ];
    expect(outs[0].shape).toEqual([9, 9, 128]);
    expect(await maxAbsDiff(outs[0], outs[2])).toBe(0);
    expect(await maxAbsDiff(outs[1], outs[2])).toBe(0);
    const batchGray = tf.stack([tf.expandDims(gray, 2)]);
    const bg = activations(net, batchGray, 'fire3-concat');
    expect(bg.shape).toEqual([1, 9, 9, 128]);
    tf.dispose([rgbInt, rgbFloat, ai, af, gray, gray3, ...outs, batchGray, bg]);
  });

  it('resize: true resizes to 227×227 with imresize first (any size, gray and batches too)', async () => {
    const img = tf.tidy(() => tf.slice(face, [0, 0, 0], [120, 100, 3]));
    const resized = imresize(img, [227, 227]);
    const a = await expectNoLeak(() => activations(net, img, 'conv1', { resize: true }), 1);
    const b = activations(net, resized, 'conv1');
    expect(a.shape).toEqual([113, 113, 64]);
    expect(await maxAbsDiff(a, b)).toBe(0);
    const tiny = tf.zeros([10, 12]);
    const batch = tf.zeros([2, 10, 12, 1], 'int32');
    const [p, q] = [
      activations(net, tiny, 'conv1', { resize: true }),
      activations(net, batch, ['pool1'], { resize: true })[0],
    ];
    expect([p.shape, q.shape]).toEqual([
      [113, 113, 64],
      [2, 56, 56, 64],
    ]);
    tf.dispose([img, resized, a, b, tiny, batch, p, q]);
  });

  it('returns new tensors, leaves the image unchanged, leaks nothing (one layer, a list, a batch)', async () => {
    const img = tf.tidy(() => tf.cast(tf.slice(face, [0, 0, 0], [40, 40, 3]), 'float32'));
    const copy = tf.clone(img);
    const one = await expectNoLeak(() => activations(net, img, 'pool1'), 1);
    const two = await expectNoLeak(() => activations(net, img, ['data', 'pool1']), 2);
    const batch = tf.expandDims(img, 0);
    const three = await expectNoLeak(() => activations(net, batch, 'data'), 1);
    expect(three.shape).toEqual([1, 40, 40, 3]);
    expect(img.isDisposed || batch.isDisposed).toBe(false);
    expect(await maxAbsDiff(img, copy)).toBe(0);
    tf.dispose([img, copy, one, ...two, batch, three]);
  });
});

describe('activations: non-finite pixels', () => {
  const withBad = (value: number, at: number[]) =>
    tf.tidy(() => {
      const buf = tf.buffer([24, 24, 3], 'float32');
      buf.set(value, ...at);
      return buf.toTensor();
    });

  it.runIf(BACKEND === 'webgpu')(
    "nonFinite: 'error' is refused on webgpu, which cannot read back synchronously",
    async () => {
      const a = withBad(NaN, [0, 0, 0]);
      await expectThrowsNoLeak(
        () => activations(net, a, 'conv1', { nonFinite: 'error' }),
        RangeError,
        "activations: 'options.nonFinite' 'error' needs a synchronous read-back, which the webgpu backend cannot do; " +
          "use 'nan' (its default there) or check the image with await before calling",
      );
      a.dispose();
    },
  );

  it.skipIf(BACKEND === 'webgpu')("nonFinite: 'error' names the first bad pixel", async () => {
    const a = withBad(NaN, [0, 0, 0]);
    const b = withBad(-Infinity, [3, 4, 1]);
    await expectThrowsNoLeak(
      () => activations(net, a, 'conv1', { nonFinite: 'error' }),
      RangeError,
      "activations: expected 'img' to hold finite pixel values, got NaN at [0, 0, 0]",
    );
    await expectThrowsNoLeak(
      () => activations(net, b, 'prob', { nonFinite: 'error' }),
      RangeError,
      "activations: expected 'img' to hold finite pixel values, got -Infinity at [3, 4, 1]",
    );
    const batch = tf.stack([a, b]);
    await expectThrowsNoLeak(
      () => activations(net, batch, 'conv1', { nonFinite: 'error' }),
      RangeError,
      "activations: expected 'img' to hold finite pixel values, got NaN at [0, 0, 0, 0]",
    );
    tf.dispose([a, b, batch]);
  });

  it("nonFinite: 'auto' throws on the cpu and wasm backends and gives NaN on GPU backends", async () => {
    const a = withBad(Infinity, [23, 23, 2]);
    if (BACKEND === 'cpu' || BACKEND === 'wasm') {
      await expectThrowsNoLeak(
        () => activations(net, a, 'conv1'),
        RangeError,
        "activations: expected 'img' to hold finite pixel values, got Infinity at [23, 23, 2]",
      );
    } else {
      const out = await expectNoLeak(() => activations(net, a, 'conv1'), 1);
      expect(Array.from(await out.data()).every(Number.isNaN)).toBe(true);
      out.dispose();
    }
    a.dispose();
  });

  it("nonFinite: 'nan' makes every activation of the affected image NaN, and only of that image", async () => {
    const good = tf.tidy(() => tf.cast(tf.slice(face, [0, 0, 0], [24, 24, 3]), 'float32'));
    const bad = withBad(NaN, [12, 12, 0]);
    const batch = tf.stack([good, bad]);
    for (const layer of ['relu_conv1', 'pool1', 'prob']) {
      const out = await expectNoLeak(() => activations(net, batch, layer, { nonFinite: 'nan' }), 1);
      const [g, b] = tf.unstack(out);
      expect(Array.from(await b.data()).every(Number.isNaN)).toBe(true);
      const alone = activations(net, good, layer);
      expect(await maxAbsDiff(g, alone)).toBeLessThanOrEqual(1e-3);
      tf.dispose([out, g, b, alone]);
    }
    tf.dispose([good, bad, batch]);
  });
});

describe('activations: any TF.js GraphModel', () => {
  const model = () => net.model as GraphModel;
  it('takes node names of a plain GraphModel and feeds its single input', async () => {
    const img = tf.tidy(() => tf.slice(face, [0, 0, 0], [40, 40, 3]));
    const [viaModel, viaNet] = [activations(model(), img, 'fire2-concat'), activations(net, img, 'fire2-concat')];
    expect(viaModel.shape).toEqual([9, 9, 128]);
    expect(await maxAbsDiff(viaModel, viaNet)).toBe(0);
    tf.dispose([img, viaModel, viaNet]);
  });

  it("never hands out the model's own tensors: the input node comes back as a copy, a weight is refused", async () => {
    const img = tf.zeros([1, 5, 5, 3]);
    const [input] = await expectNoLeak(() => activations(model(), img, ['input']), 1);
    expect(input.id).not.toBe(img.id);
    tf.dispose([input]);
    await expectThrowsNoLeak(
      () => activations(model(), img, ['input', 'conv1/weights']),
      RangeError,
      'activations: expected \'layer[1]\' to be a layer of the model, got "conv1/weights" (string), which is a weight, not a layer',
    );
    expect(activations(net, tf.zeros([3, 3, 3]), 'conv1').shape).toEqual([1, 1, 64]); // the weights still work
    expect(img.isDisposed).toBe(false);
    img.dispose();
  });

  it('explains an unknown node with the closest names; refuses indices and resize without an input size', async () => {
    const img = tf.zeros([8, 8, 3]);
    await expectThrowsNoLeak(
      () => activations(model(), img, 'pool3/pads'),
      RangeError,
      "activations: expected 'layer' to be a node name of the model, got \"pool3/pads\" (string); did you mean 'pool3/pad', 'pool5/pad' or 'pool3'?",
    );
    await expectThrowsNoLeak(
      () => activations(model(), img, 3),
      TypeError,
      "activations: expected 'layer' to be a node name of the model (string), got 3 (number)",
    );
    await expectThrowsNoLeak(
      () => activations(model(), img, 'conv1', { resize: true }),
      RangeError,
      "activations: 'options.resize' needs a model with a known input size; its input is [-1,-1,-1,3]",
    );
    img.dispose();
  });
});

describe('activations: an absurd layer name', () => {
  it('suggests the closest names for a name of a million characters without blocking (7 s before the bound)', async () => {
    const img = tf.zeros([30, 30, 3]);
    await expectThrowsNoLeak(
      () => activations(net, img, `conv1${'x'.repeat(1e6)}`),
      RangeError,
      /^activations: expected 'layer' to be a layer name of squeezenet, got "conv1x{52}\.\.\." \(string\); did you mean 'conv1', /,
    );
    img.dispose();
  }, 3000);
});

describe('activations: a plain GraphModel and an image too small for it', () => {
  it('checks sizes through the layer table a model carries (the SqueezeNet graph model itself)', async () => {
    const img = tf.zeros([2, 2, 3]);
    await expectThrowsNoLeak(
      () => activations(net.model as GraphModel, img, 'prob'),
      RangeError,
      "activations: expected 'img' to be at least 19×19 pixels to compute layer 'prob' (or pass { resize: true }), got rank 3 [2, 2, 3] float32",
    );
    await expectThrowsNoLeak(
      () => activations(net.model as GraphModel, img, 'pool3/pad'),
      RangeError,
      "activations: expected 'img' to be at least 11×11 pixels to compute layer 'pool3' (or pass { resize: true }), got rank 3 [2, 2, 3] float32",
    );
    img.dispose();
  });

  it('refuses an empty result from a model without a layer table, and keeps the class and cause of TF.js errors', async () => {
    const node = (name: string, op: string, input: string[], attr: object) => ({ name, op, input, attr });
    const f = { T: { type: 'DT_FLOAT' } };
    const model = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: {
          node: [
            node('x', 'Placeholder', [], {
              dtype: { type: 'DT_FLOAT' },
              shape: { shape: { dim: [{ size: '-1' }, { size: '-1' }, { size: '-1' }, { size: '3' }] } },
            }),
            node('w', 'Const', [], { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT' } } }),
            node('conv', 'Conv2D', ['x', 'w'], {
              ...f,
              strides: { list: { i: ['1', '1', '1', '1'] } },
              padding: { s: btoa('VALID') },
              data_format: { s: btoa('NHWC') },
              dilations: { list: { i: ['1', '1', '1', '1'] } },
            }),
            node('shape', 'Const', [], { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32' } } }),
            node('bad', 'Reshape', ['x', 'shape'], { ...f, Tshape: { type: 'DT_INT32' } }),
          ],
          versions: { producer: 1 },
        },
        weightSpecs: [
          { name: 'w', shape: [3, 3, 3, 2], dtype: 'float32' },
          { name: 'shape', shape: [1], dtype: 'int32' },
        ],
        weightData: new Uint8Array([
          ...new Uint8Array(new Float32Array(54).fill(0.5).buffer),
          ...new Uint8Array(new Int32Array([7]).buffer),
        ]).buffer,
      }),
    );
    const small = tf.zeros([2, 2, 3]);
    await expectThrowsNoLeak(
      () => activations(model, small, 'conv'),
      RangeError,
      "activations: expected 'img' to be large enough for node 'conv' of the model, which comes out [1, 0, 0, 2] for an image of [2, 2, 3] (pass a larger image or { resize: true })",
    );
    const err = await expectThrowsNoLeak(
      () => activations(model, small, 'bad'),
      Error,
      /^activations: the model could not compute 'bad': /,
    );
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).toContain((err.cause as Error).message);
    small.dispose();
    model.dispose();
  });
});

describe('activations: bad arguments', () => {
  const img = () => tf.zeros([30, 30, 3], 'int32');
  const IMG = 'an image [h, w], [h, w, 1] or [h, w, 3], or a batch [n, h, w, 1|3], of dtype int32 or float32';

  it('checks the network', async () => {
    const x = img();
    await expectThrowsNoLeak(
      () => activations({} as Network, x, 'conv1'),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got an object",
    );
    await expectThrowsNoLeak(
      () => activations(null as unknown as Network, x, 'conv1'),
      TypeError,
      "activations: expected 'net' to be a loaded Network or a tf.GraphModel, got null",
    );
    const other = await squeezenet();
    other.dispose();
    await expectThrowsNoLeak(
      () => activations(other, x, 'conv1'),
      TypeError,
      "activations: 'net' has been disposed; load the network again",
    );
    await expectThrowsNoLeak(
      () => activations(other.model as GraphModel, x, 'conv1'),
      TypeError,
      "activations: the model 'net' has been disposed",
    );
    x.dispose();
  });

  it('checks the image', async () => {
    await expectThrowsNoLeak(
      () => activations(net, [1, 2, 3] as unknown as tf.Tensor, 'conv1'),
      TypeError,
      `activations: expected 'img' to be ${IMG}, or raw pixels { data, width, height } or { data, info } (sharp), PNG/JPEG bytes or a file path (Node.js), or an <img>, <canvas>, OffscreenCanvas, ImageData, ImageBitmap, <video> or VideoFrame (browsers), got [1, 2, 3] (array of length 3)`,
    );
    const bad = [
      tf.zeros([5]),
      tf.zeros([1, 1, 5, 5, 3]),
      tf.zeros([5, 5, 2]),
      tf.zeros([2, 5, 5, 4]),
      tf.zeros([0, 5, 5, 3]),
      tf.zeros([5, 0]),
    ];
    const what = [
      `activations: expected 'img' to be ${IMG}, got rank 1 [5] float32`,
      `activations: expected 'img' to be ${IMG}, got rank 5 [1, 1, 5, 5, 3] float32`,
      `activations: expected 'img' to be ${IMG}, got rank 3 [5, 5, 2] float32`,
      `activations: expected 'img' to be ${IMG}, got rank 4 [2, 5, 5, 4] float32; to drop the alpha channel of RGBA pixels: tf.slice(batch, [0, 0, 0, 0], [-1, -1, -1, 3])`,
      `activations: expected 'img' to be a non-empty image [h, w], [h, w, 1] or [h, w, 3], or a batch [n, h, w, 1|3], of dtype int32 or float32, got rank 4 [0, 5, 5, 3] float32`,
      `activations: expected 'img' to be a non-empty image [h, w], [h, w, 1] or [h, w, 3], or a batch [n, h, w, 1|3], of dtype int32 or float32, got rank 2 [5, 0] float32`,
    ];
    for (let i = 0; i < bad.length; i++)
      await expectThrowsNoLeak(() => activations(net, bad[i], 'data'), RangeError, what[i]);
    const b = tf.zeros([5, 5, 3], 'bool');
    await expectThrowsNoLeak(
      () => activations(net, b, 'data'),
      TypeError,
      `activations: expected 'img' to be ${IMG}, got rank 3 [5, 5, 3] bool`,
    );
    const gone = tf.zeros([5, 5, 3]);
    gone.dispose();
    await expectThrowsNoLeak(
      () => activations(net, gone, 'data'),
      TypeError,
      "activations: 'img' is a disposed tensor; it can no longer be used",
    );
    tf.dispose([...bad, b]);
  });

  it('says how large an image a layer needs', async () => {
    const small = tf.zeros([18, 40, 3], 'int32');
    await expectThrowsNoLeak(
      () => activations(net, small, 'prob'),
      RangeError,
      "activations: expected 'img' to be at least 19×19 pixels to compute layer 'prob' (or pass { resize: true }), got rank 3 [18, 40, 3] int32",
    );
    await expectThrowsNoLeak(
      () => activations(net, small, ['conv1', 'pool3', 'pool5']),
      RangeError,
      "activations: expected 'img' to be at least 19×19 pixels to compute layer 'pool5' (or pass { resize: true }), got rank 3 [18, 40, 3] int32",
    );
    const tiny = tf.zeros([2, 10, 12, 3]);
    await expectThrowsNoLeak(
      () => activations(net, tiny, 'pool3'),
      RangeError,
      "activations: expected 'img' to be at least 11×11 pixels to compute layer 'pool3' (or pass { resize: true }), got rank 4 [2, 10, 12, 3] float32",
    );
    const flat = tf.zeros([2, 100]);
    await expectThrowsNoLeak(
      () => activations(net, flat, 'conv1'),
      RangeError,
      "activations: expected 'img' to be at least 3×3 pixels to compute layer 'conv1' (or pass { resize: true }), got rank 2 [2, 100] float32",
    );
    tf.dispose([small, tiny, flat]);
  });

  it('checks the layer, naming the closest valid names', async () => {
    const x = img();
    await expectThrowsNoLeak(
      () => activations(net, x, 'fire6-squeeze'),
      RangeError,
      "activations: expected 'layer' to be a layer name of squeezenet, got \"fire6-squeeze\" (string); did you mean 'fire6-squeeze1x1', 'fire2-squeeze1x1' or 'fire3-squeeze1x1'? (net.layerNames lists all 67)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, 'Conv1'),
      RangeError,
      "activations: expected 'layer' to be a layer name of squeezenet, got \"Conv1\" (string); did you mean 'conv1', 'conv10' or 'relu_conv1'? (net.layerNames lists all 67)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, 'pool3/pad'),
      RangeError,
      "activations: expected 'layer' to be a layer name of squeezenet, got \"pool3/pad\" (string); did you mean 'pool3', 'pool1' or 'pool5'? (net.layerNames lists all 67)",
    );
    for (const i of [67, -1, 1.5, NaN]) {
      await expectThrowsNoLeak(
        () => activations(net, x, i),
        RangeError,
        `activations: expected 'layer' to be a layer name or a 0-based layer index in [0, 66], got ${Number.isNaN(i) ? 'NaN' : i} (number)`,
      );
    }
    await expectThrowsNoLeak(
      () => activations(net, x, true as unknown as string),
      TypeError,
      "activations: expected 'layer' to be a layer name (string) or a 0-based layer index (integer), got true (boolean)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, net.layers[1] as unknown as string),
      TypeError,
      "activations: expected 'layer' to be a layer name or a 0-based layer index, got the row of net.layers for 'conv1'; pass its name ('conv1') or index (1)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, ['conv1', null as unknown as string]),
      TypeError,
      "activations: expected 'layer[1]' to be a layer name (string) or a 0-based layer index (integer), got null",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, ['conv1', 'relu']),
      RangeError,
      "activations: expected 'layer[1]' to be a layer name of squeezenet, got \"relu\" (string); did you mean 'relu_conv1', 'relu_conv10' or 'fire2-relu_expand1x1'? (net.layerNames lists all 67)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, []),
      RangeError,
      "activations: expected 'layer' to be a layer name, a layer index or a non-empty array of them, got [] (array of length 0)",
    );
    x.dispose();
  });

  it('checks the options', async () => {
    const x = img();
    await expectThrowsNoLeak(
      () => activations(net, x, 'conv1', { outputSize: 'rows' } as never),
      RangeError,
      "activations: unknown option 'outputSize'; known options are 'resize', 'nonFinite', 'outputAs', 'miniBatchSize', 'onProgress'",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, 'conv1', { resize: 'yes' } as never),
      TypeError,
      'activations: expected \'options.resize\' to be a boolean, got "yes" (string)',
    );
    await expectThrowsNoLeak(
      () => activations(net, x, 'conv1', { nonFinite: 'ignore' } as never),
      RangeError,
      "activations: expected 'options.nonFinite' to be one of 'auto', 'error', 'nan', got \"ignore\" (string)",
    );
    await expectThrowsNoLeak(
      () => activations(net, x, 'conv1', 5 as never),
      TypeError,
      "activations: expected 'options' to be an options object, got 5 (number)",
    );
    x.dispose();
  });
});
