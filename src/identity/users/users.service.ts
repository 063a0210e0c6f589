import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { auditedCaller, type Caller, type Principal } from '#src/identity/auth/principal.js';
import { generatePassword } from '#src/identity/auth/password-policy.js';
import { hashSecret } from '#src/identity/auth/passwords.js';
import { USER_ROLES_BY_KIND, type OrganizationKind, type Role } from '#src/identity/auth/roles.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import {
  conflict,
  notFound,
  staleVersion,
  validationProblem,
  type ProblemException,
} from '#src/platform/problem/index.js';
import { tenantScope, visibleOr404 } from '#src/identity/tenancy/tenant-scope.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import {
  toUserResponse,
  type CreateUserRequest,
  type PasswordResetResponse,
  type ResetPasswordRequest,
  type UpdateUserRequest,
  type UserResponse,
} from '#src/identity/users/dto/user.dto.js';
import { UsersRepository } from '#src/identity/users/users.repository.js';
import type { UserEntity } from '#src/identity/users/user.entity.js';
import { uniqueViolation } from '#src/platform/database/index.js';

@Injectable()
export class UsersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditLog,
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

  /**
   * A new person. `temporaryPassword`: the password was made up for them and handed over (the
   * command line's generated ones), so their first login must replace it.
   */
  async create(
    caller: Caller,
    request: CreateUserRequest,
    options: { temporaryPassword?: boolean } = {},
  ): Promise<UserResponse> {
    const organization = await this.organizations.findById(request.organizationId);
    if (!organization) {
      throw validationProblem([
        { name: 'organizationId', reason: 'organizationId names no organization' },
      ]);
    }
    await this.checkNewUser(organization.kind, request);
    const passwordHash = await hashSecret(request.password);
    try {
      const user = await this.dataSource.transaction((manager) =>
        this.insertWithin(manager, caller, organization, request, passwordHash, options),
      );
      return toUserResponse(user);
    } catch (error) {
      throw refusedEmail(error, request.email) ?? error;
    }
  }

  /**
   * What a new person must satisfy before anything is written: their roles fit the kind of
   * their organization (an ISP operator is no approver), their e-mail is nobody else's.
   */
  async checkNewUser(
    kind: OrganizationKind,
    request: Pick<CreateUserRequest, 'email' | 'roles'>,
  ): Promise<void> {
    checkRolesFit(kind, request.roles);
    if (await this.users.findByEmail(request.email)) {
      throw conflict(`A user with e-mail ${request.email.toLowerCase()} exists already`);
    }
  }

  /**
   * Writes a person checked by `checkNewUser`, and the audit event, in `manager`'s transaction.
   * An e-mail taken meanwhile fails the transaction: `refusedEmail` turns it into the 409.
   */
  async insertWithin(
    manager: EntityManager,
    caller: Caller,
    organization: OrganizationEntity,
    request: Pick<CreateUserRequest, 'email' | 'name' | 'roles'>,
    passwordHash: string,
    options: { temporaryPassword?: boolean } = {},
  ): Promise<UserEntity> {
    const { actor, via } = auditedCaller(caller);
    const created = await this.users.insert(manager, {
      organizationId: organization.id,
      email: request.email,
      name: request.name,
      roles: request.roles,
      passwordHash,
      mustChangePassword: options.temporaryPassword === true,
    });
    await this.audit.record(manager, {
      actor,
      action: 'user.create',
      objectType: 'user',
      objectId: created.id,
      summary: {
        organizationId: created.organizationId,
        email: created.email,
        name: created.name,
        roles: created.roles,
        ...(created.mustChangePassword ? { passwordChangeRequired: true } : {}),
        ...via,
      },
    });
    return created;
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
      if (organization) checkRolesFit(organization.kind, request.roles);
    }
    const visible = {
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.roles === undefined ? {} : { roles: request.roles }),
      ...(request.disabled === undefined ? {} : { disabled: request.disabled }),
    };
    // A new password or a disabled account ends every session and access token at once.
    const endsSessions = request.password !== undefined || request.disabled === true;
    const changes = {
      ...visible,
      ...(request.password === undefined
        ? {}
        : { passwordHash: await hashSecret(request.password), clearLockout: true }),
      ...(endsSessions ? { revokeTokens: true } : {}),
    };
    // Disabling, role removal and token revocation take effect at once, in every instance
    // (PrincipalCache).
    const changed = await this.principals.propagate(`user:${id}`, () =>
      this.dataSource.transaction(async (manager) => {
        const before = await this.users.findByIdForUpdate(manager, id);
        if (before?.version !== request.version) return false;
        if (!(await this.users.updateIfVersion(manager, id, request.version, changes))) {
          return false;
        }
        // Refresh tokens here; access tokens by the token generation (revokeTokens above).
        const sessionsEnded = endsSessions ? await this.users.endSessions(manager, id) : 0;
        await this.audit.record(manager, {
          actor: caller,
          action: 'user.update',
          objectType: 'user',
          objectId: id,
          // What changed, from what to what; of the password only that it changed.
          summary: {
            changes: fieldChanges(before, visible),
            ...(request.password === undefined ? {} : { passwordChanged: true }),
            sessionsEnded,
          },
        });
        return true;
      }),
    );
    if (!changed) throw staleVersion('user');
    return this.get(caller, id);
  }

  /**
   * An administrator's reset: a temporary password (the one given, or generated and answered
   * once), the lockout cleared, every session and access token of the person ended, and a
   * password change required: until the person makes it, their tokens allow only
   * POST /auth/change-password (AccessGuard).
   */
  async resetPassword(
    caller: Principal,
    id: string,
    request: ResetPasswordRequest,
  ): Promise<PasswordResetResponse> {
    visibleOr404(
      tenantScope(caller),
      await this.users.findById(id),
      'user',
      (u) => u.organizationId,
    );
    const generated = request.password === undefined ? generatePassword() : undefined;
    const passwordHash = await hashSecret(request.password ?? generated ?? '');
    const changed = await this.principals.propagate(`user:${id}`, () =>
      this.dataSource.transaction(async (manager) => {
        const before = await this.users.findByIdForUpdate(manager, id);
        if (!before) return false;
        await this.users.updateIfVersion(manager, id, before.version, {
          passwordHash,
          mustChangePassword: true,
          clearLockout: true,
          revokeTokens: true,
        });
        // Refresh tokens here; access tokens by the token generation (revokeTokens above).
        const sessionsEnded = await this.users.endSessions(manager, id);
        await this.audit.record(manager, {
          actor: caller,
          action: 'user.password_reset',
          objectType: 'user',
          objectId: id,
          summary: { passwordChanged: true, generated: generated !== undefined, sessionsEnded },
        });
        return true;
      }),
    );
    if (!changed) throw notFound('user');
    const user = await this.get(caller, id);
    return generated === undefined ? { user } : { user, temporaryPassword: generated };
  }
}

/** A person's roles must fit their organization's kind (an ISP operator is no approver). */
function checkRolesFit(kind: OrganizationKind, roles: Role[]): void {
  const allowed = USER_ROLES_BY_KIND[kind];
  const misfits = roles.filter((r) => !allowed.includes(r));
  if (misfits.length > 0) {
    throw validationProblem([
      {
        name: 'roles',
        reason: `roles ${misfits.join(', ')} do not fit a ${kind} organization (allowed: ${allowed.join(', ')})`,
      },
    ]);
  }
}

/** The 409 for a unique violation of the e-mail; undefined for any other error. */
export function refusedEmail(error: unknown, email: string): ProblemException | undefined {
  return uniqueViolation(error) === 'users_email_key'
    ? conflict(`A user with e-mail ${email.toLowerCase()} exists already`)
    : undefined;
}
