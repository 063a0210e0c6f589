import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { rawBody } from '#test/support/raw-body.js';
import { describeResolvers, dig, ResolverLab, until } from '#test/support/resolvers.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/**
 * The service's RPZ snapshot as an ISP would deploy it by hand (curl, then a reload), in the
 * resolver laboratory: BIND and Unbound with the zone file, an authoritative `com` zone for the
 * names asked.
 */
describeResolvers('the RPZ snapshot loaded into BIND (named) and Unbound', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  let lab: ResolverLab;
  const blocked = unprotected.domain();
  const free = unprotected.domain();
  const viaIp = unprotected.domain();
  const badIp = unprotected.ipv4();

  const writeRpz = async (): Promise<number> => {
    const res = await request(t.server)
      .get('/api/v1/feed/snapshot.rpz')
      .set('authorization', `Bearer ${mine.token}`)
      .buffer(true)
      .parse(rawBody)
      .expect(200);
    writeFileSync(lab.rpzFile, (res.body as Buffer).toString('utf8'));
    return Number(res.headers['x-feed-version']);
  };

  beforeAll(async () => {
    t = await createTestApp();
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    mine = await isp(t.app);
    await flow.publish([mine.org.id], [blocked, badIp]);
    lab = await ResolverLab.start({
      [free]: '198.18.0.2',
      [blocked]: '198.18.0.1',
      [`www.${blocked}`]: '198.18.0.1',
      [viaIp]: badIp,
    });
    await writeRpz();
    execSync(lab.reloadCommand);
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
    await t.close();
  });

  const resolvers = () =>
    [
      ['named', lab.port('named')],
      ['unbound', lab.port('unbound')],
    ] as const;

  it('answers NXDOMAIN for a blocked name and its subdomains, and for a name on a blocked address', async () => {
    await until(
      () => resolvers().every(([, port]) => dig(port, blocked).status === 'NXDOMAIN'),
      () => `NXDOMAIN for ${blocked}\n${lab.log('named')}`,
    );
    for (const [name, port] of resolvers()) {
      expect({ name, status: dig(port, blocked).status }).toEqual({ name, status: 'NXDOMAIN' });
      expect({ name, status: dig(port, `www.${blocked}`).status }).toEqual({
        name,
        status: 'NXDOMAIN',
      });
      expect({ name, status: dig(port, viaIp).status }).toEqual({ name, status: 'NXDOMAIN' });
      expect({ name, answers: dig(port, free).answers }).toEqual({ name, answers: ['198.18.0.2'] });
    }
    await until(
      () => lab.log('named').includes(`rpz: ${lab.zone}: reload done: success`),
      () => `BIND to load the zone\n${lab.log('named')}`,
    );
    expect(lab.log('named')).not.toMatch(/invalid rpz/i);
  });

  it('resolves the name again after an unblock and a reload', async () => {
    await flow.publish([mine.org.id], [blocked], 'unblock');
    const version = await writeRpz();
    execSync(lab.reloadCommand);
    for (const [, port] of resolvers()) {
      await until(
        () => dig(port, blocked).answers.includes('198.18.0.1'),
        () => `${blocked} to resolve again\n${lab.log('named')}`,
      );
      expect(dig(port, `www.${blocked}`).answers).toEqual(['198.18.0.1']);
      expect(dig(port, viaIp).status).toBe('NXDOMAIN');
    }
    await until(
      () => lab.log('named').includes(`serial ${version}`),
      () => `BIND to load serial ${version}\n${lab.log('named')}`,
    );
    expect(lab.log('named')).not.toMatch(/invalid rpz/i);
  }, 60_000);
});
