import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Locator } from 'playwright-core';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ConsolePage,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

/** A small MISP warninglist, shaped like misp-warninglists' lists/<name>/list.json. */
const WARNINGLIST = {
  description: 'Resolvers of the province that must never be blocked (test)',
  list: ['203.0.113.53', '198.51.100.0/24', '2001:db8:53::/48'],
  matching_attributes: ['ip-src', 'ip-dst', 'domain|ip'],
  name: 'Provincial resolvers (test)',
  type: 'cidr',
  version: 3,
};

/** The browser's globals, for the functions run in the page (this project's tsconfig has no DOM). */
interface BrowserGlobals {
  document: { activeElement: unknown };
  navigator: { clipboard: { readText(): Promise<string> } };
}
const focused = (locator: Locator): Promise<boolean> =>
  locator.evaluate(
    (element) => element === (globalThis as unknown as BrowserGlobals).document.activeElement,
  );

async function checkScreen(console: ConsolePage, name: string): Promise<void> {
  await console.checkScreen(name);
}
function expectNoProblems(console: ConsolePage): void {
  console.expectNoProblems();
}

describeBrowser(
  'the console: administration (organizations, users, API clients, protected lists)',
  () => {
    let fixture: ConsoleFixture;
    let admin: ConsolePage;
    const code = 'ISP-KB';
    const ispName = 'Viễn thông Kiểm Thử';

    beforeAll(async () => {
      fixture = await startConsole();
      admin = await ConsolePage.open(fixture);
      await admin.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: fixture.baseUrl,
      });
      await signInAdmin(admin);
    }, 120_000);
    afterAll(async () => {
      await admin?.close();
      await fixture?.close();
    });

    /** The bootstrap administrator; when its password must change first, it is changed. */
    async function signInAdmin(console: ConsolePage): Promise<void> {
      const page = console.page;
      await console.goto('/');
      await page.getByLabel('Thư điện tử').fill(ADMIN_EMAIL);
      await page.getByLabel('Mật khẩu').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Đăng nhập' }).click();
      const nav = page.getByRole('navigation');
      const change = page.getByRole('heading', { name: 'Đổi mật khẩu' });
      await nav.or(change).first().waitFor();
      if (await change.isVisible()) {
        const fresh = 'a-new-admin-password-2026';
        await page.getByLabel('Mật khẩu hiện tại').fill(ADMIN_PASSWORD);
        await page.getByLabel('Mật khẩu mới (ít nhất 12 ký tự)').fill(fresh);
        await page.getByLabel('Nhập lại mật khẩu mới').fill(fresh);
        await page.getByRole('button', { name: 'Đổi mật khẩu' }).click();
        await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
        await console.signIn(ADMIN_EMAIL, fresh);
      }
    }

    async function token(clientId: string, secret: string): Promise<number> {
      const response = await fetch(new URL('/api/v1/auth/token', fixture.baseUrl), {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      if (response.ok) {
        const body = (await response.json()) as { access_token?: string };
        expect(body.access_token).toMatch(/^ey/);
      }
      return response.status;
    }

    /** Chooses an option of an antd Select by typing, with the keyboard. */
    async function choose(label: string, text: string): Promise<void> {
      const select = admin.page.getByLabel(label, { exact: true });
      await select.click();
      await select.fill(text);
      await admin.page.keyboard.press('Enter');
    }

    it('creates an ISP organization with the keyboard alone', async () => {
      const page = admin.page;
      await admin.goto('/admin/organizations');
      await page.getByRole('table', { name: 'Danh sách tổ chức' }).waitFor();
      await page.getByRole('cell', { name: 'Demo ISP A' }).first().waitFor();
      await checkScreen(admin, 'admin-organizations');

      // Tab to "Thêm tổ chức", Enter; the form opens on the name (the kind is ISP already).
      const add = page.getByRole('button', { name: 'Thêm tổ chức' });
      for (let i = 0; i < 60 && !(await focused(add)); i++) {
        await page.keyboard.press('Tab');
      }
      await expect(focused(add)).resolves.toBe(true);
      await page.keyboard.press('Enter');
      await expect(focused(page.getByLabel('Tên', { exact: true }))).resolves.toBe(true);
      await page.keyboard.type(ispName);
      await page.keyboard.press('Tab');
      await page.keyboard.type(code);
      await page.keyboard.press('Tab');
      await page.keyboard.type('+84 237 3852 000');
      await page.keyboard.press('Tab');
      await page.keyboard.type('1800 1091');
      await page.keyboard.press('Tab');
      await page.keyboard.type('csirt@isp-kb.example');
      await page.keyboard.press('Enter');
      await page
        .getByRole('status')
        .filter({ hasText: `Đã tạo tổ chức ${code}.` })
        .waitFor();
      await page.getByRole('cell', { name: ispName }).waitFor();
      await page.getByRole('cell', { name: 'csirt@isp-kb.example' }).waitFor();
      expectNoProblems(admin);
    });

    it('creates a user of the ISP with a temporary password shown once, and resets a password', async () => {
      const page = admin.page;
      await admin.goto('/admin/users');
      await page.getByRole('table', { name: 'Danh sách người dùng' }).waitFor();
      await page.getByText('operator@isp-a.example', { exact: true }).first().waitFor();
      await page.getByRole('button', { name: 'Thêm người dùng' }).click();
      await choose('Tổ chức', code);
      await page.getByLabel('Thư điện tử', { exact: true }).fill('noc@isp-kb.example');
      await page.getByLabel('Họ và tên').fill('Nguyễn Văn An');
      // An ISP's one role is chosen with the organization.
      await expect(
        page.getByRole('checkbox', { name: 'Nhân viên doanh nghiệp viễn thông' }).isChecked(),
      ).resolves.toBe(true);
      await page.getByRole('button', { name: 'Tạo' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Đã tạo người dùng noc@isp-kb.example.' })
        .waitFor();
      const shown = page.locator('[data-testid=temporary-password] code');
      const first = (await shown.textContent()) ?? '';
      expect(first.length).toBeGreaterThanOrEqual(12);
      await page.getByText('noc@isp-kb.example', { exact: true }).first().waitFor();
      await page.getByText('Phải đổi mật khẩu').first().waitFor();
      await checkScreen(admin, 'admin-users');

      // The temporary password signs in, with a password change required.
      const login = await fetch(new URL('/api/v1/auth/login', fixture.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'noc@isp-kb.example', password: first }),
      });
      expect(login.status).toBe(200);
      expect(
        ((await login.json()) as { passwordChangeRequired?: boolean }).passwordChangeRequired,
      ).toBe(true);

      // Reset: a new temporary password, shown once.
      await page.getByRole('button', { name: 'Đóng' }).click();
      const row = page.getByRole('row').filter({ hasText: 'noc@isp-kb.example' });
      await row.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Đặt lại mật khẩu' }).click();
      await page.getByText('Mật khẩu tạm thời của noc@isp-kb.example').waitFor();
      const second = (await shown.textContent()) ?? '';
      expect(second.length).toBeGreaterThanOrEqual(12);
      expect(second).not.toBe(first);
      await page.getByRole('button', { name: 'Sao chép' }).click();
      await page.getByText('Đã sao chép vào bộ nhớ tạm').waitFor();
      expectNoProblems(admin);
    });

    it('creates an API client whose secret is shown once and works; rotates and revokes it', async () => {
      const page = admin.page;
      await admin.goto('/admin/api-clients');
      await page.getByRole('table', { name: 'Danh sách ứng dụng kết nối' }).waitFor();
      await page.getByRole('button', { name: 'Thêm ứng dụng' }).click();
      await choose('Tổ chức', code);
      await page.getByLabel('Tên ứng dụng').fill('Bộ kéo dữ liệu RPZ, điểm Hà Nội');
      await page.getByRole('button', { name: 'Tạo' }).click();
      const secretBox = page.locator('[data-testid=client-secret]');
      await secretBox.waitFor();
      await page.getByText('Khóa bí mật sẽ không được hiển thị lại.').first().waitFor();
      const secret = (await secretBox.locator('code').textContent()) ?? '';
      const curl = (await page.locator('[data-testid=client-curl] code').textContent()) ?? '';
      const clientId = /-u '([^:]+):/.exec(curl)?.[1] ?? '';
      expect(clientId).toMatch(/^isp-isp-kb-/);
      expect(curl).toBe(
        `curl -u '${clientId}:${secret}' ${fixture.baseUrl.replace(/\/$/, '')}/api/v1/auth/token -d grant_type=client_credentials`,
      );
      await secretBox.getByRole('button', { name: 'Sao chép' }).click();
      await secretBox.getByText('Đã sao chép vào bộ nhớ tạm').waitFor();
      expect(
        await page.evaluate(() =>
          (globalThis as unknown as BrowserGlobals).navigator.clipboard.readText(),
        ),
      ).toBe(secret);
      await checkScreen(admin, 'admin-api-client-secret');
      expect(await token(clientId, secret)).toBe(200);

      // Rotate: a new secret, shown once; the old one stops.
      const row = page.getByRole('row').filter({ hasText: clientId });
      await row.getByRole('button', { name: 'Đổi khóa bí mật' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Đổi khóa bí mật' }).click();
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      const rotated = (await secretBox.locator('code').textContent()) ?? '';
      expect(rotated).not.toBe(secret);
      expect(await token(clientId, rotated)).toBe(200);
      expect(await token(clientId, secret)).not.toBe(200);

      // Revoke, after a confirmation.
      await page.getByRole('button', { name: 'Đóng' }).click();
      await row.getByRole('button', { name: 'Thu hồi' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(`Thu hồi ứng dụng ${clientId}?`).waitFor();
      await dialog.getByRole('button', { name: 'Thu hồi' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Đã thu hồi ${clientId}.` })
        .waitFor();
      await row.getByText(/Thu hồi lúc/).waitFor();
      expect(await token(clientId, rotated)).not.toBe(200);
      await checkScreen(admin, 'admin-api-clients');
    });

    it('creates a protected list, adds an entry, imports a MISP warninglist', async () => {
      const page = admin.page;
      await admin.goto('/admin/protected-lists');
      await page.getByRole('table', { name: 'Các danh sách bảo vệ' }).waitFor();
      await page.getByRole('button', { name: 'Thêm danh sách' }).click();
      await page.getByLabel('Tên danh sách').fill('Bệnh viện trong tỉnh');
      await page.getByLabel('Mô tả').fill('Cổng thông tin các bệnh viện');
      await page.getByRole('button', { name: 'Tạo' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Đã tạo danh sách Bệnh viện trong tỉnh.' })
        .waitFor();
      await page.getByText('Các mục của Bệnh viện trong tỉnh').waitFor();
      await page
        .getByLabel('Các mục (mỗi dòng một mục)')
        .fill('benhvien.thanhhoa.gov.vn Bệnh viện đa khoa tỉnh\n203.0.113.10');
      await page.getByRole('button', { name: 'Thêm mục' }).click();
      await page.getByRole('status').filter({ hasText: 'Đã thêm 2 mục' }).waitFor();
      const entries = page.getByRole('table', {
        name: 'Các mục của danh sách Bệnh viện trong tỉnh',
      });
      await entries.getByRole('cell', { name: 'benhvien.thanhhoa.gov.vn' }).waitFor();
      await entries.getByRole('cell', { name: 'Bệnh viện đa khoa tỉnh' }).waitFor();
      await entries.getByRole('cell', { name: 'Địa chỉ / dải mạng' }).waitFor();

      // Delete one entry, after a confirmation.
      await entries
        .getByRole('row')
        .filter({ hasText: '203.0.113.10' })
        .getByRole('button', { name: 'Xóa mục' })
        .click();
      await page.getByRole('dialog').getByRole('button', { name: 'Xóa mục' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: /Đã xóa mục 203\.0\.113\.10/ })
        .waitFor();

      // Import a MISP warninglist from a file.
      await page.getByRole('button', { name: 'Nhập danh sách cảnh báo MISP' }).click();
      await page.getByLabel('Tệp danh sách cảnh báo MISP (JSON)').setInputFiles({
        name: 'list.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(WARNINGLIST, null, 2)),
      });
      await page.getByText(`Đã đọc: ${WARNINGLIST.name} (3 giá trị)`).waitFor();
      await page.getByRole('button', { name: 'Nhập', exact: true }).click();
      await page
        .getByRole('status')
        .filter({ hasText: `Đã nhập ${WARNINGLIST.name}: thêm 3, bỏ 0, bỏ qua 0 giá trị.` })
        .waitFor();
      const listRow = page.getByRole('row').filter({ hasText: WARNINGLIST.name });
      await listRow.getByText('MISP').waitFor();
      await listRow.getByRole('button', { name: /Xem các mục/ }).click();
      await page
        .getByRole('table', { name: `Các mục của danh sách ${WARNINGLIST.name}` })
        .getByRole('cell', { name: '198.51.100.0/24' })
        .waitFor();
      await checkScreen(admin, 'admin-protected-lists');
    });

    it('shows the protected lists to an analyst without the controls to change them', async () => {
      const analyst = await ConsolePage.open(fixture);
      await analyst.signIn('analyst@dic.example');
      await analyst.goto('/admin/protected-lists');
      const page = analyst.page;
      await page.getByRole('row').filter({ hasText: 'Bệnh viện trong tỉnh' }).waitFor();
      await page.getByText('Bạn chỉ có quyền xem').waitFor();
      expect(await page.getByRole('button', { name: 'Thêm danh sách' }).count()).toBe(0);
      await page
        .getByRole('row')
        .filter({ hasText: 'Bệnh viện trong tỉnh' })
        .getByRole('button', { name: /Xem các mục/ })
        .click();
      await page.getByRole('cell', { name: 'benhvien.thanhhoa.gov.vn' }).waitFor();
      expect(await page.getByRole('button', { name: 'Xóa mục' }).count()).toBe(0);
      expect(await page.getByLabel('Các mục (mỗi dòng một mục)').count()).toBe(0);
      await checkScreen(analyst, 'admin-protected-lists-analyst');
      await analyst.close();
    });
  },
);
