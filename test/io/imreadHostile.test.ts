import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { afterEach, describe, expect, it } from 'vitest';
import { getLimits, setLimits } from '../../src/internal/limits.js';
import { imread, readImageSync } from '../../src/io/imread.node.js';
import { ROOT } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';
import { buildPng, pngChunk } from './fixtures.js';

// Files made to hurt the decoders: each must be refused with a message that names the problem, before any pixel is
// returned, and never return bytes the file does not hold. These are the regression corpus of the hostile-input
// review; the property tests at the end fuzz the same paths.

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = depth;
  b[9] = colorType;
  b[12] = interlace;
  return b;
}

/** A PNG with valid chunk checksums around whatever IDAT data is given (`null`: no IDAT chunk at all). */
function pngWith(header: Buffer, idat: Uint8Array | null): Buffer {
  return Buffer.concat([
    SIGNATURE,
    pngChunk('IHDR', header),
    ...(idat ? [pngChunk('IDAT', idat)] : []),
    pngChunk('IEND', []),
  ]);
}

const rows = (h: number, rowBytes: number, fill = 7) => Buffer.alloc(h * (1 + rowBytes), fill).fill(0, 0, 1);
const label = (b: Uint8Array) => `the given ${b.length} bytes`;

afterEach(() => {
  setLimits('defaults');
});

describe('imread: hostile PNG files', () => {
  it('refuses image data that is not zlib, names the problem', async () => {
    const png = pngWith(ihdr(4, 4, 8, 0), Buffer.from('definitely not a zlib stream'));
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      /^imread: cannot read the given \d+ bytes: corrupt PNG \(its image data is not a valid zlib stream: /,
    );
  });

  it('refuses a zlib stream cut short (valid checksums)', async () => {
    const full = deflateSync(rows(16, 16));
    const png = pngWith(ihdr(16, 16, 8, 0), full.subarray(0, full.length - 6));
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      `imread: cannot read ${label(png)}: corrupt PNG (its image data is not a valid zlib stream: it stops before its end)`,
    );
  });

  it('refuses too few rows instead of filling the rest with zeros or stale memory', async () => {
    // Leave a secret in memory that a decoder allocating with Buffer.allocUnsafe could hand back as pixels.
    for (let i = 0; i < 64; i++) Buffer.allocUnsafe(4096).fill('password=hunter2;');
    const png = pngWith(ihdr(16, 16, 8, 0), deflateSync(rows(3, 16)));
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      `imread: cannot read ${label(png)}: corrupt PNG (its image data holds 51 bytes where its 16×16 header needs 272)`,
    );
    const wide = pngWith(ihdr(100000, 1, 8, 6), deflateSync(rows(1, 64)));
    await expectThrowsNoLeak(
      () => imread(wide),
      Error,
      `imread: cannot read ${label(wide)}: corrupt PNG (its image data holds 65 bytes where its 100000×1 header needs 400001)`,
    );
  });

  it('refuses more data than the header needs, without inflating the rest', async () => {
    const png = pngWith(ihdr(4, 4, 8, 0), deflateSync(rows(4000, 4)));
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      `imread: cannot read ${label(png)}: corrupt PNG (its image data holds more than the 20 bytes its 4×4 header needs)`,
    );
  });

  it('refuses a PNG without image data', async () => {
    const png = pngWith(ihdr(4, 4, 8, 0), null);
    await expectThrowsNoLeak(
      () => imread(png),
      Error,
      `imread: cannot read ${label(png)}: corrupt PNG (it has no image data, no IDAT chunk)`,
    );
  });

  it('refuses sizes past limits.maxPixels from the header alone (2^31 × 1 RGBA: once a process abort in zlib)', async () => {
    const png = pngWith(ihdr(2147483647, 1, 8, 6), deflateSync(Buffer.alloc(8)));
    expect(png.length).toBeLessThan(100);
    await expectThrowsNoLeak(
      () => imread(png),
      RangeError,
      `imread: ${label(png)} is a 2147483647×1 image (2,147,483,647 pixels); the limit is 67,108,864 pixels (limits.maxPixels; raise it with setLimits)`,
    );
  });

  it('refuses a decompression bomb (20000×20000 1-bit PNG of a few kilobytes) before inflating it', async () => {
    const bomb = pngWith(ihdr(20000, 20000, 1, 0), deflateSync(Buffer.alloc(20000 * 2501), { level: 9 }));
    expect(bomb.length).toBeLessThan(100_000);
    await expectThrowsNoLeak(
      () => imread(bomb),
      RangeError,
      `imread: ${label(bomb)} is a 20000×20000 image (400,000,000 pixels); the limit is 67,108,864 pixels (limits.maxPixels; raise it with setLimits)`,
    );
  });

  it('reads Adam7-interlaced data of exactly the right length, and refuses any other length', async () => {
    // A 5×7 gray image, value 10·r + c, written as its seven passes (each row of each pass after a filter byte 0).
    const [w, h] = [7, 5];
    const passes = [
      [0, 0, 8, 8],
      [0, 4, 8, 8],
      [4, 0, 8, 4],
      [0, 2, 4, 4],
      [2, 0, 4, 2],
      [0, 1, 2, 2],
      [1, 0, 2, 1],
    ];
    const raw: number[] = [];
    for (const [r0, c0, dr, dc] of passes) {
      for (let r = r0; r < h; r += dr) {
        const cols = [];
        for (let c = c0; c < w; c += dc) cols.push(10 * r + c);
        if (cols.length > 0) raw.push(0, ...cols);
      }
    }
    const im = await imread(pngWith(ihdr(w, h, 8, 0, 1), deflateSync(Buffer.from(raw))));
    expect(await im.array()).toEqual(
      Array.from({ length: h }, (_, r) => Array.from({ length: w }, (_, c) => 10 * r + c)),
    );
    im.dispose();
    const short = pngWith(ihdr(w, h, 8, 0, 1), deflateSync(Buffer.from(raw.slice(0, -1))));
    await expectThrowsNoLeak(
      () => imread(short),
      Error,
      `imread: cannot read ${label(short)}: corrupt PNG (its image data holds ${raw.length - 1} bytes where its 7×5 header needs ${raw.length})`,
    );
  });

  it('honours a raised or lowered limit (setLimits), and says which limit to raise', async () => {
    const png = buildPng({ width: 40, height: 30, depth: 8, colorType: 0, rows: Array(30).fill(Array(40).fill(9)) });
    setLimits({ maxPixels: 1000 });
    await expectThrowsNoLeak(
      () => imread(png),
      RangeError,
      `imread: ${label(png)} is a 40×30 image (1,200 pixels); the limit is 1,000 pixels (limits.maxPixels; raise it with setLimits)`,
    );
    setLimits({ maxPixels: 1200 });
    const im = await imread(png);
    expect(im.shape).toEqual([30, 40]);
    im.dispose();
  });
});

