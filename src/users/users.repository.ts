import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { notifyPrincipalChanged } from '#src/auth/principal-cache.js';
import type { Keyset } from '#src/common/pagination/cursor.js';
import { keysetPage } from '#src/common/pagination/keyset-query.js';
import type { TenantScope } from '#src/common/tenancy/tenant-scope.js';
import { UserEntity } from '#src/users/user.entity.js';

@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(UserEntity);
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.repo.findOneBy({ id });
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

  /**
   * Applies the changes if the row still has `version`; false when it does not (or is gone).
   * A change notifies principal_changed in the same transaction (cached callers are evicted).
   */
  async updateIfVersion(
    id: string,
    version: number,
    changes: Partial<Pick<UserEntity, 'name' | 'roles' | 'disabled' | 'passwordHash'>> & {
      clearLockout?: boolean;
    },
  ): Promise<boolean> {
    const { clearLockout, ...columns } = changes;
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .getRepository(UserEntity)
        .createQueryBuilder()
        .update()
        .set({
          ...columns,
          ...(clearLockout ? { failedLogins: 0, lockedUntil: null } : {}),
          version: () => 'version + 1',
          updatedAt: () => 'now()',
        })
        .where('id = :id AND version = :version', { id, version })
        .execute();
      const changed = (result.affected ?? 0) > 0;
      if (changed) await notifyPrincipalChanged(manager, `user:${id}`);
      return changed;
    });
  }

  async insert(
    user: Pick<UserEntity, 'organizationId' | 'email' | 'name' | 'roles' | 'passwordHash'>,
  ): Promise<UserEntity> {
    return this.repo.save(this.repo.create({ ...user, email: user.email.toLowerCase() }));
  }

  /**
   * Counts a failed login atomically and, from `lockAfter` consecutive failures on, locks the
   * account for `baseLockMs · 2^(failures − lockAfter)`, at most `maxLockMs`.
   */
  async recordFailedLogin(
    id: string,
    policy: { lockAfter: number; baseLockMs: number; maxLockMs: number },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE users SET failed_logins = failed_logins + 1,
         locked_until = CASE WHEN failed_logins + 1 >= $2
           THEN now() + make_interval(secs => LEAST($4::float8,
                  $3::float8 * power(2, failed_logins + 1 - $2)) / 1000)
           ELSE locked_until END
       WHERE id = $1`,
      [id, policy.lockAfter, policy.baseLockMs, policy.maxLockMs],
    );
  }

  /** Revokes every refresh token of the user: their sessions end (password change, disabling). */
  async endSessions(id: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
      [id],
    );
  }

  /** Login bookkeeping is not an edit: it leaves `version` and `updated_at` alone. */
  async recordSuccessfulLogin(id: string): Promise<void> {
    await this.dataSource.query(
      'UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1',
      [id],
    );
  }
}
