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
 * What each role sees follows the access matrix: every demo account visits every screen of its
 * menu, and no screen asks the API for something the role may not have (a 403), fails (5xx),
 * logs a script error or a CSP violation; no screen has a serious or critical accessibility
 * violation.
 * A screen outside the role's menu, typed in the address bar, says it is not for this role.
 */
const ACCOUNTS: { email: string; password?: string; menu: string[]; notAllowed: string }[] = [
  {
    email: 'analyst@dic.example',
    menu: [
      '/dashboard',
      '/requests',
      '/requests/new',
      '/indicators',
      '/imports',
      '/protected-check',
      '/compliance',
      '/admin/protected-lists',
      '/cases',
      '/incidents',
      '/incidents/new',
      '/units',
      '/published',
    ],
    notAllowed: '/approvals',
  },
  {
    email: 'approver@dic.example',
    menu: [
      '/dashboard',
      '/requests',
      '/approvals',
      '/indicators',
      '/protected-check',
      '/compliance',
      '/admin/protected-lists',
      '/cases',
      '/incidents',
      '/incidents/new',
      '/units',
      '/published',
    ],
    notAllowed: '/requests/new',
  },
  {
    email: 'operator@isp-a.example',
    menu: ['/assignments', '/feed', '/sightings', '/webhooks', '/incidents', '/incidents/new'],
    notAllowed: '/compliance',
  },
  {
    email: 'auditor@authority.example',
    menu: [
      '/requests',
      '/indicators',
      '/compliance',
      '/audit',
      '/audit/verify',
      '/audit/export',
      '/admin/protected-lists',
      '/cases',
      '/incidents',
      '/units',
      '/published',
    ],
    notAllowed: '/admin/users',
  },
  {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    menu: [
      '/dashboard',
      '/requests',
      '/indicators',
      '/compliance',
      '/audit',
      '/audit/verify',
      '/audit/export',
      '/admin/organizations',
      '/admin/users',
      '/admin/api-clients',
      '/admin/protected-lists',
      '/cases',
      '/incidents',
      '/incidents/new',
      '/units',
      '/published',
      '/mail',
      '/response-team',
    ],
    notAllowed: '/assignments',
  },
  {
    email: 'responder@dic.example',
    menu: [
      '/cases',
      '/incidents',
      '/incidents/new',
      '/units',
      '/published',
      '/mail',
      '/response-team',
    ],
    notAllowed: '/requests',
  },
  {
    email: 'officer@hacthanh.example',
    menu: ['/cases', '/incidents', '/incidents/new'],
    notAllowed: '/units',
  },
];

describeBrowser('the console: each role’s screens', () => {
  let fixture: ConsoleFixture;
  // axe takes about 2 s a screen: each screen is checked once here, for the first role whose
  // menu has it (the screens' own specs check them for the roles that act on them). What
  // differs by role (the menu, the API's answers, the refusal) is checked for every role.
  const checked = new Set<string>();
  beforeAll(async () => {
    fixture = await startConsole();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it.each(ACCOUNTS.map((a) => [a.email, a] as const))(
    '%s: its menu, each screen accessible and allowed by the API',
    async (_email, account) => {
      const console = await ConsolePage.open(fixture);
      const refused: string[] = [];
      console.page.on('response', (response) => {
        if (response.status() === 403) refused.push(response.url());
      });
      await console.signIn(account.email, account.password);
      const links = console.page.getByRole('navigation').getByRole('link');
      const menu = await links.evaluateAll((anchors) =>
        anchors.map((a) => new URL((a as unknown as { href: string }).href).pathname),
      );
      expect(menu.sort()).toEqual([...account.menu].sort());
      for (const path of menu) {
        await console.page.getByRole('navigation').locator(`a[href="${path}"]`).click();
        await console.page.waitForURL((url) => url.pathname === path);
        await console.page.getByRole('heading', { level: 1 }).waitFor();
        await console.page.waitForLoadState('networkidle');
        if (!checked.has(path)) await console.checkAccessibility(`${account.email} ${path}`);
        checked.add(path);
      }
      expect(refused).toEqual([]);
      console.expectNoProblems();
      // Typed in the address bar: the console says the screen is not for this role.
      await console.goto(account.notAllowed);
      await console.page.getByText(/Vai trò của bạn không được xem trang này/).waitFor();
      await console.close();
    },
    // The administrator's menu has 18 screens since the response screens came.
    90_000,
  );
});
