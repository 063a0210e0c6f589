import { randomBytes, randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import { hashSecret } from '#src/identity/auth/passwords.js';
import type { OrganizationKind, Role } from '#src/identity/auth/roles.js';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { UserEntity } from '#src/identity/users/user.entity.js';

/** Test data, made directly in the database; every call makes new, unique records. */
export class Factories {
  constructor(private readonly app: NestFastifyApplication) {}

  private get ds(): DataSource {
    return this.app.get(DataSource);
  }

  async organization(
    kind: OrganizationKind,
    overrides: Partial<OrganizationEntity> = {},
  ): Promise<OrganizationEntity> {
    const code = `${kind.slice(0, 3)}-${randomBytes(4).toString('hex')}`.toUpperCase();
    const saved = await this.ds.getRepository(OrganizationEntity).save({
      kind,
      name: `Test ${kind} ${code}`,
      shortCode: code,
      contacts: {},
      ...overrides,
    });
    // A unit is an organization and its `units` row (category, networks: none here).
    if (kind === 'unit') {
      await this.ds.query(`INSERT INTO units (organization_id, category) VALUES ($1, 'office')`, [
        saved.id,
      ]);
    }
    return saved;
  }

  async user(
    organization: OrganizationEntity,
    roles: Role[],
    overrides: Partial<UserEntity> & { password?: string } = {},
  ): Promise<UserEntity & { password: string }> {
    const password = overrides.password ?? `pw-${randomBytes(9).toString('base64url')}`;
    const { password: _ignored, ...rest } = overrides;
    const saved = await this.ds.getRepository(UserEntity).save({
      organizationId: organization.id,
      email: `${randomUUID()}@test.example`,
      name: 'Test User',
      roles,
      passwordHash: await hashSecret(password),
      ...rest,
    });
    return Object.assign(saved, { password });
  }

  async apiClient(
    organization: OrganizationEntity,
    overrides: Partial<ApiClientEntity> = {},
  ): Promise<ApiClientEntity & { secret: string }> {
    const secret = randomBytes(24).toString('base64url');
    const saved = await this.ds.getRepository(ApiClientEntity).save({
      organizationId: organization.id,
      clientId: `test-${randomBytes(6).toString('hex')}`,
      name: 'Test client',
      secretHash: await hashSecret(secret),
      secretRotatedAt: new Date(),
      ...overrides,
    });
    return Object.assign(saved, { secret });
  }

  /** A user with these roles in a new organization of the right kind, and their access token. */
  async loginAs(
    role: Role,
  ): Promise<{ token: string; user: UserEntity; organization: OrganizationEntity }> {
    const kind: OrganizationKind =
      role === 'isp_operator' || role === 'isp_client'
        ? 'isp'
        : role === 'auditor'
          ? 'authority'
          : role === 'unit_officer'
            ? 'unit'
            : 'department';
    const organization = await this.organization(kind);
    if (role === 'isp_client') {
      const client = await this.apiClient(organization);
      const token = await this.clientToken(client.clientId, client.secret);
      return { token, user: client as unknown as UserEntity, organization };
    }
    const user = await this.user(organization, [role]);
    const res = await request(this.app.getHttpServer())
      .post('/api/v1/auth/login')
      .send({ email: user.email, password: user.password })
      .expect(200);
    return { token: res.body.access_token as string, user, organization };
  }

  async clientToken(clientId: string, secret: string): Promise<string> {
    const res = await request(this.app.getHttpServer())
      .post('/api/v1/auth/token')
      .type('form')
      .send({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret })
      .expect(200);
    return res.body.access_token as string;
  }
}
