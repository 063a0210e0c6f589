import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('administration: organizations, users, API clients', () => {
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

  const as = (token: string) => ({
    get: (url: string) => request(t.server).get(url).set('authorization', `Bearer ${token}`),
    post: (url: string, body: object = {}) =>
      request(t.server).post(url).set('authorization', `Bearer ${token}`).send(body),
    patch: (url: string, body: object) =>
      request(t.server).patch(url).set('authorization', `Bearer ${token}`).send(body),
  });

  it('creates an ISP with its incident contacts, refuses a duplicate short code, and edits with a version check', async () => {
    const code = `ISP-${Date.now().toString(36)}`.toUpperCase();
    const created = await as(admin)
      .post('/api/v1/organizations', {
        kind: 'isp',
        name: 'Viettel Thanh Hóa',
        shortCode: code.toLowerCase(),
        contacts: { phone: '+84 237 000 000', hotline: '1900 8098', email: 'csirt@isp.example' },
      })
      .expect(201);
    expect(created.body).toMatchObject({ kind: 'isp', shortCode: code, version: 1 });
    const dup = await as(admin)
      .post('/api/v1/organizations', { kind: 'isp', name: 'Again', shortCode: code })
      .expect(409);
    expect(dup.body.detail).toContain(code);

    const id = created.body.id as string;
    const edited = await as(admin)
      .patch(`/api/v1/organizations/${id}`, { version: 1, name: 'Viettel TH' })
      .expect(200);
    expect(edited.body).toMatchObject({ name: 'Viettel TH', version: 2 });
    const stale = await as(admin)
      .patch(`/api/v1/organizations/${id}`, { version: 1, name: 'Lost update' })
      .expect(409);
    expect(stale.body.title).toBe('The record has changed');

    const bad = await as(admin)
      .post('/api/v1/organizations', {
        kind: 'bank',
        name: 'x',
        shortCode: '!',
        contacts: { email: 'no' },
      })
      .expect(400);
    const names = new Set(bad.body['invalid-params'].map((p: { name: string }) => p.name));
    expect([...names].sort()).toEqual(['contacts.email', 'kind', 'name', 'shortCode']);
  });

  it('creates users whose roles fit their organization, and disabling one ends their access', async () => {
    const isp = await make.organization('isp');
    const misfit = await as(admin)
      .post('/api/v1/users', {
        organizationId: isp.id,
        email: `op-${Date.now()}@isp.example`,
        name: 'Operator',
        roles: ['approver'],
        password: 'a-long-enough-password',
      })
      .expect(400);
    expect(misfit.body['invalid-params'][0].reason).toMatch(/do not fit a isp organization/);
    const short = await as(admin)
      .post('/api/v1/users', {
        organizationId: isp.id,
        email: 'x@isp.example',
        name: 'x',
        roles: ['isp_operator'],
        password: 'short',
      })
      .expect(400);
    expect(short.body['invalid-params'][0].name).toBe('password');

    const email = `op-${Date.now()}@isp.example`;
    const user = await as(admin)
      .post('/api/v1/users', {
        organizationId: isp.id,
        email,
        name: 'Operator',
        roles: ['isp_operator'],
        password: 'a-long-enough-password',
      })
      .expect(201);
    expect(user.body).not.toHaveProperty('passwordHash');
    await as(admin)
      .post('/api/v1/users', {
        organizationId: isp.id,
        email: email.toUpperCase(),
        name: 'Dup',
        roles: ['isp_operator'],
        password: 'a-long-enough-password',
      })
      .expect(409);
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email, password: 'a-long-enough-password' })
      .expect(200);
    await as(login.body.access_token).get('/api/v1/users').expect(200);

    await as(admin)
      .patch(`/api/v1/users/${user.body.id}`, { version: 1, disabled: true })
      .expect(200);
    await as(login.body.access_token).get('/api/v1/users').expect(401);
  });

  it('ends a user’s sessions when their password changes, and a removed role stops at once', async () => {
    const dept = await make.organization('department');
    const user = await make.user(dept, ['analyst', 'approver']);
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    await as(admin)
      .patch(`/api/v1/users/${user.id}`, { version: 1, roles: ['approver'] })
      .expect(200);
    // The token still says analyst+approver; only approver counts now.
    const who = await as(login.body.access_token).get('/api/v1/organizations').expect(200);
    expect(who.body.items.length).toBeGreaterThan(0);
    await as(admin)
      .patch(`/api/v1/users/${user.id}`, { version: 2, password: 'a-brand-new-password' })
      .expect(200);
    await request(t.server)
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: login.body.refresh_token })
      .expect(401);
  });

  it('creates an API client whose secret is shown once, rotates it and revokes it', async () => {
    const isp = await make.organization('isp');
    const dept = await make.organization('department');
    await as(admin)
      .post('/api/v1/api-clients', { organizationId: dept.id, name: 'nope' })
      .expect(400);

    const created = await as(admin)
      .post('/api/v1/api-clients', { organizationId: isp.id, name: 'RPZ puller' })
      .expect(201);
    const { id, clientId, clientSecret } = created.body as {
      id: string;
      clientId: string;
      clientSecret: string;
    };
    expect(clientSecret.length).toBeGreaterThanOrEqual(40);
    const fetched = await as(admin).get(`/api/v1/api-clients/${id}`).expect(200);
    expect(fetched.body.clientSecret).toBeUndefined();
    await make.clientToken(clientId, clientSecret);
    expect((await as(admin).get(`/api/v1/api-clients/${id}`)).body.lastUsedAt).not.toBeNull();

    const operator = await make.user(isp, ['isp_operator']);
    const opToken = (
      await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: operator.email, password: operator.password })
    ).body.access_token as string;
    const rotated = await as(opToken).post(`/api/v1/api-clients/${id}/rotate`).expect(200);
    expect(rotated.body.clientSecret).not.toBe(clientSecret);
    await request(t.server)
      .post('/api/v1/auth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })
      .expect(401);
    const token = await make.clientToken(clientId, rotated.body.clientSecret);

    const revoked = await as(opToken).post(`/api/v1/api-clients/${id}/revoke`).expect(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    await as(token).get('/api/v1/organizations').expect(401);
    await as(opToken).post(`/api/v1/api-clients/${id}/rotate`).expect(409);
  });

  it('pages through lists with a cursor, without gaps or repeats', async () => {
    for (let i = 0; i < 5; i++) await make.organization('authority');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/organizations?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await as(admin).get(url).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((o: { id: string }) => o.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 500);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await as(admin).get('/api/v1/organizations?limit=200').expect(200);
    if (all.body.nextCursor === null)
      expect(seen.sort()).toEqual(all.body.items.map((o: { id: string }) => o.id).sort());
    await as(admin).get('/api/v1/organizations?limit=0').expect(400);
    await as(admin).get('/api/v1/organizations?limit=201').expect(400);
    await as(admin).get('/api/v1/organizations?cursor=garbage').expect(400);
  });
});
