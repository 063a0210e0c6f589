import { ownerQuery } from '#test/support/database-urls.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Controller, Module, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Roles } from '#src/identity/auth/access.decorators.js';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { IdempotencyService } from '#src/platform/idempotency/idempotency.service.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';
import { Factories } from '#test/support/factories.js';
import {
  departmentStaff,
  RequestFlow,
  status,
  unprotected,
  type Staff,
} from '#test/support/requests.js';

const HOUR = 3600_000;

let rawCalls = 0;

/** A route that sends its own reply (@Res() without passthrough), as a later one might. */
@Controller('__idempotency')
class RawReplyController {
  @Post('raw')
  @Roles('analyst')
  raw(@Res() reply: FastifyReply): void {
    rawCalls++;
    void reply.code(202).header('location', `/raw/${rawCalls}`).send({ call: rawCalls });
  }
}

@Module({ controllers: [RawReplyController] })
class RawReplyModule {}
const REUSED = 'urn:threat-exchange:problem:idempotency-key-reused';
const IN_FLIGHT = 'urn:threat-exchange:problem:idempotency-key-in-flight';
const INVALID = 'urn:threat-exchange:problem:idempotency-key-invalid';

/**
 * Idempotency-Key on existing POST routes that know nothing about it: the global interceptor
 * and the onSend hook do everything. Real PostgreSQL; time from a ManualClock.
 */
