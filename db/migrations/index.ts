/**
 * Every migration, listed statically so the migrator works the same under tsx, vitest and a
 * compiled build. Names sort in time order; a released migration is never edited.
 */
import type { Migration } from 'kysely';
import * as m0001 from './20261123_0001_wiring_checks';
import * as m0002 from './20261123_0002_projects_events_notifications';
import * as m0003 from './20261123_0003_orgs_cycles_details';
import * as m0004 from './20261123_0004_api_tokens_idempotency';
import * as m0005 from './20261123_0005_evidence_files';
import * as m0006 from './20261123_0006_inspector_assignments';
import * as m0010 from './20261201_0010_claim_check_persistence_lag';
import * as m0011 from './20261201_0011_identity';
import * as m0012 from './20261201_0012_tasks';
import * as m0013 from './20261201_0013_notification_delivery';
import * as m0014 from './20261201_0014_problem_lists';

export const migrations: Record<string, Migration> = {
  '20261123_0001_wiring_checks': m0001,
  '20261123_0002_projects_events_notifications': m0002,
  '20261123_0003_orgs_cycles_details': m0003,
  '20261123_0004_api_tokens_idempotency': m0004,
  '20261123_0005_evidence_files': m0005,
  '20261123_0006_inspector_assignments': m0006,
  '20261201_0010_claim_check_persistence_lag': m0010,
  '20261201_0011_identity': m0011,
  '20261201_0012_tasks': m0012,
  '20261201_0013_notification_delivery': m0013,
  '20261201_0014_problem_lists': m0014,
};
