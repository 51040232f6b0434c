import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { openAsBlob } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pngjs from 'pngjs';
import jpeg from 'jpeg-js';
import { imread } from '../../src/io/imread.node.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { buildPng, be16, grayJpeg, pngChunk, tempDir } from './fixtures.js';

const FACE = 'examples/images/face.png';
const EYE_CLOSED = 'examples/images/face-eye-closed.png';

/** Reads a tensor and disposes it. */
async function take(t: tf.Tensor): Promise<{ shape: number[]; dtype: string; values: number[] }> {
  const out = { shape: t.shape, dtype: t.dtype, values: Array.from(await t.data()) };
  t.dispose();
  return out;
}

/** Index of the first difference between two long arrays, or -1 (much faster than a deep toEqual on 150k values). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let server: Server;
let base: string;

beforeAll(async () => {
  tmp = await tempDir();
  const face = await readFile(FACE);
  server = createServer((req, res) => {
    if (req.url === '/face.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(face);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
  await tmp.cleanup();
});

describe('imread: the example images', () => {
  it('reads face.png as int32 [227, 227, 3] with the stored RGB values', async () => {
    const im = await expectNoLeak(() => imread(FACE), 1);
    const { shape, dtype, values } = await take(im);
    expect(shape).toEqual([227, 227, 3]);
    expect(dtype).toBe('int32');
    // Pixel values read by an independent decoder (zlib + PNG unfiltering by hand), [row, col] 0-based.
    const px = (r: number, c: number) => values.slice((r * 227 + c) * 3, (r * 227 + c) * 3 + 3);
    expect(px(0, 0)).toEqual([182, 173, 166]);
    expect(px(0, 1)).toEqual([179, 168, 162]);
    expect(px(113, 113)).toEqual([194, 158, 129]);
    expect(px(100, 80)).toEqual([232, 206, 183]);
    expect(px(50, 200)).toEqual([214, 204, 200]);
    expect(px(226, 226)).toEqual([215, 214, 218]);
    const sums = [0, 1, 2].map((k) => values.filter((_, i) => i % 3 === k).reduce((a, b) => a + b, 0));
    expect(sums).toEqual([7985266, 7224682, 6530167]);
  });

  it('agrees value for value with pngjs on both faces', async () => {
    for (const file of [FACE, EYE_CLOSED]) {
      const ref = pngjs.PNG.sync.read(await readFile(file));
      const rgb = Array.from(ref.data).filter((_, i) => i % 4 !== 3);
      const { shape, values } = await take(await imread(file));
      expect(shape).toEqual([ref.height, ref.width, 3]);
      expect(firstDifference(values, rgb)).toBe(-1);
    }
  });

  it('reads the 512×512 astronaut', async () => {
    const { shape } = await take(await imread('examples/images/astronaut.png'));
    expect(shape).toEqual([512, 512, 3]);
  });
});

describe('imread: kinds of source', () => {
  it('takes a path, a file URL (string or URL), a Buffer, a Uint8Array view, an ArrayBuffer, a data URL, an http URL and a Blob', async () => {
    const expected = await take(await imread(FACE));
    const bytes = await readFile(FACE);
    // A view into a larger buffer, at an offset: the decoder must honour byteOffset.
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 7);
    const view = padded.subarray(7, 7 + bytes.length);
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const dataUrl = `data:image/png;base64,${bytes.toString('base64')}`;
    const sources = [
      resolve(FACE),
      `./${FACE}`,
      pathToFileURL(FACE).href,
      pathToFileURL(FACE),
      bytes,
      view,
      arrayBuffer,
      dataUrl,
      `${base}/face.png`,
      new URL(`${base}/face.png`),
      new Blob([bytes]),
      new File([bytes], 'face.jpg'), // read by its bytes, as a file is
      await openAsBlob(FACE),
    ];
    for (const source of sources) {
      const got = await take(await expectNoLeak(() => imread(source), 1));
      expect([got.shape, got.dtype]).toEqual([expected.shape, expected.dtype]);
      expect(firstDifference(got.values, expected.values)).toBe(-1);
    }
  });

  it('takes raw pixels, RGBA, RGB or gray, with their size, as a Node canvas library gives them', async () => {
    const face = await take(await imread(FACE));
    const n = 227 * 227;
    const rgb = Uint8Array.from(face.values);
    const rgba = new Uint8ClampedArray(4 * n);
    for (let i = 0; i < n; i++) rgba.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], i % 256], 4 * i); // any alpha
    for (const data of [rgb, rgba]) {
      const got = await take(await expectNoLeak(() => imread({ data, width: 227, height: 227 }), 1));
      expect([got.shape, got.dtype]).toEqual([[227, 227, 3], 'int32']);
      expect(firstDifference(got.values, face.values)).toBe(-1);
    }
    // One row of 2 pixels is not 2 rows of 1: the size sets the shape.
    const tall = await imread({ data: Uint8Array.of(1, 2, 3, 4, 5, 6), width: 1, height: 2 });
    expect([tall.shape, Array.from(await tall.data())]).toEqual([
      [2, 1, 3],
      [1, 2, 3, 4, 5, 6],
    ]);
    tall.dispose();
    // One byte a pixel: gray, [h, w], as a gray file reads.
    const gray = await imread({ data: Uint8Array.of(7, 8, 9), width: 3, height: 1 });
    expect([gray.shape, Array.from(await gray.data())]).toEqual([
      [1, 3],
      [7, 8, 9],
    ]);
    gray.dispose();
  });

  it('bytes or pixels whose memory was transferred away (detached) are refused, not read as 0 bytes', async () => {
    // postMessage or structuredClone with `transfer` detaches a buffer: it then reads as 0 bytes.
    const detached = <T extends Uint8Array | ArrayBuffer>(x: T): T => {
      const buffer = x instanceof ArrayBuffer ? x : x.buffer;
      structuredClone(buffer, { transfer: [buffer] });
      return x;
    };
    const bytes = new Uint8Array(await readFile(FACE));
    const says = (arg: string) =>
      `imread: '${arg}' is detached: its memory was transferred away (by postMessage or structuredClone) ` +
      'and can no longer be read; pass a copy';
    await expectThrowsNoLeak(() => imread(detached(bytes.slice())), TypeError, says('source'));
    await expectThrowsNoLeak(() => imread(detached(bytes.slice().buffer)), TypeError, says('source'));
    const pixels = detached(new Uint8Array(12));
    await expectThrowsNoLeak(() => imread({ data: pixels, width: 2, height: 2 }), TypeError, says('source.data'));
    // An empty buffer that was never transferred is still just empty.
    await expectThrowsNoLeak(() => imread(new ArrayBuffer(0)), Error, /found no data \(0 bytes\)/);
  });

  it("a fetch Response says to pass its bytes: its body is the caller's download", async () => {
    const res = new Response(await readFile(FACE));
    await expectThrowsNoLeak(
      () => imread(res as never),
      TypeError,
      "imread: 'source' is a fetch Response; pass its bytes (`new Uint8Array(await response.arrayBuffer())`) or its URL",
    );
    expect(res.bodyUsed).toBe(false);
  });

  it('raw pixels whose size and length disagree, or past maxPixels: says so before allocating', async () => {
    const data = new Uint8Array(12);
    await expectThrowsNoLeak(
      () => imread({ data, width: 2, height: 3 }),
      RangeError,
      "imread: expected 'source.data' to hold 2×3 pixels of 4 bytes (RGBA, 24), 3 (RGB, 18) or 1 (gray, 6), got 12",
    );
    await expectThrowsNoLeak(
      () => imread({ data, width: 0, height: 3 }),
      RangeError,
      "imread: expected 'source.width' to be an integer >= 1, got 0 (number)",
    );
    await expectThrowsNoLeak(
      () => imread({ data, width: 4 } as never),
      TypeError,
      "imread: expected 'source.height' to be an integer >= 1, got undefined",
    );
    await expectThrowsNoLeak(
      () => imread({ data, width: 2, height: '2' as unknown as number }),
      TypeError,
      `imread: expected 'source.height' to be an integer >= 1, got "2" (string)`,
    );
    await expectThrowsNoLeak(
      () => imread({ data, width: 100_000, height: 100_000 }),
      RangeError,
      'imread: the given pixel data is a 100000×100000 image (10,000,000,000 pixels); the limit is 67,108,864 ' +
        'pixels (limits.maxPixels; raise it with setLimits)',
    );
  });

  it('recognises the format by its bytes, not by the file name', async () => {
    const misnamed = join(tmp.dir, 'face.jpg');
    await writeFile(misnamed, await readFile(FACE));
    const { shape } = await take(await imread(misnamed));
    expect(shape).toEqual([227, 227, 3]);
  });

  it('leaves the given bytes unchanged', async () => {
    const bytes = await readFile(FACE);
    const copy = Buffer.from(bytes);
    (await imread(bytes)).dispose();
    expect(bytes.equals(copy)).toBe(true);
  });
});

describe('imread: PNG colour types and depths', () => {
  it('gray 8-bit → [h, w]', async () => {
    const png = buildPng({
      width: 3,
      height: 2,
      depth: 8,
      colorType: 0,
      rows: [
        [0, 1, 2],
        [128, 254, 255],
      ],
    });
    expect(await take(await imread(png))).toEqual({ shape: [2, 3], dtype: 'int32', values: [0, 1, 2, 128, 254, 255] });
  });

  it('gray + alpha → [h, w], alpha dropped', async () => {
    const png = buildPng({ width: 2, height: 1, depth: 8, colorType: 4, rows: [[10, 0, 20, 255]] });
    expect(await take(await imread(png))).toEqual({ shape: [1, 2], dtype: 'int32', values: [10, 20] });
  });

  it('RGBA → [h, w, 3], alpha dropped, colours kept even where fully transparent', async () => {
    const png = buildPng({ width: 2, height: 1, depth: 8, colorType: 6, rows: [[1, 2, 3, 0, 4, 5, 6, 128]] });
    expect(await take(await imread(png))).toEqual({ shape: [1, 2, 3], dtype: 'int32', values: [1, 2, 3, 4, 5, 6] });
  });

  it('palette → [h, w, 3] colours from the palette (also with a tRNS alpha table)', async () => {
    const plte = [255, 0, 0, 0, 255, 0, 10, 20, 30];
    const rows = [
      [0, 1],
      [2, 0],
    ];
    const expected = { shape: [2, 2, 3], dtype: 'int32', values: [255, 0, 0, 0, 255, 0, 10, 20, 30, 255, 0, 0] };
    expect(
      await take(
        await imread(buildPng({ width: 2, height: 2, depth: 8, colorType: 3, rows, chunks: [['PLTE', plte]] })),
      ),
    ).toEqual(expected);
    const withAlpha = buildPng({
      width: 2,
      height: 2,
      depth: 8,
      colorType: 3,
      rows,
      chunks: [
        ['PLTE', plte],
        ['tRNS', [0, 128]],
      ],
    });
    expect(await take(await imread(withAlpha))).toEqual(expected);
  });

  it('16-bit RGB → round(v / 257), as MATLAB im2uint8 of the uint16 image', async () => {
    const v = [0, 128, 129, 385, 386, 32767, 32768, 32896, 65278, 65406, 65407, 65535];
    const png = buildPng({ width: 4, height: 1, depth: 16, colorType: 2, rows: [be16(v)] });
    const got = await take(await imread(png));
    expect(got.shape).toEqual([1, 4, 3]);
    expect(got.values).toEqual(v.map((x) => Math.round(x / 257)));
    expect(got.values).toEqual([0, 0, 1, 1, 2, 127, 128, 128, 254, 254, 255, 255]);
  });

  it('16-bit gray → [h, w] scaled the same way', async () => {
    const png = buildPng({ width: 3, height: 1, depth: 16, colorType: 0, rows: [be16([257, 1000, 65535])] });
    expect(await take(await imread(png))).toEqual({ shape: [1, 3], dtype: 'int32', values: [1, 4, 255] });
  });

  it('1-bit and 4-bit gray → 0..255', async () => {
    const one = buildPng({ width: 4, height: 1, depth: 1, colorType: 0, rows: [[0b10100000]] });
    expect((await take(await imread(one))).values).toEqual([255, 0, 255, 0]);
    const four = buildPng({ width: 2, height: 1, depth: 4, colorType: 0, rows: [[0x1f]] });
    expect((await take(await imread(four))).values).toEqual([17, 255]);
  });

  it('a tRNS colour key (gray or RGB) changes no pixel', async () => {
    const rgb = buildPng({
      width: 2,
      height: 1,
      depth: 8,
      colorType: 2,
      rows: [[9, 8, 7, 1, 2, 3]],
      chunks: [['tRNS', be16([9, 8, 7])]],
    });
    expect((await take(await imread(rgb))).values).toEqual([9, 8, 7, 1, 2, 3]);
    const gray = buildPng({
      width: 2,
      height: 1,
      depth: 8,
      colorType: 0,
      rows: [[40, 41]],
      chunks: [['tRNS', be16([40])]],
    });
    expect((await take(await imread(gray))).values).toEqual([40, 41]);
  });

  it('ignores bytes after IEND (padding, an appended archive), as browsers and libpng do', async () => {
    const png = buildPng({ width: 2, height: 1, depth: 8, colorType: 2, rows: [[9, 8, 7, 1, 2, 3]] });
    for (const after of [Buffer.alloc(100), Buffer.from('PK\x03\x04 an appended zip archive')]) {
      const got = await take(await expectNoLeak(() => imread(Buffer.concat([png, after])), 1));
      expect([got.shape, got.values]).toEqual([
        [1, 2, 3],
        [9, 8, 7, 1, 2, 3],
      ]);
    }
  });
});

describe('imread: JPEG', () => {
  it('RGB JPEG → [h, w, 3], close to the encoded pixels', async () => {
    const w = 16;
    const h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      // A smooth gradient survives JPEG at quality 100 within a few levels.
      rgba.set([(i % w) * 16, Math.floor(i / w) * 32, 128, 255], i * 4);
    }
    const file = join(tmp.dir, 'gradient.jpg');
    await writeFile(file, jpeg.encode({ width: w, height: h, data: rgba }, 100).data);
    const { shape, dtype, values } = await take(await imread(file));
    expect(shape).toEqual([h, w, 3]);
    expect(dtype).toBe('int32');
    const original = Array.from(rgba).filter((_, i) => i % 4 !== 3);
    const worst = Math.max(...values.map((v, i) => Math.abs(v - original[i])));
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('gray JPEG (one component) → [h, w] with exact values', async () => {
    const got = await take(await imread(grayJpeg()));
    expect(got.shape).toEqual([8, 16]);
    expect(got.values).toEqual(Array.from({ length: 128 }, (_, i) => (i % 16 < 8 ? 50 : 200)));
  });

  it('a PNG named .jpg and a JPEG named .png are both read by content', async () => {
    const file = join(tmp.dir, 'gray.png');
    await writeFile(file, grayJpeg());
    expect((await take(await imread(file))).shape).toEqual([8, 16]);
  });
});

describe('imread: errors', () => {
  const SOURCE_WHAT =
    'a file path, a URL (file, http, https or data), the bytes of a PNG/JPEG file (Uint8Array or Blob) or raw pixels ' +
    '{ data, width, height } or { data, info } (sharp)';

  it('wrong kind of source → TypeError', async () => {
    const cases: [unknown, string][] = [
      [42, '42 (number)'],
      [null, 'null'],
      [undefined, 'undefined'],
      [{ path: 'x.png' }, 'an object'],
      [[1, 2], '[1, 2] (array of length 2)'],
      [tf.scalar(1), 'rank 0 [] float32'],
    ];
    for (const [value, shown] of cases) {
      await expectThrowsNoLeak(
        () => imread(value as never),
        TypeError,
        `imread: expected 'source' to be ${SOURCE_WHAT}, got ${shown}`,
      );
    }
    tf.dispose(cases.map(([v]) => v).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
  });

  it('empty path, unsupported URL protocol → RangeError', async () => {
    await expectThrowsNoLeak(
      () => imread(''),
      RangeError,
      `imread: expected 'source' to be a non-empty file path or URL, got "" (string)`,
    );
    await expectThrowsNoLeak(
      () => imread('ftp://example.com/face.png'),
      RangeError,
      `imread: expected 'source' to be a file path or a file, http, https or data URL, got "ftp://example.com/face.png" (string)`,
    );
    await expectThrowsNoLeak(
      () => imread(new URL('blob:nodedata:1234')),
      RangeError,
      `imread: expected 'source' to be a file path or a file, http, https or data URL, got "blob:nodedata:1234" (string)`,
    );
  });

  it('missing file: names it, and where it was looked for', async () => {
    await expectThrowsNoLeak(
      () => imread('no-such-dir/face.jpg'),
      Error,
      `imread: file "no-such-dir/face.jpg" not found (looked for ${resolve('no-such-dir/face.jpg')})`,
    );
    const abs = join(tmp.dir, 'missing.png');
    await expectThrowsNoLeak(() => imread(abs), Error, `imread: file ${JSON.stringify(abs)} not found`);
  });

  it('a folder', async () => {
    const folder = join(tmp.dir, 'folder');
    await mkdir(folder, { recursive: true });
    await expectThrowsNoLeak(
      () => imread(folder),
      Error,
      `imread: ${JSON.stringify(folder)} is a directory, not an image file`,
    );
  });

  it('a text file, an empty file, other image formats: says what was found', async () => {
    const cases: [string, Uint8Array, string][] = [
      ['notes.png', Buffer.from('hello, this is not an image\n'), 'text starting with "hello, this is not an im"'],
      ['empty.png', new Uint8Array(0), 'no data (0 bytes)'],
      ['anim.png', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'a GIF image'],
      ['pic.png', Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'), 'a WebP image'],
      ['pic.bmp', Buffer.from('BM\x00\x00\x00\x00', 'latin1'), 'a BMP image'],
      [
        'blob.png',
        new Uint8Array([0, 1, 2, 3, 0xfe, 0xff, 7, 8, 9]),
        'unknown data starting with bytes 00 01 02 03 fe ff 07 08',
      ],
    ];
    for (const [name, bytes, found] of cases) {
      const file = join(tmp.dir, name);
      await writeFile(file, bytes);
      await expectThrowsNoLeak(
        () => imread(file),
        Error,
        `imread: cannot read ${JSON.stringify(file)}: expected a PNG or JPEG image, found ${found}`,
      );
    }
    await expectThrowsNoLeak(
      () => imread(Buffer.from('<!DOCTYPE html>')),
      Error,
      'imread: cannot read the given 15 bytes: expected a PNG or JPEG image, found text starting with "<!DOCTYPE html>"',
    );
  });

  it('a truncated PNG: says where it stops', async () => {
    const bytes = await readFile(FACE);
    const cut = join(tmp.dir, 'cut.png');
    await writeFile(cut, bytes.subarray(0, 50000));
    await expectThrowsNoLeak(
      () => imread(cut),
      Error,
      `imread: cannot read ${JSON.stringify(cut)}: truncated PNG (the data stops inside its IDAT chunk after 50000 bytes)`,
    );
    await expectThrowsNoLeak(
      () => imread(bytes.subarray(0, bytes.length - 12)),
      Error,
      `imread: cannot read the given ${bytes.length - 12} bytes: truncated PNG (the data stops after its IDAT chunk at ${bytes.length - 12} bytes, before IEND)`,
    );
  });

  it('a corrupt PNG (bad checksum, bad header)', async () => {
    const png = buildPng({ width: 2, height: 1, depth: 8, colorType: 0, rows: [[1, 2]] });
    const badCrc = Buffer.from(png);
    badCrc[png.length - 13] ^= 0xff; // the last byte of IDAT's CRC
    await expectThrowsNoLeak(
      () => imread(badCrc),
      Error,
      `imread: cannot read the given ${png.length} bytes: corrupt PNG (the checksum of its IDAT chunk at byte 33 does not match)`,
    );
    const badData = Buffer.from(png);
    badData[png.length - 20] ^= 0xff; // inside the compressed IDAT data
    await expectThrowsNoLeak(
      () => imread(badData),
      Error,
      new RegExp(`^imread: cannot read the given ${png.length} bytes: corrupt PNG \\(.+\\)$`),
    );
    const badDepth = buildPng({ width: 2, height: 1, depth: 8, colorType: 0, rows: [[1, 2]] });
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(2, 0);
    ihdr.writeUInt32BE(1, 4);
    ihdr[8] = 7; // no such bit depth
    const bad = Buffer.concat([badDepth.subarray(0, 8), pngChunk('IHDR', ihdr), badDepth.subarray(33)]);
    await expectThrowsNoLeak(
      () => imread(bad),
      Error,
      `imread: cannot read the given ${bad.length} bytes: corrupt PNG (bit depth 7 is not allowed for colour type 0)`,
    );
  });

  it('a palette PNG without its palette', async () => {
    const png = buildPng({ width: 2, height: 1, depth: 8, colorType: 3, rows: [[0, 1]] });
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      `imread: cannot read the given ${png.length} bytes: corrupt PNG (Expected palette not found)`,
    );
  });

  it('a truncated or corrupt JPEG', async () => {
    const gray = grayJpeg();
    await expectThrowsNoLeak(
      () => imread(gray.subarray(0, 30)),
      Error,
      /^imread: cannot read the given 30 bytes: truncated JPEG \(no end-of-image marker\): /,
    );
    const noFrame = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    await expectThrowsNoLeak(() => imread(noFrame), Error, /^imread: cannot read the given 4 bytes: corrupt JPEG: /);
  });

  it("a JPEG the decoder trips on says it is corrupt, not the decoder's TypeError", async () => {
    // A scan that names a component the frame does not define: jpeg-js reads a property of undefined.
    const good = Buffer.from(jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 128), width: 8, height: 8 }, 90).data);
    const bad = Buffer.from(good);
    bad[bad.indexOf(Buffer.from([0xff, 0xda])) + 5] = 9;
    const err = await expectThrowsNoLeak(
      () => imread(bad),
      Error,
      `imread: cannot read the given ${bad.length} bytes: corrupt JPEG: malformed data the decoder could not follow`,
    );
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('http errors name the URL', async () => {
    await expectThrowsNoLeak(
      () => imread(`${base}/missing.png`),
      Error,
      `imread: cannot fetch "${base}/missing.png": HTTP 404 Not Found`,
    );
    // Port 9 (discard) on the loopback: nothing listens there (and fetch refuses it as a "bad port").
    await expectThrowsNoLeak(
      () => imread('http://127.0.0.1:9/x.png'),
      Error,
      /^imread: cannot fetch "http:\/\/127\.0\.0\.1:9\/x\.png": fetch failed/,
    );
  });
});
