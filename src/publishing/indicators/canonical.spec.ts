import { describe, expect, it } from '@jest/globals';
import {
  canonicalize,
  canonicalizeUntyped,
  detectType,
  type IndicatorType,
} from '#src/publishing/indicators/canonical.js';

/** [type, input, canonical value] */
const ACCEPTED: [IndicatorType, string, string][] = [
  ['domain', 'example.com', 'example.com'],
  ['domain', 'EXAMPLE.COM', 'example.com'],
  ['domain', 'Example.Com.', 'example.com'],
  ['domain', '  example.com  ', 'example.com'],
  ['domain', 'sub.deep.example.co.uk', 'sub.deep.example.co.uk'],
  ['domain', 'bücher.de', 'xn--bcher-kva.de'],
  ['domain', 'BÜCHER.de', 'xn--bcher-kva.de'],
  ['domain', 'xn--bcher-kva.de', 'xn--bcher-kva.de'],
  ['domain', 'thanhhoa.gov.vn', 'thanhhoa.gov.vn'],
  ['domain', 'tiếngviệt.vn', 'xn--tingvit-5t4cyc.vn'],
  ['domain', 'bad-site.com.vn', 'bad-site.com.vn'],
  ['domain', 'c2_node.example.net', 'c2_node.example.net'],
  ['domain', 'a.b.c.d.e.example.org', 'a.b.c.d.e.example.org'],
  ['domain', 'xn--80ak6aa92e.com', 'xn--80ak6aa92e.com'],
  ['domain', 'пример.рф', 'xn--e1afmkfd.xn--p1ai'],
  ['ipv4', '192.0.2.1', '192.0.2.1'],
  ['ipv4', ' 198.51.100.7 ', '198.51.100.7'],
  ['ipv4', '0.0.0.0', '0.0.0.0'],
  ['ipv4', '255.255.255.255', '255.255.255.255'],
  ['ipv6', '2001:DB8::1', '2001:db8::1'],
  ['ipv6', '2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['ipv6', '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['ipv6', '2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ['ipv6', '::1', '::1'],
  ['ipv6', '[2001:db8::5]', '2001:db8::5'],
  ['ipv6', 'fe80:0:0:0:0:0:0:0', 'fe80::'],
  ['cidr', '198.51.100.0/24', '198.51.100.0/24'],
  ['cidr', '10.0.0.0/8', '10.0.0.0/8'],
  ['cidr', '192.0.2.1/32', '192.0.2.1/32'],
  ['cidr', '0.0.0.0/0', '0.0.0.0/0'],
  ['cidr', '2001:DB8::/32', '2001:db8::/32'],
  ['cidr', '2001:0db8:0000::/48', '2001:db8::/48'],
  ['url', 'HTTP://Example.COM/Path?q=1#frag', 'http://example.com/Path?q=1'],
  ['url', 'https://example.com:443/a', 'https://example.com/a'],
  ['url', 'http://example.com:80', 'http://example.com/'],
  ['url', 'http://example.com:8080/x', 'http://example.com:8080/x'],
  ['url', 'https://bücher.de/ä', 'https://xn--bcher-kva.de/%C3%A4'],
  ['url', 'http://example.com./login', 'http://example.com/login'],
  ['url', 'http://192.0.2.10/payload.exe', 'http://192.0.2.10/payload.exe'],
  ['url', 'http://[2001:db8::1]:8080/', 'http://[2001:db8::1]:8080/'],
  ['url', 'ftp://files.example.org/x.zip', 'ftp://files.example.org/x.zip'],
  ['md5', 'D41D8CD98F00B204E9800998ECF8427E', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  [
    'sha256',
    'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ],
];

/** [type, input, reason pattern, suggestion] */
const REFUSED: [IndicatorType, string, RegExp, string?][] = [
  ['domain', '', /empty/],
  ['domain', '.', /empty/],
  ['domain', 'localhost', /not under a known public suffix/],
  ['domain', 'com', /public suffix, not a registrable domain/],
  ['domain', 'gov.vn', /public suffix, not a registrable domain/],
  ['domain', 'co.uk.', /public suffix/],
  ['domain', 'example.invalidtld', /not under a known public suffix/],
  ['domain', '192.0.2.1', /IP address is not a domain/],
  ['domain', '*.example.com', /cannot contain/],
  ['domain', 'exa mple.com', /cannot contain/],
  ['domain', 'http://example.com', /cannot contain/],
  ['domain', 'user@example.com', /cannot contain/],
  ['domain', 'a..example.com', /empty label|not a valid/],
  ['domain', '-bad.example.com', /not a valid DNS label/],
  ['domain', `${'a'.repeat(64)}.com`, /63 characters/],
  ['domain', `${'abcdefghij.'.repeat(24)}com`, /253 characters/],
  ['ipv4', '256.1.1.1', /at most 255/],
  ['ipv4', '1.2.3', /four decimal numbers/],
  ['ipv4', '010.0.0.1', /leading zeros/, '10.0.0.1'],
  ['ipv4', '0x7f.0.0.1', /four decimal numbers/],
  ['ipv4', '3232235777', /four decimal numbers/],
  ['ipv4', '1.2.3.4/24', /four decimal numbers/],
  ['ipv6', '2001:db8::g', /not a valid IPv6/],
  ['ipv6', '1:2:3:4:5:6:7:8:9', /not a valid IPv6/],
  ['ipv6', 'fe80::1%eth0', /zone id/],
  ['ipv6', '192.0.2.1', /not a valid IPv6/],
  ['cidr', '198.51.100.7/24', /host bits are set/, '198.51.100.0/24'],
  ['cidr', '10.1.2.3/8', /host bits are set/, '10.0.0.0/8'],
  ['cidr', '2001:db8::1/32', /host bits are set/, '2001:db8::/32'],
  ['cidr', '192.0.2.0/33', /at most 32/],
  ['cidr', '2001:db8::/129', /at most 128/],
  ['cidr', '192.0.2.0', /address\/prefix/],
  ['cidr', '192.0.2.0/abc', /must be a number/],
  ['cidr', 'example.com/24', /must be IPv4 in dotted decimal or IPv6/],
  ['url', 'example.com/path', /not a valid absolute URL/],
  ['url', 'javascript:alert(1)', /only http, https and ftp/],
  ['url', 'file:///etc/passwd', /only http, https and ftp/],
  ['url', 'http://localhost/x', /not a valid domain or IP address/],
  ['url', 'http://com/', /not a valid domain or IP address/],
  ['md5', 'xyz', /32 hexadecimal/],
  ['sha1', 'd41d8cd98f00b204e9800998ecf8427e', /40 hexadecimal/],
  ['sha256', 'g'.repeat(64), /64 hexadecimal/],
  ['domain', 'x'.repeat(5000), /at most 4096 characters/],
];

describe('canonical indicator values', () => {
  it('has a table of at least 60 cases', () => {
    expect(ACCEPTED.length + REFUSED.length).toBeGreaterThanOrEqual(60);
  });

  it.each(ACCEPTED)('%s %j → %j', (type, input, expected) => {
    expect(canonicalize(type, input)).toEqual({ ok: true, type, value: expected });
  });

  it.each(
    REFUSED.map(([type, input, reason, suggestion]) => ({ type, input, reason, suggestion })),
  )('$type $input is refused', ({ type, input, reason, suggestion }) => {
    const result = canonicalize(type, input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toMatch(reason);
      expect(result.suggestion).toBe(suggestion);
    }
  });

  it('is idempotent: the canonical value canonicalizes to itself', () => {
    for (const [type, , value] of ACCEPTED) {
      expect(canonicalize(type, value)).toEqual({ ok: true, type, value });
    }
  });
});

describe('type detection for untyped input', () => {
  it.each([
    ['example.com', 'domain'],
    ['Bücher.de', 'domain'],
    ['192.0.2.1', 'ipv4'],
    ['2001:db8::1', 'ipv6'],
    ['198.51.100.0/24', 'cidr'],
    ['2001:db8::/32', 'cidr'],
    ['https://example.com/x', 'url'],
    ['d41d8cd98f00b204e9800998ecf8427e', 'md5'],
    ['da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1'],
    ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'sha256'],
  ] as const)('%j is a %s', (input, type) => {
    expect(detectType(input)).toBe(type);
    expect(canonicalizeUntyped(input)).toMatchObject({ ok: true, type });
  });

  it('detects, then refuses with the reason', () => {
    expect(canonicalizeUntyped('198.51.100.7/24')).toEqual({
      ok: false,
      reason: 'host bits are set: the network is not aligned',
      suggestion: '198.51.100.0/24',
    });
  });
});
