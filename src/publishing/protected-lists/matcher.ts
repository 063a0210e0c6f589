import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import {
  canonicalCidr,
  canonicalize,
  type IndicatorType,
} from '#src/publishing/indicators/canonical.js';

/**
 * hostname: the name and every name under it (label boundary); cidr: every address in the
 * network; string: exactly the canonical value.
 */
export type ProtectedEntryKind = 'hostname' | 'cidr' | 'string';

export interface ProtectedEntryInput {
  id: string;
  listId: string;
  listName: string;
  kind: ProtectedEntryKind;
  /** As returned by normalizeProtectedEntry. */
  value: string;
}

export interface ProtectedMatch {
  entryId: string;
  listId: string;
  listName: string;
  kind: ProtectedEntryKind;
  entry: string;
  reason: string;
}

/**
 * At most this many matches are reported per value: a few are enough to explain a refusal, and
 * the cap bounds the work and the response for a value such as 0.0.0.0/0 that overlaps every
 * network.
 */
export const MAX_MATCHES_PER_VALUE = 10;

export type NormalizedEntry =
  { ok: true; value: string; note?: string } | { ok: false; reason: string; suggestion?: string };

const MAX_STRING = 4096;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;

/**
 * A hostname entry as a lower-case A-label without trailing dot or leading `*.`/`.`. Unlike an
 * indicator domain it may be a public suffix or a bare TLD (`gov.vn`, `vn`, `localhost`).
 */
