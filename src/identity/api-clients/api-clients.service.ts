import { randomBytes } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { ApiClientsRepository } from '#src/identity/api-clients/api-clients.repository.js';
import {
  toApiClientResponse,
  type ApiClientResponse,
  type ApiClientWithSecretResponse,
  type CreateApiClientRequest,
} from '#src/identity/api-clients/dto/api-client.dto.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { PrincipalCache } from '#src/identity/auth/principal-cache.js';
import { auditedCaller, type Caller, type Principal } from '#src/identity/auth/principal.js';
import { hashSecret } from '#src/identity/auth/passwords.js';
import { paginate, type Page, type PageQuery } from '#src/platform/pagination/index.js';
import { httpProblem, validationProblem } from '#src/platform/problem/index.js';
import { tenantScope, visibleOr404 } from '#src/identity/tenancy/tenant-scope.js';
import type { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import type { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { OrganizationsRepository } from '#src/identity/organizations/organizations.repository.js';
import { Clock } from '#src/platform/clock/index.js';

/** 32 random bytes: the secret is only ever compared through its argon2id hash. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** A new client secret, to be shown once, and the hash that is stored. */
export async function newClientSecret(): Promise<{ secret: string; hash: string }> {
  const secret = newSecret();
  return { secret, hash: await hashSecret(secret) };
}

@Injectable()
export class ApiClientsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clients: ApiClientsRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditLog,
    private readonly principals: PrincipalCache,
    private readonly clock: Clock,
  ) {}

  async list(caller: Principal, query: PageQuery): Promise<Page<ApiClientResponse>> {
    const scope = tenantScope(caller);
    return paginate(
      query,
      (after, limit) => this.clients.listPage(scope, after, limit),
      toApiClientResponse,
    );
  }

  async get(caller: Principal, id: string): Promise<ApiClientResponse> {
    return toApiClientResponse(await this.visible(caller, id));
  }

  /** A client for an ISP; its secret is in this answer only. */
  async create(
    caller: Caller,
    request: CreateApiClientRequest,
  ): Promise<ApiClientWithSecretResponse> {
    const organization = await this.organizations.findById(request.organizationId);
    if (!organization) {
      throw validationProblem([
        { name: 'organizationId', reason: 'organizationId names no organization' },
      ]);
    }
    if (organization.kind !== 'isp') {
      throw validationProblem([
        {
          name: 'organizationId',
          reason: 'API clients belong to ISPs; this organization is not one',
        },
      ]);
    }
    const secret = await newClientSecret();
    const client = await this.dataSource.transaction((manager) =>
      this.insertWithin(manager, caller, organization, request.name, secret.hash),
    );
    return { ...toApiClientResponse(client), clientSecret: secret.secret };
  }

  /**
   * Writes a client of `organization` (an ISP) with the hash of a `newClientSecret()`, and the
   * audit event, in `manager`'s transaction.
   */
  async insertWithin(
    manager: EntityManager,
    caller: Caller,
    organization: OrganizationEntity,
    name: string,
    secretHash: string,
  ): Promise<ApiClientEntity> {
    const { actor, via } = auditedCaller(caller);
    const created = await this.clients.insert(manager, {
      organizationId: organization.id,
      clientId: `isp-${organization.shortCode.toLowerCase()}-${randomBytes(4).toString('hex')}`,
      name,
      secretHash,
      secretRotatedAt: this.clock.now(),
    });
    await this.audit.record(manager, {
      actor,
      action: 'api_client.create',
      objectType: 'api_client',
      objectId: created.id,
      summary: {
        organizationId: organization.id,
        clientId: created.clientId,
        name: created.name,
        ...via,
      },
    });
    return created;
  }

  /**
   * A new secret (shown once); the old one stops working at once, and so does every access
   * token issued before (the client's token generation).
   */
  async rotate(caller: Principal, id: string): Promise<ApiClientWithSecretResponse> {
    const client = await this.visible(caller, id);
    if (client.revokedAt) {
      throw httpProblem(HttpStatus.CONFLICT, 'A revoked client cannot get a new secret');
    }
    const secret = newSecret();
    const secretHash = await hashSecret(secret);
    // The old secret and the tokens it got stop working at once, in every instance
    // (PrincipalCache).
    await this.principals.propagate(`client:${client.id}`, () =>
      this.dataSource.transaction(async (manager) => {
        if (!(await this.clients.replaceSecret(manager, client.id, secretHash, this.clock.now())))
          return false;
        await this.audit.record(manager, {
          actor: caller,
          action: 'api_client.rotate',
          objectType: 'api_client',
          objectId: client.id,
          // Never the secret or its hash: when the one it replaces was issued.
          summary: {
            clientId: client.clientId,
            previousSecretIssuedAt: client.secretRotatedAt.toISOString(),
          },
        });
        return true;
      }),
    );
    return { ...(await this.get(caller, id)), clientSecret: secret };
  }

  /** Revokes the client: no new tokens, and its current tokens stop working. */
  async revoke(caller: Principal, id: string): Promise<ApiClientResponse> {
    const client = await this.visible(caller, id);
    // Revoking a revoked client changes nothing and records nothing.
    await this.principals.propagate(`client:${client.id}`, () =>
      this.dataSource.transaction(async (manager) => {
        if (!(await this.clients.revoke(manager, client.id))) return false;
        await this.audit.record(manager, {
          actor: caller,
          action: 'api_client.revoke',
          objectType: 'api_client',
          objectId: client.id,
          summary: { clientId: client.clientId, from: 'active', to: 'revoked' },
        });
        return true;
      }),
    );
    return this.get(caller, id);
  }

  private async visible(caller: Principal, id: string) {
    return visibleOr404(
      tenantScope(caller),
      await this.clients.findById(id),
      'API client',
      (c) => c.organizationId,
    );
  }
}
