import { canonicalize } from '#src/publishing/indicators/canonical.js';
import {
  normalizeProtectedEntry,
  normalizeProtectedHostname,
  type ProtectedEntryInput,
  type ProtectedEntryKind,
} from '#src/publishing/protected-lists/matcher.js';

/** The `type` values of the MISP warninglist schema. */
export const MISP_LIST_TYPES = ['string', 'substring', 'hostname', 'cidr', 'regex'] as const;
export type MispListType = (typeof MISP_LIST_TYPES)[number];

export interface MispEntry {
  kind: ProtectedEntryKind;
  value: string;
}

export interface MispWarninglist {
  name: string;
  description: string;
  version: number;
  type: MispListType;
  matchingAttributes: string[];
  /** Deduplicated, normalized. */
  entries: MispEntry[];
  /** Values left out, with the reason. */
  skipped: { value: string; reason: string }[];
  /** Values kept in another form (e.g. a network with host bits set, aligned). */
  notes: { value: string; note: string }[];
}

export type MispParseResult = ({ ok: true } & MispWarninglist) | { ok: false; reason: string };

const fail = (reason: string): MispParseResult => ({ ok: false, reason });

/**
 * One MISP warninglist document (misp-warninglists schema.json) as protected entries.
 * - cidr: networks; a single address becomes a /32 or /128, host bits set are aligned (MISP
 *   tolerates them) and noted.
 * - hostname: hostname entries (the name and its subdomains).
 * - string: exact string entries. When the list matches `hostname` or `domain` attributes, a
 *   hostname-like value is stored as a lower-case A-label (still exact), an IP in canonical form,
 *   and a value with a leading dot (`.google.ad`: the domain and below) as a hostname entry.
 * - substring, regex: unsupported (no exact meaning for an indicator), refused whole.
 * Garbage values are skipped and reported; unknown top-level fields are ignored.
 */
export function parseMispWarninglist(doc: unknown): MispParseResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return fail('a MISP warninglist is a JSON object');
  }
  const d = doc as Record<string, unknown>;
  if (typeof d.name !== 'string' || d.name.trim() === '') return fail('"name" must be a string');
  if (typeof d.description !== 'string') return fail('"description" must be a string');
  if (typeof d.version !== 'number' || !Number.isInteger(d.version)) {
    return fail('"version" must be an integer');
  }
  if (typeof d.type !== 'string' || !(MISP_LIST_TYPES as readonly string[]).includes(d.type)) {
    return fail(`"type" must be one of ${MISP_LIST_TYPES.join(', ')}`);
  }
  const type = d.type as MispListType;
  if (type === 'substring' || type === 'regex') {
    return fail(
      `MISP warninglists of type "${type}" are not supported: only string, hostname and cidr lists have an exact meaning for an indicator`,
    );
  }
  if (!Array.isArray(d.list)) return fail('"list" must be an array of strings');
  const attributes = d.matching_attributes ?? [];
  if (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string')) {
    return fail('"matching_attributes" must be an array of strings');
  }
  const matchingAttributes = attributes as string[];
  const domainList =
    matchingAttributes.includes('hostname') || matchingAttributes.includes('domain');

  const entries: MispEntry[] = [];
  const skipped: MispWarninglist['skipped'] = [];
  const notes: MispWarninglist['notes'] = [];
  const seen: Record<ProtectedEntryKind, Set<string>> = {
    hostname: new Set(),
    cidr: new Set(),
    string: new Set(),
  };
  const keep = (kind: ProtectedEntryKind, value: string): void => {
    if (seen[kind].has(value)) return;
    seen[kind].add(value);
    entries.push({ kind, value });
  };

  for (const item of d.list as unknown[]) {
    if (typeof item !== 'string') {
      skipped.push({ value: JSON.stringify(item) ?? String(item), reason: 'not a string' });
      continue;
    }
    const raw = item.trim();
    if (raw === '') {
      skipped.push({ value: item, reason: 'empty value' });
      continue;
    }
    if (type === 'cidr') {
      const n = normalizeProtectedEntry('cidr', raw, { alignHostBits: true });
      if (!n.ok) skipped.push({ value: item, reason: n.reason });
      else {
        if (n.note !== undefined) notes.push({ value: item, note: n.note });
        keep('cidr', n.value);
      }
    } else if (type === 'hostname') {
      const n = normalizeProtectedHostname(raw);
      if (n.ok) keep('hostname', n.value);
      else skipped.push({ value: item, reason: n.reason });
    } else if (domainList && raw.startsWith('.')) {
      const n = normalizeProtectedHostname(raw);
      if (n.ok) keep('hostname', n.value);
      else skipped.push({ value: item, reason: n.reason });
    } else {
      const n = normalizeProtectedEntry('string', domainList ? domainString(raw) : raw);
      if (n.ok) keep('string', n.value);
      else skipped.push({ value: item, reason: n.reason });
    }
  }
  return {
    ok: true,
    name: d.name.trim(),
    description: d.description,
    version: d.version,
    type,
    matchingAttributes,
    entries,
    skipped,
    notes,
  };
}

/** A value of a domain string list in the form canonical indicators take, when it has one. */
function domainString(raw: string): string {
  if (!raw.startsWith('*')) {
    const host = normalizeProtectedHostname(raw);
    if (host.ok) return host.value;
  }
  for (const type of ['ipv4', 'ipv6'] as const) {
    const ip = canonicalize(type, raw);
    if (ip.ok) return ip.value;
  }
  return raw;
}

/** A parsed list's entries for ProtectedMatcher.build, with ids `${listId}:${index}`. */
export function mispEntriesFor(
  listId: string,
  listName: string,
  entries: readonly MispEntry[],
): ProtectedEntryInput[] {
  return entries.map((e, i) => ({ id: `${listId}:${i}`, listId, listName, ...e }));
}
