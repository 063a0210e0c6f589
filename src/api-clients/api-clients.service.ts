import { randomBytes } from 'node:crypto';
import { HttpStatus, Injectable } from '@nestjs/common';
import { ApiClientsRepository } from '#src/api-clients/api-clients.repository.js';
import {
  toApiClientResponse,
  type ApiClientResponse,
  type ApiClientWithSecretResponse,
  type CreateApiClientRequest,
} from '#src/api-clients/dto/api-client.dto.js';
import { AuditService } from '#src/audit/audit.service.js';
import { PrincipalCache } from '#src/auth/principal-cache.js';
import type { Principal } from '#src/auth/principal.js';
import { hashSecret } from '#src/auth/passwords.js';
import { paginate, type Page, type PageQuery } from '#src/common/pagination/cursor.js';
import { ProblemException } from '#src/common/problem/problem.js';
import { validationProblem } from '#src/common/problem/validation.js';
import { tenantScope, visibleOr404 } from '#src/common/tenancy/tenant-scope.js';
import { OrganizationsRepository } from '#src/organizations/organizations.repository.js';

/** 32 random bytes: the secret is only ever compared through its argon2id hash. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

@Injectable()
export class ApiClientsService {
  constructor(
    private readonly clients: ApiClientsRepository,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
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
    caller: Principal,
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
    const secret = newSecret();
    const client = await this.clients.insert({
      organizationId: organization.id,
      clientId: `isp-${organization.shortCode.toLowerCase()}-${randomBytes(4).toString('hex')}`,
      name: request.name,
      secretHash: await hashSecret(secret),
    });
    await this.audit.record(undefined, {
      actor: caller,
      action: 'api_client.create',
      objectType: 'api_client',
      objectId: client.id,
      summary: { organizationId: organization.id, clientId: client.clientId, name: client.name },
    });
    return { ...toApiClientResponse(client), clientSecret: secret };
  }

  /** A new secret (shown once); the old one stops working at once. */
  async rotate(caller: Principal, id: string): Promise<ApiClientWithSecretResponse> {
    const client = await this.visible(caller, id);
    if (client.revokedAt) {
      throw new ProblemException(HttpStatus.CONFLICT, {
        detail: 'A revoked client cannot get a new secret',
      });
    }
    const secret = newSecret();
    const secretHash = await hashSecret(secret);
    // The old secret stops working at once, in every instance (PrincipalCache).
    await this.principals.propagate(`client:${client.id}`, () =>
      this.clients.replaceSecret(client.id, secretHash),
    );
    await this.audit.record(undefined, {
      actor: caller,
      action: 'api_client.rotate',
      objectType: 'api_client',
      objectId: client.id,
      summary: { clientId: client.clientId },
    });
    return { ...(await this.get(caller, id)), clientSecret: secret };
  }

  /** Revokes the client: no new tokens, and its current tokens stop working. */
  async revoke(caller: Principal, id: string): Promise<ApiClientResponse> {
    const client = await this.visible(caller, id);
    await this.principals.propagate(`client:${client.id}`, () => this.clients.revoke(client.id));
    await this.audit.record(undefined, {
      actor: caller,
      action: 'api_client.revoke',
      objectType: 'api_client',
      objectId: client.id,
      summary: { clientId: client.clientId },
    });
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
