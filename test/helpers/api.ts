/** A small org tree with one user per role and their bearer tokens, for API tests. */
import type { Db } from '../../db';
import { issueToken } from '../../db/auth';
import { openCycle } from '../../db/cycles';
import type { CycleConfig, Role } from '../../workflows/lifecycle';

export interface ApiCast {
  tokens: Record<string, string>;
  users: Record<string, { id: string; role: Role; orgId: string }>;
}

/**
 * committee ─ unit U1 ─ organ committee OC1 ─ branches B1, B2
 *           └ unit U2 ─ organ committee OC2 ─ branch B3
 */
export async function seedCast(db: Db, cycle: CycleConfig): Promise<ApiCast> {
  const orgs = [
    { id: cycle.committee.orgId, parentId: null, kind: 'committee' as const, name: '市直机关工委', secretaryId: cycle.committee.userId },
    { id: 'org-u1', parentId: cycle.committee.orgId, kind: 'unit' as const, name: '市财政局党组', secretaryId: 'u-sec-u1' },
    { id: 'org-oc1', parentId: 'org-u1', kind: 'organ_committee' as const, name: '市财政局机关党委', secretaryId: 'u-sec-oc1' },
    { id: 'org-b1', parentId: 'org-oc1', kind: 'branch' as const, name: '预算处党支部', secretaryId: 'u-sec-b1' },
    { id: 'org-b2', parentId: 'org-oc1', kind: 'branch' as const, name: '办公室党支部', secretaryId: 'u-sec-b2' },
    { id: 'org-u2', parentId: cycle.committee.orgId, kind: 'unit' as const, name: '市教育局党组', secretaryId: 'u-sec-u2' },
    { id: 'org-oc2', parentId: 'org-u2', kind: 'organ_committee' as const, name: '市教育局机关党委', secretaryId: 'u-sec-oc2' },
    { id: 'org-b3', parentId: 'org-oc2', kind: 'branch' as const, name: '基教处党支部', secretaryId: 'u-sec-b3' },
  ];
  const users = [
    { id: cycle.committee.userId, name: '工委审核员', role: 'committee' as Role, orgId: cycle.committee.orgId },
    { id: 'u-inspector', name: '督查员', role: 'inspector' as Role, orgId: cycle.committee.orgId },
    { id: 'u-auditor', name: '审计员', role: 'auditor' as Role, orgId: cycle.committee.orgId },
    ...orgs.slice(1).map((o) => ({ id: o.secretaryId, name: `${o.name}书记`, role: 'secretary' as Role, orgId: o.id })),
    { id: 'u-member-b1', name: '预算处党员', role: 'member' as Role, orgId: 'org-b1' },
  ];
  await openCycle(db, { cycle, orgs, users, projects: [], inspectorAssignments: [{ inspectorId: 'u-inspector', orgId: cycle.committee.orgId }] });
  const tokens: Record<string, string> = {};
  const byId: ApiCast['users'] = {};
  for (const u of users) {
    tokens[u.id] = await issueToken(db, u.id, 'test');
    byId[u.id] = { id: u.id, role: u.role, orgId: u.orgId };
  }
  return { tokens, users: byId };
}
