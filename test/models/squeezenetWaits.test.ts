import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setLimits } from '../../src/internal/limits.js';
import { squeezenet } from '../../src/models/squeezenet/squeezenet.node.js';
import { importNetwork } from '../../src/net/importNetwork.node.js';
import { ROOT } from '../helpers/images.js';
import { expectThrowsNoLeak } from '../helpers/leaks.js';

// A model load that waits on something the caller does not control: a callback that throws, a server that never
// answers or trickles, a caller that gives up. Each ends the load with an error of its own (never an uncaught one,
// never blamed on the model files), on time, with no tensor left behind.

const MODEL_DIR = path.join(ROOT, 'model', 'squeezenet_v1.1');

let server: Server;
let base: string;
const open = new Set<ServerResponse>();
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/missing/')) {
      res.writeHead(404).end('not here');
      return;
    }
    if (url.startsWith('/silent/')) {
      open.add(res); // accepts, never answers
      return;
    }
    const file = path.join(MODEL_DIR, path.basename(url));
    const body = readFileSync(file);
    res.writeHead(200, { 'content-type': url.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
    if (url.startsWith('/trickle/') && url.endsWith('.bin')) {
      open.add(res);
      const timer = setInterval(() => {
        if (!res.writable) return clearInterval(timer);
        res.write(body.subarray(0, 16)); // a few bytes now and then, never the end
      }, 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise((ok) => server.close(ok));
  setLimits('defaults');
});

describe('squeezenet: callbacks, timeouts and cancellation', () => {
  it('a throwing onProgress fails the load with its own error, over http and from files (no uncaught error)', async () => {
    const boom = new Error('progress bar gone');
    const onProgress = () => {
      throw boom;
    };
    for (const modelUrl of [`${base}/plain/model.json`, MODEL_DIR]) {
      const err = await expectThrowsNoLeak(
        () => squeezenet({ modelUrl, onProgress }),
        Error,
        "squeezenet: 'options.onProgress' threw: progress bar gone",
      );
      expect((err as Error).cause).toBe(boom);
    }
  });

  it('a server that accepts and never answers: the load fails after timeoutMs, naming the URL and the option', async () => {
    const url = `${base}/silent/model.json`;
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: url, timeoutMs: 300 }),
      Error,
      `squeezenet: loading ${url} took longer than 300 ms (options.timeoutMs, or limits.httpTimeoutMs)`,
    );
    setLimits({ httpTimeoutMs: 200 });
    await expectThrowsNoLeak(() => squeezenet({ modelUrl: url }), Error, /took longer than 200 ms/);
    setLimits('defaults');
  });

  it('a server that trickles the weights: the timeout covers the body too', async () => {
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: `${base}/trickle/model.json`, timeoutMs: 400 }),
      Error,
      /^squeezenet: loading http:\/\/127\.0\.0\.1:\d+\/trickle\/model\.json took longer than 400 ms/,
    );
  });

  it('an AbortSignal stops the load at once, before or during it; its reason is the cause', async () => {
    const url = `${base}/silent/model.json`;
    const before = new AbortController();
    before.abort(new Error('user left'));
    const err = await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: url, signal: before.signal }),
      Error,
      `squeezenet: loading ${url} was aborted`,
    );
    expect(((err as Error).cause as Error).message).toBe('user left');
    const during = new AbortController();
    setTimeout(() => during.abort(), 100);
    await expectThrowsNoLeak(
      () => squeezenet({ modelUrl: url, signal: during.signal }),
      Error,
      `squeezenet: loading ${url} was aborted`,
    );
    const handler: tf.io.IOHandler = { load: () => new Promise(() => {}) }; // a handler that never settles
    const third = new AbortController();
    setTimeout(() => third.abort(), 50);
    await expectThrowsNoLeak(
      () => squeezenet({ ioHandler: handler, signal: third.signal }),
      Error,
      'squeezenet: loading the given ioHandler was aborted',
    );
  });

  it("importNetwork names a labels file's HTTP status, with the server's text", async () => {
    const labels = `${base}/missing/labels.txt`;
    await expectThrowsNoLeak(
      () => importNetwork(`${base}/plain/model.json`, { normalization: 'none', classNames: labels }),
      Error,
      `importNetwork: could not read the labels file ${labels}: HTTP 404 Not Found`,
    );
  });

  it('checks signal and timeoutMs', async () => {
    await expectThrowsNoLeak(
      () => squeezenet({ signal: {} as AbortSignal }),
      TypeError,
      "squeezenet: expected 'options.signal' to be an AbortSignal, got an object",
    );
    await expectThrowsNoLeak(
      () => squeezenet({ timeoutMs: 0 }),
      RangeError,
      "squeezenet: expected 'options.timeoutMs' to be a positive number of milliseconds, got 0 (number)",
    );
  });
});
