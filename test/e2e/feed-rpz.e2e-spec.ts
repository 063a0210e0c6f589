import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { rawBody } from '#test/support/raw-body.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

/** `named-checkzone` from bind9-utils; CI installs it (.ci/run), elsewhere it may be absent. */
function namedCheckzone(): string | undefined {
  try {
    execFileSync('named-checkzone', ['-v'], { stdio: 'ignore' });
    return 'named-checkzone';
  } catch {
    return undefined;
  }
}

describe('GET /api/v1/feed/snapshot.rpz', () => {
  let t: TestApp;
  let flow: RequestFlow;
  let mine: Awaited<ReturnType<typeof isp>>;
  const domain = unprotected.domain();
  const nodataDomain = unprotected.domain();
  const redirected = unprotected.domain();
  const ipv4 = unprotected.ipv4();
  const ipv6 = unprotected.ipv6();
  const cidr = unprotected.cidr();
  const url = unprotected.url();

  beforeAll(async () => {
    t = await createTestApp({ env: { RPZ_NOTICE_HOST: 'notice.dic.example' } });
    flow = new RequestFlow(t.app, await departmentStaff(t.app));
    mine = await isp(t.app);
    await flow.publish([mine.org.id], [domain, ipv4, ipv6, cidr, url]);
    for (const [value, dnsAction] of [
      [nodataDomain, 'nodata'],
      [redirected, 'redirect'],
    ] as const) {
      const draft = await flow.draft([mine.org.id], { dnsAction });
      await flow.addValues(draft.id as string, [value]);
      await flow.submit(draft.id as string);
      await flow.approve(draft.id as string);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const zone = async (): Promise<{ text: string; version: number }> => {
    const res = await request(t.server)
      .get('/api/v1/feed/snapshot.rpz')
      .set('authorization', `Bearer ${mine.token}`)
      .buffer(true)
      .parse(rawBody)
      .expect(200);
    return {
      text: (res.body as Buffer).toString('utf8'),
      version: Number(res.headers['x-feed-version']),
    };
  };

  it('is a zone with SOA serial = feed version, the actions, wildcards and rpz-ip triggers', async () => {
    const { text, version } = await zone();
    const lines = text.split('\n');
    expect(lines[0]).toBe('$TTL 300');
    expect(lines[1]).toBe(
      `@ IN SOA localhost. hostmaster.department.example. ${version} 3600 600 604800 300`,
    );
    expect(lines[2]).toBe('@ IN NS localhost.');
    expect(lines).toContain(`${domain} CNAME .`);
    expect(lines).toContain(`*.${domain} CNAME .`);
    expect(lines).toContain(`${nodataDomain} CNAME *.`);
    expect(lines).toContain(`*.${redirected} CNAME notice.dic.example.`);
    expect(lines).toContain(`32.${ipv4.split('.').reverse().join('.')}.rpz-ip CNAME .`);
    const [net, prefix] = cidr.split('/');
    expect(lines).toContain(`${prefix}.${net.split('.').reverse().join('.')}.rpz-ip CNAME .`);
    expect(lines.some((l) => l.startsWith('128.') && l.endsWith('.b100.2a0e.rpz-ip CNAME .'))).toBe(
      true,
    );
    expect(lines).toContain(`; url not expressible in RPZ: ${url}`);
  });

  it('is accepted by BIND’s named-checkzone', async () => {
    const checker = namedCheckzone();
    if (!checker) {
      if (process.env.CI)
        throw new Error('named-checkzone is missing: .ci/run installs bind9-utils');
      console.warn('Skipping the named-checkzone check: bind9-utils is not installed');
      return;
    }
    const { text, version } = await zone();
    const dir = mkdtempSync(path.join(tmpdir(), 'rpz-'));
    try {
      const file = path.join(dir, 'rpz.zone');
      writeFileSync(file, text);
      const out = execFileSync(checker, ['-i', 'local', 'rpz.example', file], { encoding: 'utf8' });
      expect(out).toContain(`loaded serial ${version}`);
      expect(out).toMatch(/OK\s*$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
