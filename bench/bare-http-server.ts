/**
 * The physical limit for bench/feeds.ts: a bare `node:http` server that answers every request
 * with one recorded response (status, headers, body), nothing else. Run by the benchmark as a
 * process of its own:
 *
 *   node dist/bench/bare-http-server.js <response.json>
 *
 * where response.json is `{"status":304,"headers":[["etag","\"…\""],…],"body":"<base64>"}`,
 * read at the first request (the benchmark starts this server early, before it has recorded
 * the answer). Listens on 127.0.0.1 on a free port and prints `{"port":N}` once it listens.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Recorded {
  status: number;
  headers: [string, string][];
  body: string;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/bare-http-server.js <response.json>');
  process.exit(2);
}

/** Read at the first request: the benchmark starts this server before it has the answer. */
let answer: { status: number; headers: string[]; body: Buffer } | undefined;
function load(): NonNullable<typeof answer> {
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded;
  return {
    status: recorded.status,
    headers: recorded.headers.flat(),
    body: Buffer.from(recorded.body, 'base64'),
  };
}

const server = http.createServer((req, res) => {
  answer ??= load();
  // The request body (there is none for a GET) is drained, as a framework would.
  req.resume();
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body.length > 0 ? answer.body : undefined);
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
