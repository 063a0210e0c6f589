import type { DataSource, EntityManager } from 'typeorm';
import {
  ApiClientEntity,
  BOOTSTRAP_LOCK,
  generatePassword,
  hashSecret,
  notifyPrincipalChanged,
  type OrganizationKind,
  type Role,
  OrganizationEntity,
  UserEntity,
} from '#src/identity/index.js';
import { SystemClock, type Clock } from '#src/platform/clock/index.js';

export interface DemoAccount {
  organization: string;
  email: string;
  roles: Role[];
  password: string;
}

export interface DemoClient {
  organization: string;
  clientId: string;
  clientSecret: string;
}

export interface DemoSeed {
  users: DemoAccount[];
  clients: DemoClient[];
}

const ORGANIZATIONS: {
  shortCode: string;
  kind: OrganizationKind;
  name: string;
  contacts: object;
}[] = [
  {
    shortCode: 'DIC',
    kind: 'department',
    name: 'Department of Information and Communications',
    contacts: {
      phone: '+84 237 3752 000',
      hotline: '+84 237 3999 115',
      email: 'csirt@dic.example',
    },
  },
  {
    shortCode: 'ISP-A',
    kind: 'isp',
    name: 'Demo ISP A',
    contacts: { hotline: '1800 0001', email: 'noc@isp-a.example' },
  },
  {
    shortCode: 'ISP-B',
    kind: 'isp',
    name: 'Demo ISP B',
    contacts: { hotline: '1800 0002', email: 'noc@isp-b.example' },
  },
  {
    shortCode: 'AUTH',
    kind: 'authority',
    name: 'Demo Inspectorate',
    contacts: { email: 'audit@authority.example' },
  },
];

const USERS: { shortCode: string; email: string; name: string; roles: Role[] }[] = [
  { shortCode: 'DIC', email: 'analyst@dic.example', name: 'Demo Analyst', roles: ['analyst'] },
  { shortCode: 'DIC', email: 'approver@dic.example', name: 'Demo Approver', roles: ['approver'] },
  {
    shortCode: 'DIC',
    email: 'responder@dic.example',
    name: 'Demo Responder',
    roles: ['responder'],
  },
  {
    shortCode: 'ISP-A',
    email: 'operator@isp-a.example',
    name: 'Demo Operator A',
    roles: ['isp_operator'],
  },
  {
    shortCode: 'ISP-B',
    email: 'operator@isp-b.example',
    name: 'Demo Operator B',
    roles: ['isp_operator'],
  },
  {
    shortCode: 'AUTH',
    email: 'auditor@authority.example',
    name: 'Demo Auditor',
    roles: ['auditor'],
  },
];

const CLIENTS: { shortCode: string; clientId: string; name: string }[] = [
  { shortCode: 'ISP-A', clientId: 'demo-isp-a-feeds', name: 'Demo feed puller A' },
  { shortCode: 'ISP-B', clientId: 'demo-isp-b-feeds', name: 'Demo feed puller B' },
];

/** What an existing account gets on a re-run: its credential is reset only with a password. */
const UNCHANGED = '(unchanged: set DEMO_PASSWORD to reset it)';

/**
 * The demo organizations, people and ISP clients. Idempotent: records are found by short code,
 * e-mail and client id and never duplicated. A new account gets `password` or a generated one;
 * an existing one keeps its credential unless `password` is given, and is never re-enabled or
 * un-revoked. An e-mail or client id that exists outside its demo organization is an error.
 */
export async function seedDemo(
  dataSource: DataSource,
  password?: string,
  clock: Clock = new SystemClock(),
): Promise<DemoSeed> {
  const now = clock.now();
  return dataSource.transaction(async (manager) => {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
    const orgIds = new Map<string, string>();
    for (const org of ORGANIZATIONS)
      orgIds.set(org.shortCode, await upsertOrganization(manager, org));
    const users: DemoAccount[] = [];
    for (const u of USERS) {
      const printed = await upsertUser(
        manager,
        { ...u, organizationId: orgIds.get(u.shortCode) ?? '' },
        password,
      );
      users.push({ organization: u.shortCode, email: u.email, roles: u.roles, password: printed });
    }
    const clients: DemoClient[] = [];
    for (const c of CLIENTS) {
      const printed = await upsertClient(
        manager,
        { ...c, organizationId: orgIds.get(c.shortCode) ?? '' },
        password,
        now,
      );
      clients.push({ organization: c.shortCode, clientId: c.clientId, clientSecret: printed });
    }
    return { users, clients };
  });
}

