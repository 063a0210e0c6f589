import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal, Role } from '#src/identity/index.js';
import { BlockingRequestsService, IndicatorsService } from '#src/publishing/index.js';
import { ProblemException } from '#src/platform/problem/index.js';

export const DEMO_DOCUMENT_NUMBER = 'DEMO-001/STTTT-ATTT';

/**
 * Documentation names and addresses (RFC 2606, RFC 5737, RFC 3849): they can never be anybody's
 * real service, which is why the built-in protected list covers them, and why the demo
 * approver records an override for each, as an approver would for a real exception.
 */
export const DEMO_VALUES = [
  'botnet-c2.example.com',
  'login-update.example.net',
  '192.0.2.66',
  '198.51.100.23',
  '2001:db8:bad::1',
  '203.0.113.0/24',
  'http://phishing.example.org/vn/ngan-hang/login',
];

/** A demo person as the services see a caller (the seed acts through them, as the API does). */
export async function principal(
  ds: DataSource,
  email: string,
  organizationKind: Principal['organizationKind'] = 'department',
): Promise<Principal> {
  const [row] = await ds.query<{ id: string; organization_id: string; roles: Role[] }[]>(
    `SELECT id, organization_id, roles FROM users WHERE email = $1`,
    [email],
  );
  if (!row) throw new Error(`demo user ${email} is missing`);
  return {
    kind: 'user',
    id: row.id,
    organizationId: row.organization_id,
    organizationKind,
    roles: row.roles,
    tokenId: 'seed-demo',
  };
}

/**
 * A published sample request addressed to both demo ISPs, made through the same services as
 * the API (two people: the demo analyst submits, the demo approver approves). Idempotent: a
 * request with the demo document number is left as it is. Returns its id and status.
 */
export async function seedDemoRequest(
  app: INestApplicationContext,
): Promise<{ id: string; status: string; created: boolean }> {
  const ds = app.get(DataSource);
  const [existing] = await ds.query<{ id: string; status: string }[]>(
    `SELECT id, status FROM blocking_requests WHERE document_number = $1`,
    [DEMO_DOCUMENT_NUMBER],
  );
  if (existing) return { ...existing, created: false };
  const analyst = await principal(ds, 'analyst@dic.example');
  const approver = await principal(ds, 'approver@dic.example');
  const isps = await ds.query<{ id: string }[]>(
    `SELECT id FROM organizations WHERE short_code IN ('ISP-A', 'ISP-B') ORDER BY short_code`,
  );
  const requests = app.get(BlockingRequestsService);
  const indicators = app.get(IndicatorsService);
  const draft = await requests.create(analyst, {
    documentNumber: DEMO_DOCUMENT_NUMBER,
    title: 'Demo: botnet command-and-control and phishing hosts',
    legalBasis: 'Demo only: Decree 53/2022/ND-CP, Article 21',
    description: 'Sample content created by npm run seed:demo.',
    category: 'botnet',
    severity: 'high',
    targetsAll: false,
    targetOrganizationIds: isps.map((i) => i.id),
  });
  const added = await requests.addItems(analyst, draft.id, {
    values: DEMO_VALUES,
    defaults: { tlp: 'GREEN', source: 'seed:demo', tags: ['demo'] },
  });
  await requests.submit(analyst, draft.id, { version: added.version });
  const items = await ds.query<{ indicator_id: string }[]>(
    `SELECT indicator_id FROM blocking_request_items WHERE request_id = $1`,
    [draft.id],
  );
  for (const item of items) {
    await indicators
      .overrideProtection(approver, item.indicator_id, {
        reason: 'Demo content: documentation names and addresses (RFC 2606, 5737, 3849)',
      })
      .catch((error: unknown) => {
        // 409: the value is not protected, there is nothing to override.
        if (!(error instanceof ProblemException && error.getStatus() === 409)) throw error;
      });
  }
  const current = await requests.get(approver, draft.id);
  const published = await requests.approve(approver, draft.id, { version: current.version });
  return { id: published.id, status: published.status, created: true };
}
