// @ts-check
// The agent's settings: command-line flags, else environment variables, each checked and
// bounded. A bad or missing one is a ConfigError (exit code 2).
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { parseArgs } from 'node:util';

export class ConfigError extends Error {}

/**
 * Every option: its flag, type, default, bounds and help line (the --help text and the README
 * table come from here).
 * @type {Record<string, { type: 'string' | 'boolean', multiple?: boolean, env?: string,
 *   default?: string, min?: number, max?: number, arg?: string, help: string }>}
 */
export const OPTIONS = {
  url: {
    type: 'string',
    env: 'THREAT_EXCHANGE_URL',
    arg: 'URL',
    help: 'the service, e.g. https://exchange.example (required)',
  },
  'client-id': {
    type: 'string',
    env: 'THREAT_EXCHANGE_CLIENT_ID',
    arg: 'ID',
    help: "the ISP's API client id (required)",
  },
  'client-secret': {
    type: 'string',
    env: 'THREAT_EXCHANGE_CLIENT_SECRET',
    arg: 'SECRET',
    help: 'its secret (prefer the environment or --client-secret-file: flags show in ps)',
  },
  'client-secret-file': {
    type: 'string',
    env: 'THREAT_EXCHANGE_CLIENT_SECRET_FILE',
    arg: 'PATH',
    help: 'a file holding the secret (one line)',
  },
  'rpz-file': {
    type: 'string',
    arg: 'PATH',
    help: 'the response policy zone file to write (required)',
  },
  'rpz-origin': {
    type: 'string',
    default: 'rpz.threat-exchange.',
    arg: 'NAME',
    help: "the zone's name, as the resolver's configuration names it",
  },
  'version-name': {
    type: 'string',
    default: 'version.threat-exchange.internal',
    arg: 'NAME',
    help: 'owner (relative to the zone) of the TXT record "version=<V>" the proof asks for',
  },
  'redirect-target': {
    type: 'string',
    arg: 'HOST',
    help: 'the notice host of `redirect` entries when the snapshot did not show it (else NXDOMAIN)',
  },
  'nft-file': {
    type: 'string',
    arg: 'PATH',
    help: 'an nftables script with the sets blocked_ipv4 and blocked_ipv6 (nft -f)',
  },
  'nft-table': {
    type: 'string',
    default: 'threat_exchange',
    arg: 'NAME',
    help: 'the inet table of those sets',
  },
  'ip-list-file': {
    type: 'string',
    arg: 'PATH',
    help: 'a list of addresses and networks, one a line',
  },
  'reload-command': {
    type: 'string',
    arg: 'CMD',
    help: 'run with /bin/sh after the files are in place (e.g. "rndc reload rpz.threat-exchange")',
  },
  'reload-timeout': {
    type: 'string',
    default: '30',
    min: 1,
    max: 3600,
    arg: 'SECONDS',
    help: 'the reload command is killed after this',
  },
  resolver: {
    type: 'string',
    multiple: true,
    arg: 'HOST:PORT',
    help: 'a resolver to prove the version on (repeatable; IPv6 as [addr]:port; port 53 if none)',
  },
  'proof-timeout': {
    type: 'string',
    default: '30',
    min: 1,
    max: 3600,
    arg: 'SECONDS',
    help: 'how long a resolver may take to answer the new version',
  },
  'state-file': {
    type: 'string',
    arg: 'PATH',
    help: 'what the agent holds and confirmed (default: <rpz-file>.state.json)',
  },
  'status-file': {
    type: 'string',
    arg: 'PATH',
    help: 'a JSON status rewritten after each step (for monitoring)',
  },
  'health-port': {
    type: 'string',
    min: 1,
    max: 65535,
    arg: 'PORT',
    help: 'serve GET /health (the status; 200 healthy, 503 not) on this port',
  },
  'health-host': {
    type: 'string',
    default: '127.0.0.1',
    arg: 'ADDRESS',
    help: 'the address of the health endpoint',
  },
  wait: {
    type: 'string',
    default: '30',
    min: 0,
    max: 60,
    arg: 'SECONDS',
    help: 'long poll: the service holds a changes request until a change or this; 0 = plain polling',
  },
  'poll-interval': {
    type: 'string',
    default: '30',
    min: 1,
    max: 86400,
    arg: 'SECONDS',
    help: 'the pause between polls when --wait is 0 (or the service does not support it)',
  },
  'resync-interval': {
    type: 'string',
    default: '86400',
    min: 0,
    max: 31_536_000,
    arg: 'SECONDS',
    help: 'take the whole snapshot again this often (0: never): an entry another request made stricter is not in the change feed',
  },
  'page-size': {
    type: 'string',
    default: '10000',
    min: 1,
    max: 10000,
    arg: 'N',
    help: 'changes per page',
  },
  once: {
    type: 'boolean',
    help: 'apply what is pending, reload, prove, confirm, then exit (0 on success): for cron',
  },
  'log-level': {
    type: 'string',
    default: 'info',
    arg: 'LEVEL',
    help: 'debug, info, warn or error',
  },
  help: { type: 'boolean', help: 'this text' },
};

