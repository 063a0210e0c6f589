import { OPEN_STATUSES } from '#src/obligations/assignments/assignment-status.js';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AssignmentsRepository } from '#src/obligations/assignments/assignments.repository.js';
import {
  ReceiptsRepository,
  type ReceiptRow,
} from '#src/obligations/assignments/receipts.repository.js';
import { refused } from '#src/obligations/assignments/assignments.service.js';
import {
  appliedNotBeforePublication,
  type HashCheck,
} from '#src/obligations/assignments/confirmation-values.js';
import { ConfirmationWriter } from '#src/obligations/assignments/confirmation-writer.js';
import type {
  CreateFeedReceipt,
  FeedReceiptCreated,
  FeedReceiptListQuery,
  FeedReceiptResponse,
  SkippedAssignment,
} from '#src/obligations/assignments/dto/receipt.dto.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { actorType, type Principal, tenantScope } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import { FeedPullRecorder } from '#src/feeds/index.js';

function toReceiptResponse(r: ReceiptRow): FeedReceiptResponse {
  return {
    id: r.id,
    organizationId: r.organization_id,
    version: Number(r.version),
    format: r.format,
    appliedAt: r.applied_at.toISOString(),
    mechanism: r.mechanism,
    evidence: r.evidence,
    sha256: r.sha256,
    hashCheck: r.hash_check,
    flagged: r.hash_check === 'mismatch',
    assignmentsConfirmed: r.assignments_confirmed,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * "We deployed feed version N": every open assignment of the ISP whose publication was
 * complete in its feed at N gets a confirmation (applied; items applied if the feed carried
 * them at N, the others not_applicable with the reason), exactly as if the ISP had sent it.
 * An assignment published after appliedAt is skipped (named in the answer). Assignments the ISP closed itself are left alone (decision 0008).
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly assignments: AssignmentsRepository,
    private readonly receipts: ReceiptsRepository,
    private readonly writer: ConfirmationWriter,
    private readonly pulls: FeedPullRecorder,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  list(caller: Principal, query: FeedReceiptListQuery): Promise<Page<FeedReceiptResponse>> {
    const scope = tenantScope(caller);
    return paginate(
      query,
      (after, limit) =>
        this.receipts
          .listPage(query, scope, after, limit)
          .then((rows) => rows.map((r) => ({ ...r, createdAt: r.created_at }))),
      (r) => toReceiptResponse(r),
    );
  }

  async create(caller: Principal, body: CreateFeedReceipt): Promise<FeedReceiptCreated> {
    const org = caller.organizationId;
    const now = this.clock.now();
    if (body.appliedAt > now) {
      throw refused([
        {
          name: 'appliedAt',
          reason: `appliedAt is in the future (the service's time is ${now.toISOString()})`,
        },
      ]);
    }
    // Pulls are recorded in batches: what this instance served must be in the table first.
    await this.pulls.flush();
    const current = await this.receipts.feedVersion();
    if (body.version > current) {
      throw refused([
        {
          name: 'version',
          reason: `version ${body.version} does not exist: the current feed version is ${current}`,
        },
      ]);
    }
    if (!(await this.receipts.served(org, body.version))) {
      throw refused([
        {
          name: 'version',
          reason: `version ${body.version} was never served to your organization: pull it (snapshot, changes or TAXII) before stating you applied it`,
        },
      ]);
    }
    const hashCheck: HashCheck =
      body.sha256 === undefined
        ? 'not_given'
        : (await this.receipts.servedWithHash(org, body.version, body.format, body.sha256))
          ? 'matched'
          : 'mismatch';
    const { receipt, confirmed, skipped } = await this.dataSource.transaction(async (manager) => {
      const covered = await this.assignments.coveredOpen(manager, org, body.version);
      // A request published after appliedAt cannot have been applied then (its items were in
      // the feed already, from another request): that assignment is skipped, not the receipt.
      // (Within the publication's second counts as after it: appliedNotBeforePublication.)
      const due = covered.filter((c) =>
        appliedNotBeforePublication(body.appliedAt, c.published_at),
      );
      const skipped: SkippedAssignment[] = covered
        .filter((c) => !appliedNotBeforePublication(body.appliedAt, c.published_at))
        .map((c) => ({
          assignmentId: c.id,
          reason: `published at ${c.published_at.toISOString()}, after appliedAt: confirm it on its own`,
        }));
      const inserted = await this.receipts.insert(manager, {
        organizationId: org,
        version: body.version,
        format: body.format,
        appliedAt: body.appliedAt,
        mechanism: body.mechanism,
        evidence: body.evidence ?? null,
        sha256: body.sha256 ?? null,
        hashCheck,
        actorType: actorType(caller),
        actorId: caller.id,
      });
      const ids: string[] = [];
      for (const c of due) {
        const locked = await this.writer.lock(manager, c.request_id, c.id);
        // Confirmed or withdrawn since it was listed: an explicit statement is never overridden.
        const open = (OPEN_STATUSES as readonly string[]).includes(locked.assignment.status);
        if (!open || locked.request.status !== 'published') continue;
        await this.writer.write(manager, caller, locked, {
          status: 'applied',
          reason: null,
          appliedAt: body.appliedAt,
          mechanism: body.mechanism,
          evidence: body.evidence ?? null,
          evidenceSha256: body.sha256 ?? null,
          items: { feedVersion: body.version },
          receiptId: inserted.id,
        });
        ids.push(c.id);
      }
      await this.receipts.setConfirmedCount(manager, inserted.id, ids.length);
      await this.audit.record(manager, {
        actor: caller,
        action: 'feed_receipt.create',
        objectType: 'feed_receipt',
        objectId: inserted.id,
        summary: {
          version: body.version,
          format: body.format,
          hashCheck,
          flagged: hashCheck === 'mismatch',
          assignmentsConfirmed: ids.length,
          assignmentIds: ids,
          skippedAssignmentIds: skipped.map((x) => x.assignmentId),
        },
      });
      return {
        receipt: { ...inserted, assignments_confirmed: ids.length },
        confirmed: ids,
        skipped,
      };
    });
    return {
      ...toReceiptResponse(receipt),
      confirmedAssignmentIds: confirmed,
      skippedAssignments: skipped,
    };
  }
}
