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

/** Whole seconds from `from` to `to`, or null when either is missing. */
export function secondsBetween(from: Date | null, to: Date | null): number | null {
  if (from === null || to === null) return null;
  return Math.round((to.getTime() - from.getTime()) / 1000);
}
