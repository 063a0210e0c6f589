import type { Logger } from 'pino';
import type { PlatformConfig } from '#src/platform/config/index.js';
import { EmbeddedPostgres } from '#src/platform/database/embedded-postgres.js';

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
  });
  return { url: embedded.url, embedded };
}
