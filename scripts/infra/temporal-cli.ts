/**
 * Finds the `temporal` CLI, or builds it once from the Go module proxy into the project cache.
 * v1.5.1 is the newest release `go install` accepts (later ones carry a `replace` directive).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

function onPath(name: string): string | null {
  const result = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : null;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves the CLI path: $TEMPORAL_CLI, then PATH, then the cache, else builds it. */
export async function ensureTemporalCli(cacheDir: string, log: Logger): Promise<string> {
  const explicit = process.env.TEMPORAL_CLI;
  if (explicit) {
    if (!isExecutable(explicit)) throw new Error(`TEMPORAL_CLI=${explicit} is not an executable file`);
    return explicit;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, 'temporal');
  if (isExecutable(cached)) return cached;
  await buildTemporalCli(binDir, log);
  return cached;
}

async function buildTemporalCli(binDir: string, log: Logger): Promise<void> {
  if (!onPath('go')) {
    throw new Error(
      'The temporal CLI is not on PATH and Go is not installed to build it. Install the temporal CLI, ' +
        'install Go, or set TEMPORAL_ADDRESS to use an external Temporal server.',
    );
  }
  // Build into a private directory and rename, so concurrent starts never see a half-written binary.
  fs.mkdirSync(binDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(binDir), 'temporal-build-'));
  log.info(`building the temporal CLI (${TEMPORAL_CLI_MODULE}) from the Go module proxy; the first build takes a few minutes`);
  const started = Date.now();
  const heartbeat = setInterval(() => {
    log.info(`still building the temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 20_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['install', TEMPORAL_CLI_MODULE], {
        env: { ...process.env, CGO_ENABLED: '0', GOBIN: staging, GOFLAGS: '-mod=mod' },
        stdio: ['ignore', 'inherit', 'pipe'],
      });
      let tail = '';
      child.stderr.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-4000);
        const downloads = text.split('\n').filter((line) => line.startsWith('go: downloading')).length;
        if (downloads > 0) log.debug(`go: ${downloads} module(s) downloading`);
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`go install failed (exit ${code}):\n${tail}`))));
    });
    fs.renameSync(path.join(staging, 'temporal'), path.join(binDir, 'temporal'));
    log.info(`built the temporal CLI in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    clearInterval(heartbeat);
    fs.rmSync(staging, { recursive: true, force: true });
  }
}
