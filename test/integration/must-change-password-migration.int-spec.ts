import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { createDataSource } from '#src/platform/database/data-source.js';
import { runMigrations } from '#src/platform/database/migrations.js';
import { revertThrough } from '#test/support/migrations.js';
import { freshDatabase } from '#test/support/database-urls.js';

const DB = { DB_POOL_MAX: 2, DB_CONNECT_TIMEOUT_MS: 5000, DB_STATEMENT_TIMEOUT_MS: 0 };
const MIGRATION = 'MustChangePassword1795941700000';

/** MustChangePassword: existing people need no change; the column comes and goes. */
describe('MustChangePassword migration', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let ds: DataSource;
  const org = '10000000-0000-4000-8000-000000000001';
  const user = '10000000-0000-4000-8000-000000000002';

  const column = async () =>
    ds.query<{ data_type: string; is_nullable: string; column_default: string | null }[]>(
      `SELECT data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_name = 'users' AND column_name = 'must_change_password'`,
    );

  beforeAll(async () => {
    db = await freshDatabase();
    ds = await createDataSource(db.url, DB);
    await ds.initialize();
    await revertThrough(ds, MIGRATION);
    await ds.query(
      `INSERT INTO organizations (id, kind, name, short_code, version)
       VALUES ($1, 'department', 'D', 'DIC-M', 1)`,
      [org],
    );
    await ds.query(
      `INSERT INTO users (id, organization_id, email, name, roles, password_hash, version)
       VALUES ($1, $2, 'someone@test.example', 'Someone', ARRAY['analyst'], 'x', 1)`,
      [user, org],
    );
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('adds a NOT NULL column, false for the people who exist and by default', async () => {
    expect(await column()).toEqual([
      { data_type: 'boolean', is_nullable: 'NO', column_default: 'false' },
    ]);
    expect(await ds.query(`SELECT must_change_password FROM users WHERE id = $1`, [user])).toEqual([
      { must_change_password: false },
    ]);
  });

  it('reverts cleanly (with any later migrations), and applies again', async () => {
    await revertThrough(ds, MIGRATION);
    expect(await column()).toEqual([]);
    await runMigrations(ds);
    expect(await column()).toHaveLength(1);
  });
});