describe('imread: hostile JPEG files', () => {
  // SOI, then a frame header: FF Cn, length 11, precision 8, height, width, 1 component (id 1, 1x1, table 0).
  const jpegHeader = (marker: number, width: number, height: number) =>
    Buffer.from([
      0xff,
      0xd8,
      0xff,
      marker,
      0,
      11,
      8,
      height >> 8,
      height & 255,
      width >> 8,
      width & 255,
      1,
      1,
      0x11,
      0,
    ]);

  it('says that arithmetic-coded JPEGs are not supported (instead of "corrupt")', async () => {
    const jpg = jpegHeader(0xc9, 8, 8);
    await expectThrowsNoLeak(
      () => imread(jpg),
      Error,
      `imread: cannot read ${label(jpg)}: arithmetic-coded JPEG (SOF9) is not supported; save it as a baseline or progressive (Huffman-coded) JPEG, or as PNG`,
    );
  });

  it('refuses sizes past limits.maxPixels from the frame header, before decoding', async () => {
    const jpg = jpegHeader(0xc0, 30000, 30000);
    await expectThrowsNoLeak(
      () => imread(jpg),
      RangeError,
      `imread: ${label(jpg)} is a 30000×30000 image (900,000,000 pixels); the limit is 67,108,864 pixels (limits.maxPixels; raise it with setLimits)`,
    );
  });
  it('refuses more scans than limits.maxJpegScans before decoding: each is decoded over the whole image', async () => {
    // A progressive JPEG's empty scans cost a few bytes each and a pass over every block: 1,000 of them made a 38 KB
    // file of 2000×2000 pixels that jpeg-js took 22 s to decode. Here a baseline file's one scan, repeated.
    const good = Buffer.from(jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 90), width: 16, height: 16 }, 90).data);
    const sos = good.indexOf(Buffer.from([0xff, 0xda]));
    const scan = good.subarray(sos, good.length - 2);
    const many = Buffer.concat([
      good.subarray(0, good.length - 2),
      ...Array(300).fill(scan),
      Buffer.from([0xff, 0xd9]),
    ]);
    await expectThrowsNoLeak(
      () => imread(many),
      RangeError,
      `imread: ${label(many)} is a JPEG of 301 scans, each decoded over the whole image; the limit is 256 scans (limits.maxJpegScans; raise it with setLimits)`,
    );
    // Raised, it decodes: every scan writes the same pixels.
    setLimits({ maxJpegScans: 301 });
    const [a, b] = [await imread(many), await imread(good)];
    expect(await a.data()).toEqual(await b.data());
    tf.dispose([a, b]);
  });

  it("counts scans by the file's structure: bytes FF DA inside a metadata segment are no scan", async () => {
    const good = Buffer.from(jpeg.encode({ data: Buffer.alloc(16 * 16 * 4, 90), width: 16, height: 16 }, 90).data);
    // An APP15 segment of 600 bytes FF DA after SOI: a count of byte pairs would find 300 scans.
    const app = Buffer.concat([
      Buffer.from([0xff, 0xef, 0x02, 0x5a]),
      Buffer.alloc(600).map((_, i) => (i % 2 ? 0xda : 0xff)),
    ]);
    const withApp = Buffer.concat([good.subarray(0, 2), app, good.subarray(2)]);
    const [a, b] = [await imread(withApp), await imread(good)];
    expect(await a.data()).toEqual(await b.data());
    tf.dispose([a, b]);
  });
});

