// @ts-check
// The proof that a resolver serves the deployed zone: it answers the zone's version record
// (TXT "version=<V>", RPZ local data) with exactly V.
import { Resolver } from 'node:dns/promises';
import { sleep } from './util.js';

/**
 * The version in a TXT answer (`version=<V>`), or null.
 * @param {string[][]} records
 */
export function versionIn(records) {
  for (const chunks of records) {
    const match = /^version=(\d+)$/.exec(chunks.join(''));
    if (match) return Number(match[1]);
  }
  return null;
}

/**
 * Asks one resolver for the version name every 200 ms until it answers exactly `version`, or
 * the time is up (then throws, naming the last answer).
 * @param {string} server `addr:port` or `[v6]:port`
 * @param {string} name
 * @param {number} version
 * @param {number} timeoutMs
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ server: string, answer: string, at: string }>}
 */
export async function proveOne(server, name, version, timeoutMs, signal) {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([server]);
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (signal?.aborted) throw new Error('stopped');
    try {
      const records = await resolver.resolveTxt(name);
      const seen = versionIn(records);
      last = seen === null ? `TXT ${JSON.stringify(records)}` : `TXT "version=${seen}"`;
      if (seen === version) {
        return { server, answer: `TXT "version=${seen}"`, at: new Date().toISOString() };
      }
    } catch (error) {
      last = /** @type {NodeJS.ErrnoException} */ (error).code ?? String(error);
    }
    if (Date.now() + 200 > deadline) break;
    await sleep(200, signal);
  }
  resolver.cancel();
  throw new Error(
    `resolver ${server} did not answer version ${version} for ${name} within ${timeoutMs / 1000} s (last: ${last})`,
  );
}

/**
 * Every resolver, in parallel: the answers, or the first failure.
 * @param {string[]} servers
 * @param {string} name
 * @param {number} version
 * @param {number} timeoutMs
 * @param {AbortSignal} [signal]
 */
export function prove(servers, name, version, timeoutMs, signal) {
  return Promise.all(servers.map((s) => proveOne(s, name, version, timeoutMs, signal)));
}
