/** Repository functions for uploaded evidence files (the metadata; the bytes are in the content store). */
import { sql } from 'kysely';
import type { Db } from '.';
import type { ProjectState } from '../workflows/lifecycle';

export interface NewEvidenceFile {
  sha256: string;
  uploadedBy: string;
  storedName: string;
  contentType: string;
  size: number;
}

/** Records that a user uploaded a file; uploading the same bytes again changes nothing. */
export async function recordEvidenceFile(db: Db, file: NewEvidenceFile): Promise<void> {
  await db
    .insertInto('evidence_files')
    .values({ sha256: file.sha256, uploaded_by: file.uploadedBy, stored_name: file.storedName, content_type: file.contentType, size: file.size })
    .onConflict((oc) => oc.columns(['sha256', 'uploaded_by']).doNothing())
    .execute();
}

export interface StoredFileMeta {
  contentType: string;
  storedName: string;
}

/** A file's metadata: as uploaded by `uploadedBy`, or by anyone when it is not given. */
export async function findEvidenceFile(db: Db, sha256: string, uploadedBy?: string): Promise<StoredFileMeta | undefined> {
  let query = db.selectFrom('evidence_files').select(['content_type', 'stored_name']).where('sha256', '=', sha256);
  if (uploadedBy !== undefined) query = query.where('uploaded_by', '=', uploadedBy);
  const row = await query.limit(1).executeTakeFirst();
  return row && { contentType: row.content_type, storedName: row.stored_name };
}

/** Which of the given hashes the user uploaded. */
export async function uploadedBy(db: Db, userId: string, sha256s: string[]): Promise<Set<string>> {
  if (sha256s.length === 0) return new Set();
  const rows = await db.selectFrom('evidence_files').select('sha256').where('uploaded_by', '=', userId).where('sha256', 'in', sha256s).execute();
  return new Set(rows.map((r) => r.sha256));
}

export interface CitingProject {
  id: string;
  cycleId: string;
  orgId: string;
  workflowId: string;
  state: ProjectState;
}

/**
 * Projects that cite a file (at most 500, by id): an evidence entry's files or claim-checked text
 * (normalised in `evidence`, the current and superseded versions), and a rectification report's
 * files or claim-checked text (only in the project state's ledger[].reports[]).
 */
export async function projectsCitingFile(db: Db, sha256: string): Promise<CitingProject[]> {
  const cites = '$.ledger[*].reports[*] ? (exists(@.files[*] ? (@.sha256 == $h)) || @.textRef.sha256 == $h)';
  const rows = await db
    .selectFrom('projects')
    .select(['projects.id', 'projects.cycle_id', 'projects.org_id', 'projects.workflow_id', 'projects.state'])
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('evidence')
            .select('evidence.id')
            .whereRef('evidence.project_id', '=', 'projects.id')
            .where((inner) => inner.or([sql<boolean>`evidence.files @> ${JSON.stringify([{ sha256 }])}::jsonb`, sql<boolean>`evidence.text_ref ->> 'sha256' = ${sha256}`])),
        ),
        // Only projects with a reported ledger entry can cite a file in a report: the normalised
        // ledger narrows the scan before the state's JSON is searched.
        eb.and([
          eb.exists(eb.selectFrom('ledger_entries').select('ledger_entries.id').whereRef('ledger_entries.project_id', '=', 'projects.id').where('ledger_entries.reports', '>', 0)),
          sql<boolean>`jsonb_path_exists(projects.state, ${cites}::jsonpath, jsonb_build_object('h', ${sha256}::text))`,
        ]),
      ]),
    )
    .orderBy('projects.id')
    .limit(500)
    .execute();
  return rows.map((p) => ({ id: p.id, cycleId: p.cycle_id, orgId: p.org_id, workflowId: p.workflow_id, state: p.state }));
}
