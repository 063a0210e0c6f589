import 'reflect-metadata';
import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import ipaddr from 'ipaddr.js';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
  ValidateBy,
  ValidationError as ValidationErrorClass,
  type ValidationError,
} from 'class-validator';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
/** An integer variable within [min, max], converted from its string; one message for all. */
function IntInRange(min: number, max: number, note = ''): PropertyDecorator {
  const message = ({ property }: { property: string }): string =>
    `${property} must be an integer between ${min}${note} and ${max}`;
  return applyDecorators(
    Transform(toInt),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
}

/** Comma-separated CIDRs (ipaddr.js), or an empty string. */
export function parseCidrList(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => ipaddr.parseCIDR(part));
}

function IsCidrList(message: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidrList',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            parseCidrList(value);
            return true;
          } catch {
            return false;
          }
        },
      },
    },
    { message },
  );
}

const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * Every environment variable the service reads, with its default. Validated once at boot:
 * a wrong value stops the start with one line naming the variable and what it expects.
 * `.env.example` lists the same variables; a unit test keeps the two in step.
 */
export class AppConfig {
  /** `production` hides nothing more than `development`; it only changes defaults noted below. */
  @IsIn(['development', 'production', 'test'], {
    message: 'NODE_ENV must be one of development, production, test',
  })
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString({
    message: 'HOST must be an interface address or host name, e.g. 127.0.0.1 or 0.0.0.0',
  })
  @MinLength(1, { message: 'HOST must not be empty' })
  HOST = '127.0.0.1';

  @IntInRange(0, 65535)
  PORT = 3000;

  /** Unset: an embedded PostgreSQL is started with its data in EMBEDDED_PG_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// or postgresql:// connection URL, or unset',
  })
  DATABASE_URL?: string;

  @IsString({ message: 'EMBEDDED_PG_DIR must be a directory path' })
  @MinLength(1, { message: 'EMBEDDED_PG_DIR must be a directory path' })
  EMBEDDED_PG_DIR = './data/postgres';

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

  /**
   * Seconds between signed audit checkpoints (also one at start and on every export); 0: only
   * on export (the start then reads the newest, makes none).
   */
  @IntInRange(0, 86400, ' (off)')
  AUDIT_CHECKPOINT_INTERVAL_S = 300;

  /**
   * Milliseconds between the sealer's rounds, which chain the events committed since the last
   * one (readers of the chain seal what is committed first, whatever this is); 0: only on
   * demand.
   */
  @IntInRange(0, 60000, ' (off)')
  AUDIT_SEAL_INTERVAL_MS = 200;

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

  /** Seconds a client is told to wait (`Retry-After`) while the database is unavailable. */
  @IntInRange(1, 3600)
  DB_UNAVAILABLE_RETRY_AFTER_S = 5;

  /** `iss` of the access tokens we sign and accept. */
  @IsString({ message: 'JWT_ISSUER must be a non-empty string (a URL or URN)' })
  @MinLength(1, { message: 'JWT_ISSUER must be a non-empty string (a URL or URN)' })
  JWT_ISSUER = 'urn:threat-exchange';

  /** `aud` of the access tokens we sign and accept. */
  @IsString({ message: 'JWT_AUDIENCE must be a non-empty string' })
  @MinLength(1, { message: 'JWT_AUDIENCE must be a non-empty string' })
  JWT_AUDIENCE = 'threat-exchange-api';

  @IntInRange(60, 86400)
  ACCESS_TOKEN_TTL_S = 900;

  @IntInRange(300, 31536000)
  REFRESH_TOKEN_TTL_S = 2592000;

  /** Leeway for `exp`/`nbf`/`iat` between our clock and the token's. */
  @IntInRange(0, 300)
  JWT_CLOCK_TOLERANCE_S = 30;

