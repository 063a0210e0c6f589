import { AssignmentEntity } from '#src/obligations/index.js';
import {
  BlockingRequestEntity,
  BlockingRequestItemEntity,
  ImportJobEntity,
  IndicatorEntity,
  ProtectedEntryEntity,
  ProtectedListEntity,
} from '#src/publishing/index.js';
import {
  ApiClientEntity,
  RefreshTokenEntity,
  SigningKeyEntity,
  OrganizationEntity,
  UserEntity,
} from '#src/identity/index.js';

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
