import type { DataSource } from 'typeorm';
import { revertLastMigration } from '#src/platform/database/migrations.js';

/** Undoes migrations, newest first, down to and including `name`: the schema just before it. */
export async function revertThrough(ds: DataSource, name: string): Promise<void> {
  for (;;) {
    const [last] = await ds.query<{ name: string }[]>(
      `SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1`,
    );
    if (last === undefined) throw new Error(`migration ${name} was never applied`);
    await revertLastMigration(ds);
    if (last.name === name) return;
  }
}
