/**
 * What the project routes share: finding a project's workflow, deciding who may see it, and
 * sending a person's action to the workflow as an Update, turning refusals into problems.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyInstance } from 'fastify';
import type { AuthenticatedUser } from '../db/auth';
import { orgSubtree } from '../db/auth';
import { inspectorCovers } from '../db/cycles';
import { INLINE_TEXT_MAX, type PersonActor, type ProjectState, type Refusal, type TextRef } from '../workflows/lifecycle';
import { getProjectQuery, LIFECYCLE_REFUSAL, personUpdate, projectWorkflowId, type ActionResult, type Command, type PersonEventType, type ProjectView } from '../workflows/messages';
import { ProblemError } from './problem';

/**
 * One person's action as the API carries it out. With an Idempotency-Key, every id the server
 * decides for the action (evidence, ledger entries, sub-projects, the project itself) and the
 * Temporal Update id derive from the key, so a client's retry — after a timeout, a crash, a
 * takeover of an expired key — sends the very same Update: Temporal answers it with the first
 * outcome instead of applying it twice.
 */
interface ActionScope {
  seed: string;
  counter: number;
}
const actionScope = new AsyncLocalStorage<ActionScope>();

/** Runs an action with its id seed: derived from the Idempotency-Key when there is one. */
export function inActionScope<T>(userId: string, idempotencyKey: unknown, route: string, fn: () => Promise<T>): Promise<T> {
  const seed =
    typeof idempotencyKey === 'string' && idempotencyKey.length > 0
      ? createHash('sha256').update(`${userId}\n${idempotencyKey}\n${route}`).digest('hex')
      : randomUUID().replace(/-/g, '');
  return actionScope.run({ seed, counter: 0 }, fn);
}

