import type { AssignmentStatus } from '#src/obligations/assignments/assignment.entity.js';

/**
 * One definition of "open" and "overdue" for an assignment, in TypeScript and in SQL. Overdue is
 * computed, never stored: open and its deadline strictly before `now` (at the deadline itself it
 * is not overdue yet).
 */

/** Assignments still waiting for the ISP. */
export const OPEN_STATUSES = ['pending', 'acknowledged'] as const satisfies AssignmentStatus[];
/** Closed by an application (complete or partial). */
export const APPLIED_STATUSES = [
  'applied',
  'partially_applied',
] as const satisfies AssignmentStatus[];
/** Closed by the ISP (applied, partially applied or rejected); withdrawn is not closed by it. */
export const CLOSED_STATUSES = [
  ...APPLIED_STATUSES,
  'rejected',
] as const satisfies AssignmentStatus[];

/** A SQL list literal of fixed statuses, e.g. `('pending', 'acknowledged')`. */
const sqlList = (statuses: readonly AssignmentStatus[]): string =>
  `(${statuses.map((s) => `'${s}'`).join(', ')})`;

/** `('pending', 'acknowledged')`, for `status IN ${OPEN_STATUSES_SQL}`. */
export const OPEN_STATUSES_SQL = sqlList(OPEN_STATUSES);
/** `('applied', 'partially_applied')`. */
export const APPLIED_STATUSES_SQL = sqlList(APPLIED_STATUSES);
/** `('applied', 'partially_applied', 'rejected')`. */
export const CLOSED_STATUSES_SQL = sqlList(CLOSED_STATUSES);

/** Overdue at `now`: open and past its deadline. */
export function isOverdue(status: string, deadlineAt: Date, now: Date): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status) && deadlineAt < now;
}

/**
 * The same condition as {@link isOverdue} in SQL, for the assignment row `alias` and the bound
 * parameter (or expression) `now`, e.g. `overdueSql('a', '$3')`.
 */
export function overdueSql(alias: string, now: string): string {
  return `(${alias}.status IN ${OPEN_STATUSES_SQL} AND ${alias}.deadline_at < ${now})`;
}
