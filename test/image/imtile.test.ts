import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { imtile } from '../../src/image/imtile.js';
import { imresize } from '../../src/image/imresize.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { TOL } from '../helpers/backend.js';

/** Spec 9.4: frame k (1-based) = k*10 + [0 1; 2 3]. Returns the frames as plain 2×2 arrays. */
function specFrames(n = 5): number[][][] {
  return Array.from({ length: n }, (_, i) => {
    const k = (i + 1) * 10;
    return [
      [k, k + 1],
      [k + 2, k + 3],
    ];
  });
}

/** `[h, w, k]` (frames last, MATLAB's M×N×K) from plain 2-D frames. */
function framesLast(frames: number[][][], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor3D {
  const [h, w] = [frames[0].length, frames[0][0].length];
  const data: number[] = [];
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) for (const f of frames) data.push(f[r][c]);
  return tf.tensor3d(data, [h, w, frames.length], dtype);
}

/** `[n, h, w, 1]` from plain 2-D frames. */
function framesFirst(frames: number[][][], dtype: 'float32' | 'int32' = 'float32'): tf.Tensor4D {
  return tf.tensor4d(frames.flat(2), [frames.length, frames[0].length, frames[0][0].length, 1], dtype);
}

async function tileArray(t: tf.Tensor): Promise<unknown> {
  const v = await t.array();
  t.dispose();
  return v;
}

const SPEC_94 = [
  [10, 11, 20, 21, 30, 31],
  [12, 13, 22, 23, 32, 33],
  [40, 41, 50, 51, 0, 0],
  [42, 43, 52, 53, 0, 0],
];

describe('imtile: spec 9.4 layouts', () => {
  it('5 frames 2×2, default grid 2×3 -> the 4×6 matrix of the spec, from every input form', async () => {
    const last = framesLast(specFrames());
    const first = framesFirst(specFrames());
    const list = specFrames().map((f) => tf.tensor2d(f));
    for (const input of [last, first, list]) {
      const out = imtile(input);
      expect(out.shape).toEqual([4, 6]);
      expect(out.dtype).toBe('float32');
      expect(await tileArray(out)).toEqual(SPEC_94);
    }
    tf.dispose([last, first, ...list]);
  });

  it('int32 frames stay int32', async () => {
    const x = framesLast(specFrames(), 'int32');
    const out = imtile(x);
    expect(out.dtype).toBe('int32');
    expect(await tileArray(out)).toEqual(SPEC_94);
    x.dispose();
  });

  it("frames 1-3 with 'GridSize',[NaN 2],'BorderSize',1 -> grid 2×2 of 4×4 tiles, 8×8, frame at (1,1) of its tile", async () => {
    const x = framesLast(specFrames());
    for (const gridSize of [
      [NaN, 2],
      [null, 2],
    ] as const) {
      const out = imtile(x, { frames: [0, 1, 2], gridSize, borderSize: 1 });
      expect(out.shape).toEqual([8, 8]);
      const expected = Array.from({ length: 8 }, () => Array(8).fill(0));
      specFrames(3).forEach((f, k) => {
        const [i, j] = [Math.floor(k / 2), k % 2];
        for (let r = 0; r < 2; r++) for (let c = 0; c < 2; c++) expected[i * 4 + 1 + r][j * 4 + 1 + c] = f[r][c];
      });
      expect(await tileArray(out)).toEqual(expected);
    }
    x.dispose();
  });

  it('{uint8 RGB 1×2, double gray 1×2} -> grid 2×1, float32 2×2×3 with gray replicated and nothing clipped', async () => {
    const rgb = tf.tensor3d([255, 0, 51, 102, 102, 102], [1, 2, 3], 'int32');
    const gray = tf.tensor2d([[0.25, 1.5]]);
    const out = imtile([rgb, gray]);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(out.dtype).toBe('float32');
    const v = (await tileArray(out)) as number[][][];
    const expected = [
      [
        [1, 0, 0.2],
        [0.4, 0.4, 0.4],
      ],
      [
        [0.25, 0.25, 0.25],
        [1.5, 1.5, 1.5],
      ],
    ];
    v.flat(2).forEach((x, i) => {
      expect(Math.abs(x - expected.flat(2)[i])).toBeLessThanOrEqual(TOL);
    });
    tf.dispose([rgb, gray]);
  });

  const grids: [string, number, number, number, (number | null)[] | undefined, [number, number]][] = [
    ['n=2 square', 2, 4, 4, undefined, [1, 2]],
    ['n=6 square', 6, 4, 4, undefined, [2, 3]],
    ['n=27 square', 27, 3, 3, undefined, [5, 6]],
    ['n=5 of 100×300', 5, 100, 300, undefined, [3, 2]],
    ['n=3 of 20×10 (MATLAB 1×3; Octave 2×2)', 3, 20, 10, undefined, [1, 3]],
    ['n=10 with [NaN 4]', 10, 2, 2, [NaN, 4], [3, 4]],
    ['64 frames with [8 8]', 64, 2, 2, [8, 8], [8, 8]],
    ['48 frames with [6 8]', 48, 2, 2, [6, 8], [6, 8]],
    ['one frame', 1, 3, 7, undefined, [1, 1]],
    ['n=10 with [3 Infinity]', 10, 2, 2, [3, Infinity], [3, 4]],
  ];
  for (const [name, n, h, w, gridSize, [rows, cols]] of grids) {
    it(`default/derived grid: ${name} -> ${rows}×${cols}`, () => {
      const x = tf.zeros([h, w, n]);
      const out = imtile(x, gridSize ? { gridSize: gridSize as [number, number] } : undefined);
      expect(out.shape).toEqual([rows * h, cols * w]);
      tf.dispose([x, out]);
    });
  }
});

