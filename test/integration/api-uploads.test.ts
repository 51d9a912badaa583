import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileContentStore } from '../../db/content-store';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

function multipart(parts: { field: string; filename?: string; content: Buffer | string; type?: string }[]) {
  const boundary = `----party${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = p.filename ? `form-data; name="${p.field}"; filename="${p.filename}"` : `form-data; name="${p.field}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.filename ? `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n` : ''}\r\n`));
    chunks.push(Buffer.isBuffer(p.content) ? p.content : Buffer.from(p.content));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from('第一季度工作总结'), Buffer.from('\n%%EOF')]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64, 1)]);

describe('evidence file uploads', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'uploads-'));
  const store = createFileContentStore(storeDir);
  const cycle = compressedCycle('cy-uploads', Date.now());
  const h = useHarness({ name: 'uploads', cycle, app: { store } });
  afterAll(async () => {
    fs.rmSync(storeDir, { recursive: true, force: true });
  });
  const { as } = h;
  const upload = (userId: string, parts: Parameters<typeof multipart>[0]) => {
    const body = multipart(parts);
    return h.app.inject({ method: 'POST', url: '/evidence-files', headers: { ...as(userId), ...body.headers }, payload: body.payload });
  };


  it('stores a PDF under its SHA-256 with a server-generated name and returns the hash', async () => {
    const response = await upload('u-sec-oc1', [{ field: 'file', filename: '../../etc/passwd.pdf', content: PDF, type: 'application/pdf' }]);
    expect(response.statusCode, response.body).toBe(201);
    const [file] = response.json().files;
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    expect(file).toMatchObject({ sha256, size: PDF.length, contentType: 'application/pdf', name: `${sha256.slice(0, 16)}.pdf` });
    expect(fs.existsSync(store.pathOf(sha256))).toBe(true);
  });

  it('an executable renamed .pdf is refused by its content (415), and nothing is stored', async () => {
    const response = await upload('u-sec-oc1', [{ field: 'file', filename: 'report.pdf', content: ELF, type: 'application/pdf' }]);
    expect(response.statusCode).toBe(415);
    expect(fs.existsSync(store.pathOf(createHash('sha256').update(ELF).digest('hex')))).toBe(false);
  });

  it('an oversize file or too many files answer 413', async () => {
    const big = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(10 * 1024 * 1024 + 10, 0x20)]);
    expect((await upload('u-sec-oc1', [{ field: 'file', filename: 'big.pdf', content: big }])).statusCode).toBe(413);
    const many = Array.from({ length: 6 }, (_, i) => ({ field: 'file', filename: `f${i}.txt`, content: `文件 ${i}` }));
    expect((await upload('u-sec-oc1', many)).statusCode).toBe(413);
  });

  it('a __proto__ field is refused with 400', async () => {
    const response = await upload('u-sec-oc1', [
      { field: '__proto__', content: 'x' },
      { field: 'file', filename: 'a.txt', content: 'hello' },
    ]);
    expect(response.statusCode).toBe(400);
  });

  it('evidence citing the uploaded file can be downloaded by whoever may read the project, re-checked against its hash', async () => {
    const uploaded = (await upload('u-sec-oc1', [{ field: 'file', filename: 'q1.pdf', content: PDF }])).json().files[0];
    const { title, ...rest } = proposal(cycle.year, '上传测试项目');
    const project = (await h.app.inject({ method: 'POST', url: '/projects', headers: as('u-sec-oc1'), payload: { cycleId: cycle.cycleId, title, ...rest } })).json();
    await h.app.inject({ method: 'POST', url: `/projects/${project.id}/submit`, headers: as('u-sec-oc1'), payload: {} });
    await h.app.inject({ method: 'POST', url: `/projects/${project.id}/review`, headers: as('u-committee'), payload: { decision: 'approve' } });
    await h.app.inject({ method: 'POST', url: `/projects/${project.id}/letter`, headers: as('u-sec-oc1'), payload: { text: '责任书' } });
    const evidence = await h.app.inject({
      method: 'POST',
      url: `/projects/${project.id}/evidence`,
      headers: as('u-sec-oc1'),
      payload: { quarter: 1, text: '一季度材料', files: [{ name: uploaded.name, sha256: uploaded.sha256, size: uploaded.size }], indicatorActuals: [] },
    });
    expect(evidence.statusCode, evidence.body).toBe(200);
    // Wait for the projection that links the file to the project.
    await waitUntil('the evidence persisted', async () => ((await h.db.selectFrom('evidence').select('id').where('project_id', '=', project.id).execute()).length ? true : undefined), 4_000, 100).catch(() => undefined);
    const download = await h.get('u-sec-u1', `/evidence-files/${uploaded.sha256}`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['x-content-sha256']).toBe(uploaded.sha256);
    expect(download.rawPayload.equals(PDF)).toBe(true);
    // Another unit's secretary may not.
    expect((await h.get('u-sec-b3', `/evidence-files/${uploaded.sha256}`)).statusCode).toBe(404);
    // A stored file altered on disk is refused, not served.
    fs.writeFileSync(store.pathOf(uploaded.sha256), 'tampered');
    const tampered = await h.get('u-sec-oc1', `/evidence-files/${uploaded.sha256}`);
    expect(tampered.json().type).toBe('urn:party-projects:problem:content-integrity');
  });
});
