/** Repository functions for the org tree as the project and report services read it. */
import { sql } from 'kysely';
import type { Db } from '.';
import { orgSubtreeIds } from './auth';
import type { OrgTable } from './types';

/** One org as the services see it. */
export interface Org {
  id: string;
  parentId: string | null;
  kind: OrgTable['kind'];
  name: string;
  secretaryId: string | null;
}

export async function getOrg(db: Db, id: string): Promise<Org | undefined> {
  const row = await db.selectFrom('orgs').select(['id', 'parent_id', 'kind', 'name', 'secretary_id']).where('id', '=', id).executeTakeFirst();
  return row && { id: row.id, parentId: row.parent_id, kind: row.kind, name: row.name, secretaryId: row.secretary_id };
}

/** Whether `orgId` is `rootId` or an org below it. */
export async function isInSubtree(db: Db, orgId: string, rootId: string): Promise<boolean> {
  const row = await db.selectFrom('orgs').select('id').where('id', '=', orgId).where('id', 'in', orgSubtreeIds(rootId)).executeTakeFirst();
  return row !== undefined;
}

/** The secretary of each of the given orgs that exists. */
export async function orgSecretaries(db: Db, ids: string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('orgs').select(['id', 'secretary_id']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.secretary_id]));
}

/** Every org (the reports name orgs across the tree). */
export async function listOrgs(db: Db): Promise<Org[]> {
  const rows = await db.selectFrom('orgs').select(['id', 'parent_id', 'kind', 'name', 'secretary_id']).execute();
  return rows.map((o) => ({ id: o.id, parentId: o.parent_id, kind: o.kind, name: o.name, secretaryId: o.secretary_id }));
}

/**
 * Of the given problem ids, those on the problem list (问题清单) of the org or of an org above it
 * — the lists a project of that org may link to — with whether each is still open.
 */
export async function linkableProblems(db: Db, orgId: string, problemIds: string[]): Promise<Map<string, { status: string }>> {
  if (problemIds.length === 0) return new Map();
  const rows = await sql<{ id: string; status: string }>`
    with recursive up(id, parent_id) as (
      select id, parent_id from orgs where id = ${orgId}
      union all
      select o.id, o.parent_id from orgs o join up on o.id = up.parent_id
    )
    select p.id, p.status from org_problems p where p.org_id in (select id from up) and p.id = any(${problemIds}::text[])`.execute(db);
  return new Map(rows.rows.map((r) => [r.id, { status: r.status }]));
}