  /**
   * 32 bytes, base64: encrypts the signing keys' private parts at rest (AES-256-GCM).
   * Required in production; elsewhere, unset means a key kept in KEY_ENCRYPTION_KEY_FILE.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message:
      'KEY_ENCRYPTION_KEY must be 32 random bytes in base64 (44 characters; openssl rand -base64 32)',
  })
  KEY_ENCRYPTION_KEY?: string;

  @IsString({ message: 'KEY_ENCRYPTION_KEY_FILE must be a file path' })
  @MinLength(1, { message: 'KEY_ENCRYPTION_KEY_FILE must be a file path' })
  KEY_ENCRYPTION_KEY_FILE = './data/key-encryption.key';

  /** E-mail of the administrator created on first start with an empty database. */
  @IsEmail({}, { message: 'ADMIN_EMAIL must be an e-mail address' })
  ADMIN_EMAIL = 'admin@department.example';

  /** Password of that administrator; unset: generated and printed once. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(12, { message: 'ADMIN_PASSWORD must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  /**
   * Login and token attempts accepted per client address and minute, and failed HTTP Basic
   * authentications (TAXII) per address and minute (then 429).
   */
  @IntInRange(1, 10000)
  AUTH_RATE_LIMIT_PER_MINUTE = 20;

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

  /** TTL of the records of the RPZ snapshot, in seconds. */
  @IntInRange(0, 86400)
  RPZ_TTL = 300;

  /** The RPZ zone's name server (SOA MNAME and NS). */
  @Matches(/^[A-Za-z0-9.-]{1,253}$/, { message: 'RPZ_NAME_SERVER must be a host name' })
  RPZ_NAME_SERVER = 'localhost.';

  /** The RPZ zone's contact (SOA RNAME), as an e-mail address or a DNS name. */
  @Matches(/^[A-Za-z0-9.@_-]{1,253}$/, {
    message: 'RPZ_CONTACT must be an e-mail address or a DNS name',
  })
  RPZ_CONTACT = 'hostmaster@department.example';

  /** The notice page's host that `redirect` requests send blocked names to. */
  @Matches(/^[A-Za-z0-9.-]{1,253}$/, { message: 'RPZ_NOTICE_HOST must be a host name' })
  RPZ_NOTICE_HOST = 'notice.department.example';

  /** Largest JSON body that adds items to a blocking request (100,000 values fit), in bytes. */
  @IntInRange(1024, 1024 * 1024 * 1024)
  ITEMS_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

  /** Seconds between runs of the expiry job (indicators past valid_until); 0 turns it off. */
  @IntInRange(0, 86400)
  EXPIRY_INTERVAL_S = 60;

  /** Seconds between runs of the deadline scheduler (reminders, escalations); 0 turns it off. */
  @IntInRange(0, 86400, ' (off)')
  ASSIGNMENT_SCHEDULER_INTERVAL_S = 30;

  /** Minutes before an assignment's deadline when its ISP is reminded (0: no reminders). */
  @IntInRange(0, 43200)
  ASSIGNMENT_REMINDER_BEFORE_MINUTES = 120;

  /** Minutes after an assignment's deadline when it is escalated as overdue (0: once the deadline has passed). */
  @IntInRange(0, 43200)
  ASSIGNMENT_ESCALATION_AFTER_MINUTES = 0;

  /**
   * Webhooks (docs/operations.md#webhooks). Milliseconds between polls of the webhook workers
   * (outbox dispatcher and deliverer); 0 turns polling off. Unset: 1000, or 0 when NODE_ENV=test
   * (tests drive the workers by hand).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IntInRange(0, 3600000, ' (off)')
  WEBHOOK_POLL_INTERVAL_MS?: number;

  /** Outbox messages fanned out, and deliveries claimed, per worker round. */
  @IntInRange(1, 1000)
  WEBHOOK_BATCH_SIZE = 50;

  /**
   * Time allowed for one delivery attempt, in milliseconds: one deadline for the whole attempt
   * (subscription lookup, DNS resolution and vetting, connect, send, response).
   */
  @IntInRange(100, 120000)
  WEBHOOK_TIMEOUT_MS = 10000;

