/**
 * Long waits that a caller can bound and cancel, and callbacks that cannot break them: the timeout and `AbortSignal`
 * of every download (`imread` of a URL, a network loaded over http), and the guard around user callbacks such as
 * `onProgress`. Shared by `io/` and `net/`.
 */
import { assertFileBytes, getLimits } from './limits.js';
import { rangeError, typeError } from './validate.js';

/** The options of a function that may wait on the network. */
export interface WaitOptions {
  /**
   * Cancels the wait: the promise rejects at once with an error whose `cause` is the signal's reason, and the
   * download stops.
   */
  signal?: AbortSignal;
  /**
   * How long the whole download (headers and body) may take, in milliseconds; past it, the promise rejects and the
   * download stops.
   * @default limits.httpTimeoutMs (60000; see `setLimits`)
   */
  timeoutMs?: number;
}

/** Checks `signal` and `timeoutMs` of an options object (already through `assertOptions`). */
export function checkWaitOptions(fn: string, opts: WaitOptions): void {
  const s = opts.signal as unknown;
  if (
    s !== undefined &&
    (s === null ||
      typeof s !== 'object' ||
      typeof (s as AbortSignal).aborted !== 'boolean' ||
      typeof (s as AbortSignal).addEventListener !== 'function')
  ) {
    throw typeError(fn, 'options.signal', 'an AbortSignal', s);
  }
  const t = opts.timeoutMs as unknown;
  if (t !== undefined) {
    if (typeof t !== 'number') throw typeError(fn, 'options.timeoutMs', 'a number of milliseconds', t);
    if (!(t > 0) || !Number.isFinite(t))
      throw rangeError(fn, 'options.timeoutMs', 'a positive number of milliseconds', t);
  }
}

/** A running wait: its signal for `fetch`, the error to report once it was stopped, and `done()` to release it. */
export interface Wait {
  /** Aborts when the caller's signal does or the time is up. */
  signal: AbortSignal;
  /** Why the wait was stopped (a message naming `fn` and `what`, the caller's reason as `cause`), or null. */
  stopped(): Error | null;
  /** Clears the timer and the listener; call it when the wait is over, however it ended. */
  done(): void;
  /** `fetch` bound to this wait's signal. */
  fetch: typeof fetch;
}

/** The longest delay `setTimeout` keeps: 2^31 - 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts a wait for `what` (a URL, for messages). The timer does not keep a Node.js process alive.
 * @throws the "aborted" error at once when the caller's signal has already aborted.
 */
export function startWait(fn: string, what: string, opts: WaitOptions): Wait {
  const timeoutMs = opts.timeoutMs ?? getLimits().httpTimeoutMs;
  const controller = new AbortController();
  let why: Error | null = null;
  const stop = (error: Error) => {
    if (why) return;
    why = error;
    controller.abort(error);
  };
  const onAbort = () => stop(new Error(`${fn}: loading ${what} was aborted`, { cause: opts.signal?.reason }));
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A timer's delay is a 32-bit number of milliseconds (about 24.8 days): past it, setTimeout fires at once. A longer
  // limit is waited out in steps.
  const arm = (left: number) => {
    const step = Math.min(left, MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (left > step) arm(left - step);
      else {
        stop(
          new Error(
            `${fn}: loading ${what} took longer than ${timeoutMs} ms (options.timeoutMs, or limits.httpTimeoutMs)`,
          ),
        );
      }
    }, step);
    (timer as { unref?: () => void }).unref?.();
  };
  arm(timeoutMs);
  const done = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  };
  if (why) {
    done();
    throw why;
  }
  return {
    signal: controller.signal,
    stopped: () => why,
    done,
    fetch: async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      let res: Response;
      try {
        res = await fetch(input, { ...init, signal: controller.signal });
      } catch (err) {
        throw why ?? withCorsHint(err, url);
      }
      return capped(fn, res, url, stop);
    },
  };
}

/**
 * A browser's fetch of a URL on another site that failed without saying why ("Failed to fetch", a `TypeError`): most
 * often the server sent no CORS headers for this page, which the browser tells the console alone. The error, with
 * that said after its message; any other error as it is.
 */
function withCorsHint(err: unknown, url: string): unknown {
  const page = (globalThis as { location?: { href?: unknown; origin?: unknown } }).location;
  if (!(err instanceof TypeError) || typeof document === 'undefined' || typeof page?.href !== 'string') return err;
  let origin: string;
  try {
    origin = new URL(url, page.href).origin;
  } catch {
    return err;
  }
  if (origin === page.origin) return err;
  const hint =
    `${origin} is another site than this page's: the browser reads from it only what its server allows with CORS ` +
    'headers (Access-Control-Allow-Origin), and says what it refused in its console alone';
  return new TypeError(`${err.message} (${hint})`, { cause: err });
}

/** A response's status as messages give it: `HTTP 404 Not Found` (`HTTP 404` where the server sent no text). */
export function httpStatus(res: Response): string {
  return `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
}

/**
 * Why a body stopped early. Node's fetch reports a body that its `Content-Encoding` (gzip, deflate, br) cannot decode
 * as the same "terminated" as a dropped connection; the decoder's error (a zlib code) beneath tells them apart.
 */
function bodyProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string' && /^(Z_|ERR__ERROR_|ERR_BROTLI|ERR_ZSTD)/.test(cause.code)) {
    return `the server's body is not valid for its Content-Encoding (${String(cause.message)})`;
  }
  return 'the connection ended before the whole body arrived';
}

