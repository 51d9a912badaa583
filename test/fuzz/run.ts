/**
 * Schema fuzz of the served OpenAPI document (`npm run fuzz`, run by .ci/run).
 *
 * Starts its own instance like the integration tests do — a real Temporal dev server (in memory),
 * a real embedded PostgreSQL, a worker and the API listening on a free port — seeds a cycle, its
 * users and two projects, then sends every operation of `/docs/json` requests generated from the
 * document's own schemas (values the schema accepts, values it must refuse, malformed JSON, wrong
 * media types, over-long and odd path parameters), each with a committee and a secretary token.
 *
 * It fails when an answer is 5xx, or an error status is not documented for its operation, or an
 * error is not `application/problem+json` with a Chinese `detail`, as the document says. It prints
 * the counts. FUZZ_RUNS (cases per operation and token, default 50) and FUZZ_SEED tune it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import fc from 'fast-check';
import { buildApp } from '../../api/app';
import { loadConfig } from '../../config';
import { createDb, migrateToLatest } from '../../db';
import { createLogger } from '../../logger';
import { ensureDatabase, startEmbeddedPostgres } from '../../scripts/infra/embedded-postgres';
import { freePort } from '../../scripts/infra/ports';
import { ensureTemporalCli } from '../../scripts/infra/temporal-cli';
import { startTemporalDevServer } from '../../scripts/infra/temporal-dev-server';
import { createWorker, installRuntimeLogging } from '../../worker';
import { seedCast } from '../helpers/api';
import { compressedCycle, proposal } from '../helpers/full-year';
import { invalid, valid, type Hints, type JsonSchema } from './schema-arbitrary';

const RUNS = Number(process.env.FUZZ_RUNS ?? 50);
const SEED = Number(process.env.FUZZ_SEED ?? 20260417);
const CJK = /[\u4e00-\u9fff]/;
/** FUZZ_TRACE=<regex of "METHOD /path">: print every case of the matching operations with its answer. */
const TRACE = process.env.FUZZ_TRACE ? new RegExp(process.env.FUZZ_TRACE) : null;

type Response = { description?: string; content?: Record<string, { schema?: JsonSchema }> };
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: JsonSchema };
type Operation = { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; responses: Record<string, Response> };

interface Case {
  url: string;
  headers: Record<string, string>;
  body?: string | FormData;
  shape: string;
}

