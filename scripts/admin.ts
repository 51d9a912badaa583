/**
 * `npm run admin -- <command>`: the first committee account of a fresh deployment, and the
 * account chores that must work before anyone can sign in (管理员命令行).
 *
 *   bootstrap --org-id <id> --org-name <名称> --user-id <id> --name <姓名> --username <登录名> [--mobile <手机号>]
 *       creates the committee (工委) root org if it is missing and a committee user in it; prints
 *       the user's one-time password (to be changed at first sign-in)
 *   create-user --id <id> --name <姓名> --role <committee|secretary|inspector|auditor|member> --org <orgId> [--username <登录名>] [--mobile <手机号>]
 *   reset-password --user <id>       a new one-time password, the user's sessions end
 *
 * Uses DATABASE_URL, or the embedded PostgreSQL of a running `npm start`. Every change goes
 * through the same directory service the API uses (the same checks) and is recorded in the
 * security log with the actor `admin-cli`.
 */
import { Client } from '@temporalio/client';
import { loadConfig } from '../config';
import { createDb, migrateToLatest } from '../db';
import { getOrg } from '../db/directory';
import { ProblemError } from '../api/problem';
import { createOrg, createUser, resetPassword, type Actor, type DirectoryDeps } from '../services/directory';
import type { Role } from '../workflows/lifecycle';

const USAGE = `用法 / usage:
  npm run admin -- bootstrap --org-id <id> --org-name <名称> --user-id <id> --name <姓名> --username <登录名> [--mobile <手机号>]
  npm run admin -- create-user --id <id> --name <姓名> --role <committee|secretary|inspector|auditor|member> --org <orgId> [--username <登录名>] [--mobile <手机号>]
  npm run admin -- reset-password --user <id>
DATABASE_URL selects the database; without it, the embedded PostgreSQL of a running \`npm start\`.`;

class UsageError extends Error {}

const ROLES: readonly Role[] = ['committee', 'secretary', 'inspector', 'auditor', 'member'];

function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}"`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
    flags[arg.slice(2)] = value;
    i += 1;
  }
  return flags;
}

function need(flags: Record<string, string>, name: string): string {
  const value = flags[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

const ACTOR: Actor = { user: { id: 'admin-cli', name: '命令行管理', role: 'committee', orgId: '' }, ip: null, userAgent: 'npm run admin' };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const flags = parseFlags(rest);
  const config = loadConfig();
  const url = config.database.url ?? `postgres://postgres:postgres@127.0.0.1:${config.database.embeddedPort}/${config.database.embeddedDatabase}`;
  const db = createDb(url, { max: 2 });
  // Nothing here talks to Temporal (no secretary changes): a lazy client never dials.
  const deps: DirectoryDeps = { db, temporal: new Client({ namespace: config.temporal.namespace }), taskQueue: config.temporal.taskQueue };
  try {
    await migrateToLatest(db);
    switch (command) {
      case 'bootstrap': {
        const orgId = need(flags, 'org-id');
        if (!(await getOrg(db, orgId))) {
          await createOrg(deps, ACTOR, { id: orgId, parentId: null, kind: 'committee', name: need(flags, 'org-name') });
          process.stdout.write(`已创建工委组织 ${orgId}\n`);
        }
        const { user, initialPassword } = await createUser(deps, ACTOR, {
          id: need(flags, 'user-id'),
          name: need(flags, 'name'),
          role: 'committee',
          orgId,
          username: need(flags, 'username'),
          ...(flags.mobile ? { mobile: flags.mobile } : {}),
        });
        process.stdout.write(`已创建工委用户 ${user.id}（登录名 ${user.username}）\n一次性密码：${initialPassword}\n首次登录后须修改密码（POST /auth/sign-in，然后 POST /auth/password）。\n`);
        return 0;
      }
      case 'create-user': {
        const role = need(flags, 'role') as Role;
        if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const { user, initialPassword } = await createUser(deps, ACTOR, {
          id: need(flags, 'id'),
          name: need(flags, 'name'),
          role,
          orgId: need(flags, 'org'),
          ...(flags.username ? { username: flags.username } : {}),
          ...(flags.mobile ? { mobile: flags.mobile } : {}),
        });
        process.stdout.write(`已创建用户 ${user.id}（${user.role}，组织 ${user.orgId}）\n`);
        if (initialPassword) process.stdout.write(`一次性密码：${initialPassword}\n首次登录后须修改密码。\n`);
        return 0;
      }
      case 'reset-password': {
        const { user, password } = await resetPassword(deps, ACTOR, need(flags, 'user'), 'npm run admin -- reset-password');
        process.stdout.write(`已重置用户 ${user.id} 的密码，其登录会话均已结束。\n一次性密码：${password}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof ProblemError) process.stderr.write(`${error.detail}${error.extra?.field ? `（${String(error.extra.field)}）` : ''}\n`);
    else if ((error as { code?: string }).code === 'ECONNREFUSED') process.stderr.write(`无法连接数据库 ${loadConfig().database.url ? 'DATABASE_URL' : '（内嵌 PostgreSQL：请先运行 npm start，或设置 DATABASE_URL）'}\n`);
    else process.stderr.write(`admin failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
