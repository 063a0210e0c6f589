import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DepartmentSide1795866919440 implements MigrationInterface {
  name = 'DepartmentSide1795866919440';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "indicators" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" text NOT NULL, "value" text COLLATE "C" NOT NULL, "status" text NOT NULL DEFAULT 'active', "tlp" text NOT NULL DEFAULT 'AMBER', "confidence" smallint, "tags" text array NOT NULL DEFAULT '{}', "source" text, "description" text, "valid_from" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "valid_until" TIMESTAMP WITH TIME ZONE, "first_seen_at" TIMESTAMP WITH TIME ZONE, "last_seen_at" TIMESTAMP WITH TIME ZONE, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "indicators_validity_check" CHECK ("valid_until" IS NULL OR "valid_until" > "valid_from"), CONSTRAINT "indicators_confidence_check" CHECK ("confidence" IS NULL OR ("confidence" >= 0 AND "confidence" <= 100)), CONSTRAINT "indicators_tlp_check" CHECK ("tlp" IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')), CONSTRAINT "indicators_status_check" CHECK ("status" IN ('active', 'expired', 'revoked')), CONSTRAINT "indicators_type_check" CHECK ("type" IN ('domain', 'ipv4', 'ipv6', 'cidr', 'url', 'md5', 'sha1', 'sha256')), CONSTRAINT "PK_6e24383c110600564187e92042e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "indicators_expiry_idx" ON "indicators"  ("valid_until") WHERE "status" = 'active'`,
    );
    await queryRunner.query(
      `CREATE INDEX "indicators_created_idx" ON "indicators"  ("created_at", "id") `,
    );
    await queryRunner.query(`CREATE INDEX "indicators_value_idx" ON "indicators"  ("value") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "indicators_type_value_key" ON "indicators"  ("type", "value") `,
    );
    await queryRunner.query(
      `CREATE TABLE "blocking_requests" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "document_number" text NOT NULL, "title" text NOT NULL, "legal_basis" text NOT NULL, "description" text, "category" text NOT NULL, "severity" text NOT NULL, "status" text NOT NULL DEFAULT 'draft', "targets_all" boolean NOT NULL, "target_organization_ids" uuid array NOT NULL DEFAULT '{}', "dns_action" text NOT NULL DEFAULT 'nxdomain', "ip_action" text NOT NULL DEFAULT 'drop', "deadline_hours" integer NOT NULL DEFAULT '24', "deadline_at" TIMESTAMP WITH TIME ZONE, "issued_by" uuid NOT NULL, "created_by" uuid NOT NULL, "submitted_by" uuid, "submitted_at" TIMESTAMP WITH TIME ZONE, "approved_by" uuid, "published_at" TIMESTAMP WITH TIME ZONE, "withdrawn_by" uuid, "withdrawn_at" TIMESTAMP WITH TIME ZONE, "withdrawal_reason" text, "completed_at" TIMESTAMP WITH TIME ZONE, "item_count" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "blocking_requests_two_person_check" CHECK ("approved_by" IS NULL OR ("approved_by" <> "submitted_by" AND "approved_by" <> "created_by")), CONSTRAINT "blocking_requests_deadline_hours_check" CHECK ("deadline_hours" >= 1 AND "deadline_hours" <= 720), CONSTRAINT "blocking_requests_targets_check" CHECK ("targets_all" OR cardinality("target_organization_ids") > 0), CONSTRAINT "blocking_requests_ip_action_check" CHECK ("ip_action" IN ('drop', 'null_route')), CONSTRAINT "blocking_requests_dns_action_check" CHECK ("dns_action" IN ('nxdomain', 'nodata', 'redirect')), CONSTRAINT "blocking_requests_severity_check" CHECK ("severity" IN ('low', 'medium', 'high', 'critical')), CONSTRAINT "blocking_requests_category_check" CHECK ("category" IN ('malware', 'botnet', 'phishing', 'fraud', 'gambling', 'illegal_content', 'other')), CONSTRAINT "blocking_requests_status_check" CHECK ("status" IN ('draft', 'pending_approval', 'published', 'completed', 'withdrawn')), CONSTRAINT "PK_736ed1abeb20484b3e1b6ffa2a1" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "blocking_requests_status_idx" ON "blocking_requests"  ("status") `,
    );
    await queryRunner.query(
      `CREATE INDEX "blocking_requests_created_idx" ON "blocking_requests"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "blocking_requests_document_number_key" ON "blocking_requests"  ("document_number") `,
    );
    await queryRunner.query(
      `CREATE TABLE "blocking_request_items" ("request_id" uuid NOT NULL, "indicator_id" uuid NOT NULL, "operation" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "blocking_request_items_operation_check" CHECK ("operation" IN ('block', 'unblock')), CONSTRAINT "PK_378f0b2cec3dab8b7f08f788aaf" PRIMARY KEY ("request_id", "indicator_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "blocking_request_items_indicator_idx" ON "blocking_request_items"  ("indicator_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "assignments" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "request_id" uuid NOT NULL, "organization_id" uuid NOT NULL, "status" text NOT NULL DEFAULT 'pending', "deadline_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "assignments_status_check" CHECK ("status" IN ('pending', 'acknowledged', 'applied', 'partially_applied', 'rejected', 'withdrawn')), CONSTRAINT "PK_c54ca359535e0012b04dcbd80ee" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "assignments_org_created_idx" ON "assignments"  ("organization_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "assignments_request_org_key" ON "assignments"  ("request_id", "organization_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "imports" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "organization_id" uuid NOT NULL, "created_by" uuid, "format" text NOT NULL, "mode" text NOT NULL, "status" text NOT NULL, "bytes_expected" bigint, "bytes_read" bigint NOT NULL DEFAULT '0', "rows_read" integer NOT NULL DEFAULT '0', "rows_created" integer NOT NULL DEFAULT '0', "rows_existing" integer NOT NULL DEFAULT '0', "rows_rejected" integer NOT NULL DEFAULT '0', "rejected" jsonb NOT NULL DEFAULT '[]', "error" text, "defaults" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "imports_format_check" CHECK ("format" IN ('json', 'csv', 'text')), CONSTRAINT "imports_mode_check" CHECK ("mode" IN ('reject', 'skip')), CONSTRAINT "imports_status_check" CHECK ("status" IN ('receiving', 'merging', 'succeeded', 'failed')), CONSTRAINT "PK_ea10c62f5eb1d75e83d8b5225db" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "imports_created_idx" ON "imports"  ("created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "protected_lists" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" text NOT NULL, "description" text, "origin" text NOT NULL, "source_version" integer, "enabled" boolean NOT NULL DEFAULT true, "revision" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "version" integer NOT NULL DEFAULT '1', CONSTRAINT "protected_lists_origin_check" CHECK ("origin" IN ('builtin', 'manual', 'misp')), CONSTRAINT "PK_8a39cb9b6c8f5452a07021af7ac" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "protected_lists_name_key" ON "protected_lists"  ("name") `,
    );
    await queryRunner.query(
      `CREATE TABLE "protected_entries" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "list_id" uuid NOT NULL, "kind" text NOT NULL, "value" text COLLATE "C" NOT NULL, "comment" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "protected_entries_kind_check" CHECK ("kind" IN ('hostname', 'cidr', 'string')), CONSTRAINT "PK_7f44866dee7edbf89fa69b36f7f" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "protected_entries_created_idx" ON "protected_entries"  ("list_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "protected_entries_list_value_key" ON "protected_entries"  ("list_id", "kind", "value") `,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_requests" ADD CONSTRAINT "FK_102c51a4592c9070829fc0b6268" FOREIGN KEY ("issued_by") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_request_items" ADD CONSTRAINT "FK_b214b2bc67a824539127b6b62c4" FOREIGN KEY ("request_id") REFERENCES "blocking_requests"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_request_items" ADD CONSTRAINT "FK_8266c61239b8fe5830d9de7f003" FOREIGN KEY ("indicator_id") REFERENCES "indicators"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "assignments" ADD CONSTRAINT "FK_a44a3bf55d50124c87b0fdca113" FOREIGN KEY ("request_id") REFERENCES "blocking_requests"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "assignments" ADD CONSTRAINT "FK_52d5e90e08abee4d047fc0cf513" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "protected_entries" ADD CONSTRAINT "FK_fdc2e87efefbbda2b1f15426fd4" FOREIGN KEY ("list_id") REFERENCES "protected_lists"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    // Tables without an entity: written with SQL by the feed, audit and outbox repositories.
    for (const sql of HAND_WRITTEN_UP) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of HAND_WRITTEN_DOWN) await queryRunner.query(sql);
    await queryRunner.query(
      `ALTER TABLE "protected_entries" DROP CONSTRAINT "FK_fdc2e87efefbbda2b1f15426fd4"`,
    );
    await queryRunner.query(
      `ALTER TABLE "assignments" DROP CONSTRAINT "FK_52d5e90e08abee4d047fc0cf513"`,
    );
    await queryRunner.query(
      `ALTER TABLE "assignments" DROP CONSTRAINT "FK_a44a3bf55d50124c87b0fdca113"`,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_request_items" DROP CONSTRAINT "FK_8266c61239b8fe5830d9de7f003"`,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_request_items" DROP CONSTRAINT "FK_b214b2bc67a824539127b6b62c4"`,
    );
    await queryRunner.query(
      `ALTER TABLE "blocking_requests" DROP CONSTRAINT "FK_102c51a4592c9070829fc0b6268"`,
    );
    await queryRunner.query(`DROP INDEX "public"."protected_entries_list_value_key"`);
    await queryRunner.query(`DROP INDEX "public"."protected_entries_created_idx"`);
    await queryRunner.query(`DROP TABLE "protected_entries"`);
    await queryRunner.query(`DROP INDEX "public"."protected_lists_name_key"`);
    await queryRunner.query(`DROP TABLE "protected_lists"`);
    await queryRunner.query(`DROP INDEX "public"."imports_created_idx"`);
    await queryRunner.query(`DROP TABLE "imports"`);
    await queryRunner.query(`DROP INDEX "public"."assignments_request_org_key"`);
    await queryRunner.query(`DROP INDEX "public"."assignments_org_created_idx"`);
    await queryRunner.query(`DROP TABLE "assignments"`);
    await queryRunner.query(`DROP INDEX "public"."blocking_request_items_indicator_idx"`);
    await queryRunner.query(`DROP TABLE "blocking_request_items"`);
    await queryRunner.query(`DROP INDEX "public"."blocking_requests_document_number_key"`);
    await queryRunner.query(`DROP INDEX "public"."blocking_requests_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."blocking_requests_status_idx"`);
    await queryRunner.query(`DROP TABLE "blocking_requests"`);
    await queryRunner.query(`DROP INDEX "public"."indicators_type_value_key"`);
    await queryRunner.query(`DROP INDEX "public"."indicators_value_idx"`);
    await queryRunner.query(`DROP INDEX "public"."indicators_created_idx"`);
    await queryRunner.query(`DROP INDEX "public"."indicators_expiry_idx"`);
    await queryRunner.query(`DROP TABLE "indicators"`);
  }
}

const HAND_WRITTEN_UP = [
  `CREATE SEQUENCE "protected_lists_revision_seq"`,
  `CREATE TABLE "indicator_status_history" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id") ON DELETE CASCADE,
    "from_status" text,
    "to_status" text NOT NULL CHECK ("to_status" IN ('active', 'expired', 'revoked')),
    "reason" text NOT NULL,
    "actor_id" uuid,
    "at" timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX "indicator_status_history_indicator_idx" ON "indicator_status_history" ("indicator_id", "id")`,
  `CREATE TABLE "protection_overrides" (
    "indicator_id" uuid PRIMARY KEY REFERENCES "indicators" ("id") ON DELETE CASCADE,
    "reason" text NOT NULL CHECK (length(btrim("reason")) > 0),
    "approved_by" uuid NOT NULL REFERENCES "users" ("id"),
    "matches" jsonb NOT NULL DEFAULT '[]',
    "created_at" timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE "blocking_request_history" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "request_id" uuid NOT NULL REFERENCES "blocking_requests" ("id") ON DELETE CASCADE,
    "from_status" text,
    "to_status" text NOT NULL,
    "actor_id" uuid,
    "comment" text,
    "at" timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX "blocking_request_history_request_idx" ON "blocking_request_history" ("request_id", "id")`,
  // The feed version counter: one row, locked by every transaction that writes feed changes,
  // so versions are dense and commit in order (docs/decisions/0005-feed-changes-and-versions.md).
  `CREATE TABLE "feed_version" (
    "singleton" boolean PRIMARY KEY DEFAULT true CHECK ("singleton"),
    "last" bigint NOT NULL CHECK ("last" >= 0))`,
  `INSERT INTO "feed_version" ("singleton", "last") VALUES (true, 0)`,
  `CREATE TABLE "feed_changes" (
    "version" bigint PRIMARY KEY,
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "op" text NOT NULL CHECK ("op" IN ('add', 'remove')),
    "reason" text NOT NULL CHECK ("reason" IN ('block', 'unblock', 'withdrawal', 'expiry', 'revocation')),
    "request_id" uuid REFERENCES "blocking_requests" ("id"),
    "created_at" timestamptz NOT NULL DEFAULT now())`,
  `CREATE INDEX "feed_changes_org_version_idx" ON "feed_changes" ("organization_id", "version")`,
  // Why an indicator is active for an ISP: one row per published block item still in force.
  `CREATE TABLE "feed_claims" (
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "request_id" uuid NOT NULL REFERENCES "blocking_requests" ("id"),
    PRIMARY KEY ("indicator_id", "organization_id", "request_id"))`,
  `CREATE INDEX "feed_claims_request_idx" ON "feed_claims" ("request_id")`,
  // Each ISP's active set (what its snapshots contain), kept in step with feed_changes.
  `CREATE TABLE "feed_active" (
    "organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
    "indicator_id" uuid NOT NULL REFERENCES "indicators" ("id"),
    "since_version" bigint NOT NULL,
    PRIMARY KEY ("organization_id", "indicator_id"))`,
  `CREATE INDEX "feed_active_indicator_idx" ON "feed_active" ("indicator_id")`,
  `CREATE TABLE "outbox" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "topic" text NOT NULL,
    "aggregate_id" uuid,
    "payload" jsonb NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "dispatched_at" timestamptz)`,
  `CREATE INDEX "outbox_pending_idx" ON "outbox" ("id") WHERE "dispatched_at" IS NULL`,
  `CREATE TABLE "audit_events" (
    "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "at" timestamptz NOT NULL DEFAULT now(),
    "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client', 'system')),
    "actor_id" uuid,
    "organization_id" uuid,
    "roles" text[] NOT NULL DEFAULT '{}',
    "action" text NOT NULL,
    "object_type" text NOT NULL,
    "object_id" text,
    "summary" jsonb NOT NULL DEFAULT '{}',
    "request_id" text,
    "client_ip" text)`,
  `CREATE INDEX "audit_events_at_idx" ON "audit_events" ("at")`,
  `CREATE INDEX "audit_events_object_idx" ON "audit_events" ("object_type", "object_id")`,
];

const HAND_WRITTEN_DOWN = [
  `DROP TABLE "audit_events"`,
  `DROP TABLE "outbox"`,
  `DROP TABLE "feed_active"`,
  `DROP TABLE "feed_claims"`,
  `DROP TABLE "feed_changes"`,
  `DROP TABLE "feed_version"`,
  `DROP TABLE "blocking_request_history"`,
  `DROP TABLE "protection_overrides"`,
  `DROP TABLE "indicator_status_history"`,
  `DROP SEQUENCE "protected_lists_revision_seq"`,
];
