import type {
  ProtectedEntryInput,
  ProtectedEntryKind,
} from '#src/publishing/protected-lists/matcher.js';

export const BUILTIN_LIST_ID = 'builtin';
export const BUILTIN_LIST_NAME = 'Built-in special-purpose ranges and government domains';

export interface BuiltinEntry {
  kind: ProtectedEntryKind;
  /** In normalized form (normalizeProtectedEntry returns it unchanged). */
  value: string;
  comment: string;
}

/** Never blocked: special-purpose address ranges, reserved names, the government's domain. */
export const BUILTIN_ENTRIES: readonly BuiltinEntry[] = [
  // IPv4 special-purpose registry (RFC 6890).
  { kind: 'cidr', value: '0.0.0.0/8', comment: '"This network" (RFC 1122 §3.2.1.3)' },
  { kind: 'cidr', value: '10.0.0.0/8', comment: 'Private use (RFC 1918)' },
  { kind: 'cidr', value: '100.64.0.0/10', comment: 'Shared address space, CGNAT (RFC 6598)' },
  { kind: 'cidr', value: '127.0.0.0/8', comment: 'Loopback (RFC 1122 §3.2.1.3)' },
  { kind: 'cidr', value: '169.254.0.0/16', comment: 'Link-local (RFC 3927)' },
  { kind: 'cidr', value: '172.16.0.0/12', comment: 'Private use (RFC 1918)' },
  { kind: 'cidr', value: '192.0.0.0/24', comment: 'IETF protocol assignments (RFC 6890)' },
  { kind: 'cidr', value: '192.0.2.0/24', comment: 'Documentation, TEST-NET-1 (RFC 5737)' },
  { kind: 'cidr', value: '192.168.0.0/16', comment: 'Private use (RFC 1918)' },
  { kind: 'cidr', value: '198.18.0.0/15', comment: 'Benchmarking (RFC 2544)' },
  { kind: 'cidr', value: '198.51.100.0/24', comment: 'Documentation, TEST-NET-2 (RFC 5737)' },
  { kind: 'cidr', value: '203.0.113.0/24', comment: 'Documentation, TEST-NET-3 (RFC 5737)' },
  { kind: 'cidr', value: '224.0.0.0/4', comment: 'Multicast (RFC 5771)' },
  { kind: 'cidr', value: '240.0.0.0/4', comment: 'Reserved (RFC 1112 §4)' },
  { kind: 'cidr', value: '255.255.255.255/32', comment: 'Limited broadcast (RFC 919 §7)' },
  // IPv6 special-purpose registry (RFC 6890).
  { kind: 'cidr', value: '::/128', comment: 'Unspecified address (RFC 4291 §2.5.2)' },
  { kind: 'cidr', value: '::1/128', comment: 'Loopback (RFC 4291 §2.5.3)' },
  { kind: 'cidr', value: '::ffff:0:0/96', comment: 'IPv4-mapped addresses (RFC 4291 §2.5.5.2)' },
  { kind: 'cidr', value: '64:ff9b::/96', comment: 'NAT64 well-known prefix (RFC 6052)' },
  { kind: 'cidr', value: '100::/64', comment: 'Discard-only (RFC 6666)' },
  { kind: 'cidr', value: '2001:db8::/32', comment: 'Documentation (RFC 3849)' },
  { kind: 'cidr', value: 'fc00::/7', comment: 'Unique local (RFC 4193)' },
  { kind: 'cidr', value: 'fe80::/10', comment: 'Link-local unicast (RFC 4291 §2.5.6)' },
  { kind: 'cidr', value: 'ff00::/8', comment: 'Multicast (RFC 4291 §2.7)' },
  // Names, with all names under them.
  { kind: 'hostname', value: 'gov.vn', comment: 'Vietnamese government domains (policy)' },
  { kind: 'hostname', value: 'localhost', comment: 'Special-use name (RFC 6761 §6.3)' },
  { kind: 'hostname', value: 'local', comment: 'Multicast DNS (RFC 6762)' },
  {
    kind: 'hostname',
    value: 'test',
    comment: 'Reserved TLD for testing (RFC 2606, RFC 6761 §6.2)',
  },
  { kind: 'hostname', value: 'invalid', comment: 'Reserved TLD (RFC 2606, RFC 6761 §6.4)' },
  { kind: 'hostname', value: 'example', comment: 'Reserved TLD (RFC 2606, RFC 6761 §6.5)' },
  { kind: 'hostname', value: 'example.com', comment: 'Example domain (RFC 2606 §3)' },
  { kind: 'hostname', value: 'example.net', comment: 'Example domain (RFC 2606 §3)' },
  { kind: 'hostname', value: 'example.org', comment: 'Example domain (RFC 2606 §3)' },
  { kind: 'hostname', value: 'arpa', comment: 'Infrastructure domain (RFC 3172)' },
];

/** The built-in list as matcher input, with ids `builtin:<kind>:<value>`. */
export function builtinProtectedEntries(): ProtectedEntryInput[] {
  return BUILTIN_ENTRIES.map(({ kind, value }) => ({
    id: `${BUILTIN_LIST_ID}:${kind}:${value}`,
    listId: BUILTIN_LIST_ID,
    listName: BUILTIN_LIST_NAME,
    kind,
    value,
  }));
}
