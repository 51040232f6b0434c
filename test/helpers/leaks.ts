import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `fn` and asserts that the number of live tensors afterwards equals `expectedNew` more than before. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>, expectedNew = 0): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors - before).toBe(expectedNew);
  return out;
}

/**
 * Asserts that `fn` throws (sync or async) with a message matching `message`, and leaks no tensor; returns the error
 * for further checks (its `cause`, say).
 */
export async function expectThrowsNoLeak(
  fn: () => unknown,
  errorType: new (...a: never[]) => Error,
  message: string | RegExp,
): Promise<Error> {
  const before = tf.memory().numTensors;
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(errorType);
  if (typeof message === 'string') expect((caught as Error).message).toBe(message);
  else expect((caught as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
  return caught as Error;
}
