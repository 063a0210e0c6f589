import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import {
  ConsolePage,
  DEMO_PASSWORD,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

const ANALYST = 'analyst@dic.example';

/** The analyst's access token, through the API (to read what the console did). */
async function analystToken(baseUrl: string): Promise<string> {
  const res = await fetch(new URL('/api/v1/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ANALYST, password: DEMO_PASSWORD }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function readRequest(
  baseUrl: string,
  id: string,
): Promise<{ status: string; itemCount: number; title: string }> {
  const res = await fetch(new URL(`/api/v1/blocking-requests/${id}`, baseUrl), {
    headers: { authorization: `Bearer ${await analystToken(baseUrl)}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; itemCount: number; title: string };
}

async function requestStatus(baseUrl: string, id: string): Promise<string> {
  return (await readRequest(baseUrl, id)).status;
}

/** Presses Tab until `target` has the focus (keyboard only). */
async function tabTo(page: Page, target: Locator, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if ((await target.and(page.locator(':focus')).count()) > 0) return;
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/**
 * Puts a long text into the field with this id as a paste does: one input event, not a keystroke
 * per character (the value set through the prototype's setter, so that React sees the change).
 */
async function paste(page: Page, id: string, text: string): Promise<void> {
  await page.evaluate(`(() => {
    const el = document.getElementById(${JSON.stringify(id)});
    const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set;
    setter.call(el, ${JSON.stringify(text)});
    el.dispatchEvent(new Event('input', { bubbles: true }));
  })()`);
}

async function open(fixture: ConsoleFixture, locale: 'vi' | 'en' = 'vi'): Promise<ConsolePage> {
  return ConsolePage.open(fixture, locale);
}

async function checkScreen(console: ConsolePage, name: string): Promise<void> {
  await console.checkScreen(name);
}

async function expectNoProblems(console: ConsolePage): Promise<void> {
  await console.page.waitForLoadState('networkidle');
  console.expectNoProblems();
}

const REQUEST_ID = /\/requests\/([0-9a-f-]{36})$/;

describeBrowser('the console: the analyst’s screens', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    fixture = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('shows the dashboard, indicators, imports, protected check and editor, accessible, in Vietnamese and English', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/dashboard');
    await page.getByRole('heading', { level: 1, name: 'Tổng quan' }).waitFor();
    await page.getByText('Yêu cầu chặn theo trạng thái').waitFor();
    await page.getByRole('link', { name: /Đã ban hành/ }).waitFor();
    await checkScreen(console, 'analyst-dashboard');

    await console.goto('/indicators');
    await page.getByRole('heading', { level: 1, name: 'Chỉ dấu' }).waitFor();
    await page.getByRole('table', { name: 'Danh sách chỉ dấu' }).waitFor();
    await checkScreen(console, 'analyst-indicators');
    // A filter that matches nothing empties the table.
    await page.getByLabel('Giá trị bắt đầu bằng').fill('zzz-nothing-');
    await page.getByRole('button', { name: 'Tìm kiếm' }).click();
    await page.getByRole('table', { name: 'Danh sách chỉ dấu' }).locator('.ant-empty').waitFor();

    await console.goto('/imports');
    await page.getByRole('heading', { level: 1, name: 'Nhập hàng loạt' }).waitFor();
    await page.getByLabel('Tệp cần nhập').waitFor();
    await checkScreen(console, 'analyst-imports');

    await console.goto('/protected-check');
    await page.getByRole('heading', { level: 1, name: 'Kiểm tra danh sách bảo vệ' }).waitFor();
    await page.getByLabel('Các giá trị').fill('mail.gov.vn, 999.1.1.1\nsafe-one.example-bad.com');
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await page.getByText(/3 giá trị khác nhau: 1 thuộc danh sách bảo vệ, 1 không hợp lệ/).waitFor();
    const results = page.getByRole('table', { name: 'Kết quả kiểm tra' });
    await results.getByText('each IPv4 number is at most 255').waitFor();
    await results
      .getByText(/gov\.vn/)
      .first()
      .waitFor();
    await checkScreen(console, 'analyst-protected-check');

    await console.goto('/requests/new');
    await page.getByRole('heading', { level: 1, name: 'Soạn yêu cầu chặn' }).waitFor();
    await checkScreen(console, 'analyst-request-editor');
    await console.close();

    const english = await open(fixture, 'en');
    await english.signIn(ANALYST);
    await english.goto('/dashboard');
    await english.page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    await english.page.getByText('ISPs behind on the feed').first().waitFor();
    await checkScreen(english, 'analyst-dashboard-en');
    await english.close();
  }, 60_000);

  it('edits a request: flags a protected and an invalid value, removes them, saves and submits to both demo ISPs', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/requests/new');
    const number = `UI-${Date.now()}/STTTT-ATTT`;
    await page.getByLabel('Số văn bản').fill(number);
    await page.getByLabel('Trích yếu').fill('Máy chủ điều khiển mạng botnet');
    await page.getByLabel('Căn cứ pháp lý').fill('Nghị định 53/2022/NĐ-CP, Điều 21');
    await page.getByText('Các doanh nghiệp được chọn').click();
    await page.getByRole('checkbox', { name: /Demo ISP A/ }).check();
    await page.getByRole('checkbox', { name: /Demo ISP B/ }).check();
    await page
      .getByLabel('Giá trị cần thêm')
      .fill('c2-one.example-bad.com\nmail.gov.vn 10.1.2.3, 999.1.1.1\nc2-two.example-bad.com');
    await page.getByRole('button', { name: 'Kiểm tra', exact: true }).click();
    await page.getByText(/5 giá trị khác nhau: 2 thuộc danh sách bảo vệ, 1 không hợp lệ/).waitFor();
    const results = page.getByRole('table', { name: 'Kết quả kiểm tra' });
    await results.getByText('mail.gov.vn').waitFor();
    await results.getByText('999.1.1.1').waitFor();
    await checkScreen(console, 'analyst-request-editor-checked');

    // Saving with flagged values is refused until they are removed.
    await page.getByRole('button', { name: 'Lưu và trình phê duyệt' }).click();
    await page.getByText(/Còn 3 giá trị thuộc danh sách bảo vệ/).waitFor();
    await page.getByRole('button', { name: 'Loại bỏ 3 giá trị có vấn đề' }).click();
    expect(await page.getByLabel('Giá trị cần thêm').inputValue()).toBe(
      'c2-one.example-bad.com\nc2-two.example-bad.com',
    );
    await page.getByRole('button', { name: 'Lưu và trình phê duyệt' }).click();
    await page.waitForURL(REQUEST_ID);
    const id = REQUEST_ID.exec(page.url())?.[1] ?? '';
    expect(await requestStatus(fixture.baseUrl, id)).toBe('pending_approval');
    await expectNoProblems(console);
    await console.close();
  }, 60_000);

  it('saves a draft, then edits it: the item count shown, one more value added with the version', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/requests/new');
    const stamp = Date.now();
    await page.getByLabel('Số văn bản').fill(`UI-${stamp}-D/STTTT-ATTT`);
    await page.getByLabel('Trích yếu').fill('Bản nháp cần bổ sung');
    await page.getByLabel('Căn cứ pháp lý').fill('Nghị định 53/2022/NĐ-CP');
    await page.getByLabel('Giá trị cần thêm').fill(`draft-${stamp}-1.example-bad.com`);
    await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
    await page.waitForURL(REQUEST_ID);
    const id = REQUEST_ID.exec(page.url())?.[1] ?? '';
    expect(await readRequest(fixture.baseUrl, id)).toMatchObject({ status: 'draft', itemCount: 1 });

    await console.goto(`/requests/${id}/edit`);
    await page.getByText('Bản nháp đang có 1 chỉ dấu.').waitFor();
    expect(await page.getByLabel('Trích yếu').inputValue()).toBe('Bản nháp cần bổ sung');
    await page.getByLabel('Trích yếu').fill('Bản nháp đã bổ sung');
    await page.getByLabel('Giá trị cần thêm').fill(`draft-${stamp}-2.example-bad.com`);
    await checkScreen(console, 'analyst-request-editor-edit');
    await page.getByRole('button', { name: 'Lưu bản nháp' }).click();
    await page.waitForURL(REQUEST_ID);
    expect(await readRequest(fixture.baseUrl, id)).toMatchObject({
      status: 'draft',
      itemCount: 2,
      title: 'Bản nháp đã bổ sung',
    });
    await expectNoProblems(console);
    await console.close();
  }, 60_000);

  it('imports a small text file in skip mode: the progress bar reaches the report with the rejected row', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/imports');
    const stamp = Date.now();
    await page.getByLabel('Tệp cần nhập').setInputFiles({
      name: 'letter.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(
        `imp-${stamp}-a.example-bad.com\n999.1.1.1\nimp-${stamp}-b.example-bad.com\n`,
      ),
    });
    await page.getByText('Bỏ qua dòng đó, nhập các dòng còn lại').click();
    await page.getByLabel('Nhãn (cách nhau bởi dấu chấm phẩy)').fill('ui-test');
    await page.getByRole('button', { name: 'Bắt đầu nhập' }).click();
    await page.getByRole('progressbar', { name: 'Tiến độ nhập' }).waitFor();
    const rejected = page.getByRole('table', { name: 'Các dòng bị từ chối' });
    await rejected.getByText('999.1.1.1').waitFor();
    await rejected.getByText('each IPv4 number is at most 255').waitFor();
    expect(
      await page.getByRole('progressbar', { name: 'Tiến độ nhập' }).getAttribute('aria-valuenow'),
    ).toBe('100');
    await page.getByText('Hoàn tất', { exact: false }).first().waitFor();
    await page.getByRole('table', { name: 'Các lần nhập gần đây' }).getByText('Hoàn tất').waitFor();
    await checkScreen(console, 'analyst-imports-report');
    await console.close();
  }, 60_000);

  it('checks 100,000 pasted values and pages their table without freezing', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/requests/new');
    const values = Array.from({ length: 100_000 }, (_, i) => `c2-${i}.example-bad.com`).join('\n');
    const textarea = page.getByLabel('Giá trị cần thêm');
    await textarea.waitFor();
    const pasted = Date.now();
    await paste(page, 'request-values', values);
    expect((await textarea.inputValue()).length).toBe(values.length);
    const started = Date.now();
    const answered = page
      .waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/protected-lists/check', {
        timeout: 60_000,
      })
      .then(() => Date.now());
    await page.getByRole('button', { name: 'Kiểm tra', exact: true }).click();
    await page.getByText(/100\.000 giá trị khác nhau: 0 thuộc danh sách bảo vệ/).waitFor({
      timeout: 60_000,
    });
    process.stdout.write(`check answered after ${(await answered) - started} ms\n`);
    const checked = Date.now();
    const results = page.getByRole('table', { name: 'Kết quả kiểm tra' });
    await results.getByText('c2-49.example-bad.com', { exact: true }).waitFor();
    await page.locator('.ant-pagination-next').click();
    await results.getByText('c2-50.example-bad.com', { exact: true }).waitFor();
    expect(await results.locator('tbody tr').count()).toBeLessThanOrEqual(51);
    const paged = Date.now();
    process.stdout.write(
      `100,000 values: paste ${started - pasted} ms, check ${checked - started} ms, next page ${paged - checked} ms\n`,
    );
    expect(paged - started).toBeLessThan(30_000);
    await expectNoProblems(console);
    await console.close();
  }, 90_000);

  it('fills and submits the editor with the keyboard only', async () => {
    const console = await open(fixture);
    await console.signIn(ANALYST);
    const { page } = console;
    await console.goto('/requests/new');
    await page.getByLabel('Số văn bản').focus();
    await page.keyboard.type(`KB-${Date.now()}/STTTT-ATTT`);
    await page.keyboard.press('Tab');
    await page.keyboard.type('Tên miền lừa đảo giả mạo ngân hàng');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Nghị định 53/2022/NĐ-CP');
    await tabTo(page, page.getByLabel('Giá trị cần thêm'));
    await page.keyboard.type(`kb-${Date.now()}.example-bad.com\nkb-${Date.now()}.example-bad.net`);
    await tabTo(page, page.getByRole('button', { name: 'Kiểm tra', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByText(/2 giá trị khác nhau: 0 thuộc danh sách bảo vệ/).waitFor();
    await tabTo(page, page.getByRole('button', { name: 'Lưu và trình phê duyệt' }));
    await page.keyboard.press('Enter');
    await page.waitForURL(REQUEST_ID);
    const id = REQUEST_ID.exec(page.url())?.[1] ?? '';
    expect(await requestStatus(fixture.baseUrl, id)).toBe('pending_approval');
    await expectNoProblems(console);
    await console.close();
  }, 60_000);
});
