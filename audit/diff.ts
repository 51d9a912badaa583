/**
 * A readable diff between two project states: what one event changed, path by path, with the
 * Chinese labels auditors read (阶段: 审核中 → 已立项). Lists are matched by their items' ids
 * (evidence, ledger entries, children, indicators) or quarters (inspections), so an added
 * evidence version reads as one addition, not as every later index shifting.
 */
import { canonicalJson } from '../db/hash-chain';
import { GRADE_LABELS, LEDGER_STATUS_LABELS, RATING_LABELS, STAGE_LABELS, CHILD_STATUS_LABELS, type ProjectState } from '../workflows/lifecycle';

export interface StateChange {
  /** Dotted path; list items as `[id]` or `[index]`, e.g. `proposal.indicators[i-visits].target`. */
  path: string;
  change: 'added' | 'removed' | 'changed';
  from: unknown;
  to: unknown;
  /** One line for a person: `阶段 stage: 审核中 → 已立项`. */
  text: string;
}

/** Bookkeeping every event changes; the timeline shows the event number and time instead. */
const IGNORED = new Set(['version', 'updatedAt']);

const FIELD_LABELS: Record<string, string> = {
  stage: '阶段',
  progress: '进度',
  orgId: '承接组织',
  leadSecretaryId: '领办书记',
  assignedReviewer: '指定审核人',
  reviewerOrgId: '审核组织',
  reviewerId: '审核人',
  proposal: '立项申报',
  review: '审核',
  letter: '责任书',
  children: '子项目',
  memberItems: '党员事项',
  evidence: '佐证材料',
  inspections: '季度督查',
  ledger: '整改台账',
  dispatch: '年中调度',
  dispatchHistory: '调度记录',
  reassignments: '承接调整',
  cancellation: '撤销',
  selfAssessment: '自评',
  acceptance: '验收',
  createdAt: '创建时间',
};

const VALUE_LABELS: Record<string, Readonly<Record<string, string>>> = {
  stage: STAGE_LABELS,
  grade: GRADE_LABELS,
  rating: RATING_LABELS,
  status: { ...LEDGER_STATUS_LABELS, ...CHILD_STATUS_LABELS },
};

type Json = unknown;

function isPlainObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The key that identifies a list item across versions, or null. */
function itemKey(item: Json): string | null {
  if (!isPlainObject(item)) return null;
  if (typeof item.id === 'string') return item.id;
  if (typeof item.quarter === 'number' && !('id' in item)) return `Q${item.quarter}`;
  return null;
}

function lastField(path: string): string {
  const match = /([A-Za-z_]+)$/.exec(path);
  return match ? match[1] : '';
}

function label(path: string): string {
  const top = /^[A-Za-z]+/.exec(path)?.[0] ?? path;
  const zh = FIELD_LABELS[top];
  return zh ? `${zh} ${path}` : path;
}

function show(path: string, value: Json): string {
  if (value === null || value === undefined) return '（无）';
  const field = lastField(path);
  if (typeof value === 'string') {
    const zh = VALUE_LABELS[field]?.[value];
    return zh ? `${zh}（${value}）` : value.length > 120 ? `${value.slice(0, 117)}…` : value;
  }
  if (typeof value === 'number' && field === 'progress') return `${(value * 100).toFixed(1)}%`;
  const text = typeof value === 'object' ? canonicalJson(value) : String(value);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

function push(out: StateChange[], path: string, from: Json, to: Json): void {
  if (from === undefined || from === null) {
    if (to === undefined || to === null) return;
    out.push({ path, change: 'added', from: null, to, text: `新增 ${label(path)}: ${show(path, to)}` });
  } else if (to === undefined || to === null) {
    out.push({ path, change: 'removed', from, to: null, text: `移除 ${label(path)}（原为 ${show(path, from)}）` });
  } else {
    out.push({ path, change: 'changed', from, to, text: `${label(path)}: ${show(path, from)} → ${show(path, to)}` });
  }
}

function walk(out: StateChange[], path: string, a: Json, b: Json): void {
  if (a === b) return;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) {
      if (path === '' && IGNORED.has(key)) continue;
      const child = path === '' ? key : `${path}.${key}`;
      if (canonicalJson(a[key]) !== canonicalJson(b[key])) walk(out, child, a[key], b[key]);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const keyed = [...a, ...b].every((item) => itemKey(item) !== null);
    if (keyed) {
      const before = new Map(a.map((item) => [itemKey(item) as string, item]));
      const after = new Map(b.map((item) => [itemKey(item) as string, item]));
      for (const [key, item] of before) if (!after.has(key)) push(out, `${path}[${key}]`, item, null);
      for (const [key, item] of after) {
        const old = before.get(key);
        if (old === undefined) push(out, `${path}[${key}]`, null, item);
        else if (canonicalJson(old) !== canonicalJson(item)) walk(out, `${path}[${key}]`, old, item);
      }
      return;
    }
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i += 1) if (canonicalJson(a[i]) !== canonicalJson(b[i])) walk(out, `${path}[${i}]`, a[i], b[i]);
    for (let i = common; i < b.length; i += 1) push(out, `${path}[${i}]`, null, b[i]);
    for (let i = common; i < a.length; i += 1) push(out, `${path}[${i}]`, a[i], null);
    return;
  }
  push(out, path, a, b);
}

/** What changed from `before` (null before creation) to `after`, leaving out version and updatedAt. */
export function diffStates(before: ProjectState | null, after: ProjectState | null): StateChange[] {
  const out: StateChange[] = [];
  if (before === null && after !== null) {
    for (const key of ['stage', 'orgId', 'leadSecretaryId', 'reviewerId', 'proposal', 'children'] as const) {
      const value = after[key];
      if (Array.isArray(value) && value.length === 0) continue;
      push(out, key, null, value);
    }
    return out;
  }
  walk(out, '', before, after);
  return out;
}
