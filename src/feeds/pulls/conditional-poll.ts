import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, PrincipalService, VerifiedTokens } from '#src/identity/index.js';
import { DEFAULT_CHANGES_PAGE, MAX_CHANGES_PAGE } from '#src/feeds/pulls/dto/feed.dto.js';
import { FeedService } from '#src/feeds/pulls/feed.service.js';

const ROUTE = '/api/v1/feed/changes';
const ROLES = new Set(['isp_client', 'isp_operator']);

/**
 * `after`/`limit` as the route would take them, or undefined (then the route decides). A long
 * poll (`wait` other than 0) goes to the route, which holds it.
 */
function pagingOf(query: unknown): { after: number; limit: number } | undefined {
  const q = (query ?? {}) as Record<string, unknown>;
  const int = (v: unknown, fallback: number): number | undefined => {
    if (v === undefined) return fallback;
    return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : undefined;
  };
  const after = int(q.after, 0);
  const limit = int(q.limit, DEFAULT_CHANGES_PAGE);
  if (after === undefined || limit === undefined || limit < 1 || limit > MAX_CHANGES_PAGE) {
    return undefined;
  }
  if (q.wait !== undefined && q.wait !== '0') return undefined;
  if (Object.keys(q).some((k) => k !== 'after' && k !== 'limit' && k !== 'wait')) return undefined;
  return { after, limit };
}

/**
 * The conditional poll of the change feed, answered before the framework's pipeline: an ISP
 * that sends `If-None-Match` with a token already verified once, whose state is cached, gets
 * its 304 from memory (the version the FeedVersionWatcher holds) in a Fastify `onRequest`
 * hook. Anything else (a new token, a changed feed, a bad parameter, a refused caller) falls
 * through to the route, which answers it in full, with the same ETag and the same telemetry.
 * This is the request ISPs send most, every 30–60 s each.
 */
@Injectable()
export class ConditionalPoll {
  constructor(
    private readonly verified: VerifiedTokens,
    private readonly principals: PrincipalService,
    private readonly feed: FeedService,
  ) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'GET' || request.routeOptions.url !== ROUTE) return;
      await this.answer(request, reply);
    });
  }

  private async answer(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const ifNoneMatch = request.headers['if-none-match'];
    if (typeof ifNoneMatch !== 'string') return;
    const paging = pagingOf(request.query);
    const token = bearerToken(request);
    const claims = paging && token ? this.verified.lookup(token) : undefined;
    if (!paging || !claims) return;
    const caller = await this.principals.fromClaims(claims).catch(() => undefined);
    // A person who must change their password gets the route's 403, not a 304.
    if (!caller || caller.passwordChangeRequired || !caller.roles.some((r) => ROLES.has(r))) return;
    const etag = this.feed.notModified(caller, paging.after, paging.limit, ifNoneMatch);
    if (etag === undefined) return;
    await reply.code(304).header('etag', etag).header('cache-control', 'private, no-cache').send();
  }
}
