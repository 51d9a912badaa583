/**
 * The projects service: proposing, listing and reading projects, who may see them, and every
 * person's lifecycle action, sent to the project's workflow as an Update with refusals turned into
 * problems. It takes its dependencies, not the HTTP server, so the routes, the tests and the CLI
 * call it alike; the SQL it needs is in db/projects.ts, db/orgs.ts and db/evidence-files.ts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../db';
import { orgSubtree, type AuthenticatedUser } from '../db/auth';
import type { ContentStore } from '../db/content-store';
import { getCycleConfig, inspectorCovers } from '../db/cycles';
import { findEvidenceFile, projectsCitingFile, recordEvidenceFile, uploadedBy, type StoredFileMeta } from '../db/evidence-files';
import { getOrg, isInSubtree, linkableProblems, orgSecretaries } from '../db/orgs';
import { findProjectLocation, listProjects, markProjectStarted, registerProposedProject, storedProjectState, unclosedLedgerEntries, type ProjectListItem, type ProjectLocation } from '../db/projects';
import { reviewerOf } from './reviewer';
import { ProblemError } from '../api/problem';
import { isLedgerOverdue } from '../reports/common';
import {
  apply,
  INLINE_TEXT_MAX,
  validate,
  type ChildInput,
  type CreateEvent,
  type CycleConfig,
  type DispatchChange,
  type LifecycleEvent,
  type MemberItemInput,
  type PersonActor,
  type ProblemInput,
  type ProjectState,
  type ProposalInput,
  type Refusal,
  type TextRef,
} from '../workflows/lifecycle';
import { getProjectQuery, LIFECYCLE_REFUSAL, personUpdate, projectWorkflowId, type ActionResult, type Command, type PersonEventType, type ProjectView } from '../workflows/messages';
import { projectWorkflow } from '../workflows/project';
import { projectSearchAttributes } from '../workflows/search-attributes';

export interface ProjectsDeps {
  db: Db;
  temporal: Client;
  taskQueue: string;
  /** Content-addressed evidence files (claim-checked texts go there too). */
  store: ContentStore;
}

// ---- Action scope: ids derived from the Idempotency-Key --------------------------------------

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

// ---- Types -----------------------------------------------------------------------------------

export type ProjectRef = ProjectLocation;

/** What a caller gives for an action: the command without its type and actor, which the service adds. */
export type ActionFields<T extends PersonEventType> = Omit<Command<T>, 'type' | 'actor'>;

/** A route's own precondition on the project just read (org tree, cited files), run before the Update. */
export type ActionCheck = (ref: ProjectRef, view: ProjectView) => Promise<void>;

export type ActionOutcome = ActionResult & {
  ref: ProjectRef;
  /** The project as the action's checks saw it and the command sent: with the answer's `at`, enough to fold the event here. */
  basis?: { view: ProjectView; command: Command<PersonEventType> };
};

export interface ProjectListQuery {
  cycle?: string;
  org?: string;
  stage?: string;
  type?: string;
  overdue?: boolean;
  limit: number;
  offset: number;
}

/** A sub-project to create: the service gives it its id. */
export type NewChild = Omit<ChildInput, 'id'>;

/** A dispatch change as a caller gives it: an added sub-project without its id. */
export type DispatchChangeInput = Exclude<DispatchChange, { kind: 'addChild' }> | { kind: 'addChild'; child: NewChild; reason: string };

/** Texts longer than INLINE_TEXT_MAX are claim-checked by the service; callers give the whole text. */
type WithWholeText<F> = Omit<F, 'textRef'>;

/** Characters kept as the summary of a claim-checked text. */
export const SUMMARY_CHARS = 60;

/** Inspectors inspect and verify only the orgs they are assigned to (督查分工). */
const INSPECTOR_ACTIONS: ReadonlySet<PersonEventType> = new Set(['recordInspection', 'verifyRectification', 'sendBackRectification']);

export function notFound(id: string): ProblemError {
  return new ProblemError(404, 'not-found', 'Project not found', `找不到项目 ${id}，或您无权查看该项目。`);
}

