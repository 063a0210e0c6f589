import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { WebhooksRepository } from '#src/messaging/webhooks/webhooks.repository.js';
import { repositoryDataSource, Rows } from '#test/support/repository-db.js';

/**
 * Webhook subscriptions, the dispatcher (outbox → deliveries) and the deliverer's leases. The
 * webhook workers of tests running beside these claim every due delivery of an active
 * subscription: here subscriptions start paused, are activated only just before a claim (whose
 * lease then keeps the deliveries), and are deleted at the end of each test (their pending
 * deliveries dead). Deliveries are due in 1984 and claims ask for what is due by then, so the
 * deliveries of other tests (due now) are never taken.
 */
describe('WebhooksRepository', () => {
  let ds: DataSource;
  let rows: Rows;
  let repo: WebhooksRepository;
  let creator: { id: string };
  const LONG_AGO = new Date('1984-01-01T00:00:00Z');
  const DUE_BY = new Date('1984-01-02T00:00:00Z');

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

  /** A paused subscription (see above). */
  async function subscription(organizationId: string, events = ['request.published']) {
    const made = await ds.transaction((m) =>
      repo.insertSubscription(m, {
        organizationId,
        url: 'https://receiver.example/hook',
        events,
        description: null,
        secretEncrypted: Buffer.from('secret'),
        createdBy: creator.id,
      }),
    );
    const paused = await ds.transaction((m) =>
      repo.updateSubscriptionIfVersion(m, made.id, made.version, { active: false }),
    );
    return paused!;
  }

  const activate = (s: { id: string }) =>
    ds.query(`UPDATE webhook_subscriptions SET active = true WHERE id = $1`, [s.id]);
  const remove = (...subscriptions: { id: string }[]) =>
    Promise.all(
      subscriptions.map((s) => ds.transaction((m) => repo.softDelete(m, s.id, new Date()))),
    );

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
      const alsoWants = await subscription(isp.id); // paused ones get deliveries too: they wait
      const otherTopic = await subscription(isp.id, ['assignment.overdue']);
      const notRecipient = await subscription(other.id);
      const [message] = await ds.query<{ id: string }[]>(
        `INSERT INTO outbox (topic, aggregate_id, payload, recipients)
         VALUES ('request.published', $1, '{"n":1}', $2) RETURNING id::text`,
        [randomUUID(), [isp.id]],
      );
      const deliveriesOf = () =>
        ds.query<{ subscription_id: string; payload: { data: unknown } }[]>(
          `SELECT subscription_id, payload FROM webhook_deliveries WHERE outbox_id = $1`,
          [message.id],
        );
      // Dispatches every undispatched message, others' too (as the dispatcher of any instance
      // would, at the same time), until ours is done.
      const dispatchAll = async () => {
        for (let i = 0; i < 50; i++) {
          const done = await ds.transaction((m) => repo.dispatchBatch(m, 1000, new Date()));
          if (done.messages === 0) return;
        }
      };
      await dispatchAll();

      const made = await deliveriesOf();
      expect(made.map((d) => d.subscription_id).sort()).toEqual([wants.id, alsoWants.id].sort());
      expect(made[0].payload.data).toEqual({ n: 1 });
      expect(made.map((d) => d.subscription_id)).not.toContain(otherTopic.id);
      expect(made.map((d) => d.subscription_id)).not.toContain(notRecipient.id);
      const [dispatched] = await ds.query<{ dispatched_at: Date | null }[]>(
        `SELECT dispatched_at FROM outbox WHERE id = $1`,
        [message.id],
      );
      expect(dispatched.dispatched_at).toBeInstanceOf(Date);

      // Dispatched again (a crash between the insert and the mark): no second delivery.
      await ds.query(`UPDATE outbox SET dispatched_at = NULL WHERE id = $1`, [message.id]);
      await dispatchAll();
      expect(await deliveriesOf()).toHaveLength(2);
      await remove(wants, alsoWants, otherTopic, notRecipient);
    });
  });

  describe('claimDue', () => {
    it('two workers claiming at once never hold the same delivery', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const ids = new Set<string>();
      for (let i = 0; i < 6; i++) ids.add(await delivery(s));
      await activate(s);

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
      await remove(s);
    });

    it('skips deliveries not yet due, and those of paused or deleted subscriptions', async () => {
      const isp = await rows.organization();
      const paused = await subscription(isp.id);
      const deleted = await subscription(isp.id);
      const live = await subscription(isp.id);
      const ofPaused = await delivery(paused);
      const ofDeleted = await delivery(deleted);
      const ofLive = await delivery(live);
      await activate(live);
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
      await remove(paused, live);
    });
  });

  describe('claimDueFairly', () => {
    /** `n` deliveries of `s`, due `minutesAfter` minutes after LONG_AGO (the order of claims). */
    async function deliveries(
      s: { id: string; organizationId: string },
      n: number,
      minutesAfter = 0,
    ) {
      const made = await ds.query<{ id: string }[]>(
        `INSERT INTO webhook_deliveries (subscription_id, organization_id, event_type, payload, next_attempt_at)
         SELECT $1, $2, 'request.published', '{"type":"request.published","timestamp":"t","data":{}}',
                $3::timestamptz + i * interval '1 millisecond'
           FROM generate_series(1, $4) AS i
         RETURNING id`,
        [s.id, s.organizationId, new Date(LONG_AGO.getTime() + minutesAfter * 60_000), n],
      );
      return made.map((d) => d.id);
    }
    const leasedOf = async (organizationId: string) => {
      const [row] = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM webhook_deliveries
          WHERE organization_id = $1 AND status = 'pending' AND locked_until > now()`,
        [organizationId],
      );
      return row.n;
    };

    it('one organization with an older backlog gets its bound, the next organization its turn', async () => {
      const hog = await rows.organization();
      const other = await rows.organization();
      // The hog: its 10 subscriptions (the cap) with 30 due deliveries each, all older.
      const hogs = [];
      for (let i = 0; i < 10; i++) hogs.push(await subscription(hog.id));
      for (const s of hogs) await deliveries(s, 30);
      const patient = await subscription(other.id);
      const [waiting] = await deliveries(patient, 1, 5);
      for (const s of [...hogs, patient]) await activate(s);

      const first = await repo.claimDueFairly(DUE_BY, 60_000, 'w-1', 10, 2);
      const ofHog = first.claimed.filter((d) => d.organizationId === hog.id);
      expect(ofHog).toHaveLength(2);
      // The oldest two of the hog's, and the other organization's although it is younger.
      expect(first.claimed.map((d) => d.id)).toContain(waiting);
      expect(first.deferred).toBeGreaterThan(0);
      expect(await leasedOf(hog.id)).toBe(2);

      // While the hog's two are leased (its receiver hangs), it gets nothing more.
      const second = await repo.claimDueFairly(DUE_BY, 60_000, 'w-2', 10, 2);
      expect(second.claimed.filter((d) => d.organizationId === hog.id)).toEqual([]);
      // One lease given back: one slot again, the next oldest.
      await repo.releaseLeases([ofHog[1].id], 'w-1');
      const third = await repo.claimDueFairly(DUE_BY, 60_000, 'w-3', 10, 2);
      expect(third.claimed.filter((d) => d.organizationId === hog.id).map((d) => d.id)).toEqual([
        ofHog[1].id,
      ]);
      expect(await leasedOf(hog.id)).toBe(2);
      await remove(...hogs, patient);
    });

    it('the bound holds across concurrent claimers', async () => {
      const hog = await rows.organization();
      const hogs = [];
      for (let i = 0; i < 4; i++) hogs.push(await subscription(hog.id));
      for (const s of hogs) await deliveries(s, 20);
      for (const s of hogs) await activate(s);

      for (let round = 0; round < 5; round++) {
        const claims = await Promise.all(
          ['a', 'b', 'c', 'd'].map((w) =>
            repo.claimDueFairly(DUE_BY, 60_000, `${w}-${round}`, 10, 3),
          ),
        );
        const ofHog = claims.flatMap((c) => c.claimed).filter((d) => d.organizationId === hog.id);
        expect(ofHog.length).toBeLessThanOrEqual(3);
        expect(await leasedOf(hog.id)).toBe(3);
        expect(new Set(ofHog.map((d) => d.id)).size).toBe(ofHog.length);
        // The round's deliveries done: their leases end, the next round takes the next ones.
        await ds.query(
          `UPDATE webhook_deliveries SET status = 'succeeded', locked_until = NULL, locked_by = NULL
            WHERE organization_id = $1 AND locked_until > now()`,
          [hog.id],
        );
      }
      await remove(...hogs);
    });
  });

  describe('recordAttempt', () => {
    it('numbers every attempt, and changes the state only for the lease holder', async () => {
      const isp = await rows.organization();
      const s = await subscription(isp.id);
      const id = await delivery(s);
      await activate(s);
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
      // Retried in 2099: due for no worker meanwhile.
      const retryAt = new Date('2099-01-01T00:00:00Z');

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

      // Due again, claimed again, delivered: it goes back to pending only through redeliver.
      await ds.query(`UPDATE webhook_deliveries SET next_attempt_at = $2 WHERE id = $1`, [
        id,
        LONG_AGO,
      ]);
      expect((await repo.claimDue(DUE_BY, 60_000, 'holder', 1000)).map((d) => d.id)).toContain(id);
      expect(
        await ds.transaction((m) =>
          repo.recordAttempt(m, attempt('holder'), { status: 'succeeded', at: new Date() }),
        ),
      ).toBe(true);
      const again = await ds.transaction((m) => repo.redeliver(m, id, retryAt));
      expect(again).toMatchObject({ status: 'pending', attempts: 0, deliveredAt: null });
      expect(await ds.transaction((m) => repo.redeliver(m, id, retryAt))).toBeNull();
      await remove(s);
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