describe('imread: fuzzed PNG data (valid chunk checksums around any header and data)', () => {
  it('either decodes exactly the header size, with values 0..255, or throws an imread error', async () => {
    const before = tf.memory().numTensors;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          width: fc.integer({ min: 1, max: 40 }),
          height: fc.integer({ min: 1, max: 40 }),
          kind: fc.constantFrom<[number, number]>([8, 0], [8, 2], [8, 6], [16, 0], [1, 0], [4, 0], [8, 4]),
          interlace: fc.constantFrom(0, 1),
          raw: fc.uint8Array({ minLength: 0, maxLength: 8000 }),
          zlib: fc.boolean(),
          cut: fc.nat(64),
        }),
        async ({ width, height, kind: [depth, colorType], interlace, raw, zlib, cut }) => {
          let data: Uint8Array = zlib ? deflateSync(raw) : raw;
          if (cut > 0 && cut < data.length) data = data.subarray(0, data.length - cut);
          const png = pngWith(ihdr(width, height, depth, colorType, interlace), data);
          let im: tf.Tensor | undefined;
          try {
            im = await imread(png);
          } catch (err) {
            expect((err as Error).message).toMatch(/^imread: /);
            return;
          }
          const color = colorType === 2 || colorType === 6;
          expect(im.shape).toEqual(color ? [height, width, 3] : [height, width]);
          const v = await im.data();
          expect(v.every((x) => x >= 0 && x <= 255)).toBe(true);
          im.dispose();
        },
      ),
      { numRuns: 300, seed: 20261202 },
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves the limits as they were', () => {
    expect(getLimits().maxPixels).toBe(2 ** 26);
  });
});

