import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { SigningKeyEntity } from '#src/identity/keys/signing-key.entity.js';

/** Arbitrary constant key of the advisory lock that serialises key creation and rotation. */
const KEY_LOCK = 7_340_213_002;

@Injectable()
export class KeysRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Keys whose tokens may still be valid: not past `verify_until`. Newest first. */
  listVerifiable(now: Date): Promise<SigningKeyEntity[]> {
    return this.dataSource
      .getRepository(SigningKeyEntity)
      .createQueryBuilder('k')
      .where('k.verify_until IS NULL OR k.verify_until > :now', { now })
      .orderBy('k.created_at', 'DESC')
      .getMany();
  }

  listAll(): Promise<SigningKeyEntity[]> {
    return this.dataSource.getRepository(SigningKeyEntity).find({ order: { createdAt: 'DESC' } });
  }

  /**
   * Runs `work` in a transaction holding the key lock, given the current active key (the one
   * not superseded), so that two instances never create two active keys.
   */
  async withActiveKeyLocked<T>(
    work: (active: SigningKeyEntity | null, manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      const active = await manager.getRepository(SigningKeyEntity).findOne({
        where: { supersededAt: IsNull() },
        order: { createdAt: 'DESC' },
      });
      return work(active, manager);
    });
  }

  async insert(manager: EntityManager, key: Omit<SigningKeyEntity, 'createdAt'>): Promise<void> {
    await manager.getRepository(SigningKeyEntity).save(manager.create(SigningKeyEntity, key));
  }

  async supersede(manager: EntityManager, kid: string, at: Date, verifyUntil: Date): Promise<void> {
    await manager
      .getRepository(SigningKeyEntity)
      .update({ kid }, { supersededAt: at, verifyUntil });
  }
}
