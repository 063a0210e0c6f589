import { describe, expect, it } from '@jest/globals';
import { rpzHeader, rpzIpOwner, rpzRecords, type RpzSettings } from '#src/feeds/snapshots/rpz.js';

const settings: RpzSettings = {
  ttl: 300,
  nameServer: 'ns.rpz.example',
  contact: 'hostmaster@dic.example',
  noticeHost: 'blocked.dic.example',
};

describe('RPZ encoding', () => {
  it.each([
    ['192.0.2.1', 32, '32.1.2.0.192.rpz-ip'],
    ['198.51.100.0', 24, '24.0.100.51.198.rpz-ip'],
    ['10.0.0.0', 8, '8.0.0.0.10.rpz-ip'],
    ['2001:db8::1', 128, '128.1.zz.db8.2001.rpz-ip'],
    ['2001:db8::', 32, '32.zz.db8.2001.rpz-ip'],
    ['::1', 128, '128.1.zz.rpz-ip'],
    ['2001:db8:0:0:1:0:0:1', 128, '128.1.0.0.1.zz.db8.2001.rpz-ip'],
    ['2001:db8:1:2:3:4:5:6', 128, '128.6.5.4.3.2.1.db8.2001.rpz-ip'],
    ['2a0e:b100:1::', 48, '48.zz.1.b100.2a0e.rpz-ip'],
  ])('%s/%i → %s', (address, prefix, owner) => {
    expect(rpzIpOwner(address, prefix)).toBe(owner);
  });

  it('writes names with their subdomains, and the action as the CNAME target', () => {
    expect(rpzRecords('domain', 'c2.example.com', 'nxdomain', settings)).toBe(
      'c2.example.com CNAME .\n*.c2.example.com CNAME .\n',
    );
    expect(rpzRecords('domain', 'c2.example.com', 'nodata', settings)).toBe(
      'c2.example.com CNAME *.\n*.c2.example.com CNAME *.\n',
    );
    expect(rpzRecords('domain', 'c2.example.com', 'redirect', settings)).toBe(
      'c2.example.com CNAME blocked.dic.example.\n*.c2.example.com CNAME blocked.dic.example.\n',
    );
    expect(rpzRecords('cidr', '203.0.113.0/24', 'nxdomain', settings)).toBe(
      '24.0.113.0.203.rpz-ip CNAME .\n',
    );
    expect(rpzRecords('url', 'http://x.example/a', 'nxdomain', settings)).toBe(
      '; url not expressible in RPZ: http://x.example/a\n',
    );
  });

  it('starts the zone with SOA (serial = version) and NS', () => {
    expect(rpzHeader(42, settings, 'feed for ISP-A')).toBe(
      '$TTL 300\n@ IN SOA ns.rpz.example. hostmaster.dic.example. 42 3600 600 604800 300\n' +
        '@ IN NS ns.rpz.example.\n; feed for ISP-A\n',
    );
  });
});
