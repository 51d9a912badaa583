/**
 * The console's Chinese strings. The lifecycle's own labels (stages, types, ratings, roles…)
 * come from the lifecycle core (workflows/lifecycle/labels.ts, pure data), so the console, the
 * reports and the API say the same words.
 */
export {
  CHILD_STATUS_LABELS,
  GRADE_LABELS,
  LEDGER_STATUS_LABELS,
  ORIENTATION_LABELS,
  PROJECT_TYPE_LABELS,
  RATING_LABELS,
  ROLE_LABELS,
  STAGE_LABELS,
} from '../../../workflows/lifecycle/labels';

/** The lifecycle's main path, drawn as steps on the project page (DESIGN §4). */
export const LIFECYCLE_STEPS = [
  { stages: ['draft'], title: '立项申报' },
  { stages: ['in_review'], title: '审核把关' },
  { stages: ['approved'], title: '签订责任书' },
  { stages: ['in_progress'], title: '组织实施' },
  { stages: ['self_assessed'], title: '自评' },
  { stages: ['accepted', 'failed'], title: '年底验收' },
] as const;

export const T = {
  appName: '党建项目全周期管理',
  menu: { tasks: '我的待办', done: '已办', notifications: '通知', projects: '项目列表', propose: '申报项目', dashboard: '周期看板', audit: '审计' },
  signIn: '登录',
  signOut: '退出登录',
  login: '用户名或手机号',
  password: '密码',
  sso: '统一身份认证登录',
  changePassword: '修改密码',
  noData: '暂无数据',
};

/** A label from a map, or the key itself when the map does not know it. */
export function label(map: Readonly<Record<string, string>>, key: string | null | undefined): string {
  if (!key) return '—';
  return map[key] ?? key;
}

/** 2026-03-31T16:00:00Z → 2026-04-01 00:00 (Beijing time); dates stay dates. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false })
    .format(date)
    .replace(/\//g, '-');
}

/** The audit verification's checks (audit/verify.ts), as the cycle-wide verification lists them. */
export const AUDIT_CHECK_LABELS: Readonly<Record<string, string>> = {
  'temporal-replay': '工作流历史重放',
  'hash-chain': '事件哈希链',
  'evidence-files': '佐证文件哈希',
  projection: '投影与工作流状态一致',
  'event-log': '事件日志完整',
  persistence: '持久化无滞后',
  'archive-integrity': '归档完整性',
};
