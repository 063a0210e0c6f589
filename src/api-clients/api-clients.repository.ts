import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiClientEntity } from '#src/api-clients/api-client.entity.js';

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
    client: Pick<ApiClientEntity, 'organizationId' | 'clientId' | 'name' | 'secretHash'>,
  ): Promise<ApiClientEntity> {
    return this.repo.save(this.repo.create({ ...client, secretRotatedAt: new Date() }));
  }

  async touchLastUsed(id: string): Promise<void> {
    await this.repo.update({ id }, { lastUsedAt: new Date() });
  }

  async revoke(id: string): Promise<void> {
    await this.repo.update({ id }, { revokedAt: new Date() });
  }
}
