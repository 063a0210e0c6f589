import { OmitType, PartialType, PickType, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import type { ApiClientWithSecretResponse } from '#src/identity/api-clients/dto/api-client.dto.js';
import {
  CreateOrganizationRequest,
  type OrganizationResponse,
} from '#src/identity/organizations/dto/organization.dto.js';
import { CreateUserRequest, type UserResponse } from '#src/identity/users/dto/user.dto.js';

/**
 * The requests of the command line's administration (`threat-exchange org:add-isp`,
 * `user:add`), built from the API's own DTOs so that a value the API refuses is refused here
 * with the same reason. Validated by the application's validation pipe.
 */

/** A person's password, optional: without it one is generated and shown once. */
class OptionalPassword extends PartialType(PickType(CreateUserRequest, ['password'] as const)) {}

/** An ISP's first operator (role isp_operator). */
export class NewOperatorRequest extends IntersectionType(
  OmitType(CreateUserRequest, ['organizationId', 'roles', 'password'] as const),
  OptionalPassword,
) {}

/** The ISP's organization: CreateOrganizationRequest without the kind, which is `isp`. */
export class NewIspRequest extends OmitType(CreateOrganizationRequest, ['kind'] as const) {}

export class OnboardIspRequest {
  /** The ISP's organization (its kind is `isp`). */
  @ValidateNested()
  @Type(() => NewIspRequest)
  organization!: NewIspRequest;

  @IsOptional()
  @ValidateNested()
  @Type(() => NewOperatorRequest)
  operator?: NewOperatorRequest;

  /** The name of its first API client (the feed puller). */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  clientName!: string;
}

/** A person in an organization named by its short code. */
export class AddPersonRequest extends IntersectionType(
  OmitType(CreateUserRequest, ['organizationId', 'password'] as const),
  OptionalPassword,
) {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/, {
    message: 'organization must be a short code: 2–32 letters, digits or dashes',
  })
  organization!: string;
}

export interface OnboardedIsp {
  organization: OrganizationResponse;
  /** The first operator, and their password when it was generated (shown this once). */
  operator?: UserResponse & { generatedPassword?: string };
  /** The API client, with its secret (shown this once). */
  client: ApiClientWithSecretResponse;
}

export interface AddedPerson {
  organization: OrganizationResponse;
  user: UserResponse & { generatedPassword?: string };
}
