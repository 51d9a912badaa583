import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_ENV_VARS, loadConfig } from '../../config';
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