describe('Idempotency-Key on every authenticated POST', () => {
  let t: TestApp;
  let db: DataSource;
  let staff: Staff;
  let flow: RequestFlow;
  const clock = new ManualClock();

  const createIndicator = (token: string, key: string | undefined, body: object) => {
    const req = request(t.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${token}`);
    if (key !== undefined) void req.set('idempotency-key', key);
    return req.send(body);
  };
  const indicatorsNamed = async (value: string): Promise<number> =>
    Number(
      (
        await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM indicators WHERE value = $1`, [
          value,
        ])
      )[0].n,
    );
  const keyRows = (key: string) =>
    db.query<{ state: string; response_status: number | null }[]>(
      `SELECT state, response_status FROM idempotency_keys WHERE key = $1`,
      [key],
    );

  beforeAll(async () => {
    t = await createTestApp({ clock, extraImports: [RawReplyModule] });
    db = t.app.get(DataSource);
    staff = await departmentStaff(t.app);
    flow = new RequestFlow(t.app, staff);
  });
  afterAll(async () => {
    await t.close();
  });

  it('replays the first answer (same status and body) and creates exactly one row', async () => {
    const key = randomUUID();
    const value = unprotected.domain();
    const first = await createIndicator(staff.analyst, key, { value, tags: ['botnet'] }).expect(
      status(201),
    );
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await createIndicator(staff.analyst, key, { value, tags: ['botnet'] }).expect(
      status(201),
    );
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe(first.headers['content-type']);
    expect(again.text).toBe(first.text);
    expect(await indicatorsNamed(value)).toBe(1);
    // Whitespace of the JSON does not matter: the parsed body is fingerprinted.
    const spaced = await request(t.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${staff.analyst}`)
      .set('idempotency-key', key)
      .set('content-type', 'application/json')
      .send(`{ "value" : "${value}",\n "tags": [ "botnet" ] }`)
      .expect(status(201));
    expect(spaced.text).toBe(first.text);
    // The draft's quoted form (a Structured Field String) names the same key.
    const quoted = await createIndicator(staff.analyst, `"${key}"`, {
      value,
      tags: ['botnet'],
    }).expect(status(201));
    expect(quoted.headers['idempotent-replayed']).toBe('true');
    expect(await indicatorsNamed(value)).toBe(1);
    expect(await keyRows(key)).toEqual([{ state: 'done', response_status: 201 }]);
  });

  it('keeps stored answers sealed at rest (a secret shown once is not in clear) and replays them', async () => {
    const make = new Factories(t.app);
    const { token: admin } = await make.loginAs('admin');
    const ispOrg = await make.organization('isp');
    const key = randomUUID();
    const create = () =>
      request(t.server)
        .post('/api/v1/api-clients')
        .set('authorization', `Bearer ${admin}`)
        .set('idempotency-key', key)
        .send({ organizationId: ispOrg.id, name: 'sealed answer' });
    const first = await create().expect(status(201));
    const secret = first.body.clientSecret as string;
    expect(secret).toEqual(expect.any(String));
    const [row] = await db.query<{ body: Buffer }[]>(
      `SELECT response_body AS body FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    expect(row.body.length).toBeGreaterThan(0);
    expect(row.body.includes(Buffer.from(secret))).toBe(false);
    expect(row.body.includes(Buffer.from(first.body.clientId as string))).toBe(false);
    const again = await create().expect(status(201));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    expect(again.body.clientSecret).toBe(secret);
  });

  it('without the header, requests behave as before (a second create is a 409)', async () => {
    const value = unprotected.domain();
    await createIndicator(staff.analyst, undefined, { value }).expect(status(201));
    const second = await createIndicator(staff.analyst, undefined, { value }).expect(status(409));
    expect(second.headers['idempotent-replayed']).toBeUndefined();
  });

  it('refuses the same key with a different body, path or query (422) and runs nothing', async () => {
    const key = randomUUID();
    const value = unprotected.domain();
    await createIndicator(staff.analyst, key, { value }).expect(status(201));
    const other = unprotected.domain();
    const res = await createIndicator(staff.analyst, key, { value: other }).expect(status(422));
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: REUSED, status: 422 });
    expect(await indicatorsNamed(other)).toBe(0);
    const draft = await request(t.server)
      .post('/api/v1/blocking-requests')
      .set('authorization', `Bearer ${staff.analyst}`)
      .set('idempotency-key', key)
      .send({ value })
      .expect(status(422));
    expect(draft.body.type).toBe(REUSED);
    await request(t.server)
      .post('/api/v1/indicators?x=1')
      .set('authorization', `Bearer ${staff.analyst}`)
      .set('idempotency-key', key)
      .send({ value })
      .expect(status(422));
  });

  it('validates the key: 1–255 visible ASCII characters, else 400', async () => {
    const value = unprotected.domain();
    for (const bad of ['', 'x'.repeat(256), 'has space', 'tab\there', 'é-accent', '"unclosed\\"']) {
      const res = await createIndicator(staff.analyst, bad, { value }).expect(status(400));
      expect(res.body.type).toBe(INVALID);
    }
    expect(await indicatorsNamed(value)).toBe(0);
    await createIndicator(staff.analyst, 'k'.repeat(255), { value }).expect(status(201));
  });

  it('stores 4xx answers (a validation error replays), not 409', async () => {
    const key = randomUUID();
    const bad = await createIndicator(staff.analyst, key, { value: 'not a domain!' }).expect(
      status(400),
    );
    const replay = await createIndicator(staff.analyst, key, { value: 'not a domain!' }).expect(
      status(400),
    );
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(bad.text);

    // A 409 (the indicator exists) is not stored: the key is free for a retry.
    const value = unprotected.domain();
    await createIndicator(staff.analyst, undefined, { value }).expect(status(201));
    const conflictKey = randomUUID();
    await createIndicator(staff.analyst, conflictKey, { value }).expect(status(409));
    expect(await keyRows(conflictKey)).toEqual([]);
  });

  it('answers 409 with Retry-After while the first request is in flight, then replays it', async () => {
    const draft = await flow.draft('all');
    const id = draft.id as string;
    await flow.addValues(id, [unprotected.domain()]);
    clock.set(new Date()); // submission checks validFrom (set by the database) against the clock
    const { version } = await flow.get(id);
    const key = randomUUID();
    const submit = () =>
      request(t.server)
        .post(`/api/v1/blocking-requests/${id}/submit`)
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('idempotency-key', key)
        .send({ version });

    // Hold the first submit: a test connection locks the request's row.
    const runner = db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    let first: Promise<request.Response> | undefined;
    try {
      await runner.query(`SELECT 1 FROM blocking_requests WHERE id = $1 FOR UPDATE`, [id]);
      first = submit().then((r) => r);
      // Wait (by state, not by time) until the first request holds the key.
      for (let i = 0; i < 500 && (await keyRows(key)).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await keyRows(key)).toEqual([{ state: 'in_flight', response_status: null }]);
      const busy = await submit().expect(status(409));
      expect(busy.body).toMatchObject({ type: IN_FLIGHT, status: 409 });
      expect(busy.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(busy.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await runner.commitTransaction();
      await runner.release();
    }
    const done = await first;
    status(200)(done);
    expect(done.body.status).toBe('pending_approval');
    const replay = await submit().expect(status(200));
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(done.text);
    await t.sealAudit();
    const history = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM audit_events WHERE object_id = $1 AND action LIKE '%submit%'`,
      [id],
    );
    expect(Number(history[0].n)).toBe(1);
  });

  it('keys are per caller: another caller with the same key is independent', async () => {
    const key = randomUUID();
    const value = unprotected.domain();
    const other = await new Factories(t.app).loginAs('analyst');
    await createIndicator(staff.analyst, key, { value }).expect(status(201));
    // The other analyst's request with the same key and body executes (and meets the
    // indicator the first one created), rather than replaying the first one's answer.
    const executed = await createIndicator(other.token, key, { value }).expect(status(409));
    expect(executed.headers['idempotent-replayed']).toBeUndefined();
    const mine = unprotected.domain();
    await createIndicator(other.token, key, { value: mine }).expect(status(201));
    expect(await indicatorsNamed(mine)).toBe(1);
    expect(await db.query(`SELECT 1 FROM idempotency_keys WHERE key = $1`, [key])).toHaveLength(2);
  });

  it('a 5xx releases the key: the retry executes', async () => {
    const key = randomUUID();
    const value = unprotected.domain();
    const fn = `fail_${randomUUID().replace(/-/g, '')}`;
    await ownerQuery(
      `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'injected failure'; END $$`,
    );
    await ownerQuery(
      `CREATE TRIGGER ${fn} BEFORE INSERT ON indicators FOR EACH ROW
         WHEN (NEW.value = '${value}') EXECUTE FUNCTION ${fn}()`,
    );
    try {
      await createIndicator(staff.analyst, key, { value }).expect(status(500));
      expect(await keyRows(key)).toEqual([]);
    } finally {
      await ownerQuery(`DROP TRIGGER ${fn} ON indicators`);
      await ownerQuery(`DROP FUNCTION ${fn}()`);
    }
    const retry = await createIndicator(staff.analyst, key, { value }).expect(status(201));
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await indicatorsNamed(value)).toBe(1);
  });

  it('an expired key executes again, a lapsed lease can be taken over, and expired rows are purged', async () => {
    clock.set(new Date());
    const key = randomUUID();
    const body = {
      documentNumber: `${randomUUID().slice(0, 8)}/STTTT-ATTT`,
      title: 'Botnet C2',
      legalBasis: 'Decree 53/2022/ND-CP, Article 21',
      category: 'botnet',
      severity: 'high',
      targetsAll: true,
    };
    const post = () =>
      request(t.server)
        .post('/api/v1/blocking-requests')
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('idempotency-key', key)
        .send(body);
    const first = await post().expect(status(201));
    expect((await post().expect(status(201))).body.id).toBe(first.body.id);
    clock.advance(23 * HOUR);
    expect((await post().expect(status(201))).headers['idempotent-replayed']).toBe('true');
    clock.advance(2 * HOUR);
    // Executed again: the document number now exists (409 conflict, not the 201 replayed).
    const again = await post().expect(status(409));
    expect(again.body.type).not.toBe(IN_FLIGHT);
    expect(again.headers['idempotent-replayed']).toBeUndefined();

    // A key left in flight by a crashed instance: refused until its lease lapses, then taken over.
    const crashed = randomUUID();
    const value = unprotected.domain();
    await createIndicator(staff.analyst, crashed, { value }).expect(status(201));
    await db.query(
      `UPDATE idempotency_keys SET state = 'in_flight', locked_until = $2,
              response_status = NULL, response_headers = NULL, response_body = NULL
        WHERE key = $1`,
      [crashed, new Date(clock.now().getTime() + 60_000)],
    );
    await createIndicator(staff.analyst, crashed, { value }).expect(status(409));
    clock.advance(61_000);
    // Taken over: executed (the indicator exists now, so 409 of the route, not in flight).
    const takenOver = await createIndicator(staff.analyst, crashed, { value }).expect(status(409));
    expect(takenOver.body.type).not.toBe(IN_FLIGHT);

    // Purge: every key past its expiry is deleted.
    clock.advance(25 * HOUR);
    await t.app.get(IdempotencyService).purge();
    const left = await db.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM idempotency_keys WHERE expires_at <= $1`,
      [clock.now()],
    );
    expect(Number(left[0].n)).toBe(0);
  });

  it('replays on a route that sends its own reply (@Res)', async () => {
    const key = randomUUID();
    const call = () =>
      request(t.server)
        .post('/api/v1/__idempotency/raw')
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('idempotency-key', key)
        .send({});
    const first = await call().expect(status(202));
    const again = await call().expect(status(202));
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.text).toBe(first.text);
    expect(rawCalls).toBe(1);
  });

  it('refuses a key on a streamed upload (bulk import) with 400, and imports nothing', async () => {
    const value = unprotected.domain();
    const res = await request(t.server)
      .post('/api/v1/imports')
      .set('authorization', `Bearer ${staff.analyst}`)
      .set('idempotency-key', randomUUID())
      .set('content-type', 'text/plain')
      .send(`${value}\n`)
      .expect(status(400));
    expect(res.body.type).toBe(INVALID);
    expect(await indicatorsNamed(value)).toBe(0);
  });

  it('leaves unauthenticated POSTs alone (the token endpoint)', async () => {
    const res = await request(t.server)
      .post('/api/v1/auth/login')
      .set('idempotency-key', 'has space')
      .send({ email: 'nobody@test.example', password: 'wrong-password-1' });
    expect(res.status).toBe(401);
  });

  it('documents the header and its 409/422 answers on every authenticated POST', async () => {
    const doc = (await request(t.server).get('/api/openapi.json').expect(200)).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            security?: unknown[];
            parameters?: { name: string }[];
            responses: Record<string, unknown>;
          }
        >
      >;
    };
    let seen = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const op = item.post;
      if (!op || !path.startsWith('/api/v1/')) continue;
      const names = (op.parameters ?? []).map((p) => p.name);
      if (!op.security?.length) {
        expect(names).not.toContain('Idempotency-Key');
        continue;
      }
      seen++;
      expect({ path, has: names.includes('Idempotency-Key') }).toEqual({ path, has: true });
      if (path !== '/api/v1/imports') {
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['409', '422']));
      }
    }
    expect(seen).toBeGreaterThan(5);
  });
});
