import { ownerQuery } from '#test/support/database-urls.js';
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ConfirmationsRepository } from '#src/obligations/assignments/confirmations.repository.js';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  isp,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

type Json = Record<string, unknown>;
const HOUR = 3600_000;

/**
 * The ISP side of assignments: list and overdue by the clock, acknowledgement, confirmations
 * (rules, corrections, history, completion of the request, atomicity with the audit event and
 * the outbox) and feed receipts (served versions, hash checks, what they confirm).
 */
describe('assignments, confirmations and feed receipts', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  const clock = new ManualClock(new Date(Date.now() + HOUR));

  const api = (token: string) => {
    const agent = request(t.server);
    return {
      get: (path: string) => agent.get(`/api/v1${path}`).set('authorization', `Bearer ${token}`),
      post: (path: string, body: object = {}) =>
        agent.post(`/api/v1${path}`).set('authorization', `Bearer ${token}`).send(body),
    };
  };

  /** Publishes to these ISPs; returns the request and each ISP's assignment id. */
  const publish = async (
    orgIds: string[],
    values = [unprotected.domain()],
    overrides: Json = {},
  ) => {
    const draft = await flow.draft(orgIds, overrides);
    const id = draft.id as string;
    await flow.addValues(id, values);
    await flow.submit(id);
    const published = await flow.approve(id);
    const assignments = published.assignments as { id: string; organizationId: string }[];
    const of = (orgId: string) => assignments.find((a) => a.organizationId === orgId)!.id;
    return { id, documentNumber: published.documentNumber as string, of };
  };

  const itemsOf = async (requestId: string) =>
    (await flow.raw('get', `/${requestId}/items`, staff.analyst).expect(200)).body.items as {
      indicatorId: string;
      value: string;
    }[];

  const now = () => clock.now().toISOString();

  beforeAll(async () => {
    t = await createTestApp({ clock });
    db = t.app.get(DataSource);
    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists only the caller’s assignments, filters them, and computes overdue from the clock', async () => {
    const [a, b] = [await isp(t.app), await isp(t.app)];
    const make = new Factories(t.app);
    const client = await make.apiClient(a.org);
    const clientToken = await make.clientToken(client.clientId, client.secret);
    const r1 = await publish([a.org.id, b.org.id], undefined, { deadlineHours: 24 });
    const r2 = await publish([a.org.id], undefined, { deadlineHours: 48 });
    const ids = async (token: string, query: string) =>
      (
        (await api(token).get(`/assignments?${query}`).expect(status(200))).body.items as Json[]
      ).map((i) => i.id);

    expect(await ids(a.token, '')).toEqual([r2.of(a.org.id), r1.of(a.org.id)]);
    expect(await ids(clientToken, '')).toEqual([r2.of(a.org.id), r1.of(a.org.id)]);
    expect(await ids(b.token, '')).toEqual([r1.of(b.org.id)]);
    // An ISP naming another organization gets nothing of it.
    expect(await ids(a.token, `organizationId=${b.org.id}`)).toEqual([]);
    expect(await ids(a.token, `requestId=${r1.id}`)).toEqual([r1.of(a.org.id)]);
    expect(await ids(a.token, 'overdue=true')).toEqual([]);
    const page = await api(a.token).get('/assignments?limit=1').expect(200);
    expect(page.body.items[0]).toMatchObject({ status: 'pending', overdue: false });
    const next = await api(a.token)
      .get(`/assignments?limit=1&cursor=${page.body.nextCursor as string}`)
      .expect(200);
    expect(next.body.items.map((i: Json) => i.id)).toEqual([r1.of(a.org.id)]);

    await api(a.token)
      .post(`/assignments/${r2.of(a.org.id)}/acknowledge`)
      .expect(200);
    clock.advance(25 * HOUR);
    expect(await ids(a.token, 'overdue=true')).toEqual([r1.of(a.org.id)]);
    expect(await ids(a.token, 'overdue=false')).toEqual([r2.of(a.org.id)]);
    expect(await ids(a.token, 'status=acknowledged')).toEqual([r2.of(a.org.id)]);
    expect(await ids(a.token, 'status=pending,acknowledged')).toEqual([
      r2.of(a.org.id),
      r1.of(a.org.id),
    ]);
    expect(await ids(a.token, 'status=pending&status=acknowledged')).toHaveLength(2);
    expect(await ids(a.token, 'status=applied')).toEqual([]);
    clock.advance(24 * HOUR);
    expect(await ids(a.token, 'overdue=true')).toEqual([r2.of(a.org.id), r1.of(a.org.id)]);
    // Confirmed, it is no longer overdue: computed, never a stored flag.
    await api(a.token)
      .post(`/assignments/${r1.of(a.org.id)}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'rpz',
      })
      .expect(status(201));
    expect(await ids(a.token, 'overdue=true')).toEqual([r2.of(a.org.id)]);

    // The Department sees every ISP's, and narrows by organization.
    const dept = staff.analyst;
    expect(await ids(dept, `requestId=${r1.id}`)).toHaveLength(2);
    expect(await ids(dept, `requestId=${r1.id}&organizationId=${b.org.id}`)).toEqual([
      r1.of(b.org.id),
    ]);
    const auditor = (await make.loginAs('auditor')).token;
    expect(await ids(auditor, `requestId=${r1.id}&overdue=true`)).toEqual([r1.of(b.org.id)]);
    const detail = await flow.get(r1.id);
    expect(detail.assignments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ organizationId: b.org.id, status: 'pending', overdue: true }),
        expect.objectContaining({
          organizationId: a.org.id,
          status: 'applied',
          overdue: false,
          lastConfirmationStatus: 'applied',
          lastConfirmationMechanism: 'rpz',
          secondsToApply: 49 * 3600,
          secondsToAcknowledge: 49 * 3600,
        }),
      ]),
    );

    for (const bad of ['overdue=maybe', 'status=done', 'requestId=x', 'organizationId=1']) {
      await api(a.token).get(`/assignments?${bad}`).expect(400);
    }
  });

  it('acknowledges once; again answers the same; a closed assignment is a 409', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id]);
    const id = r.of(a.org.id);
    const first = await api(a.token).post(`/assignments/${id}/acknowledge`).expect(status(200));
    expect(first.body).toMatchObject({ status: 'acknowledged', acknowledgedAt: now() });
    clock.advance(60_000);
    const again = await api(a.token).post(`/assignments/${id}/acknowledge`).expect(200);
    expect(again.body).toEqual(first.body);
    await t.sealAudit();
    const audits = await db.query(
      `SELECT 1 FROM audit_events WHERE object_id = $1 AND action = 'assignment.acknowledge'`,
      [id],
    );
    expect(audits).toHaveLength(1);
    await api(a.token)
      .post(`/assignments/${id}/confirmations`, { status: 'rejected', reason: 'Not ours' })
      .expect(201);
    const closed = await api(a.token).post(`/assignments/${id}/acknowledge`).expect(409);
    expect(closed.body.detail).toMatch(/rejected already/);
    // The first acknowledgement's time is kept.
    const detail = await api(a.token).get(`/assignments/${id}`).expect(200);
    expect(detail.body.acknowledgedAt).toBe(first.body.acknowledgedAt);
    expect(detail.body.closedAt).toBe(now());
  });

  it('refuses statements that break a rule, naming it (422), and malformed ones (400)', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id], [unprotected.domain(), unprotected.domain()]);
    const id = r.of(a.org.id);
    const [one, two] = await itemsOf(r.id);
    const publishedAt = now();
    const confirm = (body: object) => api(a.token).post(`/assignments/${id}/confirmations`, body);
    const stranger = randomUUID();
    const cases: [string, object, RegExp][] = [
      [
        'future appliedAt',
        {
          status: 'applied',
          mechanism: 'rpz',
          appliedAt: new Date(clock.now().getTime() + 60_000),
        },
        /in the future/,
      ],
      [
        'appliedAt before publication',
        { status: 'applied', mechanism: 'rpz', appliedAt: new Date(clock.now().getTime() - 1000) },
        /before the request was published/,
      ],
      [
        'rejected without reason',
        { status: 'rejected' },
        /reason is required when the status is rejected/,
      ],
      [
        'partially applied without reason',
        { status: 'partially_applied', mechanism: 'acl', appliedAt: publishedAt },
        /reason is required when the status is partially_applied/,
      ],
      [
        'applied without appliedAt',
        { status: 'applied', mechanism: 'acl' },
        /appliedAt is required/,
      ],
      [
        'applied without mechanism',
        { status: 'applied', appliedAt: publishedAt },
        /mechanism is required/,
      ],
      [
        'unknown item',
        {
          status: 'applied',
          mechanism: 'rpz',
          appliedAt: publishedAt,
          items: [
            { indicatorId: one.indicatorId, outcome: 'applied' },
            { indicatorId: stranger, outcome: 'applied' },
          ],
        },
        new RegExp(`${stranger} is not an item of this request`),
      ],
      [
        'applied with a failed item',
        {
          status: 'applied',
          mechanism: 'rpz',
          appliedAt: publishedAt,
          items: [{ indicatorId: one.indicatorId, outcome: 'failed', reason: 'resolver refused' }],
        },
        /failed, so the assignment is not applied/,
      ],
      [
        'an item twice',
        {
          status: 'partially_applied',
          reason: 'one of two',
          mechanism: 'rpz',
          appliedAt: publishedAt,
          items: [
            { indicatorId: two.indicatorId, outcome: 'applied' },
            { indicatorId: two.indicatorId, outcome: 'not_applicable', reason: 'dup' },
          ],
        },
        /listed twice/,
      ],
      [
        'failed item without reason',
        {
          status: 'partially_applied',
          reason: 'one of two',
          mechanism: 'rpz',
          appliedAt: publishedAt,
          items: [{ indicatorId: two.indicatorId, outcome: 'failed' }],
        },
        /reason is required when the outcome is failed/,
      ],
    ];
    for (const [name, body, why] of cases) {
      const res = await confirm(body);
      expect({ name, status: res.status }).toEqual({ name, status: 422 });
      expect({ name, detail: res.body.detail }).toEqual({
        name,
        detail: expect.stringMatching(why),
      });
      expect(res.body['invalid-params'].length).toBeGreaterThan(0);
    }
    const unknown = await confirm(cases[6][1]).expect(422);
    expect(unknown.body.unknownIndicatorIds).toEqual([stranger]);
    for (const body of [
      { status: 'done' },
      { status: 'applied', mechanism: 'bgp', appliedAt: publishedAt },
      { status: 'applied', mechanism: 'rpz', appliedAt: 'yesterday' },
      { status: 'applied', mechanism: 'rpz', appliedAt: publishedAt, evidenceSha256: 'abc' },
      {
        status: 'applied',
        mechanism: 'rpz',
        appliedAt: publishedAt,
        items: [{ indicatorId: 'x', outcome: 'applied' }],
      },
      { status: 'applied', mechanism: 'rpz', appliedAt: publishedAt, extra: 1 },
    ]) {
      await confirm(body).expect(400);
    }
    await api(a.token)
      .post(`/assignments/not-a-uuid/confirmations`, { status: 'rejected', reason: 'x' })
      .expect(400);
    // Nothing was written by any of them.
    expect(await db.query(`SELECT 1 FROM confirmations WHERE assignment_id = $1`, [id])).toEqual(
      [],
    );
    const detail = await api(a.token).get(`/assignments/${id}`).expect(200);
    expect(detail.body).toMatchObject({ status: 'pending', confirmations: [] });
  });

  it('appends corrections, keeps the history, and completes the request when the last assignment closes', async () => {
    const [a, b] = [await isp(t.app), await isp(t.app)];
    const r = await publish([a.org.id, b.org.id], [unprotected.domain(), unprotected.domain()]);
    const [one, two] = await itemsOf(r.id);
    const idA = r.of(a.org.id);
    const publishedAt = clock.now();
    clock.advance(2 * HOUR);
    const partial = await api(a.token)
      .post(`/assignments/${idA}/confirmations`, {
        status: 'partially_applied',
        reason: 'One name is our customer’s mail relay',
        appliedAt: new Date(publishedAt.getTime() + HOUR).toISOString(),
        mechanism: 'rpz',
        evidence: 'RPZ serial 2026112801',
        items: [
          { indicatorId: one.indicatorId, outcome: 'applied' },
          { indicatorId: two.indicatorId, outcome: 'failed', reason: 'resolver refused the zone' },
        ],
      })
      .expect(status(201));
    expect(partial.headers.location).toBe(
      `/api/v1/assignments/${idA}/confirmations/${partial.body.id as string}`,
    );
    expect(partial.body).toMatchObject({
      status: 'partially_applied',
      mechanism: 'rpz',
      receiptId: null,
    });
    await api(a.token).get(partial.headers.location.replace('/api/v1', '')).expect(200);
    expect((await flow.get(r.id)).status).toBe('published');

    clock.advance(HOUR);
    const correction = await api(a.token)
      .post(`/assignments/${idA}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'rpz',
        evidenceSha256: 'a'.repeat(64),
        items: [{ indicatorId: two.indicatorId, outcome: 'applied' }],
      })
      .expect(status(201));
    const detail = (await api(a.token).get(`/assignments/${idA}`).expect(200)).body;
    expect(detail).toMatchObject({
      status: 'applied',
      appliedAt: now(),
      lastConfirmationId: correction.body.id,
      closedAt: new Date(publishedAt.getTime() + 2 * HOUR).toISOString(),
      acknowledgedAt: new Date(publishedAt.getTime() + 2 * HOUR).toISOString(),
      request: { id: r.id, documentNumber: r.documentNumber, status: 'published' },
    });
    expect(detail.confirmations.map((c: Json) => [c.id, c.status])).toEqual([
      [partial.body.id, 'partially_applied'],
      [correction.body.id, 'applied'],
    ]);
    expect(detail.confirmations[0].items).toHaveLength(2);
    // The latest outcome of each item: one from the first statement, two from the correction.
    const outcome = (id: string) => (detail.items as Json[]).find((i) => i.indicatorId === id);
    expect(outcome(one.indicatorId)).toMatchObject({ outcome: 'applied', operation: 'block' });
    expect(outcome(two.indicatorId)).toMatchObject({ outcome: 'applied', outcomeReason: null });
    const [stored] = await db.query<{ reason: string }[]>(
      `SELECT reason FROM confirmation_items WHERE confirmation_id = $1 AND indicator_id = $2`,
      [partial.body.id, two.indicatorId],
    );
    expect(stored.reason).toBe('resolver refused the zone');

    // Each confirmation: one audit event and one outbox message, to the issuer and this ISP.
    const outbox = await db.query<{ payload: Json; recipients: string[] }[]>(
      `SELECT payload, recipients FROM outbox WHERE topic = 'confirmation.received'
          AND aggregate_id = $1 ORDER BY id`,
      [idA],
    );
    const [issuer] = await db.query<{ issued_by: string }[]>(
      `SELECT issued_by FROM blocking_requests WHERE id = $1`,
      [r.id],
    );
    expect(outbox).toHaveLength(2);
    expect(outbox[1]).toEqual({
      payload: {
        assignmentId: idA,
        requestId: r.id,
        documentNumber: r.documentNumber,
        organizationId: a.org.id,
        status: 'applied',
        appliedAt: now(),
        confirmationId: correction.body.id,
        receiptId: null,
      },
      recipients: expect.arrayContaining([issuer.issued_by, a.org.id]),
    });
    expect(outbox[1].recipients).toHaveLength(2);
    expect(JSON.stringify(outbox)).not.toContain(b.org.id);
    await t.sealAudit();
    expect(
      await db.query(
        `SELECT 1 FROM audit_events WHERE object_id = $1 AND action = 'assignment.confirm'`,
        [idA],
      ),
    ).toHaveLength(2);

    // B rejects: no assignment is open any more, the request is completed.
    await api(b.token)
      .post(`/assignments/${r.of(b.org.id)}/confirmations`, {
        status: 'rejected',
        reason: 'Court order names another host',
      })
      .expect(status(201));
    const completed = await flow.get(r.id);
    expect(completed).toMatchObject({ status: 'completed' });
    expect((completed.history as Json[]).at(-1)).toMatchObject({
      from: 'published',
      to: 'completed',
    });
    const [row] = await db.query<{ completed_at: Date }[]>(
      `SELECT completed_at FROM blocking_requests WHERE id = $1`,
      [r.id],
    );
    expect(row.completed_at.toISOString()).toBe(now());
    expect(completed.assignments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          organizationId: b.org.id,
          status: 'rejected',
          lastConfirmationReason: 'Court order names another host',
          secondsToApply: null,
        }),
      ]),
    );
    // A correction after completion is still appended.
    await api(b.token)
      .post(`/assignments/${r.of(b.org.id)}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'acl',
      })
      .expect(201);
    expect((await flow.get(r.id)).status).toBe('completed');
  });

  it('takes uppercase indicator ids as the same ids, and appliedAt only as a date-time with a zone', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id]);
    const id = r.of(a.org.id);
    const [item] = await itemsOf(r.id);
    for (const appliedAt of [0, true, '2026-11-01T10:00']) {
      const res = await api(a.token)
        .post(`/assignments/${id}/confirmations`, {
          status: 'applied',
          appliedAt,
          mechanism: 'rpz',
        })
        .expect(status(400));
      expect(res.body['invalid-params']).toEqual([
        { name: 'appliedAt', reason: expect.stringMatching(/with a zone/) },
      ]);
    }
    const res = await api(a.token)
      .post(`/assignments/${id}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'rpz',
        items: [{ indicatorId: item.indicatorId.toUpperCase(), outcome: 'applied' }],
      })
      .expect(status(201));
    expect(res.body.items).toEqual([
      expect.objectContaining({ indicatorId: item.indicatorId, outcome: 'applied' }),
    ]);
  });

  it('refuses to acknowledge or confirm a withdrawn assignment (409)', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id]);
    await flow.withdraw(r.id);
    const id = r.of(a.org.id);
    const ack = await api(a.token).post(`/assignments/${id}/acknowledge`).expect(409);
    expect(ack.body.detail).toMatch(/withdrawn/);
    const res = await api(a.token)
      .post(`/assignments/${id}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'rpz',
      })
      .expect(409);
    expect(res.body.detail).toMatch(/withdrawn/);
    expect(await db.query(`SELECT 1 FROM confirmations WHERE assignment_id = $1`, [id])).toEqual(
      [],
    );
  });

  it('writes nothing when the transaction fails at the outbox insert', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id]);
    const id = r.of(a.org.id);
    await ownerQuery(`
      CREATE OR REPLACE FUNCTION test_fail_confirmation_outbox() RETURNS trigger AS $$
      BEGIN
        IF NEW.topic = 'confirmation.received' AND NEW.payload->>'assignmentId' = '${id}' THEN
          RAISE EXCEPTION 'injected failure';
        END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_confirmation_outbox ON outbox`);
    await ownerQuery(
      `CREATE TRIGGER test_fail_confirmation_outbox BEFORE INSERT ON outbox
         FOR EACH ROW EXECUTE FUNCTION test_fail_confirmation_outbox()`,
    );
    try {
      await api(a.token)
        .post(`/assignments/${id}/confirmations`, {
          status: 'applied',
          appliedAt: now(),
          mechanism: 'rpz',
        })
        .expect(500);
      await t.app.get(FeedPullRecorder).flush();
    } finally {
      await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_confirmation_outbox ON outbox`);
    }
    expect(await db.query(`SELECT 1 FROM confirmations WHERE assignment_id = $1`, [id])).toEqual(
      [],
    );
    await t.sealAudit();
    expect(
      await db.query(
        `SELECT 1 FROM audit_events WHERE object_id = $1 AND action = 'assignment.confirm'`,
        [id],
      ),
    ).toEqual([]);
    const detail = (await api(a.token).get(`/assignments/${id}`).expect(200)).body;
    expect(detail).toMatchObject({ status: 'pending', closedAt: null, lastConfirmationId: null });
    expect((await flow.get(r.id)).status).toBe('published');
    // And it works once the failure is gone.
    await api(a.token)
      .post(`/assignments/${id}/confirmations`, {
        status: 'applied',
        appliedAt: now(),
        mechanism: 'rpz',
      })
      .expect(201);
    expect((await flow.get(r.id)).status).toBe('completed');
  });

  it('answers from inside the transaction: a read failing after commit cannot re-execute an Idempotency-Key retry', async () => {
    const a = await isp(t.app);
    const r = await publish([a.org.id]);
    const id = r.of(a.org.id);
    // Any read of a confirmation outside a transaction fails (as if the pool broke just after
    // the commit): an answer built after the commit would be a 5xx, releasing the key.
    const repository = t.app.get(ConfirmationsRepository);
    const original = repository.find.bind(repository);
    const spy = jest
      .spyOn(repository, 'find')
      .mockImplementation((assignmentId, confirmationId, manager) =>
        manager
          ? original(assignmentId, confirmationId, manager)
          : Promise.reject(new Error('injected read failure')),
      );
    const key = randomUUID();
    const send = () =>
      api(a.token)
        .post(`/assignments/${id}/confirmations`, {
          status: 'applied',
          appliedAt: now(),
          mechanism: 'rpz',
        })
        .set('idempotency-key', key);
    try {
      const first = await send().expect(status(201));
      const again = await send().expect(status(201));
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
    } finally {
      spy.mockRestore();
    }
    expect(
      await db.query(`SELECT 1 FROM confirmations WHERE assignment_id = $1`, [id]),
    ).toHaveLength(1);
  });

  describe('feed receipts', () => {
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const pulled = async (orgId: string, hash: string) => {
      // The snapshot's pull is recorded when its stream ends; the receipt flushes the buffer.
      for (let i = 0; i < 50; i++) {
        await t.app.get(FeedPullRecorder).flush();
        const rows = await db.query(
          `SELECT 1 FROM feed_pulls WHERE organization_id = $1 AND sha256 = $2`,
          [orgId, hash],
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('the pull was not recorded');
    };

    it('accepts an appliedAt stated to the second or millisecond within the publication’s second (issue 17)', async () => {
      // `date -u +%FT%TZ` has whole seconds: run within the second of the approval, it reads
      // as up to a second before the publication, which has microseconds.
      const second = Math.ceil(clock.now().getTime() / 1000) * 1000;
      clock.set(new Date(second + 700));
      const c = await isp(t.app);
      const r1 = await publish([c.org.id]);
      const r2 = await publish([c.org.id]);
      const toSecond = new Date(second).toISOString().replace('.000Z', 'Z');
      const toMillisecond = new Date(second + 699).toISOString();
      const confirmed = await api(c.token)
        .post(`/assignments/${r1.of(c.org.id)}/confirmations`, {
          status: 'applied',
          appliedAt: toSecond,
          mechanism: 'rpz',
        })
        .expect(status(201));
      expect(confirmed.body.appliedAt).toBe(new Date(second).toISOString());
      // Its time to apply is 0, never negative.
      expect((await flow.get(r1.id)).assignments).toEqual([
        expect.objectContaining({ status: 'applied', secondsToApply: 0 }),
      ]);
      // A time in an earlier second is still before the publication.
      const earlier = await api(c.token)
        .post(`/assignments/${r2.of(c.org.id)}/confirmations`, {
          status: 'applied',
          appliedAt: new Date(second - 1).toISOString(),
          mechanism: 'rpz',
        })
        .expect(422);
      expect(earlier.body.detail).toMatch(/before the request was published/);

      // A feed receipt within the second confirms the assignment, instead of skipping it.
      const snapshot = await api(c.token).get('/feed/snapshot.txt').expect(200);
      await pulled(c.org.id, sha256(snapshot.text));
      const receipt = await api(c.token)
        .post('/feed/receipts', {
          version: Number(snapshot.headers['x-feed-version']),
          format: 'txt',
          appliedAt: toMillisecond,
          mechanism: 'rpz',
        })
        .expect(status(201));
      expect(receipt.body).toMatchObject({
        assignmentsConfirmed: 1,
        confirmedAssignmentIds: [r2.of(c.org.id)],
        skippedAssignments: [],
      });
    });

    it('confirms the open assignments the version covers, never an explicit confirmation', async () => {
      const c = await isp(t.app);
      const r1 = await publish([c.org.id]);
      const r3 = await publish([c.org.id]);
      const explicit = await api(c.token)
        .post(`/assignments/${r3.of(c.org.id)}/confirmations`, {
          status: 'rejected',
          reason: 'Not in our network',
        })
        .expect(201);
      await api(c.token)
        .post(`/assignments/${r1.of(c.org.id)}/acknowledge`)
        .expect(200);
      const snapshot = await api(c.token).get('/feed/snapshot.txt').expect(200);
      const v1 = Number(snapshot.headers['x-feed-version']);
      const hash = sha256(snapshot.text);
      await pulled(c.org.id, hash);
      const r2 = await publish([c.org.id]);
      clock.advance(10 * 60_000);

      const beyond = await api(c.token)
        .post('/feed/receipts', {
          version: v1 + 1_000_000,
          format: 'txt',
          appliedAt: now(),
          mechanism: 'rpz',
        })
        .expect(422);
      expect(beyond.body.detail).toMatch(/does not exist: the current feed version is/);
      const huge = await api(c.token)
        .post('/feed/receipts', {
          version: 1e300,
          format: 'txt',
          appliedAt: now(),
          mechanism: 'rpz',
        })
        .expect(400);
      expect(huge.body['invalid-params']).toEqual([expect.objectContaining({ name: 'version' })]);
      await api(c.token)
        .post('/feed/receipts', {
          version: v1,
          format: 'txt',
          appliedAt: new Date(clock.now().getTime() + 1000),
          mechanism: 'rpz',
        })
        .expect(422);

      const res = await api(c.token)
        .post('/feed/receipts', {
          version: v1,
          format: 'txt',
          appliedAt: now(),
          mechanism: 'rpz',
          evidence: `RPZ serial ${v1}`,
          sha256: hash,
        })
        .expect(status(201));
      expect(res.body).toMatchObject({
        version: v1,
        format: 'txt',
        hashCheck: 'matched',
        flagged: false,
        assignmentsConfirmed: 1,
        confirmedAssignmentIds: [r1.of(c.org.id)],
      });
      const a1 = (
        await api(c.token)
          .get(`/assignments/${r1.of(c.org.id)}`)
          .expect(200)
      ).body;
      expect(a1).toMatchObject({ status: 'applied', appliedAt: now() });
      expect(a1.confirmations).toHaveLength(1);
      expect(a1.confirmations[0]).toMatchObject({
        status: 'applied',
        receiptId: res.body.id,
        mechanism: 'rpz',
        evidence: `RPZ serial ${v1}`,
        evidenceSha256: hash,
      });
      expect(a1.items.map((i: Json) => i.outcome)).toEqual(['applied']);
      // Its feed version: the change its publication wrote to this ISP's feed.
      const [written] = await db.query<{ v: number }[]>(
        `SELECT max(version)::int AS v FROM feed_changes WHERE organization_id = $1 AND request_id = $2`,
        [c.org.id, r1.id],
      );
      expect(a1.feedVersion).toBe(written.v);
      expect(a1.feedVersion).toBeLessThanOrEqual(v1);
      expect((await flow.get(r1.id)).status).toBe('completed');
      // The explicit rejection stands; the later request is not covered.
      const a3 = (
        await api(c.token)
          .get(`/assignments/${r3.of(c.org.id)}`)
          .expect(200)
      ).body;
      expect(a3).toMatchObject({ status: 'rejected', lastConfirmationId: explicit.body.id });
      expect(a3.confirmations).toHaveLength(1);
      expect(
        (
          await api(c.token)
            .get(`/assignments/${r2.of(c.org.id)}`)
            .expect(200)
        ).body.status,
      ).toBe('pending');
      const outbox = await db.query<{ payload: Json }[]>(
        `SELECT payload FROM outbox WHERE topic = 'confirmation.received' AND aggregate_id = $1`,
        [r1.of(c.org.id)],
      );
      expect(outbox.map((o) => o.payload.receiptId)).toEqual([res.body.id]);
      await t.sealAudit();
      const [audit] = await db.query<{ summary: Json }[]>(
        `SELECT summary FROM audit_events WHERE object_id = $1 AND action = 'feed_receipt.create'`,
        [res.body.id],
      );
      expect(audit.summary).toMatchObject({ hashCheck: 'matched', assignmentsConfirmed: 1 });

      // Through the change log, up to the current version: its page's hash matches too.
      const changes = await api(c.token).get(`/feed/changes?after=${v1}&limit=1000`).expect(200);
      expect(changes.headers['content-type']).toMatch(/^application\/json/);
      const v2 = changes.body.next as number;
      const viaChanges = await api(c.token)
        .post('/feed/receipts', {
          version: v2,
          format: 'changes',
          appliedAt: now(),
          mechanism: 'rpz',
          // Hex digits in either case: the same digest.
          sha256: sha256(changes.text).toUpperCase(),
        })
        .expect(status(201));
      expect(viaChanges.body).toMatchObject({
        hashCheck: 'matched',
        confirmedAssignmentIds: [r2.of(c.org.id)],
      });
    });

    it('applies only the items the feed carried at the version, and skips (not refuses) an assignment published after appliedAt', async () => {
      const c = await isp(t.app);
      const [x, y] = [unprotected.domain(), unprotected.domain()];
      const r1 = await publish([c.org.id], [x, y]);
      const items = await itemsOf(r1.id);
      const held = items.find((i) => i.value === y)!.indicatorId;
      // y as an item the feed never carried to this ISP (as when it is held back): its feed
      // entries are moved to another ISP, so that versions stay dense and consistent. (Rows
      // carry an audience, decision 0021: this ISP is replaced by the other in theirs.)
      const other = await new Factories(t.app).organization('isp');
      for (const table of ['feed_log', 'feed_active_sets', 'feed_claim_sets']) {
        await db.query(
          `UPDATE ${table} t SET audience_id = feed_audience(array_replace(a.members, $1, $3))
             FROM feed_audiences a
            WHERE a.id = t.audience_id AND $1 = ANY(a.members) AND t.indicator_id = $2`,
          [c.org.id, held, other.id],
        );
      }
      const snapshot = await api(c.token).get('/feed/snapshot.txt').expect(200);
      const v1 = Number(snapshot.headers['x-feed-version']);
      await pulled(c.org.id, sha256(snapshot.text));
      const deployedAt = now();
      clock.advance(60_000);
      // x is in this ISP's feed already: the new request's assignment is covered by v1 too,
      // but it was published after the ISP deployed v1.
      const r2 = await publish([c.org.id], [x]);
      const a2 = (
        await api(c.token)
          .get(`/assignments/${r2.of(c.org.id)}`)
          .expect(200)
      ).body;
      expect(a2.feedVersion).toBeLessThanOrEqual(v1);

      const res = await api(c.token)
        .post('/feed/receipts', {
          version: v1,
          format: 'txt',
          appliedAt: deployedAt,
          mechanism: 'rpz',
        })
        .expect(status(201));
      expect(res.body.confirmedAssignmentIds).toEqual([r1.of(c.org.id)]);
      expect(res.body.skippedAssignments).toEqual([
        { assignmentId: r2.of(c.org.id), reason: expect.stringMatching(/after appliedAt/) },
      ]);
      const a1 = (
        await api(c.token)
          .get(`/assignments/${r1.of(c.org.id)}`)
          .expect(200)
      ).body;
      expect(a1.status).toBe('applied');
      const outcomes = Object.fromEntries(
        (a1.confirmations[0].items as Json[]).map((i) => [i.indicatorId, [i.outcome, i.reason]]),
      );
      expect(outcomes).toEqual({
        [items.find((i) => i.value === x)!.indicatorId]: ['applied', null],
        [held]: ['not_applicable', `not in your feed at version ${v1}`],
      });
      expect(
        (
          await api(c.token)
            .get(`/assignments/${r2.of(c.org.id)}`)
            .expect(200)
        ).body.status,
      ).toBe('pending');
    });

    it('writes no receipt and no confirmation when the transaction fails at an outbox insert', async () => {
      const c = await isp(t.app);
      const [r1, r2] = [await publish([c.org.id]), await publish([c.org.id])];
      const snapshot = await api(c.token).get('/feed/snapshot.txt').expect(200);
      await pulled(c.org.id, sha256(snapshot.text));
      // The second assignment's message fails: the first one's must not survive either.
      await ownerQuery(`
        CREATE OR REPLACE FUNCTION test_fail_receipt_outbox() RETURNS trigger AS $$
        BEGIN
          IF NEW.payload->>'assignmentId' = '${r2.of(c.org.id)}' THEN
            RAISE EXCEPTION 'injected failure';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql`);
      await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_receipt_outbox ON outbox`);
      await ownerQuery(
        `CREATE TRIGGER test_fail_receipt_outbox BEFORE INSERT ON outbox
           FOR EACH ROW EXECUTE FUNCTION test_fail_receipt_outbox()`,
      );
      const body = {
        version: Number(snapshot.headers['x-feed-version']),
        format: 'txt',
        appliedAt: now(),
        mechanism: 'rpz',
      };
      try {
        await api(c.token).post('/feed/receipts', body).expect(500);
      } finally {
        await ownerQuery(`DROP TRIGGER IF EXISTS test_fail_receipt_outbox ON outbox`);
      }
      expect(
        await db.query(`SELECT 1 FROM feed_receipts WHERE organization_id = $1`, [c.org.id]),
      ).toEqual([]);
      expect(
        await db.query(`SELECT 1 FROM confirmations WHERE organization_id = $1`, [c.org.id]),
      ).toEqual([]);
      expect(
        await db.query(
          `SELECT 1 FROM outbox WHERE topic = 'confirmation.received' AND payload->>'organizationId' = $1`,
          [c.org.id],
        ),
      ).toEqual([]);
      expect((await flow.get(r1.id)).status).toBe('published');
      const retried = await api(c.token).post('/feed/receipts', body).expect(201);
      expect([...(retried.body.confirmedAssignmentIds as string[])].sort()).toEqual(
        [r1.of(c.org.id), r2.of(c.org.id)].sort(),
      );
    });

    it('flags a hash that matches nothing served, and refuses a version never served', async () => {
      const c = await isp(t.app);
      const r = await publish([c.org.id]);
      const never = await isp(t.app);
      const snapshot = await api(c.token).get('/feed/snapshot.json').expect(200);
      const version = Number(snapshot.headers['x-feed-version']);
      await pulled(c.org.id, sha256(snapshot.text));
      // Hashed uncompressed, whatever the transfer encoding.
      const gzipped = await api(c.token)
        .get('/feed/snapshot.csv')
        .set('accept-encoding', 'gzip')
        .expect(200);
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      await pulled(c.org.id, sha256(gzipped.text));
      const unserved = await api(never.token)
        .post('/feed/receipts', { version, format: 'json', appliedAt: now(), mechanism: 'rpz' })
        .expect(422);
      expect(unserved.body.detail).toMatch(/never served to your organization/);

      const wrong = 'f'.repeat(64);
      const res = await api(c.token)
        .post('/feed/receipts', {
          version,
          format: 'json',
          appliedAt: now(),
          mechanism: 'rpz',
          sha256: wrong,
        })
        .expect(status(201));
      expect(res.body).toMatchObject({
        hashCheck: 'mismatch',
        flagged: true,
        sha256: wrong,
        assignmentsConfirmed: 1,
      });
      // The right hash in another format does not match either.
      const otherFormat = await api(c.token)
        .post('/feed/receipts', {
          version,
          format: 'txt',
          appliedAt: now(),
          mechanism: 'rpz',
          sha256: sha256(snapshot.text),
        })
        .expect(201);
      expect(otherFormat.body).toMatchObject({ hashCheck: 'mismatch', assignmentsConfirmed: 0 });
      const noHash = await api(c.token)
        .post('/feed/receipts', { version, format: 'json', appliedAt: now(), mechanism: 'rpz' })
        .expect(201);
      expect(noHash.body.hashCheck).toBe('not_given');
      expect((await flow.get(r.id)).status).toBe('completed');

      await t.sealAudit();
      const [audit] = await db.query<{ summary: Json }[]>(
        `SELECT summary FROM audit_events WHERE object_id = $1 AND action = 'feed_receipt.create'`,
        [res.body.id],
      );
      expect(audit.summary).toMatchObject({ hashCheck: 'mismatch', flagged: true });
      const flagged = await api(staff.analyst)
        .get(`/feed/receipts?organizationId=${c.org.id}&flagged=true`)
        .expect(200);
      expect(flagged.body.items.map((i: Json) => i.id)).toEqual([otherFormat.body.id, res.body.id]);
      const own = await api(c.token).get('/feed/receipts').expect(200);
      expect(own.body.items).toHaveLength(3);
      expect((await api(never.token).get('/feed/receipts').expect(200)).body.items).toEqual([]);
    });
  });
});
