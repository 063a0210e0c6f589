import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import type { Principal } from '#src/identity/auth/principal.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import { conflict, staleVersion } from '#src/platform/problem/index.js';
import { tenantScope, visibleOr404 } from '#src/identity/tenancy/tenant-scope.js';
import { sqlState } from '#src/platform/database/index.js';
import {
  toOrganizationResponse,
  type CreateOrganizationRequest,
  type OrganizationResponse,
  type UpdateOrganizationRequest,
} from '#src/identity/organizations/dto/organization.dto.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditLog,
  ) {}

  async list(caller: Principal, query: PageQuery): Promise<Page<OrganizationResponse>> {
    const scope = tenantScope(caller);
    return paginate(
      query,
      (after, limit) => this.organizations.listPage(scope, after, limit),
      toOrganizationResponse,
    );
  }

  async get(caller: Principal, id: string): Promise<OrganizationResponse> {
    const org = visibleOr404(
      tenantScope(caller),
      await this.organizations.findById(id),
      'organization',
      (o) => o.id,
    );
    return toOrganizationResponse(org);
  }

  async create(
    caller: Principal,
    request: CreateOrganizationRequest,
  ): Promise<OrganizationResponse> {
    try {
      const org = await this.dataSource.transaction(async (manager) => {
        const created = await this.organizations.insert(manager, {
          kind: request.kind,
          name: request.name,
          shortCode: request.shortCode,
          contacts: { ...request.contacts },
        });
        await this.audit.record(manager, {
          actor: caller,
          action: 'organization.create',
          objectType: 'organization',
          objectId: created.id,
          summary: { kind: created.kind, shortCode: created.shortCode, name: created.name },
        });
        return created;
      });
      return toOrganizationResponse(org);
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw conflict(
          `An organization with short code ${request.shortCode.toUpperCase()} exists already`,
        );
      }
      throw error;
    }
  }

  async update(
    caller: Principal,
    id: string,
    request: UpdateOrganizationRequest,
  ): Promise<OrganizationResponse> {
    await this.get(caller, id);
    const changes = {
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.contacts === undefined ? {} : { contacts: { ...request.contacts } }),
    };
    const changed = await this.dataSource.transaction(async (manager) => {
      const before = await this.organizations.findByIdForUpdate(manager, id);
      if (before?.version !== request.version) return false;
      if (!(await this.organizations.updateIfVersion(manager, id, request.version, changes))) {
        return false;
      }
      await this.audit.record(manager, {
        actor: caller,
        action: 'organization.update',
        objectType: 'organization',
        objectId: id,
        summary: { changes: fieldChanges(before, changes) },
      });
      return true;
    });
    if (!changed) throw staleVersion('organization');
    return this.get(caller, id);
  }
}
