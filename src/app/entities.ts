import { AssignmentEntity } from '#src/obligations/assignments/assignment.entity.js';
import {
  BlockingRequestEntity,
  BlockingRequestItemEntity,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
import { ImportJobEntity } from '#src/publishing/imports/import-job.entity.js';
import { IndicatorEntity } from '#src/publishing/indicators/indicator.entity.js';
import {
  ProtectedEntryEntity,
  ProtectedListEntity,
} from '#src/publishing/protected-lists/protected-list.entity.js';
import { ApiClientEntity } from '#src/identity/api-clients/api-client.entity.js';
import { RefreshTokenEntity } from '#src/identity/auth/refresh-token.entity.js';
import { SigningKeyEntity } from '#src/identity/keys/signing-key.entity.js';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { UserEntity } from '#src/identity/users/user.entity.js';

/**
 * Every TypeORM entity of the application, listed by the composition root and handed to the
 * database (DatabaseModule, the CLI's data source). A feature adds its entities here; the
 * migration drift check compares exactly this list against `migrations/`.
 */
export const ENTITIES: Function[] = [
  OrganizationEntity,
  UserEntity,
  ApiClientEntity,
  SigningKeyEntity,
  RefreshTokenEntity,
  IndicatorEntity,
  ProtectedListEntity,
  ProtectedEntryEntity,
  ImportJobEntity,
  BlockingRequestEntity,
  BlockingRequestItemEntity,
  AssignmentEntity,
];
