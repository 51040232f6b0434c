/**
 * The explorer's model settings, as its address and its "Your model" form give them: what a person types is passed
 * on as typed, so that the library refuses a mistake by name instead of the page quietly changing it.
 */
import { describe, expect, it } from 'vitest';
import { parseConstants, parseNumbers, parseSize, readSettings, writeSettings } from '../../examples/browser/layout.js';

describe('explorer settings: numbers and sizes as typed', () => {
  it('reads per-channel numbers, one for all, and nothing', () => {
    expect(parseNumbers('123.68, 116.779,103.939')).toEqual([123.68, 116.779, 103.939]);
    expect(parseNumbers('127.5')).toEqual([127.5]);
    expect(parseNumbers('')).toBeNull();
    expect(parseNumbers('  ')).toBeNull();
    expect(parseNumbers(null)).toBeNull();
  });

  it('an empty or malformed item is NaN, never 0 (a mean of 0 for a channel would pass every check)', () => {
    expect(parseNumbers('123.68,,103.939')).toEqual([123.68, Number.NaN, 103.939]);
    expect(parseNumbers('1,2,')).toEqual([1, 2, Number.NaN]);
    expect(parseNumbers('1 2 3')).toEqual([Number.NaN]);
    expect(parseNumbers('red')).toEqual([Number.NaN]);
  });

  it('reads a size as HxW, H×W or H,W; anything else is [NaN, NaN] rather than left out', () => {
    expect(parseSize('224x224')).toEqual([224, 224]);
    expect(parseSize(' 299 × 300 ')).toEqual([299, 300]);
    expect(parseSize('96,128')).toEqual([96, 128]);
    expect(parseSize('')).toBeNull();
    expect(parseSize(null)).toBeNull();
    for (const typo of ['224', '224x', 'x224', '224x224x3', '22.5x10', '-1x5', 'big']) {
      expect(parseSize(typo), typo).toEqual([Number.NaN, Number.NaN]);
    }
    expect(parseSize('0x224')).toEqual([0, 224]); // the library says a side must be at least 1
  });

  it("reads a graph's other inputs' values as name=value; a malformed one is NaN rather than left out", () => {
    expect(parseConstants(' keep_prob = 1 , is_training=true')).toEqual({ keep_prob: 1, is_training: true });
    expect(parseConstants('')).toBeNull();
    expect(parseConstants('keep_prob')).toEqual({ keep_prob: Number.NaN });
    expect(parseConstants('keep_prob=, rate=x')).toEqual({ keep_prob: Number.NaN, rate: Number.NaN });
    expect(Object.keys(parseConstants('__proto__=1') ?? {})).toEqual(['__proto__']);
    // Values separated by spaces are a list: an input of several values.
    expect(parseConstants('meta=63 1  0 0.5, flags=true false')).toEqual({
      meta: [63, 1, 0, 0.5],
      flags: [true, false],
    });
  });

  it("the page's address carries the same numbers, and a written address reads back the same", () => {
    const s = readSettings('?model=m/model.json&mean=1,,3&size=224&normalization=zerocenter');
    expect(s.mean).toEqual([1, Number.NaN, 3]);
    expect(s.size).toEqual([Number.NaN, Number.NaN]);
    const good = readSettings(
      '?model=m/model.json&mean=1,2,3&std=4,5,6&size=224x224&layer=conv1&labels=cat,dog&output=age_pred/Softmax&input=pre' +
        '&constants=keep_prob%3D0.5,is_training%3Dfalse,meta%3D63%201%200%200.5',
    );
    expect(good.output).toBe('age_pred/Softmax');
    expect(good.input).toBe('pre');
    expect(good.constants).toEqual({ keep_prob: 0.5, is_training: false, meta: [63, 1, 0, 0.5] });
    expect(readSettings(writeSettings('', good))).toEqual(good);
  });
});
