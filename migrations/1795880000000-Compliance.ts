import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ISP confirmations and compliance (issue 6): what each ISP stated about each assignment
 * (confirmations, optionally per item, and feed receipts that confirm by feed version), the
 * scheduler's marks for reminders and escalations, Idempotency-Key replays, webhook
 * subscriptions with their deliveries and attempts, and sightings.
 *
 * Tables without an entity are read and written with SQL by their repositories (like the feed
 * and the outbox). Nothing here is ever updated in place except the state columns named so:
 * confirmations are appended, the assignment keeps only what the latest one says.
 */
export class Compliance1795880000000 implements MigrationInterface {
  name = 'Compliance1795880000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of UP) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of DOWN) await queryRunner.query(sql);
  }
}

const MECHANISMS = `('rpz', 'acl', 'rtbh', 'proxy', 'other')`;
const SHA256 = `~ '^[0-9a-f]{64}$'`;

const UP = [
  // What the latest confirmation says, kept on the assignment for lists and reports.
  `ALTER TABLE "assignments"
     ADD COLUMN "acknowledged_at" timestamptz,
     ADD COLUMN "closed_at" timestamptz,
     ADD COLUMN "applied_at" timestamptz,
     ADD COLUMN "last_confirmation_id" uuid,
     ADD COLUMN "reminded_at" timestamptz,
     ADD COLUMN "escalated_at" timestamptz`,
  // Open assignments by deadline: the scheduler and the overdue filter.
  `CREATE INDEX "assignments_open_deadline_idx" ON "assignments" ("deadline_at")
     WHERE "status" IN ('pending', 'acknowledged')`,

  // "We applied feed version N at T": confirms every open assignment whose items that ISP
  // had received by version N.
  `CREATE TABLE "feed_receipts" (
     "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
     "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
     "version" bigint NOT NULL CHECK ("version" >= 1),
     "format" text NOT NULL,
     "applied_at" timestamptz NOT NULL,
     "mechanism" text NOT NULL CHECK ("mechanism" IN ${MECHANISMS}),
     "evidence" text,
     "sha256" text CHECK ("sha256" ${SHA256}),
     "hash_check" text NOT NULL CHECK ("hash_check" IN ('matched', 'mismatch', 'not_given')),
     "assignments_confirmed" integer NOT NULL DEFAULT 0,
     "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client')),
     "actor_id" uuid NOT NULL,
     "created_at" timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX "feed_receipts_org_idx" ON "feed_receipts" ("organization_id", "created_at" DESC, "id")`,

  // An ISP's statement on an assignment; corrections append, nothing is overwritten.
  `CREATE TABLE "confirmations" (
     "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
     "assignment_id" uuid NOT NULL REFERENCES "assignments" ("id"),
     "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
     "status" text NOT NULL CHECK ("status" IN ('applied', 'partially_applied', 'rejected')),
     "reason" text,
     "applied_at" timestamptz,
     "mechanism" text CHECK ("mechanism" IN ${MECHANISMS}),
     "evidence" text,
     "evidence_sha256" text CHECK ("evidence_sha256" ${SHA256}),
     "receipt_id" uuid REFERENCES "feed_receipts" ("id"),
     "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client')),
     "actor_id" uuid NOT NULL,
     "created_at" timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT "confirmations_reason_check" CHECK ("status" <> 'rejected' OR "reason" IS NOT NULL),
     CONSTRAINT "confirmations_applied_at_check" CHECK ("status" = 'rejected' OR "applied_at" IS NOT NULL))`,
  `CREATE INDEX "confirmations_assignment_idx" ON "confirmations" ("assignment_id", "created_at", "id")`,
  `CREATE INDEX "confirmations_receipt_idx" ON "confirmations" ("receipt_id") WHERE "receipt_id" IS NOT NULL`,
  `CREATE TABLE "confirmation_items" (
     "confirmation_id" uuid NOT NULL REFERENCES "confirmations" ("id"),
     "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
     "outcome" text NOT NULL CHECK ("outcome" IN ('applied', 'failed', 'not_applicable')),
     "reason" text,
     PRIMARY KEY ("confirmation_id", "indicator_id"),
     CONSTRAINT "confirmation_items_reason_check" CHECK ("outcome" = 'applied' OR "reason" IS NOT NULL))`,

  // What was served: the SHA-256 of a snapshot's (uncompressed) body, to check receipts against.
  `ALTER TABLE "feed_pulls" ADD COLUMN "sha256" text`,
  `CREATE INDEX "feed_pulls_org_version_idx" ON "feed_pulls" ("organization_id", "to_version")`,

  // Idempotency-Key: the first answer to (caller, key), replayed for a retry of the same body.
  `CREATE TABLE "idempotency_keys" (
     "principal_id" uuid NOT NULL,
     "key" text NOT NULL,
     "method" text NOT NULL,
     "path" text NOT NULL,
     "request_hash" bytea NOT NULL,
     "state" text NOT NULL CHECK ("state" IN ('in_flight', 'done')),
     "locked_until" timestamptz,
     "response_status" smallint,
     "response_headers" jsonb,
     "response_body" bytea,
     "created_at" timestamptz NOT NULL DEFAULT now(),
     "expires_at" timestamptz NOT NULL,
     PRIMARY KEY ("principal_id", "key"))`,
  `CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" ("expires_at")`,

  // Who gets an outbox message: organizations allowed to receive it (webhooks fan out to their
  // subscriptions). Earlier rows name nobody.
  `ALTER TABLE "outbox" ADD COLUMN "recipients" uuid[] NOT NULL DEFAULT '{}'`,

  `CREATE TABLE "webhook_subscriptions" (
     "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
     "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
     "url" text NOT NULL,
     "events" text[] NOT NULL CHECK (cardinality("events") > 0),
     "description" text,
     "secret_encrypted" bytea NOT NULL,
     "previous_secret_encrypted" bytea,
     "previous_secret_expires_at" timestamptz,
     "active" boolean NOT NULL DEFAULT true,
     "created_by" uuid,
     "created_at" timestamptz NOT NULL DEFAULT now(),
     "updated_at" timestamptz NOT NULL DEFAULT now(),
     "deleted_at" timestamptz,
     "version" integer NOT NULL DEFAULT 1)`,
  `CREATE INDEX "webhook_subscriptions_org_idx" ON "webhook_subscriptions" ("organization_id", "created_at", "id")`,
  `CREATE TABLE "webhook_deliveries" (
     "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
     "subscription_id" uuid NOT NULL REFERENCES "webhook_subscriptions" ("id"),
     "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
     "outbox_id" bigint REFERENCES "outbox" ("id"),
     "event_type" text NOT NULL,
     "payload" jsonb NOT NULL,
     "status" text NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'succeeded', 'dead')),
     "attempts" integer NOT NULL DEFAULT 0,
     "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
     "locked_until" timestamptz,
     "locked_by" text,
     "last_status" smallint,
     "last_error" text,
     "created_at" timestamptz NOT NULL DEFAULT now(),
     "delivered_at" timestamptz,
     "dead_at" timestamptz)`,
  `CREATE UNIQUE INDEX "webhook_deliveries_outbox_sub_key" ON "webhook_deliveries" ("outbox_id", "subscription_id")`,
  `CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
  `CREATE INDEX "webhook_deliveries_sub_idx" ON "webhook_deliveries" ("subscription_id", "created_at" DESC, "id")`,
  `CREATE TABLE "webhook_attempts" (
     "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     "delivery_id" uuid NOT NULL REFERENCES "webhook_deliveries" ("id"),
     "attempt" integer NOT NULL,
     "worker" text NOT NULL,
     "started_at" timestamptz NOT NULL,
     "duration_ms" integer NOT NULL,
     "response_status" smallint,
     "error" text,
     UNIQUE ("delivery_id", "attempt"))`,

  // An ISP's report of hits on an indicator: who (which network or customer) contacts it.
  `CREATE TABLE "sightings" (
     "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
     "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
     "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
     "count" bigint NOT NULL CHECK ("count" > 0),
     "first_seen" timestamptz NOT NULL,
     "last_seen" timestamptz NOT NULL,
     "network" cidr,
     "customer" text,
     "note" text,
     "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client')),
     "actor_id" uuid NOT NULL,
     "created_at" timestamptz NOT NULL DEFAULT now(),
     CONSTRAINT "sightings_seen_check" CHECK ("last_seen" >= "first_seen"),
     CONSTRAINT "sightings_source_check" CHECK ("network" IS NOT NULL OR "customer" IS NOT NULL))`,
  `CREATE INDEX "sightings_indicator_idx" ON "sightings" ("indicator_id", "last_seen" DESC)`,
  `CREATE INDEX "sightings_org_idx" ON "sightings" ("organization_id", "created_at" DESC, "id")`,
];

const DOWN = [
  `DROP TABLE "sightings"`,
  `DROP TABLE "webhook_attempts"`,
  `DROP TABLE "webhook_deliveries"`,
  `DROP TABLE "webhook_subscriptions"`,
  `ALTER TABLE "outbox" DROP COLUMN "recipients"`,
  `DROP TABLE "idempotency_keys"`,
  `DROP INDEX "feed_pulls_org_version_idx"`,
  `ALTER TABLE "feed_pulls" DROP COLUMN "sha256"`,
  `DROP TABLE "confirmation_items"`,
  `DROP TABLE "confirmations"`,
  `DROP TABLE "feed_receipts"`,
  `DROP INDEX "assignments_open_deadline_idx"`,
  `ALTER TABLE "assignments"
     DROP COLUMN "acknowledged_at",
     DROP COLUMN "closed_at",
     DROP COLUMN "applied_at",
     DROP COLUMN "last_confirmation_id",
     DROP COLUMN "reminded_at",
     DROP COLUMN "escalated_at"`,
];