/** A new id for something the action creates: deterministic within an idempotent action, random otherwise. */
export function newId(prefix: string): string {
  const scope = actionScope.getStore();
  if (!scope) return `${prefix}-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  scope.counter += 1;
  return `${prefix}-${createHash('sha256').update(`${scope.seed}:${scope.counter}`).digest('hex').slice(0, 12)}`;
}

function currentUpdateId(): string | undefined {
  const scope = actionScope.getStore();
  return scope ? `api-${scope.seed.slice(0, 40)}` : undefined;
}

export interface ProjectRef {
  id: string;
  cycleId: string;
  orgId: string;
  workflowId: string;
  state: ProjectState | null;
}

export function notFound(id: string): ProblemError {
  return new ProblemError(404, 'not-found', 'Project not found', `找不到项目 ${id}，或您无权查看该项目。`);
}

/** Finds a project by id in the projection, or in the cycle launch registry. */
export async function findProject(app: FastifyInstance, id: string): Promise<ProjectRef | undefined> {
  // The stored state is large and the workflow is asked for the live one: read it only as a fallback.
  const row = await app.deps.db.selectFrom('projects').select(['id', 'cycle_id', 'org_id', 'workflow_id']).where('id', '=', id).executeTakeFirst();
  if (row) return { id, cycleId: row.cycle_id, orgId: row.org_id, workflowId: row.workflow_id, state: null };
  const planned = await app.deps.db
    .selectFrom('cycle_projects')
    .select(['cycle_id', 'workflow_id', 'create_event'])
    .where('project_id', '=', id)
    .where('started_at', 'is not', null)
    .executeTakeFirst();
  if (!planned) return undefined;
  const create = planned.create_event as { orgId: string };
  return { id, cycleId: planned.cycle_id, orgId: create.orgId, workflowId: planned.workflow_id, state: null };
}

/** Whether the user may read the project: their role's reach, their org subtree, or a part they play in it. */
export async function canRead(app: FastifyInstance, user: AuthenticatedUser, project: ProjectRef, state: ProjectState | null): Promise<boolean> {
  if (user.role === 'committee' || user.role === 'auditor' || user.role === 'inspector') return true;
  if (user.role === 'secretary') {
    const subtree = await orgSubtree(app.deps.db, user.orgId);
    if (subtree.includes(project.orgId)) return true;
    if (!state) return false;
    return (
      state.reviewerId === user.id ||
      state.review.delegate?.to.userId === user.id ||
      state.ledger.some((e) => e.responsiblePersonId === user.id) ||
      state.children.some((c) => c.secretaryId === user.id)
    );
  }
  // Members read the projects of their own org and those holding their items.
  return project.orgId === user.orgId || Boolean(state?.memberItems.some((m) => m.memberId === user.id));
}

/** Inspectors inspect and verify only the orgs they are assigned to (督查分工). */
const INSPECTOR_ACTIONS: ReadonlySet<PersonEventType> = new Set(['recordInspection', 'verifyRectification', 'sendBackRectification']);

export function actorOf(user: AuthenticatedUser): PersonActor {
  return { userId: user.id, role: user.role, orgId: user.orgId };
}

/** Reads a project the user may see (404 otherwise, so ids cannot be probed). */
export async function readProject(app: FastifyInstance, user: AuthenticatedUser, id: string): Promise<{ ref: ProjectRef; view: ProjectView }> {
  const ref = await findProject(app, id);
  if (!ref) throw notFound(id);
  let view: ProjectView;
  try {
    view = await app.deps.temporal.workflow.getHandle(ref.workflowId).query(getProjectQuery);
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    // The workflow is gone (past retention): the projection is the last word.
    const stored = await app.deps.db.selectFrom('projects').select('state').where('id', '=', id).executeTakeFirst();
    if (!stored) throw error;
    const state = stored.state as ProjectState;
    view = { state, seq: state.version };
  }
  if (!(await canRead(app, user, ref, view.state))) throw notFound(id);
  return { ref, view };
}

export function refusalProblem(refusal: Refusal): ProblemError {
  const slug = refusal.status === 403 ? 'forbidden' : refusal.status === 409 ? 'conflict' : 'invalid';
  const title =
    refusal.status === 403 ? 'Not allowed for this user' : refusal.status === 409 ? 'Not allowed in the current stage' : 'Invalid request';
  return new ProblemError(refusal.status, slug, title, refusal.messageZh, { rule: refusal.rule, message: refusal.message });
}

/** Sends a person's action to the project's workflow; refusals become 403/409/400 problems naming the rule. */
export async function act<T extends PersonEventType>(
  app: FastifyInstance,
  user: AuthenticatedUser,
  projectId: string,
  type: T,
  fields: Omit<Command<T>, 'type' | 'actor'>,
  /** A route's own precondition on the project just read (org tree, cited files), run before the Update. */
  check?: (ref: ProjectRef, view: ProjectView) => Promise<void>,
): Promise<ActionResult & { ref: ProjectRef }> {
  const { ref, view } = await readProject(app, user, projectId);
  if (user.role === 'auditor') {
    throw new ProblemError(403, 'forbidden', 'Auditors change nothing', '审计人员只能查看，不能修改任何内容。', { rule: 'actor.auditor_read_only' });
  }
  if (user.role === 'inspector' && INSPECTOR_ACTIONS.has(type) && !(await inspectorCovers(app.deps.db, user.id, ref.orgId))) {
    throw new ProblemError(403, 'forbidden', 'Not assigned to this org', '您未被分派督查该单位的项目。', { rule: 'actor.inspector_not_assigned' });
  }
  await check?.(ref, view);
  const command = { ...fields, type, actor: actorOf(user) } as Command<T>;
  try {
    const result = await app.deps.temporal.workflow.getHandle(ref.workflowId).executeUpdate(personUpdate(type), { args: [command], updateId: currentUpdateId() });
    return { ...result, ref };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure && error.cause.type === LIFECYCLE_REFUSAL) {
      throw refusalProblem(error.cause.details?.[0] as Refusal);
    }
    if (error instanceof WorkflowNotFoundError || (error as { name?: string }).name === 'WorkflowNotFoundError') {
      throw new ProblemError(409, 'conflict', 'The project is closed', '该项目流程已结束，不能再操作。', { rule: 'stage.final' });
    }
    throw error;
  }
}

/**
 * After an action: the project as the caller may now see it, read by query (queries leave no
 * trace in the workflow's history, unlike an Update's answer).
 */
export async function viewAfter(app: FastifyInstance, result: ActionResult & { ref: ProjectRef }): Promise<ProjectView> {
  const view = await app.deps.temporal.workflow.getHandle(result.ref.workflowId).query(getProjectQuery);
  return view;
}

/** Characters kept as the summary of a claim-checked text. */
export const SUMMARY_CHARS = 60;

/**
 * The claim check (DESIGN "size by design"): a text longer than the lifecycle core's inline limit
 * is stored in the content-addressed store, recorded as the caller's upload (so the usual download
 * rules apply), and replaced by its summary and reference. Shorter texts pass through unchanged.
 */
export async function claimCheckText(app: FastifyInstance, user: AuthenticatedUser, text: string): Promise<{ text: string; textRef: TextRef | null }> {
  if (text.length <= INLINE_TEXT_MAX) return { text, textRef: null };
  const bytes = Buffer.from(text, 'utf8');
  const { sha256, size } = await app.deps.store.put(bytes);
  await app.deps.db
    .insertInto('evidence_files')
    .values({ sha256, uploaded_by: user.id, stored_name: `${sha256.slice(0, 16)}.txt`, content_type: 'text/plain; charset=utf-8', size })
    .onConflict((oc) => oc.columns(['sha256', 'uploaded_by']).doNothing())
    .execute();
  const chars = [...text];
  const summary = chars.slice(0, SUMMARY_CHARS).join('').trim() + '…';
  return { text: summary, textRef: { sha256, size, chars: chars.length } };
}

export { projectWorkflowId };
