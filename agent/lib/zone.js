// @ts-check
// The entry set (what is blocked), read from an RPZ zone and rendered into the outputs: the RPZ
// zone (draft-vixie-dnsop-dns-rpz: QNAME and rpz-ip triggers, CNAME policy targets), an
// nftables script and a plain list of addresses.

/** @typedef {'domain' | 'ipv4' | 'ipv6' | 'cidr' | 'url'} EntryType */
/** @typedef {'nxdomain' | 'nodata' | 'redirect'} DnsAction */

export const ENTRY_TYPES = /** @type {const} */ (['domain', 'ipv4', 'ipv6', 'cidr', 'url']);
const ACTIONS = /** @type {const} */ (['nxdomain', 'nodata', 'redirect']);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An IPv6 address's eight 16-bit groups, or null when the text is not one (an embedded
 * dotted IPv4 tail is accepted, as RFC 4291 §2.2 allows).
 * @param {string} text
 * @returns {number[] | null}
 */
function ipv6Groups(text) {
  let body = text.toLowerCase();
  const tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (tail) {
    if (!IPV4.test(tail[1])) return null;
    const [a, b, c, d] = tail[1].split('.').map(Number);
    body = `${body.slice(0, tail.index)}:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  /** @param {string} part */
  const groups = (part) => (part === '' ? [] : part.split(':'));
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

/**
 * The RFC 5952 text of an IPv6 address (lower case, no leading zeros, the longest run of two
 * or more zero groups, the first on a tie, written `::`), or null.
 * @param {string} text
 */
export function canonicalIpv6(text) {
  const groups = ipv6Groups(text);
  if (!groups) return null;
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * The rpz-ip owner of an address and prefix length: the prefix, then the address reversed
 * (IPv4 octets; IPv6 groups of the RFC 5952 text with its `::` written `zz`).
 * @param {string} address
 * @param {number} prefix
 */
export function rpzIpOwner(address, prefix) {
  if (!address.includes(':')) return `${prefix}.${address.split('.').reverse().join('.')}.rpz-ip`;
  const text = canonicalIpv6(address) ?? address;
  let labels;
  if (text.includes('::')) {
    const [head, tail] = text.split('::');
    labels = [
      ...(tail === '' ? [] : tail.split(':').reverse()),
      'zz',
      ...(head === '' ? [] : head.split(':').reverse()),
    ];
  } else {
    labels = text.split(':').reverse();
  }
  return `${prefix}.${labels.join('.')}.rpz-ip`;
}

/**
 * The entry an rpz-ip owner (without `.rpz-ip`) stands for, or null when it is not one.
 * @param {string} owner e.g. `24.0.2.0.192` or `128.1.zz.db8.2001`
 * @returns {{ type: EntryType, value: string } | null}
 */
export function parseRpzIpOwner(owner) {
  const [prefixText, ...reversed] = owner.split('.');
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const labels = reversed.reverse();
  if (labels.length === 4 && !labels.includes('zz')) {
    const address = labels.join('.');
    if (!IPV4.test(address) || prefix > 32) return null;
    return ipEntry(address, prefix, 32);
  }
  const zz = labels.indexOf('zz');
  const text =
    zz < 0
      ? labels.join(':')
      : `${labels.slice(0, zz).join(':')}::${labels.slice(zz + 1).join(':')}`;
  const address = canonicalIpv6(text);
  if (!address || prefix > 128) return null;
  return ipEntry(address, prefix, 128);
}

/**
 * @param {string} address
 * @param {number} prefix
 * @param {number} full
 * @returns {{ type: EntryType, value: string }}
 */
function ipEntry(address, prefix, full) {
  if (prefix === full) return { type: full === 32 ? 'ipv4' : 'ipv6', value: address };
  return { type: 'cidr', value: `${address}/${prefix}` };
}

/**
 * An entry's canonical type and value: domains in lower case without a trailing dot, IPv6 in
 * RFC 5952 form, a network of full length as its address. Null when the value is malformed.
 * @param {string} type
 * @param {string} value
 * @returns {{ type: EntryType, value: string } | null}
 */
export function normalizeEntry(type, value) {
  switch (type) {
    case 'domain': {
      const name = value.toLowerCase().replace(/\.$/, '');
      return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name) &&
        name.length <= 253 &&
        name.split('.').every((label) => label.length <= 63)
        ? { type, value: name }
        : null;
    }
    case 'ipv4':
      return IPV4.test(value) ? { type, value } : null;
    case 'ipv6': {
      const address = canonicalIpv6(value);
      return address ? { type, value: address } : null;
    }
    case 'cidr': {
      const [address = '', prefixText = ''] = value.split('/');
      if (!/^\d{1,3}$/.test(prefixText)) return null;
      const prefix = Number(prefixText);
      if (IPV4.test(address)) return prefix <= 32 ? ipEntry(address, prefix, 32) : null;
      const v6 = canonicalIpv6(address);
      return v6 && prefix <= 128 ? ipEntry(v6, prefix, 128) : null;
    }
    case 'url':
      return { type, value: value.replace(/[\r\n]/g, '') };
    default:
      return null;
  }
}

/**
 * What is blocked: entries keyed `type:value`, each with its DNS action (an index into
 * ACTIONS, to keep a million entries small), and the one redirect target.
 */
export class EntrySet {
  constructor() {
    /** @type {Map<string, number>} */
    this.entries = new Map();
    /** @type {string | null} the walled-garden host of `redirect`, with a trailing dot */
    this.redirectTarget = null;
  }

  get size() {
    return this.entries.size;
  }

  /**
   * Adds (or replaces) an entry; answers false when the value is malformed.
   * @param {string} type
   * @param {string} value
   * @param {DnsAction} action
   */
  add(type, value, action) {
    const entry = normalizeEntry(type, value);
    if (!entry) return false;
    this.entries.set(`${entry.type}:${entry.value}`, ACTIONS.indexOf(action));
    return true;
  }

  /** @param {string} type @param {string} value */
  remove(type, value) {
    const entry = normalizeEntry(type, value);
    return entry ? this.entries.delete(`${entry.type}:${entry.value}`) : false;
  }

  /** @param {string} type @param {string} value */
  action(type, value) {
    const entry = normalizeEntry(type, value);
    const index = entry && this.entries.get(`${entry.type}:${entry.value}`);
    return index === undefined || index === null ? undefined : ACTIONS[index];
  }

  /** @returns {Record<EntryType, number>} */
  counts() {
    const counts = { domain: 0, ipv4: 0, ipv6: 0, cidr: 0, url: 0 };
    for (const key of this.entries.keys()) counts[entryType(key)] += 1;
    return counts;
  }

  /**
   * The values of some types, sorted (code-unit order: stable across runs and machines).
   * @param {readonly EntryType[]} types
   * @returns {{ type: EntryType, value: string, action: DnsAction }[]}
   */
  sorted(types) {
    const rows = [];
    for (const [key, action] of this.entries) {
      const type = entryType(key);
      if (types.includes(type)) {
        rows.push({ type, value: key.slice(type.length + 1), action: ACTIONS[action] });
      }
    }
    return rows.sort((a, b) =>
      a.type === b.type ? compare(a.value, b.value) : types.indexOf(a.type) - types.indexOf(b.type),
    );
  }
}

/** @param {string} key */
const entryType = (key) => /** @type {EntryType} */ (key.slice(0, key.indexOf(':')));
/** @param {string} a @param {string} b */
const compare = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Reads an RPZ zone (the server's snapshot or the agent's own zone) into an entry set, line by
 * line as its text arrives: `name CNAME target` (its `*.name` twin skipped), rpz-ip triggers,
 * `; url not expressible in RPZ: …` comments; the SOA serial is the version. Other records
 * (NS, the version TXT) and comments are skipped.
 */
export class RpzParser {
  /** @param {EntrySet} set */
  constructor(set) {
    this.set = set;
    this.carry = '';
    /** @type {number | null} */
    this.serial = null;
    this.lines = 0;
    this.skipped = 0;
  }

  /** @param {string} text */
  push(text) {
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  end() {
    if (this.carry !== '') this.line(this.carry);
    this.carry = '';
    return this;
  }

  /** @param {string} raw */
  line(raw) {
    this.lines += 1;
    const line = raw.replace(/\r$/, '');
    if (line.startsWith(';')) {
      const url = /^; url not expressible in RPZ: (.*)$/.exec(line);
      if (url) this.set.add('url', url[1], 'nxdomain');
      return;
    }
    const fields = line.trim().split(/\s+/);
    const upper = fields.map((f) => f.toUpperCase());
    const soa = upper.indexOf('SOA');
    if (soa >= 0 && fields.length > soa + 3) {
      this.serial = Number(fields[soa + 3]);
      return;
    }
    const cname = upper.indexOf('CNAME');
    if (cname < 1 || fields.length !== cname + 2) return;
    const owner = fields[0].toLowerCase().replace(/\.$/, '');
    if (owner.startsWith('*.')) return;
    const target = fields[cname + 1];
    /** @type {DnsAction} */
    let action = 'nxdomain';
    if (target === '*.') action = 'nodata';
    else if (target !== '.') {
      action = 'redirect';
      this.set.redirectTarget = target.endsWith('.') ? target : `${target}.`;
    }
    const ok = owner.endsWith('.rpz-ip')
      ? addIp(this.set, owner.slice(0, -'.rpz-ip'.length), action)
      : this.set.add('domain', owner, action);
    if (!ok) this.skipped += 1;
  }
}

/** @param {EntrySet} set @param {string} owner @param {DnsAction} action */
function addIp(set, owner, action) {
  const entry = parseRpzIpOwner(owner);
  return entry ? set.add(entry.type, entry.value, action) : false;
}

/**
 * @typedef {object} ZoneSettings
 * @property {number} version the feed version: the SOA serial and the version record
 * @property {string} origin the zone's name (a comment: the resolver's configuration names it)
 * @property {string} versionName the owner of the version TXT record, relative to the zone
 * @property {string | null} redirectTarget where `redirect` entries point (else NXDOMAIN)
 */

/** @param {DnsAction} action @param {string | null} redirectTarget */
function policyTarget(action, redirectTarget) {
  if (action === 'nodata') return '*.';
  if (action === 'redirect' && redirectTarget) return redirectTarget;
  return '.';
}

/**
 * The agent's zone: SOA (serial = version), NS, the version record, then every entry sorted
 * (domains, then addresses and networks), in the server's record shapes.
 * @param {EntrySet} set
 * @param {ZoneSettings} settings
 * @returns {Generator<string>}
 */
export function* renderZone(set, settings) {
  const serial = settings.version % 2 ** 32;
  yield (
    `; threat-exchange agent: zone ${settings.origin}, feed version ${settings.version}\n` +
    `$TTL 60\n` +
    `@ IN SOA localhost. hostmaster.localhost. ${serial} 3600 600 604800 60\n` +
    `@ IN NS localhost.\n` +
    `${settings.versionName} 1 IN TXT "version=${settings.version}"\n`
  );
  // A name is at most 253 characters written out: an owner that would not fit under the origin
  // would make the resolver refuse the whole zone, so it is left out (a comment says so).
  const room = 253 - settings.origin.replace(/\.$/, '').length - 1;
  for (const { type, value, action } of set.sorted(ENTRY_TYPES)) {
    const target = policyTarget(action, settings.redirectTarget);
    if (type === 'domain') {
      if (value.length > room) yield `; domain too long for the zone's origin: ${value}\n`;
      else if (value.length + 2 > room) yield `${value} CNAME ${target}\n`;
      else yield `${value} CNAME ${target}\n*.${value} CNAME ${target}\n`;
    } else if (type === 'ipv4') yield `${rpzIpOwner(value, 32)} CNAME ${target}\n`;
    else if (type === 'ipv6') yield `${rpzIpOwner(value, 128)} CNAME ${target}\n`;
    else if (type === 'cidr') {
      const [address, prefix] = value.split('/');
      yield `${rpzIpOwner(address, Number(prefix))} CNAME ${target}\n`;
    } else yield `; url not expressible in RPZ: ${value}\n`;
  }
}

