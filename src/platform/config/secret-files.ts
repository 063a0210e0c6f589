import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/*
 * Secrets given in files (the `<NAME>_FILE` convention of the official database images, Docker
 * and Kubernetes secrets): `NAME_FILE` holds the path of a file whose content, trailing newlines
 * removed, is the value of `NAME`. Setting both is a configuration error, and so is a file that
 * cannot be read or is empty.
 */

/** The variables that may be given in a file. */
export const SECRET_VARIABLES = [
  'KEY_ENCRYPTION_KEY',
  'ADMIN_PASSWORD',
  'DATABASE_PASSWORD',
  'SMTP_URL',
];

/** Their `_FILE` variables. */
export const SECRET_FILE_VARIABLES = SECRET_VARIABLES.map((name) => `${name}_FILE`);

const set = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * The environment with each `NAME_FILE` read into `NAME`, and one line per problem.
 *
 * KEY_ENCRYPTION_KEY_FILE is also where development keeps the key it generates: outside
 * production a missing file is left for that (KeyEncryption.fromConfig), and in production the
 * file is read only when the variable is set (never its default path, ./data/key-encryption.key).
 */
export function readSecretFiles(
  env: NodeJS.ProcessEnv,
  nodeEnv: string | undefined,
): { env: NodeJS.ProcessEnv; problems: string[] } {
  const resolved: NodeJS.ProcessEnv = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const file = env[fileVariable];
    if (!set(file)) continue;
    if (set(env[name])) {
      problems.push(`${name} and ${fileVariable} are both set: give the value in one of them`);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      if (name === 'KEY_ENCRYPTION_KEY' && code === 'ENOENT' && nodeEnv !== 'production') continue;
      problems.push(`${fileVariable}: cannot read ${file} (${code})`);
      continue;
    }
    const value = text.replace(/(\r?\n)+$/, '');
    if (value === '') {
      problems.push(`${fileVariable}: ${file} is empty`);
      continue;
    }
    resolved[name] = value;
  }
  return { env: resolved, problems };
}

/** What `generateSecretFiles` writes: file name, content, mode, readable by the group. */
const GENERATED = [
  {
    // Read by the service (KEY_ENCRYPTION_KEY_FILE) only.
    file: 'key-encryption-key',
    make: () => randomBytes(32).toString('base64'),
    mode: 0o600,
  },
  {
    // Read by the service (DATABASE_PASSWORD_FILE) and by PostgreSQL (POSTGRES_PASSWORD_FILE),
    // which reads it as the owner's group.
    file: 'database-password',
    make: () => randomBytes(24).toString('base64url'),
    mode: 0o640,
  },
  {
    // Read by the service (ADMIN_PASSWORD_FILE) on its first start with an empty database.
    file: 'admin-password',
    make: () => randomBytes(18).toString('base64url'),
    mode: 0o600,
  },
] as const;

export const GENERATED_SECRET_FILES = GENERATED.map((g) => g.file);

/**
 * Writes each generated secret into `dir` unless its file exists (an existing file is never
 * changed: the key and the database password must outlive any restart), as one line, with its
 * mode; with `owner`, files (new or not) are given to that uid and gid. Returns the files
 * written.
 */
export function generateSecretFiles(
  dir: string,
  owner?: { uid: number; gid: number },
): { written: string[]; kept: string[] } {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const kept: string[] = [];
  for (const { file, make, mode } of GENERATED) {
    const target = path.join(dir, file);
    if (existsSync(target)) {
      kept.push(file);
    } else {
      // `wx`: never overwrite a file that another run created meanwhile.
      writeFileSync(target, `${make()}\n`, { mode, flag: 'wx' });
      written.push(file);
    }
    chmodSync(target, mode);
    if (owner) chownSync(target, owner.uid, owner.gid);
  }
  return { written, kept };
}

/** `--owner=UID:GID` → numbers; undefined when the text is not two non-negative integers. */
export function parseOwner(text: string): { uid: number; gid: number } | undefined {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(text);
  if (!match) return undefined;
  return { uid: Number(match[1]), gid: Number(match[2]) };
}
