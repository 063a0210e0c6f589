/**
 * The web console's first screen (docs/performance.md, "The web console").
 *
 *   npm run bench:console                     # builds, then: node dist/bench/console.js
 *   node dist/bench/console.js [--runs 10] [--chromium /usr/bin/chromium]
 *
 * The service runs as `npm start` runs it (production mode, a scratch database: DATABASE_URL's
 * server, or an embedded PostgreSQL in a temporary folder). Debian's Chromium, driven by
 * playwright-core, headless:
 *
 * 1. Sizes: every JavaScript file of dist/web/assets as the service sends it (gzip, level 9),
 *    all together and those the first screen loads.
 * 2. `--runs` cold loads (a new browser context each time: empty cache) of `/` until the sign-in
 *    form's heading is visible; the time from the navigation's start, the DOMContentLoaded and
 *    load events, the bytes transferred. The floor, measured the same way in the same run: a
 *    page of one heading from a data: URL (no network, no script), the browser's own cost of a
 *    navigation and a paint.
 * 3. A warm load (same context, cached files) of the same page.
 * 4. Signing in as the administrator: from the click to the first screen's heading (the
 *    signed-in chunk and the screen's chunk loaded, the first API answers rendered).
 *
 * Prints the figures, then one JSON object as the last line of stdout.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { fmt, measuredCode, median, round } from '#bench/support/figures.js';
import { scratchDatabase } from '#bench/support/scratch-database.js';
import { privateBuild, Service } from '#bench/support/service.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
  },
});
const RUNS = Number(opts.runs);
if (!Number.isSafeInteger(RUNS) || RUNS < 1 || RUNS > 200) {
  console.error('usage: node dist/bench/console.js [--runs N ≤ 200] [--chromium PATH]');
  process.exit(2);
}

const ADMIN_EMAIL = 'bench-admin@department.example';
const PASSWORD = randomBytes(18).toString('base64url');
const kb = (bytes: number): number => round(bytes / 1024, 1);

interface Load {
  visibleMs: number;
  domContentLoadedMs: number;
  loadMs: number;
  scriptBytes: number;
  transferredBytes: number;
}

/** Navigates `page` to `url` and times it until `ready` resolves. */
async function timedLoad(page: Page, url: string, ready: () => Promise<void>): Promise<Load> {
  const started = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  await ready();
  const visibleMs = performance.now() - started;
  await page.waitForLoadState('load');
  // Runs in the page (the DOM's Performance API; typed here by hand: this file has Node's lib).
  interface Entry {
    name: string;
    startTime: number;
    initiatorType: string;
    encodedBodySize: number;
    transferSize: number;
    domContentLoadedEventEnd: number;
    loadEventEnd: number;
  }
  const timing = await page.evaluate(() => {
    const entries = (type: string) =>
      (performance as unknown as { getEntriesByType(t: string): Entry[] }).getEntriesByType(type);
    const nav = entries('navigation')[0];
    const resources = entries('resource');
    return {
      domContentLoadedMs: nav.domContentLoadedEventEnd - nav.startTime,
      loadMs: nav.loadEventEnd - nav.startTime,
      scriptBytes: resources
        .filter((r) => r.initiatorType === 'script' || r.name.endsWith('.js'))
        .reduce((a, r) => a + r.encodedBodySize, 0),
      transferredBytes:
        nav.transferSize + resources.reduce((a, r) => a + (r.transferSize || r.encodedBodySize), 0),
    };
  });
  return { visibleMs, ...timing };
}

async function main(): Promise<void> {
  const code = measuredCode(['web', 'src/app/console']);
  const assetsDir = path.join('dist', 'web', 'assets');
  const scripts = readdirSync(assetsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({
      file: f,
      gzip: gzipSync(readFileSync(path.join(assetsDir, f)), { level: 9 }).length,
    }));
  const allScriptsGzip = scripts.reduce((a, s) => a + s.gzip, 0);

  const work = await mkdtemp(path.join(os.tmpdir(), 'bench-console-'));
  const db = await scratchDatabase();
  let service: Service | undefined;
  const browser = await chromium.launch({
    executablePath: opts.chromium,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const root = await privateBuild(work);
    service = await Service.start(root, db.url, {
      logLevel: 'warn',
      adminEmail: ADMIN_EMAIL,
      password: PASSWORD,
    });
    const base = service.base;
    const signInHeading = (page: Page) =>
      page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();

    // One load first, not counted: the service's first answers (JIT) and Chromium's own start.
    {
      const context = await browser.newContext();
      await timedLoad(await context.newPage(), base, async () => undefined);
      await context.close();
    }
    const cold: Load[] = [];
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ locale: 'vi-VN' });
      const page = await context.newPage();
      cold.push(await timedLoad(page, base, () => signInHeading(page)));
      const started = performance.now();
      await page.goto(`data:text/html;charset=utf-8,${encodeURIComponent('<h1>Đăng nhập</h1>')}`);
      await signInHeading(page);
      floor.push(performance.now() - started);
      await context.close();
    }
    const context = await browser.newContext({ locale: 'vi-VN' });
    const page = await context.newPage();
    await timedLoad(page, base, () => signInHeading(page));
    const warm = await timedLoad(page, base, () => signInHeading(page));
    await page.getByLabel('Thư điện tử').fill(ADMIN_EMAIL);
    await page.getByLabel('Mật khẩu').fill(PASSWORD);
    const clicked = performance.now();
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation').waitFor();
    await page.getByRole('heading', { level: 1 }).waitFor();
    const signInMs = performance.now() - clicked;
    await context.close();

    const firstScreenScriptBytes = median(cold.map((l) => l.scriptBytes));
    const result = {
      code,
      database: db.where,
      runs: RUNS,
      scripts: {
        files: scripts.length,
        allGzipKiB: kb(allScriptsGzip),
        firstScreenGzipKiB: kb(firstScreenScriptBytes),
      },
      coldMs: {
        visibleMedian: round(median(cold.map((l) => l.visibleMs)), 1),
        visibleWorst: round(Math.max(...cold.map((l) => l.visibleMs)), 1),
        domContentLoadedMedian: round(median(cold.map((l) => l.domContentLoadedMs)), 1),
        loadMedian: round(median(cold.map((l) => l.loadMs)), 1),
      },
      transferredKiB: kb(median(cold.map((l) => l.transferredBytes))),
      floorMsMedian: round(median(floor), 1),
      warmVisibleMs: round(warm.visibleMs, 1),
      signInToFirstScreenMs: round(signInMs, 1),
    };
    console.log(
      `JavaScript (gzip, as served): ${scripts.length} files, ${fmt(kb(allScriptsGzip))} KiB in all; the first screen loads ${fmt(result.scripts.firstScreenGzipKiB)} KiB`,
    );
    console.log(
      `first screen, cold (${RUNS} loads): sign-in form visible after ${result.coldMs.visibleMedian} ms median (worst ${result.coldMs.visibleWorst} ms); DOMContentLoaded ${result.coldMs.domContentLoadedMedian} ms, load ${result.coldMs.loadMedian} ms; ${fmt(result.transferredKiB)} KiB transferred`,
    );
    console.log(
      `floor (a data: page of one heading, same browser): ${result.floorMsMedian} ms → ratio ${round(result.coldMs.visibleMedian / result.floorMsMedian, 1)}×`,
    );
    console.log(
      `warm load: ${result.warmVisibleMs} ms; sign-in to the first screen: ${result.signInToFirstScreenMs} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    await service?.stop();
    await db.drop();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