async function upsertOrganization(
  manager: EntityManager,
  org: (typeof ORGANIZATIONS)[number],
): Promise<string> {
  const repo = manager.getRepository(OrganizationEntity);
  const found = await repo.findOneBy({ shortCode: org.shortCode });
  if (found && found.kind !== org.kind) {
    throw new Error(
      `Organization ${org.shortCode} exists and is not a ${org.kind}: not a demo database?`,
    );
  }
  if (found) return found.id;
  return (await repo.save(repo.create({ ...org, contacts: { ...org.contacts } }))).id;
}

/** A demo person: created with `password` (or a generated one), or reset only with one. */
export async function upsertUser(
  manager: EntityManager,
  u: { organizationId: string; email: string; name: string; roles: Role[] },
  password: string | undefined,
): Promise<string> {
  const repo = manager.getRepository(UserEntity);
  const found = await repo.findOneBy({ email: u.email });
  if (found && found.organizationId !== u.organizationId) {
    throw new Error(`User ${u.email} exists in another organization: not a demo database?`);
  }
  if (found) {
    if (password === undefined) return UNCHANGED;
    // A new password ends the access tokens issued before, as through the API.
    await repo.update(
      { id: found.id },
      {
        passwordHash: await hashSecret(password),
        tokenGeneration: () => 'token_generation + 1',
      },
    );
    await notifyPrincipalChanged(manager, `user:${found.id}`);
    return password;
  }
  const pw = password ?? generatePassword();
  await repo.save(repo.create({ ...u, passwordHash: await hashSecret(pw) }));
  return pw;
}

async function upsertClient(
  manager: EntityManager,
  c: { organizationId: string; clientId: string; name: string },
  password: string | undefined,
  now: Date,
): Promise<string> {
  const repo = manager.getRepository(ApiClientEntity);
  const found = await repo.findOneBy({ clientId: c.clientId });
  if (found && found.organizationId !== c.organizationId) {
    throw new Error(
      `API client ${c.clientId} exists in another organization: not a demo database?`,
    );
  }
  if (found) {
    if (password === undefined) return UNCHANGED;
    await repo.update(
      { id: found.id },
      {
        secretHash: await hashSecret(password),
        secretRotatedAt: now,
        tokenGeneration: () => 'token_generation + 1',
      },
    );
    // A running service drops the verified old secret, and refuses the tokens it got, at
    // commit (PrincipalCache).
    await notifyPrincipalChanged(manager, `client:${found.id}`);
    return password;
  }
  const secret = password ?? generatePassword();
  await repo.save(
    repo.create({ ...c, secretHash: await hashSecret(secret), secretRotatedAt: now }),
  );
  return secret;
}

/** The human-readable listing printed by `npm run seed:demo`. */
export function describeSeed(
  seed: DemoSeed & {
    request?: { documentNumber: string; id: string; status: string };
    units?: string[];
    caseId?: string;
    incident?: string;
  },
): string {
  const lines = ['Demo accounts (log in at POST /api/v1/auth/login):'];
  for (const u of seed.users)
    lines.push(
      `  ${u.organization.padEnd(13)} ${u.roles.join(',').padEnd(13)} ${u.email}  ${u.password}`,
    );
  lines.push('Demo ISP API clients (POST /api/v1/auth/token, client credentials):');
  for (const c of seed.clients)
    lines.push(`  ${c.organization.padEnd(13)} ${c.clientId}  ${c.clientSecret}`);
  if (seed.request) {
    lines.push(
      `Sample blocking request ${seed.request.documentNumber} (${seed.request.status}): ${seed.request.id}`,
    );
  }
  if (seed.units) {
    lines.push(`Demo units: ${seed.units.join(', ')}; open case ${seed.caseId ?? '-'}`);
  }
  if (seed.incident) lines.push(`Sample incident report ${seed.incident}`);
  return `${lines.join('\n')}\n`;
}
