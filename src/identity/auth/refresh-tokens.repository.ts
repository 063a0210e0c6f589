import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { RefreshTokenEntity } from '#src/identity/auth/refresh-token.entity.js';

@Injectable()
export class RefreshTokensRepository {
  async insert(
    manager: EntityManager,
    token: Pick<RefreshTokenEntity, 'familyId' | 'userId' | 'tokenHash' | 'expiresAt'>,
  ): Promise<void> {
    const repo = manager.getRepository(RefreshTokenEntity);
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

  async markSpent(manager: EntityManager, id: string, at: Date): Promise<void> {
    await manager.getRepository(RefreshTokenEntity).update({ id }, { spentAt: at });
  }

  /** Revokes the tokens of a session (a family) not revoked yet; returns how many. */
  async revokeFamily(manager: EntityManager, familyId: string): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
    return result.affected ?? 0;
  }
}
