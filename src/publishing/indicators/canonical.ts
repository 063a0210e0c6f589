import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';
import { parse as parseDomain } from 'tldts';
import { FEED_TYPES } from '#src/feeds/index.js';

/** Indicator types: the feed types, and hashes (stored but never put into network feeds). */
export const INDICATOR_TYPES = [...FEED_TYPES, 'md5', 'sha1', 'sha256'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

export type Canonical =
  | { ok: true; type: IndicatorType; value: string }
  | { ok: false; reason: string; suggestion?: string };

const HASH_LENGTHS: Record<'md5' | 'sha1' | 'sha256', number> = { md5: 32, sha1: 40, sha256: 64 };
const URL_SCHEMES = new Set(['http:', 'https:', 'ftp:']);
const MAX_INPUT = 4096;
const IPV4_LIKE = /^(?:0x[0-9a-f]*|\d+)(?:\.(?:0x[0-9a-f]*|\d+)){0,3}$/i;
const IPV4_DOTTED = /^\d{1,3}(?:\.\d{1,3}){3}$/;

const ok = (type: IndicatorType, value: string): Canonical => ({ ok: true, type, value });
const bad = (reason: string, suggestion?: string): Canonical =>
  suggestion === undefined ? { ok: false, reason } : { ok: false, reason, suggestion };

/**
 * A domain as an A-label (IDNA via WHATWG `domainToASCII`), lower case, without the trailing
 * dot, under a known ICANN public suffix (tldts) and registrable: `localhost`, bare TLDs and
 * public suffixes such as `gov.vn`, IP literals and wildcards are refused.
 */
export function canonicalDomain(raw: string): Canonical {
  let name = raw.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') return bad('empty domain');
  if (/[\s/*@:]/.test(name)) return bad('a domain cannot contain spaces, "/", "*", "@" or ":"');
  // ":" is refused above, so only IPv4 forms remain (dotted, short, octal, hex), which inet_aton
  // would read as addresses. (A regular expression: ipaddr.isValid throws and catches inside.)
  if (IPV4_LIKE.test(name)) return bad('an IP address is not a domain');
  const ascii = domainToASCII(name);
  if (ascii === '') return bad('not a valid domain name (IDNA)');
  if (ascii.length > 253) return bad('a domain is at most 253 characters');
  for (const label of ascii.split('.')) {
    if (label.length === 0) return bad('a domain cannot have an empty label');
    if (label.length > 63) return bad('a domain label is at most 63 characters');
    if (!/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(label)) {
      return bad(`the label "${label}" is not a valid DNS label`);
    }
  }
  const parsed = parseDomain(ascii, { allowPrivateDomains: false });
  if (!parsed.isIcann || !parsed.publicSuffix)
    return bad(`"${ascii}" is not under a known public suffix`);
  if (!parsed.domain) return bad(`"${ascii}" is a public suffix, not a registrable domain`);
  return ok('domain', ascii);
}

/** IPv4 in dotted decimal only (no octal, hex or short forms). */
export function canonicalIpv4(raw: string): Canonical {
  const value = raw.trim();
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(value))
    return bad('an IPv4 address is four decimal numbers, e.g. 192.0.2.1');
  const parts = value.split('.');
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) {
    return bad(
      'leading zeros are ambiguous in IPv4 (octal)',
      parts.map((p) => String(Number(p))).join('.'),
    );
  }
  if (parts.some((p) => Number(p) > 255)) return bad('each IPv4 number is at most 255');
  return ok('ipv4', parts.join('.'));
}

/** IPv6 in its RFC 5952 form (lower case, zeros compressed); zone ids refused. */
export function canonicalIpv6(raw: string): Canonical {
  const value = raw.trim().replace(/^\[(.*)\]$/, '$1');
  if (value.includes('%')) return bad('an IPv6 zone id (%…) is local to one host');
  if (!ipaddr.IPv6.isValid(value)) return bad('not a valid IPv6 address');
  return ok('ipv6', ipaddr.IPv6.parse(value).toRFC5952String());
}

/** A network `address/prefix`; host bits set are refused with the aligned network suggested. */
export function canonicalCidr(raw: string): Canonical {
  const value = raw.trim();
  const slash = value.indexOf('/');
  if (slash < 0) return bad('a CIDR is address/prefix, e.g. 198.51.100.0/24');
  const address = value.slice(0, slash);
  const prefixText = value.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return bad('the prefix length must be a number');
  const prefix = Number(prefixText);
  const v4 = canonicalIpv4(address);
  if (v4.ok) {
    if (prefix > 32) return bad('an IPv4 prefix length is at most 32');
    const network = ipaddr.IPv4.networkAddressFromCIDR(`${v4.value}/${prefix}`).toString();
    if (network !== v4.value) {
      return bad('host bits are set: the network is not aligned', `${network}/${prefix}`);
    }
    return ok('cidr', `${network}/${prefix}`);
  }
  const v6 = canonicalIpv6(address);
  if (v6.ok) {
    if (prefix > 128) return bad('an IPv6 prefix length is at most 128');
    const network = ipaddr.IPv6.networkAddressFromCIDR(`${v6.value}/${prefix}`).toRFC5952String();
    if (network !== v6.value) {
      return bad('host bits are set: the network is not aligned', `${network}/${prefix}`);
    }
    return ok('cidr', `${network}/${prefix}`);
  }
  return bad('the address of a CIDR must be IPv4 in dotted decimal or IPv6');
}

/**
 * A URL normalized by the WHATWG parser (scheme and host lower case, IDN host as A-label,
 * default port removed, path percent-encoded), without its fragment or the host's trailing dot.
 * Only http, https and ftp; the host must be a valid domain or IP address.
 */
export function canonicalUrl(raw: string): Canonical {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return bad('not a valid absolute URL');
  }
  if (!URL_SCHEMES.has(url.protocol)) return bad('only http, https and ftp URLs are accepted');
  if (url.hostname.endsWith('.')) url.hostname = url.hostname.slice(0, -1);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  // The WHATWG parser already wrote an IPv4 host in dotted decimal and an IPv6 one in brackets.
  const hostOk = host.includes(':')
    ? ipaddr.IPv6.isValid(host)
    : IPV4_DOTTED.test(host) || canonicalDomain(host).ok;
  if (!hostOk) return bad(`the URL's host "${host}" is not a valid domain or IP address`);
  url.hash = '';
  return ok('url', url.toString());
}

export function canonicalHash(type: 'md5' | 'sha1' | 'sha256', raw: string): Canonical {
  const value = raw.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${HASH_LENGTHS[type]}}$`).test(value)) {
    return bad(`an ${type} hash is ${HASH_LENGTHS[type]} hexadecimal characters`);
  }
  return ok(type, value);
}

/** The canonical value of `raw` as an indicator of `type`, or why it is refused. */
export function canonicalize(type: IndicatorType, raw: string): Canonical {
  if (raw.length > MAX_INPUT) return bad(`values are at most ${MAX_INPUT} characters`);
  switch (type) {
    case 'domain':
      return canonicalDomain(raw);
    case 'ipv4':
      return canonicalIpv4(raw);
    case 'ipv6':
      return canonicalIpv6(raw);
    case 'cidr':
      return canonicalCidr(raw);
    case 'url':
      return canonicalUrl(raw);
    case 'md5':
    case 'sha1':
    case 'sha256':
      return canonicalHash(type, raw);
  }
}

/** The type an untyped value most plausibly is (its canonical form may still be refused). */
export function detectType(raw: string): IndicatorType {
  const value = raw.trim();
  if (/^[0-9a-fA-F]+$/.test(value)) {
    if (value.length === 32) return 'md5';
    if (value.length === 40) return 'sha1';
    if (value.length === 64) return 'sha256';
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value)) return 'url';
  if (value.includes('/')) return 'cidr';
  if (/^[0-9.]+$/.test(value)) return 'ipv4';
  if (value.includes(':')) return 'ipv6';
  return 'domain';
}

/** Detects the type, then canonicalizes. */
export function canonicalizeUntyped(raw: string): Canonical {
  return canonicalize(detectType(raw), raw);
}

/** A refusal as one sentence, with the corrected value when there is one. */
export function refusalReason(refusal: { reason: string; suggestion?: string }): string {
  return refusal.suggestion === undefined
    ? refusal.reason
    : `${refusal.reason} (did you mean ${refusal.suggestion}?)`;
}
