/** One field's value before and after a change, as plain JSON (dates as ISO strings). */
export interface FieldChange {
  from: unknown;
  to: unknown;
}

/** A value as it reads back from jsonb: dates as strings, undefined as null. */
function plain(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}

/** Plain JSON with every object's keys sorted: equal strings for equal values, whatever the key order. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
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
    if (sortedJson(from) !== sortedJson(to)) changes[field] = { from, to };
  }
  return changes;
}
