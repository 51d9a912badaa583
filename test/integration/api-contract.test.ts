import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Validator } from '@seriousme/openapi-schema-validator';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { CONSOLE_ROUTES } from '../../api/plugins/console';

describe('the API contract: OpenAPI document, route inventory and fuzzing', () => {
  const cycle = compressedCycle('cy-contract', Date.now());

  const h = useHarness({ name: 'apicontract', cycle, app: { rateLimitPerMinute: 100_000 }, ready: true });

  function openapi() {
    return h.app.swagger() as { paths: Record<string, Record<string, unknown>>; openapi: string };
  }

  it('serves an OpenAPI 3 document that validates against the OpenAPI 3 schema', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const result = await new Validator().validate(response.json());
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('documents exactly the registered API routes (no undocumented or debug endpoints)', () => {
    const documented = Object.entries(openapi().paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    // The interactive docs and the web console's pages are the only routes outside the document.
    const registered = h.app.routeInventory
      .filter((r) => !r.includes(' /docs') && !(CONSOLE_ROUTES as readonly string[]).includes(r))
      .map((r) => r.replace(/:(\w+)/g, '{$1}'));
    expect([...registered].sort()).toEqual([...documented].sort());
    const expected = [
      'GET /health',
      'POST /wiring-checks',
      'GET /wiring-checks/{checkId}',
      'POST /projects',
      'GET /projects',
      'GET /projects/{id}',
      'POST /projects/{id}/submit',
      'POST /projects/{id}/review',
      'POST /projects/{id}/acceptance',
      'POST /projects/{id}/inspections/{quarter}',
      'POST /projects/{id}/rectifications/{entryId}/verify',
    ];
    for (const route of expected) expect(documented).toContain(route);
    expect(documented.filter((d) => /debug|internal|test/i.test(d))).toEqual([]);
  });

  type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>; requestBody?: unknown; parameters?: { in: string }[]; security?: unknown[] };
  /** Routes that need no credentials: documented with `security: []`, and exactly these. */
  const PUBLIC_ROUTES = ['GET /health', 'POST /auth/sign-in', 'GET /auth/oidc', 'GET /auth/oidc/login', 'GET /auth/oidc/callback'];
  const isPublic = (op: Operation) => Array.isArray(op.security) && op.security.length === 0;
  function operations() {
    const doc = openapi() as unknown as { paths: Record<string, Record<string, Operation>> };
    return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
  }

  it('documents every error response as application/problem+json with the Problem schema (was application/json)', () => {
    const wrong: string[] = [];
    for (const { method, path, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        // GET /health's 503 is its own health report, not a problem.
        if (path === '/health' && status === '503') continue;
        const media = Object.keys(response.content ?? {});
        if (media.length !== 1 || media[0] !== 'application/problem+json') wrong.push(`${method} ${path} ${status}: ${media.join(', ') || 'no content'}`);
        else if (!/Problem|def-0/.test(JSON.stringify(response.content?.['application/problem+json']?.schema))) wrong.push(`${method} ${path} ${status}: not the Problem schema`);
      }
    }
    expect(wrong).toEqual([]);
    const problem = (openapi() as unknown as { components: { schemas: Record<string, { title?: string; properties?: Record<string, unknown> }> } }).components.schemas;
    expect(Object.values(problem).some((s) => s.title === 'Problem' || (s.properties && 'detail' in s.properties && 'type' in s.properties))).toBe(true);
  });

  it('documents every status the shared plumbing can answer: 400, 429, 500, 503 everywhere, 401 behind a token, 414 with a path parameter, 413 and 415 with a body (401 was missing on GET /wiring-checks/{checkId})', () => {
    const missing: string[] = [];
    for (const { method, path, op } of operations()) {
      const want = [400, 429, 500, 503];
      if (!isPublic(op)) want.push(401);
      if (path.includes('{')) want.push(414);
      if (method === 'POST') want.push(413, 415);
      for (const status of want) if (!(String(status) in op.responses)) missing.push(`${method} ${path} ${status}`);
    }
    expect(missing).toEqual([]);
  });

  it('an over-long path parameter is answered 414 as application/problem+json with a Chinese detail, as documented (was plain JSON)', async () => {
    const response = await h.app.inject({ method: 'GET', url: `/projects/${'p'.repeat(150)}`, headers: { authorization: `Bearer ${h.cast.tokens['u-committee']}` } });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.headers['x-request-id']).toBeTruthy();
    expect(response.json()).toMatchObject({ status: 414, type: expect.stringContaining('urn:party-projects:problem:') });
    expect(response.json().detail).toMatch(/参数过长/);
    expect(operations().find((o) => o.method === 'GET' && o.path === '/projects/{id}')?.op.responses['414']?.content).toHaveProperty(['application/problem+json']);
  });

  it('a malformed percent-encoding in the path is answered 400 as application/problem+json (was plain JSON)', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/projects/%E0%A4%A', headers: { authorization: `Bearer ${h.cast.tokens['u-committee']}` } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().detail).toMatch(/URL/);
  });

  it('every answer without a token is a documented status with the documented media type', async () => {
    for (const { method, path, op } of operations()) {
      const url = path.replace(/\{quarter\}/g, '1').replace(/\{checkId\}/g, '00000000-0000-4000-8000-000000000000').replace(/\{[^}]+\}/g, 'x1');
      const response = await h.app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : {} });
      const documented = op.responses[String(response.statusCode)];
      expect(documented, `${method} ${path} answered ${response.statusCode}, not documented`).toBeDefined();
      const media = Object.keys(documented?.content ?? {});
      if (media.length > 0) expect(media.some((m) => String(response.headers['content-type']).startsWith(m)), `${method} ${path} ${response.statusCode} ${response.headers['content-type']} vs ${media}`).toBe(true);
    }
  });

  it('every documented route answers without a token with 401, except the public ones (health, sign-in, single sign-on), which the document marks as such', async () => {
    expect(operations().filter(({ op }) => isPublic(op)).map(({ method, path }) => `${method} ${path}`).sort()).toEqual([...PUBLIC_ROUTES].sort());
    for (const { method, path, op } of operations()) {
      const url = path.replace(/\{quarter\}/g, '1').replace(/\{[^}]+\}/g, 'x1');
      const response = await h.app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : {} });
      if (isPublic(op)) expect(response.statusCode, `${method} ${path}`).not.toBe(401);
      else expect(response.statusCode, `${method} ${path}`).toBe(401);
    }
  });

  it('fuzzed inputs to every route never cause a 5xx and never change anything when refused', async () => {
    const { title, ...rest } = proposal(cycle.year, '模糊测试目标项目');
    const created = await h.app.inject({
      method: 'POST',
      url: '/projects',
      headers: { authorization: `Bearer ${h.cast.tokens['u-sec-oc1']}` },
      payload: { cycleId: cycle.cycleId, title, ...rest },
    });
    expect(created.statusCode).toBe(201);
    const projectId = created.json().id as string;
    const routes = Object.entries(openapi().paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })));
    const users = Object.keys(h.cast.tokens);
    const countEvents = async () =>
      (await h.db.selectFrom('project_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    await new Promise((r) => setTimeout(r, 500));
    const baseline = await countEvents();
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes.filter((r) => r.method === 'POST' && r.path !== '/wiring-checks')),
        fc.constantFrom(...users),
        fc.oneof(fc.anything(), fc.object(), fc.dictionary(fc.constantFrom('stage', 'grade', 'orgId', 'decision', 'text', 'quarter', '__proto__', 'constructor'), fc.anything())),
        fc.oneof(fc.constant(projectId), fc.string({ maxLength: 100 }), fc.constant('../../etc/passwd')),
        async (route, userId, body, id) => {
          cases += 1;
          const url = route.path.replace('{id}', encodeURIComponent(id) || 'x').replace('{quarter}', String(id.length % 6)).replace(/\{[^}]+\}/g, encodeURIComponent(id) || 'x');
          const response = await h.app.inject({
            method: 'POST',
            url,
            headers: { authorization: `Bearer ${h.cast.tokens[userId]}`, 'content-type': 'application/json' },
            payload: JSON.stringify(body) ?? 'null',
          });
          expect(response.statusCode, `${route.method} ${url} ${response.body}`).toBeLessThan(500);
          if (response.statusCode >= 400) expect(response.headers['content-type']).toContain('application/problem+json');
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
    // The generated bodies never form a valid action on the draft project (no valid submit body is `{}`-free),
    // so nothing may have been recorded beyond what valid requests did: compare with a fresh read.
    const after = await countEvents();
    const accepted = after - baseline;
    const project = await h.app.inject({ method: 'GET', url: `/projects/${projectId}`, headers: { authorization: `Bearer ${h.cast.tokens['u-committee']}` } });
    expect(project.statusCode).toBe(200);
    expect(accepted).toBeLessThanOrEqual(project.json().version);
    expect(cases).toBe(300);
  });
});
