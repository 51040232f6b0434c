import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The Node entry: it registers the decoder that lets the network functions take bytes and paths.
import { activations, classify, gradCAM, squeezenet, type Network } from '../../src/index.js';
import { readSharedPng, SHARED } from '../helpers/images.js';
import { expectNoLeak, expectThrowsNoLeak } from '../helpers/leaks.js';

// Images in any form in Node.js: a path, a file: URL, a Buffer, a Uint8Array or an ArrayBuffer of PNG or JPEG bytes,
// and raw pixels (a Node canvas library's ImageData among them) go wherever a tensor goes, read as imread reads them;
// what cannot be read says why, naming the function.

const FACE = path.join(SHARED, 'images', 'face.png');
let net: Network;
let face: tf.Tensor3D;
let conv1: tf.Tensor;
beforeAll(async () => {
  net = await squeezenet();
  face = readSharedPng('face.png');
  conv1 = activations(net, face, 'conv1');
});
afterAll(() => {
  tf.dispose([face, conv1]);
  net?.dispose();
});

async function maxDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

describe('activations, classify and gradCAM take files and bytes in Node.js', () => {
  const bytes = readFileSync(FACE);
  const forms: [string, unknown][] = [
    ['a path', FACE],
    ['a file: URL', pathToFileURL(FACE)],
    ['a Buffer', bytes],
    ['a Uint8Array', new Uint8Array(bytes)],
    ['an ArrayBuffer', bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)],
  ];
  it('activations of an ImageData from a Node canvas library (@napi-rs/canvas): the file’s numbers', async () => {
    const canvas = createCanvas(227, 227);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(await loadImage(bytes), 0, 0);
    const pixels = ctx.getImageData(0, 0, 227, 227);
    const a = await expectNoLeak(() => activations(net, pixels, 'conv1'), 1);
    expect(await maxDiff(a, conv1)).toBe(0);
    a.dispose();
    expect((await expectNoLeak(() => classify(net, pixels, 1)))[0].label).toBe('wig');
  });

  it('activations of raw RGB and RGBA pixels: the tensor’s numbers', async () => {
    const rgb = Uint8Array.from(await face.data());
    const rgba = new Uint8ClampedArray((rgb.length / 3) * 4).fill(255);
    for (let i = 0; i < rgb.length / 3; i++) rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
    for (const data of [rgb, rgba]) {
      const a = await expectNoLeak(() => activations(net, { data, width: 227, height: 227 }, 'conv1'), 1);
      expect(await maxDiff(a, conv1)).toBe(0);
      a.dispose();
    }
  });

  it("activations of sharp's raw output { data, info }: RGB, RGBA and gray, the file's numbers", async () => {
    const raw = (img: ReturnType<typeof sharp>) => img.raw().toBuffer({ resolveWithObject: true });
    for (const out of [await raw(sharp(bytes)), await raw(sharp(bytes).ensureAlpha())]) {
      const a = await expectNoLeak(() => activations(net, out, 'conv1'), 1);
      expect(await maxDiff(a, conv1)).toBe(0);
      a.dispose();
    }
    const gray = await raw(sharp(bytes).grayscale());
    expect(gray.info.channels).toBe(1);
    const want = tf.tensor2d(Int32Array.from(gray.data), [227, 227], 'int32');
    const [a, b] = [activations(net, gray, 'conv1'), activations(net, want, 'conv1')];
    expect(await maxDiff(a, b)).toBe(0);
    // Gray with alpha (2 samples a pixel): the alpha is dropped.
    const withAlpha = new Uint8Array(2 * 227 * 227).map((_, i) => (i % 2 ? 7 : gray.data[i / 2]));
    const c = activations(net, { data: withAlpha, info: { width: 227, height: 227, channels: 2 } }, 'conv1');
    expect(await maxDiff(c, b)).toBe(0);
    tf.dispose([a, b, c, want]);
  });

  it("refuses sharp's output of samples other than 8-bit, and a size that the bytes do not hold", async () => {
    const deep = await sharp(bytes).grayscale().raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    await expectThrowsNoLeak(
      () => activations(net, deep, 'conv1'),
      RangeError,
      "activations: expected 'img.info.depth' to be 'uchar' (8-bit samples, as .raw() gives by default), got \"ushort\" (string)",
    );
    await expectThrowsNoLeak(
      () => activations(net, { data: new Uint8Array(12), info: { width: 2, height: 2, channels: 4 } }, 'conv1'),
      RangeError,
      "activations: expected 'img.data' to hold 2×2 pixels of 4 samples ('img.info.channels'), 16 bytes, got 12",
    );
    await expectThrowsNoLeak(
      () => activations(net, { data: new Uint8Array(20), info: { width: 2, height: 2, channels: 5 } }, 'conv1'),
      RangeError,
      "activations: expected 'img.info.channels' to be 1, 2, 3 or 4, got 5 (number)",
    );
    await expectThrowsNoLeak(
      () => activations(net, { data: new Uint8Array(12), info: { width: 2 } } as never, 'conv1'),
      TypeError,
      "activations: expected 'img.info.height' to be an integer >= 1, got undefined",
    );
  });

  it.each(forms)('activations of %s: the tensor’s numbers, and only the result is left', async (_name, form) => {
    const a = await expectNoLeak(() => activations(net, form as tf.Tensor, 'conv1'), 1);
    expect(a.shape).toEqual([113, 113, 64]);
    expect(await maxDiff(a, conv1)).toBe(0);
    a.dispose();
  });

  it('classify and gradCAM take a path and bytes', async () => {
    const top = await expectNoLeak(() => classify(net, FACE, 1));
    expect(top[0].label).toBe('wig');
    const { map } = await expectNoLeak(() => gradCAM(net, bytes, 'wig'), 1);
    const own = await gradCAM(net, face, 'wig');
    expect(await maxDiff(map, own.map)).toBe(0);
    tf.dispose([map, own.map]);
  });

  it('says what went wrong, naming the function, with nothing left behind', async () => {
    await expectThrowsNoLeak(
      () => activations(net, 'https://example.com/face.png', 'conv1'),
      TypeError,
      "activations: 'img' is a URL to download, which is asynchronous; read it first: `await imread(url)`",
    );
    await expectThrowsNoLeak(
      () => activations(net, 'no-such-image.png', 'conv1'),
      Error,
      /^activations: file "no-such-image\.png" not found \(looked for .+no-such-image\.png\)$/,
    );
    await expectThrowsNoLeak(
      () => classify(net, new TextEncoder().encode('hello')),
      Error,
      /^classify: cannot read the given 5 bytes: expected a PNG or JPEG image, found /,
    );
    await expectThrowsNoLeak(
      () => activations(net, { width: 2, height: 2 } as unknown as tf.Tensor, 'conv1'),
      TypeError,
      /^activations: expected 'img' to be an image .*, or raw pixels \{ data, width, height \} or \{ data, info \} \(sharp\), PNG\/JPEG bytes or a file path \(Node\.js\), or an <img>, <canvas>, OffscreenCanvas, ImageData, ImageBitmap, <video> or VideoFrame \(browsers\), got /,
    );
    await expectThrowsNoLeak(
      () => classify(net, new Response(bytes) as never),
      TypeError,
      "classify: 'img' is a fetch Response, whose body is read only asynchronously; read it first: " +
        '`await imread(new Uint8Array(await response.arrayBuffer()))`',
    );
    await expectThrowsNoLeak(
      () => classify(net, new Blob([bytes]) as never),
      TypeError,
      "classify: 'img' is a Blob, whose bytes are read only asynchronously; read it first: `await imread(blob)`",
    );
    await expectThrowsNoLeak(
      () => activations(net, { data: new Uint8Array(10), width: 2, height: 2 }, 'conv1'),
      RangeError,
      "activations: expected 'img.data' to hold 2×2 pixels of 4 bytes (RGBA, 16), 3 (RGB, 12) or 1 (gray, 4), got 10",
    );
    // Bytes and pixels whose memory was transferred away (to a worker, say) read as 0 bytes; they are named instead.
    const gone = new Uint8Array(bytes);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    const detached = (fn: string, arg: string) =>
      `${fn}: '${arg}' is detached: its memory was transferred away (by postMessage or structuredClone) ` +
      'and can no longer be read; pass a copy';
    await expectThrowsNoLeak(() => activations(net, gone, 'conv1'), TypeError, detached('activations', 'img'));
    await expectThrowsNoLeak(() => classify(net, gone.buffer), TypeError, detached('classify', 'img'));
    await expectThrowsNoLeak(
      () => activations(net, { data: gone, width: 227, height: 227 }, 'conv1'),
      TypeError,
      detached('activations', 'img.data'),
    );
    // A file that is read but wrong for the network (gray where RGB is fine; a bad size for classify) is released.
    await expectThrowsNoLeak(() => classify(net, path.join(SHARED, 'images', 'astronaut.png')), RangeError, /227×227/);
  });
});
