/**
 * The committee's own spreadsheet format for the directory (组织、人员、督查分工): sheet and column
 * names in Chinese, the Chinese labels of kinds, roles and states, and how a cell's text is
 * normalised before it is read. Pure: no I/O, no exceljs.
 */

export type SheetKey = 'orgs' | 'users' | 'assignments';
export const SHEET_KEYS: readonly SheetKey[] = ['orgs', 'users', 'assignments'];

export type OrgKind = 'committee' | 'unit' | 'organ_committee' | 'branch';
export type UserRole = 'committee' | 'secretary' | 'inspector' | 'auditor' | 'member';

export interface ColumnDef<F extends string = string> {
  field: F;
  header: string;
  required: boolean;
  /** Allowed labels, for the template's drop-down list. */
  choices?: readonly string[];
  /** One line for the template's explanation sheet and header note. */
  hint: string;
  width: number;
}

export const ORG_KIND_LABELS: Record<OrgKind, string> = { committee: '工委', unit: '单位', organ_committee: '机关党委', branch: '党支部' };
export const ROLE_LABELS: Record<UserRole, string> = { committee: '工委', secretary: '书记', inspector: '督查员', auditor: '审计员', member: '党员' };
export const ORG_STATUS_LABELS = { active: '正常', closed: '撤销' } as const;
export const USER_STATUS_LABELS = { active: '启用', disabled: '停用' } as const;

const ORG_COLUMNS = [
  { field: 'id', header: '组织编号', required: true, hint: '唯一编号：字母或数字开头，可含字母、数字和 . _ : -，最长 80 个字符。', width: 18 },
  { field: 'parentId', header: '上级组织编号', required: false, hint: '上级组织的编号（本表中或系统中已有的组织）；只有“工委”可以留空。', width: 18 },
  { field: 'kind', header: '类型', required: true, choices: Object.values(ORG_KIND_LABELS), hint: '工委、单位、机关党委或党支部。', width: 12 },
  { field: 'name', header: '名称', required: true, hint: '组织全称，最长 200 个字符。', width: 30 },
  { field: 'secretaryId', header: '书记用户编号', required: false, hint: '书记的用户编号；该用户必须属于本组织且未停用。留空表示暂无书记。', width: 18 },
  { field: 'status', header: '状态', required: false, choices: Object.values(ORG_STATUS_LABELS), hint: '正常或撤销；留空即“正常”。未列入表中的组织不会被撤销。', width: 10 },
] as const satisfies readonly ColumnDef[];

const USER_COLUMNS = [
  { field: 'id', header: '用户编号', required: true, hint: '唯一编号：字母或数字开头，可含字母、数字和 . _ : -，最长 80 个字符。', width: 18 },
  { field: 'name', header: '姓名', required: true, hint: '姓名，最长 100 个字符。', width: 14 },
  { field: 'role', header: '角色', required: true, choices: Object.values(ROLE_LABELS), hint: '工委、书记、督查员、审计员或党员。', width: 10 },
  { field: 'orgId', header: '所属组织编号', required: true, hint: '所属组织的编号（本表“组织”中或系统中已有的组织）。', width: 18 },
  { field: 'username', header: '用户名', required: false, hint: '登录用户名（字母、数字和 . _ @ -，2～64 个字符，不区分大小写），全系统唯一，也不能与他人的手机号相同；留空表示不用用户名登录。新用户没有密码，须由工委重置密码后登录。', width: 16 },
  { field: 'mobile', header: '手机号', required: false, hint: '11 位手机号，全系统唯一；可留空。', width: 16 },
  { field: 'status', header: '状态', required: false, choices: Object.values(USER_STATUS_LABELS), hint: '启用或停用；留空即“启用”。停用立即终止其会话和令牌。未列入表中的用户不会被停用。', width: 10 },
] as const satisfies readonly ColumnDef[];

const ASSIGNMENT_COLUMNS = [
  { field: 'inspectorId', header: '督查员用户编号', required: true, hint: '督查员的用户编号（角色须为督查员）。', width: 18 },
  { field: 'orgId', header: '组织编号', required: false, hint: '分给该督查员的组织；表中列出的督查员的分工以本表为准，组织编号留空的一行表示该督查员不再负责任何组织。', width: 18 },
] as const satisfies readonly ColumnDef[];

export type OrgField = (typeof ORG_COLUMNS)[number]['field'];
export type UserField = (typeof USER_COLUMNS)[number]['field'];
export type AssignmentField = (typeof ASSIGNMENT_COLUMNS)[number]['field'];

export interface SheetDef {
  key: SheetKey;
  /** The worksheet's name (and the `sheet` of every error in it). */
  title: string;
  columns: readonly ColumnDef[];
}

export const SHEETS: Record<SheetKey, SheetDef> = {
  orgs: { key: 'orgs', title: '组织', columns: ORG_COLUMNS },
  users: { key: 'users', title: '人员', columns: USER_COLUMNS },
  assignments: { key: 'assignments', title: '督查分工', columns: ASSIGNMENT_COLUMNS },
};

