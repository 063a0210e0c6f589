import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { WebhooksRepository } from '#src/messaging/webhooks/webhooks.repository.js';
import { repositoryDataSource, rolledBack, Rows } from '#test/support/repository-db.js';

/**
 * Webhook subscriptions, the dispatcher (outbox → deliveries) and the deliverer's leases.
 * Deliveries here are due in 2001, and claims ask for what is due by then: the deliveries of
 * the tests running beside these (due now) are never taken.
 */
describe('WebhooksRepository', () => {
  let ds: DataSource;
  let rows: Rows;
  let repo: WebhooksRepository;
  let creator: { id: string };
  const LONG_AGO = new Date('2001-01-01T00:00:00Z');
  const DUE_BY = new Date('2001-01-02T00:00:00Z');

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    repo = new WebhooksRepository(ds);
    const department = await rows.organization('department');
    creator = await rows.user(department.id, ['admin']);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  async function subscription(organizationId: string, events = ['request.published']) {
    return ds.transaction((m) =>
      repo.insertSubscription(m, {
        organizationId,
        url: 'https://receiver.example/hook',
        events,
        description: null,
        secretEncrypted: Buffer.from('secret'),
        createdBy: creator.id,
      }),
    );
  }

  async function delivery(s: { id: string; organizationId: string }): Promise<string> {
    const [row] = await ds.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (subscription_id, organization_id, event_type, payload, next_attempt_at)
       VALUES ($1, $2, 'request.published', '{"type":"request.published","timestamp":"t","data":{}}', $3)
       RETURNING id`,
      [s.id, s.organizationId, LONG_AGO],
    );
    return row.id;
  }

  describe('dispatchBatch', () => {
    it('makes one delivery per subscription that is a recipient and wants the topic, once', async () => {
      const isp = await rows.organization();
      const other = await rows.organization();
      const wants = await subscription(isp.id);
      const paused = await subscription(isp.id);
      await ds.transaction((m) =>
        repo.updateSubscriptionIfVersion(m, paused.id, paused.version, { active: false }),
      );
      const otherTopic = await subscription(isp.id, ['assignment.overdue']);
      const notRecipient = await subscription(other.id);

      const made = await rolledBack(ds, async (m) => {
        const [message] = await m.query<{ id: string }[]>(
          `INSERT INTO outbox (topic, aggregate_id, payload, recipients)
           VALUES ('request.published', $1, '{"n":1}', $2) RETURNING id::text`,
          [randomUUID(), [isp.id]],
        );
        // Every undispatched message is claimed (others' too: the transaction is rolled back).
        await repo.dispatchBatch(m, 100_000, LONG_AGO);
        const again = await repo.dispatchBatch(m, 100_000, LONG_AGO);
        const deliveries = await m.query<{ subscription_id: string; payload: { data: unknown } }[]>(
          `SELECT subscription_id, payload FROM webhook_deliveries WHERE outbox_id = $1`,
          [message.id],
        );
        const [dispatched] = await m.query<{ dispatched_at: Date | null }[]>(
          `SELECT dispatched_at FROM outbox WHERE id = $1`,
          [message.id],
        );
        return { again, deliveries, dispatched };
      });

      expect(made.deliveries.map((d) => d.subscription_id).sort()).toEqual(
        [wants.id, paused.id].sort(),
      );
      expect(made.deliveries[0].payload.data).toEqual({ n: 1 });
      expect(made.dispatched.dispatched_at).toEqual(LONG_AGO);
      expect(made.again).toEqual({ messages: 0, deliveries: 0 });
      expect([otherTopic.id, notRecipient.id]).not.toContain(made.deliveries[0].subscription_id);
    });
  });

  describe('claimDue', () => {
    it('two workers claiming at once never hold the same delivery', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const ids = new Set<string>();
      for (let i = 0; i < 6; i++) ids.add(await delivery(s));

      const [a, b] = await Promise.all([
        repo.claimDue(DUE_BY, 60_000, 'worker-a', 4),
        repo.claimDue(DUE_BY, 60_000, 'worker-b', 4),
      ]);
      const mine = (list: { id: string }[]) => list.map((d) => d.id).filter((id) => ids.has(id));
      const claimedA = mine(a);
      const claimedB = mine(b);
      expect(claimedA.filter((id) => claimedB.includes(id))).toEqual([]);
      expect(claimedA.length + claimedB.length).toBe(6);
      expect(a.every((d) => d.lockedBy === 'worker-a' && d.lockedUntil !== null)).toBe(true);

      // A live lease holds them: nothing left to claim until the leases are given back.
      expect(mine(await repo.claimDue(DUE_BY, 60_000, 'worker-c', 10))).toEqual([]);
      await repo.releaseLeases(claimedA, 'worker-b'); // not b's: nothing released
      expect(mine(await repo.claimDue(DUE_BY, 60_000, 'worker-c', 10))).toEqual([]);
      await repo.releaseLeases(claimedA, 'worker-a');
      expect(mine(await repo.claimDue(DUE_BY, 60_000, 'worker-c', 10)).sort()).toEqual(
        [...claimedA].sort(),
      );
    });

    it('skips deliveries not yet due, and those of paused or deleted subscriptions', async () => {
      const isp = await rows.organization();
      const paused = await subscription(isp.id);
      const deleted = await subscription(isp.id);
      const live = await subscription(isp.id);
      const ofPaused = await delivery(paused);
      const ofDeleted = await delivery(deleted);
      const ofLive = await delivery(live);
      await ds.transaction((m) =>
        repo.updateSubscriptionIfVersion(m, paused.id, paused.version, { active: false }),
      );
      const stopped = await ds.transaction((m) => repo.softDelete(m, deleted.id, new Date()));
      expect(stopped).toBe(1);

      expect(
        (await repo.claimDue(new Date(LONG_AGO.getTime() - 1), 60_000, 'w', 10)).map((d) => d.id),
      ).not.toContain(ofLive);
      const claimed = (await repo.claimDue(DUE_BY, 60_000, 'w', 1000)).map((d) => d.id);
      expect(claimed).toContain(ofLive);
      expect(claimed).not.toContain(ofPaused);
      expect(claimed).not.toContain(ofDeleted);
      const [dead] = await ds.query<{ status: string }[]>(
        `SELECT status FROM webhook_deliveries WHERE id = $1`,
        [ofDeleted],
      );
      expect(dead.status).toBe('dead');
    });
  });

  describe('recordAttempt', () => {
    it('numbers every attempt, and changes the state only for the lease holder', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const id = await delivery(s);
      const [claimed] = (await repo.claimDue(DUE_BY, 60_000, 'holder', 1000)).filter(
        (d) => d.id === id,
      );
      expect(claimed).toBeDefined();
      const attempt = (worker: string) => ({
        deliveryId: id,
        worker,
        startedAt: new Date(),
        durationMs: 5,
        responseStatus: 500,
        error: 'server error',
      });
      const retryAt = new Date('2001-01-01T01:00:00Z');

      const byOther = await ds.transaction((m) =>
        repo.recordAttempt(m, attempt('intruder'), { status: 'pending', nextAttemptAt: retryAt }),
      );
      const byHolder = await ds.transaction((m) =>
        repo.recordAttempt(m, attempt('holder'), { status: 'pending', nextAttemptAt: retryAt }),
      );
      expect([byOther, byHolder]).toEqual([false, true]);
      expect((await repo.attemptsOf(id)).map((a) => [a.attempt, a.worker])).toEqual([
        [1, 'intruder'],
        [2, 'holder'],
      ]);
      const after = await ds.query<
        { attempts: number; locked_by: string | null; next_attempt_at: Date }[]
      >(`SELECT attempts, locked_by, next_attempt_at FROM webhook_deliveries WHERE id = $1`, [id]);
      expect(after[0]).toEqual({ attempts: 1, locked_by: null, next_attempt_at: retryAt });

      // A succeeded delivery goes back to pending, due now, only through redeliver.
      await repo.claimDue(DUE_BY, 60_000, 'holder', 1000);
      await ds.transaction((m) =>
        repo.recordAttempt(m, attempt('holder'), { status: 'succeeded', at: new Date() }),
      );
      const again = await ds.transaction((m) => repo.redeliver(m, id, LONG_AGO));
      expect(again).toMatchObject({ status: 'pending', attempts: 0, deliveredAt: null });
      expect(await ds.transaction((m) => repo.redeliver(m, id, LONG_AGO))).toBeNull();
    });
  });

  describe('subscriptions', () => {
    it('an update with a stale version changes nothing', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const updated = await ds.transaction((m) =>
        repo.updateSubscriptionIfVersion(m, s.id, s.version, { url: 'https://new.example/h' }),
      );
      expect(updated).toMatchObject({ url: 'https://new.example/h', version: s.version + 1 });
      expect(
        await ds.transaction((m) =>
          repo.updateSubscriptionIfVersion(m, s.id, s.version, { description: 'late' }),
        ),
      ).toBeNull();
    });

    it('a second rotation is refused while the previous secret is in its overlap', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const now = new Date();
      const until = new Date(now.getTime() + 3_600_000);
      const first = await ds.transaction((m) =>
        repo.rotateSecret(m, s.id, Buffer.from('second'), until, now),
      );
      expect(first).toMatchObject({ previousSecretEncrypted: Buffer.from('secret') });
      expect(
        await ds.transaction((m) => repo.rotateSecret(m, s.id, Buffer.from('third'), until, now)),
      ).toBe('overlap');
      const later = new Date(until.getTime() + 1);
      expect(
        await ds.transaction((m) => repo.rotateSecret(m, s.id, Buffer.from('third'), until, later)),
      ).toMatchObject({ secretEncrypted: Buffer.from('third') });
      expect(
        await ds.transaction((m) =>
          repo.rotateSecret(m, randomUUID(), Buffer.from('x'), until, now),
        ),
      ).toBeNull();
    });

    it('lists an organization’s subscriptions newest first, a page at a time', async () => {
      const isp = await rows.organization();
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await subscription(isp.id));
      const first = await repo.listSubscriptions(isp.id, undefined, 2);
      expect(first).toHaveLength(3); // limit + 1: there is more
      const last = first[1];
      const rest = await repo.listSubscriptions(
        isp.id,
        { createdAt: last.createdAt, id: last.id },
        10,
      );
      const seen = [...first.slice(0, 2), ...rest].map((s) => s.id);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(made.map((s) => s.id)));
      const times = [...first.slice(0, 2), ...rest].map((s) => s.createdAt.getTime());
      expect(times).toEqual([...times].sort((x, y) => y - x));
    });
  });
});
