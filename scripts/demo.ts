/**
 * The demo city `npm start` creates on the embedded default: a small generated city (three units,
 * about thirty projects, launched), and for one user of each role a username with the demo
 * password (sign in with POST /auth/sign-in) and a fresh bearer token.
 */
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import { issueToken } from '../db/auth';
import { hashPassword } from '../db/identity';
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
  /** Sign-in name and password (POST /auth/sign-in); the demo's passwords are public by design. */
  username: string;
  password: string;
}

/** The demo users' password: known to everyone who reads the README, so never used outside the embedded demo. */
export const DEMO_PASSWORD = 'Demo-2026-pass';

/** Gives a demo user a username and the demo password (once: an existing password is kept, and no change is forced). */
async function ensureDemoCredentials(db: Db, userId: string): Promise<string> {
  const row = await db.selectFrom('users').select(['username', 'password_hash']).where('id', '=', userId).executeTakeFirst();
  const username = row?.username ?? userId;
  if (row && !row.password_hash) {
    await db.updateTable('users').set({ username, password_hash: await hashPassword(DEMO_PASSWORD), must_change_password: false }).where('id', '=', userId).execute();
  }
  return username;
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
    const username = await ensureDemoCredentials(db, user.id);
    logins.push({ role, userId: user.id, name: user.name, orgId: user.orgId, token: await issueToken(db, user.id, 'demo (npm start)'), username, password: DEMO_PASSWORD });
  }
  return logins;
}
