import {
  canonicalCidr,
  canonicalIpv4,
  canonicalIpv6,
  refusalReason,
} from '#src/publishing/index.js';
import { parseRange } from '#src/response/units/unit-matcher.js';

/** An IP address (as a host network: /32 or /128) or an aligned CIDR, canonical. */
export function canonicalUnitNetwork(
  raw: string,
): { ok: true; value: string } | { ok: false; reason: string } {
  const value = raw.trim();
  if (value.includes('/')) {
    const cidr = canonicalCidr(value);
    return cidr.ok ? { ok: true, value: cidr.value } : { ok: false, reason: refusalReason(cidr) };
  }
  const v4 = canonicalIpv4(value);
  if (v4.ok) return { ok: true, value: `${v4.value}/32` };
  const v6 = canonicalIpv6(value);
  if (v6.ok) return { ok: true, value: `${v6.value}/128` };
  const why = value.includes(':') ? v6 : v4;
  return {
    ok: false,
    reason: `a network is an IP address or a CIDR, e.g. 113.160.12.0/24${why.ok ? '' : ` (${refusalReason(why)})`}`,
  };
}

/**
 * Pairs of networks of one list that overlap (equal, nested or, for IPv4-mapped IPv6, the same
 * addresses): for each network that overlaps an earlier-starting one, [its index, the other's].
 * Networks must be canonical.
 */
export function overlapsWithin(networks: readonly string[]): [number, number][] {
  const ranges = networks
    .map((n, index) => ({ index, range: parseRange(n) }))
    .filter((r) => r.range !== undefined)
    .map(({ index, range }) => ({
      index,
      family: range!.family,
      start: BigInt(range!.start),
      end: BigInt(range!.end),
    }))
    .sort((a, b) =>
      a.family !== b.family
        ? a.family - b.family
        : a.start < b.start
          ? -1
          : a.start > b.start
            ? 1
            : a.end > b.end
              ? -1
              : a.end < b.end
                ? 1
                : a.index - b.index,
    );
  const pairs: [number, number][] = [];
  let widest: (typeof ranges)[number] | undefined;
  for (const r of ranges) {
    if (widest !== undefined && widest.family === r.family && r.start <= widest.end) {
      pairs.push([r.index, widest.index]);
      if (r.end > widest.end) widest = r;
    } else widest = r;
  }
  return pairs.sort((a, b) => a[0] - b[0]);
}
