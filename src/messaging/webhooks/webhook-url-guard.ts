import { Resolver } from 'node:dns/promises';
import { Inject, Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { MessagingConfig } from '#src/messaging/messaging.config.js';
import { parseCidrList, PlatformConfig } from '#src/platform/config/index.js';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Answers that mean "no record of this family" rather than a failure. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Resolves host names for webhook URLs: every address (A and AAAA), by DNS queries of c-ares
 * (not getaddrinfo: that one blocks a thread of libuv's small pool for as long as a slow server
 * takes, and cannot be cancelled). Each query is bounded (`timeout` per try, 2 tries) and the
 * whole lookup is cancelled when `signal` aborts. A provider of its own so that tests can make
 * a name resolve anywhere (or never).
 */
@Injectable()
export class WebhookResolver {
  private readonly tryTimeoutMs: number;

  constructor(@Inject(MessagingConfig) config: MessagingConfig) {
    this.tryTimeoutMs = Math.max(50, Math.floor(config.WEBHOOK_TIMEOUT_MS / 4));
  }

  async lookup(hostname: string, signal?: AbortSignal): Promise<ResolvedAddress[]> {
    const resolver = new Resolver({ timeout: this.tryTimeoutMs, tries: 2 });
    const cancel = (): void => resolver.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const [v4, v6] = await Promise.allSettled([
        resolver.resolve4(hostname),
        resolver.resolve6(hostname),
      ]);
      const addresses: ResolvedAddress[] = [
        ...(v4.status === 'fulfilled'
          ? v4.value.map((address) => ({ address, family: 4 as const }))
          : []),
        ...(v6.status === 'fulfilled'
          ? v6.value.map((address) => ({ address, family: 6 as const }))
          : []),
      ];
      if (addresses.length > 0) return addresses;
      // Neither family answered: report the more telling failure (a timeout over "no data").
      const failures = [v4, v6]
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason as { code?: string });
      const failure = failures.find((f) => !NO_RECORDS.has(f.code ?? '')) ?? failures[0];
      throw Object.assign(new Error(`${hostname} does not resolve`), {
        code: failure?.code ?? 'ENOTFOUND',
      });
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }
}

/**
 * `work`, or a rejection with `onAbort()` as soon as `signal` aborts, whichever comes first
 * (the work itself may go on in the background: it is only no longer waited for).
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', abort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A URL we will not send to, with the reason (shown to the caller, logged on attempts). */
export class UrlRefused extends Error {
  override readonly name = 'UrlRefused';
}

export interface UrlPolicy {
  /** http:// is accepted (development, tests). */
  allowHttp: boolean;
  /** Ranges accepted although not public (development, tests). */
  allowedCidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
}

/** A URL that passed every check, and the addresses it may be reached at (all vetted). */
export interface VettedUrl {
  url: URL;
  /** The host name as it goes into Host and SNI (brackets removed for IPv6 literals). */
  hostname: string;
  addresses: ResolvedAddress[];
}

/** Names of ipaddr.js ranges as the refusal reason says them. */
const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local (this includes cloud metadata services such as 169.254.169.254)',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (RFC 1918)',
  reserved: 'reserved or documentation',
  as112: 'reserved (AS112)',
  amt: 'reserved (AMT)',
  uniqueLocal: 'unique-local (fc00::/7)',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only (100::/64)',
  rfc6145: 'an IPv4-translated address (SIIT)',
  rfc6052: 'a NAT64 address (64:ff9b::/96)',
  '6to4': 'a 6to4 address (2002::/16)',
  teredo: 'a Teredo address (2001::/32)',
  benchmarking: 'benchmarking (2001:2::/48)',
  as112v6: 'reserved (AS112)',
  deprecatedOrchid: 'reserved (ORCHID)',
  orchid2: 'reserved (ORCHIDv2)',
  droneRemoteIdProtocolEntityTags: 'reserved (DRIP)',
  segmentRouting: 'reserved (segment routing)',
};

function inAllowedCidr(ip: ipaddr.IPv4 | ipaddr.IPv6, policy: UrlPolicy): boolean {
  return policy.allowedCidrs.some(
    ([network, prefix]) => network.kind() === ip.kind() && ip.match(network, prefix),
  );
}