describe('imtile: the walkthrough tiles (spec 4)', () => {
  it("imtile(mat2gray(act1),'GridSize',[8 8]) with act1 113×113×64 -> 904×904 float32", () => {
    const act1 = tf.zeros([113, 113, 64]);
    const out = imtile(act1, { gridSize: [8, 8] });
    expect(out.shape).toEqual([904, 904]);
    expect(out.dtype).toBe('float32');
    tf.dispose([act1, out]);
  });

  it('imtile({im, act1ch22}) -> float32 227×454×3: left im/255, right the gray channel replicated', async () => {
    const im = tf.tidy(() => tf.cast(tf.mod(tf.reshape(tf.range(0, 227 * 227 * 3), [227, 227, 3]), 256), 'int32'));
    const ch = tf.tidy(() => tf.div(tf.reshape(tf.range(0, 227 * 227), [227, 227]), 227 * 227));
    const out = imtile([im, ch]);
    expect(out.shape).toEqual([227, 454, 3]);
    expect(out.dtype).toBe('float32');
    const left = tf.slice(out, [0, 0, 0], [227, 227, 3]);
    const right = tf.slice(out, [0, 227, 0], [227, 227, 3]);
    const leftWant = tf.tidy(() => tf.div(tf.cast(im, 'float32'), 255));
    const rightWant = tf.tidy(() => tf.tile(tf.expandDims(ch, 2), [1, 1, 3]));
    const [l, lw, r, rw] = await Promise.all([left.data(), leftWant.data(), right.data(), rightWant.data()]);
    let worst = 0;
    for (let i = 0; i < l.length; i++) worst = Math.max(worst, Math.abs(l[i] - lw[i]));
    expect(worst).toBeLessThanOrEqual(TOL);
    expect(Array.from(r)).toEqual(Array.from(rw));
    tf.dispose([im, ch, out, left, right, leftWant, rightWant]);
  });

  it("imtile(imresize(mat2gray(act6),[64 64]),'GridSize',[6 8]) with 48 frames -> 384×512", () => {
    const x = tf.zeros([64, 64, 48]);
    const out = imtile(x, { gridSize: [6, 8] });
    expect(out.shape).toEqual([384, 512]);
    tf.dispose([x, out]);
  });

  it('imtile of 2 frames 227×227 -> grid 1×2 -> 227×454', () => {
    const x = tf.zeros([227, 227, 2]);
    const out = imtile(x);
    expect(out.shape).toEqual([227, 454]);
    tf.dispose([x, out]);
  });

  it('imtile(cat(4, im, chOpen*255, imClosed, chClosed*255)), int32 [6, 227, 227, 3] -> grid 2×3 -> int32 454×681×3', async () => {
    const x = tf.tidy(() =>
      tf.cast(tf.mul(tf.reshape(tf.range(1, 7), [6, 1, 1, 1]), tf.ones([6, 227, 227, 3])), 'int32'),
    );
    const out = imtile(x);
    expect(out.shape).toEqual([454, 681, 3]);
    expect(out.dtype).toBe('int32');
    // Row-major: row 0 holds frames 1, 2, 3; row 1 holds 4, 5, 6 (top-left pixel of each tile).
    const corners = tf.tidy(() => tf.gather(tf.gather(out, [0, 227], 0), [0, 227, 454], 1));
    expect(await corners.array()).toEqual([
      [
        [1, 1, 1],
        [2, 2, 2],
        [3, 3, 3],
      ],
      [
        [4, 4, 4],
        [5, 5, 5],
        [6, 6, 6],
      ],
    ]);
    tf.dispose([x, out, corners]);
  });
});

