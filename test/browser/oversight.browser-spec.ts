import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import {
  ConsolePage,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

/** Presses Tab until `target` has the focus (keyboard only), failing after `max` presses. */
async function tabTo(page: Page, target: Locator, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    // The element's type spelled out: the tests' TypeScript has no DOM types.
    if (await target.evaluate((el: { matches(selector: string): boolean }) => el.matches(':focus')))
      return;
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/** The first bytes of a download started by `start`. */
async function downloaded(page: Page, start: () => Promise<void>): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), start()]);
  const file = await download.path();
  return readFile(file);
}

describeBrowser('the console: compliance, audit search, verification and export', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    fixture = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('shows compliance per ISP with charts, switches the period, downloads CSV and PDF', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('analyst@dic.example');
    await console.goto('/compliance');
    const page = console.page;
    const table = page.getByRole('table', { name: 'Tuân thủ theo doanh nghiệp trong kỳ' });
    await table.getByText('Demo ISP A').waitFor();
    await table.getByText('Demo ISP B').waitFor();
    // Three charts, each an image with a text summary naming both ISPs, drawn as SVG.
    const charts = page.getByRole('img', { name: /^Biểu đồ cột/ });
    await expect(charts.count()).resolves.toBe(3);
    await expect(charts.first().getAttribute('aria-label')).resolves.toMatch(
      /Demo ISP A.*Demo ISP B/,
    );
    await page.locator('[role="img"] svg.recharts-surface').nth(2).waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await console.checkScreen('compliance');

    // Another period: the report is asked again for it.
    const asked = page.waitForResponse(
      (r) => r.url().includes('/api/v1/compliance?') && r.status() === 200,
    );
    await page.getByLabel('Kỳ báo cáo (theo ngày ban hành yêu cầu)').click();
    await page.getByText('90 ngày qua').click();
    const from = new URL((await asked).url()).searchParams.get('from') ?? '';
    expect(Date.now() - Date.parse(from)).toBeGreaterThan(89 * 86_400_000);
    await page.keyboard.press('Escape');
    await table.getByText('Demo ISP B').waitFor();

    const csv = await downloaded(page, () => page.getByRole('button', { name: 'Tải CSV' }).click());
    expect(csv.toString('utf8').split('\r\n')[0]).toMatch(/^organization_id,short_code,name,/);
    await page.getByRole('status').getByText('Đã tải tệp CSV.').waitFor();
    const pdf = await downloaded(page, () =>
      page.getByRole('button', { name: 'Tải PDF (tiếng Việt)' }).click(),
    );
    expect(pdf.subarray(0, 4).toString('latin1')).toBe('%PDF');
    console.expectNoProblems();
    await console.close();
  });

  it('shows compliance in English', async () => {
    const console = await ConsolePage.open(fixture, 'en');
    await console.signIn('approver@dic.example');
    await console.goto('/compliance');
    const table = console.page.getByRole('table', { name: 'Compliance per ISP in the period' });
    await table.getByText('Demo ISP A').waitFor();
    await console.page.getByRole('heading', { name: 'On-time rate per ISP' }).waitFor();
    await console.page.locator('[role="img"] svg.recharts-surface').nth(2).waitFor();
    await console.checkScreen('compliance-en');
    await console.close();
  });

  it('searches the audit trail, filters it and opens an event', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('auditor@authority.example');
    await console.goto('/audit');
    const page = console.page;
    const table = page.getByRole('table', { name: 'Sự kiện kiểm toán, mới nhất trước' });
    await table.getByText('auth.login').first().waitFor();
    await expect(table.locator('tbody tr.ant-table-row').count()).resolves.toBeGreaterThan(3);

    await page.getByLabel('Hành động', { exact: true }).fill('blocking_request.');
    const filtered = page.waitForResponse(
      (r) => r.url().includes('/api/v1/audit/events?') && r.url().includes('action='),
    );
    await page.getByRole('button', { name: 'Lọc' }).click();
    expect((await filtered).status()).toBe(200);
    await table.getByText('blocking_request.approve').waitFor();
    const actions = await table.locator('tbody tr.ant-table-row td:nth-child(5)').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^blocking_request\./);

    await table
      .getByRole('button', { name: /^Chi tiết sự kiện/ })
      .first()
      .click();
    const details = page.getByRole('region', { name: /^Sự kiện số \d+$/ });
    await details.waitFor();
    await expect(
      details.getByRole('region', { name: 'Dữ liệu gốc (JSON)' }).textContent(),
    ).resolves.toContain('"action": "blocking_request.');
    await console.checkScreen('audit-search');
    await console.close();
  });

  it('verifies the whole chain with a progress bar, started from the keyboard', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('auditor@authority.example');
    await console.goto('/audit/verify');
    const page = console.page;
    const start = page.getByRole('button', { name: 'Bắt đầu xác minh' });
    await start.waitFor();
    await tabTo(page, start);
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Chuỗi nhật ký toàn vẹn').waitFor();
    const bar = page.getByRole('progressbar', { name: 'Tiến độ xác minh' });
    await expect(bar.getAttribute('aria-valuenow')).resolves.toBe('100');
    await page.getByText(/Đã xác minh (\d+) \/ \1 sự kiện/).waitFor();
    await console.checkScreen('audit-verify');
    await console.close();
  });

  it('downloads an export ZIP from the keyboard and shows the public key', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('auditor@authority.example');
    await console.goto('/audit/export');
    const page = console.page;
    await page.getByText('-----BEGIN PUBLIC KEY-----').waitFor();
    // The whole trail, chosen and downloaded with the keyboard only.
    const filtered = page.getByRole('radio', { name: 'Theo bộ lọc' });
    await tabTo(page, filtered);
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('radio', { name: 'Toàn bộ nhật ký' }).isChecked()).resolves.toBe(
      true,
    );
    const button = page.getByRole('button', { name: 'Tải tệp ZIP' });
    await tabTo(page, button);
    const zip = await downloaded(page, () => page.keyboard.press('Enter'));
    expect(zip.subarray(0, 2).toString('latin1')).toBe('PK');
    await page.getByRole('status').getByText('Đã tải tệp ZIP xuất nhật ký.').waitFor();

    const pem = await downloaded(page, () =>
      page.getByRole('button', { name: 'Tải audit-key.pem' }).click(),
    );
    expect(pem.toString('utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    await page.getByText('npx --no-install threat-exchange audit-verify').waitFor();
    await console.checkScreen('audit-export');
    await console.close();
  });
});
