import { HttpStatus, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/index.js';
import type { BlockingRequestEntity } from '#src/publishing/blocking-requests/blocking-request.entity.js';
import { BlockingRequestsRepository } from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import { httpProblem } from '#src/platform/problem/index.js';

/**
 * What the ISPs' answers do to a published request, for obligations (publishing owns the
 * table): lock it while a confirmation is written, and complete it once no assignment is left
 * open. Always inside the caller's transaction.
 */
@Injectable()
export class PublishedRequests {
  constructor(
    private readonly requests: BlockingRequestsRepository,
    private readonly audit: AuditLog,
  ) {}

  /** The request, locked until the end of the transaction. */
  lock(manager: EntityManager, id: string): Promise<BlockingRequestEntity | null> {
    return this.requests.lockById(manager, id);
  }

  /** published → completed, for a request locked by this transaction (updated in place). */
  async complete(
    manager: EntityManager,
    caller: Principal,
    request: BlockingRequestEntity,
    now: Date,
  ): Promise<void> {
    const changes = { status: 'completed' as const, completedAt: now };
    if (!(await this.requests.updateIfVersion(manager, request.id, request.version, changes))) {
      // The request is locked by this transaction: its version cannot have moved.
      throw httpProblem(HttpStatus.CONFLICT, 'The request changed meanwhile; retry');
    }
    request.status = 'completed';
    request.version += 1;
    await this.requests.addHistory(
      manager,
      request.id,
      'published',
      'completed',
      caller.id,
      'Every assignment is closed',
    );
    await this.audit.record(manager, {
      actor: caller,
      action: 'blocking_request.complete',
      objectType: 'blocking_request',
      objectId: request.id,
      summary: { from: 'published', to: 'completed' },
    });
  }
}
