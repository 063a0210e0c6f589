import type { Logger } from 'pino';
import type { PlatformConfig } from '#src/platform/config/index.js';
import {
  EmbeddedPostgres,
  resetEmbeddedPostgres,
} from '#src/platform/database/embedded-postgres.js';

export const EMBEDDED_DATABASE_NAME = 'threat_exchange';

export interface DatabaseTarget {
  url: string;
  /** Set when we started (or adopted) the embedded server: stop it when done. */
  embedded?: EmbeddedPostgres;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL in EMBEDDED_PG_DIR, started now. */
export async function resolveDatabase(
  config: PlatformConfig,
  logger: Logger,
  options: { attachIfInUse?: boolean } = {},
): Promise<DatabaseTarget> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL };
  const log = logger.child({ context: 'EmbeddedPostgres' });
  const embedded = await EmbeddedPostgres.start({
    dataDir: config.EMBEDDED_PG_DIR,
    database: EMBEDDED_DATABASE_NAME,
    log: (message, fields) => log.info(fields ?? {}, message),
    attachIfInUse: options.attachIfInUse,
    port: config.EMBEDDED_PG_PORT || undefined,
  });
  if (config.NODE_ENV !== 'production' && !options.attachIfInUse) {
    // For a developer: the database is theirs to look into (its password is in its data dir).
    log.info(
      { url: embedded.url, psql: 'npm run db:psql' },
      `embedded PostgreSQL: psql "${embedded.url}" (or npm run db:psql)`,
    );
  }
  return { url: embedded.url, embedded };
}

/** `npm run db:reset`: removes EMBEDDED_PG_DIR, refused while a service uses it. */
export async function resetEmbeddedDatabase(config: PlatformConfig): Promise<'removed' | 'absent'> {
  if (config.DATABASE_URL) {
    throw new Error('DATABASE_URL is set: db:reset removes only the embedded PostgreSQL');
  }
  return resetEmbeddedPostgres(config.EMBEDDED_PG_DIR);
}
