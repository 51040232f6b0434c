/**
 * Recognising image files by their first bytes (never by their extension), for clear error messages.
 * Platform-neutral; not exported from the package.
 */

export type ImageFormat = 'png' | 'jpeg';

// Magic numbers of the formats we decode, and of common ones we do not (so that the error can name them).
const SIGNATURES: readonly { name: string; bytes: readonly number[] }[] = [
  { name: 'png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { name: 'jpeg', bytes: [0xff, 0xd8, 0xff] },
  { name: 'GIF', bytes: [0x47, 0x49, 0x46, 0x38] }, // "GIF8"
  { name: 'BMP', bytes: [0x42, 0x4d] }, // "BM"
  { name: 'TIFF', bytes: [0x49, 0x49, 0x2a, 0x00] }, // "II*\0"
  { name: 'TIFF', bytes: [0x4d, 0x4d, 0x00, 0x2a] }, // "MM\0*"
  { name: 'ICO', bytes: [0x00, 0x00, 0x01, 0x00] },
  { name: 'PDF', bytes: [0x25, 0x50, 0x44, 0x46] }, // "%PDF"
];

function startsWith(bytes: Uint8Array, sig: readonly number[]): boolean {
  if (bytes.length < sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (bytes[i] !== sig[i]) return false;
  return true;
}

/** The big-endian unsigned 32-bit number at `i`. */
const u32 = (b: Uint8Array, i: number) => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, bytes.length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/**
 * The format of `bytes` if we can decode it (`'png'` or `'jpeg'`); otherwise a phrase for an error message saying what
 * was found instead: `'a GIF image'`, `'a WebP image'`, `'an empty file'`, `'text starting with "<!DOCTYPE html>"'` or
 * `'unknown data starting with bytes 00 01 02 ...'`.
 */
export function sniffImageFormat(bytes: Uint8Array): { format: ImageFormat } | { found: string } {
  if (bytes.length === 0) return { found: 'no data (0 bytes)' };
  for (const sig of SIGNATURES) {
    if (startsWith(bytes, sig.bytes)) {
      if (sig.name === 'png' || sig.name === 'jpeg') return { format: sig.name };
      return { found: `a ${sig.name} image` };
    }
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return { found: 'a WebP image' };
  if (ascii(bytes, 4, 8) === 'ftyp')
    return { found: `an ISO media file (brand "${ascii(bytes, 8, 12)}", e.g. AVIF/HEIC)` };
  const head = bytes.subarray(0, 16);
  // Printable ASCII (and whitespace) only: show it as text, which is what a mistaken path usually holds.
  if (head.every((b) => (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d)) {
    const text = ascii(bytes, 0, 24).replace(/\s+/g, ' ');
    return { found: `text starting with ${JSON.stringify(text)}` };
  }
  const hex = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return { found: `unknown data starting with bytes ${hex}` };
}

/**
 * The number of colour components of a JPEG (1 = gray, 3 = YCbCr/RGB, 4 = CMYK/YCCK) read from its start-of-frame
 * marker, or `null` if no frame header is found before the image data.
 */
export function jpegComponentCount(bytes: Uint8Array): number | null {
  for (const seg of jpegSegments(bytes)) {
    if (isStartOfFrame(seg.marker)) return seg.at + 9 < bytes.length ? bytes[seg.at + 9] : null;
  }
  return null;
}

/**
 * A JPEG's frame header (its first start-of-frame marker): the marker, the image size, and whether the file is
 * arithmetic-coded (SOF9-SOF11, SOF13-SOF15), which few decoders support. `null` when no frame header comes first.
 */
export function jpegFrame(
  bytes: Uint8Array,
): { marker: number; width: number; height: number; arithmetic: boolean } | null {
  for (const { marker, at } of jpegSegments(bytes)) {
    if (!isStartOfFrame(marker)) continue;
    if (at + 8 >= bytes.length) return null;
    return {
      marker,
      height: (bytes[at + 5] << 8) | bytes[at + 6],
      width: (bytes[at + 7] << 8) | bytes[at + 8],
      arithmetic: marker >= 0xc9,
    };
  }
  return null;
}

/**
 * The marker segments of a JPEG up to its image data, each as its marker, where it starts (its 0xFF) and where it
 * ends (its length says; possibly past the bytes). Fill bytes and markers without a length are stepped over; the walk
 * stops at the first scan (SOS), the end (EOI) or a byte that starts no marker.
 */
function* jpegSegments(bytes: Uint8Array): Generator<{ marker: number; at: number; end: number }> {
  let i = 2; // after SOI (FF D8)
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return; // scan data or end of image
    const end = i + 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
    yield { marker, at: i, end };
    i = end;
  }
}

/**
 * How many scans (SOS markers) a JPEG holds, walking its segments by their lengths and each scan's entropy-coded data
 * to the next marker (there a 0xFF is followed by 0x00, a fill byte or a restart marker), so that bytes inside a
 * segment (an EXIF thumbnail's own scans) are not counted. Linear in the file's size.
 */
export function jpegScanCount(bytes: Uint8Array): number {
  let scans = 0;
  let i = 2; // after SOI (FF D8)
  while (i + 1 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++; // garbage between segments: decoders look for the next marker
      continue;
    }
    const marker = bytes[i + 1];
    if (marker === 0xd9) break;
    if (
      marker === 0xff ||
      marker === 0x00 ||
      marker === 0x01 ||
      marker === 0xd8 ||
      (marker >= 0xd0 && marker <= 0xd7)
    ) {
      i += marker === 0xff ? 1 : 2; // fill bytes and markers without a length
      continue;
    }
    if (i + 3 >= bytes.length) break;
    i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
    if (marker !== 0xda) continue;
    scans++;
    // The scan's data runs to the next marker: 0xFF then anything but 0x00 (a stuffed byte), 0xFF or RST0..RST7.
    while (i + 1 < bytes.length) {
      const b = bytes[i + 1];
      if (bytes[i] === 0xff && b !== 0x00 && b !== 0xff && !(b >= 0xd0 && b <= 0xd7)) break;
      i++;
    }
  }
  return scans;
}

/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): length, precision, height, width, component count. */
const isStartOfFrame = (marker: number) =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

type Size = { width: number; height: number };

/** The larger of two sizes by pixel count; the other when one is null. */
const larger = (a: Size | null, b: Size | null) => (!a || (b && b.width * b.height > a.width * a.height) ? b : a);

// The lengths of the BMP info headers an icon's image may start with (BITMAPINFOHEADER to BITMAPV5HEADER).
const DIB_HEADER_SIZES = [40, 52, 56, 108, 124];

/**
 * The largest image an ICO or CUR file holds: each directory entry's image, sized by its own header (an embedded PNG's
 * IHDR, or a BMP info header whose height counts the AND mask too) where `bytes` reaches it, else by the directory's
 * byte-sized width and height (0 meaning 256).
 */
function iconSize(bytes: Uint8Array): Size | null {
  const le16 = (i: number) => bytes[i] | (bytes[i + 1] << 8);
  const le32 = (i: number) => (le16(i) | (le16(i + 2) << 16)) >>> 0;
  const count = le16(4);
  if (count === 0 || bytes.length < 6 + 16 * count) return null;
  let best: Size | null = null;
  for (let e = 6; e < 6 + 16 * count; e += 16) {
    const at = le32(e + 12);
    let size: Size = { width: bytes[e] || 256, height: bytes[e + 1] || 256 };
    const inner = bytes.subarray(at, at + 26);
    if (startsWith(inner, SIGNATURES[0].bytes)) size = declaredSize(inner) ?? size;
    else if (inner.length >= 12 && DIB_HEADER_SIZES.includes(le32(at))) {
      size = { width: Math.abs(le32(at + 4) | 0), height: Math.ceil(Math.abs(le32(at + 8) | 0) / 2) };
    }
    best = larger(best, size);
  }
  return best;
}

/**
 * The largest `ispe` (image spatial extent) property of an ISO-BMFF image file (AVIF, HEIC): the size of every item
 * the file holds, a grid's whole image among them, listed in `meta` → `iprp` → `ipco` before any pixel data.
 */
function ispeSize(bytes: Uint8Array): Size | null {
  let best: Size | null = null;
  // The boxes entered at each depth, so that no nesting of boxes can run the walk deeper than four levels.
  const PATH = ['meta', 'iprp', 'ipco'];
  const walk = (start: number, end: number, depth: number) => {
    for (let i = start; i + 8 <= end; ) {
      let size = u32(bytes, i);
      let header = 8;
      if (size === 1) {
        if (i + 16 > end) return;
        size = u32(bytes, i + 8) * 2 ** 32 + u32(bytes, i + 12); // 64-bit size
        header = 16;
      } else if (size === 0) size = end - i; // to the end of the file
      if (size < header) return; // corrupt: stop reading
      const type = ascii(bytes, i + 4, i + 8);
      const boxEnd = Math.min(end, i + size);
      if (type === PATH[depth])
        walk(i + header + (type === 'meta' ? 4 : 0), boxEnd, depth + 1); // meta is a full box
      else if (type === 'ispe' && depth === 3 && i + header + 12 <= boxEnd) {
        best = larger(best, { width: u32(bytes, i + header + 4), height: u32(bytes, i + header + 8) });
      }
      i += size;
    }
  };
  walk(0, bytes.length, 0);
  return best;
}

/**
 * The size an image file's header declares, read without decoding anything, so that a file claiming gigapixels in a
 * few kilobytes can be refused before a decoder allocates for it. Knows PNG (IHDR), JPEG (the first frame header),
 * GIF (the logical screen), BMP (the info header), WebP (VP8, VP8L and VP8X), ICO and CUR (the largest image they
 * hold) and AVIF (the largest `ispe` property); `null` for any other data, or when `bytes` (the file's start) ends
 * before the size.
 */
export function declaredSize(bytes: Uint8Array): Size | null {
  const n = bytes.length;
  const le16 = (i: number) => bytes[i] | (bytes[i + 1] << 8);
  const le24 = (i: number) => le16(i) | (bytes[i + 2] << 16);
  const le32 = (i: number) => le24(i) | (bytes[i + 3] << 24); // signed, as BMP stores its sizes
  const sniffed = sniffImageFormat(bytes);
  if ('format' in sniffed) {
    if (sniffed.format === 'png') {
      return n >= 24 && ascii(bytes, 12, 16) === 'IHDR' ? { width: u32(bytes, 16), height: u32(bytes, 20) } : null;
    }
    const frame = jpegFrame(bytes);
    return frame && { width: frame.width, height: frame.height };
  }
  if (ascii(bytes, 0, 4) === 'GIF8') return n >= 10 ? { width: le16(6), height: le16(8) } : null;
  if (ascii(bytes, 0, 2) === 'BM') {
    if (n >= 22 && le32(14) === 12) return { width: le16(18), height: le16(20) }; // OS/2 BITMAPCOREHEADER
    return n >= 26 ? { width: Math.abs(le32(18)), height: Math.abs(le32(22)) } : null; // height < 0: top-down
  }
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP' && n >= 30) {
    const chunk = ascii(bytes, 12, 16);
    if (chunk === 'VP8X') return { width: 1 + le24(24), height: 1 + le24(27) };
    if (chunk === 'VP8L' && bytes[20] === 0x2f) {
      const bits = le32(21) >>> 0;
      return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
    }
    if (chunk === 'VP8 ') return { width: le16(26) & 0x3fff, height: le16(28) & 0x3fff };
  }
  // ICO (type 1) and CUR (type 2): a zero reserved word, then the type.
  if (n >= 6 && le16(0) === 0 && (le16(2) === 1 || le16(2) === 2)) return iconSize(bytes);
  if (ascii(bytes, 4, 8) === 'ftyp') return ispeSize(bytes);
  return null;
}

