import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  chainHash,
  eventDigest,
  GENESIS_HASH,
  type AuditEventFields,
} from '#src/audit/trail/chain.js';

/** The role the service's connections switch to (DB_APP_ROLE); cluster-wide, so created once. */
export const APP_ROLE = 'threat_exchange_app';

/** Tables the application may only append to and read. */
const APPEND_ONLY = ['audit_events', 'audit_checkpoints'];

interface LegacyRow {
  id: string;
  at: Date;
  actor_type: AuditEventFields['actorType'];
  actor_id: string | null;
  organization_id: string | null;
  roles: string[];
  action: string;
  object_type: string;
  object_id: string | null;
  summary: Record<string, unknown>;
  request_id: string | null;
  client_ip: string | null;
}

/**
 * The tamper-evident audit trail (docs/decisions/0012-audit-trail.md):
 * - `audit_events` gains a dense `seq`, the event's `digest` and the chain `hash`; rows already
 *   there are chained in `id` order (their times cut to milliseconds, the chain's precision);
 * - `audit_head` is the one row writers lock to append (it holds the last seq and hash);
 * - `audit_checkpoints` and `audit_keys` hold the signed checkpoints and their Ed25519 keys;
 * - the application role `threat_exchange_app` may read and append to the audit tables but not
 *   change them, and triggers refuse UPDATE, DELETE and TRUNCATE there for everyone.
 */
