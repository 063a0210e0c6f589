import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { rawBody } from '#test/support/raw-body.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('GET /api/v1/feed/snapshot.{json,ndjson,csv,txt}', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let other: Awaited<ReturnType<typeof isp>>;
  const values = {
    domain: unprotected.domain(),
    ipv4: unprotected.ipv4(),
    ipv6: unprotected.ipv6(),
    cidr: unprotected.cidr(),
    url: unprotected.url(),
  };
  let withdrawnValue: string;
  let otherValue: string;

  const get = (format: string, query: Record<string, string> = {}, token = mine.token) =>
    request(t.server)
      .get(`/api/v1/feed/snapshot.${format}`)
      .query(query)
      .set('authorization', `Bearer ${token}`)
      .buffer(true)
      .parse(rawBody);

  beforeAll(async () => {
    t = await createTestApp();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    [mine, other] = [await isp(t.app), await isp(t.app)];
    await flow.publish([mine.org.id], Object.values(values));
    withdrawnValue = unprotected.domain();
    const withdrawn = await flow.publish([mine.org.id], [withdrawnValue]);
    await flow.withdraw(withdrawn.id as string);
    otherValue = unprotected.domain();
    await flow.publish([other.org.id], [otherValue]);
  });
  afterAll(async () => {
    await t.close();
  });

  const expected = () => Object.values(values).sort();

  it('txt: sorted values after # lines, with the version in a header and in the body', async () => {
    const res = await get('txt').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const version = Number(res.headers['x-feed-version']);
    expect(version).toBeGreaterThan(0);
    const lines = (res.body as Buffer).toString('utf8').split('\n');
    expect(lines[0]).toMatch(/^# threat-exchange feed snapshot/);
    expect(lines[1]).toContain(`version ${version}`);
    const data = lines.filter((l) => l !== '' && !l.startsWith('#'));
    expect(data).toEqual(expected());
    expect(data).not.toContain(withdrawnValue);
    expect(data).not.toContain(otherValue);
  });

  it('csv: RFC 4180 with a header and CRLF line ends', async () => {
    const res = await get('csv').expect(200);
    const text = (res.body as Buffer).toString('utf8');
    const lines = text.split('\r\n');
    expect(lines[0]).toBe('type,value,tlp,version,valid_until,indicator_id');
    expect(lines.at(-1)).toBe('');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(
      lines
        .slice(1, -1)
        .map((l) => l.split(',')[1])
        .sort(),
    ).toEqual(expected());
  });

  it('json and ndjson: the same indicators', async () => {
    const json = JSON.parse((await get('json').expect(200)).body.toString('utf8')) as {
      version: number;
      indicators: { type: string; value: string; indicatorId: string }[];
    };
    expect(json.indicators.map((i) => i.value).sort()).toEqual(expected());
    expect(json.indicators.find((i) => i.value === values.ipv6)!.type).toBe('ipv6');
    const ndjson = (await get('ndjson').expect(200)).body
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l) as { value: string });
    expect(ndjson.map((i: { value: string }) => i.value).sort()).toEqual(expected());
  });

  it('filters by type, compresses on request, and refuses what it does not know', async () => {
    const only = await get('txt', { types: 'ipv4,cidr' }).expect(200);
    expect(
      only.body
        .toString('utf8')
        .split('\n')
        .filter((l: string) => l && !l.startsWith('#')),
    ).toEqual([values.cidr, values.ipv4].sort());
    const zipped = await get('csv').set('accept-encoding', 'gzip').expect(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    // supertest inflates what it receives: getting the text back proves it was gzip.
    expect((zipped.body as Buffer).toString('utf8')).toContain(values.domain);
    expect(Number(zipped.headers['content-length'] ?? 0)).toBe(0); // streamed, not buffered
    await get('txt', { types: 'md5' }).expect(400);
    await get('xml').expect(404);
  });

  it('gives an empty set to an ISP with nothing addressed to it', async () => {
    const lonely = await isp(t.app);
    const res = await get('json', {}, lonely.token).expect(200);
    expect(JSON.parse(res.body.toString('utf8'))).toMatchObject({ indicators: [] });
    const csv = await get('csv', {}, lonely.token).expect(200);
    expect(csv.body.toString('utf8')).toBe('type,value,tlp,version,valid_until,indicator_id\r\n');
  });
});