export function usage() {
  const lines = Object.entries(OPTIONS).map(([name, o]) => {
    const flag = `--${name}${o.arg ? ` ${o.arg}` : ''}`;
    const extra = [
      o.default !== undefined ? `default ${o.default}` : '',
      o.min !== undefined ? `${o.min}..${o.max}` : '',
      o.env ? `env ${o.env}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return `  ${flag.padEnd(30)} ${o.help}${extra ? ` (${extra})` : ''}`;
  });
  return (
    'usage: threat-exchange-agent --url URL --client-id ID --rpz-file PATH [options]\n\n' +
    'Follows the threat-exchange feed for one ISP: writes the zone and IP lists, reloads the\n' +
    'resolver, checks it answers the new version, then sends the feed receipt.\n\n' +
    `${lines.join('\n')}\n`
  );
}

/**
 * @typedef {object} Config
 * @property {string} url
 * @property {string} clientId
 * @property {string} clientSecret
 * @property {string} rpzFile
 * @property {string} rpzOrigin
 * @property {string} versionName
 * @property {string | null} redirectTarget
 * @property {string | null} nftFile
 * @property {string} nftTable
 * @property {string | null} ipListFile
 * @property {string | null} reloadCommand
 * @property {number} reloadTimeoutMs
 * @property {string[]} resolvers
 * @property {number} proofTimeoutMs
 * @property {string} stateFile
 * @property {string | null} statusFile
 * @property {number | null} healthPort
 * @property {string} healthHost
 * @property {number} waitSeconds
 * @property {number} pollIntervalMs
 * @property {number} resyncIntervalMs 0: never
 * @property {number} pageSize
 * @property {boolean} once
 * @property {import('./util.js').LogLevel} logLevel
 */

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/;

/**
 * The configuration from the arguments and the environment, or 'help'.
 * @param {string[]} argv the arguments after the program name
 * @param {Record<string, string | undefined>} env
 * @returns {Config | 'help'}
 */
export function loadConfig(argv, env) {
  /** @type {Record<string, string | boolean | (string | boolean)[] | undefined>} */
  let values;
  try {
    const options = Object.fromEntries(
      Object.entries(OPTIONS).map(([name, o]) => [
        name,
        { type: o.type, multiple: o.multiple === true },
      ]),
    );
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  /** @param {string} name @returns {string | undefined} */
  const text = (name) => {
    const o = OPTIONS[name];
    const given = values[name];
    if (typeof given === 'string') return given;
    const fromEnv = o.env ? env[o.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return o.default;
  };
  /** @param {string} name */
  const required = (name) => {
    const value = text(name);
    if (value === undefined || value === '') {
      const o = OPTIONS[name];
      throw new ConfigError(`--${name} is required${o.env ? ` (or ${o.env})` : ''}`);
    }
    return value;
  };
  /** @param {string} name @returns {number | null} */
  const number = (name) => {
    const value = text(name);
    if (value === undefined) return null;
    const o = OPTIONS[name];
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < (o.min ?? 0) || n > (o.max ?? Number.MAX_SAFE_INTEGER)) {
      throw new ConfigError(`--${name} must be a whole number from ${o.min} to ${o.max}: ${value}`);
    }
    return n;
  };
  /** @param {string} name */
  const host = (name) => {
    const value = text(name);
    if (value === undefined) return null;
    if (!HOST_NAME.test(value)) throw new ConfigError(`--${name} must be a host name: ${value}`);
    return value;
  };

  const url = required('url');
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`--url must be an http(s) URL: ${url}`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username || parsed.password) {
    throw new ConfigError(`--url must be an http(s) URL without credentials: ${url}`);
  }

  const clientSecret = secret(values, env);
  const rpzFile = required('rpz-file');
  const versionName = /** @type {string} */ (host('version-name'));
  if (versionName.endsWith('.')) {
    throw new ConfigError('--version-name is relative to the zone: no trailing dot');
  }
  const nftTable = /** @type {string} */ (text('nft-table'));
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(nftTable)) {
    throw new ConfigError(`--nft-table must be letters, digits and _: ${nftTable}`);
  }
  const logLevel = /** @type {string} */ (text('log-level'));
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`--log-level must be debug, info, warn or error: ${logLevel}`);
  }
  const resolvers = /** @type {string[]} */ (values.resolver ?? []).map(resolverAddress);
  if (resolvers.length > 16) throw new ConfigError('at most 16 --resolver');
  const redirect = host('redirect-target');

  return {
    url: url.replace(/\/+$/, ''),
    clientId: required('client-id'),
    clientSecret,
    rpzFile,
    rpzOrigin: /** @type {string} */ (host('rpz-origin')),
    versionName,
    redirectTarget: redirect === null ? null : redirect.endsWith('.') ? redirect : `${redirect}.`,
    nftFile: text('nft-file') ?? null,
    nftTable,
    ipListFile: text('ip-list-file') ?? null,
    reloadCommand: text('reload-command') ?? null,
    reloadTimeoutMs: /** @type {number} */ (number('reload-timeout')) * 1000,
    resolvers,
    proofTimeoutMs: /** @type {number} */ (number('proof-timeout')) * 1000,
    stateFile: text('state-file') ?? `${rpzFile}.state.json`,
    statusFile: text('status-file') ?? null,
    healthPort: number('health-port'),
    healthHost: /** @type {string} */ (text('health-host')),
    waitSeconds: /** @type {number} */ (number('wait')),
    pollIntervalMs: /** @type {number} */ (number('poll-interval')) * 1000,
    resyncIntervalMs: /** @type {number} */ (number('resync-interval')) * 1000,
    pageSize: /** @type {number} */ (number('page-size')),
    once: values.once === true,
    logLevel: /** @type {import('./util.js').LogLevel} */ (logLevel),
  };
}

/**
 * The client secret: --client-secret, else --client-secret-file, else the same from the
 * environment (flags win).
 * @param {Record<string, unknown>} values
 * @param {Record<string, string | undefined>} env
 */
function secret(values, env) {
  const candidates = [
    ['text', values['client-secret']],
    ['file', values['client-secret-file']],
    ['text', env.THREAT_EXCHANGE_CLIENT_SECRET],
    ['file', env.THREAT_EXCHANGE_CLIENT_SECRET_FILE],
  ];
  for (const [kind, value] of candidates) {
    if (typeof value !== 'string' || value === '') continue;
    if (kind === 'text') return value;
    try {
      const content = readFileSync(value, 'utf8').replace(/\r?\n$/, '');
      if (content === '') throw new ConfigError(`the client secret file is empty: ${value}`);
      return content;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      throw new ConfigError(`the client secret file cannot be read (${code}): ${value}`);
    }
  }
  throw new ConfigError(
    '--client-secret or --client-secret-file is required (or THREAT_EXCHANGE_CLIENT_SECRET, THREAT_EXCHANGE_CLIENT_SECRET_FILE)',
  );
}

/**
 * `addr`, `addr:port` or `[v6]:port` as node:dns's setServers takes it.
 * @param {string} text
 */
export function resolverAddress(text) {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let address = text;
  let port = '53';
  if (bracketed) [address, port] = [bracketed[1], bracketed[2] ?? '53'];
  else if (!isIPv6(text) && text.includes(':')) [address, port] = text.split(':');
  const portNumber = Number(port);
  if (
    !(isIPv4(address) || isIPv6(address)) ||
    !/^\d+$/.test(port) ||
    portNumber < 1 ||
    portNumber > 65535
  ) {
    throw new ConfigError(
      `--resolver must be ADDRESS:PORT (an IP address; IPv6 as [addr]:port): ${text}`,
    );
  }
  return isIPv6(address) ? `[${address}]:${portNumber}` : `${address}:${portNumber}`;
}
