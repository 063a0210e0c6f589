import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { notifyPrincipalChanged } from '#src/identity/auth/principal-cache.js';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';
import { UserEntity } from '#src/identity/users/user.entity.js';

@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(UserEntity);
  }

  /** Through `manager` inside a transaction (never a second pool connection while it runs). */
  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return (manager ?? this.dataSource.manager).getRepository(UserEntity).findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ email: email.toLowerCase() });
  }

  listPage(scope: TenantScope, after: Keyset | undefined, limit: number): Promise<UserEntity[]> {
    const qb = this.repo.createQueryBuilder('u');
    if (scope.organizationId !== undefined) {
      qb.where('u.organization_id = :org', { org: scope.organizationId });
    }
    return keysetPage(qb, 'u', after, limit).getMany();
  }

  /** The user, locked until the end of the transaction (its state before a change). */
  findByIdForUpdate(manager: EntityManager, id: string): Promise<UserEntity | null> {
    return manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.id = :id', { id })
      .getOne();
  }

  /**
   * Applies the changes if the row still has `version`; false when it does not (or is gone).
   * `revokeTokens` increments the token generation: every access token issued before is
   * refused. A change notifies principal_changed in the transaction (cached callers are evicted
   * at commit).
   */
  async updateIfVersion(
    manager: EntityManager,
    id: string,
    version: number,
    changes: Partial<
      Pick<UserEntity, 'name' | 'roles' | 'disabled' | 'passwordHash' | 'mustChangePassword'>
    > & {
      clearLockout?: boolean;
      revokeTokens?: boolean;
    },
  ): Promise<boolean> {
    const { clearLockout, revokeTokens, ...columns } = changes;
    const result = await manager
      .getRepository(UserEntity)
      .createQueryBuilder()
      .update()
      .set({
        ...columns,
        ...(clearLockout ? { failedLogins: 0, lockedUntil: null } : {}),
        ...(revokeTokens ? { tokenGeneration: () => 'token_generation + 1' } : {}),
        version: () => 'version + 1',
        updatedAt: () => 'now()',
      })
      .where('id = :id AND version = :version', { id, version })
      .execute();
    const changed = (result.affected ?? 0) > 0;
    if (changed) await notifyPrincipalChanged(manager, `user:${id}`);
    return changed;
  }

  async insert(
    manager: EntityManager,
    user: Pick<UserEntity, 'organizationId' | 'email' | 'name' | 'roles' | 'passwordHash'> &
      Partial<Pick<UserEntity, 'mustChangePassword'>>,
  ): Promise<UserEntity> {
    const repo = manager.getRepository(UserEntity);
    return repo.save(repo.create({ ...user, email: user.email.toLowerCase() }));
  }

  /**
   * Counts a failed login atomically and, from `lockAfter` consecutive failures on, locks the
   * account for `baseLockMs · 2^(failures − lockAfter)`, at most `maxLockMs`. Returns the count
   * and the lock as they are now, and whether this failure (re)started the lock.
   */
  async recordFailedLogin(
    manager: EntityManager,
    id: string,
    policy: { lockAfter: number; baseLockMs: number; maxLockMs: number },
  ): Promise<{ failedLogins: number; lockedUntil: Date | null; locked: boolean }> {
    const [rows] = await manager.query<[{ failed_logins: number; locked_until: Date | null }[]]>(
      `UPDATE users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2
           THEN now() + make_interval(secs => LEAST($4::float8,
                  $3::float8 * power(2, failed_logins + 1 - $2)) / 1000)
           ELSE locked_until END
       WHERE id = $1
       RETURNING failed_logins, locked_until`,
      [id, policy.lockAfter, policy.baseLockMs, policy.maxLockMs],
    );
    const row = rows[0];
    return {
      failedLogins: row?.failed_logins ?? 0,
      lockedUntil: row?.locked_until ?? null,
      locked: (row?.failed_logins ?? 0) >= policy.lockAfter,
    };
  }

  /**
   * Revokes every refresh token of the user: their sessions end (password change, disabling).
   * Returns how many were revoked.
   */
  async endSessions(manager: EntityManager, id: string): Promise<number> {
    const [, count] = await manager.query<[unknown[], number]>(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
      [id],
    );
    return count;
  }

  /** Login bookkeeping is not an edit: it leaves `version` and `updated_at` alone. */
  async recordSuccessfulLogin(manager: EntityManager, id: string): Promise<void> {
    await manager.query(
      'UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1',
      [id],
    );
  }
}
