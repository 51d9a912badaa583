/**
 * `npm run admin`: a fresh deployment (no demo, no orgs, no users) gets its first committee account
 * from the command line, and that account signs in with the printed one-time password, must change
 * it, and can then manage the directory. Bad arguments and refused changes exit non-zero with a
 * Chinese message and change nothing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useHarness } from '../helpers/harness';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

describe('the admin command on a fresh deployment', () => {
  // No cast: the database is as empty as a new deployment's.
  const h = useHarness({ name: 'admin_cli' });

  const admin = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: h.database.url } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  it('bootstraps the committee org and its first user, who signs in with the one-time password and must change it', async () => {
    const result = await admin(['bootstrap', '--org-id', 'org-root', '--org-name', '市直机关工委', '--user-id', 'u-admin', '--name', '管理员', '--username', 'admin']);
    expect(result.code, result.stderr).toBe(0);
    const password = /一次性密码：(\S+)/.exec(result.stdout)?.[1];
    expect(password).toBeTruthy();
    expect(await h.db.selectFrom('orgs').select(['id', 'kind', 'parent_id']).execute()).toEqual([{ id: 'org-root', kind: 'committee', parent_id: null }]);
    const events = await h.db.selectFrom('security_events').select(['kind', 'actor_id', 'subject']).orderBy('id').execute();
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'user_created', actor_id: 'admin-cli', subject: 'u-admin' })]));

    const signIn = await h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login: 'admin', password } });
    expect(signIn.statusCode, signIn.body).toBe(200);
    expect(signIn.json().mustChangePassword).toBe(true);
    const cookie = `pp_session=${signIn.cookies.find((c) => c.name === 'pp_session')!.value}`;
    const csrf = signIn.json().csrfToken as string;
    expect((await h.app.inject({ method: 'GET', url: '/orgs', headers: { cookie } })).statusCode).toBe(403);
    const changed = await h.app.inject({ method: 'POST', url: '/auth/password', headers: { cookie, 'x-csrf-token': csrf }, payload: { currentPassword: password, newPassword: 'Committee-Secret-9' } });
    expect(changed.statusCode, changed.body).toBe(204);
    const orgs = await h.app.inject({ method: 'GET', url: '/orgs', headers: { cookie } });
    expect(orgs.statusCode, orgs.body).toBe(200);
    expect(orgs.body).toContain('org-root');
  });

  it('creates users and resets a password (a new one-time password; the old one stops working)', async () => {
    const created = await admin(['create-user', '--id', 'u-sec-1', '--name', '张书记', '--role', 'secretary', '--org', 'org-nowhere', '--username', 'zhang']);
    // An org that does not exist: the directory refuses it, and says why.
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/[\u4e00-\u9fff]/);
    expect(await h.db.selectFrom('users').select('id').where('id', '=', 'u-sec-1').executeTakeFirst()).toBeUndefined();

    const auditor = await admin(['create-user', '--id', 'u-aud', '--name', '李审计', '--role', 'auditor', '--org', 'org-root', '--username', 'li.audit']);
    expect(auditor.code, auditor.stderr).toBe(0);
    const first = /一次性密码：(\S+)/.exec(auditor.stdout)![1];
    const reset = await admin(['reset-password', '--user', 'u-aud']);
    expect(reset.code, reset.stderr).toBe(0);
    const second = /一次性密码：(\S+)/.exec(reset.stdout)![1];
    expect(second).not.toBe(first);
    expect((await h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login: 'li.audit', password: first } })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'POST', url: '/auth/sign-in', payload: { login: 'li.audit', password: second } })).statusCode).toBe(200);
  });

  it('refuses bad arguments with the usage and a non-zero exit', async () => {
    for (const args of [[], ['frobnicate'], ['create-user', '--id'], ['create-user', '--id', 'x', '--name', 'y', '--role', 'king', '--org', 'org-root']]) {
      const result = await admin(args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr + result.stdout).toContain('npm run admin');
    }
  });
});
