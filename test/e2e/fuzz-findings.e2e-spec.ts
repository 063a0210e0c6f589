import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const PROBLEM = /^application\/problem\+json/;

/** A request written byte for byte on a socket: what Node's HTTP parser refuses never reaches a route. */
function raw(
  port: number,
  requestLine: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`${requestLine}\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0),
        type: /^content-type: (.*)$/im.exec(head)?.[1] ?? '',
        body,
      });
    });
  });
}

/** Regressions for what the API fuzz suite (test/fuzz, npm run fuzz) found. */
describe('fuzz findings', () => {
  let t: TestApp;
  let port = 0;

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
  });

  it('a request line past the header size limit gets a 431 problem, not Fastify’s JSON', async () => {
    const res = await raw(port, `GET /api/v1/indicators?unknown=${'a'.repeat(100_000)} HTTP/1.1`);
    expect(res.status).toBe(431);
    expect(res.type).toMatch(PROBLEM);
    expect(JSON.parse(res.body)).toMatchObject({
      status: 431,
      title: 'Request Header Fields Too Large',
    });
  });

  it('a malformed request line gets a 400 problem', async () => {
    const res = await raw(port, 'GET /api/v1/indicators?x=\u0001 HTTP/1.1');
    expect(res.status).toBe(400);
    expect(res.type).toMatch(PROBLEM);
  });

  it('a JSON body nested 5,000 deep gets a 400 problem, not a 500 (stack overflow)', async () => {
    const staff = await departmentStaff(t.app);
    const flow = new RequestFlow(t.app, staff);
    const draft = await flow.draft('all');
    await flow.addValues(draft.id as string, [unprotected.domain()]);
    const indicator = (
      await request(t.server)
        .get(`/api/v1/blocking-requests/${draft.id as string}/items`)
        .set('authorization', `Bearer ${staff.analyst}`)
        .expect(200)
    ).body.items[0].indicatorId as string;
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    for (const [method, url] of [
      ['patch', `/api/v1/indicators/${indicator}`],
      ['post', '/api/v1/indicators'],
      ['post', '/api/v1/blocking-requests'],
    ] as const) {
      const agent = request(t.server);
      const res = await agent[method](url)
        .set('authorization', `Bearer ${staff.analyst}`)
        .set('content-type', 'application/json')
        .send(deep);
      expect({ url, status: res.status, type: res.headers['content-type'] }).toEqual({
        url,
        status: 400,
        type: expect.stringMatching(PROBLEM),
      });
    }
  });

  it('a batch of sightings with an array among its items gets a 400 problem, not a 500', async () => {
    const { token } = await isp(t.app);
    const seen = '2020-01-01T00:00:00.000Z';
    const res = await request(t.server)
      .post('/api/v1/sightings')
      .set('authorization', `Bearer ${token}`)
      .send({ sightings: [{ count: 1, firstSeen: seen, lastSeen: seen }, []] });
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status: 400,
      type: expect.stringMatching(PROBLEM),
    });
  });
});