async function main() {
  const started = Date.now();
  const config = loadConfig();
  const log = createLogger(process.env.FUZZ_LOG_LEVEL ?? 'warn', 'fuzz');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'party-projects-fuzz-'));
  // PostgreSQL runs as the `postgres` user when we are root: it must reach its directory.
  fs.chmodSync(workDir, 0o755);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const cli = await ensureTemporalCli(config.cacheDir, createLogger('info', 'temporal-cli'));
    const [temporal, postgres] = await Promise.all([
      freePort().then((port) => startTemporalDevServer({ cliPath: cli, port, uiPort: null, namespace: 'default', dbFile: null, log })),
      freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(workDir, 'pg'), port, log, fast: true })),
    ]);
    stops.push(() => temporal.stop(), () => postgres.stop());
    const db = createDb(await ensureDatabase(postgres.serverUrl, 'fuzz'));
    stops.push(() => db.destroy());
    await migrateToLatest(db);

    const taskQueue = `fuzz-${randomUUID()}`;
    installRuntimeLogging(log);
    const workerConnection = await NativeConnection.connect({ address: temporal.address });
    const worker = await createWorker({ connection: workerConnection, namespace: 'default', taskQueue, db });
    const running = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await workerConnection.close();
    });
    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const app = await buildApp({ db, temporal: client, namespace: 'default', taskQueue, logger: log, rateLimitPerMinute: 1_000_000, authFailuresPerMinute: 1_000_000, store: undefined });
    stops.push(() => app.close());
    const port = await freePort();
    await app.listen({ host: '127.0.0.1', port });
    const base = `http://127.0.0.1:${port}`;
    process.stdout.write(`fuzz: instance up in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${temporal.address}, API ${base})\n`);

    // ---- Seed: a cycle with its org tree and users, one draft and one approved project ----------
    const cycle = compressedCycle('cy-fuzz', Date.now());
    const cast = await seedCast(db, cycle);
    const committee = cast.tokens[cycle.committee.userId];
    const secretary = cast.tokens['u-sec-oc1'];
    const call = async (token: string, method: string, url: string, body?: unknown) => {
      const response = await fetch(base + url, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json = (await response.json()) as Record<string, unknown>;
      if (response.status >= 300) throw new Error(`seeding ${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const { title, ...rest } = proposal(cycle.year, '模糊测试草稿项目');
    const draft = (await call(secretary, 'POST', '/projects', { cycleId: cycle.cycleId, title, ...rest })) as { id: string };
    const second = (await call(secretary, 'POST', '/projects', { cycleId: cycle.cycleId, title: '模糊测试执行项目', ...rest })) as { id: string };
    await call(secretary, 'POST', `/projects/${second.id}/submit`, {});
    await call(committee, 'POST', `/projects/${second.id}/review`, { decision: 'approve', comment: '同意' });

    // One uploaded file, so GET /evidence-files/{sha256} also meets a hash that exists.
    const form = new FormData();
    form.append('file', new Blob(['模糊测试佐证材料'], { type: 'text/plain' }), 'evidence.txt');
    const uploaded = await fetch(`${base}/evidence-files`, { method: 'POST', headers: { authorization: `Bearer ${secretary}` }, body: form });
    if (uploaded.status !== 201) throw new Error(`seeding POST /evidence-files: ${uploaded.status} ${await uploaded.text()}`);
    const sha256 = ((await uploaded.json()) as { files: { sha256: string }[] }).files[0].sha256;

    // ---- The document as served ------------------------------------------------------------
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => ({ method: m.toUpperCase(), path: p, op })));

    const projectIds = [draft.id, second.id];
    const hints: Hints = {
      cycleId: [cycle.cycleId],
      orgId: Object.values(cast.users).map((u) => u.orgId),
      toOrgId: Object.values(cast.users).map((u) => u.orgId),
      responsibleOrgId: ['org-oc1', 'org-b1'],
      toUserId: Object.keys(cast.users),
      secretaryId: ['u-sec-b1', 'u-sec-b2', 'u-sec-oc1'],
      memberId: ['u-member-b1'],
      responsiblePersonId: ['u-sec-b1'],
      indicatorId: ['i-visits', 'i-satisfaction'],
      milestoneId: ['m-h1', 'm-h2'],
      decision: ['approve', 'return', 'reject', 'continue', 'adjust', 'terminate'],
      cycle: [cycle.cycleId],
      org: ['org-oc1', 'org-u1', 'org-unknown'],
    };
    const paramValue = (p: string, name: string, schema: JsonSchema): fc.Arbitrary<string> => {
      const known = name === 'sha256' ? [sha256] : name === 'id' ? (/^\/(reports\/|audit\/)?cycles\//.test(p) ? [cycle.cycleId] : projectIds) : name === 'quarter' ? ['1', '2', '3', '4'] : [];
      const odd = fc.constantFrom('x'.repeat(101), '项'.repeat(120), '..', '%2e%2e', '0', '-1', '5', '1.5', ' ', '\u200B', '😀', 'a/b', 'null', "'; drop table projects; --");
      const arbs: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
        { weight: 3, arbitrary: valid(schema, hints).map(String) },
        { weight: 1, arbitrary: odd },
        { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
      ];
      if (known.length > 0) arbs.push({ weight: 6, arbitrary: fc.constantFrom(...known) });
      return fc.oneof(...arbs);
    };

    const caseFor = (p: string, method: string, op: Operation): fc.Arbitrary<Case> => {
      const params = (op.parameters ?? []).filter((x) => x.in === 'path');
      const query = (op.parameters ?? []).filter((x) => x.in === 'query');
      const pathArb = fc.tuple(...params.map((x) => paramValue(p, x.name, x.schema)));
      const querySchema: JsonSchema = { type: 'object', properties: Object.fromEntries(query.map((q) => [q.name, q.schema])), required: query.filter((q) => q.required).map((q) => q.name) };
      // A query string is text: most "wrong types" of a JSON value are fine text, so the refused
      // cases are an unknown parameter, or a known one with text its schema cannot read.
      const badQuery = fc
        .tuple(valid(querySchema, hints), fc.constantFrom(...query.map((q) => q.name), 'unknownParam'), fc.constantFrom('abc', '-5', '1e9', '', 'x'.repeat(300), 'true,false', '%', '[]'))
        .map(([q, name, bad]) => ({ ...(q as object), [name]: bad }));
      const queryArb = query.length === 0 ? fc.constant({}) : fc.oneof({ weight: 3, arbitrary: valid(querySchema, hints) }, { weight: 1, arbitrary: badQuery });
      const content = op.requestBody?.content ?? {};
      const jsonSchema = content['application/json']?.schema;
      // An upload route declares no JSON body (the multipart parts are read by the handler).
      const multipart = 'multipart/form-data' in content || (method === 'POST' && !jsonSchema && p.startsWith('/evidence-files'));
      type Body = { body?: string | FormData; contentType?: string; shape: string };
      let bodyArb: fc.Arbitrary<Body> = fc.constant({ shape: 'none' });
      if (method !== 'GET') {
        const schema = jsonSchema ?? { type: 'object' };
        const alternatives: { weight: number; arbitrary: fc.Arbitrary<Body> }[] = [
          { weight: 6, arbitrary: valid(schema, hints).map((v) => ({ body: JSON.stringify(v), contentType: 'application/json', shape: 'valid' })) },
          { weight: 4, arbitrary: invalid(schema, hints).map((v) => ({ body: JSON.stringify(v) ?? 'null', contentType: 'application/json', shape: 'invalid' })) },
          { weight: 1, arbitrary: fc.constantFrom('{', '{"a":', 'null', '[]', '"x"', '', '{"__proto__":{"x":1}}').map((b) => ({ body: b, contentType: 'application/json', shape: 'malformed' })) },
          { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/xml', 'application/x-www-form-urlencoded').map((t) => ({ body: 'a=1', contentType: t, shape: 'media-type' })) },
        ];
        if (multipart) {
          alternatives.push({
            weight: 6,
            arbitrary: fc.tuple(fc.string({ maxLength: 200 }), fc.constantFrom('note.txt', 'a.pdf', 'x.exe', '')).map(([text, name]) => {
              const form = new FormData();
              form.append('file', new Blob([text], { type: 'text/plain' }), name);
              return { body: form, shape: 'multipart' };
            }),
          });
        }
        bodyArb = fc.oneof(...alternatives);
      }
      const keyArb = fc.option(fc.oneof(fc.uuid(), fc.constantFrom('short', 'bad key!', 'k'.repeat(200))), { freq: 8 });
      return fc.tuple(pathArb, queryArb, bodyArb, keyArb).map(([values, q, b, key]) => {
        let url = p;
        params.forEach((x, i) => (url = url.replace(`{${x.name}}`, encodeURIComponent(values[i]))));
        const search = new URLSearchParams();
        for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) search.append(k, typeof v === 'string' ? v : JSON.stringify(v));
        const qs = search.toString();
        const headers: Record<string, string> = {};
        if (b.contentType) headers['content-type'] = b.contentType;
        if (key && method !== 'GET') headers['idempotency-key'] = key;
        return { url: qs ? `${url}?${qs}` : url, headers, body: b.body, shape: b.shape };
      });
    };

    // ---- Fuzz ---------------------------------------------------------------------------------
    const tokens = { committee, secretary };
    let requests = 0;
    const statuses: Record<string, number> = {};
    const shapes: Record<string, number> = {};
    const failures: string[] = [];
    const findings = new Set<string>();
    const perOperation: string[] = [];
    for (const [index, { method, path: p, op }] of operations.entries()) {
      const opStatuses: Record<string, number> = {};
      for (const [who, token] of Object.entries(tokens)) {
        const cases = fc.sample(caseFor(p, method, op), { numRuns: RUNS, seed: SEED + index * 7919 + (who === 'committee' ? 0 : 1) });
        for (const c of cases) {
          requests += 1;
          shapes[c.shape] = (shapes[c.shape] ?? 0) + 1;
          const what = `${method} ${p} as ${who}: ${method} ${c.url.slice(0, 200)} [${c.shape}]${typeof c.body === 'string' ? ` body ${c.body.slice(0, 300)}` : ''}`;
          let response: globalThis.Response;
          try {
            response = await fetch(base + c.url, { method, headers: { authorization: `Bearer ${token}`, ...c.headers }, body: c.body });
          } catch (error) {
            failures.push(`${what} → no answer: ${(error as Error).message}`);
            continue;
          }
          const text = await response.text();
          const status = response.status;
          if (TRACE && TRACE.test(`${method} ${p}`)) process.stdout.write(`trace: ${what} → ${status} ${text.slice(0, 200)}\n`);
          statuses[status] = (statuses[status] ?? 0) + 1;
          opStatuses[status] = (opStatuses[status] ?? 0) + 1;
          const contentType = response.headers.get('content-type') ?? '';
          const documented = op.responses[String(status)];
          if (status >= 500) {
            failures.push(`${what} → ${status} ${text.slice(0, 300)}`);
            continue;
          }
          if (!documented) {
            if (status >= 400) failures.push(`${what} → ${status} is not documented for the operation`);
            else findings.add(`${method} ${p}: success status ${status} is not documented`);
            continue;
          }
          if (status < 400) continue;
          const media = Object.keys(documented.content ?? {});
          if (!media.includes('application/problem+json')) failures.push(`${what} → ${status} documented as ${media.join(', ') || 'no content'}, not application/problem+json`);
          if (!contentType.startsWith('application/problem+json')) failures.push(`${what} → ${status} answered as ${contentType}, not application/problem+json`);
          let problem: Record<string, unknown> = {};
          try {
            problem = JSON.parse(text);
          } catch {
            failures.push(`${what} → ${status} body is not JSON: ${text.slice(0, 200)}`);
            continue;
          }
          const shaped = typeof problem.type === 'string' && typeof problem.title === 'string' && problem.status === status && typeof problem.detail === 'string';
          if (!shaped) failures.push(`${what} → ${status} body is not a problem with this status: ${text.slice(0, 300)}`);
          else if (!CJK.test(problem.detail as string)) failures.push(`${what} → ${status} detail is not Chinese: ${problem.detail}`);
        }
      }
      perOperation.push(`  ${method} ${p}: ${Object.entries(opStatuses).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    }

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(`${perOperation.join('\n')}\n`);
    process.stdout.write(
      `fuzz: ${operations.length} operations × 2 tokens × ${RUNS} cases = ${requests} requests in ${seconds} s; statuses ${JSON.stringify(statuses)}; shapes ${JSON.stringify(shapes)}\n`,
    );
    for (const f of findings) process.stdout.write(`finding (not a failure): ${f}\n`);
    if (failures.length > 0) {
      // Group by operation and kind so one bug does not hide another.
      const byKind = new Map<string, string[]>();
      for (const f of failures) {
        const key = f.replace(/ as (committee|secretary):.*→ (\d+).*$/, ' → $2');
        byKind.set(key, [...(byKind.get(key) ?? []), f]);
      }
      process.stdout.write(`fuzz: ${failures.length} failing answers in ${byKind.size} groups\n`);
      for (const [kind, list] of byKind) process.stdout.write(`  ${kind} (${list.length}), e.g.\n    ${list[0]}\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write('fuzz: no 5xx, every error status documented and answered as application/problem+json with a Chinese detail\n');
    }
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  process.stderr.write(`fuzz: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
