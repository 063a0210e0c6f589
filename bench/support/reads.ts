import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** What a read gave: its status, size, lines and time (bodies are counted and dropped). */
export interface Read {
  status: number;
  bytes: number;
  lines: number;
  ms: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders?: string[];
  body?: Buffer;
}

/** Counts LF bytes. */
export function newlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  return n;
}

/** One COPY … TO STDOUT on an open client (the physical limit); bytes counted and dropped. */
export function copyOut(client: pg.Client, text: string): Promise<Read> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const stream = client.query(copyTo(text));
    let bytes = 0;
    let lines = 0;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      lines += newlines(chunk);
    });
    stream.on('error', reject);
    stream.on('end', () =>
      resolve({ status: 200, bytes, lines, ms: performance.now() - t0, headers: {} }),
    );
  });
}
