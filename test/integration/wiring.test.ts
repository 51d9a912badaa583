import { describe, expect, it } from 'vitest';
import { compressedCycle } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';

describe('wiring: api → Temporal → worker → PostgreSQL', () => {
  const h = useHarness({ name: 'wiring', cycle: () => compressedCycle('cy-wiring', Date.now()) });

  it('reports Temporal and PostgreSQL reachable on /health', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', checks: { temporal: { ok: true }, postgres: { ok: true } } });
  });

  it('a wiring check started through the API runs a workflow whose activity writes one row', async () => {
    const response = await h.post('u-committee', '/wiring-checks', { message: '连通性检查' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ message: '连通性检查', stored: true });
    expect(body.workflowId).toBe(`wiring-check/${body.checkId}`);

    const rows = await h.db.selectFrom('wiring_checks').selectAll().where('id', '=', body.checkId).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ message: '连通性检查', workflow_id: body.workflowId });

    const result = await h.temporal.client.workflow.getHandle(body.workflowId).result();
    expect(result).toEqual({ checkId: body.checkId, message: '连通性检查', stored: true });

    const read = await h.get('u-committee', `/wiring-checks/${body.checkId}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ checkId: body.checkId, runId: rows[0].run_id });
  });

  it('a wiring check without a message is refused with problem+json naming the field, and starts nothing', async () => {
    const before = await h.db.selectFrom('wiring_checks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const response = await h.post('u-committee', '/wiring-checks', { text: 'x' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ type: 'urn:party-projects:problem:validation', field: 'message' });
    const after = await h.db.selectFrom('wiring_checks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('refuses a wiring check without a valid bearer token with 401', async () => {
    const none = await h.app.inject({ method: 'POST', url: '/wiring-checks', payload: { message: 'x' } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    const forged = await h.app.inject({ method: 'POST', url: '/wiring-checks', headers: { authorization: `Bearer ppe_${'x'.repeat(43)}` }, payload: { message: 'x' } });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().type).toBe('urn:party-projects:problem:unauthorized');
  });

  it('only committee staff may run a wiring check (403 for a secretary, nothing written)', async () => {
    const before = await h.db.selectFrom('wiring_checks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    const response = await h.post('u-sec-oc1', '/wiring-checks', { message: 'x' });
    expect(response.statusCode).toBe(403);
    const after = await h.db.selectFrom('wiring_checks').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('an unknown wiring check is a 404 problem', async () => {
    const response = await h.get('u-committee', '/wiring-checks/00000000-0000-4000-8000-000000000000');
    expect(response.statusCode).toBe(404);
    expect(response.json().type).toBe('urn:party-projects:problem:not-found');
  });

  it('echoes a well-formed x-request-id and generates one otherwise', async () => {
    const given = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const generated = await h.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\n' } });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
