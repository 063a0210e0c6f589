import { TLP_LEVELS, type Tlp } from '#src/feeds/index.js';
import { isStorableText } from '#src/platform/json/index.js';

/** Attributes of an indicator besides its value, as accepted from every input path. */
export interface IndicatorAttributes {
  tlp?: Tlp;
  confidence?: number;
  tags?: string[];
  source?: string;
  description?: string;
  validFrom?: Date;
  validUntil?: Date;
}

export const MAX_TAGS = 32;
export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.:/+-]{0,63}$/u;
export const MAX_SOURCE = 200;
export const MAX_DESCRIPTION = 2000;

export interface RawAttributes {
  tlp?: unknown;
  confidence?: unknown;
  tags?: unknown;
  source?: unknown;
  description?: unknown;
  validFrom?: unknown;
  validUntil?: unknown;
}

const blank = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * Checks attributes given as loose values (CSV cells, JSON items of a bulk import): the first
 * problem as a sentence, or the typed attributes. `TLP:AMBER` and `amber` are accepted.
 */
export function parseAttributes(
  raw: RawAttributes,
): { ok: true; value: IndicatorAttributes } | { ok: false; reason: string } {
  const out: IndicatorAttributes = {};
  if (!blank(raw.tlp)) {
    const tlp = String(raw.tlp).trim().toUpperCase().replace(/^TLP:/, '') as Tlp;
    if (!TLP_LEVELS.includes(tlp)) return { ok: false, reason: `unknown TLP ${String(raw.tlp)}` };
    out.tlp = tlp;
  }
  if (!blank(raw.confidence)) {
    const c = typeof raw.confidence === 'number' ? raw.confidence : Number(raw.confidence);
    if (!Number.isInteger(c) || c < 0 || c > 100) {
      return { ok: false, reason: 'confidence must be an integer from 0 to 100' };
    }
    out.confidence = c;
  }
  if (!blank(raw.tags)) {
    const tags = Array.isArray(raw.tags) ? raw.tags : String(raw.tags).split(';');
    const clean = [...new Set(tags.map((t) => String(t).trim()).filter((t) => t !== ''))];
    if (clean.length > MAX_TAGS) return { ok: false, reason: `at most ${MAX_TAGS} tags` };
    const badTag = clean.find((t) => !TAG_PATTERN.test(t));
    if (badTag !== undefined) return { ok: false, reason: `tag "${badTag}" is not valid` };
    out.tags = clean;
  }
  for (const [key, max] of [
    ['source', MAX_SOURCE],
    ['description', MAX_DESCRIPTION],
  ] as const) {
    if (blank(raw[key])) continue;
    const text = String(raw[key]).trim();
    if (text.length > max) return { ok: false, reason: `${key} is longer than ${max} characters` };
    if (!isStorableText(text)) {
      return { ok: false, reason: `${key} holds a NUL character or an unpaired UTF-16 surrogate` };
    }
    out[key] = text;
  }
  for (const key of ['validFrom', 'validUntil'] as const) {
    if (blank(raw[key])) continue;
    const date = parseTimestamp(raw[key]);
    if (date === undefined) {
      return { ok: false, reason: `${key} must be an ISO 8601 date-time with a time zone` };
    }
    out[key] = date;
  }
  if (out.validFrom && out.validUntil && out.validUntil <= out.validFrom) {
    return { ok: false, reason: 'validUntil must be after validFrom' };
  }
  return { ok: true, value: out };
}

const ISO_WITH_ZONE =
  /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function parseTimestamp(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  const text = String(v).trim();
  if (!ISO_WITH_ZONE.test(text)) return undefined;
  // A date alone is midnight UTC; a date-time without a zone is refused (ambiguous).
  if (/T/i.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
