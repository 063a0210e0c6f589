import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { NewPassword } from '#src/identity/auth/password-policy.js';
import { PERSON_ROLES, type Role } from '#src/identity/auth/roles.js';
import type { UserEntity } from '#src/identity/users/user.entity.js';

export class CreateUserRequest {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  organizationId!: string;

  @ApiProperty({ example: 'analyst@department.example' })
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'Nguyễn Văn An' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({
    enum: PERSON_ROLES,
    isArray: true,
    description: 'Department: admin, analyst, approver; ISP: isp_operator; authority: auditor',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsIn(PERSON_ROLES, { each: true })
  roles!: Role[];

  @NewPassword()
  password!: string;
}

export class UpdateUserRequest {
  @ApiProperty({ description: 'The version you read: a newer one on the server is a 409' })
  @IsInt()
  @Min(1)
  @Max(2147483647)
  version!: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ enum: PERSON_ROLES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @ArrayUnique()
  @IsIn(PERSON_ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({ description: 'A disabled user cannot log in; their tokens stop working' })
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;

  @NewPassword({
    optional: true,
    description:
      'Sets a new password and clears a lockout; does not require the person to change it ' +
      '(POST /users/{id}/reset-password does)',
  })
  password?: string;
}

export class ResetPasswordRequest {
  @NewPassword({
    optional: true,
    description:
      'The temporary password to set; omitted: one is generated and shown once in the answer',
  })
  password?: string;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  organizationId!: string;
  @ApiProperty()
  email!: string;
  @ApiProperty()
  name!: string;
  @ApiProperty({ enum: PERSON_ROLES, isArray: true })
  roles!: Role[];
  @ApiProperty()
  disabled!: boolean;
  @ApiProperty({
    description:
      'An administrator reset the password: until the person changes it, their tokens allow only POST /auth/change-password',
  })
  passwordChangeRequired!: boolean;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lockedUntil!: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lastLoginAt!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty()
  version!: number;
}

export class PasswordResetResponse {
  @ApiProperty({ type: UserResponse })
  user!: UserResponse;

  @ApiPropertyOptional({
    description:
      'Only when generated: the temporary password, shown this once (the service keeps only its hash)',
  })
  temporaryPassword?: string;
}

export class UserPage {
  @ApiProperty({ type: [UserResponse] })
  items!: UserResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export function toUserResponse(u: UserEntity): UserResponse {
  return {
    id: u.id,
    organizationId: u.organizationId,
    email: u.email,
    name: u.name,
    roles: u.roles,
    disabled: u.disabled,
    passwordChangeRequired: u.mustChangePassword,
    lockedUntil: u.lockedUntil?.toISOString() ?? null,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
    version: u.version,
  };
}
