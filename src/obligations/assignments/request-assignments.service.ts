import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PublishedTo } from '#src/feeds/index.js';
import { AssignmentsRepository } from '#src/obligations/assignments/assignments.repository.js';
import { isOverdue } from '#src/obligations/assignments/assignment-status.js';
import { secondsBetween } from '#src/obligations/assignments/confirmation-values.js';
import type { AssignmentSummary } from '#src/obligations/assignments/dto/assignment-state.dto.js';
import { type BlockingRequestEntity, RequestAssignments } from '#src/publishing/index.js';
import { Clock } from '#src/platform/clock/index.js';

/**
 * Publishing's port to the assignments (bound by AssignmentsModule): they are opened when a
 * request is published and closed when it is withdrawn, in the request's transaction, and shown
 * with the request.
 */
@Injectable()
export class RequestAssignmentsService extends RequestAssignments {
  constructor(
    private readonly assignments: AssignmentsRepository,
    private readonly clock: Clock,
  ) {
    super();
  }

  async open(
    manager: EntityManager,
    requestId: string,
    publishedTo: PublishedTo[],
    deadlineAt: Date,
  ): Promise<void> {
    await this.assignments.insertForPublication(manager, requestId, publishedTo, deadlineAt);
  }

  async withdraw(manager: EntityManager, requestId: string): Promise<string[]> {
    await this.assignments.withdrawOpen(manager, requestId);
    return this.assignments.organizationIdsOfRequest(manager, requestId);
  }

  async summaries(
    request: BlockingRequestEntity,
    organizationId: string | undefined,
  ): Promise<AssignmentSummary[]> {
    const now = this.clock.now();
    const rows = await this.assignments.summariesOfRequest(request.id, organizationId);
    return rows.map((a) => ({
      id: a.id,
      organizationId: a.organization_id,
      status: a.status,
      deadlineAt: a.deadline_at.toISOString(),
      overdue: isOverdue(a.status, a.deadline_at, now),
      acknowledgedAt: a.acknowledged_at?.toISOString() ?? null,
      appliedAt: a.applied_at?.toISOString() ?? null,
      closedAt: a.closed_at?.toISOString() ?? null,
      secondsToAcknowledge: secondsBetween(request.publishedAt, a.acknowledged_at),
      secondsToApply: secondsBetween(request.publishedAt, a.applied_at),
      lastConfirmationStatus: a.confirmation_status,
      lastConfirmationMechanism: a.confirmation_mechanism,
      lastConfirmationReason: a.confirmation_reason,
      lastConfirmationReceiptId: a.confirmation_receipt_id,
    }));
  }
}
