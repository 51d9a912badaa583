/**
 * Import planning: sheet rows + the directory as stored → every row's errors and what would change.
 * Pure (no I/O), so the dry run and the apply (which plans again inside its transaction, on the
 * state it locked) answer the same thing.
 *
 * Semantics (also in the route's description and the template's 说明 sheet):
 * - each sheet is the desired full state of the rows it lists: a listed id that exists is updated
 *   to the row, a new id is added;
 * - orgs and users that are not listed stay as they are: nothing is closed or disabled for being
 *   absent. 状态=撤销 closes an org, 状态=停用 disables a user; a blank 状态 means 正常 / 启用 (so a
 *   listed closed org or disabled user with a blank 状态 is reopened / enabled);
 * - 督查分工: for every inspector listed, the rows are their complete set of orgs (a row with a blank
 *   组织编号 lists an inspector with none); inspectors not listed keep theirs;
 * - new users get no password: they sign in after a committee member resets it.
 *
 * Checks of consistency between rows (a secretary in the org they lead, no active org under a closed
 * one, …) are judged on the state after the import; a violation the stored data already had and
 * the import does not touch is not the import's error, so an unchanged export always imports.
 */
// The one rule of how a login is compared (sign-in uses it too); a pure function.
import { normaliseLogin } from '../db/identity';
import type { AssignmentRecord, DirectoryRecords, OrgRecord, UserRecord } from './records';
import { treeOrder } from './records';
import {
  ID_PATTERN,
  MOBILE_PATTERN,
  NAME_MAX,
  ORG_KIND_LABELS,
  ORG_STATUS_LABELS,
  ROLE_LABELS,
  SHEETS,
  SHEET_KEYS,
  USERNAME_PATTERN,
  USER_NAME_MAX,
  USER_STATUS_LABELS,
  header,
  labelLookup,
  nestingError,
  normaliseCell,
  normaliseText,
  normaliseMobile,
  ORG_KIND_ALIASES,
  ROLE_ALIASES,
  roleOrgError,
  secretaryRoles,
  type RawRow,
  type RawWorkbook,
  type RowError,
  type SheetKey,
} from './sheets';

/** At most this many ids (or pairs) are listed per kind of change; the counts are always complete. */
export const LISTED_IDS_MAX = 200;
/** At most this many errors are answered; `errorCount` is always complete. */
export const ERRORS_MAX = 1000;

export interface SecretaryChange {
  orgId: string;
  fromUserId: string | null;
  toUserId: string | null;
}

/** What applying would write. */
export interface ImportPlan {
  orgs: { insert: OrgRecord[]; update: OrgRecord[] };
  users: { insert: UserRecord[]; update: UserRecord[]; disable: string[] };
  assignments: { add: AssignmentRecord[]; remove: AssignmentRecord[] };
  secretaryChanges: SecretaryChange[];
}

export interface IdList {
  count: number;
  ids: string[];
}

export interface PairList {
  count: number;
  items: AssignmentRecord[];
}

export interface ChangeSummary {
  orgs: { added: IdList; changed: IdList; closed: IdList };
  users: { added: IdList; changed: IdList; disabled: IdList };
  assignments: { added: PairList; removed: PairList };
  secretaryChanges: { count: number; items: SecretaryChange[] };
}

export interface PlanResult {
  /** Rows read per sheet (empty rows skipped); a sheet the file lacks is absent. */
  rows: Partial<Record<SheetKey, number>>;
  errors: RowError[];
  plan: ImportPlan;
  changes: ChangeSummary;
}

const KINDS = labelLookup(ORG_KIND_LABELS, ORG_KIND_ALIASES);
const ROLES = labelLookup(ROLE_LABELS, ROLE_ALIASES);
const ORG_STATUS = new Map<string, boolean>([
  ['', false],
  [ORG_STATUS_LABELS.active, false],
  [ORG_STATUS_LABELS.closed, true],
]);
const USER_STATUS = new Map<string, boolean>([
  ['', false],
  [USER_STATUS_LABELS.active, false],
  [USER_STATUS_LABELS.disabled, true],
]);

