/**
 * The directory as records (one per org, user and inspector assignment), and records → sheet rows
 * for export. The export writes every field explicitly (状态 included), so export → import of
 * unchanged data changes nothing.
 */
import { ORG_KIND_LABELS, ORG_STATUS_LABELS, ROLE_LABELS, SHEETS, USER_STATUS_LABELS, type OrgKind, type SheetKey, type UserRole } from './sheets';

export interface OrgRecord {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  secretaryId: string | null;
  closed: boolean;
}

export interface UserRecord {
  id: string;
  name: string;
  role: UserRole;
  orgId: string;
  username: string | null;
  mobile: string | null;
  disabled: boolean;
}

export interface AssignmentRecord {
  inspectorId: string;
  orgId: string;
}

export interface DirectoryRecords {
  orgs: OrgRecord[];
  users: UserRecord[];
  assignments: AssignmentRecord[];
}

/** Orgs parents first (depth-first from the roots, siblings by id), so a sheet reads as the tree and an import inserts parents before children. */
export function treeOrder<T extends { id: string; parentId: string | null }>(orgs: T[]): T[] {
  const children = new Map<string | null, T[]>();
  const ids = new Set(orgs.map((o) => o.id));
  for (const o of orgs) {
    const key = o.parentId !== null && ids.has(o.parentId) ? o.parentId : null;
    const list = children.get(key) ?? [];
    list.push(o);
    children.set(key, list);
  }
  for (const list of children.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: T[] = [];
  const seen = new Set<string>();
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length > 0) {
    const o = stack.pop()!;
    if (seen.has(o.id)) continue;
    seen.add(o.id);
    out.push(o);
    stack.push(...[...(children.get(o.id) ?? [])].reverse());
  }
  // Whatever a cycle kept out of reach of a root (never in stored data) still comes out.
  for (const o of orgs) if (!seen.has(o.id)) out.push(o);
  return out;
}

const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => {
  const x = key(a);
  const y = key(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** Each sheet's data rows as text, in its columns' order. */
export function recordsToRows(records: DirectoryRecords): Record<SheetKey, string[][]> {
  const orgs = treeOrder(records.orgs).map((o) => [o.id, o.parentId ?? '', ORG_KIND_LABELS[o.kind], o.name, o.secretaryId ?? '', o.closed ? ORG_STATUS_LABELS.closed : ORG_STATUS_LABELS.active]);
  const orgRank = new Map(treeOrder(records.orgs).map((o, i) => [o.id, String(i).padStart(8, '0')]));
  const users = [...records.users]
    .sort(byKey((u) => `${orgRank.get(u.orgId) ?? u.orgId}\u0000${u.id}`))
    .map((u) => [u.id, u.name, ROLE_LABELS[u.role], u.orgId, u.username ?? '', u.mobile ?? '', u.disabled ? USER_STATUS_LABELS.disabled : USER_STATUS_LABELS.active]);
  const assignments = [...records.assignments].sort(byKey((a) => `${a.inspectorId}\u0000${orgRank.get(a.orgId) ?? a.orgId}`)).map((a) => [a.inspectorId, a.orgId]);
  return { orgs, users, assignments };
}

export function headers(sheet: SheetKey): string[] {
  return SHEETS[sheet].columns.map((c) => c.header);
}
