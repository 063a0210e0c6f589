import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { PrincipalService, TokenRefused } from '#src/identity/auth/principal.service.js';
import {
  currentRequestContext,
  runWithRequestContext,
} from '#src/platform/http/request-context.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { ownerQuery } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { departmentStaff, RequestFlow, unprotected } from '#test/support/requests.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface SeenQuery {
  requestId: string | undefined;
  sql: string;
}

/**
 * Every statement sent through the app's DataSource pool, with the request it was issued for
 * (the AsyncLocalStorage context that the app's onRequest hook opens). Each pooled client's
 * `query` is wrapped when it is first checked out; LISTEN connections are not pooled.
 */
function recordQueries(app: TestApp): SeenQuery[] {
  const pool = (app.app.get(DataSource).driver as PostgresDriver).master as pg.Pool;
  const seen: SeenQuery[] = [];
  const wrapped = new WeakSet<pg.PoolClient>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    Object.assign(client, {
      query: (...args: unknown[]) => {
        const first = args[0] as string | { text?: string };
        seen.push({
          requestId: currentRequestContext()?.requestId,
          sql: typeof first === 'string' ? first : (first.text ?? ''),
        });
        return original(...args);
      },
    });
  });
  return seen;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Two instances on one database: A in this process (its queries counted), B the built service
 * in a child process. (Two Nest apps in one process would share passport's global strategy
 * registry: every request would be authenticated by the last app's JwtStrategy.)
 */
describe('principal cache: steady-state requests without queries, changes at once everywhere', () => {
  let a: TestApp;
  let seenA: SeenQuery[];
  let b: ServiceProcess;
  let bUrl: string;
  let make: Factories;
  let admin: string;

  /** A counter or gauge of B's /metrics. */
  const metricB = async (name: string): Promise<number> => {
    const text = await (await fetch(`${bUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.slice(name.length + 1)) : NaN;
  };
  const hitsB = () => metricB('principal_cache_lookups_total{result="hit"}');

  beforeAll(async () => {
    a = await createTestApp({ extraImports: [ProbeModule] });
    seenA = recordQueries(a);
    make = new Factories(a.app);
    admin = (await make.loginAs('admin')).token;
    b = ServiceProcess.start(instanceEnv('0'));
    bUrl = await b.listening();
    await until(
      async () =>
        a.app.get(PrincipalCache).trusted && (await metricB('principal_cache_trusted')) === 1,
      'both LISTEN connections',
    );
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    if (b?.child.exitCode === null) {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });

  /** A request to A with a request id of its own; the queries issued for it. */
  async function onA(
    send: (agent: ReturnType<typeof request>) => request.Test,
  ): Promise<{ res: request.Response; queries: string[] }> {
    const requestId = `pc-${randomUUID()}`;
    const res = await send(request(a.server)).set('x-request-id', requestId);
    expect(res.headers['x-request-id']).toBe(requestId);
    return { res, queries: seenA.filter((q) => q.requestId === requestId).map((q) => q.sql) };
  }
  const whoamiA = (token: string) =>
    onA((r) => r.get('/api/v1/__probe/whoami').set('authorization', `Bearer ${token}`));
  const onB = (token: string) => ({
    get: (path: string) => request(bUrl).get(path).set('authorization', `Bearer ${token}`),
    post: (path: string, body: object = {}) =>
      request(bUrl).post(path).set('authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      request(bUrl).patch(path).set('authorization', `Bearer ${token}`).send(body),
  });
  const adminA = {
    patch: (path: string, body: object) =>
      request(a.server).patch(path).set('authorization', `Bearer ${admin}`).send(body),
    post: (path: string) => request(a.server).post(path).set('authorization', `Bearer ${admin}`),
  };
  const login = async (email: string, password: string): Promise<string> =>
    (await request(a.server).post('/api/v1/auth/login').send({ email, password }).expect(200)).body
      .access_token as string;

  /** A's second request with this token asks the database nothing. */
  async function cachedOnA(token: string): Promise<void> {
    await whoamiA(token);
    const warm = await whoamiA(token);
    expect(warm.res.status).toBe(200);
    expect(warm.queries).toEqual([]);
  }
  /**
   * B's second request with this token is answered from its cache (its metrics say so): one
   * hit for a client (its state), two for a person (their state and their session's).
   */
  async function cachedOnB(
    token: string,
    path: string,
    status: number,
    lookups: 1 | 2 = 1,
  ): Promise<void> {
    await onB(token).get(path).expect(status);
    const before = await hitsB();
    await onB(token).get(path).expect(status);
    expect((await hitsB()) - before).toBe(lookups);
  }

  describe('If-None-Match on /api/v1/feed/changes', () => {
    let operatorToken: string;
    let clientToken: string;

    beforeAll(async () => {
      const flow = new RequestFlow(a.app, await departmentStaff(a.app));
      const ispOrg = await make.organization('isp');
      const operator = await make.user(ispOrg, ['isp_operator']);
      operatorToken = await login(operator.email, operator.password);
      const client = await make.apiClient(ispOrg);
      clientToken = await make.clientToken(client.clientId, client.secret);
      await flow.publish([ispOrg.id], [unprotected.domain()]);
    });

    it.each([
      ['an ISP operator', () => operatorToken],
      ['an ISP API client', () => clientToken],
    ])(
      'a steady-state 304 for %s makes zero database queries (none for the request, none touching users, clients or keys)',
      async (_who, token) => {
        const changes = (etag?: string) =>
          onA((r) => {
            const req = r
              .get('/api/v1/feed/changes')
              .query({ after: 0 })
              .set('authorization', `Bearer ${token()}`);
            return etag ? req.set('if-none-match', etag) : req;
          });
        // The first request reads the caller and the feed: the instrumentation sees both.
        const first = await changes();
        expect(first.res.status).toBe(200);
        expect(first.queries.filter((sql) => /users|api_clients/.test(sql))).toHaveLength(1);
        expect(first.queries.filter((sql) => /feed_changes|feed_log/.test(sql))).toHaveLength(1);
        const etag: string = first.res.headers.etag;
        await changes(etag); // the caller is cached from here on

        for (let i = 0; i < 20; i++) {
          const windowStart = seenA.length;
          const { res, queries } = await changes(etag);
          expect(res.status).toBe(304);
          expect(queries).toEqual([]);
          // Whatever ran meanwhile in the background (the feed-version poll, pull telemetry),
          // none of it was an authentication lookup.
          const during = seenA.slice(windowStart).map((q) => q.sql);
          expect(during.filter((sql) => /users|api_clients|signing_keys/i.test(sql))).toEqual([]);
        }
      },
    );
  });

  describe('changes take effect on the very next request, on either instance', () => {
    it('disabling a user (on A, seen by B)', async () => {
      const dept = await make.organization('department');
      const user = await make.user(dept, ['analyst']);
      const token = await login(user.email, user.password);
      await cachedOnA(token);
      await cachedOnB(token, '/api/v1/organizations', 200, 2);

      await adminA.patch(`/api/v1/users/${user.id}`, { version: 1, disabled: true }).expect(200);
      const onInstanceB = await onB(token).get('/api/v1/organizations').expect(401);
      expect(onInstanceB.body.detail).toBe('The user is disabled');
      const onInstanceA = await whoamiA(token);
      expect(onInstanceA.res.status).toBe(401);
      expect(onInstanceA.res.body.detail).toBe('The user is disabled');
    });

    it('removing a role (on B, seen by A)', async () => {
      const dept = await make.organization('department');
      const user = await make.user(dept, ['analyst', 'approver']);
      const token = await login(user.email, user.password);
      await cachedOnA(token);
      expect((await whoamiA(token)).res.body.roles).toEqual(['analyst', 'approver']);
      await cachedOnB(token, '/api/v1/organizations', 200, 2);
      // Analysts may create requests (an empty body is then a 400, not a 403).
      await onB(token).post('/api/v1/blocking-requests').expect(400);

      await onB(admin)
        .patch(`/api/v1/users/${user.id}`, { version: 1, roles: ['approver'] })
        .expect(200);
      expect((await whoamiA(token)).res.body.roles).toEqual(['approver']);
      for (const server of [a.server, bUrl]) {
        await request(server)
          .post('/api/v1/blocking-requests')
          .set('authorization', `Bearer ${token}`)
          .send({})
          .expect(403);
      }
    });

    it('revoking an API client (on B, seen by A; on A, seen by B)', async () => {
      const isp = await make.organization('isp');
      const [c1, c2] = [await make.apiClient(isp), await make.apiClient(isp)];
      const [t1, t2] = [
        await make.clientToken(c1.clientId, c1.secret),
        await make.clientToken(c2.clientId, c2.secret),
      ];
      for (const token of [t1, t2]) {
        await cachedOnA(token);
        await cachedOnB(token, '/api/v1/feed/changes', 200);
      }

      await onB(admin).post(`/api/v1/api-clients/${c1.id}/revoke`).expect(200);
      expect((await whoamiA(t1)).res.body.detail).toBe('The API client is revoked');
      await adminA.post(`/api/v1/api-clients/${c2.id}/revoke`).expect(200);
      const onInstanceB = await onB(t2).get('/api/v1/feed/changes').expect(401);
      expect(onInstanceB.body.detail).toBe('The API client is revoked');
    });

    it('rotating a client secret (on B): A refuses the old secret at once (HTTP Basic)', async () => {
      const isp = await make.organization('isp');
      const client = await make.apiClient(isp);
      const principals = a.app.get(PrincipalService);
      await principals.fromClientCredentials(client.clientId, client.secret);
      const rotated = await onB(admin).post(`/api/v1/api-clients/${client.id}/rotate`).expect(200);
      const fresh = rotated.body.clientSecret as string;
      await expect(
        principals.fromClientCredentials(client.clientId, client.secret),
      ).rejects.toThrow('The client id and secret do not match an API client');
      await expect(principals.fromClientCredentials(client.clientId, fresh)).resolves.toMatchObject(
        { id: client.id },
      );
    });
  });

  it('while the LISTEN connection is down nothing cached is used, and after the reconnect it is cleared', async () => {
    const isp = await make.organization('isp');
    const [c1, c2, c3] = [
      await make.apiClient(isp),
      await make.apiClient(isp),
      await make.apiClient(isp),
    ];
    const [t1, t2, t3] = [
      await make.clientToken(c1.clientId, c1.secret),
      await make.clientToken(c2.clientId, c2.secret),
      await make.clientToken(c3.clientId, c3.secret),
    ];
    for (const token of [t1, t2]) await cachedOnA(token);

    // A's LISTEN connection dies (found by its pid, checked against its application_name).
    const cacheA = a.app.get(PrincipalCache);
    const pid = cacheA.listenerPid;
    expect(pid).toBeDefined();
    const db = a.app.get(DataSource);
    const [activity] = await db.query<{ application_name: string }[]>(
      'SELECT application_name FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    expect(activity?.application_name).toBe('threat-exchange-principals');
    await ownerQuery('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => !cacheA.trusted, 'A to notice the lost LISTEN connection');

    // Revocations that A cannot hear of: one through instance B's API, one by bare SQL (with
    // its notification).
    await onB(admin).post(`/api/v1/api-clients/${c1.id}/revoke`).expect(200);
    await db.transaction(async (manager) => {
      await manager.query('UPDATE api_clients SET revoked_at = now() WHERE id = $1', [c2.id]);
      await manager.query(`SELECT pg_notify('principal_changed', $1)`, [`client:${c2.id}`]);
    });
    // Meanwhile A reads every caller from the database, and keeps nothing.
    for (const token of [t1, t2]) {
      const during = await whoamiA(token);
      expect(during.res.status).toBe(401);
      expect(during.queries.filter((sql) => /api_clients/.test(sql))).toHaveLength(1);
    }
    for (let i = 0; i < 2; i++) {
      expect((await whoamiA(t3)).queries.filter((sql) => /api_clients/.test(sql))).toHaveLength(1);
    }

    await until(() => cacheA.trusted, 'A to listen again');
    expect(cacheA.listenerPid).not.toBe(pid);
    for (const token of [t1, t2]) {
      const after = await whoamiA(token);
      expect(after.res.status).toBe(401);
      expect(after.res.body.detail).toBe('The API client is revoked');
    }
    await cachedOnA(t3); // and the cache serves again
  });

  it('a read that overlaps a change is not kept (the notification came while it was in flight)', async () => {
    const cache = a.app.get(PrincipalCache);
    const key = `client:${randomUUID()}` as const;
    let loads = 0;
    const load = async () => {
      loads++;
      if (loads === 1) {
        // The change commits, and is heard, after this read took its snapshot.
        await a.app.get(DataSource).query(`SELECT pg_notify('principal_changed', $1)`, [key]);
        await new Promise((r) => setTimeout(r, 300));
      }
      return {
        tag: key,
        value: {
          kind: 'client' as const,
          organizationId: randomUUID(),
          revoked: loads === 1,
          generation: 0,
        },
      };
    };
    expect((await cache.lookup(key, 'client', load))?.revoked).toBe(true);
    expect((await cache.lookup(key, 'client', load))?.revoked).toBe(false);
    expect((await cache.lookup(key, 'client', load))?.revoked).toBe(false);
    expect(loads).toBe(2);
  });

  describe('HTTP Basic with API-client credentials (for the TAXII server)', () => {
    let isp: OrganizationEntity;
    /** Runs `run` as if for a request with this id, so that its queries are counted. */
    const inRequest = <T>(requestId: string, run: () => Promise<T>): Promise<T> =>
      new Promise<T>((resolve, reject) =>
        runWithRequestContext({ requestId, clientIp: '127.0.0.1' }, () => {
          run().then(resolve, reject);
        }),
      );
    const queriesOf = (requestId: string) => seenA.filter((q) => q.requestId === requestId);

    beforeAll(async () => {
      isp = await make.organization('isp');
    });

    it('the right secret gives the principal a client access token gives; the second time from memory', async () => {
      const client = await make.apiClient(isp);
      const principals = a.app.get(PrincipalService);
      const viaToken = (await whoamiA(await make.clientToken(client.clientId, client.secret))).res
        .body as Record<string, unknown>;
      const first = await inRequest('basic-first', () =>
        principals.fromClientCredentials(client.clientId, client.secret),
      );
      expect(first).toEqual({
        kind: 'client',
        id: client.id,
        organizationId: isp.id,
        organizationKind: 'isp',
        roles: ['isp_client'],
        tokenId: 'basic',
      });
      expect({ ...viaToken, tokenId: 'basic' }).toEqual(first);
      expect(queriesOf('basic-first').length).toBeGreaterThan(0);

      const id = `basic-${randomUUID()}`;
      const again = await inRequest(id, () =>
        principals.fromClientCredentials(client.clientId, client.secret),
      );
      expect(again).toEqual(first);
      expect(queriesOf(id)).toEqual([]);
    });

    it('refuses a wrong secret every time (failures are not cached), an unknown client and a revoked one', async () => {
      const client = await make.apiClient(isp);
      const principals = a.app.get(PrincipalService);
      for (let i = 0; i < 2; i++) {
        const id = `basic-${randomUUID()}`;
        await expect(
          inRequest(id, () => principals.fromClientCredentials(client.clientId, 'wrong-secret')),
        ).rejects.toThrow(new TokenRefused('The client id and secret do not match an API client'));
        expect(queriesOf(id).length).toBeGreaterThan(0);
      }
      await expect(principals.fromClientCredentials('no-such-client', 'x')).rejects.toThrow(
        'The client id and secret do not match an API client',
      );
      await principals.fromClientCredentials(client.clientId, client.secret);
      await adminA.post(`/api/v1/api-clients/${client.id}/revoke`).expect(200);
      await expect(
        principals.fromClientCredentials(client.clientId, client.secret),
      ).rejects.toThrow('The API client is revoked');
    });

    it('authenticateBasic reads the Authorization header (RFC 7617)', async () => {
      const client = await make.apiClient(isp);
      const principals = a.app.get(PrincipalService);
      const basic = (id: string, secret: string) =>
        `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
      await expect(
        principals.authenticateBasic(basic(client.clientId, client.secret)),
      ).resolves.toMatchObject({ kind: 'client', id: client.id, roles: ['isp_client'] });
      await expect(principals.authenticateBasic(undefined)).rejects.toThrow(/Basic authentication/);
      await expect(principals.authenticateBasic('Bearer abc')).rejects.toThrow(
        /Basic authentication/,
      );
      await expect(principals.authenticateBasic('Basic !!!')).rejects.toThrow(/malformed/);
      await expect(
        principals.authenticateBasic(`Basic ${Buffer.from('no-colon').toString('base64')}`),
      ).rejects.toThrow(/malformed/);
      await expect(
        principals.authenticateBasic(basic(client.clientId, `${client.secret}x`)),
      ).rejects.toThrow(/do not match/);
    });
  });
});
