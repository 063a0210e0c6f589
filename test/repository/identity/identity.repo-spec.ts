import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { ApiClientsRepository } from '#src/identity/api-clients/api-clients.repository.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import { UsersRepository } from '#src/identity/users/users.repository.js';
import { dedicatedClient } from '#src/platform/database/data-source.js';
import { repositoryDataSource, rolledBack, Rows, unique } from '#test/support/repository-db.js';

/** Organizations, users and API clients: optimistic versions, lockouts, change notices. */
describe('identity repositories', () => {
  let ds: DataSource;
  let rows: Rows;
  let organizations: OrganizationsRepository;
  let users: UsersRepository;
  let clients: ApiClientsRepository;

  beforeAll(async () => {
    ds = await repositoryDataSource(6);
    rows = new Rows(ds);
    organizations = new OrganizationsRepository(ds);
    users = new UsersRepository(ds);
    clients = new ApiClientsRepository(ds);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  /**
   * The principal_changed notices about `ids` delivered (at commit) while `work` runs (other
   * test files, running at the same time on the database, send theirs).
   */
  async function noticesDuring(work: () => Promise<unknown>, ids: string[]): Promise<string[]> {
    const listener: pg.Client = dedicatedClient(ds, 'repository-test-listen');
    const seen: string[] = [];
    listener.on('notification', (n) => seen.push(n.payload ?? ''));
    await listener.connect();
    try {
      await listener.query('LISTEN principal_changed');
      await work();
      await listener.query('SELECT 1'); // a round trip: notices sent before it have arrived
      return seen.filter((notice) => ids.some((id) => notice.endsWith(`:${id}`)));
    } finally {
      await listener.end();
    }
  }

  describe('OrganizationsRepository', () => {
    it('stores short codes in upper case, unique', async () => {
      const code = `org-${unique()}`;
      const org = await ds.transaction((m) =>
        organizations.insert(m, { kind: 'isp', name: 'A', shortCode: code, contacts: {} }),
      );
      expect(org.shortCode).toBe(code.toUpperCase());
      expect(org.version).toBe(1);
      await expect(
        ds.transaction((m) =>
          organizations.insert(m, { kind: 'isp', name: 'B', shortCode: code, contacts: {} }),
        ),
      ).rejects.toThrow(/organizations_short_code_key/);
    });

    it('an update with a stale version changes nothing; an ISP’s page holds only itself', async () => {
      const org = await rows.organization();
      expect(
        await ds.transaction((m) => organizations.updateIfVersion(m, org.id, 1, { name: 'New' })),
      ).toBe(true);
      expect(
        await ds.transaction((m) => organizations.updateIfVersion(m, org.id, 1, { name: 'Late' })),
      ).toBe(false);
      expect(await organizations.findById(org.id)).toMatchObject({ name: 'New', version: 2 });
      const page = await organizations.listPage({ organizationId: org.id }, undefined, 10);
      expect(page.map((o) => o.id)).toEqual([org.id]);
    });
  });

  describe('UsersRepository', () => {
    it('finds a user by e-mail whatever its case', async () => {
      const org = await rows.organization('department');
      const email = `Mixed.${unique()}@Repo.Test`;
      const user = await ds.transaction((m) =>
        users.insert(m, {
          organizationId: org.id,
          email,
          name: 'U',
          roles: ['analyst'],
          passwordHash: 'x',
        }),
      );
      expect((await users.findByEmail(email.toUpperCase()))?.id).toBe(user.id);
    });

    it('counts concurrent failed logins exactly and locks from the threshold on, doubling', async () => {
      const org = await rows.organization('department');
      const user = await rows.user(org.id);
      const policy = { lockAfter: 3, baseLockMs: 60_000, maxLockMs: 600_000 };
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          ds.transaction((m) => users.recordFailedLogin(m, user.id, policy)),
        ),
      );
      expect(results.map((r) => r.failedLogins).sort()).toEqual([1, 2, 3, 4, 5]);
      expect(results.filter((r) => r.locked)).toHaveLength(3);
      const [times] = await ds.query<{ seconds: number }[]>(
        `SELECT extract(epoch FROM locked_until - now())::float8 AS seconds FROM users WHERE id = $1`,
        [user.id],
      );
      // The fifth failure: 60 s · 2^(5 − 3) = 240 s.
      expect(times.seconds).toBeGreaterThan(230);
      expect(times.seconds).toBeLessThanOrEqual(240);

      await ds.transaction((m) => users.recordSuccessfulLogin(m, user.id));
      expect(await users.findById(user.id)).toMatchObject({
        failedLogins: 0,
        lockedUntil: null,
        version: 1, // login bookkeeping is not an edit
      });
    });

    it('a password reset sets must_change_password, clears a lockout and raises the token generation; the change clears it', async () => {
      const org = await rows.organization('department');
      const user = await rows.user(org.id);
      expect(await users.findById(user.id)).toMatchObject({ mustChangePassword: false });
      const policy = { lockAfter: 1, baseLockMs: 60_000, maxLockMs: 60_000 };
      await ds.transaction((m) => users.recordFailedLogin(m, user.id, policy));
      const reset = { passwordHash: 'reset', clearLockout: true, revokeTokens: true };
      const notices = await noticesDuring(
        () =>
          ds.transaction((m) =>
            users.updateIfVersion(m, user.id, 1, { ...reset, mustChangePassword: true }),
          ),
        [user.id],
      );
      expect(notices).toEqual([`user:${user.id}`]);
      expect(await users.findById(user.id)).toMatchObject({
        passwordHash: 'reset',
        mustChangePassword: true,
        failedLogins: 0,
        lockedUntil: null,
        tokenGeneration: 1,
        version: 2,
      });
      await ds.transaction((m) =>
        users.updateIfVersion(m, user.id, 2, { ...reset, mustChangePassword: false }),
      );
      expect(await users.findById(user.id)).toMatchObject({
        mustChangePassword: false,
        tokenGeneration: 2,
      });
    });

    it('a change notifies principal_changed at commit, a rolled-back one never', async () => {
      const org = await rows.organization('department');
      const user = await rows.user(org.id);
      const committed = await noticesDuring(
        () => ds.transaction((m) => users.updateIfVersion(m, user.id, 1, { disabled: true })),
        [user.id, org.id],
      );
      expect(committed).toEqual([`user:${user.id}`]);
      const rolled = await noticesDuring(
        () => rolledBack(ds, (m) => users.updateIfVersion(m, user.id, 2, { disabled: false })),
        [user.id, org.id],
      );
      expect(rolled).toEqual([]);
      const stale = await noticesDuring(
        () => ds.transaction((m) => users.updateIfVersion(m, user.id, 1, { name: 'late' })),
        [user.id, org.id],
      );
      expect(stale).toEqual([]);
    });
  });

  describe('ApiClientsRepository', () => {
    it('revokes once, keeping the first time; client ids are unique', async () => {
      const org = await rows.organization();
      const clientId = `client-${unique()}`;
      const client = await ds.transaction((m) =>
        clients.insert(m, {
          organizationId: org.id,
          clientId,
          name: 'C',
          secretHash: 'h',
          secretRotatedAt: new Date(),
        }),
      );
      const notices = await noticesDuring(async () => {
        expect(await ds.transaction((m) => clients.revoke(m, client.id))).toBe(true);
        expect(await ds.transaction((m) => clients.revoke(m, client.id))).toBe(false);
      }, [client.id, org.id]);
      expect(notices).toEqual([`client:${client.id}`]);
      const revokedAt = (await clients.findByClientId(clientId))?.revokedAt;
      expect(revokedAt).toBeInstanceOf(Date);
      await expect(
        ds.transaction((m) =>
          clients.insert(m, {
            organizationId: org.id,
            clientId,
            name: 'D',
            secretHash: 'h',
            secretRotatedAt: new Date(),
          }),
        ),
      ).rejects.toThrow(/api_clients_client_id_key/);
    });

    it('lists the clients of the scope’s organization only, newest first', async () => {
      const [mine, other] = [await rows.organization(), await rows.organization()];
      for (const org of [mine, mine, mine, other]) {
        await ds.transaction((m) =>
          clients.insert(m, {
            organizationId: org.id,
            clientId: `client-${unique()}`,
            name: 'C',
            secretHash: 'h',
            secretRotatedAt: new Date(),
          }),
        );
      }
      const first = await clients.listPage({ organizationId: mine.id }, undefined, 2);
      expect(first).toHaveLength(3);
      const rest = await clients.listPage(
        { organizationId: mine.id },
        { createdAt: first[1].createdAt, id: first[1].id },
        2,
      );
      expect(rest).toHaveLength(1);
      expect([...first, ...rest].every((c) => c.organizationId === mine.id)).toBe(true);
    });
  });
});
