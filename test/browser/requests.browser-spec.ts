import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  ConsolePage,
  DEMO_PASSWORD,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

/** In the page: whether `element` has the focus (the tests' tsconfig has no DOM types). */
const isFocused = (element: unknown): boolean =>
  (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement ===
  element;
/** How many animations run in the element or below it (no DOM types in the tests' program). */
const animations = (element: unknown): number =>
  (element as { getAnimations(options: { subtree: boolean }): unknown[] }).getAnimations({
    subtree: true,
  }).length;

/** The request screens: list, detail, the approval queue, return, approval, the two-person rule. */
describeBrowser('the console: blocking requests and their approval', () => {
  let fixture: ConsoleFixture;
  let analyst: string;
  let ispA: string;

  /** One API call from Node with a bearer token (null: none); the JSON answer. */
  async function apiCall<T>(
    token: string | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T> {
    const response = await fetch(new URL(path, fixture.baseUrl), {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function login(email: string, password = DEMO_PASSWORD): Promise<string> {
    const tokens = await apiCall<{ access_token: string; passwordChangeRequired?: boolean }>(
      null,
      'POST',
      '/api/v1/auth/login',
      { email, password },
    );
    expect(tokens.passwordChangeRequired ?? false).toBe(false);
    return tokens.access_token;
  }

  /** A request to ISP A with `values`, written and submitted by `token`'s person. */
  async function submittedRequest(
    token: string,
    documentNumber: string,
    values: string[],
  ): Promise<string> {
    const created = await apiCall<{ id: string }>(token, 'POST', '/api/v1/blocking-requests', {
      documentNumber,
      title: `Máy chủ điều khiển mã độc (${documentNumber})`,
      legalBasis: 'Nghị định 53/2022/NĐ-CP, Điều 21',
      category: 'malware',
      severity: 'high',
      targetsAll: false,
      targetOrganizationIds: [ispA],
    });
    const added = await apiCall<{ version: number }>(
      token,
      'POST',
      `/api/v1/blocking-requests/${created.id}/items`,
      { values },
    );
    await apiCall(token, 'POST', `/api/v1/blocking-requests/${created.id}/submit`, {
      version: added.version,
    });
    return created.id;
  }

  beforeAll(async () => {
    fixture = await startConsole();
    analyst = await login('analyst@dic.example');
    const organizations = await apiCall<{ items: { id: string; name: string }[] }>(
      analyst,
      'GET',
      '/api/v1/organizations?limit=200',
    );
    ispA = organizations.items.find((o) => o.name === 'Demo ISP A')?.id ?? '';
    expect(ispA).not.toBe('');
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('goes from submission to publication: list, detail, queue, return, resubmission, approval by keyboard', async () => {
    const number = 'TEST-101/STTTT-ATTT';
    const id = await submittedRequest(analyst, number, [
      'c2.botnet-control.xyz',
      'phish-bank-login.top',
      '45.77.10.20',
    ]);

    // The analyst finds it among the requests pending approval and opens it.
    const author = await ConsolePage.open(fixture);
    await author.signIn('analyst@dic.example');
    await author.goto('/requests?status=pending_approval');
    await author.page.getByRole('heading', { name: 'Yêu cầu chặn' }).waitFor();
    await author.page.getByRole('link', { name: number }).waitFor();
    expect(await author.page.getByRole('link', { name: 'DEMO-001/STTTT-ATTT' }).count()).toBe(0);
    await author.checkScreen('requests');
    await author.page.getByRole('link', { name: number }).click();
    await author.page.getByRole('heading', { name: `Yêu cầu ${number}` }).waitFor();
    await author.page.getByText('c2.botnet-control.xyz', { exact: true }).waitFor();
    await author.page
      .getByText('Không phát hiện lý do từ chối nào trong 3 chỉ dấu đã kiểm tra.')
      .waitFor();
    await author.checkScreen('request-detail');
    await author.close();

    // The approver sees it in the queue and returns it with a reason.
    const approver = await ConsolePage.open(fixture);
    await approver.signIn('approver@dic.example');
    await approver.goto('/approvals');
    await approver.page.getByRole('link', { name: number }).waitFor();
    await approver.checkScreen('approvals');
    await approver.page.getByRole('link', { name: number }).click();
    await approver.page.getByRole('heading', { name: `Yêu cầu ${number}` }).waitFor();
    await approver.page.getByRole('button', { name: 'Trả lại' }).click();
    const returning = approver.page.getByRole('dialog');
    await returning.waitFor();
    // The browser asks for reduced motion (support.ts): the dialog is there at once, not zooming.
    expect(await returning.evaluate(animations)).toBe(0);
    await returning.getByLabel('Lý do trả lại').fill('Mục 3 là máy chủ của bệnh viện: bỏ ra');
    await returning.getByRole('button', { name: 'Trả lại' }).click();
    await approver.expectOutcome('Đã trả lại yêu cầu cho người soạn.');
    await approver.page.getByText('Mục 3 là máy chủ của bệnh viện: bỏ ra').waitFor();
    await approver.page.getByText('Chờ phê duyệt → Bản nháp').waitFor();
    expect(await approver.page.getByRole('button', { name: 'Phê duyệt' }).count()).toBe(0);

    // The analyst submits it again; the approver approves it with the keyboard only.
    const current = await apiCall<{ version: number; status: string }>(
      analyst,
      'GET',
      `/api/v1/blocking-requests/${id}`,
    );
    expect(current.status).toBe('draft');
    await apiCall(analyst, 'POST', `/api/v1/blocking-requests/${id}/submit`, {
      version: current.version,
    });
    await approver.page.reload();
    const approve = approver.page.getByRole('button', { name: 'Phê duyệt' });
    await approve.waitFor();
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await approver.page.keyboard.press('Tab');
      reached = await approve.evaluate(isFocused);
    }
    expect(reached).toBe(true);
    await approver.page.keyboard.press('Enter');
    const dialog = approver.page.getByRole('dialog');
    await dialog.getByText(/Phê duyệt yêu cầu TEST-101/).waitFor();
    const confirm = dialog.getByRole('button', { name: 'Phê duyệt' });
    let focused = false;
    for (let i = 0; i < 20 && !focused; i++) {
      focused = await confirm.evaluate(isFocused);
      if (!focused) await approver.page.waitForTimeout(100);
    }
    expect(focused).toBe(true);
    await approver.page.keyboard.press('Enter');
    await approver.page.getByText('Đã phê duyệt: yêu cầu đã được ban hành.').waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const assignments = approver.page.getByRole('table', {
      name: 'Việc giao cho từng doanh nghiệp',
    });
    await assignments.getByRole('cell', { name: 'Demo ISP A' }).waitFor();
    await assignments.getByText('Chưa xử lý').waitFor();
    await approver.checkScreen('request-published');
    const published = await apiCall<{ status: string; assignments: unknown[] }>(
      analyst,
      'GET',
      `/api/v1/blocking-requests/${id}`,
    );
    expect(published.status).toBe('published');
    expect(published.assignments).toHaveLength(1);
    approver.expectNoProblems();
    await approver.close();
  }, 90_000);

  it('explains the two-person rule to an approver who wrote and submitted the request', async () => {
    const admin = await login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const organizations = await apiCall<{ items: { id: string; kind: string }[] }>(
      admin,
      'GET',
      '/api/v1/organizations?limit=200',
    );
    const department = organizations.items.find((o) => o.kind === 'department')?.id;
    const email = 'both-roles@dic.example';
    const password = 'analyst-and-approver-2026';
    await apiCall(admin, 'POST', '/api/v1/users', {
      organizationId: department,
      email,
      name: 'Chuyên viên kiêm lãnh đạo',
      roles: ['analyst', 'approver'],
      password,
    });
    const both = await login(email, password);
    const number = 'TEST-102/STTTT-ATTT';
    await submittedRequest(both, number, ['malware-drop.xyz']);

    const person = await ConsolePage.open(fixture);
    await person.signIn(email, password);
    await person.goto('/approvals');
    await person.page.getByRole('link', { name: number }).click();
    await person.page.getByRole('heading', { name: `Yêu cầu ${number}` }).waitFor();
    await person.page.getByText('Cần một người phê duyệt khác').waitFor();
    await person.page.getByText(/Bạn là người trình yêu cầu này/).waitFor();
    expect(await person.page.getByRole('button', { name: 'Phê duyệt' }).isDisabled()).toBe(true);
    await person.checkScreen('two-person-rule');
    await person.close();
  }, 60_000);

  it('shows the protected items approval would refuse, and records an override', async () => {
    const number = 'TEST-103/STTTT-ATTT';
    await submittedRequest(analyst, number, ['mail.gov.vn', 'fake-shop-sale.xyz']);
    const approver = await ConsolePage.open(fixture);
    await approver.signIn('approver@dic.example');
    await approver.goto('/approvals');
    await approver.page.getByRole('link', { name: number }).click();
    await approver.page.getByText('1 chỉ dấu chặn thuộc danh sách bảo vệ').waitFor();
    const table = approver.page.getByRole('table', { name: 'Chỉ dấu thuộc danh sách bảo vệ' });
    await table.getByText('mail.gov.vn').waitFor();
    await table
      .getByText(/gov\.vn/)
      .first()
      .waitFor();
    await table.getByText('Chưa có ngoại lệ').waitFor();
    await approver.page.getByText('Đã kiểm tra 2 / 2 chỉ dấu').waitFor();
    await approver.checkScreen('approval-check');
    await table.getByRole('button', { name: 'Ghi nhận ngoại lệ' }).click();
    const dialog = approver.page.getByRole('dialog');
    await dialog
      .getByLabel('Vì sao được chặn dù thuộc danh sách bảo vệ')
      .fill('Quyết định của tòa án số 12/2026 nêu đích danh tên miền này');
    await dialog.getByRole('button', { name: 'Xác nhận' }).click();
    await table.getByText(/Đã có ngoại lệ: Quyết định của tòa án/).waitFor();
    approver.expectNoProblems();
    await approver.close();
  }, 60_000);
});
