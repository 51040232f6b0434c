import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { imresize, imresizePath, type ImresizeOptions } from '../../src/image/imresize.js';
import { contributions, type KernelName } from '../../src/image/imresizeWeights.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { BACKEND, TOL } from '../helpers/backend.js';

/** Numbers of a whitespace-separated matrix written row by row. */
const m = (text: string) => text.trim().split(/\s+/).map(Number);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = TOL, relative = false) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const a = actual[i];
    if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) expect.fail(`element ${i}: got ${a}, expected NaN`);
      continue;
    }
    const bound = relative ? tol * Math.max(1, Math.abs(e)) : tol;
    if (!(Math.abs(a - e) <= bound)) expect.fail(`element ${i}: got ${a}, expected ${e} ± ${bound}`);
  }
}

/** Runs imresize on fresh data; checks the output's dtype and shape; returns its values; disposes everything. */
async function run(
  data: number[],
  shape: number[],
  scaleOrSize: Parameters<typeof imresize>[1],
  options?: ImresizeOptions,
  dtype: 'float32' | 'int32' = 'float32',
  expectedShape?: number[],
): Promise<number[]> {
  const x = tf.tensor(data, shape, dtype);
  const y = imresize(x, scaleOrSize, options);
  expect(y.dtype).toBe(dtype);
  expect(y.rank).toBe(shape.length);
  if (expectedShape) expect(y.shape).toEqual(expectedShape);
  const out = Array.from(await y.data());
  tf.dispose([x, y]);
  return out;
}

const MAGIC4 = m('16 2 3 13  5 11 10 8  9 7 6 12  4 14 15 1');

/**
 * Independent reference on the host, in double: the separable weighted sums of spec §5.3–5.4 on [n, h, w, c]
 * row-major data, smaller scale first (rows on ties), uint8 rounding per pass for int data.
 */
function reference(
  data: ArrayLike<number>,
  [n, h, w, c]: number[],
  [outRows, outCols]: number[],
  [scaleRows, scaleCols]: number[],
  kernel: KernelName,
  aa: boolean,
  isInt: boolean,
  order?: [number, number],
): Float64Array {
  let cur = Float64Array.from(data);
  let shape = [n, h, w, c];
  const q = (v: number) => Math.min(255, Math.max(0, Math.sign(v) * Math.floor(Math.abs(v) + 0.5)));
  const axes = order ?? (scaleRows <= scaleCols ? [1, 2] : [2, 1]);
  for (const axis of axes) {
    const inLen = shape[axis];
    const outLen = axis === 1 ? outRows : outCols;
    const co = contributions(inLen, outLen, axis === 1 ? scaleRows : scaleCols, kernel, aa);
    const pure = co.taps === 1 && co.weights.every((v) => v === 1);
    const outShape = shape.slice();
    outShape[axis] = outLen;
    const next = new Float64Array(outShape.reduce((a, b) => a * b, 1));
    const [N, H, W, C] = outShape;
    for (let a = 0; a < N; a++)
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++)
          for (let k = 0; k < C; k++) {
            const o = axis === 1 ? i : j;
            let s = 0;
            for (let t = 0; t < co.taps; t++) {
              const src = co.indices[o * co.taps + t];
              const ii = axis === 1 ? src : i;
              const jj = axis === 2 ? src : j;
              s += co.weights[o * co.taps + t] * cur[((a * shape[1] + ii) * shape[2] + jj) * shape[3] + k];
            }
            next[((a * H + i) * W + j) * C + k] = isInt && !pure ? q(s) : s;
          }
    cur = next;
    shape = outShape;
  }
  return cur;
}

describe('contributions (spec §5.3, §5.5)', () => {
  const taps = (inLen: number, outLen: number, scale: number, o: number, kernel: KernelName = 'cubic', aa = true) => {
    const co = contributions(inLen, outLen, scale, kernel, aa);
    const idx = Array.from(co.indices.slice(o * co.taps, (o + 1) * co.taps), (i) => i + 1); // MATLAB's 1-based
    const w = Array.from(co.weights.slice(o * co.taps, (o + 1) * co.taps));
    return { n: co.taps, idx, w };
  };

  it('113 -> 227 (conv1 channel to the image size): pixels 1 and 2', () => {
    const p1 = taps(113, 227, 227 / 113, 0);
    expect(p1.idx).toEqual([2, 1, 1, 2]);
    expectClose(p1.w, [-0.023609732444, 0.227905794975, 0.866118928967, -0.070414991498], 1e-12);
    const p2 = taps(113, 227, 227 / 113, 1);
    expect(p2.idx).toEqual([1, 1, 2, 3]);
    expectClose(p2.w, [-0.069995912656, 0.870373152007, 0.222545398712, -0.022922638063], 1e-12);
  });

  it('14 -> 64 and 14 -> 227 (fire6 channels): pixel 1', () => {
    const a = taps(14, 64, 64 / 14, 0);
    expect(a.idx).toEqual([2, 1, 1, 2]);
    expectClose(a.w, [-0.046491622925, 0.411081314087, 0.707937240601, -0.072526931763], 1e-12);
    const b = taps(14, 227, 227 / 14, 0);
    expect(b.idx).toEqual([2, 1, 1, 2]);
    expectClose(b.w, [-0.058422306014, 0.519905374058, 0.604619165522, -0.066102233565], 1e-12);
  });

  it('8 -> 4 with antialiasing (scale 0.5): 8 taps, mirrored at both ends', () => {
    const first = taps(8, 4, 0.5, 0);
    expect(first.n).toBe(8);
    expect(first.idx).toEqual([3, 2, 1, 1, 2, 3, 4, 5]);
    const w = [-0.01171875, -0.03515625, 0.11328125, 0.43359375, 0.43359375, 0.11328125, -0.03515625, -0.01171875];
    expectClose(first.w, w, 1e-15);
    const last = taps(8, 4, 0.5, 3);
    expect(last.idx).toEqual([4, 5, 6, 7, 8, 8, 7, 6]);
    expectClose(last.w, w, 1e-15);
  });

  it('drops all-zero tap columns: scale 1 leaves one tap of weight 1 at the same index', () => {
    // Not for lanczos: its eps terms make it about 1e-17 (not 0) at the other integers, so MATLAB keeps those taps.
    for (const kernel of ['cubic', 'triangle', 'box'] as const) {
      const co = contributions(5, 5, 1, kernel, true);
      expect(co.taps).toBe(1);
      expect(Array.from(co.weights)).toEqual([1, 1, 1, 1, 1]);
      expect(Array.from(co.indices)).toEqual([0, 1, 2, 3, 4]);
    }
    const lanczos = contributions(5, 5, 1, 'lanczos2', true);
    expect(lanczos.taps).toBe(3); // the taps at distance 1 (lanczos2 is exactly 0 from distance 2 on)
    expect(
      Math.max(
        ...Array.from(lanczos.weights)
          .filter((v) => v !== 1 && v !== 0)
          .map(Math.abs),
      ),
    ).toBeLessThan(1e-15);
  });

  it('rows are normalised to sum 1 for every kernel and scale', () => {
    for (const kernel of ['cubic', 'triangle', 'box', 'lanczos2', 'lanczos3'] as const) {
      for (const [inLen, outLen] of [
        [7, 3],
        [7, 16],
        [10, 10],
        [3, 8],
      ]) {
        const co = contributions(inLen, outLen, outLen / inLen, kernel, true);
        for (let o = 0; o < outLen; o++) {
          let s = 0;
          for (let k = 0; k < co.taps; k++) s += co.weights[o * co.taps + k];
          expect(s).toBeCloseTo(1, 12);
        }
        expect(Math.min(...co.indices)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...co.indices)).toBeLessThan(inLen);
      }
    }
  });

  it('nearest at scale 0.5 picks pixels 2, 4, ... (1-based)', () => {
    const co = contributions(4, 2, 0.5, 'box', false);
    expect(co.taps).toBe(1);
    expect(Array.from(co.indices)).toEqual([1, 3]);
  });
});

