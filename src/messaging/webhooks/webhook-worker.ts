import { PeriodicRun } from '#src/platform/jobs/index.js';
import { randomBytes, randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { MessagingConfig } from '#src/messaging/messaging.config.js';
import { PlatformConfig } from '#src/platform/config/index.js';
import { postPinned, type PostOutcome } from '#src/messaging/webhooks/webhook-http.js';
import { WebhookSecrets } from '#src/messaging/webhooks/webhook-secrets.js';
import { signatureHeaders } from '#src/messaging/webhooks/webhook-signature.js';
import {
  UrlRefused,
  untilAborted,
  WebhookUrlGuard,
} from '#src/messaging/webhooks/webhook-url-guard.js';
import {
  WebhooksRepository,
  type DeliveryRow,
} from '#src/messaging/webhooks/webhooks.repository.js';

/** A lease outlives the attempt's timeout by this much before another worker may take over. */
const LEASE_MARGIN_MS = 30_000;
/**
 * An attempt starts only if its lease has at least WEBHOOK_TIMEOUT_MS plus this left: time to
 * record it once its deadline has passed, before another worker may take the delivery over.
 */
const RECORD_MARGIN_MS = 5_000;
/** Outbox batches fanned out per round at most (the next round continues). */
const MAX_DISPATCH_BATCHES = 20;

/** The attempt's deadline passed before it got an answer. */
class AttemptDeadline extends Error {
  override readonly name = 'AttemptDeadline';
}

export interface WorkerRound {
  /** Outbox messages fanned out, and deliveries created. */
  dispatched: number;
  created: number;
  /** Deliveries attempted, and how many of them succeeded. */
  attempted: number;
  succeeded: number;
}

/**
 * The webhook worker of one instance. The dispatcher fans undispatched outbox messages out
 * into deliveries (one per active subscription of a recipient organization that wants the
 * event type), in the transaction that marks them dispatched. The deliverer leases due
 * deliveries (FOR UPDATE SKIP LOCKED, then a lease in the row), POSTs each, signed, to its
 * vetted address, and records the attempt: 2xx succeeded; otherwise retried with exponential
 * backoff and full jitter until WEBHOOK_MAX_ATTEMPTS, then dead. Several instances share the
 * work without delivering a message twice.
 */
/**
 * The n-th retry's delay: exponential backoff with full jitter, random in
 * [0, min(cap, base·2^(n−1))]. `random(min, max)` draws an integer in [min, max).
 */
export function backoffDelayMs(
  failedAttempts: number,
  baseMs: number,
  capMs: number,
  random: (min: number, max: number) => number = randomInt,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failedAttempts - 1, 40));
  return random(0, Math.floor(ceiling) + 1);
}

