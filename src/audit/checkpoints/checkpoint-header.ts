import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { CheckpointSigner } from '#src/audit/trail/checkpoint-signer.js';

export const AUDIT_CHECKPOINT_HEADER = 'x-audit-checkpoint';

/**
 * Whether a route's answers carry `X-Audit-Checkpoint`: what ISPs pull, the feed under
 * /api/v1/feed/ (snapshots, changes, receipts, status) and TAXII under /taxii2/.
 */
export function carriesCheckpoint(route: string | undefined): boolean {
  if (route === undefined) return false;
  return route.startsWith('/api/v1/feed/') || route === '/taxii2' || route.startsWith('/taxii2/');
}

/**
 * `X-Audit-Checkpoint` on every answer of the feed routes (2xx and 304, streamed snapshots,
 * the conditional poll's early 304 included), from memory: one Fastify `onSend` hook, which
 * runs before the status line and headers are written whoever sends (a route, a streamed body,
 * an `onRequest` hook). Errors (4xx, 5xx) do not carry it: they are not feed answers, and an
 * anonymous caller gets nothing. No header until a checkpoint exists.
 */
@Injectable()
export class CheckpointHeader {
  constructor(private readonly checkpoints: CheckpointSigner) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode < 400 && carriesCheckpoint(request.routeOptions.url)) {
        const value = this.checkpoints.latestHeader();
        if (value !== undefined) void reply.header(AUDIT_CHECKPOINT_HEADER, value);
      }
      done(null, payload);
    });
  }
}
