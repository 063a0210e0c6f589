import {
  canonicalCidr,
  canonicalIpv4,
  canonicalIpv6,
  refusalReason,
} from '#src/publishing/index.js';

/** An IP address (as a host network) or an aligned CIDR, canonical (ipaddr.js via canonical.ts). */
export function canonicalNetwork(
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
    reason: `network must be an IP address or a CIDR, e.g. 203.0.113.0/24${why.ok ? '' : ` (${refusalReason(why)})`}`,
  };
}
