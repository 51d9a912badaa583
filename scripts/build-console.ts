/**
 * Builds the web console (web/ → dist/console, Vite) when the build is missing or stale: the
 * SHA-256 of every source under web/ and of the lockfile is kept beside the build
 * (dist/console/.source-hash), so `npm start` builds once after a checkout or a change and
 * otherwise starts at once. `npm run console:build` forces a build.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
export const WEB_DIR = path.join(ROOT, 'web');
export const CONSOLE_DIST = path.join(ROOT, 'dist', 'console');
const HASH_FILE = path.join(CONSOLE_DIST, '.source-hash');

interface Log {
  info(message: string): void;
  warn(message: string): void;
}

function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== 'node_modules' && !e.name.startsWith('.'))
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .sort();
}

/** The hash of what the build is made from: web/ and the dependency versions (package-lock.json). */
export function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...files(WEB_DIR), path.join(ROOT, 'package-lock.json'), path.join(ROOT, 'workflows', 'lifecycle', 'labels.ts')]) {
    hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** True when dist/console holds a build of the current sources. */
export function consoleIsFresh(): boolean {
  try {
    return fs.existsSync(path.join(CONSOLE_DIST, 'index.html')) && fs.readFileSync(HASH_FILE, 'utf8').trim() === sourceHash();
  } catch {
    return false;
  }
}

/** Builds the console unless it is fresh (or always, with force). Never throws: without a build the API says so at `/`. */
export async function buildConsole(log: Log, options: { force?: boolean } = {}): Promise<boolean> {
  if (!options.force && consoleIsFresh()) return true;
  const started = Date.now();
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    log.warn('the web console cannot be built here (Vite is a development dependency: install without --omit=dev); / says so');
    return false;
  }
  try {
    log.info('building the web console (web/ → dist/console)…');
    const hash = sourceHash();
    await vite.build({ configFile: path.join(WEB_DIR, 'vite.config.mts'), logLevel: 'warn' });
    fs.writeFileSync(HASH_FILE, `${hash}\n`);
    log.info(`web console built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return true;
  } catch (error) {
    log.warn(`building the web console failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

if (require.main === module) {
  const log = { info: (m: string) => process.stdout.write(`${m}\n`), warn: (m: string) => process.stderr.write(`${m}\n`) };
  void buildConsole(log, { force: process.argv.includes('--force') }).then((ok) => process.exit(ok ? 0 : 1));
}
