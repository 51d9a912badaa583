/**
 * `npm run audit -- <command>`: verify, export and re-verify projects' histories (审计回放与核验).
 *
 *   verify <projectId>                      the checks against PostgreSQL, Temporal and the evidence store
 *   verify --archive <file> [--evidence-dir <dir>]
 *                                           re-verify an exported archive offline (no services needed)
 *   export <projectId> <file>               write the project's archive (and verify it)
 *   verify-cycle <cycleId> [--concurrency n] every project of a cycle, with progress and a summary
 *
 * Options: --json prints the report as JSON; --bundle <file> replays against a prebuilt workflow
 * bundle instead of bundling workflows/ now. Online commands need TEMPORAL_ADDRESS and DATABASE_URL
 * (and EVIDENCE_DIR unless the default applies). Each check is printed on its own line; the exit
 * code is 0 when every check passed and 1 otherwise.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import {
  exportProject,
  readArchive,
  verifyArchive,
  verifyCycle,
  verifyProject,
  writeArchive,
  type AuditDeps,
  type CheckResult,
  type VerificationReport,
  type WorkflowCode,
} from '../audit';
import { loadConfig } from '../config';
import { createDb } from '../db';
import { createFileContentStore } from '../db/content-store';

const USAGE = `用法 / usage:
  npm run audit -- verify <projectId> [--json] [--bundle <workflow-bundle.js>]
  npm run audit -- verify --archive <file> [--evidence-dir <dir>] [--json] [--bundle <workflow-bundle.js>]
  npm run audit -- export <projectId> <file> [--bundle <workflow-bundle.js>]
  npm run audit -- verify-cycle <cycleId> [--concurrency <n>] [--json] [--bundle <workflow-bundle.js>]`;

class UsageError extends Error {}

interface Args {
  positional: string[];
  flags: Record<string, string | true>;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  const valued = new Set(['archive', 'evidence-dir', 'bundle', 'concurrency']);
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (!valued.has(name)) {
      if (name !== 'json' && name !== 'help') throw new UsageError(`未知选项 --${name}`);
      flags[name] = true;
    } else {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`选项 --${name} 需要一个值`);
      flags[name] = value;
    }
  }
  return { positional, flags };
}

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

function checkLine(c: CheckResult): string {
  const mark = c.skipped ? MARK.skip : c.ok ? MARK.pass : MARK.fail;
  const where = c.location ? `  [${Object.entries(c.location).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join(' ')}]` : '';
  return `${mark}  ${c.check.padEnd(17)} ${c.detail}${where}`;
}

function printReport(report: VerificationReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const subs = report.projects.slice(1);
  const source = report.archive ? `归档 ${report.archive.file ?? ''}（导出于 ${report.archive.exportedAt}）` : '在线';
  process.stdout.write(`审计核验 ${report.projectId}${subs.length ? `（含子项目 ${subs.join(', ')}）` : ''} · ${source}\n`);
  for (const c of report.checks) process.stdout.write(`${checkLine(c)}\n`);
  const failed = report.checks.filter((c) => !c.ok).length;
  process.stdout.write(`${report.ok ? '结果：全部通过' : `结果：未通过（${failed} 项检查失败）`} · 用时 ${(report.durationMs / 1000).toFixed(2)} s\n`);
}

function quietTemporalRuntime(): void {
  // Replay failures are reported as check results; the SDK's own warnings about them are noise here.
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
}

async function withOnlineDeps<T>(workflows: WorkflowCode | undefined, fn: (deps: AuditDeps) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const missing = [!config.temporal.address && 'TEMPORAL_ADDRESS', !config.database.url && 'DATABASE_URL'].filter(Boolean);
  if (missing.length > 0) {
    throw new UsageError(
      `缺少环境变量 ${missing.join('、')}：在线核验需要连接 Temporal 和 PostgreSQL（例如 TEMPORAL_ADDRESS=localhost:7233 DATABASE_URL=postgres://…）。` +
        `离线核验归档请用 verify --archive <file>。\n(missing ${missing.join(', ')}: online audit commands connect to Temporal and PostgreSQL)`,
    );
  }
  const connection = await Connection.connect({ address: config.temporal.address! });
  const db = createDb(config.database.url!, { max: 8 });
  try {
    const temporal = new Client({ connection, namespace: config.temporal.namespace });
    return await fn({ db, temporal, store: createFileContentStore(config.evidenceDir), workflows });
  } finally {
    await db.destroy();
    await connection.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const [command, ...rest] = positional;
  if (!command || flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 1;
  }
  const json = flags.json === true;
  const workflows: WorkflowCode | undefined = typeof flags.bundle === 'string' ? { workflowBundlePath: flags.bundle } : undefined;
  quietTemporalRuntime();

  if (command === 'verify' && typeof flags.archive === 'string') {
    const evidenceDir = typeof flags['evidence-dir'] === 'string' ? flags['evidence-dir'] : undefined;
    const archive = await readArchive(flags.archive);
    const report = await verifyArchive(archive, { workflows, file: flags.archive, store: evidenceDir ? createFileContentStore(evidenceDir) : undefined });
    printReport(report, json);
    return report.ok ? 0 : 1;
  }
  if (command === 'verify') {
    const [projectId] = rest;
    if (!projectId) throw new UsageError('verify 需要项目编号或 --archive <file>');
    const report = await withOnlineDeps(workflows, (deps) => verifyProject(deps, projectId));
    printReport(report, json);
    return report.ok ? 0 : 1;
  }
  if (command === 'export') {
    const [projectId, file] = rest;
    if (!projectId || !file) throw new UsageError('export 需要项目编号和输出文件');
    const archive = await withOnlineDeps(workflows, (deps) => exportProject(deps, projectId));
    await writeArchive(file, archive);
    printReport(archive.verification, json);
    if (!json) process.stdout.write(`归档已写入 ${file}（SHA-256 ${archive.archiveSha256}）；离线复核：npm run audit -- verify --archive ${file}\n`);
    return archive.verification.ok ? 0 : 1;
  }
  if (command === 'verify-cycle') {
    const [cycleId] = rest;
    if (!cycleId) throw new UsageError('verify-cycle 需要年度周期编号');
    const concurrency = typeof flags.concurrency === 'string' ? Number(flags.concurrency) : undefined;
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new UsageError('--concurrency 须为 1 至 64 的整数');
    const summary = await withOnlineDeps(workflows, (deps) =>
      verifyCycle(deps, cycleId, {
        concurrency,
        onProgress: (p) => {
          const failed = p.report.checks.filter((c) => !c.ok).map((c) => c.check);
          process.stderr.write(`[${p.done}/${p.total}] ${p.projectId} ${p.ok ? '通过' : `未通过：${failed.join(', ') || '无法核验'}`}\n`);
        },
      }),
    );
    if (json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      process.stdout.write(`年度周期 ${cycleId}：核验 ${summary.verified} 个项目（含子项目共 ${summary.projectsCovered} 个），通过 ${summary.passed}，未通过 ${summary.failed} · 用时 ${(summary.durationMs / 1000).toFixed(1)} s\n`);
      for (const f of summary.failures) {
        if (f.error) process.stdout.write(`FAIL  ${f.projectId}  无法核验：${f.error}\n`);
        for (const c of f.checks) process.stdout.write(`FAIL  ${f.projectId}  ${checkLine({ ...c, ok: false }).replace(/^FAIL {2}/, '')}\n`);
      }
    }
    return summary.failed === 0 ? 0 : 1;
  }
  throw new UsageError(`未知命令 ${command}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`审计失败：${error instanceof Error ? (error as Error & { messageZh?: string }).messageZh ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
