import { afterEach, describe, expect, it, vi } from 'vitest';
import { startWait } from '../../src/internal/abortable.js';

// A wait's time limit, on a clock the test moves: setTimeout holds at most 2^31 - 1 ms, so a longer limit is waited
// out in steps and must end exactly when it says, not at once and not at the first step.

afterEach(() => {
  vi.useRealTimers();
});

describe('startWait', () => {
  it('stops a wait at a limit longer than one timer holds, exactly then', () => {
    vi.useFakeTimers();
    const limit = 2 ** 31 + 5_000;
    const wait = startWait('f', '"x"', { timeoutMs: limit });
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(wait.stopped()).toBeNull();
    vi.advanceTimersByTime(5_000);
    expect(wait.stopped()).toBeNull();
    vi.advanceTimersByTime(1);
    expect(wait.stopped()?.message).toBe(
      `f: loading "x" took longer than ${limit} ms (options.timeoutMs, or limits.httpTimeoutMs)`,
    );
    expect(wait.signal.aborted).toBe(true);
    wait.done();
  });

  it('done() ends a long wait between its steps: nothing fires later', () => {
    vi.useFakeTimers();
    const wait = startWait('f', '"x"', { timeoutMs: 3 * 2 ** 31 });
    vi.advanceTimersByTime(2 ** 31 + 10);
    wait.done();
    vi.advanceTimersByTime(4 * 2 ** 31);
    expect(wait.stopped()).toBeNull();
    expect(vi.getTimerCount()).toBe(0);
  });
});
