import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { RefreshTokenEntity } from '#src/auth/refresh-token.entity.js';

@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(
    manager: EntityManager | undefined,
    token: Pick<RefreshTokenEntity, 'familyId' | 'userId' | 'tokenHash' | 'expiresAt'>,
  ): Promise<void> {
    const repo = (manager ?? this.dataSource.manager).getRepository(RefreshTokenEntity);
    await repo.save(repo.create(token));
  }

  /** The token with this hash, locked for the rest of the transaction (one refresh at a time). */
  findByHashForUpdate(
    manager: EntityManager,
    tokenHash: Buffer,
  ): Promise<RefreshTokenEntity | null> {
    return manager
      .getRepository(RefreshTokenEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.token_hash = :tokenHash', { tokenHash })
      .getOne();
  }

  async markSpent(manager: EntityManager, id: string): Promise<void> {
    await manager.getRepository(RefreshTokenEntity).update({ id }, { spentAt: new Date() });
  }

  async revokeFamily(manager: EntityManager | undefined, familyId: string): Promise<void> {
    await (manager ?? this.dataSource.manager)
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
  }
}
