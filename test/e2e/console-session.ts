/**
 * What every browser test file of the console shares: the cast's cycle with no timer due during
 * the file, and a console session on the harness's app — the cast's logins and password set, the
 * app listening on a free port, one Chromium, one signed-in page per person and width, the console
 * errors of every page collected, and the checks each page goes through (axe-core, no horizontal
 * scroll, refusals provoked on purpose taken out of the errors).
 */
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { hashPassword } from '../../db/identity';
import { compressedCycle } from '../fixtures/cycles';
import type { Harness } from '../helpers/harness';
import { LAPTOP, launch, newPerson, seriousViolations, type ConsoleError } from './browser';

const DAY = 86_400_000;

export interface Viewport {
  width: number;
  height: number;
}
export interface Person {
  context: BrowserContext;
  page: Page;
}

/** The cast's cycle with every date weeks ahead: nothing in a browser test waits for a timer. */
export function timerFreeCycle(cycleId: string, t0: number) {
  const base = compressedCycle(cycleId, t0);
  const at = (days: number) => new Date(t0 + days * DAY).toISOString();
  return {
    ...base,
    calendar: {
      ...base.calendar,
      proposalDeadline: at(20),
      reviewDeadline: at(25),
      letterDeadline: at(30),
      quarters: [1, 2, 3, 4].map((q) => ({ quarter: q as 1 | 2 | 3 | 4, evidenceDeadline: at(30 + q * 20), inspectionWindowEnd: at(35 + q * 20) })),
      dispatchWindow: { start: at(70), end: at(80) },
      selfAssessmentDeadline: at(115),
      acceptanceWindow: { start: at(110), end: at(130) },
      monthlyReminders: [],
    },
  };
}

export interface ConsoleSessionOptions {
  /** User id → username; each gets `password` and may sign in through the login page. */
  logins: Record<string, string>;
  password: string;
  /** How a new person's browser session is opened (default: `newPerson` with the shared errors). */
  open?: (viewport: Viewport) => Promise<Person>;
}

export interface ConsoleSession {
  /** The app's origin, e.g. http://127.0.0.1:40123 (known once the hooks have run). */
  base(): string;
  browser(): Browser;
  /** Console errors and page errors of every page opened through this session or with `errors`. */
  errors: ConsoleError[];
  /** The pages opened by `as`, by `userId@width`. */
  people: Record<string, Person>;
  /** The person's page at that width, signed in on first use. */
  as(userId: string, viewport?: Viewport): Promise<Page>;
  signIn(page: Page, userId: string): Promise<void>;
  expectAxeClean(page: Page): Promise<void>;
  expectNoHorizontalScroll(page: Page): Promise<void>;
  /** How far the page is wider than the window (its vertical scrollbar included), in px. */
  horizontalOverflow(page: Page): Promise<number>;
  /** Runs `step`, which provokes refusals; the browser logs each refused request, and only those may appear. */
  refusing(statuses: number[], step: () => Promise<void>): Promise<void>;
}

/**
 * A console session on the harness's app. Call it after `useHarness` and after any `beforeAll`
 * that must run before the app listens (data prepared, users inserted): its hooks run after theirs,
 * and its `afterAll` closes the browser before theirs.
 */
export function useConsole(h: Harness, options: ConsoleSessionOptions): ConsoleSession {
  const { logins, password } = options;
  let base = '';
  let browser: Browser | undefined;
  const errors: ConsoleError[] = [];
  const people: Record<string, Person> = {};

  beforeAll(async () => {
    const hash = await hashPassword(password);
    for (const [userId, username] of Object.entries(logins)) {
      await h.db.updateTable('users').set({ username, password_hash: hash, must_change_password: false }).where('id', '=', userId).execute();
    }
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    browser = await launch();
  });
  afterAll(async () => {
    for (const p of Object.values(people)) await p.context.close();
    await browser?.close();
  });

  const session: ConsoleSession = {
    base: () => base,
    browser: () => {
      if (!browser) throw new Error('the browser is launched in beforeAll');
      return browser;
    },
    errors,
    people,
    async signIn(page, userId) {
      await page.goto(`${base}/app/login`);
      await page.getByLabel('用户名或手机号').fill(logins[userId]);
      await page.getByLabel('密码', { exact: true }).fill(password);
      await page.getByRole('button', { name: '登录' }).click();
      await page.waitForURL(/\/app\/tasks$/);
    },
    async as(userId, viewport = LAPTOP) {
      const key = `${userId}@${viewport.width}`;
      if (!people[key]) {
        people[key] = options.open ? await options.open(viewport) : await newPerson(session.browser(), viewport, errors);
        await session.signIn(people[key].page, userId);
      }
      return people[key].page;
    },
    async expectAxeClean(page) {
      // Away from the button just clicked: axe judges the colours at rest, not under the pointer.
      await page.mouse.move(0, 0);
      expect(await seriousViolations(page)).toEqual([]);
    },
    async expectNoHorizontalScroll(page) {
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    },
    horizontalOverflow: (page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    async refusing(statuses, step) {
      const from = errors.length;
      await step();
      const added = errors.splice(from);
      expect(added.length).toBeGreaterThan(0);
      for (const e of added) expect(statuses.some((s) => e.text.includes(`status of ${s}`)), e.text).toBe(true);
    },
  };
  return session;
}