/**
 * A copy of a PNG's bytes without its `tRNS` chunks when the image is gray or RGB (colour types 0 and 2).
 * Such a chunk names one colour as transparent, and some decoders (pngjs among them) then replace that colour's pixels
 * by black; MATLAB's `imread` returns the stored colour values, and so must we. Other PNGs come back unchanged.
 */
export function withoutColorKey(png: Uint8Array): Uint8Array {
  // IHDR is the first chunk: 8 signature bytes, 4 length, 4 type, then width(4) height(4) depth(1) colourType(1).
  if (png.length < 33) return png;
  const colorType = png[25];
  if (colorType !== 0 && colorType !== 2) return png;
  return withoutPngChunks(png, 'tRNS');
}

/**
 * A copy of a PNG's bytes without its `eXIf` chunk, whose orientation browsers apply to PNGs as to JPEGs (see
 * {@link withoutJpegOrientation}); other PNGs come back unchanged.
 */
export function withoutPngOrientation(png: Uint8Array): Uint8Array {
  return withoutPngChunks(png, 'eXIf');
}

/**
 * A PNG's bytes without the chunks of type `type`, in a new array; the same array when it has none. A chunk cut short
 * by the end of the bytes ends the walk (the decoder reports a truncated file).
 */
function withoutPngChunks(png: Uint8Array, type: string): Uint8Array {
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  let kept = 8;
  let i = 8;
  while (i + 8 <= png.length) {
    const end = i + 12 + u32(png, i);
    if (end > png.length) break;
    if (ascii(png, i + 4, i + 8) === type) {
      parts.push(png.subarray(kept, i));
      kept = end;
    }
    i = end;
  }
  if (kept === 8) return png;
  parts.push(png.subarray(kept));
  return concatBytes(parts);
}

