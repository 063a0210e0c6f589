import { Inject, Injectable } from '@nestjs/common';
import { rateLimited } from '#src/platform/problem/index.js';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { monotonicMs } from '#src/platform/clock/index.js';

const WINDOW_MS = 60_000;
const MAX_ADDRESSES = 10_000;

/**
 * Failed HTTP Basic attempts per client address, in fixed one-minute windows: past
 * AUTH_RATE_LIMIT_PER_MINUTE failures, further Basic attempts from that address get 429 until
 * the window ends, before any argon2 work (so guessing secrets, or burning CPU with random
 * ones, is as limited as on the token endpoint). Successful ones are not counted: a TAXII
 * client polling with the right secret is never slowed.
 */
@Injectable()
export class FailedAttempts {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(@Inject(IdentityConfig) private readonly config: IdentityConfig) {}

  /** Throws 429 while `address` is over the limit. */
  check(address: string): void {
    const window = this.current(address);
    if (!window || window.failures < this.config.AUTH_RATE_LIMIT_PER_MINUTE) return;
    const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - monotonicMs()) / 1000));
    throw rateLimited(
      `At most ${this.config.AUTH_RATE_LIMIT_PER_MINUTE} failed Basic authentications per minute from one address; retry after the given delay.`,
      {
        name: 'auth-failures-per-address',
        value: this.config.AUTH_RATE_LIMIT_PER_MINUTE,
        retryAfterSeconds: retryAfter,
      },
      { title: 'Too many failed attempts' },
    );
  }

  fail(address: string): void {
    const window = this.current(address) ?? { start: monotonicMs(), failures: 0 };
    window.failures++;
    this.windows.set(address, window);
    if (this.windows.size > MAX_ADDRESSES) {
      const now = monotonicMs();
      for (const [key, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(key);
    }
  }

  private current(address: string) {
    const window = this.windows.get(address);
    if (window && monotonicMs() - window.start >= WINDOW_MS) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }
}
