import { PeriodicRun } from '#src/platform/jobs/index.js';
import {
  HttpStatus,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '#src/platform/clock/index.js';
import {
  ProblemException,
  httpProblem,
  badRequest,
  unprocessable,
} from '#src/platform/problem/index.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { KeyEncryption } from '#src/platform/encryption/index.js';
import {
  IdempotencyProblem,
  parseIdempotencyKey,
  REPLAYED_HEADER,
  requestFingerprint,
} from '#src/platform/idempotency/idempotency-key.js';
import {
  IdempotencyRepository,
  type StoredResponse,
} from '#src/platform/idempotency/idempotency.repository.js';

/** Response headers stored and replayed with the body. */
export const STORED_HEADERS = ['content-type', 'location', 'etag'] as const;
/** Answers that are not stored: the key is released and a retry executes. */
const NOT_STORED = new Set([HttpStatus.CONFLICT, HttpStatus.TOO_MANY_REQUESTS]);
const PURGE_EVERY_MS = 5 * 60_000;
const PURGE_BATCH = 1000;

interface Claim {
  principalId: string;
  key: string;
  requestHash: Buffer;
}

/** What a request's key decided: run the handler (holding the key), or replay. */
/**
 * The authenticated caller as idempotency needs it (identity's Principal, which the access
 * guard sets as `request.user`, fits): keys are scoped to the caller's id.
 */
export interface IdempotencyCaller {
  id: string;
}

export type Outcome = { kind: 'execute' } | { kind: 'replay' };

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for every authenticated POST:
 * `begin` (from the global interceptor, once the caller is known) claims the key or decides
 * the replay; `onSend` (a Fastify hook, when the answer is final) stores it or releases the
 * key. See docs/decisions/0011-idempotency-keys.md.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private readonly claims = new WeakMap<FastifyRequest['raw'], Claim>();
  private readonly replays = new WeakMap<FastifyRequest['raw'], StoredResponse>();
  private readonly purging = new PeriodicRun('Idempotency-Key purge', this.logger);
  private readonly encryption: KeyEncryption;

  constructor(
    private readonly repository: IdempotencyRepository,
    private readonly clock: Clock,
    private readonly config: PlatformConfig,
  ) {
    this.encryption = KeyEncryption.fromConfig(config).encryption;
  }

  /** Expired keys are deleted every few minutes, off the request path. */
  onApplicationBootstrap(): void {
    this.purging.start(PURGE_EVERY_MS, () => this.purge());
  }

  onApplicationShutdown(): Promise<void> {
    return this.purging.stop();
  }

  async begin(
    request: FastifyRequest,
    caller: IdempotencyCaller,
    header: string | string[],
    streamed: boolean,
  ): Promise<Outcome> {
    const key = parseIdempotencyKey(header);
    if (streamed) {
      throw badRequest(
        'A streamed upload cannot be fingerprinted; send it without Idempotency-Key (an import adds no indicator twice, see docs/isp-integration.md).',
        { type: IdempotencyProblem.invalid, title: 'Idempotency-Key not supported here' },
      );
    }
    const requestHash = requestFingerprint(request.method, request.url, request.body);
    // A claim lost to a release in between (the other request failed) is tried again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.clock.now();
      const claimed = await this.repository.claim({
        principalId: caller.id,
        key,
        method: request.method,
        path: request.url,
        requestHash,
        now,
        lockedUntil: new Date(now.getTime() + this.config.IDEMPOTENCY_LEASE_S * 1000),
        expiresAt: new Date(now.getTime() + this.config.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000),
      });
      if (claimed) {
        this.claims.set(request.raw, { principalId: caller.id, key, requestHash });
        return { kind: 'execute' };
      }
      const row = await this.repository.find(caller.id, key);
      if (!row) continue;
      if (!row.requestHash.equals(requestHash)) {
        throw unprocessable(
          `This Idempotency-Key was used for a different request (${row.method} ${row.path}, or another body); use a new key for a new request.`,
          { type: IdempotencyProblem.reused, title: 'Idempotency-Key reused' },
        );
      }
      if (row.response) {
        this.replays.set(request.raw, {
          ...row.response,
          body: this.encryption.open(row.response.body),
        });
        return { kind: 'replay' };
      }
      const waitMs = (row.lockedUntil?.getTime() ?? now.getTime()) - now.getTime();
      throw inFlight(Math.min(Math.max(1, Math.ceil(waitMs / 1000)), 5));
    }
    throw inFlight(1);
  }

  /**
   * The answer is final (Fastify `onSend`): a replay gets the stored answer; a request that
   * holds a key stores its answer (or releases the key for a 5xx, 409 or 429) before it is
   * sent, so a retry after the answer always finds it.
   */
  async onSend(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const replay = this.replays.get(request.raw);
    if (replay) {
      this.replays.delete(request.raw);
      void reply.code(replay.status);
      for (const name of STORED_HEADERS) {
        const value = replay.headers[name];
        if (value === undefined) void reply.removeHeader(name);
        else void reply.header(name, value);
      }
      void reply.header(REPLAYED_HEADER, 'true');
      return replay.body;
    }
    const claim = this.claims.get(request.raw);
    if (!claim) return payload;
    this.claims.delete(request.raw);
    const body = bodyBytes(payload);
    const status = reply.statusCode;
    try {
      if (status >= 500 || NOT_STORED.has(status) || body === undefined) {
        await this.repository.release(claim.principalId, claim.key, claim.requestHash);
        return payload;
      }
      const headers: Record<string, string> = {};
      for (const name of STORED_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const stored = await this.repository.complete(
        claim.principalId,
        claim.key,
        claim.requestHash,
        // Answers can hold secrets shown once (a webhook's, an API client's): sealed at rest
        // with KEY_ENCRYPTION_KEY (AES-256-GCM), like signing keys.
        { status, headers, body: this.encryption.seal(body) },
      );
      if (!stored) this.logger.warn(`Idempotency-Key lost its claim before the answer was stored`);
    } catch (error) {
      // The answer goes out regardless; the key stays in flight until its lease ends.
      request.log.error({ err: error }, 'storing the Idempotency-Key answer failed');
    }
    return payload;
  }

  /** A request that held a key and ended without onSend (the client went away): release it. */
  async onResponse(request: FastifyRequest): Promise<void> {
    this.replays.delete(request.raw);
    const claim = this.claims.get(request.raw);
    if (!claim) return;
    this.claims.delete(request.raw);
    await this.repository
      .release(claim.principalId, claim.key, claim.requestHash)
      .catch((error: unknown) => request.log.error({ err: error }, 'releasing a key failed'));
  }

  /** Deletes every expired key (in batches); returns how many. */
  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const count = await this.repository.purgeExpired(this.clock.now(), PURGE_BATCH);
      total += count;
      if (count < PURGE_BATCH) return total;
    }
  }
}

function inFlight(retryAfterSeconds: number): ProblemException {
  return httpProblem(
    HttpStatus.CONFLICT,
    'A request with this Idempotency-Key is still being processed; retry after the given delay to get its answer.',
    {
      type: IdempotencyProblem.inFlight,
      title: 'Request with this Idempotency-Key in progress',
      headers: { 'retry-after': String(retryAfterSeconds) },
    },
  );
}

/** The payload as bytes, or undefined for a stream (which cannot be stored). */
function bodyBytes(payload: unknown): Buffer | undefined {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  if (Buffer.isBuffer(payload)) return payload;
  return undefined;
}
