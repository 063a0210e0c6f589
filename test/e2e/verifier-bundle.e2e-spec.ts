import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { EVENTS_JSONL } from '#src/audit/export/export-format.js';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { editText, tamperedCopy } from '#test/support/audit-exports.js';
import { Factories } from '#test/support/factories.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const BUNDLE = path.join(PROJECT_ROOT, 'verifier', 'threat-exchange-verify.mjs');

function run(
  file: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({
        code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
        stdout,
        stderr,
      });
    });
  });
}

/**
 * The offline verifier as the one file an authority is given (verifier/threat-exchange-verify.mjs,
 * docs/audit.md#the-standalone-verifier): what is committed is what the build makes, the
 * documentation states its SHA-256, and alone in an empty folder it verifies an export of this
 * application and refuses a tampered one.
 */
describe('the bundled offline verifier', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'verifier-bundle-'));
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the committed file is a fresh build, and docs/audit.md states its SHA-256', async () => {
    const fresh = path.join(dir, 'fresh.mjs');
    const built = await run(
      process.execPath,
      ['verifier/build.js', '--outfile', fresh],
      PROJECT_ROOT,
    );
    expect(built).toMatchObject({ code: 0 });
    const committed = await readFile(BUNDLE);
    // Stale after a change of the verifier's sources: run npm run verifier:build and commit.
    expect((await readFile(fresh)).equals(committed)).toBe(true);
    const sha256 = createHash('sha256').update(committed).digest('hex');
    const docs = await readFile(path.join(PROJECT_ROOT, 'docs', 'audit.md'), 'utf8');
    expect(docs).toContain(sha256);
    // Everything it imports is a Node.js built-in: nothing to install.
    const text = committed.toString('utf8');
    const specifiers = [
      ...text.matchAll(/^import .* from ['"]([^'"]+)['"];$/gm),
      ...text.matchAll(/\brequire\(['"]([^'"]+)['"]\)/g),
    ].map((m) => m[1]);
    expect(specifiers.length).toBeGreaterThan(0);
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    expect(specifiers.filter((s) => !builtins.has(s))).toEqual([]);
  }, 60_000);

  it('copied alone into an empty folder, it verifies an export of the application and refuses a tampered one', async () => {
    const start = new Date(Date.now() - 1000).toISOString();
    t = await createTestApp();
    const make = new Factories(t.app);
    const admin = (await make.loginAs('admin')).token;
    const auditor = (await make.loginAs('auditor')).token;
    for (const name of ['Bundle ISP One', 'Bundle ISP Two']) {
      await request(t.server)
        .post('/api/v1/organizations')
        .set('authorization', `Bearer ${admin}`)
        .send({ kind: 'isp', name, shortCode: `B-${Math.random().toString(36).slice(2, 10)}` })
        .expect(201);
    }
    const exported = await request(t.server)
      .get('/api/v1/audit/exports')
      .query({ from: start, to: new Date(Date.now() + 60_000).toISOString() })
      .set('authorization', `Bearer ${auditor}`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    // The key as an authority gets it: the public route, not the copy in the ZIP.
    const keys = await request(t.server).get('/api/v1/audit/public-key').expect(200);
    const pem = (keys.body.keys as { pem: string }[])[0].pem;

    const alone = await mkdtemp(path.join(tmpdir(), 'authority-'));
    try {
      await copyFile(BUNDLE, path.join(alone, 'threat-exchange-verify.mjs'));
      await writeFile(path.join(alone, 'export.zip'), exported.body as Buffer);
      await writeFile(path.join(alone, 'key.pem'), pem);
      await tamperedCopy(
        path.join(alone, 'export.zip'),
        path.join(alone, 'tampered.zip'),
        (entries) =>
          editText(entries, EVENTS_JSONL, (s) => s.replace('Bundle ISP One', 'Bundle ISP 0ne')),
      );
      expect((await readdir(alone)).sort()).toEqual([
        'export.zip',
        'key.pem',
        'tampered.zip',
        'threat-exchange-verify.mjs',
      ]);
      const ok = await run(
        process.execPath,
        ['threat-exchange-verify.mjs', 'export.zip', '--public-key', 'key.pem'],
        alone,
      );
      expect(ok).toMatchObject({ code: 0, stderr: '' });
      expect(ok.stdout).toMatch(/^audit export verified: export\.zip\n/);
      const bad = await run(
        process.execPath,
        ['threat-exchange-verify.mjs', 'tampered.zip', '--public-key', 'key.pem'],
        alone,
      );
      expect(bad).toEqual({
        code: 1,
        stdout: '',
        stderr:
          'audit export NOT verified: events.jsonl does not match its SHA-256 in the manifest: it was altered\n',
      });
    } finally {
      await rm(alone, { recursive: true, force: true });
    }
  }, 120_000);
});
