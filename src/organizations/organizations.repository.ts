import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrganizationEntity } from '#src/organizations/organization.entity.js';

@Injectable()
export class OrganizationsRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(OrganizationEntity);
  }

  findById(id: string): Promise<OrganizationEntity | null> {
    return this.repo.findOneBy({ id });
  }

  findByShortCode(shortCode: string): Promise<OrganizationEntity | null> {
    return this.repo.findOneBy({ shortCode: shortCode.toUpperCase() });
  }

  async insert(
    org: Pick<OrganizationEntity, 'kind' | 'name' | 'shortCode' | 'contacts'>,
  ): Promise<OrganizationEntity> {
    return this.repo.save(this.repo.create({ ...org, shortCode: org.shortCode.toUpperCase() }));
  }

  count(): Promise<number> {
    return this.repo.count();
  }
}
