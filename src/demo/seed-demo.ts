import { randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ApiClientEntity } from '#src/api-clients/api-client.entity.js';
import { hashSecret } from '#src/auth/passwords.js';
import type { OrganizationKind, Role } from '#src/auth/roles.js';
import { OrganizationEntity } from '#src/organizations/organization.entity.js';
import { UserEntity } from '#src/users/user.entity.js';

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

const secretOr = (given: string | undefined): string =>
  given ?? randomBytes(15).toString('base64url');

/**
 * The demo organizations, people and ISP clients. Idempotent: records are found by short code,
 * e-mail and client id and never duplicated; passwords and secrets are set each run (to
 * `password` if given, else freshly generated) so that what is printed always works.
 */
export async function seedDemo(dataSource: DataSource, password?: string): Promise<DemoSeed> {
  return dataSource.transaction(async (manager) => {
    const orgIds = new Map<string, string>();
    for (const org of ORGANIZATIONS)
      orgIds.set(org.shortCode, await upsertOrganization(manager, org));
    const users: DemoAccount[] = [];
    for (const u of USERS) {
      const pw = secretOr(password);
      await upsertUser(manager, {
        ...u,
        organizationId: orgIds.get(u.shortCode) ?? '',
        password: pw,
      });
      users.push({ organization: u.shortCode, email: u.email, roles: u.roles, password: pw });
    }
    const clients: DemoClient[] = [];
    for (const c of CLIENTS) {
      const secret = secretOr(password);
      await upsertClient(manager, { ...c, organizationId: orgIds.get(c.shortCode) ?? '', secret });
      clients.push({ organization: c.shortCode, clientId: c.clientId, clientSecret: secret });
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
  if (found) return found.id;
  return (await repo.save(repo.create({ ...org, contacts: { ...org.contacts } }))).id;
}

async function upsertUser(
  manager: EntityManager,
  u: { organizationId: string; email: string; name: string; roles: Role[]; password: string },
): Promise<void> {
  const repo = manager.getRepository(UserEntity);
  const passwordHash = await hashSecret(u.password);
  const found = await repo.findOneBy({ email: u.email });
  if (found) {
    await repo.update(
      { id: found.id },
      { passwordHash, disabled: false, failedLogins: 0, lockedUntil: null },
    );
    return;
  }
  await repo.save(
    repo.create({
      organizationId: u.organizationId,
      email: u.email,
      name: u.name,
      roles: u.roles,
      passwordHash,
    }),
  );
}

async function upsertClient(
  manager: EntityManager,
  c: { organizationId: string; clientId: string; name: string; secret: string },
): Promise<void> {
  const repo = manager.getRepository(ApiClientEntity);
  const secretHash = await hashSecret(c.secret);
  const found = await repo.findOneBy({ clientId: c.clientId });
  if (found) {
    await repo.update(
      { id: found.id },
      { secretHash, secretRotatedAt: new Date(), revokedAt: null },
    );
    return;
  }
  await repo.save(
    repo.create({
      organizationId: c.organizationId,
      clientId: c.clientId,
      name: c.name,
      secretHash,
      secretRotatedAt: new Date(),
    }),
  );
}

/** The human-readable listing printed by `npm run seed:demo`. */
export function describeSeed(seed: DemoSeed): string {
  const lines = ['Demo accounts (log in at POST /api/v1/auth/login):'];
  for (const u of seed.users)
    lines.push(
      `  ${u.organization.padEnd(6)} ${u.roles.join(',').padEnd(13)} ${u.email}  ${u.password}`,
    );
  lines.push('Demo ISP API clients (POST /api/v1/auth/token, client credentials):');
  for (const c of seed.clients)
    lines.push(`  ${c.organization.padEnd(6)} ${c.clientId}  ${c.clientSecret}`);
  return `${lines.join('\n')}\n`;
}