describe('imtile: shapes, grids and options', () => {
  it('[h, w] is one frame: returned as a copy', async () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const out = imtile(x);
    expect(out).not.toBe(x);
    expect(await tileArray(out)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    x.dispose();
  });

  it('1×1 frame, and 1×1 frames on a grid', async () => {
    const one = tf.tensor2d([[7]]);
    expect(await tileArray(imtile(one))).toEqual([[7]]);
    const three = tf.tensor3d([[[1, 2, 3]]]);
    // 3 frames 1×1: cols = ceil(sqrt(1 * 3 / 1)) = 2, rows = 2.
    expect(await tileArray(imtile(three))).toEqual([
      [1, 2],
      [3, 0],
    ]);
    tf.dispose([one, three]);
  });

  it('an RGB-looking [h, w, 3] tensor is 3 gray frames (MATLAB M×N×K), output 2-D', async () => {
    const x = tf.tensor3d([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]); // 1×2, 3 frames: [1 4], [2 5], [3 6]
    const out = imtile(x, { gridSize: [3, 1] });
    expect(out.shape).toEqual([3, 2]);
    expect(await tileArray(out)).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
    x.dispose();
  });

  it('[n, h, w, 3] stacks tile as RGB [H, W, 3], row-major, blank cells 0', async () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 1, 1, 3]);
    const out = imtile(x);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(await tileArray(out)).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [7, 8, 9],
        [0, 0, 0],
      ],
    ]);
    x.dispose();
  });

  it('[n, h, w, 1] with n = 1 gives [h, w]', async () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1], 'int32');
    const out = imtile(x);
    expect(out.shape).toEqual([2, 3]);
    expect(out.dtype).toBe('int32');
    expect(await tileArray(out)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    x.dispose();
  });

  it('gridSize smaller than the frame count tiles only the first rows*cols frames', async () => {
    const x = framesLast(specFrames());
    expect(await tileArray(imtile(x, { gridSize: [1, 2] }))).toEqual([
      [10, 11, 20, 21],
      [12, 13, 22, 23],
    ]);
    const y = framesFirst(specFrames());
    expect(await tileArray(imtile(y, { gridSize: [1, 1] }))).toEqual([
      [10, 11],
      [12, 13],
    ]);
    const list = specFrames().map((f) => tf.tensor2d(f));
    expect(await tileArray(imtile(list, { gridSize: [2, 1] }))).toEqual([
      [10, 11],
      [12, 13],
      [20, 21],
      [22, 23],
    ]);
    tf.dispose([x, y, ...list]);
  });

  it('a larger grid leaves the extra cells blank', async () => {
    const x = framesFirst(specFrames(2));
    expect(await tileArray(imtile(x, { gridSize: [2, 2] }))).toEqual([
      [10, 11, 20, 21],
      [12, 13, 22, 23],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    x.dispose();
  });

  it('one side of gridSize computed: [2, null] -> ceil(n / 2) columns', () => {
    const x = tf.zeros([1, 1, 5]);
    const out = imtile(x, { gridSize: [2, null] });
    expect(out.shape).toEqual([2, 3]);
    tf.dispose([x, out]);
  });

  it('borderSize [rows, cols] pads each tile asymmetrically', async () => {
    const x = tf.tensor3d([[[1, 2]]]); // two 1×1 frames
    const out = imtile(x, { borderSize: [0, 1] });
    // tile 1×3; default grid: cols = ceil(sqrt(1*2/3)) = 1 -> 2×1
    expect(await tileArray(out)).toEqual([
      [0, 1, 0],
      [0, 2, 0],
    ]);
    x.dispose();
  });

  it('frames picks, reorders and repeats frames (0-based)', async () => {
    const x = framesLast(specFrames());
    const out = imtile(x, { frames: [4, 0, 4], gridSize: [1, 3] });
    expect(await tileArray(out)).toEqual([
      [50, 51, 10, 11, 50, 51],
      [52, 53, 12, 13, 52, 53],
    ]);
    const y = framesFirst(specFrames());
    expect(await tileArray(imtile(y, { frames: [1] }))).toEqual([
      [20, 21],
      [22, 23],
    ]);
    tf.dispose([x, y]);
  });

  it('arrays: null is a blank tile, also first; the first image sets size and dtype', async () => {
    const a = tf.tensor2d([[1, 2]], undefined, 'int32');
    const b = tf.tensor2d([[3, 4]], undefined, 'int32');
    const out = imtile([null, a, null, b], { gridSize: [2, 2] });
    expect(out.dtype).toBe('int32');
    expect(await tileArray(out)).toEqual([
      [0, 0, 1, 2],
      [0, 0, 3, 4],
    ]);
    tf.dispose([a, b]);
  });

  it('arrays: [h, w, 1] counts as gray; one RGB image makes every tile RGB', async () => {
    const g = tf.tensor3d([[[9]]], undefined, 'int32');
    const c = tf.tensor3d([[[1, 2, 3]]], undefined, 'int32');
    expect(await tileArray(imtile([g, g]))).toEqual([[9, 9]]);
    const out = imtile([g, c, null]);
    expect(out.shape).toEqual([2, 2, 3]);
    expect(await tileArray(out)).toEqual([
      [
        [9, 9, 9],
        [1, 2, 3],
      ],
      [
        [0, 0, 0],
        [0, 0, 0],
      ],
    ]);
    tf.dispose([g, c]);
  });

  it('arrays: int32 first, float32 later -> float32 via im2double (int32 / 255), floats kept unclipped', async () => {
    const a = tf.tensor2d([[255, 51]], undefined, 'int32');
    const b = tf.tensor2d([[-0.5, 2]]);
    const out = imtile([a, b], { gridSize: [1, 2] });
    expect(out.dtype).toBe('float32');
    const v = ((await tileArray(out)) as number[][]).flat();
    [1, 0.2, -0.5, 2].forEach((e, i) => {
      expect(Math.abs(v[i] - e)).toBeLessThanOrEqual(TOL);
    });
    tf.dispose([a, b]);
  });

  it('backgroundColor: every tile to 8-bit RGB (im2uint8), borders and blank cells in the colour, int32 out', async () => {
    const x = tf.tensor3d([[[0, 0.5, 1]]]); // three 1×1 gray frames
    const out = imtile(x, { gridSize: [2, 2], backgroundColor: [1, 0, 0.2] });
    expect(out.dtype).toBe('int32');
    expect(await tileArray(out)).toEqual([
      [
        [0, 0, 0],
        [128, 128, 128],
      ],
      [
        [255, 255, 255],
        [255, 0, 51],
      ],
    ]);
    const y = tf.tensor4d([10, 20, 30], [1, 1, 1, 3], 'int32');
    const bordered = imtile(y, { borderSize: 1, backgroundColor: [0, 1, 0] });
    const g = [0, 255, 0];
    expect(await tileArray(bordered)).toEqual([
      [g, g, g],
      [g, [10, 20, 30], g],
      [g, g, g],
    ]);
    tf.dispose([x, y]);
  });

  it("backgroundColor as MATLAB's ColorSpec: a color name, a short name or a hex code, in any case", async () => {
    const y = tf.tensor4d([10, 20, 30], [1, 1, 1, 3], 'int32');
    const border = async (color: unknown) => {
      const rows = (await tileArray(imtile(y, { borderSize: 1, backgroundColor: color as never }))) as number[][][];
      return rows[0][0];
    };
    for (const [names, rgb] of [
      [
        ['red', 'r', 'Red', '#FF0000', '#f00'],
        [255, 0, 0],
      ],
      [
        ['green', 'g'],
        [0, 255, 0],
      ],
      [
        ['blue', 'b'],
        [0, 0, 255],
      ],
      [
        ['cyan', 'c'],
        [0, 255, 255],
      ],
      [
        ['magenta', 'm'],
        [255, 0, 255],
      ],
      [
        ['yellow', 'y', 'YELLOW'],
        [255, 255, 0],
      ],
      [
        ['black', 'k'],
        [0, 0, 0],
      ],
      [
        ['white', 'w', '#FFF', '#ffffff'],
        [255, 255, 255],
      ],
      [
        ['#12ab9F', '#12AB9F'],
        [18, 171, 159],
      ],
    ] as const) {
      for (const name of names) expect(await border(name), name).toEqual(rgb);
    }
    y.dispose();
  });

  it('backgroundColor with an array: nulls and borders take the colour', async () => {
    const a = tf.tensor2d([[0.2]]);
    const out = imtile([a, null], { backgroundColor: [0, 0, 1] });
    expect(await tileArray(out)).toEqual([
      [
        [51, 51, 51],
        [0, 0, 255],
      ],
    ]);
    a.dispose();
  });
});

