import { invalidState } from '#src/platform/problem/problem.js';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService, OutboxService } from '#src/audit/trail/audit.service.js';
import { fieldChanges } from '#src/audit/trail/field-changes.js';
import type { Principal } from '#src/identity/auth/principal.js';
import type {
  BlockingRequestEntity,
  RequestStatus,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
import { BlockingRequestsRepository } from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import type {
  AddItemsRequest,
  AddItemsResponse,
  BlockingRequestDetail,
  BlockingRequestListQuery,
  BlockingRequestResponse,
  CreateBlockingRequest,
  ItemListQuery,
  RequestItemPage,
  ReturnRequest,
  UpdateBlockingRequest,
  VersionedAction,
  WithdrawRequest,
} from '#src/publishing/blocking-requests/dto/blocking-request.dto.js';
import { secondsBetween } from '#src/obligations/assignments/confirmation-values.js';
import { isOverdue } from '#src/obligations/assignments/assignment-status.js';
import { Clock } from '#src/platform/clock/clock.js';
import { paginate, type Page } from '#src/platform/pagination/cursor.js';
import { ProblemException, ProblemType, type InvalidParam } from '#src/platform/problem/problem.js';
import { validationProblem } from '#src/platform/problem/validation.js';
import { notFound, tenantScope, type TenantScope } from '#src/identity/tenancy/tenant-scope.js';
import { sqlState } from '#src/platform/database/database-errors.js';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import {
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
  type Canonical,
  type IndicatorType,
} from '#src/publishing/indicators/canonical.js';
import { TAG_PATTERN } from '#src/publishing/indicators/indicator-attributes.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { staleVersion } from '#src/identity/organizations/organizations.service.js';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';

const MAX_REPORTED = 100;
const HOUR_MS = 3600_000;

function unprocessable(detail: string, extensions: Record<string, unknown> = {}): ProblemException {
  return new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, {
    type: ProblemType.validation,
    title: 'The request cannot be published as it is',
    detail,
    extensions,
  });
}

/**
 * The request as the caller may see it: an ISP learns neither which other ISPs it was addressed
 * to nor which Department staff handled it.
 */
