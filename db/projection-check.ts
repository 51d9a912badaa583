/**
 * Compares a project's rows in PostgreSQL with the state its workflow reports. Used by the tests
 * ("projections agree with workflows") and by the audit's verification.
 */
import type { Db } from '.';
import type { ProjectState } from '../workflows/lifecycle';
import { canonicalJson } from './hash-chain';

/** The mismatches between the projection and `state`, described for a person; empty when they agree. */
export async function projectionMismatches(db: Db, state: ProjectState): Promise<string[]> {
  const problems: string[] = [];
  const same = (what: string, stored: unknown, expected: unknown) => {
    if (canonicalJson(stored) !== canonicalJson(expected)) problems.push(`${what}: stored ${canonicalJson(stored)} but the workflow reports ${canonicalJson(expected)}`);
  };
  const id = state.id;
  const project = await db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  if (!project) return [`project ${id} has no row`];
  same('stage', project.stage, state.stage);
  same('version', project.version, state.version);
  same('grade', project.grade, state.acceptance?.grade ?? null);
  same('state', project.state, state);

  const indicators = await db.selectFrom('project_indicators').select(['id', 'target', 'actual']).where('project_id', '=', id).orderBy('id').execute();
  same('indicators', indicators, [...state.proposal.indicators].sort((a, b) => (a.id < b.id ? -1 : 1)).map((i) => ({ id: i.id, target: i.target, actual: i.actual })));
  const evidence = await db.selectFrom('evidence').select(['id', 'version', 'superseded_by']).where('project_id', '=', id).orderBy('id').execute();
  same('evidence', evidence, [...state.evidence].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => ({ id: e.id, version: e.version, superseded_by: e.supersededBy })));
  const inspections = await db.selectFrom('inspections').select(['quarter', 'rating', 'missing_evidence']).where('project_id', '=', id).orderBy('quarter').execute();
  same('inspections', inspections, [...state.inspections].sort((a, b) => a.quarter - b.quarter).map((i) => ({ quarter: i.quarter, rating: i.rating, missing_evidence: i.missingEvidence })));
  const ledger = await db.selectFrom('ledger_entries').select(['id', 'status', 'reports', 'send_backs']).where('project_id', '=', id).orderBy('id').execute();
  same('ledger', ledger, [...state.ledger].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => ({ id: e.id, status: e.status, reports: e.reports.length, send_backs: e.sendBacks.length })));
  const members = await db.selectFrom('member_items').select(['id', 'actual']).where('project_id', '=', id).orderBy('id').execute();
  same('member items', members, [...state.memberItems].sort((a, b) => (a.id < b.id ? -1 : 1)).map((m) => ({ id: m.id, actual: m.actual })));
  const acceptance = await db.selectFrom('acceptances').select(['final_score', 'grade']).where('project_id', '=', id).executeTakeFirst();
  same('acceptance', acceptance ?? null, state.acceptance ? { final_score: state.acceptance.finalScore, grade: state.acceptance.grade } : null);
  const selfAssessment = await db.selectFrom('self_assessments').select(['total']).where('project_id', '=', id).executeTakeFirst();
  same('self-assessment', selfAssessment ?? null, state.selfAssessment ? { total: state.selfAssessment.total } : null);
  return problems;
}
