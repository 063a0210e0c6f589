import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  AssignmentsRepository,
  type AssignmentRow,
} from '#src/obligations/assignments/assignments.repository.js';
import { ConfirmationsRepository } from '#src/obligations/assignments/confirmations.repository.js';
import type {
  ConfirmationStatus,
  ItemOutcome,
  Mechanism,
} from '#src/obligations/assignments/confirmation-values.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { OutboxService } from '#src/messaging/index.js';
import { actorType, type Principal } from '#src/identity/index.js';
import { type BlockingRequestEntity, PublishedRequests } from '#src/publishing/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { notFound } from '#src/platform/problem/index.js';

export interface ConfirmationInput {
  status: ConfirmationStatus;
  reason: string | null;
  appliedAt: Date | null;
  mechanism: Mechanism | null;
  evidence: string | null;
  evidenceSha256: string | null;
  /**
   * Per-item outcomes as stated, or (feed receipts) what the ISP's feed carried at a version:
   * applied for those items, not_applicable with a reason for the others.
   */
  items:
    | { indicatorId: string; outcome: ItemOutcome; reason: string | null }[]
    | { feedVersion: number };
  receiptId: string | null;
}

export interface Locked {
  request: BlockingRequestEntity;
  assignment: AssignmentRow;
}

/**
 * The one way a confirmation is written, for explicit confirmations and feed receipts alike:
 * appended with its items, the assignment updated to what it says, an audit event, an outbox
 * message, and the request completed when no assignment is left open. Always inside the
 * caller's transaction, after `lock()`.
 */
@Injectable()
export class ConfirmationWriter {
  constructor(
    private readonly assignments: AssignmentsRepository,
    private readonly confirmations: ConfirmationsRepository,
    private readonly requests: PublishedRequests,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  /**
   * Locks the request, then the assignment: the order of every writer of both (publication and
   * withdrawal lock the request first), so that no two transactions wait for each other, and
   * the completion check sees every other confirmation of the request.
   */
  async lock(manager: EntityManager, requestId: string, assignmentId: string): Promise<Locked> {
    const request = await this.requests.lock(manager, requestId);
    if (!request) throw notFound('assignment');
    const assignment = await this.assignments.lock(manager, assignmentId);
    return { request, assignment };
  }

  async write(
    manager: EntityManager,
    caller: Principal,
    { request, assignment }: Locked,
    input: ConfirmationInput,
  ): Promise<string> {
    const now = this.clock.now();
    const confirmationId = await this.confirmations.insert(manager, {
      assignmentId: assignment.id,
      organizationId: assignment.organization_id,
      status: input.status,
      reason: input.reason,
      appliedAt: input.appliedAt,
      mechanism: input.mechanism,
      evidence: input.evidence,
      evidenceSha256: input.evidenceSha256,
      receiptId: input.receiptId,
      actorType: actorType(caller),
      actorId: caller.id,
      at: now,
    });
    if (Array.isArray(input.items)) {
      await this.confirmations.insertItems(manager, confirmationId, input.items);
    } else {
      await this.confirmations.insertItemsFromFeed(manager, confirmationId, {
        requestId: request.id,
        organizationId: assignment.organization_id,
        version: input.items.feedVersion,
      });
    }
    await this.assignments.applyConfirmation(
      manager,
      assignment.id,
      input.status,
      input.appliedAt,
      confirmationId,
      now,
    );
    await this.audit.record(manager, {
      actor: caller,
      action: 'assignment.confirm',
      objectType: 'assignment',
      objectId: assignment.id,
      summary: {
        confirmationId,
        requestId: request.id,
        from: assignment.status,
        to: input.status,
        correction: assignment.closed_at !== null,
        receiptId: input.receiptId,
        items: Array.isArray(input.items)
          ? input.items.length
          : { fromFeedVersion: input.items.feedVersion },
      },
    });
    // Only this ISP's statement, to the Department that issued the request and to this ISP.
    await this.outbox.enqueue(manager, {
      topic: 'confirmation.received',
      aggregateId: assignment.id,
      payload: {
        assignmentId: assignment.id,
        requestId: request.id,
        documentNumber: request.documentNumber,
        organizationId: assignment.organization_id,
        status: input.status,
        appliedAt: input.appliedAt?.toISOString() ?? null,
        confirmationId,
        receiptId: input.receiptId,
      },
      recipients: [request.issuedBy, assignment.organization_id],
    });
    if (request.status === 'published') await this.completeIfClosed(manager, caller, request, now);
    return confirmationId;
  }

  /** A published request whose assignments are all closed is completed. */
  private async completeIfClosed(
    manager: EntityManager,
    caller: Principal,
    request: BlockingRequestEntity,
    now: Date,
  ): Promise<void> {
    if ((await this.assignments.openCount(manager, request.id)) > 0) return;
    await this.requests.complete(manager, caller, request, now);
  }
}
