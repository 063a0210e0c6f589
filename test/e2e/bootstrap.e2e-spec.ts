import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { UserEntity } from '#src/identity/users/user.entity.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { createTestApp, TEST_ADMIN_PASSWORD } from '#test/support/test-app.js';

describe('first start on an empty database', () => {
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('creates the Department and one administrator, once, even with two instances starting together', async () => {
    const [a, b] = await Promise.all([
      createTestApp({ databaseUrl: db.url }),
      createTestApp({ databaseUrl: db.url }),
    ]);
    try {
      const ds = a.app.get(DataSource);
      expect(await ds.getRepository(OrganizationEntity).count()).toBe(1);
      const admins = await ds.getRepository(UserEntity).find();
      expect(admins.map((u) => [u.email, u.roles])).toEqual([
        [a.config.identity.ADMIN_EMAIL, ['admin']],
      ]);
      const login = await request(a.server)
        .post('/api/v1/auth/login')
        .send({ email: a.config.identity.ADMIN_EMAIL, password: TEST_ADMIN_PASSWORD })
        .expect(200);
      expect(login.body.access_token).toBeDefined();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('prints a generated password once when ADMIN_PASSWORD is unset', async () => {
    const other = await freshDatabase();
    try {
      const t = await createTestApp({ databaseUrl: other.url, env: { ADMIN_PASSWORD: '' } });
      try {
        const line = t.logs.lines.find((l) => String(l.msg).includes('generated password'));
        const password = /generated password (\S+) /.exec(String(line?.msg))?.[1];
        expect(password).toBeDefined();
        await request(t.server)
          .post('/api/v1/auth/login')
          .send({ email: t.config.identity.ADMIN_EMAIL, password })
          .expect(200);
      } finally {
        await t.close();
      }
      const again = await createTestApp({ databaseUrl: other.url, env: { ADMIN_PASSWORD: '' } });
      expect(again.logs.lines.some((l) => String(l.msg).includes('generated password'))).toBe(
        false,
      );
      await again.close();
    } finally {
      await other.drop();
    }
  });
});
