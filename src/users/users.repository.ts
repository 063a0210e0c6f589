import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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

  async recordSuccessfulLogin(id: string): Promise<void> {
    await this.repo.update({ id }, { failedLogins: 0, lockedUntil: null, lastLoginAt: new Date() });
  }
}
