import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ApiClientsService,
  newClientSecret,
} from '#src/identity/api-clients/api-clients.service.js';
import { toApiClientResponse } from '#src/identity/api-clients/dto/api-client.dto.js';
import { generatePassword } from '#src/identity/auth/password-policy.js';
import { hashSecret } from '#src/identity/auth/passwords.js';
import type { Caller } from '#src/identity/auth/principal.js';
import type { Role } from '#src/identity/auth/roles.js';
import type {
  AddPersonRequest,
  AddedPerson,
  OnboardIspRequest,
  OnboardedIsp,
} from '#src/identity/onboarding/onboarding.dto.js';
import { toOrganizationResponse } from '#src/identity/organizations/dto/organization.dto.js';
import {
  OrganizationsService,
  refusedShortCode,
} from '#src/identity/organizations/organizations.service.js';
import { toUserResponse } from '#src/identity/users/dto/user.dto.js';
import { refusedEmail, UsersService } from '#src/identity/users/users.service.js';

/**
 * Onboarding (docs/onboarding.md): an ISP with its first operator and API client in one step,
 * a person added to an organization named by its short code. Through the services of the
 * API's routes, with their rules and audit events; the command line calls it.
 */
@Injectable()
export class OnboardingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly clients: ApiClientsService,
  ) {}

  /**
   * The ISP's organization, optionally its first operator (role isp_operator), and an API
   * client, in one transaction: all of them or nothing. Each gets the audit event its API route
   * records. The client's secret, and the operator's password when generated, are in this
   * answer only; a generated password is temporary (the first login must replace it).
   */
  async onboardIsp(caller: Caller, request: OnboardIspRequest): Promise<OnboardedIsp> {
    const roles: Role[] = ['isp_operator'];
    const operator = request.operator && { ...request.operator, roles };
    await this.organizations.checkShortCodeFree(request.organization.shortCode);
    if (operator) await this.users.checkNewUser('isp', operator);
    const generatedPassword =
      operator && operator.password === undefined ? generatePassword() : undefined;
    const passwordHash =
      operator && (await hashSecret(operator.password ?? generatedPassword ?? ''));
    const secret = await newClientSecret();
    try {
      return await this.dataSource.transaction(async (manager) => {
        const organization = await this.organizations.createWithin(manager, caller, {
          kind: 'isp',
          ...request.organization,
        });
        const user =
          operator &&
          passwordHash &&
          (await this.users.insertWithin(manager, caller, organization, operator, passwordHash, {
            temporaryPassword: generatedPassword !== undefined,
          }));
        const client = await this.clients.insertWithin(
          manager,
          caller,
          organization,
          request.clientName,
          secret.hash,
        );
        return {
          organization: toOrganizationResponse(organization),
          ...(user
            ? {
                operator: {
                  ...toUserResponse(user),
                  ...(generatedPassword ? { generatedPassword } : {}),
                },
              }
            : {}),
          client: { ...toApiClientResponse(client), clientSecret: secret.secret },
        };
      });
    } catch (error) {
      throw (
        refusedShortCode(error, request.organization.shortCode) ??
        (operator && refusedEmail(error, operator.email)) ??
        error
      );
    }
  }

  /**
   * A person in the organization with this short code, with the roles given (which must fit its
   * kind): as `POST /users`. Without a password one is generated, returned this once, and must
   * be replaced at the first login.
   */
  async addPerson(caller: Caller, request: AddPersonRequest): Promise<AddedPerson> {
    const organization = await this.organizations.findByShortCode(request.organization);
    const generatedPassword = request.password === undefined ? generatePassword() : undefined;
    const user = await this.users.create(
      caller,
      {
        organizationId: organization.id,
        email: request.email,
        name: request.name,
        roles: request.roles,
        password: request.password ?? generatedPassword ?? '',
      },
      { temporaryPassword: generatedPassword !== undefined },
    );
    return {
      organization: toOrganizationResponse(organization),
      user: { ...user, ...(generatedPassword ? { generatedPassword } : {}) },
    };
  }
}