describe('imresize: MATLAB double vectors (spec §9.2)', () => {
  it('[1 5 2 8] -> [1 8], bicubic', async () => {
    const out = await run([1, 5, 2, 8], [1, 4], [1, 8], undefined, 'float32', [1, 8]);
    expectClose(out, [0.625, 1.8828125, 4.3984375, 4.53125, 2.28125, 3.0078125, 6.7109375, 8.5625], TOL, true);
  });

  it("[1 5 2 8] -> [1 8], 'bilinear'", async () => {
    expectClose(
      await run([1, 5, 2, 8], [1, 4], [1, 8], { method: 'bilinear' }),
      [1, 2, 4, 4.25, 2.75, 3.5, 6.5, 8],
      TOL,
      true,
    );
  });

  const ramp = [0, 1, 2, 3, 4, 5, 6, 7];
  it('0:7 -> [1 4], with and without antialiasing', async () => {
    expectClose(await run(ramp, [1, 8], [1, 4]), [0.44921875, 2.48828125, 4.51171875, 6.55078125], TOL, true);
    expectClose(await run(ramp, [1, 8], [1, 4], { antialiasing: false }), [0.4375, 2.5, 4.5, 6.5625], TOL, true);
  });

  it('0:7 -> [1 3] (scale 3/8), with and without antialiasing', async () => {
    expectClose(await run(ramp, [1, 8], [1, 3]), [0.752913752913753, 3.5, 6.24708624708625], TOL, true);
    expectClose(
      await run(ramp, [1, 8], [1, 3], { antialiasing: false }),
      [0.82175925925926, 3.5, 6.17824074074074],
      TOL,
      true,
    );
  });

  it('magic(4) at 0.5 -> 8.5 everywhere, with and without antialiasing', async () => {
    expectClose(await run(MAGIC4, [4, 4], 0.5, undefined, 'float32', [2, 2]), [8.5, 8.5, 8.5, 8.5], TOL, true);
    expectClose(await run(MAGIC4, [4, 4], 0.5, { antialiasing: false }), [8.5, 8.5, 8.5, 8.5], TOL, true);
  });

  it('magic(4) at 1.5 == magic(4) to [NaN 6]: 6x6 with overshoot below 0', async () => {
    const a = await run(MAGIC4, [4, 4], 1.5, undefined, 'float32', [6, 6]);
    const row1 = [
      17.8325617283951, 8.99826388888889, 0.496141975308638, 1.57175925925925, 8.00173611111111, 14.099537037037,
    ];
    expectClose(a.slice(0, 6), row1, TOL, true);
    expect(a[35]).toBeCloseTo(-0.832561728395067, 5);
    const b = await run(MAGIC4, [4, 4], [NaN, 6], undefined, 'float32', [6, 6]);
    expectClose(b, a, TOL, true);
    const c = await run(MAGIC4, [4, 4], [null, 6], undefined, 'float32', [6, 6]);
    expectClose(c, a, TOL, true);
  });

  it('3x3 with centre 1 -> [5 5]: the documented entries and sum', async () => {
    const out = await run([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3], [5, 5], undefined, 'float32', [5, 5]);
    expect(out[12]).toBeCloseTo(1, 5); // centre (3,3)
    expect(out[6]).toBeCloseTo(0.179776, 5); // (2,2)
    expect(out[7]).toBeCloseTo(0.424, 5); // (2,3)
    expect(out[2]).toBeCloseTo(-0.08, 5); // (1,3)
    expect(out[0]).toBeCloseTo(0.0064, 5); // (1,1)
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(2.849344, 4);
  });

  it('cat(4, magic(4), 2*magic(4)) -> [2 2]: every frame resized (8.5 and 17)', async () => {
    const data = [...MAGIC4, ...MAGIC4.map((v) => 2 * v)];
    const out = await run(data, [2, 4, 4, 1], [2, 2], undefined, 'float32', [2, 2, 2, 1]);
    expectClose(out, [8.5, 8.5, 8.5, 8.5, 17, 17, 17, 17], TOL, true);
  });

  it('4-D pipeline: mat2gray(reshape(10*sin(1:75),5,5,1,3)) -> [8 8] -> [3 3]', async () => {
    // MATLAB's 5x5x1x3 array, column-major, as [n, h, w, c] = [3, 5, 5, 1]; mat2gray over all of it (on the host).
    const raw = new Array(75);
    for (let k = 0; k < 3; k++)
      for (let i = 0; i < 5; i++)
        for (let j = 0; j < 5; j++) raw[k * 25 + i * 5 + j] = 10 * Math.sin(1 + i + 5 * j + 25 * k);
    const lo = Math.min(...raw);
    const hi = Math.max(...raw);
    const gray = raw.map((v) => (v - lo) / (hi - lo));
    const x = tf.tensor4d(gray, [3, 5, 5, 1]);
    const up = imresize(x, [8, 8]);
    expect(up.shape).toEqual([3, 8, 8, 1]);
    const upv = await up.data();
    const page3row1 = [
      0.870352555692, 0.571708292405, 0.177613012858, 0.002737813902, 0.116527904689, 0.48587054175, 0.825357160883,
      1.0389788655,
    ];
    expectClose(upv.slice(128, 136), page3row1, TOL);
    const down = imresize(up, [3, 3]);
    expect(down.shape).toEqual([3, 3, 3, 1]);
    const page1 = [
      0.809038151303, 0.148087107812, 0.570869477661, 0.719418469404, 0.652614653056, 0.115912828738, 0.154937953769,
      0.826869685446, 0.492306158529,
    ];
    expectClose((await down.data()).slice(0, 9), page1, TOL);
    tf.dispose([x, up, down]);
  });
});

