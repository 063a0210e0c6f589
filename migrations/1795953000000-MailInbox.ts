import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The incident mailbox's intake (docs/operations.md#e-mail): every mail accepted over SMTP is
 * kept here, raw (bounded by MAIL_INTAKE_MAX_BYTES) with its parsed text, whether it became an
 * incident report (`accepted`), waits for a responder (`quarantined`), was released by one
 * (`released`) or refused (`rejected`). A resend of the same Message-ID from the same sender is
 * not filed twice. `incident_id` has no foreign key: incidents belong to the response context.
 */
export class MailInbox1795953000000 implements MigrationInterface {
  name = 'MailInbox1795953000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mail_inbox" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "message_id" text CHECK (length("message_id") BETWEEN 1 AND 500),
         "from_address" text NOT NULL CHECK (length("from_address") <= 320),
         "header_from" text CHECK (length("header_from") <= 1000),
         "to_addresses" text[] NOT NULL DEFAULT '{}' CHECK (cardinality("to_addresses") <= 50),
         "subject" text NOT NULL DEFAULT '' CHECK (length("subject") <= 300),
         "body" text NOT NULL DEFAULT '' CHECK (length("body") <= 100000),
         "size_bytes" integer NOT NULL CHECK ("size_bytes" >= 0),
         "raw" bytea NOT NULL,
         "raw_sha256" text NOT NULL CHECK ("raw_sha256" ~ '^[0-9a-f]{64}$'),
         "received_at" timestamptz NOT NULL DEFAULT now(),
         "status" text NOT NULL CHECK ("status" IN ('accepted', 'quarantined', 'released', 'rejected')),
         "reason" text CHECK (length("reason") <= 1000),
         "organization_id" uuid REFERENCES "organizations"("id") ON DELETE RESTRICT,
         "user_id" uuid REFERENCES "users"("id") ON DELETE SET NULL,
         "incident_id" uuid,
         "reviewed_by" uuid REFERENCES "users"("id") ON DELETE SET NULL,
         "reviewed_at" timestamptz,
         "attachments" jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof("attachments") = 'array'))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "mail_inbox_message_uq" ON "mail_inbox" ("message_id", "from_address") WHERE "message_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_inbox_received_idx" ON "mail_inbox" ("received_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_inbox_status_idx" ON "mail_inbox" ("status", "received_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_inbox_sender_idx" ON "mail_inbox" ("from_address", "received_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mail_inbox"`);
  }
}
