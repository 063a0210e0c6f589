import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { notifyPrincipalChanged } from '#src/identity/auth/principal-cache.js';
import { RefreshTokenEntity } from '#src/identity/auth/refresh-token.entity.js';

@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Whether a session (family) has ended: any of its tokens revoked (a family is only ever
   * revoked whole: logout, reuse, a new password). Undefined when it has no tokens.
   */
  async familyEnded(familyId: string): Promise<boolean | undefined> {
    const [row] = await this.dataSource.query<{ ended: boolean | null }[]>(
      'SELECT bool_or(revoked_at IS NOT NULL) AS ended FROM refresh_tokens WHERE family_id = $1',
      [familyId],
    );
    return row?.ended ?? undefined;
  }
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

  /**
   * Revokes the tokens of a session (a family) not revoked yet; returns how many. When that
   * ends the session, `session:<family>` is notified in the transaction: its access tokens
   * (their `sid`) are refused in every instance from the commit on.
   */
  async revokeFamily(manager: EntityManager, familyId: string): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ revokedAt: () => 'now()' })
      .where('family_id = :familyId AND revoked_at IS NULL', { familyId })
      .execute();
    const revoked = result.affected ?? 0;
    if (revoked > 0) await notifyPrincipalChanged(manager, `session:${familyId}`);
    return revoked;
  }
}
