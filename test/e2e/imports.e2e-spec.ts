import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * Bulk import (POST /api/v1/imports) over HTTP on the real application and database. The
 * database is shared with the other test files running in parallel: every value is made
 * unique with a random label, and the tests count only their own rows.
 *
 * The slowest test is the 1,000,000-row import (about 25 MB streamed through the parser,
 * canonicalization and COPY); it has a timeout of its own.
 */

const PROBLEM = /^application\/problem\+json/;

interface ImportJob {
  id: string;
  status: 'receiving' | 'merging' | 'succeeded' | 'failed';
  format: string;
  mode: string;
  progress: { rowsRead: number; bytesRead: number; bytesExpected: number | null; percent: number };
  report: {
    created: number;
    alreadyPresent: number;
    rejected: number;
    rejectedRows: { line: number; value: string; reason: string }[];
  };
  error: string | null;
}

interface IndicatorRow {
  type: string;
  value: string;
  tlp: string;
  confidence: number | null;
  tags: string[];
  source: string | null;
  description: string | null;
  valid_until: Date | null;
  created_by: string | null;
}

/** A fresh random label: values made with it exist nowhere else in the shared database. */
const label = (): string => randomBytes(5).toString('hex');
/** A random 16-bit group of four hex digits without a leading zero. */
const group = (): string => randomInt(0x1000, 0x10000).toString(16);
const octet = (): number => randomInt(1, 255);

/** A streamed request body; `chunked` leaves Content-Length out (Transfer-Encoding: chunked). */
async function rawPost(
  url: URL,
  token: string,
  contentType: string,
  body: Iterable<string> | AsyncIterable<string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (chunk: Buffer) => parts.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
          });
        });
      },
    );
    // The server may answer (413, say) before the whole body is sent and close the connection.
    req.on('error', reject);
    const source = Readable.from(body);
    source.on('error', reject);
    source.pipe(req);
  });
}

