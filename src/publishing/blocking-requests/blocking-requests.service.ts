import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import { OutboxService } from '#src/messaging/index.js';
import { type Principal, tenantScope } from '#src/identity/index.js';
import type {
  BlockingRequestEntity,
  RequestStatus,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
import { BlockingRequestsRepository } from '#src/publishing/blocking-requests/blocking-requests.repository.js';
import {
  toHistoryEntry,
  toRequestItem,
  toRequestResponse,
} from '#src/publishing/blocking-requests/blocking-request.mapper.js';
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
import {
  checkAddressed,
  checkOverrides,
  checkPublishable,
  checkSubmittable,
  checkTwoPersonRule,
  MAX_REPORTED,
  protectedHits,
  publicationDeadline,
  type PublicationItem,
} from '#src/publishing/blocking-requests/publication-rules.js';
import { RequestAssignments } from '#src/publishing/blocking-requests/request-assignments.js';
import { Clock } from '#src/platform/clock/index.js';
import { pageOf, paginate, type Page } from '#src/platform/pagination/index.js';
import {
  type InvalidParam,
  notFound,
  conflict,
  staleVersion,
  invalidState,
  validationProblem,
} from '#src/platform/problem/index.js';
import { sqlState } from '#src/platform/database/index.js';
import { FeedWriter } from '#src/feeds/index.js';
import {
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
  type Canonical,
  type IndicatorType,
} from '#src/publishing/indicators/canonical.js';
import { TAG_PATTERN } from '#src/publishing/indicators/indicator-attributes.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';

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
    private readonly assignments: RequestAssignments,
    private readonly indicators: IndicatorsRepository,
    private readonly protectedLists: ProtectedListsService,
    private readonly feed: FeedWriter,
    private readonly audit: AuditLog,
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
    const [assignments, history] = await Promise.all([
      this.assignments.summaries(request, audience.organizationId),
      audience.organizationId === undefined ? this.requests.history(id) : Promise.resolve([]),
    ]);
    return {
      ...toRequestResponse(request, audience),
      assignments,
      history: history.map(toHistoryEntry),
    };
  }

  async items(caller: Principal, id: string, query: ItemListQuery): Promise<RequestItemPage> {
    const request = await this.requests.findVisible(id, tenantScope(caller));
    if (!request) throw notFound('blocking request');
    const limit = query.limit ?? 100;
    const rows = await this.requests.itemsPage(id, query.cursor, limit);
    return pageOf(rows, limit, toRequestItem, (r) => r.indicator_id);
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
          throw conflict(
            `A blocking request with document number ${body.documentNumber} exists already`,
          );
        }
        throw error;
      });
    return this.get(caller, id);
  }

  /**
   * A draft with its items, in the caller's transaction (`manager`): what another context
   * drafts in one step with its own change (an incident report's indicators, turned into a
   * request by a responder). The values must be canonical already; missing indicators are
   * created. The document number must be free (a unique violation fails the transaction).
   * Returns the draft's id.
   */
  async createDraftWithin(
    manager: EntityManager,
    caller: Principal,
    draft: Pick<
      CreateBlockingRequest,
      | 'documentNumber'
      | 'title'
      | 'legalBasis'
      | 'description'
      | 'category'
      | 'severity'
      | 'targetsAll'
      | 'targetOrganizationIds'
    >,
    values: readonly { type: IndicatorType; value: string }[],
  ): Promise<string> {
    await this.checkTargets(draft.targetsAll, draft.targetOrganizationIds);
    const created = await this.requests.insert(manager, {
      documentNumber: draft.documentNumber.trim(),
      title: draft.title,
      legalBasis: draft.legalBasis,
      description: draft.description ?? null,
      category: draft.category,
      severity: draft.severity,
      status: 'draft',
      targetsAll: draft.targetsAll,
      targetOrganizationIds: draft.targetsAll ? [] : [...new Set(draft.targetOrganizationIds)],
      dnsAction: 'nxdomain',
      ipAction: 'drop',
      deadlineHours: 24,
      deadlineAt: null,
      issuedBy: caller.organizationId,
      createdBy: caller.id,
    });
    await this.requests.addHistory(manager, created.id, null, 'draft', caller.id, null);
    const ensured = await this.indicators.ensure(
      manager,
      [...values],
      {},
      caller.kind === 'user' ? caller.id : null,
    );
    const added = await this.requests.addItems(manager, created.id, ensured.ids, 'block');
    await this.audit.record(manager, {
      actor: caller,
      action: 'blocking_request.create',
      objectType: 'blocking_request',
      objectId: created.id,
      summary: {
        documentNumber: created.documentNumber,
        title: created.title,
        items: added,
        indicatorsCreated: ensured.created,
      },
    });
    return created.id;
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
      const known = await this.indicators.existing(manager, ids);
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
        throw conflict(
          `${conflicting.length === 100 ? 'At least 100' : conflicting.length} indicator(s) are in the request already with the other operation, e.g. ${conflicting[0].value}: remove them first`,
          {
            extensions: {
              indicators: conflicting.map((c) => ({ id: c.indicator_id, value: c.value })),
            },
          },
        );
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
      checkSubmittable(items);
      checkPublishable(request, items, this.clock.now());
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
      checkTwoPersonRule(request, caller.id);
      // The feed lock first: item statuses are then read after any revocation or expiry that
      // committed before, and none can commit in between (they wait for this lock).
      await this.feed.lock(manager);
      const now = this.clock.now();
      const items = await this.requests.allItems(manager, id);
      checkPublishable(request, items, now);
      await this.checkProtected(manager, items);
      const targets = request.targetsAll
        ? await this.requests.allIspIds(manager)
        : request.targetOrganizationIds;
      checkAddressed(targets);
      const deadlineAt = publicationDeadline(request, now);
      await this.save(manager, request, {
        status: 'published',
        approvedBy: caller.id,
        publishedAt: now,
        deadlineAt,
      });
      const feed = await this.feed.publish(manager, id, targets);
      await this.assignments.open(manager, id, feed.publishedTo, deadlineAt);
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
        const holders = await this.assignments.withdraw(manager, id);
        await this.requests.addHistory(manager, id, from, 'withdrawn', caller.id, body.reason);
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

  /** Block items matching a protected list need an approver's override, one per indicator. */
  private async checkProtected(manager: EntityManager, items: PublicationItem[]): Promise<void> {
    const hits = protectedHits(items, await this.protectedLists.matcher());
    if (hits.length === 0) return;
    const overridden = await this.indicators.overridden(
      manager,
      hits.map((h) => h.item.indicator_id),
    );
    checkOverrides(hits, overridden);
  }
}
