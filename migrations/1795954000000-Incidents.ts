import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incident reports to the provincial response team (docs/units-and-incidents.md): the report
 * (`incidents`), its files (`incident_attachments`) and its conversation and lifecycle
 * (`incident_events`). `case_id` has no foreign key here: the cases' table comes with its own
 * migration, which adds it.
 */
export class Incidents1795954000000 implements MigrationInterface {
  name = 'Incidents1795954000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE "incident_reference_seq" AS bigint`);
    await queryRunner.query(
      `CREATE TABLE "incidents" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "reference" text NOT NULL CONSTRAINT "incidents_reference_key" UNIQUE
           CHECK ("reference" ~ '^INC-[0-9]{4}-[0-9]{6,}$'),
         "reporter_organization_id" uuid NOT NULL REFERENCES "organizations" ("id"),
         "reporter_type" text NOT NULL CHECK ("reporter_type" IN ('user', 'api_client', 'email')),
         "reporter_id" uuid,
         "reporter_email" text CHECK (length("reporter_email") <= 254),
         "source" text NOT NULL CHECK ("source" IN ('api', 'email')),
         "category" text NOT NULL CHECK ("category" IN ('malware', 'botnet', 'phishing', 'ddos', 'intrusion', 'defacement', 'data_leak', 'vulnerability', 'spam', 'other')),
         "severity" text NOT NULL CHECK ("severity" IN ('low', 'medium', 'high', 'critical')),
         "title" text NOT NULL CHECK (length("title") BETWEEN 1 AND 300),
         "affected_systems" text CHECK (length("affected_systems") <= 4000),
         "description" text NOT NULL CHECK (length("description") BETWEEN 1 AND 20000),
         "indicators" jsonb NOT NULL DEFAULT '[]'
           CHECK (jsonb_typeof("indicators") = 'array' AND jsonb_array_length("indicators") <= 1000),
         "occurred_at" timestamptz,
         "status" text NOT NULL DEFAULT 'new' CHECK ("status" IN ('new', 'triaged', 'awaiting_information', 'resolved', 'closed')),
         "assignee_id" uuid REFERENCES "users" ("id"),
         "case_id" uuid,
         "request_id" uuid REFERENCES "blocking_requests" ("id"),
         "due_at" timestamptz NOT NULL,
         "reminded_at" timestamptz,
         "escalated_at" timestamptz,
         "resolution" text CHECK (length("resolution") <= 8000),
         "resolved_at" timestamptz,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "updated_at" timestamptz NOT NULL DEFAULT now(),
         "version" integer NOT NULL DEFAULT 1)`,
    );
    await queryRunner.query(
      `CREATE INDEX "incidents_created_idx" ON "incidents" ("created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "incidents_org_created_idx" ON "incidents" ("reporter_organization_id", "created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "incidents_status_created_idx" ON "incidents" ("status", "created_at" DESC, "id" DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX "incidents_open_due_idx" ON "incidents" ("due_at") WHERE "status" NOT IN ('resolved', 'closed')`,
    );
    await queryRunner.query(
      `CREATE TABLE "incident_attachments" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "incident_id" uuid NOT NULL REFERENCES "incidents" ("id") ON DELETE CASCADE,
         "filename" text NOT NULL CHECK (length("filename") BETWEEN 1 AND 200),
         "content_type" text NOT NULL CHECK (length("content_type") <= 100),
         "size_bytes" integer NOT NULL CHECK ("size_bytes" BETWEEN 1 AND 104857600),
         "sha256" text NOT NULL CHECK ("sha256" ~ '^[0-9a-f]{64}$'),
         "content" bytea NOT NULL,
         "uploaded_by_type" text NOT NULL CHECK ("uploaded_by_type" IN ('user', 'api_client', 'email')),
         "uploaded_by_id" uuid,
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(
      `CREATE INDEX "incident_attachments_incident_idx" ON "incident_attachments" ("incident_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "incident_events" (
         "id" uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
         "seq" bigint GENERATED ALWAYS AS IDENTITY,
         "incident_id" uuid NOT NULL REFERENCES "incidents" ("id") ON DELETE CASCADE,
         "kind" text NOT NULL CHECK ("kind" IN ('created', 'assigned', 'information_requested', 'information_provided', 'note', 'case_linked', 'request_drafted', 'status_changed', 'reminder', 'overdue', 'attachment_added')),
         "actor_type" text NOT NULL CHECK ("actor_type" IN ('user', 'api_client', 'email', 'system')),
         "actor_id" uuid,
         "organization_id" uuid REFERENCES "organizations" ("id"),
         "body" text CHECK (length("body") <= 8000),
         "created_at" timestamptz NOT NULL DEFAULT now())`,
    );
    await queryRunner.query(
      `CREATE INDEX "incident_events_incident_idx" ON "incident_events" ("incident_id", "seq")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "incident_events"`);
    await queryRunner.query(`DROP TABLE "incident_attachments"`);
    await queryRunner.query(`DROP TABLE "incidents"`);
    await queryRunner.query(`DROP SEQUENCE "incident_reference_seq"`);
  }
}
