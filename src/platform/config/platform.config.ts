import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MinLength } from 'class-validator';
import { emptyToUndefined, IntInRange, IsCidrList, toBool } from '#src/platform/config/config.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The runtime's settings, with no domain knowledge: environment, HTTP server, database, logging,
 * encryption at rest, idempotency. Any context may read it (NODE_ENV, KEY_ENCRYPTION_KEY and
 * BODY_LIMIT_BYTES are shared by several); it reads no other section.
 */
export class PlatformConfig {
  /**
   * `production` requires KEY_ENCRYPTION_KEY and refuses plain-http webhooks; `development`
   * allows both (a generated key in KEY_ENCRYPTION_KEY_FILE). Unset: `production` when
   * DATABASE_URL is set (a real deployment), `development` only on the embedded PostgreSQL (a
   * local trial), said loudly at start-up (see `impliedNodeEnv`).
   */
  @IsIn(['development', 'production', 'test'], {
    message: 'NODE_ENV must be one of development, production, test',
  })
  NODE_ENV: 'development' | 'production' | 'test' = 'production';

  @IsString({
    message: 'HOST must be an interface address or host name, e.g. 127.0.0.1 or 0.0.0.0',
  })
  @MinLength(1, { message: 'HOST must not be empty' })
  HOST = '127.0.0.1';

  @IntInRange(0, 65535)
  PORT = 3000;

  /**
   * The reverse proxies (load balancer, ingress) in front of the service, as comma-separated
   * CIDRs: from their connections only, `X-Forwarded-For` gives the client's address (what
   * rate limits count and audit events record) and `X-Forwarded-Proto`/`-Host` are believed.
   * Empty: no proxy is trusted and the connection's peer is the client.
   */
  @IsCidrList(
    'TRUST_PROXY_CIDRS must be a comma-separated list of CIDRs (e.g. 10.0.0.5/32,10.1.0.0/16), or empty',
  )
  TRUST_PROXY_CIDRS = '';

  /** Unset: an embedded PostgreSQL is started with its data in EMBEDDED_PG_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// or postgresql:// connection URL, or unset',
  })
  DATABASE_URL?: string;

  /**
   * The password of DATABASE_URL's user, when the URL holds none: kept out of the URL so that it
   * can come from a file (DATABASE_PASSWORD_FILE) and the URL can be written in plain sight.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString({ message: 'DATABASE_PASSWORD must be a string' })
  DATABASE_PASSWORD?: string;

  @IsString({ message: 'EMBEDDED_PG_DIR must be a directory path' })
  @MinLength(1, { message: 'EMBEDDED_PG_DIR must be a directory path' })
  EMBEDDED_PG_DIR = './data/postgres';

  /**
   * Port of the embedded PostgreSQL on 127.0.0.1. 0: the one kept in EMBEDDED_PG_DIR, chosen
   * free at its first start; either way the same at every start.
   */
  @IntInRange(0, 65535, ' (the port kept in EMBEDDED_PG_DIR)')
  EMBEDDED_PG_PORT = 0;

  @Transform(toBool)
  @IsBoolean({ message: 'DB_MIGRATIONS_RUN must be true or false' })
  DB_MIGRATIONS_RUN = true;

  @IntInRange(1, 200)
  DB_POOL_MAX = 10;

  /**
   * The role the service's connections act as (`SET ROLE` at connect): it may only read and
   * append to the audit tables. Empty: stay the login role (which then should be that role's
   * member, not the owner). Migrations always run as the login role.
   */
  @Matches(/^$|^[a-z_][a-z0-9_]{0,62}$/, {
    message: 'DB_APP_ROLE must be a PostgreSQL role name (lower case, digits, _) or empty',
  })
  DB_APP_ROLE = 'threat_exchange_app';

  @IntInRange(100, 60000)
  DB_CONNECT_TIMEOUT_MS = 3000;

  @IntInRange(0, 3600000, ' (off)')
  DB_STATEMENT_TIMEOUT_MS = 30000;

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  @IntInRange(1024, 1073741824)
  BODY_LIMIT_BYTES = 1048576;

  @IntInRange(100, 600000)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /**
   * Milliseconds a connection may stay silent (nothing received, nothing sent) before it is
   * closed: a client that opens a socket and sends nothing, or stops mid-request (0: off).
   */
  @IntInRange(0, 3600000, ' (off)')
  HTTP_IDLE_TIMEOUT_MS = 60000;

