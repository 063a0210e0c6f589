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
import { DEFAULT_PAGE_SIZE } from '#src/platform/pagination/cursor.js';
import { validationProblem } from '#src/platform/problem/validation.js';

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeAuditCursor(k: AuditKeyset): string {
  return Buffer.from(JSON.stringify([k.at, k.id])).toString('base64url');
}

export function decodeAuditCursor(cursor: string | undefined): AuditKeyset | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at !== 'string' || !CURSOR_AT.test(at) || Number.isNaN(Date.parse(at))) {
      throw new Error('bad cursor');
    }
    if (typeof id !== 'string' || !/^[1-9]\d{0,18}$/.test(id)) throw new Error('bad cursor');
    return { at, id };
  } catch {
    throw validationProblem([
      { name: 'cursor', reason: 'cursor is not a value returned as nextCursor' },
    ]);
  }
}

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
    const after = decodeAuditCursor(query.cursor);
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
    const more = rows.length > limit;
    const items = more ? rows.slice(0, limit) : rows;
    const last = items.at(-1);
    return {
      items: items.map(toResponse),
      nextCursor: more && last ? encodeAuditCursor({ at: last.atText, id: last.id }) : null,
    };
  }
}
