import { canonicalJson } from '#src/platform/json/index.js';

/** One field's value before and after a change, as plain JSON (dates as ISO strings). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** A value as it reads back from jsonb: dates as strings, undefined as null. */
function plain(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/**
 * The before/after part of an audit summary: each field given in `after` (undefined ones are
 * skipped) whose value differs from the one in `before`, as {from, to}. Pass only fields that
 * may be shown: never secrets or password hashes (say `passwordChanged: true` instead).
 */
export function fieldChanges(before: object, after: object): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  for (const [field, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const from = plain((before as Record<string, unknown>)[field]);
    const to = plain(value);
    if (canonicalJson(from) !== canonicalJson(to)) changes[field] = { from, to };
  }
  return changes;
}
