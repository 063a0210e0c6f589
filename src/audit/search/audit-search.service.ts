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
  type AuditRow,
} from '#src/audit/search/audit-search.repository.js';
import { CursorCodec, cursorPart } from '#src/platform/pagination/cursor-codec.js';
import { DEFAULT_PAGE_SIZE, pageOf } from '#src/platform/pagination/cursor.js';
import { validationProblem } from '#src/platform/problem/validation.js';

/** `["<at, microseconds>","<id>"]`: the keyset of the search's order, (at DESC, id DESC). */
export const AUDIT_CURSOR = new CursorCodec<AuditKeyset>({
  at: cursorPart.microsecondTime,
  id: cursorPart.bigintId,
});

function toResponse(r: AuditRow): AuditEventResponse {
  return {
    id: r.id,
    seq: r.seq,
    hash: r.hash,
    at: r.at.toISOString(),
    actor: { type: r.actorType, id: r.actorId },
    organizationId: r.organizationId,
    roles: r.roles,
    action: r.action,
    objectType: r.objectType,
    objectId: r.objectId,
    summary: r.summary,
    requestId: r.requestId,
    clientIp: r.clientIp,
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
      AUDIT_CURSOR.encode({ at: last.atText, id: last.id }),
    );
  }
}
