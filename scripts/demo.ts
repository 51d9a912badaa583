/**
 * The demo city `npm start` creates on the embedded default: a small generated city (three units,
 * about thirty projects, launched), and a fresh bearer token for one user of each role.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { issueToken } from '../db/auth';
import { getCycleConfig, openCycle } from '../db/cycles';
import { inspectorAssignments, smallCity } from '../db/seed/city';
import { launchCycleWorkflow, launchWorkflowId } from '../workflows/launch-cycle';
import type { Role } from '../workflows/lifecycle';

export const DEMO_CYCLE_ID = 'demo-2026';

export interface DemoLogin {
  role: Role;
  userId: string;
  name: string;
  orgId: string;
  token: string;
}

export async function ensureDemoCity(db: Db, temporal: Client, taskQueue: string): Promise<DemoLogin[]> {
  const city = smallCity(1, { year: 2026, cycleId: DEMO_CYCLE_ID });
  if (!(await getCycleConfig(db, DEMO_CYCLE_ID))) {
    await openCycle(db, { cycle: city.cycle, orgs: city.orgs, users: city.users, projects: city.projects, inspectorAssignments: inspectorAssignments(city) });
    await temporal.workflow
      .start(launchCycleWorkflow, { workflowId: launchWorkflowId(DEMO_CYCLE_ID), taskQueue, args: [{ cycleId: DEMO_CYCLE_ID }] })
      .catch(() => undefined); // already launched on an earlier start
  }
  const roles: Role[] = ['committee', 'secretary', 'inspector', 'auditor', 'member'];
  const logins: DemoLogin[] = [];
  for (const role of roles) {
    // The committee's reviewing user, and the secretary of the first unit's organ committee.
    const user =
      role === 'committee'
        ? city.users.find((u) => u.id === city.cycle.committee.userId)
        : role === 'secretary'
          ? city.users.find((u) => u.role === 'secretary' && u.orgId.endsWith('-oc'))
          : city.users.find((u) => u.role === role);
    if (!user) continue;
    logins.push({ role, userId: user.id, name: user.name, orgId: user.orgId, token: await issueToken(db, user.id, 'demo (npm start)') });
  }
  return logins;
}
