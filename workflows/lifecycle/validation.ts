/**
 * Payload validators. They check runtime types too: events reach the machine from JSON (API
 * requests, signals, stored histories), so the TypeScript types alone prove nothing.
 * Each returns the first refusal found, or null.
 */
import { invalid } from './refusals';
import { deadlineMs, isIsoDate, isIsoDateTime, isIsoDeadline, yearOf } from './time';
import type {
  CriterionScore,
  CycleConfig,
  DeductionCode,
  EvidenceFile,
  Indicator,
  IndicatorActual,
  IndicatorInput,
  Milestone,
  OrgUser,
  ProposalInput,
  Refusal,
  RubricCriterion,
} from './types';

export const TITLE_MAX = 200;
export const TEXT_MAX = 10_000;
export const ID_MAX = 200;

const PROJECT_TYPES = ['service', 'improvement', 'breakthrough'] as const;
const ORIENTATIONS = ['goal', 'problem'] as const;
const DEDUCTION_CODES: readonly DeductionCode[] = ['open_ledger_entry', 'missing_evidence', 'negative_list'];
const SHA256_RE = /^[0-9a-fA-F]{64}$/;
const WEIGHT_EPSILON = 1e-9;

/**
 * Length in characters (code points), the unit people count and ajv's maxLength counts: `.length`
 * counts UTF-16 units, so a title of 200 characters outside the BMP (rare CJK ideographs, emoji)
 * measured 400 and was refused although the API accepted it. Counting code points only relaxes,
 * so every committed history still replays.
 */
export function charCount(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

/**
 * Blank: nothing a reader can see. `trim()` removes whitespace and the BOM but not the zero-width
 * space, joiner and non-joiner (U+200B–U+200D) nor the word joiner (U+2060), so a title made of
 * those looked filled in and showed up empty everywhere.
 */
const BLANK = /^[\s\u200B-\u200D\u2060\uFEFF]*$/u;

export function isBlank(value: string): boolean {
  return BLANK.test(value);
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && charCount(value) <= ID_MAX;
}

export function isText(value: unknown, max = TEXT_MAX): value is string {
  return typeof value === 'string' && !isBlank(value) && charCount(value) <= max;
}

export function oneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A required free-text field. */
export function requireText(value: unknown, rule: string, fieldEn: string, fieldZh: string, max = TEXT_MAX): Refusal | null {
  if (isText(value, max)) return null;
  return invalid(rule, `${fieldEn} must be non-empty text of at most ${max} characters`, `${fieldZh}不能为空且不超过${max}字`);
}

/** An optional free-text field: absent, null, or valid text. */
export function optionalText(value: unknown, rule: string, fieldEn: string, fieldZh: string, max = TEXT_MAX): Refusal | null {
  if (value === undefined || value === null) return null;
  return requireText(value, rule, fieldEn, fieldZh, max);
}

export function validateOrgUser(value: unknown, rule: string, whoEn: string, whoZh: string): Refusal | null {
  const v = value as Partial<OrgUser> | null | undefined;
  if (v !== null && typeof v === 'object' && isId(v.orgId) && isId(v.userId)) return null;
  return invalid(rule, `${whoEn} needs an orgId and a userId`, `${whoZh}须指定组织和人员`);
}

function firstDuplicate(ids: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) return id;
    seen.add(id);
  }
  return null;
}

export function validateTitle(value: unknown): Refusal | null {
  if (typeof value === 'string' && value.length > 0 && isBlank(value)) {
    // The rule a whitespace-only title always had; the message now says why it counts as empty.
    return invalid('payload.title_length', 'title must contain visible characters', '项目名称不能为空，也不能只含空格或零宽字符等不可见字符');
  }
  if (typeof value === 'string' && value.trim().length >= 1 && charCount(value) <= TITLE_MAX) return null;
  return invalid('payload.title_length', `title must be 1..${TITLE_MAX} characters`, `项目名称须为1至${TITLE_MAX}个字`);
}

