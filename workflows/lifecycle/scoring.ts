/** Figures derived from a project's state: progress, ledger rates, acceptance score and grade. */
import type {
  AcceptanceInput,
  AcceptanceScore,
  CycleConfig,
  DeductionCode,
  DeductionLine,
  Evidence,
  Grade,
  GradeThresholds,
  Indicator,
  LedgerEntry,
  ProjectState,
  Quarter,
} from './types';

/** Rounds to a fixed number of decimals so sums of fractional scores do not drift (0.1 + 0.2). */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

// ---------------------------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------------------------

/** How far an indicator has moved from its baseline to its target, 0..1 (works for falling targets too). */
export function indicatorProgress(indicator: Indicator): number {
  if (indicator.actual === null) return 0;
  return clamp01((indicator.actual - indicator.baseline) / (indicator.target - indicator.baseline));
}

/** A project's own progress: its indicators' progress weighted by their weights. */
export function ownProgress(indicators: readonly Indicator[]): number {
  const totalWeight = indicators.reduce((acc, i) => acc + i.weight, 0);
  if (totalWeight <= 0) return 0;
  return clamp01(indicators.reduce((acc, i) => acc + i.weight * indicatorProgress(i), 0) / totalWeight);
}

/**
 * "1+N" roll-up: the mean of the project's own progress and each non-cancelled child's progress,
 * so the upper project counts as one part beside its N sub-projects. Rounded to 4 decimals.
 */
export function computeProgress(state: Pick<ProjectState, 'proposal' | 'children'>): number {
  const own = ownProgress(state.proposal.indicators);
  const children = state.children.filter((c) => c.status !== 'cancelled');
  const sum = children.reduce((acc, c) => acc + clamp01(c.progress), own);
  return roundTo(sum / (1 + children.length), 4);
}

// ---------------------------------------------------------------------------------------------
// Evidence
// ---------------------------------------------------------------------------------------------

/** Evidence versions not superseded by a correction. */
export function currentEvidence(evidence: readonly Evidence[]): Evidence[] {
  return evidence.filter((e) => e.supersededBy === null);
}

/**
 * Indicator actuals reported by current evidence. Later submissions win; a correction takes the
 * place of the version it corrects, so correcting Q1 evidence does not override Q2's figures.
 */
export function indicatorActualsFromEvidence(evidence: readonly Evidence[]): Record<string, number> {
  const position = new Map<string, number>();
  evidence.forEach((e, i) => position.set(e.id, e.supersedes === null ? i : (position.get(e.supersedes) ?? i)));
  const ordered = currentEvidence(evidence).sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
  const actuals: Record<string, number> = {};
  for (const e of ordered) for (const a of e.indicatorActuals) actuals[a.indicatorId] = a.actual;
  return actuals;
}

/** Whether any current evidence covers the quarter. */
export function hasEvidenceForQuarter(evidence: readonly Evidence[], quarter: Quarter): boolean {
  return currentEvidence(evidence).some((e) => e.quarter === quarter);
}

// ---------------------------------------------------------------------------------------------
// Rectification ledger (整改台账)
// ---------------------------------------------------------------------------------------------

/** Rectification rate (整改率): closed entries ÷ all entries; 1 when the ledger is empty. */
export function rectificationRate(ledger: readonly LedgerEntry[]): number {
  if (ledger.length === 0) return 1;
  return ledger.filter((e) => e.status === 'closed').length / ledger.length;
}

/** Ledger cleared (清零): no entry is open or awaiting verification. */
export function ledgerCleared(ledger: readonly LedgerEntry[]): boolean {
  return ledger.every((e) => e.status === 'closed');
}

// ---------------------------------------------------------------------------------------------
// Acceptance (年底验收)
// ---------------------------------------------------------------------------------------------

/** The grade a score earns: at or above a threshold earns it (优秀/良好/合格/不合格). */
export function gradeFor(score: number, thresholds: GradeThresholds): Grade {
  if (score >= thresholds.excellent) return 'excellent';
  if (score >= thresholds.good) return 'good';
  if (score >= thresholds.pass) return 'pass';
  return 'fail';
}