/**
 * The bytes of an image file whose orientation metadata a browser would apply (a JPEG's or a PNG's EXIF), made to
 * say "as stored"; other files, and files without it, come back unchanged.
 */
export function withoutOrientation(bytes: Uint8Array): Uint8Array {
  const format = sniffImageFormat(bytes);
  if (!('format' in format)) return bytes;
  return format.format === 'jpeg' ? withoutJpegOrientation(bytes) : withoutPngOrientation(bytes);
}

/**
 * A copy of a JPEG's bytes whose EXIF orientation is 1 ("as stored") when it said otherwise; other files come back
 * unchanged. A phone stores a portrait photo sideways and says in EXIF how to turn it; browsers' decoders turn it,
 * and `createImageBitmap` no longer has a way to stop them. MATLAB's `imread` and Node's return the pixels as stored,
 * and so must a browser's.
 */
export function withoutJpegOrientation(jpeg: Uint8Array): Uint8Array {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return jpeg;
  for (const { marker, at: start, end } of jpegSegments(jpeg)) {
    if (marker !== 0xe1 || ascii(jpeg, start + 4, start + 10) !== 'Exif\0\0') continue;
    const tiff = start + 10;
    const at = orientationOffset(jpeg, tiff, Math.min(jpeg.length, end));
    if (at === null) return jpeg;
    const little = jpeg[tiff] === 0x49;
    const value = little ? jpeg[at] | (jpeg[at + 1] << 8) : (jpeg[at] << 8) | jpeg[at + 1];
    if (value === 1) return jpeg;
    const copy = new Uint8Array(jpeg); // a copy (a Node Buffer's slice() would be a view)
    copy[at] = little ? 1 : 0;
    copy[at + 1] = little ? 0 : 1;
    return copy;
  }
  return jpeg;
}

