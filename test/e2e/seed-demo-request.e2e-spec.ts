import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { DEMO_DOCUMENT_NUMBER, DEMO_VALUES, seedDemoRequest } from '#src/app/demo/demo-request.js';
import { DEMO_INCIDENT_TITLE, DEMO_UNITS, seedDemoResponse } from '#src/app/demo/demo-response.js';
import { seedDemo } from '#src/app/demo/seed-demo.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('npm run seed:demo: the sample blocking request', () => {
  let t: TestApp;
  let db: DataSource;

  let fresh: { url: string; drop: () => Promise<void> } | undefined;

  beforeAll(async () => {
    // A database of its own, as a demo has: other files import MISP lists (RFC 5735 names the
    // demo units' 192.88.99.0/24) and would make the demo's units protected.
    fresh = await freshDatabase();
    t = await createTestApp({ databaseUrl: fresh.url });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await fresh?.drop();
  });

  it('is published to both demo ISPs through the lifecycle, once', async () => {
    await seedDemo(db);
    const first = await seedDemoRequest(t.app);
    const second = await seedDemoRequest(t.app);
    expect(second).toEqual({ ...first, created: false });
    expect(first.status).toBe('published');
    const [request] = await db.query<
      { created_by: string; approved_by: string; item_count: number }[]
    >(
      `SELECT created_by, approved_by, item_count FROM blocking_requests WHERE document_number = $1`,
      [DEMO_DOCUMENT_NUMBER],
    );
    expect(request.item_count).toBe(DEMO_VALUES.length);
    expect(request.approved_by).not.toBe(request.created_by);
    const feeds = await db.query<{ short_code: string; n: number }[]>(
      `SELECT o.short_code, count(*)::int AS n FROM feed_active a
         JOIN organizations o ON o.id = a.organization_id
         JOIN blocking_request_items i ON i.indicator_id = a.indicator_id AND i.request_id = $1
        GROUP BY o.short_code ORDER BY o.short_code`,
      [first.id],
    );
    expect(feeds).toEqual([
      { short_code: 'ISP-A', n: DEMO_VALUES.length },
      { short_code: 'ISP-B', n: DEMO_VALUES.length },
    ]);
    const types = await db.query<{ type: string }[]>(
      `SELECT DISTINCT n.type FROM blocking_request_items i JOIN indicators n ON n.id = i.indicator_id
        WHERE i.request_id = $1 ORDER BY n.type`,
      [first.id],
    );
    expect(types.map((r) => r.type)).toEqual(['cidr', 'domain', 'ipv4', 'ipv6', 'url']);
  });

  it('adds two units with their officers, a case from an ISP sighting and an incident, once', async () => {
    const first = await seedDemoResponse(t.app, 'demo-password-2026');
    const again = await seedDemoResponse(t.app, undefined);
    expect(again).toMatchObject({ caseId: first.caseId, incident: first.incident });
    expect(first.units).toEqual(DEMO_UNITS.map((u) => u.shortCode));
    expect(first.users.map((u) => u.roles)).toEqual([['unit_officer'], ['unit_officer']]);
    const [c] = await db.query<{ short_code: string; status: string; addresses: string[] }[]>(
      `SELECT o.short_code, c.status, array_agg(DISTINCT host(x.address)) AS addresses
         FROM unit_cases c JOIN organizations o ON o.id = c.unit_id
         JOIN unit_connections x ON x.case_id = c.id
        WHERE c.id = $1 GROUP BY o.short_code, c.status`,
      [first.caseId],
    );
    // Demo ISP A's sighting at 192.88.99.7 matched the unit whose network holds it.
    expect(c).toEqual({ short_code: 'UBND-HACTHANH', status: 'open', addresses: ['192.88.99.7'] });
    const incidents = await db.query<{ reference: string; indicators: { value: string }[] }[]>(
      `SELECT reference, indicators FROM incidents WHERE title = $1`,
      [DEMO_INCIDENT_TITLE],
    );
    expect(incidents).toHaveLength(1);
    expect(incidents[0].reference).toBe(first.incident);
    expect(incidents[0].indicators.map((i) => i.value)).toEqual(['botnet-c2.example.com']);
  });
});
