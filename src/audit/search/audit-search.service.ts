import { Injectable } from '@nestjs/common';
import { AuditSealer } from '#src/audit/trail/audit-sealer.js';
import type {
  AuditEventPage,
  AuditEventResponse,
  AuditSearchQuery,
} from '#src/audit/search/dto/audit-search.dto.js';
import {
  AuditSearchRepository,
  type AuditKeyset,
} from '#src/audit/search/audit-search.repository.js';
import type { AuditEventRow } from '#src/audit/trail/event-columns.js';
import {
  CursorCodec,
  cursorPart,
  DEFAULT_PAGE_SIZE,
  pageOf,
} from '#src/platform/pagination/index.js';
import { validationProblem } from '#src/platform/problem/index.js';

/** `["<at, microseconds>","<id>"]`: the keyset of the search's order, (at DESC, id DESC). */
export const AUDIT_CURSOR = new CursorCodec<AuditKeyset>({
  at: cursorPart.microsecondTime,
  id: cursorPart.bigintId,
});

function toResponse(r: AuditEventRow): AuditEventResponse {
  return {
    id: r.id,
    seq: Number(r.seq),
    hash: r.hash.toString('hex'),
    at: r.at.toISOString(),
    actor: { type: r.actor_type, id: r.actor_id },
    organizationId: r.organization_id,
    roles: r.roles,
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    summary: r.summary,
    requestId: r.request_id,
    clientIp: r.client_ip,
  };
}

/** Searching the audit trail (read-only): newest first, keyset pages on (at, id). */
@Injectable()
export class AuditSearchService {
  constructor(
    private readonly repository: AuditSearchRepository,
    private readonly sealer: AuditSealer,
  ) {}

  async search(query: AuditSearchQuery): Promise<AuditEventPage> {
    // Events are searched once chained: what committed before the request is sealed first.
    if (query.cursor === undefined) await this.sealer.flush();
    if (query.objectId !== undefined && query.objectType === undefined) {
      throw validationProblem([{ name: 'objectId', reason: 'objectId requires objectType' }]);
    }
    if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
      throw validationProblem([{ name: 'to', reason: 'to must be after from' }]);
    }
    const after = AUDIT_CURSOR.decode(query.cursor);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.repository.search(
      {
        from: query.from,
        to: query.to,
        actorId: query.actorId,
        organizationId: query.organizationId,
        objectType: query.objectType,
        objectId: query.objectId,
        action: query.action,
      },
      after,
      limit,
    );
    return pageOf(rows, limit, toResponse, (last) =>
      AUDIT_CURSOR.encode({ at: `${last.at_micros}Z`, id: last.id }),
    );
  }
}
