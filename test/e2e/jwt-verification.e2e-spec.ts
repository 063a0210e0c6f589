import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { KeysService } from '#src/identity/keys/keys.service.js';
import { UserEntity } from '#src/identity/users/user.entity.js';
import { Factories } from '#test/support/factories.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('access-token verification: every way a token can be wrong is a 401 problem', () => {
  let t: TestApp;
  let make: Factories;
  let validToken: string;
  let claims: JWTPayload;
  let userId: string;

  const now = (): number => Math.floor(Date.now() / 1000);

  async function sign(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
    const key = await t.app.get(KeysService).signingKey();
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', ...header })
      .sign(key.privateKey);
  }

  async function expect401(token: string, detail: RegExp): Promise<void> {
    const res = await request(t.server)
      .get('/api/v1/__probe/whoami')
      .set('authorization', `Bearer ${token}`)
      .expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toMatchObject({
      status: 401,
      type: 'urn:threat-exchange:problem:unauthorized',
    });
    expect(res.body.detail).toMatch(detail);
  }

  beforeAll(async () => {
    t = await createTestApp({ extraImports: [ProbeModule] });
    make = new Factories(t.app);
    const login = await make.loginAs('analyst');
    validToken = login.token;
    userId = login.user.id;
    claims = decodeJwt(validToken);
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts the genuine token (the control case)', async () => {
    const res = await request(t.server)
      .get('/api/v1/__probe/whoami')
      .set('authorization', `Bearer ${validToken}`)
      .expect(200);
    expect(res.body).toMatchObject({ kind: 'user', id: userId, roles: ['analyst'] });
  });

  it('1. no token at all', async () => {
    const res = await request(t.server).get('/api/v1/__probe/whoami').expect(401);
    expect(res.body.detail).toBe('A bearer access token is required');
  });

  it('2. alg: none', async () => {
    // With a genuine kid, so that nothing but the missing signature gives it away.
    const kid = (await t.app.get(KeysService).signingKey()).kid;
    await expect401(`${b64({ alg: 'none', typ: 'JWT', kid })}.${b64(claims)}.`, /unsigned/);
  });

  it('3. HS256 signed with our public key as the HMAC secret (key confusion)', async () => {
    const keys = t.app.get(KeysService);
    const kid = (await keys.signingKey()).kid;
    const publicPem = await keys.verificationKey(kid);
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
    const mac = createHmac('sha256', publicPem ?? '')
      .update(head)
      .digest('base64url');
    await expect401(`${head}.${mac}`, /not signed with ES256/);
  });

  it('4. unknown kid', async () => {
    await expect401(await sign(claims, { kid: randomUUID() }), /unknown or retired key/);
  });

  it('5. expired (beyond the clock tolerance)', async () => {
    await expect401(
      await sign({ ...claims, iat: now() - 3600, nbf: now() - 3600, exp: now() - 120 }),
      /expired/,
    );
  });

  it('6. not yet valid (nbf in the future beyond the tolerance)', async () => {
    await expect401(
      await sign({ ...claims, nbf: now() + 600, exp: now() + 1200 }),
      /not valid yet/,
    );
  });

  it('7. wrong audience', async () => {
    await expect401(await sign({ ...claims, aud: 'some-other-api' }), /aud/);
  });

  it('8. wrong issuer', async () => {
    await expect401(await sign({ ...claims, iss: 'https://evil.example' }), /iss/);
  });

  it('9. tampered payload (roles raised to admin, signature kept)', async () => {
    const [header, , signature] = validToken.split('.');
    await expect401(`${header}.${b64({ ...claims, roles: ['admin'] })}.${signature}`, /not valid/);
  });

  it('10. tampered signature', async () => {
    const [header, payload, signature = ''] = validToken.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    await expect401(`${header}.${payload}.${flipped}`, /not valid/);
  });

  it('11. validly signed but without roles', async () => {
    const { roles: _roles, ...withoutRoles } = claims;
    await expect401(await sign(withoutRoles), /no valid roles/);
    await expect401(await sign({ ...claims, roles: ['superuser'] }), /no valid roles/);
  });

  it('12. a disabled user', async () => {
    const org = await make.organization('department');
    const user = await make.user(org, ['approver']);
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await t.app
      .get(DataSource)
      .getRepository(UserEntity)
      .update({ id: user.id }, { disabled: true });
    await expect401(login.body.access_token, /disabled/);
  });

  it('13. a revoked API client', async () => {
    const isp = await make.organization('isp');
    const client = await make.apiClient(isp);
    const token = await make.clientToken(client.clientId, client.secret);
    await request(t.server)
      .get('/api/v1/__probe/whoami')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    // Through the API, as an administrator: the cached client is evicted before the answer.
    const admin = (await make.loginAs('admin')).token;
    await request(t.server)
      .post(`/api/v1/api-clients/${client.id}/revoke`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    await expect401(token, /revoked/);
  });

  it('14. a token that is not a JWT, and a non-Bearer scheme', async () => {
    await expect401('not-a-jwt', /not valid/);
    const res = await request(t.server)
      .get('/api/v1/__probe/whoami')
      .set('authorization', `Basic ${Buffer.from('a:b').toString('base64')}`)
      .expect(401);
    expect(res.body.detail).toBe('A bearer access token is required');
  });

  it('15. the revocation claims: gen and sid (issue 16; the revocations themselves: token-revocation e2e)', async () => {
    expect(claims.gen).toBe(0);
    expect(typeof claims.sid).toBe('string');
    const whoami = (token: string) =>
      request(t.server).get('/api/v1/__probe/whoami').set('authorization', `Bearer ${token}`);
    // Malformed: a generation that is no integer, a session that is no string.
    for (const gen of ['0', 0.5, null, 2 ** 53]) {
      await expect401(await sign({ ...claims, gen }), /lacks required claims/);
    }
    for (const sid of [42, 'not-a-uuid']) {
      await expect401(await sign({ ...claims, sid }), /lacks required claims/);
    }
    // A session that does not exist is an ended one.
    await expect401(await sign({ ...claims, sid: randomUUID() }), /^Token revoked: its session/);
    // A token from before generations and sessions (no gen, no sid) counts as generation 0.
    const { gen: _gen, sid: _sid, ...older } = claims;
    const olderToken = await sign(older);
    await whoami(olderToken).expect(200);
    // … and is refused once the user's generation has moved on.
    await t.app.get(DataSource).transaction(async (manager) => {
      await manager.query(
        'UPDATE users SET token_generation = token_generation + 1 WHERE id = $1',
        [userId],
      );
      await manager.query(`SELECT pg_notify('principal_changed', $1)`, [`user:${userId}`]);
    });
    await until(async () => (await whoami(olderToken)).status === 401);
    await expect401(olderToken, /^Token revoked: the user's password/);
    await expect401(validToken, /^Token revoked: the user's password/);
    // A higher generation than the current one is no concern: we signed it.
    await whoami(await sign({ ...claims, gen: 1 })).expect(200);
  });
});