export function validateIndicators(value: unknown): Refusal | null {
  if (!Array.isArray(value)) return invalid('payload.indicators', 'indicators must be a list', '指标须为列表');
  const list = value as Partial<IndicatorInput>[];
  for (const ind of list) {
    if (ind === null || typeof ind !== 'object' || !isId(ind.id)) {
      return invalid('payload.indicator_id', 'every indicator needs an id', '每个指标须有编号');
    }
    if (!isText(ind.name, TITLE_MAX)) {
      return invalid('payload.indicator_name', `indicator ${ind.id} needs a name`, `指标${ind.id}须填写名称`);
    }
    if (!isText(ind.unit, 50)) {
      return invalid('payload.indicator_unit', `indicator ${ind.id} needs a unit`, `指标${ind.id}须填写计量单位`);
    }
    if (!isFiniteNumber(ind.baseline) || !isFiniteNumber(ind.target)) {
      return invalid(
        'payload.indicator_not_finite',
        `indicator ${ind.id} needs a finite baseline and target`,
        `指标${ind.id}的基线值和目标值须为有效数字`,
      );
    }
    if (ind.target === ind.baseline) {
      return invalid(
        'payload.indicator_target_equals_baseline',
        `indicator ${ind.id} must have a target different from its baseline`,
        `指标${ind.id}的目标值不能等于基线值`,
      );
    }
    if (!isFiniteNumber(ind.weight) || ind.weight <= 0) {
      return invalid('payload.indicator_weight', `indicator ${ind.id} needs a weight above 0`, `指标${ind.id}的权重须大于0`);
    }
  }
  const dup = firstDuplicate(list.map((i) => i.id as string));
  if (dup !== null) return invalid('payload.duplicate_indicator_id', `indicator id ${dup} is used twice`, `指标编号${dup}重复`);
  if (list.length > 0) {
    const sum = list.reduce((acc, i) => acc + (i.weight as number), 0);
    if (Math.abs(sum - 100) > WEIGHT_EPSILON) {
      return invalid(
        'payload.indicator_weight_sum',
        `indicator weights must sum to 100; they sum to ${sum}`,
        `指标权重之和须为100，当前为${sum}`,
      );
    }
  }
  return null;
}

export function validateMilestone(m: Partial<Milestone> | null | undefined, cycle: CycleConfig): Refusal | null {
  if (m === null || typeof m !== 'object' || !isId(m.id)) {
    return invalid('payload.milestone_id', 'every milestone needs an id', '每个里程碑须有编号');
  }
  if (!isText(m.title, TITLE_MAX)) {
    return invalid('payload.milestone_title', `milestone ${m.id} needs a title`, `里程碑${m.id}须填写名称`);
  }
  return validateMilestoneDue(m.due, m.id, cycle);
}

export function validateMilestoneDue(due: unknown, milestoneId: string, cycle: CycleConfig): Refusal | null {
  if (!isIsoDate(due)) {
    return invalid('payload.milestone_due', `milestone ${milestoneId} needs a due date (YYYY-MM-DD)`, `里程碑${milestoneId}须填写完成日期`);
  }
  if (yearOf(due) !== cycle.year) {
    return invalid(
      'payload.milestone_outside_cycle_year',
      `milestone ${milestoneId} is due ${due}, outside the cycle year ${cycle.year}`,
      `里程碑${milestoneId}的完成日期${due}不在${cycle.year}年度内`,
    );
  }
  return null;
}

export function validateMilestones(value: unknown, cycle: CycleConfig): Refusal | null {
  if (!Array.isArray(value)) return invalid('payload.milestones', 'milestones must be a list', '里程碑须为列表');
  const list = value as Partial<Milestone>[];
  for (const m of list) {
    const r = validateMilestone(m, cycle);
    if (r) return r;
  }
  const dup = firstDuplicate(list.map((m) => m.id as string));
  if (dup !== null) return invalid('payload.duplicate_milestone_id', `milestone id ${dup} is used twice`, `里程碑编号${dup}重复`);
  return null;
}

