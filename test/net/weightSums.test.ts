/**
 * The sha256 a network file declares for each weight file, checked on a download whatever URL the file comes from:
 * beside model.json, or where a bundler put it under another name (`httpHandler`'s `renamed`).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpHandler, type SourceContext, weightSums } from '../../src/net/modelSource.js';
import { ROOT } from '../helpers/images.js';

const MODEL_DIR = path.join(ROOT, 'model', 'squeezenet_v1.1');
const SHARD = 'group1-shard1of1.bin';

/** A load context whose `fetch` serves `files` by URL (404 for any other) and records what was asked. */
function served(files: Record<string, Uint8Array<ArrayBuffer> | string>, asked: string[] = []): SourceContext {
  return {
    signal: new AbortController().signal,
    fetch: async (input) => {
      const url = String(input);
      asked.push(url);
      const body = files[url];
      return body === undefined ? new Response(null, { status: 404 }) : new Response(body);
    },
  };
}

describe('weight files checked against their sha256 on a download', () => {
  const json = readFileSync(path.join(MODEL_DIR, 'model.json'), 'utf8');
  const shard = new Uint8Array(readFileSync(path.join(MODEL_DIR, SHARD)));
  const flipped = shard.slice();
  flipped[1000] ^= 1;

  it('checks a weight file a bundler renamed and moved, by its path in the manifest', async () => {
    const moved = 'http://app.test/assets/shard-5f3a.bin';
    const asked: string[] = [];
    const good = httpHandler(
      'http://app.test/m/model.json',
      served({ 'http://app.test/m/model.json': json, [moved]: shard }, asked),
      { [SHARD]: moved },
    );
    const artifacts = await good.load!();
    expect(asked).toEqual(['http://app.test/m/model.json', moved]);
    const data = artifacts.weightData as ArrayBuffer | ArrayBuffer[];
    expect((Array.isArray(data) ? data : [data]).reduce((n, b) => n + b.byteLength, 0)).toBe(shard.length);
    const bad = httpHandler(
      'http://app.test/m/model.json',
      served({ 'http://app.test/m/model.json': json, [moved]: flipped }),
      { [SHARD]: moved },
    );
    await expect(bad.load!()).rejects.toThrow(
      new RegExp(`^the weight file ${moved} is corrupt \\(sha256 [0-9a-f]{64}, model\\.json expects [0-9a-f]{64}\\)$`),
    );
  });

  it("asks for the weight files beside a page's relative model.json, with its query, as TF.js names them", async () => {
    // TF.js alone asked for '/group1-shard1of1.bin', at the site's root, for a model.json given without a folder.
    for (const [url, weights] of [
      ['model.json', SHARD],
      ['models/sq/model.json?v=2', `models/sq/${SHARD}?v=2`],
    ]) {
      const asked: string[] = [];
      const artifacts = await httpHandler(url, served({ [url]: json, [weights]: shard }, asked)).load!();
      expect(asked).toEqual([url, weights]);
      expect(artifacts.weightSpecs?.length).toBeGreaterThan(0);
    }
  });

  it('reads only the sums the model.json itself declares, as strings', () => {
    const sums = weightSums({
      userDefinedMetadata: { cnnActivations: { weightsSha256: { 'a.bin': 'ab12', 'b.bin': 7 } } },
    });
    expect(sums('a.bin')).toBe('ab12');
    expect(sums('b.bin')).toBeUndefined();
    // An object's inherited properties are no weight file's sum.
    expect(sums('constructor')).toBeUndefined();
    expect(sums('__proto__')).toBeUndefined();
    expect(weightSums(null)('a.bin')).toBeUndefined();
    expect(weightSums({ userDefinedMetadata: { cnnActivations: { weightsSha256: 'x' } } })('0')).toBeUndefined();
  });
});
