/** The org directory as the reports see it: names, kinds, and which unit (单位) an org belongs to. */

export type OrgKind = 'committee' | 'unit' | 'organ_committee' | 'branch';

/** One org of the tree 工委 → 单位党组(党委) → 机关党委 → 党支部, as stored in the `orgs` table. */
export interface OrgDirectoryEntry {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  name: string;
  /**
   * The org's secretary, when known. Lets the key-project figure name secretaries who lead no
   * project at all; without it only secretaries found on projects are checked.
   */
  secretaryId?: string | null;
}

export const ORG_KIND_LABELS: Readonly<Record<OrgKind, string>> = {
  committee: '工委',
  unit: '单位党组(党委)',
  organ_committee: '机关党委',
  branch: '党支部',
};

/** Lookups over the directory; ids not in it are still answered (named by their id, in no unit). */
export interface OrgIndex {
  get(id: string): OrgDirectoryEntry | undefined;
  name(id: string): string;
  kind(id: string): OrgKind | null;
  /** The nearest `unit` at or above the org, or null (the committee itself, an unknown org). */
  unitOf(id: string): string | null;
  /** Directory orgs in tree order (depth first, siblings in directory order). */
  treeOrder: readonly string[];
  /** Position of an org for sorting: tree order, then unknown ids by code-unit order. */
  position(id: string): number;
  units: readonly OrgDirectoryEntry[];
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function indexOrgs(orgs: readonly OrgDirectoryEntry[]): OrgIndex {
  const byId = new Map<string, OrgDirectoryEntry>();
  for (const o of orgs) if (!byId.has(o.id)) byId.set(o.id, o);

  const childrenOf = new Map<string | null, OrgDirectoryEntry[]>();
  for (const o of byId.values()) {
    const parent = o.parentId !== null && byId.has(o.parentId) ? o.parentId : null;
    const list = childrenOf.get(parent) ?? [];
    list.push(o);
    childrenOf.set(parent, list);
  }
  const treeOrder: string[] = [];
  const seen = new Set<string>();
  const visit = (o: OrgDirectoryEntry): void => {
    if (seen.has(o.id)) return;
    seen.add(o.id);
    treeOrder.push(o.id);
    for (const c of childrenOf.get(o.id) ?? []) visit(c);
  };
  for (const root of childrenOf.get(null) ?? []) visit(root);
  // Orgs caught in a parent cycle (bad data) are never reached from a root; keep them anyway.
  for (const o of byId.values()) visit(o);

  const positions = new Map(treeOrder.map((id, i) => [id, i]));
  const unitCache = new Map<string, string | null>();

  const unitOf = (id: string): string | null => {
    const cached = unitCache.get(id);
    if (cached !== undefined) return cached;
    const visited = new Set<string>();
    let current: string | null = id;
    let found: string | null = null;
    while (current !== null && !visited.has(current)) {
      visited.add(current);
      const org = byId.get(current);
      if (!org) break;
      if (org.kind === 'unit') {
        found = org.id;
        break;
      }
      current = org.parentId;
    }
    unitCache.set(id, found);
    return found;
  };

  return {
    get: (id) => byId.get(id),
    name: (id) => byId.get(id)?.name ?? id,
    kind: (id) => byId.get(id)?.kind ?? null,
    unitOf,
    treeOrder,
    position: (id) => positions.get(id) ?? treeOrder.length,
    units: treeOrder.map((id) => byId.get(id) as OrgDirectoryEntry).filter((o) => o.kind === 'unit'),
  };
}

/** Sorts org ids: directory tree order first, then ids unknown to the directory by code-unit order. */
export function sortOrgIds(ids: Iterable<string>, index: OrgIndex): string[] {
  return [...new Set(ids)].sort((a, b) => index.position(a) - index.position(b) || compareIds(a, b));
}
