import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { withoutJpegOrientation, withoutOrientation, withoutPngOrientation } from '../../src/io/imageFormat.js';
import { ROOT } from '../helpers/images.js';

// The browser's imread sets a JPEG's EXIF orientation to 1 ("as stored"), and drops a PNG's eXIf chunk, before the
// browser decodes the file, so that a phone's sideways photo reads as MATLAB's and Node's imread read it. Checked here
// against sharp's reading of the tag.

const face = readFileSync(path.join(ROOT, 'examples/images/face.png'));
const jpeg = (orientation?: number) => {
  const img = sharp(face).jpeg({ quality: 90 });
  return orientation === undefined ? img.toBuffer() : img.withMetadata({ orientation }).toBuffer();
};

/** A JPEG whose EXIF is big-endian ('MM'), with one tag, the orientation, put before `body`'s own segments. */
function bigEndianExif(body: Buffer, orientation: number): Buffer {
  const tiff = Buffer.from([
    0x4d,
    0x4d,
    0,
    42,
    0,
    0,
    0,
    8,
    0,
    1,
    0x01,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    orientation,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0, payload.length + 2]), payload]);
  return Buffer.concat([body.subarray(0, 2), app1, body.subarray(2)]);
}

describe('withoutJpegOrientation', () => {
  it('sets an EXIF orientation to 1 in a copy, changing no other byte; other files come back as they are', async () => {
    for (const given of [await jpeg(6), bigEndianExif(await jpeg(), 8)]) {
      expect((await sharp(given).metadata()).orientation).toBeGreaterThan(1);
      const out = withoutJpegOrientation(given);
      expect(out).not.toBe(given);
      expect((await sharp(out).metadata()).orientation).toBe(1);
      expect(out.length).toBe(given.length);
      expect(out.filter((b, i) => b !== given[i]).length).toBe(1);
    }
    for (const same of [await jpeg(), await jpeg(1), face, new Uint8Array(0), new Uint8Array([0xff, 0xd8])]) {
      expect(withoutJpegOrientation(same)).toBe(same);
    }
  });

  it('never throws nor reads past the end for a cut or corrupted header', async () => {
    const base = bigEndianExif(await jpeg(), 6);
    fc.assert(
      fc.property(fc.nat(64), fc.nat(255), fc.nat(base.length), (at, value, cut) => {
        const bytes = Uint8Array.from(base.subarray(0, Math.max(cut, 2)));
        if (at < bytes.length) bytes[at] = value;
        const out = withoutJpegOrientation(bytes);
        expect(out.length).toBe(bytes.length);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('withoutPngOrientation', () => {
  it("drops a PNG's eXIf chunk, leaving the same pixels; a PNG without one comes back as it is", async () => {
    const given = await sharp(face).png().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(given).metadata()).orientation).toBe(6);
    const out = withoutPngOrientation(given);
    expect(withoutOrientation(given)).toEqual(out);
    expect((await sharp(out).metadata()).orientation).toBeUndefined();
    expect(await sharp(out).raw().toBuffer()).toEqual(await sharp(given).raw().toBuffer());
    expect(withoutPngOrientation(face)).toBe(face);
    expect(withoutOrientation(face)).toBe(face);
  });
});
