/** The quarterly work report (季度工作报告) over the replayed cycle of reports.fixtures.ts. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProjectState } from '../../workflows/lifecycle';
import { quarterlyReport, renderQuarterlyReportHtml, renderQuarterlyReportMarkdown } from '../../reports';
import type { QuarterlyReport } from '../../reports';
import { at, cycleProjects, makeCycle, ORGS } from './reports.fixtures';

const cycle = makeCycle();
const AFTER_Q2_INSPECTIONS = at('2025-07-16', '10:00');

let projects: ProjectState[];
let q2: QuarterlyReport;

beforeAll(() => {
  projects = cycleProjects(cycle);
  q2 = quarterlyReport(projects, cycle, ORGS, 2, AFTER_Q2_INSPECTIONS);
});

describe('quarterly report (季度工作报告): content', () => {
  it('is titled after the year and the quarter in Chinese', () => {
    expect(q2.title).toBe('2025年第二季度党建项目督查工作报告');
    expect(quarterlyReport(projects, makeCycle({ year: 2026, cycleId: 'cycle-2025' }), ORGS, 2, AFTER_Q2_INSPECTIONS).title).toBe(
      '2026年第二季度党建项目督查工作报告',
    );
    expect(quarterlyReport(projects, cycle, ORGS, 4, AFTER_Q2_INSPECTIONS).title).toBe('2025年第四季度党建项目督查工作报告');
    expect(q2).toMatchObject({ quarter: 2, quarterLabel: '第二季度', calendar: { evidenceDeadline: '2025-06-30', inspectionWindowEnd: '2025-07-15' } });
    expect(q2.asOfLabel).toBe('2025年7月16日 10:00');
  });

  it('summarises the quarter’s inspection ratings', () => {
    const rated = (r: string) => projects.filter((p) => p.inspections.some((i) => i.quarter === 2 && i.rating === r)).length;
    expect(q2.summary).toMatchObject({
      projects: projects.length,
      underInspection: projects.filter((p) => p.stage === 'in_progress' || p.stage === 'self_assessed').length,
      due: 8,
      inspected: 8,
      notRated: 0,
      onTrack: rated('on_track'),
      lagging: rated('lagging'),
      stalled: rated('stalled'),
      onTrackRate: 0.5,
      onTrackRateText: '50%',
    });
    expect(q2.ratings.distribution.map((d) => [d.label, d.count])).toEqual([
      ['按期推进', 4],
      ['进度滞后', 3],
      ['停滞', 1],
      ['尚未评价', 0],
    ]);
  });

  it('lists the problems found that quarter with their ledger status, sorted by responsible org', () => {
    const found = projects.flatMap((p) => p.ledger.filter((e) => e.quarter === 2).map((e) => e.id));
    expect(q2.problems.map((p) => p.entryId).sort()).toEqual([...found].sort());
    expect(q2.problems.map((p) => [p.entryId, p.projectTitle, p.responsibleOrgName, p.statusLabel, p.overdue])).toEqual([
      ['L-b1a-1', '预算评审“破题”攻坚项目', '预算处党支部', '已销号', false],
      ['L-b1b-3', '国库支付便民服务项目', '预算处党支部', '已销号', false],
      ['L-oc2-1', '外贸企业“出海”破题项目', '市商务局机关党委', '已销号', false],
      ['L-t-1', '外贸服务专班项目', '外贸处党支部', '待整改', false],
    ]);
    expect(q2.summary.problemsFound).toBe(4);
  });

  it('gives the ledger status of the quarter and cumulated up to it, overdue as of asOf', () => {
    expect(q2.ledger.quarter).toMatchObject({ total: 4, closed: 3, open: 1, overdue: 0, rectificationRate: 0.75 });
    // Q1 and Q2 entries: the Q3 entry L-oc2-2 is not yet part of a Q2 report.
    expect(q2.ledger.cumulative).toMatchObject({ total: 7, closed: 4, reported: 1, open: 2, overdue: 1, rectificationRateText: '57.14%' });
    expect(q2.ledger.overdue.map((o) => o.entryId)).toEqual(['L-b1b-1']);
    expect(q2.summary).toMatchObject({ rectificationRate: 0.5714, overdue: 1 });

    const later = quarterlyReport(projects, cycle, ORGS, 2, at('2025-08-01'));
    expect(later.ledger.overdue.map((o) => o.entryId)).toEqual(['L-b1b-1', 'L-t-1']);
    expect(later.problems.find((p) => p.entryId === 'L-t-1')?.overdue).toBe(true);
  });

  it('lists lagging and stalled projects grouped by org, in the directory’s order, with Chinese findings', () => {
    expect(q2.laggingByOrg.map((g) => [g.orgName, g.unitName, g.projects.map((p) => [p.projectId, p.ratingLabel])])).toEqual([
      [
        '预算处党支部',
        '市财政局党组',
        [
          ['p-b1a', '进度滞后'],
          ['p-u1-c1', '进度滞后'],
        ],
      ],
      ['国库处党支部', '市财政局党组', [['p-b1b', '进度滞后']]],
      ['外贸处党支部', '市商务局党组', [['p-t', '停滞']]],
    ]);
    const sub = q2.laggingByOrg[0].projects[1];
    expect(sub).toMatchObject({ parentId: 'p-u1', findings: ['第二季度未按期提交佐证材料', '子项目推进缓慢'] });
    const lagging = projects.filter((p) => p.inspections.some((i) => i.quarter === 2 && (i.rating === 'lagging' || i.rating === 'stalled')));
    expect(q2.laggingByOrg.flatMap((g) => g.projects).length).toBe(lagging.length);
  });

  it('lists projects with missing evidence that quarter, and late evidence of that quarter only', () => {
    expect(q2.missingEvidence.map((m) => m.projectId)).toEqual(['p-u1-c1', 'p-b1b']);
    expect(q2.lateEvidence).toEqual([]);
    const q1 = quarterlyReport(projects, cycle, ORGS, 1, at('2025-04-20'));
    expect(q1.missingEvidence.map((m) => m.projectId)).toEqual(['p-b1a']);
    expect(q1.lateEvidence.map((l) => [l.projectId, l.late[0].firstSubmittedAt])).toEqual([['p-b1a', at('2025-04-05')]]);
    expect(q1.summary).toMatchObject({ missingEvidence: 1, lateEvidence: 1 });
  });

  it('counts projects under way but not yet rated as due once the quarter’s deadline passed', () => {
    const q3 = quarterlyReport(projects, cycle, ORGS, 3, at('2025-10-20'));
    expect(q3.summary).toMatchObject({ due: 7, inspected: 4, notRated: 3 });
  });

  it('refuses a quarter outside 1..4 and an asOf without an offset', () => {
    expect(() => quarterlyReport(projects, cycle, ORGS, 5 as never, AFTER_Q2_INSPECTIONS)).toThrow(RangeError);
    expect(() => quarterlyReport(projects, cycle, ORGS, 2, '2025-07-16 10:00')).toThrow(/asOf/);
  });
});

describe('quarterly report (季度工作报告): rendering', () => {
  it('renders Markdown in Chinese with the key numbers', () => {
    const md = renderQuarterlyReportMarkdown(q2);
    expect(md.startsWith('# 2025年第二季度党建项目督查工作报告\n')).toBe(true);
    for (const text of [
      '本季度应督查项目8个',
      '已督查评价8个',
      '按期推进4个',
      '进度滞后3个',
      '停滞1个',
      '督查发现问题4个',
      '整改率57.14%',
      '逾期未销号1个',
      '| 本季度发现 | 4 | 3 | 0 | 1 | 0 | 75% |',
      '| 截至本季度累计 | 7 | 4 | 1 | 2 | 1 | 57.14% |',
      '### 市财政局党组 · 预算处党支部',
      '服务窗口未设立（国库支付便民服务项目，整改时限2025年5月31日，待整改）',
      '## 六、佐证材料缺失及逾期提交情况',
    ]) {
      expect(md).toContain(text);
    }
    // An inspector's finding is user text: it is escaped, never raw HTML.
    expect(md).toContain('台账\\<缺失\\>');
  });

  it('renders a complete HTML document in Chinese with the key numbers, escaping user text', () => {
    const html = renderQuarterlyReportHtml(q2);
    expect(html.startsWith('<!doctype html>\n<html lang="zh-CN">')).toBe(true);
    expect(html).toContain('<title>2025年第二季度党建项目督查工作报告</title>');
    expect(html).toContain('<h1>2025年第二季度党建项目督查工作报告</h1>');
    expect(html).toContain('<li><b>57.14%</b>整改率（累计）</li>');
    expect(html).toContain('<li><b>8</b>应督查</li>');
    expect(html).toContain('台账&lt;缺失&gt;');
    expect(html).not.toContain('<缺失>');
    expect(html).toContain('@media print');
  });

  it('says so plainly when a quarter has no problems, no laggards and no missing evidence', () => {
    const q4 = quarterlyReport(
      projects.filter((p) => p.stage === 'accepted'),
      cycle,
      ORGS,
      4,
      at('2025-12-31'),
    );
    const md = renderQuarterlyReportMarkdown(q4);
    expect(md).toContain('本季度督查未发现问题。');
    expect(md).toContain('本季度无进度滞后或停滞项目。');
    expect(md).toContain('本季度佐证材料均按期提交。');
    expect(renderQuarterlyReportHtml(q4)).toContain('<p class="empty">本季度督查未发现问题。</p>');
  });
});