/**
 * Where the value of the orientation tag (0x0112, one SHORT) of an EXIF block's first directory is, the block's TIFF
 * header starting at `tiff` and the block ending at `end`; null when there is none or the block is malformed.
 */
function orientationOffset(b: Uint8Array, tiff: number, end: number): number | null {
  if (tiff + 8 > end) return null;
  const little = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!little && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return null;
  const read16 = (at: number) => (little ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]);
  const read32 = (at: number) => (little ? read16(at) + read16(at + 2) * 65536 : read16(at) * 65536 + read16(at + 2));
  if (read16(tiff + 2) !== 42) return null;
  const dir = tiff + read32(tiff + 4);
  if (dir + 2 > end) return null;
  const count = read16(dir);
  for (let k = 0; k < count; k++) {
    const entry = dir + 2 + 12 * k;
    if (entry + 12 > end) return null;
    if (read16(entry) === 0x0112) return read16(entry + 2) === 3 && read32(entry + 4) === 1 ? entry + 8 : null;
  }
  return null;
}

/** The bytes of `parts`, one after another, in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

let crcTable: Uint32Array | undefined;

/** The CRC-32 (ISO 3309, as PNG uses it) of `bytes[start..end)`. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Bit depths allowed for each PNG colour type.
const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

function ihdrProblem(ihdr: Uint8Array): string | null {
  if (ihdr.length !== 13) return `its IHDR chunk has ${ihdr.length} bytes, not 13`;
  const width = ((ihdr[0] << 24) | (ihdr[1] << 16) | (ihdr[2] << 8) | ihdr[3]) >>> 0;
  const height = ((ihdr[4] << 24) | (ihdr[5] << 16) | (ihdr[6] << 8) | ihdr[7]) >>> 0;
  const [depth, colorType, compression, filter, interlace] = ihdr.subarray(8);
  if (width === 0 || height === 0) return `its size is ${width}×${height}`;
  const depths = PNG_DEPTHS[colorType];
  if (!depths) return `colour type ${colorType} does not exist`;
  if (!depths.includes(depth)) return `bit depth ${depth} is not allowed for colour type ${colorType}`;
  if (compression !== 0 || filter !== 0 || interlace > 1) {
    return `unknown compression, filter or interlace method (${compression}, ${filter}, ${interlace})`;
  }
  return null;
}

/**
 * What is wrong with a PNG's chunk structure, for an error message, or `null` if it is sound: every chunk complete
 * with a matching CRC, IHDR first, IEND present. Returns e.g. `'truncated PNG (the data stops inside its IDAT chunk
 * after 50000 bytes)'` or `'corrupt PNG (the checksum of its IDAT chunk at byte 41 does not match)'`.
 */