interface Parsed<T> {
  row: number;
  record: T;
  /** Fields whose cell was invalid (their value in `record` is a placeholder; checks that need them are skipped). */
  invalid: Set<string>;
}

class Errors {
  readonly list: RowError[] = [];
  constructor(private readonly sheet: SheetKey) {}
  add(row: number, field: string, message: string): void {
    this.list.push({ sheet: SHEETS[this.sheet].title, row, column: header(this.sheet, field), message });
  }
}

function choices(labels: Record<string, string>): string {
  return Object.values(labels)
    .map((l) => `“${l}”`)
    .join('、');
}

/** A code cell (not a name): NFKC, so ｕ－ｎｅｗ is u-new. */
const code = (r: RawRow, field: string) => normaliseCell(r.cells[field] ?? '');

function checkId(errors: Errors, r: RawRow, field: string, invalid: Set<string>, required: boolean, what: string): string | null {
  const value = code(r, field);
  if (value === '') {
    if (required) {
      errors.add(r.row, field, `${what}不能为空。`);
      invalid.add(field);
    }
    return null;
  }
  if (!ID_PATTERN.test(value)) {
    errors.add(r.row, field, `${what}“${value.slice(0, 100)}”格式不正确：须以字母或数字开头，只含字母、数字和 . _ : -，最长 80 个字符。`);
    invalid.add(field);
    return null;
  }
  return value;
}

function parseOrgs(rows: RawRow[], errors: Errors): Parsed<OrgRecord>[] {
  return rows.map((r) => {
    const invalid = new Set<string>();
    const id = checkId(errors, r, 'id', invalid, true, '组织编号') ?? '';
    const parentId = checkId(errors, r, 'parentId', invalid, false, '上级组织编号');
    const kindText = code(r, 'kind');
    const kind = KINDS.get(kindText);
    if (!kind) {
      errors.add(r.row, 'kind', kindText === '' ? `类型不能为空，应为 ${choices(ORG_KIND_LABELS)} 之一。` : `类型“${kindText.slice(0, 50)}”无效，应为 ${choices(ORG_KIND_LABELS)} 之一。`);
      invalid.add('kind');
    }
    const name = r.cells.name;
    if (name === '') {
      errors.add(r.row, 'name', '名称不能为空。');
      invalid.add('name');
    } else if ([...name].length > NAME_MAX) {
      errors.add(r.row, 'name', `名称过长（${[...name].length} 个字符），最多 ${NAME_MAX} 个字符。`);
      invalid.add('name');
    }
    const secretaryId = checkId(errors, r, 'secretaryId', invalid, false, '书记用户编号');
    const closed = ORG_STATUS.get(code(r, 'status'));
    if (closed === undefined) {
      errors.add(r.row, 'status', `状态“${code(r, 'status').slice(0, 50)}”无效，应为 ${choices(ORG_STATUS_LABELS)} 之一（留空即“正常”）。`);
      invalid.add('status');
    }
    return { row: r.row, invalid, record: { id, parentId, kind: kind ?? 'branch', name, secretaryId, closed: closed ?? false } };
  });
}