  /** Milliseconds an idle keep-alive connection is kept open between two requests. */
  @IntInRange(1000, 600000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72000;

  /**
   * Milliseconds the whole body of a request may take to arrive once its headers have: a body
   * still incomplete after that is answered 408 and the connection closed (0: off).
   */
  @IntInRange(0, 3600000, ' (off)')
  HTTP_BODY_TIMEOUT_MS = 60000;

  /**
   * Milliseconds a streamed answer (a feed snapshot) may wait for a client that stops reading:
   * after that the stream is cut and its database connection and transaction released.
   */
  @IntInRange(100, 3600000)
  HTTP_SEND_TIMEOUT_MS = 30000;

  /** Seconds a client is told to wait (`Retry-After`) while the database is unavailable. */
  @IntInRange(1, 3600)
  DB_UNAVAILABLE_RETRY_AFTER_S = 5;

  /**
   * 32 bytes, base64: encrypts secrets at rest (AES-256-GCM): the signing keys' private parts,
   * webhook secrets, stored idempotent answers. Required in production, here or in the file
   * named by KEY_ENCRYPTION_KEY_FILE; elsewhere, unset means the key in KEY_ENCRYPTION_KEY_FILE,
   * generated there if missing.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message:
      'KEY_ENCRYPTION_KEY must be 32 random bytes in base64 (44 characters; openssl rand -base64 32)',
  })
  KEY_ENCRYPTION_KEY?: string;

  /**
   * The file holding KEY_ENCRYPTION_KEY (one line; secret-files.ts). In production it is read
   * only when set, and must exist; outside production a missing file is created with a new key.
   */
  @IsString({ message: 'KEY_ENCRYPTION_KEY_FILE must be a file path' })
  @MinLength(1, { message: 'KEY_ENCRYPTION_KEY_FILE must be a file path' })
  KEY_ENCRYPTION_KEY_FILE = './data/key-encryption.key';

  /** Hours an Idempotency-Key and its stored answer are kept (a retry after that re-executes). */
  @IntInRange(1, 720)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;

  /**
   * Seconds a request holding an Idempotency-Key keeps it in flight; after that (an instance
   * that crashed mid-request) a retry with the same key may take it over and execute.
   */
  @IntInRange(5, 3600)
  IDEMPOTENCY_LEASE_S = 120;
}

/**
 * The NODE_ENV an environment without one runs as: `production`, except on the embedded
 * PostgreSQL (DATABASE_URL unset), which only serves to try the service: `development`.
 * Undefined when NODE_ENV is set.
 */
export function impliedNodeEnv(env: NodeJS.ProcessEnv): PlatformConfig['NODE_ENV'] | undefined {
  if (env.NODE_ENV !== undefined && env.NODE_ENV !== '') return undefined;
  return env.DATABASE_URL ? 'production' : 'development';
}

/** What the section's variables may not say together (one line each). */
export function platformConfigProblems(
  config: PlatformConfig,
  env: NodeJS.ProcessEnv = {},
): string[] {
  // With KEY_ENCRYPTION_KEY_FILE set, the key was read from it or its problem is already named.
  if (
    config.NODE_ENV !== 'production' ||
    config.KEY_ENCRYPTION_KEY ||
    env.KEY_ENCRYPTION_KEY_FILE
  ) {
    return [];
  }
  return [
    impliedNodeEnv(env) === 'production'
      ? 'KEY_ENCRYPTION_KEY (or KEY_ENCRYPTION_KEY_FILE) is required in production (NODE_ENV is unset and DATABASE_URL is set, which counts as production; set NODE_ENV=development to try the service without one)'
      : 'KEY_ENCRYPTION_KEY (or KEY_ENCRYPTION_KEY_FILE) is required when NODE_ENV=production',
  ];
}

/**
 * Puts DATABASE_PASSWORD into DATABASE_URL (percent-encoded, as the URL's password). Returns
 * one line per problem: a password without a URL, or a URL that already holds one.
 */
export function applyDatabasePassword(config: PlatformConfig): string[] {
  const password = config.DATABASE_PASSWORD;
  if (password === undefined) return [];
  if (!config.DATABASE_URL) {
    return ['DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE) needs DATABASE_URL'];
  }
  let url: URL;
  try {
    url = new URL(config.DATABASE_URL);
  } catch {
    return []; // DATABASE_URL's own check names the problem
  }
  if (url.password !== '') {
    return [
      'DATABASE_URL holds a password and DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE) is set: give it in one of them',
    ];
  }
  if (url.username === '') {
    return ['DATABASE_PASSWORD (or DATABASE_PASSWORD_FILE) needs a user name in DATABASE_URL'];
  }
  url.password = encodeURIComponent(password);
  config.DATABASE_URL = url.toString();
  return [];
}

/** Fastify's `trustProxy` for TRUST_PROXY_CIDRS: the CIDRs, or false when none. */
export function trustedProxies(
  config: Pick<PlatformConfig, 'TRUST_PROXY_CIDRS'>,
): string[] | false {
  const cidrs = config.TRUST_PROXY_CIDRS.split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  return cidrs.length > 0 ? cidrs : false;
}
