import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress, VettedUrl } from '#src/messaging/webhooks/webhook-url-guard.js';

/** What one POST gave: a status, or an error (timeout, refused connection, TLS…). */
export interface PostOutcome {
  status?: number;
  error?: string;
}

/** A response body is read (and dropped) up to this size; a receiver has nothing to tell us. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * A `lookup` that answers with the vetted address only: the connection goes where the checks
 * said, even if the name resolves elsewhere a moment later (DNS rebinding).
 */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  type Callback = (error: null, address: string | LookupAddress[], family?: number) => void;
  const lookup = (_hostname: string, options: { all?: boolean }, callback: Callback): void => {
    if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  return lookup;
}

/**
 * POSTs `body` to the vetted URL, connecting to `pinned` (one of its vetted addresses) while
 * Host and SNI stay the URL's host name. Redirects are not followed (a 3xx is just a status);
 * the whole exchange ends when `signal` aborts (the attempt's deadline: `timeoutMs` from its
 * start, which the error message names).
 */
export function postPinned(
  target: VettedUrl,
  pinned: ResolvedAddress,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  signal: AbortSignal = AbortSignal.timeout(timeoutMs),
): Promise<PostOutcome> {
  const { url, hostname } = target;
  const secure = url.protocol === 'https:';
  const isIpLiteral = hostname === pinned.address;
  const options: https.RequestOptions = {
    method: 'POST',
    host: hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: {
      ...headers,
      host: url.host,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'threat-exchange-webhooks/1',
    },
    lookup: pinnedLookup(pinned),
    agent: false,
    signal,
    ...(secure && !isIpLiteral ? { servername: hostname } : {}),
  };
  return new Promise<PostOutcome>((resolve) => {
    const request = (secure ? https : http).request(options, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > MAX_RESPONSE_BYTES) response.destroy();
      });
      const done = (): void => resolve({ status: response.statusCode ?? 0 });
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.on('error', (error: Error & { code?: string }) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      resolve({
        error: timedOut
          ? `no response within ${timeoutMs} ms`
          : `${error.code ?? error.name}: ${error.message}`,
      });
    });
    request.end(body);
  });
}
