import ipaddr from 'ipaddr.js';

/** A unit's network as stored (canonical CIDR). */
export interface UnitNetworkInput {
  unitId: string;
  network: string;
}

export interface UnitMatch {
  unitId: string;
  /** The unit network that holds the address or network (canonical CIDR). */
  network: string;
}

/** An address or network of one family as a range: IPv4 as numbers, IPv6 as 128-bit BigInts. */
type Range<K> = { start: K; end: K };
type Parsed = ({ family: 4 } & Range<number>) | ({ family: 6 } & Range<bigint>);

const V6_BITS = 128n;
const V6_ALL = (1n << V6_BITS) - 1n;
/** ::ffff:0:0/96: IPv4-mapped addresses, matched as the IPv4 address they map. */
const MAPPED_START = 0xffffn << 32n;
const MAPPED_END = MAPPED_START | 0xffffffffn;

/**
 * Strict dotted decimal (`a.b.c.d`, each 0–255, no leading zero) as a number, or -1: the fast
 * path for IPv4, which is nearly every address matched. Anything else goes to ipaddr.js.
 */
function dottedQuad(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

function v6Value(address: ipaddr.IPv6): bigint {
  let value = 0n;
  for (const part of address.parts) value = (value << 16n) | BigInt(part);
  return value;
}

/** `address[/prefix]` as a range (prefix bits aligned down), IPv4-mapped as IPv4; undefined if invalid. */
export function parseRange(raw: string): Parsed | undefined {
  const slash = raw.indexOf('/');
  const text = slash < 0 ? raw : raw.slice(0, slash);
  const prefixText = slash < 0 ? undefined : raw.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (!text.includes(':')) {
    // Four-part decimal only (ipaddr.js would also take `1.2.3` or hex parts).
    const n = dottedQuad(text);
    if (n < 0) return undefined;
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    const size = 2 ** (32 - prefix);
    const start = Math.floor(n / size) * size;
    return { family: 4, start, end: start + size - 1 };
  }
  let address: ipaddr.IPv6;
  try {
    address = ipaddr.IPv6.parse(
      text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text,
    );
  } catch {
    return undefined;
  }
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) return undefined;
  const host = (1n << (V6_BITS - BigInt(prefix))) - 1n;
  const start = v6Value(address) & (V6_ALL ^ host);
  const end = start | host;
  if (start >= MAPPED_START && end <= MAPPED_END) {
    return { family: 4, start: Number(start - MAPPED_START), end: Number(end - MAPPED_START) };
  }
  return { family: 6, start, end };
}

/**
 * Networks of one family sorted by start, widest first among equal starts, each with a pointer
 * to its nearest enclosing network. CIDR networks are nested or disjoint, so the networks
 * holding an address form a chain: the last network starting at or before it (binary search),
 * then up its enclosing chain to the first that reaches it, is the longest prefix.
 */
class IntervalIndex<K extends number | bigint> {
  private readonly starts: K[];
  private readonly ends: K[];
  private readonly parent: Int32Array;
  readonly refs: Int32Array;

  constructor(items: (Range<K> & { ref: number })[]) {
    items.sort((a, b) =>
      a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0,
    );
    this.starts = items.map((i) => i.start);
    this.ends = items.map((i) => i.end);
    this.refs = Int32Array.from(items, (i) => i.ref);
    this.parent = new Int32Array(items.length);
    const stack: number[] = [];
    for (let i = 0; i < items.length; i++) {
      while (stack.length > 0 && this.ends[stack[stack.length - 1]] < this.starts[i]) stack.pop();
      this.parent[i] = stack.length > 0 ? stack[stack.length - 1] : -1;
      stack.push(i);
    }
  }

  get size(): number {
    return this.starts.length;
  }

  /** The index of the narrowest network holding [start, end], or -1. */
  find(start: K, end: K): number {
    const { starts, ends, parent } = this;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= start) lo = mid + 1;
      else hi = mid;
    }
    let i = lo - 1;
    while (i >= 0 && ends[i] < end) i = parent[i];
    return i;
  }
}

/**
 * Longest-prefix matching of addresses and networks to the units whose networks hold them,
 * IPv4 and IPv6 (IPv4-mapped IPv6 as IPv4). Immutable: built once from every unit network
 * (UnitNetworksService.matcher() rebuilds it when the networks change). Correct for nested
 * networks, although the database refuses overlaps today.
 */
export class UnitMatcher {
  private constructor(
    private readonly networks: readonly UnitNetworkInput[],
    private readonly v4: IntervalIndex<number>,
    private readonly v6: IntervalIndex<bigint>,
  ) {}

  /** Throws on a network that does not parse: a matcher must not silently drop a network. */
  static build(input: Iterable<UnitNetworkInput>): UnitMatcher {
    const networks: UnitNetworkInput[] = [];
    const v4: (Range<number> & { ref: number })[] = [];
    const v6: (Range<bigint> & { ref: number })[] = [];
    for (const n of input) {
      const range = parseRange(n.network);
      if (range === undefined) throw new Error(`unit network "${n.network}" is not an IP network`);
      const ref = networks.length;
      networks.push({ unitId: n.unitId, network: n.network });
      if (range.family === 4) v4.push({ start: range.start, end: range.end, ref });
      else v6.push({ start: range.start, end: range.end, ref });
    }
    return new UnitMatcher(networks, new IntervalIndex(v4), new IntervalIndex(v6));
  }

  /** Networks indexed. */
  get size(): number {
    return this.networks.length;
  }

  /** The unit whose network holds this IP address (longest prefix), or null (also if invalid). */
  match(address: string): UnitMatch | null {
    const n = dottedQuad(address);
    if (n >= 0) return this.matchIpv4(n);
    const range = parseRange(address);
    if (range === undefined || address.includes('/')) return null;
    return this.matchRange(range);
  }

  /** match() for an IPv4 address already a number (0 … 2^32 − 1). */
  matchIpv4(value: number): UnitMatch | null {
    const i = this.v4.find(value, value);
    return i < 0 ? null : this.networks[this.v4.refs[i]];
  }

  /**
   * The unit whose network contains this whole network (its prefix at least the unit's;
   * longest such), or null: a network straddling two units, or wider than any, has none.
   */
  matchNetwork(cidr: string): UnitMatch | null {
    const range = parseRange(cidr);
    return range === undefined ? null : this.matchRange(range);
  }

  private matchRange(range: Parsed): UnitMatch | null {
    if (range.family === 4) {
      const i = this.v4.find(range.start, range.end);
      return i < 0 ? null : this.networks[this.v4.refs[i]];
    }
    const i = this.v6.find(range.start, range.end);
    return i < 0 ? null : this.networks[this.v6.refs[i]];
  }
}

/**
 * An IPv4-mapped IPv6 address or network (`::ffff:192.0.2.1`, `::ffff:192.0.2.0/120`) as the
 * IPv4 one it maps (`192.0.2.1`, `192.0.2.0/24`), as matching treats it: one host is one address
 * however it was written. Anything else is returned as it is.
 */
export function unmapped(value: string): string {
  const [address, prefix] = value.split('/');
  if (!address.includes(':') || !ipaddr.IPv6.isValid(address)) return value;
  const parsed = ipaddr.IPv6.parse(address);
  if (!parsed.isIPv4MappedAddress()) return value;
  const v4 = parsed.toIPv4Address().toString();
  if (prefix === undefined) return v4;
  const bits = Number(prefix);
  return bits >= 96 ? `${v4}/${bits - 96}` : value;
}
