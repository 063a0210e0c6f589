import { ownerQuery } from '#test/support/database-urls.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestApp, type TestApp } from '#test/support/test-app.js';
import {
  departmentStaff,
  isp,
  RequestFlow,
  unprotected,
  type Staff,
} from '#test/support/requests.js';

/**
 * Publication under pressure: a revocation racing an approval, a failure late in the
 * publishing transaction, hashes, conflicting items, client mistakes, TLP:RED.
 */
describe('publication integrity', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  let ispA: { org: { id: string } };
  let ispB: { org: { id: string } };

  const changesOf = (orgId: string, requestId: string) =>
    db.query<{ value: string; op: string }[]>(
      `SELECT i.value, c.op FROM feed_changes c JOIN indicators i ON i.id = c.indicator_id
        WHERE c.organization_id = $1 AND c.request_id = $2 ORDER BY c.version`,
      [orgId, requestId],
    );
  const activeValues = async (orgId: string, values: string[]): Promise<string[]> =>
    (
      await db.query<{ value: string }[]>(
        `SELECT i.value FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
          WHERE a.organization_id = $1 AND i.value = ANY($2) ORDER BY i.value`,
        [orgId, values],
      )
    ).map((r) => r.value);
  const analyst = () => staff.analyst;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
    [ispA, ispB] = [await isp(t.app), await isp(t.app)];
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads item statuses under the feed lock: a revocation that commits first stops the approval', async () => {
    const value = unprotected.domain();
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, [value]);
    await flow.submit(id);
    const { version } = await flow.get(id);
    // Another transaction holds the feed lock while the approval starts, then revokes the
    // indicator and commits: the approval must see the revocation.
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      await runner.query(`SELECT last FROM feed_version FOR UPDATE`);
      const approval = flow.approveCall(id, version as number).then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runner.query(`UPDATE indicators SET status = 'revoked' WHERE value = $1`, [value]);
      await runner.commitTransaction();
      const res = await approval;
      expect(res.status).toBe(422);
      expect(res.body.detail).toMatch(/expired or revoked/);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
    expect(await activeValues(ispA.org.id, [value])).toEqual([]);
    expect(await flow.get(id)).toMatchObject({ status: 'pending_approval' });
  });

  it('publishes nothing when the transaction fails late (at the outbox write)', async () => {
    const documentNumber = `FAIL-${randomBytes(4).toString('hex')}`;
    const value = unprotected.domain();
    await ownerQuery(`
      CREATE OR REPLACE FUNCTION test_fail_outbox() RETURNS trigger AS $$
      BEGIN
        IF NEW.payload->>'documentNumber' LIKE 'FAIL-%' THEN
          RAISE EXCEPTION 'injected failure';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_outbox ON outbox`);
    await ownerQuery(
      `CREATE TRIGGER test_fail_outbox BEFORE INSERT ON outbox
         FOR EACH ROW EXECUTE FUNCTION test_fail_outbox()`,
    );
    try {
      const draft = await flow.draft([ispA.org.id, ispB.org.id], { documentNumber });
      const id = draft.id as string;
      await flow.addValues(id, [value]);
      await flow.submit(id);
      const { version } = await flow.get(id);
      await flow.approveCall(id, version as number).expect(500);
      expect(await flow.get(id)).toMatchObject({ status: 'pending_approval', assignments: [] });
      expect(await changesOf(ispA.org.id, id)).toEqual([]);
      expect(await activeValues(ispA.org.id, [value])).toEqual([]);
      expect(await db.query(`SELECT 1 FROM feed_claims WHERE request_id = $1`, [id])).toEqual([]);
      await t.sealAudit();
      expect(
        await db.query(
          `SELECT 1 FROM audit_events WHERE object_id = $1 AND action = 'blocking_request.approve'`,
          [id],
        ),
      ).toEqual([]);
      // The version counter rolled back with the rest: the change log has no gap.
      const [log] = await db.query<{ last: number; n: number; top: number | null }[]>(
        `SELECT (SELECT last FROM feed_version)::int AS last, count(DISTINCT version)::int AS n,
                max(version)::int AS top FROM feed_changes`,
      );
      expect(log.n).toBe(log.top ?? 0);
      expect(log.last).toBe(log.n);
    } finally {
      await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_outbox ON outbox`);
    }
  });

  it('keeps hashes out of the feeds, and refuses an item with both operations', async () => {
    const md5 = randomBytes(16).toString('hex');
    const domain = unprotected.domain();
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, [md5, domain]);
    const conflict = await flow
      .raw('post', `/${id}/items`, analyst())
      .send({ values: [domain], operation: 'unblock' })
      .expect(409);
    expect(conflict.body.indicators).toMatchObject([{ value: domain }]);
    await flow.submit(id);
    await flow.approve(id);
    expect((await changesOf(ispA.org.id, id)).map((c) => c.value)).toEqual([domain]);
  });

  it('answers client mistakes on drafts and indicators with 400, never 500', async () => {
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    for (const body of [
      { version: 1, title: null },
      { version: 1, targetsAll: null },
      { version: 1, deadlineHours: null },
      { version: 1, description: null },
    ]) {
      const res = await flow.raw('patch', `/${id}`, analyst()).send(body).expect(400);
      expect(res.body.type).toBe('urn:threat-exchange:problem:validation');
    }
    const past = '2001-01-01T00:00:00Z';
    for (const defaults of [{ validUntil: past }, { tags: ['bad"tag'] }]) {
      await flow
        .raw('post', `/${id}/items`, analyst())
        .send({ values: [unprotected.domain()], defaults })
        .expect(400);
    }
    expect((await flow.get(id)).itemCount).toBe(0);
    const indicators = (path = '') =>
      request(t.server)
        .post(`/api/v1/indicators${path}`)
        .set('authorization', `Bearer ${analyst()}`);
    const created = await indicators()
      .send({ value: unprotected.domain(), validUntil: '2099-01-01T00:00:00Z' })
      .expect(201);
    for (const body of [
      { value: unprotected.domain(), validUntil: past },
      {
        value: unprotected.domain(),
        validFrom: '2030-01-02T00:00:00Z',
        validUntil: '2030-01-01T00:00:00Z',
      },
    ]) {
      await indicators().send(body).expect(400);
    }
    for (const body of [
      { version: 1, tlp: null },
      { version: 1, tags: null },
      { version: 1, validFrom: '2100-01-01T00:00:00Z' },
    ]) {
      await request(t.server)
        .patch(`/api/v1/indicators/${created.body.id as string}`)
        .set('authorization', `Bearer ${analyst()}`)
        .send(body)
        .expect(400);
    }
  });

  it('answers 409 with the existing id to an indicator that exists in another spelling', async () => {
    const value = unprotected.domain();
    const create = (raw: string) =>
      request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${analyst()}`)
        .send({ value: raw });
    const first = await create(value).expect(201);
    const again = await create(`${value.toUpperCase()}.`).expect(409);
    expect(again.body).toMatchObject({
      type: 'urn:threat-exchange:problem:conflict',
      existingId: first.body.id,
    });
    const [row] = await db.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM indicators WHERE value = $1`,
      [value],
    );
    expect(row.n).toBe(1);
  });

  it('refuses TLP:RED for an indicator that a request to all ISPs publishes', async () => {
    const value = unprotected.domain();
    await flow.publish('all', [value]);
    const found = await request(t.server)
      .get(`/api/v1/indicators?valuePrefix=${value}`)
      .set('authorization', `Bearer ${analyst()}`)
      .expect(200);
    const { id, version } = found.body.items[0] as { id: string; version: number };
    const patch = (tlp: string) =>
      request(t.server)
        .patch(`/api/v1/indicators/${id}`)
        .set('authorization', `Bearer ${analyst()}`)
        .send({ version, tlp });
    expect((await patch('RED').expect(409)).body.detail).toMatch(/TLP:RED/);
    await patch('AMBER+STRICT').expect(200);
  });

  it('refuses to publish an indicator that is not valid yet', async () => {
    const created = await request(t.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${analyst()}`)
      .send({ value: unprotected.domain(), validFrom: '2099-01-01T00:00:00Z' })
      .expect(201);
    const draft = await flow.draft([ispA.org.id]);
    await flow
      .raw('post', `/${draft.id as string}/items`, analyst())
      .send({ indicatorIds: [created.body.id] })
      .expect(201);
    const res = await flow
      .raw('post', `/${draft.id as string}/submit`, analyst())
      .send({ version: 2 })
      .expect(422);
    expect(res.body.detail).toMatch(/not valid yet/);
  });
});
