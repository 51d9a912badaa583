/** Small builders for lifecycle unit tests: a cycle, the cast, and projects at each stage. */
import { apply, rollupActor, timerActor } from '../../workflows/lifecycle';
import { at, DAY, makeCycle, proposalInput, YEAR } from '../fixtures/cycles';
import type {
  AcceptEvent,
  CreateEvent,
  CycleConfig,
  EvidenceFile,
  LifecycleEvent,
  PersonActor,
  ProjectState,
  RecordInspectionEvent,
  Refusal,
  SelfAssessEvent,
  SubmitEvidenceEvent,
} from '../../workflows/lifecycle';

// The calendar, rules and proposal of a whole 2025 cycle live in test/fixtures/cycles.ts.
export { at, DAY, makeCycle, proposalInput, YEAR };

const person = (userId: string, role: PersonActor['role'], orgId: string): PersonActor => ({ userId, role, orgId });

/** The cast: the project is led by sec-a of org-a and reviewed by the organ party committee org-oc. */
export const people = {
  lead: person('sec-a', 'secretary', 'org-a'),
  /** Another secretary of the same org who does not lead this project. */
  deputy: person('dep-a', 'secretary', 'org-a'),
  otherSecretary: person('sec-b', 'secretary', 'org-b'),
  reviewer: person('sec-oc', 'secretary', 'org-oc'),
  otherReviewer: person('sec-oc2', 'secretary', 'org-oc2'),
  delegate: person('staff-oc', 'secretary', 'org-oc'),
  committee: person('com-1', 'committee', 'org-com'),
  committeeReviewer: person('com-rev', 'committee', 'org-com'),
  inspector: person('insp-1', 'inspector', 'org-com'),
  member: person('mem-1', 'member', 'org-a'),
  otherMember: person('mem-2', 'member', 'org-a'),
  auditor: person('aud-1', 'auditor', 'org-com'),
  childSecretary: person('sec-c1', 'secretary', 'org-c1'),
  secondChildSecretary: person('sec-c2', 'secretary', 'org-c2'),
} as const;

export const timer = timerActor('org-a');
export const rollup = rollupActor('org-a');

export function createEvent(overrides: Partial<CreateEvent> = {}): CreateEvent {
  return {
    type: 'create',
    actor: people.lead,
    at: at('2025-01-10'),
    projectId: 'p-1',
    cycleId: 'cycle-2025',
    parentId: null,
    orgId: 'org-a',
    leadSecretaryId: 'sec-a',
    reviewer: { orgId: 'org-oc', userId: 'sec-oc' },
    proposal: proposalInput(),
    ...overrides,
  };
}

export function file(name = 'photo.jpg', sha256 = 'a'.repeat(64), size = 1024): EvidenceFile {
  return { name, sha256, size };
}

export function evidenceEvent(overrides: Partial<SubmitEvidenceEvent> = {}): SubmitEvidenceEvent {
  return {
    type: 'submitEvidence',
    actor: people.lead,
    at: at('2025-03-20'),
    evidenceId: 'ev-1',
    quarter: 1,
    milestoneId: null,
    text: '一季度完成走访企业10家',
    files: [file()],
    indicatorActuals: [{ indicatorId: 'i2', actual: 10 }],
    ...overrides,
  };
}

export function inspectionEvent(overrides: Partial<RecordInspectionEvent> = {}): RecordInspectionEvent {
  return {
    type: 'recordInspection',
    actor: people.inspector,
    at: at('2025-04-10'),
    quarter: 1,
    rating: 'lagging',
    findings: ['台账记录不完整'],
    problems: [
      {
        id: 'L1',
        problem: '走访记录缺少企业签字',
        responsibleOrgId: 'org-a',
        responsiblePersonId: 'sec-a',
        measures: '补齐签字并建立台账',
        deadline: '2025-05-31',
      },
    ],
    ...overrides,
  };
}

export function selfAssessEvent(overrides: Partial<SelfAssessEvent> = {}): SelfAssessEvent {
  return {
    type: 'selfAssess',
    actor: people.lead,
    at: at('2025-12-12'),
    scores: [
      { criterionId: 'goal', score: 38 },
      { criterionId: 'fusion', score: 27 },
      { criterionId: 'innovation', score: 25 },
    ],
    narrative: '全年指标全部完成',
    businessImpact: '企业开办时间由3天压缩至1天',
    ...overrides,
  };
}

export function acceptEvent(overrides: Partial<AcceptEvent> = {}): AcceptEvent {
  return {
    type: 'accept',
    actor: people.committee,
    at: at('2025-12-20'),
    criterionScores: [
      { criterionId: 'goal', score: 38 },
      { criterionId: 'fusion', score: 28 },
      { criterionId: 'innovation', score: 26 },
    ],
    negativeList: [],
    ...overrides,
  };
}

/** Drives one project through the machine, keeping the accepted events. */
export class Sim {
  state: ProjectState | null = null;
  readonly events: LifecycleEvent[] = [];

  constructor(readonly cycle: CycleConfig = makeCycle()) {}

  /** Applies an event that must be accepted. */
  ok(event: LifecycleEvent): ProjectState {
    const r = apply(this.state, event, this.cycle);
    if (!r.ok) throw new Error(`${event.type} refused by ${r.refusal.rule}: ${r.refusal.message}`);
    this.state = r.state;
    this.events.push(event);
    return r.state;
  }

  /** Applies an event that must be refused; the state stays as it was. */
  refused(event: LifecycleEvent): Refusal {
    const r = apply(this.state, event, this.cycle);
    if (r.ok) throw new Error(`${event.type} was accepted but a refusal was expected`);
    return r.refusal;
  }

  get s(): ProjectState {
    if (this.state === null) throw new Error('no project yet');
    return this.state;
  }
}

export function draftProject(cycle?: CycleConfig, create: Partial<CreateEvent> = {}): Sim {
  const sim = new Sim(cycle);
  sim.ok(createEvent(create));
  return sim;
}

export function inReviewProject(cycle?: CycleConfig): Sim {
  const sim = draftProject(cycle);
  sim.ok({ type: 'submit', actor: people.lead, at: at('2025-01-20') });
  return sim;
}

export function approvedProject(cycle?: CycleConfig): Sim {
  const sim = inReviewProject(cycle);
  sim.ok({ type: 'approve', actor: people.reviewer, at: at('2025-01-22') });
  return sim;
}

/** Approved and the responsibility letter signed: work may start. */
export function inProgressProject(cycle?: CycleConfig): Sim {
  const sim = approvedProject(cycle);
  sim.ok({ type: 'signLetter', actor: people.lead, at: at('2025-02-01'), text: '本人承诺按期完成项目目标' });
  return sim;
}

/** In progress with one sub-project c1 led by sec-c1 of org-c1. */
export function decomposedProject(cycle?: CycleConfig): Sim {
  const sim = inProgressProject(cycle);
  sim.ok({
    type: 'decompose',
    actor: people.lead,
    at: at('2025-02-10'),
    children: [{ id: 'c1', orgId: 'org-c1', secretaryId: 'sec-c1', title: '支部服务企业子项目' }],
  });
  return sim;
}
