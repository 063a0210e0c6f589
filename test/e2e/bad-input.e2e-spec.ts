import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Role } from '#src/identity/auth/roles.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, RequestFlow, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const matrix = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'docs', 'access-matrix.json'), 'utf8'),
) as { routes: Record<string, 'public' | Role[]> };

/** Bodies no operation accepts, each a client's mistake. */
const BAD_BODIES: unknown[] = [
  [],
  'just a string',
  42,
  { version: 'seven', title: 12 },
  { values: [null, 5, {}, ['nested']] },
  { values: ['x'.repeat(5000)], indicatorIds: ['not-a-uuid'] },
  { indicators: [{ type: 'ipv9', value: 1 }], entries: [{ kind: 'regex', value: '.*' }] },
  { targetsAll: 'yes', targetOrganizationIds: 'all', deadlineHours: 10_000 },
  { reason: '', comment: '', version: -1, validUntil: 'tomorrow', confidence: 101 },
  { __proto__: { admin: true }, constructor: { prototype: { x: 1 } } },
  { version: 1, title: null, targetsAll: null, deadlineHours: null, tlp: null, tags: null },
  { version: 1, validFrom: '2100-01-01T00:00:00Z', validUntil: '2001-01-01T00:00:00Z' },
  { version: 1, enabled: null, name: null, comment: null, reason: null },
];
const BAD_QUERY = {
  limit: '-1',
  cursor: '%%%',
  createdFrom: 'not-a-date',
  type: 'ipv9',
  status: 'sideways',
  requestId: 'nope',
  mode: 'maybe',
};

/**
 * Every operation of the Department's side, called by a role allowed to call it, with bad
 * bodies, bad queries and bad path parameters: always a 4xx problem+json, never a 5xx.
 */
describe('bad input on every operation: 4xx problem+json, never 5xx', () => {
  let t: TestApp;
  const tokens = new Map<Role, string>();
  const ids = new Map<string, string>();

  beforeAll(async () => {
    t = await createTestApp();
    const make = new Factories(t.app);
    for (const role of [
      'admin',
      'analyst',
      'approver',
      'isp_operator',
      'isp_client',
      'auditor',
    ] as const) {
      tokens.set(role, (await make.loginAs(role)).token);
    }
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    const ispOrg = await make.organization('isp');
    const published = await flow.publish([ispOrg.id], [unprotected.domain()]);
    ids.set('request', published.id as string);
    ids.set('draft', (await flow.draft([ispOrg.id])).id as string);
    const indicator = await request(t.server)
      .post('/api/v1/indicators')
      .set('authorization', `Bearer ${tokens.get('analyst')!}`)
      .send({ value: unprotected.domain() })
      .expect(201);
    ids.set('indicator', indicator.body.id as string);
    const lists = await request(t.server)
      .get('/api/v1/protected-lists')
      .set('authorization', `Bearer ${tokens.get('admin')!}`)
      .expect(200);
    ids.set('list', lists.body.items[0].id as string);
  });
  afterAll(async () => {
    await t.close();
  });

  const operations = Object.entries(matrix.routes)
    .filter(
      ([route, rule]) =>
        rule !== 'public' &&
        /\/api\/v1\/(indicators|imports|protected-lists|blocking-requests)/.test(route),
    )
    .map(([route, rule]) => {
      const [method, template] = route.split(' ') as [string, string];
      return {
        route,
        method: method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete',
        template,
        role: (rule as Role[])[0],
      };
    });

  it('covers the operations of this issue', () => {
    expect(operations.length).toBeGreaterThanOrEqual(30);
  });

  it.each(operations.map((op) => [op.route, op] as const))('%s', async (_route, op) => {
    const token = tokens.get(op.role)!;
    const fill = (value: (name: string) => string) =>
      op.template.replace(/:(\w+)/g, (_m, name: string) => value(name));
    const idFor = (which: string) =>
      fill((name) =>
        name === 'id'
          ? op.template.startsWith('/api/v1/blocking-requests')
            ? ids.get(which)!
            : op.template.startsWith('/api/v1/protected-lists')
              ? ids.get('list')!
              : op.template.startsWith('/api/v1/indicators')
                ? ids.get('indicator')!
                : randomUUID()
          : randomUUID(),
      );
    const real = idFor('request');
    // Blocking requests: a published one (state checks) and a draft (field checks).
    const targets = op.template.startsWith('/api/v1/blocking-requests/:id')
      ? [real, idFor('draft')]
      : [real];
    const hasParams = op.template.includes(':');
    const attempts: { path: string; body?: string | Buffer; type?: string; mayPass?: boolean }[] = [
      ...(hasParams
        ? [{ path: fill(() => 'not-a-uuid') }, { path: fill(() => "1' OR '1'='1") }]
        : []),
      // Operations without query parameters ignore them; list operations must refuse these.
      {
        path: `${real}?${new URLSearchParams(BAD_QUERY).toString()}`,
        mayPass: op.method !== 'get' || hasParams,
      },
    ];
    if (op.method === 'post' || op.method === 'patch') {
      // A bulk import takes any rows and reports the bad ones (202, then the job says why).
      const isImport = op.route === 'POST /api/v1/imports';
      for (const body of BAD_BODIES) {
        for (const target of targets)
          attempts.push({
            path: target,
            body: JSON.stringify(body),
            type: 'application/json',
            mayPass: isImport,
          });
      }
      attempts.push({ path: real, body: '{"broken": ', type: 'application/json' });
      attempts.push({
        path: real,
        body: Buffer.from([0xff, 0xfe, 0x00, 0x41]),
        type: 'text/plain',
      });
    }
    for (const attempt of attempts) {
      let req = request(t.server)[op.method](attempt.path).set('authorization', `Bearer ${token}`);
      if (attempt.type) req = req.set('content-type', attempt.type);
      const res = attempt.body === undefined ? await req : await req.send(attempt.body);
      const summary = { path: attempt.path, body: String(attempt.body), status: res.status };
      if (res.status >= 500 || (res.status < 400 && !attempt.mayPass)) {
        throw new Error(`${op.route}: ${JSON.stringify(summary)} → ${JSON.stringify(res.body)}`);
      }
      if (res.status >= 400) {
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
    }
  });
});
