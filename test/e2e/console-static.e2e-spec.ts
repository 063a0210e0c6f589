import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { CONSOLE_DIR } from '#src/app/console/index.js';
import { createTestApp, TEST_ADMIN_PASSWORD, type TestApp } from '#test/support/test-app.js';

const PROBLEM = /^application\/problem\+json/;
const assets = readdirSync(path.join(CONSOLE_DIR, 'assets'));

/**
 * How the service serves the web console (src/app/console): index.html with a strict CSP and a
 * fresh nonce, hashed files cached and compressed, index.html for the console's own paths, and
 * the API's 404s untouched. The console in a browser: test/browser.
 */
describe('the web console, as the service serves it', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /: index.html under a strict CSP whose style nonce is new at every answer', async () => {
    const first = await request(t.server).get('/').expect(200);
    const second = await request(t.server).get('/').expect(200);
    expect(first.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(first.headers['cache-control']).toBe('no-cache');
    const csp = first.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const nonce = (text: string) => /<meta name="csp-nonce" content="([^"]+)"/.exec(text)?.[1];
    expect(nonce(first.text)).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(csp).toContain(`'nonce-${nonce(first.text)}'`);
    expect(nonce(second.text)).not.toBe(nonce(first.text));
    expect(first.headers['x-content-type-options']).toBe('nosniff');
    expect(first.headers['x-frame-options']).toBe('DENY');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    // No inline script: every script is a file of /assets.
    expect(first.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it('the console’s own paths get index.html when a browser asks for a page; API paths keep their problem', async () => {
    const page = await request(t.server)
      .get('/requests/0b0e0f00-0000-4000-8000-000000000000')
      .set('accept', 'text/html,application/xhtml+xml')
      .expect(200);
    expect(page.text).toContain('<div id="root">');
    const api = await request(t.server)
      .get('/api/v1/no-such-thing')
      .set('accept', 'text/html')
      .expect(404);
    expect(api.headers['content-type']).toMatch(PROBLEM);
    for (const prefix of ['/taxii2/nope', '/health/nope', '/.well-known/nope', '/assets/nope.js']) {
      const res = await request(t.server).get(prefix).set('accept', 'text/html').expect(404);
      // A problem in the route's dialect (TAXII's own for /taxii2), never the console's page.
      expect([prefix, res.headers['content-type']]).toEqual([
        prefix,
        expect.stringMatching(/^application\/(problem|taxii)\+json/),
      ]);
    }
    // Not a page request (an API client's JSON, or a POST): the problem, not the console.
    const json = await request(t.server)
      .get('/requests')
      .set('accept', 'application/json')
      .expect(404);
    expect(json.headers['content-type']).toMatch(PROBLEM);
    await request(t.server).post('/requests').set('accept', 'text/html').send({}).expect(404);
  });

  it('files under /assets: immutable, gzip when asked, the right type; an unknown one is a 404 problem', async () => {
    const script = assets.find((f) => f.endsWith('.js'))!;
    const raw = readFileSync(path.join(CONSOLE_DIR, 'assets', script));
    const zipped = await request(t.server)
      .get(`/assets/${script}`)
      .set('accept-encoding', 'gzip')
      .buffer(true)
      .parse((res, done) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => done(null, Buffer.concat(parts)));
      })
      .expect(200);
    expect(zipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(zipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    // superagent inflates what it receives: the same bytes as the file, sent gzipped.
    expect((zipped.body as Buffer).equals(raw)).toBe(true);
    expect(Number(zipped.headers['content-length'])).toBe(gzipSync(raw, { level: 9 }).length);
    const plain = await request(t.server)
      .get(`/assets/${script}`)
      .set('accept-encoding', 'identity')
      .expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    const missing = await request(t.server).get('/assets/..%2Fpackage.json').expect(404);
    expect(missing.headers['content-type']).toMatch(PROBLEM);
  });

  it('holds no secret: the built files carry no key, token or password', () => {
    const text = assets
      .filter((f) => /\.(js|css)$/.test(f))
      .map((f) => readFileSync(path.join(CONSOLE_DIR, 'assets', f), 'utf8'))
      .join('\n');
    expect(text).not.toContain('-----BEGIN');
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/); // a JWT
    expect(text).not.toContain(TEST_ADMIN_PASSWORD);
    expect(text).not.toContain('demo-password');
    expect(text).not.toMatch(/KEY_ENCRYPTION_KEY|DATABASE_URL|postgres:\/\//);
  });

  it('the first screen’s JavaScript stays under 300 KB gzipped (the entry and what it imports statically)', () => {
    const html = readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    const entry = /<script type="module"[^>]* src="\/assets\/([^"]+)"/.exec(html)?.[1];
    expect(entry).toBeDefined();
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      const code = readFileSync(path.join(CONSOLE_DIR, 'assets', file), 'utf8');
      // Static imports only (`from"./x.js"`, `import"./x.js"`); import("./x.js") loads later.
      for (const m of code.matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) visit(m[1]);
    };
    visit(entry!);
    const gzipped = [...loaded].reduce(
      (sum, f) =>
        sum + gzipSync(readFileSync(path.join(CONSOLE_DIR, 'assets', f)), { level: 9 }).length,
      0,
    );
    expect(loaded.size).toBeLessThan(assets.filter((f) => f.endsWith('.js')).length);
    expect(gzipped).toBeLessThanOrEqual(300 * 1000);
  });
});
