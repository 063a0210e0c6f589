import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import {
  ConsolePage,
  DEMO_PASSWORD,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

const DOC = 'DEMO-001/STTTT-ATTT';
const WEBHOOK_URL = 'https://127.0.0.1:9443/hooks/threat-exchange';

/** The focused element's name, as the browser evaluates it (the test's types have no DOM). */
const FOCUSED_NAME = `(() => {
  const el = document.activeElement;
  if (!el) return '';
  return (el.getAttribute('aria-label') ?? el.closest('label')?.textContent ?? el.textContent ?? '').trim();
})()`;

/**
 * Presses Tab until the focused element's name (aria-label, its label's text, or its own text)
 * is `name`: proof that it is reachable by keyboard.
 */
async function tabTo(page: Page, name: string, max = 120): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<string>(FOCUSED_NAME);
    if (focused === name) return;
  }
  throw new Error(`Tab never reached “${name}”`);
}

/** The operator's own API session, for what a person does outside the console (a feed pull). */
async function pullFeedAs(baseUrl: string, email: string): Promise<number> {
  const login = await fetch(new URL('/api/v1/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: DEMO_PASSWORD }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const changes = await fetch(new URL('/api/v1/feed/changes?after=0&limit=1000', baseUrl), {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(changes.status).toBe(200);
  return ((await changes.json()) as { next: number }).next;
}

describeBrowser('the console: ISP operator screens', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    // Webhook URLs: https to a loopback address, accepted here as a private range is allowed
    // (no delivery is attempted: the worker does not run under NODE_ENV=test).
    fixture = await startConsole({ WEBHOOK_ALLOWED_PRIVATE_CIDRS: '127.0.0.0/8' });
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('ISP A: assignments, acknowledge and confirm by keyboard, feed, sightings, webhooks', async () => {
    const console = await ConsolePage.open(fixture);
    const page = console.page;
    const keys: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/v1/assignments/'))
        keys.push(r.headers()['idempotency-key'] ?? '');
    });
    await console.signIn('operator@isp-a.example');
    expect(new URL(page.url()).pathname).toBe('/assignments');
    const row = page.getByRole('row').filter({ hasText: DOC });
    await row.waitFor();
    expect(await row.textContent()).toContain('Chưa xử lý');
    expect(await row.textContent()).toMatch(/còn \d/); // the time left before the deadline
    expect(await row.textContent()).toContain('Cao'); // severity high
    await console.checkScreen('isp-assignments');

    await row.getByRole('link', { name: DOC }).click();
    await page.getByRole('heading', { level: 1, name: DOC }).waitFor();
    await page
      .getByRole('table', { name: 'Các chỉ dấu của yêu cầu và kết quả xử lý gần nhất' })
      .waitFor();

    // Keyboard only from here: acknowledge, choose the mechanism, send "applied" for all items.
    await page.locator('body').focus();
    await tabTo(page, 'Tiếp nhận');
    await page.keyboard.press('Enter');
    await page.getByText('Đã tiếp nhận yêu cầu.').waitFor();
    await page.getByText('Đã tiếp nhận', { exact: true }).first().waitFor();
    await tabTo(page, 'RPZ (DNS)');
    await page.keyboard.press('Space');
    expect(await page.getByRole('radio', { name: 'RPZ (DNS)' }).isChecked()).toBe(true);
    await tabTo(page, 'Gửi xác nhận');
    await page.keyboard.press('Enter');
    await page.getByText('Đã ghi nhận xác nhận.').waitFor();
    const history = page.getByRole('table', { name: 'Các lần xác nhận, cũ nhất trước' });
    await history.getByRole('row').filter({ hasText: 'RPZ (DNS)' }).waitFor();
    expect(await history.textContent()).toContain('Do người dùng gửi');
    const summary = page.locator('.ant-descriptions').first();
    await summary.getByText('Đã chặn', { exact: true }).waitFor();
    // Each action had its own Idempotency-Key (a UUID).
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f-]{36}$/);
    await console.checkScreen('isp-assignment-detail');

    // The feed: after a pull, the version held is the current one.
    const version = await pullFeedAs(fixture.baseUrl, 'operator@isp-a.example');
    await console.goto('/feed');
    await page.getByRole('heading', { level: 2, name: 'Demo ISP A' }).waitFor();
    const feed = page.locator('.ant-descriptions');
    expect(await feed.textContent()).toContain(String(version));
    await feed.getByText('Đã cập nhật đầy đủ').waitFor();
    expect(await page.getByText('Demo ISP B').count()).toBe(0);
    await console.checkScreen('isp-feed');

    // Sightings: report one, see it listed and summed up.
    await console.goto('/sightings');
    await page
      .getByLabel('Giá trị chỉ dấu (tên miền, địa chỉ IP, URL…)')
      .fill('botnet-c2.example.com');
    await page.getByLabel('Số lần truy cập').fill('42');
    await page.getByLabel('Khách hàng (đơn vị)').fill('UBND xã Minh Họa');
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await page.getByText('Đã ghi nhận báo cáo.').waitFor();
    const listed = page
      .getByRole('table', { name: 'Các báo cáo phát hiện của doanh nghiệp' })
      .getByRole('row')
      // The demo seed reports this C2 too (a unit's address): this test's row is the customer's.
      .filter({ hasText: 'botnet-c2.example.com' })
      .filter({ hasText: 'UBND xã Minh Họa' });
    await listed.waitFor();
    expect(await listed.textContent()).toContain('UBND xã Minh Họa');
    await page
      .getByRole('table', { name: /Các mạng và khách hàng/ })
      .getByRole('row')
      .filter({ hasText: 'UBND xã Minh Họa' })
      .waitFor();
    await console.checkScreen('isp-sightings');

    // Webhooks: subscribe; the secret is shown once, with a copy button; then listed.
    await console.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: fixture.baseUrl,
    });
    await console.goto('/webhooks');
    await page.getByLabel('Địa chỉ nhận (HTTPS)').fill(WEBHOOK_URL);
    await page.getByLabel('Mô tả').fill('Hệ thống phiếu SOC');
    await page.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    const secretBox = page.getByLabel(`Khóa ký của ${WEBHOOK_URL}`);
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^whsec_/);
    await page.getByText('Khóa sẽ không được hiển thị lại', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Sao chép khóa' }).click();
    await page.getByText('Đã sao chép').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);
    const hooks = page.getByRole('table', { name: 'Các webhook của doanh nghiệp' });
    await hooks.getByRole('row').filter({ hasText: WEBHOOK_URL }).waitFor();
    await console.checkScreen('isp-webhooks');
    await page.getByRole('button', { name: 'Tôi đã lưu khóa' }).click();
    expect(await page.getByText(secret).count()).toBe(0);
    await page.reload();
    await hooks.getByRole('row').filter({ hasText: WEBHOOK_URL }).waitFor();
    expect(await page.locator(`input[value="${secret}"]`).count()).toBe(0);
    // Pause it, and open its (empty) deliveries.
    await page.getByRole('switch', { name: `Bật gửi cho ${WEBHOOK_URL}` }).click();
    await page.getByText('Đã cập nhật webhook.').waitFor();
    await hooks.getByText('Tạm dừng').waitFor();
    await page.getByRole('button', { name: 'Xem lần gửi' }).click();
    await page.getByRole('table', { name: 'Các lần gửi sự kiện, mới nhất trước' }).waitFor();
    console.expectNoProblems();
    await console.close();
  }, 90_000);

  it('shows the assignments in English', async () => {
    const console = await ConsolePage.open(fixture, 'en');
    await console.signIn('operator@isp-a.example');
    await console.page.getByRole('heading', { level: 1, name: 'Assignments' }).waitFor();
    const row = console.page.getByRole('row').filter({ hasText: DOC });
    await row.waitFor();
    expect(await row.textContent()).toContain('Applied');
    await console.checkScreen('isp-assignments-en');
    await console.close();
  });

  it('ISP B sees only its own data', async () => {
    const console = await ConsolePage.open(fixture);
    const page = console.page;
    await console.signIn('operator@isp-b.example');
    // Its own assignment of the same request, untouched by ISP A's confirmation.
    const row = page.getByRole('row').filter({ hasText: DOC });
    await row.waitFor();
    expect(await row.textContent()).toContain('Chưa xử lý');
    await console.goto('/feed');
    await page.getByRole('heading', { level: 2, name: 'Demo ISP B' }).waitFor();
    expect(await page.getByText('Demo ISP A').count()).toBe(0);
    expect(await page.getByRole('heading', { level: 2 }).allTextContents()).toEqual([
      'Demo ISP B',
      'Biên nhận nguồn cấp gần đây',
    ]);
    await console.goto('/sightings');
    await page.getByRole('table', { name: 'Các báo cáo phát hiện của doanh nghiệp' }).waitFor();
    expect(await page.getByText('UBND xã Minh Họa').count()).toBe(0);
    await console.goto('/webhooks');
    await page.getByRole('heading', { level: 2, name: 'Các webhook đã đăng ký' }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByText(WEBHOOK_URL).count()).toBe(0);
    console.expectNoProblems();
    await console.close();
  });
});
