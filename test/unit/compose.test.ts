import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../../config';
import { CLUSTER_APIS, CLUSTER_ENTRY, CLUSTER_WORKERS, clusterProcessEnv } from '../../scripts/cluster';
import { HISTORY_SHARDS, schemaSteps, sqlToolConnectionArgs, TEMPORAL_DATABASES, TEMPORAL_SERVER_VERSION } from '../../scripts/infra/temporal-server';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/search-attributes';

const root = path.join(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true });

describe('docker-compose.yml describes the production shape', () => {
  it('has Temporal with PostgreSQL persistence, the Temporal UI, the app database, the api and the worker', () => {
    const services = compose.services;
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['temporal', 'temporal-db', 'temporal-ui', 'app-db', 'api', 'worker']));
    expect(services.temporal.environment.DB).toMatch(/^postgres/);
    expect(services.temporal.environment.POSTGRES_SEEDS).toBe('temporal-db');
    expect(services['temporal-db'].image).toMatch(/^postgres:/);
    expect(services['app-db'].image).toMatch(/^postgres:/);
    expect(services['temporal-ui'].environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  });

  it('wires the api and the worker with exactly the environment variable names the config module reads', () => {
    for (const name of ['api', 'worker']) {
      const service = compose.services[name];
      const env = service.environment as Record<string, string>;
      for (const key of Object.keys(env)) expect(CONFIG_ENV_VARS as readonly string[]).toContain(key);
      const config = loadConfig(env);
      expect(config.temporal.address).toBe('temporal:7233');
      const dbHost = new URL(config.database.url ?? 'postgres://missing').hostname;
      expect(compose.services[dbHost]).toBeDefined();
      expect(Object.keys(service.depends_on)).toEqual(expect.arrayContaining(['app-db', 'temporal']));
      expect(fs.existsSync(path.join(root, service.command.at(-1)))).toBe(true);
    }
    expect(compose.services.api.environment.HOST).toBe('0.0.0.0');
  });

  it('gives the api and the worker one shared evidence volume mounted at their EVIDENCE_DIR', () => {
    for (const name of ['api', 'worker']) {
      const service = compose.services[name];
      const evidenceDir = loadConfig(service.environment).evidenceDir;
      expect(service.environment.EVIDENCE_DIR).toBe(evidenceDir);
      const mounts = (service.volumes as string[]).map((v) => v.split(':'));
      const mount = mounts.find(([, target]) => target === evidenceDir);
      expect(mount, `${name} mounts a volume at ${evidenceDir}`).toBeDefined();
      expect(Object.keys(compose.volumes)).toContain(mount![0]);
    }
    const [apiVolume] = (compose.services.api.volumes as string[]).map((v) => v.split(':')[0]);
    expect(compose.services.worker.volumes.map((v: string) => v.split(':')[0])).toContain(apiVolume);
  });

  it('builds an image whose user owns the evidence directory', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const evidenceDir = loadConfig(compose.services.api.environment).evidenceDir;
    const user = dockerfile.match(/^USER\s+(\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(dockerfile).toMatch(new RegExp(`^ENV EVIDENCE_DIR=${evidenceDir}$`, 'm'));
    const chown = dockerfile.match(/chown -R (\S+):\S+ (\S+)/);
    expect(chown?.[1]).toBe(user);
    expect(evidenceDir.startsWith(chown![2])).toBe(true);
    expect(dockerfile).toMatch(new RegExp(`mkdir -p ${evidenceDir}`));
    // The directory is made and handed over before the image switches to its user.
    expect(dockerfile.indexOf('chown')).toBeLessThan(dockerfile.indexOf(`USER ${user}`));
  });

  it('registers every custom search attribute the workflows use', () => {
    const script = compose.services['temporal-setup-search-attributes'].command.join(' ');
    for (const key of SEARCH_ATTRIBUTE_KEYS) expect(script).toContain(key.name);
  });

  it('builds the api and worker from a Dockerfile that installs from the lockfile', () => {
    expect(compose.services.api.build).toBe('.');
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm (ci|install)/);
    expect(dockerfile).toMatch(/package-lock\.json/);
  });
});

