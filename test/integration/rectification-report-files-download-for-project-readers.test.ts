/**
 * A file cited in a rectification report (the project state's ledger[].reports[].files) and a
 * report's claim-checked long text (ledger[].reports[].textRef) download for everyone who may read
 * the project (canRead, the rule of GET /projects/:id): the inspector who must verify the report and
 * the committee. Downloads once looked only at evidence entries, so both got 404. Someone who may
 * not read the project still gets 404.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileContentStore } from '../../db/content-store';
import type { ProjectState } from '../../workflows/lifecycle';
import { compressedCycle, proposal } from '../fixtures/cycles';
import { useHarness } from '../helpers/harness';
import { waitUntil } from '../helpers/wait';

function multipart(filename: string, content: Buffer) {
  const boundary = `----party${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/pdf\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const REPORT_PDF = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from('整改报告附件：走访台账补齐情况'), Buffer.from('\n%%EOF')]);

describe('downloading the files a rectification report cites', () => {
  const store = createFileContentStore(fs.mkdtempSync(path.join(os.tmpdir(), 'report-files-')));
  const cycle = compressedCycle('cy-report-files', Date.now());
  const h = useHarness({ name: 'reportfiles', cycle, app: { store } });
  const { as } = h;
  const post = async (userId: string, url: string, payload: object = {}) => {
    const response = await h.app.inject({ method: 'POST', url, headers: as(userId), payload });
    expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(300);
    return response.json();
  };
  const download = (userId: string, sha256: string) => h.get(userId, `/evidence-files/${sha256}`);


  it('the inspector and the committee download the report’s file and long text; an outsider gets 404', async () => {
    const { title, ...rest } = proposal(cycle.year, '整改附件下载项目');
    const project = await post('u-sec-oc1', '/projects', { cycleId: cycle.cycleId, title, ...rest });
    await post('u-sec-oc1', `/projects/${project.id}/submit`);
    await post('u-committee', `/projects/${project.id}/review`, { decision: 'approve' });
    await post('u-sec-oc1', `/projects/${project.id}/letter`, { text: '本人承诺履行第一责任人职责' });
    const inspected = await post('u-inspector', `/projects/${project.id}/inspections/1`, {
      rating: 'lagging',
      findings: ['进度滞后'],
      problems: [{ problem: '走访台账不全', responsibleOrgId: 'org-oc1', responsiblePersonId: 'u-sec-oc1', measures: '补齐走访台账', deadline: `${cycle.year}-12-31` }],
    });
    const entryId = (inspected as ProjectState).ledger[0].id;

    const body = multipart('整改附件.pdf', REPORT_PDF);
    const uploaded = await h.app.inject({ method: 'POST', url: '/evidence-files', headers: { ...as('u-sec-oc1'), ...body.headers }, payload: body.payload });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const file = uploaded.json().files[0] as { sha256: string; size: number };
    // Longer than the inline limit: the report's text is claim-checked into the store.
    const longText = '已逐户补齐走访台账并由支部书记签字确认。'.repeat(40);
    const reported = await post('u-sec-oc1', `/projects/${project.id}/rectifications/${entryId}/report`, {
      text: longText,
      files: [{ name: '整改附件.pdf', sha256: file.sha256, size: file.size }],
    });
    const report = (reported as ProjectState).ledger[0].reports[0];
    expect(report.files.map((f) => f.sha256)).toEqual([file.sha256]);
    const textSha = report.textRef?.sha256;
    expect(textSha).toMatch(/^[0-9a-f]{64}$/);

    // Downloads read the persisted projection: wait until it holds the report.
    await waitUntil('the report persisted', async () => {
      const row = await h.db.selectFrom('projects').select('state').where('id', '=', project.id).executeTakeFirst();
      return (row?.state as ProjectState | undefined)?.ledger[0]?.reports.length ? true : undefined;
    }, 15_000, 100);

    for (const reader of ['u-inspector', 'u-committee', 'u-auditor', 'u-sec-u1']) {
      const pdf = await download(reader, file.sha256);
      expect(pdf.statusCode, `${reader}: ${pdf.body}`).toBe(200);
      expect(pdf.headers['x-content-sha256']).toBe(file.sha256);
      expect(pdf.rawPayload.equals(REPORT_PDF)).toBe(true);
      const text = await download(reader, textSha!);
      expect(text.statusCode, `${reader}: ${text.body}`).toBe(200);
      expect(text.rawPayload.toString('utf8')).toBe(longText);
    }
    for (const outsider of ['u-sec-b3', 'u-sec-u2']) {
      const refused = await download(outsider, file.sha256);
      expect(refused.statusCode).toBe(404);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect((await download(outsider, textSha!)).statusCode).toBe(404);
    }
  });
});
