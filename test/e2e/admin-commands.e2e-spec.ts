import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ISP_OPTIONS, USAGE } from '#src/app/admin/admin-commands.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import {
  createTestApp,
  TEST_ADMIN_PASSWORD,
  TEST_KEY_ENCRYPTION_KEY,
  type TestApp,
} from '#test/support/test-app.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'threat-exchange.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The administration commands run as a person runs them: `node bin/threat-exchange.js …` as a
 * child process on the run's database (next to this file's application, as next to a running
 * service), then the credentials they print used over the API.
 */
describe('threat-exchange org:add-isp and user:add', () => {
  let t: TestApp;
  let cwd: string;

  /** Runs the command in an empty folder (no .env) with the service's environment. */
  const cli = (args: string[], stdin = ''): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          NODE_ENV: 'test',
          DATABASE_URL: testDatabaseUrl(),
          KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
          ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });

  const code = () => `T-${randomBytes(4).toString('hex').toUpperCase()}`;
  const email = () => `${randomUUID()}@isp.example`;
  const auditOf = async (objectIds: string[]) => {
    await t.sealAudit();
    return t.app
      .get(DataSource)
      .query<{ action: string; actor_type: string; summary: Record<string, unknown> }[]>(
        `SELECT action, actor_type, summary FROM audit_events WHERE object_id = ANY($1) AND action LIKE '%.create' ORDER BY seq`,
        [objectIds],
      );
  };
  const login = (user: string, password: string) =>
    request(t.server).post('/api/v1/auth/login').send({ email: user, password });

  beforeAll(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), 'admin-commands-'));
    t = await createTestApp();
    await t.app.init();
  });
  afterAll(async () => {
    await t.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it('org:add-isp: an ISP whose printed secret gets a token and pulls the feed; its operator logs in; a duplicate is refused', async () => {
    const shortCode = code();
    const operator = email();
    const run = await cli([
      'org:add-isp',
      '--short-code',
      shortCode.toLowerCase(),
      '--name',
      'VNPT Thanh Hóa',
      '--contact-email',
      'csirt@vnpt.example',
      '--operator-email',
      operator,
      '--operator-name',
      'Nguyễn Văn An',
      '--json',
    ]);
    expect(run).toMatchObject({ code: 0 });
    const out = JSON.parse(run.stdout) as {
      organization: { id: string; kind: string; shortCode: string; contacts: object };
      operator: { id: string; email: string; roles: string[]; generatedPassword: string };
      client: { id: string; clientId: string; clientSecret: string };
    };
    expect(out.organization).toMatchObject({
      kind: 'isp',
      shortCode,
      contacts: { email: 'csirt@vnpt.example' },
    });
    expect(out.operator).toMatchObject({ email: operator, roles: ['isp_operator'] });
    expect(out.operator.generatedPassword.length).toBeGreaterThanOrEqual(20);

    // The secret, printed once, is what the ISP's system uses.
    const token = await new Factories(t.app).clientToken(
      out.client.clientId,
      out.client.clientSecret,
    );
    const feed = await request(t.server)
      .get('/api/v1/feed/changes?after=0')
      .set('authorization', `Bearer ${token}`);
    expect(feed.status).toBe(200);
    expect(Array.isArray(feed.body.changes)).toBe(true);
    const me = await request(t.server)
      .get('/api/v1/organizations')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    expect(me.body.items.map((o: { id: string }) => o.id)).toEqual([out.organization.id]);
    // A generated password is temporary: the login works and asks for a new password.
    const operatorLogin = await login(operator, out.operator.generatedPassword);
    expect([operatorLogin.status, operatorLogin.body.passwordChangeRequired]).toEqual([200, true]);

    // Recorded as the API records them, by the system, via the command line.
    expect(await auditOf([out.organization.id, out.operator.id, out.client.id])).toEqual([
      expect.objectContaining({
        action: 'organization.create',
        actor_type: 'system',
        summary: expect.objectContaining({ shortCode, via: 'command-line' }),
      }),
      expect.objectContaining({
        action: 'user.create',
        summary: expect.objectContaining({ email: operator, via: 'command-line' }),
      }),
      expect.objectContaining({
        action: 'api_client.create',
        summary: expect.objectContaining({ clientId: out.client.clientId, via: 'command-line' }),
      }),
    ]);

    const again = await cli(['org:add-isp', '--short-code', shortCode, '--name', 'Another']);
    expect(again).toEqual({
      code: 1,
      stdout: '',
      stderr: `threat-exchange org:add-isp: An organization with short code ${shortCode} exists already\n`,
    });
  }, 120_000);

  it('org:add-isp is all or nothing: an operator e-mail in use leaves no organization behind', async () => {
    const shortCode = code();
    const taken = await cli(
      [
        'org:add-isp',
        '--short-code',
        shortCode,
        '--name',
        'Half an ISP',
        '--operator-email',
        'admin@department.example',
        '--operator-name',
        'Nobody',
        '--password-stdin',
      ],
      'a long enough password\n',
    );
    expect(taken).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'threat-exchange org:add-isp: A user with e-mail admin@department.example exists already\n',
    });
    const [{ n }] = await t.app
      .get(DataSource)
      .query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM organizations WHERE short_code = $1`,
        [shortCode],
      );
    expect(n).toBe(0);
  }, 60_000);

  it('bad arguments: a message naming the flag and exit 2, before any database work', async () => {
    const bad = await cli([
      'org:add-isp',
      '--short-code',
      'x',
      '--name',
      'An ISP',
      '--contact-email',
      'not-an-address',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(
      'threat-exchange org:add-isp: --short-code: must be 2–32 letters, digits or dashes; --contact-email: must be an email\n' +
        '(threat-exchange org:add-isp --help lists the options)\n',
    );
    const unknown = await cli(['user:add', '--org', 'DIC', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const short = await cli(
      [
        'user:add',
        '--org',
        'DIC',
        '--email',
        email(),
        '--name',
        'A',
        '--role',
        'analyst',
        '--password-stdin',
      ],
      'short\n',
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toContain(
      '--password-stdin: must be longer than or equal to 12 characters',
    );
  }, 60_000);

  it('user:add: a person with the password given on stdin logs in; roles must fit, the organization must exist', async () => {
    const isp = await new Factories(t.app).organization('isp');
    const person = email();
    const added = await cli([
      'user:add',
      '--org',
      isp.shortCode.toLowerCase(),
      '--email',
      person,
      '--name',
      'Trần Thị Bình',
      '--role',
      'isp_operator',
    ]);
    expect(added.code).toBe(0);
    const password = /password {4}(\S+) {3}\(generated and temporary/.exec(added.stdout)?.[1];
    expect(added.stdout).toContain(`Created ${person} in ${isp.shortCode}`);
    const personLogin = await login(person, password ?? '');
    // A generated password is temporary.
    expect([personLogin.status, personLogin.body.passwordChangeRequired]).toEqual([200, true]);

    const analyst = email();
    const given = await cli(
      [
        'user:add',
        '--org',
        'DIC',
        '--email',
        analyst,
        '--name',
        'Lê Văn C',
        '--role',
        'analyst',
        '--password-stdin',
        '--json',
      ],
      'the analyst password, typed once\n',
    );
    expect(given.code).toBe(0);
    const out = JSON.parse(given.stdout) as {
      user: { roles: string[]; generatedPassword?: string };
    };
    expect(out.user.roles).toEqual(['analyst']);
    expect(out.user.generatedPassword).toBeUndefined();
    const analystLogin = await login(analyst, 'the analyst password, typed once');
    // A password given on stdin (chosen by the person) is not a temporary one.
    expect([analystLogin.status, analystLogin.body.passwordChangeRequired]).toEqual([200, false]);

    const misfit = await cli([
      'user:add',
      '--org',
      isp.shortCode,
      '--email',
      email(),
      '--name',
      'X',
      '--role',
      'approver',
    ]);
    expect(misfit).toMatchObject({ code: 1, stdout: '' });
    expect(misfit.stderr).toBe(
      'threat-exchange user:add: Field roles is invalid: roles approver do not fit a isp organization (allowed: isp_operator)\n',
    );
    const nowhere = await cli([
      'user:add',
      '--org',
      'NO-SUCH-ORG',
      '--email',
      email(),
      '--name',
      'X',
      '--role',
      'auditor',
    ]);
    expect(nowhere).toEqual({
      code: 1,
      stdout: '',
      stderr: 'threat-exchange user:add: No such organization NO-SUCH-ORG\n',
    });
    const duplicate = await cli([
      'user:add',
      '--org',
      'DIC',
      '--email',
      analyst,
      '--name',
      'Again',
      '--role',
      'analyst',
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toBe(
      `threat-exchange user:add: A user with e-mail ${analyst} exists already\n`,
    );
  }, 120_000);

  it('npx --no-install threat-exchange org:add-isp --help documents every flag', async () => {
    const help = await new Promise<Run>((resolve) => {
      const child = spawn('npx', ['--no-install', 'threat-exchange', 'org:add-isp', '--help'], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('close', (c) => resolve({ code: c, stdout, stderr }));
    });
    expect(help).toMatchObject({ code: 0, stdout: `${USAGE['org:add-isp']}\n` });
    for (const flag of Object.keys(ISP_OPTIONS)) expect(help.stdout).toContain(`--${flag}`);
  }, 60_000);
});
