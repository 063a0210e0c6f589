import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The response context's tables, written in parallel, linked: a case belongs to a unit (not any
 * organization), and an incident report links to an existing case.
 */
export class ResponseLinks1795955000000 implements MigrationInterface {
  name = 'ResponseLinks1795955000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "unit_cases" ADD CONSTRAINT "unit_cases_unit_fkey" FOREIGN KEY ("unit_id") REFERENCES "units" ("organization_id")`,
    );
    await queryRunner.query(
      `ALTER TABLE "incidents" ADD CONSTRAINT "incidents_case_fkey" FOREIGN KEY ("case_id") REFERENCES "unit_cases" ("id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "incidents_case_idx" ON "incidents" ("case_id") WHERE "case_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "incidents_case_idx"`);
    await queryRunner.query(`ALTER TABLE "incidents" DROP CONSTRAINT "incidents_case_fkey"`);
    await queryRunner.query(`ALTER TABLE "unit_cases" DROP CONSTRAINT "unit_cases_unit_fkey"`);
  }
}
