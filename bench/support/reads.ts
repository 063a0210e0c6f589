import http from 'node:http';
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

/**
 * One request with node:http on a connection of its own and no client timeout; the bytes are
 * counted, and kept when `keep`.
 */
export function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  options: { body?: string; keep?: boolean } = {},
): Promise<Read> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...headers,
          ...(options.body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(options.body)),
              }),
        },
      },
      (res) => {
        let bytes = 0;
        let lines = 0;
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          lines += newlines(chunk);
          if (options.keep) parts.push(chunk);
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            lines,
            ms: performance.now() - t0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: options.keep ? Buffer.concat(parts) : undefined,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
