/**
 * The browser side of the e2e tests: Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
 * driven by playwright-core, one context per person (its own session cookie), Chinese locale and
 * Beijing time; every console error and page error is collected; axe-core runs on demand.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const SCREENSHOT_DIR = path.join(__dirname, '..', '..', 'artifacts', 'screenshots');
export const LAPTOP = { width: 1366, height: 860 };
export const PHONE = { width: 390, height: 844 };

export interface ConsoleError {
  page: string;
  text: string;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
}

export async function newPerson(browser: Browser, viewport = LAPTOP, errors: ConsoleError[] = []): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', isMobile: viewport.width < 600, hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (error) => errors.push({ page: page.url(), text: `page error: ${error.message}` }));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Before signing in the console asks GET /me who is there; the browser logs that expected 401 itself.
    if (/status of 401/.test(message.text()) && /\/me$/.test(message.location().url)) return;
    errors.push({ page: page.url(), text: message.text() });
  });
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Transitions finished (a dialog caught mid-fade shows the page through it).
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Waits until every CSS transition and animation on the page has finished (infinite ones, such as spinners, are left running). */
export async function settleAnimations(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (let round = 0; round < 5; round++) {
      const running = document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getComputedTiming().endTime !== Infinity);
      if (running.length === 0) return;
      await Promise.race([Promise.all(running.map((a) => a.finished.catch(() => undefined))), new Promise((r) => setTimeout(r, 2000))]);
    }
  });
}

/** axe-core's serious and critical WCAG A/AA violations on the page as it is, once its transitions have finished. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  // Judge the colours at rest: a tag or dialog still fading in has a partial opacity whose blended
  // colour fails contrast (one CI run caught an el-tag mid-transition).
  await settleAnimations(page);
  await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
  });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}
