import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';
import type { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { unprotected } from '#test/support/requests.js';

/**
 * Published requests, assignments, confirmations, feed changes and pulls written with SQL, at
 * exactly the times a test chooses (the confirmation endpoints write the same columns).
 */
export class AssignmentFixtures {
  constructor(
    private readonly db: DataSource,
    private readonly feed: FeedWriter,
    /** The Department organization that issues the requests, and a user of it. */
    private readonly department: { organizationId: string; userId: string },
  ) {}

  /** A published request (no items) addressed to `targets`. */
  async request(opts: {
    publishedAt: Date;
    deadlineAt: Date;
    targets: string[];
    documentNumber?: string;
    status?: 'published' | 'completed' | 'withdrawn';
  }): Promise<{ id: string; documentNumber: string }> {
    const documentNumber = opts.documentNumber ?? `${randomUUID().slice(0, 8)}/FIX`;
    const [row] = await this.db.query<{ id: string }[]>(
      `INSERT INTO blocking_requests
         (document_number, title, legal_basis, category, severity, status, targets_all,
          target_organization_ids, deadline_at, issued_by, created_by, published_at)
       VALUES ($1, 'Fixture request', 'Fixture basis', 'botnet', 'high', $2, false, $3, $4, $5,
               $6, $7)
       RETURNING id`,
      [
        documentNumber,
        opts.status ?? 'published',
        opts.targets,
        opts.deadlineAt,
        this.department.organizationId,
        this.department.userId,
        opts.publishedAt,
      ],
    );
    return { id: row.id, documentNumber };
  }

  /** An assignment in a given state (what the confirmation endpoints would have left). */
  async assignment(opts: {
    requestId: string;
    organizationId: string;
    deadlineAt: Date;
    status?: AssignmentStatus;
    acknowledgedAt?: Date;
    closedAt?: Date;
    appliedAt?: Date;
  }): Promise<string> {
    const [row] = await this.db.query<{ id: string }[]>(
      // feed_version (NOT NULL): these fixture requests have no feed changes of their own, so
      // the feed's version at insertion, as the AssignmentFeedVersion backfill does.
      `INSERT INTO assignments
         (request_id, organization_id, deadline_at, status, acknowledged_at, closed_at, applied_at,
          feed_version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT last FROM feed_version)) RETURNING id`,
      [
        opts.requestId,
        opts.organizationId,
        opts.deadlineAt,
        opts.status ?? 'pending',
        opts.acknowledgedAt ?? null,
        opts.closedAt ?? null,
        opts.appliedAt ?? null,
      ],
    );
    return row.id;
  }

  /** Appends a confirmation and makes it the assignment's latest. */
  async confirmation(opts: {
    assignmentId: string;
    organizationId: string;
    status: 'applied' | 'partially_applied' | 'rejected';
    reason?: string;
    appliedAt?: Date;
    createdAt: Date;
  }): Promise<string> {
    const [row] = await this.db.query<{ id: string }[]>(
      `INSERT INTO confirmations
         (assignment_id, organization_id, status, reason, applied_at, mechanism, actor_type,
          actor_id, created_at)
       VALUES ($1, $2, $3, $4, $5, 'rpz', 'user', $6, $7) RETURNING id`,
      [
        opts.assignmentId,
        opts.organizationId,
        opts.status,
        opts.reason ?? null,
        opts.appliedAt ?? null,
        randomUUID(),
        opts.createdAt,
      ],
    );
    await this.db.query(`UPDATE assignments SET last_confirmation_id = $2 WHERE id = $1`, [
      opts.assignmentId,
      row.id,
    ]);
    return row.id;
  }

  /**
   * `count` feed changes (adds) for one ISP, written by the application's FeedWriter (versions
   * from the counter, under its lock), for a request of their own; their versions.
   */
  async feedChanges(organizationId: string, count: number): Promise<number[]> {
    const request = await this.request({
      publishedAt: new Date('1990-01-01T00:00:00Z'),
      deadlineAt: new Date('1990-01-02T00:00:00Z'),
      targets: [organizationId],
    });
    return this.db.transaction(async (manager) => {
      await manager.query(
        `WITH made AS (
           INSERT INTO indicators (type, value)
           SELECT 'domain', v FROM unnest($2::text[]) AS v RETURNING id)
         INSERT INTO blocking_request_items (request_id, indicator_id, operation)
         SELECT $1, id, 'block' FROM made`,
        [request.id, Array.from({ length: count }, () => unprotected.domain())],
      );
      const written = await this.feed.publish(manager, request.id, [organizationId]);
      return Array.from({ length: count }, (_, i) => written.fromVersion + 1 + i);
    });
  }

  /** One pull in the telemetry. */
  async pull(organizationId: string, toVersion: number, at: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO feed_pulls (organization_id, actor_type, actor_id, format, from_version,
                               to_version, status, at)
       VALUES ($1, 'api_client', $2, 'changes', 0, $3, 200, $4)`,
      [organizationId, randomUUID(), toVersion, at],
    );
  }
}