export function normalizeProtectedHostname(raw: string): NormalizedEntry {
  let name = raw.trim();
  if (name.startsWith('*.')) name = name.slice(2);
  else if (name.startsWith('.')) name = name.slice(1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return { ok: false, reason: 'empty hostname' };
  if (/[\s/*@:[\]]/.test(name)) {
    return { ok: false, reason: 'a hostname cannot contain spaces, "/", "*", "@", ":" or "[]"' };
  }
  const ascii = domainToASCII(name);
  if (ascii === '') return { ok: false, reason: 'not a valid hostname (IDNA)' };
  if (/^[0-9.]+$/.test(ascii)) {
    return { ok: false, reason: 'an IP address is not a hostname: use a cidr entry' };
  }
  if (ascii.length > 253) return { ok: false, reason: 'a hostname is at most 253 characters' };
  for (const label of ascii.split('.')) {
    if (label.length === 0) return { ok: false, reason: 'a hostname cannot have an empty label' };
    if (label.length > 63)
      return { ok: false, reason: 'a hostname label is at most 63 characters' };
    if (!LABEL.test(label)) {
      return { ok: false, reason: `the label "${label}" is not a valid DNS label` };
    }
  }
  return { ok: true, value: ascii };
}

/**
 * A network as `address/prefix` (IPv6 in RFC 5952 form); a single address becomes a /32 or
 * /128. Host bits set are refused with the aligned network suggested, or with `alignHostBits`
 * (third-party lists) replaced by the aligned network and a note.
 */
export function normalizeProtectedCidr(
  raw: string,
  options: { alignHostBits?: boolean } = {},
): NormalizedEntry {
  const value = raw.trim();
  if (!value.includes('/')) {
    const v4 = canonicalize('ipv4', value);
    if (v4.ok) return { ok: true, value: `${v4.value}/32` };
    const v6 = canonicalize('ipv6', value);
    if (v6.ok) return { ok: true, value: `${v6.value}/128` };
    return { ok: false, reason: 'not an IPv4 or IPv6 address or network' };
  }
  const cidr = canonicalCidr(value);
  if (cidr.ok) return { ok: true, value: cidr.value };
  if (options.alignHostBits && cidr.suggestion !== undefined && /host bits/.test(cidr.reason)) {
    return {
      ok: true,
      value: cidr.suggestion,
      note: `host bits were set: ${raw.trim()} aligned to ${cidr.suggestion}`,
    };
  }
  return cidr.suggestion === undefined
    ? { ok: false, reason: cidr.reason }
    : { ok: false, reason: cidr.reason, suggestion: cidr.suggestion };
}

/** A protected entry's stored value, or why it is refused (see the kinds' normalizers). */
export function normalizeProtectedEntry(
  kind: ProtectedEntryKind,
  raw: string,
  options: { alignHostBits?: boolean } = {},
): NormalizedEntry {
  switch (kind) {
    case 'hostname':
      return normalizeProtectedHostname(raw);
    case 'cidr':
      return normalizeProtectedCidr(raw, options);
    case 'string': {
      const value = raw.trim();
      if (value === '') return { ok: false, reason: 'empty string' };
      if (value.length > MAX_STRING) {
        return { ok: false, reason: `a string entry is at most ${MAX_STRING} characters` };
      }
      return { ok: true, value };
    }
  }
}

/** IPv4 addresses as numbers, IPv6 as 32 hex digits (which compare in address order). */
type Key = number | string;

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

function v4Range(octets: number[], prefix: number): [number, number] {
  const n = octets[0] * 0x1000000 + octets[1] * 0x10000 + octets[2] * 0x100 + octets[3];
  const size = 2 ** (32 - prefix);
  const start = Math.floor(n / size) * size;
  return [start, start + size - 1];
}

function v6Range(parts: number[], prefix: number): [string, string] {
  let start = '';
  let end = '';
  for (let k = 0; k < 8; k++) {
    const bits = Math.min(16, Math.max(0, prefix - 16 * k));
    const mask = (0xffff << (16 - bits)) & 0xffff;
    start += hex4(parts[k] & mask);
    end += hex4((parts[k] & mask) | (~mask & 0xffff));
  }
  return [start, end];
}

/**
 * `address[/prefix]` parsed by ipaddr.js (the family chosen by ":", which is much faster than
 * ipaddr.parseCIDR trying IPv6 first); a bare address is a /32 or /128. Undefined if invalid.
 */
function parseNetwork(raw: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
  const value = raw.trim();
  const slash = value.indexOf('/');
  const text = slash < 0 ? value : value.slice(0, slash);
  const v6 = text.includes(':');
  const max = v6 ? 128 : 32;
  const prefix =
    slash < 0
      ? max
      : /^\d{1,3}$/.test(value.slice(slash + 1))
        ? Number(value.slice(slash + 1))
        : -1;
  if (prefix < 0 || prefix > max) return undefined;
  try {
    return [v6 ? ipaddr.IPv6.parse(text) : ipaddr.IPv4.parse(text), prefix];
  } catch {
    return undefined;
  }
}

/** ::ffff:0:0/96 as 32 hex digits. */
const MAPPED_START = '00000000000000000000ffff00000000';
const MAPPED_END = '00000000000000000000ffffffffffff';

/**
 * Networks of one family, sorted by start (then widest first). CIDR networks are either nested
 * or disjoint, so each one's enclosing networks form a chain (`parent`): the networks holding
 * an address are found by binary search plus a walk up that chain, bounded by the nesting depth.
 */
class NetworkIndex<K extends Key> {
  private readonly starts: K[];
  private readonly ends: K[];
  private readonly parent: Int32Array;
  private readonly refs: Int32Array;

  constructor(items: { start: K; end: K; ref: number }[]) {
    items.sort((a, b) =>
      a.start < b.start
        ? -1
        : a.start > b.start
          ? 1
          : a.end > b.end
            ? -1
            : a.end < b.end
              ? 1
              : a.ref - b.ref,
    );
    const n = items.length;
    this.starts = items.map((i) => i.start);
    this.ends = items.map((i) => i.end);
    this.refs = Int32Array.from(items, (i) => i.ref);
    this.parent = new Int32Array(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) {
      while (stack.length > 0 && this.ends[stack[stack.length - 1]] < this.starts[i]) stack.pop();
      this.parent[i] = stack.length > 0 ? stack[stack.length - 1] : -1;
      stack.push(i);
    }
  }

  /**
   * Calls `found(ref, start, end)` for the networks overlapping [qs, qe] (itself a network):
   * first those that hold qs, most specific first, then those that start inside (qs, qe].
   * Stops when `found` returns false.
   */
  overlapping(qs: K, qe: K, found: (ref: number, start: K, end: K) => boolean): void {
    const { starts, ends, parent, refs } = this;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= qs) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    while (i >= 0 && ends[i] < qs) i = parent[i];
    for (; i >= 0; i = parent[i]) if (!found(refs[i], starts[i], ends[i])) return;
    for (let j = lo; j < starts.length && starts[j] <= qe; j++) {
      if (!found(refs[j], starts[j], ends[j])) return;
    }
  }
}

/** An address or network as a range of its family; `mapped`: its IPv4-mapped part as IPv4. */
type Query =
  | { family: 4; start: number; end: number }
  | { family: 6; start: string; end: string; mapped?: [number, number] };

function queryOf(address: ipaddr.IPv4 | ipaddr.IPv6, prefix: number): Query {
  if (address.kind() === 'ipv4') {
    const [start, end] = v4Range((address as ipaddr.IPv4).octets, prefix);
    return { family: 4, start, end };
  }
  const [start, end] = v6Range((address as ipaddr.IPv6).parts, prefix);
  let mapped: [number, number] | undefined;
  if (start >= MAPPED_START && end <= MAPPED_END) {
    mapped = [parseInt(start.slice(24), 16), parseInt(end.slice(24), 16)];
  } else if (start <= MAPPED_START && end >= MAPPED_END) {
    mapped = [0, 0xffffffff];
  }
  return mapped ? { family: 6, start, end, mapped } : { family: 6, start, end };
}

/** `mail.gov.vn` → `vn.gov.mail`: names under a domain share its reversed form as a prefix. */
function reverseLabels(name: string): string {
  return name.split('.').reverse().join('.');
}

/** Takes one match; returns false once no more are wanted. */
type Sink = (entry: number, reason: string) => boolean;

export class ProtectedMatcher {
  private constructor(
    private readonly entries: readonly ProtectedEntryInput[],
    private readonly hostnames: Map<string, number[]>,
    private readonly strings: Map<string, number[]>,
    private readonly v4: NetworkIndex<number>,
    private readonly v6: NetworkIndex<string>,
    /** Hostname entries by reversed labels (`vn.gov.mail`), sorted: names under a domain. */
    private readonly below: readonly { key: string; name: string }[],
  ) {}

  /**
   * Indexes the entries (values as stored by normalizeProtectedEntry). Throws on a cidr entry
   * that does not parse: a protection check must not silently ignore an entry.
   */
  static build(input: Iterable<ProtectedEntryInput>): ProtectedMatcher {
    const entries: ProtectedEntryInput[] = [];
    const hostnames = new Map<string, number[]>();
    const strings = new Map<string, number[]>();
    const v4: { start: number; end: number; ref: number }[] = [];
    const v6: { start: string; end: string; ref: number }[] = [];
    const add = (map: Map<string, number[]>, key: string, ref: number): void => {
      const refs = map.get(key);
      if (refs) refs.push(ref);
      else map.set(key, [ref]);
    };
    for (const e of input) {
      const ref = entries.length;
      entries.push({
        id: e.id,
        listId: e.listId,
        listName: e.listName,
        kind: e.kind,
        value: e.value,
      });
      switch (e.kind) {
        case 'hostname': {
          let name = e.value.trim().toLowerCase();
          if (name.startsWith('*.')) name = name.slice(2);
          else if (name.startsWith('.')) name = name.slice(1);
          if (name.endsWith('.')) name = name.slice(0, -1);
          if (name === '') throw new Error(`protected entry ${e.id}: empty hostname`);
          add(hostnames, name, ref);
          break;
        }
        case 'string':
          add(strings, e.value, ref);
          break;
        case 'cidr': {
          const parsed = parseNetwork(e.value);
          if (!parsed)
            throw new Error(`protected entry ${e.id}: "${e.value}" is not an IP network`);
          const [address, prefix] = parsed;
          if (address.kind() === 'ipv4') {
            const [start, end] = v4Range((address as ipaddr.IPv4).octets, prefix);
            v4.push({ start, end, ref });
          } else {
            const [start, end] = v6Range((address as ipaddr.IPv6).parts, prefix);
            v6.push({ start, end, ref });
          }
          break;
        }
        default:
          throw new Error(`protected entry ${e.id}: unknown kind ${String(e.kind)}`);
      }
    }
    const below = [...hostnames.keys()]
      .map((name) => ({ key: reverseLabels(name), name }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new ProtectedMatcher(
      entries,
      hostnames,
      strings,
      new NetworkIndex(v4),
      new NetworkIndex(v6),
      below,
    );
  }

  /** Number of entries indexed. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * The protected entries that `canonicalValue` (as made by canonicalize) hits, at most
   * MAX_MATCHES_PER_VALUE; [] when it is not protected.
   */
  match(type: IndicatorType, canonicalValue: string): ProtectedMatch[] {
    const out: ProtectedMatch[] = [];
    const sink: Sink = (ref, reason) => {
      const e = this.entries[ref];
      out.push({
        entryId: e.id,
        listId: e.listId,
        listName: e.listName,
        kind: e.kind,
        entry: e.value,
        reason,
      });
      return out.length < MAX_MATCHES_PER_VALUE;
    };
    if (!this.matchString(canonicalValue, '', sink)) return out;
    switch (type) {
      case 'domain':
        // A blocked domain is blocked with its subdomains (RPZ `*.name`): a protected name
        // under it is hit as well.
        if (this.matchHostname(canonicalValue, '', sink))
          this.matchNamesBelow(canonicalValue, sink);
        break;
      case 'ipv4':
      case 'ipv6':
        this.matchAddress(canonicalValue, '', sink);
        break;
      case 'cidr':
        this.matchNetwork(canonicalValue, sink);
        break;
      case 'url':
        this.matchUrlHost(canonicalValue, sink);
        break;
      case 'md5':
      case 'sha1':
      case 'sha256':
        break;
    }
    return out;
  }

  private matchString(value: string, prefix: string, sink: Sink): boolean {
    for (const ref of this.strings.get(value) ?? []) {
      if (!sink(ref, `${prefix}equals protected string ${value}`)) return false;
    }
    return true;
  }

  /** The name itself, then each parent at a label boundary (a.b.c → b.c → c). */
  private matchHostname(value: string, prefix: string, sink: Sink): boolean {
    let name = value.toLowerCase();
    if (name.endsWith('.')) name = name.slice(0, -1);
    for (let suffix = name; ;) {
      const refs = this.hostnames.get(suffix);
      if (refs) {
        const how = suffix === name ? 'equals' : 'under';
        for (const ref of refs) {
          if (!sink(ref, `${prefix}${how} protected hostname ${suffix}`)) return false;
        }
      }
      const dot = suffix.indexOf('.');
      if (dot < 0) return true;
      suffix = suffix.slice(dot + 1);
    }
  }

  /** Protected hostnames strictly under `value` (a prefix range of the reversed names). */
  private matchNamesBelow(value: string, sink: Sink): boolean {
    const prefix = `${reverseLabels(value.toLowerCase())}.`;
    let lo = 0;
    let hi = this.below.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.below[mid].key < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.below.length && this.below[i].key.startsWith(prefix); i++) {
      const name = this.below[i].name;
      for (const ref of this.hostnames.get(name) ?? []) {
        if (!sink(ref, `protected hostname ${name} is under it`)) return false;
      }
    }
    return true;
  }

  private matchAddress(value: string, prefix: string, sink: Sink): boolean {
    const parsed = parseNetwork(value.replace(/^\[(.*)\]$/, '$1'));
    return parsed === undefined || value.includes('/')
      ? true
      : this.matchQuery(queryOf(parsed[0], parsed[1]), prefix, sink);
  }

  private matchNetwork(value: string, sink: Sink): boolean {
    const parsed = parseNetwork(value);
    return parsed === undefined ? true : this.matchQuery(queryOf(parsed[0], parsed[1]), '', sink);
  }

  private matchQuery(q: Query, prefix: string, sink: Sink): boolean {
    let more = true;
    const report =
      (note: string, qs: Key, qe: Key) =>
      (ref: number, start: Key, end: Key): boolean => {
        const entry = this.entries[ref].value;
        const how =
          start === qs && end === qe ? 'equals' : start <= qs && end >= qe ? 'inside' : 'overlaps';
        more = sink(ref, `${prefix}${how} protected network ${entry}${note}`);
        return more;
      };
    if (q.family === 4) {
      this.v4.overlapping(q.start, q.end, report('', q.start, q.end));
      return more;
    }
    this.v6.overlapping(q.start, q.end, report('', q.start, q.end));
    if (more && q.mapped) {
      const [s, e] = q.mapped;
      this.v4.overlapping(s, e, report(' (IPv4-mapped)', s, e));
    }
    return more;
  }

  private matchUrlHost(value: string, sink: Sink): void {
    let host: string;
    try {
      host = new URL(value).hostname;
    } catch {
      return;
    }
    // The URL parser serializes an IPv4 host as dotted decimal (and refuses other numeric names).
    if (host.startsWith('[') || /^[0-9.]+$/.test(host)) {
      this.matchAddress(host, 'URL host ', sink);
    } else if (host !== '') {
      this.matchHostname(host, 'URL host ', sink);
    }
  }
}