describe('imresize: more MATLAB outputs (quoted in GNU Octave image package tests)', () => {
  it('one-pixel RGB 10 -> [2 2]: 10 everywhere, for nearest, bilinear and bicubic', async () => {
    for (const method of ['nearest', 'bilinear', 'bicubic'] as const) {
      expect(await run([10, 10, 10], [1, 1, 3], [2, 2], { method }, 'float32', [2, 2, 3])).toEqual(Array(12).fill(10));
    }
  });

  it('row and column RGB [10 6] -> [3 3] / [3 4]', async () => {
    const row = [10, 10, 10, 6, 6, 6]; // [1, 2, 3]
    const cubic = [10.27777777777777, 8, 5.72222222222222];
    const rep = (plane: number[], times: number) =>
      Array.from({ length: times }, () => plane.flatMap((v) => [v, v, v])).flat();
    expectClose(await run(row, [1, 2, 3], [3, 3], { method: 'bicubic' }), rep(cubic, 3), TOL, true);
    expectClose(await run(row, [1, 2, 3], [3, 3], { method: 'bilinear' }), rep([10, 8, 6], 3), TOL, true);
    expect(await run(row, [1, 2, 3], [3, 4], { method: 'nearest' })).toEqual(rep([10, 10, 6, 6], 3));
    // The column image is the transpose: the same planes down the rows.
    const col = await run(row, [2, 1, 3], [3, 3], { method: 'bicubic' }, 'float32', [3, 3, 3]);
    expectClose(
      col,
      cubic.flatMap((v) => [v, v, v, v, v, v, v, v, v]),
      TOL,
      true,
    );
  });

  it("checkerboard(1, [2 2]) at 0.5, 'bilinear', no antialiasing -> [0.5 0.35; 0.5 0.35]", async () => {
    const board = m('0 1 0 0.7  1 0 0.7 0  0 1 0 0.7  1 0 0.7 0');
    expectClose(
      await run(board, [4, 4], 0.5, { method: 'bilinear', antialiasing: false }),
      [0.5, 0.35, 0.5, 0.35],
      TOL,
      true,
    );
  });
});

