/**
 * The public entry of platform/config: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export {
  ConfigError,
  IntInRange,
  IsCidrList,
  configKeys,
  emptyToUndefined,
  parseCidrList,
  readSection,
  toBool,
} from '#src/platform/config/config.js';
export type { ConfigSection } from '#src/platform/config/config.js';
export {
  applyDatabasePassword,
  impliedNodeEnv,
  PlatformConfig,
  platformConfigProblems,
  trustedProxies,
} from '#src/platform/config/platform.config.js';
export type { LogLevel } from '#src/platform/config/platform.config.js';
export {
  GENERATED_SECRET_FILES,
  SECRET_FILE_VARIABLES,
  generateSecretFiles,
  parseOwner,
  readSecretFiles,
} from '#src/platform/config/secret-files.js';
