import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { FeedService } from '#src/feeds/pulls/feed.service.js';
import { Factories } from '#test/support/factories.js';
import { departmentStaff, RequestFlow, unprotected } from '#test/support/requests.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * The conditional poll answered before Nest's pipeline (ConditionalPoll): same answer as the
 * route, taken only for tokens already verified, and never for a caller who lost access.
 */
describe('conditional polls of the change feed', () => {
  let t: TestApp;
  let make: Factories;
  let flow: RequestFlow;

  beforeAll(async () => {
    t = await createTestApp();
    make = new Factories(t.app);
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
  });
  afterAll(async () => {
    await t.close();
  });

  async function ispClient() {
    const org = await make.organization('isp');
    const client = await make.apiClient(org);
    await flow.publish([org.id], [unprotected.domain()]);
    return { org, client, token: await make.clientToken(client.clientId, client.secret) };
  }
  const poll = (token: string, etag?: string, query = 'after=0') => {
    const call = request(t.server)
      .get(`/api/v1/feed/changes?${query}`)
      .set('authorization', `Bearer ${token}`);
    return etag ? call.set('if-none-match', etag) : call;
  };
  const headersOf = (res: request.Response) => ({
    etag: res.headers.etag,
    cacheControl: res.headers['cache-control'],
    contentType: res.headers['content-type'] as string | undefined,
    body: res.text,
  });

  it('answers 304 before the route for a verified token, exactly as the route does', async () => {
    const { client } = await ispClient();
    const service = t.app.get(FeedService);
    const changes = jest.spyOn(service, 'changes');
    // A new token: verified in full by the route, which answers the 304 itself.
    const token = await make.clientToken(client.clientId, client.secret);
    const first = await poll(token).expect(200);
    const etag = first.headers.etag;
    const other = await make.clientToken(client.clientId, client.secret);
    const byRoute = await poll(other, etag).expect(304);
    expect(changes).toHaveBeenCalledTimes(2);
    // The same token again: the route is not reached.
    const early = await poll(token, etag).expect(304);
    const again = await poll(other, etag).expect(304);
    expect(changes).toHaveBeenCalledTimes(2);
    expect(headersOf(early)).toEqual(headersOf(byRoute));
    expect(headersOf(again)).toEqual(headersOf(byRoute));
    // Anything else goes to the route: another page, a stale ETag, an unknown parameter.
    await poll(token, etag, 'after=0&limit=5').expect(200);
    await poll(token, '"stale"').expect(200);
    expect(changes).toHaveBeenCalledTimes(4);
    // (an unknown parameter is the route's 400, from its validation, before the service)
    await poll(token, etag, 'after=0&colour=red').expect(400);
    changes.mockRestore();
  });

  it('does not answer for a caller who lost access: revoked client, not an ISP role, new version', async () => {
    const { org, client, token } = await ispClient();
    const etag = (await poll(token).expect(200)).headers.etag;
    await poll(token, etag).expect(304);
    // A publication: the version changed, so the route answers with the new change.
    await flow.publish([org.id], [unprotected.domain()]);
    const fresh = await poll(token, etag).expect(200);
    const etag2 = fresh.headers.etag;
    await poll(token, etag2).expect(304);
    // Revoked: refused at once, although its token was verified and cached.
    const admin = (await make.loginAs('admin')).token;
    await request(t.server)
      .post(`/api/v1/api-clients/${client.id}/revoke`)
      .set('authorization', `Bearer ${admin}`)
      .send({})
      .expect((res) => expect(res.status).toBeLessThan(300));
    await poll(token, etag2).expect(401);
    // A Department analyst's verified token never gets the ISP answer.
    const analyst = flow.staff.analyst;
    await poll(analyst).expect(403);
    await poll(analyst, etag2).expect(403);
  });
});
