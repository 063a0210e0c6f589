import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { tokenTimeSeconds } from '#src/platform/clock/index.js';
import { KeysService } from '#src/identity/keys/keys.service.js';

const MAX_ENTRIES = 10_000;

interface Entry {
  claims: Record<string, unknown>;
  kid: string;
  /** Seconds since the epoch, as in the claims. */
  exp: number;
  nbf: number | undefined;
}

/**
 * Access tokens whose signature and claims passport-jwt has verified, by the SHA-256 of the
 * exact token text, so that a client polling with the same token does not pay ECDSA and key
 * parsing on every request. An entry is used only while the token is within its validity
 * (`exp`, `nbf`, with the same clock tolerance) and its signing key still verifies; what the
 * caller may do is still checked on every use (PrincipalService, through its cache). Bounded
 * (least recently used dropped first).
 */
@Injectable()
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly keys: KeysService,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  remember(token: string, kid: string, claims: Record<string, unknown>): void {
    if (typeof claims.exp !== 'number') return;
    const key = digest(token);
    this.entries.delete(key);
    this.entries.set(key, {
      claims,
      kid,
      exp: claims.exp,
      nbf: typeof claims.nbf === 'number' ? claims.nbf : undefined,
    });
    if (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** The verified claims of `token`, or undefined: then verify it in full. */
  lookup(token: string): Record<string, unknown> | undefined {
    const key = digest(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const now = tokenTimeSeconds();
    const tolerance = this.config.JWT_CLOCK_TOLERANCE_S;
    if (
      now >= entry.exp + tolerance ||
      (entry.nbf !== undefined && now < entry.nbf - tolerance) ||
      !this.keys.stillVerifies(entry.kid)
    ) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key); // most recently used last
    this.entries.set(key, entry);
    return entry.claims;
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
