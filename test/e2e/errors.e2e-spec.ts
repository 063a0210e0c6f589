import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ProbeModule } from '#test/support/probe.module.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const PROBLEM = /^application\/problem\+json/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('errors are RFC 9457 problem+json, every response has x-request-id', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { BODY_LIMIT_BYTES: '2048' }, extraImports: [ProbeModule] });
  });
  afterAll(async () => {
    await t.close();
  });

  it('unknown route: 404 naming the method and path', async () => {
    const res = await request(t.server).get('/api/v1/no-such-thing').expect(404);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No route matches GET /api/v1/no-such-thing',
      instance: '/api/v1/no-such-thing',
      requestId: res.headers['x-request-id'],
    });
  });

  it('validation: 400 listing each offending field and why', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .send({
        name: 'x',
        confidence: 101,
        contacts: [{ email: 'ok@example.org' }, { email: 'nope' }],
      })
      .expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.type).toBe('urn:threat-exchange:problem:validation');
    expect(res.body.status).toBe(400);
    const params = res.body['invalid-params'] as { name: string; reason: string }[];
    expect(params.map((p) => p.name).sort()).toEqual(['confidence', 'contacts[1].email', 'name']);
    expect(params.find((p) => p.name === 'confidence')?.reason).toMatch(/not be greater than 100/);
    expect(params.find((p) => p.name === 'contacts[1].email')?.reason).toMatch(/email/);
  });

  it('validation: unknown fields are rejected by name', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .send({ name: 'ok', confidence: 5, contacts: [], isAdmin: true })
      .expect(400);
    expect(res.body['invalid-params']).toEqual([
      { name: 'isAdmin', reason: 'isAdmin is not an accepted field' },
    ]);
  });

  it('a valid body passes through the same route', async () => {
    const body = { name: 'ok', confidence: 5, contacts: [{ email: 'a@example.org' }] };
    const res = await request(t.server).post('/api/v1/__probe/echo').send(body).expect(200);
    expect(res.body).toEqual(body);
  });

  it('malformed JSON: 400 malformed-body', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .set('content-type', 'application/json')
      .send('{"name": "x",')
      .expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.type).toBe('urn:threat-exchange:problem:malformed-body');
    expect(res.body.title).toBe('The request body is not valid JSON');
  });

  it('payload too large: 413 naming the limit', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(5000), confidence: 1, contacts: [] }))
      .expect(413);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.detail).toBe('The request body is larger than the limit of 2048 bytes');
    expect(res.body).toMatchObject({ limit: 'body-size', limitValue: 2048 });
    expect(res.body).not.toHaveProperty('retryAfter');
  });

  it('unsupported media type: 415', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .set('content-type', 'application/xml')
      .send('<name>x</name>')
      .expect(415);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.status).toBe(415);
    expect(res.body.detail).toMatch(/application\/xml/);
  });

  it('unexpected error: 500 that says nothing internal, logged once with the request id', async () => {
    const res = await request(t.server).get('/api/v1/__probe/boom').expect(500);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    const id: string = res.headers['x-request-id'];
    expect(res.body).toEqual({
      type: 'urn:threat-exchange:problem:internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred. Quote the request id when reporting it.',
      instance: '/api/v1/__probe/boom',
      requestId: id,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/secret|hunter2|stack|Error:/);
    const errors = t.logs.withRequestId(id).filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('secret internal detail');
  });

  it('a 5xx HttpException is answered and logged like any unexpected error: its message is not sent', async () => {
    const res = await request(t.server).get('/api/v1/__probe/http-500').expect(500);
    expect(res.body.type).toBe('urn:threat-exchange:problem:internal');
    expect(JSON.stringify(res.body)).not.toContain('hunter2');
    const errors = t.logs
      .withRequestId(res.headers['x-request-id'])
      .filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
  });

  it('a value PostgreSQL rejects as data (22P02) is a 400, not a 500', async () => {
    const res = await request(t.server).get('/api/v1/__probe/bad-uuid').expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
  });

  it('a text/plain body to a JSON operation is 415', async () => {
    const res = await request(t.server)
      .post('/api/v1/__probe/echo')
      .set('content-type', 'text/plain')
      .send('name=x')
      .expect(415);
    expect(res.body.detail).toBe('This operation does not accept a body of type text/plain');
  });

  it('a malformed URL is a 400 problem with a request id', async () => {
    const res = await request(t.server)
      .get('/api/v1/%zz')
      .set('x-request-id', 'bad-url-1')
      .expect(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.headers['x-request-id']).toBe('bad-url-1');
    expect(res.body).toMatchObject({ status: 400, requestId: 'bad-url-1' });
  });

  it('a unique violation from PostgreSQL is a 409 conflict', async () => {
    const res = await request(t.server).get('/api/v1/__probe/duplicate').expect(409);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.type).toBe('urn:threat-exchange:problem:conflict');
  });

  it('keeps a well-formed incoming x-request-id, on success and on error', async () => {
    const ok = await request(t.server)
      .get('/health/live')
      .set('x-request-id', 'isp-42.trace:7')
      .expect(200);
    expect(ok.headers['x-request-id']).toBe('isp-42.trace:7');
    const missing = await request(t.server).get('/nope').set('x-request-id', 'abc-123').expect(404);
    expect(missing.headers['x-request-id']).toBe('abc-123');
    expect(missing.body.requestId).toBe('abc-123');
    const lines = t.logs.withRequestId('isp-42.trace:7');
    expect(lines.some((l) => l.msg === 'request completed' && l.status === 200)).toBe(true);
  });

  it.each([['has spaces in it'], ['x'.repeat(129)], ['<script>'], ['']])(
    'replaces a malformed incoming x-request-id (%j) with a fresh UUID',
    async (incoming) => {
      const res = await request(t.server)
        .get('/health/live')
        .set('x-request-id', incoming)
        .expect(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
    },
  );

  it('gives every response a distinct request id when none is sent', async () => {
    const a = await request(t.server).get('/health/live');
    const b = await request(t.server).get('/health/live');
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(b.headers['x-request-id']).toMatch(UUID);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });
});
