/**
 * The achievements compilation (成果汇编, seed 001: 编印党建创新成果汇编): the cycle's accepted
 * projects grouped by unit, each with its goal, indicators (baseline → target → actual), grade,
 * score, self-assessment and business impact. Rendered to Markdown and to a printable HTML document.
 */
import { GRADE_LABELS, indicatorProgress, ORIENTATION_LABELS, PROJECT_TYPE_LABELS } from '../workflows/lifecycle';
import type { CycleConfig, Grade, IsoDateTime, Orientation, ProjectState, ProjectType } from '../workflows/lifecycle';
import { chineseDate, escapeHtml, escapeMarkdown, groupBy, numberText, percentText, personName, round, type PersonNames } from './common';
import { htmlDocument, htmlTable, markdownTable } from './html';
import { compareIds, indexOrgs, ORG_KIND_LABELS } from './orgs';
import type { OrgDirectoryEntry } from './orgs';

export interface CompilationIndicator {
  id: string;
  name: string;
  unit: string;
  baseline: number;
  target: number;
  actual: number | null;
  /** 0..1 from baseline to target. */
  progress: number;
  progressText: string;
}

export interface CompilationProject {
  /** Fragment id in the rendered documents (`project-3`). */
  anchor: string;
  projectId: string;
  parentId: string | null;
  /** For a sub-project (1+N), the title of its parent when the parent is among the states. */
  parentTitle: string | null;
  title: string;
  type: ProjectType;
  typeLabel: string;
  isKey: boolean;
  keyLabel: string;
  orientation: Orientation;
  orientationLabel: string;
  orgId: string;
  orgName: string;
  orgKindLabel: string | null;
  leadSecretaryId: string;
  /** The lead secretary's name (their id when the directory does not know them). */
  leadSecretaryName: string;
  businessGoal: string;
  indicators: CompilationIndicator[];
  grade: Grade;
  gradeLabel: string;
  finalScore: number;
  rawScore: number;
  totalDeduction: number;
  selfAssessment: { total: number; narrative: string; businessImpact: string } | null;
  acceptedAt: IsoDateTime;
}

export interface CompilationUnit {
  anchor: string;
  /** null for projects of orgs under no unit (the committee's own, or orgs unknown to the directory). */
  unitId: string | null;
  unitName: string;
  projects: CompilationProject[];
}

export interface AchievementsCompilation {
  cycleId: string;
  year: number;
  title: string;
  projectCount: number;
  units: CompilationUnit[];
}

const NO_UNIT_NAME = '工委及其他';

/**
 * The compilation of a cycle's accepted projects (stage `accepted`: graded 优秀/良好/合格; failed
 * projects are not achievements), top-level projects and sub-projects alike. Units come in the
 * directory's tree order, projects under no unit last; within a unit key projects (重点项目) first,
 * then by final score (highest first), then by project id.
 */
