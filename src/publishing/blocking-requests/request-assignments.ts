import type { EntityManager } from 'typeorm';
import type { PublishedTo } from '#src/feeds/index.js';
import type { BlockingRequestEntity } from '#src/publishing/blocking-requests/blocking-request.entity.js';

/**
 * An assignment as a request's detail shows it. Publishing only passes it on: its fields, rules
 * (overdue, delays) and OpenAPI schema (`AssignmentSummary`) belong to obligations.
 */
export type AssignmentSummaryView = object;

/**
 * What a request's lifecycle needs from the assignments it gives rise to (one per target ISP),
 * which the obligations context owns. Publishing declares this port and injects it; obligations
 * implements it and binds it globally, so publishing never imports obligations. The writes run
 * in the caller's transaction, with the request row locked.
 */
export abstract class RequestAssignments {
  /**
   * One assignment per ISP of a request being published, recording the version its feed
   * reached with the publication (`FeedWriter.publish`'s `publishedTo`), due at `deadlineAt`.
   */
  abstract open(
    manager: EntityManager,
    requestId: string,
    publishedTo: PublishedTo[],
    deadlineAt: Date,
  ): Promise<void>;

  /** Closes the open assignments of a request being withdrawn; returns every ISP holding one. */
  abstract withdraw(manager: EntityManager, requestId: string): Promise<string[]>;

  /** The request's assignments (only the organization's, when given), oldest first. */
  abstract summaries(
    request: BlockingRequestEntity,
    organizationId: string | undefined,
  ): Promise<AssignmentSummaryView[]>;
}
