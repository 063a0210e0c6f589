import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  ConsolePage,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

/**
 * The console's main flow, as five people do it in their browsers: an analyst drafts a request
 * from values pasted from a letter (checked against the protected lists first) and submits
 * it; an approver, a different person, approves it; the ISP's operator acknowledges and
 * confirms it; the compliance screen shows it applied; the auditor verifies the chain. Its
 * screenshots are the ones in README.md and docs/console.md (docs/images/console-*.png).
 * Each step's keyboard-only variant is in the screen's own spec (analyst, requests, isp,
 * oversight).
 */
describeBrowser('the console: the main flow, from a pasted list to a verified audit trail', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    fixture = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('analyst → approver → ISP operator → compliance → auditor', async () => {
    const number = `${Date.now() % 100000}/STTTT-ATTT`;

    // 1. The analyst pastes the letter's list; the console flags what may not be blocked.
    const analyst = await ConsolePage.open(fixture);
    await analyst.signIn('analyst@dic.example');
    let page = analyst.page;
    await page.getByRole('navigation').getByRole('link', { name: 'Soạn yêu cầu' }).click();
    await page.getByLabel('Số văn bản').fill(number);
    await page.getByLabel('Trích yếu').fill('Chặn máy chủ điều khiển mạng máy tính ma (botnet)');
    await page.getByLabel('Căn cứ pháp lý').fill('Nghị định 53/2022/NĐ-CP, Điều 21');
    await page.getByText('Các doanh nghiệp được chọn').click();
    await page.getByRole('checkbox', { name: /Demo ISP A/ }).check();
    await page.getByRole('checkbox', { name: /Demo ISP B/ }).check();
    await page
      .getByLabel('Giá trị cần thêm')
      .fill(
        [
          'update-check.bad-domain.com',
          'Bücher-Phish.com.',
          '185.100.87.21',
          'portal.hanoi.gov.vn',
          'login-vietcombank.bad-domain.net',
        ].join('\n'),
      );
    await page.getByRole('button', { name: 'Kiểm tra', exact: true }).click();
    const results = page.getByRole('table', { name: 'Kết quả kiểm tra' });
    await results.getByText('portal.hanoi.gov.vn').waitFor();
    await analyst.checkScreen('console-request-editor');
    await page.getByRole('button', { name: /^Loại bỏ 1 giá trị có vấn đề/ }).click();
    await page.getByRole('button', { name: 'Lưu và trình phê duyệt' }).click();
    await page.waitForURL(/\/requests\/[0-9a-f-]{36}$/);
    const requestPath = new URL(page.url()).pathname;
    await page.getByText('Chờ phê duyệt').first().waitFor();
    analyst.expectNoProblems();

    // 2. The approver, another person, finds it in the queue and approves it.
    const approver = await ConsolePage.open(fixture);
    await approver.signIn('approver@dic.example');
    page = approver.page;
    await page.getByRole('navigation').getByRole('link', { name: 'Chờ phê duyệt' }).click();
    await page.getByRole('link', { name: number }).click();
    await page.waitForURL((url) => url.pathname === requestPath);
    await page.getByRole('button', { name: 'Phê duyệt' }).waitFor();
    await approver.checkScreen('console-request-detail');
    await page.getByRole('button', { name: 'Phê duyệt' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Phê duyệt' }).click();
    await page.getByText('Đã phê duyệt: yêu cầu đã được ban hành.').waitFor();
    approver.expectNoProblems();

    // 3. ISP A's duty officer acknowledges and confirms it, applied through RPZ.
    const operator = await ConsolePage.open(fixture);
    await operator.signIn('operator@isp-a.example');
    page = operator.page;
    const row = page.getByRole('row').filter({ hasText: number });
    await row.getByRole('link', { name: number }).click();
    await page.getByRole('button', { name: 'Tiếp nhận' }).click();
    await page.getByText('Đã tiếp nhận yêu cầu.').waitFor();
    await page.getByRole('radio', { name: 'RPZ (DNS)' }).check();
    await page.getByRole('button', { name: 'Gửi xác nhận' }).click();
    await page.getByText('Đã ghi nhận xác nhận.').waitFor();
    await operator.checkScreen('console-assignment');

    // 4. The compliance screen shows ISP A applied it on time.
    page = analyst.page;
    await page.getByRole('navigation').getByRole('link', { name: 'Tuân thủ' }).click();
    const table = page.getByRole('table', { name: 'Tuân thủ theo doanh nghiệp trong kỳ' });
    const ispA = table.getByRole('row').filter({ hasText: 'Demo ISP A' });
    await ispA.waitFor();
    expect(await ispA.textContent()).toContain('100%');
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await analyst.checkScreen('console-compliance');

    // 5. The auditor verifies the whole chain, these events included.
    const auditor = await ConsolePage.open(fixture);
    await auditor.signIn('auditor@authority.example');
    page = auditor.page;
    await page.getByRole('navigation').getByRole('link', { name: 'Xác minh chuỗi' }).click();
    await page.getByRole('button', { name: 'Bắt đầu xác minh' }).click();
    await page.getByRole('status').getByText('Chuỗi nhật ký toàn vẹn').waitFor();
    await auditor.checkScreen('console-audit-verify');

    for (const person of [analyst, approver, operator, auditor]) await person.close();
  }, 180_000);
});
