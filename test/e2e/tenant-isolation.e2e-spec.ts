import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Role } from '#src/identity/auth/roles.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, RequestFlow, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const matrix = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'docs', 'access-matrix.json'), 'utf8'),
) as { routes: Record<string, 'public' | Role[]> };

/**
 * Every tenant-scoped operation, called by ISP A with ISP B's records: 404 (as if they did not
 * exist), and nothing changes. A later feature adds its operations to `OPERATIONS`.
 */
describe('tenant isolation between ISPs', () => {
  let t: TestApp;
  let make: Factories;
  let tokenA: string;
  let clientTokenA: string;
  let b: {
    orgId: string;
    userId: string;
    clientId: string;
    clientPublicId: string;
    clientSecret: string;
    requestId: string;
    indicatorId: string;
    webhookId: string;
    deliveryId: string;
    assignmentId: string;
    confirmationId: string;
    incidentId: string;
    incidentAttachmentId: string;
  };

  /** B's assignment: still applied, with its one confirmation. */
  const assignmentUnchanged = async () => {
    const [row] = await t.app.get(DataSource).query<{ status: string; n: number }[]>(
      `SELECT a.status, (SELECT count(*)::int FROM confirmations c WHERE c.assignment_id = a.id) AS n
           FROM assignments a WHERE a.id = $1`,
      [b.assignmentId],
    );
    expect(row).toEqual({ status: 'applied', n: 1 });
  };

  interface Operation {
    name: string;
    method: 'get' | 'post' | 'patch' | 'delete';
    /** The route template, as in docs/access-matrix.json. */
    route: string;
    path: () => string;
    body?: object;
    /** Proves that the call changed nothing of B's. */
    unchanged?: () => Promise<void>;
  }

  const OPERATIONS: Operation[] = [
    {
      name: 'get organization',
      method: 'get',
      route: '/api/v1/organizations/:id',
      path: () => `/api/v1/organizations/${b.orgId}`,
    },
    {
      name: 'get user',
      method: 'get',
      route: '/api/v1/users/:id',
      path: () => `/api/v1/users/${b.userId}`,
    },
    {
      name: 'get API client',
      method: 'get',
      route: '/api/v1/api-clients/:id',
      path: () => `/api/v1/api-clients/${b.clientId}`,
    },
    {
      name: 'rotate API client secret',
      method: 'post',
      route: '/api/v1/api-clients/:id/rotate',
      path: () => `/api/v1/api-clients/${b.clientId}/rotate`,
      unchanged: async () => {
        // B's secret still works.
        await make.clientToken(b.clientPublicId, b.clientSecret);
      },
    },
    {
      name: 'revoke API client',
      method: 'post',
      route: '/api/v1/api-clients/:id/revoke',
      path: () => `/api/v1/api-clients/${b.clientId}/revoke`,
      unchanged: async () => {
        const row = await t.app
          .get(DataSource)
          .getRepository(ApiClientEntity)
          .findOneByOrFail({ id: b.clientId });
        expect(row.revokedAt).toBeNull();
      },
    },
    {
      name: 'get blocking request addressed to another ISP',
      method: 'get',
      route: '/api/v1/blocking-requests/:id',
      path: () => `/api/v1/blocking-requests/${b.requestId}`,
    },
    {
      name: 'list items of a blocking request addressed to another ISP',
      method: 'get',
      route: '/api/v1/blocking-requests/:id/items',
      path: () => `/api/v1/blocking-requests/${b.requestId}/items`,
    },
    // Webhooks: another organization's subscription and deliveries do not exist for the caller.
    ...(
      [
        ['get webhook', 'get', '/api/v1/webhooks/:id', () => `/api/v1/webhooks/${b.webhookId}`],
        [
          'change webhook',
          'patch',
          '/api/v1/webhooks/:id',
          () => `/api/v1/webhooks/${b.webhookId}`,
        ],
        [
          'delete webhook',
          'delete',
          '/api/v1/webhooks/:id',
          () => `/api/v1/webhooks/${b.webhookId}`,
        ],
        [
          'rotate webhook secret',
          'post',
          '/api/v1/webhooks/:id/rotate-secret',
          () => `/api/v1/webhooks/${b.webhookId}/rotate-secret`,
        ],
        [
          'list webhook deliveries',
          'get',
          '/api/v1/webhooks/:id/deliveries',
          () => `/api/v1/webhooks/${b.webhookId}/deliveries`,
        ],
        [
          'get webhook delivery',
          'get',
          '/api/v1/webhooks/deliveries/:deliveryId',
          () => `/api/v1/webhooks/deliveries/${b.deliveryId}`,
        ],
        [
          'redeliver webhook delivery',
          'post',
          '/api/v1/webhooks/deliveries/:deliveryId/redeliver',
          () => `/api/v1/webhooks/deliveries/${b.deliveryId}/redeliver`,
        ],
      ] as const
    ).map(([name, method, route, path]) => ({
      name,
      method,
      route,
      path,
      body: method === 'patch' ? { version: 1, active: false } : undefined,
      unchanged: async () => {
        const [row] = await t.app.get(DataSource).query(
          `SELECT s.version, s.deleted_at, d.status FROM webhook_subscriptions s
               JOIN webhook_deliveries d ON d.subscription_id = s.id WHERE s.id = $1`,
          [b.webhookId],
        );
        expect(row).toEqual({ version: 1, deleted_at: null, status: 'dead' });
      },
    })),
    {
      name: 'get assignment',
      method: 'get',
      route: '/api/v1/assignments/:id',
      path: () => `/api/v1/assignments/${b.assignmentId}`,
    },
    {
      name: 'acknowledge assignment',
      method: 'post',
      route: '/api/v1/assignments/:id/acknowledge',
      path: () => `/api/v1/assignments/${b.assignmentId}/acknowledge`,
      unchanged: assignmentUnchanged,
    },
    {
      name: 'confirm assignment',
      method: 'post',
      route: '/api/v1/assignments/:id/confirmations',
      path: () => `/api/v1/assignments/${b.assignmentId}/confirmations`,
      body: { status: 'rejected', reason: 'Not ours' },
      unchanged: assignmentUnchanged,
    },
    {
      name: 'get confirmation',
      method: 'get',
      route: '/api/v1/assignments/:id/confirmations/:confirmationId',
      path: () => `/api/v1/assignments/${b.assignmentId}/confirmations/${b.confirmationId}`,
    },
    // Incident reports: another organization's report and its files do not exist for the caller.
    ...(
      [
        ['get incident', 'get', '/api/v1/incidents/:id', () => `/api/v1/incidents/${b.incidentId}`],
        [
          'provide information on an incident',
          'post',
          '/api/v1/incidents/:id/information',
          () => `/api/v1/incidents/${b.incidentId}/information`,
        ],
        [
          'get incident attachment',
          'get',
          '/api/v1/incidents/:id/attachments/:attachmentId',
          () => `/api/v1/incidents/${b.incidentId}/attachments/${b.incidentAttachmentId}`,
        ],
        [
          'assign incident',
          'post',
          '/api/v1/incidents/:id/assign',
          () => `/api/v1/incidents/${b.incidentId}/assign`,
        ],
      ] as const
    ).map(([name, method, route, path]) => ({
      name,
      method,
      route,
      path,
      body: route.endsWith('/assign')
        ? { version: 1, assigneeId: '00000000-0000-4000-8000-000000000000' }
        : { version: 1, message: 'not yours' },
      unchanged: async () => {
        const [row] = await t.app
          .get(DataSource)
          .query(`SELECT status, version FROM incidents WHERE id = $1`, [b.incidentId]);
        expect(row).toEqual({ status: 'new', version: 1 });
      },
    })),
    // TAXII: another ISP's collection does not exist for the caller.
    ...(
      [
        ['TAXII collection', '', ''],
        ['TAXII manifest', 'manifest/', '/manifest'],
        ['TAXII objects', 'objects/', '/objects'],
        ['TAXII object', 'objects/OBJECT/', '/objects/:objectId'],
        ['TAXII object versions', 'objects/OBJECT/versions/', '/objects/:objectId/versions'],
      ] as const
    ).map(([name, suffix, route]) => ({
      name: `${name} of another ISP`,
      method: 'get' as const,
      route: `/taxii2/feeds/collections/:collectionId${route}`,
      path: () =>
        `/taxii2/feeds/collections/${b.orgId}/${suffix.replace('OBJECT', `indicator--${b.indicatorId}`)}`,
    })),
  ];

  beforeAll(async () => {
    t = await createTestApp();
    make = new Factories(t.app);
    const ispA = await make.organization('isp');
    const operatorA = await make.user(ispA, ['isp_operator']);
    const login = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: operatorA.email, password: operatorA.password })
      .expect(200);
    tokenA = login.body.access_token;
    const clientA = await make.apiClient(ispA);
    clientTokenA = await make.clientToken(clientA.clientId, clientA.secret);

    const ispB = await make.organization('isp');
    const userB = await make.user(ispB, ['isp_operator']);
    const clientB = await make.apiClient(ispB);
    b = {
      orgId: ispB.id,
      userId: userB.id,
      clientId: clientB.id,
      clientPublicId: clientB.clientId,
      clientSecret: clientB.secret,
      requestId: '',
      indicatorId: '',
      webhookId: '',
      deliveryId: '',
      assignmentId: '',
      confirmationId: '',
      incidentId: '',
      incidentAttachmentId: '',
    };
    // B's webhook (a public address literal: no DNS needed) and a dead delivery of it.
    const loginB = await request(t.server)
      .post('/api/v1/auth/login')
      .send({ email: userB.email, password: userB.password })
      .expect(200);
    const webhook = await request(t.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${loginB.body.access_token}`)
      .send({ url: 'https://93.184.215.14/hooks', events: ['request.published'] })
      .expect(201);
    b.webhookId = webhook.body.id;
    await request(t.server)
      .post('/api/v1/webhooks')
      .set('authorization', `Bearer ${tokenA}`)
      .send({ url: 'https://93.184.215.15/hooks', events: ['request.published'] })
      .expect(201);
    const [delivery] = await t.app.get(DataSource).query(
      `INSERT INTO webhook_deliveries (subscription_id, organization_id, event_type, payload, status, dead_at)
       VALUES ($1, $2, 'request.published', '{"type":"request.published","timestamp":"2026-01-01T00:00:00.000Z","data":{}}', 'dead', now())
       RETURNING id`,
      [b.webhookId, b.orgId],
    );
    b.deliveryId = delivery.id;
    // B's incident report, with an attachment.
    const incident = await request(t.server)
      .post('/api/v1/incidents')
      .set('authorization', `Bearer ${loginB.body.access_token}`)
      .send({ category: 'ddos', severity: 'high', title: 'Flood', description: 'SYN flood' })
      .expect(201);
    b.incidentId = incident.body.id;
    const attachment = await request(t.server)
      .post(`/api/v1/incidents/${b.incidentId}/attachments?filename=flood.log`)
      .set('authorization', `Bearer ${loginB.body.access_token}`)
      .set('content-type', 'text/plain')
      .send('198.51.100.9 SYN\n')
      .expect(201);
    b.incidentAttachmentId = attachment.body.id;
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    b.requestId = (await flow.publish([ispB.id], [unprotected.domain()])).id as string;
    const items = await flow.raw('get', `/${b.requestId}/items`, flow.staff.analyst).expect(200);
    b.indicatorId = (items.body as { items: { indicatorId: string }[] }).items[0].indicatorId;
    // B confirms its assignment, and pulls and acknowledges its feed (a receipt).
    const tokenB = loginB.body.access_token as string;
    const assignmentsB = await request(t.server)
      .get('/api/v1/assignments')
      .set('authorization', `Bearer ${tokenB}`)
      .expect(200);
    b.assignmentId = (assignmentsB.body as { items: { id: string }[] }).items[0].id;
    const confirmed = await request(t.server)
      .post(`/api/v1/assignments/${b.assignmentId}/confirmations`)
      .set('authorization', `Bearer ${tokenB}`)
      .send({ status: 'applied', appliedAt: new Date().toISOString(), mechanism: 'rpz' })
      .expect(201);
    b.confirmationId = confirmed.body.id as string;
    const snapshot = await request(t.server)
      .get('/api/v1/feed/snapshot.txt')
      .set('authorization', `Bearer ${tokenB}`)
      .expect(200);
    await request(t.server)
      .post('/api/v1/feed/receipts')
      .set('authorization', `Bearer ${tokenB}`)
      .send({
        version: Number(snapshot.headers['x-feed-version']),
        format: 'txt',
        appliedAt: new Date().toISOString(),
        mechanism: 'rpz',
      })
      .expect(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(OPERATIONS.map((op) => [op.name, op] as const))(
    "%s of another ISP's record: 404 and no change",
    async (_name, op) => {
      for (const [role, token] of [
        ['isp_operator', tokenA],
        ['isp_client', clientTokenA],
      ] as const) {
        const req = request(t.server)[op.method](op.path()).set('authorization', `Bearer ${token}`);
        const res = await (op.body ? req.send(op.body) : req);
        // Where the access matrix lets the role call the route: 404. Elsewhere: 403.
        const rule = matrix.routes[`${op.method.toUpperCase()} ${op.route}`];
        expect(rule).toBeDefined();
        const expected = rule === 'public' || rule?.includes(role) ? 404 : 403;
        expect({ role, status: res.status }).toEqual({ role, status: expected });
        await op.unchanged?.();
      }
    },
  );

  it('answers exactly as for a record that does not exist', async () => {
    const other = await request(t.server)
      .get(`/api/v1/users/${b.userId}`)
      .set('authorization', `Bearer ${tokenA}`)
      .expect(404);
    const missing = await request(t.server)
      .get('/api/v1/users/00000000-0000-4000-8000-000000000000')
      .set('authorization', `Bearer ${tokenA}`)
      .expect(404);
    expect(other.body.detail).toBe(missing.body.detail);
  });

  it('lists only the caller’s own records', async () => {
    for (const path of [
      '/api/v1/organizations',
      '/api/v1/users',
      '/api/v1/api-clients',
      '/api/v1/webhooks',
    ]) {
      const res = await request(t.server)
        .get(path)
        .set('authorization', `Bearer ${tokenA}`)
        .expect(200);
      const ids = JSON.stringify(res.body.items);
      expect(res.body.items.length).toBeGreaterThan(0);
      expect(ids).not.toContain(b.orgId);
      expect(ids).not.toContain(b.userId);
      expect(ids).not.toContain(b.clientId);
      expect(ids).not.toContain(b.webhookId);
    }
    // Assignments and feed receipts: only the caller's own (here none).
    for (const token of [tokenA, clientTokenA]) {
      for (const path of ['/api/v1/assignments', '/api/v1/feed/receipts']) {
        for (const query of ['', `?organizationId=${b.orgId}`]) {
          const res = await request(t.server)
            .get(`${path}${query}`)
            .set('authorization', `Bearer ${token}`)
            .expect(200);
          expect(res.body.items).toEqual([]);
        }
      }
    }
    // Requests: those addressed to another ISP are not listed (the list may be empty).
    for (const token of [tokenA, clientTokenA]) {
      const res = await request(t.server)
        .get('/api/v1/blocking-requests?limit=200')
        .set('authorization', `Bearer ${token}`)
        .expect(200);
      expect(JSON.stringify(res.body.items)).not.toContain(b.requestId);
    }
  });

  it('keeps sightings apart: an ISP neither sees nor reports on another ISP’s', async () => {
    const tokenB = await make.clientToken(b.clientPublicId, b.clientSecret);
    const seen = { count: 9, firstSeen: '2026-01-01T00:00:00Z', lastSeen: '2026-01-02T00:00:00Z' };
    const reported = await request(t.server)
      .post('/api/v1/sightings')
      .set('authorization', `Bearer ${tokenB}`)
      .send({ sightings: [{ ...seen, indicatorId: b.indicatorId, network: '192.0.2.0/28' }] })
      .expect(201);
    const sightingB = (reported.body as { items: { id: string }[] }).items[0].id;
    for (const token of [tokenA, clientTokenA]) {
      for (const path of [
        '/api/v1/sightings?limit=200',
        `/api/v1/sightings?organizationId=${b.orgId}`,
        `/api/v1/sightings?indicatorId=${b.indicatorId}`,
        '/api/v1/sightings/summary',
        '/api/v1/sightings/summary?format=csv',
      ]) {
        const res = await request(t.server).get(path).set('authorization', `Bearer ${token}`);
        expect({ path, status: res.status }).toEqual({ path, status: 200 });
        expect(res.text).not.toContain(sightingB);
        expect(res.text).not.toContain(b.orgId);
        expect(res.text).not.toContain('192.0.2.0/28');
      }
      // Reporting on B's indicator reads exactly as reporting on one that does not exist.
      const refuse = async (indicatorId: string) =>
        (
          await request(t.server)
            .post('/api/v1/sightings')
            .set('authorization', `Bearer ${token}`)
            .send({ sightings: [{ ...seen, indicatorId, network: '192.0.2.16/28' }] })
            .expect(422)
        ).body as { detail: string; 'invalid-params': unknown };
      const other = await refuse(b.indicatorId);
      const missing = await refuse('00000000-0000-4000-8000-000000000000');
      expect(other).toEqual({ ...missing, requestId: expect.any(String) });
    }
    const rows = await t.app
      .get(DataSource)
      .query(`SELECT 1 FROM sightings WHERE indicator_id = $1`, [b.indicatorId]);
    expect(rows).toHaveLength(1);
  });

  it('lets the Department see every ISP', async () => {
    const admin = (await make.loginAs('admin')).token;
    await request(t.server)
      .get(`/api/v1/organizations/${b.orgId}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    await request(t.server)
      .get(`/api/v1/api-clients/${b.clientId}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    await request(t.server)
      .get(`/api/v1/assignments/${b.assignmentId}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    const receipts = await request(t.server)
      .get(`/api/v1/feed/receipts?organizationId=${b.orgId}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    expect(receipts.body.items).toHaveLength(1);
  });
});
