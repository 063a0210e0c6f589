import { afterAll, beforeAll, expect, it } from '@jest/globals';
import {
  ConsolePage,
  DEMO_PASSWORD,
  describeBrowser,
  startConsole,
  type ConsoleFixture,
} from '#test/browser/support.js';

describeBrowser('the console: sign-in, language, session', () => {
  let fixture: ConsoleFixture;
  beforeAll(async () => {
    fixture = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it('serves the sign-in screen in Vietnamese under a strict CSP, accessible, with no script error', async () => {
    const console = await ConsolePage.open(fixture);
    const response = await console.page.goto(fixture.baseUrl);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(await console.page.getByRole('heading', { level: 1 }).textContent()).toBe('Đăng nhập');
    expect(await console.page.locator('html').getAttribute('lang')).toBe('vi');
    await console.checkScreen('sign-in-vi');
    await console.close();
  });

  it('switches to English and back, and remembers the choice', async () => {
    const console = await ConsolePage.open(fixture);
    await console.goto('/');
    await console.page.getByLabel('Ngôn ngữ').click();
    await console.page.getByTitle('English').click();
    await console.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await console.page.locator('html').getAttribute('lang')).toBe('en');
    await console.page.reload();
    await console.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await console.checkScreen('sign-in-en');
    await console.close();
  });

  it('shows the problem the API gives for a wrong password', async () => {
    const console = await ConsolePage.open(fixture);
    await console.goto('/');
    await console.page.getByLabel('Thư điện tử').fill('analyst@dic.example');
    await console.page.getByLabel('Mật khẩu').fill('not-the-password');
    await console.page.getByRole('button', { name: 'Đăng nhập' }).click();
    const alert = console.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Invalid|credentials|password/i);
    // A 401 is expected here: the browser logs it as a failed resource load.
    console.problems.length = 0;
    await console.close();
  });

  it('signs in, lands on the role’s first screen, keeps the session over a reload, signs out', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('analyst@dic.example');
    expect(new URL(console.page.url()).pathname).toBe('/dashboard');
    await console.page.reload();
    await console.page.getByRole('navigation').waitFor();
    expect(new URL(console.page.url()).pathname).toBe('/dashboard');
    // A deep link reloads into the console (the service answers index.html for it).
    await console.goto('/requests');
    await console.page.getByRole('navigation').waitFor();
    await console.page.getByRole('button', { name: 'Đăng xuất' }).click();
    await console.page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    console.expectNoProblems();
    await console.close();
  });

  it('renews the access token with the refresh token when the API answers 401', async () => {
    const console = await ConsolePage.open(fixture);
    await console.signIn('analyst@dic.example');
    await console.page.waitForLoadState('networkidle');
    // The first call of the request list goes out with a broken token (as an expired one
    // would): the API answers 401, the console renews the pair once and repeats the call.
    const sent: string[] = [];
    await console.page.route('**/api/v1/blocking-requests?*', async (route, request) => {
      const headers = { ...request.headers() };
      if (sent.length === 0) headers.authorization = 'Bearer expired.or.broken';
      sent.push(headers.authorization ?? '');
      await route.continue({ headers });
    });
    const refreshed = console.page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await console.page.getByRole('link', { name: 'Yêu cầu chặn' }).click();
    expect((await refreshed).status()).toBe(200);
    await console.page.getByText('DEMO-001/STTTT-ATTT').first().waitFor();
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[1]).toMatch(/^Bearer ey/);
    // The 401 of the broken token is expected: the browser logs it as a failed load.
    console.problems.splice(
      0,
      console.problems.length,
      ...console.problems.filter((p) => !p.includes('401')),
    );
    console.expectNoProblems();
    await console.close();
  });

  it('signing out revokes the session and forgets what it showed: the next person in the same tab sees only their own', async () => {
    const console = await ConsolePage.open(fixture);
    const { page } = console;
    await console.signIn('operator@isp-a.example');
    await page.getByRole('navigation').getByRole('link', { name: 'Trạng thái nguồn cấp' }).click();
    await page.getByText('Demo ISP A').first().waitFor();
    const refresh = await page.evaluate(() => sessionStorage.getItem('threat-exchange.refresh'));
    expect(refresh).toBeTruthy();
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await page.getByRole('heading', { name: 'Đăng nhập' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('threat-exchange.refresh'))).toBeNull();
    // The API no longer renews that session.
    const renewed = await fetch(new URL('/api/v1/auth/refresh', fixture.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh }),
    });
    expect([400, 401]).toContain(renewed.status);
    // The next person, in the same tab without a reload: their first screen, their data only.
    await page.getByLabel('Thư điện tử').fill('operator@isp-b.example');
    await page.getByLabel('Mật khẩu').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('navigation').waitFor();
    expect(new URL(page.url()).pathname).toBe('/assignments');
    await page.getByRole('navigation').getByRole('link', { name: 'Trạng thái nguồn cấp' }).click();
    await page.getByText('Demo ISP B').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('Demo ISP A').count()).toBe(0);
    console.expectNoProblems();
    await console.close();
  });
});
