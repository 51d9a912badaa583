/** Repository functions for the org tree as the project and report services read it. */
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
