import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pngjs from 'pngjs';
import { imwrite } from '../../src/io/imwrite.node.js';
import { imread } from '../../src/io/imread.node.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { escapeRegExp } from '../helpers/text.js';
import { tempDir } from './fixtures.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

async function values(t: tf.Tensor): Promise<{ shape: number[]; dtype: string; values: number[] }> {
  const out = { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}

describe('imwrite', () => {
  it('float32 gray [h, w]: clamp to [0, 1], ×255, round half up, NaN → 0; reads back as int32 [h, w]', async () => {
    const img = tf.tensor2d([
      [0, 0.5, 1],
      [-0.5, 2, NaN],
    ]);
    const file = join(tmp.dir, 'gray.png');
    await expectNoLeak(() => imwrite(img, file));
    const png = pngjs.PNG.sync.read(await readFile(file));
    expect([png.width, png.height, png.colorType, png.depth]).toEqual([3, 2, 0, 8]);
    expect(await values(await imread(file))).toEqual({
      shape: [2, 3],
      dtype: 'int32',
      values: [0, 128, 255, 0, 255, 0],
    });
    expect(Array.from(await img.data())).toEqual([0, 0.5, 1, -0.5, 2, NaN]); // input unchanged
    img.dispose();
  });

  it('int32 RGB [h, w, 3]: as is, saturated to 0..255', async () => {
    const img = tf.tensor3d([0, 127, 255, -5, 300, 42], [1, 2, 3], 'int32');
    const file = join(tmp.dir, 'rgb.png');
    await imwrite(img, file);
    const png = pngjs.PNG.sync.read(await readFile(file));
    expect(png.colorType).toBe(2);
    expect(await values(await imread(file))).toEqual({
      shape: [1, 2, 3],
      dtype: 'int32',
      values: [0, 127, 255, 0, 255, 42],
    });
    img.dispose();
  });

  it('[h, w, 1] is written gray and reads back as [h, w]', async () => {
    const img = tf.tensor3d([1, 2, 3, 4], [2, 2, 1], 'int32');
    const file = join(tmp.dir, 'gray1.png');
    await imwrite(img, file);
    expect(await values(await imread(file))).toEqual({ shape: [2, 2], dtype: 'int32', values: [1, 2, 3, 4] });
    img.dispose();
  });

  it('round trip: imread(face.png) → imwrite → imread gives the same tensor', async () => {
    const face = await imread('examples/images/face.png');
    const file = join(tmp.dir, 'face-copy.png');
    await imwrite(face, file);
    const again = await imread(file);
    expect(again.shape).toEqual([227, 227, 3]);
    const [a, b] = [await again.data(), await face.data()];
    expect(a.length).toBe(b.length);
    expect(a.every((v, i) => v === b[i])).toBe(true);
    tf.dispose([face, again]);
  });

  it('creates missing parent folders and replaces an existing file', async () => {
    const file = join(tmp.dir, 'a', 'b', 'c', 'out.PNG');
    const first = tf.tensor2d([[0]], [1, 1], 'int32');
    const second = tf.tensor2d([[200, 100]], [1, 2], 'int32');
    await imwrite(first, file);
    await imwrite(second, file);
    expect(await values(await imread(file))).toEqual({ shape: [1, 2], dtype: 'int32', values: [200, 100] });
    expect((await stat(file)).isFile()).toBe(true);
    tf.dispose([first, second]);
  });

  it('takes a file URL (string or URL)', async () => {
    const img = tf.tensor2d([[7]], [1, 1], 'int32');
    const a = join(tmp.dir, 'url-a.png');
    const b = join(tmp.dir, 'url-b.png');
    await imwrite(img, pathToFileURL(a));
    await imwrite(img, pathToFileURL(b).href);
    expect((await values(await imread(a))).values).toEqual([7]);
    expect((await values(await imread(b))).values).toEqual([7]);
    img.dispose();
  });

  it('bad image: the same checks as encodePng, named imwrite', async () => {
    const WHAT = 'an image tensor [h, w], [h, w, 1] or [h, w, 3] of dtype float32 or int32';
    const file = join(tmp.dir, 'never.png');
    await expectThrowsNoLeak(
      () => imwrite('face.png' as never, file),
      TypeError,
      `imwrite: expected 'img' to be ${WHAT}, got "face.png" (string)`,
    );
    const rgba = tf.zeros([2, 2, 4], 'int32');
    await expectThrowsNoLeak(
      () => imwrite(rgba, file),
      RangeError,
      `imwrite: expected 'img' to be ${WHAT}, got rank 3 [2, 2, 4] int32`,
    );
    const gone = tf.zeros([2, 2]);
    gone.dispose();
    await expectThrowsNoLeak(
      () => imwrite(gone, file),
      TypeError,
      `imwrite: 'img' is a disposed tensor; it can no longer be used`,
    );
    rgba.dispose();
    await expect(stat(file)).rejects.toThrow(/ENOENT/); // nothing written
  });

  it('bad path: TypeError for a non-string, RangeError for empty, not .png, or a non-file URL', async () => {
    const img = tf.tensor2d([[1]], [1, 1], 'int32');
    await expectThrowsNoLeak(
      () => imwrite(img, 42 as never),
      TypeError,
      `imwrite: expected 'path' to be a file path (string) or a file: URL, got 42 (number)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, ''),
      RangeError,
      `imwrite: expected 'path' to be a non-empty file path ending in .png or .jpg, got "" (string)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, 'out/face.bmp'),
      RangeError,
      `imwrite: expected 'path' to be a file path ending in .png, .jpg or .jpeg (the formats imwrite writes), got "out/face.bmp" (string)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, new URL('https://example.com/x.png')),
      RangeError,
      `imwrite: expected 'path' to be a file path or a file: URL, got "https://example.com/x.png" (string)`,
    );
    // URL-like strings were written as relative paths (./http:/127.0.0.1/x.png) or at the root (file:rel.png -> /rel.png).
    await expectThrowsNoLeak(
      () => imwrite(img, 'http://127.0.0.1/x.png'),
      RangeError,
      `imwrite: expected 'path' to be a file path or a file: URL (imwrite writes files only), got "http://127.0.0.1/x.png" (string)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, 'file:rel.png'),
      RangeError,
      `imwrite: expected 'path' to be a file path or an absolute file: URL of this machine (file:///...), got "file:rel.png" (string)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, 'file://otherhost/x.png'),
      RangeError,
      `imwrite: expected 'path' to be a file path or an absolute file: URL of this machine (file:///...), got "file://otherhost/x.png" (string)`,
    );
    img.dispose();
  });

  it("writes JPEG by the extension, at MATLAB's default quality 75 or the one asked for; it reads back close", async () => {
    // A smooth RGB image: JPEG keeps it within a few levels at high quality.
    const h = 32;
    const w = 48;
    const rgb = tf.tidy(() => {
      const y = tf.tile(tf.reshape(tf.linspace(0, 1, h), [h, 1, 1]), [1, w, 1]);
      const x = tf.tile(tf.reshape(tf.linspace(0, 1, w), [1, w, 1]), [h, 1, 1]);
      return tf.concat([tf.add(tf.mul(y, 0.5), tf.mul(x, 0.5)), y, x], 2);
    });
    const sizes: Record<string, number> = {};
    for (const [name, quality] of [
      ['q95.jpg', 95],
      ['q10.JPEG', 10],
      ['default.jpeg', undefined],
    ] as const) {
      const file = join(tmp.dir, name);
      await expectNoLeak(() => imwrite(rgb, file, quality === undefined ? undefined : { quality }));
      const bytes = await readFile(file);
      expect(Array.from(bytes.subarray(0, 3))).toEqual([0xff, 0xd8, 0xff]); // a JPEG's start of image
      sizes[name] = bytes.length;
    }
    expect(sizes['q10.JPEG']).toBeLessThan(sizes['default.jpeg']);
    expect(sizes['default.jpeg']).toBeLessThan(sizes['q95.jpg']);
    const back = await imread(join(tmp.dir, 'q95.jpg'));
    expect(back.shape).toEqual([h, w, 3]);
    const expected = tf.tidy(() => tf.round(tf.mul(rgb, 255)));
    // Read back asynchronously: the webgpu backend has no synchronous read in Node.
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(back, 'float32'), expected))));
    const [worst] = await diff.data();
    diff.dispose();
    expect(worst).toBeLessThanOrEqual(6);
    // Gray is written as three equal channels (jpeg-js writes YCbCr only).
    const gray = tf.fill([8, 8], 0.5);
    await imwrite(gray, join(tmp.dir, 'gray.jpg'));
    const grayBack = await values(await imread(join(tmp.dir, 'gray.jpg')));
    expect(grayBack.shape).toEqual([8, 8, 3]);
    expect(new Set(grayBack.values)).toEqual(new Set([128]));
    tf.dispose([rgb, back, expected, gray]);
  });

  it('checks quality: a number from 0 to 100, for JPEG only; nothing is written', async () => {
    const img = tf.tensor2d([[1]], [1, 1], 'int32');
    const file = join(tmp.dir, 'never.jpg');
    await expectThrowsNoLeak(
      () => imwrite(img, file, { quality: '90' as never }),
      TypeError,
      `imwrite: expected 'options.quality' to be a number from 0 to 100, got "90" (string)`,
    );
    for (const [bad, shown] of [
      [101, '101'],
      [-1, '-1'],
    ] as const) {
      await expectThrowsNoLeak(
        () => imwrite(img, file, { quality: bad }),
        RangeError,
        `imwrite: expected 'options.quality' to be a number from 0 to 100, got ${shown} (number)`,
      );
    }
    await expectThrowsNoLeak(
      () => imwrite(img, file, { quality: Number.NaN }),
      RangeError,
      `imwrite: expected 'options.quality' to be a finite number, got NaN (number)`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, join(tmp.dir, 'never.png'), { quality: 90 }),
      RangeError,
      `imwrite: 'options.quality' applies to JPEG files only; this one is PNG`,
    );
    await expectThrowsNoLeak(
      () => imwrite(img, file, { qualty: 90 } as never),
      RangeError,
      `imwrite: unknown option 'qualty'; known options are 'quality'`,
    );
    await expect(stat(file)).rejects.toThrow(/ENOENT/);
    img.dispose();
  });

  it('a folder that cannot be created, a file that cannot be written: names the path', async () => {
    const img = tf.tensor2d([[1]], [1, 1], 'int32');
    const blocker = join(tmp.dir, 'plain-file');
    await writeFile(blocker, 'x');
    const inside = join(blocker, 'sub', 'out.png');
    await expectThrowsNoLeak(
      () => imwrite(img, inside),
      Error,
      new RegExp(`^imwrite: cannot create the folder of ${escapeRegExp(JSON.stringify(inside))}: (EEXIST|ENOTDIR)`),
    );
    const dirAsFile = join(tmp.dir, 'is-a-dir.png');
    await imwrite(img, join(dirAsFile, 'inner.png')); // makes the folder "is-a-dir.png"
    await expectThrowsNoLeak(
      () => imwrite(img, dirAsFile),
      Error,
      new RegExp(`^imwrite: cannot write ${escapeRegExp(JSON.stringify(dirAsFile))}: EISDIR`),
    );
    img.dispose();
  });

  it('refuses a FIFO before opening it (a write there waits for a reader forever)', async () => {
    const fifo = join(tmp.dir, 'pipe.png');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      console.warn('imwrite.test: no mkfifo here; skipped');
      return;
    }
    const img = tf.zeros([2, 2]);
    await expectThrowsNoLeak(
      () => imwrite(img, fifo),
      Error,
      `imwrite: cannot write ${JSON.stringify(fifo)}: it is not a regular file (a device, FIFO or socket, where a write may wait forever)`,
    );
    img.dispose();
  });
});