describe('docker-compose.yml and npm run cluster describe the same shape', () => {
  const services = compose.services;
  const settings = { temporalAddress: 'x:1', namespace: 'default', taskQueue: 'q', databaseUrl: 'postgres://u@h/d', evidenceDir: '/data/evidence', logLevel: 'info' };

  it('gives the api and worker processes the same environment variables', () => {
    expect(Object.keys(services.api.environment).sort()).toEqual(Object.keys(clusterProcessEnv('api', settings)).sort());
    expect(Object.keys(services.worker.environment).sort()).toEqual(Object.keys(clusterProcessEnv('worker', settings)).sort());
    expect(services.api.environment.TEMPORAL_NAMESPACE).toBe(loadConfig({}).temporal.namespace);
    expect(services.api.environment.TEMPORAL_TASK_QUEUE).toBe(loadConfig({}).temporal.taskQueue);
  });

  it('runs the same entry points, two API processes and two workers, restarted when they die', () => {
    for (const kind of ['api', 'worker'] as const) {
      expect(services[kind].command.at(-1)).toBe(CLUSTER_ENTRY[kind]);
      expect(services[kind].restart).toBe('unless-stopped');
    }
    expect(services.api.deploy.replicas).toBe(CLUSTER_APIS);
    expect(services.worker.deploy.replicas).toBe(CLUSTER_WORKERS);
  });

  it('registers the same search attributes, all Keyword', () => {
    const script = services['temporal-setup-search-attributes'].command.join(' ');
    const names = /for a in ([A-Za-z ]+);/.exec(script)?.[1]?.trim().split(/\s+/);
    expect(names).toEqual(SEARCH_ATTRIBUTE_KEYS.map((key) => key.name));
    expect(script).toContain('--type Keyword');
    const cluster = fs.readFileSync(path.join(root, 'scripts', 'cluster.ts'), 'utf8');
    expect(cluster).toMatch(/SEARCH_ATTRIBUTE_KEYS\.map\(\(key\) => key\.name\)/);
    expect(cluster).toContain("'--type', 'Keyword'");
  });

  it('sets the schema up with the same temporal-sql-tool steps, on the same databases', () => {
    const schema = services['temporal-schema'];
    const lines = (schema.command.join(' ') as string).split(';').map((line) => line.trim().split(/\s+/)).filter((words) => words[0] === 'temporal-sql-tool');
    const expected = TEMPORAL_DATABASES.flatMap(({ database, schema: name }) =>
      schemaSteps(name, '/etc/temporal/schema').map((step) => [...sqlToolConnectionArgs({ host: 'temporal-db', port: 5432, user: 'temporal' }, database), ...step]),
    );
    expect(lines.map((words) => words.slice(1))).toEqual(expected);
    expect(schema.environment.SQL_PASSWORD).toBe(services.temporal.environment.POSTGRES_PWD);
    expect(services.temporal.depends_on['temporal-schema'].condition).toBe('service_completed_successfully');
    expect(services.temporal.environment.SKIP_SCHEMA_SETUP).toBe('true');
    expect([services.temporal.environment.DBNAME, services.temporal.environment.VISIBILITY_DBNAME]).toEqual(TEMPORAL_DATABASES.map((d) => d.database));
  });

  it('runs the same server version with the same number of history shards', () => {
    const version = TEMPORAL_SERVER_VERSION.replace(/^v/, '');
    expect(services.temporal.image).toBe(`temporalio/auto-setup:${version}`);
    expect(services['temporal-schema'].image).toBe(`temporalio/admin-tools:${version}`);
    expect(services.temporal.environment.DB).toBe('postgres12');
    expect(Number(services.temporal.environment.NUM_HISTORY_SHARDS)).toBe(HISTORY_SHARDS);
  });
});

describe('config', () => {
  it('defaults to the embedded services and reads every override', () => {
    const defaults = loadConfig({});
    expect(defaults.temporal.address).toBeNull();
    expect(defaults.database.url).toBeNull();
    expect(defaults.temporal.namespace).toBe('default');
    const custom = loadConfig({ TEMPORAL_ADDRESS: 'x:1', TEMPORAL_NAMESPACE: 'ns', DATABASE_URL: 'postgres://u@h/d', PORT: '8080' });
    expect(custom).toMatchObject({ temporal: { address: 'x:1', namespace: 'ns' }, database: { url: 'postgres://u@h/d' }, api: { port: 8080 } });
  });

  it('reads DEMO: the demo city is on unless DEMO=0', () => {
    expect(loadConfig({}).demo).toBe(true);
    expect(loadConfig({ DEMO: '1' }).demo).toBe(true);
    expect(loadConfig({ DEMO: '0' }).demo).toBe(false);
    expect(CONFIG_ENV_VARS).toContain('DEMO');
  });

  it('reads TEMPORAL_CLI: an explicit CLI binary, or null to look on PATH and in the cache', () => {
    expect(loadConfig({}).temporalCli).toBeNull();
    expect(loadConfig({ TEMPORAL_CLI: '' }).temporalCli).toBeNull();
    expect(loadConfig({ TEMPORAL_CLI: '/opt/temporal/bin/temporal' }).temporalCli).toBe('/opt/temporal/bin/temporal');
    expect(CONFIG_ENV_VARS).toContain('TEMPORAL_CLI');
  });

  it('reads WORKER_MEMORY_LOG_SECONDS: how often a worker logs its memory, a minute by default, never zero', () => {
    expect(loadConfig({}).worker.memoryLogMs).toBe(60_000);
    expect(loadConfig({ WORKER_MEMORY_LOG_SECONDS: '5' }).worker.memoryLogMs).toBe(5_000);
    expect(() => loadConfig({ WORKER_MEMORY_LOG_SECONDS: '0' })).toThrow(/WORKER_MEMORY_LOG_SECONDS must be a positive number/);
    expect(CONFIG_ENV_VARS).toContain('WORKER_MEMORY_LOG_SECONDS');
  });

  it('is the only module that reads the environment (tests and the benchmark aside)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!['node_modules', 'test', 'bench', '.git', '.data', '.cache'].includes(entry.name)) walk(rel);
        } else if (entry.name.endsWith('.ts') && rel !== 'config.ts') {
          // Handing the whole environment to a child process (`{ ...process.env, … }`) reads no variable.
          const text = fs.readFileSync(path.join(root, rel), 'utf8').replace(/\.\.\.process\.env\b/g, '');
          if (/process\.env\b/.test(text)) offenders.push(rel);
        }
      }
    };
    walk('.');
    expect(offenders).toEqual([]);
  });

  it('refuses a port that is not a number with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer/);
  });
});
