import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';
import { Factories } from '#test/support/factories.js';
import { describeWithShared, MISP_LISTS_DIR } from '#test/support/shared-data.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * The protected lists API over real HTTP on the run's shared database. Other test files run in
 * parallel on the same database: names are unique, values are chosen not to collide, and
 * matches are looked for by list rather than assumed to be the only ones.
 */

const API = '/api/v1/protected-lists';
const PROBLEM = /^application\/problem\+json/;
const BUILTIN_NAME = 'Built-in special-purpose ranges and government domains';

/** The real MISP warninglists, shared between checkouts; absent in some environments. */
const MISP_DIR = MISP_LISTS_DIR;
const describeShared = describeWithShared(MISP_DIR);

interface MispDoc {
  name: string;
  description: string;
  version: number;
  type: string;
  list: string[];
  matching_attributes: string[];
}

interface CheckMatch {
  listId: string;
  listName: string;
  entryId: string;
  kind: string;
  entry: string;
  reason: string;
}

interface CheckResult {
  index: number;
  input: string;
  type: string;
  value: string;
  matches: CheckMatch[];
}

interface CheckResponse {
  checked: number;
  matched: number;
  results: CheckResult[];
  invalid: { index: number; input: string; reason: string }[];
}

interface ListResponse {
  id: string;
  name: string;
  description: string | null;
  origin: string;
  sourceVersion: number | null;
  enabled: boolean;
  entryCount: number;
  version: number;
}

