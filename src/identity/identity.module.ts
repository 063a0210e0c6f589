import { Module } from '@nestjs/common';
import { AuthModule } from '#src/identity/auth/auth.module.js';

/**
 * The identity context: organizations, users, API clients, signing keys, login and tokens, and
 * the caller (`Principal`) every other context asks about. AuthModule brings the rest.
 */
@Module({ imports: [AuthModule] })
export class IdentityModule {}