export function refusalProblem(refusal: Refusal): ProblemError {
  const slug = refusal.status === 403 ? 'forbidden' : refusal.status === 409 ? 'conflict' : 'invalid';
  const title = refusal.status === 403 ? 'Not allowed for this user' : refusal.status === 409 ? 'Not allowed in the current stage' : 'Invalid request';
  return new ProblemError(refusal.status, slug, title, refusal.messageZh, { rule: refusal.rule, message: refusal.message });
}

export function actorOf(user: AuthenticatedUser): PersonActor {
  return { userId: user.id, role: user.role, orgId: user.orgId };
}

// ---- The service -----------------------------------------------------------------------------

export function createProjectsService(deps: ProjectsDeps) {
  const { db, temporal, taskQueue, store } = deps;

  /** Whether the user may read the project: their role's reach, their org subtree, or a part they play in it. */
  async function canRead(user: AuthenticatedUser, project: Pick<ProjectRef, 'orgId'>, state: ProjectState | null): Promise<boolean> {
    if (user.role === 'committee' || user.role === 'auditor' || user.role === 'inspector') return true;
    // A secretary handed over (换届/调动) keeps reading what they led, whatever their org or role is now.
    if (state?.handovers?.some((h) => h.fromUserId === user.id)) return true;
    if (user.role === 'secretary') {
      const subtree = await orgSubtree(db, user.orgId);
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

  /** Reads a project the user may see (404 otherwise, so ids cannot be probed). */
  async function read(user: AuthenticatedUser, id: string): Promise<{ ref: ProjectRef; view: ProjectView }> {
    const ref = await findProjectLocation(db, id);
    if (!ref) throw notFound(id);
    return readAt(user, ref);
  }

  /** `read` of a project already located. */
  async function readAt(user: AuthenticatedUser, ref: ProjectRef): Promise<{ ref: ProjectRef; view: ProjectView }> {
    const id = ref.id;
    let view: ProjectView;
    try {
      view = await temporal.workflow.getHandle(ref.workflowId).query(getProjectQuery);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      // The workflow is gone (past retention): the projection is the last word.
      const state = await storedProjectState(db, id);
      if (!state) throw error;
      view = { state, seq: state.version };
    }
    if (!(await canRead(user, ref, view.state))) throw notFound(id);
    return { ref, view };
  }

  /**
   * The project as the service's own checks before an action see it (who may read it, which files
   * it cites): its projection, which is at most a persistence activity behind the workflow. The
   * projection can only lag, so what it allows stands (the workflow's Update validator decides the
   * lifecycle's rules on the live state), and what it refuses is asked of the workflow again: a
   * reviewer delegated a moment ago is not yet in the projection. Saves a query round trip through
   * the worker on most actions.
   */
  async function readForAction(user: AuthenticatedUser, id: string): Promise<{ ref: ProjectRef; view: ProjectView; projected: boolean }> {
    const ref = await findProjectLocation(db, id);
    if (!ref) throw notFound(id);
    const state = await storedProjectState(db, id);
    if (state && (await canRead(user, ref, state))) return { ref, view: { state, seq: state.version }, projected: true };
    return { ...(await readAt(user, ref)), projected: false };
  }

  /** Sends a person's action to the project's workflow; refusals become 403/409/400 problems naming the rule. */
  async function act<T extends PersonEventType>(user: AuthenticatedUser, projectId: string, type: T, fields: ActionFields<T>, check?: ActionCheck): Promise<ActionOutcome> {
    const { ref, view: read0, projected } = await readForAction(user, projectId);
    let view = read0;
    if (user.role === 'auditor') {
      throw new ProblemError(403, 'forbidden', 'Auditors change nothing', '审计人员只能查看，不能修改任何内容。', { rule: 'actor.auditor_read_only' });
    }
    if (user.role === 'inspector' && INSPECTOR_ACTIONS.has(type) && !(await inspectorCovers(db, user.id, ref.orgId))) {
      throw new ProblemError(403, 'forbidden', 'Not assigned to this org', '您未被分派督查该单位的项目。', { rule: 'actor.inspector_not_assigned' });
    }
    try {
      await check?.(ref, view);
    } catch (error) {
      // A refusal read from the projection is asked of the workflow again.
      if (!projected || !(error instanceof ProblemError)) throw error;
      const live = await readAt(user, ref);
      await check?.(live.ref, live.view);
      view = live.view;
    }
    const command = { ...fields, type, actor: actorOf(user) } as Command<T>;
    try {
      const result = await temporal.workflow.getHandle(ref.workflowId).executeUpdate(personUpdate(type), { args: [command], updateId: currentUpdateId() });
      return { ...result, ref, basis: { view, command: command as Command<PersonEventType> } };
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
   * After an action: the project as it now is. When the action's event came right after the state
   * its checks read (the answer's seq is that state's seq + 1), nothing else happened in between, so
   * folding the same event (the command with the workflow's `at`) into that state with the same
   * lifecycle core gives the workflow's new state — checked against the version, stage and progress
   * the workflow answered. Otherwise (another event came first, an answer without `at`) the workflow
   * is queried, as queries leave no trace in its history (unlike a larger Update answer).
   */
  async function viewAfter(result: ActionOutcome): Promise<ProjectView> {
    return (await foldedView(result)) ?? temporal.workflow.getHandle(result.ref.workflowId).query(getProjectQuery);
  }

  /**
   * A cycle's configuration is fixed once the cycle is opened (nothing updates it; the audit reports
   * a changed one), so the fold reads it once per process, not once per action.
   */
  const cycleConfigs = new Map<string, CycleConfig>();
  async function cycleConfig(cycleId: string): Promise<CycleConfig | undefined> {
    const known = cycleConfigs.get(cycleId);
    if (known) return known;
    const cycle = await getCycleConfig(db, cycleId);
    if (!cycle) return undefined;
    if (cycleConfigs.size >= 256) cycleConfigs.delete(cycleConfigs.keys().next().value!);
    cycleConfigs.set(cycleId, cycle);
    return cycle;
  }

  async function foldedView(result: ActionOutcome): Promise<ProjectView | undefined> {
    const { basis, at } = result;
    if (!basis || at === undefined || basis.view.seq !== result.seq - 1) return undefined;
    const cycle = await cycleConfig(result.ref.cycleId);
    if (!cycle) return undefined;
    // The event as the workflow received it: through JSON, as its payload was.
    const event = JSON.parse(JSON.stringify({ ...basis.command, at })) as LifecycleEvent;
    const applied = apply(basis.view.state, event, cycle);
    if (!applied.ok) return undefined;
    const { state } = applied;
    if (state.version !== result.version || state.stage !== result.stage || state.progress !== result.progress) return undefined;
    return { state, seq: result.seq };
  }

  /**
   * The claim check (DESIGN "size by design"): a text longer than the lifecycle core's inline limit
   * is stored in the content-addressed store, recorded as the caller's upload (so the usual download
   * rules apply), and replaced by its summary and reference. Shorter texts pass through unchanged.
   */
  async function claimCheckText(user: AuthenticatedUser, text: string): Promise<{ text: string; textRef: TextRef | null }> {
    if (text.length <= INLINE_TEXT_MAX) return { text, textRef: null };
    const { sha256, size } = await store.put(Buffer.from(text, 'utf8'));
    await recordEvidenceFile(db, { sha256, uploadedBy: user.id, storedName: `${sha256.slice(0, 16)}.txt`, contentType: 'text/plain; charset=utf-8', size });
    const chars = [...text];
    const summary = chars.slice(0, SUMMARY_CHARS).join('').trim() + '…';
    return { text: summary, textRef: { sha256, size, chars: chars.length } };
  }

  /**
   * Sub-projects go to orgs below the project's own org, each led by that org's secretary
   * (DESIGN §4 "1+N"); the machine knows no org tree, so the service checks it against PostgreSQL.
   */
  async function checkChildAssignments(projectOrgId: string, children: { orgId: string; secretaryId: string }[]): Promise<void> {
    if (children.length === 0) return;
    const below = new Set((await orgSubtree(db, projectOrgId)).filter((id) => id !== projectOrgId));
    const secretaries = await orgSecretaries(db, children.map((c) => c.orgId));
    for (const [index, child] of children.entries()) {
      if (!below.has(child.orgId)) {
        throw new ProblemError(403, 'forbidden', 'Sub-projects go to lower-level orgs', `子项目只能分解给本组织的下级组织，${child.orgId} 不是下级组织。`, { rule: 'actor.child_org_not_below', field: `children.${index}.orgId` });
      }
      if (secretaries.get(child.orgId) !== child.secretaryId) {
        throw new ProblemError(400, 'invalid', 'The sub-project must be led by that org’s secretary', `子项目须由 ${child.orgId} 的党组织书记负责，${child.secretaryId} 不是该组织书记。`, { rule: 'payload.child_secretary_mismatch', field: `children.${index}.secretaryId` });
      }
    }
  }

  /**
   * Evidence may cite only files the caller uploaded, or files the same project already cites:
   * citing someone else's hash must not become a way to read their file.
   */
  function citing(userId: string, files: { sha256: string }[] | undefined): ActionCheck {
    return async (_ref, { state }) => {
      const wanted = [...new Set((files ?? []).map((f) => f.sha256))];
      if (wanted.length === 0) return;
      const known = new Set(state.evidence.flatMap((e) => e.files.map((f) => f.sha256)).concat(state.ledger.flatMap((l) => l.reports.flatMap((r) => r.files.map((f) => f.sha256)))));
      const uploaded = await uploadedBy(db, userId, wanted);
      const stranger = wanted.find((sha) => !uploaded.has(sha) && !known.has(sha));
      if (stranger) {
        throw new ProblemError(400, 'invalid', 'Cited file not uploaded by you', `引用的文件 ${stranger.slice(0, 16)}… 不是您上传的文件，请先通过 /evidence-files 上传。`, { rule: 'payload.file_not_uploaded', field: 'files' });
      }
    };
  }

  /**
   * A problem-oriented project links problems of its org's problem list (问题清单), or of an org
   * above it, that are still open: an unknown id, another unit's problem or a resolved one is a
   * 400 naming the field.
   */
  async function checkProblemLinks(orgId: string, problemIds: readonly string[] | undefined): Promise<void> {
    const wanted = [...new Set(problemIds ?? [])];
    if (wanted.length === 0) return;
    const found = await linkableProblems(db, orgId, wanted);
    for (const [index, id] of (problemIds ?? []).entries()) {
      const problem = found.get(id);
      if (!problem) {
        throw new ProblemError(400, 'invalid', 'Unknown problem', `问题 ${id} 不在本组织或上级组织的问题清单中（GET /orgs/${orgId}/problems）。`, { rule: 'payload.problem_not_listed', field: `problemIds.${index}` });
      }
      if (problem.status !== 'open') {
        throw new ProblemError(400, 'invalid', 'Problem already resolved', `问题 ${id} 已销号，不能再关联。`, { rule: 'payload.problem_resolved', field: `problemIds.${index}` });
      }
    }
  }

  return {
    canRead,
    read,
    act,
    checkProblemLinks,
    viewAfter,
    claimCheckText,

    /** Proposes a project (立项申报) as the secretary of the user's org; answers the new project. */
    async propose(user: AuthenticatedUser, input: ProposalInput & { cycleId: string }, options: { idempotencyKey?: unknown } = {}): Promise<ProjectView> {
      const { cycleId, ...proposal } = input;
      const cycle = await getCycleConfig(db, cycleId);
      if (!cycle) throw new ProblemError(404, 'not-found', 'Cycle not found', `找不到年度周期 ${cycleId}。`, { field: 'cycleId' });
      // A cycle's orgs are its committee org and everything below it (openCycle stores the tree in
      // `orgs`, rooted at the cycle's committee org). A secretary of another tree proposing here
      // would be reviewed, inspected and counted by a committee that has no authority over them.
      if (!(await isInSubtree(db, user.orgId, cycle.committee.orgId))) {
        throw new ProblemError(403, 'forbidden', 'Your org does not take part in this cycle', `您所在的组织 ${user.orgId} 不属于年度周期 ${cycleId} 的组织体系（${cycle.committee.orgId} 及其下级组织），不能在该周期申报项目。`, {
          rule: 'actor.org_not_in_cycle',
          field: 'cycleId',
        });
      }
      const org = await getOrg(db, user.orgId);
      // Who reviews (DESIGN §2): the same rule as for a project planned when a cycle is opened.
      const parent = org?.kind === 'branch' && org.parentId ? await getOrg(db, org.parentId) : null;
      const reviewer = org ? reviewerOf(org, parent ?? undefined, cycle) : cycle.committee;
      // With an Idempotency-Key the project id derives from it, so a retried proposal finds the
      // workflow its first attempt started instead of proposing the project twice.
      const projectId = await inActionScope(user.id, options.idempotencyKey, 'POST /projects', async () => newId('P'));
      const create: CreateEvent = {
        type: 'create',
        actor: actorOf(user),
        at: new Date().toISOString(),
        projectId,
        cycleId,
        parentId: null,
        orgId: user.orgId,
        leadSecretaryId: user.id,
        reviewer,
        proposal: { ...proposal },
      };
      const refusal = validate(null, create, cycle);
      if (refusal) throw refusalProblem(refusal);
      await checkProblemLinks(user.orgId, proposal.problemIds);
      const workflowId = projectWorkflowId(cycleId, projectId);
      // The registry row is marked started only once the workflow really started: a failed start leaves
      // no project that is listed but does not exist.
      await registerProposedProject(db, create, workflowId);
      try {
        await temporal.workflow.start(projectWorkflow, {
          workflowId,
          taskQueue,
          args: [{ cycle, create }],
          typedSearchAttributes: projectSearchAttributes(cycleId, user.orgId, 'draft', proposal.type),
        });
      } catch (error) {
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      await markProjectStarted(db, cycleId, projectId);
      return (await read(user, projectId)).view;
    },

    /** The projects the user may see, filtered and paginated. */
    async list(user: AuthenticatedUser, q: ProjectListQuery): Promise<{ items: ProjectListItem[]; total: number }> {
      const withinSubtreesOf = [...(q.org ? [q.org] : []), ...(user.role === 'secretary' ? [user.orgId] : [])];
      let ids: string[] | undefined;
      if (q.overdue) {
        // "Overdue" has one definition, reports/common.ts isLedgerOverdue (an unclosed entry whose
        // deadline instant has passed: a YYYY-MM-DD deadline lasts until the end of that day in the
        // cycle's Asia/Shanghai time, a date-time is taken as is), the one the figures and reports
        // count with. Comparing the stored text with today's UTC date in SQL missed every date-time
        // deadline and was a day off around Beijing midnight. So the unclosed entries in reach are
        // read and judged in code, and the page filters on the projects that hold one.
        const now = Date.now();
        ids = [...new Set((await unclosedLedgerEntries(db, q.cycle)).filter((e) => isLedgerOverdue(e, now)).map((e) => e.projectId))];
      }
      return listProjects(
        db,
        { cycleId: q.cycle, stage: q.stage, type: q.type, withinSubtreesOf, orgId: user.role === 'member' ? user.orgId : undefined, ids },
        { limit: q.limit, offset: q.offset },
      );
    },

    /** Submits milestone or quarterly evidence (佐证材料); a long text is claim-checked. */
    async submitEvidence(user: AuthenticatedUser, projectId: string, input: WithWholeText<Omit<ActionFields<'submitEvidence'>, 'evidenceId'>>): Promise<ActionOutcome> {
      return act(user, projectId, 'submitEvidence', { ...input, evidenceId: newId('EV'), ...(await claimCheckText(user, input.text)) }, citing(user.id, input.files));
    },

    /** Corrects evidence: a new version supersedes the old one. */
    async correctEvidence(user: AuthenticatedUser, projectId: string, input: WithWholeText<Omit<ActionFields<'correctEvidence'>, 'evidenceId'>>): Promise<ActionOutcome> {
      return act(user, projectId, 'correctEvidence', { evidenceId: newId('EV'), ...input, ...(await claimCheckText(user, input.text)) }, citing(user.id, input.files));
    },

    /** Reports a ledger entry rectified (整改报告). */
    async reportRectification(user: AuthenticatedUser, projectId: string, input: WithWholeText<ActionFields<'reportRectification'>>): Promise<ActionOutcome> {
      return act(user, projectId, 'reportRectification', { ...input, ...(await claimCheckText(user, input.text)) }, citing(user.id, input.files));
    },

    /** Splits the project into sub-projects (1+N分解), each to an org below it led by its secretary. */
    async decompose(user: AuthenticatedUser, projectId: string, children: NewChild[]): Promise<ActionOutcome> {
      return act(user, projectId, 'decompose', { children: children.map((c) => ({ id: newId(`${projectId}-S`), ...c })) }, (ref) => checkChildAssignments(ref.orgId, children));
    },

    /** Adds a member item (承诺践诺/个人突破/先锋岗). */
    async addMemberItem(user: AuthenticatedUser, projectId: string, item: Omit<MemberItemInput, 'id'>): Promise<ActionOutcome> {
      return act(user, projectId, 'addMemberItem', { item: { id: newId('MI'), ...item } });
    },

    /** Records a quarterly inspection (季度督查); each problem becomes a ledger entry. */
    async recordInspection(user: AuthenticatedUser, projectId: string, input: Omit<ActionFields<'recordInspection'>, 'problems'> & { problems: Omit<ProblemInput, 'id'>[] }): Promise<ActionOutcome> {
      return act(user, projectId, 'recordInspection', { ...input, problems: input.problems.map((x) => ({ id: newId('L'), ...x })) });
    },

    /** The mid-year dispatch decision (年中调度); added and reassigned sub-projects follow the org tree. */
    async dispatch(user: AuthenticatedUser, projectId: string, input: Omit<ActionFields<'dispatch'>, 'changes'> & { changes: DispatchChangeInput[] }): Promise<ActionOutcome> {
      const assigned = input.changes.flatMap((c) => (c.kind === 'addChild' ? [c.child] : c.kind === 'reassignChild' ? [{ orgId: c.orgId, secretaryId: c.secretaryId }] : []));
      const changes = input.changes.map((c): DispatchChange => (c.kind === 'addChild' ? { ...c, child: { id: newId(`${projectId}-S`), ...c.child } } : c));
      return act(user, projectId, 'dispatch', { ...input, changes }, (ref) => checkChildAssignments(ref.orgId, assigned));
    },

    /** Stores an uploaded file (already checked for its type) as the user's upload. */
    async storeUpload(user: AuthenticatedUser, bytes: Buffer, type: { extension: string; contentType: string }): Promise<{ sha256: string; size: number; name: string; contentType: string }> {
      const { sha256, size } = await store.put(bytes);
      const name = `${sha256.slice(0, 16)}.${type.extension}`;
      await recordEvidenceFile(db, { sha256, uploadedBy: user.id, storedName: name, contentType: type.contentType, size });
      return { sha256, size, name, contentType: type.contentType };
    },

    /**
     * A file the user may download: their own upload, or someone else's file cited by a project the
     * user may read (canRead, the read rule of GET /projects/:id), wherever the project shows it —
     * an evidence entry's files or claim-checked text, a rectification report's files or text. The
     * inspector who verifies a rectification and the committee must be able to open what it cites.
     */
    async readableFile(user: AuthenticatedUser, sha256: string): Promise<StoredFileMeta | undefined> {
      const own = await findEvidenceFile(db, sha256, user.id);
      if (own) return own;
      for (const project of await projectsCitingFile(db, sha256)) {
        if (await canRead(user, project, project.state)) return findEvidenceFile(db, sha256);
      }
      return undefined;
    },
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
