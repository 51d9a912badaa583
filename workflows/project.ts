/**
 * One project (or sub-project) as a durable workflow, from proposal to year-end acceptance.
 *
 * The rules live in the pure lifecycle machine (./lifecycle); this workflow only feeds it events
 * (people's Updates, the cycle calendar's timers, children's roll-ups) and carries out what the
 * new state calls for: persisting the event log and projection, writing reminders to the outbox,
 * starting and signalling sub-project workflows, and keeping search attributes current.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  currentUpdateInfo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NotificationInput, RecordedEvent } from '../activities/projects';
import {
  apply,
  checkStateSize,
  jsonBytes,
  GRADE_LABELS,
  isFinal,
  STAGE_LABELS,
  rollupActor,
  subProjectCreateEvent,
  unsettledChildren,
  type Actor,
  type CreateEvent,
  type CycleConfig,
  type LifecycleEvent,
  type ProjectState,
  type Refusal,
} from './lifecycle';
import {
  cancelSubProjectSignal,
  childUpdatedSignal,
  getProjectQuery,
  getRunEventsQuery,
  getSeqQuery,
  LIFECYCLE_REFUSAL,
  PERSON_UPDATES,
  projectWorkflowId,
  reassignSubProjectSignal,
  type ActionResult,
  type Command,
  type PersonEventType,
  type ProjectView,
} from './messages';
import { notificationsForEvent } from './notifications';
import { pendingSchedule } from './schedule';
import { projectSearchAttributes } from './search-attributes';

const { persistProject, writeNotifications } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * v3 (patched): a new project's first persistence — its create event alone — runs as a local
 * activity, inside the workflow task that started it. A launch then costs Temporal one workflow
 * task and a marker instead of an activity task and a second workflow task, and the history
 * records the activity's small result, not its input.
 *
 * Only the create event: it comes from the workflow's input, so a workflow task that fails after
 * the local activity ran (a crashed worker or server) is retried with the very same batch and the
 * re-run writes nothing new. Any other event carries workflow time (`at`) and may follow an Update
 * that a failed task never recorded; a local activity would store it before Temporal has, and the
 * retried task could decide a different event under the same seq. Those stay ordinary activities,
 * scheduled only once the workflow task that decided them is recorded.
 */
const { persistProjectLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** The patch id of the local first persistence; never rename it while v2 histories may still replay. */
export const LOCAL_CREATE_PATCH = 'local-create-v3';

/** The patch id of a project whose create event the launcher persisted (`createLoggedByLauncher`). */
export const LAUNCHER_CREATE_PATCH = 'launcher-create-v4';

/**
 * The patch id of the Update answers carried across continue-as-new (`CarriedState.answered`);
 * runs recorded before it continued without them and replay so.
 */
export const CARRY_ANSWERS_PATCH = 'carry-answers-v5';

/** How many of the latest Update answers a run hands to the next: retries come within minutes. */
export const ANSWERS_CARRIED = 64;

/** Everything a run hands to the next across continue-as-new. */
export interface CarriedState {
  state: ProjectState;
  seq: number;
  fired: string[];
  /** Children whose workflows were started, and the assignment last sent to each. */
  children: Record<string, { started: boolean; cancelled: boolean; orgId: string; secretaryId: string }>;
  /** Who added each sub-project not yet started (the decomposing secretary or the dispatching committee). */
  childCreators: Record<string, Actor>;
  /** Stage and progress last reported to the parent. */
  reported: { stage: string; progress: number } | null;
  /**
   * The latest people's Updates answered, by Update id. Temporal recognises a retried Update id
   * within one run only; a retry that reaches the next run (the first attempt applied, its answer
   * lost to a timeout) gets its first answer from here instead of being applied again or refused.
   * Absent from runs continued before it.
   */
  answered?: { updateId: string; answer: ActionResult }[];
}

export interface ProjectWorkflowInput {
  cycle: CycleConfig;
  /** The create event of a new project; absent when `carried` continues an earlier run. */
  create?: CreateEvent;
  carried?: CarriedState;
  /**
   * The launcher persists the create event (seq 1), the projection and the tasks of a whole batch
   * of new projects in one transaction (`persistLaunchedProjects`), so the workflow leaves seq 1
   * alone and persists from seq 2. Absent in histories started before it: those persist seq 1
   * themselves, as before, so this branch depends on the input only and replays unchanged.
   */
  createLoggedByLauncher?: boolean;
  /** Continue as new after this many lifecycle events in one run (tests force it early). */
  continueAsNewAfterEvents?: number;
}

export { LIFECYCLE_REFUSAL };

function refusalFailure(refusal: Refusal): ApplicationFailure {
  return ApplicationFailure.create({
    message: refusal.message,
    type: LIFECYCLE_REFUSAL,
    details: [refusal],
    nonRetryable: true,
  });
}

function nowIso(): string {
  // Workflow time: deterministic and the same in every replay.
  return new Date(Date.now()).toISOString();
}

export async function projectWorkflow(input: ProjectWorkflowInput): Promise<ProjectView> {
  const { cycle } = input;
  const info = workflowInfo();
  let state: ProjectState;
  let seq: number;
  const fired = new Set<string>(input.carried?.fired ?? []);
  const children: CarriedState['children'] = { ...(input.carried?.children ?? {}) };
  const childCreators: Record<string, Actor> = { ...(input.carried?.childCreators ?? {}) };
  let reported = input.carried?.reported ?? null;
  const firstSeqOfRun = (input.carried?.seq ?? 0) + 1;
  const runEvents: LifecycleEvent[] = [];
  let unpersisted: RecordedEvent[] = [];
  let outbox: NotificationInput[] = [];

  const commit = (event: LifecycleEvent, next: ProjectState, before: ProjectState | null) => {
    if (before) {
      for (const child of next.children) {
        if (!before.children.some((c) => c.id === child.id)) childCreators[child.id] = event.actor;
      }
    }
    state = next;
    seq += 1;
    runEvents.push(event);
    unpersisted.push({ seq, event });
    outbox.push(...notificationsForEvent(before, next, event, seq, cycle));
  };

  if (input.carried) {
    state = input.carried.state;
    seq = input.carried.seq;
  } else {
    if (!input.create) throw ApplicationFailure.nonRetryable('projectWorkflow needs a create event or carried state', 'BadInput');
    const result = apply(null, input.create, cycle);
    if (!result.ok) throw refusalFailure(result.refusal);
    seq = 0;
    state = result.state;
    commit(input.create, result.state, null);
  }

  // ---- Queries -----------------------------------------------------------------------------
  setHandler(getProjectQuery, () => ({ state, seq }));
  setHandler(getSeqQuery, () => ({ seq, stage: state.stage }));
  setHandler(getRunEventsQuery, () => ({ firstSeq: firstSeqOfRun, events: runEvents }));

  // ---- People's actions: Updates whose validators refuse before anything enters history ----
  // The latest answers by Update id, oldest first (a Map keeps insertion order), with the earlier runs'.
  const answered = new Map<string, ActionResult>((input.carried?.answered ?? []).map((a) => [a.updateId, a.answer]));
  const remember = (updateId: string, answer: ActionResult) => {
    answered.delete(updateId);
    answered.set(updateId, answer);
    while (answered.size > ANSWERS_CARRIED) answered.delete(answered.keys().next().value!);
  };
  for (const [type, definition] of Object.entries(PERSON_UPDATES) as [PersonEventType, (typeof PERSON_UPDATES)[PersonEventType]][]) {
    setHandler(
      definition,
      (command: Command<PersonEventType>) => {
        const updateId = currentUpdateInfo()?.id;
        const earlier = updateId === undefined ? undefined : answered.get(updateId);
        if (earlier) return earlier;
        const event = { ...command, type, at: nowIso() } as LifecycleEvent;
        const before = state;
        const result = apply(state, event, cycle);
        if (!result.ok) throw refusalFailure(result.refusal);
        commit(event, result.state, before);
        const answer: ActionResult = { seq, version: state.version, stage: state.stage, progress: state.progress, at: event.at };
        if (updateId !== undefined) remember(updateId, answer);
        return answer;
      },
      {
        validator: (command: Command<PersonEventType>) => {
          // A retry of an Update an earlier run answered: accepted, the handler repeats that answer.
          const updateId = currentUpdateInfo()?.id;
          if (updateId !== undefined && answered.has(updateId)) return;
          if (isFinal(state.stage)) {
            throw refusalFailure({
              rule: 'stage.final',
              message: `the project is ${state.stage}; nothing more can be done`,
              messageZh: '项目已办结，不能再操作',
              status: 409,
            });
          }
          const result = apply(state, { ...command, type, at: nowIso() } as LifecycleEvent, cycle);
          if (!result.ok) throw refusalFailure(result.refusal);
          // The state is what continue-as-new carries: refuse growth past the bound (validators do
          // not run on replay, and the handler only repeats what the validator accepted).
          const tooBig = checkStateSize(jsonBytes(result.state));
          if (tooBig) throw refusalFailure(tooBig);
        },
      },
    );
  }

  // ---- Engine notices: Signals --------------------------------------------------------------
  const applySystem = (event: LifecycleEvent) => {
    const before = state;
    const result = apply(state, event, cycle);
    // A notice the state no longer accepts (a stale roll-up, a cancel after settling) is dropped.
    if (result.ok) commit(event, result.state, before);
  };
  setHandler(childUpdatedSignal, ({ childId, stage, progress }) =>
    applySystem({ type: 'childUpdated', childId, stage, progress, actor: rollupActor(state.orgId), at: nowIso() }),
  );
  setHandler(cancelSubProjectSignal, ({ reason, byOrgId }) =>
    applySystem({ type: 'cancelSubProject', reason, actor: rollupActor(byOrgId), at: nowIso() }),
  );
  setHandler(reassignSubProjectSignal, ({ orgId, leadSecretaryId, reason, byOrgId }) =>
    applySystem({ type: 'reassignSubProject', orgId, leadSecretaryId, reason, actor: rollupActor(byOrgId), at: nowIso() }),
  );

  // ---- Effects of the state: children, roll-up, persistence, outbox ------------------------
  const childEffectsPending = () =>
    state.children.some((c) => {
      const known = children[c.id];
      if (!known) return c.status === 'active';
      if (c.status === 'cancelled') return !known.cancelled;
      return c.status === 'active' && (known.orgId !== c.orgId || known.secretaryId !== c.secretaryId);
    });
  /** The child entry changed only by handovers (换届) of its org's secretary, not by a dispatch. */
  const handedOver = (childId: string, known: { orgId: string; secretaryId: string }, child: { orgId: string; secretaryId: string }) => {
    if (known.orgId !== child.orgId || known.secretaryId === child.secretaryId) return false;
    let holder = known.secretaryId;
    for (const h of state.handovers ?? []) {
      if (h.childIds.includes(childId) && h.orgId === child.orgId && h.fromUserId === holder) holder = h.toUserId;
    }
    return holder === child.secretaryId;
  };
  const rollupPending = () =>
    state.parentId !== null && (reported === null || reported.stage !== state.stage || reported.progress !== state.progress);

  // The search attributes every starter gives a new project (the launcher, the API and a parent).
  const startAttributes = input.create
    ? attributesKey(projectSearchAttributes(cycle.cycleId, input.create.orgId, 'draft', input.create.proposal.type, input.create.parentId))
    : null;

  async function carryOutEffects(): Promise<void> {
    for (const child of state.children) {
      const known = children[child.id];
      const childWorkflowId = projectWorkflowId(cycle.cycleId, child.id);
      if (!known && child.status === 'active') {
        const creator = childCreators[child.id] ?? rollupActor(state.orgId);
        const create = subProjectCreateEvent(state, { id: child.id, orgId: child.orgId, secretaryId: child.secretaryId, title: child.title }, creator, nowIso());
        delete childCreators[child.id];
        children[child.id] = { started: true, cancelled: false, orgId: child.orgId, secretaryId: child.secretaryId };
        await startChild(projectWorkflow, {
          workflowId: childWorkflowId,
          args: [{ cycle, create, continueAsNewAfterEvents: input.continueAsNewAfterEvents }],
          // Sub-projects outlive this run when it continues as new; they report by signal.
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: projectSearchAttributes(cycle.cycleId, create.orgId, 'draft', create.proposal.type, state.id),
        });
      } else if (known && child.status === 'cancelled' && !known.cancelled) {
        known.cancelled = true;
        const reason = state.dispatch?.changes.find((c) => c.kind === 'cancelChild' && c.field === `children.${child.id}.status`)?.reason ?? 'cancelled at dispatch';
        await getExternalWorkflowHandle(childWorkflowId).signal(cancelSubProjectSignal, { reason, byOrgId: state.orgId });
      } else if (known && child.status === 'active' && handedOver(child.id, known, child)) {
        // A handover (换届) reaches the sub-project as its own handOver Update from the committee,
        // so the child's history names the committee user; relaying it as a reassignment would not.
        known.secretaryId = child.secretaryId;
      } else if (known && child.status === 'active' && (known.orgId !== child.orgId || known.secretaryId !== child.secretaryId)) {
        known.orgId = child.orgId;
        known.secretaryId = child.secretaryId;
        const reason = state.dispatch?.changes.find((c) => c.kind === 'reassignChild' && c.field === `children.${child.id}.assignee`)?.reason ?? 'reassigned at dispatch';
        await getExternalWorkflowHandle(childWorkflowId).signal(reassignSubProjectSignal, {
          orgId: child.orgId,
          leadSecretaryId: child.secretaryId,
          reason,
          byOrgId: state.orgId,
        });
      }
    }
    if (rollupPending() && state.parentId) {
      reported = { stage: state.stage, progress: state.progress };
      await getExternalWorkflowHandle(projectWorkflowId(cycle.cycleId, state.parentId)).signal(childUpdatedSignal, {
        childId: state.id,
        stage: state.stage,
        progress: state.progress,
      });
    }
    if (input.create && input.createLoggedByLauncher && unpersisted[0]?.seq === 1) {
      // The first workflow task must record a command: one that completes with none makes the SDK
      // deliver a later Update in the same activation as the start when a fresh worker rebuilds the
      // run, but in an activation of its own on replay, and the two order their commands differently
      // (test/integration/launch-persistence.test.ts). The patch marker is that command, and it
      // names the code version that leaves seq 1 to the launcher.
      patched(LAUNCHER_CREATE_PATCH);
      unpersisted.shift();
    }
    if (unpersisted.length > 0) {
      const batch = unpersisted;
      unpersisted = [];
      const attributes = projectSearchAttributes(cycle.cycleId, state.orgId, state.stage, state.proposal.type, state.parentId);
      const persistInput = { workflowId: info.workflowId, runId: info.runId, projectId: state.id, cycle, events: batch };
      // The new events only: the activity folds them into the stored projection with the same
      // lifecycle core, so the payload stays the size of the events whatever the project's size.
      if (input.create && batch.length === 1 && batch[0]!.seq === 1 && patched(LOCAL_CREATE_PATCH)) {
        // Started with its draft search attributes: nothing to upsert unless they already differ.
        if (attributesKey(attributes) !== startAttributes) upsertSearchAttributes(attributes);
        await persistProjectLocally(persistInput);
      } else {
        upsertSearchAttributes(attributes);
        await persistProject(persistInput);
      }
    }
    if (outbox.length > 0) {
      const batch = outbox;
      outbox = [];
      await writeNotifications(batch);
    }
  }

  const effectsPending = () => unpersisted.length > 0 || outbox.length > 0 || childEffectsPending() || rollupPending();
  const done = () => isFinal(state.stage) && (state.children.length === 0 || unsettledChildren(state) === null);

  // ---- Main loop: sleep until a timer, an action or an effect is due ------------------------
  for (;;) {
    await carryOutEffects();
    if (done() && !effectsPending()) break;

    const runLength = seq - firstSeqOfRun + 1;
    if (
      workflowInfo().continueAsNewSuggested ||
      (input.continueAsNewAfterEvents !== undefined && runLength >= input.continueAsNewAfterEvents)
    ) {
      await condition(allHandlersFinished);
      await carryOutEffects();
      if (!effectsPending()) {
        const carried: CarriedState = { state, seq, fired: [...fired], children, childCreators, reported };
        if (patched(CARRY_ANSWERS_PATCH)) carried.answered = [...answered].map(([updateId, answer]) => ({ updateId, answer }));
        await continueAsNew<typeof projectWorkflow>({ ...input, create: undefined, createLoggedByLauncher: undefined, carried });
      }
      continue;
    }

    const next = pendingSchedule(state, cycle, fired)[0];
    const waitMs = next ? Math.max(0, next.atMs - Date.now()) : undefined;
    const before = seq;
    const woke = await condition(() => seq !== before || effectsPending(), waitMs === undefined ? undefined : Math.max(waitMs, 1));
    if (woke || !next || next.atMs > Date.now()) continue;

    // A timer came due: fire every item due by now, each exactly once.
    for (const item of pendingSchedule(state, cycle, fired)) {
      if (item.atMs > Date.now()) break;
      fired.add(item.key);
      if (item.kind === 'event') {
        applySystem(item.event(nowIso()));
      } else {
        outbox.push({
          id: `${state.id}:${item.key}`,
          projectId: state.id,
          cycleId: state.cycleId,
          recipientId: item.reminder.recipientId,
          kind: item.reminder.kind,
          message: item.reminder.message,
          at: nowIso(),
        });
      }
    }
  }

  await condition(allHandlersFinished);
  // v2 (patched): tell the lead secretary the project is closed (办结), with its outcome. Histories
  // recorded before this change (test/histories/v1) complete without it and must keep replaying.
  if (patched(CLOSING_NOTICE_PATCH)) {
    await writeNotifications([closingNotice(state, seq)]);
  }
  return { state, seq };
}

function attributesKey(pairs: ReturnType<typeof projectSearchAttributes>): string {
  return pairs.map((p) => `${p.key.name}=${String(p.value)}`).join('\n');
}

/** The patch id of the closing notice; never rename it while v1 histories may still replay. */
export const CLOSING_NOTICE_PATCH = 'closing-notice-v2';

function closingNotice(state: ProjectState, seq: number): NotificationInput {
  const outcome = state.acceptance ? `${STAGE_LABELS[state.stage]}（${GRADE_LABELS[state.acceptance.grade]}，${state.acceptance.finalScore} 分）` : STAGE_LABELS[state.stage];
  return {
    id: `${state.id}:closed:${seq}`,
    projectId: state.id,
    cycleId: state.cycleId,
    recipientId: state.leadSecretaryId,
    kind: 'project_closed',
    message: `项目《${state.proposal.title}》已办结：${outcome}。`,
    at: new Date(Date.now()).toISOString(),
  };
}

