import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import type { Principal, Role } from '#src/identity/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import {
  ProblemException,
  notFound,
  staleVersion,
  invalidState,
  rateLimited,
  unprocessable,
} from '#src/platform/problem/index.js';
import { MessagingConfig } from '#src/messaging/messaging.config.js';
import {
  toDeliveryDetail,
  toDeliveryResponse,
  toWebhookResponse,
  type CreateWebhookRequest,
  type DeliveryDetailResponse,
  type DeliveryListQuery,
  type DeliveryResponse,
  type UpdateWebhookRequest,
  type WebhookResponse,
  type WebhookWithSecretResponse,
} from '#src/messaging/webhooks/dto/webhook.dto.js';
import { WebhookSecrets } from '#src/messaging/webhooks/webhook-secrets.js';
import { formatSecret, newSecretKey } from '#src/messaging/webhooks/webhook-signature.js';
import { UrlRefused, WebhookUrlGuard } from '#src/messaging/webhooks/webhook-url-guard.js';
import {
  WebhooksRepository,
  type DeliveryRow,
  type SubscriptionRow,
} from '#src/messaging/webhooks/webhooks.repository.js';

/** Problem type of a URL refused by the SSRF checks (422). */
export const WEBHOOK_URL_REFUSED = 'urn:threat-exchange:problem:webhook-url-refused';

/**
 * Roles that manage their own organization's webhooks (docs/decisions/0009-webhooks.md); a unit
 * officer, its unit's (case events).
 */
export const WEBHOOK_MANAGERS = [
  'admin',
  'isp_operator',
  'isp_client',
  'unit_officer',
] as const satisfies Role[];

/**
 * Whose webhooks a caller sees: a managing role, only its own organization's (the Department's
 * admin included: the Department's subscriptions are its own business, not the ISPs'); an
 * auditor (without a managing role), every organization's, read-only.
 */
function webhookScope(caller: Principal): { organizationId?: string } {
  return caller.roles.some((r) => (WEBHOOK_MANAGERS as readonly Role[]).includes(r))
    ? { organizationId: caller.organizationId }
    : {};
}

function refused(error: UrlRefused): ProblemException {
  return unprocessable(`The webhook URL is refused: ${error.message}`, {
    type: WEBHOOK_URL_REFUSED,
    title: 'The webhook URL is refused',
    extensions: { 'invalid-params': [{ name: 'url', reason: error.message }] },
  });
}

