import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Password change at next login (docs/auth.md, "Changing a password"): an administrator's
 * password reset sets `must_change_password`; while it is set, the person's tokens allow only
 * POST /auth/change-password, which clears it. Existing people start without it.
 */
export class MustChangePassword1795941700000 implements MigrationInterface {
  name = 'MustChangePassword1795941700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "users" ADD "must_change_password" boolean NOT NULL DEFAULT false`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "must_change_password"`);
  }
}
