// @ts-check
// Small helpers every module uses: JSON-lines logging, backoff, abortable sleep, atomic files.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** @typedef {'debug' | 'info' | 'warn' | 'error'} LogLevel */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A JSON line per event on stdout: `time`, `level`, `msg`, then the fields. Callers never pass
 * secrets or tokens.
 */
export class Logger {
  /**
   * @param {LogLevel} [level]
   * @param {(line: string) => void} [write]
   */
  constructor(level = 'info', write = (line) => process.stdout.write(line)) {
    this.min = LEVELS[level];
    this.write = write;
  }

  /**
   * @param {LogLevel} level
   * @param {string} msg
   * @param {Record<string, unknown>} [fields]
   */
  log(level, msg, fields = {}) {
    if (LEVELS[level] < this.min) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }

  /** @param {string} msg @param {Record<string, unknown>} [fields] */
  debug(msg, fields) {
    this.log('debug', msg, fields);
  }
  /** @param {string} msg @param {Record<string, unknown>} [fields] */
  info(msg, fields) {
    this.log('info', msg, fields);
  }
  /** @param {string} msg @param {Record<string, unknown>} [fields] */
  warn(msg, fields) {
    this.log('warn', msg, fields);
  }
  /** @param {string} msg @param {Record<string, unknown>} [fields] */
  error(msg, fields) {
    this.log('error', msg, fields);
  }
}

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 60_000;
/** Never a retry at once (a jitter of 0, a Retry-After of 0): at least this long. */
export const BACKOFF_FLOOR_MS = 100;

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"): a random delay between 0 and min(cap, base × 2^attempt).
 * @param {number} attempt 0 for the first retry
 * @param {() => number} [random]
 */
export function backoffMs(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
  return Math.max(BACKOFF_FLOOR_MS, Math.floor(random() * ceiling));
}

/**
 * Resolves after `ms`, or at once when the signal aborts (never rejects).
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** @param {string | Uint8Array} data */
export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The SHA-256 of a file, or null when it does not exist.
 * @param {string} path
 * @returns {Promise<string | null>}
 */
export async function sha256File(path) {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(/** @type {Buffer} */ (chunk));
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return null;
    throw error;
  }
  return hash.digest('hex');
}

/** The temporary file beside `path` (same directory, so that rename is atomic). */
export const tempPath = (/** @type {string} */ path) => `${path}.agent-tmp`;

/**
 * Writes `path`'s temporary file chunk by chunk, fsyncs it and answers its SHA-256; the caller
 * renames it into place (commitFile). Nothing is left behind on failure.
 * @param {string} path
 * @param {Iterable<string> | AsyncIterable<string>} chunks
 * @returns {Promise<string>}
 */
export async function writeTemp(path, chunks) {
  const tmp = tempPath(path);
  const hash = createHash('sha256');
  const file = await open(tmp, 'w', 0o644);
  try {
    let buffered = '';
    for await (const chunk of chunks) {
      buffered += chunk;
      if (buffered.length >= 1 << 16) {
        hash.update(buffered);
        await file.write(buffered);
        buffered = '';
      }
    }
    hash.update(buffered);
    await file.write(buffered);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await file.close();
  return hash.digest('hex');
}

/**
 * Renames `path`'s temporary file into place and fsyncs the directory (the rename survives a
 * power cut).
 * @param {string} path
 */
export async function commitFile(path) {
  await rename(tempPath(path), path);
  await syncDir(dirname(path));
}

/** @param {string} dir */
export async function syncDir(dir) {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `text` atomically: temporary file, write, fsync, rename, fsync the
 * directory. A reader sees the old content or the new one, never a part.
 * @param {string} path
 * @param {string} text
 */
export async function writeFileAtomic(path, text) {
  await writeTemp(path, [text]);
  await commitFile(path);
}

/** @param {unknown} error */
export function errorMessage(error) {
  return error instanceof Error ? error.message : String(error);
}
