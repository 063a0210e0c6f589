import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { FeedPullRecorder } from '#src/feeds/pulls/feed-pull.recorder.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { STIX_SCHEMAS_DIR, stixValidator } from '#test/support/stix-schemas.js';
import { rawBody } from '#test/support/raw-body.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

type Json = Record<string, unknown>;
const TAXII = 'application/taxii+json;version=2.1';
const ROOT = '/taxii2/feeds/';

/** RFC 4122 version 3 (MD5) uuid in the feed's namespace, computed here independently. */
function uuidV3(name: string): string {
  const namespace = Buffer.from('6f1c0a53e2d84a3c9b7e5d0c4a2f8e61', 'hex');
  const hash = createHash('md5').update(namespace).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x30;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('TAXII 2.1 read side (/taxii2/)', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let other: Awaited<ReturnType<typeof isp>>;
  let collection: string;
  const values = [unprotected.domain(), unprotected.ipv4(), unprotected.cidr()];
  let withdrawnValue: string;
  let withdrawnRequest: string;

  const get = (path: string, token = mine.token, accept = TAXII) =>
    request(t.server)
      .get(path)
      .set('authorization', `Bearer ${token}`)
      .set('accept', accept)
      .buffer(true)
      .parse(rawBody);
  const json = (res: request.Response) => JSON.parse((res.body as Buffer).toString()) as Json;
  const objectsOf = (res: request.Response) => (json(res).objects ?? []) as Json[];

  beforeAll(async () => {
    t = await createTestApp();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    [mine, other] = [await isp(t.app), await isp(t.app)];
    collection = mine.org.id;
    await flow.publish([mine.org.id], values);
    withdrawnValue = unprotected.domain();
    withdrawnRequest = (await flow.publish([mine.org.id], [withdrawnValue])).id as string;
    await flow.publish([other.org.id], [unprotected.domain()]);
  });
  afterAll(async () => {
    await t.close();
  });

  it('§4.1 discovery and §4.2 the API root, in the TAXII media type', async () => {
    const discovery = await get('/taxii2/').expect(200);
    expect(discovery.headers['content-type']).toBe(TAXII);
    expect(json(discovery)).toMatchObject({ default: ROOT, api_roots: [ROOT] });
    const root = await get(ROOT).expect(200);
    expect(root.headers['content-type']).toBe(TAXII);
    expect(json(root)).toMatchObject({ versions: [TAXII] });
    expect(typeof json(root).max_content_length).toBe('number');
  });

  it('§5.1/§5.2 each ISP sees its own collection only; another one is not found', async () => {
    const list = json(await get(`${ROOT}collections/`).expect(200));
    expect(list.collections).toEqual([
      expect.objectContaining({ id: collection, can_read: true, can_write: false }),
    ]);
    const one = json(await get(`${ROOT}collections/${collection}/`).expect(200));
    expect(one.id).toBe(collection);
    const theirs = await get(`${ROOT}collections/${other.org.id}/`).expect(404);
    expect(theirs.headers['content-type']).toBe(TAXII);
    expect(json(theirs)).toMatchObject({ http_status: '404' });
    await get(`${ROOT}collections/${other.org.id}/objects/`).expect(404);
  });

  it('§5.4 objects: the identity, the TLP markings, then one indicator per change, valid STIX', async () => {
    const res = await get(`${ROOT}collections/${collection}/objects/`).expect(200);
    expect(res.headers['content-type']).toBe(TAXII);
    const body = json(res);
    expect(body.more).toBe(false);
    const objects = objectsOf(res);
    expect(objects.slice(0, 6).map((o) => o.type)).toEqual([
      'identity',
      ...Array(5).fill('marking-definition'),
    ]);
    const indicators = objects.filter((o) => o.type === 'indicator');
    expect(indicators.map((o) => o.name).sort()).toEqual([...values, withdrawnValue].sort());
    for (const o of indicators) expect(o.created_by_ref).toBe(objects[0].id);
    if (existsSync(STIX_SCHEMAS_DIR)) {
      const valid = stixValidator('common/bundle.json');
      expect(valid({ type: 'bundle', id: `bundle--${collection}`, objects })).toEqual([]);
    }
    // The date headers are the first and last date_added of the page (§5.3 says which).
    const manifest = json(await get(`${ROOT}collections/${collection}/manifest/`).expect(200));
    const entries = manifest.objects as Json[];
    expect(entries.map((e) => e.id)).toEqual(objects.map((o) => o.id));
    expect(res.headers['x-taxii-date-added-first']).toBe(entries[0].date_added);
    expect(res.headers['x-taxii-date-added-last']).toBe(entries.at(-1)?.date_added);
    for (const e of entries) expect(e.media_type).toBe('application/stix+json;version=2.1');
    const dates = entries.map((e) => e.date_added as string);
    expect([...dates].sort()).toEqual(dates);
    expect(new Set(dates).size).toBe(dates.length);
  });

  it('pages with limit and next: every object once, more only with objects', async () => {
    const seen: string[] = [];
    let next: string | undefined;
    for (let i = 0; i < 20; i++) {
      const query = `limit=2${next ? `&next=${next}` : ''}`;
      const body = json(
        await get(`${ROOT}collections/${collection}/objects/?${query}`).expect(200),
      );
      const objects = (body.objects ?? []) as Json[];
      if (body.more) expect(objects.length).toBeGreaterThan(0);
      seen.push(...objects.map((o) => o.id as string));
      if (!body.more) break;
      next = body.next as string;
    }
    const all = objectsOf(await get(`${ROOT}collections/${collection}/objects/`).expect(200));
    expect(seen).toEqual(all.map((o) => o.id));
  });

  it('added_after gives what was added since the last date seen', async () => {
    const first = await get(`${ROOT}collections/${collection}/objects/`).expect(200);
    const last = first.headers['x-taxii-date-added-last'];
    const quiet = await get(`${ROOT}collections/${collection}/objects/?added_after=${last}`).expect(
      200,
    );
    expect(json(quiet)).toEqual({ more: false });
    expect(quiet.headers['x-taxii-date-added-first']).toBeUndefined();
    const fresh = unprotected.domain();
    await flow.publish([mine.org.id], [fresh]);
    const after = objectsOf(
      await get(`${ROOT}collections/${collection}/objects/?added_after=${last}`).expect(200),
    );
    expect(after.map((o) => o.name)).toEqual([fresh]);
  });

  it('a removal is a revoked version; blocking again is a new object (§5.6, §5.8)', async () => {
    const before = objectsOf(await get(`${ROOT}collections/${collection}/objects/`).expect(200));
    const object = before.find((o) => o.name === withdrawnValue) as Json;
    const id = object.id as string;
    await flow.withdraw(withdrawnRequest);

    const latest = objectsOf(await get(`${ROOT}collections/${collection}/objects/`).expect(200));
    const revoked = latest.find((o) => o.id === id) as Json;
    expect(revoked.revoked).toBe(true);
    expect(Date.parse(revoked.modified as string)).toBeGreaterThan(
      Date.parse(object.modified as string),
    );
    expect(revoked.created).toBe(object.created);
    expect(latest.filter((o) => o.id === id)).toHaveLength(1); // the last version by default

    const versionsRes = await get(
      `${ROOT}collections/${collection}/objects/${id}/versions/`,
    ).expect(200);
    const versions = json(versionsRes);
    expect(versions.versions).toEqual([object.modified, revoked.modified]);
    // The date headers on the object's endpoints too (its versions' date_added).
    expect(versionsRes.headers['x-taxii-date-added-first']).toBe(object.modified);
    expect(versionsRes.headers['x-taxii-date-added-last']).toBe(revoked.modified);
    const lastOnly = await get(`${ROOT}collections/${collection}/objects/${id}/`).expect(200);
    expect(lastOnly.headers['x-taxii-date-added-first']).toBe(revoked.modified);
    const all = objectsOf(
      await get(`${ROOT}collections/${collection}/objects/${id}/?match[version]=all`).expect(200),
    );
    expect(all.map((o) => o.revoked ?? false)).toEqual([false, true]);
    const firstOnly = objectsOf(
      await get(`${ROOT}collections/${collection}/objects/${id}/?match[version]=first`).expect(200),
    );
    expect(firstOnly).toEqual([object]);
    const at = objectsOf(
      await get(
        `${ROOT}collections/${collection}/objects/${id}/?match[version]=${object.modified as string}`,
      ).expect(200),
    );
    expect(at).toEqual([object]);

    // Blocked again: a new object (a revoked one stays revoked), id derived from the version.
    await flow.publish([mine.org.id], [withdrawnValue]);
    const changes = await request(t.server)
      .get('/api/v1/feed/changes')
      .set('authorization', `Bearer ${mine.token}`)
      .expect(200);
    const readded = (changes.body as { changes: Json[] }).changes
      .filter((c) => c.value === withdrawnValue)
      .at(-1) as Json;
    const now = objectsOf(await get(`${ROOT}collections/${collection}/objects/`).expect(200));
    const renewed = now.filter((o) => o.name === withdrawnValue);
    expect(renewed.map((o) => o.id)).toEqual([
      id,
      `indicator--${uuidV3(`${readded.indicatorId as string}:${readded.version as number}`)}`,
    ]);
    expect(id).toBe(`indicator--${readded.indicatorId as string}`);
  });

  it('match[type], match[id] and match[spec_version] filter', async () => {
    const path = `${ROOT}collections/${collection}/objects/`;
    const identities = objectsOf(await get(`${path}?match[type]=identity`).expect(200));
    expect(identities.map((o) => o.type)).toEqual(['identity']);
    const indicators = objectsOf(await get(`${path}?match[type]=indicator`).expect(200));
    expect(new Set(indicators.map((o) => o.type))).toEqual(new Set(['indicator']));
    // A fixed object by its version (its `modified`, given with microseconds).
    const identityAt = objectsOf(
      await get(
        `${path}?match[type]=identity&match[version]=${(identities[0].modified as string).replace('Z', '000Z')}`,
      ).expect(200),
    );
    expect(identityAt.map((o) => o.id)).toEqual([identities[0].id]);
    const two = [indicators[0].id, identities[0].id] as string[];
    const byId = objectsOf(await get(`${path}?match[id]=${two.join(',')}`).expect(200));
    expect(byId.map((o) => o.id).sort()).toEqual([...two].sort());
    expect(json(await get(`${path}?match[spec_version]=2.0`).expect(200))).toEqual({
      more: false,
    });
    expect(objectsOf(await get(`${path}?match[spec_version]=2.1`).expect(200)).length).toBe(
      objectsOf(await get(path).expect(200)).length,
    );
  });

  it('errors are TAXII error messages in the TAXII media type', async () => {
    const path = `${ROOT}collections/${collection}/objects/`;
    const cases: [request.Test, number][] = [
      [get(path, mine.token, 'application/json'), 406],
      [get(path, mine.token, 'application/taxii+json;version=2.0'), 406],
      [request(t.server).get(path).buffer(true).parse(rawBody), 401],
      [get(path, flow.staff.analyst), 403],
      [get(`${path}?added_after=yesterday`), 400],
      [get(`${path}?limit=0`), 400],
      [get(`${path}?next=abc`), 400],
      [get(`${path}?match[version]=latest`), 400],
      [get(`${path}?colour=red`), 400],
      [get(`${path}indicator--00000000-0000-4000-8000-000000000000/`), 404],
      [get(`${ROOT}collections/not-a-uuid/objects/`), 404],
      [get('/taxii2/nowhere/'), 404],
    ];
    for (const [call, status] of cases) {
      const { url } = call;
      const res = await call;
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.headers['content-type']).toBe(TAXII);
      expect(json(res)).toMatchObject({ http_status: String(status), title: expect.any(String) });
    }
    const unauthorized = await request(t.server).get(path);
    expect(unauthorized.headers['www-authenticate']).toMatch(/Basic/);
    // Accept variants a TAXII client may send.
    for (const accept of [TAXII, 'application/taxii+json', '*/*', `${TAXII}, application/json`]) {
      await get(path, mine.token, accept).expect(200);
    }
  });

  it('HTTP Basic with the ISP API client’s id and secret (TAXII 2.1 requires Basic)', async () => {
    const make = new Factories(t.app);
    const client = await make.apiClient(mine.org);
    const basic = (id: string, secret: string) =>
      request(t.server)
        .get(`${ROOT}collections/`)
        .auth(id, secret)
        .set('accept', TAXII)
        .buffer(true)
        .parse(rawBody);
    const ok = json(await basic(client.clientId, client.secret).expect(200));
    expect(ok.collections).toEqual([expect.objectContaining({ id: collection })]);
    const refused = await basic(client.clientId, `${client.secret}x`).expect(401);
    expect(refused.headers['content-type']).toBe(TAXII);
    expect(refused.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(json(refused)).toMatchObject({ http_status: '401' });
    await basic('no-such-client', client.secret).expect(401);
    // Another ISP's client sees its own collection, not this one.
    const theirs = await make.apiClient(other.org);
    await request(t.server)
      .get(`${ROOT}collections/${collection}/objects/`)
      .auth(theirs.clientId, theirs.secret)
      .expect(404);
    // Basic is for TAXII: the rest of the API wants bearer tokens.
    await request(t.server)
      .get('/api/v1/feed/changes')
      .auth(client.clientId, client.secret)
      .expect(401);
  });

  it('records each objects pull in the feed telemetry (format taxii, bytes)', async () => {
    const res = await get(`${ROOT}collections/${collection}/objects/`).expect(200);
    await t.app.get(FeedPullRecorder).flush();
    const [row] = await t.app
      .get(DataSource)
      .query<{ format: string; bytes: string; status: number }[]>(
        `SELECT format, bytes, status FROM feed_pulls WHERE organization_id = $1
          ORDER BY id DESC LIMIT 1`,
        [collection],
      );
    expect(row).toEqual({
      format: 'taxii',
      bytes: String((res.body as Buffer).length),
      status: 200,
    });
  });

  it('limits failed Basic attempts per address before any secret check (429), not good ones', async () => {
    const limited = await createTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } });
    try {
      const client = await new Factories(limited.app).apiClient(
        await new Factories(limited.app).organization('isp'),
      );
      const basic = (secret: string) =>
        request(limited.server).get(ROOT).auth(client.clientId, secret).buffer(true).parse(rawBody);
      for (let i = 0; i < 5; i++) await basic(client.secret).expect(200);
      for (let i = 0; i < 3; i++) await basic('wrong').expect(401);
      const refused = await basic('wrong').expect(429);
      expect(refused.headers['content-type']).toBe(TAXII);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await basic(client.secret).expect(429); // the address is limited, whatever it sends
      // TAXII's own error shape, but the refusals are counted like every limit's.
      const metrics = await request(limited.server).get('/metrics').expect(200);
      expect(metrics.text).toContain('limit_refusals_total{limit="auth-failures-per-address"} 2');
    } finally {
      await limited.close();
    }
  });
});
