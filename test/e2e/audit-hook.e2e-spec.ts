import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Factories } from '#test/support/factories.js';
import { status } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

interface AuditRow {
  actor_type: string;
  actor_id: string;
  organization_id: string;
  roles: string[];
  action: string;
  object_type: string;
  object_id: string;
  summary: Record<string, unknown>;
  request_id: string;
  client_ip: string;
}

/** Every state change goes through the audit service, with who, what, and which request. */
describe('the audit hook', () => {
  let t: TestApp;
  let db: DataSource;
  let admin: Awaited<ReturnType<Factories['loginAs']>>;

  const auditOf = async (requestId: string) => {
    await t.sealAudit();
    return db.query<AuditRow[]>(`SELECT * FROM audit_events WHERE request_id = $1 ORDER BY id`, [
      requestId,
    ]);
  };

  beforeAll(async () => {
    t = await createTestApp();
    db = t.app.get(DataSource);
    admin = await new Factories(t.app).loginAs('admin');
  });
  afterAll(async () => {
    await t.close();
  });

  it('records administration changes with actor, roles, request id and client address', async () => {
    const requestId = `audit-${randomUUID()}`;
    const res = await request(t.server)
      .post('/api/v1/organizations')
      .set('authorization', `Bearer ${admin.token}`)
      .set('x-request-id', requestId)
      .send({ kind: 'isp', name: 'Audited ISP', shortCode: `AUD-${randomUUID().slice(0, 6)}` })
      .expect(status(201));
    const [row, ...rest] = await auditOf(requestId);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      actor_type: 'user',
      actor_id: admin.user.id,
      organization_id: admin.organization.id,
      roles: ['admin'],
      action: 'organization.create',
      object_type: 'organization',
      object_id: res.body.id,
      summary: { kind: 'isp', name: 'Audited ISP' },
    });
    expect(row.client_ip).toMatch(/127\.0\.0\.1/);

    const clientRequestId = `audit-${randomUUID()}`;
    const client = await request(t.server)
      .post('/api/v1/api-clients')
      .set('authorization', `Bearer ${admin.token}`)
      .set('x-request-id', clientRequestId)
      .send({ organizationId: res.body.id, name: 'Feeds' })
      .expect(status(201));
    const [clientRow] = await auditOf(clientRequestId);
    expect(clientRow).toMatchObject({ action: 'api_client.create', object_id: client.body.id });
    // Secrets never reach the audit trail.
    expect(JSON.stringify(clientRow)).not.toContain(client.body.clientSecret);
  });

  it('writes nothing when the change is refused', async () => {
    const requestId = `audit-${randomUUID()}`;
    await request(t.server)
      .post('/api/v1/organizations')
      .set('authorization', `Bearer ${admin.token}`)
      .set('x-request-id', requestId)
      .send({ kind: 'nonsense', name: 'x', shortCode: 'x' })
      .expect(400);
    expect(await auditOf(requestId)).toEqual([]);
  });
});