  /** Delivery attempts one worker runs at the same time (the rest of its batch waits). */
  @IntInRange(1, 200)
  WEBHOOK_CONCURRENCY = 10;

  /** Attempts of one delivery before it is dead-lettered. */
  @IntInRange(1, 100)
  WEBHOOK_MAX_ATTEMPTS = 10;

  /** Exponential backoff with full jitter: the n-th retry waits random(0, min(cap, base·2^(n−1))). */
  @IntInRange(0, 86400000)
  WEBHOOK_RETRY_BASE_MS = 30000;

  @IntInRange(0, 7 * 86400000)
  WEBHOOK_RETRY_CAP_MS = 6 * 3600000;

  /** Hours the previous signing secret keeps signing after a rotation (both signatures sent). */
  @IntInRange(0, 720)
  WEBHOOK_SECRET_OVERLAP_HOURS = 24;

  /**
   * Accept http:// webhook URLs outside NODE_ENV=development (never in production: for tests
   * and local receivers only).
   */
  @Transform(toBool)
  @IsBoolean({ message: 'WEBHOOK_ALLOW_HTTP must be true or false' })
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Comma-separated CIDRs that webhook URLs may resolve to although private or loopback. For
   * development and tests only (e.g. 127.0.0.0/8 for a local receiver); empty by default.
   */
  @IsCidrList('WEBHOOK_ALLOWED_PRIVATE_CIDRS must be a comma-separated list of CIDRs, or empty')
  WEBHOOK_ALLOWED_PRIVATE_CIDRS = '';
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

/** Names of every variable AppConfig reads (used by the `.env.example` test). */
export const CONFIG_KEYS = Object.keys(new AppConfig()).concat(
  'DATABASE_URL',
  'KEY_ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'WEBHOOK_POLL_INTERVAL_MS',
);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function firstMessage(error: ValidationError): string {
  const got = error.value === undefined ? '' : ` (got ${JSON.stringify(error.value)})`;
  const message = Object.values(error.constraints ?? {})[0] ?? `${error.property} is invalid`;
  return `${message}${got}`;
}

/**
 * Reads and validates the configuration from an environment. Unknown variables are ignored
 * (the environment holds far more than ours); ours are trimmed, converted and checked.
 * Throws ConfigError whose message is one line per wrong variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const value = env[key];
    if (value !== undefined) raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (config.NODE_ENV === 'production' && !config.KEY_ENCRYPTION_KEY) {
    errors.push(
      Object.assign(new ValidationErrorClass(), {
        property: 'KEY_ENCRYPTION_KEY',
        constraints: { required: 'KEY_ENCRYPTION_KEY is required when NODE_ENV=production' },
      }),
    );
  }
  if (config.NODE_ENV === 'production') {
    // Both are for tests and development only: production never sends over plain http nor
    // to private addresses, whatever the environment says.
    if (config.WEBHOOK_ALLOW_HTTP) {
      errors.push(
        Object.assign(new ValidationErrorClass(), {
          property: 'WEBHOOK_ALLOW_HTTP',
          constraints: {
            production: 'WEBHOOK_ALLOW_HTTP=true is refused when NODE_ENV=production (tests only)',
          },
        }),
      );
    }
    if (config.WEBHOOK_ALLOWED_PRIVATE_CIDRS.trim() !== '') {
      errors.push(
        Object.assign(new ValidationErrorClass(), {
          property: 'WEBHOOK_ALLOWED_PRIVATE_CIDRS',
          constraints: {
            production:
              'WEBHOOK_ALLOWED_PRIVATE_CIDRS must be empty when NODE_ENV=production (tests only)',
          },
        }),
      );
    }
  }
  if (errors.length > 0) {
    throw new ConfigError(
      'Invalid configuration: ' + errors.map((e) => firstMessage(e)).join('; '),
    );
  }
  return config;
}
