import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { testDatabaseUrl } from '#test/support/database-urls.js';
import { ProbeModule } from '#test/support/probe.module.js';
import { eventually } from '#test/support/faults.js';
import { TcpProxy } from '#test/support/tcp-proxy.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('the database going away and coming back', () => {
  let proxy: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    const through = await TcpProxy.forUrl(testDatabaseUrl());
    proxy = through.proxy;
    t = await createTestApp({
      databaseUrl: through.url,
      env: { DB_CONNECT_TIMEOUT_MS: '1000', DB_UNAVAILABLE_RETRY_AFTER_S: '7' },
      extraImports: [ProbeModule],
    });
  });
  afterAll(async () => {
    await proxy.up();
    await t.close();
    await proxy.down();
  });

  it('answers 503 problem+json with Retry-After while down, and recovers by itself', async () => {
    await request(t.server).get('/api/v1/__probe/db').expect(200);
    await request(t.server).get('/health/ready').expect(200);

    await proxy.down();

    const res = await request(t.server).get('/api/v1/__probe/db').expect(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body).toMatchObject({
      type: 'urn:threat-exchange:problem:database-unavailable',
      status: 503,
      title: 'The database is unavailable',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);

    const ready = await request(t.server).get('/health/ready').expect(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ready.headers['retry-after']).toBe('7');
    expect(ready.body.checks).toEqual({ database: 'down' });
    // Liveness does not depend on the database.
    await request(t.server).get('/health/live').expect(200);
    // The audit sealer (a round every 200 ms) says so once, not at every round.
    const sealing = (what: string) =>
      t.logs.lines.filter((l) => String(l.msg).startsWith(`audit sealing ${what}`));
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(sealing('failed')).toHaveLength(1);

    await proxy.up();

    await eventually(async () => {
      await request(t.server).get('/api/v1/__probe/db').expect(200);
    });
    await request(t.server).get('/health/ready').expect(200);
    await eventually(async () => {
      expect(sealing('resumed')).toHaveLength(1);
    });
    expect(sealing('failed')).toHaveLength(1);
  });

  it('survives the server terminating its idle pooled connections', async () => {
    // A pooled connection to kill (after the outage above, the pool may still be refilling on
    // a loaded machine: connections time out after DB_CONNECT_TIMEOUT_MS = 1 s here).
    await eventually(async () => {
      await request(t.server).get('/api/v1/__probe/db').expect(200);
    });
    // Kill this app's backends (those behind our proxy, not other suites') from the server
    // side, as a restart or failover would.
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND client_port = ANY($1::int[])`,
      [[...proxy.upstreamPorts]],
    );
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    // The idle clients' 'error' events must not crash the process; the pool replaces them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await eventually(async () => {
      await request(t.server).get('/api/v1/__probe/db').expect(200);
    });
  });
});
