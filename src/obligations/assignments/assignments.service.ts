import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  AssignmentsRepository,
  type AssignmentRow,
} from '#src/obligations/assignments/assignments.repository.js';
import {
  ConfirmationsRepository,
  type ConfirmationItemRow,
  type ConfirmationRow,
} from '#src/obligations/assignments/confirmations.repository.js';
import { isOverdue } from '#src/obligations/assignments/assignment-status.js';
import { ConfirmationWriter } from '#src/obligations/assignments/confirmation-writer.js';
import { appliedNotBeforePublication } from '#src/obligations/assignments/confirmation-values.js';
import type {
  AssignmentDetail,
  AssignmentListQuery,
  AssignmentResponse,
  ConfirmationResponse,
  CreateConfirmation,
} from '#src/obligations/assignments/dto/assignment.dto.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { type Principal, tenantScope } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  type InvalidParam,
  notFound,
  invalidState,
  unprocessable,
} from '#src/platform/problem/index.js';

const MAX_REPORTED = 100;

/** A well-formed body that the rules refuse: 422, each reason in `invalid-params`. */
export function refused(params: InvalidParam[], extensions: Record<string, unknown> = {}) {
  return unprocessable(
    params.length === 1 ? params[0].reason : params.map((p) => p.reason).join('; '),
    {
      title: 'The statement cannot be accepted',
      extensions: { 'invalid-params': params, ...extensions },
    },
  );
}

export function toAssignmentResponse(a: AssignmentRow, now: Date): AssignmentResponse {
  return {
    id: a.id,
    requestId: a.request_id,
    organizationId: a.organization_id,
    status: a.status,
    deadlineAt: a.deadline_at.toISOString(),
    overdue: isOverdue(a.status, a.deadline_at, now),
    acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
    appliedAt: a.applied_at?.toISOString() ?? null,
    closedAt: a.closed_at?.toISOString() ?? null,
    lastConfirmationId: a.last_confirmation_id,
    feedVersion: Number(a.feed_version),
    documentNumber: a.document_number,
    title: a.title,
    createdAt: a.created_at.toISOString(),
    updatedAt: a.updated_at.toISOString(),
  };
}

function toConfirmationResponse(
  c: ConfirmationRow,
  items: ConfirmationItemRow[],
): ConfirmationResponse {
  return {
    id: c.id,
    assignmentId: c.assignment_id,
    organizationId: c.organization_id,
    status: c.status,
    reason: c.reason,
    appliedAt: c.applied_at?.toISOString() ?? null,
    mechanism: c.mechanism,
    evidence: c.evidence,
    evidenceSha256: c.evidence_sha256,
    receiptId: c.receipt_id,
    actorType: c.actor_type,
    actorId: c.actor_id,
    createdAt: c.created_at.toISOString(),
    items: items.map((i) => ({
      indicatorId: i.indicator_id,
      outcome: i.outcome,
      reason: i.reason,
    })),
  };
}

/**
 * What an ISP must apply and what it states about it: acknowledgement, then confirmations
 * (appended; the latest one is what the assignment shows). An ISP sees only its own
 * organization's assignments (another's is a 404); the Department and auditors see all.
 */
