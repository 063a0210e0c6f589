import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
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

  it('prints a generated password once, on stderr and in no log line, when ADMIN_PASSWORD is unset, to be changed at the first login', async () => {
    const other = await freshDatabase();
    const written: string[] = [];
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const t = await createTestApp({ databaseUrl: other.url, env: { ADMIN_PASSWORD: '' } });
      try {
        const banner = written.join('');
        const password = /^ {3}password: (\S+)$/m.exec(banner)?.[1];
        expect(password).toBeDefined();
        expect(banner).toContain(t.config.identity.ADMIN_EMAIL);
        expect(JSON.stringify(t.logs.lines)).not.toContain(String(password));
        expect(t.logs.lines.some((l) => String(l.msg).includes('printed once on stderr'))).toBe(
          true,
        );
        // A printed password is a temporary one: the first login must replace it.
        const login = await request(t.server)
          .post('/api/v1/auth/login')
          .send({ email: t.config.identity.ADMIN_EMAIL, password })
          .expect(200);
        expect(login.body.passwordChangeRequired).toBe(true);
        const bearer = { authorization: `Bearer ${login.body.access_token}` };
        await request(t.server).get('/api/v1/organizations').set(bearer).expect(403);
        const changed = await request(t.server)
          .post('/api/v1/auth/change-password')
          .set(bearer)
          .send({ currentPassword: password, newPassword: 'chosen-by-the-admin-2026' })
          .expect(200);
        expect(changed.body.passwordChangeRequired).toBe(false);
        await request(t.server)
          .get('/api/v1/organizations')
          .set({ authorization: `Bearer ${changed.body.access_token}` })
          .expect(200);
      } finally {
        await t.close();
      }
      written.length = 0;
      const again = await createTestApp({ databaseUrl: other.url, env: { ADMIN_PASSWORD: '' } });
      expect(written.join('')).not.toContain('password:');
      await again.close();
    } finally {
      stderr.mockRestore();
      await other.drop();
    }
  });
});
