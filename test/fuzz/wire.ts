import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { bodyBytes, shellWord, target, type FuzzRequest } from '#test/fuzz/openapi-requests.js';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  ms: number;
  /** Set when no complete answer came (connection reset, timeout). */
  error?: string;
}

const NO_ANSWER_MS = 15_000;

/**
 * Sends `r` over a new TCP connection with node:http, bytes as generated: the server's own
 * parsers (URL, query string, JSON, content type) see exactly what a hostile client sends.
 */
export function send(port: number, r: FuzzRequest, auth: Record<string, string>): Promise<Answer> {
  const body = bodyBytes(r.body);
  const headers: Record<string, string> = { ...auth, ...r.headers };
  if (r.body?.contentType) headers['content-type'] = r.body.contentType;
  if (body) headers['content-length'] = String(body.length);
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (a: Omit<Answer, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...a, ms: Math.round(performance.now() - started) });
    };
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: '127.0.0.1',
        port,
        method: r.method,
        path: target(r),
        headers,
        agent: false,
      });
    } catch (e) {
      // The client refused to send it (a header value it will not write): not the server's fault.
      done({ status: 0, headers: {}, body: Buffer.alloc(0), error: `client: ${String(e)}` });
      return;
    }
    req.setTimeout(NO_ANSWER_MS, () =>
      req.destroy(new Error(`no answer within ${NO_ANSWER_MS} ms`)),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', (e) =>
        done({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          error: String(e),
        }),
      );
    });
    req.on('error', (e) =>
      done({ status: 0, headers: {}, body: Buffer.alloc(0), error: String(e) }),
    );
    req.end(body);
  });
}

/** The request as a curl command line (bash), byte for byte. */
export function curl(port: number, r: FuzzRequest, auth: Record<string, string>): string {
  const parts = ['curl', '-sS', '-i', '--path-as-is', '-X', r.method];
  const headers: Record<string, string> = { ...auth, ...r.headers };
  if (r.body) headers['content-type'] = r.body.contentType;
  for (const [k, v] of Object.entries(headers)) {
    parts.push('-H', shellWord(Buffer.from(`${k}: ${v}`, 'latin1')));
  }
  const body = bodyBytes(r.body);
  if (body) parts.push('--data-binary', shellWord(body));
  parts.push(shellWord(Buffer.from(`http://127.0.0.1:${port}${target(r)}`, 'latin1')));
  return parts.join(' ');
}

/** A short description of an answer for a failure message. */
export function describeAnswer(a: Answer): string {
  const text = a.body.toString('utf8');
  return [
    `HTTP ${a.status} in ${a.ms} ms${a.error ? ` (${a.error})` : ''}`,
    `content-type: ${String(a.headers['content-type'] ?? '(none)')}`,
    text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text,
  ].join('\n');
}