/**
 * Why an address may not receive webhooks, or undefined when it is a public unicast address.
 * Only ipaddr.js's `unicast` range passes: loopback, private, link-local, unique-local, CGNAT,
 * multicast, reserved, documentation… are refused. IPv4-mapped IPv6 is judged as the IPv4
 * address it carries; NAT64, 6to4, Teredo and IPv4-compatible (::/8) forms, which can smuggle
 * an internal IPv4 address, are refused outright.
 */
export function addressRefusal(address: string, policy: UrlPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let ip = ipaddr.parse(address);
  const mapped = ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress();
  if (mapped) ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (inAllowedCidr(ip, policy)) return undefined;
  const range = ip.range();
  const shown = mapped ? `${address} (IPv4-mapped ${ip.toString()})` : address;
  if (range !== 'unicast') return `address ${shown} is ${RANGE_NAMES[range] ?? range}`;
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts[0] === 0) {
    return `address ${shown} is reserved (::/8, IPv4-compatible)`;
  }
  return undefined;
}

/**
 * The checks that need no DNS: an absolute http(s) URL per WHATWG (which also normalizes
 * 127.1, 2130706433 and 0x7f000001 to 127.0.0.1), https unless http is allowed, no userinfo.
 */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlRefused('the URL is not a valid absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) {
    throw new UrlRefused(
      policy.allowHttp
        ? `the scheme ${url.protocol.slice(0, -1)} is not accepted: use https (or http here)`
        : `the scheme ${url.protocol.slice(0, -1)} is not accepted: use https`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new UrlRefused('the URL must not contain a user name or password');
  }
  if (url.hostname === '') throw new UrlRefused('the URL has no host');
  return url;
}

/**
 * Parses and checks a URL, then resolves its host (every address) and refuses it if ANY
 * address is not public. Throws UrlRefused with the reason.
 */
export async function vetWebhookUrl(
  raw: string,
  policy: UrlPolicy,
  resolver: Pick<WebhookResolver, 'lookup'>,
  signal?: AbortSignal,
): Promise<VettedUrl> {
  const url = parseWebhookUrl(raw, policy);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(hostname)) {
    addresses = [{ address: hostname, family: hostname.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await untilAborted(
        resolver.lookup(hostname, signal),
        signal,
        () => new UrlRefused(`the host ${hostname} did not resolve in time (no DNS answer)`),
      );
    } catch (error) {
      if (error instanceof UrlRefused) throw error;
      const code = (error as { code?: unknown }).code;
      throw new UrlRefused(
        `the host ${hostname} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
      );
    }
    if (addresses.length === 0) throw new UrlRefused(`the host ${hostname} does not resolve`);
  }
  for (const { address } of addresses) {
    const reason = addressRefusal(address, policy);
    if (reason !== undefined) {
      throw new UrlRefused(
        hostname === address ? reason : `the host ${hostname} resolves to ${reason}`,
      );
    }
  }
  return { url, hostname, addresses };
}

/** The policy from the configuration, and vetting with the application's resolver. */
@Injectable()
export class WebhookUrlGuard {
  readonly policy: UrlPolicy;

  private readonly timeoutMs: number;

  constructor(
    @Inject(MessagingConfig) config: MessagingConfig,
    @Inject(PlatformConfig) platform: PlatformConfig,
    private readonly resolver: WebhookResolver,
  ) {
    this.timeoutMs = config.WEBHOOK_TIMEOUT_MS;
    this.policy = {
      allowHttp: config.WEBHOOK_ALLOW_HTTP || platform.NODE_ENV === 'development',
      allowedCidrs: parseCidrList(config.WEBHOOK_ALLOWED_PRIVATE_CIDRS),
    };
  }

  /**
   * Vets `raw` before `signal` aborts (the delivery attempt's deadline); without one, within
   * WEBHOOK_TIMEOUT_MS (registration), so a resolver that never answers cannot stall a caller.
   */
  vet(raw: string, signal?: AbortSignal): Promise<VettedUrl> {
    return vetWebhookUrl(
      raw,
      this.policy,
      this.resolver,
      signal ?? AbortSignal.timeout(this.timeoutMs),
    );
  }
}
