/** Which ids a project's names cover (services/names.ts collectProjectIds), on states the lifecycle core builds. */
import { describe, expect, it } from 'vitest';
import { collectProjectIds, idLikeStrings, systemActorLabel } from '../../services/names';
import { at, decomposedProject, evidenceEvent, inspectionEvent, people, timer } from './lifecycle.fixtures';

describe('the ids a project refers to, for its names', () => {
  it('covers the lead, the reviewer, the sub-project, the evidence submitter, the inspector, the ledger and a handover', () => {
    const sim = decomposedProject();
    sim.ok(evidenceEvent({ at: at('2025-03-20') }));
    sim.ok({ type: 'inspectionDue', actor: timer, at: at('2025-04-01'), quarter: 1 });
    sim.ok(inspectionEvent({ problems: [{ ...inspectionEvent().problems[0], responsibleOrgId: 'org-c1', responsiblePersonId: 'sec-c1' }] }));
    const state = sim.ok({ type: 'handOver', actor: people.committee, at: at('2025-07-01'), orgId: 'org-a', fromUserId: 'sec-a', toUserId: 'sec-a2', reason: '换届' });
    const ids = collectProjectIds(state);
    expect([...ids.users].sort()).toEqual(expect.arrayContaining(['sec-a', 'sec-a2', 'sec-oc', 'sec-c1', 'insp-1', 'com-1']));
    expect([...ids.orgs].sort()).toEqual(expect.arrayContaining(['org-a', 'org-oc', 'org-c1']));
    // Nothing that is not a person or an org: no project, evidence or ledger ids.
    expect([...ids.users, ...ids.orgs]).not.toEqual(expect.arrayContaining([state.id]));
    expect([...ids.users, ...ids.orgs].some((id) => id === 'L1' || id === 'ev-1' || id === 'c1')).toBe(false);
  });

  it('labels the engine’s actors in Chinese; change values give only id-shaped strings', () => {
    expect(systemActorLabel('system:timer')).toBe('系统（定时器）');
    expect(systemActorLabel('system:rollup')).toBe('系统（子项目汇总）');
    expect(systemActorLabel('system:other')).toBe('系统');
    const found = new Set<string>();
    idLikeStrings({ orgId: 'org-b1', secretaryId: 'u-sec-b1', title: '预算处 子项目', list: ['u-x', 3] }, found);
    expect([...found].sort()).toEqual(['org-b1', 'u-sec-b1', 'u-x']);
  });
});