describe('imresize: MATLAB uint8 vectors (spec §9.3, all 13 reference cases, 876 pixels)', () => {
  const IN = m(`
    116 227 153  69 146 194  59 130 139 106
      2  47 137 249  90  75  16  24 158  44
    155  68  46  84 166 156  69 204  32 152
     71 221 137 230 210 153 192 115  30 118
    107 143 108  52  51  73 101  21 175  90
     54 158 143  77  26 168 113 229 165 225
      9  47 133 135 130 207 236  43  19  73
    129  60  59 243  64 181 249  56  32  86`);
  const cases: { name: string; scale: number; options: ImresizeOptions; shape: [number, number]; out: number[] }[] = [
    {
      name: 'bicubic 0.5, no AA',
      scale: 0.5,
      options: { method: 'bicubic', antialiasing: false },
      shape: [4, 5],
      out: m('92 164 123 38 118  139 116 188 167 69  121 87 67 108 180  54 153 141 149 42'),
    },
    {
      name: 'bicubic 0.5',
      scale: 0.5,
      options: { method: 'bicubic' },
      shape: [4, 5],
      out: m('105 140 126 81 109  110 134 153 114 93  108 108 94 127 146  67 126 162 149 62'),
    },
    {
      name: 'bicubic 1/3',
      scale: 1 / 3,
      options: { method: 'bicubic' },
      shape: [3, 4],
      out: m('115 135 97 101  113 119 124 125  81 157 118 64'),
    },
    {
      name: 'bicubic 1/3, no AA',
      scale: 1 / 3,
      options: { method: 'bicubic', antialiasing: false },
      shape: [3, 4],
      out: m('47 90 24 44  143 51 21 90  60 64 56 86'),
    },
    {
      name: 'bicubic 1.5',
      scale: 1.5,
      options: { method: 'bicubic' },
      shape: [12, 15],
      out: m(`
      116 187 237 171  94  61 135 191 187  75  91 142 140 124 108
       43  92 143 149 164 163 119 123 118  44  38  80 151 118  62
       13  21  47 107 195 228 115  81  70  24  19  56 137 105  48
      146  98  49  49  71 107 148 159 132  58 124 176  61  85 146
      118 139 144  92 116 168 201 188 159 140 167 158  27  69 153
       61 151 218 145 174 219 201 164 146 187 148  84  48  76 115
      102 132 151 119  90  72  72  72  83 114  60  31 144 130  80
       81 121 154 133  87  41  19  67 116  95 108 140 183 180 163
       37  95 152 150 117  73  35 108 179 130 174 214 153 176 219
        3  29  73 131 136 120 116 162 214 229 147  54  35  62  96
       67  54  51  83 153 187 111 141 210 255 149  22  13  42  74
      142  99  53  43 164 237  77 103 197 254 159  42  31  59  91`),
    },
    {
      name: 'bicubic 4/3',
      scale: 4 / 3,
      options: { method: 'bicubic' },
      shape: [11, 14],
      out: m(`
      116 203 221 141  62 110 180 191  70 104 143 136 111 106
       26  78 126 156 200 139 103 103  33  28  92 158  67  46
       51  35  51 112 195 146 101  87  29  57 100 114  81  74
      159 110  63  50  82 148 179 152  83 173 147  27 143 170
       70 171 189 134 217 226 193 158 186 157  83  25 114 135
       91 152 162 116 118 114 102  98 138  65  60 127  92  84
       90 130 144 111  52  24  50 101  94  86 129 190 146 135
       41 114 157 139  89  37  82 178 125 192 203 154 213 227
        4  33  89 141 127 118 151 213 232 119  35  34  81  92
       88  61  54  97 203 129 115 203 255 119  18  24  70  81
      147  91  43  68 247 125  80 191 255 130  33  37  83  94`),
    },
    {
      name: 'bilinear 0.5',
      scale: 0.5,
      options: { method: 'bilinear' },
      shape: [4, 5],
      out: m('108 136 125 89 107  111 132 143 114 99  106 110 106 127 136  75 124 154 142 75'),
    },
    {
      name: 'bilinear 0.5, no AA',
      scale: 0.5,
      options: { method: 'bilinear', antialiasing: false },
      shape: [4, 5],
      out: m('98 152 126 58 112  129 125 172 146 83  116 96 80 116 164  62 143 146 147 53'),
    },
    {
      name: 'bilinear 1/3',
      scale: 1 / 3,
      options: { method: 'bilinear' },
      shape: [3, 4],
      out: m('115 131 101 102  114 117 120 121  91 147 116 76'),
    },
    {
      name: 'bilinear 1/3, no AA',
      scale: 1 / 3,
      options: { method: 'bilinear', antialiasing: false },
      shape: [3, 4],
      out: m('47 90 24 44  143 51 21 90  60 64 56 86'),
    },
    {
      name: 'bilinear 0.91, no AA (same size, still interpolated)',
      scale: 0.91,
      options: { method: 'bilinear', antialiasing: false },
      shape: [8, 10],
      out: m(`
      115 208 134 100 163 117 101 136 109 103
       26  61 149 182  95  53  41 116  73  60
      133 101  82 140 167 125 152  71 126 144
       88 184 137 164 142 145 110  81 104 108
       86 146 109  55  73 110 111 156 153 150
       33 104 131 100 130 184 147  97 133 142
       84  59 114 164 133 219 120  33  72  81
      126  60 104 181 116 218 125  38  77  86`),
    },
    {
      name: 'bilinear 1.5',
      scale: 1.5,
      options: { method: 'bilinear' },
      shape: [12, 15],
      out: m(`
      116 172 215 165 111  82 133 170 171  81  95 132 138 123 106
       59  98 138 144 152 152 125 127 119  54  58  89 137 112  75
       27  39  62 110 172 202 123  96  78  36  40  68 123 100  62
      129  97  64  62  87 119 146 148 128  74 117 154  73  94 134
      113 129 136 101 125 162 183 172 151 135 146 139  53  83 135
       77 143 195 145 166 197 186 162 146 171 138  92  62  84 113
      101 129 149 120  98  81  78  82  91 111  77  56 132 123  95
       81 116 147 130  96  61  43  80 119 109 116 132 162 164 158
       46  93 139 141 114  80  50 109 168 141 166 189 151 171 200
       16  41  77 123 130 123 115 157 204 214 145  69  48  71  98
       69  62  61  89 143 174 112 146 202 235 147  46  30  53  80
      129  95  60  59 151 213  94 123 192 238 153  52  36  59  86`),
    },
    {
      name: 'bilinear 4/3',
      scale: 4 / 3,
      options: { method: 'bilinear' },
      shape: [11, 14],
      out: m(`
      116 185 199 143  80 117 164 177  76 103 133 135 110 106
       45  89 126 148 177 138 114 109  43  52  97 141  78  67
       59  57  73 114 177 145 114  96  45  71  99 108  88  85
      145 109  76  63  96 146 166 147  93 152 133  47 134 148
       82 157 174 137 201 208 186 156 174 145  90  42 111 122
       94 143 152 119 119 114 108 107 131  86  80 119 104 101
       87 126 139 114  69  49  67 109 106 102 126 167 145 141
       48 108 143 135  91  56  89 167 134 177 184 154 199 206
       15  44  88 133 129 121 149 204 219 124  55  44  85  92
       84  66  67 102 189 132 127 198 237 123  42  34  74  81
      129  86  60  82 220 131 108 190 241 128  47  39  79  86`),
    },
  ];

  let exact = 0;
  let total = 0;
  for (const c of cases) {
    it(`${c.name} -> ${c.shape.join('x')}, within 1 of MATLAB`, async () => {
      const out = await run(IN, [8, 10], c.scale, c.options, 'int32', c.shape);
      out.forEach((v, i) => {
        if (Math.abs(v - c.out[i]) > 1) expect.fail(`pixel ${i}: got ${v}, MATLAB ${c.out[i]}`);
      });
      exact += out.filter((v, i) => v === c.out[i]).length;
      total += out.length;
    });
  }

  it('matches MATLAB exactly on 856 of the 876 pixels (cpu and wasm), the rest by 1', () => {
    // The 20 others are exact rational .5 ties: with weights in thirds and sixths (scales 1.5 and 0.91) a pixel's
    // exact value is k + 0.5, and MATLAB's double rounding noise (about 1e-14) decides which way it rounds, while ours
    // is float32 noise (about 1e-5). One (bilinear 0.5 without antialiasing, pixel (1,3), exactly 126.5 even in
    // float32) MATLAB's integer code rounds down. A double-precision host computation matches 875 of 876.
    expect(total).toBe(876);
    if (BACKEND === 'cpu' || BACKEND === 'wasm') expect(exact).toBe(856);
    else expect(exact).toBeGreaterThanOrEqual(850);
  });

  it('one pass: the uint8 result is the double result rounded half away from zero, except within 1e-4 of a tie', async () => {
    // A single row: only the columns pass interpolates, so each output is round(sum w * x) of the uint8 input.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 2, maxLength: 12 }),
        fc.constantFrom(0.5, 2 / 3, 0.91, 1.5, 4 / 3, 2.5),
        fc.constantFrom('bicubic', 'bilinear') as fc.Arbitrary<'bicubic' | 'bilinear'>,
        async (row, scale, method) => {
          const outLen = Math.ceil(scale * row.length);
          const out = await run(row, [1, row.length], [1, outLen], { method }, 'int32');
          const exact = reference(
            row,
            [1, 1, row.length, 1],
            [1, outLen],
            [1, outLen / row.length],
            method === 'bicubic' ? 'cubic' : 'triangle',
            true,
            false,
          );
          exact.forEach((v, i) => {
            const rounded = Math.min(255, Math.max(0, Math.sign(v) * Math.floor(Math.abs(v) + 0.5)));
            if (out[i] !== rounded) {
              expect(Math.abs(Math.abs(v - Math.trunc(v)) - 0.5)).toBeLessThan(1e-4);
              expect(Math.abs(out[i] - rounded)).toBe(1);
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('imresize: hand-computed cases and methods', () => {
  it("'nearest' x2 repeats every pixel; x0.5 keeps pixels 2 and 4 (1-based)", async () => {
    expect(await run([1, 2, 3, 4], [2, 2], 2, { method: 'nearest' }, 'int32', [4, 4])).toEqual(
      m('1 1 2 2  1 1 2 2  3 3 4 4  3 3 4 4'),
    );
    expect(await run(MAGIC4, [4, 4], 0.5, { method: 'nearest' }, 'float32', [2, 2])).toEqual([11, 8, 14, 1]);
  });

  it("'nearest' copies values exactly, also huge and non-uint8 int32 values", async () => {
    expect(await run([2 ** 100, -3.5, NaN, 7], [1, 4], [1, 8], { method: 'nearest' })).toEqual([
      2 ** 100,
      2 ** 100,
      -3.5,
      -3.5,
      NaN,
      NaN,
      7,
      7,
    ]);
    expect(await run([-5, 300], [1, 2], [2, 4], { method: 'nearest' }, 'int32')).toEqual([
      -5, -5, 300, 300, -5, -5, 300, 300,
    ]);
  });

  it("'box' at 0.5 averages 2x2 blocks; 'triangle' is 'bilinear'; 'cubic' is 'bicubic'", async () => {
    expectClose(await run([1, 3, 5, 7, 2, 4, 6, 8], [2, 4], 0.5, { method: 'box' }), [2.5, 6.5], TOL, true);
    expect(await run(MAGIC4, [4, 4], 1.7, { method: 'triangle' })).toEqual(
      await run(MAGIC4, [4, 4], 1.7, { method: 'bilinear' }),
    );
    expect(await run(MAGIC4, [4, 4], 0.6, { method: 'cubic' })).toEqual(await run(MAGIC4, [4, 4], 0.6));
  });

  it('linear ramps are reproduced exactly by bilinear in the interior (x2)', async () => {
    // 1 x 4 ramp -> 1 x 8: u = x/2 + 0.25; interior outputs are the ramp evaluated at u.
    const out = await run([0, 1, 2, 3], [1, 4], [1, 8], { method: 'bilinear' });
    expectClose(out.slice(1, 7), [0.25, 0.75, 1.25, 1.75, 2.25, 2.75], TOL);
    expect(out[0]).toBe(0); // mirrored border: (0 + 0) weights
    expect(out[7]).toBe(3);
  });

  it('lanczos2 and lanczos3 match the host reference', async () => {
    const data = Array.from({ length: 35 }, (_, i) => Math.cos(i * 0.7) * 3);
    for (const method of ['lanczos2', 'lanczos3'] as const) {
      for (const scale of [0.45, 1.8]) {
        const out = await run(data, [5, 7], scale, { method });
        const ref = reference(
          data,
          [1, 5, 7, 1],
          [Math.ceil(scale * 5), Math.ceil(scale * 7)],
          [scale, scale],
          method,
          true,
          false,
        );
        expectClose(out, ref, 1e-5);
      }
    }
  });

  it('a 1x1 input becomes a constant image of any size, for every method', async () => {
    for (const method of ['bicubic', 'bilinear', 'nearest', 'box', 'lanczos2', 'lanczos3'] as const) {
      expectClose(await run([0.3], [1, 1], [3, 5], { method }, 'float32', [3, 5]), Array(15).fill(0.3), 1e-6);
      expect(await run([200], [1, 1], 4, { method }, 'int32', [4, 4])).toEqual(Array(16).fill(200));
    }
  });

  it('sizes: scalar scale uses ceil in double (ceil(0.07*100) = 8); one null keeps the aspect ratio', async () => {
    const x = tf.zeros([30, 20]);
    const y = tf.zeros([100, 300]);
    const outs = [
      imresize(y, 0.07), // 0.07 * 100 is 7.000000000000001 in double: 8 rows; 0.07 * 300 is 21.000000000000004: 22
      imresize(x, 0.1), // 0.1 * 30 is exactly 3 in double, 0.1 * 20 is 2
      imresize(x, [null, 7]), // rows ceil(7 * 30 / 20) = ceil(10.5) = 11
      imresize(x, [13, NaN]), // cols ceil(13 * 20 / 30) = ceil(8.666...) = 9
      imresize(x, null, { scale: [0.5, 2] }),
    ];
    expect(outs.map((t) => t.shape)).toEqual([
      [8, 22],
      [3, 2],
      [11, 7],
      [13, 9],
      [15, 40],
    ]);
    tf.dispose([x, y, ...outs]);
  });

  it("one null: both axes use the given side's scale (not out/in of the computed side)", async () => {
    // 5 x 7 -> [null, 3]: rows = ceil(3 * 5 / 7) = 3, row scale is 3/7 (not 3/5).
    const data = Array.from({ length: 35 }, (_, i) => (i * 7) % 11);
    const out = await run(data, [5, 7], [null, 3], undefined, 'float32', [3, 3]);
    expectClose(out, reference(data, [1, 5, 7, 1], [3, 3], [3 / 7, 3 / 7], 'cubic', true, false), 1e-5);
    const wrong = reference(data, [1, 5, 7, 1], [3, 3], [3 / 5, 3 / 7], 'cubic', true, false);
    expect(Math.max(...out.map((v, i) => Math.abs(v - wrong[i])))).toBeGreaterThan(1e-3);
  });

  it('per-axis options.scale: each axis its own scale; the smaller scale goes first', async () => {
    const data = Array.from({ length: 48 }, (_, i) => (i * 37) % 256);
    for (const [sr, sc] of [
      [0.5, 1.5],
      [1.5, 0.5],
      [2, 2],
    ]) {
      const shape = [Math.ceil(sr * 6), Math.ceil(sc * 8)];
      const out = await run(data, [6, 8], null, { scale: [sr, sc] }, 'int32', shape);
      expect(out).toEqual(Array.from(reference(data, [1, 6, 8, 1], shape, [sr, sc], 'cubic', true, true)));
    }
  });

  it("options.outputSize (MATLAB's 'OutputSize') is the size given as scaleOrSize, a null side included", async () => {
    const data = Array.from({ length: 48 }, (_, i) => (i * 37) % 256);
    for (const size of [
      [3, 5],
      [null, 4],
      [9, null],
    ] as const) {
      const byOption = await run(data, [6, 8], null, { outputSize: size }, 'int32');
      expect(byOption).toEqual(await run(data, [6, 8], size, undefined, 'int32'));
    }
  });

  it('uint8: the smaller-scale axis goes first, rows first on ties (the other order gives other values)', async () => {
    const data = Array.from({ length: 80 }, (_, i) => (i * 97 + 13) % 256);
    for (const [sr, sc, first] of [
      [1.7, 0.6, 2],
      [0.6, 1.7, 1],
      [1.7, 1.7, 1],
      [0.45, 0.45, 1],
    ]) {
      const shape = [Math.ceil(8 * sr), Math.ceil(10 * sc)];
      const out = await run(data, [8, 10], null, { scale: [sr, sc] }, 'int32', shape);
      const order: [number, number] = first === 1 ? [1, 2] : [2, 1];
      const other: [number, number] = first === 1 ? [2, 1] : [1, 2];
      expect(out).toEqual(Array.from(reference(data, [1, 8, 10, 1], shape, [sr, sc], 'cubic', true, true, order)));
      expect(out).not.toEqual(Array.from(reference(data, [1, 8, 10, 1], shape, [sr, sc], 'cubic', true, true, other)));
    }
  });

  it('double: bicubic overshoot is kept (no clipping)', async () => {
    const out = await run([0, 0, 1, 1], [1, 4], [1, 8]);
    expect(Math.min(...out)).toBeLessThan(0);
    expect(Math.max(...out)).toBeGreaterThan(1);
  });

  it('uint8: overshoot saturates to 0..255', async () => {
    const out = await run([0, 0, 255, 255], [1, 4], [1, 8], undefined, 'int32');
    expect(Math.min(...out)).toBe(0);
    expect(Math.max(...out)).toBe(255);
    expect(out).toEqual(Array.from(reference([0, 0, 255, 255], [1, 1, 4, 1], [1, 8], [1, 2], 'cubic', true, true)));
  });
});

describe('imresize: NaN and Inf (spread like MATLAB: only to the pixels whose kept taps cover them)', () => {
  it('a NaN reaches only the outputs whose taps include it, also through zero-weight kept taps', async () => {
    const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    data[3] = NaN;
    for (const [size, opts] of [
      [[1, 24], {}],
      [[1, 5], {}],
      [[1, 7], { method: 'bilinear' }],
      [[1, 9], { method: 'lanczos3' }],
    ] as [[number, number], ImresizeOptions][]) {
      const out = await run(data, [1, 12], size, opts);
      const kernel = opts.method === 'bilinear' ? 'triangle' : opts.method === 'lanczos3' ? 'lanczos3' : 'cubic';
      const ref = reference(data, [1, 1, 12, 1], size, [1, size[1] / 12], kernel, true, false);
      expect(out.map(Number.isNaN)).toEqual(Array.from(ref, Number.isNaN));
      expect(out.some(Number.isNaN)).toBe(true);
      expect(out.every(Number.isNaN)).toBe(false);
      expectClose(out, ref, 1e-5);
    }
  });

  it('a kept tap of weight 0 still spreads NaN (0 * NaN is NaN)', async () => {
    // Bicubic 10 -> 6 without antialiasing (scale 0.6): outputs 2, 5 (1-based) sit exactly on an input pixel, so two
    // of their kept taps have weight 0 (the cubic is 0 at distance 1 and 2); the other outputs need those columns.
    const co = contributions(10, 6, 0.6, 'cubic', false);
    let hit = -1;
    let src = -1;
    for (let o = 0; o < 6 && hit < 0; o++) {
      for (let k = 0; k < co.taps; k++) {
        if (co.weights[o * co.taps + k] === 0) [hit, src] = [o, co.indices[o * co.taps + k]];
      }
    }
    expect(hit).toBeGreaterThanOrEqual(0);
    const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    data[src] = NaN;
    const out = await run(data, [1, 10], [1, 6], { antialiasing: false });
    expect(Number.isNaN(out[hit])).toBe(true);
    // Without the NaN, that output is exactly the input pixel it sits on.
    const clean = await run([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1, 10], [1, 6], { antialiasing: false });
    expect(Number.isFinite(clean[hit])).toBe(true);
    expect(out.some((v) => Number.isFinite(v))).toBe(true);
  });

  it('Inf spreads as in double arithmetic (Inf * negative weight, Inf - Inf)', async () => {
    const data = [0, 1, 2, Infinity, 4, 5, 6, 7];
    const out = await run(data, [1, 8], [1, 16]);
    const ref = reference(data, [1, 1, 8, 1], [1, 16], [1, 2], 'cubic', true, false);
    expect(out.map((v) => (Number.isNaN(v) ? 'nan' : Number.isFinite(v) ? 'fin' : v > 0 ? '+inf' : '-inf'))).toEqual(
      Array.from(ref, (v) => (Number.isNaN(v) ? 'nan' : Number.isFinite(v) ? 'fin' : v > 0 ? '+inf' : '-inf')),
    );
  });
});

describe('imresize: shapes, frames and channels', () => {
  const img = Array.from({ length: 2 * 5 * 6 * 3 }, (_, i) => Math.sin(i * 1.3) * 100 + 100);

  it('[h, w, c] resizes each channel like a separate [h, w]', async () => {
    const all = await run(img.slice(0, 90), [5, 6, 3], [7, 4], undefined, 'float32', [7, 4, 3]);
    for (let ch = 0; ch < 3; ch++) {
      const plane = img.slice(0, 90).filter((_, i) => i % 3 === ch);
      const one = await run(plane, [5, 6], [7, 4], undefined, 'float32', [7, 4]);
      expectClose(
        all.filter((_, i) => i % 3 === ch),
        one,
        1e-6,
        true,
      );
    }
  });

  it('[n, h, w, c] resizes each frame like a separate [h, w, c] (float32 and int32)', async () => {
    for (const dtype of ['float32', 'int32'] as const) {
      const data = dtype === 'int32' ? img.map(Math.round) : img;
      for (const size of [
        [9, 11],
        [3, 2],
      ] as [number, number][]) {
        const batch = await run(data, [2, 5, 6, 3], size, undefined, dtype, [2, ...size, 3]);
        for (let f = 0; f < 2; f++) {
          const frame = await run(data.slice(f * 90, (f + 1) * 90), [5, 6, 3], size, undefined, dtype);
          const part = batch.slice(f * size[0] * size[1] * 3, (f + 1) * size[0] * size[1] * 3);
          if (dtype === 'int32') expect(part).toEqual(frame);
          else expectClose(part, frame, 1e-6, true);
        }
      }
    }
  });

  it('[n, h, w, 1] and [h, w, n] give the same planes (frames as channels)', async () => {
    const frames = img.slice(0, 60); // [2, 5, 6, 1]
    const asFrames = await run(frames, [2, 5, 6, 1], [8, 8], undefined, 'float32', [2, 8, 8, 1]);
    const asChannels = frames.map((_, i) => frames[(i % 2) * 30 + Math.floor(i / 2)]); // [5, 6, 2]
    const out = await run(asChannels, [5, 6, 2], [8, 8], undefined, 'float32', [8, 8, 2]);
    expectClose(
      asFrames,
      Array.from({ length: 128 }, (_, i) => out[(i % 64) * 2 + Math.floor(i / 64)]),
      1e-6,
      true,
    );
  });

  it('matches the host reference for every layout and many channel counts', async () => {
    for (const [shape, size] of [
      [
        [1, 4, 5, 1],
        [9, 3],
      ],
      [
        [3, 4, 5, 2],
        [2, 8],
      ],
      [
        [1, 6, 3, 5],
        [13, 7],
      ],
      [
        [2, 1, 7, 4],
        [3, 3],
      ],
      [
        [2, 7, 1, 3],
        [3, 4],
      ],
    ] as [number[], [number, number]][]) {
      const size4 = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: size4 }, (_, i) => Math.cos(i * 0.37) * 50);
      const out = await run(data, shape, size, undefined, 'float32', [shape[0], ...size, shape[3]]);
      const ref = reference(data, shape, size, [size[0] / shape[1], size[1] / shape[2]], 'cubic', true, false);
      expectClose(out, ref, 1e-4); // data up to 50: float32 rounding is about 1e-5
    }
  });
});

describe('imresize: the two device paths (row slices on cpu, gatherND elsewhere)', () => {
  it('give bit-identical results, NaN included, for float32 and int32', async () => {
    const shapes: [number[], [number, number], ImresizeOptions][] = [
      [[1, 9, 7, 3], [13, 5], {}],
      [[3, 6, 8, 1], [4, 11], { method: 'bilinear' }],
      [[2, 5, 5, 2], [10, 10], { method: 'nearest' }],
      [[2, 7, 4, 1], [3, 9], { method: 'lanczos3', antialiasing: false }],
    ];
    for (const [shape, size, options] of shapes) {
      for (const dtype of ['float32', 'int32'] as const) {
        const len = shape.reduce((a, b) => a * b, 1);
        const data = Array.from({ length: len }, (_, i) => (dtype === 'int32' ? (i * 71) % 256 : Math.sin(i) * 9));
        if (dtype === 'float32') data[5] = NaN;
        const results: number[][] = [];
        try {
          for (const path of [true, false]) {
            imresizePath.bySlices = path;
            results.push(await run(data, shape, size, options, dtype, [shape[0], ...size, shape[3]]));
          }
        } finally {
          delete imresizePath.bySlices;
        }
        expect(results[0]).toEqual(results[1]);
      }
    }
  });
});

describe('imresize: memory and inputs', () => {
  it('returns one new tensor and leaks nothing (float32, int32, identity, nearest, 4-D)', async () => {
    const x = tf.randomUniform([2, 6, 7, 3]);
    const xi = tf.cast(tf.mul(x, 255), 'int32');
    for (const [input, s, o] of [
      [x, [9, 4], {}],
      [xi, 0.5, {}],
      [x, 1, {}],
      [xi, 2, { method: 'nearest' }],
      [x, null, { scale: [1, 2.5] }],
    ] as [tf.Tensor, Parameters<typeof imresize>[1], ImresizeOptions][]) {
      const y = await expectNoLeak(() => imresize(input, s, o), 1);
      y.dispose();
    }
    tf.dispose([x, xi]);
  });

  it('scale 1 returns a new tensor: disposing it leaves the input alive', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y = imresize(x, 1);
    expect(y).not.toBe(x);
    y.dispose();
    expect(x.isDisposed).toBe(false);
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4]);
    x.dispose();
  });

  it('does not modify or dispose its input', async () => {
    const data = Array.from({ length: 48 }, (_, i) => i);
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tensor3d(data, [4, 4, 3], dtype);
      const y = imresize(x, [7, 3]);
      expect(x.isDisposed).toBe(false);
      expect(Array.from(await x.data())).toEqual(data);
      expect(x.shape).toEqual([4, 4, 3]);
      tf.dispose([x, y]);
    }
  });
});

describe('imresize: errors (checked before any tensor is made)', () => {
  // Each case: the input to make first (outside the count), the call, the error type and the exact message.
  const img = () => tf.zeros([4, 4]);
  const cases: [string, () => unknown, (x: never) => unknown, new (...a: never[]) => Error, string][] = [
    [
      'not a tensor',
      () => [1, 2],
      (x) => imresize(x, 2),
      TypeError,
      "imresize: expected 'x' to be an image tensor [h, w], [h, w, c] or [n, h, w, c], got [1, 2] (array of length 2)",
    ],
    [
      'a typed array',
      () => new Float32Array(4),
      (x) => imresize(x, 2),
      TypeError,
      "imresize: expected 'x' to be an image tensor [h, w], [h, w, c] or [n, h, w, c], got Float32Array of length 4",
    ],
    [
      'rank 1',
      () => tf.zeros([5]),
      (x) => imresize(x, 2),
      RangeError,
      "imresize: expected 'x' to be an image tensor [h, w], [h, w, c] or [n, h, w, c], got rank 1 [5] float32",
    ],
    [
      'rank 5',
      () => tf.zeros([1, 2, 2, 2, 1]),
      (x) => imresize(x, 2),
      RangeError,
      "imresize: expected 'x' to be an image tensor [h, w], [h, w, c] or [n, h, w, c], got rank 5 [1, 2, 2, 2, 1] float32",
    ],
    [
      'bool dtype',
      () => tf.zeros([2, 2], 'bool'),
      (x) => imresize(x, 2),
      TypeError,
      "imresize: expected 'x' to be an image tensor [h, w], [h, w, c] or [n, h, w, c] (dtype float32 or int32), got rank 2 [2, 2] bool",
    ],
    [
      'empty',
      () => tf.zeros([0, 3]),
      (x) => imresize(x, 2),
      RangeError,
      "imresize: expected 'x' to be a non-empty image, got rank 2 [0, 3] float32",
    ],
    [
      'empty frames',
      () => tf.zeros([0, 3, 3, 1]),
      (x) => imresize(x, 2),
      RangeError,
      "imresize: expected 'x' to be a non-empty image, got rank 4 [0, 3, 3, 1] float32",
    ],
    [
      'scale 0',
      img,
      (x) => imresize(x, 0),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got 0 (number)",
    ],
    [
      'scale < 0',
      img,
      (x) => imresize(x, -2),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got -2 (number)",
    ],
    [
      'scale NaN',
      img,
      (x) => imresize(x, NaN),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got NaN (number)",
    ],
    [
      'scale Infinity',
      img,
      (x) => imresize(x, Infinity),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got Infinity (number)",
    ],
    [
      'scale a string',
      img,
      (x) => imresize(x, '2' as never),
      TypeError,
      'imresize: expected \'scaleOrSize\' to be a positive finite scale or an output size [rows, cols], got "2" (string)',
    ],
    [
      'scaleOrSize missing',
      img,
      (x) => imresize(x, undefined),
      TypeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got undefined",
    ],
    [
      'size of 3 elements',
      img,
      (x) => imresize(x, [227, 227, 3] as never),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got [227, 227, 3] (array of length 3)",
    ],
    [
      'two nulls',
      img,
      (x) => imresize(x, [null, null]),
      RangeError,
      "imresize: expected 'scaleOrSize' to be an output size [rows, cols] with at most one of them null, got [null, null] (array of length 2)",
    ],
    [
      'two NaNs',
      img,
      (x) => imresize(x, [NaN, NaN]),
      RangeError,
      "imresize: expected 'scaleOrSize' to be an output size [rows, cols] with at most one of them null, got [NaN, NaN] (array of length 2)",
    ],
    [
      'size 0',
      img,
      (x) => imresize(x, [0, 5]),
      RangeError,
      "imresize: expected 'scaleOrSize[0]' to be a positive integer or null, got 0 (number)",
    ],
    [
      'negative size',
      img,
      (x) => imresize(x, [5, -1]),
      RangeError,
      "imresize: expected 'scaleOrSize[1]' to be a positive integer or null, got -1 (number)",
    ],
    [
      'non-integer size',
      img,
      (x) => imresize(x, [5.5, 3]),
      RangeError,
      "imresize: expected 'scaleOrSize[0]' to be a positive integer or null, got 5.5 (number)",
    ],
    [
      'infinite size',
      img,
      (x) => imresize(x, [null, Infinity]),
      RangeError,
      "imresize: expected 'scaleOrSize[1]' to be a positive integer or null, got Infinity (number)",
    ],
    [
      'size a string',
      img,
      (x) => imresize(x, ['5', 3] as never),
      TypeError,
      'imresize: expected \'scaleOrSize[0]\' to be a positive integer or null, got "5" (string)',
    ],
    [
      'too large',
      img,
      (x) => imresize(x, 1e300),
      RangeError,
      "imresize: expected 'scaleOrSize' to be a resize to at most 2147483647 rows and columns, got 1e+300 (number)",
    ],
    [
      'options not an object',
      img,
      (x) => imresize(x, 2, 'other' as never),
      TypeError,
      'imresize: expected \'options\' to be an options object, got "other" (string)',
    ],
    [
      "the method in MATLAB's place (imresize(I, 2, 'bilinear'))",
      img,
      (x) => imresize(x, 2, 'bilinear' as never),
      TypeError,
      'imresize: expected \'options\' to be an options object, got "bilinear" (string); ' +
        "pass the method as { method: 'bilinear' }",
    ],
    [
      'unknown option',
      img,
      (x) => imresize(x, 2, { antialias: false } as never),
      RangeError,
      "imresize: unknown option 'antialias'; known options are 'method', 'antialiasing', 'scale', 'outputSize'",
    ],
    [
      'unknown method',
      img,
      (x) => imresize(x, 2, { method: 'lanczos4' as never }),
      RangeError,
      "imresize: expected 'options.method' to be one of 'bicubic', 'cubic', 'bilinear', 'triangle', 'nearest', 'box', 'lanczos2', 'lanczos3', got \"lanczos4\" (string)",
    ],
    [
      'method not a string',
      img,
      (x) => imresize(x, 2, { method: 3 as never }),
      TypeError,
      "imresize: expected 'options.method' to be one of 'bicubic', 'cubic', 'bilinear', 'triangle', 'nearest', 'box', 'lanczos2', 'lanczos3', got 3 (number)",
    ],
    [
      'antialiasing not a boolean',
      img,
      (x) => imresize(x, 2, { antialiasing: 'yes' as never }),
      TypeError,
      'imresize: expected \'options.antialiasing\' to be a boolean, got "yes" (string)',
    ],
    [
      'antialiasing a number',
      img,
      (x) => imresize(x, 2, { antialiasing: 0 as never }),
      TypeError,
      "imresize: expected 'options.antialiasing' to be a boolean, got 0 (number)",
    ],
    [
      'options.scale not a pair',
      img,
      (x) => imresize(x, null, { scale: [2] as never }),
      TypeError,
      "imresize: expected 'options.scale' to be an array [rowScale, colScale] of positive finite numbers, got [2] (array of length 1)",
    ],
    [
      'options.scale with 0',
      img,
      (x) => imresize(x, null, { scale: [2, 0] }),
      RangeError,
      "imresize: expected 'options.scale' to be an array [rowScale, colScale] of positive finite numbers, got [2, 0] (array of length 2)",
    ],
    [
      'options.scale and scaleOrSize',
      img,
      (x) => imresize(x, 2, { scale: [2, 2] }),
      RangeError,
      "imresize: expected 'scaleOrSize' to be null when options.scale is given, got 2 (number)",
    ],
    [
      'options.outputSize and options.scale',
      img,
      (x) => imresize(x, null, { outputSize: [2, 2], scale: [2, 2] }),
      RangeError,
      "imresize: options 'scale' and 'outputSize' cannot be combined; give one of them",
    ],
    [
      'options.outputSize and scaleOrSize',
      img,
      (x) => imresize(x, [3, 3], { outputSize: [2, 2] }),
      RangeError,
      "imresize: expected 'scaleOrSize' to be null when options.outputSize is given, got [3, 3] (array of length 2)",
    ],
    [
      'options.outputSize a scale',
      img,
      (x) => imresize(x, null, { outputSize: 2 as never }),
      TypeError,
      "imresize: expected 'options.outputSize' to be an output size [rows, cols], got 2 (number)",
    ],
    [
      'options.outputSize with 0',
      img,
      (x) => imresize(x, null, { outputSize: [2, 0] }),
      RangeError,
      "imresize: expected 'options.outputSize[1]' to be a positive integer or null, got 0 (number)",
    ],
    [
      "MATLAB's imresize(A, 'OutputSize', [r c])",
      img,
      (x) => imresize(x, 'OutputSize' as never, [2, 2] as never),
      TypeError,
      "imresize: expected 'scaleOrSize' to be a positive finite scale or an output size [rows, cols], got \"OutputSize\" (string); MATLAB's name-value pairs are one object here: imresize(x, null, { outputSize: … })",
    ],
    [
      'options.scale too large',
      img,
      (x) => imresize(x, null, { scale: [1, 1e12] }),
      RangeError,
      "imresize: expected 'options.scale' to be a resize to at most 2147483647 rows and columns, got [1, 1000000000000] (array of length 2)",
    ],
  ];

  for (const [name, make, call, type, message] of cases) {
    it(`${name}: ${type.name}`, async () => {
      const input = make();
      await expectThrowsNoLeak(() => call(input as never), type, message);
      if (input instanceof tf.Tensor) input.dispose();
    });
  }

  it('a disposed tensor', async () => {
    const t = tf.zeros([3, 3]);
    t.dispose();
    await expectThrowsNoLeak(
      () => imresize(t, 2),
      TypeError,
      "imresize: 'x' is a disposed tensor; it can no longer be used",
    );
  });

  it('throws before allocating: no tensor is made on the error path', async () => {
    const t = tf.zeros([4, 4]);
    await expectThrowsNoLeak(() => imresize(t, [0, 1]), RangeError, /scaleOrSize\[0\]/);
    await expectThrowsNoLeak(() => imresize(t, 2, { method: 'sinc' as never }), RangeError, /options.method/);
    t.dispose();
  });
});

describe('imresize: properties (fast-check)', () => {
  const dims = fc.record({
    n: fc.integer({ min: 1, max: 2 }),
    h: fc.integer({ min: 1, max: 9 }),
    w: fc.integer({ min: 1, max: 9 }),
    c: fc.integer({ min: 1, max: 3 }),
  });
  const methods = fc.constantFrom('bicubic', 'bilinear', 'nearest', 'box', 'lanczos2', 'lanczos3') as fc.Arbitrary<
    NonNullable<ImresizeOptions['method']>
  >;

  it('scale 1 is the identity, exactly (float32 and int32; kernels that vanish at the integers)', async () => {
    const exactMethods = fc.constantFrom('bicubic', 'bilinear', 'nearest', 'box') as fc.Arbitrary<
      'bicubic' | 'bilinear' | 'nearest' | 'box'
    >;
    await fc.assert(
      fc.asyncProperty(
        dims,
        exactMethods,
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        async ({ n, h, w, c }, method, isInt, seed) => {
          const size = n * h * w * c;
          const data = Array.from({ length: size }, (_, i) =>
            isInt ? (i * 31 + seed) % 256 : Math.fround(Math.sin(i + seed) * 7),
          );
          const out = await run(data, [n, h, w, c], 1, { method }, isInt ? 'int32' : 'float32', [n, h, w, c]);
          expect(out).toEqual(data);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('lanczos at scale 1 is the identity up to its eps-sized side weights (as in MATLAB)', async () => {
    const data = Array.from({ length: 30 }, (_, i) => Math.fround(Math.sin(i) * 7));
    for (const method of ['lanczos2', 'lanczos3'] as const) {
      expectClose(await run(data, [5, 6], 1, { method }), data, 1e-6);
      const ints = data.map((v) => Math.round(v * 10 + 100));
      expect(await run(ints, [5, 6], 1, { method }, 'int32')).toEqual(ints);
    }
  });

  it('a constant image stays constant (int32 exactly, float32 within TOL)', async () => {
    await fc.assert(
      fc.asyncProperty(
        dims,
        methods,
        fc.double({ min: 0.05, max: 4, noNaN: true }),
        fc.integer({ min: 0, max: 255 }),
        async ({ n, h, w, c }, method, scale, v) => {
          const size = n * h * w * c;
          const outI = await run(Array(size).fill(v), [n, h, w, c], scale, { method }, 'int32');
          expect(outI).toEqual(Array(outI.length).fill(v));
          const f = v / 37 - 3;
          const outF = await run(Array(size).fill(f), [n, h, w, c], scale, { method });
          expectClose(outF, Array(outF.length).fill(Math.fround(f)), TOL, true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the output size is ceil(scale * size), computed in double', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        async (h, w, scale) => {
          const x = tf.zeros([h, w, 1]);
          const y = imresize(x, scale, { method: 'nearest' });
          expect(y.shape).toEqual([Math.ceil(scale * h), Math.ceil(scale * w), 1]);
          tf.dispose([x, y]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('agrees with the double-precision host reference (float32 within 1e-5 relative, int32 within 1)', async () => {
    await fc.assert(
      fc.asyncProperty(
        dims,
        fc.constantFrom('bicubic', 'bilinear', 'lanczos3') as fc.Arbitrary<'bicubic' | 'bilinear' | 'lanczos3'>,
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        fc.boolean(),
        fc.boolean(),
        async ({ n, h, w, c }, method, sr, sc, aa, isInt) => {
          const shape = [n, h, w, c];
          const data = Array.from({ length: n * h * w * c }, (_, i) =>
            isInt ? (i * 53 + 7) % 256 : Math.cos(i * 0.9) * 10,
          );
          const size = [Math.ceil(sr * h), Math.ceil(sc * w)];
          const kernel = method === 'bicubic' ? 'cubic' : method === 'bilinear' ? 'triangle' : 'lanczos3';
          const out = await run(
            data,
            shape,
            null,
            { method, antialiasing: aa, scale: [sr, sc] },
            isInt ? 'int32' : 'float32',
          );
          const ref = reference(data, shape, size, [sr, sc], kernel, aa, isInt);
          if (isInt) {
            // Off by one only where float32 rounding lands on the other side of a .5 tie.
            out.forEach((v, i) => {
              expect(Math.abs(v - ref[i])).toBeLessThanOrEqual(1);
            });
          } else {
            expectClose(out, ref, 1e-4); // data up to 10: float32 rounding is about 1e-5
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
