import { IntInRange } from '#src/platform/config/index.js';

/** Publishing's settings: bulk imports, large item bodies, the expiry job. */
export class PublishingConfig {
  /** Largest body of one bulk import (POST /imports), in bytes (then 413). */
  @IntInRange(1024, 4 * 1024 * 1024 * 1024)
  IMPORT_MAX_BYTES = 512 * 1024 * 1024;

  /** Most rows in one bulk import. */
  @IntInRange(1, 10_000_000)
  IMPORT_MAX_ROWS = 1_000_000;

  /** Bulk imports running at once on one instance (each holds a database connection); then 429. */
  @IntInRange(1, 64)
  IMPORT_MAX_CONCURRENT = 2;

  /** Seconds an import upload may send nothing before it fails (408). */
  @IntInRange(1, 3600)
  IMPORT_IDLE_TIMEOUT_S = 60;

  /** Largest JSON body that adds items to a blocking request (100,000 values fit), in bytes. */
  @IntInRange(1024, 1024 * 1024 * 1024)
  ITEMS_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

  /** Seconds between runs of the expiry job (indicators past valid_until); 0 turns it off. */
  @IntInRange(0, 86400)
  EXPIRY_INTERVAL_S = 60;
}
