import { describe, expect, it } from 'vitest';
import { actAndRead } from '../helpers/act';
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { compressedCycle, committee, createEvent, leadSecretary } from '../helpers/full-year';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';
import * as m from '../../workflows/messages';
import { projectWorkflow, LIFECYCLE_REFUSAL } from '../../workflows/project';
import type { PersonActor, Refusal } from '../../workflows/lifecycle';

describe('the project workflow on the real Temporal server', () => {
  const h = useHarness({ name: 'projectwf', app: false });

  function cycleWithReviewTimeouts(remindAfterMs: number, escalateAfterMs: number) {
    const cycle = compressedCycle(`cy-${randomUUID().slice(0, 8)}`, Date.now());
    return { ...cycle, reviewTimeouts: { remindAfterMs, escalateAfterMs } };
  }

  async function startProject(cycle = cycleWithReviewTimeouts(600_000, 1_200_000), reviewer: PersonActor = committee) {
    const projectId = `p-${randomUUID().slice(0, 8)}`;
    const handle = await h.temporal.client.workflow.start(projectWorkflow, {
      workflowId: m.projectWorkflowId(cycle.cycleId, projectId),
      taskQueue: h.temporal.taskQueue,
      args: [
        {
          cycle,
          create: createEvent(cycle, projectId, '智慧党建平台建设', reviewer),
        },
      ],
    });
    return { handle, projectId, cycle };
  }

  const act = <T extends m.PersonEventType>(handle: WorkflowHandle, type: T, command: m.Command<T>) => actAndRead(handle, type, command);

  async function refusalOf(promise: Promise<unknown>): Promise<Refusal> {
    const error = await promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(LIFECYCLE_REFUSAL);
    return (cause as ApplicationFailure).details?.[0] as Refusal;
  }

  /** Waits until the workflow has persisted `version` and gone quiet (its history stops growing). */
  async function persisted(handle: WorkflowHandle, version: number): Promise<void> {
    let last = -1;
    await waitUntil(`version ${version} persisted and the history settled`, async () => {
      const row = await h.db.selectFrom('projects').select('version').where('workflow_id', '=', handle.workflowId).executeTakeFirst();
      const length = await historyLength(handle);
      if (row?.version === version && length === last) return true;
      last = length;
      return undefined;
    }, 15_000, 300).catch(() => undefined);
  }

  async function historyLength(handle: WorkflowHandle): Promise<number> {
    return (await handle.fetchHistory()).events?.length ?? 0;
  }

  it('refuses an action by the wrong person synchronously, naming the rule, and records nothing in history', async () => {
    const { handle } = await startProject();
    await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    const before = await handle.query(m.getProjectQuery);
    await persisted(handle, before.state.version);
    const eventsBefore = await historyLength(handle);
    const stranger: PersonActor = { userId: 'u-sec-other', role: 'secretary', orgId: 'org-other' };
    const refusal = await refusalOf(act(handle, 'approve', { type: 'approve', actor: stranger, comment: null }));
    expect(refusal.status).toBe(403);
    expect(refusal.rule).toMatch(/^actor\./);
    expect(refusal.messageZh).toBeTruthy();
    const after = await handle.query(m.getProjectQuery);
    expect(after.seq).toBe(before.seq);
    expect(after.state).toEqual(before.state);
    // Validator rejections never enter the workflow history.
    await new Promise((r) => setTimeout(r, 500));
    expect(await historyLength(handle)).toBe(eventsBefore);
  });

  it('refuses an action in the wrong stage with 409 (a letter before approval)', async () => {
    const { handle } = await startProject();
    const refusal = await refusalOf(act(handle, 'signLetter', { type: 'signLetter', actor: leadSecretary, text: '责任书' }));
    expect(refusal.status).toBe(409);
    expect(refusal.rule).toMatch(/^stage\./);
  });

  it('lets the proposer withdraw a submission before the reviewer acts (拿回), then resubmit', async () => {
    const { handle } = await startProject();
    await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    const withdrawn = await act(handle, 'withdraw', { type: 'withdraw', actor: leadSecretary, reason: '补充材料' });
    expect(withdrawn.state.stage).toBe('draft');
    const resubmitted = await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    expect(resubmitted.state.stage).toBe('in_review');
    expect(resubmitted.state.review.history.map((h) => h.action)).toEqual(['submitted', 'withdrawn', 'submitted']);
  });

  it('transfers the review (转办) and delegates it (委派): the delegate advises, the new reviewer decides', async () => {
    const { handle } = await startProject();
    await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    const colleague: PersonActor = { userId: 'u-committee-2', role: 'committee', orgId: committee.orgId };
    const delegate: PersonActor = { userId: 'u-committee-3', role: 'committee', orgId: committee.orgId };
    await act(handle, 'transferReview', { type: 'transferReview', actor: committee, to: { orgId: colleague.orgId, userId: colleague.userId }, reason: '分管调整' });
    // The original reviewer no longer decides.
    expect((await refusalOf(act(handle, 'approve', { type: 'approve', actor: committee, comment: null }))).status).toBe(403);
    await act(handle, 'delegateReview', { type: 'delegateReview', actor: colleague, to: { orgId: delegate.orgId, userId: delegate.userId }, note: '请提出意见' });
    await act(handle, 'delegateOpinion', { type: 'delegateOpinion', actor: delegate, recommendation: 'approve', opinion: '指标量化充分，建议通过' });
    const approved = await act(handle, 'approve', { type: 'approve', actor: colleague, comment: '同意' });
    expect(approved.state.stage).toBe('approved');
    expect(approved.state.review.history.map((h) => `${h.action}:${h.actor.userId}`)).toEqual([
      'submitted:u-sec-oc1',
      'transferred:u-committee',
      'delegated:u-committee-2',
      'delegateOpinion:u-committee-3',
      'approved:u-committee-2',
    ]);
  });

  it('a review left untouched is reminded by the timer, then escalated to the committee, each recorded as the timer', async () => {
    const branchReviewer: PersonActor = { userId: 'u-sec-unit', role: 'secretary', orgId: 'org-unit' };
    const { handle, projectId } = await startProject(cycleWithReviewTimeouts(1500, 3000), branchReviewer);
    expect((await refusalOf(act(handle, 'remindReview', { type: 'remindReview', actor: leadSecretary, note: '请尽快审核' }))).status).toBe(409);
    await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    await act(handle, 'remindReview', { type: 'remindReview', actor: leadSecretary, note: '请尽快审核' });
    const escalated = async () => {
      const v = await handle.query(m.getProjectQuery);
      return v.state.review.history.some((e) => e.action === 'escalated') ? v : undefined;
    };
    const view = await waitUntil('the review escalated', escalated, 30_000, 250).catch(() => handle.query(m.getProjectQuery));
    const actions = view.state.review.history.map((h) => `${h.action}:${h.actor.userId}`);
    expect(actions).toEqual(['submitted:u-sec-oc1', 'reminded:u-sec-oc1', 'timeoutReminded:system:timer', 'escalated:system:timer']);
    expect(view.state.reviewerId).toBe(committee.userId);
    // The committee now decides.
    const approved = await act(handle, 'approve', { type: 'approve', actor: committee, comment: '工委审定通过' });
    expect(approved.state.stage).toBe('approved');
    await waitForRows(projectId, ['review_reminder', 'review_timeout_reminder', 'review_escalated']);
  });

  async function waitForRows(projectId: string, kinds: string[]) {
    const notifications = () => h.db.selectFrom('notifications').select(['kind', 'recipient_id']).where('project_id', '=', projectId).execute();
    const all = async () => {
      const rows = await notifications();
      return kinds.every((k) => rows.some((r) => r.kind === k)) ? rows : undefined;
    };
    const rows = await waitUntil(`notifications ${kinds.join(', ')}`, all, 15_000, 250).catch(notifications);
    const found = new Set(rows.map((r) => r.kind));
    for (const kind of kinds) expect(found, kind).toContain(kind);
    expect(rows.find((r) => r.kind === 'review_escalated')?.recipient_id).toBe(committee.userId);
  }

  it('a duplicate start with the same project id gives one execution', async () => {
    const { handle, cycle, projectId } = await startProject();
    await expect(
      h.temporal.client.workflow.start(projectWorkflow, {
        workflowId: m.projectWorkflowId(cycle.cycleId, projectId),
        taskQueue: h.temporal.taskQueue,
        args: [{ cycle, create: (await handle.query(m.getRunEventsQuery)).events[0] as never }],
      }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
  });

  it('a rejected proposal ends the workflow, and later actions are refused', async () => {
    const { handle } = await startProject();
    await act(handle, 'submit', { type: 'submit', actor: leadSecretary });
    await act(handle, 'reject', { type: 'reject', actor: committee, reason: '与年度重点任务不符' });
    const result = await handle.result();
    expect(result.state.stage).toBe('rejected');
    await expect(act(handle, 'submit', { type: 'submit', actor: leadSecretary })).rejects.toThrow();
  });
});