/** Subscriptions (per organization) and their deliveries: the API side of webhooks. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhooksRepository,
    private readonly guard: WebhookUrlGuard,
    private readonly secrets: WebhookSecrets,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(MessagingConfig) private readonly config: MessagingConfig,
  ) {}

  async list(caller: Principal, query: PageQuery): Promise<Page<WebhookResponse>> {
    const scope = webhookScope(caller);
    return paginate(
      query,
      (after, limit) => this.webhooks.listSubscriptions(scope.organizationId, after, limit),
      toWebhookResponse,
    );
  }

  async get(caller: Principal, id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.visible(caller, id));
  }

  /** A subscription of the caller's organization; its secret is in this answer only. */
  async create(
    caller: Principal,
    request: CreateWebhookRequest,
  ): Promise<WebhookWithSecretResponse> {
    const url = await this.vetted(request.url);
    const key = newSecretKey();
    const created = await this.dataSource.transaction(async (manager) => {
      const cap = this.config.WEBHOOK_MAX_SUBSCRIPTIONS_PER_ORGANIZATION;
      const count = await this.webhooks.lockAndCountSubscriptions(manager, caller.organizationId);
      if (count >= cap) throw subscriptionCapReached(count, cap);
      const row = await this.webhooks.insertSubscription(manager, {
        organizationId: caller.organizationId,
        url,
        events: request.events,
        description: request.description ?? null,
        secretEncrypted: this.secrets.seal(key),
        createdBy: caller.id,
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'webhook.create',
        objectType: 'webhook_subscription',
        objectId: row.id,
        summary: { url: row.url, events: row.events },
      });
      return row;
    });
    return { ...toWebhookResponse(created), secret: formatSecret(key) };
  }

  async update(
    caller: Principal,
    id: string,
    request: UpdateWebhookRequest,
  ): Promise<WebhookResponse> {
    const current = await this.owned(caller, id);
    // Read at the caller's version: the update below then changes exactly this state.
    if (current.version !== request.version) throw staleVersion('webhook subscription');
    const url =
      request.url === undefined || request.url === current.url
        ? undefined
        : await this.vetted(request.url);
    const updated = await this.dataSource.transaction(async (manager) => {
      const row = await this.webhooks.updateSubscriptionIfVersion(manager, id, request.version, {
        url,
        events: request.events,
        description: request.description,
        active: request.active,
      });
      if (!row) throw staleVersion('webhook subscription');
      await this.audit.record(manager, {
        actor: caller,
        action: 'webhook.update',
        objectType: 'webhook_subscription',
        objectId: id,
        summary: {
          changes: fieldChanges(current, {
            url,
            events: request.events,
            description: request.description,
            active: request.active,
          }),
        },
      });
      return row;
    });
    return toWebhookResponse(updated);
  }

  /** Soft delete: the subscription disappears and its pending deliveries stop (dead). */
  async remove(caller: Principal, id: string): Promise<void> {
    await this.owned(caller, id);
    await this.dataSource.transaction(async (manager) => {
      const stopped = await this.webhooks.softDelete(manager, id, this.clock.now());
      if (stopped === null) throw notFound('webhook subscription');
      await this.audit.record(manager, {
        actor: caller,
        action: 'webhook.delete',
        objectType: 'webhook_subscription',
        objectId: id,
        summary: { pendingDeliveriesStopped: stopped },
      });
    });
  }

  /**
   * A new secret (shown once). The previous one keeps signing, beside the new one, for
   * WEBHOOK_SECRET_OVERLAP_HOURS, so the receiver can switch without losing a delivery.
   */
  async rotateSecret(caller: Principal, id: string): Promise<WebhookWithSecretResponse> {
    await this.owned(caller, id);
    const key = newSecretKey();
    const now = this.clock.now();
    const previousUntil = new Date(
      now.getTime() + this.config.WEBHOOK_SECRET_OVERLAP_HOURS * 3600_000,
    );
    const rotated = await this.dataSource.transaction(async (manager) => {
      const row = await this.webhooks.rotateSecret(
        manager,
        id,
        this.secrets.seal(key),
        previousUntil,
        now,
      );
      if (!row) throw notFound('webhook subscription');
      if (row === 'overlap') throw rotationInOverlap();
      await this.audit.record(manager, {
        actor: caller,
        action: 'webhook.rotate_secret',
        objectType: 'webhook_subscription',
        objectId: id,
        summary: { previousSecretExpiresAt: previousUntil.toISOString() },
      });
      return row;
    });
    return { ...toWebhookResponse(rotated), secret: formatSecret(key) };
  }

  async deliveries(
    caller: Principal,
    id: string,
    query: DeliveryListQuery,
  ): Promise<Page<DeliveryResponse>> {
    await this.visible(caller, id);
    return paginate(
      query,
      (after, limit) => this.webhooks.listDeliveries(id, query.status, after, limit),
      toDeliveryResponse,
    );
  }

  async delivery(caller: Principal, deliveryId: string): Promise<DeliveryDetailResponse> {
    const delivery = await this.visibleDelivery(caller, deliveryId);
    return toDeliveryDetail(delivery, await this.webhooks.attemptsOf(deliveryId));
  }

  /** A dead (or succeeded) delivery goes again: pending, due now, its attempt count reset. */
  async redeliver(caller: Principal, deliveryId: string): Promise<DeliveryDetailResponse> {
    const delivery = await this.visibleDelivery(caller, deliveryId, true);
    // The answer is read in the transaction: nothing can fail after the commit (a failure
    // there would release the Idempotency-Key and let a retry redeliver again).
    return this.dataSource.transaction(async (manager) => {
      const row = await this.webhooks.redeliver(manager, deliveryId, this.clock.now());
      if (!row) {
        throw invalidState(
          'Only a dead or succeeded delivery can be redelivered; this one is pending',
          { title: 'The delivery is still pending' },
        );
      }
      await this.audit.record(manager, {
        actor: caller,
        action: 'webhook_delivery.redeliver',
        objectType: 'webhook_delivery',
        objectId: deliveryId,
        summary: {
          subscriptionId: delivery.subscriptionId,
          previousStatus: delivery.status,
          previousAttempts: delivery.attempts,
        },
      });
      return toDeliveryDetail(row, await this.webhooks.attemptsOf(deliveryId, manager));
    });
  }

  private async vetted(raw: string): Promise<string> {
    try {
      return (await this.guard.vet(raw)).url.href;
    } catch (error) {
      if (error instanceof UrlRefused) throw refused(error);
      throw error;
    }
  }

  /** A subscription the caller may see (404 otherwise, exactly as for none). */
  private async visible(caller: Principal, id: string): Promise<SubscriptionRow> {
    const row = await this.webhooks.findSubscription(id);
    const scope = webhookScope(caller);
    if (!row || (scope.organizationId !== undefined && row.organizationId !== scope.organizationId))
      throw notFound('webhook subscription');
    return row;
  }

  /** A subscription of the caller's own organization (writes). */
  private async owned(caller: Principal, id: string): Promise<SubscriptionRow> {
    const row = await this.webhooks.findSubscription(id);
    if (!row || row.organizationId !== caller.organizationId) {
      throw notFound('webhook subscription');
    }
    return row;
  }

  private async visibleDelivery(
    caller: Principal,
    id: string,
    write = false,
  ): Promise<DeliveryRow> {
    const row = await this.webhooks.findDelivery(id);
    const organizationId = write ? caller.organizationId : webhookScope(caller).organizationId;
    if (!row || (organizationId !== undefined && row.organizationId !== organizationId)) {
      throw notFound('webhook delivery');
    }
    return row;
  }
}

/**
 * 429 `webhook-subscriptions-per-organization`: the organization has as many subscriptions as
 * it may. Waiting alone does not help: deleting one does (the detail says so; Retry-After is
 * the usual minute).
 */
function subscriptionCapReached(count: number, cap: number): ProblemException {
  return rateLimited(
    `Your organization has ${count} webhook subscriptions, the most it may have (WEBHOOK_MAX_SUBSCRIPTIONS_PER_ORGANIZATION); delete one it no longer needs (one subscription can take several event types), then retry`,
    { name: 'webhook-subscriptions-per-organization', value: cap, retryAfterSeconds: 60 },
    { title: 'Too many webhook subscriptions' },
  );
}

/**
 * 409 for a second rotation while the previous secret is in its overlap: rotating again would
 * drop the secret the receiver may still be using (decision 0009).
 */
function rotationInOverlap(): ProblemException {
  return invalidState(
    'The previous secret still signs until previousSecretExpiresAt; rotate again after that ' +
      '(or, if a secret leaked, delete the subscription and create a new one)',
    { title: 'A rotation is still in its overlap' },
  );
}