export function header(sheet: SheetKey, field: string): string {
  return SHEETS[sheet].columns.find((c) => c.field === field)?.header ?? field;
}

/** One row's errors and what would change are reported against what the person sees: the sheet's name, the row's number in it (the header is row 1), the column's header. */
export interface RowError {
  sheet: string;
  row: number;
  column: string;
  message: string;
}

/** A sheet row as text, keyed by field; `row` is its number in the file (header = 1). */
export interface RawRow {
  row: number;
  cells: Record<string, string>;
}

export interface RawSheet {
  key: SheetKey;
  rows: RawRow[];
}

/** What a file holds: the sheets it has (a sheet it lacks is not imported at all), and the errors of reading it. */
export interface RawWorkbook {
  sheets: Partial<Record<SheetKey, RawSheet>>;
  errors: RowError[];
}

// ---- Normalisation --------------------------------------------------------------------------

// Zero-width characters and the byte-order mark that copy-paste from web pages and Word leaves behind.
const INVISIBLE = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;

/**
 * A cell's text as read, for free text (names): invisible characters dropped, full-width Latin
 * letters and digits folded to ASCII, every kind of whitespace (the ideographic space, line breaks)
 * collapsed to one space, trimmed. Full-width punctuation stays: （）、， are how Chinese names are
 * written, and NFKC would turn 单位党组（党委） into 单位党组(党委).
 */
export function normaliseText(value: string): string {
  return value
    .replace(INVISIBLE, '')
    .replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\s+/g, ' ')
    .trim();
}

/** A code's text (ids, kinds, roles, states, sign-in names, mobile numbers): NFKC, so every full-width form becomes ASCII, then as normaliseText. */
export function normaliseCell(value: string): string {
  return normaliseText(value.normalize('NFKC'));
}

/** Header text compared without any whitespace (“组织 编号” matches “组织编号”). */
export function normaliseHeader(value: string): string {
  return normaliseCell(value).replace(/\s+/g, '');
}

/** A mobile number as stored: digits only (full-width folded, spaces and hyphens people type dropped). */
export function normaliseMobile(value: string): string {
  return value.normalize('NFKC').replace(/[\s-]/g, '');
}

/**
 * How org kinds nest (工委 → 单位 → 机关党委 → 党支部; a committee is always a root), who may lead
 * an org, and which roles work for the committee: the same rules as the directory's own routes.
 */
export const PARENT_KIND: Record<OrgKind, OrgKind | null> = { committee: null, unit: 'committee', organ_committee: 'unit', branch: 'organ_committee' };

export function nestingError(kind: OrgKind, parentKind: OrgKind | null): string | null {
  const want = PARENT_KIND[kind];
  if (want === null) return parentKind === null ? null : '“工委”是组织体系的根，不能有上级组织。';
  if (parentKind === null) return `“${ORG_KIND_LABELS[kind]}”必须有上级组织（“${ORG_KIND_LABELS[want]}”）。`;
  if (parentKind !== want) return `“${ORG_KIND_LABELS[kind]}”的上级组织须为“${ORG_KIND_LABELS[want]}”，不能是“${ORG_KIND_LABELS[parentKind]}”。`;
  return null;
}

export function secretaryRoles(kind: OrgKind): readonly UserRole[] {
  return kind === 'committee' ? ['secretary', 'committee'] : ['secretary'];
}

const COMMITTEE_ORG_ROLES: readonly UserRole[] = ['committee', 'inspector', 'auditor'];

export function roleOrgError(role: UserRole, orgKind: OrgKind): string | null {
  if (COMMITTEE_ORG_ROLES.includes(role) && orgKind !== 'committee') return `“${ROLE_LABELS[role]}”须属于工委组织，不能属于“${ORG_KIND_LABELS[orgKind]}”。`;
  return null;
}

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;
export const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
/** Sign-in names after normaliseLogin: letters (any script), digits and . _ @ -, 2–64 characters (the rule of the directory's own routes). */
export const USERNAME_PATTERN = /^[\p{L}\p{N}._@-]{2,64}$/u;
export const NAME_MAX = 200;
export const USER_NAME_MAX = 100;

/** The label → value maps the reader accepts: the Chinese label, the stored code itself, and the longer names the console shows. */
export function labelLookup<V extends string>(labels: Record<V, string>, aliases: Partial<Record<V, readonly string[]>> = {}): Map<string, V> {
  const map = new Map<string, V>();
  for (const [value, label] of Object.entries(labels) as [V, string][]) {
    map.set(label, value);
    map.set(value, value);
    for (const alias of aliases[value] ?? []) map.set(alias, value);
  }
  return map;
}

export const ORG_KIND_ALIASES: Partial<Record<OrgKind, readonly string[]>> = { unit: ['单位党组', '单位党委', '单位党组（党委）', '单位党组(党委)'] };
export const ROLE_ALIASES: Partial<Record<UserRole, readonly string[]>> = { committee: ['工委工作人员'], auditor: ['审计人员'], secretary: ['支部书记'] };