/** Checks the fields present in a (possibly partial) proposal; completeness is checked at submit. */
export function validateProposalFields(p: Partial<ProposalInput>, cycle: CycleConfig): Refusal | null {
  if (p === null || typeof p !== 'object') return invalid('payload.proposal', 'proposal must be an object', '立项内容格式有误');
  if (p.title !== undefined) {
    const r = validateTitle(p.title);
    if (r) return r;
  }
  if (p.type !== undefined && !oneOf(PROJECT_TYPES, p.type)) {
    return invalid('payload.project_type', 'type must be service, improvement or breakthrough', '项目类型须为服务型、提升型或破题型');
  }
  if (p.isKey !== undefined && typeof p.isKey !== 'boolean') {
    return invalid('payload.is_key', 'isKey must be true or false', '重点项目标记须为是或否');
  }
  if (p.orientation !== undefined && !oneOf(ORIENTATIONS, p.orientation)) {
    return invalid('payload.orientation', 'orientation must be goal or problem', '导向须为目标导向或问题导向');
  }
  if (p.problemIds !== undefined) {
    if (!Array.isArray(p.problemIds) || !p.problemIds.every(isId)) {
      return invalid('payload.problem_ids', 'problemIds must be a list of ids', '关联问题须为问题编号列表');
    }
    const dup = firstDuplicate(p.problemIds);
    if (dup !== null) return invalid('payload.problem_ids', `problem ${dup} is linked twice`, `问题${dup}重复关联`);
  }
  if (p.businessGoal !== undefined && (typeof p.businessGoal !== 'string' || charCount(p.businessGoal) > TEXT_MAX)) {
    return invalid('payload.business_goal', `businessGoal must be text of at most ${TEXT_MAX} characters`, `业务目标不超过${TEXT_MAX}字`);
  }
  if (p.indicators !== undefined) {
    const r = validateIndicators(p.indicators);
    if (r) return r;
  }
  if (p.milestones !== undefined) {
    const r = validateMilestones(p.milestones, cycle);
    if (r) return r;
  }
  return null;
}

/** A full proposal: every field present and well-formed (drafts may still be incomplete). */
export function validateProposalInput(p: unknown, cycle: CycleConfig): Refusal | null {
  if (p === null || typeof p !== 'object') return invalid('payload.proposal', 'proposal must be an object', '立项内容格式有误');
  const q = p as Partial<ProposalInput>;
  const keys: (keyof ProposalInput)[] = ['title', 'type', 'isKey', 'orientation', 'problemIds', 'businessGoal', 'indicators', 'milestones'];
  const missing = keys.filter((k) => q[k] === undefined);
  if (missing.length > 0) {
    return invalid('payload.proposal_fields', `proposal is missing ${missing.join(', ')}`, `立项内容缺少字段：${missing.join('、')}`);
  }
  return validateProposalFields(q, cycle);
}

/** What a proposal needs before it can be submitted for review. */
export function validateProposalComplete(p: { title: string; orientation: string; problemIds: string[]; businessGoal: string; indicators: readonly Indicator[]; milestones: readonly Milestone[] }): Refusal | null {
  const r = validateTitle(p.title);
  if (r) return r;
  if (isBlank(p.businessGoal)) {
    return invalid('payload.business_goal_required', 'the business goal the project serves is required', '须填写项目服务的业务目标');
  }
  if (p.orientation === 'problem' && p.problemIds.length === 0) {
    return invalid(
      'payload.problem_link_required',
      'a problem-oriented project must link at least one problem from the problem list',
      '问题导向项目须关联至少一个问题清单中的问题',
    );
  }
  if (p.indicators.length === 0) {
    return invalid('payload.indicators_required', 'at least one quantified indicator is required', '须设置至少一个量化指标');
  }
  if (p.milestones.length === 0) {
    return invalid('payload.milestones_required', 'at least one milestone is required', '须设置至少一个里程碑');
  }
  return null;
}

export function validateFiles(value: unknown): Refusal | null {
  if (!Array.isArray(value)) return invalid('payload.files', 'files must be a list', '附件须为列表');
  for (const f of value as Partial<EvidenceFile>[]) {
    if (f === null || typeof f !== 'object' || !isText(f.name, 255)) {
      return invalid('payload.file_name', 'every file needs a name of at most 255 characters', '每个附件须有文件名且不超过255字');
    }
    if (typeof f.sha256 !== 'string' || !SHA256_RE.test(f.sha256)) {
      return invalid('payload.file_sha256', `file ${f.name} needs a SHA-256 as 64 hex digits`, `附件${f.name}的SHA-256须为64位十六进制`);
    }
    if (!Number.isSafeInteger(f.size) || (f.size as number) < 0) {
      return invalid('payload.file_size', `file ${f.name} needs a size in bytes`, `附件${f.name}的大小须为非负整数`);
    }
  }
  return null;
}

export function normaliseFiles(files: readonly EvidenceFile[]): EvidenceFile[] {
  return files.map((f) => ({ name: f.name, sha256: f.sha256.toLowerCase(), size: f.size }));
}

