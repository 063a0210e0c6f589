import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import { verifySecret } from '#src/identity/auth/passwords.js';
import { createDataSource } from '#src/platform/database/data-source.js';
import { ENTITIES } from '#src/app/entities.js';
import { describeSeed, seedDemo } from '#src/app/demo/seed-demo.js';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { UserEntity } from '#src/identity/users/user.entity.js';
import { testDatabaseUrl } from '#test/support/database-urls.js';

describe('npm run seed:demo', () => {
  let ds: DataSource;

  beforeAll(async () => {
    ds = await createDataSource(testDatabaseUrl(), {
      DB_POOL_MAX: 2,
      DB_CONNECT_TIMEOUT_MS: 5000,
      DB_STATEMENT_TIMEOUT_MS: 0,
      entities: ENTITIES,
    });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
  });

  it('creates a Department, two ISPs and an authority, and is idempotent', async () => {
    const first = await seedDemo(ds);
    const count = async () => ({
      orgs: await ds.getRepository(OrganizationEntity).count(),
      users: await ds.getRepository(UserEntity).count(),
      clients: await ds.getRepository(ApiClientEntity).count(),
    });
    const before = await count();
    const second = await seedDemo(ds, 'demo-password-123');
    expect(await count()).toEqual(before);

    expect(first.users.map((u) => u.roles[0]).sort()).toEqual([
      'analyst',
      'approver',
      'auditor',
      'isp_operator',
      'isp_operator',
      'responder',
    ]);
    expect(first.clients).toHaveLength(2);
    // The latest printed credentials are the ones that work.
    for (const u of second.users) {
      expect(u.password).toBe('demo-password-123');
      const row = await ds.getRepository(UserEntity).findOneByOrFail({ email: u.email });
      expect(await verifySecret(row.passwordHash, u.password)).toBe(true);
    }
    for (const c of second.clients) {
      const row = await ds.getRepository(ApiClientEntity).findOneByOrFail({ clientId: c.clientId });
      expect(await verifySecret(row.secretHash, c.clientSecret)).toBe(true);
      const org = await ds
        .getRepository(OrganizationEntity)
        .findOneByOrFail({ id: row.organizationId });
      expect(org.kind).toBe('isp');
    }
    expect(describeSeed(second)).toContain('demo-isp-a-feeds');

    // A re-run never undoes what an administrator did, and without a password changes nothing.
    await ds
      .getRepository(ApiClientEntity)
      .update({ clientId: 'demo-isp-a-feeds' }, { revokedAt: new Date() });
    await ds.getRepository(UserEntity).update({ email: 'analyst@dic.example' }, { disabled: true });
    const third = await seedDemo(ds);
    expect(third.users.every((u) => u.password.startsWith('(unchanged'))).toBe(true);
    const client = await ds
      .getRepository(ApiClientEntity)
      .findOneByOrFail({ clientId: 'demo-isp-a-feeds' });
    expect(client.revokedAt).not.toBeNull();
    expect(await verifySecret(client.secretHash, 'demo-password-123')).toBe(true);
    const analyst = await ds
      .getRepository(UserEntity)
      .findOneByOrFail({ email: 'analyst@dic.example' });
    expect(analyst.disabled).toBe(true);
    await seedDemo(ds, 'demo-password-456');
    expect(
      (await ds.getRepository(ApiClientEntity).findOneByOrFail({ clientId: 'demo-isp-a-feeds' }))
        .revokedAt,
    ).not.toBeNull();
    expect(JSON.parse(JSON.stringify(second))).toEqual(second);
  });
});
