import { describe, expect, it } from '@jest/globals';
import ipaddr from 'ipaddr.js';
import {
  addressRefusal,
  UrlRefused,
  vetWebhookUrl,
  type ResolvedAddress,
  type UrlPolicy,
} from '#src/messaging/webhooks/webhook-url-guard.js';

const strict: UrlPolicy = { allowHttp: false, allowedCidrs: [] };

/** A resolver with fixed answers; unknown names fail like NXDOMAIN. */
const resolver = {
  lookup: async (host: string): Promise<ResolvedAddress[]> => {
    const table: Record<string, ResolvedAddress[]> = {
      localhost: [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ],
      'hooks.isp.example': [{ address: '93.184.215.14', family: 4 }],
      'internal.isp.example': [{ address: '10.1.2.3', family: 4 }],
      // One public and one private address: refused (ANY address decides).
      'mixed.isp.example': [
        { address: '93.184.215.14', family: 4 },
        { address: '192.168.0.10', family: 4 },
      ],
      'v6.isp.example': [{ address: '2606:4700:4700::1111', family: 6 }],
      'metadata.isp.example': [{ address: 'fd00:ec2::254', family: 6 }],
      'mapped.isp.example': [{ address: '::ffff:169.254.169.254', family: 6 }],
    };
    const answer = table[host];
    if (!answer) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return answer;
  },
};

const refusal = async (url: string, policy = strict): Promise<string> => {
  try {
    await vetWebhookUrl(url, policy, resolver);
  } catch (error) {
    if (error instanceof UrlRefused) return error.message;
    throw error;
  }
  return 'ACCEPTED';
};

/** Each URL, and the words its refusal must contain. */
const CORPUS: [string, string][] = [
  ['http://127.0.0.1/hook', 'scheme http'],
  ['https://127.0.0.1/hook', 'loopback'],
  ['https://127.1/hook', 'loopback'],
  ['https://2130706433/hook', 'loopback'],
  ['https://0x7f000001/hook', 'loopback'],
  ['https://017700000001/hook', 'loopback'],
  ['https://[::1]/hook', 'loopback'],
  ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
  ['https://[::ffff:7f00:1]/hook', 'loopback'],
  ['https://169.254.169.254/latest/meta-data', 'link-local'],
  ['https://[fd00:ec2::254]/latest/meta-data', 'unique-local'],
  ['https://100.100.100.200/latest/meta-data', 'carrier-grade NAT'],
  ['https://100.64.0.1/', 'carrier-grade NAT'],
  ['https://10.0.0.1/', 'private'],
  ['https://192.168.1.1/', 'private'],
  ['https://172.16.0.1/', 'private'],
  ['https://172.31.255.254/', 'private'],
  ['https://[fe80::1]/', 'link-local'],
  ['https://[fc00::1]/', 'unique-local'],
  ['https://0.0.0.0/', 'unspecified'],
  ['https://[::]/', 'unspecified'],
  ['https://255.255.255.255/', 'broadcast'],
  ['https://224.0.0.1/', 'multicast'],
  ['https://[ff02::1]/', 'multicast'],
  ['https://192.0.2.10/', 'reserved or documentation'],
  ['https://198.51.100.7/', 'reserved or documentation'],
  ['https://203.0.113.9/', 'reserved or documentation'],
  ['https://240.0.0.1/', 'reserved'],
  ['https://[2001:db8::1]/', 'reserved'],
  ['https://[64:ff9b::7f00:1]/', 'NAT64'],
  ['https://[64:ff9b::a9fe:a9fe]/', 'NAT64'],
  ['https://[2002:7f00:1::1]/', '6to4'],
  ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'Teredo'],
  ['https://[::127.0.0.1]/', 'IPv4-compatible'],
  ['https://localhost/hook', 'the host localhost resolves to address 127.0.0.1 is loopback'],
  ['https://internal.isp.example/hook', 'resolves to address 10.1.2.3 is private'],
  ['https://mixed.isp.example/hook', 'resolves to address 192.168.0.10 is private'],
  ['https://metadata.isp.example/hook', 'unique-local'],
  ['https://mapped.isp.example/hook', 'IPv4-mapped 169.254.169.254'],
  ['https://nowhere.isp.example/hook', 'does not resolve (ENOTFOUND)'],
  ['https://user:pw@hooks.isp.example/hook', 'user name or password'],
  ['https://user@hooks.isp.example/hook', 'user name or password'],
  ['ftp://hooks.isp.example/hook', 'scheme ftp'],
  ['file:///etc/passwd', 'scheme file'],
  ['gopher://hooks.isp.example:70/', 'scheme gopher'],
  ['javascript:alert(1)', 'scheme javascript'],
  ['//hooks.isp.example/hook', 'not a valid absolute URL'],
  ['not a url', 'not a valid absolute URL'],
];

describe('webhook URL checks (SSRF protection)', () => {
  it(`refuses the corpus (${CORPUS.length} URLs), each with its reason`, async () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(20);
    const got: [string, string][] = [];
    for (const [url] of CORPUS) got.push([url, await refusal(url)]);
    for (const [[url, words], [, message]] of CORPUS.map((c, i) => [c, got[i]] as const)) {
      expect({ url, message }).toEqual({ url, message: expect.stringContaining(words) });
    }
  });

  it('accepts public https URLs (names and literals, IPv4 and IPv6)', async () => {
    for (const url of [
      'https://hooks.isp.example/hook?x=1',
      'https://hooks.isp.example:8443/hook',
      'https://v6.isp.example/hook',
      'https://93.184.215.14/hook',
      'https://[2606:4700:4700::1111]/hook',
    ]) {
      expect({ url, result: await refusal(url) }).toEqual({ url, result: 'ACCEPTED' });
    }
  });

  it('keeps every resolved address, to connect only to vetted ones', async () => {
    const vetted = await vetWebhookUrl('https://v6.isp.example/x', strict, resolver);
    expect(vetted.hostname).toBe('v6.isp.example');
    expect(vetted.addresses).toEqual([{ address: '2606:4700:4700::1111', family: 6 }]);
    const literal = await vetWebhookUrl('https://[2606:4700:4700::1111]/x', strict, resolver);
    expect(literal.hostname).toBe('2606:4700:4700::1111');
  });

  it('lets http and allowlisted ranges through only when configured (development, tests)', async () => {
    const loose: UrlPolicy = {
      allowHttp: true,
      allowedCidrs: [ipaddr.parseCIDR('127.0.0.0/8')],
    };
    expect(await refusal('http://127.0.0.1:8080/hook', loose)).toBe('ACCEPTED');
    expect(await refusal('http://localhost:8080/hook', loose)).toContain('::1 is loopback');
    expect(await refusal('http://10.0.0.1/hook', loose)).toContain('private');
    expect(await refusal('ftp://127.0.0.1/hook', loose)).toContain('scheme ftp');
  });

  it('judges IPv4-mapped IPv6 as the IPv4 address it carries', () => {
    expect(addressRefusal('::ffff:8.8.8.8', strict)).toBeUndefined();
    expect(addressRefusal('::ffff:10.0.0.1', strict)).toContain('private');
  });
});

describe('vetWebhookUrl under a deadline', () => {
  it('gives up on a resolver that never answers when the signal aborts, with the reason', async () => {
    const never = { lookup: () => new Promise<never>(() => undefined) };
    const controller = new AbortController();
    const vetting = vetWebhookUrl('https://hooks.slow.example/x', strict, never, controller.signal);
    controller.abort();
    await expect(vetting).rejects.toThrow(
      new UrlRefused('the host hooks.slow.example did not resolve in time (no DNS answer)'),
    );
  });
});
