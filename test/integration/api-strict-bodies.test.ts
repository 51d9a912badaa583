/**
 * Bodies are validated as sent, without type coercion: a wrong type is a 400 problem naming the
 * field, never a value silently stored as something else. Query strings and path parameters are
 * text by nature and keep their coercion. Lengths count characters (code points) at both doors.
 */
import { describe, expect, it } from 'vitest';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('request bodies are validated as sent (no type coercion)', () => {
  const cycle = compressedCycle('cy-strict', Date.now());
  const h = useHarness({ name: 'apistrict', cycle, app: { rateLimitPerMinute: 100_000 } });
  const { as } = h;
  const post = (userId: string, url: string, payload: unknown) =>
    h.app.inject({ method: 'POST', url, headers: { ...as(userId), 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const body = (overrides: Record<string, unknown> = {}) => {
    const { title, ...rest } = proposal(cycle.year, '严格校验测试项目');
    return { cycleId: cycle.cycleId, title, ...rest, ...overrides };
  };
  const projectCount = async () => (await h.db.selectFrom('cycle_projects').select((eb) => eb.fn.countAll<number>().as('n')).where('cycle_id', '=', cycle.cycleId).executeTakeFirstOrThrow()).n;


  const indicators = proposal(2026, 'x').indicators;
  it.each([
    ['a null baseline (was stored as 0)', { indicators: [{ ...indicators[0], baseline: null }, indicators[1]] }, 'indicators.0.baseline'],
    ['a null isKey (was stored as false)', { isKey: null }, 'isKey'],
    ['a weight sent as the string "60" (was stored as 60)', { indicators: [{ ...indicators[0], weight: '60' }, indicators[1]] }, 'indicators.0.weight'],
    ['a single id where a list is due (was stored as a one-element list)', { problemIds: 'PB-1' }, 'problemIds'],
    ['a number where the title is due (was stored as text)', { title: 2026 }, 'title'],
    ['"true" where a boolean is due', { isKey: 'true' }, 'isKey'],
  ])('a proposal with %s is refused with 400 problem+json naming the field, and nothing is stored', async (_label, overrides, field) => {
    const before = await projectCount();
    const response = await post('u-sec-oc1', '/projects', body(overrides));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 400, field });
    expect(response.json().detail).toMatch(/请求参数不合法/);
    expect(await projectCount()).toBe(before);
  });

  it('a wiring check whose message is a number is refused with 400 naming message (was stored as the string)', async () => {
    const response = await post('u-committee', '/wiring-checks', { message: 60 });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ field: 'message' });
  });

  it('query strings and path parameters keep their coercion: ?limit=5&overdue=false and /inspections/2', async () => {
    const list = await h.get('u-committee', `/projects?cycle=${cycle.cycleId}&limit=5&overdue=false`);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ limit: 5, offset: 0 });
    // The quarter is coerced from the path; the project does not exist, so the answer is 404, not 400.
    const inspection = await post('u-inspector', '/projects/P-none/inspections/2', { rating: 'on_track', findings: [], problems: [] });
    expect(inspection.statusCode, inspection.body).toBe(404);
  });

  it('a title of 200 characters outside the BMP is accepted end to end (counted in characters, not UTF-16 units)', async () => {
    const title = '\u{20000}'.repeat(200);
    const response = await post('u-sec-oc1', '/projects', body({ title }));
    expect(response.statusCode, response.body).toBe(201);
    const tooLong = await post('u-sec-oc1', '/projects', body({ title: title + '\u{20000}' }));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ field: 'title' });
  });

  it('a title made only of zero-width characters is refused with 400 and a Chinese message', async () => {
    const before = await projectCount();
    const response = await post('u-sec-oc1', '/projects', body({ title: '\u200B\u200C\u200D\u2060\uFEFF' }));
    expect(response.statusCode, response.body).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ rule: 'payload.title_length' });
    expect(response.json().detail).toMatch(/不可见/);
    expect(await projectCount()).toBe(before);
  });
});
