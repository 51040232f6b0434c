/**
 * Image files built at test time, byte by byte, so that the I/O tests need no committed binaries beyond the example
 * images, and so that every PNG colour type and bit depth can be covered (pngjs cannot write palette or 1-bit files).
 */
import { deflateSync } from 'node:zlib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array | number[]): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(data)]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(body.length - 4, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), out.length - 4);
  return out;
}

export interface PngSpec {
  width: number;
  height: number;
  /** Bit depth: 1, 2, 4, 8 or 16. */
  depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: number;
  /** Each row's packed samples (without the filter byte; filter 0 is used). */
  rows: number[][];
  /** Chunks to put between IHDR and IDAT, e.g. `['PLTE', [...]]`, `['tRNS', [...]]`. */
  chunks?: [string, number[]][];
}

/** A valid, non-interlaced PNG file. */
export function buildPng(spec: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.depth;
  ihdr[9] = spec.colorType;
  const raw = Buffer.from(spec.rows.flatMap((row) => [0, ...row]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...(spec.chunks ?? []).map(([type, data]) => pngChunk(type, data)),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', []),
  ]);
}

/** Big-endian 16-bit samples as bytes. */
export function be16(values: number[]): number[] {
  return values.flatMap((v) => [v >>> 8, v & 0xff]);
}

/**
 * A baseline grayscale JPEG (one component), 16×8 pixels: the left 8×8 block all 50, the right one all 200.
 * Built by hand: quantisation table of ones, each block only a DC coefficient, Huffman tables with just the symbols
 * used. Any conforming decoder returns exactly 50 and 200 (a flat block has no rounding in the inverse DCT).
 */
export function grayJpeg(): Buffer {
  const marker = (code: number, body: number[]) => [
    0xff,
    code,
    (body.length + 2) >> 8,
    (body.length + 2) & 0xff,
    ...body,
  ];
  // DC of a flat block of value v (level-shifted by 128): 8 (v - 128). Left: -624 (category 10), right: 576, so the
  // coded difference is 1200 (category 11). Negative values are coded as v + 2^cat - 1.
  const bits =
    '00' +
    (-624 + 1023).toString(2).padStart(10, '0') +
    '00' + // block 1: DC cat 10, value, AC end-of-block
    '01' +
    (1200).toString(2).padStart(11, '0') +
    '00'; // block 2: DC cat 11, value, end-of-block
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '1');
  const scan: number[] = [];
  for (let i = 0; i < padded.length; i += 8) {
    const byte = parseInt(padded.slice(i, i + 8), 2);
    scan.push(byte);
    if (byte === 0xff) scan.push(0x00); // byte stuffing
  }
  const counts = (lengths: Record<number, number>) => Array.from({ length: 16 }, (_, i) => lengths[i + 1] ?? 0);
  return Buffer.from([
    0xff,
    0xd8, // SOI
    ...marker(0xdb, [0x00, ...new Array(64).fill(1)]), // DQT: table 0, all ones
    ...marker(0xc0, [8, 0, 8, 0, 16, 1, 1, 0x11, 0]), // SOF0: 8-bit, 8 high, 16 wide, 1 component (id 1, 1×1, table 0)
    ...marker(0xc4, [0x00, ...counts({ 2: 2 }), 10, 11]), // DHT DC 0: codes 00 → cat 10, 01 → cat 11
    ...marker(0xc4, [0x10, ...counts({ 2: 1 }), 0x00]), // DHT AC 0: code 00 → end-of-block
    ...marker(0xda, [1, 1, 0x00, 0, 63, 0]), // SOS: 1 component, tables 0/0, spectral 0..63
    ...scan,
    0xff,
    0xd9, // EOI
  ]);
}

