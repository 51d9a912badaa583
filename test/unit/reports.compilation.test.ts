/** The achievements compilation (成果汇编) and its Markdown and printable HTML renderings. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProjectState } from '../../workflows/lifecycle';
import {
  achievementsCompilation,
  escapeHtml,
  escapeMarkdown,
  renderAchievementsCompilationHtml,
  renderAchievementsCompilationMarkdown,
} from '../../reports';
import type { AchievementsCompilation } from '../../reports';
import { buildProject, cycleProjects, makeCycle, ORGS } from './reports.fixtures';

const cycle = makeCycle();
const HOSTILE_TITLE = '<script>alert("x")</script> & “党建+”';

let projects: ProjectState[];
let compilation: AchievementsCompilation;

beforeAll(() => {
  projects = cycleProjects(cycle);
  // An accepted project of an org the directory does not know, with a title that must be escaped.
  const stray = buildProject(
    {
      id: 'p-stray',
      orgId: 'org-x',
      secretaryId: 's-x',
      title: HOSTILE_TITLE,
      stage: 'accepted',
      narrative: '第一行\n第二行 <b>加粗</b>',
      businessImpact: 'a | b',
      scores: [35, 25, 22],
    },
    cycle,
  );
  compilation = achievementsCompilation([...projects, stray], cycle, ORGS, new Map([['s-b1a', '陈预算']]));
});

describe('achievements compilation (成果汇编): content', () => {
  it('collects every accepted project, grouped by unit in the directory’s order, unknown orgs last', () => {
    expect(compilation.title).toBe('2025年度党建创新成果汇编');
    expect(compilation.units.map((u) => [u.unitName, u.projects.map((p) => p.projectId)])).toEqual([
      ['市财政局党组', ['p-oc1', 'p-b1a']],
      ['市商务局党组', ['p-oc2']],
      ['工委及其他', ['p-stray']],
    ]);
    const accepted = projects.filter((p) => p.stage === 'accepted').length + 1;
    expect(compilation.projectCount).toBe(accepted);
    expect(compilation.units.flatMap((u) => u.projects.map((p) => p.anchor))).toEqual(['project-1', 'project-2', 'project-3', 'project-4']);
  });

  it('leaves out failed, terminated and unfinished projects', () => {
    const ids = compilation.units.flatMap((u) => u.projects.map((p) => p.projectId));
    for (const p of projects.filter((x) => x.stage !== 'accepted')) expect(ids).not.toContain(p.id);
  });

  it('describes each project: type, key flag, org, secretary, goal, indicators, grade, score, self-assessment', () => {
    const p = compilation.units[0].projects[1];
    expect(p).toMatchObject({
      projectId: 'p-b1a',
      title: '预算评审“破题”攻坚项目',
      typeLabel: '破题型',
      isKey: true,
      keyLabel: '重点项目',
      orgName: '预算处党支部',
      orgKindLabel: '党支部',
      leadSecretaryId: 's-b1a',
      leadSecretaryName: '陈预算',
      businessGoal: '企业开办时间压缩至1个工作日',
      grade: 'good',
      gradeLabel: '良好',
      finalScore: 85,
      rawScore: 88,
      totalDeduction: 3,
      selfAssessment: { total: 90, narrative: '全年指标全部完成', businessImpact: '推动业务工作提质增效' },
    });
    expect(p.indicators).toEqual([
      { id: 'i1', name: '企业满意度', unit: '%', baseline: 80, target: 100, actual: 90, progress: 0.5, progressText: '50%' },
      { id: 'i2', name: '上门服务次数', unit: '次', baseline: 0, target: 20, actual: 15, progress: 0.75, progressText: '75%' },
    ]);
    expect(compilation.units[0].projects[0]).toMatchObject({ projectId: 'p-oc1', gradeLabel: '优秀', finalScore: 92 });
  });

  it('is plain JSON and deterministic', () => {
    expect(JSON.parse(JSON.stringify(compilation))).toEqual(compilation);
    const again = achievementsCompilation([...projects].reverse().concat(), cycle, ORGS, new Map([['s-b1a', '陈预算']]));
    expect(again.units.slice(0, 2)).toEqual(compilation.units.slice(0, 2));
  });
});

describe('escaping', () => {
  it('escapes HTML special characters', () => {
    expect(escapeHtml('<script>alert("x")</script> & \'y\'')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(escapeHtml(null)).toBe('');
  });

  it('escapes Markdown so user text cannot become markup, keeping ordinary punctuation readable', () => {
    expect(escapeMarkdown('<script>x</script>')).toBe('\\<script\\>x\\</script\\>');
    expect(escapeMarkdown('a | b\nc')).toBe('a \\| b c');
    expect(escapeMarkdown('# 标题')).toBe('\\# 标题');
    // Decimals are text, not list markers: no backslash in 255.97 or 96.3分.
    expect(escapeMarkdown('255.97')).toBe('255.97');
    expect(escapeMarkdown('96.3分')).toBe('96.3分');
    expect(escapeMarkdown('1. 第一项')).toBe('1\\. 第一项');
    expect(escapeMarkdown('“党建+”1+N分解(试点)')).toBe('“党建+”1+N分解(试点)');
  });
});

describe('achievements compilation (成果汇编): rendering', () => {
  it('renders a complete, self-contained, printable HTML document with a table of contents', () => {
    const html = renderAchievementsCompilationHtml(compilation);
    expect(html.startsWith('<!doctype html>\n<html lang="zh-CN">')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<title>2025年度党建创新成果汇编</title>');
    expect(html).toMatch(/<style>[\s\S]*@media print[\s\S]*<\/style>/);
    expect(html).toContain('@page');
    expect(html).toContain('<nav class="toc"');
    for (const anchor of ['unit-1', 'unit-2', 'unit-3', 'project-1', 'project-4']) {
      expect(html).toContain(`href="#${anchor}"`);
      expect(html).toContain(`id="${anchor}"`);
    }
    // Self-contained: no scripts, stylesheets, images or fonts fetched from elsewhere.
    expect(html).not.toMatch(/<link|<img|src=|url\(/);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('escapes a <script> in a title, everywhere it appears', () => {
    const html = renderAchievementsCompilationHtml(compilation);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; “党建+”');
    // In the table of contents and in the heading.
    expect(html.split('&lt;script&gt;').length - 1).toBe(2);
    expect(html).toContain('第一行<br>第二行 &lt;b&gt;加粗&lt;/b&gt;');
  });

  it('renders the key facts of every project in HTML', () => {
    const html = renderAchievementsCompilationHtml(compilation);
    for (const text of ['市财政局党组', '“党建+预算绩效”提升项目', '优秀（92分）', '良好（85分，含减分3分）', '预算绩效评价覆盖率达到100%', '财政资金使用效益明显提升', '<td class="num">96</td>']) {
      expect(html).toContain(text);
    }
  });

  it('renders Markdown with a linked table of contents, indicators and escaped user text', () => {
    const md = renderAchievementsCompilationMarkdown(compilation);
    expect(md.startsWith('# 2025年度党建创新成果汇编\n')).toBe(true);
    expect(md).toContain('1. [市财政局党组](#unit-1)（2个）');
    expect(md).toContain('    2. [预算评审“破题”攻坚项目](#project-2)');
    expect(md).toContain('### 1.2 预算评审“破题”攻坚项目');
    expect(md).toContain('- **验收等次**：良好（85分，含减分3分）');
    expect(md).toContain('| 企业满意度 | 80 | 100 | 90 | % | 50% |');
    expect(md).toContain('\\<script\\>');
    expect(md).not.toMatch(/(^|[^\\])<script/m);
    expect(md).toContain('**业务推动成效**：a \\| b');
  });

  it('says so when no project was accepted', () => {
    const empty = achievementsCompilation(
      projects.filter((p) => p.stage !== 'accepted'),
      cycle,
      ORGS,
    );
    expect(empty.units).toEqual([]);
    expect(renderAchievementsCompilationMarkdown(empty)).toContain('本年度暂无通过验收的项目。');
    expect(renderAchievementsCompilationHtml(empty)).toContain('本年度暂无通过验收的项目。');
  });
});
