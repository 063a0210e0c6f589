import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { ExpiryJob } from '#src/publishing/indicators/expiry.job.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';
import {
  departmentStaff,
  isp,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';

const HOUR = 3600_000;

/**
 * The expiry job, driven by a clock the test moves: indicators past valid_until leave every
 * ISP's feed once, however often the job runs and however many instances run it.
 */
describe('expiry of indicators at valid_until', () => {
  // Two application instances on one database, each with its own clock and job.
  let one: TestApp;
  let two: TestApp;
  const clockOne = new ManualClock();
  const clockTwo = new ManualClock();
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  let ispA: { org: { id: string } };
  let ispB: { org: { id: string } };

  const create = async (validUntil: Date): Promise<string> => {
    const res = await request(one.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${staff.analyst}`)
      .send({ value: unprotected.domain(), validUntil: validUntil.toISOString() })
      .expect(status(201));
    return res.body.value as string;
  };
  const removals = async (values: string[]) =>
    db.query<{ value: string; organization_id: string; reason: string }[]>(
      `SELECT i.value, c.organization_id, c.reason FROM feed_changes c
         JOIN indicators i ON i.id = c.indicator_id
        WHERE c.op = 'remove' AND i.value = ANY($1) ORDER BY i.value, c.organization_id`,
      [values],
    );

  beforeAll(async () => {
    // The interval job is off: the test runs it by hand with its clock.
    one = await createTestApp({ clock: clockOne, env: { EXPIRY_INTERVAL_S: '0' } });
    two = await createTestApp({ clock: clockTwo, env: { EXPIRY_INTERVAL_S: '0' } });
    db = one.app.get(DataSource);
    staff = await departmentStaff(one.app);
    flow = new RequestFlow(one.app, staff);
    [ispA, ispB] = [await isp(one.app), await isp(one.app)];
  });
  afterAll(async () => {
    await one.close();
    await two.close();
  });

  it('removes expired indicators from every ISP once, and marks them expired with history', async () => {
    const start = new Date();
    clockOne.set(start);
    const soon = await create(new Date(start.getTime() + HOUR));
    const later = await create(new Date(start.getTime() + 3 * HOUR));
    clockOne.set(new Date()); // publication checks validFrom (set by the database) against the clock
    await flow.publish([ispA.org.id, ispB.org.id], [soon, later]);
    const job = one.app.get(ExpiryJob);

    // Not yet due.
    clockOne.set(new Date(start.getTime() + HOUR - 1000));
    await job.runOnce();
    expect(await removals([soon, later])).toEqual([]);

    clockOne.set(new Date(start.getTime() + 2 * HOUR));
    const first = await job.runOnce();
    expect(first.expired).toBeGreaterThanOrEqual(1);
    expect(await removals([soon, later])).toEqual(
      [ispA.org.id, ispB.org.id].sort().map((org) => ({
        value: soon,
        organization_id: org,
        reason: 'expiry',
      })),
    );
    // Idempotent: running again at the same time changes nothing.
    await job.runOnce();
    expect(await removals([soon, later])).toHaveLength(2);

    const found = await request(one.server)
      .get(`/api/v1/indicators?valuePrefix=${soon}`)
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    const detail = await request(one.server)
      .get(`/api/v1/indicators/${found.body.items[0].id as string}`)
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    expect(detail.body).toMatchObject({ status: 'expired' });
    expect(detail.body.history).toMatchObject([
      { from: 'active', to: 'expired', reason: 'valid_until reached', actorId: null },
    ]);
    const active = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
        WHERE i.value = $1`,
      [soon],
    );
    expect(active[0].n).toBe(0);
    await one.sealAudit();
    const audit = await db.query<{ actor_type: string }[]>(
      `SELECT actor_type FROM audit_events WHERE action = 'indicator.expire' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit[0].actor_type).toBe('system');
  });

  it('two instances running the job at once expire each indicator exactly once', async () => {
    const start = new Date();
    clockOne.set(start);
    const values = await Promise.all(
      Array.from({ length: 40 }, (_, i) => create(new Date(start.getTime() + HOUR + i))),
    );
    clockOne.set(new Date());
    await flow.publish([ispA.org.id, ispB.org.id], values);
    const due = new Date(start.getTime() + 2 * HOUR);
    clockOne.set(due);
    clockTwo.set(due);
    const jobs = [one.app.get(ExpiryJob), two.app.get(ExpiryJob)];
    await Promise.all([...jobs.map((j) => j.runOnce()), ...jobs.map((j) => j.runOnce())]);
    const removed = await removals(values);
    expect(removed).toHaveLength(values.length * 2);
    expect(new Set(removed.map((r) => `${r.value} ${r.organization_id}`)).size).toBe(
      values.length * 2,
    );
    const history = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM indicator_status_history h JOIN indicators i ON i.id = h.indicator_id
        WHERE i.value = ANY($1) AND h.to_status = 'expired'`,
      [values],
    );
    expect(history[0].n).toBe(values.length);
  });

  it('refuses to publish a block of an expired indicator', async () => {
    const start = new Date();
    clockOne.set(start);
    const value = await create(new Date(start.getTime() + HOUR));
    clockOne.set(new Date(start.getTime() + 2 * HOUR));
    await one.app.get(ExpiryJob).runOnce();
    const draft = await flow.draft([ispA.org.id]);
    await flow.addValues(draft.id as string, [value]);
    const res = await flow
      .raw('post', `/${draft.id as string}/submit`, staff.analyst)
      .send({ version: 2 })
      .expect(422);
    expect(res.body.detail).toMatch(/expired or revoked/);
  });
});
