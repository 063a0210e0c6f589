import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ConsolePage,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

/**
 * The response screens: a unit officer sees only their unit's case, acknowledges it and reports
 * the remediation; an officer files an incident report with an attachment; a responder assigns
 * it to themselves and drafts a blocking request from it; every new screen passes axe, logs no
 * error and is screenshotted. What the test needs it makes through the API (its own units, with
 * unique short codes and networks apart from the demo seed's 192.88.99.0/26), so that it runs
 * with or without the demo units.
 */
const PASSWORD = 'response-test-password-2026';
const TAG = randomBytes(3).toString('hex').toUpperCase();
const UNIT_A = {
  code: `T-A-${TAG}`,
  name: `UBND phường Thử nghiệm ${TAG}`,
  net: '192.88.99.128/27',
};
const UNIT_B = { code: `T-B-${TAG}`, name: `Trung tâm Thử nghiệm ${TAG}`, net: '192.88.99.160/27' };
const RESPONDER = `responder-${TAG.toLowerCase()}@dic.example`;
const OFFICER_A = `officer-a-${TAG.toLowerCase()}@unit.example`;
const INCIDENT_TITLE = `Máy chủ web bị thay đổi giao diện ${TAG}`;

async function apiAs(baseUrl: string, email: string, password: string) {
  const login = await fetch(new URL('/api/v1/auth/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(login.status).toBe(200);
  const { access_token: token } = (await login.json()) as { access_token: string };
  return async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const answer = await fetch(new URL(`/api/v1${route}`, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await answer.text();
    if (!answer.ok) throw new Error(`${method} ${route}: ${answer.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
}

describeBrowser('the console: units’ cases, incident reports, units, published list, mail', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    fixture = await startConsole();
    const admin = await apiAs(fixture.baseUrl, ADMIN_EMAIL, ADMIN_PASSWORD);
    const orgs = await admin<{ items: { id: string; kind: string }[] }>(
      'GET',
      '/organizations?limit=200',
    );
    const department = orgs.items.find((o) => o.kind === 'department')!;
    await admin('POST', '/users', {
      organizationId: department.id,
      email: RESPONDER,
      name: 'Đội ứng cứu thử nghiệm',
      roles: ['responder'],
      password: PASSWORD,
    });
    const units: string[] = [];
    for (const u of [UNIT_A, UNIT_B]) {
      const created = await admin<{ id: string }>('POST', '/units', {
        name: u.name,
        shortCode: u.code,
        category: 'commune',
        networks: [u.net],
      });
      units.push(created.id);
    }
    await admin('POST', '/users', {
      organizationId: units[0],
      email: OFFICER_A,
      name: 'Cán bộ thử nghiệm',
      roles: ['unit_officer'],
      password: PASSWORD,
    });
    // Connections seen by the responder's sensors: one host in each unit talks to a C2.
    const responder = await apiAs(fixture.baseUrl, RESPONDER, PASSWORD);
    const time = new Date(Date.now() - 3600_000).toISOString();
    await responder('POST', '/connections', {
      rows: [
        { time, address: '192.88.99.130', c2: 'botnet-c2.example.com', count: 12 },
        { time, address: '192.88.99.161', c2: 'evil-c2.example.net', count: 3 },
      ],
    });
  }, 150_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('a unit officer sees only their case, acknowledges it, reports the remediation, files an incident with an attachment', async () => {
    const console = await ConsolePage.open(fixture);
    const page = console.page;
    await console.signIn(OFFICER_A, PASSWORD);
    // The unit officer lands on the cases; only their unit's.
    expect(new URL(page.url()).pathname).toBe('/cases');
    const table = page.getByRole('table', { name: 'Các hồ sơ kết nối botnet, mới nhất trước' });
    await table.getByRole('row').filter({ hasText: UNIT_A.name }).waitFor();
    expect(await table.textContent()).not.toContain(UNIT_B.name);
    expect(await table.textContent()).toMatch(/còn \d/);
    await console.checkScreen('response-cases');

    await table.getByRole('link', { name: UNIT_A.name }).click();
    await page.getByRole('heading', { level: 1, name: new RegExp(UNIT_A.name) }).waitFor();
    await page
      .getByRole('table', { name: 'Các C2 mà địa chỉ của đơn vị đã kết nối tới' })
      .getByText('botnet-c2.example.com')
      .waitFor();
    await page
      .getByRole('table', { name: /Các kết nối theo địa chỉ nội bộ/ })
      .getByText('192.88.99.130/32')
      .waitFor();
    await page.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click();
    await page.getByText('Đã tiếp nhận hồ sơ.').waitFor();
    await page.getByLabel('Tóm tắt').fill('Đã quét và làm sạch máy trạm bộ phận một cửa.');
    await page.getByLabel('Chi tiết biện pháp 1').fill('Gỡ mã độc bằng công cụ diệt virus');
    await page.getByRole('button', { name: 'Thêm biện pháp' }).click();
    await page.getByLabel('Biện pháp 2', { exact: true }).click();
    await page.getByTitle('Đã đổi mật khẩu, khóa truy cập').click();
    await page.getByRole('button', { name: 'Gửi báo cáo khắc phục' }).click();
    await page.getByText('Đã gửi báo cáo khắc phục.').waitFor();
    await page.getByRole('heading', { level: 2, name: 'Khắc phục đã báo cáo' }).waitFor();
    const history = page.getByRole('table', { name: 'Các thay đổi trạng thái, mới nhất trước' });
    await history.getByText('Đã báo cáo khắc phục').first().waitFor();
    await console.checkScreen('response-case-detail');

    // An incident report, then a file attached to it.
    await console.goto('/incidents/new');
    await page.getByRole('heading', { level: 1, name: 'Báo cáo một sự cố' }).waitFor();
    // Checked before a list opens (antd's open list leaves an unnamed listbox behind).
    await console.checkScreen('response-incident-new');
    await console.choose('Loại sự cố', 'Thay đổi giao diện trang web');
    await console.choose('Mức độ', 'Cao');
    await page.getByLabel('Tiêu đề').fill(INCIDENT_TITLE);
    await page.getByLabel('Hệ thống bị ảnh hưởng').fill('Cổng thông tin phường (192.88.99.140)');
    await page.getByLabel('Mô tả').fill('Trang chủ bị thay bằng nội dung lạ lúc 7 giờ sáng.');
    await page
      .getByLabel('Chỉ dấu (mỗi dòng một giá trị)')
      .fill('deface-c2.example.org\n203.0.113.99\n');
    await page.getByRole('button', { name: 'Gửi báo cáo' }).click();
    await console.expectOutcome(/Đã gửi báo cáo INC-/);
    const dir = await mkdtemp(path.join(tmpdir(), 'incident-'));
    const file = path.join(dir, 'web-access.log');
    await writeFile(file, '203.0.113.99 - - "GET /admin HTTP/1.1" 200\n');
    await page.getByLabel('Chọn tệp đính kèm').setInputFiles(file);
    await page.getByRole('button', { name: 'Đính kèm', exact: true }).click();
    await page.getByText('Đã đính kèm web-access.log.').waitFor();
    await page.getByRole('status').getByRole('link').click();
    await page
      .getByRole('table', { name: 'Các tệp đính kèm của báo cáo' })
      .getByText('web-access.log')
      .waitFor();
    // The reporter may provide information, not triage.
    await page.getByRole('heading', { level: 2, name: 'Bổ sung thông tin' }).waitFor();
    expect(await page.getByRole('button', { name: 'Nhận xử lý' }).count()).toBe(0);
    await console.checkScreen('response-incident-reporter');
    await console.close();
  }, 90_000);

  it('a responder assigns the report to themselves, drafts a blocking request; units, published list, mail, contacts', async () => {
    const console = await ConsolePage.open(fixture);
    const page = console.page;
    await console.signIn(RESPONDER, PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/cases');
    await console.goto('/incidents');
    const row = page.getByRole('row').filter({ hasText: INCIDENT_TITLE });
    await row.waitFor();
    await console.checkScreen('response-incidents');
    await row.getByRole('link').click();
    await page.getByRole('heading', { level: 2, name: 'Xử lý (đội ứng cứu)' }).waitFor();
    await page.getByRole('button', { name: 'Nhận xử lý' }).click();
    await page.getByText('Nhận xử lý: Đã ghi nhận.').waitFor();
    await page.getByRole('button', { name: 'Soạn yêu cầu chặn từ các chỉ dấu' }).click();
    await page.getByText('Soạn yêu cầu chặn từ các chỉ dấu: Đã ghi nhận.').waitFor();
    await page.getByText(/Yêu cầu chặn [0-9a-f-]{36} đã được tạo/).waitFor();
    const events = page.getByRole('region', { name: 'Diễn biến của báo cáo, cũ nhất trước' });
    await events.getByText('Phân công xử lý').waitFor();
    await events.getByText('Soạn yêu cầu chặn').waitFor();
    await console.checkScreen('response-incident-triage');

    // The case list shows every unit's case to the responder; the case is linked from the report.
    await console.goto('/cases');
    const cases = page.getByRole('table', { name: 'Các hồ sơ kết nối botnet, mới nhất trước' });
    await cases.getByText(UNIT_A.name).waitFor();
    await cases.getByText(UNIT_B.name).waitFor();

    // Units: search, detail with its networks.
    await console.goto('/units');
    await page.getByLabel('Tìm theo tên hoặc mã', { exact: true }).fill(UNIT_B.code);
    await page.getByRole('button', { name: 'Tìm theo tên hoặc mã' }).click();
    const units = page.getByRole('table', { name: /Các đơn vị/ });
    await units.getByRole('link', { name: UNIT_B.name }).waitFor();
    expect(await units.textContent()).not.toContain(UNIT_A.name);
    await console.checkScreen('response-units');
    await units.getByRole('link', { name: UNIT_B.name }).click();
    await page
      .getByRole('table', { name: 'Các mạng của đơn vị, theo địa chỉ' })
      .getByText(UNIT_B.net, { exact: true })
      .waitFor();
    await page.getByLabel('Mạng mới (mỗi dòng một)').fill('192.88.99.192/28');
    await page.getByRole('button', { name: 'Thêm mạng' }).click();
    await page.getByText('Đã thêm mạng.').waitFor();
    await page.getByRole('cell', { name: '192.88.99.192/28', exact: true }).waitFor();
    await console.checkScreen('response-unit-detail');

    // The published list: both units with their open case.
    await console.goto('/published');
    const published = page.getByRole('table', { name: 'Các đơn vị có hồ sơ chưa đóng' });
    await published.getByText(UNIT_A.name).waitFor();
    await published.getByText(UNIT_B.name).waitFor();
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Tải CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
    await console.checkScreen('response-published');

    await console.goto('/mail');
    await page.getByRole('heading', { level: 1, name: 'Thư cách ly' }).waitFor();
    await console.checkScreen('response-mail');

    await console.goto('/response-team');
    await page.getByLabel('Đường dây nóng').fill('1900 6868');
    await page.getByRole('button', { name: 'Lưu' }).click();
    await page.getByText('Đã lưu thông tin liên hệ.').waitFor();
    await console.checkScreen('response-team');
    await console.close();

    // The sign-in page shows the contacts to anyone.
    const visitor = await ConsolePage.open(fixture);
    await visitor.goto('/');
    await visitor.page.getByRole('link', { name: '1900 6868' }).waitFor();
    await visitor.checkScreen('response-sign-in-contacts');
    await visitor.close();
  }, 90_000);
});