interface EntryResponse {
  id: string;
  listId: string;
  kind: string;
  value: string;
  comment: string | null;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** A registrable name nobody else uses: `<prefix>-<random>.com.vn`. */
const uniqueDomain = (prefix: string): string => `${prefix}-${hex(6)}.com.vn`;

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Whether an IPv4 network (`a.b.c.d/p`, or a bare address) holds the IPv4 address. */
function v4Holds(network: string, ip: string): boolean {
  if (network.includes(':')) return false;
  const [address, prefixText] = network.split('/');
  const size = 2 ** (32 - Number(prefixText ?? '32'));
  const start = Math.floor(ipv4ToInt(address) / size) * size;
  const n = ipv4ToInt(ip);
  return n >= start && n < start + size;
}

describe('protected lists', () => {
  let t: TestApp;
  let make: Factories;
  let admin: string;
  let builtin: ListResponse;
  /** The built-in list's entries by value. */
  const builtinEntries = new Map<string, EntryResponse>();

  const as = (token: string) => ({
    get: (url: string) => request(t.server).get(url).set('authorization', `Bearer ${token}`),
    post: (url: string, body: unknown) =>
      request(t.server)
        .post(url)
        .set('authorization', `Bearer ${token}`)
        .send(body as object),
    patch: (url: string, body: object) =>
      request(t.server).patch(url).set('authorization', `Bearer ${token}`).send(body),
    delete: (url: string) => request(t.server).delete(url).set('authorization', `Bearer ${token}`),
  });

  /** Every list, through every page (other files add lists to the shared database). */
  async function allLists(): Promise<ListResponse[]> {
    const out: ListResponse[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const res = await as(admin).get(`${API}?limit=200${query}`).expect(200);
      out.push(...(res.body.items as ListResponse[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor !== null);
    return out;
  }

  async function allEntries(listId: string): Promise<EntryResponse[]> {
    const out: EntryResponse[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const res = await as(admin).get(`${API}/${listId}/entries?limit=200${query}`).expect(200);
      out.push(...(res.body.items as EntryResponse[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor !== null);
    return out;
  }

  async function check(body: object, token = admin): Promise<CheckResponse> {
    const res = await as(token).post(`${API}/check`, body).expect(200);
    return res.body as CheckResponse;
  }

  /** The result for the value at `index`, if it is protected. */
  const resultAt = (res: CheckResponse, index: number): CheckResult | undefined =>
    res.results.find((r) => r.index === index);

  /** The matches of one list for the value at `index`. */
  const matchesOf = (res: CheckResponse, index: number, listId: string): CheckMatch[] =>
    (resultAt(res, index)?.matches ?? []).filter((m) => m.listId === listId);

  /** The match the built-in entry `entry` gives, as the API must report it. */
  const builtinMatch = (entry: string, reason: string): CheckMatch => {
    const e = builtinEntries.get(entry);
    if (!e) throw new Error(`no built-in entry ${entry}`);
    return {
      listId: builtin.id,
      listName: BUILTIN_NAME,
      entryId: e.id,
      kind: e.kind,
      entry,
      reason,
    };
  };

  beforeAll(async () => {
    t = await createTestApp();
    make = new Factories(t.app);
    admin = (await make.loginAs('admin')).token;
  });
  afterAll(async () => {
    await t.close();
  });

  describe('the built-in list', () => {
    it('is brought back to what the application ships at start-up, with an audit event naming the change', async () => {
      const ds = t.app.get(DataSource);
      const [{ id }] = await ds.query<{ id: string }[]>(
        `SELECT id FROM protected_lists WHERE origin = 'builtin'`,
      );
      const stray = `stray-${randomBytes(4).toString('hex')}.invalid`;
      await ds.query(
        `INSERT INTO protected_entries (list_id, kind, value) VALUES ($1, 'hostname', $2)`,
        [id, stray],
      );
      // What every start-up runs (a second app in this process would share TypeORM's registry).
      await t.app.get(ProtectedListsService).onApplicationBootstrap();
      const [{ n }] = await ds.query<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM protected_entries WHERE list_id = $1 AND value = $2`,
        [id, stray],
      );
      expect(n).toBe(0);
      await t.sealAudit();
      const events = await ds.query<{ actor_type: string; summary: Record<string, unknown> }[]>(
        `SELECT actor_type, summary FROM audit_events
          WHERE action = 'protected_list.builtin_sync' AND object_id = $1 ORDER BY seq`,
        [id],
      );
      expect(events.at(-1)).toMatchObject({
        actor_type: 'system',
        summary: { created: false, added: [], removed: [`hostname:${stray}`] },
      });
    });

    it('exists at start (origin builtin) with the special-purpose ranges and gov.vn', async () => {
      const found = (await allLists()).filter((l) => l.origin === 'builtin');
      expect(found).toHaveLength(1);
      builtin = found[0];
      expect(builtin).toMatchObject({ name: BUILTIN_NAME, enabled: true, sourceVersion: null });

      const entries = await allEntries(builtin.id);
      expect(builtin.entryCount).toBe(entries.length);
      for (const e of entries) builtinEntries.set(e.value, e);
      const expected: [string, string][] = [
        ['cidr', '10.0.0.0/8'], // RFC 1918
        ['cidr', '172.16.0.0/12'],
        ['cidr', '192.168.0.0/16'],
        ['cidr', '100.64.0.0/10'], // CGNAT, RFC 6598
        ['cidr', '127.0.0.0/8'], // loopback
        ['cidr', '::1/128'],
        ['cidr', '192.0.2.0/24'], // documentation, RFC 5737 / RFC 3849
        ['cidr', '198.51.100.0/24'],
        ['cidr', '203.0.113.0/24'],
        ['cidr', '2001:db8::/32'],
        ['hostname', 'gov.vn'],
      ];
      for (const [kind, value] of expected) {
        expect({ value, kind: builtinEntries.get(value)?.kind }).toEqual({ value, kind });
      }
      const one = await as(admin).get(`${API}/${builtin.id}`).expect(200);
      expect(one.body).toEqual(builtin);
    });

    it('is read-only: PATCH, DELETE, adding and removing entries are 409 problem+json', async () => {
      const gov = builtinEntries.get('gov.vn');
      expect(gov).toBeDefined();
      const refusals = [
        as(admin).patch(`${API}/${builtin.id}`, { version: builtin.version, enabled: false }),
        as(admin).patch(`${API}/${builtin.id}`, { version: builtin.version, name: 'Mine now' }),
        as(admin).delete(`${API}/${builtin.id}`),
        as(admin).post(`${API}/${builtin.id}/entries`, {
          entries: [{ kind: 'hostname', value: uniqueDomain('sneak') }],
        }),
        as(admin).delete(`${API}/${builtin.id}/entries/${gov?.id}`),
      ];
      for (const refused of refusals) {
        const res = await refused.expect(409);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({
          type: 'urn:threat-exchange:problem:invalid-state',
          status: 409,
          detail: 'The built-in list is maintained by the application and cannot be changed',
        });
      }
      const after = await as(admin).get(`${API}/${builtin.id}`).expect(200);
      expect(after.body).toEqual(builtin);
      expect((await allEntries(builtin.id)).map((e) => e.id).sort()).toEqual(
        [...builtinEntries.values()].map((e) => e.id).sort(),
      );
    });
  });

  describe('POST /protected-lists/check with the built-in list', () => {
    it('with results=all: every valid value canonicalized, matches empty when not protected; a bad results is a 400', async () => {
      const random = `R-${hex(8)}.COM.`;
      const res = (
        await as(admin)
          .post(`${API}/check?results=all`, {
            values: ['mail.gov.vn', random, '999.1.1.1', 'Bücher-Phish.com.', '10.1.2.3'],
          })
          .expect(200)
      ).body as CheckResponse;
      expect(res.checked).toBe(5);
      expect(res.matched).toBe(2);
      expect(res.results.map((r) => [r.index, r.type, r.value, r.matches.length > 0])).toEqual([
        [0, 'domain', 'mail.gov.vn', true],
        [1, 'domain', random.toLowerCase().slice(0, -1), false],
        [3, 'domain', 'xn--bcher-phish-thb.com', false],
        [4, 'ipv4', '10.1.2.3', true],
      ]);
      expect(res.invalid.map((i) => i.index)).toEqual([2]);
      const bad = await as(admin)
        .post(`${API}/check?results=everything`, { values: ['mail.gov.vn'] })
        .expect(400);
      expect(bad.body.detail ?? JSON.stringify(bad.body)).toMatch(/results/);
    });

    it('explains each protected value with its list, entry and reason, and lists the invalid ones', async () => {
      const random = `r-${hex(8)}.com`;
      const values = [
        'mail.gov.vn', // 0: under gov.vn
        'evilgov.vn', // 1: not under gov.vn (label boundary)
        '10.1.2.3', // 2: RFC 1918
        '100.64.1.1', // 3: CGNAT
        '10.0.0.0/7', // 4: overlaps 10.0.0.0/8
        '198.51.100.0/25', // 5: inside TEST-NET-2
        '192.0.2.0/23', // 6: holds TEST-NET-1, so overlaps it
        '999.1.1.1', // 7: invalid
        random, // 8: nobody protects it
        '::ffff:10.1.2.3', // 9: IPv4-mapped RFC 1918
        'MAIL.Gov.VN.', // 10: canonicalized first
        '172.0.0.0/8', // 11: holds 172.16.0.0/12, which starts inside it
      ];
      const items = [{ type: 'url', value: 'https://Portal.MOF.gov.vn/van-ban?id=1#top' }]; // 12
      const res = await check({ values, items });

      expect(Object.keys(res).sort()).toEqual(['checked', 'invalid', 'matched', 'results']);
      expect(res.checked).toBe(13);
      expect(res.matched).toBe(res.results.length);
      for (const r of res.results) {
        expect(Object.keys(r).sort()).toEqual(['index', 'input', 'matches', 'type', 'value']);
        expect(r.matches.length).toBeGreaterThan(0);
        for (const m of r.matches) {
          expect(Object.keys(m).sort()).toEqual([
            'entry',
            'entryId',
            'kind',
            'listId',
            'listName',
            'reason',
          ]);
        }
      }
      // Results are in request order and only for protected values.
      expect(res.results.map((r) => r.index)).toEqual(
        [...res.results.map((r) => r.index)].sort((a, b) => a - b),
      );

      const expectBuiltin = (index: number, type: string, value: string, match: CheckMatch) => {
        const r = resultAt(res, index);
        expect(r).toMatchObject({ index, input: [...values, items[0].value][index], type, value });
        expect(r?.matches).toContainEqual(match);
      };
      expectBuiltin(
        0,
        'domain',
        'mail.gov.vn',
        builtinMatch('gov.vn', 'under protected hostname gov.vn'),
      );
      expect(resultAt(res, 1)).toBeUndefined();
      expectBuiltin(
        2,
        'ipv4',
        '10.1.2.3',
        builtinMatch('10.0.0.0/8', 'inside protected network 10.0.0.0/8'),
      );
      expectBuiltin(
        3,
        'ipv4',
        '100.64.1.1',
        builtinMatch('100.64.0.0/10', 'inside protected network 100.64.0.0/10'),
      );
      expectBuiltin(
        4,
        'cidr',
        '10.0.0.0/7',
        builtinMatch('10.0.0.0/8', 'overlaps protected network 10.0.0.0/8'),
      );
      expectBuiltin(
        5,
        'cidr',
        '198.51.100.0/25',
        builtinMatch('198.51.100.0/24', 'inside protected network 198.51.100.0/24'),
      );
      expectBuiltin(
        6,
        'cidr',
        '192.0.2.0/23',
        builtinMatch('192.0.2.0/24', 'overlaps protected network 192.0.2.0/24'),
      );
      expect(resultAt(res, 7)).toBeUndefined();
      expect(resultAt(res, 8)).toBeUndefined();
      expectBuiltin(
        9,
        'ipv6',
        '::ffff:a01:203',
        builtinMatch('10.0.0.0/8', 'inside protected network 10.0.0.0/8 (IPv4-mapped)'),
      );
      expect(resultAt(res, 9)?.matches).toContainEqual(
        builtinMatch('::ffff:0:0/96', 'inside protected network ::ffff:0:0/96'),
      );
      expectBuiltin(
        10,
        'domain',
        'mail.gov.vn',
        builtinMatch('gov.vn', 'under protected hostname gov.vn'),
      );
      expectBuiltin(
        11,
        'cidr',
        '172.0.0.0/8',
        builtinMatch('172.16.0.0/12', 'overlaps protected network 172.16.0.0/12'),
      );
      expectBuiltin(
        12,
        'url',
        'https://portal.mof.gov.vn/van-ban?id=1',
        builtinMatch('gov.vn', 'URL host under protected hostname gov.vn'),
      );

      expect(res.invalid).toEqual([
        { index: 7, input: '999.1.1.1', reason: 'each IPv4 number is at most 255' },
      ]);
    });

    it('8.8.4.0/24 and public addresses are not protected by the built-in list', async () => {
      const res = await check({ values: ['8.8.4.0/24', '8.8.8.8', '2606:4700::/32'] });
      expect(res.invalid).toEqual([]);
      for (const index of [0, 1, 2]) expect(matchesOf(res, index, builtin.id)).toEqual([]);
    });

    it('refuses an empty check and more than 100,000 values (400)', async () => {
      const empty = await as(admin).post(`${API}/check`, {}).expect(400);
      expect(empty.headers['content-type']).toMatch(PROBLEM);
      expect(empty.body['invalid-params']).toEqual([
        { name: 'values', reason: 'give values or items to check' },
      ]);
      const tooMany = await as(admin)
        .post(`${API}/check`, { values: Array.from({ length: 100001 }, () => '10.0.0.1') })
        .expect(400);
      expect(tooMany.body['invalid-params'].map((p: { name: string }) => p.name)).toEqual([
        'values',
      ]);
    });
  });

  describe('manual lists', () => {
    it('create, add entries (normalized), all-or-nothing batches, versioned edits, enable/disable, delete', async () => {
      const name = `Provincial hospitals ${randomUUID()}`;
      const created = await as(admin)
        .post(API, { name, description: 'Never block these' })
        .expect(201);
      const list = created.body as ListResponse;
      expect(list).toMatchObject({
        name,
        description: 'Never block these',
        origin: 'manual',
        sourceVersion: null,
        enabled: true,
        entryCount: 0,
        version: 1,
      });
      const url = `${API}/${list.id}`;

      const host = uniqueDomain('benhvien');
      const [a, b] = [randomInt(1, 255), randomInt(1, 255)];
      const net = `11.${a}.${b}.0/24`;
      const single = `11.${a}.${(b + 1) % 256}.7`;
      const v6group = randomInt(0x1000, 0xffff).toString(16);
      const added = await as(admin)
        .post(`${url}/entries`, {
          entries: [
            { kind: 'hostname', value: `${host.toUpperCase()}.`, comment: 'Bệnh viện' },
            { kind: 'cidr', value: net },
            { kind: 'cidr', value: single },
            { kind: 'cidr', value: `2A10:${v6group.toUpperCase()}:0:0:0:0:0:0/64` },
          ],
        })
        .expect(201);
      expect(added.body).toEqual({
        added: 4,
        unchanged: 0,
        notes: [
          { value: `${host.toUpperCase()}.`, note: `stored as ${host}` },
          { value: single, note: `stored as ${single}/32` },
          {
            value: `2A10:${v6group.toUpperCase()}:0:0:0:0:0:0/64`,
            note: `stored as 2a10:${v6group}::/64`,
          },
        ],
      });
      const stored = () =>
        allEntries(list.id).then((es) => es.map((e) => `${e.kind} ${e.value}`).sort());
      const four = [
        `cidr ${net}`,
        `cidr ${single}/32`,
        `cidr 2a10:${v6group}::/64`,
        `hostname ${host}`,
      ].sort();
      expect(await stored()).toEqual(four);
      const hostEntry = (await allEntries(list.id)).find((e) => e.kind === 'hostname');
      expect(hostEntry).toMatchObject({ listId: list.id, value: host, comment: 'Bệnh viện' });

      // The same again: nothing new.
      const again = await as(admin)
        .post(`${url}/entries`, { entries: [{ kind: 'hostname', value: host }] })
        .expect(201);
      expect(again.body).toEqual({ added: 0, unchanged: 1, notes: [] });

      // One invalid entry refuses the whole batch.
      const refused = await as(admin)
        .post(`${url}/entries`, {
          entries: [
            { kind: 'hostname', value: uniqueDomain('would-be-added') },
            { kind: 'cidr', value: 'not-an-ip' },
            { kind: 'hostname', value: 'bad host!' },
          ],
        })
        .expect(400);
      expect(refused.headers['content-type']).toMatch(PROBLEM);
      expect(refused.body.type).toBe('urn:threat-exchange:problem:validation');
      expect(refused.body['invalid-params']).toEqual([
        { name: 'entries[1].value', reason: 'not an IPv4 or IPv6 address or network' },
        { name: 'entries[2].value', reason: expect.stringMatching(/spaces/) },
      ]);
      expect(await stored()).toEqual(four);

      // Host bits set: refused, with the aligned network suggested.
      const unaligned = await as(admin)
        .post(`${url}/entries`, { entries: [{ kind: 'cidr', value: `11.${a}.${b}.5/24` }] })
        .expect(400);
      expect(unaligned.body['invalid-params']).toEqual([
        {
          name: 'entries[0].value',
          reason: `host bits are set: the network is not aligned (did you mean ${net}?)`,
        },
      ]);
      expect(await stored()).toEqual(four);

      // Each entry protects what it should.
      const probe = {
        values: [
          `www.${host}`,
          `11.${a}.${b}.200`,
          single,
          `2a10:${v6group}::42`,
          `x${host}`,
          `11.${a}.${(b + 1) % 256}.8`,
        ],
      };
      const on = await check(probe);
      const entryId = async (value: string) =>
        (await allEntries(list.id)).find((e) => e.value === value)?.id;
      expect(matchesOf(on, 0, list.id)).toEqual([
        {
          listId: list.id,
          listName: name,
          entryId: await entryId(host),
          kind: 'hostname',
          entry: host,
          reason: `under protected hostname ${host}`,
        },
      ]);
      expect(matchesOf(on, 1, list.id)).toMatchObject([
        { entry: net, reason: `inside protected network ${net}` },
      ]);
      expect(matchesOf(on, 2, list.id)).toMatchObject([
        { entry: `${single}/32`, reason: `equals protected network ${single}/32` },
      ]);
      expect(matchesOf(on, 3, list.id)).toMatchObject([
        {
          entry: `2a10:${v6group}::/64`,
          reason: `inside protected network 2a10:${v6group}::/64`,
        },
      ]);
      expect(matchesOf(on, 4, list.id)).toEqual([]); // x<host> is not under <host>
      expect(matchesOf(on, 5, list.id)).toEqual([]); // the /32 is one address

      // A stale version is refused and changes nothing.
      const stale = await as(admin).patch(url, { version: 1, enabled: false }).expect(409);
      expect(stale.headers['content-type']).toMatch(PROBLEM);
      expect(stale.body.type).toBe('urn:threat-exchange:problem:conflict');
      const current = (await as(admin).get(url).expect(200)).body as ListResponse;
      expect(current).toMatchObject({ enabled: true, entryCount: 4 });
      expect(current.version).toBeGreaterThan(1);

      // Disabled: protects nothing. Enabled again: protects again.
      const disabled = await as(admin)
        .patch(url, { version: current.version, enabled: false })
        .expect(200);
      expect(disabled.body).toMatchObject({
        name,
        description: 'Never block these',
        enabled: false,
        entryCount: 4,
        version: current.version + 1,
      });
      const off = await check(probe);
      for (const index of [0, 1, 2, 3]) expect(matchesOf(off, index, list.id)).toEqual([]);
      await as(admin)
        .patch(url, { version: current.version + 1, enabled: true, description: 'Again' })
        .expect(200);
      const back = await check(probe);
      for (const index of [0, 1, 2, 3]) expect(matchesOf(back, index, list.id)).toHaveLength(1);

      // Removing an entry: it no longer matches, the others still do.
      await as(admin)
        .delete(`${url}/entries/${await entryId(host)}`)
        .expect(204);
      await as(admin).delete(`${url}/entries/${hostEntry?.id}`).expect(404);
      const removed = await check(probe);
      expect(matchesOf(removed, 0, list.id)).toEqual([]);
      expect(matchesOf(removed, 1, list.id)).toHaveLength(1);
      expect((await as(admin).get(url).expect(200)).body.entryCount).toBe(3);

      // Deleting the list: gone, and it protects nothing.
      await as(admin).delete(url).expect(204);
      const gone = await as(admin).get(url).expect(404);
      expect(gone.headers['content-type']).toMatch(PROBLEM);
      await as(admin).get(`${url}/entries`).expect(404);
      await as(admin).delete(url).expect(404);
      const after = await check(probe);
      for (const index of [0, 1, 2, 3]) expect(matchesOf(after, index, list.id)).toEqual([]);
    });

    it('refuses a duplicate name, and a rename onto an existing name, with 409', async () => {
      const name = `Ministries ${randomUUID()}`;
      const first = await as(admin).post(API, { name }).expect(201);
      const dup = await as(admin).post(API, { name }).expect(409);
      expect(dup.headers['content-type']).toMatch(PROBLEM);
      expect(dup.body.detail).toBe(`A protected list named "${name}" exists already`);

      const other = await as(admin)
        .post(API, { name: `Schools ${randomUUID()}` })
        .expect(201);
      // An entry is removed only through its own list.
      const host = uniqueDomain('bo');
      await as(admin)
        .post(`${API}/${first.body.id}/entries`, { entries: [{ kind: 'hostname', value: host }] })
        .expect(201);
      const [entry] = await allEntries(first.body.id);
      await as(admin).delete(`${API}/${other.body.id}/entries/${entry.id}`).expect(404);
      expect((await allEntries(first.body.id)).map((e) => e.value)).toEqual([host]);
      const rename = await as(admin)
        .patch(`${API}/${other.body.id}`, { version: 1, name })
        .expect(409);
      expect(rename.headers['content-type']).toMatch(PROBLEM);
      expect((await as(admin).get(`${API}/${other.body.id}`).expect(200)).body.name).toBe(
        other.body.name,
      );
      await as(admin).delete(`${API}/${first.body.id}`).expect(204);
      await as(admin).delete(`${API}/${other.body.id}`).expect(204);
    });

    it('sees a change another instance commits out of revision order', async () => {
      // Two lists; A protects a name. Another instance (here a raw transaction) disables A
      // and commits only after this instance has committed a later change to B and checked.
      const a = await as(admin)
        .post(API, { name: `Instance A ${randomUUID()}` })
        .expect(201);
      const b = await as(admin)
        .post(API, { name: `Instance B ${randomUUID()}` })
        .expect(201);
      const host = uniqueDomain('cross-instance');
      await as(admin)
        .post(`${API}/${a.body.id}/entries`, { entries: [{ kind: 'hostname', value: host }] })
        .expect(201);
      expect(matchesOf(await check({ values: [host] }), 0, a.body.id)).toHaveLength(1);

      const other = t.app.get(DataSource).createQueryRunner();
      await other.connect();
      try {
        await other.startTransaction();
        await other.query(
          `UPDATE protected_lists SET enabled = false, version = version + 1,
                  revision = nextval('protected_lists_revision_seq'), updated_at = now()
            WHERE id = $1`,
          [a.body.id],
        );
        await as(admin)
          .post(`${API}/${b.body.id}/entries`, {
            entries: [{ kind: 'hostname', value: uniqueDomain('later') }],
          })
          .expect(201);
        // Not committed yet: A still protects.
        expect(matchesOf(await check({ values: [host] }), 0, a.body.id)).toHaveLength(1);
        await other.commitTransaction();
      } finally {
        if (other.isTransactionActive) await other.rollbackTransaction();
        await other.release();
      }
      expect(matchesOf(await check({ values: [host] }), 0, a.body.id)).toEqual([]);
      await as(admin).delete(`${API}/${a.body.id}`).expect(204);
      await as(admin).delete(`${API}/${b.body.id}`).expect(204);
    });
  });

  describe('MISP import: what is refused', () => {
    it('refuses substring and regex warninglists with 422, and keeps nothing', async () => {
      for (const type of ['substring', 'regex']) {
        const name = `Refused ${type} ${randomUUID()}`;
        const res = await as(admin)
          .post(`${API}/misp-import`, {
            name,
            description: 'x',
            version: 1,
            type,
            list: ['google'],
            matching_attributes: ['domain'],
          })
          .expect(422);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({
          type: 'urn:threat-exchange:problem:validation',
          title: 'Not an importable MISP warninglist',
          status: 422,
        });
        expect(res.body.detail).toContain(`"${type}" are not supported`);
        expect((await allLists()).some((l) => l.name === name)).toBe(false);
      }
    });

    it('answers a body that is not a warninglist object with a 4xx problem, never 500', async () => {
      const notObject = [422, 'validation', 'a MISP warninglist is a JSON object'] as const;
      const doc = (fields: string) => `{"name":"x","description":"d",${fields}}`;
      const cases: [string, string, readonly [number, string, string]][] = [
        ['application/json', '[]', notObject],
        ['application/json', '[{"name":"x"}]', notObject],
        ['application/json', '"a string"', notObject],
        ['application/json', '42', notObject],
        ['application/json', 'null', notObject],
        ['application/json', 'true', notObject],
        ['application/json', '{"name":"x"', [400, 'malformed-body', 'could not be parsed']],
        ['application/json', '{}', [422, 'validation', '"name" must be a string']],
        [
          'application/json',
          doc('"version":1,"type":"cidr"'),
          [422, 'validation', '"list" must be an array'],
        ],
        [
          'application/json',
          doc('"version":1.5,"type":"cidr","list":[]'),
          [422, 'validation', '"version" must be an integer'],
        ],
        [
          'application/json',
          doc('"version":1,"type":"ip","list":[]'),
          [422, 'validation', '"type" must be one of'],
        ],
        [
          'application/json',
          doc('"version":1,"type":"cidr","list":[],"matching_attributes":"ip-src"'),
          [422, 'validation', '"matching_attributes" must be an array'],
        ],
        ['text/plain', 'name=x', [415, '', 'does not accept a body of type text/plain']],
      ];
      for (const [contentType, body, [status, type, detail]] of cases) {
        const res = await request(t.server)
          .post(`${API}/misp-import`)
          .set('authorization', `Bearer ${admin}`)
          .set('content-type', contentType)
          .send(body);
        expect({ body, status: res.status, contentType: res.headers['content-type'] }).toEqual({
          body,
          status,
          contentType: expect.stringMatching(PROBLEM),
        });
        expect(res.body).toMatchObject({
          status,
          type: type === '' ? 'about:blank' : `urn:threat-exchange:problem:${type}`,
          detail: expect.stringContaining(detail),
        });
      }
    });

    it('deduplicates, reports skipped values and aligned networks, and refuses to take over a manual list', async () => {
      const name = `Test warninglist ${randomUUID()}`;
      const [a, b] = [randomInt(1, 255), randomInt(1, 255)];
      const doc = {
        name,
        description: 'Synthetic',
        version: 3,
        type: 'cidr',
        list: [`11.${a}.${b}.0/24`, `11.${a}.${b}.0/24`, `11.${a}.${b}.9/24`, `11.${a}.7.5`],
        matching_attributes: ['ip-src', 'ip-dst'],
      };
      const res = await as(admin)
        .post(`${API}/misp-import`, { ...doc, list: [...doc.list, 'garbage', '', 42] })
        .expect(201);
      expect(res.body).toEqual({
        list: expect.objectContaining({
          name,
          description: 'Synthetic',
          origin: 'misp',
          sourceVersion: 3,
          enabled: true,
          entryCount: 2,
        }),
        added: 2,
        removed: 0,
        skipped: [
          { value: 'garbage', reason: 'not an IPv4 or IPv6 address or network' },
          { value: '', reason: 'empty value' },
          { value: '42', reason: 'not a string' },
        ],
        notes: [
          {
            value: `11.${a}.${b}.9/24`,
            note: `host bits were set: 11.${a}.${b}.9/24 aligned to 11.${a}.${b}.0/24`,
          },
        ],
      });
      const id = res.body.list.id as string;
      expect((await allEntries(id)).map((e) => `${e.kind} ${e.value}`).sort()).toEqual(
        [`cidr 11.${a}.${b}.0/24`, `cidr 11.${a}.7.5/32`].sort(),
      );

      // A manual list may not take a MISP list's name, nor the other way round.
      const taken = await as(admin).post(API, { name }).expect(409);
      expect(taken.headers['content-type']).toMatch(PROBLEM);
      const manual = await as(admin)
        .post(API, { name: `Manual ${randomUUID()}` })
        .expect(201);
      const takeover = await as(admin)
        .post(`${API}/misp-import`, { ...doc, name: manual.body.name })
        .expect(409);
      expect(takeover.headers['content-type']).toMatch(PROBLEM);
      expect(takeover.body.detail).toBe(
        `A manual list named "${manual.body.name}" exists: rename it first`,
      );
      expect((await as(admin).get(`${API}/${manual.body.id}`).expect(200)).body).toMatchObject({
        origin: 'manual',
        entryCount: 0,
      });

      await as(admin).delete(`${API}/${id}`).expect(204);
      await as(admin).delete(`${API}/${manual.body.id}`).expect(204);
    });
  });

  describe('roles', () => {
    it('an analyst can check but not create lists; an auditor can read but not check', async () => {
      const analyst = (await make.loginAs('analyst')).token;
      const res = await check({ values: ['mail.gov.vn'] }, analyst);
      expect(res.matched).toBe(1);
      const denied = await as(analyst)
        .post(API, { name: `Analyst ${randomUUID()}` })
        .expect(403);
      expect(denied.headers['content-type']).toMatch(PROBLEM);
      await as(analyst)
        .post(`${API}/misp-import`, {
          name: 'x',
          description: '',
          version: 1,
          type: 'cidr',
          list: [],
        })
        .expect(403);

      const auditor = (await make.loginAs('auditor')).token;
      await as(auditor).get(API).expect(200);
      await as(auditor)
        .post(`${API}/check`, { values: ['mail.gov.vn'] })
        .expect(403);
    });

    it('ISP users and clients cannot read protected lists', async () => {
      for (const role of ['isp_operator', 'isp_client'] as const) {
        const token = (await make.loginAs(role)).token;
        const res = await as(token).get(API).expect(403);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        await as(token).get(`${API}/${builtin.id}/entries`).expect(403);
        await as(token)
          .post(`${API}/check`, { values: ['mail.gov.vn'] })
          .expect(403);
      }
    });
  });

  describeShared('the real MISP warninglists (../shared/data/misp-warninglists)', () => {
    const docs = new Map<string, MispDoc>();
    const imported = new Map<string, ListResponse>();
    const list = (dir: string): ListResponse => {
      const l = imported.get(dir);
      if (!l) throw new Error(`${dir} was not imported`);
      return l;
    };

    beforeAll(() => {
      for (const dir of readdirSync(MISP_DIR).sort()) {
        const file = path.join(MISP_DIR, dir, 'list.json');
        if (existsSync(file)) docs.set(dir, JSON.parse(readFileSync(file, 'utf8')) as MispDoc);
      }
    });

    it('imports all 15 lists through the API, with the entry counts of the files', async () => {
      expect([...docs.keys()]).toEqual([
        'akamai',
        'cloudflare',
        'google',
        'ipv6-linklocal',
        'multicast',
        'public-dns-v4',
        'public-dns-v6',
        'rfc1918',
        'rfc3849',
        'rfc5735',
        'rfc6598',
        'rfc6761',
        'second-level-tlds',
        'sinkholes',
        'tranco10k',
      ]);
      for (const [dir, doc] of docs) {
        // The files hold no duplicates and no garbage: every value is one entry.
        const distinct = new Set(doc.list.map((v) => v.trim())).size;
        const res = await as(admin).post(`${API}/misp-import`, doc).expect(201);
        expect({ dir, ...res.body, list: undefined }).toEqual({
          dir,
          list: undefined,
          added: expect.any(Number),
          removed: expect.any(Number),
          skipped: [],
          notes: [],
        });
        expect({ dir, list: res.body.list }).toEqual({
          dir,
          list: expect.objectContaining({
            name: doc.name,
            description: doc.description,
            origin: 'misp',
            sourceVersion: doc.version,
            enabled: true,
            entryCount: distinct,
          }),
        });
        // Another file of the run may have imported it first: then less is added.
        expect(res.body.added).toBeLessThanOrEqual(distinct);
        imported.set(dir, res.body.list as ListResponse);
      }
      expect(imported.size).toBe(15);
      expect(list('public-dns-v4').entryCount).toBe(62745);
      expect(list('tranco10k').entryCount).toBe(10000);
      // Each list once in the listing, under its own name.
      const names = (await allLists()).map((l) => l.name);
      for (const doc of docs.values()) {
        expect(names.filter((n) => n === doc.name)).toEqual([doc.name]);
      }
      // Stored as normalized entries of the list's kind.
      expect(
        (await allEntries(list('rfc1918').id)).map((e) => `${e.kind} ${e.value}`).sort(),
      ).toEqual(['cidr 10.0.0.0/8', 'cidr 172.16.0.0/12', 'cidr 192.168.0.0/16']);
      const google = await allEntries(list('google').id);
      expect(google).toHaveLength(669);
      expect(
        google
          .filter((e) => e.value === 'google.ad')
          .map((e) => e.kind)
          .sort(),
      ).toEqual([
        'hostname', // from ".google.ad": the domain and below
        'string', // from "google.ad": exactly that
      ]);
    }, 180_000);

    it('re-importing the same list changes nothing; a new version adds and removes exactly its difference', async () => {
      for (const [dir, doc] of docs) {
        const res = await as(admin).post(`${API}/misp-import`, doc).expect(201);
        expect({ dir, added: res.body.added, removed: res.body.removed }).toEqual({
          dir,
          added: 0,
          removed: 0,
        });
        expect(res.body.list).toMatchObject({
          id: list(dir).id,
          entryCount: list(dir).entryCount,
        });
      }

      const cloudflare = docs.get('cloudflare') as MispDoc;
      const dropped = cloudflare.list[0];
      const extra = `11.${randomInt(1, 255)}.${randomInt(1, 255)}.0/24`;
      const next = {
        ...cloudflare,
        version: cloudflare.version + 1,
        list: [...cloudflare.list.slice(1), extra],
      };
      const res = await as(admin).post(`${API}/misp-import`, next).expect(201);
      expect(res.body).toMatchObject({
        added: 1,
        removed: 1,
        list: {
          id: list('cloudflare').id,
          sourceVersion: cloudflare.version + 1,
          entryCount: cloudflare.list.length,
        },
      });
      const values = (await allEntries(list('cloudflare').id)).map((e) => e.value);
      expect(values).toContain(extra);
      expect(values).not.toContain(dropped);
      const id = list('cloudflare').id;
      const inside = (cidr: string) => intToIpv4(ipv4ToInt(cidr.split('/')[0]) + 1);
      const probe = await check({ values: [inside(dropped), inside(extra)] });
      expect(matchesOf(probe, 0, id)).toEqual([]);
      expect(matchesOf(probe, 1, id)).toMatchObject([{ entry: extra, kind: 'cidr' }]);

      // Back to the real file.
      const restored = await as(admin).post(`${API}/misp-import`, cloudflare).expect(201);
      expect(restored.body).toMatchObject({
        added: 1,
        removed: 1,
        list: { sourceVersion: cloudflare.version, entryCount: cloudflare.list.length },
      });
      const again = await check({ values: [inside(dropped), inside(extra)] });
      expect(matchesOf(again, 0, id)).toMatchObject([{ entry: dropped }]);
      expect(matchesOf(again, 1, id)).toEqual([]);
    }, 180_000);

    it('refuses a manual list named like an imported MISP list (409)', async () => {
      const res = await as(admin)
        .post(API, { name: list('rfc1918').name })
        .expect(409);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toBe(
        `A protected list named "${list('rfc1918').name}" exists already`,
      );
    });

    it('gives the known answers with the real lists', async () => {
      const tranco = docs.get('tranco10k') as MispDoc;
      const trancoName = tranco.list.find((n) => /^[a-z0-9-]+\.com$/.test(n)) as string;
      // An address no list of the files covers, and a name nobody lists.
      const cidrs = [...docs.values()].filter((d) => d.type === 'cidr').flatMap((d) => d.list);
      let unlisted: string;
      do {
        unlisted = `11.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
      } while (cidrs.some((c) => v4Holds(c, unlisted)));
      const values = [
        '8.8.8.8', // 0
        trancoName, // 1
        `a.b.${trancoName}`, // 2
        'mail.google.ad', // 3
        unlisted, // 4
        `unlisted-${hex(8)}.com`, // 5
        '8.8.4.0/24', // 6: holds 8.8.4.4
        'https://www.google.ad/search?q=x', // 7
        `x${trancoName}`, // 8: not under it
      ];
      const res = await check({ values });
      expect(res.invalid).toEqual([]);
      const dns = list('public-dns-v4');
      expect(matchesOf(res, 0, dns.id)).toEqual([
        {
          listId: dns.id,
          listName: 'List of known IPv4 public DNS resolvers',
          entryId: expect.any(String),
          kind: 'cidr',
          entry: '8.8.8.8/32',
          reason: 'equals protected network 8.8.8.8/32',
        },
      ]);
      const top = list('tranco10k');
      expect(matchesOf(res, 1, top.id)).toMatchObject([
        { kind: 'hostname', entry: trancoName, reason: `equals protected hostname ${trancoName}` },
      ]);
      expect(matchesOf(res, 2, top.id)).toMatchObject([
        { kind: 'hostname', entry: trancoName, reason: `under protected hostname ${trancoName}` },
      ]);
      const google = list('google');
      expect(matchesOf(res, 3, google.id)).toMatchObject([
        { kind: 'hostname', entry: 'google.ad', reason: 'under protected hostname google.ad' },
      ]);
      expect(resultAt(res, 4)).toBeUndefined();
      expect(resultAt(res, 5)).toBeUndefined();
      expect(matchesOf(res, 6, dns.id).map((m) => m.entry)).toContain('8.8.4.4/32');
      expect(
        matchesOf(res, 6, dns.id).every((m) =>
          /^overlaps protected network 8\.8\.4\./.test(m.reason),
        ),
      ).toBe(true);
      expect(matchesOf(res, 7, google.id)).toContainEqual(
        expect.objectContaining({
          entry: 'google.ad',
          reason: 'URL host under protected hostname google.ad',
        }),
      );
      expect(matchesOf(res, 8, top.id)).toEqual([]);
      expect(res.matched).toBe(res.results.length);
    });

    it('checks 100,000 values in one request against all lists', async () => {
      const tranco = (docs.get('tranco10k') as MispDoc).list.filter((n) =>
        /^[a-z0-9-]+\.com$/.test(n),
      );
      const dnsAddresses = (docs.get('public-dns-v4') as MispDoc).list;
      const akamaiV4 = (docs.get('akamai') as MispDoc).list.filter(
        (c) => !c.includes(':') && Number(c.split('/')[1]) <= 30,
      );
      expect(tranco.length).toBeGreaterThan(1000);
      // Every 10th value is protected: a subdomain of a tranco name, a listed public DNS
      // resolver, or an address inside an Akamai range. The rest are random .com names.
      const values: string[] = [];
      const seed = hex(4);
      for (let i = 0; i < 100000; i++) {
        if (i % 10 !== 0) {
          values.push(`q${seed}-${i.toString(36)}-${hex(3)}.com`);
          continue;
        }
        const k = i / 10;
        if (k % 3 === 0) values.push(`s${k}.${tranco[k % tranco.length]}`);
        else if (k % 3 === 1) values.push(dnsAddresses[k % dnsAddresses.length]);
        else {
          const range = akamaiV4[k % akamaiV4.length];
          values.push(intToIpv4(ipv4ToInt(range.split('/')[0]) + 1 + (k % 2)));
        }
      }
      const started = Date.now();
      const res = await as(admin).post(`${API}/check`, { values }).expect(200);
      const elapsed = Date.now() - started;
      console.log(`protected-lists e2e: POST /check with 100,000 values took ${elapsed} ms`);
      const body = res.body as CheckResponse;
      expect(body.checked).toBe(100000);
      expect(body.invalid).toEqual([]);
      expect(body.matched).toBe(10000);
      expect(body.results).toHaveLength(10000);
      expect(body.results.every((r) => r.index % 10 === 0 && r.input === values[r.index])).toBe(
        true,
      );
      const by = (dir: string) => list(dir).id;
      const listed = (r: CheckResult, dir: string) => r.matches.some((m) => m.listId === by(dir));
      for (const r of body.results) {
        const k = r.index / 10;
        const dir = k % 3 === 0 ? 'tranco10k' : k % 3 === 1 ? 'public-dns-v4' : 'akamai';
        if (!listed(r, dir)) throw new Error(`${r.input} (index ${r.index}) not matched by ${dir}`);
      }
    }, 180_000);
  });
});