export function validateIndicatorActuals(value: unknown, indicators: readonly Indicator[]): Refusal | null {
  if (!Array.isArray(value)) return invalid('payload.indicator_actuals', 'indicatorActuals must be a list', '指标完成值须为列表');
  const seen = new Set<string>();
  for (const a of value as Partial<IndicatorActual>[]) {
    if (a === null || typeof a !== 'object' || !isId(a.indicatorId)) {
      return invalid('payload.indicator_actuals', 'every indicator actual needs an indicatorId', '每个指标完成值须指明指标');
    }
    if (!indicators.some((i) => i.id === a.indicatorId)) {
      return invalid('payload.unknown_indicator', `indicator ${a.indicatorId} does not exist`, `指标${a.indicatorId}不存在`);
    }
    if (!isFiniteNumber(a.actual)) {
      return invalid('payload.indicator_actual_not_finite', `the actual of ${a.indicatorId} must be a finite number`, `指标${a.indicatorId}的完成值须为有效数字`);
    }
    if (seen.has(a.indicatorId)) {
      return invalid('payload.duplicate_indicator_actual', `indicator ${a.indicatorId} is reported twice`, `指标${a.indicatorId}重复填报`);
    }
    seen.add(a.indicatorId);
  }
  return null;
}

/** Scores per rubric criterion: every criterion exactly once, each within 0..its weight. */
export function validateCriterionScores(value: unknown, rubric: readonly RubricCriterion[]): Refusal | null {
  if (!Array.isArray(value)) return invalid('payload.scores', 'scores must be a list', '评分须为列表');
  const seen = new Set<string>();
  for (const s of value as Partial<CriterionScore>[]) {
    const criterion = s && typeof s === 'object' ? rubric.find((c) => c.criterionId === s.criterionId) : undefined;
    if (!criterion) {
      return invalid('payload.unknown_criterion', `criterion ${String(s?.criterionId)} is not in the rubric`, `评分标准${String(s?.criterionId)}不存在`);
    }
    if (seen.has(criterion.criterionId)) {
      return invalid('payload.duplicate_criterion', `criterion ${criterion.criterionId} is scored twice`, `评分标准${criterion.criterionId}重复评分`);
    }
    seen.add(criterion.criterionId);
    if (!isFiniteNumber(s.score) || s.score < 0 || s.score > criterion.weight) {
      return invalid(
        'payload.score_out_of_range',
        `the score for ${criterion.criterionId} must be between 0 and ${criterion.weight}`,
        `${criterion.name}的得分须在0至${criterion.weight}之间`,
      );
    }
  }
  const missing = rubric.filter((c) => !seen.has(c.criterionId));
  if (missing.length > 0) {
    return invalid(
      'payload.scores_incomplete',
      `every criterion must be scored; missing ${missing.map((c) => c.criterionId).join(', ')}`,
      `须对每项评分标准打分，缺少：${missing.map((c) => c.name).join('、')}`,
    );
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Cycle configuration
// ---------------------------------------------------------------------------------------------

function cycleInvalid(field: string, en: string, zh: string): Refusal {
  return invalid(`cycle.${field}`, en, zh);
}

/** Checks a cycle's calendar and rules, for the API to call when a cycle is opened. */
export function validateCycleConfig(cycle: CycleConfig): Refusal | null {
  if (!isId(cycle.cycleId)) return cycleInvalid('id', 'cycleId is required', '须指定年度周期编号');
  if (!Number.isInteger(cycle.year) || cycle.year < 2000 || cycle.year > 2999) {
    return cycleInvalid('year', 'year must be a four-digit year', '年度须为四位年份');
  }
  const orgUser = validateOrgUser(cycle.committee, 'cycle.committee', 'the committee', '工委');
  if (orgUser) return orgUser;
  const c = cycle.calendar;
  const dates: [string, unknown][] = [
    ['proposalDeadline', c.proposalDeadline],
    ['reviewDeadline', c.reviewDeadline],
    ['letterDeadline', c.letterDeadline],
    ['dispatchWindow.start', c.dispatchWindow?.start],
    ['dispatchWindow.end', c.dispatchWindow?.end],
    ['selfAssessmentDeadline', c.selfAssessmentDeadline],
    ['acceptanceWindow.start', c.acceptanceWindow?.start],
    ['acceptanceWindow.end', c.acceptanceWindow?.end],
  ];
  for (const [name, value] of dates) {
    if (!isIsoDeadline(value)) return cycleInvalid('calendar_date', `calendar.${name} must be a date (YYYY-MM-DD) or a date-time`, `日程${name}须为日期`);
  }
  if (deadlineMs(c.dispatchWindow.start) > deadlineMs(c.dispatchWindow.end) || deadlineMs(c.acceptanceWindow.start) > deadlineMs(c.acceptanceWindow.end)) {
    return cycleInvalid('calendar_window', 'a calendar window ends before it starts', '日程时间窗的结束日期早于开始日期');
  }
  if (!Array.isArray(c.quarters) || c.quarters.length !== 4) {
    return cycleInvalid('calendar_quarters', 'the calendar needs exactly four quarters', '日程须包含四个季度');
  }
  for (const q of [1, 2, 3, 4]) {
    const entry = c.quarters.find((x) => x.quarter === q);
    if (!entry || !isIsoDeadline(entry.evidenceDeadline) || !isIsoDeadline(entry.inspectionWindowEnd)) {
      return cycleInvalid('calendar_quarters', `quarter ${q} needs an evidence deadline and an inspection window end`, `第${q}季度须设置材料截止日期和督查截止日期`);
    }
  }
  if (!Number.isInteger(c.monthlyReminderDay) || c.monthlyReminderDay < 1 || c.monthlyReminderDay > 28) {
    return cycleInvalid('monthly_reminder_day', 'monthlyReminderDay must be 1..28', '月提示日须为1至28日');
  }
  const t = cycle.reviewTimeouts;
  if (!isFiniteNumber(t?.remindAfterMs) || !isFiniteNumber(t?.escalateAfterMs) || t.remindAfterMs <= 0 || t.escalateAfterMs <= t.remindAfterMs) {
    return cycleInvalid('review_timeouts', 'review timeouts must be positive and escalate after reminding', '审核超时须为正数且上报晚于提醒');
  }
  const l = cycle.ledger;
  if (!isFiniteNumber(l?.warnBeforeMs) || !isFiniteNumber(l?.escalateAfterMs) || l.warnBeforeMs < 0 || l.escalateAfterMs < 0) {
    return cycleInvalid('ledger_timeouts', 'ledger warning and escalation offsets must be 0 or more', '整改预警和上报时限不能为负数');
  }
  const rules = cycle.rules;
  if (!Number.isInteger(rules.minKeyProjectsPerSecretary) || rules.minKeyProjectsPerSecretary < 1) {
    return cycleInvalid('min_key_projects', 'each secretary must lead at least one key project', '每名书记每年至少领办1个重点项目');
  }
  if (!Array.isArray(rules.rubric) || rules.rubric.length === 0) {
    return cycleInvalid('rubric', 'the rubric needs at least one criterion', '评分标准至少一项');
  }
  for (const crit of rules.rubric) {
    if (!isId(crit.criterionId) || !isText(crit.name, TITLE_MAX) || !isFiniteNumber(crit.weight) || crit.weight <= 0) {
      return cycleInvalid('rubric', 'every criterion needs an id, a name and a weight above 0', '每项评分标准须有编号、名称和大于0的分值');
    }
  }
  const dupCriterion = firstDuplicate(rules.rubric.map((x) => x.criterionId));
  if (dupCriterion !== null) return cycleInvalid('rubric', `criterion ${dupCriterion} appears twice`, `评分标准${dupCriterion}重复`);
  for (const d of rules.deductions) {
    if (!oneOf(DEDUCTION_CODES, d.code) || !isFiniteNumber(d.points) || d.points < 0) {
      return cycleInvalid('deductions', 'every deduction needs a known code and points of 0 or more', '减分项须为已知类型且分值不能为负数');
    }
  }
  const dupDeduction = firstDuplicate(rules.deductions.map((x) => x.code));
  if (dupDeduction !== null) return cycleInvalid('deductions', `deduction ${dupDeduction} appears twice`, `减分项${dupDeduction}重复`);
  const g = rules.gradeThresholds;
  if (!isFiniteNumber(g?.excellent) || !isFiniteNumber(g?.good) || !isFiniteNumber(g?.pass) || !(g.excellent >= g.good && g.good >= g.pass && g.pass >= 0)) {
    return cycleInvalid('grade_thresholds', 'grade thresholds must satisfy excellent >= good >= pass >= 0', '等次分数线须满足优秀≥良好≥合格≥0');
  }
  if (!Number.isInteger(rules.bestOfListSize) || rules.bestOfListSize < 1) {
    return cycleInvalid('best_of_list_size', 'best-of lists hold at least one project', '双十佳名单至少一个项目');
  }
  return null;
}

/** The event's time: an ISO-8601 date-time with an offset. */
export function validateAt(at: unknown): Refusal | null {
  if (isIsoDateTime(at)) return null;
  return invalid('event.at_invalid', 'the event time must be an ISO-8601 date-time with an offset', '事件时间须为带时区的ISO-8601时间');
}