/** `count` lines `n<i>-<label>.com`, in chunks of about 64 KB, the last line replaced by `last`. */
function* numberedDomains(count: number, rand: string, last?: string): Generator<string> {
  let chunk = '';
  for (let i = 1; i <= count; i++) {
    chunk += i === count && last !== undefined ? `${last}\n` : `n${i}-${rand}.com\n`;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

describe('bulk import (POST /api/v1/imports)', () => {
  let t: TestApp;
  let ds: DataSource;
  let make: Factories;
  let analyst: string;
  let analystId: string;
  let base: URL;

  beforeAll(async () => {
    t = await createTestApp();
    // Listening, so that the streamed bodies below can go over a real socket.
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.server.address() as AddressInfo;
    base = new URL(`http://127.0.0.1:${port}`);
    ds = t.app.get(DataSource);
    make = new Factories(t.app);
    const login = await make.loginAs('analyst');
    analyst = login.token;
    analystId = login.user.id;
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (body: string, contentType: string, query: Record<string, string> = {}) =>
    request(t.server)
      .post('/api/v1/imports')
      .query(query)
      .set('authorization', `Bearer ${analyst}`)
      .set('content-type', contentType)
      .send(body);

  const getJob = async (id: string): Promise<ImportJob> =>
    (
      await request(t.server)
        .get(`/api/v1/imports/${id}`)
        .set('authorization', `Bearer ${analyst}`)
        .expect(200)
    ).body as ImportJob;

  /** Polls the job until it has succeeded or failed. */
  async function settled(id: string, timeoutMs = 60_000): Promise<ImportJob> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await getJob(id);
      if (job.status === 'succeeded' || job.status === 'failed') return job;
      if (Date.now() > deadline) throw new Error(`import ${id} still ${job.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Posts, expects 202, waits for the end. */
  async function imported(
    body: string,
    contentType: string,
    query: Record<string, string> = {},
  ): Promise<ImportJob> {
    const res = await post(body, contentType, query);
    expect(res.status).toBe(202);
    return settled((res.body as ImportJob).id);
  }

  const rowsWhere = async (values: string[]): Promise<IndicatorRow[]> =>
    ds.query<IndicatorRow[]>(
      `SELECT type, value, tlp, confidence, tags, source, description, valid_until, created_by
         FROM indicators WHERE value = ANY($1::text[]) ORDER BY value`,
      [values],
    );

  const countLike = async (suffix: string): Promise<number> => {
    const rows = await ds.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM indicators WHERE value LIKE $1`,
      [`%${suffix}`],
    );
    return Number(rows[0].n);
  };

  describe('text', () => {
    it('skip mode: comments and blank lines ignored, bad rows reported by line, canonical values stored; a second import finds them all present', async () => {
      const r = label();
      const [a, b, c, d] = [group(), group(), group(), group()];
      const [o1, o2, o3] = [octet(), octet(), octet()];
      const lines = [
        '# indicators of the week', // 1
        '', // 2
        `plain-${r}.com`, // 3
        `WWW.Upper-${r}.Example.COM.`, // 4
        `${r}.bücher.de`, // 5
        '   ', // 6
        `2001:0DB8:${a.toUpperCase()}:${b}:0000:0000:0000:0001`, // 7
        'not a domain', // 8
        `  10.${o1}.${o2}.${o3}  `, // 9
        '010.1.2.3', // 10
        '#  another comment', // 11
        `2001:0DB8:${c.toUpperCase()}:${d}:0000:0000:0000:0000/64\r`, // 12 (CRLF)
        '10.0.0.1/8', // 13
        'localhost', // 14
      ];
      const body = `${lines.join('\n')}\n`;
      const expected = {
        domains: [`plain-${r}.com`, `www.upper-${r}.example.com`, `${r}.xn--bcher-kva.de`],
        ipv6: `2001:db8:${a}:${b}::1`,
        ipv4: `10.${o1}.${o2}.${o3}`,
        cidr: `2001:db8:${c}:${d}::/64`,
      };
      const values = [...expected.domains, expected.ipv6, expected.ipv4, expected.cidr];

      const job = await imported(body, 'text/plain; charset=utf-8', { mode: 'skip' });
      expect(job).toMatchObject({ status: 'succeeded', format: 'text', mode: 'skip', error: null });
      expect(job.progress).toMatchObject({ rowsRead: 10, percent: 100 });
      expect(job.progress.bytesRead).toBe(Buffer.byteLength(body));
      expect(job.report.rejectedRows).toEqual([
        {
          line: 8,
          value: 'not a domain',
          reason: 'a domain cannot contain spaces, "/", "*", "@" or ":"',
        },
        {
          line: 10,
          value: '010.1.2.3',
          reason: 'leading zeros are ambiguous in IPv4 (octal) (did you mean 10.1.2.3?)',
        },
        {
          line: 13,
          value: '10.0.0.1/8',
          reason: 'host bits are set: the network is not aligned (did you mean 10.0.0.0/8?)',
        },
        { line: 14, value: 'localhost', reason: '"localhost" is not under a known public suffix' },
      ]);
      expect(job.report).toMatchObject({ created: 6, alreadyPresent: 0, rejected: 4 });

      const rows = await rowsWhere(values);
      expect(rows.map((row) => [row.type, row.value]).sort()).toEqual(
        [
          ...expected.domains.map((v) => ['domain', v]),
          ['ipv6', expected.ipv6],
          ['ipv4', expected.ipv4],
          ['cidr', expected.cidr],
        ].sort(),
      );
      for (const row of rows) {
        expect(row).toMatchObject({ tlp: 'AMBER', tags: [], source: null, created_by: analystId });
      }
      // The API finds them too.
      const listed = await request(t.server)
        .get('/api/v1/indicators')
        .query({ valuePrefix: `www.upper-${r}` })
        .set('authorization', `Bearer ${analyst}`)
        .expect(200);
      expect(listed.body.items.map((i: { value: string }) => i.value)).toEqual([
        `www.upper-${r}.example.com`,
      ]);

      const again = await imported(body, 'text/plain', { mode: 'skip' });
      expect(again).toMatchObject({ status: 'succeeded' });
      expect(again.report).toMatchObject({ created: 0, alreadyPresent: 6, rejected: 4 });
      expect(await rowsWhere(values)).toHaveLength(6);
    });

    it('counts a value repeated in one file (in any spelling) once', async () => {
      const r = label();
      const body = `dup-${r}.com\nDUP-${r}.COM\ndup-${r}.com.\n`;
      const job = await imported(body, 'text/plain', { mode: 'skip' });
      expect(job.report).toMatchObject({ created: 1, alreadyPresent: 2, rejected: 0 });
      expect(await countLike(`dup-${r}.com`)).toBe(1);
    });

    it('of rows repeating a value, the first one in the file gives the attributes', async () => {
      const r = label();
      const items = [
        { value: `first-${r}.com`, tlp: 'RED', source: 'first' },
        { value: `FIRST-${r}.com`, tlp: 'GREEN', source: 'second' },
        { value: `other-${r}.com`, source: 'third' },
      ];
      const job = await imported(JSON.stringify(items), 'application/json');
      expect(job.report).toMatchObject({ created: 2, alreadyPresent: 1, rejected: 0 });
      const rows = await rowsWhere([`first-${r}.com`, `other-${r}.com`]);
      expect(rows.map((row) => [row.value, row.tlp, row.source])).toEqual([
        [`first-${r}.com`, 'RED', 'first'],
        [`other-${r}.com`, 'AMBER', 'third'],
      ]);
    });

    it('a client that hangs up in the middle of the body leaves a failed job and nothing created', async () => {
      const r = label();
      const since = new Date();
      const req = http.request(new URL('/api/v1/imports?mode=skip', base), {
        method: 'POST',
        headers: { authorization: `Bearer ${analyst}`, 'content-type': 'text/plain' },
      });
      req.on('error', () => undefined);
      for (const chunk of numberedDomains(5000, r)) req.write(chunk);
      const latestJob = async () =>
        (
          await ds.query<{ id: string; status: string; error: string | null }[]>(
            `SELECT id, status, error FROM imports
              WHERE created_by = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 1`,
            [analystId, since],
          )
        )[0];
      const deadline = Date.now() + 10_000;
      while ((await latestJob())?.status !== 'receiving') {
        if (Date.now() > deadline) throw new Error('the import did not start');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      req.destroy();
      const { id } = await latestJob();
      const job = await settled(id);
      expect(job.status).toBe('failed');
      expect(job.error).toEqual(expect.any(String));
      expect(await countLike(`-${r}.com`)).toBe(0);
      // The service is fine afterwards.
      const next = await imported(`after-${r}.com\n`, 'text/plain');
      expect(next).toMatchObject({ status: 'succeeded', report: { created: 1 } });
    });

    it('applies the defaults of the query string to every row', async () => {
      const r = label();
      const job = await imported(`defaults-${r}.com\n`, 'text/plain', {
        tlp: 'RED',
        source: 'CERT bulletin 42',
        tags: 'botnet;c2',
        confidence: '70',
        validUntil: '2099-01-01T00:00:00Z',
      });
      expect(job).toMatchObject({ status: 'succeeded', report: { created: 1 } });
      const [row] = await rowsWhere([`defaults-${r}.com`]);
      expect(row).toMatchObject({
        tlp: 'RED',
        source: 'CERT bulletin 42',
        tags: ['botnet', 'c2'],
        confidence: 70,
      });
      expect(row.valid_until?.toISOString()).toBe('2099-01-01T00:00:00.000Z');
    });
  });

  describe('CSV', () => {
    it('reads a header, quoted fields (commas, quotes, newlines) and ";"-separated tags, and stores the attributes', async () => {
      const r = label();
      const [o1, o2] = [octet(), octet()];
      const csv = [
        'Value,type,tlp,tags,valid_until,confidence,source,description', // 1
        `"quoted-${r}.com",domain,TLP:GREEN,"botnet; c2",2099-01-01T00:00:00Z,80,"CERT, report ""7""","first line`, // 2
        'second line"', // 3
        '', // 4
        `10.${o1}.${o2}.9,ipv4,red,,,,,`, // 5
        `typed-${r}.com,ftp,,,,,,`, // 6
        `bad-tlp-${r}.com,,purple,,,,,`, // 7
        `plain-${r}.com,,,,,,,`, // 8
        `past-${r}.com,,,,2001-01-01,,,`, // 9
      ].join('\r\n');
      const job = await imported(csv, 'text/csv', { mode: 'skip', tags: 'feed', tlp: 'CLEAR' });
      expect(job).toMatchObject({ status: 'succeeded', format: 'csv' });
      expect(job.progress.rowsRead).toBe(6);
      expect(job.report).toMatchObject({ created: 3, alreadyPresent: 0, rejected: 3 });
      expect(job.report.rejectedRows.map(({ line, reason }) => ({ line, reason }))).toEqual([
        { line: 6, reason: 'unknown type ftp' },
        { line: 7, reason: 'unknown TLP purple' },
        { line: 9, reason: 'validUntil is not after validFrom (or now)' },
      ]);

      const rows = await rowsWhere([
        `quoted-${r}.com`,
        `10.${o1}.${o2}.9`,
        `plain-${r}.com`,
        `typed-${r}.com`,
        `bad-tlp-${r}.com`,
        `past-${r}.com`,
      ]);
      expect(rows).toHaveLength(3);
      const byValue = new Map(rows.map((row) => [row.value, row]));
      expect(byValue.get(`quoted-${r}.com`)).toMatchObject({
        type: 'domain',
        tlp: 'GREEN',
        tags: ['botnet', 'c2'],
        confidence: 80,
        source: 'CERT, report "7"',
        description: 'first line\r\nsecond line',
      });
      expect(byValue.get(`quoted-${r}.com`)?.valid_until?.toISOString()).toBe(
        '2099-01-01T00:00:00.000Z',
      );
      // Query defaults fill what a row leaves empty.
      expect(byValue.get(`10.${o1}.${o2}.9`)).toMatchObject({
        type: 'ipv4',
        tlp: 'RED',
        tags: ['feed'],
        confidence: null,
        valid_until: null,
      });
      expect(byValue.get(`plain-${r}.com`)).toMatchObject({ tlp: 'CLEAR', tags: ['feed'] });
    });

    it('a row that starts after the default validUntil is rejected, not the whole merge', async () => {
      const r = label();
      const csv = [
        'value,valid_from', // 1
        `later-${r}.com,2100-01-01T00:00:00Z`, // 2
        `now-${r}.com,`, // 3
        `soon-${r}.com,2098-06-01T00:00:00+07:00`, // 4
      ].join('\n');
      const job = await imported(csv, 'text/csv', {
        mode: 'skip',
        validUntil: '2099-01-01T00:00:00Z',
      });
      expect(job).toMatchObject({ status: 'succeeded', report: { created: 2, rejected: 1 } });
      expect(job.report.rejectedRows).toEqual([
        {
          line: 2,
          value: `later-${r}.com`,
          reason: 'validUntil is not after validFrom (or now)',
        },
      ]);
      const rows = await rowsWhere([`later-${r}.com`, `now-${r}.com`, `soon-${r}.com`]);
      expect(rows.map((row) => [row.value, row.valid_until?.toISOString()])).toEqual([
        [`now-${r}.com`, '2099-01-01T00:00:00.000Z'],
        [`soon-${r}.com`, '2099-01-01T00:00:00.000Z'],
      ]);
    });

    it('refuses an unknown column with 400 problem+json and creates nothing', async () => {
      const r = label();
      const csv = `value,colour\nfirst-${r}.com,red\nsecond-${r}.com,blue\n`;
      const res = await post(csv, 'text/csv', { mode: 'skip' }).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/unknown column "colour"/);
      expect(res.body.status).toBe(400);
      const job = await getJob(res.body.importId as string);
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/unknown column/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });

    it('a broken record after good ones fails the whole import: nothing half-written', async () => {
      const r = label();
      const good = Array.from({ length: 5000 }, (_, i) => `good${i}-${r}.com,`);
      const csv = ['value,source', ...good, `"unterminated-${r}.com,x`, ''].join('\n');
      const res = await post(csv, 'text/csv', { mode: 'skip' }).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/line 5002.*quoted field is not closed/);
      const job = await getJob(res.body.importId as string);
      expect(job).toMatchObject({ status: 'failed', report: { created: 0 } });
      expect(job.error).toMatch(/quoted field is not closed/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });
  });

  describe('JSON', () => {
    it('takes an array of strings and objects', async () => {
      const r = label();
      const items = [
        `str-${r}.com`,
        { value: `obj-${r}.com`, tlp: 'amber+strict', tags: ['phishing'], confidence: '55' },
        { value: 42 },
        { value: `unknown-${r}.com`, colour: 'red' },
        { type: 'url', value: `HTTPS://URL-${r}.Example.com:443/a b#frag` },
        [`nested-${r}.com`],
      ];
      const job = await imported(JSON.stringify(items), 'application/json', { mode: 'skip' });
      expect(job).toMatchObject({ status: 'succeeded', format: 'json' });
      expect(job.report).toMatchObject({ created: 3, rejected: 3 });
      expect(job.report.rejectedRows.map(({ line, reason }) => ({ line, reason }))).toEqual([
        { line: 3, reason: 'value must be a string, not a number' },
        { line: 4, reason: 'unknown field "colour"' },
        { line: 6, reason: 'an item must be a string or an object, not an array' },
      ]);
      const rows = await rowsWhere([
        `str-${r}.com`,
        `obj-${r}.com`,
        `https://url-${r}.example.com/a%20b`,
      ]);
      expect(rows.map((row) => [row.type, row.value, row.tlp, row.tags, row.confidence])).toEqual([
        ['url', `https://url-${r}.example.com/a%20b`, 'AMBER', [], null],
        ['domain', `obj-${r}.com`, 'AMBER+STRICT', ['phishing'], 55],
        ['domain', `str-${r}.com`, 'AMBER', [], null],
      ]);
    });

    it('takes { "indicators": [...] }', async () => {
      const r = label();
      const body = JSON.stringify({
        indicators: [`wrapped1-${r}.com`, { value: `wrapped2-${r}.com`, source: 'feed X' }],
      });
      const job = await imported(body, 'application/json');
      expect(job).toMatchObject({ status: 'succeeded', mode: 'reject' });
      expect(job.report).toMatchObject({ created: 2, rejected: 0 });
      const rows = await rowsWhere([`wrapped1-${r}.com`, `wrapped2-${r}.com`]);
      expect(rows.map((row) => row.source)).toEqual([null, 'feed X']);
    });

    it('a syntax error is a 400 with its line and column, and nothing is created', async () => {
      const r = label();
      const body = `[\n  "ok-${r}.com",\n  "also-${r}.com" "missing-comma-${r}.com"\n]`;
      const res = await post(body, 'application/json').expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/line 3, column 25/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });
  });

  describe('reject mode (the default)', () => {
    it('one bad row fails the job and creates nothing', async () => {
      const r = label();
      const body = `one-${r}.com\ntwo-${r}.com\nthree-${r}..com\nfour-${r}.com\n`;
      const res = await post(body, 'text/plain').expect(202);
      // In reject mode the answer already says failed: nothing is left to merge.
      const job = await settled((res.body as ImportJob).id);
      expect(job).toMatchObject({
        status: 'failed',
        mode: 'reject',
        progress: { rowsRead: 4 },
        report: { created: 0, alreadyPresent: 0, rejected: 1 },
      });
      expect(job.report.rejectedRows).toEqual([
        { line: 3, value: `three-${r}..com`, reason: 'a domain cannot have an empty label' },
      ]);
      expect(job.error).toMatch(/1 row\(s\) rejected in reject mode; nothing was imported/);
      expect(await rowsWhere([`one-${r}.com`, `two-${r}.com`, `four-${r}.com`])).toEqual([]);
    });

    it('the headline case: 1,000,000 rows streamed, the last one bad → failed, nothing created (the slowest test)', async () => {
      const r = label();
      const rows = 1_000_000;
      const res = await rawPost(
        new URL('/api/v1/imports?mode=reject', base),
        analyst,
        'text/plain',
        numberedDomains(rows, r, `n${rows}-${r}..com`),
      );
      expect(res.status).toBe(202);
      const job = await settled((res.body as ImportJob).id, 120_000);
      expect(job).toMatchObject({
        status: 'failed',
        progress: { rowsRead: rows, bytesExpected: null },
        report: { created: 0, rejected: 1 },
      });
      expect(job.report.rejectedRows).toEqual([
        { line: rows, value: `n${rows}-${r}..com`, reason: 'a domain cannot have an empty label' },
      ]);
      expect(job.error).toMatch(/nothing was imported/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    }, 180_000);

    it('skip mode, same shape on 20,000 rows: 19,999 created', async () => {
      const r = label();
      const rows = 20_000;
      const res = await rawPost(
        new URL('/api/v1/imports?mode=skip', base),
        analyst,
        'text/plain',
        numberedDomains(rows, r, `n${rows}-${r}..com`),
      );
      expect(res.status).toBe(202);
      const job = await settled((res.body as ImportJob).id);
      expect(job).toMatchObject({
        status: 'succeeded',
        progress: { rowsRead: rows },
        report: { created: rows - 1, alreadyPresent: 0, rejected: 1 },
      });
      expect(job.report.rejectedRows[0]).toMatchObject({ line: rows });
      expect(await countLike(`-${r}.com`)).toBe(rows - 1);
    });
  });

  describe('reading jobs, roles', () => {
    it('GET /imports/:id: 404 for an unknown id, 400 for a malformed one', async () => {
      const unknown = await request(t.server)
        .get('/api/v1/imports/00000000-0000-4000-8000-000000000000')
        .set('authorization', `Bearer ${analyst}`)
        .expect(404);
      expect(unknown.headers['content-type']).toMatch(PROBLEM);
      await request(t.server)
        .get('/api/v1/imports/not-a-uuid')
        .set('authorization', `Bearer ${analyst}`)
        .expect(400);
    });

    it('GET /imports lists the job, newest first', async () => {
      const r = label();
      const job = await imported(`listed-${r}.com\n`, 'text/plain');
      const list = await request(t.server)
        .get('/api/v1/imports')
        .query({ limit: 100 })
        .set('authorization', `Bearer ${analyst}`)
        .expect(200);
      const ids = list.body.items.map((i: ImportJob) => i.id);
      expect(ids).toContain(job.id);
      const listed = list.body.items.find((i: ImportJob) => i.id === job.id) as ImportJob;
      expect(listed).toMatchObject({ status: 'succeeded', report: { created: 1 } });
    });

    it('an ISP operator may neither import nor read imports; an auditor reads but does not import', async () => {
      const r = label();
      const operator = (await make.loginAs('isp_operator')).token;
      await request(t.server)
        .post('/api/v1/imports')
        .set('authorization', `Bearer ${operator}`)
        .set('content-type', 'text/plain')
        .send(`operator-${r}.com\n`)
        .expect(403);
      await request(t.server)
        .get('/api/v1/imports')
        .set('authorization', `Bearer ${operator}`)
        .expect(403);
      const auditor = (await make.loginAs('auditor')).token;
      await request(t.server)
        .post('/api/v1/imports')
        .set('authorization', `Bearer ${auditor}`)
        .set('content-type', 'text/plain')
        .send(`auditor-${r}.com\n`)
        .expect(403);
      await request(t.server)
        .get('/api/v1/imports')
        .set('authorization', `Bearer ${auditor}`)
        .expect(200);
      await request(t.server)
        .post('/api/v1/imports')
        .set('content-type', 'text/plain')
        .send(`anonymous-${r}.com\n`)
        .expect(401);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });
  });

  // Last: closing a second application in this process leaves the first one without its
  // database connection ("Driver not Connected"), so nothing may use `t` after it.
  describe('limits and client mistakes (never a 500)', () => {
    let small: TestApp;
    let smallToken: string;
    let smallBase: URL;

    beforeAll(async () => {
      small = await createTestApp({ env: { IMPORT_MAX_BYTES: '2048', IMPORT_MAX_ROWS: '10' } });
      await small.app.listen(0, '127.0.0.1');
      smallBase = new URL(`http://127.0.0.1:${(small.server.address() as AddressInfo).port}`);
      smallToken = (await new Factories(small.app).loginAs('analyst')).token;
    });
    afterAll(async () => {
      await small.close();
    });

    it('413 problem+json when Content-Length is over IMPORT_MAX_BYTES', async () => {
      const r = label();
      const body = Array.from({ length: 200 }, (_, i) => `big${i}-${r}.com`).join('\n');
      expect(Buffer.byteLength(body)).toBeGreaterThan(2048);
      const res = await request(small.server)
        .post('/api/v1/imports')
        .set('authorization', `Bearer ${smallToken}`)
        .set('content-type', 'text/plain')
        .send(body)
        .expect(413);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/at most 2048 bytes/);
      expect(res.body).toMatchObject({ limit: 'import-size', limitValue: 2048 });
      expect(await countLike(`-${r}.com`)).toBe(0);
    });

    it('413 problem+json when a chunked body (no Content-Length) grows over IMPORT_MAX_BYTES', async () => {
      const r = label();
      const chunks = Array.from({ length: 8 }, (_, i) => `chunk${i}-${r}.com\n`.padEnd(400, '#'));
      // 8 lines of 400 bytes, but fewer than 10 rows: only the size is over.
      const res = await rawPost(
        new URL('/api/v1/imports?mode=skip', smallBase),
        smallToken,
        'text/plain',
        chunks.map((line) => `${line}\n`),
      );
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect((res.body as { detail: string }).detail).toMatch(/at most 2048 bytes/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });

    it('400 over IMPORT_MAX_ROWS, nothing created', async () => {
      const r = label();
      const body = Array.from({ length: 11 }, (_, i) => `row${i}-${r}.com`).join('\n');
      const res = await request(small.server)
        .post('/api/v1/imports')
        .set('authorization', `Bearer ${smallToken}`)
        .set('content-type', 'text/plain')
        .query({ mode: 'skip' })
        .send(body)
        .expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/too many rows: the limit is 10/);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });

    it.each([
      ['application/xml', '<indicators/>'],
      ['text/html', '<p>x</p>'],
      ['text/plain; charset=iso-8859-1', 'x.example.com'],
    ])('415 problem+json for %s', async (contentType, body) => {
      const res = await post(body, contentType).expect(415);
      expect(res.headers['content-type']).toMatch(PROBLEM);
    });

    it('400 for a body that is not UTF-8', async () => {
      const res = await request(t.server)
        .post('/api/v1/imports')
        .set('authorization', `Bearer ${analyst}`)
        .set('content-type', 'text/plain')
        .send(Buffer.from([0x61, 0x2e, 0x63, 0x6f, 0x6d, 0x0a, 0xff, 0xfe, 0x0a]))
        .expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.detail).toMatch(/not valid UTF-8/);
    });

    it.each([
      [{ mode: 'all' }, 'mode'],
      [{ tlp: 'purple' }, 'tlp'],
      [{ confidence: '101' }, 'confidence'],
      [{ validUntil: 'tomorrow' }, 'validUntil'],
      [{ validUntil: '2001-01-01T00:00:00Z' }, 'validUntil'],
      [{ tags: 'ok;<script>' }, 'tags'],
      [{ extra: '1' }, 'extra'],
    ])('400 for the query %j', async (query, field) => {
      const r = label();
      const res = await post(`query-${r}.com\n`, 'text/plain', query);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body['invalid-params'].map((p: { name: string }) => p.name)).toContain(field);
      expect(await countLike(`-${r}.com`)).toBe(0);
    });

    it('an empty body succeeds with nothing to do (text), and is a 400 for JSON and CSV', async () => {
      const text = await imported('', 'text/plain');
      expect(text).toMatchObject({ status: 'succeeded', report: { created: 0, rejected: 0 } });
      const json = await post('', 'application/json').expect(400);
      expect(json.headers['content-type']).toMatch(PROBLEM);
      const csv = await post('', 'text/csv').expect(400);
      expect(csv.body.detail).toMatch(/header/);
    });
  });
});
