/**
 * What the feeds carry and how they are pulled: the one list of each, which every other list
 * (DTO enums, the types indicators may have, the DNS actions a request may ask for, the formats
 * a receipt may name, the SQL that selects what goes into a feed) derives from.
 */

/** Indicator types that go into network feeds (hashes are stored but never published to ISPs). */
export const FEED_TYPES = ['domain', 'ipv4', 'ipv6', 'cidr', 'url'] as const;
export type FeedType = (typeof FEED_TYPES)[number];

/** Why an entry entered or left an ISP's feed (`feed_changes.reason`). */
export const CHANGE_REASONS = ['block', 'unblock', 'withdrawal', 'expiry', 'revocation'] as const;
export type ChangeReason = (typeof CHANGE_REASONS)[number];

/**
 * Traffic Light Protocol 2.0 labels: how far an indicator may be shared, carried by every feed
 * format (in STIX as the TLP 2.0 marking definitions).
 */
export const TLP_LEVELS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type Tlp = (typeof TLP_LEVELS)[number];

/** The snapshot formats (`GET /feed/snapshot.{format}`), each described in snapshots/formats/. */
export const SNAPSHOT_FORMATS = ['json', 'ndjson', 'csv', 'txt', 'rpz', 'stix'] as const;
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number];

/** How an ISP pulls its feed, as recorded in `feed_pulls` and named by a receipt. */
export const PULL_FORMATS = [...SNAPSHOT_FORMATS, 'changes', 'taxii'] as const;
export type PullFormat = (typeof PULL_FORMATS)[number];

/**
 * The DNS actions of a request in an RPZ feed, strictest first: when several requests hold an
 * entry, the first of these among them applies (the rpz snapshot ranks them by this order).
 */
export const RPZ_ACTIONS = ['nxdomain', 'nodata', 'redirect'] as const;
export type RpzAction = (typeof RPZ_ACTIONS)[number];

/** A list of values as a SQL list literal, `('a', 'b')` (the values here are known names). */
export function sqlList(values: readonly string[]): string {
  return `(${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')})`;
}
