import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases of botnet connections (docs/units-and-incidents.md): one active (not closed) case per
 * unit, the connections it is made of (an internal address talking to a C2), and the history of
 * its states. The unit is an organization (of kind `unit`); the response context writes all
 * three tables, through SQL (no entities).
 */
export class UnitCases1795952000000 implements MigrationInterface {
  name = 'UnitCases1795952000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "unit_cases" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "unit_id" uuid NOT NULL REFERENCES "organizations" ("id"),
         "status" text NOT NULL CHECK ("status" IN ('open', 'acknowledged', 'remediated', 'closed')),
         "opened_at" timestamptz NOT NULL,
         "deadline_at" timestamptz NOT NULL,
         "first_seen" timestamptz NOT NULL,
         "last_seen" timestamptz NOT NULL,
         "acknowledged_at" timestamptz,
         "acknowledged_by_type" text CHECK ("acknowledged_by_type" IN ('user', 'api_client')),
         "acknowledged_by" uuid,
         "remediation" jsonb,
         "remediated_at" timestamptz,
         "remediated_by_type" text CHECK ("remediated_by_type" IN ('user', 'api_client')),
         "remediated_by" uuid,
         "closed_at" timestamptz,
         "reopen_count" integer NOT NULL DEFAULT 0 CHECK ("reopen_count" >= 0),
         "reopened_at" timestamptz,
         "reminded_at" timestamptz,
         "escalated_at" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         "version" integer NOT NULL DEFAULT 1,
         CHECK ("first_seen" <= "last_seen"),
         CHECK (("status" = 'closed') = ("closed_at" IS NOT NULL)),
         CHECK ("status" <> 'remediated' OR ("remediation" IS NOT NULL AND "remediated_at" IS NOT NULL)))`,
    );
    // One active case per unit: a new connection finds it, or reopens or opens one.
    await queryRunner.query(
      `CREATE UNIQUE INDEX "unit_cases_active_unit_idx" ON "unit_cases" ("unit_id") WHERE "status" <> 'closed'`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_cases_unit_closed_idx" ON "unit_cases" ("unit_id", "closed_at" DESC) WHERE "status" = 'closed'`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_cases_created_idx" ON "unit_cases" ("created_at" DESC, "id" DESC)`,
    );
    // The scheduler's work: reminders and escalations of open cases, closing remediated ones.
    await queryRunner.query(
      `CREATE INDEX "unit_cases_deadline_idx" ON "unit_cases" ("deadline_at") WHERE "status" IN ('open', 'acknowledged')`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_cases_remediated_idx" ON "unit_cases" ("remediated_at") WHERE "status" = 'remediated'`,
    );
    await queryRunner.query(
      `CREATE TABLE "unit_connections" (
         "case_id" uuid NOT NULL REFERENCES "unit_cases" ("id") ON DELETE CASCADE,
         "address" cidr NOT NULL,
         "c2_type" text NOT NULL CHECK (length("c2_type") BETWEEN 1 AND 32),
         "c2_value" text NOT NULL CHECK (length("c2_value") BETWEEN 1 AND 4096),
         "id" bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
         "indicator_id" uuid REFERENCES "indicators" ("id"),
         "count" bigint NOT NULL CHECK ("count" > 0),
         "first_seen" timestamptz NOT NULL,
         "last_seen" timestamptz NOT NULL,
         "last_reported_by" uuid REFERENCES "organizations" ("id"),
         CHECK ("first_seen" <= "last_seen"),
         PRIMARY KEY ("case_id", "address", "c2_type", "c2_value"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_connections_case_last_seen_idx" ON "unit_connections" ("case_id", "last_seen" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE TABLE "unit_case_history" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "case_id" uuid NOT NULL REFERENCES "unit_cases" ("id") ON DELETE CASCADE,
         "from_status" text,
         "to_status" text NOT NULL,
         "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client', 'system')),
         "actor_id" uuid,
         "reason" text CHECK (length("reason") <= 4000),
         "at" timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(
      `CREATE INDEX "unit_case_history_case_idx" ON "unit_case_history" ("case_id", "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "unit_case_history"`);
    await queryRunner.query(`DROP TABLE "unit_connections"`);
    await queryRunner.query(`DROP TABLE "unit_cases"`);
  }
}
