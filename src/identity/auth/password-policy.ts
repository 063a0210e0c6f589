import { randomBytes } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/**
 * The password policy, in one place: what a new password must be (set by an administrator, by
 * the person themselves, by ADMIN_PASSWORD or DEMO_PASSWORD), what a presented one may be (a
 * login, the current password of a change) and how the service makes one up.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Longer passwords are refused before any argon2 work. */
export const PASSWORD_MAX_LENGTH = 1024;

/** A generated password: 18 random bytes, 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/** A DTO field that sets a password: PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters. */
export function NewPassword(
  options: { optional?: boolean; description?: string } = {},
): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      required: !options.optional,
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      ...(options.description === undefined ? {} : { description: options.description }),
    }),
    ...(options.optional ? [IsOptional()] : []),
    IsString(),
    MinLength(PASSWORD_MIN_LENGTH),
    MaxLength(PASSWORD_MAX_LENGTH),
  );
}

/**
 * A DTO field that presents a password to be checked (a login, the current password of a
 * change): any non-empty text up to PASSWORD_MAX_LENGTH, since older passwords may predate the
 * policy.
 */
export function PresentedPassword(description?: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      example: 'correct horse battery staple',
      minLength: 1,
      maxLength: PASSWORD_MAX_LENGTH,
      ...(description === undefined ? {} : { description }),
    }),
    IsString(),
    MinLength(1),
    MaxLength(PASSWORD_MAX_LENGTH),
  );
}