@Injectable()
export class AssignmentsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly confirmations: ConfirmationsRepository,
    private readonly writer: ConfirmationWriter,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  list(caller: Principal, query: AssignmentListQuery): Promise<Page<AssignmentResponse>> {
    const scope = tenantScope(caller);
    const now = this.clock.now();
    return paginate(
      query,
      (after, limit) =>
        this.assignments
          .listPage(query, scope, now, after, limit)
          .then((rows) => rows.map((r) => ({ ...r, createdAt: r.created_at }))),
      (r) => toAssignmentResponse(r, now),
    );
  }

  async get(caller: Principal, id: string): Promise<AssignmentDetail> {
    const a = await this.assignments.findVisible(id, tenantScope(caller));
    if (!a) throw notFound('assignment');
    const now = this.clock.now();
    const [items, confirmations] = await Promise.all([
      this.assignments.items(a.request_id, a.id),
      this.confirmations.forAssignment(a.id),
    ]);
    const byConfirmation = await this.itemsByConfirmation(confirmations.map((c) => c.id));
    return {
      ...toAssignmentResponse(a, now),
      request: {
        id: a.request_id,
        documentNumber: a.document_number,
        title: a.title,
        status: a.request_status,
        publishedAt: a.published_at?.toISOString() ?? null,
        deadlineAt: a.request_deadline_at?.toISOString() ?? null,
        legalBasis: a.legal_basis,
        itemCount: a.item_count,
      },
      items: items.map((i) => ({
        indicatorId: i.indicator_id,
        type: i.type,
        value: i.value,
        operation: i.operation,
        outcome: i.outcome,
        outcomeReason: i.outcome_reason,
      })),
      confirmations: confirmations.map((c) =>
        toConfirmationResponse(c, byConfirmation.get(c.id) ?? []),
      ),
    };
  }

  async getConfirmation(
    caller: Principal,
    id: string,
    confirmationId: string,
  ): Promise<ConfirmationResponse> {
    const a = await this.assignments.findVisible(id, tenantScope(caller));
    if (!a) throw notFound('assignment');
    const c = await this.confirmations.find(a.id, confirmationId);
    if (!c) throw notFound('confirmation');
    return toConfirmationResponse(c, await this.confirmations.items([c.id]));
  }

  /** pending → acknowledged; again: the same answer; closed or withdrawn: 409. */
  async acknowledge(caller: Principal, id: string): Promise<AssignmentResponse> {
    const visible = await this.assignments.findVisible(id, tenantScope(caller));
    if (!visible) throw notFound('assignment');
    const now = this.clock.now();
    const row = await this.dataSource.transaction(async (manager) => {
      const { assignment } = await this.writer.lock(manager, visible.request_id, visible.id);
      if (assignment.status === 'acknowledged') return assignment;
      if (assignment.status !== 'pending') {
        throw invalidState(
          assignment.status === 'withdrawn'
            ? 'The request was withdrawn: this assignment needs nothing more'
            : `The assignment is ${assignment.status} already: acknowledging is for pending assignments (send a confirmation to correct it)`,
        );
      }
      await this.assignments.acknowledge(manager, id, now);
      await this.audit.record(manager, {
        actor: caller,
        action: 'assignment.acknowledge',
        objectType: 'assignment',
        objectId: id,
        summary: { requestId: assignment.request_id, from: 'pending', to: 'acknowledged' },
      });
      // Read back in the transaction (version and times as the update left them).
      const updated = await this.assignments.findVisible(id, {}, manager);
      if (!updated) throw new Error(`assignment ${id} vanished`);
      return updated;
    });
    return toAssignmentResponse(row, now);
  }

  /**
   * Appends a confirmation. Rules on the body alone come first, then those that need the
   * assignment (its state, the request's publication time and items) under the row lock.
   */
  async confirm(
    caller: Principal,
    id: string,
    body: CreateConfirmation,
  ): Promise<ConfirmationResponse> {
    const visible = await this.assignments.findVisible(id, tenantScope(caller));
    if (!visible) throw notFound('assignment');
    const now = this.clock.now();
    this.checkStatement(body, now);
    const items = (body.items ?? []).map((i) => ({
      indicatorId: i.indicatorId,
      outcome: i.outcome,
      reason: i.reason ?? null,
    }));
    return this.dataSource.transaction(async (manager) => {
      const locked = await this.writer.lock(manager, visible.request_id, visible.id);
      const { request, assignment } = locked;
      if (assignment.status === 'withdrawn' || request.status === 'withdrawn') {
        throw invalidState('The request was withdrawn: there is nothing left to confirm');
      }
      if (
        body.appliedAt &&
        request.publishedAt &&
        !appliedNotBeforePublication(body.appliedAt, request.publishedAt)
      ) {
        throw refused([
          {
            name: 'appliedAt',
            reason: `appliedAt is before the request was published (${request.publishedAt.toISOString()})`,
          },
        ]);
      }
      if (items.length > 0) {
        const ids = items.map((i) => i.indicatorId);
        const known = await this.assignments.itemsOfRequest(manager, request.id, ids);
        const unknown = ids.filter((i) => !known.has(i));
        if (unknown.length > 0) {
          throw refused(
            unknown.slice(0, MAX_REPORTED).map((u) => ({
              name: `items[${ids.indexOf(u)}].indicatorId`,
              reason: `${u} is not an item of this request`,
            })),
            { unknownIndicatorIds: unknown.slice(0, MAX_REPORTED) },
          );
        }
      }
      const confirmationId = await this.writer.write(manager, caller, locked, {
        status: body.status,
        reason: body.reason ?? null,
        appliedAt: body.appliedAt ?? null,
        mechanism: body.mechanism ?? null,
        evidence: body.evidence ?? null,
        evidenceSha256: body.evidenceSha256 ?? null,
        items,
        receiptId: null,
      });
      // The answer is read in the transaction: once it commits nothing can fail any more, so
      // a 5xx never releases an Idempotency-Key whose confirmation was written.
      const written = await this.confirmations.find(visible.id, confirmationId, manager);
      if (!written) throw new Error(`confirmation ${confirmationId} vanished in its transaction`);
      return toConfirmationResponse(
        written,
        await this.confirmations.items([confirmationId], manager),
      );
    });
  }

  /** The rules a statement must follow whatever the assignment (422). */
  private checkStatement(body: CreateConfirmation, now: Date): void {
    const problems: InvalidParam[] = [];
    const rejected = body.status === 'rejected';
    if (body.status !== 'applied' && !body.reason?.trim()) {
      problems.push({
        name: 'reason',
        reason: `a reason is required when the status is ${body.status}`,
      });
    }
    if (rejected && body.appliedAt) {
      problems.push({ name: 'appliedAt', reason: 'a rejection has no appliedAt' });
    }
    if (!rejected && !body.appliedAt) {
      problems.push({
        name: 'appliedAt',
        reason: `appliedAt is required when the status is ${body.status}`,
      });
    }
    if (!rejected && !body.mechanism) {
      problems.push({
        name: 'mechanism',
        reason: `mechanism is required when the status is ${body.status}`,
      });
    }
    if (body.appliedAt && body.appliedAt > now) {
      problems.push({
        name: 'appliedAt',
        reason: `appliedAt is in the future (the service's time is ${now.toISOString()})`,
      });
    }
    const seen = new Map<string, number>();
    (body.items ?? []).forEach((item, i) => {
      const first = seen.get(item.indicatorId);
      if (first !== undefined) {
        problems.push({
          name: `items[${i}].indicatorId`,
          reason: `${item.indicatorId} is listed twice (items[${first}] and items[${i}])`,
        });
      } else seen.set(item.indicatorId, i);
      if (item.outcome !== 'applied' && !item.reason?.trim()) {
        problems.push({
          name: `items[${i}].reason`,
          reason: `a reason is required when the outcome is ${item.outcome}`,
        });
      }
      if (body.status === 'applied' && item.outcome === 'failed') {
        problems.push({
          name: `items[${i}].outcome`,
          reason: `item ${item.indicatorId} failed, so the assignment is not applied: send partially_applied (or rejected) with a reason`,
        });
      }
    });
    if (problems.length > 0) throw refused(problems.slice(0, MAX_REPORTED));
  }

  private async itemsByConfirmation(ids: string[]): Promise<Map<string, ConfirmationItemRow[]>> {
    const out = new Map<string, ConfirmationItemRow[]>();
    if (ids.length === 0) return out;
    for (const row of await this.confirmations.items(ids)) {
      const list = out.get(row.confirmation_id) ?? [];
      list.push(row);
      out.set(row.confirmation_id, list);
    }
    return out;
  }
}
