import { PULL_FORMATS, type PullFormat } from '#src/feeds/index.js';

/** What an ISP may state about an assignment (confirmations table). */
export const CONFIRMATION_STATUSES = ['applied', 'partially_applied', 'rejected'] as const;
export type ConfirmationStatus = (typeof CONFIRMATION_STATUSES)[number];

/** How the ISP enforced it: DNS response policy zone, ACL, remote-triggered black hole, proxy. */
export const MECHANISMS = ['rpz', 'acl', 'rtbh', 'proxy', 'other'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

/** Per indicator: applied, failed (with a reason), or not applicable (with a reason). */
export const ITEM_OUTCOMES = ['applied', 'failed', 'not_applicable'] as const;
export type ItemOutcome = (typeof ITEM_OUTCOMES)[number];

/** Feed formats a receipt may name: the snapshot formats, the change log and TAXII. */
export const RECEIPT_FORMATS = PULL_FORMATS;
export type ReceiptFormat = PullFormat;

/** How a receipt's sha256 compares with what was served (decision 0008). */
export const HASH_CHECKS = ['matched', 'mismatch', 'not_given'] as const;
export type HashCheck = (typeof HASH_CHECKS)[number];

/**
 * Whole seconds from `from` to `to`, or null when either is missing. Never negative: an
 * appliedAt within the publication's own second (see appliedNotBeforePublication) counts as 0.
 */
export function secondsBetween(from: Date | null, to: Date | null): number | null {
  if (from === null || to === null) return null;
  return Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
}

/**
 * Whether a stated appliedAt can follow a publication. Clients state times to the second
 * (`date -u +%FT%TZ`) or to the millisecond, while the publication time has microseconds: a
 * statement made within the second of the publication, written with whole seconds, reads as
 * up to a second before it. So appliedAt is compared with the publication time truncated to
 * its second; only a time in an earlier second is before the publication.
 */
export function appliedNotBeforePublication(appliedAt: Date, publishedAt: Date): boolean {
  return appliedAt.getTime() >= Math.floor(publishedAt.getTime() / 1000) * 1000;
}
