/**
 * The living demo (issue #16): the demo year is driven on the suite's real Temporal and
 * PostgreSQL through the services people's requests go through, then read back through the API —
 * figures in many stages, open and closed ledger entries, accepted projects in the compilation and
 * the best-of lists, charts in the quarterly report — and a second run adds nothing. A sample of
 * the demo projects verifies in the audit. Screenshots of the quarterly report and the compilation
 * (headless Chromium, CJK fonts) go to artifacts/screenshots/reports/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyProject } from '../../audit/verify';
import { issueToken } from '../../db/auth';
import { createFileContentStore } from '../../db/content-store';
import { loadConfig } from '../../config';
import { DEMO_CYCLE_ID, DEMO_LEDGER_PROJECT, ensureDemoCity, ensureDemoYear, type DemoSummary } from '../../scripts/demo';
import { useHarness } from '../helpers/harness';

type Json = Record<string, any>;

const SCREENSHOTS = path.resolve(__dirname, '../../artifacts/screenshots/reports');

describe('the living demo: a year in motion, reports with pictures', () => {
  const h = useHarness({ name: 'demo' });
  const store = createFileContentStore(loadConfig().evidenceDir);
  let first: DemoSummary;
  let token: string;
  const lines: string[] = [];

  async function eventCount(): Promise<number> {
    const row = await sql<{ n: string }>`select count(*) as n from project_events e join projects p on p.id = e.project_id where p.cycle_id = ${DEMO_CYCLE_ID}`.execute(h.db);
    return Number(row.rows[0].n);
  }

  beforeAll(async () => {
    first = await ensureDemoYear(h.db, h.temporal.client, h.temporal.taskQueue, { store, progress: (line) => lines.push(line) });
    token = await issueToken(h.db, 'u-committee-01', 'demo test');
    process.stdout.write(`demo: first run ${first.durationMs} ms, ${first.actions} actions\n`);
  }, 240_000);

  const get = (url: string) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

  it('drives the year in under a minute, printing progress', () => {
    expect(first.actions).toBeGreaterThan(100);
    expect(first.durationMs).toBeLessThan(60_000);
    expect(lines.some((l) => /projects driven/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^demo: ready in/);
  });

  it('shows projects in at least six stages, open and closed ledger entries, an overdue and escalated one', async () => {
    const response = await get(`/cycles/${DEMO_CYCLE_ID}/figures`);
    expect(response.statusCode, response.body).toBe(200);
    const figures = response.json();
    const stages = figures.totals.byStage.filter((c: Json) => c.count > 0).map((c: Json) => c.key);
    expect(stages.length, stages.join(',')).toBeGreaterThanOrEqual(6);
    expect(stages).toEqual(expect.arrayContaining(['draft', 'in_review', 'approved', 'rejected', 'in_progress', 'self_assessed', 'accepted', 'failed', 'terminated', 'cancelled']));
    const ledger = figures.totals.ledger;
    expect(ledger.open).toBeGreaterThan(0);
    expect(ledger.reported).toBeGreaterThan(0);
    expect(ledger.closed).toBeGreaterThan(ledger.total / 3);
    expect(ledger.overdue).toBeGreaterThan(0);
    expect(figures.inspections.find((q: Json) => q.quarter === 2)).toMatchObject({ onTrack: expect.any(Number), lagging: expect.any(Number), stalled: expect.any(Number) });
    expect(figures.inspections[1].lagging + figures.inspections[1].stalled).toBeGreaterThan(0);

    const showcase = (await get(`/projects/${DEMO_LEDGER_PROJECT}`)).json();
    const entries: Json[] = showcase.state?.ledger ?? showcase.ledger;
    expect(entries.some((e) => e.escalatedAt !== null)).toBe(true);
    expect(entries.some((e) => e.sendBacks.length > 0 && e.status === 'open')).toBe(true);
    expect(entries.some((e) => e.status === 'reported')).toBe(true);
  });

  it('has accepted projects in the compilation and the best-of lists', async () => {
    const compilation = (await get(`/reports/cycles/${DEMO_CYCLE_ID}/compilation?format=json`)).json();
    expect(compilation.projectCount).toBeGreaterThanOrEqual(1);
    const bestOf = (await get(`/cycles/${DEMO_CYCLE_ID}/best-of`)).json();
    expect(bestOf.lists[0].entries.length).toBeGreaterThanOrEqual(1);
    const deductions = compilation.units.flatMap((u: Json) => u.projects).filter((p: Json) => p.totalDeduction > 0);
    expect(deductions.length).toBeGreaterThanOrEqual(1);
  });

  it('renders the quarterly report and the figures with inline SVG charts', async () => {
    const quarterly = await get(`/reports/cycles/${DEMO_CYCLE_ID}/quarterly?quarter=2&format=html`);
    expect(quarterly.statusCode).toBe(200);
    expect(quarterly.body).toContain('<svg');
    const figures = await get(`/cycles/${DEMO_CYCLE_ID}/figures?format=html`);
    expect(figures.statusCode, figures.body.slice(0, 300)).toBe(200);
    expect((figures.body.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });

  it('a second run finds the demo and adds nothing', async () => {
    const before = await eventCount();
    const again: string[] = [];
    const t0 = Date.now();
    const logins = await ensureDemoCity(h.db, h.temporal.client, h.temporal.taskQueue, { store, progress: (line) => again.push(line) });
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(again.at(-1)).toMatch(/\(0 actions, \d+ steps already done\)/);
    expect(await eventCount()).toBe(before);
    expect(logins.map((l) => l.role)).toEqual(['committee', 'secretary', 'inspector', 'auditor', 'member']);
    const secretary = logins.find((l) => l.role === 'secretary')!;
    const tasks = await h.app.inject({ method: 'GET', url: '/me/tasks', headers: { authorization: `Bearer ${secretary.token}` } });
    expect(tasks.statusCode).toBe(200);
    expect(tasks.json().total).toBeGreaterThan(0);
  }, 120_000);

  it('every demo project verifies in the audit (each top-level project with its sub-projects)', async () => {
    const ids = (await h.db.selectFrom('projects').select('id').where('cycle_id', '=', DEMO_CYCLE_ID).where('parent_id', 'is', null).orderBy('id').execute()).map((r) => r.id);
    expect(ids.length).toBe(23);
    for (const id of ids) {
      const report = await verifyProject({ db: h.db, temporal: h.temporal.client, store }, id);
      expect(report.ok, `${id}: ${JSON.stringify(report.checks.filter((c) => !c.ok)).slice(0, 2000)}`).toBe(true);
    }
  }, 240_000);

  it('screenshots the quarterly report and the compilation (headless Chromium)', async () => {
    const { chromium } = await import('playwright-core');
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 1400 }, locale: 'zh-CN' });
      for (const [name, url] of [
        ['quarterly-q2.png', `/reports/cycles/${DEMO_CYCLE_ID}/quarterly?quarter=2&format=html`],
        ['figures.png', `/cycles/${DEMO_CYCLE_ID}/figures?format=html`],
        ['compilation.png', `/reports/cycles/${DEMO_CYCLE_ID}/compilation`],
      ] as const) {
        const response = await get(url);
        expect(response.statusCode).toBe(200);
        await page.setContent(response.body, { waitUntil: 'load' });
        await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage: true });
        expect(fs.statSync(path.join(SCREENSHOTS, name)).size).toBeGreaterThan(10_000);
      }
    } finally {
      await browser.close();
    }
  }, 120_000);
});
