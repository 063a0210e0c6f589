import { Module } from '@nestjs/common';
import { AuthModule } from '#src/identity/auth/auth.module.js';
import { DirectoryModule } from '#src/identity/directory/directory.module.js';
import { OnboardingModule } from '#src/identity/onboarding/onboarding.module.js';

/**
 * The identity context: organizations, users, API clients, signing keys, login and tokens, and
 * the caller (`Principal`) every other context asks about. AuthModule brings the rest;
 * OnboardingModule serves the command line's administration.
 */
@Module({ imports: [AuthModule, OnboardingModule, DirectoryModule] })
export class IdentityModule {}
