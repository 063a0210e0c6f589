import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { Principal } from '#src/identity/auth/principal.js';
import { runWithRequestContext } from '#src/platform/http/request-context.js';
import type { AuditEventColumns } from '#src/audit/trail/event-columns.js';
import { FeedPullRecorder, type FeedPull } from '#src/feeds/pulls/feed-pull.recorder.js';
import { freshDatabase, ownerQuery } from '#test/support/database-urls.js';
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

interface AuditRow extends AuditEventColumns {
  seq: string;
}

type Method = 'get' | 'post' | 'patch' | 'delete';
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const newRequestId = (): string => `audit-${randomUUID()}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCAL = /127\.0\.0\.1/;

/**
 * Issue 7, item 1: every state change, export and feed pull writes its event in the
 * transaction of the change, with who (actor, organization, roles), what (action, object,
 * before/after summary) and from where (request id, client address); when the event cannot be
 * written, the change fails (5xx) and nothing of it stays.
 */
describe('audit events: coverage and atomicity', () => {
  let t: TestApp;
  let db: DataSource;
  let make: Factories;
  let admin: Awaited<ReturnType<Factories['loginAs']>>;

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    make = new Factories(t.app);
    admin = await make.loginAs('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  const eventsOf = async (requestId: string): Promise<AuditRow[]> => {
    await t.sealAudit();
    return db.query<AuditRow[]>(`SELECT * FROM audit_events WHERE request_id = $1 ORDER BY seq`, [
      requestId,
    ]);
  };

  const call = (method: Method, path: string, token: string | undefined, requestId: string) => {
    const r = request(t.server)[method](`/api/v1${path}`).set('x-request-id', requestId);
    return token === undefined ? r : r.set('authorization', `Bearer ${token}`);
  };

  /** The columns every event of an authenticated user's request has. */
  const byUser = (
    user: { id: string; organizationId: string },
    roles: string[],
    requestId: string,
  ) => ({
    actor_type: 'user',
    actor_id: user.id,
    organization_id: user.organizationId,
    roles,
    request_id: requestId,
    client_ip: expect.stringMatching(LOCAL),
  });

  /** What the service records on its own behalf during a request (failed logins). */
  const bySystem = (requestId: string) => ({
    actor_type: 'system',
    actor_id: null,
    organization_id: null,
    roles: [],
    request_id: requestId,
    client_ip: expect.stringMatching(LOCAL),
  });

  const adminActor = () => ({ id: admin.user.id, organizationId: admin.organization.id });

  /**
   * Runs `work` while inserting an audit event of `action` for `requestId` fails (a trigger,
   * made as the owner: the service's role may not). Scoped to the request id, so that the
   * other test files sharing the database are not affected.
   */
  async function whileAuditFails<T>(
    action: string,
    requestId: string,
    work: () => Promise<T>,
  ): Promise<T> {
    const name = `test_fail_audit_${randomBytes(6).toString('hex')}`;
    await ownerQuery(`
      CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.action = '${action}' AND NEW.request_id = '${requestId}' THEN
          RAISE EXCEPTION 'injected audit failure';
        END IF;
        RETURN NEW;
      END $$`);
    await ownerQuery(
      `CREATE TRIGGER ${name} BEFORE INSERT ON audit_pending
         FOR EACH ROW EXECUTE FUNCTION ${name}()`,
    );
    try {
      return await work();
    } finally {
      await ownerQuery(`DROP TRIGGER IF EXISTS ${name} ON audit_pending`);
      await ownerQuery(`DROP FUNCTION IF EXISTS ${name}()`);
    }
  }

  const serverFault = (res: { status: number; body: unknown }): void => {
    if (res.status < 500 || res.status > 599) {
      throw new Error(`expected a 5xx, got ${res.status}: ${JSON.stringify(res.body)}`);
    }
  };

  describe('administration', () => {
    it('organization create and update: the change and its event together, from → to', async () => {
      const shortCode = `AE-${randomBytes(3).toString('hex')}`.toUpperCase();
      const rid = newRequestId();
      const created = await call('post', '/organizations', admin.token, rid)
        .send({ kind: 'isp', name: 'Audit Events ISP', shortCode })
        .expect(status(201));
      expect(await eventsOf(rid)).toEqual([
        expect.objectContaining({
          ...byUser(adminActor(), ['admin'], rid),
          action: 'organization.create',
          object_type: 'organization',
          object_id: created.body.id,
          summary: { kind: 'isp', shortCode, name: 'Audit Events ISP' },
        }),
      ]);
      const rid2 = newRequestId();
      await call('patch', `/organizations/${created.body.id}`, admin.token, rid2)
        .send({ version: created.body.version, name: 'Renamed ISP' })
        .expect(status(200));
      expect(await eventsOf(rid2)).toEqual([
        expect.objectContaining({
          ...byUser(adminActor(), ['admin'], rid2),
          action: 'organization.update',
          object_id: created.body.id,
          summary: { changes: { name: { from: 'Audit Events ISP', to: 'Renamed ISP' } } },
        }),
      ]);
    });

    it('user create and update: changes from → to, sessions ended, never a password or its hash', async () => {
      const email = `${randomUUID()}@audit.example`;
      const password = `pw-${randomBytes(9).toString('base64url')}`;
      const rid = newRequestId();
      const created = await call('post', '/users', admin.token, rid)
        .send({
          organizationId: admin.organization.id,
          email,
          name: 'Audited Analyst',
          roles: ['analyst'],
          password,
        })
        .expect(status(201));
      const [create] = await eventsOf(rid);
      expect(create).toMatchObject({
        ...byUser(adminActor(), ['admin'], rid),
        action: 'user.create',
        object_type: 'user',
        object_id: created.body.id,
        summary: {
          organizationId: admin.organization.id,
          email,
          name: 'Audited Analyst',
          roles: ['analyst'],
        },
      });
      // A session to end.
      await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email, password })
        .expect(status(200));
      const newPassword = `pw-${randomBytes(9).toString('base64url')}`;
      const rid2 = newRequestId();
      await call('patch', `/users/${created.body.id}`, admin.token, rid2)
        .send({
          version: created.body.version,
          name: 'Audited Approver',
          roles: ['approver'],
          password: newPassword,
        })
        .expect(status(200));
      const [update, ...rest] = await eventsOf(rid2);
      expect(rest).toEqual([]);
      expect(update).toMatchObject({
        ...byUser(adminActor(), ['admin'], rid2),
        action: 'user.update',
        object_id: created.body.id,
        summary: {
          changes: {
            name: { from: 'Audited Analyst', to: 'Audited Approver' },
            roles: { from: ['analyst'], to: ['approver'] },
          },
          passwordChanged: true,
          sessionsEnded: 1,
        },
      });
      const text = JSON.stringify([create, update]);
      for (const secret of [password, newPassword, '$argon2']) expect(text).not.toContain(secret);
    });

    it('API client create, rotate and revoke (once): no secret in the trail', async () => {
      const ispOrg = await make.organization('isp');
      const rid = newRequestId();
      const created = await call('post', '/api-clients', admin.token, rid)
        .send({ organizationId: ispOrg.id, name: 'Audited feed client' })
        .expect(status(201));
      const rid2 = newRequestId();
      const rotated = await call(
        'post',
        `/api-clients/${created.body.id}/rotate`,
        admin.token,
        rid2,
      )
        .send({})
        .expect(status(200));
      const rid3 = newRequestId();
      await call('post', `/api-clients/${created.body.id}/revoke`, admin.token, rid3)
        .send({})
        .expect(status(200));
      const rid4 = newRequestId();
      await call('post', `/api-clients/${created.body.id}/revoke`, admin.token, rid4)
        .send({})
        .expect(status(200));
      const [create] = await eventsOf(rid);
      const [rotate] = await eventsOf(rid2);
      const [revoke] = await eventsOf(rid3);
      const common = { object_type: 'api_client', object_id: created.body.id };
      expect(create).toMatchObject({
        ...byUser(adminActor(), ['admin'], rid),
        ...common,
        action: 'api_client.create',
        summary: {
          organizationId: ispOrg.id,
          clientId: created.body.clientId,
          name: 'Audited feed client',
        },
      });
      expect(rotate).toMatchObject({
        ...byUser(adminActor(), ['admin'], rid2),
        ...common,
        action: 'api_client.rotate',
        summary: { clientId: created.body.clientId, previousSecretIssuedAt: expect.any(String) },
      });
      expect(revoke).toMatchObject({
        ...byUser(adminActor(), ['admin'], rid3),
        ...common,
        action: 'api_client.revoke',
        summary: { clientId: created.body.clientId, from: 'active', to: 'revoked' },
      });
      // Revoking again changes nothing: nothing is recorded.
      expect(await eventsOf(rid4)).toEqual([]);
      const text = JSON.stringify([create, rotate, revoke]);
      expect(text).not.toContain(created.body.clientSecret);
      expect(text).not.toContain(rotated.body.clientSecret);
    });

    it('an indicator update says each changed field from → to', async () => {
      const analyst = await make.loginAs('analyst');
      const value = unprotected.domain();
      const created = await call('post', '/indicators', analyst.token, newRequestId())
        .send({ type: 'domain', value, tlp: 'GREEN', tags: ['phishing'] })
        .expect(status(201));
      const rid = newRequestId();
      await call('patch', `/indicators/${created.body.id}`, analyst.token, rid)
        .send({ version: created.body.version, tlp: 'AMBER', tags: ['phishing'] })
        .expect(status(200));
      expect(await eventsOf(rid)).toEqual([
        expect.objectContaining({
          ...byUser(
            { id: analyst.user.id, organizationId: analyst.organization.id },
            ['analyst'],
            rid,
          ),
          action: 'indicator.update',
          object_id: created.body.id,
          summary: { value, changes: { tlp: { from: 'GREEN', to: 'AMBER' } } },
        }),
      ]);
    });
  });

  describe('authentication', () => {
    it('login, refresh, a reused refresh token and logout are recorded with the session', async () => {
      const dept = await make.organization('department');
      const user = await make.user(dept, ['analyst']);
      const actor = { id: user.id, organizationId: dept.id };
      const rid = newRequestId();
      const login = await call('post', '/auth/login', undefined, rid)
        .send({ email: user.email, password: user.password })
        .expect(status(200));
      const [loggedIn, ...none] = await eventsOf(rid);
      expect(none).toEqual([]);
      expect(loggedIn).toMatchObject({
        ...byUser(actor, ['analyst'], rid),
        action: 'auth.login',
        object_type: 'user',
        object_id: user.id,
        summary: { session: expect.stringMatching(UUID), tokenId: expect.stringMatching(UUID) },
      });
      const session = loggedIn.summary.session;

      const rid2 = newRequestId();
      await call('post', '/auth/refresh', undefined, rid2)
        .send({ refresh_token: login.body.refresh_token })
        .expect(status(200));
      expect(await eventsOf(rid2)).toEqual([
        expect.objectContaining({
          ...byUser(actor, ['analyst'], rid2),
          action: 'auth.refresh',
          object_id: user.id,
          summary: { session, tokenId: expect.stringMatching(UUID) },
        }),
      ]);

      // The spent token again: theft; its whole session (both tokens) is revoked.
      const rid3 = newRequestId();
      await call('post', '/auth/refresh', undefined, rid3)
        .send({ refresh_token: login.body.refresh_token })
        .expect(status(401));
      expect(await eventsOf(rid3)).toEqual([
        expect.objectContaining({
          ...bySystem(rid3),
          action: 'auth.session_revoke',
          object_type: 'user',
          object_id: user.id,
          summary: { session, reason: 'refresh_token_reused', revoked: 2 },
        }),
      ]);

      const again = await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(status(200));
      const rid4 = newRequestId();
      await call('post', '/auth/logout', undefined, rid4)
        .send({ refresh_token: again.body.refresh_token })
        .expect(status(204));
      const [logout] = await eventsOf(rid4);
      expect(logout).toMatchObject({
        ...byUser(actor, ['analyst'], rid4),
        action: 'auth.logout',
        object_id: user.id,
        summary: { session: expect.stringMatching(UUID), revoked: 1 },
      });
      expect(logout.summary.session).not.toBe(session);
      // An ended session changes nothing on a second logout.
      const rid5 = newRequestId();
      await call('post', '/auth/logout', undefined, rid5)
        .send({ refresh_token: again.body.refresh_token })
        .expect(status(204));
      expect(await eventsOf(rid5)).toEqual([]);
    });

    it('failed logins are counted and recorded in one transaction; the fifth locks the account', async () => {
      const dept = await make.organization('department');
      const user = await make.user(dept, ['analyst']);
      for (let i = 1; i <= 5; i++) {
        const rid = newRequestId();
        await call('post', '/auth/login', undefined, rid)
          .send({ email: user.email, password: 'not-the-password' })
          .expect(status(401));
        const events = await eventsOf(rid);
        expect(events).toEqual([
          expect.objectContaining({
            ...bySystem(rid),
            action: 'auth.login_failed',
            object_type: 'user',
            object_id: user.id,
            summary: { reason: 'password', organizationId: dept.id, failedLogins: i },
          }),
          ...(i < 5
            ? []
            : [
                expect.objectContaining({
                  ...bySystem(rid),
                  action: 'auth.lockout',
                  object_id: user.id,
                  summary: {
                    organizationId: dept.id,
                    failedLogins: 5,
                    lockedUntil: expect.any(String),
                  },
                }),
              ]),
        ]);
      }
      // The right password while locked: refused and recorded, nothing counted.
      const rid = newRequestId();
      await call('post', '/auth/login', undefined, rid)
        .send({ email: user.email, password: user.password })
        .expect(status(401));
      expect((await eventsOf(rid)).map((e) => [e.action, e.summary])).toEqual([
        ['auth.login_failed', { reason: 'locked', organizationId: dept.id, failedLogins: 5 }],
      ]);
      // An unknown e-mail changes nothing: nothing is recorded.
      const unknown = newRequestId();
      await call('post', '/auth/login', undefined, unknown)
        .send({ email: `${randomUUID()}@nowhere.example`, password: 'whatever-it-is' })
        .expect(status(401));
      expect(await eventsOf(unknown)).toEqual([]);
    });

    it('a client-credentials token is recorded for its API client', async () => {
      const ispOrg = await make.organization('isp');
      const client = await make.apiClient(ispOrg);
      const rid = newRequestId();
      await call('post', '/auth/token', undefined, rid)
        .type('form')
        .send({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.secret,
        })
        .expect(status(200));
      const [event, ...rest] = await eventsOf(rid);
      expect(rest).toEqual([]);
      expect(event).toMatchObject({
        actor_type: 'api_client',
        actor_id: client.id,
        organization_id: ispOrg.id,
        roles: ['isp_client'],
        action: 'auth.token',
        object_type: 'api_client',
        object_id: client.id,
        summary: { clientId: client.clientId, tokenId: expect.stringMatching(UUID) },
        request_id: rid,
        client_ip: expect.stringMatching(LOCAL),
      });
      expect(JSON.stringify(event)).not.toContain(client.secret);
    });
  });

  describe('feed pulls', () => {
    let recorder: FeedPullRecorder;
    beforeAll(() => {
      recorder = t.app.get(FeedPullRecorder);
    });

    /** The pull events of a request once flushed (a snapshot is recorded when its stream ends). */
    async function pullEvents(requestId: string): Promise<AuditRow[]> {
      for (let i = 0; i < 50; i++) {
        await recorder.flush();
        const events = await eventsOf(requestId);
        if (events.length > 0) return events;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [];
    }

    it('each pull, 200 and 304, is an event with the ISP caller and the request that pulled', async () => {
      const client = await make.loginAs('isp_client');
      const expected = (requestId: string) => ({
        actor_type: 'api_client',
        actor_id: client.user.id,
        organization_id: client.organization.id,
        roles: ['isp_client'],
        action: 'feed.pull',
        object_type: 'feed',
        object_id: client.organization.id,
        request_id: requestId,
        client_ip: expect.stringMatching(LOCAL),
      });
      const rid = newRequestId();
      const page = await call('get', '/feed/changes?after=0', client.token, rid).expect(
        status(200),
      );
      const rid2 = newRequestId();
      await call('get', '/feed/changes?after=0', client.token, rid2)
        .set('if-none-match', page.headers.etag)
        .expect(304);
      const rid3 = newRequestId();
      const snapshot = await call('get', '/feed/snapshot.txt', client.token, rid3).expect(
        status(200),
      );

      expect(await pullEvents(rid)).toEqual([
        expect.objectContaining({
          ...expected(rid),
          summary: {
            format: 'changes',
            status: 200,
            fromVersion: 0,
            toVersion: page.body.next,
            bytes: Buffer.byteLength(page.text),
            sha256: sha256(page.text),
            pulledAt: expect.any(String),
          },
        }),
      ]);
      expect(await pullEvents(rid2)).toEqual([
        expect.objectContaining({
          ...expected(rid2),
          summary: expect.objectContaining({ format: 'changes', status: 304, bytes: 0 }),
        }),
      ]);
      expect(await pullEvents(rid3)).toEqual([
        expect.objectContaining({
          ...expected(rid3),
          summary: expect.objectContaining({
            format: 'txt',
            status: 200,
            fromVersion: null,
            toVersion: Number(snapshot.headers['x-feed-version']),
            sha256: sha256(snapshot.text),
          }),
        }),
      ]);
    });

    it('identical 304s of one caller in one flush are one event with their count', async () => {
      const client = await make.loginAs('isp_client');
      const principal: Principal = {
        kind: 'client',
        id: client.user.id,
        organizationId: client.organization.id,
        organizationKind: 'isp',
        roles: ['isp_client'],
        tokenId: randomUUID(),
      };
      const poll: FeedPull = {
        principal,
        format: 'changes',
        fromVersion: 7,
        toVersion: 7,
        status: 304,
        bytes: 0,
      };
      const [first, second, elsewhere] = [newRequestId(), newRequestId(), newRequestId()];
      await recorder.flush();
      runWithRequestContext({ requestId: first, clientIp: '192.0.2.1' }, () =>
        recorder.record(poll),
      );
      runWithRequestContext({ requestId: second, clientIp: '192.0.2.1' }, () =>
        recorder.record(poll),
      );
      runWithRequestContext({ requestId: elsewhere, clientIp: '192.0.2.2' }, () =>
        recorder.record(poll),
      );
      await recorder.flush();
      const [one] = await eventsOf(first);
      expect(one.summary).toMatchObject({
        status: 304,
        count: 2,
        lastPulledAt: expect.any(String),
      });
      expect(one.client_ip).toBe('192.0.2.1');
      expect(await eventsOf(second)).toEqual([]);
      const [other] = await eventsOf(elsewhere);
      expect(other).toMatchObject({ client_ip: '192.0.2.2', summary: { status: 304 } });
      expect(other.summary.count).toBeUndefined();
      const [{ n }] = await db.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM feed_pulls WHERE organization_id = $1`,
        [client.organization.id],
      );
      expect(n).toBe(3);
    });
  });

  describe('exports', () => {
    it('the compliance CSV is recorded with its SHA-256', async () => {
      const auditor = await make.loginAs('auditor');
      const rid = newRequestId();
      const res = await call('get', '/compliance.csv', auditor.token, rid).expect(status(200));
      expect(await eventsOf(rid)).toEqual([
        expect.objectContaining({
          ...byUser(
            { id: auditor.user.id, organizationId: auditor.organization.id },
            ['auditor'],
            rid,
          ),
          action: 'compliance.export',
          object_type: 'compliance_report',
          object_id: null,
          summary: expect.objectContaining({
            format: 'csv',
            bytes: Buffer.byteLength(res.text),
            sha256: sha256(res.text),
          }),
        }),
      ]);
    });

    it('the sightings summary CSV is recorded; its JSON form is a read, not recorded', async () => {
      const analyst = await make.loginAs('analyst');
      const actor = { id: analyst.user.id, organizationId: analyst.organization.id };
      const rid = newRequestId();
      const res = await call('get', '/sightings/summary?format=csv', analyst.token, rid).expect(
        status(200),
      );
      expect(await eventsOf(rid)).toEqual([
        expect.objectContaining({
          ...byUser(actor, ['analyst'], rid),
          action: 'sighting.export',
          object_type: 'sighting_summary',
          summary: expect.objectContaining({ format: 'csv', sha256: sha256(res.text) }),
        }),
      ]);
      const json = newRequestId();
      await call('get', '/sightings/summary', analyst.token, json).expect(status(200));
      expect(await eventsOf(json)).toEqual([]);
    });
  });

  it('a refused import is failed and recorded by its caller', async () => {
    const analyst = await make.loginAs('analyst');
    const rid = newRequestId();
    const res = await call('post', '/imports', analyst.token, rid)
      .set('content-type', 'text/plain')
      .send(`${unprotected.domain()}\nnot a domain\n`);
    expect(res.body).toMatchObject({ status: 'failed' });
    expect(await eventsOf(rid)).toEqual([
      expect.objectContaining({
        ...byUser(
          { id: analyst.user.id, organizationId: analyst.organization.id },
          ['analyst'],
          rid,
        ),
        action: 'import.fail',
        object_type: 'import',
        object_id: res.body.id,
        summary: expect.objectContaining({ to: 'failed', rows: 2, rejected: 1 }),
      }),
    ]);
  });

  describe('atomicity: when the event cannot be written, the change fails and nothing of it stays', () => {
    it('user create', async () => {
      const email = `${randomUUID()}@audit.example`;
      const rid = newRequestId();
      await whileAuditFails('user.create', rid, () =>
        call('post', '/users', admin.token, rid)
          .send({
            organizationId: admin.organization.id,
            email,
            name: 'Never',
            roles: ['analyst'],
            password: `pw-${randomBytes(9).toString('base64url')}`,
          })
          .expect(serverFault),
      );
      expect(await db.query(`SELECT 1 FROM users WHERE email = $1`, [email])).toEqual([]);
      expect(await eventsOf(rid)).toEqual([]);
    });

    it('user update (with the sessions it would end)', async () => {
      const user = await make.user(admin.organization, ['analyst']);
      await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: user.password })
        .expect(status(200));
      const rid = newRequestId();
      await whileAuditFails('user.update', rid, () =>
        call('patch', `/users/${user.id}`, admin.token, rid)
          .send({ version: user.version, name: 'Never', disabled: true })
          .expect(serverFault),
      );
      const [row] = await db.query<{ name: string; disabled: boolean; version: number }[]>(
        `SELECT name, disabled, version FROM users WHERE id = $1`,
        [user.id],
      );
      expect(row).toEqual({ name: user.name, disabled: false, version: user.version });
      expect(
        await db.query(
          `SELECT 1 FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL`,
          [user.id],
        ),
      ).toEqual([]);
      expect(await eventsOf(rid)).toEqual([]);
    });

    it('organization create', async () => {
      const shortCode = `AF-${randomBytes(3).toString('hex')}`.toUpperCase();
      const rid = newRequestId();
      await whileAuditFails('organization.create', rid, () =>
        call('post', '/organizations', admin.token, rid)
          .send({ kind: 'isp', name: 'Never', shortCode })
          .expect(serverFault),
      );
      expect(
        await db.query(`SELECT 1 FROM organizations WHERE short_code = $1`, [shortCode]),
      ).toEqual([]);
    });

    it('API client create', async () => {
      const ispOrg = await make.organization('isp');
      const rid = newRequestId();
      await whileAuditFails('api_client.create', rid, () =>
        call('post', '/api-clients', admin.token, rid)
          .send({ organizationId: ispOrg.id, name: 'Never' })
          .expect(serverFault),
      );
      expect(
        await db.query(`SELECT 1 FROM api_clients WHERE organization_id = $1`, [ispOrg.id]),
      ).toEqual([]);
    });

    describe('with a blocking request', () => {
      let staff: Staff;
      let flow: RequestFlow;
      beforeAll(async () => {
        staff = await departmentStaff(t.app);
        flow = new RequestFlow(t.app, staff);
      });

      it('request approval: no publication, assignment, feed change or outbox message', async () => {
        const target = await isp(t.app);
        const draft = await flow.draft([target.org.id]);
        const id = draft.id as string;
        await flow.addValues(id, [unprotected.domain()]);
        await flow.submit(id);
        const { version } = await flow.get(id);
        const rid = newRequestId();
        await whileAuditFails('blocking_request.approve', rid, () =>
          flow
            .raw('post', `/${id}/approve`, staff.approver)
            .set('x-request-id', rid)
            .send({ version })
            .expect(serverFault),
        );
        expect(await flow.get(id)).toMatchObject({ status: 'pending_approval', assignments: [] });
        expect(await db.query(`SELECT 1 FROM feed_changes WHERE request_id = $1`, [id])).toEqual(
          [],
        );
        expect(await db.query(`SELECT 1 FROM outbox WHERE aggregate_id = $1`, [id])).toEqual([]);
        expect(await eventsOf(rid)).toEqual([]);
        // And it goes through once the audit trail takes it.
        await flow.approve(id);
      });

      it('a confirmation: none stored, the assignment still pending', async () => {
        const target = await isp(t.app);
        const published = await flow.publish([target.org.id], [unprotected.domain()]);
        const [assignment] = published.assignments as { id: string }[];
        const rid = newRequestId();
        await whileAuditFails('assignment.confirm', rid, () =>
          call('post', `/assignments/${assignment.id}/confirmations`, target.token, rid)
            .send({ status: 'applied', appliedAt: new Date().toISOString(), mechanism: 'rpz' })
            .expect(serverFault),
        );
        expect(
          await db.query(`SELECT 1 FROM confirmations WHERE assignment_id = $1`, [assignment.id]),
        ).toEqual([]);
        const [row] = await db.query<{ status: string }[]>(
          `SELECT status FROM assignments WHERE id = $1`,
          [assignment.id],
        );
        expect(row.status).toBe('pending');
        expect(await eventsOf(rid)).toEqual([]);
      });
    });

    it('a failed login: a 5xx, not a 401, and nothing counted', async () => {
      const user = await make.user(admin.organization, ['analyst']);
      const rid = newRequestId();
      await whileAuditFails('auth.login_failed', rid, () =>
        call('post', '/auth/login', undefined, rid)
          .send({ email: user.email, password: 'not-the-password' })
          .expect(serverFault),
      );
      const [row] = await db.query<{ failed_logins: number }[]>(
        `SELECT failed_logins FROM users WHERE id = $1`,
        [user.id],
      );
      expect(row.failed_logins).toBe(0);
    });

    it('a feed pull flush: the answer is sent; the rows wait with their events and are retried', async () => {
      const recorder = t.app.get(FeedPullRecorder);
      const client = await make.loginAs('isp_client');
      const pulls = () =>
        db.query<{ status: number }[]>(`SELECT status FROM feed_pulls WHERE organization_id = $1`, [
          client.organization.id,
        ]);
      const rid = newRequestId();
      await whileAuditFails('feed.pull', rid, async () => {
        // The pull itself does not wait for the database: it is answered.
        await call('get', '/feed/changes?after=0', client.token, rid).expect(status(200));
        const failures = recorder.stats.failedFlushes;
        await recorder.flush();
        expect(recorder.stats.failedFlushes).toBeGreaterThan(failures);
        expect(recorder.stats.pending).toBeGreaterThan(0);
        expect(await pulls()).toEqual([]);
        expect(await eventsOf(rid)).toEqual([]);
      });
      // Retried, not lost: the next flush writes the row and its event together.
      await recorder.flush();
      expect(recorder.stats.pending).toBe(0);
      expect(await pulls()).toEqual([{ status: 200 }]);
      expect((await eventsOf(rid)).map((e) => e.action)).toEqual(['feed.pull']);
    });
  });

  // Last: another application in this process takes over passport's global JWT strategy, so
  // this file's application cannot verify tokens afterwards.
  it('a first start records the Department, the first administrator and the first keys', async () => {
    const fresh = await freshDatabase();
    try {
      const first = await createTestApp({ databaseUrl: fresh.url });
      await first.close();
      const rows = await ownerQuery<AuditRow>(
        `SELECT * FROM audit_events ORDER BY seq`,
        [],
        fresh.url,
      );
      expect(rows.map((r) => [r.action, r.actor_type])).toEqual(
        expect.arrayContaining([
          ['organization.create', 'system'],
          ['user.create', 'system'],
          ['signing_key.create', 'system'],
          ['audit_key.create', 'system'],
        ]),
      );
      expect(rows.find((r) => r.action === 'user.create')?.summary).toMatchObject({
        email: first.config.identity.ADMIN_EMAIL,
        roles: ['admin'],
        bootstrap: true,
      });
      expect(JSON.stringify(rows)).not.toContain('$argon2');
    } finally {
      await fresh.drop();
    }
  });
});
