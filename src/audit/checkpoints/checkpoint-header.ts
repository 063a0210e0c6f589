import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
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
 * Feed and TAXII answers carry the latest signed audit checkpoint (CheckpointHeader, one hook
 * for all of them): the header is documented here, once, on their 2xx and 304 responses.
 */
export function documentAuditCheckpoint(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    if (!carriesCheckpoint(path)) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (!op) continue;
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^(2\d\d|304)$/.test(status) || !response || '$ref' in response) continue;
        response.headers = {
          ...response.headers,
          'X-Audit-Checkpoint': {
            description:
              'The latest signed checkpoint of the audit trail: base64url of the JCS (RFC 8785) of {v, size, head, time, keyId, sig}; verify it with GET /api/v1/audit/public-key and keep it (docs/isp-integration.md). Absent until a first checkpoint exists.',
            schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+$' },
          },
        };
      }
    }
  }
  return document;
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
