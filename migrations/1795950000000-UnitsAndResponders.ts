import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The rest of the letter (docs/units-and-incidents.md): organizations of kind `unit` (communes,
 * offices, agencies), the `responder` role (the provincial incident response team, in the
 * Department) and the `unit_officer` role (a unit's person); and the mail outbox, through which
 * every notice and reminder e-mail is sent (written in the transaction of what it tells).
 */
export class UnitsAndResponders1795950000000 implements MigrationInterface {
  name = 'UnitsAndResponders1795950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "organizations" DROP CONSTRAINT "organizations_kind_check", ADD CONSTRAINT "organizations_kind_check" CHECK ("kind" IN ('department', 'isp', 'authority', 'unit'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "users" DROP CONSTRAINT "users_roles_check", ADD CONSTRAINT "users_roles_check" CHECK (cardinality("roles") > 0 AND "roles" <@ ARRAY['admin', 'analyst', 'approver', 'isp_operator', 'auditor', 'responder', 'unit_officer']::text[])`,
    );
    await queryRunner.query(
      `CREATE TABLE "mail_outbox" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "topic" text NOT NULL,
         "aggregate_id" uuid,
         "recipients" text[] NOT NULL CHECK (cardinality("recipients") BETWEEN 1 AND 50),
         "subject" text NOT NULL CHECK (length("subject") BETWEEN 1 AND 300),
         "body" text NOT NULL CHECK (length("body") <= 100000),
         "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'sending', 'sent', 'failed')),
         "attempts" integer NOT NULL DEFAULT 0,
         "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
         "lease_until" timestamptz,
         "last_error" text,
         "message_id" text,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "sent_at" timestamptz)`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox" ("next_attempt_at") WHERE "status" IN ('pending', 'sending')`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_outbox_created_idx" ON "mail_outbox" ("created_at" DESC, "id")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mail_outbox"`);
    await queryRunner.query(
      `ALTER TABLE "users" DROP CONSTRAINT "users_roles_check", ADD CONSTRAINT "users_roles_check" CHECK (cardinality("roles") > 0 AND "roles" <@ ARRAY['admin', 'analyst', 'approver', 'isp_operator', 'auditor']::text[])`,
    );
    await queryRunner.query(
      `ALTER TABLE "organizations" DROP CONSTRAINT "organizations_kind_check", ADD CONSTRAINT "organizations_kind_check" CHECK ("kind" IN ('department', 'isp', 'authority'))`,
    );
  }
}