function parseUsers(rows: RawRow[], errors: Errors): Parsed<UserRecord>[] {
  return rows.map((r) => {
    const invalid = new Set<string>();
    const id = checkId(errors, r, 'id', invalid, true, '用户编号') ?? '';
    const name = r.cells.name;
    if (name === '') {
      errors.add(r.row, 'name', '姓名不能为空。');
      invalid.add('name');
    } else if ([...name].length > USER_NAME_MAX) {
      errors.add(r.row, 'name', `姓名过长（${[...name].length} 个字符），最多 ${USER_NAME_MAX} 个字符。`);
      invalid.add('name');
    }
    const roleText = code(r, 'role');
    const role = ROLES.get(roleText);
    if (!role) {
      errors.add(r.row, 'role', roleText === '' ? `角色不能为空，应为 ${choices(ROLE_LABELS)} 之一。` : `角色“${roleText.slice(0, 50)}”无效，应为 ${choices(ROLE_LABELS)} 之一。`);
      invalid.add('role');
    }
    const orgId = checkId(errors, r, 'orgId', invalid, true, '所属组织编号') ?? '';
    let username: string | null = code(r, 'username') === '' ? null : normaliseLogin(code(r, 'username'));
    if (username !== null && !USERNAME_PATTERN.test(username)) {
      errors.add(r.row, 'username', `用户名“${r.cells.username.slice(0, 80)}”格式不正确：须为 2～64 个字母、数字或 . _ @ - 字符，不能含空格。`);
      invalid.add('username');
      username = null;
    }
    let mobile: string | null = code(r, 'mobile') === '' ? null : normaliseMobile(code(r, 'mobile'));
    if (mobile !== null && !MOBILE_PATTERN.test(mobile)) {
      errors.add(r.row, 'mobile', `手机号“${r.cells.mobile.slice(0, 40)}”格式不正确：应为以 1 开头、第二位为 3～9 的 11 位数字。`);
      invalid.add('mobile');
      mobile = null;
    }
    const disabled = USER_STATUS.get(code(r, 'status'));
    if (disabled === undefined) {
      errors.add(r.row, 'status', `状态“${code(r, 'status').slice(0, 50)}”无效，应为 ${choices(USER_STATUS_LABELS)} 之一（留空即“启用”）。`);
      invalid.add('status');
    }
    return { row: r.row, invalid, record: { id, name, role: role ?? 'member', orgId, username, mobile, disabled: disabled ?? false } };
  });
}

interface ParsedAssignment {
  inspectorId: string;
  orgId: string | null;
}

function parseAssignments(rows: RawRow[], errors: Errors): Parsed<ParsedAssignment>[] {
  return rows.map((r) => {
    const invalid = new Set<string>();
    const inspectorId = checkId(errors, r, 'inspectorId', invalid, true, '督查员用户编号') ?? '';
    const orgId = checkId(errors, r, 'orgId', invalid, false, '组织编号');
    return { row: r.row, invalid, record: { inspectorId, orgId } };
  });
}

/** Every row of a duplicated key gets an error naming all of them; the first row is the one the other checks use. */
function firstOfEach<T>(parsed: Parsed<T>[], key: (p: Parsed<T>) => string | null, report: (p: Parsed<T>, rows: number[]) => void): Map<string, Parsed<T>> {
  const groups = new Map<string, Parsed<T>[]>();
  for (const p of parsed) {
    const k = key(p);
    if (k === null) continue;
    const g = groups.get(k) ?? [];
    g.push(p);
    groups.set(k, g);
  }
  const first = new Map<string, Parsed<T>>();
  for (const [k, g] of groups) {
    first.set(k, g[0]);
    if (g.length > 1) {
      const rows = g.map((p) => p.row);
      for (const p of g) report(p, rows);
    }
  }
  return first;
}

const rowList = (rows: number[]) => rows.map((r) => `第 ${r} 行`).join('、');

function idList(ids: string[]): IdList {
  return { count: ids.length, ids: ids.slice(0, LISTED_IDS_MAX) };
}

/** A stored name equals a sheet's when they read the same (a name stored with full-width digits or a double space is not a change). */
const sameName = (stored: string, sheet: string) => normaliseText(stored) === sheet;
const sameOrg = (a: OrgRecord, b: OrgRecord) => a.parentId === b.parentId && a.kind === b.kind && sameName(a.name, b.name) && a.secretaryId === b.secretaryId && a.closed === b.closed;
const sameUser = (a: UserRecord, b: UserRecord) =>
  sameName(a.name, b.name) && a.role === b.role && a.orgId === b.orgId && a.username === b.username && a.mobile === b.mobile && a.disabled === b.disabled;

