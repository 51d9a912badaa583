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

  it('refuses a port that is not a number with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer/);
  });
});
