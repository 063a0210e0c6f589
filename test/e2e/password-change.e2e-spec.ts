import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PASSWORD_CHANGE_REQUIRED } from '#src/identity/auth/access.guard.js';
import { CURRENT_PASSWORD_REJECTED } from '#src/identity/auth/auth.service.js';
import { REVOKED } from '#src/identity/auth/principal.service.js';
import { UserEntity } from '#src/identity/users/user.entity.js';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface Tokens {
  access_token: string;
  refresh_token: string;
  passwordChangeRequired: boolean;
}

interface AuditRow {
  action: string;
  actor_type: string;
  actor_id: string | null;
  summary: Record<string, unknown>;
}

const PASSWORD_CHANGE_TYPE = 'urn:threat-exchange:problem:password-change-required';
const REJECTED_TYPE = 'urn:threat-exchange:problem:current-password-rejected';

/**
 * Issue 17 point 9: a person changes their own password (the current one checked like a
 * login, every other session and access token ended, a new session answered), and an
 * administrator's reset makes the next login yield a token that allows only that change.
 */
describe('password change by the person, and reset by an administrator', () => {
  let t: TestApp;
  let make: Factories;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp();
    make = new Factories(t.app);
    admin = (await make.loginAs('admin')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  const users = () => t.app.get(DataSource).getRepository(UserEntity);
  const login = (email: string, password: string) =>
    request(t.server).post('/api/v1/auth/login').send({ email, password });
  const signIn = async (email: string, password: string) =>
    (await login(email, password).expect(200)).body as Tokens;
  const get = (path: string, token: string) =>
    request(t.server).get(path).set('authorization', `Bearer ${token}`);
  const change = (token: string, currentPassword: string, newPassword: string) =>
    request(t.server)
      .post('/api/v1/auth/change-password')
      .set('authorization', `Bearer ${token}`)
      .send({ currentPassword, newPassword });
  const refresh = (refreshToken: string) =>
    request(t.server).post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
  const reset = (id: string, body: object = {}) =>
    request(t.server)
      .post(`/api/v1/users/${id}/reset-password`)
      .set('authorization', `Bearer ${admin}`)
      .send(body);
  const eventsOf = async (userId: string, prefix: string): Promise<AuditRow[]> => {
    await t.sealAudit();
    return t.app.get(DataSource).query<AuditRow[]>(
      `SELECT action, actor_type, actor_id, summary FROM audit_events
          WHERE object_id = $1 AND action LIKE $2 ORDER BY seq`,
      [userId, `${prefix}%`],
    );
  };

  describe('self-service change', () => {
    it('refuses a wrong current password with 403 problem+json, counted like a failed login', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const session = await signIn(user.email, user.password);

      const res = await change(
        session.access_token,
        'not-the-password',
        'a-new-password-2026',
      ).expect(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        type: REJECTED_TYPE,
        status: 403,
        detail: CURRENT_PASSWORD_REJECTED,
      });
      expect((await users().findOneByOrFail({ id: user.id })).failedLogins).toBe(1);
      // Nothing else changed: the session goes on, the old password still logs in.
      await get('/api/v1/organizations', session.access_token).expect(200);
      await signIn(user.email, user.password);
      const events = await eventsOf(user.id, 'auth.password_change');
      expect(events).toEqual([
        {
          action: 'auth.password_change_failed',
          actor_type: 'user',
          actor_id: user.id,
          summary: { reason: 'password', organizationId: org.id, failedLogins: 1 },
        },
      ]);
    });

    it('shares the login lockout: 5 wrong current passwords lock the account, then even the right one is refused', async () => {
      const org = await make.organization('isp');
      const user = await make.user(org, ['isp_operator']);
      const session = await signIn(user.email, user.password);
      for (let i = 0; i < 5; i++) {
        await change(session.access_token, 'wrong-password-x', 'a-new-password-2026').expect(403);
      }
      const locked = await users().findOneByOrFail({ id: user.id });
      expect(locked.failedLogins).toBe(5);
      expect(locked.lockedUntil?.getTime() ?? 0).toBeGreaterThan(Date.now() + 50_000);
      // Locked: the right current password is refused, and so is a login.
      const refused = await change(session.access_token, user.password, 'a-new-password-2026');
      expect({ status: refused.status, type: refused.body.type }).toEqual({
        status: 403,
        type: REJECTED_TYPE,
      });
      await login(user.email, user.password).expect(401);
      await t.sealAudit();
      const actions = (await eventsOf(user.id, 'auth.')).map((e) => e.action);
      expect(actions.filter((a) => a === 'auth.lockout')).toHaveLength(1);
      expect(actions.filter((a) => a === 'auth.password_change_failed')).toHaveLength(6);
    });

    it('applies the password policy and refuses the current password as the new one', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['approver']);
      const session = await signIn(user.email, user.password);
      const short = await change(session.access_token, user.password, 'short-pw').expect(400);
      expect(short.body['invalid-params']).toEqual([
        {
          name: 'newPassword',
          reason: 'newPassword must be longer than or equal to 12 characters',
        },
      ]);
      const same = await change(session.access_token, user.password, user.password).expect(400);
      expect(same.body['invalid-params']).toEqual([
        { name: 'newPassword', reason: 'newPassword must differ from the current password' },
      ]);
      const missing = await request(t.server)
        .post('/api/v1/auth/change-password')
        .set('authorization', `Bearer ${session.access_token}`)
        .send({})
        .expect(400);
      const names = new Set(missing.body['invalid-params'].map((p: { name: string }) => p.name));
      expect([...names].sort()).toEqual(['currentPassword', 'newPassword']);
      // No refusal above counted as a failed password check.
      expect((await users().findOneByOrFail({ id: user.id })).failedLogins).toBe(0);
    });

    it('with the right current password: every other session ends, the answer is a new session', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const current = await signIn(user.email, user.password);
      const other = await signIn(user.email, user.password);
      await get('/api/v1/organizations', other.access_token).expect(200);

      const newPassword = 'my-own-new-password-2026';
      const res = await change(current.access_token, user.password, newPassword).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const fresh = res.body as Tokens;
      expect(fresh).toMatchObject({
        token_type: 'Bearer',
        expires_in: 900,
        passwordChangeRequired: false,
      });
      expect(fresh.refresh_token).not.toBe(current.refresh_token);

      // Another session's access token and refresh token are refused…
      const otherAccess = await get('/api/v1/organizations', other.access_token).expect(401);
      expect(otherAccess.body.detail).toBe(REVOKED.user);
      const otherRefresh = await refresh(other.refresh_token).expect(401);
      expect(otherRefresh.body.detail).toBe('The refresh token was revoked');
      // …and so are this session's earlier tokens: the answer replaced them.
      await get('/api/v1/organizations', current.access_token).expect(401);
      await refresh(current.refresh_token).expect(401);
      // The new pair works, and refreshes.
      await get('/api/v1/organizations', fresh.access_token).expect(200);
      const next = (await refresh(fresh.refresh_token).expect(200)).body as Tokens;
      await get('/api/v1/organizations', next.access_token).expect(200);
      // The old password no longer logs in; the new one does.
      await login(user.email, user.password).expect(401);
      await signIn(user.email, newPassword);

      const [event] = await eventsOf(user.id, 'auth.password_change');
      expect(event).toMatchObject({
        action: 'auth.password_change',
        actor_type: 'user',
        actor_id: user.id,
        summary: {
          passwordChanged: true,
          wasRequired: false,
          sessionsEnded: 2,
          session: expect.any(String),
          tokenId: expect.any(String),
        },
      });
      expect(JSON.stringify(event)).not.toContain(newPassword);
    });

    it('is for people: an API client is refused (403), no token is 401', async () => {
      const client = await make.loginAs('isp_client');
      const res = await change(client.token, 'whatever-password', 'a-new-password-2026').expect(
        403,
      );
      expect(res.body.detail).toBe('Your roles do not allow this operation');
      await request(t.server)
        .post('/api/v1/auth/change-password')
        .send({ currentPassword: 'whatever-password', newPassword: 'a-new-password-2026' })
        .expect(401);
    });
  });

  describe('administrator reset: the change is required at the next login', () => {
    it('generates a temporary password shown once; the next login allows only the change, then all is normal', async () => {
      const isp = await make.organization('isp');
      const operator = await make.user(isp, ['isp_operator']);
      const before = await signIn(operator.email, operator.password);
      // The conditional poll, answered from memory once the token and the caller are known.
      const poll = await get('/api/v1/feed/changes?after=0', before.access_token).expect(200);
      const etag = poll.headers.etag;
      await get('/api/v1/feed/changes?after=0', before.access_token)
        .set('if-none-match', etag)
        .expect(304);

      const res = await reset(operator.id).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const temporary = res.body.temporaryPassword as string;
      expect(temporary).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(res.body.user).toMatchObject({ id: operator.id, passwordChangeRequired: true });
      // The reset ended the person's sessions, and their old password.
      expect(
        (await get('/api/v1/organizations', before.access_token).expect(401)).body.detail,
      ).toBe(REVOKED.user);
      await refresh(before.refresh_token).expect(401);
      await login(operator.email, operator.password).expect(401);
      // Shown once: reading the user again never shows it.
      const read = await get(`/api/v1/users/${operator.id}`, admin).expect(200);
      expect(read.body).not.toHaveProperty('temporaryPassword');
      expect(read.body.passwordChangeRequired).toBe(true);

      // The next login succeeds and says the change is required…
      const restricted = await signIn(operator.email, temporary);
      expect(restricted.passwordChangeRequired).toBe(true);
      // …and its token allows nothing else: 403 of the password-change type everywhere,
      // the conditional feed poll (answered from memory otherwise) included.
      for (const path of [
        '/api/v1/organizations',
        `/api/v1/users/${operator.id}`,
        '/api/v1/feed/changes?after=0',
      ]) {
        const refused = await get(path, restricted.access_token).expect(403);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({
          type: PASSWORD_CHANGE_TYPE,
          title: 'Password change required',
          status: 403,
          detail: PASSWORD_CHANGE_REQUIRED,
        });
      }
      const polled = await get('/api/v1/feed/changes?after=0', restricted.access_token)
        .set('if-none-match', etag)
        .expect(403);
      expect(polled.body.type).toBe(PASSWORD_CHANGE_TYPE);
      await request(t.server)
        .post('/api/v1/webhooks')
        .set('authorization', `Bearer ${restricted.access_token}`)
        .send({})
        .expect(403);
      // A refresh keeps the restriction.
      const refreshed = (await refresh(restricted.refresh_token).expect(200)).body as Tokens;
      expect(refreshed.passwordChangeRequired).toBe(true);
      expect(
        (await get('/api/v1/organizations', refreshed.access_token).expect(403)).body.type,
      ).toBe(PASSWORD_CHANGE_TYPE);

      // The change itself is allowed, and lifts the restriction.
      const chosen = 'operator-chosen-password-2026';
      const changed = (await change(refreshed.access_token, temporary, chosen).expect(200))
        .body as Tokens;
      expect(changed.passwordChangeRequired).toBe(false);
      await get('/api/v1/organizations', changed.access_token).expect(200);
      await get('/api/v1/feed/changes?after=0', changed.access_token).expect(200);
      // The restricted tokens are over; the temporary password too.
      await get('/api/v1/organizations', refreshed.access_token).expect(401);
      await login(operator.email, temporary).expect(401);
      const normal = await signIn(operator.email, chosen);
      expect(normal.passwordChangeRequired).toBe(false);
      await get('/api/v1/organizations', normal.access_token).expect(200);
      expect((await get(`/api/v1/users/${operator.id}`, admin).expect(200)).body).toMatchObject({
        passwordChangeRequired: false,
      });

      const events = await eventsOf(operator.id, '');
      const reset_ = events.find((e) => e.action === 'user.password_reset');
      expect(reset_?.summary).toEqual({ passwordChanged: true, generated: true, sessionsEnded: 1 });
      expect(events.find((e) => e.action === 'auth.password_change')?.summary).toMatchObject({
        wasRequired: true,
      });
      expect(JSON.stringify(events)).not.toContain(temporary);
    });

    it('takes a temporary password from the administrator (then none is answered), and clears a lockout', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      for (let i = 0; i < 5; i++) await login(user.email, 'wrong-password-x').expect(401);
      const temporary = 'temporary-password-2026';
      const res = await reset(user.id, { password: temporary }).expect(200);
      expect(res.body).not.toHaveProperty('temporaryPassword');
      expect(res.body.user).toMatchObject({ passwordChangeRequired: true, lockedUntil: null });
      const restricted = await signIn(user.email, temporary);
      expect(restricted.passwordChangeRequired).toBe(true);
      await get('/api/v1/organizations', restricted.access_token).expect(403);
      // Logout still works for the restricted session (a public route).
      await request(t.server)
        .post('/api/v1/auth/logout')
        .send({ refresh_token: restricted.refresh_token })
        .expect(204);
      await get('/api/v1/organizations', restricted.access_token).expect(401);
    });

    it('validates the temporary password by the same policy; unknown users are 404', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const short = await reset(user.id, { password: 'short' }).expect(400);
      expect(short.body['invalid-params']).toEqual([
        { name: 'password', reason: 'password must be longer than or equal to 12 characters' },
      ]);
      await reset('00000000-0000-4000-8000-000000000000').expect(404);
      // Nothing changed for the person.
      expect((await signIn(user.email, user.password)).passwordChangeRequired).toBe(false);
    });

    it('an administrator setting a password (PATCH) does not require a change', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const newPassword = 'set-by-the-admin-2026';
      const res = await request(t.server)
        .patch(`/api/v1/users/${user.id}`)
        .set('authorization', `Bearer ${admin}`)
        .send({ version: user.version, password: newPassword })
        .expect(200);
      expect(res.body.passwordChangeRequired).toBe(false);
      const session = await signIn(user.email, newPassword);
      expect(session.passwordChangeRequired).toBe(false);
      await get('/api/v1/organizations', session.access_token).expect(200);
    });
  });
});
