import { AuditConfig } from '#src/audit/index.js';
import { FeedsConfig } from '#src/feeds/index.js';
import { IdentityConfig } from '#src/identity/index.js';
import { MessagingConfig, messagingConfigProblems } from '#src/messaging/index.js';
import { ObligationsConfig } from '#src/obligations/index.js';
import {
  applyDatabasePassword,
  ConfigError,
  configKeys,
  readSection,
  type ConfigSection,
  PlatformConfig,
  platformConfigProblems,
  impliedNodeEnv,
  readSecretFiles,
  SECRET_FILE_VARIABLES,
} from '#src/platform/config/index.js';
import { PublishingConfig } from '#src/publishing/index.js';
import { ResponseConfig } from '#src/response/index.js';

/**
 * The configuration, one section per context: each context's providers inject their own
 * section only (`@Inject(IdentityConfig)`), and any context may read the platform's.
 */
export const CONFIG_SECTIONS = {
  platform: PlatformConfig,
  identity: IdentityConfig,
  audit: AuditConfig,
  messaging: MessagingConfig,
  feeds: FeedsConfig,
  publishing: PublishingConfig,
  obligations: ObligationsConfig,
  response: ResponseConfig,
} satisfies Record<string, ConfigSection>;

type Sections = typeof CONFIG_SECTIONS;
export type AppConfig = { [K in keyof Sections]: InstanceType<Sections[K]> };

/**
 * Names of every variable the service reads: the sections', and the `_FILE` variables of the
 * secrets (used by the `.env.example` test).
 */
export const CONFIG_KEYS = [
  ...new Set([
    ...Object.values(CONFIG_SECTIONS).flatMap((section) => configKeys(section)),
    ...SECRET_FILE_VARIABLES,
  ]),
];

/**
 * Reads and validates every section from an environment, once at boot: a wrong value stops the
 * start with one line naming the variable and what it expects. Throws one ConfigError whose
 * message lists every wrong variable, of every section.
 */
export function loadConfig(given: NodeJS.ProcessEnv = process.env): AppConfig {
  // Secrets given as files (KEY_ENCRYPTION_KEY_FILE...) are read first, into their variables.
  const files = readSecretFiles(given, given.NODE_ENV || impliedNodeEnv(given));
  const env = files.env;
  const platform = readSection(PlatformConfig, env);
  platform.config.NODE_ENV = impliedNodeEnv(env) ?? platform.config.NODE_ENV;
  const identity = readSection(IdentityConfig, env);
  const audit = readSection(AuditConfig, env);
  const messaging = readSection(MessagingConfig, env);
  const feeds = readSection(FeedsConfig, env);
  const publishing = readSection(PublishingConfig, env);
  const obligations = readSection(ObligationsConfig, env);
  const response = readSection(ResponseConfig, env);
  const problems = [
    files,
    platform,
    identity,
    audit,
    messaging,
    feeds,
    publishing,
    obligations,
    response,
  ]
    .flatMap((section) => section.problems)
    .concat(
      platformConfigProblems(platform.config, env),
      applyDatabasePassword(platform.config),
      messagingConfigProblems(messaging.config, platform.config),
    );
  if (problems.length > 0) {
    throw new ConfigError('Invalid configuration: ' + problems.join('; '));
  }
  return {
    platform: platform.config,
    identity: identity.config,
    audit: audit.config,
    messaging: messaging.config,
    feeds: feeds.config,
    publishing: publishing.config,
    obligations: obligations.config,
    response: response.config,
  };
}
