import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revocation that reaches access tokens (docs/decisions/0014-token-revocation.md): every user
 * and API client has a token generation, copied into the `gen` claim of each access token
 * issued to it. Ending all of a caller's tokens (a new password, a disabled user, a rotated
 * client secret) increments it; a token whose `gen` is lower is refused. Existing rows start at
 * 0, the value a token without the claim counts as.
 */
export class TokenGenerations1795910000000 implements MigrationInterface {
  name = 'TokenGenerations1795910000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "users" ADD "token_generation" integer NOT NULL DEFAULT 0`,
    );
    await queryRunner.query(
      `ALTER TABLE "api_clients" ADD "token_generation" integer NOT NULL DEFAULT 0`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_clients" DROP COLUMN "token_generation"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "token_generation"`);
  }
}