export class AuditChain1795890000000 implements MigrationInterface {
  name = 'AuditChain1795890000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "audit_events"
         ADD COLUMN "seq" bigint, ADD COLUMN "digest" bytea, ADD COLUMN "hash" bytea`,
    );
    await queryRunner.query(
      `UPDATE "audit_events" SET "at" = date_trunc('milliseconds', "at")
        WHERE "at" <> date_trunc('milliseconds', "at")`,
    );
    let previous: Buffer = GENESIS_HASH;
    let seq = 0;
    let lastId = '0';
    for (;;) {
      const rows = (await queryRunner.query(
        `SELECT * FROM "audit_events" WHERE "id" > $1 ORDER BY "id" LIMIT 5000`,
        [lastId],
      )) as LegacyRow[];
      if (rows.length === 0) break;
      const seqs: number[] = [];
      const digests: Buffer[] = [];
      const hashes: Buffer[] = [];
      for (const row of rows) {
        const digest = eventDigest({
          at: row.at.toISOString(),
          actorType: row.actor_type,
          actorId: row.actor_id,
          organizationId: row.organization_id,
          roles: row.roles,
          action: row.action,
          objectType: row.object_type,
          objectId: row.object_id,
          summary: row.summary,
          requestId: row.request_id,
          clientIp: row.client_ip,
        });
        previous = chainHash(previous, digest);
        seqs.push(++seq);
        digests.push(digest);
        hashes.push(previous);
      }
      await queryRunner.query(
        `UPDATE "audit_events" e SET "seq" = v.seq, "digest" = v.digest, "hash" = v.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS v(id, seq, digest, hash)
          WHERE e."id" = v.id`,
        [rows.map((r) => r.id), seqs, digests, hashes],
      );
      lastId = rows[rows.length - 1].id;
    }
    await queryRunner.query(
      `ALTER TABLE "audit_events"
         ALTER COLUMN "seq" SET NOT NULL, ALTER COLUMN "digest" SET NOT NULL,
         ALTER COLUMN "hash" SET NOT NULL, ALTER COLUMN "at" DROP DEFAULT,
         ADD CONSTRAINT "audit_events_seq_key" UNIQUE ("seq"),
         ADD CONSTRAINT "audit_events_seq_check" CHECK ("seq" > 0),
         ADD CONSTRAINT "audit_events_digest_check" CHECK (octet_length("digest") = 32),
         ADD CONSTRAINT "audit_events_hash_check" CHECK (octet_length("hash") = 32)`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_events_actor_idx" ON "audit_events" ("actor_id", "at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_events_organization_idx" ON "audit_events" ("organization_id", "at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_events_action_idx" ON "audit_events" ("action" text_pattern_ops, "at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_head" (
         "id" boolean PRIMARY KEY DEFAULT true CHECK ("id"),
         "seq" bigint NOT NULL CHECK ("seq" >= 0),
         "hash" bytea NOT NULL CHECK (octet_length("hash") = 32))`,
    );
    await queryRunner.query(`INSERT INTO "audit_head" ("seq", "hash") VALUES ($1, $2)`, [
      seq,
      previous,
    ]);
    await queryRunner.query(
      `CREATE TABLE "audit_keys" (
         "key_id" text PRIMARY KEY,
         "public_key" text NOT NULL,
         "private_key_encrypted" bytea NOT NULL,
         "created_at" timestamptz NOT NULL DEFAULT now(),
         "retired_at" timestamptz)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "audit_keys_one_active" ON "audit_keys" ((true)) WHERE "retired_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "audit_checkpoints" (
         "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         "size" bigint NOT NULL CHECK ("size" >= 0),
         "head" bytea NOT NULL CHECK (octet_length("head") = 32),
         "time" timestamptz NOT NULL,
         "key_id" text NOT NULL REFERENCES "audit_keys" ("key_id"),
         "signature" bytea NOT NULL,
         "reason" text NOT NULL CHECK ("reason" IN ('interval', 'export', 'verify')))`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_checkpoints_size_idx" ON "audit_checkpoints" ("size")`,
    );
    await queryRunner.query(
      `CREATE FUNCTION "audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
           USING ERRCODE = 'insufficient_privilege';
       END $$`,
    );
    for (const table of APPEND_ONLY) {
      await queryRunner.query(
        `CREATE TRIGGER "${table}_no_update_delete" BEFORE UPDATE OR DELETE ON "${table}"
           FOR EACH ROW EXECUTE FUNCTION "audit_append_only"()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "${table}"
           FOR EACH STATEMENT EXECUTE FUNCTION "audit_append_only"()`,
      );
    }
    await this.appRole(queryRunner);
  }

  /**
   * The role the service runs as. Created if missing (it is cluster-wide: another database of
   * the same server may have created it); without the right to create roles, the migration
   * says so and the operator creates it (docs/operations.md).
   */
  private async appRole(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DO $$
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
           CREATE ROLE ${APP_ROLE} NOLOGIN;
         END IF;
         IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
            AND NOT pg_has_role(current_user, '${APP_ROLE}', 'MEMBER') THEN
           EXECUTE format('GRANT ${APP_ROLE} TO %I', current_user);
         END IF;
       EXCEPTION WHEN insufficient_privilege THEN
         RAISE WARNING 'could not create role ${APP_ROLE} or grant it to %: create it as described in docs/operations.md', current_user;
       END $$`,
    );
    const [exists] = (await queryRunner.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      APP_ROLE,
    ])) as unknown[];
    if (exists === undefined) return;
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}`,
    );
    await queryRunner.query(
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}`,
    );
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public
         GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO ${APP_ROLE}`,
    );
    await queryRunner.query(
      `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${APP_ROLE}`,
    );
    for (const table of APPEND_ONLY) {
      await queryRunner.query(`REVOKE UPDATE, DELETE, TRUNCATE ON "${table}" FROM ${APP_ROLE}`);
    }
    await queryRunner.query(
      `REVOKE DELETE, TRUNCATE ON "audit_head", "audit_keys" FROM ${APP_ROLE}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DO $$
       BEGIN
         IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_ROLE}') THEN
           ALTER DEFAULT PRIVILEGES IN SCHEMA public
             REVOKE SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES FROM ${APP_ROLE};
           ALTER DEFAULT PRIVILEGES IN SCHEMA public
             REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM ${APP_ROLE};
           REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${APP_ROLE};
           REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${APP_ROLE};
           REVOKE USAGE ON SCHEMA public FROM ${APP_ROLE};
         END IF;
       END $$`,
    );
    await queryRunner.query(`DROP TABLE "audit_checkpoints"`);
    await queryRunner.query(`DROP TABLE "audit_keys"`);
    await queryRunner.query(`DROP TABLE "audit_head"`);
    for (const table of APPEND_ONLY.slice(0, 1)) {
      await queryRunner.query(`DROP TRIGGER "${table}_no_truncate" ON "${table}"`);
      await queryRunner.query(`DROP TRIGGER "${table}_no_update_delete" ON "${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION "audit_append_only"()`);
    await queryRunner.query(`DROP INDEX "audit_events_action_idx"`);
    await queryRunner.query(`DROP INDEX "audit_events_organization_idx"`);
    await queryRunner.query(`DROP INDEX "audit_events_actor_idx"`);
    await queryRunner.query(
      `ALTER TABLE "audit_events"
         DROP COLUMN "seq", DROP COLUMN "digest", DROP COLUMN "hash",
         ALTER COLUMN "at" SET DEFAULT now()`,
    );
  }
}
