import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { routesOf } from '#src/app/app.factory.js';
import { PERSON_ROLES, ROLES, type Role } from '#src/identity/auth/roles.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * docs/access-matrix.json: "METHOD /path" → "public" or the roles allowed; and the routes a
 * person whose password was reset may call before changing it.
 */
interface AccessMatrix {
  routes: Record<string, 'public' | Role[]>;
  duringPasswordChange: string[];
}

const matrix = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'docs', 'access-matrix.json'), 'utf8'),
) as AccessMatrix;

/** The guard's own refusals, told apart from an operation's answers (400, 404…). */
function isDenied(
  status: number,
  body: DeniedBody,
): 'unauthenticated' | 'forbidden' | 'password-change-required' | false {
  // TAXII routes say the same in a TAXII error message (error_code, description).
  const type = body.type ?? body.error_code;
  const detail = body.detail ?? body.description;
  if (status === 401 && type === 'urn:threat-exchange:problem:unauthorized')
    return 'unauthenticated';
  if (status === 403 && detail === 'Your roles do not allow this operation') return 'forbidden';
  if (status === 403 && type === 'urn:threat-exchange:problem:password-change-required') {
    return 'password-change-required';
  }
  return false;
}

interface DeniedBody {
  type?: string;
  detail?: string;
  error_code?: string;
  description?: string;
}

describe('access matrix: every route × every role against docs/access-matrix.json', () => {
  let t: TestApp;
  const tokens = new Map<Role, string>();
  /** People whose password an administrator reset: the token of their next login. */
  const resetTokens = new Map<Role, string>();

  beforeAll(async () => {
    t = await createTestApp();
    const make = new Factories(t.app);
    for (const role of ROLES) tokens.set(role, (await make.loginAs(role)).token);
    for (const role of PERSON_ROLES) {
      const { user } = await make.loginAs(role);
      const reset = await request(t.server)
        .post(`/api/v1/users/${user.id}/reset-password`)
        .set('authorization', `Bearer ${tokens.get('admin')}`)
        .send({})
        .expect(200);
      const login = await request(t.server)
        .post('/api/v1/auth/login')
        .send({ email: user.email, password: reset.body.temporaryPassword as string })
        .expect(200);
      expect(login.body.passwordChangeRequired).toBe(true);
      resetTokens.set(role, login.body.access_token as string);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists exactly the routes the application serves', () => {
    const served = routesOf(t.app).map((r) => `${r.method} ${r.url}`);
    expect([...new Set(served)].sort()).toEqual(Object.keys(matrix.routes).sort());
  });

  it('is rendered as the same table in docs/access-matrix.md', () => {
    const md = readFileSync(path.join(PROJECT_ROOT, 'docs', 'access-matrix.md'), 'utf8');
    const header = md.split('\n').find((l) => l.startsWith('| Route'));
    const columns = (header ?? '')
      .split('|')
      .map((c) => c.trim())
      .slice(2, -1);
    expect(columns).toEqual([...ROLES]);
    const rows = new Map<string, string[]>();
    // One table: the rows that follow the header without a break (a blank line would end the
    // table in Markdown and leave the rest as stray text).
    const lines = md.split('\n');
    const start = lines.findIndex((l) => l.startsWith('| Route'));
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
    for (const line of lines.slice(start, end === -1 ? undefined : end)) {
      const cells = line.split('|').map((c) => c.trim());
      const route = /^`(.+)`$/.exec(cells[1] ?? '')?.[1];
      if (route) rows.set(route, cells.slice(2, -1));
    }
    for (const [route, rule] of Object.entries(matrix.routes)) {
      if (route.startsWith('GET /api/docs/')) continue;
      const expected = ROLES.map((r) =>
        rule === 'public' ? 'public' : rule.includes(r) ? '✓' : '',
      );
      expect({ route, cells: rows.get(route) }).toEqual({ route, cells: expected });
    }
  });

  /** Calls `route` with `token` (or none): the guard's refusal, false if it let it through. */
  const call = async (route: string, token?: string) => {
    const [method = 'GET', template = '/'] = route.split(' ');
    const url = template.replace(/:[A-Za-z]+/g, randomUUID()).replace('*', 'x');
    let req = request(t.server)[method.toLowerCase() as 'get'](url);
    if (token) req = req.set('authorization', `Bearer ${token}`);
    if (method === 'POST' || method === 'PATCH' || method === 'PUT') req = req.send({});
    const res = await req;
    // An allowed call may be refused by the operation (400, 404…), never fail (5xx).
    if (res.status >= 500) return `${res.status} ${JSON.stringify(res.body)}`;
    return isDenied(res.status, res.body as DeniedBody);
  };

  it('gives each role (and no token) exactly the access the matrix says', async () => {
    const mismatches: string[] = [];
    for (const [route, rule] of Object.entries(matrix.routes)) {
      const anonymous = await call(route);
      if (rule === 'public' ? anonymous !== false : anonymous !== 'unauthenticated') {
        mismatches.push(`${route} without a token: ${anonymous || 'allowed'}`);
      }
      for (const role of ROLES) {
        const outcome = await call(route, tokens.get(role));
        const allowed = rule === 'public' || rule.includes(role);
        if (allowed ? outcome !== false : outcome !== 'forbidden') {
          mismatches.push(
            `${route} as ${role}: ${outcome || 'allowed'}, expected ${allowed ? 'allowed' : 'forbidden'}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('lets a person whose password was reset call only the routes of duringPasswordChange', async () => {
    expect(matrix.duringPasswordChange.filter((r) => !(r in matrix.routes))).toEqual([]);
    const mismatches: string[] = [];
    for (const [route, rule] of Object.entries(matrix.routes)) {
      for (const role of PERSON_ROLES) {
        const outcome = await call(route, resetTokens.get(role));
        const expected =
          rule === 'public' || (matrix.duringPasswordChange.includes(route) && rule.includes(role))
            ? false
            : 'password-change-required';
        if (outcome !== expected) {
          mismatches.push(`${route} as ${role} after a reset: ${outcome || 'allowed'}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});
