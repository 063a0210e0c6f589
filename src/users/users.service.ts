import { HttpStatus, Injectable } from '@nestjs/common';
import { AuditService } from '#src/audit/audit.service.js';
import { PrincipalCache } from '#src/auth/principal-cache.js';
import type { Principal } from '#src/auth/principal.js';
import { hashSecret } from '#src/auth/passwords.js';
import { USER_ROLES_BY_KIND, type Role } from '#src/auth/roles.js';
import { paginate, type Page, type PageQuery } from '#src/common/pagination/cursor.js';
import { ProblemException, ProblemType } from '#src/common/problem/problem.js';
import { validationProblem } from '#src/common/problem/validation.js';
import { tenantScope, visibleOr404 } from '#src/common/tenancy/tenant-scope.js';
import type { OrganizationEntity } from '#src/organizations/organization.entity.js';
import { OrganizationsRepository } from '#src/organizations/organizations.repository.js';
import { staleVersion } from '#src/organizations/organizations.service.js';
import {
  toUserResponse,
  type CreateUserRequest,
  type UpdateUserRequest,
  type UserResponse,
} from '#src/users/dto/user.dto.js';
import { UsersRepository } from '#src/users/users.repository.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
  ) {}

  async list(caller: Principal, query: PageQuery): Promise<Page<UserResponse>> {
    const scope = tenantScope(caller);
    return paginate(
      query,
      (after, limit) => this.users.listPage(scope, after, limit),
      toUserResponse,
    );
  }

  async get(caller: Principal, id: string): Promise<UserResponse> {
    const user = visibleOr404(
      tenantScope(caller),
      await this.users.findById(id),
      'user',
      (u) => u.organizationId,
    );
    return toUserResponse(user);
  }

  async create(caller: Principal, request: CreateUserRequest): Promise<UserResponse> {
    const organization = await this.organizations.findById(request.organizationId);
    if (!organization) {
      throw validationProblem([
        { name: 'organizationId', reason: 'organizationId names no organization' },
      ]);
    }
    checkRolesFit(organization, request.roles);
    if (await this.users.findByEmail(request.email)) {
      throw new ProblemException(HttpStatus.CONFLICT, {
        type: ProblemType.conflict,
        detail: `A user with e-mail ${request.email.toLowerCase()} exists already`,
      });
    }
    const user = await this.users.insert({
      organizationId: organization.id,
      email: request.email,
      name: request.name,
      roles: request.roles,
      passwordHash: await hashSecret(request.password),
    });
    await this.audit.record(undefined, {
      actor: caller,
      action: 'user.create',
      objectType: 'user',
      objectId: user.id,
      summary: { organizationId: user.organizationId, email: user.email, roles: user.roles },
    });
    return toUserResponse(user);
  }

  async update(caller: Principal, id: string, request: UpdateUserRequest): Promise<UserResponse> {
    const user = visibleOr404(
      tenantScope(caller),
      await this.users.findById(id),
      'user',
      (u) => u.organizationId,
    );
    if (request.roles) {
      const organization = await this.organizations.findById(user.organizationId);
      if (organization) checkRolesFit(organization, request.roles);
    }
    const changes = {
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.roles === undefined ? {} : { roles: request.roles }),
      ...(request.disabled === undefined ? {} : { disabled: request.disabled }),
      ...(request.password === undefined
        ? {}
        : { passwordHash: await hashSecret(request.password), clearLockout: true }),
    };
    // Disabling and role removal take effect at once, in every instance (PrincipalCache).
    const changed = await this.principals.propagate(`user:${id}`, () =>
      this.users.updateIfVersion(id, request.version, changes),
    );
    if (!changed) throw staleVersion('user');
    await this.audit.record(undefined, {
      actor: caller,
      action: 'user.update',
      objectType: 'user',
      objectId: id,
      // Which fields changed, never the password itself.
      summary: {
        changes: Object.keys(request).filter((k) => k !== 'version'),
        ...(request.roles ? { roles: request.roles } : {}),
        ...(request.disabled === undefined ? {} : { disabled: request.disabled }),
      },
    });
    // A new password or a disabled account ends every session (refresh token) at once.
    if (request.password !== undefined || request.disabled === true)
      await this.users.endSessions(id);
    return this.get(caller, id);
  }
}

/** A person's roles must fit their organization's kind (an ISP operator is no approver). */
function checkRolesFit(organization: OrganizationEntity, roles: Role[]): void {
  const allowed = USER_ROLES_BY_KIND[organization.kind];
  const misfits = roles.filter((r) => !allowed.includes(r));
  if (misfits.length > 0) {
    throw validationProblem([
      {
        name: 'roles',
        reason: `roles ${misfits.join(', ')} do not fit a ${organization.kind} organization (allowed: ${allowed.join(', ')})`,
      },
    ]);
  }
}