/** @param {string} value */
const isIpv6 = (value) => value.includes(':');

/**
 * An nftables script (`nft -f`, applied as one transaction): the table and its two interval
 * sets, both flushed, then their elements.
 * @param {EntrySet} set
 * @param {string} table
 * @returns {Generator<string>}
 */
export function* renderNft(set, table) {
  yield (
    `#!/usr/sbin/nft -f\n` +
    `# threat-exchange agent: addresses and networks to block\n` +
    `table inet ${table} {\n` +
    `\tset blocked_ipv4 { type ipv4_addr; flags interval; auto-merge; }\n` +
    `\tset blocked_ipv6 { type ipv6_addr; flags interval; auto-merge; }\n` +
    `}\n` +
    `flush set inet ${table} blocked_ipv4\n` +
    `flush set inet ${table} blocked_ipv6\n`
  );
  const values = addresses(set);
  for (const [name, family] of /** @type {const} */ ([
    ['blocked_ipv4', false],
    ['blocked_ipv6', true],
  ])) {
    const members = values.filter((v) => isIpv6(v) === family);
    for (let i = 0; i < members.length; i += 1000) {
      yield `add element inet ${table} ${name} { ${members.slice(i, i + 1000).join(', ')} }\n`;
    }
  }
}

/**
 * One address or network per line, sorted.
 * @param {EntrySet} set
 * @returns {Generator<string>}
 */
export function* renderIpList(set) {
  for (const value of addresses(set)) yield `${value}\n`;
}

/** Every address and network, sorted. @param {EntrySet} set */
function addresses(set) {
  return set
    .sorted(['ipv4', 'cidr', 'ipv6'])
    .map((e) => e.value)
    .sort(compare);
}
