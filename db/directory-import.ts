/**
 * The directory (orgs, users, inspector assignments) as the import sees it, and applying an import
 * plan in one transaction. The rules are in directory-io/plan.ts; the SQL is here.
 */
import { sql, type Transaction } from 'kysely';
import type { Db } from '.';
import type { Database } from './types';
import { recordSecurityEvent, revokeUserSessions, revokeUserTokens, type RequestOrigin } from './identity';
import type { DirectoryRecords } from '../directory-io/records';
import { planImport, type PlanResult } from '../directory-io/plan';
import type { RawWorkbook } from '../directory-io/sheets';

type Executor = Db | Transaction<Database>;

/** The whole stored directory, closed orgs and disabled users included. */
export async function readDirectory(db: Executor): Promise<DirectoryRecords> {
  const [orgs, users, assignments] = await Promise.all([
    db.selectFrom('orgs').select(['id', 'parent_id', 'kind', 'name', 'secretary_id', 'closed_at']).execute(),
    db.selectFrom('users').select(['id', 'name', 'role', 'org_id', 'username', 'mobile', 'disabled_at']).execute(),
    db.selectFrom('inspector_assignments').select(['inspector_id', 'org_id']).execute(),
  ]);
  return {
    orgs: orgs.map((o) => ({ id: o.id, parentId: o.parent_id, kind: o.kind, name: o.name, secretaryId: o.secretary_id, closed: o.closed_at !== null })),
    users: users.map((u) => ({ id: u.id, name: u.name, role: u.role, orgId: u.org_id, username: u.username, mobile: u.mobile, disabled: u.disabled_at !== null })),
    assignments: assignments.map((a) => ({ inspectorId: a.inspector_id, orgId: a.org_id })),
  };
}

export interface ApplyResult {
  /** The plan made on the state locked inside the transaction (what was applied, or why not). */
  result: PlanResult;
  applied: boolean;
  /** Sessions and personal tokens revoked for the users disabled. */
  revoked: { sessions: number; tokens: number };
}

const asJson = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;

/**
 * Plans the import again on the directory as it stands inside one transaction (orgs, users and
 * assignments locked against other writers meanwhile) and, when the plan has no errors, writes all
 * of it there, with one `import_applied` security event. Nothing is written when there are errors.
 */
export async function applyDirectoryImport(db: Db, file: RawWorkbook, actorId: string, origin: RequestOrigin & { fileName?: string | null }): Promise<ApplyResult> {
  return db.transaction().execute(async (trx) => {
    // Readers (sign-in, foreign-key checks) are not blocked; other writers wait for this import, so the plan stays true until commit.
    await sql`lock table orgs, users, inspector_assignments in share row exclusive mode`.execute(trx);
    const result = planImport(file, await readDirectory(trx), actorId);
    const revoked = { sessions: 0, tokens: 0 };
    if (result.errors.length > 0) return { result, applied: false, revoked };
    const { plan } = result;

    // Orgs first (users need their org); all parents of a statement's rows are checked at its end.
    if (plan.orgs.insert.length > 0) {
      await sql`
        insert into orgs (id, parent_id, kind, name, secretary_id, closed_at)
        select v.id, v.parent_id, v.kind, v.name, v.secretary_id, case when v.closed then now() end
        from jsonb_to_recordset(${asJson(plan.orgs.insert.map((o) => ({ id: o.id, parent_id: o.parentId, kind: o.kind, name: o.name, secretary_id: o.secretaryId, closed: o.closed })))})
          as v(id text, parent_id text, kind text, name text, secretary_id text, closed boolean)`.execute(trx);
    }
    if (plan.orgs.update.length > 0) {
      await sql`
        update orgs as o set
          parent_id = v.parent_id, kind = v.kind, name = v.name, secretary_id = v.secretary_id,
          closed_at = case when v.closed then coalesce(o.closed_at, now()) end,
          updated_at = now()
        from jsonb_to_recordset(${asJson(plan.orgs.update.map((o) => ({ id: o.id, parent_id: o.parentId, kind: o.kind, name: o.name, secretary_id: o.secretaryId, closed: o.closed })))})
          as v(id text, parent_id text, kind text, name text, secretary_id text, closed boolean)
        where o.id = v.id`.execute(trx);
    }
    const userRows = (list: typeof plan.users.insert) =>
      asJson(list.map((u) => ({ id: u.id, name: u.name, role: u.role, org_id: u.orgId, username: u.username, mobile: u.mobile, disabled: u.disabled })));
    if (plan.users.insert.length > 0) {
      // No password: a new user signs in after a committee member resets it.
      await sql`
        insert into users (id, name, role, org_id, username, mobile, disabled_at)
        select v.id, v.name, v.role, v.org_id, v.username, v.mobile, case when v.disabled then now() end
        from jsonb_to_recordset(${userRows(plan.users.insert)})
          as v(id text, name text, role text, org_id text, username text, mobile text, disabled boolean)`.execute(trx);
    }
    if (plan.users.update.length > 0) {
      // Two users may swap usernames or mobile numbers in one import: the unique constraints are
      // checked per row, so the sign-in names are cleared first and set in a second statement.
      const rows = userRows(plan.users.update);
      await sql`
        update users as u set username = null, mobile = null
        from jsonb_to_recordset(${rows}) as v(id text, username text, mobile text)
        where u.id = v.id and (u.username is distinct from v.username or u.mobile is distinct from v.mobile)`.execute(trx);
      await sql`
        update users as u set
          name = v.name, role = v.role, org_id = v.org_id, username = v.username, mobile = v.mobile,
          disabled_at = case when v.disabled then coalesce(u.disabled_at, now()) end,
          updated_at = now()
        from jsonb_to_recordset(${rows})
          as v(id text, name text, role text, org_id text, username text, mobile text, disabled boolean)
        where u.id = v.id`.execute(trx);
    }
    for (const userId of plan.users.disable) {
      revoked.sessions += await revokeUserSessions(trx, userId);
      revoked.tokens += await revokeUserTokens(trx, userId);
    }

    if (plan.assignments.remove.length > 0) {
      await sql`
        delete from inspector_assignments as a
        using jsonb_to_recordset(${asJson(plan.assignments.remove.map((a) => ({ inspector_id: a.inspectorId, org_id: a.orgId })))}) as v(inspector_id text, org_id text)
        where a.inspector_id = v.inspector_id and a.org_id = v.org_id`.execute(trx);
    }
    if (plan.assignments.add.length > 0) {
      await sql`
        insert into inspector_assignments (inspector_id, org_id)
        select v.inspector_id, v.org_id
        from jsonb_to_recordset(${asJson(plan.assignments.add.map((a) => ({ inspector_id: a.inspectorId, org_id: a.orgId })))}) as v(inspector_id text, org_id text)
        on conflict do nothing`.execute(trx);
    }

    const c = result.changes;
    await recordSecurityEvent(trx, {
      kind: 'import_applied',
      actorId,
      subject: 'directory',
      ip: origin.ip,
      userAgent: origin.userAgent,
      detail: {
        file: origin.fileName ?? null,
        rows: result.rows,
        orgs: { added: c.orgs.added.count, changed: c.orgs.changed.count, closed: c.orgs.closed.count },
        users: { added: c.users.added.count, changed: c.users.changed.count, disabled: c.users.disabled.count },
        assignments: { added: c.assignments.added.count, removed: c.assignments.removed.count },
        secretaryChanges: c.secretaryChanges.items,
        revoked,
      },
    });
    return { result, applied: true, revoked };
  });
}
