/**
 * The reports' server-side charts (inline SVG through ECharts' SSR renderer) and the "—" of a
 * rate with nothing to count, in JSON (null), Markdown and HTML.
 */
import { describe, expect, it } from 'vitest';
import {
  committeeFigures,
  NO_RATE_TEXT,
  quarterlyReport,
  ratingsPerQuarterChart,
  rateOf,
  rateText,
  rectificationByUnitChart,
  renderCommitteeFiguresHtml,
  renderQuarterlyReportHtml,
  renderQuarterlyReportMarkdown,
  stageChart,
  typeChart,
} from '../../reports';
import type { QuarterRatings } from '../../reports';
import { at, cycleProjects, makeCycle, ORGS } from './reports.fixtures';

const quarter = (q: 1 | 2 | 3 | 4, onTrack: number, lagging: number, stalled: number, notRated: number): QuarterRatings => ({
  quarter: q,
  quarterLabel: ['第一季度', '第二季度', '第三季度', '第四季度'][q - 1],
  evidenceDeadline: null,
  due: onTrack + lagging + stalled + notRated,
  onTrack,
  lagging,
  stalled,
  notRated,
  distribution: [],
});

const svgCount = (html: string) => (html.match(/<svg[\s>]/g) ?? []).length;
/** The document's text without its charts (whose axes read 0%…100%) and its style sheet. */
const withoutCharts = (html: string) => html.replace(/<svg[^]*?<\/svg>/g, '').replace(/<style>[^]*?<\/style>/g, '');

describe('chart builders', () => {
  it('draws ratings per quarter as one stacked bar per quarter, labelled in Chinese', () => {
    const chart = ratingsPerQuarterChart([quarter(1, 8, 2, 0, 0), quarter(2, 5, 3, 1, 1), quarter(3, 0, 0, 0, 0), quarter(4, 0, 0, 0, 0)]);
    expect(chart.svg.startsWith('<svg')).toBe(true);
    expect(chart.svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    for (const label of ['第一季度', '第二季度', '按期推进', '进度滞后', '停滞', '尚未评价', '各季度督查评价分布']) expect(chart.svg).toContain(label);
    // Bars carry their counts; zero segments carry no label.
    expect(chart.svg).toMatch(/>8<\/text>/);
    expect(chart.svg).not.toMatch(/>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>[^]*>0<\/text>/);
    expect(chart.svg).toContain('role="img"');
    expect(chart.svg).toContain('<title id="chart-ratings-title">');
  });

  it('draws rectification by unit in percent, and "—" without a bar for a unit with nothing to count', () => {
    const chart = rectificationByUnitChart([
      { unitName: '市公安局', total: 8, closed: 6, rate: 0.75 },
      { unitName: '市医疗保障局', total: 0, closed: 0, rate: null },
    ]);
    expect(chart.svg).toContain('75%（6/8）');
    expect(chart.svg).toContain('—（无整改问题）');
    expect(chart.svg).not.toContain('0%（0/0）');
    expect(chart.svg).toContain('市医疗保障局');
  });

  it('draws projects by stage (only stages with projects) and by type', () => {
    const stages = stageChart([
      { key: 'draft', label: '草稿', count: 3 },
      { key: 'in_review', label: '审核中', count: 0 },
      { key: 'accepted', label: '已验收', count: 2 },
    ]);
    expect(stages.svg).toContain('草稿');
    expect(stages.svg).toContain('已验收');
    expect(stages.svg).not.toContain('审核中');
    const types = typeChart([
      { key: 'service', label: '服务型', count: 4 },
      { key: 'breakthrough', label: '破题型', count: 1 },
    ]);
    expect(types.svg).toContain('服务型');
    expect(types.svg).toContain('4个');
  });

  it('escapes text and gives the same bytes for the same figures, whatever was rendered before', () => {
    const units = [{ unitName: '<script>alert(1)</script>', total: 1, closed: 1, rate: 1 }];
    const a = rectificationByUnitChart(units).svg;
    ratingsPerQuarterChart([quarter(1, 1, 0, 0, 0)]);
    const b = rectificationByUnitChart(units).svg;
    expect(a).toBe(b);
    expect(a).not.toContain('<script>');
    expect(a).toContain('&lt;script&gt;');
    expect(a).not.toMatch(/zr\d+-/);
  });
});

describe('a rate with nothing to count reads "—"', () => {
  it('rateOf and rateText', () => {
    expect(rateOf(0, 0)).toBeNull();
    expect(rateText(null)).toBe(NO_RATE_TEXT);
    expect(NO_RATE_TEXT).toBe('—');
    expect(rateText(rateOf(205, 208))).toBe('98.56%');
    expect(rateText(rateOf(0, 3))).toBe('0%');
  });

  it('figures of a cycle without ledger entries: null and "—" in JSON and HTML, never 100%', () => {
    const cycle = makeCycle();
    const projects = cycleProjects(cycle).map((p) => ({ ...p, ledger: [] }));
    const f = committeeFigures(projects, cycle, ORGS, at('2025-12-31', '18:00'));
    expect(f.totals.ledger).toMatchObject({ total: 0, rectificationRate: null, rectificationRateText: '—', cleared: true });
    const html = renderCommitteeFiguresHtml(f);
    expect(withoutCharts(html)).not.toContain('100%');
    expect(html).toContain('—（无整改问题）');
    expect(html).toContain('<li><b>—</b>整改率</li>');
    expect(svgCount(html)).toBeGreaterThanOrEqual(4);
  });

  it('the quarterly report: on-track rate and rectification rate "—" when nothing was rated or recorded, in JSON, Markdown and HTML', () => {
    const cycle = makeCycle();
    const projects = cycleProjects(cycle).map((p) => ({ ...p, ledger: [], inspections: [] }));
    const r = quarterlyReport(projects, cycle, ORGS, 2, at('2025-03-01', '09:00'));
    expect(r.summary).toMatchObject({ inspected: 0, onTrackRate: null, onTrackRateText: '—', rectificationRate: null, rectificationRateText: '—' });
    expect(r.overview.rectificationByUnit.every((u) => u.rectificationRate === null && u.rectificationRateText === '—')).toBe(true);
    const md = renderQuarterlyReportMarkdown(r);
    expect(md).toContain('按期推进率—');
    expect(md).toContain('整改率—');
    expect(md).not.toContain('100%');
    const html = renderQuarterlyReportHtml(r);
    expect(html).toContain('整改率—');
    expect(withoutCharts(html)).not.toContain('100%');
  });

  it('the quarterly HTML report carries its four charts inline, and stays one document', () => {
    const cycle = makeCycle();
    const r = quarterlyReport(cycleProjects(cycle), cycle, ORGS, 2, at('2025-07-20', '09:00'));
    expect(r.overview.ratingsByQuarter.map((q) => q.quarter)).toEqual([1, 2, 3, 4]);
    expect(r.overview.ratingsByQuarter[1]).toEqual(r.ratings);
    const html = renderQuarterlyReportHtml(r);
    expect(svgCount(html)).toBe(4);
    for (const id of ['chart-stages', 'chart-types', 'chart-ratings', 'chart-rectification']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });
});
