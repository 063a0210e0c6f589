import ipaddr from 'ipaddr.js';
import type { RpzAction } from '#src/feeds/feed-vocabulary.js';

export interface RpzSettings {
  ttl: number;
  nameServer: string;
  contact: string;
  /** The walled-garden host of `redirect`, with a trailing dot. */
  noticeHost: string;
}

const fqdn = (name: string): string => (name.endsWith('.') ? name : `${name}.`);

/**
 * A request's action as an RPZ policy target (RFC draft-vixie-dnsop-dns-rpz, BIND ARM §RPZ), the
 * CNAME target: `.` NXDOMAIN, `*.` NODATA, the notice host for redirect.
 */
export function rpzTarget(action: RpzAction, settings: RpzSettings): string {
  if (action === 'nxdomain') return '.';
  if (action === 'nodata') return '*.';
  return fqdn(settings.noticeHost);
}

/**
 * The rpz-ip owner of an address or network: the prefix length, then the address reversed —
 * IPv4 octets, or IPv6 16-bit groups with the compressed run of zero groups written `zz`
 * (`2001:db8::1` → `128.1.zz.db8.2001.rpz-ip`).
 */
export function rpzIpOwner(address: string, prefix: number): string {
  if (address.includes(':')) {
    const text = ipaddr.IPv6.parse(address).toRFC5952String();
    let groups: string[];
    if (text.includes('::')) {
      const [head = '', tail = ''] = text.split('::');
      const before = head === '' ? [] : head.split(':');
      const after = tail === '' ? [] : tail.split(':');
      groups = [...after.reverse(), 'zz', ...before.reverse()];
    } else {
      groups = text.split(':').reverse();
    }
    return `${prefix}.${groups.join('.')}.rpz-ip`;
  }
  return `${prefix}.${address.split('.').reverse().join('.')}.rpz-ip`;
}

/**
 * The zone lines of one indicator: a name and its subdomains, or an rpz-ip trigger. URLs cannot
 * be expressed in RPZ: they are listed as comments.
 */
export function rpzRecords(
  type: string,
  value: string,
  action: RpzAction,
  settings: RpzSettings,
): string {
  const target = rpzTarget(action, settings);
  switch (type) {
    case 'domain':
      return `${value} CNAME ${target}\n*.${value} CNAME ${target}\n`;
    case 'ipv4':
      return `${rpzIpOwner(value, 32)} CNAME ${target}\n`;
    case 'ipv6':
      return `${rpzIpOwner(value, 128)} CNAME ${target}\n`;
    case 'cidr': {
      const [address = '', prefix = '0'] = value.split('/');
      return `${rpzIpOwner(address, Number(prefix))} CNAME ${target}\n`;
    }
    default:
      return `; ${type} not expressible in RPZ: ${value.replace(/[\r\n]/g, '')}\n`;
  }
}

/** SOA (serial = feed version), NS and a comment: the start of the zone. */
export function rpzHeader(serial: number, settings: RpzSettings, comment: string): string {
  const ns = fqdn(settings.nameServer);
  const contact = fqdn(settings.contact.replace('@', '.'));
  return (
    `$TTL ${settings.ttl}\n` +
    `@ IN SOA ${ns} ${contact} ${serial} 3600 600 604800 ${settings.ttl}\n` +
    `@ IN NS ${ns}\n` +
    `; ${comment.replace(/[\r\n]/g, ' ')}\n`
  );
}
