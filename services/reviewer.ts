/**
 * Who reviews a top-level project (把关, DESIGN §2): the committee reviews the projects of units
 * and organ party committees; an organ party committee reviews its branches' projects. One rule
 * for a project planned when a cycle is opened; a proposal (services/projects.ts) follows the same.
 */
import type { Org } from '../db/orgs';
import type { CycleConfig, OrgUser } from '../workflows/lifecycle';

/** The reviewer of a project led by `org`'s secretary; `parent` is `org`'s parent org, if known. */
export function reviewerOf(org: Pick<Org, 'kind' | 'parentId'>, parent: Pick<Org, 'id' | 'secretaryId'> | undefined, cycle: Pick<CycleConfig, 'committee'>): OrgUser {
  if (org.kind === 'branch' && parent?.secretaryId) return { orgId: parent.id, userId: parent.secretaryId };
  return { orgId: cycle.committee.orgId, userId: cycle.committee.userId };
}
