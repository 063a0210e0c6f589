import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { monotonicMs } from '#src/platform/clock/index.js';
import { UnitMatcher } from '#src/response/units/unit-matcher.js';
import { UnitsRepository } from '#src/response/units/units.repository.js';

/** How long a matcher is used without asking whether the networks changed. */
export const MATCHER_RECHECK_MS = 1000;

/**
 * The matcher over every unit network, rebuilt when the networks' fingerprint (count and
 * revisions of `units`, bumped in the transaction that changes a unit's networks) changes.
 * The fingerprint is read at most once a second (MATCHER_RECHECK_MS; other instances' changes
 * are seen within that second), at once after this instance's own change (`changed()`), or on
 * every call with `fresh`.
 */
@Injectable()
export class UnitNetworksService {
  private cached: { key: string; checkedAt: number; matcher: Promise<UnitMatcher> } | undefined;

  constructor(private readonly units: UnitsRepository) {}

  /** This instance changed the networks (after its commit): the next call reads the fingerprint. */
  changed(): void {
    if (this.cached !== undefined) this.cached.checkedAt = -Infinity;
  }

  /** `manager`: read through this transaction's connection (never a second pool connection). */
  async matcher(manager?: EntityManager, options: { fresh?: boolean } = {}): Promise<UnitMatcher> {
    const now = monotonicMs();
    const cached = this.cached;
    if (cached !== undefined && !options.fresh && now - cached.checkedAt < MATCHER_RECHECK_MS) {
      return cached.matcher;
    }
    const key = await this.units.networksFingerprint(manager);
    if (this.cached?.key === key) {
      this.cached.checkedAt = now;
      return this.cached.matcher;
    }
    const matcher = this.units.allNetworks(manager).then((rows) => UnitMatcher.build(rows));
    const entry = { key, checkedAt: now, matcher };
    this.cached = entry;
    matcher.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return matcher;
  }
}