export function pngStructureProblem(png: Uint8Array): string | null {
  let i = 8;
  let last = '';
  while (i + 8 <= png.length) {
    const length = ((png[i] << 24) | (png[i + 1] << 16) | (png[i + 2] << 8) | png[i + 3]) >>> 0;
    const type = ascii(png, i + 4, i + 8);
    if (i === 8 && type !== 'IHDR') return `corrupt PNG (its first chunk is ${JSON.stringify(type)}, not IHDR)`;
    if (i === 8 && i + 12 + length <= png.length) {
      const header = ihdrProblem(png.subarray(16, 16 + length));
      if (header) return `corrupt PNG (${header})`;
    }
    if (i + 12 + length > png.length) {
      return `truncated PNG (the data stops inside its ${type} chunk after ${png.length} bytes)`;
    }
    const stored =
      ((png[i + 8 + length] << 24) |
        (png[i + 9 + length] << 16) |
        (png[i + 10 + length] << 8) |
        png[i + 11 + length]) >>>
      0;
    if (crc32(png, i + 4, i + 8 + length) !== stored) {
      return `corrupt PNG (the checksum of its ${type} chunk at byte ${i} does not match)`;
    }
    if (type === 'IEND') return null;
    last = type;
    i += 12 + length;
  }
  return last
    ? `truncated PNG (the data stops after its ${last} chunk at ${png.length} bytes, before IEND)`
    : `truncated PNG (only ${png.length} bytes)`;
}

/**
 * Where a structurally sound PNG ends: just past its IEND chunk (call after {@link pngStructureProblem} found it
 * sound). Bytes after it (padding, an appended archive) are not the image's; browsers and libpng ignore them.
 */
export function pngLength(png: Uint8Array): number {
  let i = 8;
  while (i + 8 <= png.length) {
    const next = i + 12 + u32(png, i);
    if (ascii(png, i + 4, i + 8) === 'IEND') return next;
    i = next;
  }
  return png.length;
}

/** Whether JPEG bytes end with the end-of-image marker (FF D9), allowing a little padding after it. */
export function jpegHasEnd(jpeg: Uint8Array): boolean {
  for (let i = jpeg.length - 2; i >= Math.max(2, jpeg.length - 64); i--) {
    if (jpeg[i] === 0xff && jpeg[i + 1] === 0xd9) return true;
  }
  return false;
}

/** What a PNG's IHDR chunk says (call after {@link pngStructureProblem} found the file sound). */
export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  /** 0 none, 1 Adam7. */
  interlace: number;
}

/** The IHDR fields of a structurally sound PNG. */
export function pngHeader(png: Uint8Array): PngHeader {
  return { width: u32(png, 16), height: u32(png, 20), depth: png[24], colorType: png[25], interlace: png[28] };
}

/** The data of every IDAT chunk, in order, joined (the zlib stream of the pixels); empty when there is none. */
export function pngImageData(png: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 8; i + 12 <= png.length; ) {
    const length = u32(png, i);
    if (ascii(png, i + 4, i + 8) === 'IDAT') parts.push(png.subarray(i + 8, i + 8 + length));
    i += 12 + length;
  }
  return concatBytes(parts);
}

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7's seven passes: [first row, first column, row step, column step].
const ADAM7 = [
  [0, 0, 8, 8],
  [0, 4, 8, 8],
  [4, 0, 8, 4],
  [0, 2, 4, 4],
  [2, 0, 4, 2],
  [0, 1, 2, 2],
  [1, 0, 2, 1],
] as const;

/**
 * How many bytes the inflated pixel data of a PNG with this header must hold: for each (sub-)image of `h` rows of
 * `w` pixels, `h * (1 + ceil(w * samples * depth / 8))` (one filter byte per row).
 */
export function pngDataLength(hdr: PngHeader): number {
  const bitsPerPixel = SAMPLES[hdr.colorType] * hdr.depth;
  const image = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (hdr.interlace === 0) return image(hdr.width, hdr.height);
  let total = 0;
  for (const [r0, c0, dr, dc] of ADAM7) {
    total += image(Math.ceil((hdr.width - c0) / dc), Math.ceil((hdr.height - r0) / dr));
  }
  return total;
}
