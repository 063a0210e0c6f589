// @ts-check
// The service's API as the agent uses it: OAuth 2.0 client-credentials tokens (RFC 6749 §4.4),
// the RPZ snapshot, the change feed (conditional and long-polled) and feed receipts.

export const USER_AGENT = 'threat-exchange-agent/0.1.0';

/** An HTTP answer the agent did not expect: its status, problem detail and Retry-After. */
export class HttpError extends Error {
  /**
   * @param {string} what
   * @param {number} status
   * @param {Record<string, unknown> | null} problem
   * @param {number | null} retryAfterMs
   */
  constructor(what, status, problem, retryAfterMs) {
    const detail = problem && typeof problem.detail === 'string' ? `: ${problem.detail}` : '';
    super(`${what} answered ${status}${detail}`);
    this.status = status;
    this.problem = problem;
    this.retryAfterMs = retryAfterMs;
  }

  /** The names of the rejected fields (RFC 9457 `invalid-params`). */
  get invalidParams() {
    const params = this.problem?.['invalid-params'];
    return Array.isArray(params) ? params.map((p) => String(p?.name)) : [];
  }
}

/**
 * Retry-After (RFC 9110 §10.2.3) in milliseconds, at most an hour.
 * @param {string | null} header
 * @param {number} [now]
 */
export function retryAfterMs(header, now = Date.now()) {
  if (!header) return null;
  const ms = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 3_600_000) : null;
}

/** A page of 10,000 changes is a few megabytes: anything beyond this is not a page. */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;
const MAX_PROBLEM_BYTES = 64 * 1024;

/**
 * The body, read up to `max` bytes: a longer one is cancelled and refused (a broken or hostile
 * server cannot fill the agent's memory).
 * @param {Response} res
 * @param {number} max
 * @returns {Promise<Buffer>}
 */
export async function readCapped(res, max) {
  if (!res.body) return Buffer.alloc(0);
  /** @type {Buffer[]} */
  const parts = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > max) {
      await res.body.cancel().catch(() => undefined);
      throw new Error(`the answer is larger than ${max} bytes`);
    }
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

/**
 * A page of changes as the service documents it, or throws: versions are safe integers, `next`
 * does not go below `after`, every change is an add or a remove of a string value.
 * @param {unknown} body
 * @param {number} after the `after` asked for
 * @returns {ChangesPage}
 */
export function checkedPage(body, after) {
  const page = /** @type {Record<string, unknown>} */ (body);
  const version = (/** @type {unknown} */ v) =>
    Number.isSafeInteger(v) && /** @type {number} */ (v) >= 0;
  if (
    typeof page !== 'object' ||
    page === null ||
    !version(page.after) ||
    !version(page.next) ||
    !version(page.currentVersion) ||
    typeof page.more !== 'boolean' ||
    !Array.isArray(page.changes)
  ) {
    throw new Error('GET /feed/changes answered a body that is not a page of changes');
  }
  if (page.after !== after || /** @type {number} */ (page.next) < after) {
    throw new Error(
      `GET /feed/changes answered after=${page.after}, next=${page.next} for after=${after}`,
    );
  }
  for (const change of page.changes) {
    const c = /** @type {Record<string, unknown>} */ (change);
    if (
      typeof c !== 'object' ||
      c === null ||
      (c.op !== 'add' && c.op !== 'remove') ||
      typeof c.type !== 'string' ||
      typeof c.value !== 'string' ||
      !version(c.version)
    ) {
      throw new Error(
        `GET /feed/changes answered a malformed change: ${JSON.stringify(c).slice(0, 200)}`,
      );
    }
  }
  return /** @type {ChangesPage} */ (/** @type {unknown} */ (page));
}

/** @param {Response} res @param {string} what */
async function failure(res, what) {
  /** @type {Record<string, unknown> | null} */
  let problem;
  try {
    const text = (await readCapped(res, MAX_PROBLEM_BYTES)).toString('utf8');
    problem = /** @type {Record<string, unknown>} */ (JSON.parse(text));
  } catch {
    problem = null;
  }
  return new HttpError(what, res.status, problem, retryAfterMs(res.headers.get('retry-after')));
}

/**
 * @typedef {{ status: 304 } | { status: 200, etag: string | null, raw: Buffer,
 *   body: ChangesPage }} ChangesAnswer
 * @typedef {{ after: number, next: number, more: boolean, currentVersion: number,
 *   changes: Change[] }} ChangesPage
 * @typedef {{ version: number, op: 'add' | 'remove', type: string, value: string,
 *   dnsAction?: import('./zone.js').DnsAction | null }} Change
 */

