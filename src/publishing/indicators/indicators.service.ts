import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import type { Principal } from '#src/identity/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  ProblemException,
  notFound,
  conflict,
  staleVersion,
  invalidState,
  validationProblem,
} from '#src/platform/problem/index.js';
import { FeedWriter } from '#src/feeds/index.js';
import {
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
  type Canonical,
} from '#src/publishing/indicators/canonical.js';
import {
  toIndicatorResponse,
  type CreateIndicatorRequest,
  type IndicatorDetail,
  type IndicatorListQuery,
  type IndicatorResponse,
  type ProtectionOverrideRequest,
  type RevokeIndicatorRequest,
  type UpdateIndicatorRequest,
} from '#src/publishing/indicators/dto/indicator.dto.js';
import { IndicatorsRepository } from '#src/publishing/indicators/indicators.repository.js';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';

/** A canonicalization failure as the field-level 400 every input path gives. */
export function invalidValue(field: string, result: Extract<Canonical, { ok: false }>) {
  return validationProblem([
    {
      name: field,
      reason: refusalReason(result),
    },
  ]);
}

@Injectable()
export class IndicatorsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly indicators: IndicatorsRepository,
    private readonly feed: FeedWriter,
    private readonly audit: AuditLog,
    private readonly protectedLists: ProtectedListsService,
    private readonly clock: Clock,
  ) {}

  list(query: IndicatorListQuery): Promise<Page<IndicatorResponse>> {
    return paginate(
      query,
      (after, limit) => this.indicators.listPage(query, after, limit),
      toIndicatorResponse,
    );
  }

  async get(id: string): Promise<IndicatorDetail> {
    const indicator = await this.indicators.findById(id);
    if (!indicator) throw notFound('indicator');
    const [requests, history, override] = await Promise.all([
      this.indicators.requestsOf(id),
      this.indicators.historyOf(id),
      this.indicators.overrideOf(id),
    ]);
    return {
      ...toIndicatorResponse(indicator),
      requests: requests.map((r) => ({
        id: r.id,
        documentNumber: r.document_number,
        title: r.title,
        status: r.status,
        operation: r.operation,
      })),
      history: history.map((h) => ({
        from: h.from_status,
        to: h.to_status,
        reason: h.reason,
        actorId: h.actor_id,
        at: h.at.toISOString(),
      })),
      protectionOverride: override && {
        reason: override.reason,
        approvedBy: override.approved_by,
        createdAt: override.created_at.toISOString(),
      },
    };
  }

  async create(caller: Principal, request: CreateIndicatorRequest): Promise<IndicatorResponse> {
    const canonical =
      request.type === undefined
        ? canonicalizeUntyped(request.value)
        : canonicalize(request.type, request.value);
    if (!canonical.ok) throw invalidValue('value', canonical);
    checkValidity(request.validFrom ?? this.clock.now(), request.validUntil);
    const { value: _raw, type: _type, ...attributes } = request;
    return this.dataSource.transaction(async (manager) => {
      const { ids, created } = await this.indicators.ensure(
        manager,
        [{ type: canonical.type, value: canonical.value }],
        attributes,
        caller.kind === 'user' ? caller.id : null,
      );
      if (created === 0) throw alreadyExists(ids[0], canonical.value);
      await this.audit.record(manager, {
        actor: caller,
        action: 'indicator.create',
        objectType: 'indicator',
        objectId: ids[0],
        summary: { type: canonical.type, value: canonical.value },
      });
      return toIndicatorResponse((await this.indicators.findById(ids[0], manager))!);
    });
  }

  async update(
    caller: Principal,
    id: string,
    request: UpdateIndicatorRequest,
  ): Promise<IndicatorResponse> {
    const indicator = await this.indicators.findById(id);
    if (!indicator) throw notFound('indicator');
    const { version, ...changes } = request;
    // Read at the caller's version: the update below then changes exactly this state.
    if (indicator.version !== version) throw staleVersion('indicator');
    checkValidity(
      changes.validFrom ?? indicator.validFrom,
      changes.validUntil ?? indicator.validUntil ?? undefined,
    );
    if (changes.tlp === 'RED' && indicator.tlp !== 'RED') {
      if (await this.indicators.heldForAllIsps(id)) {
        throw invalidState(
          'TLP:RED goes only to named recipients, and a published request to all ISPs blocks this indicator: withdraw it first',
        );
      }
    }
    return this.dataSource.transaction(async (manager) => {
      const updated = await this.indicators.updateIfVersion(id, version, changes, manager);
      if (!updated) throw staleVersion('indicator');
      await this.audit.record(manager, {
        actor: caller,
        action: 'indicator.update',
        objectType: 'indicator',
        objectId: id,
        summary: { value: indicator.value, changes: fieldChanges(indicator, changes) },
      });
      return toIndicatorResponse((await this.indicators.findById(id, manager))!);
    });
  }

  /** Revocation ends every claim on the indicator: each ISP that had it gets a remove. */
  async revoke(
    caller: Principal,
    id: string,
    request: RevokeIndicatorRequest,
  ): Promise<IndicatorDetail> {
    await this.dataSource.transaction(async (manager) => {
      await this.feed.lock(manager); // the same lock order as publication and expiry
      const indicator = await this.indicators.findById(id, manager);
      if (!indicator) throw notFound('indicator');
      const changed = await this.indicators.transition(
        manager,
        [id],
        indicator.status,
        'revoked',
        request.reason,
        caller.id,
      );
      if (indicator.status === 'revoked' || changed.length === 0) {
        throw invalidState(
          `The indicator is ${indicator.status === 'revoked' ? 'already revoked' : 'being changed; retry'}`,
        );
      }
      const feed = await this.feed.retire(manager, [id], 'revocation');
      await this.audit.record(manager, {
        actor: caller,
        action: 'indicator.revoke',
        objectType: 'indicator',
        objectId: id,
        summary: {
          value: indicator.value,
          from: indicator.status,
          to: 'revoked',
          reason: request.reason,
          removed: feed.removed,
        },
      });
    });
    return this.get(id);
  }

  /** An approver allows one protected indicator to be published, with a written reason. */
  async overrideProtection(
    caller: Principal,
    id: string,
    request: ProtectionOverrideRequest,
  ): Promise<IndicatorDetail> {
    const indicator = await this.indicators.findById(id);
    if (!indicator) throw notFound('indicator');
    const matcher = await this.protectedLists.matcher();
    const matches = matcher.match(indicator.type, indicator.value);
    if (matches.length === 0) {
      throw invalidState(
        `${indicator.value} matches no protected list entry: there is nothing to override`,
      );
    }
    await this.dataSource.transaction(async (manager) => {
      await this.indicators.insertOverride(manager, id, request.reason, caller.id, matches);
      await this.audit.record(manager, {
        actor: caller,
        action: 'indicator.protection_override',
        objectType: 'indicator',
        objectId: id,
        summary: { value: indicator.value, reason: request.reason, matches },
      });
    });
    return this.get(id);
  }
}

function alreadyExists(id: string, value: string): ProblemException {
  return conflict(`The indicator ${value} exists already`, { extensions: { existingId: id } });
}

/** validUntil after validFrom (which defaults to now: an indicator cannot be born expired). */
export function checkValidity(validFrom: Date | undefined, validUntil: Date | undefined): void {
  if (validFrom && validUntil && validUntil <= validFrom) {
    throw validationProblem([
      {
        name: 'validUntil',
        reason: 'validUntil must be after validFrom (and after now when validFrom is not given)',
      },
    ]);
  }
}
