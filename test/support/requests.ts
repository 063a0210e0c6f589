import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { Factories } from '#test/support/factories.js';

/**
 * Values that no protected list covers, unique per call: random labels under .com, addresses in
 * public ranges that neither the built-in list nor the shared MISP warninglists contain.
 */
export const unprotected = {
  domain: (): string => `t${randomBytes(6).toString('hex')}.com`,
  ipv4: (): string => `2.34.${randomBytes(1)[0]}.${1 + (randomBytes(1)[0] % 254)}`,
  // Groups without leading zeros, so that the value is already canonical (RFC 5952).
  ipv6: (): string =>
    `2a0e:b100:${(1 + (randomBytes(2).readUInt16BE() % 0xfffe)).toString(16)}::${1 + (randomBytes(1)[0] % 254)}`,
  cidr: (): string => `2.51.${randomBytes(1)[0]}.0/24`,
  url: (): string => `http://${randomBytes(5).toString('hex')}.net/login`,
};

export interface Staff {
  analyst: string;
  approver: string;
  /** Holds analyst and approver: can submit, so cannot approve what they submitted. */
  both: string;
  analystId: string;
  approverId: string;
  bothId: string;
  /** Their department organization (the issuer of what they publish). */
  organization: OrganizationEntity;
}

/** Department staff in one new department organization. */
export async function departmentStaff(app: NestFastifyApplication): Promise<Staff> {
  const make = new Factories(app);
  const dept = await make.organization('department');
  const login = async (roles: ('analyst' | 'approver')[]) => {
    const user = await make.user(dept, roles);
    const res = await request(app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(status(200));
    return { token: res.body.access_token as string, id: user.id };
  };
  const [analyst, approver, both] = [
    await login(['analyst']),
    await login(['approver']),
    await login(['analyst', 'approver']),
  ];
  return {
    analyst: analyst.token,
    approver: approver.token,
    both: both.token,
    analystId: analyst.id,
    approverId: approver.id,
    bothId: both.id,
    organization: dept,
  };
}

/** An ISP with an operator's token. */
export async function isp(
  app: NestFastifyApplication,
): Promise<{ org: OrganizationEntity; token: string }> {
  const make = new Factories(app);
  const org = await make.organization('isp');
  const user = await make.user(org, ['isp_operator']);
  const res = await request(app.getHttpServer())
    .post('/api/v1/auth/login')
    .send({ email: user.email, password: user.password })
    .expect(status(200));
  return { org, token: res.body.access_token as string };
}

type Json = Record<string, unknown>;

/** Like supertest's .expect(status), with the response body in the failure message. */
export const status =
  (expected: number) =>
  (res: { status: number; body: unknown }): void => {
    if (res.status !== expected) {
      throw new Error(`expected ${expected}, got ${res.status}: ${JSON.stringify(res.body)}`);
    }
  };

/** Drives a blocking request through its lifecycle over HTTP. */
export class RequestFlow {
  constructor(
    private readonly app: NestFastifyApplication,
    readonly staff: Staff,
  ) {}

  private call(method: 'get' | 'post' | 'patch' | 'delete', path: string, token: string) {
    const agent = request(this.app.getHttpServer());
    return agent[method](`/api/v1/blocking-requests${path}`).set(
      'authorization',
      `Bearer ${token}`,
    );
  }

  async draft(targets: string[] | 'all', overrides: Json = {}): Promise<Json> {
    const res = await this.call('post', '', this.staff.analyst)
      .send({
        documentNumber: `${randomUUID().slice(0, 8)}/STTTT-ATTT`,
        title: 'Botnet command-and-control servers',
        legalBasis: 'Decree 53/2022/ND-CP, Article 21',
        category: 'botnet',
        severity: 'high',
        targetsAll: targets === 'all',
        ...(targets === 'all' ? {} : { targetOrganizationIds: targets }),
        ...overrides,
      })
      .expect(status(201));
    return res.body as Json;
  }

  async addValues(id: string, values: string[], operation: 'block' | 'unblock' = 'block') {
    const res = await this.call('post', `/${id}/items`, this.staff.analyst)
      .send({ values, operation })
      .expect(status(201));
    return res.body as Json;
  }

  async get(id: string, token = this.staff.analyst): Promise<Json> {
    return (await this.call('get', `/${id}`, token).expect(status(200))).body as Json;
  }

  async submit(id: string, token = this.staff.analyst): Promise<Json> {
    const { version } = await this.get(id);
    return (await this.call('post', `/${id}/submit`, token).send({ version }).expect(status(200)))
      .body as Json;
  }

  approveCall(id: string, version: number, token = this.staff.approver) {
    return this.call('post', `/${id}/approve`, token).send({ version });
  }

  async approve(id: string, token = this.staff.approver): Promise<Json> {
    const { version } = await this.get(id);
    return (await this.approveCall(id, version as number, token).expect(status(200))).body as Json;
  }

  async withdraw(id: string, reason = 'The order was annulled'): Promise<Json> {
    const { version } = await this.get(id);
    return (
      await this.call('post', `/${id}/withdraw`, this.staff.approver)
        .send({ version, reason })
        .expect(status(200))
    ).body as Json;
  }

  /** Draft → items → submitted → published; returns the published request. */
  async publish(
    targets: string[] | 'all',
    values: string[],
    operation: 'block' | 'unblock' = 'block',
  ): Promise<Json> {
    const draft = await this.draft(targets);
    await this.addValues(draft.id as string, values, operation);
    await this.submit(draft.id as string);
    return this.approve(draft.id as string);
  }

  raw(method: 'get' | 'post' | 'patch' | 'delete', path: string, token: string) {
    return this.call(method, path, token);
  }
}

/**
 * Logs a new Department analyst in with `headers` and answers the client address its
 * `auth.login` audit event recorded (what rate limits and the trail see as the caller).
 */
export async function loginClientIp(
  t: { app: NestFastifyApplication; sealAudit(): Promise<void> },
  headers: Record<string, string>,
): Promise<string> {
  const make = new Factories(t.app);
  const user = await make.user(await make.organization('department'), ['analyst']);
  const res = await request(t.app.getHttpServer())
    .post('/api/v1/auth/login')
    .set(headers)
    .send({ email: user.email, password: user.password })
    .expect(status(200));
  await t.sealAudit();
  const [event] = await t.app
    .get(DataSource)
    .query<{ client_ip: string }[]>(
      `SELECT client_ip FROM audit_events WHERE action = 'auth.login' AND request_id = $1`,
      [res.headers['x-request-id']],
    );
  return event.client_ip;
}
