/**
 * Whole-file reads and writes in Node.js. A read is held to `limits.maxFileBytes`: the file's size is checked before
 * it is read, and a path that is not a regular file is refused, since reading a FIFO can wait forever and a device
 * such as /dev/zero never ends. A write is refused where the path is a device, FIFO or socket: writing to a FIFO
 * waits for a reader, forever. Used by `imread`, `imwrite` and the model and labels loaders. Not exported from the
 * package.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { assertFileBytes } from './limits.js';

/** The checks on a file's `stat` before reading it; `label` names it in messages. */
function checkStats(fn: string, label: string, st: Stats): void {
  if (st.isDirectory()) return; // reading it fails with EISDIR, which callers word themselves
  if (!st.isFile()) {
    throw new Error(`${fn}: ${label} is not a regular file (a device, FIFO or socket, which may never end)`);
  }
  assertFileBytes(fn, label, st.size);
}

/**
 * The bytes of the regular file `path`, after checking its size against `limits.maxFileBytes`. Errors of the file
 * system (ENOENT, EISDIR...) are thrown as they come, for the caller to word.
 * @throws {RangeError} for a file larger than the limit.
 * @throws {Error} for a path that is not a regular file.
 */
export async function readRegularFile(fn: string, path: string, label: string, signal?: AbortSignal): Promise<Buffer> {
  checkStats(fn, label, await stat(path));
  return readFile(path, { signal });
}

/**
 * The first `bytes` bytes of the regular file `path` (fewer for a shorter file), whatever its size: to tell what a file
 * is before reading it whole. Errors of the file system are thrown as they come.
 * @throws {Error} for a path that is not a regular file.
 */
export async function readFileHead(fn: string, path: string, label: string, bytes: number): Promise<Uint8Array> {
  const st = await stat(path);
  // A folder fails to read (EISDIR), which callers word themselves, as they do for readRegularFile.
  if (!st.isFile() && !st.isDirectory()) {
    throw new Error(`${fn}: ${label} is not a regular file (a device, FIFO or socket, which may never end)`);
  }
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(Math.min(bytes, st.size));
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** {@link readRegularFile}, synchronously. */
export function readRegularFileSync(fn: string, path: string, label: string): Buffer {
  checkStats(fn, label, statSync(path));
  return readFileSync(path);
}

/**
 * Refuses to write where `path` exists and is neither a regular file nor a folder (a device, FIFO or socket), before
 * anything opens it. A path that does not exist, or cannot be examined, is left for the write itself to report.
 * @throws {Error} naming `label`.
 */
export async function assertWritablePath(fn: string, path: string, label: string): Promise<void> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return;
  }
  if (!st.isFile() && !st.isDirectory()) {
    throw new Error(
      `${fn}: cannot write ${label}: it is not a regular file (a device, FIFO or socket, where a write may wait forever)`,
    );
  }
}
