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

interface Change {
  version: number;
  op: string;
  reason: string;
  value: string;
  request_id: string | null;
}

describe('blocking requests: lifecycle, two-person rule, publication, withdrawal', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  let ispA: { org: { id: string }; token: string };
  let ispB: { org: { id: string }; token: string };
  let ispC: { org: { id: string }; token: string };

  const changesOf = async (orgId: string, requestId?: string): Promise<Change[]> =>
    (
      await db.query<Change[]>(
        `SELECT c.version::int AS version, c.op, c.reason, i.value, c.request_id
           FROM feed_changes c JOIN indicators i ON i.id = c.indicator_id
          WHERE c.organization_id = $1 AND ($2::uuid IS NULL OR c.request_id = $2)
          ORDER BY c.version`,
        [orgId, requestId ?? null],
      )
    ).map((c) => ({ ...c }));
  const activeValues = async (orgId: string, values: string[]): Promise<string[]> =>
    (
      await db.query<{ value: string }[]>(
        `SELECT i.value FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
          WHERE a.organization_id = $1 AND i.value = ANY($2) ORDER BY i.value`,
        [orgId, values],
      )
    ).map((r) => r.value);

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
    [ispA, ispB, ispC] = [await isp(t.app), await isp(t.app), await isp(t.app)];
  });
  afterAll(async () => {
    await t.close();
  });

  it('publishes in one transaction: state, one assignment per ISP, dense feed versions, outbox, audit', async () => {
    const values = [
      unprotected.domain(),
      unprotected.ipv4(),
      unprotected.ipv6().toUpperCase(),
      unprotected.cidr(),
      unprotected.url().replace('http://', 'HTTP://'),
      `bücher${randomBytes(3).toString('hex')}.com`,
    ];
    const draft = await flow.draft([ispA.org.id, ispB.org.id]);
    const id = draft.id as string;
    expect(draft).toMatchObject({ status: 'draft', version: 1, itemCount: 0 });
    const added = await flow.addValues(id, values);
    expect(added).toEqual({
      added: 6,
      alreadyPresent: 0,
      indicatorsCreated: 6,
      itemCount: 6,
      version: 2,
    });
    const items = await flow.raw('get', `/${id}/items`, staff.analyst).expect(200);
    const stored = (items.body.items as { value: string }[]).map((i) => i.value);
    expect(stored).toContain(values[2].toLowerCase());
    expect(stored.some((v) => v.startsWith('xn--bcher'))).toBe(true);
    expect(stored).toContain(values[4].replace('HTTP://', 'http://'));

    const submitted = await flow.submit(id);
    expect(submitted).toMatchObject({ status: 'pending_approval', submittedBy: staff.analystId });
    const before = Date.now();
    const published = await flow.approve(id);
    expect(published).toMatchObject({ status: 'published', approvedBy: staff.approverId });
    const publishedAt = Date.parse(published.publishedAt as string);
    expect(publishedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(published.deadlineAt as string) - publishedAt).toBe(24 * 3600_000);
    const assignments = published.assignments as { organizationId: string; status: string }[];
    expect(assignments.map((a) => a.organizationId).sort()).toEqual(
      [ispA.org.id, ispB.org.id].sort(),
    );
    expect(assignments.every((a) => a.status === 'pending')).toBe(true);

    // 12 changes (6 items × 2 ISPs) in 6 versions (a change's version is shared by the ISPs
    // it reaches: decision 0021), numbered without a gap.
    const all = await db.query<{ version: string }[]>(
      `SELECT version FROM feed_changes WHERE request_id = $1 ORDER BY version`,
      [id],
    );
    expect(all).toHaveLength(12);
    const versions = [...new Set(all.map((r) => Number(r.version)))];
    expect(versions).toHaveLength(6);
    expect(versions.at(-1)! - versions[0] + 1).toBe(6);
    for (const org of [ispA.org.id, ispB.org.id]) {
      const changes = await changesOf(org, id);
      expect(changes.map((c) => [c.op, c.reason])).toEqual(Array(6).fill(['add', 'block']));
      expect((await activeValues(org, stored)).sort()).toEqual([...stored].sort());
    }
    expect(await changesOf(ispC.org.id, id)).toEqual([]);

    const outbox = await db.query<{ topic: string; recipients: string[] }[]>(
      `SELECT topic, recipients FROM outbox WHERE aggregate_id = $1`,
      [id],
    );
    expect(outbox).toHaveLength(1);
    expect(outbox[0].topic).toBe('request.published');
    // The issuing Department and the two target ISPs, never the third ISP.
    expect(outbox[0].recipients).toHaveLength(3);
    expect(outbox[0].recipients).toEqual(expect.arrayContaining([ispA.org.id, ispB.org.id]));
    expect(outbox[0].recipients).not.toContain(ispC.org.id);
    await t.sealAudit();
    const audit = await db.query<{ action: string; actor_id: string; request_id: string }[]>(
      `SELECT action, actor_id, request_id FROM audit_events
        WHERE object_type = 'blocking_request' AND object_id = $1 ORDER BY id`,
      [id],
    );
    expect(audit.map((a) => a.action)).toEqual([
      'blocking_request.create',
      'blocking_request.add_items',
      'blocking_request.submit',
      'blocking_request.approve',
    ]);
    expect(audit.at(-1)!.actor_id).toBe(staff.approverId);
    expect(audit.every((a) => typeof a.request_id === 'string')).toBe(true);

    // Published requests are immutable.
    const version = published.version as number;
    for (const [method, path, body] of [
      ['patch', `/${id}`, { version, title: 'Changed' }],
      ['post', `/${id}/items`, { values: [unprotected.domain()] }],
      ['post', `/${id}/submit`, { version }],
      ['post', `/${id}/approve`, { version }],
    ] as const) {
      const token = method === 'post' && path.endsWith('approve') ? staff.approver : staff.analyst;
      const res = await flow.raw(method, path, token).send(body).expect(409);
      expect(res.body.type).toBe('urn:threat-exchange:problem:invalid-state');
    }
  });

  it('pages the items of a request by indicator id, the last id as the cursor', async () => {
    const id = (await flow.draft([ispA.org.id])).id as string;
    await flow.addValues(id, [unprotected.domain(), unprotected.domain(), unprotected.ipv4()]);
    type ItemPage = { items: { indicatorId: string }[]; nextCursor: string | null };
    const page = async (query: Record<string, unknown>): Promise<ItemPage> =>
      (await flow.raw('get', `/${id}/items`, staff.analyst).query(query).expect(200))
        .body as ItemPage;
    const all = (await page({})).items.map((i) => i.indicatorId);
    expect(all).toHaveLength(3);
    expect(all).toEqual([...all].sort());
    const first = await page({ limit: 2 });
    expect(first.items.map((i) => i.indicatorId)).toEqual(all.slice(0, 2));
    expect(first.nextCursor).toBe(all[1]);
    const second = await page({ limit: 2, cursor: first.nextCursor });
    expect(second).toEqual({
      items: [expect.objectContaining({ indicatorId: all[2] })],
      nextCursor: null,
    });
  });

  it('refuses approval by the person who submitted (two-person rule), in the service and the database', async () => {
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, [unprotected.domain()]);
    await flow.submit(id, staff.both);
    const { version } = await flow.get(id);
    const refused = await flow.approveCall(id, version as number, staff.both).expect(403);
    expect(refused.body).toMatchObject({
      type: 'urn:threat-exchange:problem:two-person-rule',
      status: 403,
    });
    expect(await flow.get(id)).toMatchObject({ status: 'pending_approval', assignments: [] });
    expect(await changesOf(ispA.org.id, id)).toEqual([]);
    // Even a direct write cannot make the submitter the approver.
    await expect(
      db.query(`UPDATE blocking_requests SET approved_by = submitted_by WHERE id = $1`, [id]),
    ).rejects.toMatchObject({ driverError: { code: '23514' } });
    await flow.approve(id);
    expect(await flow.get(id)).toMatchObject({ status: 'published', approvedBy: staff.approverId });

    // Nor by the person who wrote it, when someone else submitted it.
    const written = await flow
      .raw('post', '', staff.both)
      .send({
        documentNumber: `W-${randomBytes(4).toString('hex')}`,
        title: 'Written by an approver',
        legalBasis: 'Decree 53/2022/ND-CP',
        category: 'phishing',
        severity: 'medium',
        targetsAll: false,
        targetOrganizationIds: [ispA.org.id],
      })
      .expect(201);
    const writtenId = written.body.id as string;
    await flow.addValues(writtenId, [unprotected.domain()]);
    await flow.submit(writtenId);
    const current = await flow.get(writtenId);
    const byWriter = await flow
      .approveCall(writtenId, current.version as number, staff.both)
      .expect(403);
    expect(byWriter.body.detail).toMatch(/wrote this request/);
    await flow.approve(writtenId);
  });

  it('answers 409 to the second of two concurrent edits of a draft', async () => {
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    const edits = await Promise.all(
      ['First title', 'Second title'].map((title) =>
        flow.raw('patch', `/${id}`, staff.analyst).send({ version: 1, title }),
      ),
    );
    expect(edits.map((r) => r.status).sort()).toEqual([200, 409]);
    const loser = edits.find((r) => r.status === 409)!;
    expect(loser.body.type).toBe('urn:threat-exchange:problem:conflict');
    const winner = edits.find((r) => r.status === 200)!;
    expect(await flow.get(id)).toMatchObject({ version: 2, title: winner.body.title });
    // A stale version on a transition is refused the same way.
    await flow.raw('post', `/${id}/submit`, staff.analyst).send({ version: 1 }).expect(409);
  });

  it('returns a request to draft with a comment, kept in its history', async () => {
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, [unprotected.domain()]);
    await flow.submit(id);
    const { version } = await flow.get(id);
    const returned = await flow
      .raw('post', `/${id}/return`, staff.approver)
      .send({ version, comment: 'Add the legal basis article' })
      .expect(200);
    expect(returned.body).toMatchObject({ status: 'draft', submittedBy: null });
    const history = returned.body.history as { to: string; comment: string | null }[];
    expect(history.map((h) => h.to)).toEqual(['draft', 'pending_approval', 'draft']);
    expect(history.at(-1)!.comment).toBe('Add the legal basis article');
    await flow.submit(id);
    await flow.approve(id);
  });

  it('refuses to publish a protected indicator until an approver overrides it with a reason', async () => {
    const safe = unprotected.domain();
    const draft = await flow.draft([ispA.org.id]);
    const id = draft.id as string;
    await flow.addValues(id, [safe, 'portal.MAIL.gov.vn.', '10.20.30.40']);
    await flow.submit(id);
    const { version } = await flow.get(id);
    const refused = await flow.approveCall(id, version as number).expect(422);
    expect(refused.body.type).toBe('urn:threat-exchange:problem:protected-indicator');
    const hits = refused.body.protected as {
      indicatorId: string;
      value: string;
      matches: { entry: string; reason: string }[];
    }[];
    expect(hits.map((h) => h.value).sort()).toEqual(['10.20.30.40', 'portal.mail.gov.vn']);
    expect(hits.find((h) => h.value === 'portal.mail.gov.vn')!.matches[0].entry).toBe('gov.vn');
    expect(await flow.get(id)).toMatchObject({ status: 'pending_approval' });
    expect(await changesOf(ispA.org.id, id)).toEqual([]);

    const override = (indicatorId: string, token: string) =>
      request(t.server)
        .post(`/api/v1/indicators/${indicatorId}/protection-override`)
        .set('authorization', `Bearer ${token}`)
        .send({ reason: 'Court order 15/2026 names this host explicitly' });
    await override(hits[0].indicatorId, staff.analyst).expect(403);
    const first = await override(hits[0].indicatorId, staff.approver).expect(200);
    expect(first.body.protectionOverride).toMatchObject({ approvedBy: staff.approverId });
    // One override is not enough: the other protected item still blocks publication.
    await flow.approveCall(id, version as number).expect(422);
    await override(hits[1].indicatorId, staff.approver).expect(200);
    await flow.approveCall(id, version as number).expect(200);
    expect((await changesOf(ispA.org.id, id)).map((c) => c.value).sort()).toEqual(
      ['10.20.30.40', 'portal.mail.gov.vn', safe].sort(),
    );
    // An override for something that is not protected is refused.
    const plain = await request(t.server)
      .get(`/api/v1/indicators?valuePrefix=${safe}`)
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    await override(plain.body.items[0].id as string, staff.approver).expect(409);
  });

  it('withdrawal removes what no other request still blocks; an unblock request removes it anyway', async () => {
    const [x, y] = [unprotected.domain(), unprotected.domain()];
    const a = await flow.publish([ispB.org.id], [x, y]);
    const b = await flow.publish([ispB.org.id], [y]);
    expect(await changesOf(ispB.org.id, b.id as string)).toEqual([]);
    const withdrawn = await flow.withdraw(a.id as string);
    expect(withdrawn).toMatchObject({
      status: 'withdrawn',
      withdrawalReason: 'The order was annulled',
      assignments: [{ organizationId: ispB.org.id, status: 'withdrawn' }],
    });
    const removals = await changesOf(ispB.org.id, a.id as string);
    expect(removals.filter((c) => c.op === 'remove').map((c) => [c.value, c.reason])).toEqual([
      [x, 'withdrawal'],
    ]);
    expect(await activeValues(ispB.org.id, [x, y])).toEqual([y]);
    const outbox = await db.query<{ topic: string }[]>(
      `SELECT topic FROM outbox WHERE aggregate_id = $1 ORDER BY id`,
      [a.id],
    );
    expect(outbox.map((o) => o.topic)).toEqual(['request.published', 'request.withdrawn']);

    const unblock = await flow.publish([ispB.org.id], [y], 'unblock');
    expect(
      (await changesOf(ispB.org.id, unblock.id as string)).map((c) => [c.op, c.reason, c.value]),
    ).toEqual([['remove', 'unblock', y]]);
    expect(await activeValues(ispB.org.id, [x, y])).toEqual([]);
    // Withdrawing b now changes nothing: its claim was ended by the unblock.
    await flow.withdraw(b.id as string);
    expect((await changesOf(ispB.org.id, b.id as string)).length).toBe(0);
    // A withdrawn request cannot be withdrawn again.
    await flow
      .raw('post', `/${a.id as string}/withdraw`, staff.approver)
      .send({ version: withdrawn.version, reason: 'again' })
      .expect(409);
  });

  it('shows an ISP only the published requests addressed to it, and only its own assignment', async () => {
    const published = await flow.publish([ispA.org.id, ispB.org.id], [unprotected.domain()]);
    const id = published.id as string;
    const draft = await flow.draft([ispA.org.id]);
    const seenByA = await flow.get(id, ispA.token);
    expect(
      (seenByA.assignments as { organizationId: string }[]).map((a) => a.organizationId),
    ).toEqual([ispA.org.id]);
    expect(seenByA.history).toEqual([]);
    // Neither the other recipients nor the Department staff are shown to an ISP.
    expect(seenByA).toMatchObject({
      targetOrganizationIds: [ispA.org.id],
      createdBy: null,
      submittedBy: null,
      approvedBy: null,
    });
    expect((await flow.get(id)).targetOrganizationIds).toHaveLength(2);
    await flow.raw('get', `/${id}/items`, ispA.token).expect(200);
    await flow.raw('get', `/${id}`, ispC.token).expect(404);
    await flow.raw('get', `/${id}/items`, ispC.token).expect(404);
    await flow.raw('get', `/${draft.id as string}`, ispA.token).expect(404);
    const listA = await flow.raw('get', '?limit=200', ispA.token).expect(200);
    const idsA = (listA.body.items as { id: string; status: string }[]).map((r) => r.id);
    expect(idsA).toContain(id);
    expect(idsA).not.toContain(draft.id);
    const listC = await flow.raw('get', '?limit=200', ispC.token).expect(200);
    expect((listC.body.items as { id: string }[]).map((r) => r.id)).not.toContain(id);
  });

  it('checks a request before it can be submitted', async () => {
    const empty = await flow.draft([ispA.org.id]);
    const noItems = await flow
      .raw('post', `/${empty.id as string}/submit`, staff.analyst)
      .send({ version: 1 })
      .expect(422);
    expect(noItems.body.detail).toMatch(/without items/);

    const red = await request(t.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${staff.analyst}`)
      .send({ value: unprotected.domain(), tlp: 'RED' })
      .expect(201);
    const toAll = await flow.draft('all');
    await flow
      .raw('post', `/${toAll.id as string}/items`, staff.analyst)
      .send({ indicatorIds: [red.body.id] })
      .expect(201);
    const refused = await flow
      .raw('post', `/${toAll.id as string}/submit`, staff.analyst)
      .send({ version: 2 })
      .expect(422);
    expect(refused.body.detail).toMatch(/TLP:RED/);

    const unknown = await flow
      .raw('post', `/${empty.id as string}/items`, staff.analyst)
      .send({ indicatorIds: ['00000000-0000-4000-8000-000000000000'], values: ['not a value'] })
      .expect(400);
    expect(unknown.body['invalid-params'][0].name).toBe('values[0]');
    expect((await flow.get(empty.id as string)).itemCount).toBe(0);
    const badTarget = await flow
      .raw('post', '', staff.analyst)
      .send({
        documentNumber: 'X-1',
        title: 'Bad target',
        legalBasis: 'none',
        category: 'other',
        severity: 'low',
        targetsAll: false,
        targetOrganizationIds: [staff.analystId],
      })
      .expect(400);
    expect(badTarget.body['invalid-params'][0].reason).toMatch(/not an ISP/);
  });

  it('revoking an indicator removes it from every ISP that has it, with its history', async () => {
    const value = unprotected.ipv4();
    await flow.publish([ispA.org.id, ispB.org.id], [value]);
    const found = await request(t.server)
      .get(`/api/v1/indicators?valuePrefix=${value}&type=ipv4`)
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    const indicator = (found.body.items as { id: string; value: string }[]).find(
      (i) => i.value === value,
    )!;
    const revoked = await request(t.server)
      .post(`/api/v1/indicators/${indicator.id}/revoke`)
      .set('authorization', `Bearer ${staff.approver}`)
      .send({ reason: 'False positive: a hospital gateway' })
      .expect(200);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(revoked.body.history).toMatchObject([{ from: 'active', to: 'revoked' }]);
    expect(revoked.body.requests).toHaveLength(1);
    for (const org of [ispA.org.id, ispB.org.id]) {
      expect((await changesOf(org)).filter((c) => c.value === value).map((c) => c.op)).toEqual([
        'add',
        'remove',
      ]);
    }
    await request(t.server)
      .post(`/api/v1/indicators/${indicator.id}/revoke`)
      .set('authorization', `Bearer ${staff.approver}`)
      .send({ reason: 'again' })
      .expect(409);
  });

  it('filters and pages indicators and requests', async () => {
    const tag = `op-${randomBytes(4).toString('hex')}`;
    const prefix = `f${randomBytes(5).toString('hex')}`;
    for (let i = 0; i < 5; i++) {
      await request(t.server)
        .post('/api/v1/indicators')
        .set('authorization', `Bearer ${staff.analyst}`)
        .send({ value: `${prefix}-${i}.com`, tags: [tag] })
        .expect(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await request(t.server)
        .get('/api/v1/indicators')
        .query({ tag, limit: 2, ...(cursor ? { cursor } : {}) })
        .set('authorization', `Bearer ${staff.analyst}`)
        .expect(200);
      seen.push(...(res.body.items as { value: string }[]).map((i) => i.value));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `${prefix}-${i}.com`));
    const byPrefix = await request(t.server)
      .get('/api/v1/indicators')
      .query({ valuePrefix: `${prefix}-3`, type: 'domain', status: 'active' })
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    expect(byPrefix.body.items.map((i: { value: string }) => i.value)).toEqual([`${prefix}-3.com`]);
    await request(t.server)
      .get('/api/v1/indicators?limit=201')
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(400);
    // Wildcards in the prefix are literal.
    const literal = await request(t.server)
      .get('/api/v1/indicators')
      .query({ valuePrefix: `${prefix.slice(0, 4)}%` })
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    expect(literal.body.items).toEqual([]);

    const req = await flow.publish([ispA.org.id], [`${prefix}-1.com`]);
    const inRequest = await request(t.server)
      .get('/api/v1/indicators')
      .query({ requestId: req.id })
      .set('authorization', `Bearer ${staff.analyst}`)
      .expect(200);
    expect(inRequest.body.items.map((i: { value: string }) => i.value)).toEqual([
      `${prefix}-1.com`,
    ]);
    const requests = await flow
      .raw(
        'get',
        `?indicatorId=${inRequest.body.items[0].id as string}&status=published`,
        staff.analyst,
      )
      .expect(200);
    expect(requests.body.items.map((r: { id: string }) => r.id)).toEqual([req.id]);
  });

  it('publishes a request of 100,000 items', async () => {
    const label = randomBytes(4).toString('hex');
    const values = Array.from({ length: 100_000 }, (_, i) => `n${i}-${label}.com`);
    const draft = await flow.draft([ispC.org.id]);
    const id = draft.id as string;
    const added = await flow.addValues(id, values);
    expect(added).toMatchObject({ added: 100_000, indicatorsCreated: 100_000, itemCount: 100_000 });
    await flow.submit(id);
    const published = await flow.approve(id);
    expect(published).toMatchObject({ status: 'published', itemCount: 100_000 });
    const [count] = await db.query<{ n: number; span: number }[]>(
      `SELECT count(*)::int AS n, (max(version) - min(version) + 1)::int AS span
         FROM feed_changes WHERE request_id = $1 AND organization_id = $2`,
      [id, ispC.org.id],
    );
    expect(count).toEqual({ n: 100_000, span: 100_000 });
  }, 120_000);
});