export function achievementsCompilation(
  projects: readonly ProjectState[],
  cycle: CycleConfig,
  orgList: readonly OrgDirectoryEntry[],
  people: PersonNames = new Map(),
): AchievementsCompilation {
  const orgs = indexOrgs(orgList);
  const mine = projects.filter((p) => p.cycleId === cycle.cycleId);
  const titles = new Map(mine.map((p) => [p.id, p.proposal.title]));
  const accepted = mine
    .filter((p) => p.stage === 'accepted' && p.acceptance !== null)
    .sort(
      (a, b) =>
        Number(b.proposal.isKey) - Number(a.proposal.isKey) ||
        (b.acceptance?.finalScore ?? 0) - (a.acceptance?.finalScore ?? 0) ||
        compareIds(a.id, b.id),
    );

  const acceptedOfUnit = groupBy(accepted, (p) => orgs.unitOf(p.orgId));
  const unitKeys: (string | null)[] = [...orgs.units.map((u) => u.id), null];
  const units: CompilationUnit[] = [];
  let projectNo = 0;
  for (const unitId of unitKeys) {
    const members = acceptedOfUnit.get(unitId) ?? [];
    if (members.length === 0) continue;
    units.push({
      anchor: `unit-${units.length + 1}`,
      unitId,
      unitName: unitId === null ? NO_UNIT_NAME : orgs.name(unitId),
      projects: members.map((p) => {
        projectNo += 1;
        const a = p.acceptance as NonNullable<ProjectState['acceptance']>;
        const kind = orgs.kind(p.orgId);
        return {
          anchor: `project-${projectNo}`,
          projectId: p.id,
          parentId: p.parentId,
          parentTitle: p.parentId === null ? null : (titles.get(p.parentId) ?? null),
          title: p.proposal.title,
          type: p.proposal.type,
          typeLabel: PROJECT_TYPE_LABELS[p.proposal.type],
          isKey: p.proposal.isKey,
          keyLabel: p.proposal.isKey ? '重点项目' : '一般项目',
          orientation: p.proposal.orientation,
          orientationLabel: ORIENTATION_LABELS[p.proposal.orientation],
          orgId: p.orgId,
          orgName: orgs.name(p.orgId),
          orgKindLabel: kind === null ? null : ORG_KIND_LABELS[kind],
          leadSecretaryId: p.leadSecretaryId,
          leadSecretaryName: personName(people, p.leadSecretaryId),
          businessGoal: p.proposal.businessGoal,
          indicators: p.proposal.indicators.map((i) => {
            const progress = indicatorProgress(i);
            return {
              id: i.id,
              name: i.name,
              unit: i.unit,
              baseline: i.baseline,
              target: i.target,
              actual: i.actual,
              progress: round(progress, 4),
              progressText: percentText(progress),
            };
          }),
          grade: a.grade,
          gradeLabel: GRADE_LABELS[a.grade],
          finalScore: a.finalScore,
          rawScore: a.rawScore,
          totalDeduction: a.totalDeduction,
          selfAssessment: p.selfAssessment
            ? { total: p.selfAssessment.total, narrative: p.selfAssessment.narrative, businessImpact: p.selfAssessment.businessImpact }
            : null,
          acceptedAt: a.at,
        };
      }),
    });
  }

  return {
    cycleId: cycle.cycleId,
    year: cycle.year,
    title: `${cycle.year}年度党建创新成果汇编`,
    projectCount: projectNo,
    units,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

const INDICATOR_HEADERS = ['指标', '基线值', '目标值', '完成值', '计量单位', '完成度'];

function indicatorCells(i: CompilationIndicator): string[] {
  return [i.name, numberText(i.baseline), numberText(i.target), numberText(i.actual), i.unit, i.progressText];
}

function gradeText(p: CompilationProject): string {
  const deduction = p.totalDeduction > 0 ? `，含减分${numberText(p.totalDeduction)}分` : '';
  return `${p.gradeLabel}（${numberText(p.finalScore)}分${deduction}）`;
}

function fields(p: CompilationProject): [string, string][] {
  const rows: [string, string][] = [
    ['项目类型', `${p.typeLabel}｜${p.keyLabel}｜${p.orientationLabel}`],
    ['承担党组织', p.orgKindLabel ? `${p.orgName}（${p.orgKindLabel}）` : p.orgName],
    ['领办书记', p.leadSecretaryName],
  ];
  if (p.parentId !== null) rows.push(['所属上级项目', p.parentTitle ?? p.parentId]);
  rows.push(['服务业务目标', p.businessGoal], ['验收等次', gradeText(p)], ['验收时间', chineseDate(p.acceptedAt)]);
  if (p.selfAssessment) rows.push(['自评得分', `${numberText(p.selfAssessment.total)}分`]);
  return rows;
}

function intro(c: AchievementsCompilation): string {
  return `本汇编收录${c.year}年度通过年底验收的党建项目${c.projectCount}个，按单位编排。`;
}

/** The compilation as Markdown (Chinese), with a linked table of contents. */
export function renderAchievementsCompilationMarkdown(c: AchievementsCompilation): string {
  const e = escapeMarkdown;
  const out: string[] = [`# ${e(c.title)}`, '', `> ${e(intro(c))}`, ''];
  out.push('## 目录', '');
  c.units.forEach((u, ui) => {
    out.push(`${ui + 1}. [${e(u.unitName)}](#${u.anchor})（${u.projects.length}个）`);
    u.projects.forEach((p, pi) => out.push(`    ${pi + 1}. [${e(p.title)}](#${p.anchor})`));
  });
  out.push('');
  if (c.units.length === 0) out.push('本年度暂无通过验收的项目。', '');
  c.units.forEach((u, ui) => {
    out.push(`<a id="${u.anchor}"></a>`, '', `## ${ui + 1}. ${e(u.unitName)}`, '');
    u.projects.forEach((p, pi) => {
      out.push(`<a id="${p.anchor}"></a>`, '', `### ${ui + 1}.${pi + 1} ${e(p.title)}`, '');
      for (const [k, v] of fields(p)) out.push(`- **${k}**：${e(v)}`);
      out.push('');
      if (p.indicators.length > 0) {
        out.push(markdownTable(INDICATOR_HEADERS, p.indicators.map((i) => indicatorCells(i).map(e)), [1, 2, 3, 5]), '');
      }
      if (p.selfAssessment) {
        out.push(`**自评情况**：${e(p.selfAssessment.narrative)}`, '', `**业务推动成效**：${e(p.selfAssessment.businessImpact)}`, '');
      }
    });
  });
  return out.join('\n');
}

function paragraphHtml(text: string): string {
  return escapeHtml(text).replace(/\r\n?|\n/g, '<br>');
}

/** The compilation as a complete, self-contained, printable HTML document with a table of contents. */
export function renderAchievementsCompilationHtml(c: AchievementsCompilation): string {
  const e = escapeHtml;
  const b: string[] = [`<h1>${e(c.title)}</h1>`, `<p class="meta">${e(intro(c))}</p>`];
  b.push('<nav class="toc" aria-label="目录"><h2>目录</h2><ol>');
  for (const u of c.units) {
    b.push(`<li><a href="#${u.anchor}">${e(u.unitName)}</a>（${u.projects.length}个）<ol>`);
    for (const p of u.projects) b.push(`<li><a href="#${p.anchor}">${e(p.title)}</a></li>`);
    b.push('</ol></li>');
  }
  b.push('</ol></nav>');
  if (c.units.length === 0) b.push('<p class="empty">本年度暂无通过验收的项目。</p>');
  c.units.forEach((u, ui) => {
    b.push(`<section class="unit" id="${u.anchor}"><h2>${ui + 1}. ${e(u.unitName)}</h2>`);
    u.projects.forEach((p, pi) => {
      const badge = p.isKey ? '<span class="badge">重点项目</span>' : '';
      b.push(`<section class="project" id="${p.anchor}"><h3>${ui + 1}.${pi + 1} ${e(p.title)}${badge}</h3>`);
      b.push(`<dl class="fields">${fields(p).map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`);
      if (p.indicators.length > 0) b.push(htmlTable(INDICATOR_HEADERS, p.indicators.map((i) => indicatorCells(i).map(e)), [1, 2, 3, 5]));
      if (p.selfAssessment) {
        b.push(`<h4>自评情况</h4><p>${paragraphHtml(p.selfAssessment.narrative)}</p>`);
        b.push(`<h4>业务推动成效</h4><p>${paragraphHtml(p.selfAssessment.businessImpact)}</p>`);
      }
      b.push('</section>');
    });
    b.push('</section>');
  });
  b.push(`<footer>${e(c.title)} · ${e(c.cycleId)}</footer>`);
  return htmlDocument(c.title, b.join('\n'));
}
