/** Network-level failures reaching the server (node `net` / `dns` error codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs meaning "the server is not there right now": class 08 (connection exception),
 * 57P01–57P03 (admin/crash shutdown, cannot connect now), 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
}

/** Messages node-postgres uses for a lost or unobtainable connection (it sets no code). */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'Query read timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

interface MaybeDbError {
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

/**
 * Whether an error means the database is unreachable (as opposed to a bad query). Such errors
 * answer 503 with Retry-After: the client did nothing wrong and may simply try again.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 3) return false;
  const e = error as MaybeDbError;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || isUnavailableSqlState(e.code))) {
    return true;
  }
  if (
    typeof e.message === 'string' &&
    PG_CONNECTION_MESSAGES.some((m) => String(e.message).includes(m))
  ) {
    return true;
  }
  return (
    isDatabaseUnavailable(e.driverError, depth + 1) || isDatabaseUnavailable(e.cause, depth + 1)
  );
}

/** The SQLSTATE of a PostgreSQL error, looking through TypeORM's QueryFailedError wrapper. */
export function sqlState(error: unknown): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const e = error as MaybeDbError;
  const inner = (e.driverError ?? e) as MaybeDbError;
  return typeof inner.code === 'string' && /^[0-9A-Z]{5}$/.test(inner.code)
    ? inner.code
    : undefined;
}

/** The unique constraint (index) a PostgreSQL unique violation (23505) names; else undefined. */
export function uniqueViolation(error: unknown): string | undefined {
  if (sqlState(error) !== '23505') return undefined;
  const e = error as MaybeDbError & {
    constraint?: unknown;
    driverError?: { constraint?: unknown };
  };
  const constraint = e.driverError?.constraint ?? e.constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}