/**
 * The body of a download, read whole by `read` (`() => res.blob()`, ...). A body that stops early is an error naming
 * `label`: the wait's own (a timeout, an abort, the size limit) when it was stopped, else a dropped connection.
 */
export async function readWhole<T>(fn: string, label: string, wait: Wait, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw wait.stopped() ?? new Error(`${fn}: cannot fetch ${label}: ${bodyProblem(err)}`, { cause: err });
  }
}

/** A URL as messages name it: quoted, cut to 80 characters. */
export function urlLabel(url: string): string {
  return JSON.stringify(url.length > 80 ? `${url.slice(0, 77)}...` : url);
}

/** Statuses whose response may have no body (a `Response` cannot be made with one). */
const NO_BODY = new Set([204, 205, 304]);

/**
 * `res` held to `limits.maxFileBytes`: refused at once when its Content-Length says more, else a response whose
 * body fails, and stops the download (`stop`), as soon as more bytes than the limit have arrived. Whoever reads the
 * body (`arrayBuffer()`, `blob()`, TF.js's loaders) then gets the limit's RangeError.
 */
function capped(fn: string, res: Response, url: string, stop: (error: Error) => void): Response {
  const label = urlLabel(url);
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  try {
    if (declared >= 0) assertFileBytes(fn, label, declared);
  } catch (err) {
    void res.body?.cancel().catch(() => {});
    stop(err as Error);
    throw err;
  }
  if (!res.body || res.status < 200 || res.status > 599 || NO_BODY.has(res.status)) return res;
  const reader = res.body.getReader();
  let seen = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      try {
        assertFileBytes(fn, label, seen, true);
      } catch (err) {
        stop(err as Error);
        void reader.cancel(err).catch(() => {});
        controller.error(err);
        return;
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/** A user callback wrapped by {@link guardCallback}: `call` it (if given), then ask for the `error` it threw. */
export interface GuardedCallback<A extends unknown[]> {
  call: ((...args: A) => void) | undefined;
  error(): Error | null;
}

/**
 * Wraps a user callback so that it cannot throw into code that does not expect it (a throw inside a download's
 * progress events would otherwise escape as an uncaught error, or be blamed on the files). The first error is kept;
 * `error()` returns it wrapped, naming `fn` and `arg`, with the original as `cause`.
 */
export function guardCallback<A extends unknown[]>(
  fn: string,
  arg: string,
  callback: ((...args: A) => void) | undefined,
): GuardedCallback<A> {
  if (!callback) return { call: undefined, error: () => null };
  let thrown: { value: unknown } | null = null;
  return {
    call: (...args: A) => {
      if (thrown) return;
      try {
        callback(...args);
      } catch (err) {
        thrown = { value: err };
      }
    },
    error: () =>
      thrown
        ? new Error(`${fn}: '${arg}' threw: ${(thrown.value as Error)?.message ?? String(thrown.value)}`, {
            cause: thrown.value,
          })
        : null,
  };
}

/**
 * Throws when `signal` has aborted: an error naming `fn` and what was stopped, with the signal's reason as `cause`.
 * For long computations, between their steps.
 */
export function throwIfAborted(fn: string, signal: AbortSignal | undefined, what = 'the computation'): void {
  if (signal?.aborted) throw new Error(`${fn}: ${what} was aborted`, { cause: signal.reason });
}

/** Lets the event loop run (timers, input, rendering) before the next step of a long computation. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What a long loop on the host awaits after each piece of work of `ops` elementary operations ({@link pacer}). */
export type Pace = (ops: number) => Promise<void>;

/**
 * A {@link Pace} for a long synchronous loop on the host (a model fit): every `every` operations it gives the event
 * loop a turn and checks `signal`, so that a page stays responsive and an abort arrives during the loop. `pause`, when
 * given, does that instead, told how many operations were done so far (to report progress).
 */
export function pacer(
  fn: string,
  signal: AbortSignal | undefined,
  every = 1 << 24,
  pause?: (done: number) => Promise<void>,
): Pace {
  let since = 0;
  let done = 0;
  return async (ops) => {
    since += ops;
    done += ops;
    if (since < every) return;
    since = 0;
    if (pause) return pause(done);
    await yieldToEventLoop();
    throwIfAborted(fn, signal);
  };
}

/**
 * What a long computation does after each of its steps (occlusion's and LIME's batches, deep dream's iterations):
 * reports the `fraction` done to the guarded `onProgress`, throws what that callback threw, gives the event loop a turn
 * unless the work is done (so that a page stays responsive and an abort can arrive), then checks `signal`.
 */
export async function stepDone(
  fn: string,
  progress: GuardedCallback<[number]>,
  fraction: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  progress.call?.(fraction);
  const thrown = progress.error();
  if (thrown) throw thrown;
  if (fraction < 1) await yieldToEventLoop();
  throwIfAborted(fn, signal);
}

/** The options of a long computation: a signal to stop it and a progress callback. */
export interface LongRunOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * Checks `signal` and `onProgress` of a long computation's options (already through `assertOptions`); returns the
 * signal typed.
 */
export function checkLongRunOptions(fn: string, opts: LongRunOptions): AbortSignal | undefined {
  const signal = opts.signal as unknown;
  if (signal !== undefined && (signal === null || typeof (signal as AbortSignal).aborted !== 'boolean')) {
    throw typeError(fn, 'options.signal', 'an AbortSignal', signal);
  }
  if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
    throw typeError(fn, 'options.onProgress', 'a function (fraction: number) => void', opts.onProgress);
  }
  return signal as AbortSignal | undefined;
}