function toRequestResponse(
  r: BlockingRequestEntity,
  audience: TenantScope = {},
): BlockingRequestResponse {
  const isp = audience.organizationId;
  const staff = (id: string | null): string | null => (isp === undefined ? id : null);
  return {
    id: r.id,
    documentNumber: r.documentNumber,
    title: r.title,
    legalBasis: r.legalBasis,
    description: r.description,
    category: r.category,
    severity: r.severity,
    status: r.status,
    targetsAll: r.targetsAll,
    targetOrganizationIds: isp === undefined || r.targetsAll ? r.targetOrganizationIds : [isp],
    dnsAction: r.dnsAction,
    ipAction: r.ipAction,
    deadlineHours: r.deadlineHours,
    deadlineAt: r.deadlineAt?.toISOString() ?? null,
    issuedBy: r.issuedBy,
    createdBy: staff(r.createdBy),
    submittedBy: staff(r.submittedBy),
    approvedBy: staff(r.approvedBy),
    publishedAt: r.publishedAt?.toISOString() ?? null,
    withdrawnAt: r.withdrawnAt?.toISOString() ?? null,
    withdrawalReason: r.withdrawalReason,
    itemCount: r.itemCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

/**
 * Blocking requests and their lifecycle: draft → pending_approval → published → completed |
 * withdrawn, back to draft with a comment. Every transition locks the request row, checks the
 * version the caller read, and commits its history, audit event, and (on publication and
 * withdrawal) feed changes and outbox message in the same transaction.
 */
@Injectable()
export class BlockingRequestsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly requests: BlockingRequestsRepository,
    private readonly indicators: IndicatorsRepository,
    private readonly protectedLists: ProtectedListsService,
    private readonly feed: FeedWriter,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
  ) {}

  list(caller: Principal, query: BlockingRequestListQuery): Promise<Page<BlockingRequestResponse>> {
    const audience = tenantScope(caller);
    return paginate(
      query,
      (after, limit) => this.requests.listPage(query, audience, after, limit),
      (r) => toRequestResponse(r, audience),
    );
  }

  async get(caller: Principal, id: string): Promise<BlockingRequestDetail> {
    const audience = tenantScope(caller);
    const request = await this.requests.findVisible(id, audience);
    if (!request) throw notFound('blocking request');
    const now = this.clock.now();
    const [assignments, history] = await Promise.all([
      this.requests.assignments(id, audience.organizationId),
      audience.organizationId === undefined ? this.requests.history(id) : Promise.resolve([]),
    ]);
    return {
      ...toRequestResponse(request, audience),
      assignments: assignments.map((a) => ({
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
      })),
      history: history.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        actorId: h.actor_id,
        comment: h.comment,
        at: h.at.toISOString(),
      })),
    };
  }

  async items(caller: Principal, id: string, query: ItemListQuery): Promise<RequestItemPage> {
    const request = await this.requests.findVisible(id, tenantScope(caller));
    if (!request) throw notFound('blocking request');
    const limit = query.limit ?? 100;
    const rows = await this.requests.itemsPage(id, query.cursor, limit);
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        indicatorId: r.indicator_id,
        type: r.type,
        value: r.value,
        operation: r.operation,
        indicatorStatus: r.status,
        tlp: r.tlp,
      })),
      nextCursor: rows.length > limit ? page.at(-1)!.indicator_id : null,
    };
  }

  async create(caller: Principal, body: CreateBlockingRequest): Promise<BlockingRequestDetail> {
    await this.checkTargets(body.targetsAll, body.targetOrganizationIds);
    const id = await this.dataSource
      .transaction(async (manager) => {
        const created = await this.requests.insert(manager, {
          documentNumber: body.documentNumber.trim(),
          title: body.title,
          legalBasis: body.legalBasis,
          description: body.description ?? null,
          category: body.category,
          severity: body.severity,
          status: 'draft',
          targetsAll: body.targetsAll,
          targetOrganizationIds: body.targetsAll ? [] : [...new Set(body.targetOrganizationIds)],
          dnsAction: body.dnsAction ?? 'nxdomain',
          ipAction: body.ipAction ?? 'drop',
          deadlineHours: body.deadlineHours ?? 24,
          deadlineAt: body.deadlineAt ?? null,
          issuedBy: caller.organizationId,
          createdBy: caller.id,
        });
        await this.requests.addHistory(manager, created.id, null, 'draft', caller.id, null);
        await this.audit.record(manager, {
          actor: caller,
          action: 'blocking_request.create',
          objectType: 'blocking_request',
          objectId: created.id,
          summary: { documentNumber: created.documentNumber, title: created.title },
        });
        return created.id;
      })
      .catch((error: unknown) => {
        if (sqlState(error) === '23505') {
          throw new ProblemException(HttpStatus.CONFLICT, {
            type: ProblemType.conflict,
            detail: `A blocking request with document number ${body.documentNumber} exists already`,
          });
        }
        throw error;
      });
    return this.get(caller, id);
  }

  async update(
    caller: Principal,
    id: string,
    body: UpdateBlockingRequest,
  ): Promise<BlockingRequestDetail> {
    const { version, ...changes } = body;
    await this.transition(id, version, ['draft'], async (manager, request) => {
      const targetsAll = changes.targetsAll ?? request.targetsAll;
      const targets = changes.targetOrganizationIds ?? request.targetOrganizationIds;
      await this.checkTargets(targetsAll, targets);
      const saved = {
        ...changes,
        ...(changes.targetOrganizationIds || changes.targetsAll !== undefined
          ? { targetOrganizationIds: targetsAll ? [] : [...new Set(targets)] }
          : {}),
      };
      const before = { ...request };
      await this.save(manager, request, saved);
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.update',
        objectType: 'blocking_request',
        objectId: id,
        summary: { changes: fieldChanges(before, saved) },
      });
    });
    return this.get(caller, id);
  }

  /**
   * Adds items by indicator id and by value (missing indicators are created). All or nothing:
   * one unknown id or invalid value refuses the call and lists them.
   */
  async addItems(caller: Principal, id: string, body: AddItemsRequest): Promise<AddItemsResponse> {
    const operation = body.operation ?? 'block';
    const problems: InvalidParam[] = [];
    const wanted: { type: IndicatorType; value: string }[] = [];
    const take = (field: string, result: Canonical): void => {
      if (result.ok) wanted.push({ type: result.type, value: result.value });
      else if (problems.length < MAX_REPORTED) {
        problems.push({ name: field, reason: refusalReason(result) });
      }
    };
    (body.values ?? []).forEach((v, i) => take(`values[${i}]`, canonicalizeUntyped(v)));
    (body.indicators ?? []).forEach((v, i) =>
      take(`indicators[${i}].value`, canonicalize(v.type, v.value)),
    );
    const defaults = body.defaults ?? {};
    (defaults.tags ?? []).forEach((tag, i) => {
      if (!TAG_PATTERN.test(tag)) {
        problems.push({ name: `defaults.tags[${i}]`, reason: `tag "${tag}" is not valid` });
      }
    });
    if (defaults.validUntil && defaults.validUntil <= this.clock.now()) {
      problems.push({
        name: 'defaults.validUntil',
        reason: 'defaults.validUntil must be in the future',
      });
    }
    if (problems.length > 0) throw validationProblem(problems);
    const ids = [...new Set(body.indicatorIds ?? [])];
    if (ids.length + wanted.length === 0) {
      throw validationProblem([
        { name: 'values', reason: 'give indicatorIds, values or indicators to add' },
      ]);
    }
    let result: AddItemsResponse | undefined;
    await this.transition(id, body.version, ['draft'], async (manager, request) => {
      const known = await this.existingIds(manager, ids);
      const missing = ids.filter((i) => !known.has(i));
      if (missing.length > 0) {
        throw validationProblem(
          missing.slice(0, MAX_REPORTED).map((m) => ({
            name: `indicatorIds[${ids.indexOf(m)}]`,
            reason: `no indicator ${m}`,
          })),
        );
      }
      const ensured = await this.indicators.ensure(
        manager,
        wanted,
        defaults,
        caller.kind === 'user' ? caller.id : null,
      );
      const all = [...new Set([...ids, ...ensured.ids])];
      const conflicting = await this.requests.withOtherOperation(manager, id, all, operation);
      if (conflicting.length > 0) {
        throw new ProblemException(HttpStatus.CONFLICT, {
          type: ProblemType.conflict,
          detail: `${conflicting.length === 100 ? 'At least 100' : conflicting.length} indicator(s) are in the request already with the other operation, e.g. ${conflicting[0].value}: remove them first`,
          extensions: {
            indicators: conflicting.map((c) => ({ id: c.indicator_id, value: c.value })),
          },
        });
      }
      const added = await this.requests.addItems(manager, id, all, operation);
      await this.save(manager, request, {});
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.add_items',
        objectType: 'blocking_request',
        objectId: id,
        summary: { operation, added, indicatorsCreated: ensured.created },
      });
      result = {
        added,
        alreadyPresent: all.length - added,
        indicatorsCreated: ensured.created,
        itemCount: request.itemCount + added,
        version: request.version + 1,
      };
    });
    return result!;
  }

  async removeItem(caller: Principal, id: string, indicatorId: string): Promise<void> {
    await this.transition(id, undefined, ['draft'], async (manager, request) => {
      if (!(await this.requests.removeItem(manager, id, indicatorId))) throw notFound('item');
      await this.save(manager, request, {});
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.remove_item',
        objectType: 'blocking_request',
        objectId: id,
        summary: { indicatorId },
      });
    });
  }

  async submit(
    caller: Principal,
    id: string,
    body: VersionedAction,
  ): Promise<BlockingRequestDetail> {
    await this.transition(id, body.version, ['draft'], async (manager, request) => {
      const items = await this.requests.allItems(manager, id);
      if (items.length === 0) throw unprocessable('A request without items cannot be submitted');
      this.checkPublishable(request, items, this.clock.now());
      await this.save(manager, request, {
        status: 'pending_approval',
        submittedBy: caller.id,
        submittedAt: this.clock.now(),
      });
      await this.requests.addHistory(manager, id, 'draft', 'pending_approval', caller.id, null);
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.submit',
        objectType: 'blocking_request',
        objectId: id,
        summary: { from: 'draft', to: 'pending_approval', items: items.length },
      });
    });
    return this.get(caller, id);
  }

  async return(caller: Principal, id: string, body: ReturnRequest): Promise<BlockingRequestDetail> {
    await this.transition(id, body.version, ['pending_approval'], async (manager, request) => {
      await this.save(manager, request, { status: 'draft', submittedBy: null, submittedAt: null });
      await this.requests.addHistory(
        manager,
        id,
        'pending_approval',
        'draft',
        caller.id,
        body.comment,
      );
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.return',
        objectType: 'blocking_request',
        objectId: id,
        summary: { from: 'pending_approval', to: 'draft', comment: body.comment },
      });
    });
    return this.get(caller, id);
  }

  /**
   * Publication, in one transaction: the state, one assignment per target ISP, the feed
   * changes, the outbox message and the audit event. Refused when the approver submitted it
   * (two-person rule) or when a block item matches a protected list without an override.
   */
  async approve(
    caller: Principal,
    id: string,
    body: VersionedAction,
  ): Promise<BlockingRequestDetail> {
    await this.transition(id, body.version, ['pending_approval'], async (manager, request) => {
      // Four eyes: whoever wrote or submitted the request cannot also sign it.
      if (request.submittedBy === caller.id || request.createdBy === caller.id) {
        throw new ProblemException(HttpStatus.FORBIDDEN, {
          type: ProblemType.twoPersonRule,
          title: 'Two-person rule',
          detail: `You ${request.submittedBy === caller.id ? 'submitted' : 'wrote'} this request: another approver must approve it`,
        });
      }
      // The feed lock first: item statuses are then read after any revocation or expiry that
      // committed before, and none can commit in between (they wait for this lock).
      await this.feed.lock(manager);
      const now = this.clock.now();
      const items = await this.requests.allItems(manager, id);
      this.checkPublishable(request, items, now);
      await this.checkProtected(manager, items);
      const targets = request.targetsAll
        ? await this.requests.allIspIds(manager)
        : request.targetOrganizationIds;
      if (targets.length === 0) throw unprocessable('There is no ISP to address the request to');
      const deadlineAt =
        request.deadlineAt ?? new Date(now.getTime() + request.deadlineHours * HOUR_MS);
      if (deadlineAt <= now) throw unprocessable('The deadline has passed: change it first');
      await this.save(manager, request, {
        status: 'published',
        approvedBy: caller.id,
        publishedAt: now,
        deadlineAt,
      });
      const feed = await this.feed.publish(manager, id, targets);
      await this.requests.insertAssignments(manager, id, feed.publishedTo, deadlineAt);
      await this.requests.addHistory(manager, id, 'pending_approval', 'published', caller.id, null);
      await this.outbox.enqueue(manager, {
        topic: 'request.published',
        aggregateId: id,
        payload: {
          requestId: id,
          documentNumber: request.documentNumber,
          title: request.title,
          publishedAt: now.toISOString(),
          deadlineAt: deadlineAt.toISOString(),
          items: items.length,
          feedVersion: feed.toVersion,
        },
        recipients: [request.issuedBy, ...targets],
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'blocking_request.approve',
        objectType: 'blocking_request',
        objectId: id,
        summary: {
          from: 'pending_approval',
          to: 'published',
          targets: targets.length,
          items: items.length,
          feed,
        },
      });
    });
    return this.get(caller, id);
  }

  /** Withdrawal ends the request's claims: what no other request holds is removed from feeds. */
  async withdraw(
    caller: Principal,
    id: string,
    body: WithdrawRequest,
  ): Promise<BlockingRequestDetail> {
    await this.transition(
      id,
      body.version,
      ['published', 'completed'],
      async (manager, request) => {
        const now = this.clock.now();
        const from = request.status;
        await this.save(manager, request, {
          status: 'withdrawn',
          withdrawnBy: caller.id,
          withdrawnAt: now,
          withdrawalReason: body.reason,
        });
        const feed = await this.feed.withdraw(manager, id);
        await this.requests.withdrawAssignments(manager, id);
        await this.requests.addHistory(manager, id, from, 'withdrawn', caller.id, body.reason);
        const holders = await this.requests.assignedOrganizationIds(manager, id);
        await this.outbox.enqueue(manager, {
          topic: 'request.withdrawn',
          aggregateId: id,
          payload: {
            requestId: id,
            documentNumber: request.documentNumber,
            reason: body.reason,
            withdrawnAt: now.toISOString(),
            feedVersion: feed.toVersion,
          },
          recipients: [request.issuedBy, ...holders],
        });
        await this.audit.record(manager, {
          actor: caller,
          action: 'blocking_request.withdraw',
          objectType: 'blocking_request',
          objectId: id,
          summary: { from, to: 'withdrawn', reason: body.reason, feed },
        });
      },
    );
    return this.get(caller, id);
  }

  /** Locks the request, checks its state and the caller's version, then runs `change`. */
  private async transition(
    id: string,
    version: number | undefined,
    allowed: RequestStatus[],
    change: (manager: EntityManager, request: BlockingRequestEntity) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const request = await this.requests.lockById(manager, id);
      if (!request) throw notFound('blocking request');
      if (!allowed.includes(request.status)) {
        throw invalidState(
          `The request is ${request.status}; this needs it to be ${allowed.join(' or ')}` +
            (request.status === 'published' ? ' (published requests are immutable)' : ''),
        );
      }
      if (version !== undefined && version !== request.version) {
        throw staleVersion('blocking request');
      }
      await change(manager, request);
    });
  }

  private async save(
    manager: EntityManager,
    request: BlockingRequestEntity,
    changes: Partial<BlockingRequestEntity>,
  ): Promise<void> {
    if (!(await this.requests.updateIfVersion(manager, request.id, request.version, changes))) {
      throw staleVersion('blocking request');
    }
  }

  private async checkTargets(all: boolean, ids: string[] | undefined): Promise<void> {
    if (all) return;
    const wanted = [...new Set(ids ?? [])];
    if (wanted.length === 0) {
      throw validationProblem([
        { name: 'targetOrganizationIds', reason: 'name at least one ISP, or set targetsAll' },
      ]);
    }
    const isps = await this.requests.ispIds(wanted);
    const bad = wanted.filter((w) => !isps.has(w));
    if (bad.length > 0) {
      throw validationProblem(
        bad.map((b) => ({
          name: 'targetOrganizationIds',
          reason: `${b} is not an ISP organization`,
        })),
      );
    }
  }

  /** Rules that hold at submission and again at publication. */
  private checkPublishable(
    request: BlockingRequestEntity,
    items: {
      value: string;
      operation: string;
      status: string;
      tlp: string;
      valid_from: Date;
      valid_until: Date | null;
    }[],
    now: Date,
  ): void {
    const blocks = items.filter((i) => i.operation === 'block');
    const future = blocks.filter((i) => i.valid_from > now);
    if (future.length > 0) {
      throw unprocessable(
        `${future.length} block item(s) are not valid yet, e.g. ${future[0].value} (valid from ${future[0].valid_from.toISOString()}): publish them once they are`,
        { values: future.slice(0, MAX_REPORTED).map((i) => i.value) },
      );
    }
    // Past valid_until but not yet expired by the job: as good as expired.
    const inactive = blocks.filter(
      (i) => i.status !== 'active' || (i.valid_until !== null && i.valid_until <= now),
    );
    if (inactive.length > 0) {
      throw unprocessable(
        `${inactive.length} block item(s) are expired or revoked, e.g. ${inactive[0].value}: remove them`,
        { values: inactive.slice(0, MAX_REPORTED).map((i) => i.value) },
      );
    }
    if (request.targetsAll) {
      // Unblock items too: their values are shown to every ISP addressed.
      const red = items.filter((i) => i.tlp === 'RED');
      if (red.length > 0) {
        throw unprocessable(
          `TLP:RED indicators go only to named recipients: address the request to a list of ISPs, or change the TLP of ${red[0].value}`,
          { values: red.slice(0, MAX_REPORTED).map((i) => i.value) },
        );
      }
    }
    if (request.deadlineAt && request.deadlineAt <= now) {
      throw unprocessable('The explicit deadline has passed: change it first');
    }
  }

  /** Block items matching a protected list need an approver's override, one per indicator. */
  private async checkProtected(
    manager: EntityManager,
    items: { indicator_id: string; type: IndicatorType; value: string; operation: string }[],
  ): Promise<void> {
    const matcher = await this.protectedLists.matcher();
    const hits = items
      .filter((i) => i.operation === 'block')
      .map((i) => ({ item: i, matches: matcher.match(i.type, i.value) }))
      .filter((h) => h.matches.length > 0);
    if (hits.length === 0) return;
    const overridden = await this.indicators.overridden(
      manager,
      hits.map((h) => h.item.indicator_id),
    );
    const refused = hits.filter((h) => !overridden.has(h.item.indicator_id));
    if (refused.length === 0) return;
    throw new ProblemException(HttpStatus.UNPROCESSABLE_ENTITY, {
      type: ProblemType.protectedIndicator,
      title: 'Protected indicators',
      detail:
        `${refused.length} block item(s) match a protected list, e.g. ${refused[0].item.value} (${refused[0].matches[0].reason}). ` +
        'Remove them, or have an approver record an override with a reason for each.',
      extensions: {
        protected: refused.slice(0, MAX_REPORTED).map((h) => ({
          indicatorId: h.item.indicator_id,
          value: h.item.value,
          matches: h.matches,
        })),
      },
    });
  }

  private async existingIds(manager: EntityManager, ids: string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await manager.query<{ id: string }[]>(
      `SELECT id FROM indicators WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Set(rows.map((r) => r.id));
  }
}