export class ApiClient {
  /**
   * @param {{ url: string, clientId: string, clientSecret: string }} settings
   * @param {typeof fetch} [fetchImpl]
   */
  constructor(settings, fetchImpl = fetch) {
    this.url = settings.url;
    this.basic = Buffer.from(
      `${encodeURIComponent(settings.clientId)}:${encodeURIComponent(settings.clientSecret)}`,
    ).toString('base64');
    this.fetch = fetchImpl;
    /** @type {{ value: string, renewAt: number } | null} */
    this.token = null;
    /** Server time minus ours, from the last Date header (ms; 0 until known). */
    this.skewMs = 0;
  }

  /** @param {AbortSignal} [signal] */
  async accessToken(signal) {
    if (this.token && Date.now() < this.token.renewAt) return this.token.value;
    const res = await this.fetch(`${this.url}/api/v1/auth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${this.basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      body: 'grant_type=client_credentials',
      signal: timeout(signal, 30_000),
    });
    if (res.status !== 200) throw await failure(res, 'POST /auth/token');
    const body = /** @type {{ access_token: string, expires_in: number }} */ (
      JSON.parse((await readCapped(res, MAX_PROBLEM_BYTES)).toString('utf8'))
    );
    const lifetime = Math.min(Math.max(Number(body.expires_in) || 60, 10), 86_400);
    // Renewed at 80 % of its life: never sent about to expire.
    this.token = { value: body.access_token, renewAt: Date.now() + lifetime * 800 };
    return body.access_token;
  }

  /**
   * A request with the bearer token; a 401 drops the token and tries once more with a new one
   * (it was revoked or rotated early).
   * @param {string} path
   * @param {RequestInit} init
   * @param {AbortSignal | undefined} signal
   * @param {number} timeoutMs
   */
  async call(path, init, signal, timeoutMs) {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.accessToken(signal);
      const res = await this.fetch(`${this.url}/api/v1${path}`, {
        ...init,
        headers: {
          ...init.headers,
          authorization: `Bearer ${token}`,
          'user-agent': USER_AGENT,
        },
        signal: timeout(signal, timeoutMs),
      });
      const date = Date.parse(res.headers.get('date') ?? '');
      if (Number.isFinite(date)) this.skewMs = date - Date.now();
      if (res.status !== 401 || attempt > 0) return res;
      await res.body?.cancel();
      this.token = null;
    }
  }

  /**
   * The RPZ snapshot (the caller reads the body; fetch undoes gzip).
   * @param {AbortSignal} [signal]
   */
  async snapshot(signal) {
    const res = await this.call(
      '/feed/snapshot.rpz',
      { headers: { 'accept-encoding': 'gzip', accept: 'text/dns' } },
      signal,
      3_600_000,
    );
    if (res.status !== 200 || !res.body) throw await failure(res, 'GET /feed/snapshot.rpz');
    const version = Number(res.headers.get('x-feed-version'));
    if (!Number.isSafeInteger(version) || version < 0) {
      await res.body.cancel();
      throw new Error('the snapshot has no X-Feed-Version');
    }
    return { version, body: res.body };
  }

  /**
   * One page of changes after `after`; with `wait` > 0 the service holds the request until a
   * change for this ISP commits or the wait ends.
   * @param {{ after: number, limit: number, wait: number, etag: string | null }} query
   * @param {AbortSignal} [signal]
   * @returns {Promise<ChangesAnswer>}
   */
  async changes({ after, limit, wait, etag }, signal) {
    const params = new URLSearchParams({ after: String(after), limit: String(limit) });
    if (wait > 0) params.set('wait', String(wait));
    const res = await this.call(
      `/feed/changes?${params}`,
      { headers: { accept: 'application/json', ...(etag ? { 'if-none-match': etag } : {}) } },
      signal,
      (wait + 30) * 1000,
    );
    if (res.status === 304) {
      await res.body?.cancel();
      return { status: 304 };
    }
    if (res.status !== 200) throw await failure(res, 'GET /feed/changes');
    // The exact bytes served: their SHA-256 is what a receipt names (format 'changes').
    const raw = await readCapped(res, MAX_PAGE_BYTES);
    let parsed;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new Error('GET /feed/changes answered a body that is not JSON');
    }
    return { status: 200, etag: res.headers.get('etag'), raw, body: checkedPage(parsed, after) };
  }

  /**
   * @param {Record<string, unknown>} receipt
   * @param {string} idempotencyKey
   * @param {AbortSignal} [signal]
   */
  async postReceipt(receipt, idempotencyKey, signal) {
    const res = await this.call(
      '/feed/receipts',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(receipt),
      },
      signal,
      30_000,
    );
    if (res.status !== 201 && res.status !== 200) throw await failure(res, 'POST /feed/receipts');
    return {
      body: /** @type {Record<string, unknown>} */ (
        JSON.parse((await readCapped(res, MAX_PROBLEM_BYTES)).toString('utf8'))
      ),
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  }
}

/**
 * The caller's signal, ended after `ms` too.
 * @param {AbortSignal | undefined} signal
 * @param {number} ms
 */
function timeout(signal, ms) {
  const limit = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, limit]) : limit;
}
