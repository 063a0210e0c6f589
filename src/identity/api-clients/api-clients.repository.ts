import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import { notifyPrincipalChanged } from '#src/identity/auth/principal-cache.js';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';

@Injectable()
export class ApiClientsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(ApiClientEntity);
  }

  findById(id: string): Promise<ApiClientEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByClientId(clientId: string): Promise<ApiClientEntity | null> {
    return this.repo.findOneBy({ clientId });
  }

  async insert(
    manager: EntityManager,
    client: Pick<
      ApiClientEntity,
      'organizationId' | 'clientId' | 'name' | 'secretHash' | 'secretRotatedAt'
    >,
  ): Promise<ApiClientEntity> {
    const repo = manager.getRepository(ApiClientEntity);
    return repo.save(repo.create(client));
  }

  listPage(
    scope: TenantScope,
    after: Keyset | undefined,
    limit: number,
  ): Promise<ApiClientEntity[]> {
    const qb = this.repo.createQueryBuilder('c');
    if (scope.organizationId !== undefined) {
      qb.where('c.organization_id = :org', { org: scope.organizationId });
    }
    return keysetPage(qb, 'c', after, limit).getMany();
  }

  /**
   * A new secret hash, and the next token generation: every access token issued before (with
   * the old secret) is refused. Notifies principal_changed in the transaction.
   */
  async replaceSecret(
    manager: EntityManager,
    id: string,
    secretHash: string,
    rotatedAt: Date,
  ): Promise<boolean> {
    const result = await manager.getRepository(ApiClientEntity).update(
      { id },
      {
        secretHash,
        secretRotatedAt: rotatedAt,
        tokenGeneration: () => 'token_generation + 1',
      },
    );
    const changed = (result.affected ?? 0) > 0;
    if (changed) await notifyPrincipalChanged(manager, `client:${id}`);
    return changed;
  }

  async touchLastUsed(manager: EntityManager, id: string): Promise<void> {
    await manager.query('UPDATE api_clients SET last_used_at = now() WHERE id = $1', [id]);
  }

  /**
   * Revokes once: the first revocation time is kept. True when this call revoked it, which
   * notifies principal_changed in the transaction.
   */
  async revoke(manager: EntityManager, id: string): Promise<boolean> {
    const result = await manager
      .getRepository(ApiClientEntity)
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('id = :id AND revoked_at IS NULL', { id })
      .execute();
    const changed = (result.affected ?? 0) > 0;
    if (changed) await notifyPrincipalChanged(manager, `client:${id}`);
    return changed;
  }
}