/** Plans an import of `file` onto `current` (the whole stored directory), by `actorId` when known (who must not lock themselves out). */
export function planImport(file: RawWorkbook, current: DirectoryRecords, actorId?: string): PlanResult {
  const orgErrors = new Errors('orgs');
  const userErrors = new Errors('users');
  const assignmentErrors = new Errors('assignments');

  const orgRows = parseOrgs(file.sheets.orgs?.rows ?? [], orgErrors);
  const userRows = parseUsers(file.sheets.users?.rows ?? [], userErrors);
  const assignmentRows = parseAssignments(file.sheets.assignments?.rows ?? [], assignmentErrors);

  // ---- Duplicates ----
  const sheetOrgs = firstOfEach(
    orgRows,
    (p) => (p.invalid.has('id') ? null : p.record.id),
    (p, rows) => orgErrors.add(p.row, 'id', `组织编号“${p.record.id}”重复：${rowList(rows)}。`),
  );
  const sheetUsers = firstOfEach(
    userRows,
    (p) => (p.invalid.has('id') ? null : p.record.id),
    (p, rows) => userErrors.add(p.row, 'id', `用户编号“${p.record.id}”重复：${rowList(rows)}。`),
  );
  firstOfEach(
    assignmentRows,
    (p) => (p.invalid.has('inspectorId') || p.invalid.has('orgId') || p.record.orgId === null ? null : `${p.record.inspectorId}\u0000${p.record.orgId}`),
    (p, rows) => assignmentErrors.add(p.row, 'orgId', `督查员“${p.record.inspectorId}”与组织“${p.record.orgId}”的分工重复：${rowList(rows)}。`),
  );

  // ---- The state before and after ----
  const before = { orgs: new Map(current.orgs.map((o) => [o.id, o])), users: new Map(current.users.map((u) => [u.id, u])) };
  const after = { orgs: new Map(before.orgs), users: new Map(before.users) };
  for (const [id, p] of sheetOrgs) after.orgs.set(id, p.record);
  for (const [id, p] of sheetUsers) after.users.set(id, p.record);
  const orgRowOf = (id: string) => sheetOrgs.get(id);
  const userRowOf = (id: string) => sheetUsers.get(id);
  const where = (row: number | undefined) => (row === undefined ? '系统中' : `第 ${row} 行`);

  // ---- Orgs: parents, the tree, closing ----
  for (const [id, p] of sheetOrgs) {
    const o = p.record;
    if (p.invalid.has('parentId')) continue;
    if (o.parentId === null) {
      const old = before.orgs.get(id);
      const problem = p.invalid.has('kind') ? null : nestingError(o.kind, null);
      if (problem && (!old || old.parentId !== null || old.kind !== o.kind)) orgErrors.add(p.row, 'parentId', `上级组织编号为空：${problem}`);
      continue;
    }
    if (o.parentId === id) {
      orgErrors.add(p.row, 'parentId', `组织“${id}”的上级组织不能是它自己。`);
      continue;
    }
    const parent = after.orgs.get(o.parentId);
    if (!parent) {
      orgErrors.add(p.row, 'parentId', `上级组织“${o.parentId}”既不在本表中，也不是系统中已有的组织。`);
      continue;
    }
    if (!p.invalid.has('kind')) {
      const problem = nestingError(o.kind, parent.kind);
      const old = before.orgs.get(id);
      const oldParent = old?.parentId ? before.orgs.get(old.parentId) : undefined;
      const hadIt = old && oldParent && nestingError(old.kind, oldParent.kind) === problem;
      if (problem && !hadIt) orgErrors.add(p.row, 'parentId', `上级组织“${o.parentId}”是“${ORG_KIND_LABELS[parent.kind]}”：${problem}`);
    }
    if (!o.closed && parent.closed && !p.invalid.has('status')) {
      const old = before.orgs.get(id);
      const oldParent = old?.parentId ? before.orgs.get(old.parentId) : undefined;
      if (!(old && !old.closed && old.parentId === o.parentId && oldParent?.closed)) {
        const parentRow = orgRowOf(o.parentId);
        orgErrors.add(p.row, 'parentId', `上级组织“${o.parentId}”${parentRow ? `在第 ${parentRow.row} 行标为撤销` : '已撤销'}，未撤销的组织不能挂在已撤销的组织下。`);
      }
    }
  }

  // Cycles: walk up from every listed org through the state after; each cycle is reported once, on each of its listed rows.
  const reported = new Set<string>();
  for (const start of sheetOrgs.keys()) {
    const path: string[] = [];
    const onPath = new Map<string, number>();
    let at: string | null = start;
    while (at !== null && !onPath.has(at) && !reported.has(at)) {
      onPath.set(at, path.length);
      path.push(at);
      const next: OrgRecord | undefined = after.orgs.get(at);
      const p = orgRowOf(at);
      at = next && !(p && p.invalid.has('parentId')) ? next.parentId : null;
    }
    if (at === null || reported.has(at)) {
      for (const id of path) reported.add(id); // no cycle through these: never walk them again
      continue;
    }
    const cycle = path.slice(onPath.get(at));
    const text = [...cycle, cycle[0]].map((id) => `“${id}”（${where(orgRowOf(id)?.row)}）`).join(' → ');
    for (const id of cycle) {
      reported.add(id);
      const p = orgRowOf(id);
      if (p) orgErrors.add(p.row, 'parentId', `上级关系形成循环：${text}。`);
    }
    for (const id of path) reported.add(id);
  }

  // Closing an org that still has active orgs or users under it (those not listed: listed ones are reported on their own rows).
  const activeChildren = new Map<string, string[]>();
  for (const o of after.orgs.values()) {
    if (o.closed || o.parentId === null || sheetOrgs.has(o.id)) continue;
    const list = activeChildren.get(o.parentId) ?? [];
    list.push(o.id);
    activeChildren.set(o.parentId, list);
  }
  const activeUsers = new Map<string, string[]>();
  for (const u of after.users.values()) {
    if (u.disabled || sheetUsers.has(u.id)) continue;
    const list = activeUsers.get(u.orgId) ?? [];
    list.push(u.id);
    activeUsers.set(u.orgId, list);
  }
  // A listed org whose kind changes under unlisted children that then no longer nest.
  const unlistedChildren = new Map<string, OrgRecord[]>();
  for (const o of after.orgs.values()) {
    if (o.parentId === null || sheetOrgs.has(o.id)) continue;
    const list = unlistedChildren.get(o.parentId) ?? [];
    list.push(o);
    unlistedChildren.set(o.parentId, list);
  }
  for (const [id, p] of sheetOrgs) {
    const old = before.orgs.get(id);
    if (!old || old.kind === p.record.kind || p.invalid.has('kind')) continue;
    const misfits = (unlistedChildren.get(id) ?? []).filter((c) => nestingError(c.kind, p.record.kind) !== null);
    if (misfits.length > 0) {
      orgErrors.add(p.row, 'kind', `改为“${ORG_KIND_LABELS[p.record.kind]}”后，下级组织 ${misfits.slice(0, 5).map((c) => `“${c.id}”（${ORG_KIND_LABELS[c.kind]}）`).join('、')}${misfits.length > 5 ? ' 等' : ''}不能再挂在它下面。`);
    }
  }

  for (const [id, p] of sheetOrgs) {
    if (!p.record.closed || before.orgs.get(id)?.closed) continue;
    const children = activeChildren.get(id) ?? [];
    const people = activeUsers.get(id) ?? [];
    const few = (ids: string[]) => `${ids.slice(0, 5).join('、')}${ids.length > 5 ? ` 等 ${ids.length} 个` : ''}`;
    if (children.length > 0) orgErrors.add(p.row, 'status', `组织“${id}”下还有未撤销的下级组织（${few(children)}），不能撤销；请先撤销或移走它们。`);
    if (people.length > 0) orgErrors.add(p.row, 'status', `组织“${id}”还有启用的人员（${few(people)}），不能撤销；请先调走或停用他们。`);
  }

  // ---- Users: their org, sign-in names ----
  for (const [id, p] of sheetUsers) {
    const u = p.record;
    if (p.invalid.has('orgId')) continue;
    const org = after.orgs.get(u.orgId);
    if (!org) {
      userErrors.add(p.row, 'orgId', `所属组织“${u.orgId}”既不在“组织”表中，也不是系统中已有的组织。`);
      continue;
    }
    const old = before.users.get(id);
    const roleProblem = p.invalid.has('role') ? null : roleOrgError(u.role, org.kind);
    if (roleProblem) {
      const oldOrg = old ? before.orgs.get(old.orgId) : undefined;
      if (!(old && oldOrg && roleOrgError(old.role, oldOrg.kind) === roleProblem)) userErrors.add(p.row, 'orgId', `所属组织“${u.orgId}”是“${ORG_KIND_LABELS[org.kind]}”：${roleProblem}`);
    }
    if (org.closed && !u.disabled && !(old && !old.disabled && old.orgId === u.orgId && before.orgs.get(u.orgId)?.closed)) {
      const orgRow = orgRowOf(u.orgId);
      userErrors.add(p.row, 'orgId', `所属组织“${u.orgId}”${orgRow ? `在“组织”表第 ${orgRow.row} 行标为撤销` : '已撤销'}，启用的人员不能属于已撤销的组织。`);
    }
  }
  // Sign-in takes a username or a mobile number in one field: one value must never reach two users.
  const holders = new Map<string, { userId: string; field: 'username' | 'mobile' }[]>();
  for (const u of after.users.values()) {
    for (const field of ['username', 'mobile'] as const) {
      const value = u[field];
      if (value === null) continue;
      const list = holders.get(value) ?? [];
      list.push({ userId: u.id, field });
      holders.set(value, list);
    }
  }
  const fieldZh = { username: '用户名', mobile: '手机号' } as const;
  for (const [value, held] of holders) {
    if (new Set(held.map((h) => h.userId)).size < 2) continue;
    for (const h of held) {
      const p = userRowOf(h.userId);
      if (!p) continue;
      const others = held.filter((o) => o.userId !== h.userId).map((o) => `“${o.userId}”（${where(userRowOf(o.userId)?.row)}，${fieldZh[o.field]}）`);
      userErrors.add(p.row, h.field, `${fieldZh[h.field]}“${value}”已被用户${others.join('、')}使用；用户名和手机号都用于登录，全系统不能重复。`);
    }
  }
  // Duplicated user rows all hold the first row's name: the duplicate-id error already covers them.

  // The committee member importing must not disable themselves or give up their role: nobody else may be left to undo it.
  const self = actorId !== undefined ? userRowOf(actorId) : undefined;
  if (self && before.users.get(actorId!)?.role === 'committee') {
    if (self.record.disabled) userErrors.add(self.row, 'status', '不能通过导入停用自己的账号。');
    if (!self.invalid.has('role') && self.record.role !== 'committee') userErrors.add(self.row, 'role', '不能通过导入取消自己的“工委”角色。');
  }

  // ---- Secretaries: a member of the org they lead, not disabled ----
  const secretaryProblem = (state: typeof after, orgId: string): string | null => {
    const o = state.orgs.get(orgId);
    if (!o || o.secretaryId === null) return null;
    const u = state.users.get(o.secretaryId);
    if (!u) return `书记“${o.secretaryId}”既不在“人员”表中，也不是系统中已有的用户。`;
    if (u.orgId !== orgId) return `书记“${o.secretaryId}”属于组织“${u.orgId}”，不是本组织“${orgId}”的人员；书记必须是所领导组织的人员。`;
    if (u.disabled) return `书记“${o.secretaryId}”已停用，不能担任书记。`;
    const roles = secretaryRoles(o.kind);
    if (!roles.includes(u.role)) return `书记“${o.secretaryId}”的角色是“${ROLE_LABELS[u.role]}”，“${ORG_KIND_LABELS[o.kind]}”的书记须为${roles.map((r) => `“${ROLE_LABELS[r]}”`).join('或')}。`;
    return null;
  };
  const touchedOrgs = new Set<string>(sheetOrgs.keys());
  for (const o of after.orgs.values()) if (o.secretaryId !== null && sheetUsers.has(o.secretaryId)) touchedOrgs.add(o.id);
  for (const orgId of touchedOrgs) {
    const op = orgRowOf(orgId);
    if (op && op.invalid.has('secretaryId')) continue;
    const problem = secretaryProblem(after, orgId);
    if (!problem || secretaryProblem(before, orgId) === problem) continue;
    if (op) {
      orgErrors.add(op.row, 'secretaryId', problem);
    } else {
      const secretaryId = after.orgs.get(orgId)!.secretaryId!;
      const up = userRowOf(secretaryId)!;
      const u = up.record;
      userErrors.add(up.row, u.disabled ? 'status' : 'orgId', `该用户是组织“${orgId}”的书记：${problem}请先在“组织”表中更换该组织的书记。`);
    }
  }

  // ---- Inspector assignments ----
  const currentPairs = new Set(current.assignments.map((a) => `${a.inspectorId}\u0000${a.orgId}`));
  const listedInspectors = new Set<string>();
  const desired = new Map<string, AssignmentRecord>();
  for (const p of assignmentRows) {
    const a = p.record;
    if (p.invalid.has('inspectorId')) continue;
    listedInspectors.add(a.inspectorId);
    const inspector = after.users.get(a.inspectorId);
    const pairExisted = a.orgId !== null && currentPairs.has(`${a.inspectorId}\u0000${a.orgId}`);
    if (!inspector) {
      assignmentErrors.add(p.row, 'inspectorId', `督查员“${a.inspectorId}”既不在“人员”表中，也不是系统中已有的用户。`);
    } else if (inspector.role !== 'inspector' && !(pairExisted && before.users.get(a.inspectorId)?.role !== 'inspector')) {
      if (a.orgId !== null) assignmentErrors.add(p.row, 'inspectorId', `用户“${a.inspectorId}”的角色是“${ROLE_LABELS[inspector.role]}”，不是督查员，不能分配督查组织。`);
    }
    if (a.orgId === null || p.invalid.has('orgId')) continue;
    const org = after.orgs.get(a.orgId);
    if (!org) assignmentErrors.add(p.row, 'orgId', `组织“${a.orgId}”既不在“组织”表中，也不是系统中已有的组织。`);
    else if (org.closed && !pairExisted) assignmentErrors.add(p.row, 'orgId', `组织“${a.orgId}”已撤销，不能分配督查。`);
    desired.set(`${a.inspectorId}\u0000${a.orgId}`, { inspectorId: a.inspectorId, orgId: a.orgId });
  }
  // An inspector made something else keeps no assignments: those not listed are reported on the user's row.
  for (const [id, p] of sheetUsers) {
    if (p.record.role === 'inspector' || p.invalid.has('role') || before.users.get(id)?.role !== 'inspector') continue;
    const kept = listedInspectors.has(id) ? [...desired.values()].filter((a) => a.inspectorId === id) : current.assignments.filter((a) => a.inspectorId === id);
    if (kept.length > 0) {
      userErrors.add(p.row, 'role', `用户“${id}”不再是督查员，但仍有督查分工（${kept.slice(0, 5).map((a) => a.orgId).join('、')}${kept.length > 5 ? ' 等' : ''}）；请在“督查分工”表中取消。`);
    }
  }

  // ---- What would change ----
  const plan: ImportPlan = { orgs: { insert: [], update: [] }, users: { insert: [], update: [], disable: [] }, assignments: { add: [], remove: [] }, secretaryChanges: [] };
  const orgsAdded: string[] = [];
  const orgsChanged: string[] = [];
  const orgsClosed: string[] = [];
  for (const [id, p] of sheetOrgs) {
    const old = before.orgs.get(id);
    if (!old) {
      plan.orgs.insert.push(p.record);
      orgsAdded.push(id);
      continue;
    }
    if (sameOrg(old, p.record)) continue;
    plan.orgs.update.push(sameName(old.name, p.record.name) ? { ...p.record, name: old.name } : p.record);
    if (p.record.closed && !old.closed) orgsClosed.push(id);
    else orgsChanged.push(id);
    if (old.secretaryId !== p.record.secretaryId) plan.secretaryChanges.push({ orgId: id, fromUserId: old.secretaryId, toUserId: p.record.secretaryId });
  }
  // Parents before children, whether a parent is new too.
  plan.orgs.insert = treeOrder(plan.orgs.insert);
  const usersAdded: string[] = [];
  const usersChanged: string[] = [];
  const usersDisabled: string[] = [];
  for (const [id, p] of sheetUsers) {
    const old = before.users.get(id);
    if (!old) {
      plan.users.insert.push(p.record);
      usersAdded.push(id);
      continue;
    }
    if (sameUser(old, p.record)) continue;
    plan.users.update.push(sameName(old.name, p.record.name) ? { ...p.record, name: old.name } : p.record);
    if (p.record.disabled && !old.disabled) {
      usersDisabled.push(id);
      plan.users.disable.push(id);
    } else usersChanged.push(id);
  }
  for (const [key, a] of desired) if (!currentPairs.has(key)) plan.assignments.add.push(a);
  for (const a of current.assignments) if (listedInspectors.has(a.inspectorId) && !desired.has(`${a.inspectorId}\u0000${a.orgId}`)) plan.assignments.remove.push(a);

  const order = new Map(SHEET_KEYS.map((k, i) => [SHEETS[k].title, i]));
  const columnOrder = (e: RowError) => {
    const key = SHEET_KEYS[order.get(e.sheet) ?? 0];
    return SHEETS[key].columns.findIndex((c) => c.header === e.column);
  };
  const errors = [...file.errors, ...orgErrors.list, ...userErrors.list, ...assignmentErrors.list].sort(
    (a, b) => (order.get(a.sheet) ?? 9) - (order.get(b.sheet) ?? 9) || a.row - b.row || columnOrder(a) - columnOrder(b),
  );

  const rows: Partial<Record<SheetKey, number>> = {};
  for (const key of SHEET_KEYS) if (file.sheets[key]) rows[key] = file.sheets[key]!.rows.length;
  return {
    rows,
    errors,
    plan,
    changes: {
      orgs: { added: idList(orgsAdded), changed: idList(orgsChanged), closed: idList(orgsClosed) },
      users: { added: idList(usersAdded), changed: idList(usersChanged), disabled: idList(usersDisabled) },
      assignments: {
        added: { count: plan.assignments.add.length, items: plan.assignments.add.slice(0, LISTED_IDS_MAX) },
        removed: { count: plan.assignments.remove.length, items: plan.assignments.remove.slice(0, LISTED_IDS_MAX) },
      },
      secretaryChanges: { count: plan.secretaryChanges.length, items: plan.secretaryChanges.slice(0, LISTED_IDS_MAX) },
    },
  };
}