/** A fresh temporary folder; call the returned `cleanup` when done. */
export async function tempDir(prefix = 'cnn-io-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A 24-bit BMP (BITMAPINFOHEADER) of `width × height`, every pixel `rgb`; `topDown` stores a negative height, as
 * top-down files do. Complete and valid, so browsers decode it.
 */
export function bmpFile(width: number, height: number, rgb: [number, number, number], topDown = false): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const pixels = stride * height;
  const b = Buffer.alloc(54 + pixels);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10); // pixel data offset
  b.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  b.writeInt32LE(width, 18);
  b.writeInt32LE(topDown ? -height : height, 22);
  b.writeUInt16LE(1, 26); // planes
  b.writeUInt16LE(24, 28); // bits per pixel
  b.writeUInt32LE(pixels, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = 54 + y * stride + x * 3;
      [b[at], b[at + 1], b[at + 2]] = [rgb[2], rgb[1], rgb[0]]; // stored B, G, R
    }
  }
  return b;
}

/** The start of a GIF89a whose logical screen is `width × height` (no image data follows). */
export function gifHeader(width: number, height: number): Buffer {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b;
}

/**
 * The start of a WebP file of `width × height` in one of its three layouts: lossy (`'VP8 '`, at most 16383 a side),
 * lossless (`'VP8L'`, the same) or extended (`'VP8X'`, up to 2^24 a side). Headers only: no image data follows.
 */
export function webpHeader(kind: 'VP8 ' | 'VP8L' | 'VP8X', width: number, height: number): Buffer {
  const b = Buffer.alloc(32);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(b.length - 8, 4);
  b.write('WEBP', 8, 'latin1');
  b.write(kind, 12, 'latin1');
  b.writeUInt32LE(b.length - 20, 16);
  if (kind === 'VP8X') {
    b.writeUIntLE(width - 1, 24, 3);
    b.writeUIntLE(height - 1, 27, 3);
  } else if (kind === 'VP8L') {
    b[20] = 0x2f; // signature
    b.writeUInt32LE((width - 1) | ((height - 1) << 14), 21);
  } else {
    [b[23], b[24], b[25]] = [0x9d, 0x01, 0x2a]; // the frame's start code
    b.writeUInt16LE(width, 26);
    b.writeUInt16LE(height, 28);
  }
  return b;
}

/**
 * An ICO file (`type` 1; 2 makes a CUR) holding `images`, each the bytes of a PNG or of a BMP info header and pixels,
 * one directory entry apiece stating `width × height` (stored as bytes: 256 and more as 0, as the format does).
 */
export function icoFile(images: { width: number; height: number; data: Buffer }[], type = 1): Buffer {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(type, 2);
  head.writeUInt16LE(images.length, 4);
  let at = head.length;
  images.forEach(({ width, height, data }, i) => {
    const e = 6 + 16 * i;
    head[e] = width >= 256 ? 0 : width;
    head[e + 1] = height >= 256 ? 0 : height;
    head.writeUInt16LE(1, e + 4); // colour planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(data.length, e + 8);
    head.writeUInt32LE(at, e + 12);
    at += data.length;
  });
  return Buffer.concat([head, ...images.map((image) => image.data)]);
}

/** An ISO-BMFF box: its size, its type, then `body`. */
const box = (type: string, ...body: Buffer[]) => {
  const content = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + content.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, content]);
};

/**
 * The start of an AVIF file whose items are `sizes` (each an `ispe` property, as a grid image and its tiles have),
 * after a `ftyp` box and a `hdlr` box that the size's reader must step over. Headers only: no image data follows.
 */
export function avifHeader(sizes: [number, number][]): Buffer {
  const ispe = sizes.map(([width, height]) => {
    const b = Buffer.alloc(12); // version and flags, width, height
    b.writeUInt32BE(width, 4);
    b.writeUInt32BE(height, 8);
    return box('ispe', b);
  });
  const hdlr = box('hdlr', Buffer.alloc(8), Buffer.from('pict'), Buffer.alloc(13));
  return Buffer.concat([
    box('ftyp', Buffer.from('avif\0\0\0\0avifmif1miaf', 'latin1')),
    box('meta', Buffer.alloc(4), hdlr, box('iprp', box('ipco', ...ispe))),
  ]);
}