@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('Webhooks');
  /** Names this worker in leases and attempts. */
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly periodic = new PeriodicRun('Webhook round', this.log);

  constructor(
    private readonly dataSource: DataSource,
    private readonly webhooks: WebhooksRepository,
    private readonly guard: WebhookUrlGuard,
    private readonly secrets: WebhookSecrets,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    @Inject(MessagingConfig) private readonly config: MessagingConfig,
    @Inject(PlatformConfig) private readonly platform: PlatformConfig,
  ) {}

  /** WEBHOOK_POLL_INTERVAL_MS, or its default: 1000, off under NODE_ENV=test. */
  get pollIntervalMs(): number {
    return this.config.WEBHOOK_POLL_INTERVAL_MS ?? (this.platform.NODE_ENV === 'test' ? 0 : 1000);
  }

  onApplicationBootstrap(): void {
    this.periodic.start(this.pollIntervalMs, () => this.runOnce());
  }

  onApplicationShutdown(): Promise<void> {
    return this.periodic.stop();
  }

  /** One round: fan out the outbox, then attempt the deliveries due now. */
  async runOnce(): Promise<WorkerRound> {
    const { dispatched, created } = await this.dispatchOnce();
    const { attempted, succeeded } = await this.deliverOnce();
    return { dispatched, created, attempted, succeeded };
  }

  /** Fans out undispatched outbox messages, batch by batch, until none is left (or a bound). */
  async dispatchOnce(): Promise<{ dispatched: number; created: number }> {
    let dispatched = 0;
    let created = 0;
    for (let i = 0; i < MAX_DISPATCH_BATCHES; i++) {
      const batch = await this.dataSource.transaction((manager) =>
        this.webhooks.dispatchBatch(manager, this.config.WEBHOOK_BATCH_SIZE, this.clock.now()),
      );
      dispatched += batch.messages;
      created += batch.deliveries;
      if (batch.messages < this.config.WEBHOOK_BATCH_SIZE) break;
    }
    return { dispatched, created };
  }

  /**
   * Leases the deliveries due now (one batch, at most WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION
   * leased per organization across instances) and attempts them, WEBHOOK_CONCURRENCY at a time.
   * The lease ends at the database's now() + timeout + 30 s; here it is tracked on the
   * monotonic clock from before the claim was sent, so it ends no earlier than we think. An
   * attempt starts only while its remaining lease covers its whole deadline (+ 5 s to record
   * it); the deliveries left over are given back, never sent late under a lapsed lease.
   */
  async deliverOnce(): Promise<{ attempted: number; succeeded: number }> {
    const timeoutMs = this.config.WEBHOOK_TIMEOUT_MS;
    const concurrency = this.config.WEBHOOK_CONCURRENCY;
    const leaseMs = timeoutMs + LEASE_MARGIN_MS;
    // Claim no more than the lanes can start within the lease.
    const waves = Math.max(1, Math.floor((leaseMs - RECORD_MARGIN_MS) / timeoutMs));
    const limit = Math.min(this.config.WEBHOOK_BATCH_SIZE, concurrency * waves);
    const leaseEnds = performance.now() + leaseMs;
    const { claimed, deferred } = await this.webhooks.claimDueFairly(
      this.clock.now(),
      leaseMs,
      this.workerId,
      limit,
      this.config.WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION,
    );
    if (deferred > 0) {
      this.log.debug(
        `${deferred} due deliveries deferred: their organization has ` +
          `WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION (${this.config.WEBHOOK_MAX_IN_FLIGHT_PER_ORGANIZATION}) leased`,
      );
    }
    let next = 0;
    let attempted = 0;
    let succeeded = 0;
    const unstarted: string[] = [];
    const lane = async (): Promise<void> => {
      while (next < claimed.length) {
        const delivery = claimed[next++];
        if (leaseEnds - performance.now() < timeoutMs + RECORD_MARGIN_MS) {
          unstarted.push(delivery.id);
          continue;
        }
        attempted++;
        if (await this.attempt(delivery)) succeeded++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, lane));
    if (unstarted.length > 0) {
      this.log.warn(`${unstarted.length} leased deliveries not started in time: given back`);
      await this.webhooks.releaseLeases(unstarted, this.workerId);
    }
    return { attempted, succeeded };
  }

  backoffMs(failedAttempts: number): number {
    return backoffDelayMs(
      failedAttempts,
      this.config.WEBHOOK_RETRY_BASE_MS,
      this.config.WEBHOOK_RETRY_CAP_MS,
    );
  }

  /** One attempt of one leased delivery; true when it succeeded. */
  private async attempt(delivery: DeliveryRow): Promise<boolean> {
    const startedAt = this.clock.now();
    const t0 = performance.now();
    const outcome = await this.send(delivery, startedAt);
    const durationMs = Math.round(performance.now() - t0);

    const status = outcome.status ?? null;
    const ok = status !== null && status >= 200 && status < 300;
    const error = ok
      ? null
      : (outcome.error ??
        (status !== null && status >= 300 && status < 400
          ? `redirect refused (HTTP ${status}): redirects are never followed`
          : `HTTP ${status}`));
    const attempts = delivery.attempts + 1;
    const finishedAt = this.clock.now();
    const next = ok
      ? ({ status: 'succeeded', at: finishedAt } as const)
      : attempts >= this.config.WEBHOOK_MAX_ATTEMPTS
        ? ({ status: 'dead', at: finishedAt } as const)
        : ({
            status: 'pending',
            nextAttemptAt: new Date(finishedAt.getTime() + this.backoffMs(attempts)),
          } as const);

    const recorded = await this.dataSource.transaction(async (manager) => {
      const done = await this.webhooks.recordAttempt(
        manager,
        {
          deliveryId: delivery.id,
          worker: this.workerId,
          startedAt,
          durationMs,
          responseStatus: status,
          error,
        },
        next,
      );
      // Attempts are machine work with their own log (webhook_attempts); dead-lettering ends
      // the delivery until somebody redelivers it: that is recorded.
      if (done && next.status === 'dead') {
        await this.audit.record(manager, {
          actor: 'system',
          action: 'webhook_delivery.dead',
          objectType: 'webhook_delivery',
          objectId: delivery.id,
          summary: {
            subscriptionId: delivery.subscriptionId,
            eventType: delivery.eventType,
            from: 'pending',
            to: 'dead',
            attempts,
            lastStatus: status,
            lastError: error === null ? null : error.slice(0, 200),
          },
        });
      }
      return done;
    });
    const line =
      `webhook delivery ${delivery.id} (${delivery.eventType}) attempt ${attempts}: ` +
      `${ok ? `delivered, HTTP ${status}` : `failed, ${error}`}; ` +
      (next.status === 'pending'
        ? `retry at ${next.nextAttemptAt.toISOString()}`
        : next.status === 'dead'
          ? 'dead-lettered'
          : 'done');
    if (!recorded) {
      this.log.warn(`${line} (not recorded: the lease was taken over)`);
    } else if (ok) {
      this.log.log(line);
    } else {
      this.log.warn(line);
    }
    return ok && recorded;
  }

  /**
   * Reads the subscription, vets the URL again (DNS may have changed), signs and POSTs, all
   * under one deadline (WEBHOOK_TIMEOUT_MS from the start); never throws.
   */
  private async send(delivery: DeliveryRow, now: Date): Promise<PostOutcome> {
    const timeoutMs = this.config.WEBHOOK_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const late = (step: string) => (): Error =>
      new AttemptDeadline(`no response within ${timeoutMs} ms (deadline passed ${step})`);
    try {
      const subscription = await untilAborted(
        this.webhooks.findSubscription(delivery.subscriptionId),
        deadline,
        late('reading the subscription'),
      );
      if (!subscription) return { error: 'the subscription was deleted' };
      let target;
      try {
        target = await this.guard.vet(subscription.url, deadline);
      } catch (error) {
        if (deadline.aborted) {
          return {
            error: `no response within ${timeoutMs} ms (deadline passed resolving the host: no DNS answer)`,
          };
        }
        if (error instanceof UrlRefused)
          return { error: `refused (SSRF protection): ${error.message}` };
        throw error;
      }
      const { type, timestamp, data } = delivery.payload;
      const body = JSON.stringify({ type, timestamp, data });
      const headers = signatureHeaders(
        this.secrets.signingKeys(subscription, now),
        delivery.id,
        Math.floor(now.getTime() / 1000),
        body,
      );
      return await postPinned(target, target.addresses[0], headers, body, timeoutMs, deadline);
    } catch (error) {
      if (error instanceof AttemptDeadline) return { error: error.message };
      return { error: `internal error: ${String(error)}` };
    }
  }
}
