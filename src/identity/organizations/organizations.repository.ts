import { Injectable } from '@nestjs/common';
import { updateIfVersion } from '#src/platform/database/index.js';
import { DataSource, type EntityManager } from 'typeorm';
import { type Keyset, keysetPage } from '#src/platform/pagination/index.js';
import type { TenantScope } from '#src/identity/tenancy/tenant-scope.js';
import type { OrganizationKind } from '#src/identity/auth/roles.js';
import {
  OrganizationEntity,
  type OrganizationContacts,
} from '#src/identity/organizations/organization.entity.js';

@Injectable()
export class OrganizationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(OrganizationEntity);
  }

  /** Through `manager` inside a transaction (never a second pool connection while it runs). */
  findById(id: string, manager?: EntityManager): Promise<OrganizationEntity | null> {
    return (manager ?? this.dataSource.manager).getRepository(OrganizationEntity).findOneBy({ id });
  }

  /** The oldest organization of `kind` (created first; ties by id), or null. */
  oldestOfKind(kind: OrganizationKind): Promise<OrganizationEntity | null> {
    return this.repo
      .createQueryBuilder('o')
      .where('o.kind = :kind', { kind })
      .orderBy('o.created_at', 'ASC')
      .addOrderBy('o.id', 'ASC')
      .limit(1)
      .getOne();
  }

  findByShortCode(shortCode: string): Promise<OrganizationEntity | null> {
    return this.repo.findOneBy({ shortCode: shortCode.toUpperCase() });
  }

  /** A page of the organizations in scope (an ISP's scope is itself). */
  listPage(
    scope: TenantScope,
    after: Keyset | undefined,
    limit: number,
  ): Promise<OrganizationEntity[]> {
    const qb = this.repo.createQueryBuilder('o');
    if (scope.organizationId !== undefined) qb.where('o.id = :org', { org: scope.organizationId });
    return keysetPage(qb, 'o', after, limit).getMany();
  }

  async insert(
    manager: EntityManager,
    org: Pick<OrganizationEntity, 'kind' | 'name' | 'shortCode' | 'contacts'>,
  ): Promise<OrganizationEntity> {
    const repo = manager.getRepository(OrganizationEntity);
    return repo.save(repo.create({ ...org, shortCode: org.shortCode.toUpperCase() }));
  }

  /** The organization, locked until the end of the transaction (its state before a change). */
  findByIdForUpdate(manager: EntityManager, id: string): Promise<OrganizationEntity | null> {
    return manager
      .getRepository(OrganizationEntity)
      .createQueryBuilder('o')
      .setLock('pessimistic_write')
      .where('o.id = :id', { id })
      .getOne();
  }

  /** Applies the changes if the row still has `version`; false when it does not (or is gone). */
  async updateIfVersion(
    manager: EntityManager,
    id: string,
    version: number,
    changes: { name?: string; contacts?: OrganizationContacts },
  ): Promise<boolean> {
    return updateIfVersion(manager.getRepository(OrganizationEntity), id, version, changes);
  }
}
