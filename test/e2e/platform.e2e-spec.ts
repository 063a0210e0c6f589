import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { openApiDocument } from '#src/app/app.factory.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

describe('health, metrics and API documentation', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /health/live and /health/ready answer 200 with the database up', async () => {
    const live = await request(t.server).get('/health/live').expect(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await request(t.server).get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up' } });
  });

  it('GET /metrics counts requests and times them by route template and status', async () => {
    await request(t.server).get('/health/live').expect(200);
    await request(t.server).get('/api/v1/unknown/123').expect(404);
    const res = await request(t.server).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toMatch(
      /^http_requests_total\{method="GET",route="\/health\/live",status="200"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/health\/live",status="200"\} \d+/m,
    );
    expect(text).toMatch(
      /^http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} [1-9]/m,
    );
    // Raw URLs never become label values.
    expect(text).not.toContain('/api/v1/unknown/123');
    for (const gauge of [
      'db_pool_connections_total',
      'db_pool_connections_idle',
      'db_pool_requests_waiting',
    ]) {
      expect(text).toMatch(new RegExp(`^${gauge} \\d+`, 'm'));
    }
    expect(text).toMatch(/^db_pool_connections_max 10$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('serves Swagger UI at /api/docs', async () => {
    const res = await request(t.server).get('/api/docs').redirects(1).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('swagger-ui');
  });

  it('serves the OpenAPI document at /api/openapi.json, equal to the committed docs/openapi.json', async () => {
    const res = await request(t.server).get('/api/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/metrics']),
    );
    const committed = JSON.parse(
      readFileSync(path.join(PROJECT_ROOT, 'docs', 'openapi.json'), 'utf8'),
    );
    expect(committed).toEqual(openApiDocument(t.app));
  });

  it('documents every operation with an operationId, a summary and its problem responses', () => {
    const doc = openApiDocument(t.app);
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const operation = op as {
          operationId?: string;
          summary?: string;
          responses: Record<string, unknown>;
        };
        expect({ route, method, operationId: operation.operationId }).toEqual({
          route,
          method,
          operationId: expect.any(String),
        });
        expect(operation.summary).toBeTruthy();
        expect(operation.responses['500']).toBeDefined();
        if (route.startsWith('/api/v1/')) {
          // Every API operation documents the client errors it can answer.
          expect({
            route,
            method,
            has4xx: Object.keys(operation.responses).some((s) => s.startsWith('4')),
          }).toEqual({
            route,
            method,
            has4xx: true,
          });
        }
      }
    }
  });
});
