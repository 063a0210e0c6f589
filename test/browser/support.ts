import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from '@jest/globals';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT } from '#src/platform/project/project.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';

/** What checkAccessibility reads of the page's animations (the tests have no DOM types). */
interface AnimatedDocument {
  getAnimations(): {
    playState: string;
    effect: { getComputedTiming(): { endTime: number | string } } | null;
  }[];
}

/**
 * The console in a real browser: Debian's Chromium (apt `chromium`, installed by .ci/run),
 * driven by playwright-core. Each test file gets the service as `npm start` runs it (the
 * built dist/, console included) on a fresh database holding the demo seed, as a new user's
 * would after `npm run seed:demo`.
 */
export const CHROMIUM =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium', ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'chromium'))]
    .filter((p) => p !== 'chromium')
    .find((p) => existsSync(p)) ??
  '/usr/bin/chromium';
export const DEMO_PASSWORD = 'demo-password-2026';
export const ADMIN_EMAIL = 'admin@department.example';
export const ADMIN_PASSWORD = 'bootstrap-admin-password';
/** Screenshots of every screen the tests visit (docs/console.md shows the best of them). */
export const SCREENSHOT_DIR = path.join(PROJECT_ROOT, 'reports', 'console');

const available = existsSync(CHROMIUM);
if (!available && process.env.CI) {
  throw new Error(`Chromium is missing at ${CHROMIUM}: CI installs it (apt-get install chromium)`);
}

/** `describe`, or a skip saying why when Chromium is not installed (outside CI). */
export const describeBrowser = (name: string, body: () => void): void => {
  if (available) {
    describe(name, body);
    return;
  }
  describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`, body);
};

export interface ConsoleFixture {
  baseUrl: string;
  browser: Browser;
  service: ServiceProcess;
  close(): Promise<void>;
}

async function runCli(args: string[], env: Record<string, string>): Promise<string> {
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'dist', 'src', 'cli.js'), ...args],
    {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`cli ${args.join(' ')} exited ${code}: ${out}`);
  return out;
}

/** A fresh database with the demo seed, the service on it, and Chromium. */
export async function startConsole(extraEnv: Record<string, string> = {}): Promise<ConsoleFixture> {
  const db = await freshDatabase();
  const env = instanceEnv(0, {
    DATABASE_URL: db.url,
    ADMIN_PASSWORD,
    ADMIN_EMAIL,
    ...extraEnv,
  });
  const service = ServiceProcess.start(env);
  const baseUrl = await service.listening();
  await runCli(['seed:demo'], { ...env, DEMO_PASSWORD, LOG_LEVEL: 'warn' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  return {
    baseUrl,
    browser,
    service,
    close: async () => {
      await browser.close();
      service.child.kill('SIGTERM');
      await service.exited;
      await db.drop();
    },
  };
}

/**
 * A page in its own browser context (its own sessionStorage: one person), which records what
 * should never happen: script errors, CSP violations, console errors, failed API calls (5xx).
 */
export class ConsolePage {
  readonly problems: string[] = [];
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly baseUrl: string,
  ) {
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.problems.push(`console error: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 500)
        this.problems.push(`${response.status()} from ${response.url()}`);
    });
  }

  static async open(fixture: ConsoleFixture, locale: 'vi' | 'en' = 'vi'): Promise<ConsolePage> {
    const context = await fixture.browser.newContext({
      viewport: { width: 1366, height: 860 },
      locale: locale === 'vi' ? 'vi-VN' : 'en-GB',
      timezoneId: 'Asia/Ho_Chi_Minh',
      // The console then turns its animations off: no click lands on a dialog still zooming in.
      reducedMotion: 'reduce',
    });
    if (locale === 'en') {
      await context.addInitScript(() => localStorage.setItem('threat-exchange.locale', 'en'));
    }
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    return new ConsolePage(context, page, fixture.baseUrl);
  }

  async goto(pathname: string): Promise<void> {
    await this.page.goto(new URL(pathname, this.baseUrl).toString());
  }

  /** Signs in through the sign-in form (Vietnamese labels unless the page is in English). */
  async signIn(email: string, password = DEMO_PASSWORD): Promise<void> {
    await this.goto('/');
    const english = (await this.page.locator('html').getAttribute('lang')) === 'en';
    await this.page.getByLabel(english ? 'E-mail' : 'Thư điện tử').fill(email);
    await this.page.getByLabel(english ? 'Password' : 'Mật khẩu').fill(password);
    await this.page.getByRole('button', { name: english ? 'Sign in' : 'Đăng nhập' }).click();
    await this.page.getByRole('navigation').waitFor();
  }

  /**
   * axe-core on the page as it is (WCAG 2.1 A and AA rules): no serious or critical violation.
   * Returns the others, for the record.
   */
  async checkAccessibility(what: string): Promise<string[]> {
    // Colours are measured as painted: a button still fading in (antd's transitions) would be
    // judged on a half-way colour. Finite animations end first (at most 3 s); spinners never do.
    // (Polled with a function, not a string: the console's CSP refuses eval.)
    for (let waited = 0; waited < 3000; waited += 100) {
      const moving = await this.page.evaluate(() =>
        (globalThis as unknown as { document: AnimatedDocument }).document
          .getAnimations()
          .some(
            (a) => a.playState === 'running' && a.effect?.getComputedTiming().endTime !== Infinity,
          ),
      );
      if (!moving) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const results = await new AxeBuilder({ page: this.page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
      .analyze();
    const grave = results.violations.filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    const describe = (v: (typeof results.violations)[number]) =>
      `${v.id} (${v.impact}): ${v.help} — ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`;
    expect({ screen: what, violations: grave.map(describe) }).toEqual({
      screen: what,
      violations: [],
    });
    return results.violations.map(describe);
  }

  /**
   * Picks `option` in the antd select labelled `label`, and waits until the select shows it
   * (a click on an option list still opening can be lost; it is tried again, at most 3 times).
   */
  async choose(label: string, option: string): Promise<void> {
    const field = this.page.locator('.ant-form-item').filter({ has: this.page.getByLabel(label) });
    // The select announces its value in a hidden live region: that is what was chosen.
    const chosen = field.locator('[aria-live]').getByText(option, { exact: true });
    for (let attempt = 1; ; attempt++) {
      await this.page.getByLabel(label).click();
      await this.page
        .locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')
        .getByTitle(option, { exact: true })
        .click();
      try {
        await chosen.first().waitFor({ state: 'attached', timeout: 3000 });
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /**
   * Waits for `success` to be shown; if an error is shown instead (a problem alert or a field's
   * message), fails at once with what it says rather than after a silent timeout.
   */
  async expectOutcome(success: RegExp | string): Promise<void> {
    const done = this.page.getByText(success);
    const refused = this.page.locator('.ant-alert-error, .ant-form-item-explain-error');
    await done.or(refused).first().waitFor();
    if (!(await done.first().isVisible())) {
      const said = await refused.allInnerTexts();
      throw new Error(`expected ${String(success)}, the console says: ${said.join(' | ')}`);
    }
  }

  /** Saves reports/console/<name>.png (the whole page). */
  async screenshot(name: string): Promise<void> {
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await this.page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  /** Accessibility, screenshot, and nothing wrong recorded so far. */
  async checkScreen(name: string): Promise<void> {
    await this.page.waitForLoadState('networkidle');
    await this.checkAccessibility(name);
    await this.screenshot(name);
    this.expectNoProblems();
  }

  expectNoProblems(): void {
    expect(this.problems).toEqual([]);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