/** Quarters whose inspection fell due without evidence. */
export function missingEvidenceQuarters(state: Pick<ProjectState, 'inspections'>): Quarter[] {
  return state.inspections.filter((i) => i.missingEvidence).map((i) => i.quarter).sort();
}

function deductionLine(code: DeductionCode, count: number, detail: string, cycle: CycleConfig): DeductionLine {
  const pointsEach = cycle.rules.deductions.find((d) => d.code === code)?.points ?? 0;
  return { code, pointsEach, count, points: roundTo(pointsEach * count, 2), detail };
}

/**
 * Scores a project: the committee's criterion scores (assumed valid, see validateCriterionScores)
 * minus deductions computed from the state — unclosed ledger entries, quarters with missing
 * evidence, negative-list items — floored at 0, then graded by the cycle's thresholds.
 */
export function computeAcceptance(
  state: Pick<ProjectState, 'ledger' | 'inspections'>,
  input: AcceptanceInput,
  cycle: CycleConfig,
): AcceptanceScore {
  const criterionScores = cycle.rules.rubric.map((c) => ({
    criterionId: c.criterionId,
    score: input.criterionScores.find((s) => s.criterionId === c.criterionId)?.score ?? 0,
  }));
  const rawScore = roundTo(criterionScores.reduce((acc, s) => acc + s.score, 0), 2);

  const unclosed = state.ledger.filter((e) => e.status !== 'closed');
  const missing = missingEvidenceQuarters(state);
  const deductions: DeductionLine[] = [];
  if (unclosed.length > 0) {
    deductions.push(deductionLine('open_ledger_entry', unclosed.length, unclosed.map((e) => e.id).join(', '), cycle));
  }
  if (missing.length > 0) {
    deductions.push(deductionLine('missing_evidence', missing.length, missing.map((q) => `Q${q}`).join(', '), cycle));
  }
  if (input.negativeList.length > 0) {
    deductions.push(deductionLine('negative_list', input.negativeList.length, input.negativeList.join('; '), cycle));
  }
  const totalDeduction = roundTo(deductions.reduce((acc, d) => acc + d.points, 0), 2);
  const finalScore = roundTo(Math.max(0, rawScore - totalDeduction), 2);
  return {
    criterionScores,
    rawScore,
    deductions,
    totalDeduction,
    finalScore,
    grade: gradeFor(finalScore, cycle.rules.gradeThresholds),
  };
}

// ---------------------------------------------------------------------------------------------
// Cycle-wide figures over many projects
// ---------------------------------------------------------------------------------------------

/**
 * Secretaries leading fewer key projects (重点项目) than the cycle requires (每年至少领办1个).
 * Rejected and cancelled projects do not count.
 */
export function keyProjectShortfall(
  secretaryIds: readonly string[],
  projects: readonly Pick<ProjectState, 'leadSecretaryId' | 'stage' | 'proposal'>[],
  cycle: CycleConfig,
): { secretaryId: string; keyProjects: number; required: number }[] {
  const required = cycle.rules.minKeyProjectsPerSecretary;
  // Counted once per project (a province has thousands of secretaries and tens of thousands of projects).
  const counted = new Map<string, number>();
  for (const p of projects) {
    if (p.proposal.isKey && p.stage !== 'rejected' && p.stage !== 'cancelled') counted.set(p.leadSecretaryId, (counted.get(p.leadSecretaryId) ?? 0) + 1);
  }
  return secretaryIds
    .map((secretaryId) => ({ secretaryId, keyProjects: counted.get(secretaryId) ?? 0, required }))
    .filter((s) => s.keyProjects < required);
}

/**
 * Candidates for a best-of list (双十佳): accepted projects by final score, highest first, ties
 * broken by id so the ranking is stable; at most `bestOfListSize` of them.
 */
export function rankBestOf<P extends Pick<ProjectState, 'id' | 'stage' | 'acceptance'>>(projects: readonly P[], cycle: CycleConfig): P[] {
  return projects
    .filter((p) => p.stage === 'accepted' && p.acceptance !== null)
    .sort((a, b) => (b.acceptance?.finalScore ?? 0) - (a.acceptance?.finalScore ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, cycle.rules.bestOfListSize);
}
