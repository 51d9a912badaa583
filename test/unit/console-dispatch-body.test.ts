/** The console's mid-year dispatch form: the body it sends, and when it offers the action at all. */
import { describe, expect, it } from 'vitest';
import { dispatchBody } from '../../web/src/components/project/dispatch';

describe('the dispatch form’s body', () => {
  it('an adjustment sends each change with its reason, an added sub-project led by the picked org’s secretary', () => {
    expect(
      dispatchBody({
        decision: 'adjust',
        reason: '  结合上半年进展  ',
        changes: [
          { kind: 'indicatorTarget', indicatorId: 'i-1', target: 24, reason: ' 目标上调 ' },
          { kind: 'addMilestone', id: 'm-d3', title: '回访', due: '2026-12-25', reason: '补充' },
          { kind: 'addChild', orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处专项', reason: '增加' },
          { kind: 'reassignChild', childId: 'P-1-S1', orgId: 'org-b2', secretaryId: 'u-sec-b2', reason: '调整' },
          { kind: 'cancelChild', childId: 'P-1-S2', reason: '撤销' },
        ],
      }),
    ).toEqual({
      decision: 'adjust',
      reason: '结合上半年进展',
      changes: [
        { kind: 'indicatorTarget', indicatorId: 'i-1', target: 24, reason: '目标上调' },
        { kind: 'addMilestone', milestone: { id: 'm-d3', title: '回访', due: '2026-12-25' }, reason: '补充' },
        { kind: 'addChild', child: { orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处专项' }, reason: '增加' },
        { kind: 'reassignChild', childId: 'P-1-S1', orgId: 'org-b2', secretaryId: 'u-sec-b2', reason: '调整' },
        { kind: 'cancelChild', childId: 'P-1-S2', reason: '撤销' },
      ],
    });
  });

  it('continue and terminate carry no changes, even when the form still holds some; an empty reason is left out', () => {
    const changes = [{ kind: 'cancelChild' as const, childId: 'P-1-S2', reason: '撤销' }];
    expect(dispatchBody({ decision: 'continue', reason: ' ', changes })).toEqual({ decision: 'continue', changes: [] });
    expect(dispatchBody({ decision: 'terminate', reason: '目标已无法实现', changes })).toEqual({ decision: 'terminate', reason: '目标已无法实现', changes: [] });
  });
});
