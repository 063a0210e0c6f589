/**
 * What the metrics report of the cache of callers (identity's PrincipalCache, which provides
 * this token): the DI token and the shape, so that metrics need not know identity.
 */
export abstract class CallerCacheStats {
  /** Lookups answered from memory, read from the database while trusted, or while not. */
  abstract readonly lookups: Readonly<Record<'hit' | 'miss' | 'bypass', number>>;
  /** Callers held in the cache. */
  abstract readonly size: number;
  /** Whether cached entries may be used now. */
  abstract readonly trusted: boolean;
}
