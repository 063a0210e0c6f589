/**
 * Times the protected-list check: all shared MISP warninglists plus the built-in list, 100,000
 * generated values. Prints one JSON object.
 *
 *   node dist/bench/protected-check.js [lists folder] [value count]
 *
 * The lists folder defaults to ../shared/data/misp-warninglists/lists (from the working folder).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ipaddr from 'ipaddr.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';
import { builtinProtectedEntries } from '#src/publishing/protected-lists/builtin.js';
import {
  ProtectedMatcher,
  type ProtectedEntryInput,
  type ProtectedEntryKind,
} from '#src/publishing/protected-lists/matcher.js';
import {
  mispEntriesFor,
  parseMispWarninglist,
} from '#src/publishing/protected-lists/misp-warninglist.js';
import { prng } from '#bench/support/prng.js';

const listsDir = path.resolve(
  process.argv[2] ?? path.resolve(process.cwd(), '../shared/data/misp-warninglists/lists'),
);
const count = Number(process.argv[3] ?? 100_000);
if (!existsSync(listsDir)) {
  console.error(`no MISP warninglists at ${listsDir}`);
  process.exit(2);
}

/** Random and listed IPs, IPv6, CIDRs, random domains, names under listed ones, URLs, hashes. */
function generateValues(
  entries: ProtectedEntryInput[],
  n: number,
  random: () => number,
): [IndicatorType, string][] {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const byte = () => Math.floor(random() * 256);
  const word = () => Math.floor(random() * 65536);
  const label = () => Math.floor(random() * 36 ** 6).toString(36);
  const hostnames = entries.filter((e) => e.kind === 'hostname').map((e) => e.value);
  const networks = entries
    .filter((e) => e.kind === 'cidr')
    .map((e) => (e.value.includes(':') ? ipaddr.IPv6 : ipaddr.IPv4).parseCIDR(e.value));
  const v4 = networks.filter(([a]) => a.kind() === 'ipv4') as [ipaddr.IPv4, number][];
  const v6 = networks.filter(([a]) => a.kind() === 'ipv6') as [ipaddr.IPv6, number][];
  const randomV4 = () => `${byte()}.${byte()}.${byte()}.${byte()}`;
  const randomV6 = () =>
    new ipaddr.IPv6(
      Array.from({ length: 8 }, (_, i) => (i === 0 ? 0x2000 | (word() & 0xfff) : word())),
    ).toRFC5952String();
  const inside4 = ([a, p]: [ipaddr.IPv4, number]): string => {
    const n = a.octets.reduce((x, o) => x * 256 + o, 0) + Math.floor(random() * 2 ** (32 - p));
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
  };
  const inside6 = ([a, p]: [ipaddr.IPv6, number]): string =>
    new ipaddr.IPv6(
      a.parts.map((part, k) => {
        const mask = (0xffff << (16 - Math.min(16, Math.max(0, p - 16 * k)))) & 0xffff;
        return (part & mask) | (word() & ~mask & 0xffff);
      }),
    ).toRFC5952String();
  const network4 = (address: string, p: number): string =>
    `${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${p}`).toString()}/${p}`;

  const makers: (() => [IndicatorType, string])[] = [
    () => ['ipv4', randomV4()],
    () => ['ipv4', inside4(pick(v4))],
    () => ['ipv6', randomV6()],
    () => ['ipv6', inside6(pick(v6))],
    () => ['cidr', network4(randomV4(), 8 + Math.floor(random() * 25))],
    () => ['cidr', network4(inside4(pick(v4)), 16 + Math.floor(random() * 17))],
    () => ['domain', `${label()}.${pick(['com', 'net', 'vn', 'com.vn', 'io', 'co.uk'])}`],
    () => ['domain', `${label()}.${pick(hostnames)}`],
    () => ['domain', `${label()}${pick(hostnames)}`],
    () => ['url', `https://${label()}.${pick(hostnames)}/${label()}`],
    () => ['url', `http://${inside4(pick(v4))}/${label()}.exe`],
  ];
  return Array.from({ length: n }, () => pick(makers)());
}

const t0 = performance.now();
const entries: ProtectedEntryInput[] = builtinProtectedEntries();
const lists: { id: string; type: string; entries: number; skipped: number; notes: number }[] = [];
for (const id of readdirSync(listsDir).sort()) {
  const file = path.join(listsDir, id, 'list.json');
  if (!existsSync(file)) continue;
  const parsed = parseMispWarninglist(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.ok) {
    lists.push({ id, type: `refused: ${parsed.reason}`, entries: 0, skipped: 0, notes: 0 });
    continue;
  }
  entries.push(...mispEntriesFor(id, parsed.name, parsed.entries));
  lists.push({
    id,
    type: parsed.type,
    entries: parsed.entries.length,
    skipped: parsed.skipped.length,
    notes: parsed.notes.length,
  });
}
const t1 = performance.now();
const matcher = ProtectedMatcher.build(entries);
const t2 = performance.now();
const values = generateValues(entries, count, prng(42));
const t3 = performance.now();
let protectedValues = 0;
let matchesFound = 0;
for (const [type, value] of values) {
  const found = matcher.match(type, value).length;
  if (found > 0) protectedValues++;
  matchesFound += found;
}
const t4 = performance.now();
for (const [type, value] of values) matcher.match(type, value);
const t5 = performance.now();

const byKind: Record<ProtectedEntryKind, number> = { hostname: 0, cidr: 0, string: 0 };
for (const e of entries) byKind[e.kind]++;
const ms = (x: number): number => Math.round(x * 10) / 10;
console.log(
  JSON.stringify(
    {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cpus: os.cpus().length,
      listsDir,
      lists,
      entriesLoaded: matcher.size,
      entriesByKind: byKind,
      parseListsMs: ms(t1 - t0),
      buildMs: ms(t2 - t1),
      values: values.length,
      matchMs: ms(t4 - t3),
      buildPlusMatchMs: ms(t2 - t1 + (t4 - t3)),
      matchMsSecondPass: ms(t5 - t4),
      protectedValues,
      matchesFound,
    },
    null,
    2,
  ),
);
