/**
 * Content-addressed storage for evidence files: a file is stored under its SHA-256, so storing
 * the same bytes twice keeps one copy, and every read re-checks the hash. The embedded default is
 * a directory under the data dir (EVIDENCE_DIR); production points it at shared storage.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export class ContentIntegrityError extends Error {
  constructor(readonly sha256: string, readonly actual: string) {
    super(`stored content ${sha256} no longer matches its SHA-256 (now ${actual})`);
  }
}

export interface ContentStore {
  /** Stores the bytes and returns their SHA-256 (lower-case hex) and size. */
  put(bytes: Buffer): Promise<{ sha256: string; size: number }>;
  /** Reads the bytes, verifying their hash; undefined if absent. */
  get(sha256: string): Promise<Buffer | undefined>;
  /** Re-hashes the stored bytes: 'ok', 'missing' or 'corrupt'. */
  verify(sha256: string): Promise<'ok' | 'missing' | 'corrupt'>;
  pathOf(sha256: string): string;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function createFileContentStore(root: string): ContentStore {
  const pathOf = (sha256: string) => {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return path.join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  };
  const read = async (sha256: string) => fs.readFile(pathOf(sha256)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  return {
    pathOf,
    async put(bytes) {
      const sha256 = sha256Hex(bytes);
      const target = pathOf(sha256);
      await fs.mkdir(path.dirname(target), { recursive: true });
      try {
        await fs.access(target);
        return { sha256, size: bytes.length };
      } catch {
        // Write to a temporary name and rename: a crash never leaves a half-written file under the hash.
        const temp = `${target}.${randomUUID()}.tmp`;
        await fs.writeFile(temp, bytes, { flag: 'wx' });
        const handle = await fs.open(temp, 'r');
        await handle.sync();
        await handle.close();
        await fs.rename(temp, target);
        return { sha256, size: bytes.length };
      }
    },
    async get(sha256) {
      const bytes = await read(sha256);
      if (!bytes) return undefined;
      const actual = sha256Hex(bytes);
      if (actual !== sha256) throw new ContentIntegrityError(sha256, actual);
      return bytes;
    },
    async verify(sha256) {
      const bytes = await read(sha256);
      if (!bytes) return 'missing';
      return sha256Hex(bytes) === sha256 ? 'ok' : 'corrupt';
    },
  };
}
