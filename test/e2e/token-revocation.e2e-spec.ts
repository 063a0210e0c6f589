import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { REVOKED } from '#src/identity/auth/principal.service.js';
import { Factories } from '#test/support/factories.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Security regression (issue 16): revocation reaches access tokens, not only refresh tokens and
 * secrets: logout, a new password, disabling, a client-secret rotation and refresh-token reuse
 * each make the access tokens issued before answer 401 "Token revoked: …" on the very next
 * request, on the instance that did it (A, in this process) and on a second instance on the
 * same database (B, the built service in a child process: two Nest apps in one process would
 * share passport's strategy registry), including the cached 304 of the conditional feed poll.
 * Every token is first used twice on each instance, so that both have it cached (verified
 * token, caller state, session state): the refusal cannot come from a cold cache.
 */
describe('token revocation reaches access tokens, on every instance', () => {
  let a: TestApp;
  let b: ServiceProcess;
  let bUrl: string;
  let make: Factories;
  let admin: string;

  beforeAll(async () => {
    a = await createTestApp();
    make = new Factories(a.app);
    admin = (await make.loginAs('admin')).token;
    b = ServiceProcess.start(instanceEnv('0'));
    bUrl = await b.listening();
    await until(async () => {
      const metrics = await (await fetch(`${bUrl}/metrics`)).text();
      return a.app.get(PrincipalCache).trusted && /^principal_cache_trusted 1$/m.test(metrics);
    }, 'both LISTEN connections');
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    if (b?.child.exitCode === null) {
      b.child.kill('SIGTERM');
      await b.exited;
    }
  });

  const servers = () =>
    [
      ['A', a.server],
      ['B', bUrl],
    ] as const;
  const get = (server: string | TestApp['server'], path: string, token: string) =>
    request(server).get(path).set('authorization', `Bearer ${token}`);
  const login = async (email: string, password: string) =>
    (await request(a.server).post('/api/v1/auth/login').send({ email, password }).expect(200))
      .body as { access_token: string; refresh_token: string };

  /**
   * The answer once it has `status`, asked again for up to 2 s: the instance that made the
   * change answers with the revocation in force; another applies it when it reads its
   * notification (milliseconds, longer on a loaded machine).
   */
  async function eventually(ask: () => request.Test, status: number): Promise<request.Response> {
    const deadline = Date.now() + 2000;
    for (;;) {
      const res = await ask();
      if (res.status === status || Date.now() > deadline) return res;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Accepted twice on both instances (the second time from their caches). */
  async function warm(token: string, path = '/api/v1/organizations'): Promise<void> {
    for (const [, server] of servers()) {
      for (let i = 0; i < 2; i++) await get(server, path, token).expect(200);
    }
  }

  /** 401 problem+json with this detail on both instances. */
  async function refusedEverywhere(token: string, detail: string, path = '/api/v1/organizations') {
    for (const [name, server] of servers()) {
      const res = await eventually(() => get(server, path, token), 401);
      expect({ name, status: res.status, detail: res.body.detail }).toEqual({
        name,
        status: 401,
        detail,
      });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  }

  /** The ETag of the feed for this token, then a 304 from memory on both instances. */
  async function warmPoll(token: string): Promise<string> {
    const first = await get(a.server, '/api/v1/feed/changes?after=0', token).expect(200);
    const etag: string = first.headers.etag;
    for (const [, server] of servers()) {
      for (let i = 0; i < 3; i++) {
        await get(server, '/api/v1/feed/changes?after=0', token)
          .set('if-none-match', etag)
          .expect(304);
      }
    }
    return etag;
  }

  /** The conditional poll, which would be a 304 from memory, is refused on both instances. */
  async function pollRefusedEverywhere(token: string, etag: string, detail: string) {
    for (const [name, server] of servers()) {
      const res = await eventually(
        () => get(server, '/api/v1/feed/changes?after=0', token).set('if-none-match', etag),
        401,
      );
      expect({ name, status: res.status, detail: res.body.detail }).toEqual({
        name,
        status: 401,
        detail,
      });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  }

  it('logout ends the access tokens of that session (and only that session), 304 poll included', async () => {
    const isp = await make.organization('isp');
    const operator = await make.user(isp, ['isp_operator']);
    const ended = await login(operator.email, operator.password);
    const other = await login(operator.email, operator.password);
    await warm(ended.access_token);
    await warm(other.access_token);
    const etag = await warmPoll(ended.access_token);

    await request(bUrl)
      .post('/api/v1/auth/logout')
      .send({ refresh_token: ended.refresh_token })
      .expect(204);

    await pollRefusedEverywhere(ended.access_token, etag, REVOKED.session);
    await refusedEverywhere(ended.access_token, REVOKED.session);
    // The person's other session goes on.
    await warm(other.access_token);
  });

  it('a new password ends every access token of the user, and a new login works', async () => {
    const dept = await make.organization('department');
    const user = await make.user(dept, ['analyst']);
    const first = await login(user.email, user.password);
    const second = await login(user.email, user.password);
    await warm(first.access_token);
    await warm(second.access_token);

    const newPassword = 'a-brand-new-password-2026';
    await request(bUrl)
      .patch(`/api/v1/users/${user.id}`)
      .set('authorization', `Bearer ${admin}`)
      .send({ version: 1, password: newPassword })
      .expect(200);

    await refusedEverywhere(first.access_token, REVOKED.user);
    await refusedEverywhere(second.access_token, REVOKED.user);
    // The refresh tokens are gone with them.
    await request(a.server)
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: first.refresh_token })
      .expect(401);
    const fresh = await login(user.email, newPassword);
    await warm(fresh.access_token);
  });

  it('disabling a user ends their access tokens for good: re-enabling does not bring them back', async () => {
    const isp = await make.organization('isp');
    const operator = await make.user(isp, ['isp_operator']);
    const session = await login(operator.email, operator.password);
    await warm(session.access_token);
    const etag = await warmPoll(session.access_token);

    const patch = (version: number, disabled: boolean) =>
      request(a.server)
        .patch(`/api/v1/users/${operator.id}`)
        .set('authorization', `Bearer ${admin}`)
        .send({ version, disabled })
        .expect(200);
    await patch(1, true);
    await pollRefusedEverywhere(session.access_token, etag, 'The user is disabled');
    await patch(2, false);
    await pollRefusedEverywhere(session.access_token, etag, REVOKED.user);
    await refusedEverywhere(session.access_token, REVOKED.user);
    await warm((await login(operator.email, operator.password)).access_token);
  });

  it('a client-secret rotation ends the tokens the old secret got, 304 poll and TAXII included', async () => {
    const isp = await make.organization('isp');
    const client = await make.apiClient(isp);
    const old = await make.clientToken(client.clientId, client.secret);
    await warm(old, '/api/v1/feed/changes');
    const etag = await warmPoll(old);
    for (const [, server] of servers()) {
      await get(server, '/taxii2/', old).expect(200);
    }

    const rotated = await request(bUrl)
      .post(`/api/v1/api-clients/${client.id}/rotate`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);

    await pollRefusedEverywhere(old, etag, REVOKED.client);
    await refusedEverywhere(old, REVOKED.client, '/api/v1/feed/changes');
    // The TAXII server answers in its own dialect, with the same reason.
    for (const [, server] of servers()) {
      const taxii = await get(server, '/taxii2/', old).expect(401);
      expect(taxii.headers['content-type']).toMatch(/^application\/taxii\+json/);
      expect(taxii.body.description).toBe(REVOKED.client);
    }
    // The new secret gets a token that works, everywhere.
    const fresh = await make.clientToken(client.clientId, rotated.body.clientSecret as string);
    await warm(fresh, '/api/v1/feed/changes');
    await warmPoll(fresh);
  });

  it('a reused refresh token ends the access tokens of its whole session', async () => {
    const isp = await make.organization('isp');
    const operator = await make.user(isp, ['isp_operator']);
    const first = await login(operator.email, operator.password);
    const refreshed = (
      await request(a.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: first.refresh_token })
        .expect(200)
    ).body as { access_token: string; refresh_token: string };
    const other = await login(operator.email, operator.password);
    await warm(first.access_token);
    await warm(refreshed.access_token);
    await warm(other.access_token);
    const etag = await warmPoll(refreshed.access_token);

    // The spent refresh token comes back (stolen): on B this time.
    const reuse = await request(bUrl)
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: first.refresh_token })
      .expect(401);
    expect(reuse.body.detail).toMatch(/already used/);

    await pollRefusedEverywhere(refreshed.access_token, etag, REVOKED.session);
    await refusedEverywhere(refreshed.access_token, REVOKED.session);
    await refusedEverywhere(first.access_token, REVOKED.session);
    await warm(other.access_token);
  });

  it('a password change by the person ends every other access token, on every instance; its answer works everywhere', async () => {
    const isp = await make.organization('isp');
    const operator = await make.user(isp, ['isp_operator']);
    const current = await login(operator.email, operator.password);
    const other = await login(operator.email, operator.password);
    await warm(current.access_token);
    await warm(other.access_token);
    const etag = await warmPoll(other.access_token);

    const changed = await request(a.server)
      .post('/api/v1/auth/change-password')
      .set('authorization', `Bearer ${current.access_token}`)
      .send({ currentPassword: operator.password, newPassword: 'changed-by-myself-2026' })
      .expect(200);

    await pollRefusedEverywhere(other.access_token, etag, REVOKED.user);
    await refusedEverywhere(other.access_token, REVOKED.user);
    await refusedEverywhere(current.access_token, REVOKED.user);
    // The other session's refresh token is refused on the other instance too.
    await request(bUrl)
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: other.refresh_token })
      .expect(401);
    await warm(changed.body.access_token as string);
  });

  it('a password reset restricts the next login on every instance until the change, made on the other one', async () => {
    const isp = await make.organization('isp');
    const operator = await make.user(isp, ['isp_operator']);
    const before = await login(operator.email, operator.password);
    await warm(before.access_token);

    const reset = await request(bUrl)
      .post(`/api/v1/users/${operator.id}/reset-password`)
      .set('authorization', `Bearer ${admin}`)
      .send({})
      .expect(200);
    await refusedEverywhere(before.access_token, REVOKED.user);

    const restricted = await login(operator.email, reset.body.temporaryPassword as string);
    for (const [name, server] of servers()) {
      for (let i = 0; i < 2; i++) {
        const res = await get(server, '/api/v1/organizations', restricted.access_token);
        expect({ name, status: res.status, type: res.body.type }).toEqual({
          name,
          status: 403,
          type: 'urn:threat-exchange:problem:password-change-required',
        });
      }
    }
    // The change on B lifts the restriction on A at once for new tokens, and ends the old one.
    const changed = await request(bUrl)
      .post('/api/v1/auth/change-password')
      .set('authorization', `Bearer ${restricted.access_token}`)
      .send({
        currentPassword: reset.body.temporaryPassword as string,
        newPassword: 'chosen-after-reset-2026',
      })
      .expect(200);
    await refusedEverywhere(restricted.access_token, REVOKED.user);
    for (const [, server] of servers()) {
      const ok = await eventually(
        () => get(server, '/api/v1/organizations', changed.body.access_token as string),
        200,
      );
      expect(ok.status).toBe(200);
    }
    await warm(changed.body.access_token as string);
  });
});
