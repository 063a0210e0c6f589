import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import { auditedCaller, type Caller, type Principal } from '#src/identity/auth/principal.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import {
  conflict,
  notFound,
  staleVersion,
  type ProblemException,
} from '#src/platform/problem/index.js';
import { tenantScope, visibleOr404 } from '#src/identity/tenancy/tenant-scope.js';
import { uniqueViolation } from '#src/platform/database/index.js';
import type {
  OrganizationContacts,
  OrganizationEntity,
} from '#src/identity/organizations/organization.entity.js';
import type { OrganizationKind } from '#src/identity/auth/roles.js';
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

  async create(caller: Caller, request: CreateOrganizationRequest): Promise<OrganizationResponse> {
    try {
      const org = await this.dataSource.transaction((manager) =>
        this.createWithin(manager, caller, request),
      );
      return toOrganizationResponse(org);
    } catch (error) {
      throw refusedShortCode(error, request.shortCode) ?? error;
    }
  }

  /**
   * Creates the organization and its audit event in `manager`'s transaction (with what else
   * that transaction creates: an ISP's onboarding). A short code in use fails the transaction:
   * `refusedShortCode` turns the error into the 409.
   */
  async createWithin(
    manager: EntityManager,
    caller: Caller,
    request: CreateOrganizationRequest,
  ): Promise<OrganizationEntity> {
    const { actor, via } = auditedCaller(caller);
    const created = await this.organizations.insert(manager, {
      kind: request.kind,
      name: request.name,
      shortCode: request.shortCode,
      contacts: { ...request.contacts },
    });
    await this.audit.record(manager, {
      actor,
      action: 'organization.create',
      objectType: 'organization',
      objectId: created.id,
      summary: { kind: created.kind, shortCode: created.shortCode, name: created.name, ...via },
    });
    return created;
  }

  /** A 409 when the short code is taken (the unique index checks it again at the insert). */
  async checkShortCodeFree(shortCode: string): Promise<void> {
    if (await this.organizations.findByShortCode(shortCode)) {
      throw conflict(`An organization with short code ${shortCode.toUpperCase()} exists already`);
    }
  }

  /** The organization with this short code (any case), or a 404. */
  async findByShortCode(shortCode: string): Promise<OrganizationEntity> {
    const org = await this.organizations.findByShortCode(shortCode);
    if (!org) throw notFound(`organization ${shortCode.toUpperCase()}`);
    return org;
  }

  /**
   * The oldest organization of `kind`, or null: the Department (kind `department`), whose contacts
   * are the response team's.
   */
  async oldestOfKind(kind: OrganizationKind): Promise<OrganizationResponse | null> {
    const org = await this.organizations.oldestOfKind(kind);
    return org ? toOrganizationResponse(org) : null;
  }

  /**
   * Sets the given contacts of an organization (`null` removes one; absent ones are kept), with
   * its audit event, in one transaction; the row is locked, so concurrent changes apply in turn.
   */
  async mergeContacts(
    caller: Principal,
    id: string,
    patch: { [K in keyof OrganizationContacts]?: string | null },
  ): Promise<OrganizationResponse> {
    await this.dataSource.transaction(async (manager) => {
      const before = await this.organizations.findByIdForUpdate(manager, id);
      if (!before) throw notFound('organization');
      const contacts: OrganizationContacts = { ...before.contacts };
      for (const [key, value] of Object.entries(patch) as [
        keyof OrganizationContacts,
        string | null | undefined,
      ][]) {
        if (value === undefined) continue;
        if (value === null) delete contacts[key];
        else contacts[key] = value;
      }
      if (!(await this.organizations.updateIfVersion(manager, id, before.version, { contacts }))) {
        throw staleVersion('organization');
      }
      await this.audit.record(manager, {
        actor: caller,
        action: 'organization.update',
        objectType: 'organization',
        objectId: id,
        summary: { changes: fieldChanges(before, { contacts }) },
      });
    });
    return toOrganizationResponse((await this.organizations.findById(id))!);
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

/** The 409 for a unique violation of the short code; undefined for any other error. */
export function refusedShortCode(error: unknown, shortCode: string): ProblemException | undefined {
  return uniqueViolation(error) === 'organizations_short_code_key'
    ? conflict(`An organization with short code ${shortCode.toUpperCase()} exists already`)
    : undefined;
}