describe('imtile: thumbnails (imresize)', () => {
  it('thumbnailSize equal to the frame size passes frames through unchanged', async () => {
    const x = framesLast(specFrames());
    expect(await tileArray(imtile(x, { thumbnailSize: [2, 2] }))).toEqual(SPEC_94);
    expect(await tileArray(imtile(x, { thumbnailSize: null }))).toEqual(SPEC_94);
    x.dispose();
  });

  it('an image of another aspect ratio is fitted and centred (2×4 into a 4×4 tile: rows 1-2)', async () => {
    const big = tf.tensor2d([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
      [13, 14, 15, 16],
    ]);
    const wide = tf.tensor2d([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    const out = imtile([big, wide], { gridSize: [1, 2] });
    expect(out.shape).toEqual([4, 8]);
    const v = (await tileArray(out)) as number[][];
    // padA = ceil(4*2) - 4 = 4 > padB = ceil(4/2) - 4 = -2: fit the columns -> imresize(wide, [NaN 4]) = wide itself.
    expect(v.map((row) => row.slice(4))).toEqual([
      [0, 0, 0, 0],
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [0, 0, 0, 0],
    ]);
    tf.dispose([big, wide]);
  });

  it('fits a larger image with imresize(I, [tr NaN]) and matches a direct imresize call', async () => {
    const small = tf.zeros([3, 3]);
    const large = tf.tidy(() => tf.reshape(tf.range(0, 36), [6, 6]));
    const out = imtile([small, large], { gridSize: [1, 2] });
    expect(out.shape).toEqual([3, 6]);
    const right = tf.slice(out, [0, 3], [3, 3]);
    const want = imresize(large, [3, null]);
    expect(want.shape).toEqual([3, 3]);
    expect(Array.from(await right.data())).toEqual(Array.from(await want.data()));
    tf.dispose([small, large, out, right, want]);
  });

  it('thumbnailSize with one side null keeps the first image aspect ratio (ceil)', async () => {
    const x = tf.tidy(() => tf.reshape(tf.range(0, 2 * 4 * 3), [2, 4, 3])); // 3 frames 2×4
    const out = imtile(x, { thumbnailSize: [null, 6], gridSize: [1, 3] });
    // tr = ceil(6 / 2) = 3: tiles 3×6.
    expect(out.shape).toEqual([3, 18]);
    const want = imresize(x, [3, null]);
    expect(want.shape).toEqual([3, 6, 3]);
    const first = tf.tidy(() => tf.slice(out, [0, 0], [3, 6]));
    const firstWant = tf.tidy(() => tf.reshape(tf.slice(want, [0, 0, 0], [3, 6, 1]), [3, 6]));
    const [a, b] = await Promise.all([first.data(), firstWant.data()]);
    expect(Array.from(a)).toEqual(Array.from(b));
    tf.dispose([x, out, want, first, firstWant]);
  });

  it('thumbnailSize on an [n, h, w, 3] stack and with backgroundColor', async () => {
    const x = tf.tidy(() => tf.cast(tf.mul(tf.ones([2, 4, 4, 3]), 200), 'int32'));
    const out = imtile(x, { thumbnailSize: [2, 2], borderSize: 1, backgroundColor: [0, 0, 0] });
    expect(out.shape).toEqual([4, 8, 3]);
    const v = ((await tileArray(out)) as number[][][]).map((row) => row.map((px) => px[0]));
    expect(v).toEqual([
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 200, 200, 0, 0, 200, 200, 0],
      [0, 200, 200, 0, 0, 200, 200, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    x.dispose();
  });
});

describe('imtile: memory and inputs', () => {
  it('returns one new tensor and leaks nothing, on every path', async () => {
    const last = framesLast(specFrames());
    const first = framesFirst(specFrames());
    const rgb = tf.zeros([2, 3, 3, 3], 'int32');
    const list = [
      tf.tensor2d([[1, 2]]),
      null,
      tf.tensor3d(
        [
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
        ],
        undefined,
        'int32',
      ),
    ];
    const wide = tf.zeros([1, 4]);
    const calls: (() => tf.Tensor)[] = [
      () => imtile(last),
      () => imtile(last, { frames: [2, 1], borderSize: [1, 2], gridSize: [3, 3] }),
      () => imtile(last, { backgroundColor: [0.5, 0.5, 0.5] }),
      () => imtile(last, { thumbnailSize: [3, 3] }),
      () => imtile(first, { gridSize: [1, 2] }),
      () => imtile(rgb, { borderSize: 2, backgroundColor: [1, 1, 1] }),
      () => imtile(list),
      () => imtile(list, { backgroundColor: [0, 1, 0], frames: [1, 0] }),
      () => imtile([list[0], wide]),
    ];
    for (const call of calls) (await expectNoLeak(call, 1)).dispose();
    tf.dispose([last, first, rgb, list[0]!, list[2]!, wide]);
  });

  it('leaves its inputs untouched', async () => {
    const x = framesLast(specFrames());
    const before = await x.array();
    const list = [tf.tensor2d([[1, 2]], undefined, 'int32'), tf.tensor2d([[0.5, 3]])];
    tf.dispose([
      imtile(x, { backgroundColor: [1, 0, 0], borderSize: 1 }),
      imtile(x, { thumbnailSize: [4, 4] }),
      imtile(list),
    ]);
    expect(await x.array()).toEqual(before);
    expect(await list[0].array()).toEqual([[1, 2]]);
    expect(list[0].dtype).toBe('int32');
    expect(await list[1].array()).toEqual([[0.5, 3]]);
    tf.dispose([x, ...list]);
  });
});

describe('imtile: errors', () => {
  const T = "imtile: expected 'input' to be a tensor [h, w], [h, w, k] or [n, h, w, c], or an array of images";
  const IMG = 'to be an image [h, w], [h, w, 1] or [h, w, 3], or null';

  it('rejects bad inputs with exact messages and no leak', async () => {
    await expectThrowsNoLeak(() => imtile(5 as never), TypeError, `${T}, got 5 (number)`);
    const b = tf.zeros([2, 2], 'bool');
    await expectThrowsNoLeak(() => imtile(b), TypeError, `${T} (dtype float32 or int32), got rank 2 [2, 2] bool`);
    const r1 = tf.zeros([4]);
    await expectThrowsNoLeak(() => imtile(r1), RangeError, `${T}, got rank 1 [4] float32`);
    const r5 = tf.zeros([1, 1, 1, 1, 1]);
    await expectThrowsNoLeak(() => imtile(r5), RangeError, `${T}, got rank 5 [1, 1, 1, 1, 1] float32`);
    const c2 = tf.zeros([2, 3, 3, 2]);
    await expectThrowsNoLeak(
      () => imtile(c2),
      RangeError,
      "imtile: expected 'input' to be a rank-4 tensor [n, h, w, c] with c in {1, 3}, got rank 4 [2, 3, 3, 2] float32",
    );
    const empty = tf.zeros([2, 2, 0]);
    await expectThrowsNoLeak(
      () => imtile(empty),
      RangeError,
      "imtile: expected 'input' to be a tensor with no zero-length dimension, got rank 3 [2, 2, 0] float32",
    );
    const gone = tf.zeros([2, 2]);
    gone.dispose();
    await expectThrowsNoLeak(
      () => imtile(gone),
      TypeError,
      "imtile: 'input' is a disposed tensor; it can no longer be used",
    );
    tf.dispose([b, r1, r5, c2, empty]);
  });

  it('rejects bad arrays with exact messages and no leak', async () => {
    const ok = tf.zeros([2, 2]);
    await expectThrowsNoLeak(
      () => imtile([]),
      RangeError,
      "imtile: expected 'input' to be a non-empty array of images, got [] (array of length 0)",
    );
    await expectThrowsNoLeak(
      () => imtile([ok, 'a' as never]),
      TypeError,
      `imtile: expected 'input[1]' ${IMG}, got "a" (string)`,
    );
    const r4 = tf.zeros([1, 2, 2, 1]);
    await expectThrowsNoLeak(
      () => imtile([r4]),
      RangeError,
      `imtile: expected 'input[0]' ${IMG}, got rank 4 [1, 2, 2, 1] float32`,
    );
    const c2 = tf.zeros([2, 2, 2]);
    await expectThrowsNoLeak(
      () => imtile([ok, c2]),
      RangeError,
      `imtile: expected 'input[1]' ${IMG}, got rank 3 [2, 2, 2] float32`,
    );
    const e = tf.zeros([0, 2]);
    await expectThrowsNoLeak(
      () => imtile([e]),
      RangeError,
      `imtile: expected 'input[0]' ${IMG}, got rank 2 [0, 2] float32`,
    );
    const s = tf.tensor2d([['a']], undefined, 'string');
    await expectThrowsNoLeak(
      () => imtile([s]),
      TypeError,
      `imtile: expected 'input[0]' ${IMG} (dtype float32 or int32), got rank 2 [1, 1] string`,
    );
    await expectThrowsNoLeak(
      () => imtile([null, null]),
      RangeError,
      "imtile: expected 'input' to be an array holding at least one image (not only null), got [null, null] (array of length 2)",
    );
    await expectThrowsNoLeak(
      () => imtile([ok, null], { frames: [1] }),
      RangeError,
      "imtile: expected 'options.frames' to be indices that select at least one image (not only null), got [1] (array of length 1)",
    );
    tf.dispose([ok, r4, c2, e, s]);
  });

  it('rejects bad options with exact messages and no leak', async () => {
    const x = tf.zeros([2, 2, 5]);
    const cases: [unknown, new (...a: never[]) => Error, string][] = [
      ['big', TypeError, `imtile: expected 'options' to be an options object, got "big" (string)`],
      [
        { gridsize: [1, 1] },
        RangeError,
        "imtile: unknown option 'gridsize'; did you mean 'gridSize'? known options are 'gridSize', 'borderSize', 'backgroundColor', 'thumbnailSize', 'frames'",
      ],
      [
        { gridSize: [2] },
        TypeError,
        "imtile: expected 'options.gridSize' to be [rows, cols] with each a positive integer or null, got [2] (array of length 1)",
      ],
      [
        { gridSize: 4 },
        TypeError,
        "imtile: expected 'options.gridSize' to be [rows, cols] with each a positive integer or null, got 4 (number)",
      ],
      [
        { gridSize: [0, 2] },
        RangeError,
        "imtile: expected 'options.gridSize' to be [rows, cols] with each a positive integer or null, got [0, 2] (array of length 2)",
      ],
      [
        { gridSize: [1.5, null] },
        RangeError,
        "imtile: expected 'options.gridSize' to be [rows, cols] with each a positive integer or null, got [1.5, null] (array of length 2)",
      ],
      [
        { gridSize: [-Infinity, 2] },
        RangeError,
        "imtile: expected 'options.gridSize' to be [rows, cols] with each a positive integer or null, got [-Infinity, 2] (array of length 2)",
      ],
      [
        { thumbnailSize: 'big' },
        TypeError,
        `imtile: expected 'options.thumbnailSize' to be [rows, cols] with each a positive integer or null, or null, got "big" (string)`,
      ],
      [
        { thumbnailSize: [0, 5] },
        RangeError,
        "imtile: expected 'options.thumbnailSize' to be [rows, cols] with each a positive integer or null, or null, got [0, 5] (array of length 2)",
      ],
      [
        { thumbnailSize: [Infinity, 5] },
        RangeError,
        "imtile: expected 'options.thumbnailSize' to be [rows, cols] with each a positive integer or null, or null, got [Infinity, 5] (array of length 2)",
      ],
      [
        { borderSize: -1 },
        RangeError,
        "imtile: expected 'options.borderSize' to be a non-negative integer or [rows, cols] of non-negative integers, got -1 (number)",
      ],
      [
        { borderSize: '1' },
        TypeError,
        `imtile: expected 'options.borderSize' to be a non-negative integer or [rows, cols] of non-negative integers, got "1" (string)`,
      ],
      [
        { borderSize: [1, 0.5] },
        RangeError,
        "imtile: expected 'options.borderSize' to be a non-negative integer or [rows, cols] of non-negative integers, got [1, 0.5] (array of length 2)",
      ],
      [
        { backgroundColor: [1, 0] },
        TypeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got [1, 0] (array of length 2)",
      ],
      [
        { backgroundColor: [1, 2, 0] },
        RangeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got [1, 2, 0] (array of length 3)",
      ],
      [
        { backgroundColor: [NaN, 0, 0] },
        RangeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got [NaN, 0, 0] (array of length 3)",
      ],
      [
        { backgroundColor: 'whit' },
        RangeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got \"whit\" (string)",
      ],
      [
        { backgroundColor: '#12345' },
        RangeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got \"#12345\" (string)",
      ],
      [
        { backgroundColor: 5 },
        TypeError,
        "imtile: expected 'options.backgroundColor' to be [r, g, b] with each a number in [0, 1], a color name ('red', 'green', 'blue', 'cyan', 'magenta', 'yellow', 'black', 'white' or 'r', 'g', 'b', 'c', 'm', 'y', 'k', 'w') or a hex code '#rrggbb' or '#rgb', got 5 (number)",
      ],
      [
        { frames: 'all' },
        TypeError,
        `imtile: expected 'options.frames' to be a non-empty array of 0-based frame indices, got "all" (string)`,
      ],
      [
        { frames: [] },
        RangeError,
        "imtile: expected 'options.frames' to be a non-empty array of 0-based frame indices, got [] (array of length 0)",
      ],
      [
        { frames: [0, 5] },
        RangeError,
        "imtile: expected 'options.frames[1]' to be an integer in [0, 4], got 5 (number)",
      ],
      [
        { frames: [0.5] },
        RangeError,
        "imtile: expected 'options.frames[0]' to be an integer in [0, 4], got 0.5 (number)",
      ],
      [{ frames: ['1'] }, TypeError, `imtile: expected 'options.frames[0]' to be an integer, got "1" (string)`],
    ];
    for (const [options, type, message] of cases) {
      await expectThrowsNoLeak(() => imtile(x, options as never), type, message);
    }
    x.dispose();
  });
});

describe('imtile: properties', () => {
  /** MATLAB's grid rule, written out again independently of the implementation. */
  function expectedGrid(
    n: number,
    tileH: number,
    tileW: number,
    spec: [number | null, number | null],
  ): [number, number] {
    const [r, c] = spec;
    if (r && c) return [r, c];
    if (r) return [r, Math.ceil(n / r)];
    if (c) return [Math.ceil(n / c), c];
    if (n === 1) return [1, 1];
    const cols = Math.ceil(Math.sqrt((tileH * n) / tileW));
    return [Math.ceil(n / cols), cols];
  }

  it('output size follows the grid formula; the first min(n, rows*cols) frames are all there', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 7 }),
        fc.oneof(
          fc.integer({ min: 0, max: 2 }),
          fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
        ),
        fc.tuple(fc.option(fc.integer({ min: 1, max: 8 })), fc.option(fc.integer({ min: 1, max: 8 }))),
        fc.constantFrom('last', 'first', 'array'),
        async (n, h, w, borderSize, gridSize, form) => {
          // Frame k is constant k + 1, so the sum tells which frames were tiled.
          const frames = Array.from({ length: n }, (_, k) => Array.from({ length: h }, () => Array(w).fill(k + 1)));
          const list = form === 'array' ? frames.map((f) => tf.tensor2d(f)) : [];
          const input = form === 'last' ? framesLast(frames) : form === 'first' ? framesFirst(frames) : list;
          const out = imtile(input, { borderSize, gridSize });
          const [br, bc] = typeof borderSize === 'number' ? [borderSize, borderSize] : borderSize;
          const [tileH, tileW] = [h + 2 * br, w + 2 * bc];
          const [rows, cols] = expectedGrid(n, tileH, tileW, gridSize);
          expect(out.shape).toEqual([rows * tileH, cols * tileW]);
          const shown = Math.min(n, rows * cols);
          const sum = Array.from(await out.data()).reduce((a, b) => a + b, 0);
          expect(sum).toBe(((shown * (shown + 1)) / 2) * h * w);
          tf.dispose([out, ...list]);
          if (!Array.isArray(input)) input.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });
});
