/**
 * The pure rules of the managed directory (组织与人员): how org kinds nest, who may lead an org,
 * which roles belong where, what a sign-in name and a mobile number look like, and the nested
 * tree. No I/O, so the unit tests (test/unit/directory-rules.test.ts) check them directly.
 */
import { normaliseLogin } from '../db/identity';
import type { OrgKind, OrgRecord, UserRole } from '../db/directory';

export const ORG_KIND_ZH: Record<OrgKind, string> = { committee: '工委', unit: '单位党组（党委）', organ_committee: '机关党委', branch: '党支部' };
export const ROLE_ZH: Record<UserRole, string> = { committee: '工委工作人员', secretary: '书记', inspector: '督查员', auditor: '审计人员', member: '党员' };

/**
 * Which kinds an org of each kind may sit under (DESIGN §2: 工委 → 单位 → 机关党委 → 党支部).
 * Neither the generated city (db/seed/city.ts) nor the test cast (test/helpers/api.ts) puts a
 * branch straight under a unit, so the strict chain is kept; a committee is always a root.
 */
export const PARENT_KIND: Record<OrgKind, OrgKind | null> = { committee: null, unit: 'committee', organ_committee: 'unit', branch: 'organ_committee' };

/** The deepest a tree can be under that nesting: a committee, a unit, an organ committee, a branch. */
export const MAX_TREE_DEPTH = 4;

/** Why an org of `kind` cannot sit under a parent of `parentKind` (null: no parent), or null when it can. */
export function nestingError(kind: OrgKind, parentKind: OrgKind | null): string | null {
  const want = PARENT_KIND[kind];
  if (want === null) return parentKind === null ? null : `${ORG_KIND_ZH.committee}是组织体系的根，不能有上级组织。`;
  if (parentKind === null) return `${ORG_KIND_ZH[kind]}必须有上级组织（${ORG_KIND_ZH[want]}）。`;
  if (parentKind !== want) return `${ORG_KIND_ZH[kind]}的上级组织须为${ORG_KIND_ZH[want]}，不能是${ORG_KIND_ZH[parentKind]}。`;
  return null;
}

/** Roles that may lead (be the secretary of) an org of this kind: the test cast has its committee user lead the committee org. */
export function secretaryRoles(kind: OrgKind): readonly UserRole[] {
  return kind === 'committee' ? ['secretary', 'committee'] : ['secretary'];
}

/** Committee staff, inspectors and auditors work for the committee (their reach is city-wide), so they belong to a committee org. */
const COMMITTEE_ORG_ROLES: readonly UserRole[] = ['committee', 'inspector', 'auditor'];

/** Why a user of this role cannot belong to an org of this kind, or null. */
export function roleOrgError(role: UserRole, orgKind: OrgKind): string | null {
  if (COMMITTEE_ORG_ROLES.includes(role) && orgKind !== 'committee') return `${ROLE_ZH[role]}须属于工委组织，不能属于${ORG_KIND_ZH[orgKind]}。`;
  return null;
}

/** Chinese mainland mobile numbers: 11 digits starting 13–19. */
export const MOBILE_PATTERN = /^1[3-9]\d{9}$/;

/** A mobile number as stored: full-width digits folded (NFKC), spaces and hyphens dropped. */
export function normaliseMobile(mobile: string): string {
  return mobile.normalize('NFKC').trim().replace(/[\s-]/g, '');
}

export function mobileError(normalised: string): string | null {
  return MOBILE_PATTERN.test(normalised) ? null : '手机号须为 11 位中国大陆手机号码（1 开头，第二位为 3–9）。';
}

/** Sign-in names: letters (any script), digits and . _ @ -, 2 to 64 characters, stored in normaliseLogin form. */
const USERNAME_PATTERN = /^[\p{L}\p{N}._@-]{2,64}$/u;

export function normaliseUsername(username: string): string {
  return normaliseLogin(username);
}

export function usernameError(normalised: string): string | null {
  return USERNAME_PATTERN.test(normalised) ? null : '用户名须为 2–64 个字母、数字或 . _ @ - 字符，不能含空格。';
}

/** `{ field: { from, to } }` for every field whose value changes; fields absent from `next` do not change. */
export function changes<T extends object>(before: T, next: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, to] of Object.entries(next)) {
    if (to === undefined) continue;
    const from = (before as Record<string, unknown>)[key];
    if (from !== to) out[key] = { from: from ?? null, to };
  }
  return out;
}

export interface OrgTreeNode {
  id: string;
  kind: OrgKind;
  name: string;
  secretaryId: string | null;
  secretaryName: string | null;
  closedAt: string | null;
  children: OrgTreeNode[];
}

/** The nested tree of a subtree listed parents first (the root first). */
export function nestTree(rows: readonly Pick<OrgRecord, 'id' | 'parentId' | 'kind' | 'name' | 'secretaryId' | 'secretaryName' | 'closedAt'>[]): OrgTreeNode | null {
  if (rows.length === 0) return null;
  const nodes = new Map<string, OrgTreeNode>();
  for (const r of rows) {
    nodes.set(r.id, { id: r.id, kind: r.kind, name: r.name, secretaryId: r.secretaryId, secretaryName: r.secretaryName, closedAt: r.closedAt?.toISOString() ?? null, children: [] });
  }
  const root = nodes.get(rows[0].id)!;
  for (const r of rows.slice(1)) {
    const parent = r.parentId ? nodes.get(r.parentId) : undefined;
    parent?.children.push(nodes.get(r.id)!);
  }
  return root;
}

export function treeDepth(node: OrgTreeNode): number {
  return 1 + Math.max(0, ...node.children.map(treeDepth));
}
