import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { UserEntity } from '#src/identity/users/user.entity.js';
import { Factories } from '#test/support/factories.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('identity: login, lockout, refresh rotation, client credentials, keys', () => {
  let t: TestApp;
  let make: Factories;

  beforeAll(async () => {
    t = await createTestApp({ extraImports: [ProbeModule] });
    make = new Factories(t.app);
  });
  afterAll(async () => {
    await t.close();
  });

  const login = (email: string, password: string) =>
    request(t.server).post('/api/v1/auth/login').send({ email, password });

  describe('login', () => {
    it('gives an ES256 access token with the RFC 9068 claims, verifiable with the JWKS', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst', 'approver']);
      const res = await login(user.email.toUpperCase(), user.password).expect(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(typeof res.body.refresh_token).toBe('string');
      expect(res.headers['cache-control']).toBe('no-store');

      const jwks = await request(t.server).get('/.well-known/jwks.json').expect(200);
      const { payload, protectedHeader } = await jwtVerify(
        res.body.access_token,
        createLocalJWKSet(jwks.body),
        {
          issuer: t.config.identity.JWT_ISSUER,
          audience: t.config.identity.JWT_AUDIENCE,
          algorithms: ['ES256'],
        },
      );
      expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        sub: user.id,
        org: org.id,
        org_kind: 'department',
        roles: ['analyst', 'approver'],
        client_id: 'threat-exchange-login',
      });
      expect(typeof payload.jti).toBe('string');
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    });

    it('answers an unknown e-mail and a wrong password identically', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const unknown = await login('nobody-here@test.example', 'whatever-password').expect(401);
      const wrong = await login(user.email, 'not-the-password').expect(401);
      const strip = (b: Record<string, unknown>) => ({
        ...b,
        requestId: undefined,
        instance: undefined,
      });
      expect(strip(unknown.body)).toEqual(strip(wrong.body));
    });

    it('locks an account progressively after 5 failures, even for the right password', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      for (let i = 0; i < 5; i++) await login(user.email, 'wrong-password-x').expect(401);
      await login(user.email, user.password).expect(401);
      const repo = t.app.get(DataSource).getRepository(UserEntity);
      const locked = await repo.findOneByOrFail({ id: user.id });
      expect(locked.failedLogins).toBe(5);
      const lockMs = (locked.lockedUntil?.getTime() ?? 0) - Date.now();
      expect(lockMs).toBeGreaterThan(50_000);
      expect(lockMs).toBeLessThanOrEqual(60_000);
      // A 6th failure doubles the lock.
      await login(user.email, 'wrong-password-x').expect(401);
      const longer = await repo.findOneByOrFail({ id: user.id });
      expect((longer.lockedUntil?.getTime() ?? 0) - Date.now()).toBeGreaterThan(110_000);
      // Once the lock has passed, the right password works and resets the count.
      await repo.update({ id: user.id }, { lockedUntil: new Date(Date.now() - 1000) });
      await login(user.email, user.password).expect(200);
      expect((await repo.findOneByOrFail({ id: user.id })).failedLogins).toBe(0);
    });

    it('refuses a disabled user with the same answer', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst'], { disabled: true });
      const res = await login(user.email, user.password).expect(401);
      expect(res.body.detail).toMatch(/do not match an enabled account/);
    });

    it('validates the body', async () => {
      const res = await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: 'x' })
        .expect(400);
      const names = new Set(res.body['invalid-params'].map((p: { name: string }) => p.name));
      expect([...names].sort()).toEqual(['email', 'password']);
    });
  });

  describe('refresh tokens', () => {
    it('rotate, and reuse of a spent one revokes the whole session', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const first = await login(user.email, user.password).expect(200);
      const r1 = first.body.refresh_token as string;

      const second = await request(t.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: r1 })
        .expect(200);
      const r2 = second.body.refresh_token as string;
      expect(r2).not.toBe(r1);
      await request(t.server)
        .get('/api/v1/__probe/whoami')
        .set('authorization', `Bearer ${second.body.access_token}`)
        .expect(200);

      // r1 again: theft suspected. Refused, and r2 (same family) dies with it.
      const reuse = await request(t.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: r1 })
        .expect(401);
      expect(reuse.body.detail).toMatch(/already used/);
      const after = await request(t.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: r2 })
        .expect(401);
      expect(after.body.detail).toMatch(/revoked/);
    });

    it('logout ends the session; unknown tokens are refused', async () => {
      const org = await make.organization('department');
      const user = await make.user(org, ['analyst']);
      const res = await login(user.email, user.password).expect(200);
      await request(t.server)
        .post('/api/v1/auth/logout')
        .send({ refresh_token: res.body.refresh_token })
        .expect(204);
      await request(t.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: res.body.refresh_token })
        .expect(401);
      await request(t.server)
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: 'made-up' })
        .expect(401);
    });
  });

  describe('OAuth 2.0 client credentials (RFC 6749 §4.4)', () => {
    it('issues a token with client_secret_basic and client_secret_post', async () => {
      const isp = await make.organization('isp');
      const client = await make.apiClient(isp);
      const basic = await request(t.server)
        .post('/api/v1/auth/token')
        .auth(client.clientId, client.secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      expect(basic.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(basic.body.refresh_token).toBeUndefined();
      const who = await request(t.server)
        .get('/api/v1/__probe/whoami')
        .set('authorization', `Bearer ${basic.body.access_token}`)
        .expect(200);
      expect(who.body).toMatchObject({
        kind: 'client',
        organizationId: isp.id,
        roles: ['isp_client'],
      });
      const token = await make.clientToken(client.clientId, client.secret);
      expect(decodeProtectedHeader(token).kid).toBeDefined();
    });

    it.each([
      [
        'a wrong secret',
        { grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' },
        401,
        'invalid_client',
      ],
      ['no client authentication', { grant_type: 'client_credentials' }, 401, 'invalid_client'],
      [
        'another grant type',
        { grant_type: 'password', client_id: 'x', client_secret: 'y' },
        400,
        'unsupported_grant_type',
      ],
      ['no grant type', { client_id: 'x', client_secret: 'y' }, 400, 'invalid_request'],
    ])('answers %s in the RFC 6749 §5.2 shape', async (_case, form, status, error) => {
      const res = await request(t.server)
        .post('/api/v1/auth/token')
        .type('form')
        .send(form)
        .expect(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({ error, error_description: expect.any(String) });
    });

    it('refuses a body that is not form-encoded, or none, with invalid_request (never a 500)', async () => {
      for (const req of [
        request(t.server).post('/api/v1/auth/token').send({ grant_type: 'client_credentials' }),
        request(t.server).post('/api/v1/auth/token'),
        request(t.server)
          .post('/api/v1/auth/token')
          .set('content-type', 'application/json')
          .send('null'),
      ]) {
        const res = await req.expect(400);
        expect(res.body.error).toBe('invalid_request');
      }
    });

    it('challenges a failed Basic authentication, refuses two methods at once and revoked clients', async () => {
      const isp = await make.organization('isp');
      const client = await make.apiClient(isp);
      const bad = await request(t.server)
        .post('/api/v1/auth/token')
        .auth(client.clientId, 'wrong')
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(401);
      expect(bad.headers['www-authenticate']).toMatch(/^Basic/);
      const both = await request(t.server)
        .post('/api/v1/auth/token')
        .auth(client.clientId, client.secret)
        .type('form')
        .send({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.secret,
        })
        .expect(400);
      expect(both.body.error).toBe('invalid_request');
      const revoked = await make.apiClient(isp, { revokedAt: new Date() });
      const res = await request(t.server)
        .post('/api/v1/auth/token')
        .type('form')
        .send({
          grant_type: 'client_credentials',
          client_id: revoked.clientId,
          client_secret: revoked.secret,
        })
        .expect(401);
      expect(res.body.error).toBe('invalid_client');
    });
  });
});

describe('rate limits on the login, refresh and token endpoints', () => {
  const CALLS: [string, (t: TestApp) => request.Test][] = [
    [
      'login',
      (t) =>
        request(t.server).post('/api/v1/auth/login').send({ email: 'a@b.example', password: 'x' }),
    ],
    ['refresh', (t) => request(t.server).post('/api/v1/auth/refresh').send({ refresh_token: 'x' })],
    [
      'token',
      (t) =>
        request(t.server)
          .post('/api/v1/auth/token')
          .type('form')
          .send({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }),
    ],
  ];

  it.each(CALLS)('%s: 429 problem+json with Retry-After past the limit', async (_name, call) => {
    const t = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      for (let i = 0; i < 3; i++) expect((await call(t)).status).toBe(401);
      const res = await call(t).expect(429);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.type).toBe('urn:threat-exchange:problem:rate-limited');
      // Which limit, and when to retry (the same as Retry-After): the shape of every 429.
      expect(res.body).toMatchObject({ limit: 'auth-requests-per-address', limitValue: 3 });
      expect(res.body.retryAfter).toBe(Number(res.headers['retry-after']));
      const metrics = await request(t.server).get('/metrics').expect(200);
      expect(metrics.text).toContain('limit_refusals_total{limit="auth-requests-per-address"} 1');
      // Other routes are not limited.
      for (let i = 0; i < 5; i++) await request(t.server).get('/health/live').expect(200);
    } finally {
      await t.close();
    }
  });
});