describe('imread: downloads that hang, trickle, drop or are cancelled', () => {
  const png = buildPng({
    width: 2,
    height: 2,
    depth: 8,
    colorType: 0,
    rows: [
      [1, 2],
      [3, 4],
    ],
  });
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/silent.png') {
      held.add(res);
      return;
    }
    if (url === '/slow.png') {
      setTimeout(() => res.end(png), 100);
      return;
    }
    if (url === '/trickle.png') {
      held.add(res);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      const timer = setInterval(() => res.writable && res.write(png.subarray(0, 1)), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    if (url === '/endless.png') {
      // A body that never ends, as fast as the socket takes it.
      held.add(res);
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (res.writable && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
      return;
    }
    if (url === '/huge.png') {
      held.add(res);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(5 * 2 ** 30) });
      res.flushHeaders();
      return;
    }
    if (url === '/badgzip.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' });
      res.end(png);
      return;
    }
    if (url === '/gzip.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-encoding': 'gzip' });
      res.end(gzipSync(png));
      return;
    }
    if (url === '/drop.png') {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(png.length) });
      res.write(png.subarray(0, 20));
      setTimeout(() => res.socket?.destroy(), 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(png);
  });
  let base = '';
  const start = async () => {
    if (base) return base;
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return base;
  };

  it('times out a server that never answers, and one that trickles, naming the URL and the option', async () => {
    const b = await start();
    await expectThrowsNoLeak(
      () => imread(`${b}/silent.png`, { timeoutMs: 200 }),
      Error,
      `imread: loading "${b}/silent.png" took longer than 200 ms (options.timeoutMs, or limits.httpTimeoutMs)`,
    );
    await expectThrowsNoLeak(
      () => imread(`${b}/trickle.png`, { timeoutMs: 300 }),
      Error,
      `imread: loading "${b}/trickle.png" took longer than 300 ms (options.timeoutMs, or limits.httpTimeoutMs)`,
    );
  });

  it('waits out a time limit longer than a timer holds (2^31 ms, about 24.8 days) instead of firing at once', async () => {
    const b = await start();
    for (const timeoutMs of [2 ** 31, 1e12]) {
      const image = await expectNoLeak(() => imread(`${b}/slow.png`, { timeoutMs }), 1);
      expect(image.shape).toEqual([2, 2]);
      image.dispose();
    }
  });

  it('says so when the connection drops before the whole body arrived', async () => {
    const b = await start();
    await expectThrowsNoLeak(
      () => imread(`${b}/drop.png`),
      Error,
      `imread: cannot fetch "${b}/drop.png": the connection ended before the whole body arrived`,
    );
  });

  it('reads a gzip-encoded body, and says so when the encoding is broken (not "the connection ended")', async () => {
    const b = await start();
    const im = await imread(`${b}/gzip.png`);
    expect(Array.from(await im.data())).toEqual([1, 2, 3, 4]);
    im.dispose();
    const err = await expectThrowsNoLeak(
      () => imread(`${b}/badgzip.png`),
      Error,
      `imread: cannot fetch "${b}/badgzip.png": the server's body is not valid for its Content-Encoding (incorrect header check)`,
    );
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('stops a body at limits.maxFileBytes, and refuses a Content-Length past it before the body', async () => {
    const b = await start();
    setLimits({ maxFileBytes: 2 ** 20 });
    await expectThrowsNoLeak(
      () => imread(`${b}/endless.png`),
      RangeError,
      `imread: "${b}/endless.png" sent more than the limit of 1,048,576 bytes (limits.maxFileBytes; raise it with setLimits)`,
    );
    setLimits('defaults');
    // 5 GiB declared, nothing sent: refused at the headers, long before the timeout.
    await expectThrowsNoLeak(
      () => imread(`${b}/huge.png`, { timeoutMs: 30_000 }),
      RangeError,
      `imread: "${b}/huge.png" is 5,368,709,120 bytes; the limit is 1,073,741,824 bytes (limits.maxFileBytes; raise it with setLimits)`,
    );
  });

  it('stops at an AbortSignal, with its reason as the cause; reads normally otherwise', async () => {
    const b = await start();
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('closed the tab')), 50);
    const err = await expectThrowsNoLeak(
      () => imread(`${b}/silent.png`, { signal: ac.signal }),
      Error,
      `imread: loading "${b}/silent.png" was aborted`,
    );
    expect((err.cause as Error).message).toBe('closed the tab');
    const im = await imread(`${b}/ok.png`);
    expect(await im.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    im.dispose();
    for (const res of held) res.destroy();
    await new Promise((ok) => server.close(ok));
  });

  it('refuses a file: URL of another host with a clear message', async () => {
    await expectThrowsNoLeak(
      () => imread('file://otherhost/x.png'),
      RangeError,
      `imread: expected 'source' to be a file: URL of this machine (file:///path), got "file://otherhost/x.png" (string)`,
    );
  });
});

describe('imread: paths that are not image files', () => {
  it('refuses a device and a FIFO before reading, which would never end or wait forever', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cnn-fifo-'));
    const fifo = path.join(dir, 'pipe.png');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      console.warn('imreadHostile: no mkfifo here; the FIFO case is skipped');
    }
    const paths = [...(existsSync(fifo) ? [fifo] : []), ...(existsSync('/dev/zero') ? ['/dev/zero'] : [])];
    for (const p of paths) {
      const message = `imread: ${JSON.stringify(p)} is not a regular file (a device, FIFO or socket, which may never end)`;
      await expectThrowsNoLeak(() => imread(p), Error, message);
      // The synchronous reader of activations() and the other network functions checks the same.
      expect(() => readImageSync('activations', p)).toThrow(message.replace(/^imread/, 'activations'));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a file larger than limits.maxFileBytes before reading it', async () => {
    const face = path.join(ROOT, 'examples/images/face.png');
    const size = statSync(face).size;
    setLimits({ maxFileBytes: size - 1 });
    await expectThrowsNoLeak(
      () => imread(face),
      RangeError,
      `imread: ${JSON.stringify(face)} is ${size.toLocaleString('en-US')} bytes; the limit is ` +
        `${(size - 1).toLocaleString('en-US')} bytes (limits.maxFileBytes; raise it with setLimits)`,
    );
    setLimits({ maxFileBytes: size });
    const im = await imread(face);
    expect(im.shape).toEqual([227, 227, 3]);
    im.dispose();
  });
});
