import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { TLP2_MARKING_IDS } from '#src/feeds/snapshots/stix.js';
import { describeWithShared } from '#test/support/shared-data.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { STIX_SCHEMAS_DIR, stixValidator } from '#test/support/stix-schemas.js';
import { rawBody } from '#test/support/raw-body.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

type Json = Record<string, unknown>;

describeWithShared(STIX_SCHEMAS_DIR)('GET /api/v1/feed/snapshot.stix (STIX 2.1 bundle)', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let other: Awaited<ReturnType<typeof isp>>;
  const cidr6 = `${unprotected.ipv6().replace(/::?\w*$/, '')}::/48`;
  const values = {
    domain: unprotected.domain(),
    ipv4: unprotected.ipv4(),
    ipv6: unprotected.ipv6(),
    cidr: unprotected.cidr(),
    url: `http://${unprotected.domain()}/it's/here`,
  };
  let withdrawn: string;
  let bundle: Json;
  let contentType: string;

  const get = (token = mine.token) =>
    request(t.server)
      .get('/api/v1/feed/snapshot.stix')
      .set('authorization', `Bearer ${token}`)
      .buffer(true)
      .parse(rawBody);

  beforeAll(async () => {
    t = await createTestApp();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    [mine, other] = [await isp(t.app), await isp(t.app)];
    await flow.publish([mine.org.id], Object.values(values));
    withdrawn = unprotected.domain();
    const request_ = await flow.publish([mine.org.id], [withdrawn]);
    await flow.withdraw(request_.id as string);
    await flow.publish([other.org.id], [unprotected.domain()]);
    const res = await get().expect(200);
    contentType = res.headers['content-type'];
    bundle = JSON.parse((res.body as Buffer).toString()) as Json;
  });
  afterAll(async () => {
    await t.close();
  });

  const objects = (type: string) => (bundle.objects as Json[]).filter((o) => o.type === type);

  it('is a bundle that validates against the OASIS STIX 2.1 schemas, object by object', () => {
    expect(contentType).toBe('application/stix+json;version=2.1');
    const validBundle = stixValidator('common/bundle.json');
    expect(validBundle(bundle)).toEqual([]);
    // The validator is not vacuous: a malformed id or a missing pattern is caught.
    const [first] = objects('indicator');
    expect(validBundle({ ...bundle, objects: [{ ...first, id: 'indicator--1' }] })).not.toEqual([]);
    expect(stixValidator('sdos/indicator.json')({ ...first, pattern: undefined })).not.toEqual([]);
    const byType: Record<string, string> = {
      indicator: 'sdos/indicator.json',
      identity: 'sdos/identity.json',
      'marking-definition': 'common/marking-definition.json',
    };
    for (const object of bundle.objects as Json[]) {
      expect(byType[object.type as string]).toBeDefined();
      expect(stixValidator(byType[object.type as string])(object)).toEqual([]);
    }
  });

  it('has one indicator per active value of this ISP, with the pattern of its type', async () => {
    const indicators = objects('indicator');
    const patterns = Object.fromEntries(indicators.map((o) => [o.name as string, o.pattern]));
    expect(Object.keys(patterns).sort()).toEqual(Object.values(values).sort());
    expect(patterns[values.domain]).toBe(`[domain-name:value = '${values.domain}']`);
    expect(patterns[values.ipv4]).toBe(`[ipv4-addr:value = '${values.ipv4}']`);
    expect(patterns[values.ipv6]).toBe(`[ipv6-addr:value = '${values.ipv6}']`);
    expect(patterns[values.cidr]).toBe(`[ipv4-addr:value = '${values.cidr}']`);
    // A quote in a URL is escaped in the pattern's string literal (STIX patterning §9.3).
    expect(patterns[values.url]).toBe(`[url:value = '${values.url.replace("'", "\\'")}']`);
    for (const o of indicators) {
      expect(o).toMatchObject({
        spec_version: '2.1',
        pattern_type: 'stix',
        pattern_version: '2.1',
        indicator_types: ['malicious-activity'],
      });
      expect(o.revoked).toBeUndefined();
      expect(Date.parse(o.modified as string)).toBeGreaterThanOrEqual(
        Date.parse(o.created as string),
      );
    }
    expect(indicators.map((o) => o.name)).not.toContain(withdrawn);
  });

  it('gives each indicator a stable id: the indicator’s own id, in every snapshot', async () => {
    const ids = new Map(objects('indicator').map((o) => [o.name as string, o.id as string]));
    const search = await request(t.server)
      .get('/api/v1/indicators')
      .query({ valuePrefix: values.domain })
      .set('authorization', `Bearer ${flow.staff.analyst}`)
      .expect(200);
    const indicatorId = (search.body as { items: Json[] }).items[0].id as string;
    expect(ids.get(values.domain)).toBe(`indicator--${indicatorId}`);
    const again = JSON.parse(((await get().expect(200)).body as Buffer).toString()) as Json;
    const againIds = new Map(
      (again.objects as Json[])
        .filter((o) => o.type === 'indicator')
        .map((o) => [o.name as string, o.id as string]),
    );
    expect(againIds).toEqual(ids);
    expect(again.id).not.toBe(bundle.id); // a bundle is a new container every time
  });

  it('is created by the Department identity and marked with TLP 2.0 marking definitions', () => {
    const [identity] = objects('identity');
    expect(identity).toMatchObject({ identity_class: 'organization' });
    const markings = objects('marking-definition');
    expect(markings.map((m) => m.id).sort()).toEqual(Object.values(TLP2_MARKING_IDS).sort());
    const amber = markings.find((m) => m.name === 'TLP:AMBER');
    expect(amber?.extensions).toEqual({
      'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
        extension_type: 'property-extension',
        tlp_2_0: 'amber',
      },
    });
    for (const o of objects('indicator')) {
      expect(o.created_by_ref).toBe(identity.id);
      // Indicators default to TLP:AMBER.
      expect(o.object_marking_refs).toEqual([TLP2_MARKING_IDS.AMBER]);
    }
  });

  it('maps an IPv6 network to ipv6-addr', async () => {
    await flow.publish([mine.org.id], [cidr6]);
    const res = await get().expect(200);
    const fresh = JSON.parse((res.body as Buffer).toString()) as Json;
    const found = (fresh.objects as Json[]).find((o) => o.name === cidr6);
    expect(found?.pattern).toBe(`[ipv6-addr:value = '${cidr6}']`);
  });

  it('is empty but valid for an ISP with nothing active, and scoped to the caller', async () => {
    const empty = await isp(t.app);
    const res = await get(empty.token).expect(200);
    const only = JSON.parse((res.body as Buffer).toString()) as Json;
    expect(stixValidator('common/bundle.json')(only)).toEqual([]);
    expect((only.objects as Json[]).filter((o) => o.type === 'indicator')).toEqual([]);
  });
});
