import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredSize } from '../../src/io/imageFormat.js';
import { ROOT } from '../helpers/images.js';
import { avifHeader, bmpFile, buildPng, gifHeader, grayJpeg, icoFile, webpHeader } from './fixtures.js';

// The size a file's header declares, read before any decoder allocates: the browser's imread holds it to
// limits.maxPixels before handing the file to the browser's decoder.

/** `h` rows of `n` zero samples. */
const gray = (h: number, n: number) => Array.from({ length: h }, () => new Array<number>(n).fill(0));

describe('declaredSize', () => {
  it('reads PNG and JPEG files', () => {
    expect(declaredSize(readFileSync(path.join(ROOT, 'examples/images/face.png')))).toEqual({
      width: 227,
      height: 227,
    });
    const png = buildPng({ width: 40, height: 30, depth: 8, colorType: 2, rows: gray(30, 120) });
    expect(declaredSize(png)).toEqual({ width: 40, height: 30 });
    expect(declaredSize(grayJpeg())).toEqual({ width: 16, height: 8 });
  });

  it('reads the largest sizes each format can state', () => {
    const png = buildPng({ width: 1, height: 1, depth: 8, colorType: 0, rows: gray(1, 1) });
    png.writeUInt32BE(2 ** 31 - 1, 16);
    png.writeUInt32BE(2 ** 31 - 1, 20);
    expect(declaredSize(png)).toEqual({ width: 2 ** 31 - 1, height: 2 ** 31 - 1 });
    expect(declaredSize(gifHeader(65535, 65535))).toEqual({ width: 65535, height: 65535 });
    expect(declaredSize(webpHeader('VP8X', 2 ** 24, 2 ** 24))).toEqual({ width: 2 ** 24, height: 2 ** 24 });
    expect(declaredSize(webpHeader('VP8L', 16384, 16384))).toEqual({ width: 16384, height: 16384 });
    expect(declaredSize(webpHeader('VP8 ', 16383, 16383))).toEqual({ width: 16383, height: 16383 });
    const bmp = bmpFile(1, 1, [0, 0, 0]);
    bmp.writeInt32LE(2 ** 31 - 1, 18);
    bmp.writeInt32LE(-(2 ** 31), 22);
    expect(declaredSize(bmp)).toEqual({ width: 2 ** 31 - 1, height: 2 ** 31 });
  });

  it('reads each WebP layout and both BMP row orders, sides kept apart', () => {
    for (const kind of ['VP8 ', 'VP8L', 'VP8X'] as const) {
      expect(declaredSize(webpHeader(kind, 300, 7))).toEqual({ width: 300, height: 7 });
    }
    expect(declaredSize(bmpFile(5, 3, [1, 2, 3]))).toEqual({ width: 5, height: 3 });
    expect(declaredSize(bmpFile(5, 3, [1, 2, 3], true))).toEqual({ width: 5, height: 3 });
    const os2 = Buffer.alloc(26); // BITMAPCOREHEADER: 16-bit sizes
    os2.write('BM', 0, 'latin1');
    os2.writeUInt32LE(12, 14);
    os2.writeUInt16LE(640, 18);
    os2.writeUInt16LE(480, 20);
    expect(declaredSize(os2)).toEqual({ width: 640, height: 480 });
  });

  it('reads the largest image an ICO or CUR holds, by its own header where the file reaches it', () => {
    const png = (width: number, height: number) =>
      buildPng({ width, height, depth: 8, colorType: 0, rows: gray(height, width) });
    const bmp = bmpFile(40, 20, [0, 0, 0]).subarray(14); // the info header and pixels, as an icon stores them
    bmp.writeInt32LE(2 * 20, 8); // an icon's BMP height counts its AND mask too
    const icons = [
      { width: 16, height: 16, data: png(16, 16) },
      { width: 40, height: 20, data: bmp },
    ];
    expect(declaredSize(icoFile(icons))).toEqual({ width: 40, height: 20 });
    expect(declaredSize(icoFile(icons, 2))).toEqual({ width: 40, height: 20 });
    // An embedded PNG's own size wins over the directory's byte-sized one, however small that claims to be.
    const big = png(1, 1);
    big.writeUInt32BE(30_000, 16);
    big.writeUInt32BE(30_000, 20);
    expect(declaredSize(icoFile([...icons, { width: 1, height: 1, data: big }]))).toEqual({
      width: 30_000,
      height: 30_000,
    });
    // Past the bytes given, the directory's size stands (0 meaning 256).
    const cut = icoFile([{ width: 256, height: 256, data: png(300, 300) }]).subarray(0, 22 + 20);
    expect(declaredSize(cut)).toEqual({ width: 256, height: 256 });
  });

  it("reads an AVIF's largest item, a grid's whole image over its tiles", () => {
    expect(declaredSize(avifHeader([[300, 200]]))).toEqual({ width: 300, height: 200 });
    const grid = avifHeader([
      [512, 512],
      [40_000, 30_000],
      [512, 512],
    ]);
    expect(declaredSize(grid)).toEqual({ width: 40_000, height: 30_000 });
    expect(declaredSize(avifHeader([]))).toBeNull();
  });

  it('stops at a corrupt box and never nests deeper than meta, iprp and ipco', () => {
    const avif = avifHeader([[64, 64]]);
    avif.writeUInt32BE(4, 0); // the ftyp box claims 4 bytes, less than its own header
    expect(declaredSize(avif)).toBeNull();
    // Ten thousand meta boxes inside each other: read one level deep, without a stack overflow.
    let nested = Buffer.alloc(0);
    for (let i = 0; i < 10_000; i++) {
      const head = Buffer.alloc(12);
      head.writeUInt32BE(12 + nested.length, 0);
      head.write('meta', 4, 'latin1');
      nested = Buffer.concat([head, nested]);
    }
    const ftyp = avifHeader([]).subarray(0, 28);
    expect(declaredSize(Buffer.concat([ftyp, nested]))).toBeNull();
  });

  it('says null for other data, and for a start that ends before the size', () => {
    expect(declaredSize(new Uint8Array(0))).toBeNull();
    expect(declaredSize(Buffer.from('<!DOCTYPE html><html>'))).toBeNull();
    expect(
      declaredSize(buildPng({ width: 4, height: 4, depth: 8, colorType: 0, rows: gray(4, 4) }).subarray(0, 20)),
    ).toBeNull();
    expect(declaredSize(grayJpeg().subarray(0, 40))).toBeNull(); // cut inside the quantisation table
    expect(declaredSize(gifHeader(10, 10).subarray(0, 9))).toBeNull();
    expect(declaredSize(bmpFile(2, 2, [0, 0, 0]).subarray(0, 25))).toBeNull();
    expect(declaredSize(webpHeader('VP8X', 9, 9).subarray(0, 29))).toBeNull();
    const riff = webpHeader('VP8L', 9, 9);
    riff[20] = 0; // not a lossless bitstream's signature
    expect(declaredSize(riff)).toBeNull();
  });
});
