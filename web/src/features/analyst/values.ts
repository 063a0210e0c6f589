import { api, call, type Schemas } from '../../api/client';

/** The API's bound on one check or one add-items call (maxItems of the request bodies). */
export const CHUNK = 100_000;

export type IndicatorType = Schemas['IndicatorResponse']['type'];

/**
 * The values of a pasted list: split on white space, commas and semicolons, empty ones dropped,
 * duplicates removed (first occurrence kept). One pass, no per-value state.
 */
export function parseValues(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[\s,;]+/)) {
    if (part) seen.add(part);
  }
  return [...seen];
}

export function chunks<T>(values: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/**
 * A guess at a value's type, shown only until the check has answered (an invalid value keeps
 * it); the check gives every valid value's canonical value and type.
 */
export function guessType(value: string): IndicatorType {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return 'url';
  if (value.includes('/')) return 'cidr';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(value)) return 'ipv4';
  if (value.includes(':')) return 'ipv6';
  if (/^[0-9a-f]{32}$/i.test(value)) return 'md5';
  if (/^[0-9a-f]{40}$/i.test(value)) return 'sha1';
  if (/^[0-9a-f]{64}$/i.test(value)) return 'sha256';
  return 'domain';
}

export const INDICATOR_TYPES: IndicatorType[] = [
  'domain',
  'ipv4',
  'ipv6',
  'cidr',
  'url',
  'md5',
  'sha1',
  'sha256',
];
export const INDICATOR_STATUSES: Schemas['IndicatorResponse']['status'][] = [
  'active',
  'expired',
  'revoked',
];
export const TLPS: Schemas['IndicatorResponse']['tlp'][] = [
  'CLEAR',
  'GREEN',
  'AMBER',
  'AMBER+STRICT',
  'RED',
];

/** A datetime-local field's value as an ISO instant (or nothing). */
export function isoOf(local: string | undefined): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export type Verdict = 'ok' | 'protected' | 'invalid';

/** One checked value: the table's row. */
export interface CheckRow {
  key: number;
  input: string;
  verdict: Verdict;
  /** The service's canonical value and type once checked; an invalid value: the input and a guess. */
  value: string;
  type: IndicatorType;
  typeGuessed: boolean;
  matches: Schemas['ProtectedMatchDto'][];
  reason: string | null;
}

export interface CheckOutcome {
  /** Tells one check from the next. */
  id: number;
  /** The values checked, in order (deduplicated). */
  values: string[];
  rows: CheckRow[];
  protectedCount: number;
  invalidCount: number;
}

/**
 * Checks the values against the protected lists, in chunks the API accepts, and gives one row per
 * value. `onProgress` is told how many values are done.
 */
export async function checkValues(
  values: string[],
  onProgress?: (done: number) => void,
): Promise<CheckOutcome> {
  const rows: CheckRow[] = values.map((input, key) => ({
    key,
    input,
    verdict: 'ok',
    value: input,
    type: guessType(input),
    typeGuessed: true,
    matches: [],
    reason: null,
  }));
  let protectedCount = 0;
  let invalidCount = 0;
  let offset = 0;
  for (const chunk of chunks(values)) {
    // results=all: the canonical value and type of every valid value, as it will be stored.
    const answer = await call(() =>
      api.POST('/api/v1/protected-lists/check', {
        params: { query: { results: 'all' } },
        body: { values: chunk },
      }),
    );
    for (const result of answer.results) {
      const row = rows[offset + result.index];
      if (!row) continue;
      row.value = result.value;
      row.type = result.type;
      row.typeGuessed = false;
      if (result.matches.length === 0) continue;
      row.verdict = 'protected';
      row.matches = result.matches;
      protectedCount++;
    }
    for (const invalid of answer.invalid) {
      const row = rows[offset + invalid.index];
      if (!row) continue;
      row.verdict = 'invalid';
      row.reason = invalid.reason;
      invalidCount++;
    }
    offset += chunk.length;
    onProgress?.(offset);
  }
  return { id: Date.now(), values, rows, protectedCount, invalidCount };
}

/** The values of an outcome that may be added (neither protected nor invalid). */
export function cleanValues(outcome: CheckOutcome): string[] {
  return outcome.rows.filter((r) => r.verdict === 'ok').map((r) => r.input);
}

/** The outcome without its flagged values (what is left after the analyst removes them). */
export function withoutFlagged(outcome: CheckOutcome): CheckOutcome {
  const rows = outcome.rows.filter((r) => r.verdict === 'ok').map((r, key) => ({ ...r, key }));
  return {
    id: Date.now(),
    values: rows.map((r) => r.input),
    rows,
    protectedCount: 0,
    invalidCount: 0,
  };
}
