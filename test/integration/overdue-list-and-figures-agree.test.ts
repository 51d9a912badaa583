/**
 * One definition of "overdue" serves the project list and the committee figures: a project whose
 * ledger entry's deadline has passed (and is not closed) is listed by GET /projects?overdue=true
 * exactly when the figures count that entry in overdueLedger. The list once compared the stored
 * deadline as text with today's UTC date, so a passed date-time deadline was never listed while the
 * figures counted it.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

describe('overdue: the list and the figures agree', () => {
  const cycle = compressedCycle('cy-overdue', Date.now());
  const h = useHarness({ name: 'overdue', cycle });
  const { as } = h;
  const post = async (userId: string, url: string, payload: object = {}) => {
    const response = await h.app.inject({ method: 'POST', url, headers: as(userId), payload });
    expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };


  /**
   * A signed project with one ledger entry due at `deadline()` — read just before the inspection,
   * so a deadline seconds ahead is still ahead when the inspection records it, however long the
   * steps before took on a busy machine.
   */
  async function projectWithLedgerEntry(title: string, deadline: () => string): Promise<string> {
    const { title: _t, ...rest } = proposal(cycle.year, title);
    const project = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    await post('u-sec-oc1', `/projects/${project.id}/submit`);
    await post('u-committee', `/projects/${project.id}/review`, { decision: 'approve' });
    await post('u-sec-oc1', `/projects/${project.id}/letter`, { text: '本人承诺履行第一责任人职责' });
    await post('u-inspector', `/projects/${project.id}/inspections/1`, {
      rating: 'lagging',
      findings: ['进度滞后'],
      problems: [{ problem: '走访台账不全', responsibleOrgId: 'org-oc1', responsiblePersonId: 'u-sec-oc1', measures: '补齐走访台账', deadline: deadline() }],
    });
    await waitUntil('the ledger entry persisted', () => h.db.selectFrom('ledger_entries').select('id').where('project_id', '=', project.id).executeTakeFirst(), 15_000, 100);
    return project.id;
  }

  it('a project whose ledger deadline passed is in the overdue list and in the figures; one not yet due is in neither', async () => {
    let passedAt = 0;
    const late = await projectWithLedgerEntry('整改逾期项目', () => {
      passedAt = Date.now() + 3_000;
      return new Date(passedAt).toISOString();
    });
    // A whole Beijing calendar day at the end of the year: not due yet.
    const onTime = await projectWithLedgerEntry('整改未到期项目', () => `${cycle.year}-12-31`);
    while (Date.now() <= passedAt + 200) await new Promise((r) => setTimeout(r, 100));

    const list = await h.get('u-committee', `/projects?cycle=${cycle.cycleId}&overdue=true`);
    expect(list.statusCode, list.body).toBe(200);
    const listed = list.json().items.map((p: { id: string }) => p.id).sort();

    const figures = await h.get('u-committee', `/cycles/${cycle.cycleId}/figures?asOf=${encodeURIComponent(new Date().toISOString())}`);
    expect(figures.statusCode, figures.body).toBe(200);
    const counted = [...new Set(figures.json().overdueLedger.map((i: { projectId: string }) => i.projectId))].sort();

    expect(listed).toEqual([late]);
    expect(counted).toEqual(listed);
    expect(figures.json().totals.ledger.overdue).toBe(1);
    expect(listed).not.toContain(onTime);
    expect(list.json().total).toBe(1);

    // The secretary's scope applies to the overdue filter too; another org's secretary sees nothing.
    const own = await h.get('u-sec-oc1', `/projects?cycle=${cycle.cycleId}&overdue=true`);
    expect(own.json().items.map((p: { id: string }) => p.id)).toEqual([late]);
    const other = await h.get('u-sec-b3', `/projects?cycle=${cycle.cycleId}&overdue=true`);
    expect(other.json()).toMatchObject({ items: [], total: 0 });
  });
});
