import {
  ProblemType,
  type ProblemException,
  forbidden,
  unprocessable as unprocessableProblem,
} from '#src/platform/problem/index.js';
import type { BlockingRequestEntity } from '#src/publishing/blocking-requests/blocking-request.entity.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';
import type { ProtectedMatch, ProtectedMatcher } from '#src/publishing/protected-lists/matcher.js';

/**
 * What a blocking request must satisfy to be submitted and published: pure functions of the
 * request, its items and the time, each throwing the problem the caller sees.
 */

/** Values listed in a problem, at most. */
export const MAX_REPORTED = 100;
const HOUR_MS = 3600_000;

/** An item of the request, with what publication needs to know of its indicator. */
export interface PublicationItem {
  indicator_id: string;
  type: IndicatorType;
  value: string;
  operation: string;
  status: string;
  tlp: string;
  valid_from: Date;
  valid_until: Date | null;
}

/** A block item that matches protected lists. */
export interface ProtectedHit {
  item: PublicationItem;
  matches: ProtectedMatch[];
}

/** The request breaks a publication rule (422). */
export function unprocessable(
  detail: string,
  extensions: Record<string, unknown> = {},
): ProblemException {
  return unprocessableProblem(detail, {
    title: 'The request cannot be published as it is',
    extensions,
  });
}

/** A request goes to approval with at least one item. */
export function checkSubmittable(items: readonly PublicationItem[]): void {
  if (items.length === 0) throw unprocessable('A request without items cannot be submitted');
}

/** Rules that hold at submission and again at publication. */
export function checkPublishable(
  request: Pick<BlockingRequestEntity, 'targetsAll' | 'deadlineAt'>,
  items: readonly PublicationItem[],
  now: Date,
): void {
  const blocks = items.filter((i) => i.operation === 'block');
  const future = blocks.filter((i) => i.valid_from > now);
  if (future.length > 0) {
    throw unprocessable(
      `${future.length} block item(s) are not valid yet, e.g. ${future[0].value} (valid from ${future[0].valid_from.toISOString()}): publish them once they are`,
      { values: future.slice(0, MAX_REPORTED).map((i) => i.value) },
    );
  }
  // Past valid_until but not yet expired by the job: as good as expired.
  const inactive = blocks.filter(
    (i) => i.status !== 'active' || (i.valid_until !== null && i.valid_until <= now),
  );
  if (inactive.length > 0) {
    throw unprocessable(
      `${inactive.length} block item(s) are expired or revoked, e.g. ${inactive[0].value}: remove them`,
      { values: inactive.slice(0, MAX_REPORTED).map((i) => i.value) },
    );
  }
  if (request.targetsAll) {
    // Unblock items too: their values are shown to every ISP addressed.
    const red = items.filter((i) => i.tlp === 'RED');
    if (red.length > 0) {
      throw unprocessable(
        `TLP:RED indicators go only to named recipients: address the request to a list of ISPs, or change the TLP of ${red[0].value}`,
        { values: red.slice(0, MAX_REPORTED).map((i) => i.value) },
      );
    }
  }
  if (request.deadlineAt && request.deadlineAt <= now) {
    throw unprocessable('The explicit deadline has passed: change it first');
  }
}

/** Four eyes: whoever wrote or submitted the request cannot also sign it. */
export function checkTwoPersonRule(
  request: Pick<BlockingRequestEntity, 'createdBy' | 'submittedBy'>,
  approverId: string,
): void {
  if (request.submittedBy === approverId || request.createdBy === approverId) {
    throw forbidden(
      `You ${request.submittedBy === approverId ? 'submitted' : 'wrote'} this request: another approver must approve it`,
      { type: ProblemType.twoPersonRule, title: 'Two-person rule' },
    );
  }
}

/** A request is addressed to at least one ISP. */
export function checkAddressed(targets: readonly string[]): void {
  if (targets.length === 0) throw unprocessable('There is no ISP to address the request to');
}

/** The deadline of a request published at `now`: its explicit one, or `deadlineHours` later. */
export function publicationDeadline(
  request: Pick<BlockingRequestEntity, 'deadlineAt' | 'deadlineHours'>,
  now: Date,
): Date {
  const deadlineAt =
    request.deadlineAt ?? new Date(now.getTime() + request.deadlineHours * HOUR_MS);
  if (deadlineAt <= now) throw unprocessable('The deadline has passed: change it first');
  return deadlineAt;
}

/** The block items matching a protected list, with their matches. */
export function protectedHits(
  items: readonly PublicationItem[],
  matcher: Pick<ProtectedMatcher, 'match'>,
): ProtectedHit[] {
  return items
    .filter((i) => i.operation === 'block')
    .map((i) => ({ item: i, matches: matcher.match(i.type, i.value) }))
    .filter((h) => h.matches.length > 0);
}

/** Block items matching a protected list need an approver's override, one per indicator. */
export function checkOverrides(hits: readonly ProtectedHit[], overridden: Set<string>): void {
  const refused = hits.filter((h) => !overridden.has(h.item.indicator_id));
  if (refused.length === 0) return;
  throw unprocessableProblem(
    `${refused.length} block item(s) match a protected list, e.g. ${refused[0].item.value} (${refused[0].matches[0].reason}). ` +
      'Remove them, or have an approver record an override with a reason for each.',
    {
      type: ProblemType.protectedIndicator,
      title: 'Protected indicators',
      extensions: {
        protected: refused.slice(0, MAX_REPORTED).map((h) => ({
          indicatorId: h.item.indicator_id,
          value: h.item.value,
          matches: h.matches,
        })),
      },
    },
  );
}
