import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentIntegrityError, createFileContentStore, sha256Hex } from '../../db/content-store';

describe('the content-addressed evidence store', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'content-store-'));
  const store = createFileContentStore(root);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('stores bytes under their SHA-256 and reads them back', async () => {
    const bytes = Buffer.from('第一季度佐证材料');
    const { sha256, size } = await store.put(bytes);
    expect(sha256).toBe(sha256Hex(bytes));
    expect(size).toBe(bytes.length);
    expect(await store.get(sha256)).toEqual(bytes);
    expect(await store.verify(sha256)).toBe('ok');
  });

  it('storing the same bytes twice keeps one file', async () => {
    const bytes = Buffer.from('same');
    const a = await store.put(bytes);
    const b = await store.put(bytes);
    expect(a).toEqual(b);
    const dir = path.dirname(store.pathOf(a.sha256));
    expect(fs.readdirSync(dir)).toEqual([a.sha256]);
  });

  it('detects a stored file altered on disk', async () => {
    const { sha256 } = await store.put(Buffer.from('original'));
    fs.writeFileSync(store.pathOf(sha256), 'tampered');
    expect(await store.verify(sha256)).toBe('corrupt');
    await expect(store.get(sha256)).rejects.toBeInstanceOf(ContentIntegrityError);
  });

  it('reports a missing file and refuses a malformed hash', async () => {
    expect(await store.verify('0'.repeat(64))).toBe('missing');
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(() => store.pathOf('../../etc/passwd')).toThrow(/not a SHA-256/);
  });
});
