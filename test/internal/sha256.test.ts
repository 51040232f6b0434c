/**
 * The library's own SHA-256 (for pages without WebCrypto) against Node's, at every length across the padding's
 * boundaries (a message ending 55, 56 or 64 bytes into its last block) and for a few megabytes.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex, sha256HexSync } from '../../src/internal/sha256.js';

/** `n` bytes from a fixed sequence (a linear congruential generator), the same on every run. */
function bytes(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const nodeSha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('sha256', () => {
  it("gives FIPS 180-4's digests of its examples", () => {
    expect(sha256HexSync(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256HexSync(new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(sha256HexSync(new Uint8Array())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it("agrees with Node's at every length up to three blocks and on 3 MB", () => {
    for (let n = 0; n <= 192; n++) {
      const b = bytes(n, n + 1);
      expect(sha256HexSync(b), `${n} bytes`).toBe(nodeSha(b));
    }
    const big = bytes(3_000_017);
    expect(sha256HexSync(big)).toBe(nodeSha(big));
    // A view into a larger buffer hashes the view's bytes only.
    expect(sha256HexSync(big.subarray(5, 1005))).toBe(nodeSha(big.subarray(5, 1005)));
  });

  it('uses WebCrypto where there is one, its own where there is none, with one answer', async () => {
    const b = bytes(100_000);
    const want = nodeSha(b);
    expect(await sha256Hex(b)).toBe(want);
    expect(await sha256Hex(b.buffer as ArrayBuffer)).toBe(want);
    const digest = vi.spyOn(globalThis.crypto.subtle, 'digest');
    await sha256Hex(b);
    expect(digest).toHaveBeenCalledTimes(1);
    vi.stubGlobal('crypto', undefined);
    expect(await sha256Hex(b)).toBe(want);
    expect(await sha256Hex(b.subarray(1))).toBe(nodeSha(b.subarray(1)));
  });
});
