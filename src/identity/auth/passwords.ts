import { hash, verify } from '@node-rs/argon2';

/** argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane). */
const OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, OPTIONS);
}

/** A hash of nothing anybody knows: verified against when the account does not exist. */
let decoy: Promise<string> | undefined;

/**
 * Checks a secret against its argon2id hash (constant-time inside argon2). With no hash (an
 * unknown account), the same work is done against a decoy, so that timing does not tell
 * whether the account exists.
 */
export async function verifySecret(stored: string | undefined, secret: string): Promise<boolean> {
  decoy ??= hashSecret(`decoy-${Math.random()}`);
  const target = stored ?? (await decoy);
  const ok = await verify(target, secret).catch(() => false);
  return stored !== undefined && ok;
}
